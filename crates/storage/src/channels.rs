//! Contacts' channel preferences (one JSON definition each) and the consent log: every
//! word of consent given or withdrawn, never changed afterwards.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::sql::Arg;
use crate::{Result, StorageError};

pub async fn preferences(db: &Database, contact: Uuid) -> Result<Option<String>> {
    let mut s = db.sql();
    s.push("SELECT definition FROM gx_channel_preferences WHERE contact_id = ")
        .bind(Arg::Uuid(contact));
    let rows = db.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(|a| a.as_text().map(str::to_string)))
}

pub async fn put_preferences(
    tx: &mut Tx,
    contact: Uuid,
    definition: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_channel_preferences (contact_id, definition, updated_at, updated_by) VALUES (")
        .bind_list([
            Arg::Uuid(contact),
            Arg::Text(definition.into()),
            Arg::DateTime(now),
            Arg::opt_uuid(by),
        ])
        .push(
            ") ON CONFLICT (contact_id) DO UPDATE SET definition = excluded.definition, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        );
    tx.execute(s).await?;
    Ok(())
}

/// One recorded word of consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub channel: String,
    pub granted: bool,
    pub source: String,
    pub at: DateTime<Utc>,
    pub recorded_by: Option<Uuid>,
}

pub async fn insert_consent(tx: &mut Tx, c: &ConsentRow) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_consents (id, contact_id, channel, granted, source, at, recorded_by) VALUES (")
        .bind_list([
            Arg::Uuid(c.id),
            Arg::Uuid(c.contact_id),
            Arg::Text(c.channel.clone()),
            Arg::Bool(c.granted),
            Arg::Text(c.source.clone()),
            Arg::DateTime(c.at),
            Arg::opt_uuid(c.recorded_by),
        ])
        .push(")");
    tx.execute(s).await?;
    Ok(())
}

/// A contact's consent log, newest first.
pub async fn consents(db: &Database, contact: Uuid) -> Result<Vec<ConsentRow>> {
    let mut s = db.sql();
    s.push("SELECT id, contact_id, channel, granted, source, at, recorded_by FROM gx_consents WHERE contact_id = ")
        .bind(Arg::Uuid(contact))
        .push(" ORDER BY at DESC, id DESC");
    let kinds = [
        ColumnKind::Uuid,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Bool,
        ColumnKind::Text,
        ColumnKind::DateTime,
        ColumnKind::Uuid,
    ];
    let bad = || StorageError::Corrupt("consent row".into());
    db.fetch(s, &kinds)
        .await?
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter();
            let mut next = || it.next().ok_or_else(bad);
            Ok(ConsentRow {
                id: next()?.as_uuid().ok_or_else(bad)?,
                contact_id: next()?.as_uuid().ok_or_else(bad)?,
                channel: next()?.as_text().ok_or_else(bad)?.to_string(),
                granted: next()?.as_bool().ok_or_else(bad)?,
                source: next()?.as_text().ok_or_else(bad)?.to_string(),
                at: next()?.as_datetime().ok_or_else(bad)?,
                recorded_by: next()?.as_uuid(),
            })
        })
        .collect()
}

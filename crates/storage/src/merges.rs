//! Rows a merge of duplicates moves besides lookups (field history, consents, channel
//! preferences, manual shares) and the merge records themselves, kept so that a merge
//! can be undone exactly. Table and column names are constants here, never input.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::Result;
use crate::db::{Database, Tx};
use crate::sql::{Arg, Sql};

/// `(row id, owner id)` of the rows of `table` whose `owner` column is one of `owners`
/// (and, for field history and shares, whose `object` is `object`).
async fn rows_of(
    tx: &mut Tx,
    select: &str,
    object: Option<&str>,
    owner: &str,
    owners: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>> {
    let mut out = Vec::new();
    for chunk in owners.chunks(500) {
        let mut s = tx.sql();
        s.push(select).push(" WHERE ");
        if let Some(o) = object {
            s.push("object = ").bind(Arg::Text(o.into())).push(" AND ");
        }
        s.push(owner)
            .push(" IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(")");
        for r in tx.fetch(s, &[ColumnKind::Uuid, ColumnKind::Uuid]).await? {
            if let (Some(a), Some(b)) = (r[0].as_uuid(), r[1].as_uuid()) {
                out.push((a, b));
            }
        }
    }
    Ok(out)
}

/// Field history rows of these records: `(history id, record id)`.
pub async fn history_of(tx: &mut Tx, object: &str, records: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    rows_of(
        tx,
        "SELECT id, record_id FROM gx_field_history",
        Some(object),
        "record_id",
        records,
    )
    .await
}

/// Files attached to these records: `(file id, record id)`.
pub async fn files_of(tx: &mut Tx, object: &str, records: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    rows_of(
        tx,
        "SELECT id, record_id FROM gx_files",
        Some(object),
        "record_id",
        records,
    )
    .await
}

/// Re-homes attached files (by id) to `to`.
pub async fn move_files(tx: &mut Tx, ids: &[Uuid], to: Uuid) -> Result<()> {
    rehome(tx, "gx_files", ids, to).await
}

/// Points rows of `table` (by id; a constant here) at the record `to`.
async fn rehome(tx: &mut Tx, table: &str, ids: &[Uuid], to: Uuid) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        s.push(&format!("UPDATE {table} SET record_id = "))
            .bind(Arg::Uuid(to))
            .push(" WHERE id IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(")");
        tx.execute(s).await?;
    }
    Ok(())
}

/// Re-homes field history rows (by id) to `to`.
pub async fn move_history(tx: &mut Tx, ids: &[Uuid], to: Uuid) -> Result<()> {
    rehome(tx, "gx_field_history", ids, to).await
}

/// Consent entries of these contacts: `(consent id, contact id)`.
pub async fn consents_of(tx: &mut Tx, contacts: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    rows_of(
        tx,
        "SELECT id, contact_id FROM gx_consents",
        None,
        "contact_id",
        contacts,
    )
    .await
}

pub async fn move_consents(tx: &mut Tx, ids: &[Uuid], to: Uuid) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        s.push("UPDATE gx_consents SET contact_id = ")
            .bind(Arg::Uuid(to))
            .push(" WHERE id IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(")");
        tx.execute(s).await?;
    }
    Ok(())
}

/// Which of these contacts have channel preferences.
pub async fn with_preferences(tx: &mut Tx, contacts: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(rows_of(
        tx,
        "SELECT contact_id, contact_id FROM gx_channel_preferences",
        None,
        "contact_id",
        contacts,
    )
    .await?
    .into_iter()
    .map(|(a, _)| a)
    .collect())
}

/// Gives `from`'s channel preferences to `to` (who must have none).
pub async fn move_preferences(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_channel_preferences SET contact_id = ")
        .bind(Arg::Uuid(to))
        .push(" WHERE contact_id = ")
        .bind(Arg::Uuid(from));
    Ok(tx.execute(s).await? == 1)
}

/// Manual shares of these records: `(grantee, record id)`.
pub async fn shares_of(tx: &mut Tx, object: &str, records: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    rows_of(
        tx,
        "SELECT grantee_id, record_id FROM gx_record_shares",
        Some(object),
        "record_id",
        records,
    )
    .await
}

/// Moves the manual share of `from` with `grantee` to `to`.
pub async fn move_share(tx: &mut Tx, object: &str, from: Uuid, to: Uuid, grantee: Uuid) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_record_shares SET record_id = ")
        .bind(Arg::Uuid(to))
        .push(" WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(from))
        .push(" AND grantee_id = ")
        .bind(Arg::Uuid(grantee));
    Ok(tx.execute(s).await? == 1)
}

/// One merge: who merged which records into which, and (in `definition`, JSON) exactly
/// what it changed, for the undo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeRow {
    pub id: Uuid,
    pub object: String,
    pub survivor_id: Uuid,
    pub actor: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub definition: String,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<Uuid>,
}

pub async fn insert_merge(tx: &mut Tx, m: &MergeRow) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_merges (id, object, survivor_id, actor, at, definition, undone_at, undone_by) VALUES (")
        .bind_list([
            Arg::Uuid(m.id),
            Arg::Text(m.object.clone()),
            Arg::Uuid(m.survivor_id),
            Arg::opt_uuid(m.actor),
            Arg::DateTime(m.at),
            Arg::Text(m.definition.clone()),
            Arg::opt_datetime(m.undone_at),
            Arg::opt_uuid(m.undone_by),
        ])
        .push(")");
    tx.execute(s).await?;
    Ok(())
}

const MERGE_COLUMNS: &str =
    "SELECT id, object, survivor_id, actor, at, definition, undone_at, undone_by FROM gx_merges";
const MERGE_KINDS: [ColumnKind; 8] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::Uuid,
    ColumnKind::DateTime,
    ColumnKind::Text,
    ColumnKind::DateTime,
    ColumnKind::Uuid,
];

fn decode(rows: Vec<Vec<Arg>>) -> Vec<MergeRow> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(MergeRow {
                id: it.next()?.as_uuid()?,
                object: it.next()?.as_text()?.to_string(),
                survivor_id: it.next()?.as_uuid()?,
                actor: it.next()?.as_uuid(),
                at: it.next()?.as_datetime()?,
                definition: it.next()?.as_text()?.to_string(),
                undone_at: it.next()?.as_datetime(),
                undone_by: it.next()?.as_uuid(),
            })
        })
        .collect()
}

/// A merge, read inside the transaction that may undo it.
pub async fn merge_in(tx: &mut Tx, id: Uuid) -> Result<Option<MergeRow>> {
    let mut s = tx.sql();
    s.push(MERGE_COLUMNS).push(" WHERE id = ").bind(Arg::Uuid(id));
    Ok(decode(tx.fetch(s, &MERGE_KINDS).await?).into_iter().next())
}

pub async fn merge(db: &Database, id: Uuid) -> Result<Option<MergeRow>> {
    let mut s = Sql::new(db.dialect());
    s.push(MERGE_COLUMNS).push(" WHERE id = ").bind(Arg::Uuid(id));
    Ok(decode(db.fetch(s, &MERGE_KINDS).await?).into_iter().next())
}

/// The merges into a record, newest first.
pub async fn merges_into(db: &Database, object: &str, survivor: Uuid) -> Result<Vec<MergeRow>> {
    let mut s = Sql::new(db.dialect());
    s.push(MERGE_COLUMNS)
        .push(" WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND survivor_id = ")
        .bind(Arg::Uuid(survivor))
        .push(" ORDER BY at DESC, id DESC");
    Ok(decode(db.fetch(s, &MERGE_KINDS).await?))
}

/// Marks a merge undone; false if it already was (someone undid it meanwhile).
pub async fn mark_undone(tx: &mut Tx, id: Uuid, at: DateTime<Utc>, by: Option<Uuid>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_merges SET undone_at = ")
        .bind(Arg::DateTime(at))
        .push(", undone_by = ")
        .bind(Arg::opt_uuid(by))
        .push(" WHERE undone_at IS NULL AND id = ")
        .bind(Arg::Uuid(id));
    Ok(tx.execute(s).await? == 1)
}

/// The merge (not undone) that put `merged` of `object` in the recycle bin, if one did.
pub async fn merge_of_merged(db: &Database, object: &str, merged: Uuid) -> Result<Option<MergeRow>> {
    let mut s = Sql::new(db.dialect());
    // The merged ids live in the definition; merges are few, and the object narrows them.
    s.push(MERGE_COLUMNS)
        .push(" WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND undone_at IS NULL AND definition LIKE ")
        .bind(Arg::Text(format!("%\"{merged}\"%")))
        .push(" ORDER BY at DESC, id DESC");
    Ok(decode(db.fetch(s, &MERGE_KINDS).await?)
        .into_iter()
        .find(|m| m.survivor_id != merged))
}

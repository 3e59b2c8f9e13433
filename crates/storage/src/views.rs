//! Saved list views: a user's named choice of columns, filter and sort for one object,
//! personal or shared with everyone.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::sql::Arg;
use crate::{Result, StorageError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewRow {
    pub id: Uuid,
    pub object: String,
    pub owner_id: Uuid,
    pub name: String,
    pub shared: bool,
    /// JSON: `{"columns": [...], "filter": "...", "sort": "..."}`.
    pub definition: String,
    pub updated_at: DateTime<Utc>,
}

const KINDS: [ColumnKind; 7] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Bool,
    ColumnKind::Text,
    ColumnKind::DateTime,
];

fn decode(row: Vec<Arg>) -> Result<ViewRow> {
    let bad = || StorageError::Corrupt("saved view row".into());
    let mut it = row.into_iter();
    let mut next = || it.next().ok_or_else(bad);
    Ok(ViewRow {
        id: next()?.as_uuid().ok_or_else(bad)?,
        object: next()?.as_text().ok_or_else(bad)?.to_string(),
        owner_id: next()?.as_uuid().ok_or_else(bad)?,
        name: next()?.as_text().ok_or_else(bad)?.to_string(),
        shared: matches!(next()?, Arg::Bool(true)),
        definition: next()?.as_text().ok_or_else(bad)?.to_string(),
        updated_at: match next()? {
            Arg::DateTime(d) => d,
            _ => return Err(bad()),
        },
    })
}

/// The views of an object a user may use: their own and the shared ones, by name.
pub async fn views_for(db: &Database, object: &str, user: Uuid) -> Result<Vec<ViewRow>> {
    let mut s = db.sql();
    s.push("SELECT id, object, owner_id, name, shared, definition, updated_at FROM gx_views WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND (owner_id = ")
        .bind(Arg::Uuid(user))
        .push(" OR shared = ")
        .bind(Arg::Bool(true))
        .push(") ORDER BY name, id");
    db.fetch(s, &KINDS).await?.into_iter().map(decode).collect()
}

pub async fn view(db: &Database, id: Uuid) -> Result<Option<ViewRow>> {
    let mut s = db.sql();
    s.push("SELECT id, object, owner_id, name, shared, definition, updated_at FROM gx_views WHERE id = ")
        .bind(Arg::Uuid(id));
    db.fetch(s, &KINDS)
        .await?
        .into_iter()
        .next()
        .map(decode)
        .transpose()
}

pub async fn put_view(tx: &mut Tx, v: &ViewRow) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_views (id, object, owner_id, name, shared, definition, created_at, updated_at) VALUES (")
        .bind_list([
            Arg::Uuid(v.id),
            Arg::Text(v.object.clone()),
            Arg::Uuid(v.owner_id),
            Arg::Text(v.name.clone()),
            Arg::Bool(v.shared),
            Arg::Text(v.definition.clone()),
            Arg::DateTime(v.updated_at),
            Arg::DateTime(v.updated_at),
        ])
        .push(
            ") ON CONFLICT (id) DO UPDATE SET name = excluded.name, shared = excluded.shared, \
             definition = excluded.definition, updated_at = excluded.updated_at",
        );
    tx.execute(s).await?;
    Ok(())
}

pub async fn delete_view(tx: &mut Tx, id: Uuid) -> Result<bool> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_views WHERE id = ").bind(Arg::Uuid(id));
    Ok(tx.execute(s).await? == 1)
}

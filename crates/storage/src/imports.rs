//! Imports started from the web or the API: one row each, with its status and a JSON
//! detail (options, counts, progress) updated after every batch — so any node can show
//! how far an import is, and an import whose node stopped shows as no longer moving.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::Result;
use crate::db::Database;
use crate::sql::{Arg, Sql};

#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    pub id: Uuid,
    pub object: String,
    pub file_name: String,
    pub status: String,
    pub detail: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, object, file_name, status, detail, created_by, created_at, updated_at";
const KINDS: [ColumnKind; 8] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
];

pub async fn insert(db: &Database, row: &ImportRow) -> Result<()> {
    let mut s = db.sql();
    s.push(&format!("INSERT INTO gx_imports ({COLUMNS}) VALUES ("))
        .bind_list([
            Arg::Uuid(row.id),
            Arg::Text(row.object.clone()),
            Arg::Text(row.file_name.clone()),
            Arg::Text(row.status.clone()),
            Arg::Text(row.detail.clone()),
            Arg::Uuid(row.created_by),
            Arg::DateTime(row.created_at),
            Arg::DateTime(row.updated_at),
        ])
        .push(")");
    db.execute(s).await?;
    Ok(())
}

pub async fn update(db: &Database, id: Uuid, status: &str, detail: &str, now: DateTime<Utc>) -> Result<()> {
    let mut s = db.sql();
    s.push("UPDATE gx_imports SET status = ")
        .bind(Arg::Text(status.into()))
        .push(", detail = ")
        .bind(Arg::Text(detail.into()))
        .push(", updated_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(id));
    db.execute(s).await?;
    Ok(())
}

pub async fn get(db: &Database, id: Uuid) -> Result<Option<ImportRow>> {
    let mut s = db.sql();
    s.push(&format!("SELECT {COLUMNS} FROM gx_imports WHERE id = "))
        .bind(Arg::Uuid(id));
    Ok(decode(db.fetch(s, &KINDS).await?).into_iter().next())
}

/// The newest imports first; of one user when `by` is given.
pub async fn list(db: &Database, by: Option<Uuid>, limit: usize) -> Result<Vec<ImportRow>> {
    let mut s: Sql = db.sql();
    s.push(&format!("SELECT {COLUMNS} FROM gx_imports"));
    if let Some(by) = by {
        s.push(" WHERE created_by = ").bind(Arg::Uuid(by));
    }
    s.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
    Ok(decode(db.fetch(s, &KINDS).await?))
}

fn decode(rows: Vec<Vec<Arg>>) -> Vec<ImportRow> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(ImportRow {
                id: it.next()?.as_uuid()?,
                object: it.next()?.as_text()?.to_string(),
                file_name: it.next()?.as_text()?.to_string(),
                status: it.next()?.as_text()?.to_string(),
                detail: it.next()?.as_text()?.to_string(),
                created_by: it.next()?.as_uuid()?,
                created_at: it.next()?.as_datetime()?,
                updated_at: it.next()?.as_datetime()?,
            })
        })
        .collect()
}

//! Files attached to records (a photo of the broken part, the invoice in question): kept
//! beside the records, not in them, so lists, search and history stay light. The content
//! is stored as base64 text, which both databases keep alike.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::Result;
use crate::db::{Database, Tx};
use crate::sql::{Arg, Sql};
use crate::system::insert_rows;

/// What is known about an attached file, without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub id: Uuid,
    pub object: String,
    pub record_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// Who attached it: a colleague's or a customer's email.
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

const COLS: [&str; 8] = [
    "id",
    "object",
    "record_id",
    "name",
    "content_type",
    "size",
    "uploaded_by",
    "created_at",
];
const KINDS: [ColumnKind; 8] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Int,
    ColumnKind::Text,
    ColumnKind::DateTime,
];

fn decode(row: Vec<Arg>) -> Option<FileRow> {
    let mut it = row.into_iter();
    Some(FileRow {
        id: it.next()?.as_uuid()?,
        object: it.next()?.as_text()?.to_string(),
        record_id: it.next()?.as_uuid()?,
        name: it.next()?.as_text()?.to_string(),
        content_type: it.next()?.as_text()?.to_string(),
        size: it.next()?.as_int()?,
        uploaded_by: it.next()?.as_text()?.to_string(),
        created_at: it.next()?.as_datetime()?,
    })
}

pub async fn put_file(tx: &mut Tx, f: &FileRow, base64: &str) -> Result<()> {
    let mut cols = COLS.to_vec();
    cols.push("data");
    let row = vec![
        Arg::Uuid(f.id),
        Arg::Text(f.object.clone()),
        Arg::Uuid(f.record_id),
        Arg::Text(f.name.clone()),
        Arg::Text(f.content_type.clone()),
        Arg::Int(f.size),
        Arg::Text(f.uploaded_by.clone()),
        Arg::DateTime(f.created_at),
        Arg::Text(base64.into()),
    ];
    insert_rows(tx, "gx_files", &cols, vec![row]).await
}

/// The files attached to a record, oldest first.
pub async fn files(db: &Database, object: &str, record: Uuid) -> Result<Vec<FileRow>> {
    let mut s = Sql::new(db.dialect());
    s.push(&format!(
        "SELECT {} FROM gx_files WHERE object = ",
        COLS.join(", ")
    ))
    .bind(Arg::Text(object.into()))
    .push(" AND record_id = ")
    .bind(Arg::Uuid(record))
    .push(" ORDER BY created_at, id");
    Ok(db
        .fetch(s, &KINDS)
        .await?
        .into_iter()
        .filter_map(decode)
        .collect())
}

/// How many files a record has (inside the writing transaction, for the per-record limit).
pub async fn count(tx: &mut Tx, object: &str, record: Uuid) -> Result<i64> {
    let mut s = tx.sql();
    s.push("SELECT COUNT(*) FROM gx_files WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record));
    let rows = tx.fetch(s, &[ColumnKind::Int]).await?;
    Ok(rows.first().and_then(|r| r[0].as_int()).unwrap_or(0))
}

/// One file with its content (base64).
pub async fn file(db: &Database, id: Uuid) -> Result<Option<(FileRow, String)>> {
    let mut s = Sql::new(db.dialect());
    s.push(&format!(
        "SELECT {}, data FROM gx_files WHERE id = ",
        COLS.join(", ")
    ))
    .bind(Arg::Uuid(id));
    let mut kinds = KINDS.to_vec();
    kinds.push(ColumnKind::Text);
    let mut rows = db.fetch(s, &kinds).await?;
    let Some(mut row) = rows.pop() else {
        return Ok(None);
    };
    let data = row.pop().and_then(|d| d.as_text().map(str::to_string));
    Ok(decode(row).zip(data))
}

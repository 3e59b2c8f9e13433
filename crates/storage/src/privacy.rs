//! What erasing a person takes out of the database beyond their row: the old values in
//! field history, their channel preferences and consent log. The row itself is
//! anonymised with [`scrub`], which — unlike a normal update — also reaches records in
//! the recycle bin.

use chrono::{DateTime, Utc};
use guanxi_core::values::Value;
use guanxi_core::{FieldDef, ObjectDef};
use uuid::Uuid;

use crate::Result;
use crate::db::Tx;
use crate::records::field_args;
use crate::sql::Arg;

/// Sets `changes` on a record, live or binned, at `expected_version`; moves its version
/// on. Returns whether the record was at that version.
pub async fn scrub(
    tx: &mut Tx,
    object: &ObjectDef,
    id: Uuid,
    expected_version: i64,
    changes: &[(&FieldDef, &Value)],
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE ").ident(&object.table).push(" SET ");
    for (field, value) in changes {
        let args = field_args(field, value);
        for ((name, _), arg) in crate::schema::field_columns(field).into_iter().zip(args) {
            s.ident(&name).push(" = ").bind(arg).push(", ");
        }
    }
    s.ident("updated_at")
        .push(" = ")
        .bind(Arg::DateTime(now))
        .push(", ");
    s.ident("version")
        .push(" = ")
        .ident("version")
        .push(" + 1 WHERE ")
        .ident("id")
        .push(" = ")
        .bind(Arg::Uuid(id))
        .push(" AND ")
        .ident("version")
        .push(" = ")
        .bind(Arg::Int(expected_version));
    Ok(tx.execute(s).await? == 1)
}

/// Removes a record's field history: every row, or only the rows of `fields`.
/// Returns how many rows went.
pub async fn delete_history(
    tx: &mut Tx,
    object: &str,
    record_id: Uuid,
    fields: Option<&[String]>,
) -> Result<u64> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_field_history WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    if let Some(fields) = fields {
        if fields.is_empty() {
            return Ok(0);
        }
        s.push(" AND field IN (");
        s.bind_list(fields.iter().map(|f| Arg::Text(f.clone()))).push(")");
    }
    tx.execute(s).await
}

/// Removes a contact's channel preferences and consent log. Returns how many consent
/// entries went.
pub async fn delete_channel_data(tx: &mut Tx, contact: Uuid) -> Result<u64> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_channel_preferences WHERE contact_id = ")
        .bind(Arg::Uuid(contact));
    tx.execute(s).await?;
    let mut s = tx.sql();
    s.push("DELETE FROM gx_consents WHERE contact_id = ")
        .bind(Arg::Uuid(contact));
    tx.execute(s).await
}

/// Removes the merges a record took part in (as survivor or as merged record): they hold
/// the values the records had before. The audit trail keeps that the merge happened.
pub async fn delete_merges_of(tx: &mut Tx, object: &str, record_id: Uuid) -> Result<u64> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_merges WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND (survivor_id = ")
        .bind(Arg::Uuid(record_id))
        .push(" OR definition LIKE ")
        .bind(Arg::Text(format!("%{record_id}%")))
        .push(")");
    tx.execute(s).await
}

/// Removes the files attached to a record (a person's photo or ID scan go with them).
pub async fn delete_files(tx: &mut Tx, object: &str, record_id: Uuid) -> Result<u64> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_files WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    tx.execute(s).await
}

//! Mail waiting to be sent: written in the same transaction as what it tells of, sent by
//! a worker on any node (each message claimed by one node at a time), retried with
//! growing pauses, kept with its outcome for administrators to see.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::Result;
use crate::db::{Database, Tx};
use crate::sql::{Arg, Sql};
use crate::system::insert_rows;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// What the mail is (`portal.invitation`, …), for the outbox page.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

const COLS: [&str; 10] = [
    "id",
    "to_address",
    "subject",
    "body",
    "kind",
    "created_at",
    "next_attempt_at",
    "attempts",
    "sent_at",
    "last_error",
];
const KINDS: [ColumnKind; 10] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
    ColumnKind::Int,
    ColumnKind::DateTime,
    ColumnKind::Text,
];

fn decode(row: Vec<Arg>) -> Option<MailRow> {
    let mut it = row.into_iter();
    Some(MailRow {
        id: it.next()?.as_uuid()?,
        to_address: it.next()?.as_text()?.to_string(),
        subject: it.next()?.as_text()?.to_string(),
        body: it.next()?.as_text()?.to_string(),
        kind: it.next()?.as_text()?.to_string(),
        created_at: it.next()?.as_datetime()?,
        next_attempt_at: it.next()?.as_datetime()?,
        attempts: it.next()?.as_int()?,
        sent_at: it.next()?.as_datetime(),
        last_error: it.next()?.as_text().map(str::to_string),
    })
}

pub async fn enqueue(tx: &mut Tx, m: &MailRow) -> Result<()> {
    let row = vec![
        Arg::Uuid(m.id),
        Arg::Text(m.to_address.clone()),
        Arg::Text(m.subject.clone()),
        Arg::Text(m.body.clone()),
        Arg::Text(m.kind.clone()),
        Arg::DateTime(m.created_at),
        Arg::DateTime(m.next_attempt_at),
        Arg::Int(m.attempts),
        Arg::Null(ColumnKind::DateTime),
        Arg::Null(ColumnKind::Text),
    ];
    insert_rows(tx, "gx_outbox", &COLS, vec![row]).await
}

async fn fetch(db: &Database, s: Sql) -> Result<Vec<MailRow>> {
    Ok(db
        .fetch(s, &KINDS)
        .await?
        .into_iter()
        .filter_map(decode)
        .collect())
}

/// Unsent mail due by `now` that has attempts left, oldest first.
pub async fn due(db: &Database, now: DateTime<Utc>, max_attempts: i64, limit: i64) -> Result<Vec<MailRow>> {
    let mut s = Sql::new(db.dialect());
    s.push(&format!(
        "SELECT {} FROM gx_outbox WHERE sent_at IS NULL AND next_attempt_at <= ",
        COLS.join(", ")
    ))
    .bind(Arg::DateTime(now))
    .push(" AND attempts < ")
    .bind(Arg::Int(max_attempts))
    .push(" ORDER BY next_attempt_at, id LIMIT ")
    .bind(Arg::Int(limit));
    fetch(db, s).await
}

/// Takes a due message for this node until `until`: true when no other node took it
/// first (its attempt time is still the one read).
pub async fn claim(db: &Database, m: &MailRow, until: DateTime<Utc>) -> Result<bool> {
    let mut s = Sql::new(db.dialect());
    s.push("UPDATE gx_outbox SET next_attempt_at = ")
        .bind(Arg::DateTime(until))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(m.id))
        .push(" AND sent_at IS NULL AND next_attempt_at = ")
        .bind(Arg::DateTime(m.next_attempt_at));
    Ok(db.execute(s).await? == 1)
}

pub async fn mark_sent(db: &Database, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    let mut s = Sql::new(db.dialect());
    s.push("UPDATE gx_outbox SET sent_at = ")
        .bind(Arg::DateTime(at))
        .push(", attempts = attempts + 1, last_error = NULL WHERE id = ")
        .bind(Arg::Uuid(id));
    db.execute(s).await?;
    Ok(())
}

/// A failed attempt: why, and when to try again.
pub async fn mark_failed(db: &Database, id: Uuid, error: &str, next: DateTime<Utc>) -> Result<()> {
    let mut s = Sql::new(db.dialect());
    s.push("UPDATE gx_outbox SET attempts = attempts + 1, last_error = ")
        .bind(Arg::Text(error.chars().take(1000).collect()))
        .push(", next_attempt_at = ")
        .bind(Arg::DateTime(next))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(id));
    db.execute(s).await?;
    Ok(())
}

/// The newest messages, for the outbox page.
pub async fn recent(db: &Database, limit: i64) -> Result<Vec<MailRow>> {
    let mut s = Sql::new(db.dialect());
    s.push(&format!(
        "SELECT {} FROM gx_outbox ORDER BY created_at DESC, id DESC LIMIT ",
        COLS.join(", ")
    ))
    .bind(Arg::Int(limit));
    fetch(db, s).await
}

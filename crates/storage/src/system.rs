//! The system tables: users, API tokens, custom metadata definitions, field history,
//! the change feed and settings. Plain SQL over fixed tables, same on both engines.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::sql::{Arg, Sql, first_int};
use crate::{Result, StorageError};

/// Multi-row INSERT in chunks under the bind limits.
pub async fn insert_rows(tx: &mut Tx, table: &str, cols: &[&str], rows: Vec<Vec<Arg>>) -> Result<()> {
    let per_chunk = (30_000 / cols.len().max(1)).clamp(1, 1000);
    let mut rows = rows.into_iter().peekable();
    tx.execute_built(|dialect| {
        rows.peek()?;
        let mut s = Sql::new(dialect);
        s.insert_into(table).push(" (");
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.ident(c);
        }
        s.push(") VALUES ");
        for (r, row) in rows.by_ref().take(per_chunk).enumerate() {
            if r > 0 {
                s.push(", ");
            }
            s.push("(").bind_list(row).push(")");
        }
        Some(s)
    })
    .await
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub is_admin: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub role_id: Option<Uuid>,
    /// internal | partner | portal
    pub kind: String,
    /// For partner users: the account record of the partner they work for.
    pub partner_account_id: Option<Uuid>,
    /// ISO 4217 code new amounts are entered in.
    pub currency: String,
}

const USER_COLS: &str = "u.id, u.email, u.name, u.password_hash, u.locale, u.time_zone, u.is_admin, u.active, u.created_at, u.updated_at, u.role_id, u.kind, u.partner_account_id, u.currency";
const USER_KINDS: [ColumnKind; 14] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Bool,
    ColumnKind::Bool,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::Text,
];

fn user_from(row: Vec<Arg>) -> Option<UserRow> {
    let mut it = row.into_iter();
    Some(UserRow {
        id: it.next()?.as_uuid()?,
        email: it.next()?.as_text()?.to_string(),
        name: it.next()?.as_text()?.to_string(),
        password_hash: it.next()?.as_text().map(str::to_string),
        locale: it.next()?.as_text()?.to_string(),
        time_zone: it.next()?.as_text()?.to_string(),
        is_admin: it.next()?.as_bool()?,
        active: it.next()?.as_bool()?,
        created_at: it.next()?.as_datetime()?,
        updated_at: it.next()?.as_datetime()?,
        role_id: it.next()?.as_uuid(),
        kind: it.next()?.as_text()?.to_string(),
        partner_account_id: it.next()?.as_uuid(),
        currency: it.next()?.as_text()?.to_string(),
    })
}

pub async fn insert_user(tx: &mut Tx, u: &UserRow) -> Result<()> {
    let row = vec![
        Arg::Uuid(u.id),
        Arg::Text(u.email.clone()),
        Arg::Text(u.name.clone()),
        Arg::opt_text(u.password_hash.clone()),
        Arg::Text(u.locale.clone()),
        Arg::Text(u.time_zone.clone()),
        Arg::Bool(u.is_admin),
        Arg::Bool(u.active),
        Arg::DateTime(u.created_at),
        Arg::DateTime(u.updated_at),
        Arg::opt_uuid(u.role_id),
        Arg::Text(u.kind.clone()),
        Arg::opt_uuid(u.partner_account_id),
        Arg::Text(u.currency.clone()),
    ];
    let cols = [
        "id",
        "email",
        "name",
        "password_hash",
        "locale",
        "time_zone",
        "is_admin",
        "active",
        "created_at",
        "updated_at",
        "role_id",
        "kind",
        "partner_account_id",
        "currency",
    ];
    insert_rows(tx, "gx_users", &cols, vec![row]).await
}

pub async fn user_by_email(db: &Database, email: &str) -> Result<Option<UserRow>> {
    let mut s = db.sql();
    s.push(&format!("SELECT {USER_COLS} FROM gx_users u WHERE u.email = "))
        .bind(Arg::Text(email.to_lowercase()));
    Ok(db
        .fetch(s, &USER_KINDS)
        .await?
        .into_iter()
        .next()
        .and_then(user_from))
}

pub async fn user_by_id(db: &Database, id: Uuid) -> Result<Option<UserRow>> {
    let mut s = db.sql();
    s.push(&format!("SELECT {USER_COLS} FROM gx_users u WHERE u.id = "))
        .bind(Arg::Uuid(id));
    Ok(db
        .fetch(s, &USER_KINDS)
        .await?
        .into_iter()
        .next()
        .and_then(user_from))
}

pub async fn count_users(db: &Database) -> Result<i64> {
    let rows = db
        .fetch(
            Sql::with(db.dialect(), "SELECT COUNT(*) FROM gx_users"),
            &[ColumnKind::Int],
        )
        .await?;
    Ok(first_int(&rows).unwrap_or(0))
}

/// Which of `ids` are active users.
pub async fn active_user_ids(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        s.push("SELECT id FROM gx_users WHERE active = ")
            .bind(Arg::Bool(true))
            .push(" AND id IN (");
        s.bind_list(chunk.iter().map(|u| Arg::Uuid(*u))).push(")");
        out.extend(
            tx.fetch(s, &[ColumnKind::Uuid])
                .await?
                .into_iter()
                .filter_map(|r| r.first().and_then(Arg::as_uuid)),
        );
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
pub struct TokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub token_hash: String,
    /// The first characters of the token, to tell tokens apart in lists.
    pub prefix: String,
    /// Comma-separated: read, write, admin.
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a request last came with it (to a minute or so; see `touch_token`).
    pub last_used_at: Option<DateTime<Utc>>,
}

const TOKEN_COLS: [&str; 10] = [
    "id",
    "user_id",
    "name",
    "token_hash",
    "prefix",
    "scopes",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
];
const TOKEN_KINDS: [ColumnKind; 10] = [
    ColumnKind::Uuid,
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
    ColumnKind::DateTime,
];

fn token_from(row: Vec<Arg>) -> Option<TokenRow> {
    let mut it = row.into_iter();
    Some(TokenRow {
        id: it.next()?.as_uuid()?,
        user_id: it.next()?.as_uuid()?,
        name: it.next()?.as_text()?.to_string(),
        token_hash: it.next()?.as_text()?.to_string(),
        prefix: it.next()?.as_text()?.to_string(),
        scopes: it.next()?.as_text()?.to_string(),
        created_at: it.next()?.as_datetime()?,
        expires_at: it.next()?.as_datetime(),
        revoked_at: it.next()?.as_datetime(),
        last_used_at: it.next()?.as_datetime(),
    })
}

pub async fn insert_token(tx: &mut Tx, t: &TokenRow) -> Result<()> {
    let row = vec![
        Arg::Uuid(t.id),
        Arg::Uuid(t.user_id),
        Arg::Text(t.name.clone()),
        Arg::Text(t.token_hash.clone()),
        Arg::Text(t.prefix.clone()),
        Arg::Text(t.scopes.clone()),
        Arg::DateTime(t.created_at),
        Arg::opt_datetime(t.expires_at),
        Arg::opt_datetime(t.revoked_at),
        Arg::opt_datetime(t.last_used_at),
    ];
    insert_rows(tx, "gx_api_tokens", &TOKEN_COLS, vec![row]).await
}

/// The tokens of one user, newest first (hashes included; callers must not show them).
pub async fn tokens_of(db: &Database, user_id: Uuid) -> Result<Vec<TokenRow>> {
    let mut s = db.sql();
    s.push(&format!(
        "SELECT {} FROM gx_api_tokens WHERE user_id = ",
        TOKEN_COLS.join(", ")
    ));
    s.bind(Arg::Uuid(user_id)).push(" ORDER BY id DESC");
    Ok(db
        .fetch(s, &TOKEN_KINDS)
        .await?
        .into_iter()
        .filter_map(token_from)
        .collect())
}

/// Revokes a live token of `user_id`; false when there is no such live token.
pub async fn revoke_token(tx: &mut Tx, user_id: Uuid, token_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_api_tokens SET revoked_at = ")
        .bind(Arg::DateTime(now));
    s.push(" WHERE id = ")
        .bind(Arg::Uuid(token_id))
        .push(" AND user_id = ")
        .bind(Arg::Uuid(user_id));
    s.push(" AND revoked_at IS NULL");
    Ok(tx.execute(s).await? == 1)
}

/// A live token found by its hash: its user, scopes, id and when it was last used.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveToken {
    pub user: UserRow,
    pub scopes: String,
    pub id: Uuid,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The active user holding a live (unrevoked, unexpired) token with this hash, and the
/// token's scopes.
pub async fn user_for_token(
    db: &Database,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LiveToken>> {
    let mut s = db.sql();
    s.push(&format!(
        "SELECT {USER_COLS}, t.scopes, t.id, t.last_used_at FROM gx_api_tokens t JOIN gx_users u ON u.id = t.user_id \
         WHERE t.token_hash = "
    ));
    s.bind(Arg::Text(token_hash.into()));
    s.push(" AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ");
    s.bind(Arg::DateTime(now))
        .push(") AND u.active = ")
        .bind(Arg::Bool(true));
    let mut kinds = USER_KINDS.to_vec();
    kinds.extend([ColumnKind::Text, ColumnKind::Uuid, ColumnKind::DateTime]);
    let Some(mut row) = db.fetch(s, &kinds).await?.into_iter().next() else {
        return Ok(None);
    };
    let last_used_at = row.pop().and_then(|a| a.as_datetime());
    let id = row.pop().and_then(|a| a.as_uuid());
    let scopes = row
        .pop()
        .and_then(|a| a.as_text().map(str::to_string))
        .unwrap_or_default();
    Ok(user_from(row).zip(id).map(|(user, id)| LiveToken {
        user,
        scopes,
        id,
        last_used_at,
    }))
}

/// Notes that a token was used now.
pub async fn touch_token(db: &Database, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let mut s = db.sql();
    s.push("UPDATE gx_api_tokens SET last_used_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(id));
    db.execute(s).await?;
    Ok(())
}

/// A signed-in browser: the cookie's hash, its CSRF token, its lifetime.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    let cols = [
        "id",
        "user_id",
        "token_hash",
        "csrf",
        "created_at",
        "expires_at",
        "revoked_at",
        "ip",
        "user_agent",
    ];
    let row = vec![
        Arg::Uuid(s.id),
        Arg::Uuid(s.user_id),
        Arg::Text(s.token_hash.clone()),
        Arg::Text(s.csrf.clone()),
        Arg::DateTime(s.created_at),
        Arg::DateTime(s.expires_at),
        Arg::opt_datetime(s.revoked_at),
        Arg::opt_text(s.ip.clone()),
        Arg::opt_text(s.user_agent.clone()),
    ];
    insert_rows(tx, "gx_sessions", &cols, vec![row]).await
}

/// The active user of a live session with this cookie hash, with the session's id and CSRF token.
pub async fn user_for_session(
    db: &Database,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(UserRow, Uuid, String)>> {
    let mut s = db.sql();
    s.push(&format!(
        "SELECT {USER_COLS}, x.id, x.csrf FROM gx_sessions x JOIN gx_users u ON u.id = x.user_id WHERE x.token_hash = "
    ));
    s.bind(Arg::Text(token_hash.into()))
        .push(" AND x.revoked_at IS NULL AND x.expires_at > ");
    s.bind(Arg::DateTime(now))
        .push(" AND u.active = ")
        .bind(Arg::Bool(true));
    let mut kinds = USER_KINDS.to_vec();
    kinds.extend([ColumnKind::Uuid, ColumnKind::Text]);
    let Some(mut row) = db.fetch(s, &kinds).await?.into_iter().next() else {
        return Ok(None);
    };
    let csrf = row
        .pop()
        .and_then(|a| a.as_text().map(str::to_string))
        .unwrap_or_default();
    let id = row.pop().and_then(|a| a.as_uuid()).unwrap_or_default();
    Ok(user_from(row).map(|u| (u, id, csrf)))
}

/// Ends one session (`session` given) or every live session of the user; returns how many.
pub async fn revoke_sessions(
    tx: &mut Tx,
    user_id: Uuid,
    session: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut s = tx.sql();
    s.push("UPDATE gx_sessions SET revoked_at = ")
        .bind(Arg::DateTime(now));
    s.push(" WHERE user_id = ")
        .bind(Arg::Uuid(user_id))
        .push(" AND revoked_at IS NULL");
    if let Some(id) = session {
        s.push(" AND id = ").bind(Arg::Uuid(id));
    }
    tx.execute(s).await
}

/// How many entries with `action` for this email since `since` (sign-in failures).
pub async fn count_audit_for_email(
    db: &Database,
    email: &str,
    action: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    let mut s = db.sql();
    s.push("SELECT COUNT(*) FROM gx_audit WHERE actor_email = ")
        .bind(Arg::Text(email.into()));
    s.push(" AND action = ")
        .bind(Arg::Text(action.into()))
        .push(" AND at >= ")
        .bind(Arg::DateTime(since));
    let rows = db.fetch(s, &[ColumnKind::Int]).await?;
    Ok(first_int(&rows).unwrap_or(0))
}

/// When `action` last happened for this email (the last successful sign-in).
pub async fn last_audit_for_email(db: &Database, email: &str, action: &str) -> Result<Option<DateTime<Utc>>> {
    let mut s = db.sql();
    s.push("SELECT MAX(at) FROM gx_audit WHERE actor_email = ")
        .bind(Arg::Text(email.into()));
    s.push(" AND action = ").bind(Arg::Text(action.into()));
    let rows = db.fetch(s, &[ColumnKind::DateTime]).await?;
    Ok(rows.first().and_then(|r| r.first()).and_then(Arg::as_datetime))
}

/// One entry of the audit trail: who did what, when, from where.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    pub actor_email: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object: Option<String>,
    pub record_id: Option<Uuid>,
    /// JSON object with what else matters for the action.
    pub detail: String,
}

const AUDIT_COLS: [&str; 9] = [
    "id",
    "at",
    "actor",
    "actor_email",
    "ip",
    "action",
    "object",
    "record_id",
    "detail",
];
const AUDIT_KINDS: [ColumnKind; 9] = [
    ColumnKind::Uuid,
    ColumnKind::DateTime,
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Uuid,
    ColumnKind::Text,
];

pub async fn insert_audit(tx: &mut Tx, rows: &[AuditRow]) -> Result<()> {
    let rows = rows
        .iter()
        .map(|a| {
            vec![
                Arg::Uuid(a.id),
                Arg::DateTime(a.at),
                Arg::opt_uuid(a.actor),
                Arg::opt_text(a.actor_email.clone()),
                Arg::opt_text(a.ip.clone()),
                Arg::Text(a.action.clone()),
                Arg::opt_text(a.object.clone()),
                Arg::opt_uuid(a.record_id),
                Arg::Text(a.detail.clone()),
            ]
        })
        .collect();
    insert_rows(tx, "gx_audit", &AUDIT_COLS, rows).await
}

/// Which audit entries to read: newest first, before `before` (an entry id).
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<Uuid>,
    pub record_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<Uuid>,
    pub limit: usize,
}

pub async fn audit(db: &Database, q: &AuditQuery) -> Result<Vec<AuditRow>> {
    let mut s = db.sql();
    s.push(&format!(
        "SELECT {} FROM gx_audit WHERE 1 = 1",
        AUDIT_COLS.join(", ")
    ));
    if let Some(a) = &q.action {
        s.push(" AND action = ").bind(Arg::Text(a.clone()));
    }
    if let Some(a) = q.actor {
        s.push(" AND actor = ").bind(Arg::Uuid(a));
    }
    if let Some(r) = q.record_id {
        s.push(" AND record_id = ").bind(Arg::Uuid(r));
    }
    if let Some(t) = q.since {
        s.push(" AND at >= ").bind(Arg::DateTime(t));
    }
    if let Some(t) = q.until {
        s.push(" AND at < ").bind(Arg::DateTime(t));
    }
    if let Some(b) = q.before {
        s.push(" AND id < ").bind(Arg::Uuid(b));
    }
    s.push(" ORDER BY id DESC LIMIT ").push(&q.limit.to_string());
    Ok(db
        .fetch(s, &AUDIT_KINDS)
        .await?
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(AuditRow {
                id: it.next()?.as_uuid()?,
                at: it.next()?.as_datetime()?,
                actor: it.next()?.as_uuid(),
                actor_email: it.next()?.as_text().map(str::to_string),
                ip: it.next()?.as_text().map(str::to_string),
                action: it.next()?.as_text()?.to_string(),
                object: it.next()?.as_text().map(str::to_string),
                record_id: it.next()?.as_uuid(),
                detail: it.next()?.as_text()?.to_string(),
            })
        })
        .collect())
}

/// One entry of a record's field history; `field` is `None` for whole-record operations.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub id: Uuid,
    pub object: String,
    pub record_id: Uuid,
    pub operation: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub actor: Uuid,
    pub at: DateTime<Utc>,
}

pub async fn insert_history(tx: &mut Tx, rows: &[HistoryRow]) -> Result<()> {
    let cols = [
        "id",
        "object",
        "record_id",
        "operation",
        "field",
        "old_value",
        "new_value",
        "actor",
        "at",
    ];
    let rows = rows
        .iter()
        .map(|h| {
            vec![
                Arg::Uuid(h.id),
                Arg::Text(h.object.clone()),
                Arg::Uuid(h.record_id),
                Arg::Text(h.operation.clone()),
                Arg::opt_text(h.field.clone()),
                Arg::opt_text(h.old_value.clone()),
                Arg::opt_text(h.new_value.clone()),
                Arg::Uuid(h.actor),
                Arg::DateTime(h.at),
            ]
        })
        .collect();
    insert_rows(tx, "gx_field_history", &cols, rows).await
}

pub async fn history(db: &Database, object: &str, record_id: Uuid, limit: usize) -> Result<Vec<HistoryRow>> {
    let mut s = db.sql();
    s.push("SELECT id, object, record_id, operation, field, old_value, new_value, actor, at FROM gx_field_history WHERE object = ");
    s.bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    s.push(" ORDER BY at DESC, id DESC LIMIT ")
        .push(&limit.to_string());
    let kinds = [
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Text,
        ColumnKind::Text,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::DateTime,
    ];
    let rows = db.fetch(s, &kinds).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(HistoryRow {
                id: it.next()?.as_uuid()?,
                object: it.next()?.as_text()?.to_string(),
                record_id: it.next()?.as_uuid()?,
                operation: it.next()?.as_text()?.to_string(),
                field: it.next()?.as_text().map(str::to_string),
                old_value: it.next()?.as_text().map(str::to_string),
                new_value: it.next()?.as_text().map(str::to_string),
                actor: it.next()?.as_uuid()?,
                at: it.next()?.as_datetime()?,
            })
        })
        .collect())
}

/// A change-feed event: what happened to which record, and which fields changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRow {
    pub id: Uuid,
    pub object: String,
    pub record_id: Uuid,
    pub operation: String,
    pub actor: Uuid,
    /// JSON array of the changed field names.
    pub fields: String,
    pub at: DateTime<Utc>,
}

pub async fn insert_changes(tx: &mut Tx, rows: &[ChangeRow]) -> Result<()> {
    let cols = ["id", "object", "record_id", "operation", "actor", "fields", "at"];
    let rows = rows
        .iter()
        .map(|c| {
            vec![
                Arg::Uuid(c.id),
                Arg::Text(c.object.clone()),
                Arg::Uuid(c.record_id),
                Arg::Text(c.operation.clone()),
                Arg::Uuid(c.actor),
                Arg::Text(c.fields.clone()),
                Arg::DateTime(c.at),
            ]
        })
        .collect();
    insert_rows(tx, "gx_changes", &cols, rows).await
}

/// Events of one record, oldest first.
pub async fn changes_for(db: &Database, object: &str, record_id: Uuid) -> Result<Vec<(i64, ChangeRow)>> {
    let mut s = db.sql();
    s.push("SELECT seq, id, object, record_id, operation, actor, fields, at FROM gx_changes WHERE object = ");
    s.bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id))
        .push(" ORDER BY seq");
    let kinds = [
        ColumnKind::Int,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::DateTime,
    ];
    let rows = db.fetch(s, &kinds).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            let seq = it.next()?.as_int()?;
            Some((
                seq,
                ChangeRow {
                    id: it.next()?.as_uuid()?,
                    object: it.next()?.as_text()?.to_string(),
                    record_id: it.next()?.as_uuid()?,
                    operation: it.next()?.as_text()?.to_string(),
                    actor: it.next()?.as_uuid()?,
                    fields: it.next()?.as_text()?.to_string(),
                    at: it.next()?.as_datetime()?,
                },
            ))
        })
        .collect())
}

/// Stored definitions (JSON) of custom objects, and of custom fields with their object.
pub async fn custom_definitions(db: &Database) -> Result<(Vec<String>, Vec<(String, String)>)> {
    let objects = db
        .fetch(
            Sql::with(
                db.dialect(),
                "SELECT definition FROM gx_custom_objects ORDER BY created_at, name",
            ),
            &[ColumnKind::Text],
        )
        .await?
        .into_iter()
        .filter_map(|r| r.first().and_then(|a| a.as_text().map(str::to_string)))
        .collect();
    let fields = db
        .fetch(
            Sql::with(
                db.dialect(),
                "SELECT object, definition FROM gx_custom_fields ORDER BY created_at, name",
            ),
            &[ColumnKind::Text, ColumnKind::Text],
        )
        .await?
        .into_iter()
        .filter_map(|r| {
            Some((
                r.first()?.as_text()?.to_string(),
                r.get(1)?.as_text()?.to_string(),
            ))
        })
        .collect();
    Ok((objects, fields))
}

pub async fn insert_custom_object(
    tx: &mut Tx,
    name: &str,
    definition: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_definition(tx, "gx_custom_objects", &[("name", name)], definition, actor, now).await
}

pub async fn insert_custom_field(
    tx: &mut Tx,
    object: &str,
    name: &str,
    definition: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_definition(
        tx,
        "gx_custom_fields",
        &[("object", object), ("name", name)],
        definition,
        actor,
        now,
    )
    .await
}

/// One metadata definition row: its key columns, the JSON definition, who and when.
async fn insert_definition(
    tx: &mut Tx,
    table: &str,
    keys: &[(&str, &str)],
    definition: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut cols: Vec<&str> = keys.iter().map(|(c, _)| *c).collect();
    cols.extend(["definition", "created_at", "created_by"]);
    let mut row: Vec<Arg> = keys.iter().map(|(_, v)| Arg::Text((*v).into())).collect();
    row.extend([Arg::Text(definition.into()), Arg::DateTime(now), Arg::Uuid(actor)]);
    insert_rows(tx, table, &cols, vec![row]).await
}

async fn bump_counter(tx: &mut Tx, key: &str) -> Result<()> {
    let mut s = tx.sql();
    let cast = match tx.dialect() {
        crate::Dialect::Sqlite => "CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        crate::Dialect::Postgres => "(value::bigint + 1)::text",
    };
    s.push(&format!("UPDATE gx_settings SET value = {cast} WHERE key = "))
        .bind(Arg::Text(key.into()));
    tx.execute(s).await?;
    Ok(())
}

async fn counter(db: &Database, key: &str) -> Result<String> {
    let mut s = db.sql();
    s.push("SELECT value FROM gx_settings WHERE key = ")
        .bind(Arg::Text(key.into()));
    let rows = db.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(|a| a.as_text().map(str::to_string))
        .unwrap_or_default())
}

/// Bumped whenever metadata changes, so other nodes know to reload it.
pub async fn bump_meta_version(tx: &mut Tx) -> Result<()> {
    bump_counter(tx, "meta_version").await
}

pub async fn meta_version(db: &Database) -> Result<String> {
    counter(db, "meta_version").await
}

/// Bumped whenever anything access depends on changes (roles, users, teams, rules…).
pub async fn bump_permission_version(tx: &mut Tx) -> Result<()> {
    bump_counter(tx, "permission_version").await
}

pub async fn permission_version(db: &Database) -> Result<String> {
    counter(db, "permission_version").await
}

/// Bumped by every definition saved or deleted, so nodes that keep some in memory know
/// to read them again.
pub async fn definition_version(db: &Database) -> Result<String> {
    counter(db, "definition_version").await
}

/// A role in the hierarchy: a manager's role is the parent of their reports' roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRow {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
}

pub async fn insert_role(tx: &mut Tx, r: &RoleRow, now: DateTime<Utc>) -> Result<()> {
    let row = vec![
        Arg::Uuid(r.id),
        Arg::Text(r.name.clone()),
        Arg::opt_uuid(r.parent_id),
        Arg::DateTime(now),
    ];
    insert_rows(
        tx,
        "gx_roles",
        &["id", "name", "parent_id", "created_at"],
        vec![row],
    )
    .await
}

pub async fn roles(db: &Database) -> Result<Vec<RoleRow>> {
    let sql = Sql::with(
        db.dialect(),
        "SELECT id, name, parent_id FROM gx_roles ORDER BY name",
    );
    let rows = db
        .fetch(sql, &[ColumnKind::Uuid, ColumnKind::Text, ColumnKind::Uuid])
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(RoleRow {
                id: it.next()?.as_uuid()?,
                name: it.next()?.as_text()?.to_string(),
                parent_id: it.next()?.as_uuid(),
            })
        })
        .collect())
}

/// Every user with the role they hold (if any).
pub async fn user_roles(db: &Database) -> Result<Vec<(Uuid, Option<Uuid>)>> {
    let sql = Sql::with(
        db.dialect(),
        "SELECT id, role_id FROM gx_users WHERE active = TRUE",
    );
    let rows = db.fetch(sql, &[ColumnKind::Uuid, ColumnKind::Uuid]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.first()?.as_uuid()?, r.get(1)?.as_uuid())))
        .collect())
}

pub async fn users(db: &Database) -> Result<Vec<UserRow>> {
    let sql = Sql::with(
        db.dialect(),
        &format!("SELECT {USER_COLS} FROM gx_users u ORDER BY u.email"),
    );
    Ok(db
        .fetch(sql, &USER_KINDS)
        .await?
        .into_iter()
        .filter_map(user_from)
        .collect())
}

pub async fn set_user_role(tx: &mut Tx, user: Uuid, role: Option<Uuid>, now: DateTime<Utc>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_users SET role_id = ")
        .bind(Arg::opt_uuid(role))
        .push(", updated_at = ")
        .bind(Arg::DateTime(now));
    s.push(" WHERE id = ").bind(Arg::Uuid(user));
    Ok(tx.execute(s).await? == 1)
}

/// The organisation-wide default of an object, as stored (`None`: never set).
pub async fn object_sharing(db: &Database, object: &str) -> Result<Option<String>> {
    let mut s = db.sql();
    s.push("SELECT sharing FROM gx_object_sharing WHERE object = ")
        .bind(Arg::Text(object.into()));
    let rows = db.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(|a| a.as_text().map(str::to_string)))
}

pub async fn set_object_sharing(tx: &mut Tx, object: &str, sharing: &str) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_object_sharing (object, sharing) VALUES (")
        .bind(Arg::Text(object.into()))
        .push(", ");
    s.bind(Arg::Text(sharing.into()))
        .push(") ON CONFLICT (object) DO UPDATE SET sharing = excluded.sharing");
    tx.execute(s).await?;
    Ok(())
}

/// A role's permissions on an object: read, create, edit, delete, view all, modify all.
pub async fn role_permissions(db: &Database, role: Uuid, object: &str) -> Result<Option<[bool; 6]>> {
    let mut s = db.sql();
    s.push("SELECT can_read, can_create, can_edit, can_delete, view_all, modify_all FROM gx_role_permissions WHERE role_id = ");
    s.bind(Arg::Uuid(role))
        .push(" AND object = ")
        .bind(Arg::Text(object.into()));
    let rows = db.fetch(s, &[ColumnKind::Bool; 6]).await?;
    Ok(rows.into_iter().next().map(|r| {
        let mut out = [false; 6];
        for (o, a) in out.iter_mut().zip(r) {
            *o = a.as_bool().unwrap_or(false);
        }
        out
    }))
}

pub async fn set_role_permissions(tx: &mut Tx, role: Uuid, object: &str, p: [bool; 6]) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_role_permissions (role_id, object, can_read, can_create, can_edit, can_delete, view_all, modify_all) VALUES (");
    s.bind(Arg::Uuid(role))
        .push(", ")
        .bind(Arg::Text(object.into()))
        .push(", ");
    s.bind_list(p.iter().map(|b| Arg::Bool(*b)));
    s.push(") ON CONFLICT (role_id, object) DO UPDATE SET can_read = excluded.can_read, can_create = excluded.can_create, \
            can_edit = excluded.can_edit, can_delete = excluded.can_delete, view_all = excluded.view_all, modify_all = excluded.modify_all");
    tx.execute(s).await?;
    Ok(())
}

/// Every active user with what access depends on: role, kind, partner account.
pub async fn user_facts(db: &Database) -> Result<Vec<(Uuid, Option<Uuid>, String, Option<Uuid>)>> {
    let sql = Sql::with(
        db.dialect(),
        "SELECT id, role_id, kind, partner_account_id FROM gx_users WHERE active = TRUE",
    );
    let rows = db
        .fetch(
            sql,
            &[
                ColumnKind::Uuid,
                ColumnKind::Uuid,
                ColumnKind::Text,
                ColumnKind::Uuid,
            ],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some((
                it.next()?.as_uuid()?,
                it.next()?.as_uuid(),
                it.next()?.as_text()?.to_string(),
                it.next()?.as_uuid(),
            ))
        })
        .collect())
}

pub async fn set_user_kind(
    tx: &mut Tx,
    user: Uuid,
    kind: &str,
    partner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_users SET kind = ")
        .bind(Arg::Text(kind.into()))
        .push(", partner_account_id = ")
        .bind(Arg::opt_uuid(partner));
    s.push(", updated_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(user));
    Ok(tx.execute(s).await? == 1)
}

/// Every organisation-wide default that was set.
pub async fn all_object_sharing(db: &Database) -> Result<Vec<(String, String)>> {
    let sql = Sql::with(db.dialect(), "SELECT object, sharing FROM gx_object_sharing");
    let rows = db.fetch(sql, &[ColumnKind::Text, ColumnKind::Text]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.first()?.as_text()?.to_string(),
                r.get(1)?.as_text()?.to_string(),
            ))
        })
        .collect())
}

/// Every role's object permissions: (role, object, [read, create, edit, delete, view all, modify all]).
pub async fn all_role_permissions(db: &Database) -> Result<Vec<(Uuid, String, [bool; 6])>> {
    let sql = Sql::with(
        db.dialect(),
        "SELECT role_id, object, can_read, can_create, can_edit, can_delete, view_all, modify_all FROM gx_role_permissions",
    );
    let mut kinds = vec![ColumnKind::Uuid, ColumnKind::Text];
    kinds.extend([ColumnKind::Bool; 6]);
    let rows = db.fetch(sql, &kinds).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            let role = it.next()?.as_uuid()?;
            let object = it.next()?.as_text()?.to_string();
            let mut p = [false; 6];
            for (o, a) in p.iter_mut().zip(it) {
                *o = a.as_bool().unwrap_or(false);
            }
            Some((role, object, p))
        })
        .collect())
}

/// Field-level security: (role, object, field, level).
pub async fn field_permissions(db: &Database) -> Result<Vec<(Uuid, String, String, String)>> {
    let sql = Sql::with(
        db.dialect(),
        "SELECT role_id, object, field, level FROM gx_field_permissions",
    );
    let rows = db
        .fetch(
            sql,
            &[
                ColumnKind::Uuid,
                ColumnKind::Text,
                ColumnKind::Text,
                ColumnKind::Text,
            ],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some((
                it.next()?.as_uuid()?,
                it.next()?.as_text()?.to_string(),
                it.next()?.as_text()?.to_string(),
                it.next()?.as_text()?.to_string(),
            ))
        })
        .collect())
}

/// Sets (or, with `None`, clears back to editable) a role's access to one field.
pub async fn set_field_permission(
    tx: &mut Tx,
    role: Uuid,
    object: &str,
    field: &str,
    level: Option<&str>,
) -> Result<()> {
    let mut s = tx.sql();
    match level {
        None => {
            s.push("DELETE FROM gx_field_permissions WHERE role_id = ")
                .bind(Arg::Uuid(role))
                .push(" AND object = ")
                .bind(Arg::Text(object.into()));
            s.push(" AND field = ").bind(Arg::Text(field.into()));
        }
        Some(l) => {
            s.push("INSERT INTO gx_field_permissions (role_id, object, field, level) VALUES (")
                .bind_list([
                    Arg::Uuid(role),
                    Arg::Text(object.into()),
                    Arg::Text(field.into()),
                    Arg::Text(l.into()),
                ])
                .push(") ON CONFLICT (role_id, object, field) DO UPDATE SET level = excluded.level");
        }
    }
    tx.execute(s).await?;
    Ok(())
}

/// A named piece of configuration stored as JSON (a team, a sharing rule, a territory, a
/// validation rule, a coding rule): `table` is one of `DEFINITION_TABLES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub id: Uuid,
    pub name: String,
    pub object: Option<String>,
    pub definition: String,
}

const DEFINITION_TABLES: [&str; 15] = [
    "gx_teams",
    "gx_sharing_rules",
    "gx_territories",
    "gx_validation_rules",
    "gx_coding_rules",
    "gx_quality_settings",
    "gx_duplicate_rules",
    "gx_sales_processes",
    "gx_assignment_rules",
    "gx_quotas",
    "gx_calendar_feeds",
    "gx_sla_policies",
    "gx_tier_rules",
    "gx_case_lifecycles",
    "gx_queues",
];

fn definition_table(table: &str) -> Result<&'static str> {
    DEFINITION_TABLES
        .into_iter()
        .find(|t| *t == table)
        .ok_or_else(|| StorageError::Corrupt(format!("no definition table {table}")))
}

const DEFINITION_KINDS: [ColumnKind; 4] = [
    ColumnKind::Uuid,
    ColumnKind::Text,
    ColumnKind::Text,
    ColumnKind::Text,
];

fn definitions_sql(dialect: crate::Dialect, table: &str) -> Result<Sql> {
    let table = definition_table(table)?;
    Ok(Sql::with(
        dialect,
        &format!("SELECT id, name, object, definition FROM {table} ORDER BY name, id"),
    ))
}

pub async fn definitions(db: &Database, table: &str) -> Result<Vec<Definition>> {
    let rows = db
        .fetch(definitions_sql(db.dialect(), table)?, &DEFINITION_KINDS)
        .await?;
    Ok(decode_definitions(rows))
}

/// `definitions` inside a transaction: a write path must not wait for a second
/// connection while it holds one (a full pool of such writers would wait forever).
pub async fn definitions_in(tx: &mut Tx, table: &str) -> Result<Vec<Definition>> {
    let rows = tx
        .fetch(definitions_sql(tx.dialect(), table)?, &DEFINITION_KINDS)
        .await?;
    Ok(decode_definitions(rows))
}

fn decode_definitions(rows: Vec<Vec<Arg>>) -> Vec<Definition> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(Definition {
                id: it.next()?.as_uuid()?,
                name: it.next()?.as_text()?.to_string(),
                object: it.next()?.as_text().map(str::to_string),
                definition: it.next()?.as_text()?.to_string(),
            })
        })
        .collect()
}

pub async fn put_definition(tx: &mut Tx, table: &str, d: &Definition, now: DateTime<Utc>) -> Result<()> {
    let table = definition_table(table)?;
    let mut s = tx.sql();
    s.push(&format!(
        "INSERT INTO {table} (id, name, object, definition, created_at, updated_at) VALUES ("
    ))
    .bind_list([
        Arg::Uuid(d.id),
        Arg::Text(d.name.clone()),
        Arg::opt_text(d.object.clone()),
        Arg::Text(d.definition.clone()),
        Arg::DateTime(now),
        Arg::DateTime(now),
    ])
    .push(
        ") ON CONFLICT (id) DO UPDATE SET name = excluded.name, object = excluded.object, \
           definition = excluded.definition, updated_at = excluded.updated_at",
    );
    tx.execute(s).await?;
    bump_counter(tx, "definition_version").await
}

pub async fn delete_definition(tx: &mut Tx, table: &str, id: Uuid) -> Result<bool> {
    let table = definition_table(table)?;
    let mut s = tx.sql();
    s.push(&format!("DELETE FROM {table} WHERE id = "))
        .bind(Arg::Uuid(id));
    let deleted = tx.execute(s).await? == 1;
    if deleted {
        bump_counter(tx, "definition_version").await?;
    }
    Ok(deleted)
}

/// One record shared by hand with a user, a team or a partner account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRow {
    pub object: String,
    pub record_id: Uuid,
    pub grantee_id: Uuid,
    /// user | team | partner
    pub grantee_kind: String,
    /// read | edit
    pub level: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn shares_of(db: &Database, object: &str, record_id: Uuid) -> Result<Vec<ShareRow>> {
    let mut s = db.sql();
    s.push("SELECT object, record_id, grantee_id, grantee_kind, level, created_by, created_at FROM gx_record_shares WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    s.push(" ORDER BY created_at, grantee_id");
    let kinds = [
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::DateTime,
    ];
    Ok(db
        .fetch(s, &kinds)
        .await?
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(ShareRow {
                object: it.next()?.as_text()?.to_string(),
                record_id: it.next()?.as_uuid()?,
                grantee_id: it.next()?.as_uuid()?,
                grantee_kind: it.next()?.as_text()?.to_string(),
                level: it.next()?.as_text()?.to_string(),
                created_by: it.next()?.as_uuid(),
                created_at: it.next()?.as_datetime()?,
            })
        })
        .collect())
}

/// The levels a record is shared at with any of `grantees`.
/// The levels a record is shared at with any of these grantees — inside the caller's
/// transaction when it has one (a write must not wait for a second connection).
pub async fn share_levels(
    db: &Database,
    tx: Option<&mut Tx>,
    object: &str,
    record_id: Uuid,
    grantees: &[Uuid],
) -> Result<Vec<String>> {
    let mut s = crate::Sql::new(db.dialect());
    s.push("SELECT level FROM gx_record_shares WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    s.push(" AND grantee_id IN (")
        .bind_list(grantees.iter().map(|g| Arg::Uuid(*g)))
        .push(")");
    let rows = match tx {
        Some(tx) => tx.fetch(s, &[ColumnKind::Text]).await?,
        None => db.fetch(s, &[ColumnKind::Text]).await?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next()?.as_text().map(str::to_string))
        .collect())
}

pub async fn put_share(tx: &mut Tx, r: &ShareRow) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_record_shares (object, record_id, grantee_id, grantee_kind, level, created_by, created_at) VALUES (")
        .bind_list([
            Arg::Text(r.object.clone()),
            Arg::Uuid(r.record_id),
            Arg::Uuid(r.grantee_id),
            Arg::Text(r.grantee_kind.clone()),
            Arg::Text(r.level.clone()),
            Arg::opt_uuid(r.created_by),
            Arg::DateTime(r.created_at),
        ])
        .push(") ON CONFLICT (object, record_id, grantee_id) DO UPDATE SET level = excluded.level, \
               grantee_kind = excluded.grantee_kind, created_by = excluded.created_by, created_at = excluded.created_at");
    tx.execute(s).await?;
    Ok(())
}

pub async fn delete_share(tx: &mut Tx, object: &str, record_id: Uuid, grantee: Uuid) -> Result<bool> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_record_shares WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND record_id = ")
        .bind(Arg::Uuid(record_id));
    s.push(" AND grantee_id = ").bind(Arg::Uuid(grantee));
    Ok(tx.execute(s).await? == 1)
}

/// Ends every manual share with a grantee (a deleted team).
pub async fn delete_shares_with(tx: &mut Tx, grantee: Uuid) -> Result<u64> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_record_shares WHERE grantee_id = ")
        .bind(Arg::Uuid(grantee));
    tx.execute(s).await
}

/// Which of `ids` are shared by hand with any of `grantees`.
pub async fn shared_ids(tx: &mut Tx, object: &str, ids: &[Uuid], grantees: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        s.push("SELECT DISTINCT record_id FROM gx_record_shares WHERE object = ")
            .bind(Arg::Text(object.into()))
            .push(" AND record_id IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(") AND grantee_id IN (");
        s.bind_list(grantees.iter().map(|g| Arg::Uuid(*g))).push(")");
        out.extend(
            tx.fetch(s, &[ColumnKind::Uuid])
                .await?
                .into_iter()
                .filter_map(|r| r.into_iter().next()?.as_uuid()),
        );
    }
    Ok(out)
}

/// An object's saved page layout (JSON), if an administrator saved one.
pub async fn layout(db: &Database, object: &str) -> Result<Option<String>> {
    let mut s = db.sql();
    s.push("SELECT definition FROM gx_layouts WHERE object = ")
        .bind(Arg::Text(object.into()));
    Ok(db
        .fetch(s, &[ColumnKind::Text])
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(|a| a.as_text().map(str::to_string)))
}

/// Saves an object's page layout, replacing the one saved before.
pub async fn put_layout(
    tx: &mut Tx,
    object: &str,
    definition: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_layouts (object, definition, updated_at, updated_by) VALUES (")
        .bind_list([
            Arg::Text(object.into()),
            Arg::Text(definition.into()),
            Arg::DateTime(now),
            Arg::opt_uuid(by),
        ])
        .push(
            ") ON CONFLICT (object) DO UPDATE SET definition = excluded.definition, \
               updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        );
    tx.execute(s).await?;
    Ok(())
}

/// A user's own settings: language, time zone, currency for new amounts.
pub async fn set_user_settings(
    tx: &mut Tx,
    user_id: Uuid,
    locale: &str,
    time_zone: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_users SET locale = ")
        .bind(Arg::Text(locale.into()))
        .push(", time_zone = ")
        .bind(Arg::Text(time_zone.into()))
        .push(", currency = ")
        .bind(Arg::Text(currency.into()))
        .push(", updated_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(user_id));
    Ok(tx.execute(s).await? == 1)
}

pub async fn set_password_hash(tx: &mut Tx, user_id: Uuid, hash: &str, now: DateTime<Utc>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_users SET password_hash = ")
        .bind(Arg::Text(hash.into()))
        .push(", updated_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(user_id));
    Ok(tx.execute(s).await? == 1)
}

/// Ends every live session of a user but one (the one that changed the password).
pub async fn revoke_other_sessions(
    tx: &mut Tx,
    user_id: Uuid,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut s = tx.sql();
    s.push("UPDATE gx_sessions SET revoked_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE user_id = ")
        .bind(Arg::Uuid(user_id))
        .push(" AND revoked_at IS NULL AND id <> ")
        .bind(Arg::Uuid(keep));
    tx.execute(s).await
}

/// Administrators' changes to standard fields (JSON, one per field), with their object
/// and field names; applied on top of the built-in definitions when metadata loads.
pub async fn field_changes(db: &Database) -> Result<Vec<(String, String, String)>> {
    Ok(db
        .fetch(
            Sql::with(
                db.dialect(),
                "SELECT object, field, definition FROM gx_field_changes ORDER BY object, field",
            ),
            &[ColumnKind::Text, ColumnKind::Text, ColumnKind::Text],
        )
        .await?
        .into_iter()
        .filter_map(|r| {
            Some((
                r.first()?.as_text()?.to_string(),
                r.get(1)?.as_text()?.to_string(),
                r.get(2)?.as_text()?.to_string(),
            ))
        })
        .collect())
}

/// Saves the change to one standard field, replacing the one saved before.
pub async fn put_field_change(
    tx: &mut Tx,
    object: &str,
    field: &str,
    definition: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_field_changes (object, field, definition, updated_at, updated_by) VALUES (")
        .bind_list([
            Arg::Text(object.into()),
            Arg::Text(field.into()),
            Arg::Text(definition.into()),
            Arg::DateTime(now),
            Arg::opt_uuid(by),
        ])
        .push(
            ") ON CONFLICT (object, field) DO UPDATE SET definition = excluded.definition, \
               updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        );
    tx.execute(s).await?;
    Ok(())
}

/// Replaces a custom field's stored definition (its column is untouched). False if there
/// is no such custom field.
pub async fn update_custom_field(tx: &mut Tx, object: &str, name: &str, definition: &str) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_custom_fields SET definition = ")
        .bind(Arg::Text(definition.into()))
        .push(" WHERE object = ")
        .bind(Arg::Text(object.into()))
        .push(" AND name = ")
        .bind(Arg::Text(name.into()));
    Ok(tx.execute(s).await? == 1)
}

/// The next number of a counter (1 for a new one), taken inside the caller's transaction:
/// the row is locked until it ends, so concurrent writers — on any node — never share a
/// number, and a rolled-back write gives its number back.
pub async fn next_in_sequence(tx: &mut Tx, key: &str) -> Result<i64> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_sequences (counter, value) VALUES (")
        .bind(Arg::Text(key.into()))
        .push(", 1) ON CONFLICT (counter) DO UPDATE SET value = gx_sequences.value + 1 RETURNING value");
    let rows = tx.fetch(s, &[ColumnKind::Int]).await?;
    first_int(&rows).ok_or_else(|| StorageError::Corrupt("sequence".into()))
}

/// One change event as a feed consumer needs it: its position and which record it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEvent {
    pub seq: i64,
    pub object: String,
    pub record_id: Uuid,
}

const FEED_KINDS: [ColumnKind; 3] = [ColumnKind::Int, ColumnKind::Text, ColumnKind::Uuid];

fn feed_events(rows: Vec<Vec<Arg>>) -> Vec<FeedEvent> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some(FeedEvent {
                seq: it.next()?.as_int()?,
                object: it.next()?.as_text()?.to_string(),
                record_id: it.next()?.as_uuid()?,
            })
        })
        .collect()
}

/// The first `limit` change events after `seq`, in sequence order.
pub async fn changes_after(db: &Database, seq: i64, limit: usize) -> Result<Vec<FeedEvent>> {
    let mut s = db.sql();
    s.push("SELECT seq, object, record_id FROM gx_changes WHERE seq > ")
        .bind(Arg::Int(seq))
        .push(" ORDER BY seq LIMIT ")
        .bind(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    Ok(feed_events(db.fetch(s, &FEED_KINDS).await?))
}

/// The change events with these sequence numbers that exist (by now).
pub async fn changes_at(db: &Database, seqs: &[i64]) -> Result<Vec<FeedEvent>> {
    let mut out = Vec::new();
    for chunk in seqs.chunks(500) {
        let mut s = db.sql();
        s.push("SELECT seq, object, record_id FROM gx_changes WHERE seq IN (")
            .bind_list(chunk.iter().map(|q| Arg::Int(*q)))
            .push(")");
        out.extend(feed_events(db.fetch(s, &FEED_KINDS).await?));
    }
    Ok(out)
}

/// The highest sequence number in the feed (0 when it is empty).
pub async fn last_seq(db: &Database) -> Result<i64> {
    let s = Sql::with(db.dialect(), "SELECT MAX(seq) FROM gx_changes");
    let rows = db.fetch(s, &[ColumnKind::Int]).await?;
    Ok(first_int(&rows).unwrap_or(0))
}

/// The highest sequence number in the feed, as the transaction sees it.
pub async fn last_seq_in(tx: &mut Tx) -> Result<i64> {
    let s = Sql::with(tx.dialect(), "SELECT MAX(seq) FROM gx_changes");
    let rows = tx.fetch(s, &[ColumnKind::Int]).await?;
    Ok(first_int(&rows).unwrap_or(0))
}

/// The records of `object` changed after `seq` (each once), and the last sequence number
/// seen.
pub async fn changed_after_in(tx: &mut Tx, object: &str, seq: i64) -> Result<(Vec<Uuid>, i64)> {
    let mut s = tx.sql();
    s.push("SELECT seq, object, record_id FROM gx_changes WHERE seq > ")
        .bind(Arg::Int(seq))
        .push(" AND object = ")
        .bind(Arg::Text(object.into()));
    let events = feed_events(tx.fetch(s, &FEED_KINDS).await?);
    let last = events.iter().map(|e| e.seq).max().unwrap_or(seq);
    let mut ids: Vec<Uuid> = events.into_iter().map(|e| e.record_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok((ids, last))
}

/// The sequence numbers in `(after, upto]` that are in the feed (committed) now.
pub async fn seqs_between(db: &Database, after: i64, upto: i64) -> Result<Vec<i64>> {
    let mut s = db.sql();
    s.push("SELECT seq FROM gx_changes WHERE seq > ")
        .bind(Arg::Int(after))
        .push(" AND seq <= ")
        .bind(Arg::Int(upto));
    Ok(db
        .fetch(s, &[ColumnKind::Int])
        .await?
        .iter()
        .filter_map(|r| r.first().and_then(Arg::as_int))
        .collect())
}

/// A setting of the organisation's (`gx_settings`), if set.
pub async fn setting_in(tx: &mut Tx, key: &str) -> Result<Option<String>> {
    let mut s = tx.sql();
    s.push("SELECT value FROM gx_settings WHERE key = ")
        .bind(Arg::Text(key.into()));
    let rows = tx.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(|a| a.as_text().map(str::to_string)))
}

/// Sets a setting of the organisation's.
pub async fn put_setting(tx: &mut Tx, key: &str, value: &str) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_settings (key, value) VALUES (")
        .bind(Arg::Text(key.into()))
        .push(", ")
        .bind(Arg::Text(value.into()))
        .push(") ON CONFLICT (key) DO UPDATE SET value = ")
        .bind(Arg::Text(value.into()));
    tx.execute(s).await?;
    Ok(())
}

/// Sets a setting of the organisation's unless it is set (whoever was first keeps theirs).
pub async fn put_setting_if_absent(tx: &mut Tx, key: &str, value: &str) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_settings (key, value) VALUES (")
        .bind(Arg::Text(key.into()))
        .push(", ")
        .bind(Arg::Text(value.into()))
        .push(") ON CONFLICT (key) DO NOTHING");
    tx.execute(s).await?;
    Ok(())
}

/// Something a user is told: a quote to approve, a decision on theirs, a conflict.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub object: Option<String>,
    pub record_id: Option<Uuid>,
    /// JSON: what the message says (names, amounts, who acted).
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const NOTIFICATION_COLS: [&str; 8] = [
    "id",
    "user_id",
    "kind",
    "object",
    "record_id",
    "detail",
    "created_at",
    "read_at",
];

pub async fn insert_notifications(tx: &mut Tx, rows: &[NotificationRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = rows
        .iter()
        .map(|n| {
            vec![
                Arg::Uuid(n.id),
                Arg::Uuid(n.user_id),
                Arg::Text(n.kind.clone()),
                Arg::opt_text(n.object.clone()),
                Arg::opt_uuid(n.record_id),
                Arg::Text(n.detail.clone()),
                Arg::DateTime(n.created_at),
                Arg::opt_datetime(n.read_at),
            ]
        })
        .collect();
    insert_rows(tx, "gx_notifications", &NOTIFICATION_COLS, rows).await
}

/// A user's notifications, newest first (`unread`: only those not yet read).
pub async fn notifications(
    db: &Database,
    user: Uuid,
    unread: bool,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let mut s = db.sql();
    s.push("SELECT ")
        .push(&NOTIFICATION_COLS.join(", "))
        .push(" FROM gx_notifications WHERE user_id = ")
        .bind(Arg::Uuid(user));
    if unread {
        s.push(" AND read_at IS NULL");
    }
    s.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .bind(Arg::Int(limit));
    let kinds = [
        ColumnKind::Uuid,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::Text,
        ColumnKind::Uuid,
        ColumnKind::Text,
        ColumnKind::DateTime,
        ColumnKind::DateTime,
    ];
    let rows = db.fetch(s, &kinds).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            let (id, user_id, kind, object, record_id, detail, created_at, read_at) = (
                it.next()?,
                it.next()?,
                it.next()?,
                it.next()?,
                it.next()?,
                it.next()?,
                it.next()?,
                it.next()?,
            );
            Some(NotificationRow {
                id: id.as_uuid()?,
                user_id: user_id.as_uuid()?,
                kind: kind.as_text()?.to_string(),
                object: object.as_text().map(str::to_string),
                record_id: record_id.as_uuid(),
                detail: detail.as_text()?.to_string(),
                created_at: created_at.as_datetime()?,
                read_at: read_at.as_datetime(),
            })
        })
        .collect())
}

/// How many of a user's notifications are unread.
pub async fn unread_notifications(db: &Database, user: Uuid) -> Result<i64> {
    let mut s = db.sql();
    s.push("SELECT COUNT(*) FROM gx_notifications WHERE user_id = ")
        .bind(Arg::Uuid(user))
        .push(" AND read_at IS NULL");
    let rows = db.fetch(s, &[ColumnKind::Int]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Arg::as_int)
        .unwrap_or(0))
}

/// Marks a user's notifications read: one (`id`) or all. Returns how many changed.
pub async fn read_notifications(
    tx: &mut Tx,
    user: Uuid,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut s = tx.sql();
    s.push("UPDATE gx_notifications SET read_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE user_id = ")
        .bind(Arg::Uuid(user))
        .push(" AND read_at IS NULL");
    if let Some(id) = id {
        s.push(" AND id = ").bind(Arg::Uuid(id));
    }
    tx.execute(s).await
}

/// Queues customers (accounts) for a channel conflict check, once each however often.
pub async fn queue_conflict_checks(tx: &mut Tx, accounts: &[Uuid], now: DateTime<Utc>) -> Result<()> {
    for chunk in accounts.chunks(200) {
        let mut s = tx.sql();
        s.push("INSERT INTO gx_conflict_checks (account_id, queued_at) VALUES ");
        for (i, a) in chunk.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.push("(")
                .bind(Arg::Uuid(*a))
                .push(", ")
                .bind(Arg::DateTime(now))
                .push(")");
        }
        s.push(" ON CONFLICT (account_id) DO NOTHING");
        tx.execute(s).await?;
    }
    Ok(())
}

/// Up to `limit` queued customers, oldest first (read without taking them).
pub async fn queued_conflict_checks(db: &Database, limit: i64) -> Result<Vec<Uuid>> {
    let mut s = db.sql();
    s.push("SELECT account_id FROM gx_conflict_checks ORDER BY queued_at, account_id LIMIT ")
        .bind(Arg::Int(limit));
    let rows = db.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.first().and_then(Arg::as_uuid))
        .collect())
}

/// Takes those of `accounts` still queued; on PostgreSQL rows another node holds are
/// skipped, so nodes share the queue.
pub async fn claim_conflict_checks(tx: &mut Tx, accounts: &[Uuid]) -> Result<Vec<Uuid>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = tx.sql();
    s.push("SELECT account_id FROM gx_conflict_checks WHERE account_id IN (")
        .bind_list(accounts.iter().map(|a| Arg::Uuid(*a)))
        .push(")");
    if tx.dialect() == crate::Dialect::Postgres {
        s.push(" FOR UPDATE SKIP LOCKED");
    }
    let rows = tx.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.first().and_then(Arg::as_uuid))
        .collect())
}

/// Removes checked customers from the queue.
pub async fn done_conflict_checks(tx: &mut Tx, accounts: &[Uuid]) -> Result<()> {
    for chunk in accounts.chunks(500) {
        let mut s = tx.sql();
        s.push("DELETE FROM gx_conflict_checks WHERE account_id IN (")
            .bind_list(chunk.iter().map(|a| Arg::Uuid(*a)))
            .push(")");
        tx.execute(s).await?;
    }
    Ok(())
}

/// Records that an activity's reminder for `due_at` is sent; false when it was already
/// (by this node or another), so each reminder goes out once.
pub async fn mark_reminder_sent(
    tx: &mut Tx,
    activity: Uuid,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_reminders_sent (activity_id, due_at, sent_at) VALUES (")
        .bind(Arg::Uuid(activity))
        .push(", ")
        .bind(Arg::DateTime(due_at))
        .push(", ")
        .bind(Arg::DateTime(now))
        .push(") ON CONFLICT (activity_id, due_at) DO NOTHING");
    Ok(tx.execute(s).await? == 1)
}

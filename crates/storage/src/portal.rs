//! What customers leave with us outside records: which contact a portal user is, the
//! invitations that let a contact choose a password (kept as a hash of their secret, used
//! once), and their signatures on completed work orders.

use chrono::{DateTime, Utc};
use guanxi_core::ColumnKind;
use uuid::Uuid;

use crate::Result;
use crate::db::{Database, Tx};
use crate::sql::{Arg, Sql};

/// Makes `user` the portal user of `contact`.
pub async fn link_contact(tx: &mut Tx, user: Uuid, contact: Uuid, now: DateTime<Utc>) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_portal_users (user_id, contact_id, created_at) VALUES (")
        .bind(Arg::Uuid(user))
        .push(", ")
        .bind(Arg::Uuid(contact))
        .push(", ")
        .bind(Arg::DateTime(now))
        .push(")");
    tx.execute(s).await?;
    Ok(())
}

/// The contact a portal user is.
pub async fn contact_of(db: &Database, user: Uuid) -> Result<Option<Uuid>> {
    let mut s = Sql::new(db.dialect());
    s.push("SELECT contact_id FROM gx_portal_users WHERE user_id = ")
        .bind(Arg::Uuid(user));
    let rows = db.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows.first().and_then(|r| r[0].as_uuid()))
}

/// The portal user of a contact, if they have one.
pub async fn user_of(tx: &mut Tx, contact: Uuid) -> Result<Option<Uuid>> {
    let mut s = tx.sql();
    s.push("SELECT user_id FROM gx_portal_users WHERE contact_id = ")
        .bind(Arg::Uuid(contact));
    let rows = tx.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows.first().and_then(|r| r[0].as_uuid()))
}

/// Stores an invitation: the hash of its secret, whose user it is, until when it holds.
pub async fn invite(
    tx: &mut Tx,
    token_hash: &str,
    user: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_portal_invitations (token_hash, user_id, created_at, expires_at) VALUES (")
        .bind(Arg::Text(token_hash.into()))
        .push(", ")
        .bind(Arg::Uuid(user))
        .push(", ")
        .bind(Arg::DateTime(now))
        .push(", ")
        .bind(Arg::DateTime(expires_at))
        .push(")");
    tx.execute(s).await?;
    Ok(())
}

/// An invitation by the hash of its secret: its user, expiry, and when it was used.
pub async fn invitation(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)>> {
    let mut s = tx.sql();
    s.push("SELECT user_id, expires_at, used_at FROM gx_portal_invitations WHERE token_hash = ")
        .bind(Arg::Text(token_hash.into()));
    let rows = tx
        .fetch(s, &[ColumnKind::Uuid, ColumnKind::DateTime, ColumnKind::DateTime])
        .await?;
    Ok(rows
        .first()
        .and_then(|r| Some((r[0].as_uuid()?, r[1].as_datetime()?, r[2].as_datetime()))))
}

/// Marks an invitation used; false when it already was (whoever came first wins).
pub async fn use_invitation(tx: &mut Tx, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE gx_portal_invitations SET used_at = ")
        .bind(Arg::DateTime(now))
        .push(" WHERE used_at IS NULL AND token_hash = ")
        .bind(Arg::Text(token_hash.into()));
    Ok(tx.execute(s).await? == 1)
}

/// Keeps a customer's signature (a PNG, base64) on a work order, replacing an earlier one.
pub async fn put_signature(
    tx: &mut Tx,
    work_order: Uuid,
    png: &str,
    signed_by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut s = tx.sql();
    s.push("DELETE FROM gx_signatures WHERE work_order_id = ")
        .bind(Arg::Uuid(work_order));
    tx.execute(s).await?;
    let mut s = tx.sql();
    s.push("INSERT INTO gx_signatures (work_order_id, png, signed_by, signed_at) VALUES (")
        .bind(Arg::Uuid(work_order))
        .push(", ")
        .bind(Arg::Text(png.into()))
        .push(", ")
        .bind(Arg::Text(signed_by.into()))
        .push(", ")
        .bind(Arg::DateTime(now))
        .push(")");
    tx.execute(s).await?;
    Ok(())
}

/// A work order's signature (PNG, base64), if signed.
pub async fn signature(db: &Database, work_order: Uuid) -> Result<Option<String>> {
    let mut s = Sql::new(db.dialect());
    s.push("SELECT png FROM gx_signatures WHERE work_order_id = ")
        .bind(Arg::Uuid(work_order));
    let rows = db.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows.first().and_then(|r| r[0].as_text().map(str::to_string)))
}

/// Counts a person's vote for a post or reply once: false when they had voted already.
pub async fn vote(tx: &mut Tx, target: Uuid, user: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let mut s = tx.sql();
    s.push("INSERT INTO gx_community_votes (target_id, user_id, created_at) VALUES (")
        .bind(Arg::Uuid(target))
        .push(", ")
        .bind(Arg::Uuid(user))
        .push(", ")
        .bind(Arg::DateTime(now))
        .push(") ON CONFLICT DO NOTHING");
    Ok(tx.execute(s).await? == 1)
}

/// How many people voted for `target`.
pub async fn votes(tx: &mut Tx, target: Uuid) -> Result<i64> {
    let mut s = tx.sql();
    s.push("SELECT COUNT(*) FROM gx_community_votes WHERE target_id = ")
        .bind(Arg::Uuid(target));
    let rows = tx.fetch(s, &[ColumnKind::Int]).await?;
    Ok(rows.first().and_then(|r| r[0].as_int()).unwrap_or(0))
}

/// Follows a post (`true`) or stops (`false`).
pub async fn follow(tx: &mut Tx, post: Uuid, user: Uuid, on: bool, now: DateTime<Utc>) -> Result<()> {
    let mut s = tx.sql();
    if on {
        s.push("INSERT INTO gx_community_follows (post_id, user_id, created_at) VALUES (")
            .bind(Arg::Uuid(post))
            .push(", ")
            .bind(Arg::Uuid(user))
            .push(", ")
            .bind(Arg::DateTime(now))
            .push(") ON CONFLICT DO NOTHING");
    } else {
        s.push("DELETE FROM gx_community_follows WHERE post_id = ")
            .bind(Arg::Uuid(post))
            .push(" AND user_id = ")
            .bind(Arg::Uuid(user));
    }
    tx.execute(s).await?;
    Ok(())
}

/// Who follows a post.
pub async fn followers(db: &Database, post: Uuid) -> Result<Vec<Uuid>> {
    let mut s = Sql::new(db.dialect());
    s.push("SELECT user_id FROM gx_community_follows WHERE post_id = ")
        .bind(Arg::Uuid(post));
    let rows = db.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows.into_iter().filter_map(|r| r[0].as_uuid()).collect())
}

/// `followers` inside the writing transaction.
pub async fn followers_in(tx: &mut Tx, post: Uuid) -> Result<Vec<Uuid>> {
    let mut s = tx.sql();
    s.push("SELECT user_id FROM gx_community_follows WHERE post_id = ")
        .bind(Arg::Uuid(post));
    let rows = tx.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows.into_iter().filter_map(|r| r[0].as_uuid()).collect())
}

/// `contact_of` inside the writing transaction.
pub async fn contact_of_in(tx: &mut Tx, user: Uuid) -> Result<Option<Uuid>> {
    let mut s = tx.sql();
    s.push("SELECT contact_id FROM gx_portal_users WHERE user_id = ")
        .bind(Arg::Uuid(user));
    let rows = tx.fetch(s, &[ColumnKind::Uuid]).await?;
    Ok(rows.first().and_then(|r| r[0].as_uuid()))
}

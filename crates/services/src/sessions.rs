//! Browser sessions: password sign-in with per-address rate limiting and per-account
//! lockout, a cookie secret and a CSRF token per session, expiry, sign-out here or
//! everywhere. Failures and lockouts are read back from the audit trail, so every node
//! sharing the database sees the same count.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use guanxi_core::normalize;
use guanxi_storage::system::{self, SessionRow};
use uuid::Uuid;

use crate::identity::{random_secret, token_hash, verify_password};
use crate::{Actor, Crm, ServiceError};

pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins for one account within `LOCKOUT_MINUTES` that lock it for that long.
pub const MAX_FAILURES: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
/// Sign-in attempts one address may make per minute, on one node.
pub const PER_ADDRESS_PER_MINUTE: u32 = 30;

/// A new session: the cookie secret (shown once) and the CSRF token the page must echo.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: Uuid,
    pub secret: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    pub actor: Actor,
}

/// Attempts per address in the current minute (in memory, per node).
#[derive(Default)]
pub struct AddressLimiter {
    window: HashMap<String, (DateTime<Utc>, u32)>,
}

impl AddressLimiter {
    /// Counts a sign-in attempt; `Some(seconds to wait)` when the address is over its limit.
    fn hit(&mut self, address: &str, now: DateTime<Utc>) -> Option<u64> {
        self.hit_within(address, now, Duration::minutes(1), PER_ADDRESS_PER_MINUTE)
    }

    /// Counts one use of `key` in fixed windows of `window`; `Some(seconds to wait)` once
    /// more than `limit` fall in the current one.
    pub(crate) fn hit_within(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Option<u64> {
        if self.window.len() > 100_000 {
            self.window.retain(|_, (start, _)| now - *start < window);
        }
        let slot = self.window.entry(key.to_string()).or_insert((now, 0));
        if now - slot.0 >= window {
            *slot = (now, 0);
        }
        slot.1 += 1;
        (slot.1 > limit).then(|| (window - (now - slot.0)).num_seconds().max(1) as u64)
    }
}

/// A hash to verify against when the email is unknown, so that the answer takes as long
/// as for a known one and does not tell which emails exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0nHqQbZoMhNDbMbFqmsHy+PLgAvIiKy7+Y2hMxqS3Zs";

impl Crm {
    /// Signs in with email and password from `ip`, or says why not.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<NewSession, ServiceError> {
        let now = self.now();
        if let Some(address) = &ip {
            let wait = match self.limiter.lock() {
                Ok(mut l) => l.hit(address, now),
                Err(poisoned) => poisoned.into_inner().hit(address, now),
            };
            if let Some(retry_after) = wait {
                return Err(ServiceError::TooManyAttempts { retry_after });
            }
        }
        let email = normalize::email(email).unwrap_or_else(|| email.trim().to_lowercase());
        let window_start = now - Duration::minutes(LOCKOUT_MINUTES);
        let last_success = system::last_audit_for_email(self.db(), &email, "auth.signin").await?;
        let since = last_success.map_or(window_start, |t| t.max(window_start));
        let failures = system::count_audit_for_email(self.db(), &email, "auth.signin.failed", since).await?;
        if failures >= MAX_FAILURES {
            let mut tx = self.db().begin().await?;
            let detail = serde_json::json!({"failures": failures});
            crate::audit::record_for_email(&mut tx, &email, ip.clone(), "auth.signin.locked", detail, now)
                .await?;
            tx.commit().await?;
            return Err(ServiceError::TooManyAttempts {
                retry_after: (LOCKOUT_MINUTES * 60) as u64,
            });
        }
        let user = system::user_by_email(self.db(), &email).await?;
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_string());
        let password = password.to_string();
        // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let user = match user {
            Some(u) if matches && u.active && u.password_hash.is_some() => u,
            _ => {
                let mut tx = self.db().begin().await?;
                let detail = serde_json::json!({"user_agent": user_agent});
                crate::audit::record_for_email(&mut tx, &email, ip, "auth.signin.failed", detail, now)
                    .await?;
                tx.commit().await?;
                return Err(ServiceError::SignInFailed);
            }
        };
        self.open_session(&user, ip, user_agent).await
    }

    /// A new session for a user who proved who they are (a password, an invitation's
    /// secret). Audited as a sign-in.
    pub(crate) async fn open_session(
        &self,
        user: &guanxi_storage::system::UserRow,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<NewSession, ServiceError> {
        let now = self.now();
        let secret = random_secret(32);
        let row = SessionRow {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: token_hash(&secret),
            csrf: random_secret(24),
            created_at: now,
            expires_at: now + Duration::hours(SESSION_HOURS),
            revoked_at: None,
            ip: ip.clone(),
            user_agent: user_agent.map(|u| u.chars().take(300).collect()),
        };
        let mut actor = Actor::for_user(user);
        actor.ip = ip;
        let mut tx = self.db().begin().await?;
        system::insert_session(&mut tx, &row).await?;
        let detail = serde_json::json!({"session": row.id, "user_agent": row.user_agent});
        crate::audit::record(&mut tx, Some(&actor), "auth.signin", None, None, detail, now).await?;
        tx.commit().await?;
        Ok(NewSession {
            id: row.id,
            secret,
            csrf: row.csrf,
            expires_at: row.expires_at,
            actor,
        })
    }

    /// The actor of a live session with this cookie secret, the session id and its CSRF token.
    pub async fn authenticate_session(
        &self,
        secret: &str,
    ) -> Result<Option<(Actor, Uuid, String)>, ServiceError> {
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > 200 {
            return Ok(None);
        }
        let found = system::user_for_session(self.db(), &token_hash(secret), self.now()).await?;
        Ok(found.map(|(user, id, csrf)| (Actor::for_user(&user), id, csrf)))
    }

    /// Ends one session of the actor, or every one (`None`: sign out everywhere). Audited.
    pub async fn sign_out(&self, actor: &Actor, session: Option<Uuid>) -> Result<u64, ServiceError> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let n = system::revoke_sessions(&mut tx, actor.user_id, session, now).await?;
        let action = if session.is_some() {
            "auth.signout"
        } else {
            "auth.signout.everywhere"
        };
        crate::audit::record(
            &mut tx,
            Some(actor),
            action,
            None,
            None,
            serde_json::json!({"sessions": n}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_limited_per_minute() {
        let mut l = AddressLimiter::default();
        let t = Utc::now();
        for _ in 0..PER_ADDRESS_PER_MINUTE {
            assert_eq!(l.hit("10.0.0.1", t), None);
        }
        assert!(l.hit("10.0.0.1", t).is_some());
        assert_eq!(l.hit("10.0.0.2", t), None, "other addresses are not affected");
        assert_eq!(
            l.hit("10.0.0.1", t + Duration::seconds(61)),
            None,
            "a new minute starts afresh"
        );
    }

    #[test]
    fn the_dummy_hash_is_a_real_hash_that_matches_nothing_typed() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}

//! Users and API tokens: argon2id password hashes, tokens shown once and stored only as
//! a SHA-256 hash, the first administrator on an empty database.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use guanxi_core::{Locale, Msg, normalize};
use guanxi_storage::system::{self, TokenRow, UserRow};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

pub const MIN_PASSWORD: usize = 8;
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@guanxi.local";

#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: Option<String>,
    pub is_admin: bool,
    pub locale: Locale,
}

/// What a credential allows: reading, writing, administration (metadata, users, audit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub admin: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

impl Scopes {
    pub const NONE: Scopes = Scopes {
        read: false,
        write: false,
        admin: false,
    };
    pub const READ_WRITE: Scopes = Scopes {
        read: true,
        write: true,
        admin: false,
    };

    /// Everything a user may do: administrators also administer.
    pub fn for_user(is_admin: bool) -> Scopes {
        Scopes {
            read: true,
            write: true,
            admin: is_admin,
        }
    }

    pub fn has(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
            Scope::Admin => self.admin,
        }
    }

    /// `read,write,admin` in any order and case; unknown words are refused.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        let mut s = Scopes::NONE;
        for word in text.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "read" => s.read = true,
                "write" => s.write = true,
                "admin" => s.admin = true,
                _ => return Err(word.to_string()),
            }
        }
        if s == Scopes::NONE {
            return Err(text.to_string());
        }
        Ok(s)
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [Scope::Read, Scope::Write, Scope::Admin]
            .into_iter()
            .filter(|s| self.has(*s))
            .map(Scope::name)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// What is asked for a new API token.
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub expires_days: Option<u32>,
    /// `None`: every scope the user may use.
    pub scopes: Option<Scopes>,
}

/// What start-up did about the first administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstAdmin {
    pub email: String,
    /// Set when the password was generated; shown once, never stored in clear.
    pub generated_password: Option<String>,
}

pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub(crate) fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 of `bytes`, as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl Actor {
    pub(crate) fn for_user(u: &UserRow) -> Actor {
        Actor {
            user_id: u.id,
            email: u.email.clone(),
            is_admin: u.is_admin,
            locale: Locale::from_tag(&u.locale).unwrap_or_default(),
            scopes: Scopes::for_user(u.is_admin),
            ip: None,
            role_id: u.role_id,
            kind: guanxi_core::access::UserKind::parse(&u.kind)
                .unwrap_or(guanxi_core::access::UserKind::Portal),
            partner: u.partner_account_id,
            time_zone: u.time_zone.clone(),
            currency: u.currency.clone(),
        }
    }

    /// Refuses the action unless the credential carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ServiceError> {
        if self.scopes.has(scope) {
            Ok(())
        } else {
            Err(ServiceError::MissingScope(scope))
        }
    }
}

impl Crm {
    /// Adds a user from the command line or at start-up (audited as `cli`).
    pub async fn create_user(&self, new: NewUser) -> Result<UserRow, ServiceError> {
        self.insert_user(None, new).await
    }

    /// An administrator adds a user who signs in with a password. Audited as them.
    pub async fn add_user(&self, actor: &Actor, new: NewUser) -> Result<UserRow, ServiceError> {
        if !actor.administers() {
            return Err(ServiceError::Forbidden(Msg::DetailAdminOnly));
        }
        if new.password.as_deref().is_none_or(str::is_empty) {
            return Err(ServiceError::field("password", Msg::Required));
        }
        self.insert_user(Some(actor), new).await
    }

    async fn insert_user(&self, by: Option<&Actor>, new: NewUser) -> Result<UserRow, ServiceError> {
        let email =
            normalize::email(&new.email).ok_or_else(|| ServiceError::field("email", Msg::InvalidEmail))?;
        if let Some(p) = &new.password
            && p.chars().count() < MIN_PASSWORD
        {
            return Err(ServiceError::Validation(vec![
                guanxi_core::FieldError::new("password", Msg::PasswordTooShort).with("min", MIN_PASSWORD),
            ]));
        }
        if system::user_by_email(self.db(), &email).await?.is_some() {
            return Err(ServiceError::field("email", Msg::EmailTaken));
        }
        let now = self.now();
        let name = if new.name.trim().is_empty() {
            email.split('@').next().unwrap_or("").to_string()
        } else {
            new.name.trim().to_string()
        };
        let user = UserRow {
            id: Uuid::now_v7(),
            email,
            name,
            password_hash: new.password.as_deref().map(hash_password).transpose()?,
            locale: new.locale.tag().into(),
            // Until the user picks their own: the zone and currency of their language.
            time_zone: match new.locale {
                Locale::ZhTw => "Asia/Taipei",
                _ => "Asia/Shanghai",
            }
            .into(),
            currency: match new.locale {
                Locale::ZhTw => "TWD",
                _ => "CNY",
            }
            .into(),
            is_admin: new.is_admin,
            active: true,
            created_at: now,
            updated_at: now,
            role_id: None,
            kind: "internal".into(),
            partner_account_id: None,
        };
        let mut tx = self.db().begin().await?;
        match system::insert_user(&mut tx, &user).await {
            Err(guanxi_storage::StorageError::Unique { .. }) => {
                return Err(ServiceError::field("email", Msg::EmailTaken));
            }
            other => other?,
        }
        let detail = serde_json::json!({"user": user.id, "email": user.email, "is_admin": user.is_admin});
        crate::audit::record(&mut tx, by, "user.create", None, None, detail, now).await?;
        system::bump_permission_version(&mut tx).await?;
        tx.commit().await?;
        self.reload_policy().await?;
        Ok(user)
    }

    /// On an empty database, creates the administrator (password generated when none is given).
    pub async fn ensure_first_admin(
        &self,
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<Option<FirstAdmin>, ServiceError> {
        if system::count_users(self.db()).await? > 0 {
            return Ok(None);
        }
        let email = email
            .filter(|e| !e.trim().is_empty())
            .unwrap_or(DEFAULT_ADMIN_EMAIL);
        let (password, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => (p.to_string(), None),
            None => {
                let p = random_secret(12);
                (p.clone(), Some(p))
            }
        };
        let created = self
            .create_user(NewUser {
                email: email.into(),
                name: "Administrator".into(),
                password: Some(password),
                is_admin: true,
                locale: Locale::ZhCn,
            })
            .await;
        match created {
            Ok(user) => Ok(Some(FirstAdmin {
                email: user.email,
                generated_password: generated,
            })),
            // Another node starting at the same moment created it first.
            Err(ServiceError::Validation(e)) if e.iter().any(|f| f.msg == Msg::EmailTaken) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an API token for the user with this email, with every scope the user may
    /// use; the token is returned once.
    pub async fn create_token(
        &self,
        email: &str,
        name: &str,
        expires_days: Option<u32>,
    ) -> Result<String, ServiceError> {
        let new = NewToken {
            email,
            name,
            expires_days,
            scopes: None,
        };
        Ok(self.issue_token(new, None).await?.1)
    }

    /// Creates an API token; returns its row and the token itself, shown once. Only the
    /// token's hash is stored. Audited.
    pub async fn issue_token(
        &self,
        new: NewToken<'_>,
        by: Option<&Actor>,
    ) -> Result<(TokenRow, String), ServiceError> {
        let user = system::user_by_email(self.db(), new.email.trim())
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| ServiceError::field("email", Msg::UnknownEmail))?;
        let scopes = new.scopes.unwrap_or(Scopes::for_user(user.is_admin));
        if scopes.admin && !user.is_admin {
            return Err(ServiceError::field("scopes", Msg::AdminScopeForAdmins));
        }
        let token = format!("gx_{}", random_secret(32));
        let now = self.now();
        let name = new.name.trim();
        let row = TokenRow {
            id: Uuid::now_v7(),
            user_id: user.id,
            name: if name.is_empty() {
                "api".into()
            } else {
                name.chars().take(100).collect()
            },
            token_hash: token_hash(&token),
            prefix: token.chars().take(10).collect(),
            scopes: scopes.to_string(),
            created_at: now,
            expires_at: new.expires_days.map(|d| now + Duration::days(i64::from(d))),
            revoked_at: None,
            last_used_at: None,
        };
        let detail = serde_json::json!({"token": row.id, "name": row.name, "user": user.email, "scopes": row.scopes,
            "expires_at": row.expires_at});
        let mut tx = self.db().begin().await?;
        system::insert_token(&mut tx, &row).await?;
        crate::audit::record(&mut tx, by, "token.create", None, None, detail, now).await?;
        tx.commit().await?;
        Ok((row, token))
    }

    /// The tokens of the acting user, newest first.
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenRow>, ServiceError> {
        actor.require(Scope::Read)?;
        Ok(system::tokens_of(self.db(), actor.user_id).await?)
    }

    /// Revokes one of `owner`'s tokens (the acting user's own, unless an administrator
    /// revokes someone else's). Audited.
    pub async fn revoke_token(
        &self,
        actor: Option<&Actor>,
        owner: Uuid,
        token_id: Uuid,
    ) -> Result<(), ServiceError> {
        if let Some(a) = actor {
            a.require(Scope::Write)?;
            if a.user_id != owner && !(a.is_admin && a.scopes.admin) {
                return Err(ServiceError::NotFound);
            }
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !system::revoke_token(&mut tx, owner, token_id, now).await? {
            return Err(ServiceError::NotFound);
        }
        let detail = serde_json::json!({"token": token_id, "user": owner});
        crate::audit::record(&mut tx, actor, "token.revoke", None, None, detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind a bearer token, if the token is live and its user active.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Actor>, ServiceError> {
        let token = token.trim();
        if !token.starts_with("gx_") || token.len() > 200 {
            return Ok(None);
        }
        let now = self.now();
        let Some(found) = system::user_for_token(self.db(), &token_hash(token), now).await? else {
            return Ok(None);
        };
        // "Last used" to the minute: one write a minute per busy token, not one a request.
        if found
            .last_used_at
            .is_none_or(|t| now - t >= Duration::seconds(60))
            && let Err(e) = system::touch_token(self.db(), found.id, now).await
        {
            tracing::warn!(error = %e, "could not note a token's use");
        }
        let mut actor = Actor::for_user(&found.user);
        // A token never grants more than its user has.
        let granted = Scopes::parse(&found.scopes).unwrap_or(Scopes::NONE);
        actor.scopes = Scopes {
            read: granted.read,
            write: granted.write,
            admin: granted.admin && found.user.is_admin,
        };
        Ok(Some(actor))
    }

    /// Checks an email and password (for sign-in); `None` when they do not match.
    pub async fn authenticate_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<Actor>, ServiceError> {
        let user = system::user_by_email(self.db(), email.trim()).await?;
        Ok(user
            .filter(|u| u.active)
            .filter(|u| {
                u.password_hash
                    .as_deref()
                    .is_some_and(|h| verify_password(password, h))
            })
            .as_ref()
            .map(Actor::for_user))
    }

    pub async fn actor_for_email(&self, email: &str) -> Result<Actor, ServiceError> {
        system::user_by_email(self.db(), email.trim())
            .await?
            .filter(|u| u.active)
            .as_ref()
            .map(Actor::for_user)
            .ok_or_else(|| ServiceError::field("email", Msg::UnknownEmail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn scopes_parse_and_print() {
        assert_eq!(Scopes::parse("read, WRITE"), Ok(Scopes::READ_WRITE));
        assert_eq!(
            Scopes::parse("read,write,admin")
                .map(|s| s.to_string())
                .as_deref(),
            Ok("read,write,admin")
        );
        assert_eq!(Scopes::parse("read,root"), Err("root".to_string()));
        assert!(Scopes::parse(" ").is_err());
    }

    #[test]
    fn token_hashes_are_stable_hex() {
        assert_eq!(token_hash("gx_a"), token_hash("gx_a"));
        assert_eq!(token_hash("gx_a").len(), 64);
        assert_ne!(token_hash("gx_a"), token_hash("gx_b"));
    }
}

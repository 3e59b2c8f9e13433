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

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl Actor {
    fn from_user(u: &UserRow) -> Actor {
        Actor {
            user_id: u.id,
            email: u.email.clone(),
            is_admin: u.is_admin,
            locale: Locale::from_tag(&u.locale).unwrap_or_default(),
        }
    }
}

impl Crm {
    pub async fn create_user(&self, new: NewUser) -> Result<UserRow, ServiceError> {
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
            time_zone: "Asia/Shanghai".into(),
            is_admin: new.is_admin,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db().begin().await?;
        match system::insert_user(&mut tx, &user).await {
            Err(guanxi_storage::StorageError::Unique { .. }) => {
                return Err(ServiceError::field("email", Msg::EmailTaken));
            }
            other => other?,
        }
        tx.commit().await?;
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

    /// Creates an API token for the user with this email; the token is returned once.
    pub async fn create_token(
        &self,
        email: &str,
        name: &str,
        expires_days: Option<u32>,
    ) -> Result<String, ServiceError> {
        let user = system::user_by_email(self.db(), email.trim())
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| ServiceError::field("email", Msg::UnknownEmail))?;
        let token = format!("gx_{}", random_secret(32));
        let now = self.now();
        let row = TokenRow {
            id: Uuid::now_v7(),
            user_id: user.id,
            name: if name.trim().is_empty() {
                "api".into()
            } else {
                name.trim().into()
            },
            token_hash: token_hash(&token),
            prefix: token.chars().take(10).collect(),
            created_at: now,
            expires_at: expires_days.map(|d| now + Duration::days(i64::from(d))),
        };
        system::insert_token(self.db(), &row).await?;
        Ok(token)
    }

    /// The actor behind a bearer token, if the token is live and its user active.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Actor>, ServiceError> {
        let token = token.trim();
        if !token.starts_with("gx_") || token.len() > 200 {
            return Ok(None);
        }
        let user = system::user_for_token(self.db(), &token_hash(token), self.now()).await?;
        Ok(user.as_ref().map(Actor::from_user))
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
            .map(Actor::from_user))
    }

    pub async fn actor_for_email(&self, email: &str) -> Result<Actor, ServiceError> {
        system::user_by_email(self.db(), email.trim())
            .await?
            .filter(|u| u.active)
            .as_ref()
            .map(Actor::from_user)
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
    fn token_hashes_are_stable_hex() {
        assert_eq!(token_hash("gx_a"), token_hash("gx_a"));
        assert_eq!(token_hash("gx_a").len(), 64);
        assert_ne!(token_hash("gx_a"), token_hash("gx_b"));
    }
}

//! A user's own settings — language, time zone, the currency new amounts are entered in —
//! and their password. Each change is audited; a new password ends the user's other
//! sessions.

use guanxi_core::{FieldError, Locale, Msg};
use guanxi_storage::system;
use serde_json::json;
use uuid::Uuid;

use crate::identity::{MIN_PASSWORD, hash_password, verify_password};
use crate::{Actor, Crm, ServiceError};

/// Whether a text is an IANA time zone name this build knows.
pub fn known_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

impl Crm {
    /// Changes the actor's own language, time zone and currency.
    pub async fn update_settings(
        &self,
        actor: &Actor,
        locale: &str,
        time_zone: &str,
        currency: &str,
    ) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        let locale = match Locale::from_tag(locale.trim()) {
            Some(l) => l,
            None => {
                errors.push(FieldError::new("locale", Msg::NotInPicklist));
                Locale::default()
            }
        };
        let time_zone = time_zone.trim();
        if !known_zone(time_zone) {
            errors.push(FieldError::new("time_zone", Msg::UnknownTimeZone));
        }
        let currency = currency.trim().to_ascii_uppercase();
        if !guanxi_core::values::is_currency_code(&currency) {
            errors.push(FieldError::new("currency", Msg::InvalidCurrency));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !system::set_user_settings(&mut tx, actor.user_id, locale.tag(), time_zone, &currency, now).await?
        {
            return Err(ServiceError::NotFound);
        }
        crate::audit::record(
            &mut tx,
            Some(actor),
            "user.settings",
            None,
            Some(actor.user_id),
            json!({"locale": locale.tag(), "time_zone": time_zone, "currency": currency}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the actor's password after checking the current one; every other session of
    /// theirs ends (`keep`: the session the change was made in).
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        repeated: &str,
        keep: Option<Uuid>,
    ) -> Result<(), ServiceError> {
        let user = system::user_by_id(self.db(), actor.user_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut errors = Vec::new();
        if !user
            .password_hash
            .as_deref()
            .is_some_and(|h| verify_password(current, h))
        {
            errors.push(FieldError::new("current", Msg::WrongCurrentPassword));
        }
        if new.chars().count() < MIN_PASSWORD {
            errors.push(FieldError::new("new", Msg::PasswordTooShort).with("min", MIN_PASSWORD));
        } else if new != repeated {
            errors.push(FieldError::new("repeat", Msg::PasswordsDiffer));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let hash = hash_password(new)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        system::set_password_hash(&mut tx, actor.user_id, &hash, now).await?;
        let ended = match keep {
            Some(session) => system::revoke_other_sessions(&mut tx, actor.user_id, session, now).await?,
            None => system::revoke_sessions(&mut tx, actor.user_id, None, now).await?,
        };
        crate::audit::record(
            &mut tx,
            Some(actor),
            "user.password",
            None,
            Some(actor.user_id),
            json!({"other_sessions_ended": ended}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

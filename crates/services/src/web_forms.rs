//! What the public forms (a lead, a service case) share: a limit per address, a hidden
//! field that robots fill in and people do not, a way to reach the visitor, and the user
//! on whose behalf a form writes. The forms' own fields live with their objects.

use chrono::Duration;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg};
use serde_json::{Map, Value as Json};

use crate::{Actor, Crm, ServiceError};

/// The hidden field: people leave it empty, form-filling robots do not.
pub const HONEYPOT: &str = "website_url";
/// Submissions one address may make to one form per `WINDOW_MINUTES`.
pub const LIMIT: u32 = 5;
pub const WINDOW_MINUTES: i64 = 10;
/// The inputs a visitor may leave to be reached by; one of them is needed.
pub const REACH: [&str; 3] = ["mobile", "phone", "email"];

/// What a web form submission came to.
#[derive(Clone, Debug)]
pub enum Submission {
    Created(Record),
    /// A robot filled the hidden field: answered like a success, nothing stored.
    Discarded,
}

/// Whether an input was given (a non-blank text, or any other value).
pub(crate) fn filled(input: &Map<String, Json>, key: &str) -> bool {
    match input.get(key) {
        Some(Json::String(s)) => !s.trim().is_empty(),
        Some(Json::Null) | None => false,
        Some(_) => true,
    }
}

impl Crm {
    /// Screens a submission to the public form `form` from `address`: `TooManyAttempts`
    /// beyond the limit, `Ok(false)` when the hidden field is filled (discard it silently),
    /// a problem on `email` when there is no way to reach the visitor.
    pub(crate) fn screen_submission(
        &self,
        form: &str,
        address: Option<&str>,
        input: &Map<String, Json>,
    ) -> Result<bool, ServiceError> {
        if let Some(a) = address
            && let Some(retry_after) = self.over_limit(
                &format!("web-form:{form}:{a}"),
                Duration::minutes(WINDOW_MINUTES),
                LIMIT,
            )
        {
            return Err(ServiceError::TooManyAttempts { retry_after });
        }
        if filled(input, HONEYPOT) {
            tracing::info!(form, address, "web form honeypot filled: submission discarded");
            return Ok(false);
        }
        if !REACH.iter().any(|k| filled(input, k)) {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "email",
                Msg::WebFormNeedsContact,
            )]));
        }
        Ok(true)
    }

    /// The user a public form writes as: the first administrator (assignment rules then
    /// give the record its owner).
    pub(crate) async fn form_writer(&self) -> Result<Actor, ServiceError> {
        let owner = guanxi_storage::system::users(self.db())
            .await?
            .into_iter()
            .filter(|u| u.is_admin && u.active)
            .min_by_key(|u| u.created_at)
            .ok_or(ServiceError::NotFound)?;
        self.actor_for_email(&owner.email).await
    }
}

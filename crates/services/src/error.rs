use guanxi_core::{FieldError, Msg};
use guanxi_storage::StorageError;
use thiserror::Error;

/// What went wrong, in domain terms; each transport maps it once (API: problem+json).
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("stale version: the record is now at version {current}")]
    Conflict { current: i64 },
    #[error("a version (If-Match) is required")]
    PreconditionRequired,
    #[error("not allowed: {0:?}")]
    Forbidden(Msg),
    #[error("the credential lacks the {0:?} scope")]
    MissingScope(crate::identity::Scope),
    #[error("wrong email or password")]
    SignInFailed,
    #[error("too many attempts; retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64 },
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("the matching record is in the recycle bin")]
    InRecycleBin,
    #[error("the record is not in the recycle bin")]
    NotDeleted,
    #[error("too many records in one call (max {max})")]
    TooMany { max: usize },
    /// A duplicate rule blocks the record: it looks like these existing ones.
    #[error("the record looks like {} existing record(s)", .0.len())]
    Duplicate(Vec<crate::dedupe::Match>),
    /// A merge cannot be undone safely; the message says why.
    #[error("the merge cannot be undone: {0:?}")]
    UndoRefused(Msg, Vec<(String, String)>),
    /// What was asked for existed but is used up (a survey link already answered).
    #[error("no longer available: {0:?}")]
    Gone(Msg),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, msg: Msg) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, msg)])
    }
}

//! Guanxi storage: one abstraction over SQLite (embedded, default) and PostgreSQL,
//! chosen once from the URL. Owns connection set-up, migrations, DDL generated from
//! metadata and dynamic SQL with every value bound. Knows nothing of permissions or
//! validation: callers (the services) hand it typed, checked values.

pub mod channels;
mod db;
pub mod files;
pub mod imports;
pub mod merges;
pub mod migrations;
pub mod outbox;
pub mod portal;
pub mod privacy;
pub mod records;
pub mod schema;
pub mod sql;
pub mod system;
pub mod views;

pub use db::{Database, Dialect, Tx};
pub use sql::{Arg, Sql};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("a record with this value already exists ({field})")]
    Unique { field: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

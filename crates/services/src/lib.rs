//! Guanxi domain services. `Crm` is the one entry point both transports (REST API, CLI,
//! later the web UI) call: it owns the write path for records, identity, metadata
//! administration and demo data. Adapters hold no business rules.

pub mod assignment;
pub mod attendees;
pub mod audit;
pub mod calendar;
pub mod cases;
pub mod channels;
pub mod clock;
pub mod coding;
pub mod community;
pub mod conflicts;
pub mod customer;
pub mod dedupe;
mod definitions;
pub mod demo;
mod error;
pub mod export;
pub mod field_service;
pub mod files;
pub mod forecasts;
pub mod identity;
pub mod import;
pub mod import_jobs;
pub mod knowledge;
pub mod layouts;
pub mod leads;
pub mod lifecycle;
pub mod mail;
pub mod merge;
pub mod metadata;
pub mod notifications;
pub mod permissions;
pub mod pipeline;
pub mod portal;
pub mod privacy;
pub mod processes;
pub mod quality;
pub mod queues;
pub mod quotes;
pub mod records;
pub mod reminders;
pub mod reviews;
pub mod rules;
pub mod search;
pub mod service_levels;
pub mod service_quality;
pub mod sessions;
pub mod settings;
pub mod tiers;
pub mod vcard;
pub mod views;
pub mod web_forms;

use std::sync::{Arc, RwLock};

use guanxi_core::access::{Policy, Subject, UserFacts, UserKind};
use guanxi_core::{Locale, Schema};
use guanxi_storage::Database;
use uuid::Uuid;

pub use clock::{Clock, SystemClock};
pub use error::ServiceError;

/// Who is acting: every read and write takes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub is_admin: bool,
    pub locale: Locale,
    /// What the credential in use allows (a token may allow less than its user could do).
    pub scopes: identity::Scopes,
    /// Where the request came from, for the audit trail.
    pub ip: Option<String>,
    /// The role in the hierarchy, if the user holds one.
    pub role_id: Option<Uuid>,
    /// Staff, partner user or portal user.
    pub kind: UserKind,
    /// For partner users: the partner account they work for.
    pub partner: Option<Uuid>,
    /// IANA time zone the user reads and enters times in.
    pub time_zone: String,
    /// ISO 4217 code the user enters new amounts in.
    pub currency: String,
}

impl Actor {
    /// Whoever runs the command line on the server: an administrator, audited as `cli`.
    pub fn command_line(locale: Locale) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            email: "cli".into(),
            is_admin: true,
            locale,
            scopes: identity::Scopes::for_user(true),
            ip: None,
            role_id: None,
            kind: UserKind::Internal,
            partner: None,
            time_zone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
        }
    }

    /// Whether the actor may change the setup (metadata, layouts, users, permissions): an
    /// internal administrator whose credential carries the admin scope.
    pub fn administers(&self) -> bool {
        self.is_admin && self.scopes.admin && self.kind == UserKind::Internal
    }

    /// What the access decision needs to know about the actor.
    pub fn subject(&self) -> Subject {
        Subject {
            user: self.user_id,
            admin: self.is_admin,
            facts: UserFacts {
                role: self.role_id,
                kind: self.kind,
                partner: self.partner,
            },
        }
    }
}

/// The services over one database. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Crm {
    db: Database,
    schema: Arc<RwLock<Arc<Schema>>>,
    meta_version: Arc<RwLock<String>>,
    clock: Arc<dyn Clock>,
    limiter: Arc<std::sync::Mutex<sessions::AddressLimiter>>,
    /// Every permission setting, with the version it was loaded at.
    policy: Arc<RwLock<(String, Arc<Policy>)>>,
    /// This node's search index, once opened (see `search`).
    search: Arc<std::sync::OnceLock<Arc<search::Search>>>,
    /// Where this node keeps its files (the search index, import uploads), when it has a
    /// data directory.
    data_dir: Option<std::path::PathBuf>,
    /// The channel conflict worker's wake-up call and lock.
    conflicts: Arc<conflicts::Checks>,
    /// Definitions read on every write or conversion (duplicate rules, sales processes).
    definitions: Arc<definitions::Cache>,
    /// How mail is sent, once configured (see `mail`).
    mail: Arc<std::sync::OnceLock<mail::MailSettings>>,
}

impl Crm {
    /// Runs migrations, synchronises tables with metadata and loads the schema.
    pub async fn open(db: Database, clock: Arc<dyn Clock>) -> Result<Crm, ServiceError> {
        let standard = guanxi_core::builtin::standard_objects();
        guanxi_storage::migrations::migrate(&db, &standard).await?;
        let crm = Crm {
            db,
            schema: Arc::new(RwLock::new(Arc::new(Schema::default()))),
            meta_version: Arc::new(RwLock::new(String::new())),
            clock,
            limiter: Arc::default(),
            policy: Arc::new(RwLock::new((String::new(), Arc::new(Policy::default())))),
            search: Arc::default(),
            data_dir: None,
            conflicts: Arc::default(),
            definitions: Arc::default(),
            mail: Arc::default(),
        };
        crm.reload_schema().await?;
        crm.reload_policy().await?;
        let customs: Vec<_> = crm
            .schema()
            .objects()
            .iter()
            .filter(|o| o.custom)
            .map(|o| o.as_ref().clone())
            .collect();
        guanxi_storage::migrations::sync(&crm.db, &customs).await?;
        Ok(crm)
    }

    /// The same services, keeping node-local files (the search index, import uploads)
    /// in `dir`.
    pub fn with_data_dir(mut self, dir: &std::path::Path) -> Crm {
        self.data_dir = Some(dir.to_path_buf());
        self
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Where this node keeps its files, if anywhere.
    pub fn files_dir(&self) -> Option<&std::path::Path> {
        self.data_dir.as_deref()
    }

    /// Counts one use of `key` against a limit per window (in memory, per node).
    pub(crate) fn over_limit(&self, key: &str, window: chrono::Duration, limit: u32) -> Option<u64> {
        let now = self.now();
        match self.limiter.lock() {
            Ok(mut l) => l.hit_within(key, now, window, limit),
            Err(poisoned) => poisoned.into_inner().hit_within(key, now, window, limit),
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        clock::truncate(self.clock.now())
    }

    /// The current metadata. Replaced whole when an administrator changes it.
    pub fn schema(&self) -> Arc<Schema> {
        match self.schema.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_schema(&self, schema: Schema, version: String) {
        match self.schema.write() {
            Ok(mut s) => *s = Arc::new(schema),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(schema),
        }
        match self.meta_version.write() {
            Ok(mut v) => *v = version,
            Err(poisoned) => *poisoned.into_inner() = version,
        }
    }

    /// Refreshes the database's planner statistics where the data changed a lot (SQLite;
    /// PostgreSQL does it itself). Run in the background; returns the tables analysed.
    pub async fn refresh_statistics(&self) -> Result<Vec<String>, ServiceError> {
        let tables: Vec<String> = self.schema().objects().iter().map(|o| o.table.clone()).collect();
        Ok(guanxi_storage::schema::refresh_statistics(&self.db, &tables).await?)
    }

    /// Reloads metadata if another node changed it; cheap when nothing changed.
    pub async fn refresh_schema(&self) -> Result<bool, ServiceError> {
        let stored = guanxi_storage::system::meta_version(&self.db).await?;
        let known = self.meta_version.read().map(|v| v.clone()).unwrap_or_default();
        if stored == known {
            return Ok(false);
        }
        self.reload_schema().await?;
        Ok(true)
    }
}

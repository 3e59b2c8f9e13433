//! Imports started from the web or the API. The uploaded file goes to the data
//! directory (`imports/{id}/`), the import runs in the background through the same
//! importer as `guanxi import` (same mapping, validation, duplicate handling, error file
//! and checkpoints), and its status, counts and progress are kept in the database after
//! every batch, so the page that shows them can be reloaded or opened on another node.
//! An import whose progress stops moving (its server stopped) shows as interrupted and
//! can be resumed by the user who started it: the checkpoint makes sure no row is
//! written twice.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guanxi_core::Msg;
use guanxi_storage::imports::{self, ImportRow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::import::{Counts, Event, ImportOptions, OnDuplicate};
use crate::{Actor, Crm, ServiceError};

/// An import that has not reported progress for this long has stopped running.
pub const STALL: Duration = Duration::from_secs(120);
/// The largest file accepted from the web or the API.
pub const MAX_UPLOAD: u64 = 512 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Running,
    Done,
    Failed,
    /// Its server stopped while it ran; it can be resumed.
    Interrupted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "running" => Status::Running,
            "done" => Status::Done,
            "interrupted" => Status::Interrupted,
            _ => Status::Failed,
        }
    }
}

/// What the stored row's `detail` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Detail {
    pub dry_run: bool,
    pub on_duplicate: Option<OnDuplicate>,
    pub counts: Counts,
    /// Rows processed so far (the header is not counted).
    pub rows: u64,
    /// Share of the file read, 0–1.
    pub fraction: f64,
    /// Rows per second.
    pub rate: f64,
    pub seconds: f64,
    /// Why the import failed, in the language of whoever started it.
    pub message: Option<String>,
    pub unknown_columns: Vec<String>,
    /// The row a resumed run started after.
    pub resumed_after: Option<u64>,
    /// Whether rows failed (the error file can be downloaded).
    pub has_errors: bool,
}

/// One import, as its pages and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct ImportJob {
    pub id: Uuid,
    /// Plural API name.
    pub object: String,
    pub file_name: String,
    pub status: Status,
    #[serde(flatten)]
    pub detail: Detail,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ImportJob {
    fn from_row(row: ImportRow, now: DateTime<Utc>) -> ImportJob {
        let mut status = Status::parse(&row.status);
        if status == Status::Running
            && now
                .signed_duration_since(row.updated_at)
                .to_std()
                .unwrap_or_default()
                > STALL
        {
            status = Status::Interrupted;
        }
        ImportJob {
            id: row.id,
            object: row.object,
            file_name: row.file_name,
            status,
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Where an upload is written before the import starts.
pub struct Upload {
    pub id: Uuid,
    pub path: PathBuf,
}

impl Crm {
    fn imports_dir(&self) -> Result<PathBuf, ServiceError> {
        self.files_dir()
            .map(|d| d.join("imports"))
            .ok_or_else(|| ServiceError::Internal("no data directory for uploads".into()))
    }

    fn import_dir(&self, id: Uuid) -> Result<PathBuf, ServiceError> {
        Ok(self.imports_dir()?.join(id.to_string()))
    }

    /// A place for a new import's file. Checks first that the actor may create records of
    /// `object`, so nobody uploads a file that could never be imported.
    pub async fn new_upload(&self, actor: &Actor, object: &str) -> Result<Upload, ServiceError> {
        let (_, def) = self.object(object)?;
        if !self
            .access(actor, &def)
            .may(guanxi_core::access::Operation::Create)
        {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let id = Uuid::now_v7();
        let dir = self.import_dir(id)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(Upload {
            id,
            path: dir.join("upload"),
        })
    }

    /// Starts importing an upload in the background; answers at once with the import.
    pub async fn start_import(
        &self,
        actor: &Actor,
        object: &str,
        upload: &Upload,
        file_name: &str,
        dry_run: bool,
        on_duplicate: OnDuplicate,
    ) -> Result<ImportJob, ServiceError> {
        let (_, def) = self.object(object)?;
        let now = self.now();
        let detail = Detail {
            dry_run,
            on_duplicate: Some(on_duplicate),
            ..Detail::default()
        };
        let row = ImportRow {
            id: upload.id,
            object: def.plural.clone(),
            file_name: file_name.chars().take(255).collect(),
            status: Status::Running.as_str().into(),
            detail: serde_json::to_string(&detail).unwrap_or_default(),
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        };
        imports::insert(self.db(), &row).await?;
        let job = ImportJob::from_row(row, now);
        self.spawn_import(actor.clone(), job.clone(), upload.path.clone());
        Ok(job)
    }

    /// Resumes an interrupted import (only its owner): rows already written are skipped.
    pub async fn resume_import(&self, actor: &Actor, id: Uuid) -> Result<ImportJob, ServiceError> {
        let mut job = self.import_job(actor, id).await?;
        if job.created_by != actor.user_id {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let path = self.import_dir(id)?.join("upload");
        if !matches!(job.status, Status::Interrupted | Status::Failed) || !path.exists() {
            return Err(ServiceError::field("status", Msg::DetailImportNotInterrupted));
        }
        job.status = Status::Running;
        job.detail.message = None;
        imports::update(
            self.db(),
            id,
            Status::Running.as_str(),
            &serde_json::to_string(&job.detail).unwrap_or_default(),
            self.now(),
        )
        .await?;
        self.spawn_import(actor.clone(), job.clone(), path);
        Ok(job)
    }

    /// One import: its starter's, or any for an administrator.
    pub async fn import_job(&self, actor: &Actor, id: Uuid) -> Result<ImportJob, ServiceError> {
        let row = imports::get(self.db(), id).await?.ok_or(ServiceError::NotFound)?;
        if row.created_by != actor.user_id && !actor.administers() {
            return Err(ServiceError::NotFound);
        }
        Ok(ImportJob::from_row(row, self.now()))
    }

    /// The actor's imports (an administrator's: everyone's), newest first.
    pub async fn import_jobs(&self, actor: &Actor) -> Result<Vec<ImportJob>, ServiceError> {
        let by = (!actor.administers()).then_some(actor.user_id);
        let now = self.now();
        Ok(imports::list(self.db(), by, 100)
            .await?
            .into_iter()
            .map(|r| ImportJob::from_row(r, now))
            .collect())
    }

    /// The rows of an import that failed, as the CSV error file (row, field, reason).
    pub async fn import_errors(&self, actor: &Actor, id: Uuid) -> Result<Vec<u8>, ServiceError> {
        let job = self.import_job(actor, id).await?;
        if !job.detail.has_errors {
            return Err(ServiceError::NotFound);
        }
        tokio::fs::read(self.import_dir(id)?.join("errors.csv"))
            .await
            .map_err(|_| ServiceError::NotFound)
    }

    fn spawn_import(&self, actor: Actor, job: ImportJob, path: PathBuf) {
        let crm = self.clone();
        tokio::spawn(async move {
            let id = job.id;
            if let Err(e) = crm.run_import(actor, job, &path).await {
                tracing::error!(import = %id, error = %e, "import could not record its outcome");
            }
        });
    }

    async fn run_import(&self, actor: Actor, mut job: ImportJob, path: &Path) -> Result<(), ServiceError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let options = ImportOptions {
            dry_run: job.detail.dry_run,
            on_duplicate: job.detail.on_duplicate.unwrap_or_default(),
            errors_path: Some(dir.join("errors.csv")),
            state_path: Some(dir.join("state")),
            ..ImportOptions::default()
        };
        let latest: Arc<Mutex<Option<Event>>> = Arc::default();
        let sink = latest.clone();
        // The import runs as its own task: its batch transactions never wait on the
        // progress writes below (on SQLite they would wait for each other).
        let importer = self.clone();
        let object = job.object.clone();
        let file = path.to_path_buf();
        let who = actor.clone();
        let mut run = tokio::spawn(async move {
            let mut progress = move |e: &Event| {
                if let Ok(mut slot) = sink.lock() {
                    *slot = Some(e.clone());
                }
            };
            importer
                .import(&who, &object, &file, &options, &mut progress)
                .await
        });
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let result = loop {
            tokio::select! {
                r = &mut run => break r,
                _ = tick.tick() => {
                    let event = latest.lock().ok().and_then(|mut s| s.take());
                    match event {
                        Some(Event::Batch(p)) => {
                            job.detail.rows = p.rows;
                            job.detail.fraction = p.fraction;
                            job.detail.rate = p.rate;
                        }
                        Some(Event::Started { unknown_columns, resumed_after, .. }) => {
                            job.detail.unknown_columns = unknown_columns;
                            job.detail.resumed_after = resumed_after;
                        }
                        None => {}
                    }
                    // Also the heartbeat that tells a running import from a stopped one. A
                    // write that fails (the database busy) is retried at the next tick.
                    if let Err(e) = self.save_job(&job).await {
                        tracing::warn!(import = %job.id, error = %e, "import progress not saved");
                    }
                }
            }
        };
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                // The importer itself broke down: say so rather than look interrupted.
                job.status = Status::Failed;
                job.detail.message = Some(e.to_string());
                return self.save_job(&job).await;
            }
        };
        match result {
            Ok(report) => {
                job.status = Status::Done;
                job.detail.counts = report.counts.clone();
                job.detail.rows = report.counts.rows();
                job.detail.fraction = 1.0;
                job.detail.rate = report.rate;
                job.detail.seconds = report.seconds;
                job.detail.unknown_columns = report.unknown_columns.clone();
                job.detail.resumed_after = report.resumed_after;
                job.detail.has_errors = report.errors_path.is_some();
                // The file is not kept once it is in: the records are.
                let _ = tokio::fs::remove_file(path).await;
            }
            Err(e) => {
                job.status = Status::Failed;
                job.detail.message = Some(e.message(actor.locale));
            }
        }
        self.save_job(&job).await
    }

    async fn save_job(&self, job: &ImportJob) -> Result<(), ServiceError> {
        imports::update(
            self.db(),
            job.id,
            job.status.as_str(),
            &serde_json::to_string(&job.detail).unwrap_or_default(),
            self.now(),
        )
        .await?;
        Ok(())
    }
}

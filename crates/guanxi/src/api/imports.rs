//! Imports over the API: upload a file (the request body, streamed to disk), follow its
//! progress, fetch the rows that failed, resume an interrupted one.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::StreamExt;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::import::OnDuplicate;
use guanxi_services::import_jobs::{ImportJob, MAX_UPLOAD, Upload};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::{Ctx, Problem, fail, object_for, parse_id};

#[derive(Deserialize)]
pub(super) struct StartParams {
    file_name: Option<String>,
    dry_run: Option<String>,
    on_duplicate: Option<String>,
}

/// `on_duplicate` as given (skip, merge, create), or the field's problem.
pub(crate) fn on_duplicate(value: Option<&str>) -> Result<OnDuplicate, FieldError> {
    match value.map(str::trim) {
        None | Some("") | Some("skip") => Ok(OnDuplicate::Skip),
        Some("merge") => Ok(OnDuplicate::Merge),
        Some("create") => Ok(OnDuplicate::Create),
        Some(_) => Err(FieldError::new("on_duplicate", Msg::NotInPicklist)),
    }
}

/// A boolean query value: true, 1, yes, on.
pub(crate) fn flag(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("true" | "1" | "yes" | "on"))
}

pub(crate) fn job_json(job: &ImportJob) -> Value {
    let mut v = json!(job);
    if let Value::Object(m) = &mut v {
        m.insert(
            "errors_url".into(),
            if job.detail.has_errors {
                json!(format!("/api/v1/imports/{}/errors", job.id))
            } else {
                Value::Null
            },
        );
    }
    v
}

/// Writes a body stream to the upload's file, refusing more than `MAX_UPLOAD` bytes.
/// Returns how many bytes were written (`None` when too large; the file is removed).
pub(crate) async fn save_stream<S, E>(upload: &Upload, mut stream: S) -> std::io::Result<Option<u64>>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = tokio::fs::File::create(&upload.path).await?;
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| std::io::Error::other(e.to_string()))?;
        written += chunk.len() as u64;
        if written > MAX_UPLOAD {
            drop(file);
            let _ = tokio::fs::remove_file(&upload.path).await;
            return Ok(None);
        }
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(Some(written))
}

/// `POST /api/v1/{plural}/imports?file_name=&dry_run=&on_duplicate=` with the file (CSV in
/// any of the encodings `guanxi import` reads, or XLSX) as the body: 202 and the import.
pub(super) async fn start(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<StartParams>,
    body: Body,
) -> Result<Response, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let on_duplicate =
        on_duplicate(params.on_duplicate.as_deref()).map_err(|e| Problem::validation(ctx.locale, &[e]))?;
    let upload = crm
        .new_upload(&ctx.actor, &object.name)
        .await
        .map_err(fail(&ctx))?;
    let written = save_stream(&upload, body.into_data_stream())
        .await
        .map_err(|e| Problem::internal(ctx.locale, &e))?;
    match written {
        None => {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                ctx.locale,
                Msg::TitlePayloadTooLarge,
                Msg::DetailUploadTooLarge.text(ctx.locale).to_string(),
            ));
        }
        Some(0) => {
            return Err(Problem::validation(
                ctx.locale,
                &[FieldError::new("file", Msg::DetailUploadEmpty)],
            ));
        }
        Some(_) => {}
    }
    let name = params
        .file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{}.csv", object.plural));
    let job = crm
        .start_import(
            &ctx.actor,
            &object.name,
            &upload,
            &name,
            flag(params.dry_run.as_deref()),
            on_duplicate,
        )
        .await
        .map_err(fail(&ctx))?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{}", job.id))],
        Json(job_json(&job)),
    )
        .into_response())
}

/// `GET /api/v1/imports`: the caller's imports (an administrator's: everyone's).
pub(super) async fn list(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let jobs = crm.import_jobs(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": jobs.iter().map(job_json).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/v1/imports/{id}`: status, counts, progress.
pub(super) async fn get_one(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let job = crm.import_job(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(job_json(&job)))
}

/// `GET /api/v1/imports/{id}/errors`: the rows that failed (row, field, reason) as CSV.
pub(super) async fn errors(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&ctx, &id)?;
    let bytes = crm.import_errors(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /api/v1/imports/{id}/resume`.
pub(super) async fn resume(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&ctx, &id)?;
    let job = crm.resume_import(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok((StatusCode::ACCEPTED, Json(job_json(&job))).into_response())
}

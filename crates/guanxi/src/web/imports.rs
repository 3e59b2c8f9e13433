//! Importing from the browser: a form to upload a CSV or XLSX file for any object, and a
//! page that follows the import as it runs (reloaded by the script each second while it
//! runs; a plain reload without it), with its counts, the rows that failed and a resume
//! button when its server stopped.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::import::OnDuplicate;
use guanxi_services::import_jobs::{ImportJob, Status, Upload};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{self, t};
use super::{Viewer, csrf_ok, csrf_refused, failure, html, object_page, signed_in};
use crate::api::imports::{flag, on_duplicate, save_stream};

/// Uploads are streamed to disk with their own size limit, outside the form-size limit.
pub(crate) fn upload_router() -> Router<Crm> {
    Router::new()
        .route("/o/{plural}/import", post(upload))
        .layer(axum::extract::DefaultBodyLimit::max(
            usize::try_from(guanxi_services::import_jobs::MAX_UPLOAD + 64 * 1024).unwrap_or(usize::MAX),
        ))
}

/// `GET /o/{plural}/import`: the form.
pub(super) async fn form(State(crm): State<Crm>, headers: HeaderMap, Path(plural): Path<String>) -> Response {
    let (v, object) = match object_page(&crm, &headers, &plural).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    page(&crm, &v, &object, &HashMap::new(), &[], StatusCode::OK)
}

fn page(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let error = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message(l));
    let file_error = error("file");
    let dup_error = error("on_duplicate");
    let chosen = values.get("on_duplicate").map_or("skip", String::as_str);
    let title = format!("{} · {}", t(l, Msg::UiImport), object.plural_label.get(l));
    let content = html! {
        h1 { (title) }
        form.card.record-form method="post" action={ "/o/" (object.plural) "/import" } enctype="multipart/form-data" novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            div.field {
                label for="import-file" { (t(l, Msg::UiImportFile)) }
                input #import-file type="file" name="file" accept=".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    aria-invalid=[file_error.as_ref().map(|_| "true")]
                    aria-describedby=(if file_error.is_some() { "import-file-error" } else { "import-file-hint" });
                @if let Some(e) = &file_error { p.error #import-file-error { (e) } }
                @else { p.hint #import-file-hint { (t(l, Msg::UiImportFileHint)) } }
            }
            fieldset.field {
                legend { (t(l, Msg::UiOnDuplicate)) }
                @for (value, msg) in [("skip", Msg::UiOnDuplicateSkip), ("merge", Msg::UiOnDuplicateMerge), ("create", Msg::UiOnDuplicateCreate)] {
                    label.check {
                        input type="radio" name="on_duplicate" value=(value) checked[chosen == value]
                            aria-invalid=[dup_error.as_ref().map(|_| "true")];
                        " " (t(l, msg))
                    }
                }
                @if let Some(e) = &dup_error { p.error { (e) } }
            }
            div.field.check {
                input #import-dry type="checkbox" name="dry_run" value="true" checked[values.get("dry_run").is_some()];
                label for="import-dry" { (t(l, Msg::UiDryRun)) }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiStartImport)) } }
        }
        p { a href="/imports" { (t(l, Msg::UiImports)) } }
    };
    html(
        status,
        pages::layout(
            l,
            Some(v),
            Some(&crm.schema()),
            Some(&object.name),
            &format!("/o/{}/import", object.plural),
            &title,
            content,
        ),
    )
}

/// `POST /o/{plural}/import` (multipart: csrf, on_duplicate, dry_run, then the file).
async fn upload(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(object) = crm.schema().by_plural(&plural).cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut upload: Option<(Upload, String, u64)> = None;
    let mut errors = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                errors.push(FieldError::new("file", Msg::DetailUploadMissing));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            if let Ok(text) = field.text().await {
                values.insert(name, text);
            }
            continue;
        }
        // The form puts the token first: nothing is written for a forged form.
        if !csrf_ok(&v, &values) {
            return csrf_refused(&v);
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        if file_name.is_empty() {
            continue;
        }
        let target = match crm.new_upload(&v.actor, &object.name).await {
            Ok(u) => u,
            Err(e) => return failure(e, v.locale, Some(&v)),
        };
        match save_stream(&target, field).await {
            Ok(Some(n)) => upload = Some((target, file_name, n)),
            Ok(None) => {
                errors.push(FieldError::new("file", Msg::DetailUploadTooLarge));
                break;
            }
            Err(e) => return failure(ServiceError::Internal(e.to_string()), v.locale, Some(&v)),
        }
    }
    if !csrf_ok(&v, &values) {
        return csrf_refused(&v);
    }
    let duplicates = on_duplicate(values.get("on_duplicate").map(String::as_str));
    if let Err(e) = &duplicates {
        errors.push(e.clone());
    }
    match &upload {
        None if errors.iter().all(|e| e.field != "file") => {
            errors.push(FieldError::new("file", Msg::DetailUploadMissing));
        }
        Some((_, _, 0)) => errors.push(FieldError::new("file", Msg::DetailUploadEmpty)),
        _ => {}
    }
    let (Some((target, file_name, _)), true) = (upload, errors.is_empty()) else {
        return page(
            &crm,
            &v,
            &object,
            &values,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    match crm
        .start_import(
            &v.actor,
            &object.name,
            &target,
            &file_name,
            flag(values.get("dry_run").map(String::as_str)),
            duplicates.unwrap_or(OnDuplicate::Skip),
        )
        .await
    {
        Ok(job) => Redirect::to(&format!("/imports/{}", job.id)).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn status_text(l: Locale, s: Status) -> &'static str {
    t(
        l,
        match s {
            Status::Running => Msg::UiImportRunning,
            Status::Done => Msg::UiImportDone,
            Status::Failed => Msg::UiImportFailed,
            Status::Interrupted => Msg::UiImportInterrupted,
        },
    )
}

fn counts_text(l: Locale, job: &ImportJob) -> String {
    let c = &job.detail.counts;
    Msg::UiImportCounts.format(
        l,
        &[
            ("created", &c.created.to_string()),
            ("updated", &c.updated.to_string()),
            ("skipped", &c.skipped.to_string()),
            ("errors", &c.errors.to_string()),
        ],
    )
}

/// `GET /imports`: the viewer's imports (an administrator's: everyone's).
pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let jobs = match crm.import_jobs(&v.actor).await {
        Ok(j) => j,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let schema = crm.schema();
    let fmt = v.fmt();
    let title = t(l, Msg::UiImports);
    let content = html! {
        h1 { (title) }
        @if jobs.is_empty() { p.empty { (t(l, Msg::UiNothingYet)) } }
        @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiImportFile)) }
                    th scope="col" { (t(l, Msg::UiObject)) }
                    th scope="col" { (t(l, Msg::UiImportStatus)) }
                    th scope="col" { (t(l, Msg::UiImportRows)) }
                } }
                tbody {
                    @for j in &jobs {
                        tr {
                            td data-label=(t(l, Msg::UiImportFile)) { a href={ "/imports/" (j.id) } { (j.file_name) } " · " (fmt.datetime(&j.created_at)) }
                            td data-label=(t(l, Msg::UiObject)) { (schema.named(&j.object).map_or(j.object.clone(), |o| o.plural_label.get(l).to_string())) }
                            td data-label=(t(l, Msg::UiImportStatus)) { (status_text(l, j.status)) }
                            td data-label=(t(l, Msg::UiImportRows)) { (j.detail.rows) }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(l, Some(&v), Some(&schema), None, "/imports", title, content),
    )
}

/// The signed-in viewer and the import id of the path, or the answer for a bad one.
async fn viewer_and_job(crm: &Crm, headers: &HeaderMap, id: &str) -> Result<(Viewer, Uuid), Response> {
    let v = signed_in(crm, headers).await?;
    match Uuid::parse_str(id) {
        Ok(id) => Ok((v, id)),
        Err(_) => Err(failure(ServiceError::NotFound, v.locale, Some(&v))),
    }
}

/// `GET /imports/{id}`: how far the import is.
pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (v, id) = match viewer_and_job(&crm, &headers, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let job = match crm.import_job(&v.actor, id).await {
        Ok(j) => j,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    html(StatusCode::OK, job_page(&crm, &v, &job))
}

fn job_page(crm: &Crm, v: &Viewer, job: &ImportJob) -> Markup {
    let l = v.locale;
    let schema = crm.schema();
    let object = schema.named(&job.object);
    let d = &job.detail;
    let percent = (d.fraction * 100.0).round().clamp(0.0, 100.0);
    let running = job.status == Status::Running;
    let title = format!("{} · {}", t(l, Msg::UiImport), job.file_name);
    let content = html! {
        h1 { (title) }
        section.card.import-job data-running=[running.then_some("true")] aria-live="polite" {
            dl.fields {
                dt { (t(l, Msg::UiImportStatus)) }
                dd { strong.import-status { (status_text(l, job.status)) } }
                dt { (t(l, Msg::UiImportRows)) }
                dd {
                    progress max="100" value=(percent) { (percent) " %" }
                    " " (d.rows) " · " (percent) " %"
                    @if d.rate > 0.0 { " · " (Msg::UiImportRate.format(l, &[("rate", &format!("{:.0}", d.rate))])) }
                }
                @if job.status == Status::Done {
                    dt { (t(l, Msg::UiImportCounts).split('{').next().unwrap_or_default().trim()) }
                    dd { (counts_text(l, job)) }
                }
            }
            @if d.dry_run { p.hint { (t(l, Msg::UiImportDryRunNote)) } }
            @if !d.unknown_columns.is_empty() {
                p.hint { (Msg::UiImportUnknownColumns.format(l, &[("columns", &d.unknown_columns.join(", "))])) }
            }
            @if let Some(m) = &d.message { p.error role="alert" { (m) } }
            @if d.has_errors {
                p { a href={ "/imports/" (job.id) "/errors.csv" } download { (t(l, Msg::UiImportErrorsFile)) } }
            }
            @if matches!(job.status, Status::Interrupted | Status::Failed) && job.created_by == v.actor.user_id {
                form method="post" action={ "/imports/" (job.id) "/resume" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.primary type="submit" { (t(l, Msg::UiResumeImport)) }
                }
            }
        }
        p {
            @if let Some(o) = object { a href={ "/o/" (o.plural) } { (o.plural_label.get(l)) } " · " }
            a href="/imports" { (t(l, Msg::UiImports)) }
        }
    };
    pages::layout(
        l,
        Some(v),
        Some(&schema),
        object.map(|o| o.name.as_str()),
        &format!("/imports/{}", job.id),
        &title,
        content,
    )
}

/// `GET /imports/{id}/errors.csv`.
pub(super) async fn errors(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (v, id) = match viewer_and_job(&crm, &headers, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match crm.import_errors(&v.actor, id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"import-{id}-errors.csv\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `POST /imports/{id}/resume`.
pub(super) async fn resume(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let (v, id) = match viewer_and_job(&crm, &headers, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if !csrf_ok(&v, &form) {
        return csrf_refused(&v);
    }
    match crm.resume_import(&v.actor, id).await {
        Ok(job) => Redirect::to(&format!("/imports/{}", job.id)).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

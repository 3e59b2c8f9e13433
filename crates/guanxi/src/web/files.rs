//! Files on record pages and on the customer's case in the portal: the list, a form to
//! attach one (multipart, CSRF token first), and `/files/{id}` to download one — always as
//! an attachment, so an uploaded page never runs as ours.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use guanxi_core::{FieldError, Msg};
use guanxi_services::files::MAX_FILE_BYTES;
use guanxi_services::{Crm, ServiceError};
use guanxi_storage::files::FileRow;
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::t;
use super::{Viewer, csrf_ok, csrf_refused, failure};

/// Uploads carry up to a file's limit, beyond the form-size limit.
pub(crate) fn upload_router() -> Router<Crm> {
    Router::new()
        .route("/o/{plural}/{id}/files", post(attach))
        .route("/portal/cases/{id}/files", post(portal_attach))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024))
}

fn size_text(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The files card: each file (name, size, who, when) and the form to attach another.
pub(super) fn card(v: &Viewer, action: &str, files: &[FileRow], errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let error = errors.iter().find(|e| e.field == "file");
    html! {
        section.card.files aria-labelledby="files" {
            h2 #files { (t(l, Msg::UiFiles)) }
            @if files.is_empty() {
                p.empty { (t(l, Msg::UiNoFiles)) }
            } @else {
                ul.files {
                    @for f in files {
                        li {
                            a href={ "/files/" (f.id) } download=(f.name) { (f.name) }
                            " " span.hint { (size_text(f.size)) " · " (f.uploaded_by) " · " (v.fmt().datetime(&f.created_at)) }
                        }
                    }
                }
            }
            form method="post" action=(action) enctype="multipart/form-data" novalidate {
                input type="hidden" name="csrf" value=(v.csrf);
                div.field {
                    label for="attach-file" { (t(l, Msg::UiAttachFile)) }
                    input #attach-file type="file" name="file"
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "attach-file-error")];
                    @if let Some(e) = error { p.error #attach-file-error { (e.message(l)) } }
                }
                button.secondary type="submit" { (t(l, Msg::UiAttach)) }
            }
        }
    }
}

/// The uploaded file of a multipart form whose CSRF token comes first: (name, type,
/// bytes), a problem for the file input, or the answer for a forged form.
async fn uploaded(
    v: &Viewer,
    mut multipart: Multipart,
) -> Result<Result<(String, String, Vec<u8>), FieldError>, Response> {
    let mut values: HashMap<String, String> = HashMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Ok(Err(
                    FieldError::new("file", Msg::FileTooLarge).with("max", MAX_FILE_BYTES / (1024 * 1024))
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            if let Ok(text) = field.text().await {
                values.insert(name, text);
            }
            continue;
        }
        if !csrf_ok(v, &values) {
            return Err(csrf_refused(v));
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        let content_type = field.content_type().unwrap_or_default().to_string();
        return match field.bytes().await {
            Ok(bytes) => Ok(Ok((file_name, content_type, bytes.to_vec()))),
            Err(_) => Ok(Err(
                FieldError::new("file", Msg::FileTooLarge).with("max", MAX_FILE_BYTES / (1024 * 1024))
            )),
        };
    }
    if !csrf_ok(v, &values) {
        return Err(csrf_refused(v));
    }
    Ok(Err(FieldError::new("file", Msg::FileNoName)))
}

/// `POST /o/{plural}/{id}/files`: a colleague attaches a file; back to the record page, or
/// the page again with the problem beside the file input.
async fn attach(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    multipart: Multipart,
) -> Response {
    let (v, object, id) = match super::record_page(&crm, &headers, &plural, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let done = match uploaded(&v, multipart).await {
        Err(r) => return r,
        Ok(Err(e)) => Err(ServiceError::Validation(vec![e])),
        Ok(Ok((name, content_type, bytes))) => crm
            .attach_file(&v.actor, &object.name, id, &name, &content_type, &bytes)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/o/{plural}/{id}#files")).into_response(),
        Err(ServiceError::Validation(errors)) => super::record::refused(&crm, &v, &object, id, &errors).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `POST /portal/cases/{id}/files`: the customer attaches a file to their case.
async fn portal_attach(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let v = match super::portal::customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let done = match uploaded(&v, multipart).await {
        Err(r) => return r,
        Ok(Err(e)) => Err(ServiceError::Validation(vec![e])),
        Ok(Ok((name, content_type, bytes))) => crm
            .portal_attach(&v.actor, id, &name, &content_type, &bytes)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/portal/cases/{id}#files")).into_response(),
        Err(ServiceError::Validation(errors)) => super::portal::case_again(&crm, &v, id, &errors).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `GET /files/{id}`: the file, for a colleague who may read its record or the customer
/// whose case it is on.
pub(super) async fn download(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let v = match super::anyone(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.file_content(&v.actor, id).await {
        Ok((row, bytes)) => file_response(&row, bytes),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// A file as a download: its type, its name (RFC 6266/5987 for non-ASCII names), never
/// shown inline.
pub(crate) fn file_response(row: &FileRow, bytes: Vec<u8>) -> Response {
    let ascii: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = row
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut res = (StatusCode::OK, Body::from(bytes)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(d) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

//! Changing one field of a record in place: a list cell edited inline, a board card moved
//! to another column. Without JavaScript the forms post and come back to the page they
//! were on; the page script asks for JSON instead and updates the page itself. Either
//! way the write carries the version the user saw, so a change made meanwhile by someone
//! else is refused with a message, never overwritten.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::Msg;
use guanxi_services::{Crm, ServiceError};
use serde_json::json;

use super::{Viewer, editable_fields, failure, form_input, form_values, html, pages, posted_record};

/// Whether the caller is the page script, which wants JSON rather than a page.
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// A same-site path to go back to after a form, or the fallback.
pub(super) fn safe_back(back: Option<&String>, fallback: &str) -> String {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .cloned()
        .unwrap_or_else(|| fallback.to_string())
}

/// A refusal: JSON with the message for the script, a page with a way back otherwise.
fn refused(
    v: &Viewer,
    json_wanted: bool,
    status: StatusCode,
    field: Option<&str>,
    text: String,
    back: &str,
) -> Response {
    if json_wanted {
        return (status, axum::Json(json!({ "field": field, "message": text }))).into_response();
    }
    html(status, pages::notice(v, &text, back))
}

/// `POST /o/{plural}/{id}/set`: one field (`field`, its value under its own name, as the
/// record form sends it) at the `version` the user saw.
pub(super) async fn set_field(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let json_wanted = wants_json(&headers);
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let back = safe_back(form.get("back"), &format!("/o/{}/{id}", object.plural));
    let locale = v.locale;
    let name = form.get("field").map(String::as_str).unwrap_or("");
    let fields = editable_fields(&crm, &v.actor, &object);
    let Some(field) = fields.iter().find(|f| f.name == name) else {
        let text = guanxi_core::FieldError::new(name, Msg::UnknownField).message(locale);
        return refused(
            &v,
            json_wanted,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(name),
            text,
            &back,
        );
    };
    let mut patch = form_input(&v, std::slice::from_ref(field), &form, false);
    if let Some(e) = super::lookup::resolve(&crm, &v, std::slice::from_ref(field), &form, &mut patch)
        .await
        .first()
    {
        let text = Msg::UiNotSaved.format(locale, &[("reason", &e.message(locale))]);
        return refused(
            &v,
            json_wanted,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(name),
            text,
            &back,
        );
    }
    if patch.is_empty() {
        let text = guanxi_core::FieldError::new(name, Msg::Required).message(locale);
        return refused(
            &v,
            json_wanted,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(name),
            text,
            &back,
        );
    }
    let version = form
        .get("version")
        .and_then(|x| x.trim().parse::<i64>().ok())
        .unwrap_or(0);
    match crm.update(&v.actor, &object.name, id, version, patch).await {
        Ok(record) if json_wanted => {
            let value = pages::field_value(&object, &record, &field.name);
            axum::Json(json!({
                "id": id,
                "version": record.version(),
                "field": field.name,
                "display": pages::display(field, value, v.fmt()),
                "raw": form_values(&v, &object, &record).get(&field.name),
            }))
            .into_response()
        }
        Ok(_) => Redirect::to(&back).into_response(),
        Err(ServiceError::Validation(errors)) => {
            let text = errors
                .iter()
                .map(|e| e.message(locale))
                .collect::<Vec<_>>()
                .join(" ");
            let text = Msg::UiNotSaved.format(locale, &[("reason", &text)]);
            let field = errors.first().map(|e| e.field.clone());
            refused(
                &v,
                json_wanted,
                StatusCode::UNPROCESSABLE_ENTITY,
                field.as_deref(),
                text,
                &back,
            )
        }
        Err(ServiceError::Conflict { current }) => {
            let text = match (form.contains_key("board"), object.field(&object.name_field)) {
                // A board card goes back to its column: name the record it is about.
                (true, Some(name_field)) => {
                    let name = match crm.get(&v.actor, &object.name, id, false).await {
                        Ok(r) => pages::display(
                            name_field,
                            pages::field_value(&object, &r, &name_field.name),
                            v.fmt(),
                        ),
                        Err(_) => String::new(),
                    };
                    Msg::UiMoveConflict.format(locale, &[("name", &name)])
                }
                _ => Msg::UiConflict.format(locale, &[("current", &current.to_string())]),
            };
            refused(&v, json_wanted, StatusCode::CONFLICT, None, text, &back)
        }
        Err(e) if json_wanted => {
            let status = match e {
                ServiceError::NotFound => StatusCode::NOT_FOUND,
                ServiceError::Forbidden(_) | ServiceError::MissingScope(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let msg = match &e {
                ServiceError::Forbidden(m) => *m,
                ServiceError::NotFound => Msg::DetailNotFound,
                ServiceError::MissingScope(_) => Msg::DetailNoPermission,
                _ => Msg::DetailInternal,
            };
            refused(&v, true, status, None, msg.text(locale).to_string(), &back)
        }
        Err(e) => failure(e, locale, Some(&v)),
    }
}

/// `GET /o/{plural}/{id}/cell/{field}`: the little form that edits one cell in place —
/// the record form's own input for that field, with the version the page showed.
pub(super) async fn cell_form(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id, name)): Path<(String, String, String)>,
) -> Response {
    let (v, object, id) = match super::record_page(&crm, &headers, &plural, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let record = match crm.get(&v.actor, &object.name, id, false).await {
        Ok(r) => r,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let fields = editable_fields(&crm, &v.actor, &object);
    let Some(field) = fields.iter().find(|f| f.name == name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let users = super::user_choices(&crm).await;
    let values = super::lookup::named(
        &crm,
        &v,
        std::slice::from_ref(field),
        &form_values(&v, &object, &record),
    )
    .await;
    let mut res = pages::cell_form(&v, &object, field, id, &values, &users)
        .into_string()
        .into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

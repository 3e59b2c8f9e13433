//! Privacy requests on a person's record page (administrators): download everything held
//! about them, or erase it after an explicit confirmation.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guanxi_core::{FieldError, ObjectDef};
use guanxi_core::{Locale, Msg};
use guanxi_services::Crm;
use guanxi_services::privacy::{Erasure, PERSON_OBJECTS, erased_name};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::t;
use super::{Viewer, failure, posted_record};

/// Whether the viewer gets the privacy card on this object's pages.
pub(super) fn offered(v: &Viewer, object: &ObjectDef) -> bool {
    v.actor.administers() && PERSON_OBJECTS.contains(&object.name.as_str())
}

/// The card: the download link and the erase form, with its problem or its outcome.
pub(super) fn card(
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    errors: &[FieldError],
    done: Option<&Erasure>,
) -> Markup {
    let locale = v.locale;
    let error = errors
        .iter()
        .find(|e| e.field == "confirm")
        .map(|e| e.message(locale));
    html! {
        section.card.privacy aria-labelledby="privacy" {
            h2 #privacy { (t(locale, Msg::UiPrivacy)) }
            @if let Some(d) = done {
                p.notice role="status" { (erased_message(locale, d)) }
            }
            p { a href={ "/o/" (object.plural) "/" (id) "/personal-data" } download { (t(locale, Msg::UiPrivacyExport)) } }
            details open[error.is_some()] {
                summary { (t(locale, Msg::UiPrivacyErase)) }
                form method="post" action={ "/o/" (object.plural) "/" (id) "/erase" } novalidate {
                    input type="hidden" name="csrf" value=(v.csrf);
                    p.hint #erase-hint { (t(locale, Msg::UiPrivacyEraseHint)) }
                    div.field {
                        label.check {
                            input #erase-confirm type="checkbox" name="confirm" value="true"
                                aria-invalid=[error.as_ref().map(|_| "true")]
                                aria-describedby=(if error.is_some() { "erase-error" } else { "erase-hint" });
                            " " (t(locale, Msg::UiPrivacyConfirm))
                        }
                        @if let Some(e) = &error { p.error #erase-error { (e) } }
                    }
                    div.actions { button.secondary type="submit" { (t(locale, Msg::UiPrivacyErase)) } }
                }
            }
        }
    }
}

fn erased_message(locale: Locale, d: &Erasure) -> String {
    Msg::UiPrivacyErased.format(
        locale,
        &[
            ("fields", &d.fields.len().to_string()),
            ("history", &d.history_removed.to_string()),
            ("consents", &d.consents_removed.to_string()),
            ("activities", &d.activities_scrubbed.to_string()),
        ],
    )
}

/// `GET /o/{plural}/{id}/personal-data`: the JSON document as a download.
pub(super) async fn download(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    let (v, object, id) = match super::record_page(&crm, &headers, &plural, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match crm.personal_data(&v.actor, &object.name, id).await {
        Ok(data) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}-{id}.json\"", object.name),
                ),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `POST /o/{plural}/{id}/erase`: erases when the box is ticked; the page again with the
/// outcome, or with the problem beside the box.
pub(super) async fn erase(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if form.get("confirm").map(String::as_str) != Some("true") {
        let errors = [FieldError::new("confirm", Msg::DetailConfirmErase)];
        return super::record::refused(&crm, &v, &object, id, &errors).await;
    }
    match crm
        .erase_person(&v.actor, &object.name, id, erased_name(v.locale))
        .await
    {
        Ok(done) => super::record::page_with(&crm, &v, &object, id, &[], Some(&done)).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

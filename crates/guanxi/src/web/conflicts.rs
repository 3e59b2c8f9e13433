//! Channel conflicts in the browser: a warning on the customer's, the opportunity's and
//! the quote's page naming each open conflict that involves them, and on a conflict's own
//! page the form an administrator resolves it with (a decision and a note, problems
//! beside their inputs). The conflicts list is the object's list (`/o/channel_conflicts`).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::conflict::OBJECT;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};

use super::pages::{t, text_of as text};
use super::{Viewer, failure, posted_record_of};

type Fields = HashMap<String, String>;

/// The card on an account's, an opportunity's or a quote's page (open conflicts), or on
/// a conflict's page (the resolve form, for administrators while it is open).
pub(super) async fn card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
    errors: &[FieldError],
) -> Result<Option<Markup>, ServiceError> {
    let l = v.locale;
    let Some(id) = record.id() else { return Ok(None) };
    if object.name == OBJECT {
        if !v.actor.administers() || text(object, record, "status") != "open" {
            return Ok(None);
        }
        let decision = object.field("decision");
        let e_decision = errors.iter().find(|e| e.field == "decision");
        let e_note = errors.iter().find(|e| e.field == "resolution");
        let other: Vec<&FieldError> = errors
            .iter()
            .filter(|e| e.field != "decision" && e.field != "resolution")
            .collect();
        return Ok(Some(html! {
            section.card aria-labelledby="resolve-conflict" {
                h2 #resolve-conflict { (t(l, Msg::UiResolveConflict)) }
                @for e in &other { p.error role="alert" { (e.message(l)) } }
                form.admin-form method="post" action={ "/o/channel_conflicts/" (id) "/resolve" } novalidate {
                    input type="hidden" name="csrf" value=(v.csrf);
                    div.field {
                        label for="conflict-decision" { (decision.map(|f| f.label.get(l)).unwrap_or("decision")) }
                        select #conflict-decision name="decision" aria-invalid=[e_decision.map(|_| "true")]
                            aria-describedby=[e_decision.map(|_| "conflict-decision-error")] {
                            option value="" { "—" }
                            @for o in decision.map(|f| f.options.as_slice()).unwrap_or_default() {
                                option value=(o.value) { (o.label.get(l)) }
                            }
                        }
                        @if let Some(e) = e_decision { p.error #conflict-decision-error { (e.message(l)) } }
                    }
                    div.field.wide {
                        label for="conflict-resolution" {
                            (object.field("resolution").map(|f| f.label.get(l)).unwrap_or("resolution"))
                        }
                        textarea #conflict-resolution name="resolution" rows="3" aria-invalid=[e_note.map(|_| "true")] {}
                        @if let Some(e) = e_note { p.error { (e.message(l)) } }
                    }
                    div.actions { button.primary type="submit" { (t(l, Msg::UiResolveConflict)) } }
                }
            }
        }));
    }
    if !matches!(object.name.as_str(), "account" | "opportunity" | "quote") {
        return Ok(None);
    }
    let open = crm.conflicts_of(&v.actor, &object.name, id).await?;
    if open.is_empty() {
        return Ok(None);
    }
    let schema = crm.schema();
    let Some(def) = schema.object(OBJECT) else {
        return Ok(None);
    };
    Ok(Some(html! {
        section.card.conflicts role="alert" aria-labelledby="open-conflicts" {
            h2 #open-conflicts { "⚠ " (t(l, Msg::UiOpenConflicts)) }
            ul {
                @for c in &open {
                    li {
                        a href={ "/o/channel_conflicts/" (c.id().unwrap_or_default()) } { (text(def, c, "name")) }
                        " · " (def.field("kind").map(|f| f.option_label(&text(def, c, "kind"), l).to_string()).unwrap_or_default())
                    }
                }
            }
        }
    }))
}

/// `POST /o/channel_conflicts/{id}/resolve`.
pub(super) async fn resolve(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let (v, object, id) = match posted_record_of(&crm, &headers, (&plural, &id), &form, &[OBJECT]).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let decision = form.get("decision").map(String::as_str).unwrap_or("");
    let note = form.get("resolution").map(String::as_str);
    match crm.resolve_conflict(&v.actor, id, decision, note).await {
        Ok(_) => Redirect::to(&format!("/o/{}/{id}", object.plural)).into_response(),
        Err(ServiceError::Validation(errors)) => super::record::refused(&crm, &v, &object, id, &errors).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

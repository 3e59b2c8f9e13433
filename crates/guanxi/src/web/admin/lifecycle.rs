//! Setup of the case lifecycle: a grid of statuses — from each (rows) the statuses a case
//! may move to (columns) — and whether people are held to it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::ServiceError;
use guanxi_services::lifecycle::Lifecycle;
use maud::html;
use serde_json::{Map, Value as Json, json};

use super::processes::{Posted, posted_form};
use super::{administrator, checkbox, csrf, failure, frame, respond, see_other, summary, t};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/case-lifecycle";

/// The case statuses offered, as (value, label).
fn statuses(crm: &Crm, v: &Viewer) -> Vec<(String, String)> {
    crm.schema()
        .object("case")
        .and_then(|o| o.field("status").cloned())
        .map(|f| {
            f.options
                .iter()
                .filter(|o| o.active)
                .map(|o| (o.value.clone(), o.label.get(v.locale).to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn page(crm: &Crm, v: &Viewer, l: &Lifecycle, errors: &[FieldError], status: StatusCode) -> Response {
    let loc = v.locale;
    let all = statuses(crm, v);
    let content = html! {
        h1 { (t(loc, Msg::UiCaseLifecycle)) }
        p.hint { (t(loc, Msg::UiCaseLifecycleHint)) }
        (summary(loc, errors, &[]))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (checkbox("lifecycle-enforced", "enforced", t(loc, Msg::UiCaseLifecycleEnforced), l.enforced))
            div.wide {
                div.table-wrap {
                    table.records.lifecycle {
                        thead { tr {
                            th scope="col" { (t(loc, Msg::UiCaseLifecycleFrom)) }
                            @for (_, label) in &all { th scope="col" { (label) } }
                        } }
                        tbody {
                            @for (from, from_label) in &all {
                                tr {
                                    th scope="row" { (from_label) }
                                    @for (to, to_label) in &all {
                                        td data-label=(to_label) {
                                            @if from != to {
                                                @let on = l.transitions.get(from).is_some_and(|n| n.contains(to));
                                                input type="checkbox" name={ "t." (from) } value=(to) checked[on]
                                                    aria-label={ (from_label) " → " (to_label) };
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.actions { button.primary type="submit" { (t(loc, Msg::UiSave)) } }
        }
    };
    respond(
        status,
        frame(crm, v, HERE, HERE, t(loc, Msg::UiCaseLifecycle), content),
    )
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crm.case_lifecycle(&v.actor).await {
        Ok(l) => page(&crm, &v, &l, &[], StatusCode::OK),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn save(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, posted): (Viewer, Posted) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut transitions = Map::new();
    for (from, _) in statuses(&crm, &v) {
        let next: Vec<Json> = posted
            .chosen(&format!("t.{from}"))
            .iter()
            .map(|to| json!(to))
            .collect();
        transitions.insert(from, Json::Array(next));
    }
    let input = json!({
        "enforced": posted.one.get("enforced").is_some_and(|x| x == "on"),
        "transitions": transitions,
    });
    match crm.set_case_lifecycle(&v.actor, &input).await {
        Ok(_) => see_other(HERE),
        // The grid offers only known statuses: a problem means the statuses changed
        // meanwhile; the page shows them as they are now, with the problem.
        Err(ServiceError::Validation(errors)) => match crm.case_lifecycle(&v.actor).await {
            Ok(l) => page(&crm, &v, &l, &errors, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

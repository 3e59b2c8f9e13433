//! The agent's queues (`/queues`): for each queue they work, its open cases soonest due
//! first, with the customer (and tier), priority, status, due time and owner — and "Take"
//! on the cases that are not yet theirs.

use std::collections::{BTreeSet, HashMap};

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::Msg;
use guanxi_core::values::{Value, sys};
use guanxi_services::cases::CASE;
use guanxi_services::{Crm, ServiceError};
use maud::html;
use uuid::Uuid;

use super::failure;
use super::pages::{self, display, field_value, t};

pub(super) const HERE: &str = "/queues";
type FormMap = HashMap<String, String>;

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let work = match crm.my_queues(&v.actor).await {
        Ok(w) => w,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let schema = crm.schema();
    let Some(case) = schema.object(CASE).cloned() else {
        return failure(ServiceError::NotFound, l, Some(&v));
    };
    let cell = |r: &guanxi_core::values::Record, name: &str| {
        case.field(name)
            .map(|f| display(f, field_value(&case, r, name), v.fmt()))
            .unwrap_or_default()
    };
    let label = |name: &str| {
        case.field(name)
            .map_or_else(|| name.to_string(), |f| f.label.get(l).to_string())
    };
    let customers: Vec<Uuid> = work
        .iter()
        .flat_map(|w| w.cases.iter())
        .filter_map(|r| match field_value(&case, r, "account") {
            Value::Uuid(a) => Some(*a),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = crm
        .names_of(&v.actor, "account", &customers)
        .await
        .unwrap_or_default();
    let tiers = super::tier_labels(&crm, &v, &customers).await;
    let users: HashMap<Uuid, String> = match guanxi_storage::system::users(crm.db()).await {
        Ok(u) => u.into_iter().map(|u| (u.id, u.name)).collect(),
        Err(e) => return failure(e.into(), l, Some(&v)),
    };
    let title = t(l, Msg::UiQueues);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiMyQueuesHint)) }
        @if work.is_empty() {
            p.empty { (t(l, Msg::UiNoQueues)) }
        }
        @for w in &work {
            section.card aria-labelledby={ "queue-" (w.queue.value) } {
                h2 id={ "queue-" (w.queue.value) } {
                    (w.queue.label.get(l)) " " span.badge { (w.cases.len()) }
                }
                @if w.cases.is_empty() {
                    p.empty { (t(l, Msg::UiQueueEmpty)) }
                } @else {
                    div.table-wrap { table.records {
                        thead { tr {
                            @for name in ["subject", "account", "priority", "status", "due_at", "owner"] {
                                th scope="col" { (label(name)) }
                            }
                            th scope="col" { span.visually-hidden { (t(l, Msg::UiTake)) } }
                        } }
                        tbody {
                            @for r in &w.cases {
                                @let id = r.id().unwrap_or_default();
                                @let owner = match r.values.get(sys::OWNER) { Some(Value::Uuid(u)) => Some(*u), _ => None };
                                @let subject = cell(r, "subject");
                                tr {
                                    td data-label=(label("subject")) {
                                        a href={ "/o/cases/" (id) } { (subject) }
                                    }
                                    td data-label=(label("account")) {
                                        @if let Value::Uuid(a) = field_value(&case, r, "account") {
                                            @if let Some(n) = names.get(a) {
                                                a href={ "/o/accounts/" (a) } { (n) }
                                                @if let Some(tier) = tiers.get(a) { " " span.tier { (tier) } }
                                            }
                                        }
                                    }
                                    td data-label=(label("priority")) { (cell(r, "priority")) }
                                    td data-label=(label("status")) { (cell(r, "status")) }
                                    td data-label=(label("due_at")) { (cell(r, "due_at")) }
                                    td data-label=(label("owner")) { (owner.and_then(|o| users.get(&o)).map(String::as_str).unwrap_or("")) }
                                    td {
                                        @if owner != Some(v.actor.user_id) {
                                            form method="post" action={ (HERE) "/" (id) "/take" } {
                                                input type="hidden" name="csrf" value=(v.csrf);
                                                input type="hidden" name="version" value=(r.version());
                                                button.secondary type="submit"
                                                    aria-label=(Msg::UiTakeCase.format(l, &[("name", &subject)])) {
                                                    (t(l, Msg::UiTake))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
    };
    super::html(
        StatusCode::OK,
        pages::layout(l, Some(&v), Some(&schema), None, HERE, title, content),
    )
}

/// Takes the case (if nobody changed it since the list was shown) and opens it.
pub(super) async fn take(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let version = form.get("version").and_then(|s| s.parse::<i64>().ok());
    match crm.take_case(&v.actor, id, version).await {
        Ok(_) => Redirect::to(&format!("/o/cases/{id}")).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

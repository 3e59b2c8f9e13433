//! Setup of assignment rules: the rules in the order they are tried, with what they take
//! and to whom they give it; a form to add one (criteria, users, a team or a territory
//! taking turns) with each problem beside its input; delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::{Crm, ServiceError};
use maud::html;
use serde_json::json;
use uuid::Uuid;

use super::processes::{Posted, posted_form};
use super::{
    administrator, checkbox, csrf, error_for, failure, frame, input, optional_id, respond, see_other, select,
    summary, t, text, val, yes_no,
};
use crate::web::Viewer;

const HERE: &str = "/admin/assignment-rules";

async fn page(crm: &Crm, v: &Viewer, form: &Posted, errors: &[FieldError], status: StatusCode) -> Response {
    let l = v.locale;
    let rules = match crm.assignment_rules(&v.actor).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let users = match guanxi_storage::system::users(crm.db()).await {
        Ok(u) => u,
        Err(e) => return failure(e.into(), l, Some(v)),
    };
    let policy = crm.policy();
    let schema = crm.schema();
    let user_name = |id: &Uuid| {
        users
            .iter()
            .find(|u| u.id == *id)
            .map_or(id.to_string(), |u| u.name.clone())
    };
    let team_name = |id: &Uuid| {
        policy
            .teams
            .iter()
            .find(|x| x.id == *id)
            .map_or(id.to_string(), |x| x.name.clone())
    };
    let territory_name = |id: &Uuid| {
        policy
            .territories
            .iter()
            .find(|x| x.id == *id)
            .map_or(id.to_string(), |x| x.name.clone())
    };
    let objects: Vec<(String, String)> = schema
        .objects()
        .iter()
        .map(|o| (o.name.clone(), o.label.get(l).to_string()))
        .collect();
    let none = (String::new(), "—".to_string());
    let teams: Vec<(String, String)> = std::iter::once(none.clone())
        .chain(policy.teams.iter().map(|x| (x.id.to_string(), x.name.clone())))
        .collect();
    let territories: Vec<(String, String)> = std::iter::once(none)
        .chain(
            policy
                .territories
                .iter()
                .map(|x| (x.id.to_string(), x.name.clone())),
        )
        .collect();
    // Queues are the case's `queue` values; a rule naming one routes cases there.
    let queue_label = |value: &str| {
        schema
            .object("case")
            .and_then(|o| o.field(guanxi_core::access::QUEUE_FIELD))
            .and_then(|f| f.options.iter().find(|o| o.value == value))
            .map_or(value.to_string(), |o| o.label.get(l).to_string())
    };
    let queues: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(
            schema
                .object("case")
                .and_then(|o| o.field(guanxi_core::access::QUEUE_FIELD))
                .map(|f| {
                    f.options
                        .iter()
                        .filter(|o| o.active)
                        .map(|o| (o.value.clone(), o.label.get(l).to_string()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        )
        .collect();
    let chosen = form.chosen("users");
    let users_error = error_for(errors, "users");
    let one = &form.one;
    let f = "rule";
    let title = t(l, Msg::UiAssignmentRules);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiAssignmentRulesHint)) }
        @if !rules.is_empty() {
            table.data {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiStageOrder)) }
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiObject)) }
                    th scope="col" { (t(l, Msg::UiAssignCriteria)) }
                    th scope="col" { (t(l, Msg::UiAssignTo)) }
                    th scope="col" { (t(l, Msg::UiActive)) }
                    th scope="col" { span.visually-hidden { (t(l, Msg::UiDelete)) } }
                } }
                tbody {
                    @for r in &rules {
                        tr {
                            td { (r.order) }
                            td { (r.name) }
                            td { (schema.object(&r.object).map_or(r.object.clone(), |o| o.label.get(l).to_string())) }
                            td { code { (r.criteria.as_deref().unwrap_or("—")) } }
                            td {
                                (r.users.iter().map(user_name)
                                    .chain(r.team.iter().map(|t| format!("{} {}", t_team(l), team_name(t))))
                                    .chain(r.territory.iter().map(|t| format!("{} {}", t_territory(l), territory_name(t))))
                                    .chain(r.queue.iter().map(|q| format!("{} {}", t(l, Msg::UiAssignQueue), queue_label(q))))
                                    .collect::<Vec<_>>().join("、"))
                            }
                            td { (yes_no(l, r.active)) }
                            td {
                                form method="post" action={ (HERE) "/" (r.id.unwrap_or_default()) "/delete" } {
                                    (csrf(v))
                                    button.secondary type="submit" aria-label={ (t(l, Msg::UiDelete)) " " (r.name) } { (t(l, Msg::UiDelete)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(l, Msg::UiAddRule)) }
        (summary(l, errors, &["name", "object", "order", "criteria", "users", "team", "territory", "queue"]))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (input(l, text(f, "name", t(l, Msg::UiName), val(one, "name")), errors))
            (select(l, (f, "object", t(l, Msg::UiObject)), &objects, if val(one, "object").is_empty() { "lead" } else { val(one, "object") }, errors))
            (input(l, super::Input { kind: "number", ..text(f, "order", t(l, Msg::UiStageOrder), val(one, "order")) }, errors))
            (input(l, super::Input { hint: Some(t(l, Msg::UiAssignCriteriaHint)), ..text(f, "criteria", t(l, Msg::UiAssignCriteria), val(one, "criteria")) }, errors))
            div.field {
                label for="rule-users" { (t(l, Msg::UiAssignUsers)) }
                select id="rule-users" name="users" multiple size="6" aria-invalid=[users_error.map(|_| "true")] aria-describedby=[users_error.map(|_| "rule-users-error")] {
                    @for u in users.iter().filter(|u| u.active) {
                        @let id = u.id.to_string();
                        option value=(id) selected[chosen.contains(&id)] { (u.name) " <" (u.email) ">" }
                    }
                }
                @if let Some(e) = users_error { p.error #rule-users-error { (e.message(l)) } }
            }
            (select(l, (f, "team", t(l, Msg::UiAssignTeam)), &teams, val(one, "team"), errors))
            (select(l, (f, "territory", t(l, Msg::UiAssignTerritory)), &territories, val(one, "territory"), errors))
            @if queues.len() > 1 {
                (select(l, (f, "queue", t(l, Msg::UiAssignQueue)), &queues, val(one, "queue"), errors))
            }
            (checkbox("rule-active", "active", t(l, Msg::UiActive), form.one.is_empty() || val(one, "active") == "on"))
            div.actions { button.primary type="submit" { (t(l, Msg::UiAddRule)) } }
        }
    };
    respond(status, frame(crm, v, HERE, HERE, title, content))
}

fn t_team(l: guanxi_core::Locale) -> &'static str {
    t(l, Msg::UiAssignTeam)
}

fn t_territory(l: guanxi_core::Locale) -> &'static str {
    t(l, Msg::UiAssignTerritory)
}

pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    match administrator(&crm, &headers).await {
        Ok(v) => page(&crm, &v, &Posted::default(), &[], StatusCode::OK).await,
        Err(r) => r,
    }
}

pub(super) async fn add(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, form) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let one = &form.one;
    let order = match val(one, "order") {
        "" => Ok(0),
        s => s
            .parse::<i64>()
            .map_err(|_| FieldError::new("order", Msg::NotNumber)),
    };
    let (team, territory) = (optional_id(one, "team"), optional_id(one, "territory"));
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let (order, team, territory) = match (order, team, territory) {
        (Ok(o), Ok(t), Ok(r)) => (o, t, r),
        (o, t, r) => {
            let errors: Vec<FieldError> = [o.err(), t.err(), r.err()].into_iter().flatten().collect();
            return page(&crm, &v, &form, &errors, status).await;
        }
    };
    let criteria = val(one, "criteria");
    let input = json!({
        "name": val(one, "name"),
        "object": val(one, "object"),
        "order": order,
        "criteria": (!criteria.is_empty()).then_some(criteria),
        "users": form.chosen("users"),
        "team": team,
        "territory": territory,
        "queue": (!val(one, "queue").is_empty()).then_some(val(one, "queue")),
        "active": val(one, "active") == "on",
    });
    match crm.save_assignment_rule(&v.actor, None, input).await {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    if e.field.starts_with("criteria") {
                        e.field = "criteria".into();
                    } else if e.field.starts_with("users[") {
                        e.field = "users".into();
                    }
                    e
                })
                .collect();
            page(&crm, &v, &form, &errors, status).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn delete(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let v = match posted_form(&crm, &headers, &body).await {
        Ok((v, _)) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.delete_assignment_rule(&v.actor, id).await {
        Ok(()) => see_other(HERE),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

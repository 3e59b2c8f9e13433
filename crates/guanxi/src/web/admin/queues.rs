//! Setup of the case queues: each queue's key, names in three languages, members, what
//! they may do with its cases, and whether it takes new cases.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::access::Level;
use guanxi_core::{FieldError, Msg};
use guanxi_services::queues::QueueInfo;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Value as Json, json};

use super::{
    Fields, LABEL_LANGS, administrator, checkbox, csrf, error_for, failure, frame, input, label_inputs,
    label_json, posted, respond, see_other, select, summary, t, text, val,
};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/queues";

/// The form's values for a stored queue (editing it).
fn fields_of(q: &QueueInfo) -> Fields {
    let mut f = Fields::new();
    f.insert("value".into(), q.value.clone());
    for ((suffix, _, _), text) in LABEL_LANGS
        .iter()
        .zip([&q.label.en, &q.label.zh_cn, &q.label.zh_tw])
    {
        f.insert(format!("label_{suffix}"), text.clone());
    }
    for m in &q.members {
        f.insert(format!("member.{m}"), "on".into());
    }
    for team in &q.teams {
        f.insert(format!("team.{team}"), "on".into());
    }
    f.insert(
        "level".into(),
        if q.level == Level::Read { "read" } else { "edit" }.into(),
    );
    if q.active {
        f.insert("active".into(), "on".into());
    }
    f
}

/// The service's problems placed on the form's inputs: a label problem beside the first
/// label input.
fn on_inputs(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if e.field == "label" || e.field.starts_with("label.") {
                e.field = "label_en".into();
            }
            e
        })
        .collect()
}

async fn queue_form(
    crm: &Crm,
    v: &Viewer,
    editing: Option<&str>,
    form: &Fields,
    errors: &[FieldError],
) -> Markup {
    let l = v.locale;
    let users = guanxi_storage::system::users(crm.db()).await.unwrap_or_default();
    let teams = crm.policy().teams.clone();
    let action = match editing {
        Some(value) => format!("{HERE}/{value}"),
        None => HERE.to_string(),
    };
    let levels = [
        ("edit".to_string(), t(l, Msg::UiLevelEdit).to_string()),
        ("read".to_string(), t(l, Msg::UiLevelRead).to_string()),
    ];
    html! {
        (summary(l, errors, &["value", "label_en", "label_zh_cn", "label_zh_tw", "members", "teams", "level"]))
        form.admin-form method="post" action=(action) novalidate {
            (csrf(v))
            @if editing.is_none() {
                (input(l, text("queue", "value", t(l, Msg::UiQueueValue), val(form, "value")), errors))
            }
            (label_inputs(l, "queue", "label", Msg::UiLabelIn, form, errors))
            (select(l, ("queue", "level", t(l, Msg::UiAccessLevel)), &levels, val(form, "level"), errors))
            (checkbox("queue-active", "active", t(l, Msg::UiQueueActive), editing.is_none() || form.contains_key("active")))
            fieldset.wide {
                legend { (t(l, Msg::UiMembers)) }
                @for u in users.iter().filter(|u| u.active && u.kind == "internal") {
                    @let key = format!("member.{}", u.id);
                    (checkbox(&format!("queue-{key}"), &key, &format!("{} ({})", u.name, u.email), form.contains_key(&key)))
                }
                @if let Some(e) = error_for(errors, "members") { p.error { (e.message(l)) } }
            }
            @if !teams.is_empty() {
                fieldset.wide {
                    legend { (t(l, Msg::UiTeams)) }
                    @for team in &teams {
                        @let key = format!("team.{}", team.id);
                        (checkbox(&format!("queue-{key}"), &key, &team.name, form.contains_key(&key)))
                    }
                    @if let Some(e) = error_for(errors, "teams") { p.error { (e.message(l)) } }
                }
            }
            div.actions { button.primary type="submit" { (t(l, if editing.is_some() { Msg::UiSave } else { Msg::UiAdd })) } }
        }
    }
}

async fn list_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let queues = match crm.queues(&v.actor).await {
        Ok(q) => q,
        Err(e) => return failure(e, l, Some(v)),
    };
    let users = guanxi_storage::system::users(crm.db()).await.unwrap_or_default();
    let name_of = |id: &uuid::Uuid| {
        users
            .iter()
            .find(|u| u.id == *id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let team_names: Vec<(uuid::Uuid, String)> = crm
        .policy()
        .teams
        .iter()
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let title = t(l, Msg::UiQueues);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiQueuesHint)) }
        @if queues.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            div.table-wrap { table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiQueueValue)) }
                    th scope="col" { (t(l, Msg::UiMembers)) }
                    th scope="col" { (t(l, Msg::UiAccessLevel)) }
                    th scope="col" { (t(l, Msg::UiQueueActive)) }
                } }
                tbody {
                    @for q in &queues {
                        tr {
                            td data-label=(t(l, Msg::UiName)) {
                                a href={ (HERE) "/" (q.value) }
                                  aria-label=(Msg::UiQueueEdit.format(l, &[("name", q.label.get(l))])) { (q.label.get(l)) }
                            }
                            td data-label=(t(l, Msg::UiQueueValue)) { code { (q.value) } }
                            td data-label=(t(l, Msg::UiMembers)) {
                                (q.members.iter().map(name_of)
                                    .chain(q.teams.iter().filter_map(|id| team_names.iter().find(|(t, _)| t == id)).map(|(_, n)| format!("{} {n}", t(l, Msg::UiAssignTeam))))
                                    .collect::<Vec<_>>().join(", "))
                            }
                            td data-label=(t(l, Msg::UiAccessLevel)) {
                                (t(l, if q.level == Level::Read { Msg::UiLevelRead } else { Msg::UiLevelEdit }))
                            }
                            td data-label=(t(l, Msg::UiQueueActive)) { (super::yes_no(l, q.active)) }
                        }
                    }
                }
            } }
        }
        section.card aria-labelledby="add-queue" {
            h2 #add-queue { (t(l, Msg::UiQueueAdd)) }
            (queue_form(crm, v, None, form, errors).await)
        }
    };
    respond(status, frame(crm, v, HERE, HERE, title, content))
}

async fn edit_page(
    crm: &Crm,
    v: &Viewer,
    value: &str,
    form: Option<&Fields>,
    errors: &[FieldError],
) -> Response {
    let l = v.locale;
    let queues = match crm.queues(&v.actor).await {
        Ok(q) => q,
        Err(e) => return failure(e, l, Some(v)),
    };
    let Some(q) = queues.iter().find(|q| q.value == value) else {
        return failure(ServiceError::NotFound, l, Some(v));
    };
    let stored = fields_of(q);
    let title = Msg::UiQueueEdit.format(l, &[("name", q.label.get(l))]);
    let content = html! {
        h1 { (title) }
        p.hint { code { (q.value) } }
        section.card { (queue_form(crm, v, Some(value), form.unwrap_or(&stored), errors).await) }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    respond(status, frame(crm, v, HERE, HERE, &title, content))
}

pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut blank = Fields::new();
    blank.insert("level".into(), "edit".into());
    list_page(&crm, &v, &blank, &[], StatusCode::OK).await
}

pub(super) async fn edit(State(crm): State<Crm>, headers: HeaderMap, Path(value): Path<String>) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    edit_page(&crm, &v, &value, None, &[]).await
}

/// The service's input from the form.
fn input_of(form: &Fields) -> Json {
    let chosen = |prefix: &str| -> Vec<Json> {
        form.keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .map(|id| json!(id))
            .collect()
    };
    let mut input = json!({
        "members": chosen("member."),
        "teams": chosen("team."),
        "level": val(form, "level"),
        "active": form.contains_key("active"),
    });
    if let Some(label) = label_json(form, "label") {
        input["label"] = label;
    }
    input
}

pub(super) async fn add(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let value = val(&form, "value");
    // A new queue: an existing key is a mistake, not an edit.
    let taken = crm
        .queues(&v.actor)
        .await
        .map(|qs| qs.iter().any(|q| q.value == value))
        .unwrap_or(false);
    let result = if taken {
        Err(ServiceError::field("value", Msg::NameTaken))
    } else {
        crm.put_queue(&v.actor, value, input_of(&form)).await
    };
    match result {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => {
            list_page(
                &crm,
                &v,
                &form,
                &on_inputs(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn save(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(value): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crm.put_queue(&v.actor, &value, input_of(&form)).await {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => {
            edit_page(&crm, &v, &value, Some(&form), &on_inputs(errors)).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

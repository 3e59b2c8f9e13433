//! Lead conversion in the browser: the lead page's card (convert, or what it became), and
//! the conversion page — the look-alike accounts and contacts with their score and
//! reasons to link to, or new ones, and the opportunity to open. Works without
//! JavaScript; `guanxi_services::leads` decides.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::dedupe::Match;
use guanxi_services::leads::{CONVERTED, Conversion, LEAD, Plan};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::duplicates::reasons;
use super::pages::{self, t};
use super::{Viewer, failure, html, posted_record_of};

type Fields = HashMap<String, String>;

fn is_converted(object: &ObjectDef, r: &Record) -> bool {
    matches!(r.get(object, "status"), Some(Value::Text(s)) if s == CONVERTED)
}

/// The lead page's conversion card: a Convert button, or links to what the lead became.
pub(super) fn card(
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
    names: &HashMap<Uuid, String>,
) -> Option<Markup> {
    if object.name != LEAD {
        return None;
    }
    let l = v.locale;
    let id = record.id()?;
    let link = |field: &str, plural: &str| match record.get(object, field) {
        Some(Value::Uuid(u)) => Some((
            format!("/o/{plural}/{u}"),
            names.get(u).cloned().unwrap_or_else(|| u.to_string()),
            object
                .field(field)
                .map(|f| f.label.get(l).to_string())
                .unwrap_or_default(),
        )),
        _ => None,
    };
    Some(if is_converted(object, record) {
        let links: Vec<_> = [
            link("converted_account", "accounts"),
            link("converted_contact", "contacts"),
            link("converted_opportunity", "opportunities"),
        ]
        .into_iter()
        .flatten()
        .collect();
        html! {
            section.card.conversion aria-labelledby="conversion" {
                h2 #conversion { (t(l, Msg::UiLeadConverted)) }
                ul {
                    @for (href, name, label) in &links {
                        li { (label) ": " a href=(href) { (name) } }
                    }
                }
            }
        }
    } else {
        html! {
            section.card.conversion aria-labelledby="conversion" {
                h2 #conversion { (t(l, Msg::UiConvertLead)) }
                p.hint { (t(l, Msg::UiConvertLeadHint)) }
                a.button href={ "/o/leads/" (id) "/convert" } { (t(l, Msg::UiConvertLead)) }
            }
        }
    })
}

/// Radios for one side of the conversion: each look-alike, or a new record.
#[allow(clippy::too_many_arguments)]
fn choices(
    l: Locale,
    name: &str,
    legend: &str,
    plural: &str,
    matches: &[Match],
    chosen: &str,
    new_label: Option<String>,
    error: Option<&FieldError>,
) -> Markup {
    let err_id = format!("{name}-error");
    html! {
        fieldset.wide aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())] {
            legend { (legend) }
            @for m in matches {
                @let value = m.id.to_string();
                @let id = format!("{name}-{value}");
                div.field.check {
                    input type="radio" id=(id) name=(name) value=(value) checked[chosen == value];
                    label for=(id) {
                        (t(l, Msg::UiLinkTo)) " "
                        a href={ "/o/" (plural) "/" (m.id) } { (if m.name.is_empty() { "—" } else { &m.name }) }
                        " · " (t(l, Msg::UiDupScore)) " " (m.score)
                    }
                }
                p.hint { (reasons(m, l)) }
            }
            @if let Some(label) = new_label {
                div.field.check {
                    input type="radio" id={ (name) "-new" } name=(name) value="new" checked[chosen == "new"];
                    label for={ (name) "-new" } { (label) }
                }
            }
            @if let Some(e) = error { p.error id=(err_id) { (e.message(l)) } }
        }
    }
}

fn find<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a FieldError> {
    errors
        .iter()
        .find(|e| e.field == name || e.field.starts_with(&format!("{name}.")))
}

#[allow(clippy::too_many_arguments)]
fn page(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    plan: &Plan,
    form: &Fields,
    processes: &[(String, String)],
    errors: &[FieldError],
) -> Markup {
    let l = v.locale;
    let lead_name = match plan.lead.get(object, &object.name_field) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    let company = match plan.lead.get(object, "company") {
        Some(Value::Text(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };
    let get = |k: &str, default: &str| form.get(k).cloned().unwrap_or_else(|| default.to_string());
    let account = get(
        "account",
        &plan.account.map_or("new".to_string(), |a| a.to_string()),
    );
    let contact = get(
        "contact",
        &plan.contact.map_or("new".to_string(), |c| c.to_string()),
    );
    let text_default = |k: &str| match plan.opportunity.get(k) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Object(m)) => m
            .get("amount")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    let creating = if form.is_empty() {
        true
    } else {
        form.get("opportunity").is_some_and(|v| v == "on")
    };
    let title = Msg::UiConvertLeadTitle.format(l, &[("name", &lead_name)]);
    let field_error = |k: &str| find(errors, &format!("opportunity.{k}"));
    let opp_input = |k: &str, label: String, kind: &str| {
        let name = format!("opp_{k}");
        let value = get(&name, &text_default(k));
        let e = field_error(k);
        html! {
            div.field {
                label for=(name) { (label) }
                input id=(name) name=(name) type=(kind) value=(value)
                    aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{name}-error"))];
                @if let Some(e) = e { p.error id={ (name) "-error" } { (e.message(l)) } }
            }
        }
    };
    let opp_def = crm.schema().object("opportunity").cloned();
    let label_of = |k: &str| {
        opp_def
            .as_ref()
            .and_then(|o| o.field(k))
            .map(|f| f.label.get(l).to_string())
            .unwrap_or_else(|| k.to_string())
    };
    let other: Vec<&FieldError> = errors
        .iter()
        .filter(|e| {
            !(e.field == "account"
                || e.field.starts_with("account.")
                || e.field == "contact"
                || e.field.starts_with("contact.")
                || ["name", "amount", "close_date", "process"]
                    .iter()
                    .any(|k| e.field == format!("opportunity.{k}")))
        })
        .collect();
    let content = html! {
        h1 { (title) }
        @if !errors.is_empty() {
            p.error role="alert" { (t(l, Msg::UiFixErrors)) }
            @for e in &other { p.error { (e.field) ": " (e.message(l)) } }
        }
        form.card.admin-form method="post" action={ "/o/leads/" (id) "/convert" } novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            (choices(l, "account", t(l, Msg::UiConvertAccount), "accounts", &plan.accounts, &account,
                company.as_ref().map(|c| Msg::UiCreateNewNamed.format(l, &[("name", c)])), find(errors, "account")))
            @if company.is_none() && plan.accounts.is_empty() {
                p.hint.wide { (t(l, Msg::UiConvertNoCompany)) }
            }
            (choices(l, "contact", t(l, Msg::UiConvertContact), "contacts", &plan.contacts, &contact,
                Some(Msg::UiCreateNewNamed.format(l, &[("name", &lead_name)])), find(errors, "contact")))
            fieldset.wide {
                legend { (t(l, Msg::UiConvertOpportunity)) }
                div.field.check {
                    input type="checkbox" id="opportunity" name="opportunity" value="on" checked[creating];
                    label for="opportunity" { (t(l, Msg::UiConvertOpenOpportunity)) }
                }
                div.admin-form {
                    (opp_input("name", label_of("name"), "text"))
                    (opp_input("amount", label_of("amount"), "text"))
                    (opp_input("close_date", label_of("close_date"), "date"))
                    @if !processes.is_empty() {
                        @let e = field_error("process");
                        div.field {
                            label for="opp_process" { (label_of("process")) }
                            select id="opp_process" name="opp_process" aria-invalid=[e.map(|_| "true")] {
                                @for (name, label) in processes {
                                    option value=(name) selected[form.get("opp_process").is_some_and(|p| p == name)] { (label) }
                                }
                            }
                            @if let Some(e) = e { p.error { (e.message(l)) } }
                        }
                    }
                }
            }
            div.actions {
                button.primary type="submit" { (t(l, Msg::UiConvertLead)) }
                a href={ "/o/leads/" (id) } { (t(l, Msg::UiCancel)) }
            }
        }
    };
    pages::layout(
        l,
        Some(v),
        Some(&crm.schema()),
        Some(&object.name),
        &format!("/o/leads/{id}/convert"),
        &title,
        content,
    )
}

async fn processes(crm: &Crm, v: &Viewer) -> Vec<(String, String)> {
    // Without processes (or if they cannot be read) the write path picks the stage.
    crm.pipeline_processes(v.locale).await.unwrap_or_default()
}

async fn show(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let plan = match crm.conversion_plan(&v.actor, id).await {
        Ok(p) => p,
        Err(ServiceError::Validation(_)) => return Redirect::to(&format!("/o/leads/{id}")).into_response(),
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    let processes = processes(crm, v).await;
    html(status, page(crm, v, object, id, &plan, form, &processes, errors))
}

pub(super) async fn form(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    let (v, object) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    if object.name != LEAD {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    }
    show(&crm, &v, &object, id, &Fields::new(), &[], StatusCode::OK).await
}

pub(super) async fn convert(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let (v, object, id) = match posted_record_of(&crm, &headers, (&plural, &id), &form, &[LEAD]).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let opportunity = (form.get("opportunity").map(String::as_str) == Some("on")).then(|| {
        let mut o = Map::new();
        for k in ["name", "close_date", "process"] {
            if let Some(v) = form
                .get(&format!("opp_{k}"))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                o.insert(k.into(), json!(v));
            }
        }
        if let Some(a) = form.get("opp_amount").map(|s| s.trim()).filter(|s| !s.is_empty()) {
            o.insert("amount".into(), json!(a));
        }
        o
    });
    let how = match Conversion::from_choices(
        form.get("account").map(String::as_str),
        form.get("contact").map(String::as_str),
        opportunity,
    ) {
        Ok(how) => how,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&crm, &v, &object, id, &form, &errors, status).await;
        }
    };
    match crm.convert_lead(&v.actor, id, how).await {
        Ok(done) => {
            let to = match (&done.opportunity, done.contact.0.id()) {
                (Some(o), _) => format!("/o/opportunities/{}", o.id().unwrap_or_default()),
                (None, Some(c)) => format!("/o/contacts/{c}"),
                (None, None) => format!("/o/leads/{id}"),
            };
            Redirect::to(&to).into_response()
        }
        Err(ServiceError::Validation(errors)) => {
            show(
                &crm,
                &v,
                &object,
                id,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! The setup pages under `/admin`: objects and fields, page layouts, users, roles and
//! object permissions, teams, sharing rules, API tokens and the audit log — for
//! administrators only. Each form becomes the same service call (and JSON input) the admin
//! API makes, so the same checks and audit apply; nothing here decides a rule. A refused
//! change comes back with each problem beside its input and what was typed kept.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use guanxi_core::access::{Group, ObjectPermissions, RuleSource, Sharing, Team};
use guanxi_core::metadata::{FieldDef, FieldType};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::identity::{NewToken, NewUser, Scopes};
use guanxi_services::layouts::Layout;
use guanxi_services::{Crm, ServiceError};
use guanxi_storage::system::RoleRow;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::pages::{self, t};
use super::{Viewer, csrf_ok, csrf_refused, failure, signed_in};

mod assignment;
mod conflicts;
mod lifecycle;
mod mail;
mod processes;
mod queues;
mod quotes;
mod service;
mod tiers;

type Fields = HashMap<String, String>;

/// The setup areas, in the order the pages list them.
const AREAS: [(&str, Msg); 20] = [
    ("/admin/objects", Msg::UiObjectsAndFields),
    ("/admin/sales-processes", Msg::UiSalesProcesses),
    ("/admin/assignment-rules", Msg::UiAssignmentRules),
    ("/admin/quotes", Msg::UiQuoteSettings),
    ("/admin/conflict-rules", Msg::UiConflictRules),
    (service::HERE, Msg::UiServiceLevels),
    (lifecycle::HERE, Msg::UiCaseLifecycle),
    (queues::HERE, Msg::UiQueues),
    (tiers::HERE, Msg::UiCustomerTiers),
    ("/admin/validation-rules", Msg::UiValidationRules),
    ("/admin/coding-rules", Msg::UiCodingRules),
    ("/admin/data-quality", Msg::UiDataQuality),
    ("/admin/duplicate-rules", Msg::UiDuplicateRules),
    ("/admin/users", Msg::UiUsers),
    ("/admin/roles", Msg::UiRoles),
    ("/admin/teams", Msg::UiTeams),
    ("/admin/sharing-rules", Msg::UiSharingRules),
    ("/admin/tokens", Msg::UiApiTokens),
    (mail::HERE, Msg::UiOutgoingMail),
    ("/admin/audit", Msg::UiAuditLog),
];

/// Label inputs: form-name suffix, catalogue key, language name (as the header shows it).
const LABEL_LANGS: [(&str, &str, &str); 3] = [
    ("en", "en", "English"),
    ("zh_cn", "zh-CN", "简体中文"),
    ("zh_tw", "zh-TW", "繁體中文"),
];

const PERMS: [(&str, Msg); 6] = [
    ("read", Msg::UiPermRead),
    ("create", Msg::UiPermCreate),
    ("edit", Msg::UiPermEdit),
    ("delete", Msg::UiPermDelete),
    ("view_all", Msg::UiPermViewAll),
    ("modify_all", Msg::UiPermModifyAll),
];

const KINDS: [(&str, Msg); 3] = [
    ("internal", Msg::UiKindInternal),
    ("partner", Msg::UiKindPartner),
    ("portal", Msg::UiKindPortal),
];

const AUDIT_PAGE: usize = 50;

pub(super) fn router() -> Router<Crm> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/objects", get(objects).post(add_object))
        .route("/admin/objects/{name}", get(object))
        .route("/admin/objects/{name}/fields", post(add_field))
        .route(
            "/admin/objects/{name}/fields/{field}",
            get(field_page).post(save_field),
        )
        .route("/admin/objects/{name}/layout", get(layout_page).post(save_layout))
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{id}", post(change_user))
        .route("/admin/roles", get(roles).post(add_role))
        .route("/admin/access/{name}", get(access).post(save_access))
        .route("/admin/teams", get(teams).post(add_team))
        .route("/admin/teams/{id}/delete", post(delete_team))
        .route("/admin/sharing-rules", get(rules).post(add_rule))
        .route("/admin/sharing-rules/{id}/delete", post(delete_rule))
        .route("/admin/tokens", get(tokens).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/admin/audit", get(audit))
        .route(
            "/admin/validation-rules",
            get(validation_rules).post(add_validation_rule),
        )
        .route(
            "/admin/validation-rules/{id}/delete",
            post(delete_validation_rule),
        )
        .route("/admin/coding-rules", get(coding_rules).post(add_coding_rule))
        .route("/admin/coding-rules/{id}/delete", post(delete_coding_rule))
        .route("/admin/data-quality", get(quality_index))
        .route(
            "/admin/data-quality/{plural}",
            get(object_quality).post(save_quality_fields),
        )
        .route(
            "/admin/sales-processes",
            get(processes::list).post(processes::add),
        )
        .route("/admin/sales-processes/new", get(processes::new))
        .route(
            "/admin/assignment-rules",
            get(assignment::list).post(assignment::add),
        )
        .route("/admin/assignment-rules/{id}/delete", post(assignment::delete))
        .route(
            "/admin/sales-processes/{id}",
            get(processes::edit).post(processes::update),
        )
        .route("/admin/sales-processes/{id}/delete", post(processes::delete))
        .route("/admin/quotes", get(quotes::show).post(quotes::save))
        .route(service::HERE, get(service::show).post(service::save))
        .route(tiers::HERE, get(tiers::show).post(tiers::save))
        .route(lifecycle::HERE, get(lifecycle::show).post(lifecycle::save))
        .route(queues::HERE, get(queues::list).post(queues::add))
        .route(mail::HERE, get(mail::show))
        .route("/admin/queues/{value}", get(queues::edit).post(queues::save))
        .route("/admin/customer-tiers/regrade", post(tiers::regrade))
        .route(
            "/admin/conflict-rules",
            get(conflicts::show).post(conflicts::save),
        )
        .route("/admin/duplicate-rules", get(duplicate_rules))
        .route("/admin/duplicate-rules/{object}", post(set_duplicate_rule))
}

macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

/// The signed-in administrator, or the answer for anyone else (sign-in, or 403).
async fn administrator(crm: &Crm, headers: &HeaderMap) -> Result<Viewer, Response> {
    let v = signed_in(crm, headers).await?;
    if v.actor.administers() {
        Ok(v)
    } else {
        Err(failure(
            ServiceError::Forbidden(Msg::DetailAdminOnly),
            v.locale,
            Some(&v),
        ))
    }
}

/// A submitted setup form: an administrator's, carrying the session's CSRF token.
async fn posted(crm: &Crm, headers: &HeaderMap, form: &Fields) -> Result<Viewer, Response> {
    let v = administrator(crm, headers).await?;
    if csrf_ok(&v, form) {
        Ok(v)
    } else {
        Err(csrf_refused(&v))
    }
}

fn respond(status: StatusCode, page: Markup) -> Response {
    super::html(status, page)
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Every setup page: the areas, then the content.
fn frame(crm: &Crm, v: &Viewer, area: &str, here: &str, title: &str, content: Markup) -> Markup {
    let l = v.locale;
    let body = html! {
        nav.admin-nav aria-label=(t(l, Msg::UiSetup)) {
            ul {
                li { a href="/admin" aria-current=[(area == "/admin").then_some("page")] { (t(l, Msg::UiSetup)) } }
                @for (href, m) in AREAS {
                    li { a href=(href) aria-current=[(area == href).then_some("page")] { (t(l, m)) } }
                }
            }
        }
        (content)
    };
    pages::layout(l, Some(v), Some(&crm.schema()), None, here, title, body)
}

fn object_named(crm: &Crm, name: &str) -> Option<std::sync::Arc<ObjectDef>> {
    let schema = crm.schema();
    schema.named(name).cloned()
}

fn val<'a>(form: &'a Fields, key: &str) -> &'a str {
    form.get(key).map(|s| s.trim()).unwrap_or("")
}

/// The problem with an input: one naming it, or a part of it (`options`, `sections[0]…`).
fn error_for<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| {
        e.field == name
            || e.field.starts_with(&format!("{name}."))
            || e.field.starts_with(&format!("{name}["))
    })
}

/// "Please correct…" and the problems no input on the form shows.
fn summary(l: Locale, errors: &[FieldError], inputs: &[&str]) -> Markup {
    html! {
        @if !errors.is_empty() {
            p.error role="alert" { (t(l, Msg::UiFixErrors)) }
            @for e in errors.iter().filter(|e| !inputs.iter().any(|i| error_for(std::slice::from_ref(e), i).is_some())) {
                p.error { (e.message(l)) }
            }
        }
    }
}

struct Input<'a> {
    form: &'a str,
    name: &'a str,
    label: &'a str,
    value: &'a str,
    kind: &'a str,
    hint: Option<&'a str>,
}

/// A labelled input; its error (else its hint) beside it and tied to it.
fn input(l: Locale, i: Input<'_>, errors: &[FieldError]) -> Markup {
    let id = format!("{}-{}", i.form, i.name);
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let e = error_for(errors, i.name);
    let described = match (e, i.hint) {
        (Some(_), _) => Some(err_id.as_str()),
        (None, Some(_)) => Some(hint_id.as_str()),
        _ => None,
    };
    html! {
        div.field {
            label for=(id) { (i.label) }
            @if i.kind == "textarea" {
                textarea id=(id) name=(i.name) rows="5" aria-invalid=[e.map(|_| "true")] aria-describedby=[described] { (i.value) }
            } @else {
                input id=(id) type=(i.kind) name=(i.name) value=(i.value)
                    autocomplete=[(i.kind == "password").then_some("new-password")]
                    aria-invalid=[e.map(|_| "true")] aria-describedby=[described];
            }
            @if let Some(e) = e {
                p.error id=(err_id) { (e.message(l)) }
            } @else if let Some(h) = i.hint {
                p.hint id=(hint_id) { (h) }
            }
        }
    }
}

fn text<'a>(form: &'a str, name: &'a str, label: &'a str, value: &'a str) -> Input<'a> {
    Input {
        form,
        name,
        label,
        value,
        kind: "text",
        hint: None,
    }
}

fn checkbox(id: &str, name: &str, label: &str, checked: bool) -> Markup {
    html! {
        div.field.check {
            input id=(id) type="checkbox" name=(name) value="on" checked[checked];
            label for=(id) { (label) }
        }
    }
}

/// A labelled select of `(value, text)` choices; its error beside it.
fn select(
    l: Locale,
    (form, name, label): (&str, &str, &str),
    choices: &[(String, String)],
    selected: &str,
    errors: &[FieldError],
) -> Markup {
    let id = format!("{form}-{name}");
    let err_id = format!("{id}-error");
    let e = error_for(errors, name);
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| err_id.as_str())] {
                @for (value, text) in choices {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            @if let Some(e) = e { p.error id=(err_id) { (e.message(l)) } }
        }
    }
}

/// Three label inputs (`{prefix}_en`, `_zh_cn`, `_zh_tw`).
fn label_inputs(
    l: Locale,
    form: &str,
    prefix: &str,
    msg: Msg,
    values: &Fields,
    errors: &[FieldError],
) -> Markup {
    html! {
        @for (suffix, _, language) in LABEL_LANGS {
            @let name = format!("{prefix}_{suffix}");
            @let label = msg.format(l, &[("language", language)]);
            (input(l, text(form, &name, &label, val(values, &name)), errors))
        }
    }
}

/// The labels typed, as the services' label input: `None` when all are empty; an empty
/// one takes the first given.
fn label_json(form: &Fields, prefix: &str) -> Option<Json> {
    let texts: Vec<&str> = LABEL_LANGS
        .iter()
        .map(|(suffix, _, _)| val(form, &format!("{prefix}_{suffix}")))
        .collect();
    let first = texts.iter().find(|s| !s.is_empty())?;
    let mut m = Map::new();
    for ((_, key, _), text) in LABEL_LANGS.iter().zip(&texts) {
        let text = if text.is_empty() { first } else { text };
        m.insert((*key).to_string(), json!(text));
    }
    Some(Json::Object(m))
}

fn yes_no(l: Locale, b: bool) -> &'static str {
    t(l, if b { Msg::UiYes } else { Msg::UiNo })
}

fn when(fmt: super::pages::Fmt, at: &DateTime<Utc>) -> Markup {
    html! { time datetime=(guanxi_core::values::format_datetime(at)) { (fmt.datetime(at)) } }
}

fn maybe_when(fmt: super::pages::Fmt, at: Option<&DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => when(fmt, at),
        None => html! { "—" },
    }
}

fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

fn saved_notice(l: Locale, saved: bool) -> Markup {
    html! { @if saved { p.notice role="status" { (t(l, Msg::UiSaved)) } } }
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

// ---- index ----

async fn index(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let l = v.locale;
    let content = html! {
        h1 { (t(l, Msg::UiSetup)) }
        p { (t(l, Msg::UiSetupIntro)) }
        ul.admin-index {
            @for (href, m) in AREAS { li { a.card href=(href) { (t(l, m)) } } }
        }
    };
    respond(
        StatusCode::OK,
        frame(&crm, &v, "/admin", "/admin", t(l, Msg::UiSetup), content),
    )
}

// ---- objects and fields ----

fn objects_page(crm: &Crm, v: &Viewer, form: &Fields, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let schema = crm.schema();
    let title = t(l, Msg::UiObjectsAndFields);
    let content = html! {
        h1 { (title) }
        table.records {
            thead { tr {
                th scope="col" { (t(l, Msg::UiLabel)) }
                th scope="col" { (t(l, Msg::UiApiName)) }
                th scope="col" { (t(l, Msg::UiPluralName)) }
                th scope="col" { (t(l, Msg::UiType)) }
                th scope="col" { (t(l, Msg::UiFields)) }
                th scope="col" { (t(l, Msg::UiPageLayout)) }
            } }
            tbody {
                @for o in schema.objects() {
                    tr {
                        td data-label=(t(l, Msg::UiLabel)) { a href={ "/admin/objects/" (o.name) } { (o.label.get(l)) } }
                        td data-label=(t(l, Msg::UiApiName)) { code { (o.name) } }
                        td data-label=(t(l, Msg::UiPluralName)) { code { (o.plural) } }
                        td data-label=(t(l, Msg::UiType)) { (t(l, if o.custom { Msg::UiCustom } else { Msg::UiStandard })) }
                        td data-label=(t(l, Msg::UiFields)) { (o.fields.len()) }
                        td data-label=(t(l, Msg::UiPageLayout)) { a href={ "/admin/objects/" (o.name) "/layout" } { (t(l, Msg::UiPageLayout)) } }
                    }
                }
            }
        }
        section.card aria-labelledby="add-object" {
            h2 #add-object { (t(l, Msg::UiAddObject)) }
            (summary(l, errors, &["name", "plural"]))
            form.admin-form method="post" action="/admin/objects" novalidate {
                (csrf(v))
                (input(l, Input { hint: Some(t(l, Msg::UiApiNameHint)), ..text("object", "name", t(l, Msg::UiApiName), val(form, "name")) }, errors))
                (input(l, text("object", "plural", t(l, Msg::UiPluralName), val(form, "plural")), errors))
                (label_inputs(l, "object", "label", Msg::UiLabelIn, form, errors))
                (label_inputs(l, "object", "plural_label", Msg::UiPluralLabelIn, form, errors))
                p.hint.wide { (t(l, Msg::UiLabelsHint)) }
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
    };
    frame(crm, v, "/admin/objects", "/admin/objects", title, content)
}

async fn objects(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    respond(StatusCode::OK, objects_page(&crm, &v, &Fields::new(), &[]))
}

async fn add_object(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let mut input = json!({"name": val(&form, "name"), "plural": val(&form, "plural")});
    if let Some(label) = label_json(&form, "label") {
        input["label"] = label;
    }
    if let Some(label) = label_json(&form, "plural_label") {
        input["plural_label"] = label;
    }
    match crm.add_object(&v.actor, input).await {
        Ok(o) => see_other(&format!("/admin/objects/{}", o.name)),
        Err(ServiceError::Validation(errors)) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            objects_page(&crm, &v, &form, &errors),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn type_name(t: FieldType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn object_page(crm: &Crm, v: &Viewer, o: &ObjectDef, form: &Fields, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let schema = crm.schema();
    let title = o.label.get(l);
    let here = format!("/admin/objects/{}", o.name);
    let types: Vec<(String, String)> = FieldType::USER_CREATABLE
        .iter()
        .map(|t| (type_name(*t), type_name(*t)))
        .collect();
    let mut targets = vec![(String::new(), "—".to_string())];
    targets.extend(
        schema
            .objects()
            .iter()
            .map(|x| (x.name.clone(), x.label.get(l).to_string())),
    );
    let chosen_type = match val(form, "type") {
        "" => "text",
        other => other,
    };
    let content = html! {
        p { a href="/admin/objects" { "← " (t(l, Msg::UiObjectsAndFields)) } }
        div.titlebar {
            h1 { (title) " " code { (o.name) } }
            div.actions { a.button href={ (here) "/layout" } { (t(l, Msg::UiPageLayout)) } }
        }
        table.records {
            thead { tr {
                th scope="col" { (t(l, Msg::UiApiName)) }
                th scope="col" { (t(l, Msg::UiLabel)) }
                th scope="col" { (t(l, Msg::UiType)) }
                th scope="col" { (t(l, Msg::UiRequired)) }
                th scope="col" { (t(l, Msg::UiIndexed)) }
                th scope="col" { (t(l, Msg::UiCustom)) }
                th scope="col" { (t(l, Msg::UiChange)) }
            } }
            tbody {
                @for f in &o.fields {
                    tr {
                        td data-label=(t(l, Msg::UiApiName)) { code { (f.name) } }
                        td data-label=(t(l, Msg::UiLabel)) { (f.label.get(l)) }
                        td data-label=(t(l, Msg::UiType)) {
                            code { (type_name(f.field_type)) }
                            @if let Some(target) = &f.target { " → " code { (target) } }
                        }
                        td data-label=(t(l, Msg::UiRequired)) { (yes_no(l, f.required)) }
                        td data-label=(t(l, Msg::UiIndexed)) { (yes_no(l, f.indexed)) }
                        td data-label=(t(l, Msg::UiCustom)) { (yes_no(l, f.custom)) }
                        td data-label=(t(l, Msg::UiChange)) {
                            @if !f.system {
                                a href={ (here) "/fields/" (f.name) }
                                    aria-label=(Msg::UiEditField.format(l, &[("field", f.label.get(l))])) { (t(l, Msg::UiEdit)) }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="add-field" {
            h2 #add-field { (t(l, Msg::UiAddField)) }
            (summary(l, errors, &["name", "type", "options", "target", "indexed", "required"]))
            form.admin-form method="post" action={ (here) "/fields" } novalidate {
                (csrf(v))
                (input(l, Input { hint: Some(t(l, Msg::UiApiNameHint)), ..text("field", "name", t(l, Msg::UiApiName), val(form, "name")) }, errors))
                (select(l, ("field", "type", t(l, Msg::UiType)), &types, chosen_type, errors))
                (label_inputs(l, "field", "label", Msg::UiLabelIn, form, errors))
                (checkbox("field-required", "required", t(l, Msg::UiRequired), form.contains_key("required")))
                (checkbox("field-indexed", "indexed", t(l, Msg::UiIndexed), form.contains_key("indexed")))
                @if let Some(e) = error_for(errors, "indexed") { p.error.wide { (e.message(l)) } }
                div.wide {
                    (input(l, Input { kind: "textarea", hint: Some(t(l, Msg::UiPicklistHint)),
                        ..text("field", "options", t(l, Msg::UiPicklistValues), form.get("options").map(String::as_str).unwrap_or("")) }, errors))
                }
                (select(l, ("field", "target", t(l, Msg::UiLookupTarget)), &targets, val(form, "target"), errors))
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
    };
    frame(crm, v, "/admin/objects", &here, title, content)
}

async fn object(State(crm): State<Crm>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    respond(StatusCode::OK, object_page(&crm, &v, &o, &Fields::new(), &[]))
}

/// Picklist lines `value | English | 简体 | 繁體` (labels optional; one label for all).
fn picklist_options(text: &str) -> Vec<Json> {
    text.lines()
        .map(|line| line.split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|parts| parts.iter().any(|p| !p.is_empty()))
        .map(|parts| match parts.as_slice() {
            [value] => json!(value),
            [value, one] => json!({"value": value, "label": one}),
            [value, en, cn] => json!({"value": value, "label": {"en": en, "zh-CN": cn, "zh-TW": cn}}),
            [value, en, cn, tw, ..] => json!({"value": value, "label": {"en": en, "zh-CN": cn, "zh-TW": tw}}),
            [] => Json::Null,
        })
        .collect()
}

async fn add_field(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let mut input = Map::new();
    input.insert("name".into(), json!(val(&form, "name")));
    input.insert("type".into(), json!(val(&form, "type")));
    if let Some(label) = label_json(&form, "label") {
        input.insert("label".into(), label);
    }
    input.insert("required".into(), json!(form.contains_key("required")));
    input.insert("indexed".into(), json!(form.contains_key("indexed")));
    let options = picklist_options(form.get("options").map(String::as_str).unwrap_or(""));
    if !options.is_empty() {
        input.insert("options".into(), Json::Array(options));
    }
    if !val(&form, "target").is_empty() {
        input.insert("target".into(), json!(val(&form, "target")));
    }
    match crm.add_field(&v.actor, &o.name, Json::Object(input)).await {
        Ok(_) => see_other(&format!("/admin/objects/{}", o.name)),
        Err(ServiceError::Validation(errors)) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            object_page(&crm, &v, &o, &form, &errors),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- changing a field ----

/// Whether a picklist line's last part marks the value retired, in any language.
fn retired_marker(part: &str) -> bool {
    Locale::ALL
        .iter()
        .any(|l| part.eq_ignore_ascii_case(t(*l, Msg::UiRetiredMarker)))
}

/// A field's values as the page's lines: `value | English | 简体 | 繁體`, and the retired
/// marker (in the reader's language) after a value no longer offered.
fn option_lines(l: Locale, f: &FieldDef) -> String {
    f.options
        .iter()
        .map(|o| {
            let mut line = format!(
                "{} | {} | {} | {}",
                o.value, o.label.en, o.label.zh_cn, o.label.zh_tw
            );
            if !o.active {
                line.push_str(" | ");
                line.push_str(t(l, Msg::UiRetiredMarker));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The typed lines as the full option list the service takes, each with its line number
/// (blank lines skipped) so a problem with `options[i]` can name its line.
fn typed_options(text: &str) -> Vec<(usize, Json)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split('|').map(str::trim).collect::<Vec<_>>()))
        .filter(|(_, parts)| parts.iter().any(|p| !p.is_empty()))
        .map(|(n, mut parts)| {
            let active = !(parts.len() > 1 && parts.last().is_some_and(|p| retired_marker(p)));
            if !active {
                parts.pop();
            }
            let mut o = json!({"value": parts[0], "active": active});
            match parts[1..] {
                [] => {}
                [one] => o["label"] = json!(one),
                [en, cn] => o["label"] = json!({"en": en, "zh-CN": cn, "zh-TW": cn}),
                [en, cn, tw, ..] => o["label"] = json!({"en": en, "zh-CN": cn, "zh-TW": tw}),
            }
            (n, o)
        })
        .collect()
}

/// The page's input a service problem belongs to: `label.zh-CN` is `label_zh_cn`.
fn field_form_input(path: &str) -> String {
    LABEL_LANGS
        .iter()
        .find(|(_, tag, _)| path == format!("label.{tag}"))
        .map_or_else(
            || {
                if path.starts_with("options") {
                    "options".to_string()
                } else {
                    path.to_string()
                }
            },
            |(suffix, _, _)| format!("label_{suffix}"),
        )
}

fn field_editor(
    crm: &Crm,
    v: &Viewer,
    o: &ObjectDef,
    f: &FieldDef,
    form: &Fields,
    errors: &[FieldError],
    saved: bool,
) -> Markup {
    let l = v.locale;
    let here = format!("/admin/objects/{}/fields/{}", o.name, f.name);
    let title = Msg::UiEditField.format(l, &[("field", f.label.get(l))]);
    let picklist = matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist);
    let typed = form.get("options").map(String::as_str).unwrap_or("");
    let lines = typed_options(typed);
    // Problems with the values, each naming its line; the others beside their inputs.
    let value_problems: Vec<String> = errors
        .iter()
        .filter(|e| e.field.starts_with("options"))
        .map(|e| {
            let line = e
                .field
                .strip_prefix("options[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| lines.get(i))
                .map(|(n, _)| *n);
            match line {
                Some(n) => Msg::UiLine.format(l, &[("line", &n.to_string()), ("message", &e.message(l))]),
                None => e.message(l),
            }
        })
        .collect();
    let others: Vec<FieldError> = errors
        .iter()
        .filter(|e| !e.field.starts_with("options"))
        .map(|e| FieldError {
            field: field_form_input(&e.field),
            ..e.clone()
        })
        .collect();
    let rows = (typed.lines().count() + 3).clamp(6, 40);
    let type_text = type_name(f.field_type);
    let content = html! {
        p { a href={ "/admin/objects/" (o.name) } { "← " (o.label.get(l)) } }
        h1 { (title) }
        p.hint { (Msg::UiFieldFixed.format(l, &[("name", &f.name), ("type", &type_text)])) }
        (saved_notice(l, saved))
        (summary(l, &others, &["label_en", "label_zh_cn", "label_zh_tw"]))
        @if others.is_empty() && !value_problems.is_empty() { p.error role="alert" { (t(l, Msg::UiFixErrors)) } }
        @if f.system {
            p.notice { (t(l, Msg::FieldNotChangeable)) }
        } @else {
            form.admin-form method="post" action=(here) novalidate {
                (csrf(v))
                (label_inputs(l, "field", "label", Msg::UiLabelIn, form, &others))
                @if picklist {
                    div.field.wide {
                        label for="field-options" { (t(l, Msg::UiFieldValues)) }
                        textarea.layout #field-options name="options" rows=(rows) spellcheck="false"
                            aria-invalid=[(!value_problems.is_empty()).then_some("true")]
                            aria-describedby={ "field-options-hint" @if !value_problems.is_empty() { " field-options-error" } } { (typed) }
                        p.hint #field-options-hint { (t(l, Msg::UiFieldValuesHint)) }
                        @if !value_problems.is_empty() {
                            ul.error #field-options-error { @for p in &value_problems { li { (p) } } }
                        }
                    }
                }
                div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
            }
        }
    };
    frame(crm, v, "/admin/objects", &here, &title, content)
}

/// The object and its field named in a path.
fn object_and_field(crm: &Crm, name: &str, field: &str) -> Option<(std::sync::Arc<ObjectDef>, FieldDef)> {
    let o = object_named(crm, name)?;
    let f = o.field(field).cloned()?;
    Some((o, f))
}

async fn field_page(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((name, field)): Path<(String, String)>,
    Query(q): Query<Saved>,
) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let Some((o, f)) = object_and_field(&crm, &name, &field) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let mut form = Fields::new();
    for ((suffix, _, _), text) in LABEL_LANGS
        .iter()
        .zip([&f.label.en, &f.label.zh_cn, &f.label.zh_tw])
    {
        form.insert(format!("label_{suffix}"), text.clone());
    }
    form.insert("options".into(), option_lines(v.locale, &f));
    respond(
        StatusCode::OK,
        field_editor(&crm, &v, &o, &f, &form, &[], q.saved.is_some()),
    )
}

async fn save_field(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((name, field)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Some((o, f)) = object_and_field(&crm, &name, &field) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    // Each language as typed (an empty one is refused beside its input, not filled in).
    let mut label = Map::new();
    for (suffix, tag, _) in LABEL_LANGS {
        label.insert(tag.to_string(), json!(val(&form, &format!("label_{suffix}"))));
    }
    let mut input = Map::new();
    input.insert("label".into(), Json::Object(label));
    if matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist) {
        let typed = form.get("options").map(String::as_str).unwrap_or("");
        let options = typed_options(typed).into_iter().map(|(_, o)| o).collect();
        input.insert("options".into(), Json::Array(options));
    }
    match crm
        .update_field(&v.actor, &o.name, &f.name, Json::Object(input))
        .await
    {
        Ok(_) => see_other(&format!("/admin/objects/{}/fields/{}?saved=1", o.name, f.name)),
        Err(ServiceError::Validation(errors)) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            field_editor(&crm, &v, &o, &f, &form, &errors, false),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- page layouts ----

/// A layout in the page's line format: `## English | 简体 | 繁體` starts a section, each
/// following line names a field.
pub(crate) fn layout_text(layout: &Layout) -> String {
    let mut out = String::new();
    for s in &layout.sections {
        let lb = &s.label;
        if lb.en == lb.zh_cn && lb.en == lb.zh_tw {
            out.push_str(&format!("## {}\n", lb.en));
        } else {
            out.push_str(&format!("## {} | {} | {}\n", lb.en, lb.zh_cn, lb.zh_tw));
        }
        for f in &s.fields {
            out.push_str(f);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The line format read back: the layout service's input, and the line each label and
/// field came from (keyed as the service names them, `sections[0].fields[2]`).
#[derive(Debug)]
pub(crate) struct LayoutLines {
    pub input: Json,
    pub lines: HashMap<String, usize>,
}

/// Reads the line format; problems come with their (1-based) line numbers.
pub(crate) fn parse_layout(text: &str) -> Result<LayoutLines, Vec<(usize, Msg)>> {
    let mut sections: Vec<Json> = Vec::new();
    let mut lines = HashMap::new();
    let mut problems = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = n + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            let parts: Vec<&str> = heading
                .trim_start_matches('#')
                .split('|')
                .map(str::trim)
                .collect();
            let label = match parts.as_slice() {
                [one] if !one.is_empty() => json!(one),
                [en, cn, tw] if !en.is_empty() && !cn.is_empty() && !tw.is_empty() => {
                    json!({"en": en, "zh-CN": cn, "zh-TW": tw})
                }
                _ => {
                    problems.push((number, Msg::LayoutBadHeading));
                    json!("")
                }
            };
            lines.insert(format!("sections[{}].label", sections.len()), number);
            sections.push(json!({"label": label, "fields": []}));
            continue;
        }
        let index = sections.len().saturating_sub(1);
        let Some(Json::Array(fields)) = sections.last_mut().and_then(|s| s.get_mut("fields")) else {
            problems.push((number, Msg::LayoutLineNoSection));
            continue;
        };
        lines.insert(format!("sections[{index}].fields[{}]", fields.len()), number);
        fields.push(json!(line));
    }
    if problems.is_empty() {
        Ok(LayoutLines {
            input: json!({ "sections": sections }),
            lines,
        })
    } else {
        Err(problems)
    }
}

fn layout_editor(
    crm: &Crm,
    v: &Viewer,
    o: &ObjectDef,
    text_value: &str,
    problems: &[String],
    saved: bool,
) -> Markup {
    let l = v.locale;
    let here = format!("/admin/objects/{}/layout", o.name);
    let title = format!("{} · {}", t(l, Msg::UiPageLayout), o.label.get(l));
    let rows = (text_value.lines().count() + 3).clamp(12, 60);
    let content = html! {
        p { a href={ "/admin/objects/" (o.name) } { "← " (o.label.get(l)) } }
        h1 { (title) }
        (saved_notice(l, saved))
        @if !problems.is_empty() { p.error role="alert" { (t(l, Msg::UiFixErrors)) } }
        form.admin-form method="post" action=(here) novalidate {
            (csrf(v))
            div.field.wide {
                label for="layout-text" { (t(l, Msg::UiLayoutText)) }
                textarea.layout #layout-text name="layout" rows=(rows) spellcheck="false"
                    aria-invalid=[(!problems.is_empty()).then_some("true")]
                    aria-describedby={ "layout-hint" @if !problems.is_empty() { " layout-errors" } } { (text_value) }
                p.hint #layout-hint { (t(l, Msg::UiLayoutHint)) }
                @if !problems.is_empty() {
                    ul.error #layout-errors { @for p in problems { li { (p) } } }
                }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
        section.card aria-labelledby="available" {
            h2 #available { (t(l, Msg::UiAvailableFields)) }
            dl.fields {
                @for f in guanxi_services::layouts::placeable(o) {
                    dt { code { (f.name) } }
                    dd { (f.label.get(l)) }
                }
            }
        }
    };
    frame(crm, v, "/admin/objects", &here, &title, content)
}

async fn layout_page(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let layout = match crm.layout(&o).await {
        Ok(l) => l,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let page = layout_editor(&crm, &v, &o, &layout_text(&layout), &[], q.saved.is_some());
    respond(StatusCode::OK, page)
}

async fn save_layout(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let l = v.locale;
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, l, Some(&v));
    };
    let typed = form.get("layout").map(String::as_str).unwrap_or("");
    let line = |number: usize, message: &str| {
        Msg::UiLine.format(l, &[("line", &number.to_string()), ("message", message)])
    };
    let problems: Vec<String> = match parse_layout(typed) {
        Err(problems) => problems.iter().map(|(n, m)| line(*n, t(l, *m))).collect(),
        Ok(parsed) => match crm.set_layout(&v.actor, &o.name, parsed.input).await {
            Ok(_) => return see_other(&format!("/admin/objects/{}/layout?saved=1", o.name)),
            Err(ServiceError::Validation(errors)) => errors
                .iter()
                .map(|e| match parsed.lines.get(&e.field) {
                    Some(n) => line(*n, &e.message(l)),
                    None => e.message(l),
                })
                .collect(),
            Err(e) => return failure(e, l, Some(&v)),
        },
    };
    respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout_editor(&crm, &v, &o, typed, &problems, false),
    )
}

// ---- users ----

fn role_choices(l: Locale, roles: &[RoleRow], none: Msg) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), t(l, none).to_string())];
    out.extend(roles.iter().map(|r| (r.id.to_string(), r.name.clone())));
    out
}

/// A failed change to one user's row: which user, what was sent, what was wrong.
struct RowProblem<'a> {
    user: Uuid,
    form: &'a Fields,
    errors: &'a [FieldError],
}

async fn users_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    row: Option<RowProblem<'_>>,
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let roles = match crm.roles(&v.actor).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let all = match guanxi_storage::system::users(crm.db()).await {
        Ok(u) => u,
        Err(e) => return failure(e.into(), l, Some(v)),
    };
    let role_name = |id: Option<Uuid>| {
        id.and_then(|id| roles.iter().find(|r| r.id == id))
            .map_or("—".to_string(), |r| r.name.clone())
    };
    let kinds: Vec<(String, String)> = KINDS
        .iter()
        .map(|(k, m)| (k.to_string(), t(l, *m).to_string()))
        .collect();
    let kind_name = |k: &str| {
        KINDS
            .iter()
            .find(|(x, _)| *x == k)
            .map_or(k.to_string(), |(_, m)| t(l, *m).to_string())
    };
    let locales: Vec<(String, String)> = LABEL_LANGS
        .iter()
        .map(|(_, tag, name)| (tag.to_string(), name.to_string()))
        .collect();
    let title = t(l, Msg::UiUsers);
    let content = html! {
        h1 { (title) }
        table.records {
            thead { tr {
                th scope="col" { (t(l, Msg::UiName)) }
                th scope="col" { (t(l, Msg::UiEmail)) }
                th scope="col" { (t(l, Msg::UiRole)) }
                th scope="col" { (t(l, Msg::UiKind)) }
                th scope="col" { (t(l, Msg::UiActive)) }
                th scope="col" { (t(l, Msg::UiAdministrator)) }
                th scope="col" { (t(l, Msg::UiChange)) }
            } }
            tbody {
                @for u in &all {
                    @let problem = row.as_ref().filter(|p| p.user == u.id);
                    @let row_errors: &[FieldError] = problem.map_or(&[], |p| p.errors);
                    @let prefix = format!("user-{}", u.id);
                    @let role_value = problem.map_or_else(|| u.role_id.map(|r| r.to_string()).unwrap_or_default(), |p| val(p.form, "role").to_string());
                    @let kind_value = problem.map_or_else(|| u.kind.clone(), |p| val(p.form, "kind").to_string());
                    @let partner_value = problem.map_or_else(|| u.partner_account_id.map(|p| p.to_string()).unwrap_or_default(), |p| val(p.form, "partner_account").to_string());
                    tr {
                        td data-label=(t(l, Msg::UiName)) { (u.name) }
                        td data-label=(t(l, Msg::UiEmail)) { (u.email) }
                        td data-label=(t(l, Msg::UiRole)) { (role_name(u.role_id)) }
                        td data-label=(t(l, Msg::UiKind)) { (kind_name(&u.kind)) }
                        td data-label=(t(l, Msg::UiActive)) { (yes_no(l, u.active)) }
                        td data-label=(t(l, Msg::UiAdministrator)) { (yes_no(l, u.is_admin)) }
                        td data-label=(t(l, Msg::UiChange)) {
                            form.row-form method="post" action={ "/admin/users/" (u.id) } novalidate {
                                (csrf(v))
                                @if !row_errors.is_empty() { (summary(l, row_errors, &["role", "kind", "partner_account"])) }
                                (select(l, (&prefix, "role", t(l, Msg::UiRole)), &role_choices(l, &roles, Msg::UiNoRole), &role_value, row_errors))
                                (select(l, (&prefix, "kind", t(l, Msg::UiKind)), &kinds, &kind_value, row_errors))
                                (input(l, text(&prefix, "partner_account", t(l, Msg::UiPartnerAccount), &partner_value), row_errors))
                                button.primary type="submit" { (t(l, Msg::UiChange)) }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="add-user" {
            h2 #add-user { (t(l, Msg::UiAddUser)) }
            (summary(l, errors, &["name", "email", "password", "locale", "role"]))
            form.admin-form method="post" action="/admin/users" novalidate {
                (csrf(v))
                (input(l, text("new-user", "name", t(l, Msg::UiName), val(form, "name")), errors))
                (input(l, Input { kind: "email", ..text("new-user", "email", t(l, Msg::UiEmail), val(form, "email")) }, errors))
                (input(l, Input { kind: "password", ..text("new-user", "password", t(l, Msg::UiPassword), "") }, errors))
                (select(l, ("new-user", "locale", t(l, Msg::UiLanguage)), &locales, val(form, "locale"), errors))
                (select(l, ("new-user", "role", t(l, Msg::UiRole)), &role_choices(l, &roles, Msg::UiNoRole), val(form, "role"), errors))
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
    };
    respond(
        status,
        frame(crm, v, "/admin/users", "/admin/users", title, content),
    )
}

async fn users(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    users_page(&crm, &v, &Fields::new(), &[], None, StatusCode::OK).await
}

/// An optional id typed or chosen in a form: empty is none; anything else must be an id.
fn optional_id(form: &Fields, key: &str) -> Result<Option<Uuid>, FieldError> {
    match val(form, key) {
        "" => Ok(None),
        s => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| FieldError::new(key, Msg::InvalidId)),
    }
}

async fn add_user(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let refused = |errors: Vec<FieldError>| {
        let (crm, v, form) = (&crm, &v, &form);
        async move { users_page(crm, v, form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await }
    };
    let role = match optional_id(&form, "role") {
        Ok(r) => r,
        Err(e) => return refused(vec![e]).await,
    };
    // The role is checked first, so that a user is not created without it.
    if let Some(r) = role {
        match crm.roles(&v.actor).await {
            Ok(roles) if roles.iter().any(|x| x.id == r) => {}
            Ok(_) => return refused(vec![FieldError::new("role", Msg::LookupNotFound)]).await,
            Err(e) => return failure(e, v.locale, Some(&v)),
        }
    }
    let new = NewUser {
        email: val(&form, "email").to_string(),
        name: val(&form, "name").to_string(),
        password: form.get("password").cloned().filter(|p| !p.is_empty()),
        is_admin: false,
        locale: Locale::from_tag(val(&form, "locale")).unwrap_or_default(),
    };
    let user = match crm.add_user(&v.actor, new).await {
        Ok(u) => u,
        Err(ServiceError::Validation(errors)) => return refused(errors).await,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    if role.is_some()
        && let Err(e) = crm.set_user_role(&v.actor, user.id, role).await
    {
        return failure(e, v.locale, Some(&v));
    }
    see_other("/admin/users")
}

async fn change_user(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let kind = val(&form, "kind");
    let input = optional_id(&form, "role").and_then(|role| {
        let mut m = Map::new();
        m.insert("role".into(), json!(role));
        m.insert("kind".into(), json!(kind));
        if kind == "partner" {
            let partner = optional_id(&form, "partner_account")?;
            if partner.is_some() {
                m.insert("partner_account".into(), json!(partner));
            }
        }
        Ok(Json::Object(m))
    });
    let result = match input {
        Ok(input) => crm.set_user_access(&v.actor, id, input).await,
        Err(e) => Err(ServiceError::Validation(vec![e])),
    };
    match result {
        Ok(()) => see_other("/admin/users"),
        Err(ServiceError::Validation(errors)) => {
            let row = RowProblem {
                user: id,
                form: &form,
                errors: &errors,
            };
            users_page(
                &crm,
                &v,
                &Fields::new(),
                &[],
                Some(row),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- roles and object permissions ----

/// Roles under `parent` as nested lists: the hierarchy as indentation.
fn role_tree(roles: &[RoleRow], parent: Option<Uuid>, depth: usize) -> Markup {
    let children: Vec<&RoleRow> = roles.iter().filter(|r| r.parent_id == parent).collect();
    html! {
        @if !children.is_empty() && depth < 32 {
            ul.tree {
                @for r in children {
                    li { (r.name) (role_tree(roles, Some(r.id), depth + 1)) }
                }
            }
        }
    }
}

async fn roles_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let roles = match crm.roles(&v.actor).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let schema = crm.schema();
    let title = t(l, Msg::UiRoles);
    let content = html! {
        h1 { (title) }
        section.card aria-labelledby="hierarchy" {
            h2 #hierarchy { (t(l, Msg::UiRoles)) }
            @if roles.is_empty() { p.hint { (t(l, Msg::UiNothingYet)) } }
            (role_tree(&roles, None, 0))
        }
        section.card aria-labelledby="add-role" {
            h2 #add-role { (t(l, Msg::UiAddRole)) }
            (summary(l, errors, &["name", "parent"]))
            form.admin-form method="post" action="/admin/roles" novalidate {
                (csrf(v))
                (input(l, text("role", "name", t(l, Msg::UiName), val(form, "name")), errors))
                (select(l, ("role", "parent", t(l, Msg::UiParentRole)), &role_choices(l, &roles, Msg::UiNoRole), val(form, "parent"), errors))
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
        section.card aria-labelledby="object-access" {
            h2 #object-access { (t(l, Msg::UiObjectAccess)) }
            ul.admin-index {
                @for o in schema.objects() {
                    li { a href={ "/admin/access/" (o.name) } { (o.plural_label.get(l)) } }
                }
            }
        }
    };
    respond(
        status,
        frame(crm, v, "/admin/roles", "/admin/roles", title, content),
    )
}

async fn roles(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    roles_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn add_role(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let result = match optional_id(&form, "parent") {
        Ok(parent) => {
            crm.add_role(&v.actor, json!({"name": val(&form, "name"), "parent": parent}))
                .await
        }
        Err(e) => Err(ServiceError::Validation(vec![e])),
    };
    match result {
        Ok(_) => see_other("/admin/roles"),
        Err(ServiceError::Validation(errors)) => {
            roles_page(&crm, &v, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn perm(p: &ObjectPermissions, key: &str) -> bool {
    match key {
        "read" => p.read,
        "create" => p.create,
        "edit" => p.edit,
        "delete" => p.delete,
        "view_all" => p.view_all,
        _ => p.modify_all,
    }
}

async fn access_page(
    crm: &Crm,
    v: &Viewer,
    o: &ObjectDef,
    errors: &[FieldError],
    saved: bool,
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let (roles, current) = match (
        crm.roles(&v.actor).await,
        crm.object_access(&v.actor, &o.name).await,
    ) {
        (Ok(r), Ok(a)) => (r, a),
        (Err(e), _) | (_, Err(e)) => return failure(e, l, Some(v)),
    };
    let sharing: Vec<(String, String)> = [
        (Sharing::Private, Msg::UiSharingPrivate),
        (Sharing::PublicRead, Msg::UiSharingPublicRead),
        (Sharing::PublicReadWrite, Msg::UiSharingPublicReadWrite),
    ]
    .iter()
    .map(|(s, m)| (s.as_str().to_string(), t(l, *m).to_string()))
    .collect();
    let here = format!("/admin/access/{}", o.name);
    let title = format!("{} · {}", t(l, Msg::UiObjectAccess), o.plural_label.get(l));
    let content = html! {
        p { a href="/admin/roles" { "← " (t(l, Msg::UiRoles)) } }
        h1 { (title) }
        (saved_notice(l, saved))
        (summary(l, errors, &["sharing"]))
        form method="post" action=(here) novalidate {
            (csrf(v))
            div.admin-form {
                (select(l, ("access", "sharing", t(l, Msg::UiDefaultSharing)), &sharing, current.sharing.as_str(), errors))
            }
            @if roles.is_empty() {
                p.hint { (t(l, Msg::UiNothingYet)) }
            } @else {
                table.records {
                    thead { tr {
                        th scope="col" { (t(l, Msg::UiRole)) }
                        @for (_, m) in PERMS { th scope="col" { (t(l, m)) } }
                    } }
                    tbody {
                        @for r in &roles {
                            @let p = current.roles.iter().find(|(id, _)| *id == r.id).map_or(ObjectPermissions::STANDARD, |x| x.1);
                            tr {
                                th scope="row" { (r.name) }
                                @for (key, m) in PERMS {
                                    td data-label=(t(l, m)) {
                                        input type="checkbox" name={ (r.id) "." (key) } value="on" checked[perm(&p, key)]
                                            aria-label=(Msg::UiPermFor.format(l, &[("role", &r.name), ("permission", t(l, m))]));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { (t(l, Msg::UiPermHint)) }
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
    };
    respond(status, frame(crm, v, "/admin/roles", &here, &title, content))
}

async fn access(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    access_page(&crm, &v, &o, &[], q.saved.is_some(), StatusCode::OK).await
}

async fn save_access(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Some(o) = object_named(&crm, &name) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let (roles, current) = match (
        crm.roles(&v.actor).await,
        crm.object_access(&v.actor, &o.name).await,
    ) {
        (Ok(r), Ok(a)) => (r, a),
        (Err(e), _) | (_, Err(e)) => return failure(e, v.locale, Some(&v)),
    };
    // Only roles whose boxes changed get settings of their own; the others keep the default.
    let mut changed = Map::new();
    for r in &roles {
        let was = current
            .roles
            .iter()
            .find(|(id, _)| *id == r.id)
            .map_or(ObjectPermissions::STANDARD, |x| x.1);
        let ticked = |key: &str| form.contains_key(&format!("{}.{key}", r.id));
        let now = ObjectPermissions {
            read: ticked("read"),
            create: ticked("create"),
            edit: ticked("edit"),
            delete: ticked("delete"),
            view_all: ticked("view_all"),
            modify_all: ticked("modify_all"),
        };
        if now != was {
            changed.insert(r.id.to_string(), json!(now));
        }
    }
    let input = json!({"sharing": val(&form, "sharing"), "roles": changed});
    match crm.set_object_access(&v.actor, &o.name, input).await {
        Ok(_) => see_other(&format!("/admin/access/{}?saved=1", o.name)),
        Err(ServiceError::Validation(errors)) => {
            access_page(&crm, &v, &o, &errors, false, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- teams ----

async fn teams_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let teams = match crm.teams(&v.actor).await {
        Ok(t) => t,
        Err(e) => return failure(e, l, Some(v)),
    };
    let users = match guanxi_storage::system::users(crm.db()).await {
        Ok(u) => u,
        Err(e) => return failure(e.into(), l, Some(v)),
    };
    let name_of = |id: &Uuid| {
        users
            .iter()
            .find(|u| u.id == *id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let title = t(l, Msg::UiTeams);
    let content = html! {
        h1 { (title) }
        @if teams.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiMembers)) }
                    th scope="col" { (t(l, Msg::UiDelete)) }
                } }
                tbody {
                    @for team in &teams {
                        tr {
                            td data-label=(t(l, Msg::UiName)) { (team.name) }
                            td data-label=(t(l, Msg::UiMembers)) { (team.members.iter().map(name_of).collect::<Vec<_>>().join(", ")) }
                            td data-label=(t(l, Msg::UiDelete)) {
                                form method="post" action={ "/admin/teams/" (team.id) "/delete" } {
                                    (csrf(v))
                                    button.secondary type="submit" aria-label={ (t(l, Msg::UiDelete)) " " (team.name) } { (t(l, Msg::UiDelete)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="add-team" {
            h2 #add-team { (t(l, Msg::UiAddTeam)) }
            (summary(l, errors, &["name", "members"]))
            form.admin-form method="post" action="/admin/teams" novalidate {
                (csrf(v))
                (input(l, text("team", "name", t(l, Msg::UiName), val(form, "name")), errors))
                fieldset.wide {
                    legend { (t(l, Msg::UiMembers)) }
                    @for u in users.iter().filter(|u| u.active) {
                        @let key = format!("member.{}", u.id);
                        (checkbox(&format!("team-{key}"), &key, &format!("{} ({})", u.name, u.email), form.contains_key(&key)))
                    }
                    @if let Some(e) = error_for(errors, "members") { p.error { (e.message(l)) } }
                }
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
    };
    respond(
        status,
        frame(crm, v, "/admin/teams", "/admin/teams", title, content),
    )
}

async fn teams(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    teams_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn add_team(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let members: Vec<Json> = form
        .keys()
        .filter_map(|k| k.strip_prefix("member."))
        .map(|id| json!(id))
        .collect();
    let input = json!({"name": val(&form, "name"), "members": members});
    match crm.put_team(&v.actor, None, input).await {
        Ok(_) => see_other("/admin/teams"),
        Err(ServiceError::Validation(errors)) => {
            teams_page(&crm, &v, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// Deletes a team or a sharing rule; a refusal (a team a rule still names) comes back on
/// the list page.
async fn delete_item(crm: &Crm, headers: &HeaderMap, kind: &str, id: &str, form: &Fields) -> Response {
    let v = or_return!(posted(crm, headers, form).await);
    let Ok(id) = Uuid::parse_str(id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let team = kind == "team";
    match crm.delete_permission_item(&v.actor, kind, id).await {
        Ok(()) => see_other(if team {
            "/admin/teams"
        } else {
            "/admin/sharing-rules"
        }),
        Err(ServiceError::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            if team {
                teams_page(crm, &v, &Fields::new(), &errors, status).await
            } else {
                rules_page(crm, &v, &Fields::new(), &errors, status).await
            }
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

async fn delete_team(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    delete_item(&crm, &headers, "team", &id, &form).await
}

// ---- sharing rules ----

/// Groups a rule can name, as `role:ID`, `role_and_below:ID`, `team:ID` choices.
fn group_choices(l: Locale, roles: &[RoleRow], teams: &[Team]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "—".to_string())];
    for r in roles {
        out.push((
            format!("role:{}", r.id),
            Msg::UiGroupRole.format(l, &[("name", &r.name)]),
        ));
        out.push((
            format!("role_and_below:{}", r.id),
            Msg::UiGroupRoleAndBelow.format(l, &[("name", &r.name)]),
        ));
    }
    for team in teams {
        out.push((
            format!("team:{}", team.id),
            Msg::UiGroupTeam.format(l, &[("name", &team.name)]),
        ));
    }
    out
}

/// A group choice as the services' group input (`{"role": id}`); anything else is null,
/// which the service refuses naming the input.
fn group_json(choice: &str) -> Json {
    match choice.split_once(':') {
        Some((kind, id)) if matches!(kind, "role" | "role_and_below" | "team") => json!({ kind: id }),
        _ => Json::Null,
    }
}

fn group_name(l: Locale, g: &Group, roles: &[RoleRow], teams: &[Team]) -> String {
    let role = |id: &Uuid| {
        roles
            .iter()
            .find(|r| r.id == *id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    };
    match g {
        Group::Role(id) => Msg::UiGroupRole.format(l, &[("name", &role(id))]),
        Group::RoleAndBelow(id) => Msg::UiGroupRoleAndBelow.format(l, &[("name", &role(id))]),
        Group::Team(id) => {
            let name = teams
                .iter()
                .find(|x| x.id == *id)
                .map_or_else(|| id.to_string(), |x| x.name.clone());
            Msg::UiGroupTeam.format(l, &[("name", &name)])
        }
    }
}

async fn rules_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let loaded = (
        crm.sharing_rules(&v.actor, None).await,
        crm.roles(&v.actor).await,
        crm.teams(&v.actor).await,
    );
    let (rules, roles, teams) = match loaded {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failure(e, l, Some(v)),
    };
    let schema = crm.schema();
    let object_label = |name: &str| {
        schema
            .object(name)
            .map_or(name.to_string(), |o| o.plural_label.get(l).to_string())
    };
    let objects: Vec<(String, String)> = schema
        .objects()
        .iter()
        .map(|o| (o.name.clone(), o.plural_label.get(l).to_string()))
        .collect();
    let groups = group_choices(l, &roles, &teams);
    let levels = vec![
        ("read".to_string(), t(l, Msg::UiLevelRead).to_string()),
        ("edit".to_string(), t(l, Msg::UiLevelEdit).to_string()),
    ];
    let level_name = |s: &str| {
        levels
            .iter()
            .find(|(k, _)| k == s)
            .map_or(s.to_string(), |(_, n)| n.clone())
    };
    let title = t(l, Msg::UiSharingRules);
    let content = html! {
        h1 { (title) }
        @if rules.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiObject)) }
                    th scope="col" { (t(l, Msg::UiRecordOwners)) }
                    th scope="col" { (t(l, Msg::UiShareWith)) }
                    th scope="col" { (t(l, Msg::UiAccessLevel)) }
                    th scope="col" { (t(l, Msg::UiDelete)) }
                } }
                tbody {
                    @for r in &rules {
                        tr {
                            td data-label=(t(l, Msg::UiName)) { (r.name) }
                            td data-label=(t(l, Msg::UiObject)) { (object_label(&r.object)) }
                            td data-label=(t(l, Msg::UiRecordOwners)) {
                                @match &r.source {
                                    RuleSource::Owners(g) => (group_name(l, g, &roles, &teams)),
                                    RuleSource::Criteria(c) => code { (c) },
                                }
                            }
                            td data-label=(t(l, Msg::UiShareWith)) { (group_name(l, &r.to, &roles, &teams)) }
                            td data-label=(t(l, Msg::UiAccessLevel)) { (level_name(r.level.as_str())) }
                            td data-label=(t(l, Msg::UiDelete)) {
                                form method="post" action={ "/admin/sharing-rules/" (r.id) "/delete" } {
                                    (csrf(v))
                                    button.secondary type="submit" aria-label={ (t(l, Msg::UiDelete)) " " (r.name) } { (t(l, Msg::UiDelete)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="add-rule" {
            h2 #add-rule { (t(l, Msg::UiAddSharingRule)) }
            (summary(l, errors, &["object", "name", "owners", "criteria", "to", "level"]))
            form.admin-form method="post" action="/admin/sharing-rules" novalidate {
                (csrf(v))
                (select(l, ("rule", "object", t(l, Msg::UiObject)), &objects, val(form, "object"), errors))
                (input(l, text("rule", "name", t(l, Msg::UiName), val(form, "name")), errors))
                (select(l, ("rule", "owners", t(l, Msg::UiRecordOwners)), &groups, val(form, "owners"), errors))
                (input(l, Input { hint: Some(t(l, Msg::UiFilterHint)), ..text("rule", "criteria", t(l, Msg::UiCriteria), val(form, "criteria")) }, errors))
                (select(l, ("rule", "to", t(l, Msg::UiShareWith)), &groups, val(form, "to"), errors))
                (select(l, ("rule", "level", t(l, Msg::UiAccessLevel)), &levels, val(form, "level"), errors))
                div.actions { button.primary type="submit" { (t(l, Msg::UiAdd)) } }
            }
        }
    };
    respond(
        status,
        frame(
            crm,
            v,
            "/admin/sharing-rules",
            "/admin/sharing-rules",
            title,
            content,
        ),
    )
}

async fn rules(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    rules_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn add_rule(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let mut input = json!({
        "object": val(&form, "object"),
        "name": val(&form, "name"),
        "to": group_json(val(&form, "to")),
        "level": val(&form, "level"),
    });
    if !val(&form, "owners").is_empty() {
        input["owners"] = group_json(val(&form, "owners"));
    }
    if !val(&form, "criteria").is_empty() {
        input["criteria"] = json!(val(&form, "criteria"));
    }
    match crm.add_sharing_rule(&v.actor, input).await {
        Ok(_) => see_other("/admin/sharing-rules"),
        Err(ServiceError::Validation(errors)) => {
            rules_page(&crm, &v, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

async fn delete_rule(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    delete_item(&crm, &headers, "sharing_rule", &id, &form).await
}

// ---- API tokens ----

const SCOPES: [&str; 3] = ["read", "write", "admin"];

async fn tokens_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let mine = match crm.tokens(&v.actor).await {
        Ok(t) => t,
        Err(e) => return failure(e, l, Some(v)),
    };
    // A fresh form offers every scope; a returned one keeps what was ticked.
    let fresh = form.is_empty();
    let title = t(l, Msg::UiApiTokens);
    let content = html! {
        h1 { (title) }
        @if mine.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiPrefix)) }
                    th scope="col" { (t(l, Msg::UiScopes)) }
                    th scope="col" { (t(l, Msg::UiCreatedAt)) }
                    th scope="col" { (t(l, Msg::UiLastUsed)) }
                    th scope="col" { (t(l, Msg::UiExpires)) }
                    th scope="col" { (t(l, Msg::UiRevoked)) }
                    th scope="col" { (t(l, Msg::UiRevoke)) }
                } }
                tbody {
                    @for tok in &mine {
                        tr {
                            td data-label=(t(l, Msg::UiName)) { (tok.name) }
                            td data-label=(t(l, Msg::UiPrefix)) { code { (tok.prefix) "…" } }
                            td data-label=(t(l, Msg::UiScopes)) { (tok.scopes) }
                            td data-label=(t(l, Msg::UiCreatedAt)) { (when(v.fmt(), &tok.created_at)) }
                            td data-label=(t(l, Msg::UiLastUsed)) { (maybe_when(v.fmt(), tok.last_used_at.as_ref())) }
                            td data-label=(t(l, Msg::UiExpires)) { (maybe_when(v.fmt(), tok.expires_at.as_ref())) }
                            td data-label=(t(l, Msg::UiRevoked)) { (maybe_when(v.fmt(), tok.revoked_at.as_ref())) }
                            td data-label=(t(l, Msg::UiRevoke)) {
                                @if tok.revoked_at.is_none() {
                                    form method="post" action={ "/admin/tokens/" (tok.id) "/revoke" } {
                                        (csrf(v))
                                        button.secondary type="submit" aria-label={ (t(l, Msg::UiRevoke)) " " (tok.name) } { (t(l, Msg::UiRevoke)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="create-token" {
            h2 #create-token { (t(l, Msg::UiCreateToken)) }
            (summary(l, errors, &["name", "expires_days", "scopes"]))
            form.admin-form method="post" action="/admin/tokens" novalidate {
                (csrf(v))
                (input(l, text("token", "name", t(l, Msg::UiName), val(form, "name")), errors))
                (input(l, Input { kind: "number", ..text("token", "expires_days", t(l, Msg::UiExpiresInDays), val(form, "expires_days")) }, errors))
                fieldset.wide {
                    legend { (t(l, Msg::UiScopes)) }
                    @for s in SCOPES {
                        @let key = format!("scope.{s}");
                        (checkbox(&format!("token-{s}"), &key, s, fresh || form.contains_key(&key)))
                    }
                    @if let Some(e) = error_for(errors, "scopes") { p.error { (e.message(l)) } }
                }
                div.actions { button.primary type="submit" { (t(l, Msg::UiCreateToken)) } }
            }
        }
    };
    respond(
        status,
        frame(crm, v, "/admin/tokens", "/admin/tokens", title, content),
    )
}

async fn tokens(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    tokens_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn create_token(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let l = v.locale;
    let mut errors = Vec::new();
    let days = match val(&form, "expires_days") {
        "" => None,
        s => match s.parse::<u32>() {
            Ok(d) if (1..=3650).contains(&d) => Some(d),
            _ => {
                errors.push(FieldError::new("expires_days", Msg::NotInteger));
                None
            }
        },
    };
    let ticked: Vec<&str> = SCOPES
        .into_iter()
        .filter(|s| form.contains_key(&format!("scope.{s}")))
        .collect();
    let scopes = Scopes::parse(&ticked.join(","));
    if scopes.is_err() {
        errors.push(FieldError::new("scopes", Msg::InvalidScopes));
    }
    // The form always carries its CSRF token, so a refused form is never "fresh".
    let refused = |errors: Vec<FieldError>| {
        let (crm, v, form) = (&crm, &v, &form);
        async move { tokens_page(crm, v, form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await }
    };
    let Ok(scopes) = scopes else {
        return refused(errors).await;
    };
    if !errors.is_empty() {
        return refused(errors).await;
    }
    let new = NewToken {
        email: &v.actor.email,
        name: val(&form, "name"),
        expires_days: days,
        scopes: Some(scopes),
    };
    let (row, secret) = match crm.issue_token(new, Some(&v.actor)).await {
        Ok(x) => x,
        Err(ServiceError::Validation(errors)) => return refused(errors).await,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let title = t(l, Msg::UiTokenCreated);
    let content = html! {
        h1 { (title) }
        div.card {
            p { (row.name) " · " (row.scopes) }
            p role="alert" { strong { (t(l, Msg::UiTokenShownOnce)) } }
            label for="token-secret" { (t(l, Msg::UiApiTokens)) }
            input.secret #token-secret type="text" readonly value=(secret);
            p { a href="/admin/tokens" { "← " (t(l, Msg::UiApiTokens)) } }
        }
    };
    respond(
        StatusCode::OK,
        frame(&crm, &v, "/admin/tokens", "/admin/tokens", title, content),
    )
}

async fn revoke_token(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.revoke_token(Some(&v.actor), v.actor.user_id, id).await {
        Ok(()) => see_other("/admin/tokens"),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- audit log ----

#[derive(Debug, Default, Deserialize)]
struct AuditParams {
    action: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
}

impl AuditParams {
    fn get(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }

    /// The filters as a query string, with a page's cursor if given.
    fn query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("action", &self.action),
            ("actor", &self.actor),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !Self::get(v).is_empty() {
                parts.push(format!("{k}={}", pages::enc(Self::get(v))));
            }
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", pages::enc(c)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// A date typed in a filter, as the start of that day where the company is.
fn day_start(
    crm: &Crm,
    text: &str,
    field: &str,
    days_after: i64,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    if text.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, Msg::NotDate))?;
    let offset = crm.parse_context().local_offset;
    (date + chrono::Duration::days(days_after))
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(offset).single())
        .map(|d| Some(d.with_timezone(&Utc)))
        .ok_or_else(|| FieldError::new(field, Msg::NotDate))
}

/// An entry's detail, shortened for a table cell.
fn short(detail: &str) -> String {
    const MAX: usize = 400;
    if detail.chars().count() <= MAX {
        detail.to_string()
    } else {
        let mut s: String = detail.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

async fn audit(State(crm): State<Crm>, headers: HeaderMap, Query(p): Query<AuditParams>) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let l = v.locale;
    let get = AuditParams::get;
    let mut errors = Vec::new();
    let actor = match get(&p.actor) {
        "" => None,
        email => match guanxi_storage::system::user_by_email(crm.db(), email).await {
            Ok(Some(u)) => Some(u.id),
            Ok(None) => {
                errors.push(FieldError::new("actor", Msg::UnknownEmail).with("email", email));
                None
            }
            Err(e) => return failure(e.into(), l, Some(&v)),
        },
    };
    let since = day_start(&crm, get(&p.since), "since", 0).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let until = day_start(&crm, get(&p.until), "until", 1).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let mut rows = Vec::new();
    let mut next = None;
    if errors.is_empty() {
        let query = guanxi_storage::system::AuditQuery {
            action: Some(get(&p.action).to_string()).filter(|a| !a.is_empty()),
            actor,
            record_id: None,
            since,
            until,
            before: Uuid::parse_str(get(&p.cursor)).ok(),
            limit: AUDIT_PAGE + 1,
        };
        rows = match crm.audit(&v.actor, &query).await {
            Ok(r) => r,
            Err(e) => return failure(e, l, Some(&v)),
        };
        if rows.len() > AUDIT_PAGE {
            rows.truncate(AUDIT_PAGE);
            next = rows.last().map(|r| r.id.to_string());
        }
    }
    let schema = crm.schema();
    let title = t(l, Msg::UiAuditLog);
    let content = html! {
        h1 { (title) }
        form.admin-form.filter-form method="get" action="/admin/audit" role="search" {
            (input(l, text("audit", "action", t(l, Msg::UiAction), get(&p.action)), &errors))
            (input(l, Input { kind: "email", ..text("audit", "actor", t(l, Msg::UiActorEmail), get(&p.actor)) }, &errors))
            (input(l, Input { kind: "date", ..text("audit", "since", t(l, Msg::UiSince), get(&p.since)) }, &errors))
            (input(l, Input { kind: "date", ..text("audit", "until", t(l, Msg::UiUntil), get(&p.until)) }, &errors))
            div.actions {
                button.primary type="submit" { (t(l, Msg::UiApply)) }
                a href="/admin/audit" { (t(l, Msg::UiClear)) }
            }
        }
        @if rows.is_empty() {
            p.empty { (t(l, Msg::UiNoRecords)) }
        } @else {
            table.records.audit {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiTime)) }
                    th scope="col" { (t(l, Msg::UiActorEmail)) }
                    th scope="col" { (t(l, Msg::UiAction)) }
                    th scope="col" { (t(l, Msg::UiRecord)) }
                    th scope="col" { (t(l, Msg::UiIpAddress)) }
                    th scope="col" { (t(l, Msg::UiDetails)) }
                } }
                tbody {
                    @for a in &rows {
                        tr {
                            td data-label=(t(l, Msg::UiTime)) { (when(v.fmt(), &a.at)) }
                            td data-label=(t(l, Msg::UiActorEmail)) { (a.actor_email.as_deref().unwrap_or("—")) }
                            td data-label=(t(l, Msg::UiAction)) { code { (a.action) } }
                            td data-label=(t(l, Msg::UiRecord)) {
                                @let object = a.object.as_deref().and_then(|o| schema.object(o));
                                @match (object, a.record_id) {
                                    (Some(o), Some(id)) => a href={ "/o/" (o.plural) "/" (id) } { (o.label.get(l)) " " (id) },
                                    (Some(o), None) => (o.label.get(l)),
                                    (None, Some(id)) => { (a.object.as_deref().unwrap_or("")) " " (id) },
                                    (None, None) => (a.object.as_deref().unwrap_or("—")),
                                }
                            }
                            td data-label=(t(l, Msg::UiIpAddress)) { (a.ip.as_deref().unwrap_or("—")) }
                            td data-label=(t(l, Msg::UiDetails)) { code.detail { (short(&a.detail)) } }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if p.cursor.is_some() { a href={ "/admin/audit" (p.query(None)) } { (t(l, Msg::UiFirstPage)) } }
            @if let Some(c) = &next { a rel="next" href={ "/admin/audit" (p.query(Some(c))) } { (t(l, Msg::UiNextPage)) } }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    respond(
        status,
        frame(&crm, &v, "/admin/audit", "/admin/audit", title, content),
    )
}

// ---- validation rules ----

const RULE_KINDS: [(&str, Msg); 4] = [
    ("required_if", Msg::UiRuleRequiredIf),
    ("pattern", Msg::UiRulePattern),
    ("range", Msg::UiRuleRange),
    ("compare", Msg::UiRuleCompare),
];

const OPS: [&str; 6] = ["lt", "lte", "gt", "gte", "eq", "ne"];

/// The rule's own detail as an administrator reads it.
fn rule_detail(rule: &guanxi_core::rules::Rule) -> String {
    use guanxi_core::rules::Check;
    match &rule.check {
        Check::RequiredIf { field, when } => format!("{field} ⇐ {when}"),
        Check::Pattern { field, pattern } => format!("{field} ~ /{pattern}/"),
        Check::Range { field, min, max } => format!(
            "{} ≤ {field} ≤ {}",
            min.as_deref().unwrap_or("…"),
            max.as_deref().unwrap_or("…")
        ),
        Check::Compare { field, op, other } => format!("{field} {op} {other}"),
    }
}

async fn validation_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let rules = match crm.validation_rules(&v.actor, None).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let schema = crm.schema();
    let objects: Vec<(String, String)> = schema
        .objects()
        .iter()
        .map(|o| (o.name.clone(), o.label.get(l).to_string()))
        .collect();
    let kinds: Vec<(String, String)> = RULE_KINDS
        .iter()
        .map(|(k, m)| (k.to_string(), t(l, *m).to_string()))
        .collect();
    let ops: Vec<(String, String)> = OPS.iter().map(|o| (o.to_string(), o.to_string())).collect();
    let title = t(l, Msg::UiValidationRules);
    let f = "vrule";
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiRuleHint)) }
        @if rules.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiObject)) }
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiRuleKind)) }
                    th scope="col" { (t(l, Msg::UiDetails)) }
                    th scope="col" { span.vh { (t(l, Msg::UiDelete)) } }
                } }
                tbody {
                    @for r in &rules {
                        @let label = schema.object(&r.object).map_or(r.object.clone(), |o| o.label.get(l).to_string());
                        tr {
                            td data-label=(t(l, Msg::UiObject)) { (label) }
                            td data-label=(t(l, Msg::UiName)) { (r.name) br; small.hint { (r.message.get(l)) } }
                            td data-label=(t(l, Msg::UiRuleKind)) {
                                (RULE_KINDS.iter().find(|(k, _)| serde_json::to_value(&r.check).ok().and_then(|j| j["kind"].as_str().map(|s| s == *k)).unwrap_or(false)).map_or("", |(_, m)| t(l, *m)))
                            }
                            td data-label=(t(l, Msg::UiDetails)) { code { (rule_detail(r)) } }
                            td {
                                @if let Some(id) = r.id {
                                    form method="post" action={ "/admin/validation-rules/" (id) "/delete" } {
                                        (csrf(v))
                                        button.secondary type="submit" aria-label={ (t(l, Msg::UiDelete)) " " (r.name) } { (t(l, Msg::UiDelete)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(l, Msg::UiAddRule)) }
        (summary(l, errors, &["object", "name", "kind", "field", "when", "pattern", "min", "max", "op", "other", "message_en", "message_zh_cn", "message_zh_tw"]))
        form.card.admin-form method="post" action="/admin/validation-rules" novalidate {
            (csrf(v))
            (select(l, (f, "object", t(l, Msg::UiObject)), &objects, val(form, "object"), errors))
            (input(l, text(f, "name", t(l, Msg::UiName), val(form, "name")), errors))
            (select(l, (f, "kind", t(l, Msg::UiRuleKind)), &kinds, val(form, "kind"), errors))
            (input(l, text(f, "field", t(l, Msg::UiRuleField), val(form, "field")), errors))
            (input(l, text(f, "when", t(l, Msg::UiRuleWhen), val(form, "when")), errors))
            (input(l, text(f, "pattern", t(l, Msg::UiRulePatternInput), val(form, "pattern")), errors))
            (input(l, text(f, "min", t(l, Msg::UiRuleMin), val(form, "min")), errors))
            (input(l, text(f, "max", t(l, Msg::UiRuleMax), val(form, "max")), errors))
            (select(l, (f, "op", t(l, Msg::UiRuleOp)), &ops, val(form, "op"), errors))
            (input(l, text(f, "other", t(l, Msg::UiRuleOther), val(form, "other")), errors))
            (label_inputs(l, f, "message", Msg::UiRuleMessageIn, form, errors))
            div.actions { button.primary type="submit" { (t(l, Msg::UiAddRule)) } }
        }
    };
    respond(
        status,
        frame(
            crm,
            v,
            "/admin/validation-rules",
            "/admin/validation-rules",
            title,
            content,
        ),
    )
}

async fn validation_rules(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    validation_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn add_validation_rule(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let kind = val(&form, "kind");
    let mut input = json!({
        "object": val(&form, "object"), "name": val(&form, "name"), "kind": kind, "field": val(&form, "field"),
        "message": label_json(&form, "message").unwrap_or_else(|| json!({"en": "", "zh-CN": "", "zh-TW": ""})),
    });
    let extra: &[&str] = match kind {
        "required_if" => &["when"],
        "pattern" => &["pattern"],
        "range" => &["min", "max"],
        _ => &["op", "other"],
    };
    for key in extra {
        let value = val(&form, key);
        if !value.is_empty() || !matches!(*key, "min" | "max") {
            input[*key] = json!(value);
        }
    }
    match crm.add_validation_rule(&v.actor, input).await {
        Ok(_) => see_other("/admin/validation-rules"),
        Err(ServiceError::Validation(errors)) => {
            // The service names message parts `message.zh-CN`; the form's inputs are `message_zh_cn`.
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    if let Some(key) = e.field.strip_prefix("message.") {
                        e.field = format!("message_{}", key.to_ascii_lowercase().replace('-', "_"));
                    }
                    e
                })
                .collect();
            validation_page(&crm, &v, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

async fn delete_validation_rule(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.delete_validation_rule(&v.actor, id).await {
        Ok(()) => see_other("/admin/validation-rules"),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- coding rules ----

async fn coding_page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let rules = match crm.coding_rules(&v.actor).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let schema = crm.schema();
    let objects: Vec<(String, String)> = schema
        .objects()
        .iter()
        .map(|o| (o.name.clone(), o.label.get(l).to_string()))
        .collect();
    let title = t(l, Msg::UiCodingRules);
    let f = "coding";
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiCodingHint)) }
        @if rules.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiObject)) }
                    th scope="col" { (t(l, Msg::UiRuleField)) }
                    th scope="col" { (t(l, Msg::UiCodingPattern)) }
                    th scope="col" { span.vh { (t(l, Msg::UiDelete)) } }
                } }
                tbody {
                    @for r in &rules {
                        @let object = schema.object(&r.object);
                        tr {
                            td data-label=(t(l, Msg::UiObject)) { (object.map_or(r.object.clone(), |o| o.label.get(l).to_string())) }
                            td data-label=(t(l, Msg::UiRuleField)) {
                                (object.and_then(|o| o.field(&r.field)).map_or(r.field.clone(), |x| x.label.get(l).to_string()))
                            }
                            td data-label=(t(l, Msg::UiCodingPattern)) { code { (r.pattern) } }
                            td {
                                @if let Some(id) = r.id {
                                    form method="post" action={ "/admin/coding-rules/" (id) "/delete" } {
                                        (csrf(v))
                                        button.secondary type="submit" aria-label={ (t(l, Msg::UiDelete)) " " (r.pattern) } { (t(l, Msg::UiDelete)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(l, Msg::UiAddRule)) }
        (summary(l, errors, &["object", "field", "pattern"]))
        form.card.admin-form method="post" action="/admin/coding-rules" novalidate {
            (csrf(v))
            (select(l, (f, "object", t(l, Msg::UiObject)), &objects, val(form, "object"), errors))
            (input(l, text(f, "field", t(l, Msg::UiRuleField), val(form, "field")), errors))
            (input(l, text(f, "pattern", t(l, Msg::UiCodingPattern), val(form, "pattern")), errors))
            div.actions { button.primary type="submit" { (t(l, Msg::UiAddRule)) } }
        }
    };
    respond(
        status,
        frame(
            crm,
            v,
            "/admin/coding-rules",
            "/admin/coding-rules",
            title,
            content,
        ),
    )
}

async fn coding_rules(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    coding_page(&crm, &v, &Fields::new(), &[], StatusCode::OK).await
}

async fn add_coding_rule(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let input = json!({"object": val(&form, "object"), "field": val(&form, "field"), "pattern": val(&form, "pattern")});
    match crm.add_coding_rule(&v.actor, input).await {
        Ok(_) => see_other("/admin/coding-rules"),
        Err(ServiceError::Validation(errors)) => {
            coding_page(&crm, &v, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

async fn delete_coding_rule(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.delete_coding_rule(&v.actor, id).await {
        Ok(()) => see_other("/admin/coding-rules"),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

// ---- duplicate rules ----

/// One form per object duplicate detection covers; the one just posted keeps its input
/// and shows its errors beside the inputs.
async fn duplicate_page(
    crm: &Crm,
    v: &Viewer,
    posted: Option<(&str, &Fields, &[FieldError])>,
    status: StatusCode,
) -> Response {
    let l = v.locale;
    if let Err(e) = crm.duplicate_rules(&v.actor).await {
        return failure(e, l, Some(v));
    }
    let mut rules = Vec::new();
    for o in crm.schema().objects() {
        if guanxi_services::dedupe::kind_of(o).is_some() {
            match crm.duplicate_rule(&o.name).await {
                Ok(r) => rules.push((o.clone(), r)),
                Err(e) => return failure(e, l, Some(v)),
            }
        }
    }
    let actions = vec![
        ("warn".to_string(), t(l, Msg::UiDupWarn).to_string()),
        ("block".to_string(), t(l, Msg::UiDupBlock).to_string()),
    ];
    let title = t(l, Msg::UiDuplicateRules);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiDupRulesHint)) }
        @for (o, r) in &rules {
            @let mine = posted.filter(|(name, _, _)| *name == o.name);
            @let errors: &[FieldError] = mine.map_or(&[], |(_, _, e)| e);
            @let threshold = r.threshold.to_string();
            @let action = match r.action { guanxi_services::dedupe::Action::Warn => "warn", guanxi_services::dedupe::Action::Block => "block" };
            @let f = format!("dup-{}", o.name);
            h2 { (o.plural_label.get(l)) " · " a href={ "/o/" (o.plural) "/duplicates" } { (t(l, Msg::UiDuplicates)) } }
            (summary(l, errors, &["enabled", "action", "threshold"]))
            form.card.admin-form method="post" action={ "/admin/duplicate-rules/" (o.name) } novalidate {
                (csrf(v))
                (checkbox(&format!("{f}-enabled"), "enabled", t(l, Msg::UiDupEnabled), mine.map_or(r.enabled, |(_, form, _)| val(form, "enabled") == "on")))
                (select(l, (&f, "action", t(l, Msg::UiDupAction)), &actions, mine.map_or(action, |(_, form, _)| val(form, "action")), errors))
                (input(l, text(&f, "threshold", t(l, Msg::UiDupThreshold), mine.map_or(threshold.as_str(), |(_, form, _)| val(form, "threshold"))), errors))
                div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
            }
        }
    };
    respond(
        status,
        frame(
            crm,
            v,
            "/admin/duplicate-rules",
            "/admin/duplicate-rules",
            title,
            content,
        ),
    )
}

async fn duplicate_rules(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    duplicate_page(&crm, &v, None, StatusCode::OK).await
}

async fn set_duplicate_rule(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(object): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let input = json!({
        "enabled": val(&form, "enabled") == "on",
        "action": val(&form, "action"),
        "threshold": val(&form, "threshold"),
    });
    match crm.set_duplicate_rule(&v.actor, &object, &input).await {
        Ok(_) => see_other("/admin/duplicate-rules"),
        Err(ServiceError::Validation(errors)) => {
            duplicate_page(
                &crm,
                &v,
                Some((&object, &form, &errors)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// Data quality: every object, each to its own report.
async fn quality_index(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    let l = v.locale;
    let title = t(l, Msg::UiDataQuality);
    let schema = crm.schema();
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiQualityHint)) }
        ul.plain {
            @for o in schema.objects() {
                li { a href={ "/admin/data-quality/" (o.plural) } { (o.plural_label.get(l)) } }
            }
        }
    };
    respond(
        StatusCode::OK,
        frame(
            &crm,
            &v,
            "/admin/data-quality",
            "/admin/data-quality",
            title,
            content,
        ),
    )
}

async fn object_quality(State(crm): State<Crm>, headers: HeaderMap, Path(plural): Path<String>) -> Response {
    let v = or_return!(administrator(&crm, &headers).await);
    quality_page(&crm, &v, &plural, None, &[], StatusCode::OK).await
}

async fn save_quality_fields(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let v = or_return!(posted(&crm, &headers, &form).await);
    let fields: Vec<&str> = val(&form, "fields")
        .split([',', '，', ' ', '\n'])
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let Some(object) = crm.schema().by_plural(&plural).cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm
        .set_quality_fields(&v.actor, &object.name, json!({ "fields": fields }))
        .await
    {
        Ok(_) => see_other(&format!("/admin/data-quality/{plural}")),
        Err(ServiceError::Validation(errors)) => {
            quality_page(
                &crm,
                &v,
                &plural,
                Some(val(&form, "fields")),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// One object's report: score, bands, fill rates, invalid values, duplicates, the records
/// most in need of care — and the fields that make its records complete.
async fn quality_page(
    crm: &Crm,
    v: &Viewer,
    plural: &str,
    typed: Option<&str>,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let Some(object) = crm.schema().by_plural(plural).cloned() else {
        return failure(ServiceError::NotFound, l, Some(v));
    };
    let q = match crm.object_quality(&v.actor, &object.name).await {
        Ok(q) => q,
        Err(e) => return failure(e, l, Some(v)),
    };
    let label = |f: &str| {
        object
            .field(f)
            .map_or(f.to_string(), |x| x.label.get(l).to_string())
    };
    let pct = |x: f64| format!("{:.0} %", x * 100.0);
    let title = format!("{} · {}", t(l, Msg::UiDataQuality), object.plural_label.get(l));
    let fields_text = typed.map_or_else(|| q.completeness_fields.join(", "), str::to_string);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiQualityHint)) }
        dl.fields {
            dt { (t(l, Msg::UiQualityScore)) } dd { strong { (q.score) } " / 100" }
            dt { (t(l, Msg::UiQualityRecords)) } dd { (q.records) }
            dt { (t(l, Msg::UiRecordsWithInvalid)) } dd { (q.records_with_invalid) }
            dt { (t(l, Msg::UiRecordsWithDuplicates)) } dd { (q.records_with_duplicates) }
            dt { (t(l, Msg::UiScoreBands)) } dd { (q.bands[0]) " / " (q.bands[1]) " / " (q.bands[2]) }
        }
        h2 { (t(l, Msg::UiCompleteness)) }
        table.records {
            thead { tr { th scope="col" { (t(l, Msg::UiRuleField)) } th scope="col" { (t(l, Msg::UiFillRate)) } } }
            tbody {
                @for (f, rate) in &q.fill_rates {
                    tr { td data-label=(t(l, Msg::UiRuleField)) { (label(f)) } td data-label=(t(l, Msg::UiFillRate)) { (pct(*rate)) } }
                }
            }
        }
        @if !q.invalid_by_field.is_empty() {
            h2 { (t(l, Msg::UiInvalidValues)) }
            table.records {
                thead { tr { th scope="col" { (t(l, Msg::UiRuleField)) } th scope="col" { (t(l, Msg::UiQualityRecords)) } } }
                tbody {
                    @for (f, n) in &q.invalid_by_field {
                        tr {
                            td data-label=(t(l, Msg::UiRuleField)) { (label(f)) }
                            td data-label=(t(l, Msg::UiQualityRecords)) { (n) }
                        }
                    }
                }
            }
        }
        @if !q.worst.is_empty() {
            h2 { (t(l, Msg::UiWorstRecords)) }
            table.records {
                thead { tr { th scope="col" { (t(l, Msg::UiName)) } th scope="col" { (t(l, Msg::UiQualityScore)) } } }
                tbody {
                    @for (id, name, score) in &q.worst {
                        tr {
                            td data-label=(t(l, Msg::UiName)) { a href={ "/o/" (object.plural) "/" (id) } { (name) } }
                            td data-label=(t(l, Msg::UiQualityScore)) { (score) }
                        }
                    }
                }
            }
        }
        h2 { (t(l, Msg::UiCompletenessFields)) }
        (summary(l, errors, &["fields"]))
        form.card.admin-form method="post" action={ "/admin/data-quality/" (object.plural) } novalidate {
            (csrf(v))
            (input(l, Input { hint: Some(t(l, Msg::UiCompletenessFieldsHint)), ..text("quality", "fields", t(l, Msg::UiCompletenessFields), &fields_text) }, errors))
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
    };
    respond(
        status,
        frame(
            crm,
            v,
            "/admin/data-quality",
            &format!("/admin/data-quality/{plural}"),
            &title,
            content,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_core::metadata::Label;

    #[test]
    fn the_layout_line_format_reads_sections_and_fields_with_their_lines() {
        let text = "## Reach | 联系方式 | 聯絡方式\nmobile\n\n  name  \n# Other\ncity\n";
        let parsed = parse_layout(text).unwrap();
        assert_eq!(
            parsed.input,
            json!({"sections": [
                {"label": {"en": "Reach", "zh-CN": "联系方式", "zh-TW": "聯絡方式"}, "fields": ["mobile", "name"]},
                {"label": "Other", "fields": ["city"]}
            ]})
        );
        assert_eq!(parsed.lines["sections[0].label"], 1);
        assert_eq!(parsed.lines["sections[0].fields[1]"], 4);
        assert_eq!(parsed.lines["sections[1].fields[0]"], 6);
    }

    #[test]
    fn the_layout_line_format_names_the_lines_it_cannot_read() {
        let problems = parse_layout("name\n## A | B\ncity\n##\n").unwrap_err();
        assert_eq!(
            problems,
            [
                (1, Msg::LayoutLineNoSection),
                (2, Msg::LayoutBadHeading),
                (4, Msg::LayoutBadHeading)
            ]
        );
    }

    #[test]
    fn a_layout_written_out_reads_back_the_same() {
        let layout = Layout {
            sections: vec![
                guanxi_services::layouts::Section {
                    label: Label::new("Basics", "基本信息", "基本資訊"),
                    fields: vec!["name".into(), "email".into()],
                },
                guanxi_services::layouts::Section {
                    label: Label::new("备注", "备注", "备注"),
                    fields: vec!["notes".into()],
                },
            ],
        };
        let parsed = parse_layout(&layout_text(&layout)).unwrap();
        assert_eq!(parsed.input["sections"][0]["fields"], json!(["name", "email"]));
        assert_eq!(parsed.input["sections"][1]["label"], json!("备注"));
    }

    #[test]
    fn picklist_lines_become_options_with_labels() {
        assert_eq!(
            picklist_options("gold | Gold | 金牌 | 金牌\n\nsilver\nbronze|铜牌"),
            [
                json!({"value": "gold", "label": {"en": "Gold", "zh-CN": "金牌", "zh-TW": "金牌"}}),
                json!("silver"),
                json!({"value": "bronze", "label": "铜牌"}),
            ]
        );
    }
}

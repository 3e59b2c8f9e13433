//! The customer portal (`/portal`): a customer's own company's cases (opened, followed,
//! answered), orders and quotes, and the way in — the invitation link where an invited
//! contact chooses a password. Everything goes through `guanxi_services::portal`, which
//! narrows it to their company.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::access::UserKind;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::cases::CASE;
use guanxi_services::portal::{PortalCase, PortalScope};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::pages::{self, display, field_value, t};
use super::{Viewer, failure, html};

pub(super) const HERE: &str = "/portal";
type FormMap = std::collections::HashMap<String, String>;

/// The signed-in portal user, or the way to sign in; colleagues are told this is not
/// their page.
pub(super) async fn customer(crm: &Crm, headers: &HeaderMap) -> Result<Viewer, Response> {
    match super::viewer(crm, headers).await {
        Ok(Some(v)) if v.actor.kind == UserKind::Portal => Ok(v),
        Ok(Some(v)) => Err(html(
            StatusCode::FORBIDDEN,
            pages::message(v.locale, Some(&v), Msg::UiPortalForCustomers),
        )),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(failure(e, super::page_locale(headers, None), None)),
    }
}

pub(super) fn frame(v: Option<&Viewer>, locale: Locale, title: &str, content: Markup) -> Markup {
    pages::layout(locale, v, None, None, HERE, title, content)
}

pub(super) fn shown(crm: &Crm, v: &Viewer, object: &str, r: &Record, field: &str) -> String {
    let schema = crm.schema();
    let Some(o) = schema.object(object) else {
        return String::new();
    };
    match o.field(field) {
        Some(f) => display(f, field_value(o, r, field), v.fmt()),
        None => String::new(),
    }
}

fn deals(crm: &Crm, v: &Viewer, object: &str, caption: Msg, records: &[Record]) -> Markup {
    let l = v.locale;
    let columns = ["name", "number", "status", "total"];
    let labels: Vec<String> = crm
        .schema()
        .object(object)
        .map(|o| {
            columns
                .iter()
                .map(|c| o.field(c).map(|f| f.label.get(l).to_string()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    html! {
        section.card aria-labelledby={ "portal-" (object) } {
            h2 id={ "portal-" (object) } { (t(l, caption)) }
            @if records.is_empty() {
                p.hint { (t(l, Msg::UiPortalNone)) }
            } @else {
                div.table-wrap {
                    table.records {
                        thead { tr { @for label in &labels { th scope="col" { (label) } } } }
                        tbody {
                            @for r in records {
                                tr {
                                    @for (c, label) in columns.iter().zip(&labels) {
                                        td data-label=(label) { (shown(crm, v, object, r, c)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn home_page(
    crm: &Crm,
    v: &Viewer,
    scope: &PortalScope,
    cases: &[Record],
    orders: &[Record],
    quotes: &[Record],
) -> Markup {
    let l = v.locale;
    let content = html! {
        h1 { (Msg::UiPortalWelcome.format(l, &[("name", &scope.contact_name), ("company", &scope.account_name)])) }
        p {
            a.button.primary href={ (HERE) "/cases/new" } { (t(l, Msg::UiPortalNewCase)) }
            " " a href="/kb" { (t(l, Msg::UiKnowledgeBase)) }
            " · " a href={ (HERE) "/community" } { (t(l, Msg::UiCommunity)) }
        }
        section.card aria-labelledby="portal-cases" {
            h2 #portal-cases { (t(l, Msg::UiPortalCases)) }
            @if cases.is_empty() {
                p.hint { (t(l, Msg::UiPortalNone)) }
            } @else {
                ul.portal-cases {
                    @for c in cases {
                        @if let Some(id) = c.id() {
                            li {
                                a href={ (HERE) "/cases/" (id) } { (shown(crm, v, CASE, c, "subject")) }
                                " · " span.tag { (shown(crm, v, CASE, c, "status")) }
                                " " span.hint { (shown(crm, v, CASE, c, "created_at")) }
                            }
                        }
                    }
                }
            }
        }
        (deals(crm, v, "order", Msg::UiPortalOrders, orders))
        (deals(crm, v, "quote", Msg::UiPortalQuotes, quotes))
    };
    frame(Some(v), l, t(l, Msg::UiPortal), content)
}

pub(super) async fn home(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let loaded = async {
        let scope = crm.portal_scope(&v.actor).await?;
        let cases = crm.portal_cases(&v.actor).await?;
        let orders = crm.portal_deals(&v.actor, "order").await?;
        let quotes = crm.portal_deals(&v.actor, "quote").await?;
        Ok::<_, ServiceError>((scope, cases, orders, quotes))
    }
    .await;
    match loaded {
        Ok((scope, cases, orders, quotes)) => html(
            StatusCode::OK,
            home_page(&crm, &v, &scope, &cases, &orders, &quotes),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn case_types(crm: &Crm, l: Locale) -> (String, Vec<(String, String)>) {
    let field = crm.schema().object(CASE).and_then(|o| o.field("type").cloned());
    let label = field
        .as_ref()
        .map_or_else(|| "type".to_string(), |f| f.label.get(l).to_string());
    let options = field
        .iter()
        .flat_map(|f| f.options.iter().filter(|o| o.active))
        .map(|o| (o.value.clone(), o.label.get(l).to_string()))
        .collect();
    (label, options)
}

fn new_case_page(crm: &Crm, v: &Viewer, form: &FormMap, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let value = |k: &str| form.get(k).cloned().unwrap_or_default();
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let label = |k: &str| {
        crm.schema()
            .object(CASE)
            .and_then(|o| o.field(k).map(|f| f.label.get(l).to_string()))
            .unwrap_or_else(|| k.to_string())
    };
    let (type_label, types) = case_types(crm, l);
    let others: Vec<&FieldError> = errors
        .iter()
        .filter(|e| !["subject", "type", "description"].contains(&e.field.as_str()))
        .collect();
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiPortal)) } }
        h1 { (t(l, Msg::UiPortalNewCase)) }
        @if !errors.is_empty() {
            p.error role="alert" { (t(l, Msg::UiFixErrors)) }
            @for e in &others { p.error { (e.message(l)) } }
        }
        form.card.admin-form.web-form method="post" action={ (HERE) "/cases" } novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            div.field.wide {
                label for="subject" { (label("subject")) " *" }
                input #subject name="subject" type="text" maxlength="255" value=(value("subject")) required
                    aria-invalid=[error("subject").map(|_| "true")] aria-describedby=[error("subject").map(|_| "subject-error")];
                @if let Some(e) = error("subject") { p.error #subject-error { (e.message(l)) } }
            }
            div.field {
                label for="type" { (type_label) }
                select #type name="type" aria-invalid=[error("type").map(|_| "true")] aria-describedby=[error("type").map(|_| "type-error")] {
                    option value="" { "—" }
                    @for (val, text) in &types { option value=(val) selected[value("type") == *val] { (text) } }
                }
                @if let Some(e) = error("type") { p.error #type-error { (e.message(l)) } }
            }
            div.field.wide {
                label for="description" { (label("description")) }
                textarea #description name="description" rows="5" { (value("description")) }
                @if let Some(e) = error("description") { p.error #description-error { (e.message(l)) } }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiWebFormSend)) } }
        }
    };
    frame(Some(v), l, t(l, Msg::UiPortalNewCase), content)
}

pub(super) async fn new_case(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    match customer(&crm, &headers).await {
        Ok(v) => html(StatusCode::OK, new_case_page(&crm, &v, &FormMap::new(), &[])),
        Err(r) => r,
    }
}

/// The portal user's own CSRF-checked form post.
pub(super) async fn posted(crm: &Crm, headers: &HeaderMap, form: &FormMap) -> Result<Viewer, Response> {
    let v = customer(crm, headers).await?;
    if super::csrf_ok(&v, form) {
        Ok(v)
    } else {
        Err(super::csrf_refused(&v))
    }
}

pub(super) async fn open_case(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let input = form_json(&form, &["subject", "type", "description"]);
    match crm.portal_open_case(&v.actor, &input).await {
        Ok(r) => Redirect::to(&format!("{HERE}/cases/{}", r.id().unwrap_or_default())).into_response(),
        Err(ServiceError::Validation(errors)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_case_page(&crm, &v, &form, &errors),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn case_page(crm: &Crm, v: &Viewer, seen: &PortalCase, reply: &str, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let c = &seen.case;
    let id = c.id().unwrap_or_default();
    let schema = crm.schema();
    let message_def: Option<std::sync::Arc<ObjectDef>> =
        schema.object(guanxi_services::portal::MESSAGE).cloned();
    let error = errors.iter().find(|e| e.field == "body");
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiPortal)) } }
        h1 { (shown(crm, v, CASE, c, "subject")) }
        p { span.tag { (shown(crm, v, CASE, c, "status")) } " " span.hint { (shown(crm, v, CASE, c, "created_at")) } }
        @let description = shown(crm, v, CASE, c, "description");
        @if !description.is_empty() { section.card { p { (description) } } }
        section.card aria-labelledby="conversation" {
            h2 #conversation { (t(l, Msg::UiPortalConversation)) }
            @if seen.messages.is_empty() { p.hint { (t(l, Msg::UiPortalNoMessages)) } }
            ol.messages {
                @for m in &seen.messages {
                    @if let Some(def) = &message_def {
                        @let mine = matches!(field_value(def, m, "from_customer"), guanxi_core::values::Value::Bool(true));
                        li class=(if mine { "from-customer" } else { "from-us" }) {
                            p.hint {
                                @if mine { (shown(crm, v, guanxi_services::portal::MESSAGE, m, "author_name")) } @else { (t(l, Msg::UiPortalFromUs)) }
                                " · " (shown(crm, v, guanxi_services::portal::MESSAGE, m, "created_at"))
                            }
                            p { (shown(crm, v, guanxi_services::portal::MESSAGE, m, "body")) }
                        }
                    }
                }
            }
            @for e in errors.iter().filter(|e| e.field != "body" && e.field != "file") { p.error role="alert" { (e.message(l)) } }
            (reply_form(v, &format!("{HERE}/cases/{id}/reply"), reply, error))
        }
        (super::files::card(v, &format!("{HERE}/cases/{id}/files"), &seen.files, errors))
    };
    frame(Some(v), l, &shown(crm, v, CASE, c, "subject"), content)
}

/// The case page again with the problems of one of its forms beside their inputs (422).
pub(super) async fn case_again(crm: &Crm, v: &Viewer, id: Uuid, errors: &[FieldError]) -> Response {
    match crm.portal_case(&v.actor, id).await {
        Ok(seen) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            case_page(crm, v, &seen, "", errors),
        ),
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

pub(super) async fn case(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // A malformed id names no case: the same answer as another company's.
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.portal_case(&v.actor, id).await {
        Ok(seen) => html(StatusCode::OK, case_page(&crm, &v, &seen, "", &[])),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn reply(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // A malformed id names no case: the same answer as another company's.
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let body = form.get("body").cloned().unwrap_or_default();
    match crm.portal_reply(&v.actor, id, &body).await {
        Ok(()) => Redirect::to(&format!("{HERE}/cases/{id}")).into_response(),
        Err(ServiceError::Validation(errors)) => match crm.portal_case(&v.actor, id).await {
            Ok(seen) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                case_page(&crm, &v, &seen, &body, &errors),
            ),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn invitation_page(locale: Locale, secret: &str, email: &str, error: Option<&FieldError>) -> Markup {
    let content = html! {
        div.signin.card {
            h1 { (t(locale, Msg::UiPortalWelcomeInvited)) }
            p { (Msg::UiPortalChoosePassword.format(locale, &[("email", email)])) }
            form method="post" action={ (HERE) "/invite/" (secret) } novalidate {
                div.field {
                    label for="password" { (t(locale, Msg::UiPassword)) }
                    input #password name="password" type="password" autocomplete="new-password" required
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "password-error")];
                    @if let Some(e) = error { p.error #password-error { (e.message(locale)) } }
                }
                div.actions { button.primary type="submit" { (t(locale, Msg::UiPortalStart)) } }
            }
        }
    };
    frame(None, locale, t(locale, Msg::UiPortal), content)
}

/// A page saying an invitation is used up or was never ours.
fn invitation_refused(locale: Locale, e: ServiceError) -> Response {
    let (status, msg) = match e {
        ServiceError::Gone(m) => (StatusCode::GONE, m),
        ServiceError::NotFound => (StatusCode::NOT_FOUND, Msg::UiPortalInvitationUnknown),
        other => return failure(other, locale, None),
    };
    let content = html! {
        h1 { (t(locale, Msg::UiPortal)) }
        p.error role="alert" { (t(locale, msg)) }
        p { a href="/login" { (t(locale, Msg::UiSignInTitle)) } }
    };
    html(status, frame(None, locale, t(locale, Msg::UiPortal), content))
}

pub(super) async fn invitation(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let locale = super::page_locale(&headers, None);
    match crm.invitation_for(&secret).await {
        Ok(user) => html(
            StatusCode::OK,
            invitation_page(locale, &secret, &user.email, None),
        ),
        Err(e) => invitation_refused(locale, e),
    }
}

pub(super) async fn accept(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let locale = super::page_locale(&headers, None);
    let password = form.get("password").cloned().unwrap_or_default();
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match crm
        .accept_invitation(&secret, &password, Some(peer.ip().to_string()), agent)
        .await
    {
        Ok(s) => {
            let mut res = Redirect::to(HERE).into_response();
            let max_age = guanxi_services::sessions::SESSION_HOURS * 3600;
            if let Some(c) = crate::api::session_set_cookie(&headers, &s.secret, max_age) {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            res
        }
        Err(ServiceError::Validation(errors)) => match crm.invitation_for(&secret).await {
            Ok(user) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                invitation_page(locale, &secret, &user.email, errors.first()),
            ),
            Err(e) => invitation_refused(locale, e),
        },
        Err(e) => invitation_refused(locale, e),
    }
}

/// A colleague invites a contact (from the contact's page): the link to pass on.
pub(super) async fn invite(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, l, Some(&v));
    };
    match crm.invite_to_portal(&v.actor, id).await {
        Ok(inv) => {
            let until = inv
                .expires_at
                .with_timezone(&v.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string();
            let content = html! {
                p { a href={ "/o/contacts/" (id) } { "← " (t(l, Msg::UiBack)) } }
                h1 { (t(l, Msg::UiInviteToPortal)) }
                section.card {
                    p { (Msg::UiPortalInvited.format(l, &[("email", &inv.email), ("until", &until)])) }
                    @if inv.mailed { p role="status" { (Msg::UiPortalInviteMailed.format(l, &[("email", &inv.email)])) } }
                    p { code.invite-link { (inv.path) } }
                }
            };
            html(
                StatusCode::OK,
                pages::layout(
                    l,
                    Some(&v),
                    Some(&crm.schema()),
                    Some("contact"),
                    "/o/contacts",
                    t(l, Msg::UiInviteToPortal),
                    content,
                ),
            )
        }
        Err(ServiceError::Validation(errors)) => {
            let text: Vec<String> = errors.iter().map(|e| e.message(l)).collect();
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::notice(&v, &text.join(" "), &format!("/o/contacts/{id}")),
            )
        }
        Err(e) => failure(e, l, Some(&v)),
    }
}

/// A customer's reply box (a case's conversation, a community post), its problem beside it.
pub(super) fn reply_form(v: &Viewer, action: &str, reply: &str, error: Option<&FieldError>) -> Markup {
    let l = v.locale;
    html! {
        form.admin-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            div.field.wide {
                label for="body" { (t(l, Msg::UiPortalReply)) }
                textarea #body name="body" rows="4" aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "body-error")] { (reply) }
                @if let Some(e) = error { p.error #body-error { (e.message(l)) } }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiWebFormSend)) } }
        }
    }
}

/// The inputs named `keys` of a posted form, as the services' JSON input.
pub(super) fn form_json(form: &FormMap, keys: &[&str]) -> Map<String, Json> {
    form.iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .map(|(k, val)| (k.clone(), Json::String(val.clone())))
        .collect()
}

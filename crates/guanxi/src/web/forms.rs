//! The public forms: a lead (`/forms/lead`: "contact us") and a service case
//! (`/forms/case`: "contact support"). Pages any visitor can fill in, in their language,
//! and the endpoints they post to — which also take the same fields from a form on the
//! company's own website or as JSON. Spam is kept out by a hidden field robots fill in and
//! people do not, and by a limit per address. Problems come back beside their inputs
//! (HTML) or as problem+json naming the field (JSON).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::cases::CASE;
use guanxi_services::leads::LEAD;
use guanxi_services::web_forms::{HONEYPOT, Submission};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::html;
use super::pages::{self, t};

#[derive(Clone, Copy)]
enum Form {
    Lead,
    Case,
}

/// One input of a form: its name, the object field whose label it shows, and how it is
/// typed in.
struct Input {
    key: &'static str,
    labelled_by: (&'static str, &'static str),
    kind: Kind,
    required: bool,
    autocomplete: &'static str,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Line(&'static str),
    /// The active options of the labelling field.
    Choice,
    Message,
}

const fn input(
    key: &'static str,
    object: &'static str,
    kind: Kind,
    required: bool,
    autocomplete: &'static str,
) -> Input {
    Input {
        key,
        labelled_by: (object, key),
        kind,
        required,
        autocomplete,
    }
}

const LEAD_INPUTS: [Input; 7] = [
    input("name", LEAD, Kind::Line("text"), true, "name"),
    input("company", LEAD, Kind::Line("text"), false, "organization"),
    input("mobile", LEAD, Kind::Line("tel"), false, "tel"),
    input("email", LEAD, Kind::Line("email"), false, "email"),
    input("city", LEAD, Kind::Line("text"), false, "address-level2"),
    input("product_interest", LEAD, Kind::Choice, false, "off"),
    input("description", LEAD, Kind::Message, false, "off"),
];

const CASE_INPUTS: [Input; 7] = [
    input("name", LEAD, Kind::Line("text"), false, "name"),
    input("company", LEAD, Kind::Line("text"), false, "organization"),
    input("mobile", LEAD, Kind::Line("tel"), false, "tel"),
    input("email", LEAD, Kind::Line("email"), false, "email"),
    input("type", CASE, Kind::Choice, false, "off"),
    input("subject", CASE, Kind::Line("text"), true, "off"),
    input("description", CASE, Kind::Message, false, "off"),
];

impl Form {
    fn path(self) -> &'static str {
        match self {
            Form::Lead => "/forms/lead",
            Form::Case => "/forms/case",
        }
    }

    fn inputs(self) -> &'static [Input] {
        match self {
            Form::Lead => &LEAD_INPUTS,
            Form::Case => &CASE_INPUTS,
        }
    }

    fn title(self) -> Msg {
        match self {
            Form::Lead => Msg::UiWebFormTitle,
            Form::Case => Msg::UiCaseFormTitle,
        }
    }

    fn intro(self) -> Msg {
        match self {
            Form::Lead => Msg::UiWebFormIntro,
            Form::Case => Msg::UiCaseFormIntro,
        }
    }

    /// The label of the free text.
    fn message(self) -> Msg {
        match self {
            Form::Lead => Msg::UiWebFormMessage,
            Form::Case => Msg::UiCaseFormMessage,
        }
    }

    fn thanks(self) -> Msg {
        match self {
            Form::Lead => Msg::UiWebFormThanks,
            Form::Case => Msg::UiCaseFormThanks,
        }
    }

    async fn submit(
        self,
        crm: &Crm,
        address: &str,
        input: &Map<String, Json>,
    ) -> Result<Submission, ServiceError> {
        match self {
            Form::Lead => crm.web_lead(Some(address), input).await,
            Form::Case => crm.web_case(Some(address), input).await,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FormParams {
    campaign: Option<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn page(crm: &Crm, form: Form, locale: Locale, values: &Map<String, Json>, errors: &[FieldError]) -> Markup {
    let schema = crm.schema();
    let field_of = |i: &Input| {
        schema
            .object(i.labelled_by.0)
            .and_then(|o| o.field(i.labelled_by.1).cloned())
    };
    let value = |k: &str| values.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let others: Vec<&FieldError> = errors
        .iter()
        .filter(|e| !form.inputs().iter().any(|i| i.key == e.field))
        .collect();
    let control = |i: &Input| {
        let k = i.key;
        let e = error(k);
        let field = field_of(i);
        let label = match i.kind {
            Kind::Message => t(locale, form.message()).to_string(),
            _ => field
                .as_ref()
                .map_or_else(|| k.to_string(), |f| f.label.get(locale).to_string()),
        };
        let options: Vec<(String, String)> = field
            .iter()
            .flat_map(|f| f.options.iter().filter(|o| o.active))
            .map(|o| (o.value.clone(), o.label.get(locale).to_string()))
            .collect();
        html! {
            div.field.wide[i.kind == Kind::Message] {
                label for=(k) { (label) @if i.required { " *" } }
                @match i.kind {
                    Kind::Line(kind) => {
                        input id=(k) name=(k) type=(kind) value=(value(k)) required[i.required] autocomplete=(i.autocomplete)
                            aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{k}-error"))];
                    }
                    Kind::Choice => {
                        select id=(k) name=(k) aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{k}-error"))] {
                            option value="" { "—" }
                            @for (v, l) in &options {
                                option value=(v) selected[value(k) == *v] { (l) }
                            }
                        }
                    }
                    Kind::Message => {
                        textarea id=(k) name=(k) rows="4" aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{k}-error"))] { (value(k)) }
                    }
                }
                @if let Some(e) = e { p.error id={ (k) "-error" } { (e.message(locale)) } }
            }
        }
    };
    let content = html! {
        h1 { (t(locale, form.title())) }
        p { (t(locale, form.intro())) }
        @if !errors.is_empty() {
            p.error role="alert" { (t(locale, Msg::UiFixErrors)) }
            @for e in &others { p.error { (e.message(locale)) } }
        }
        form.card.admin-form.web-form method="post" action=(form.path()) novalidate {
            @for i in form.inputs() { (control(i)) }
            // People never see this field; robots fill it in.
            div.hp aria-hidden="true" {
                label for=(HONEYPOT) { (t(locale, Msg::UiWebFormLeaveEmpty)) }
                input id=(HONEYPOT) name=(HONEYPOT) type="text" tabindex="-1" autocomplete="off" value="";
            }
            @if !value("campaign").is_empty() {
                input type="hidden" name="campaign" value=(value("campaign"));
            }
            div.actions { button.primary type="submit" { (t(locale, Msg::UiWebFormSend)) } }
        }
    };
    framed(form, locale, content)
}

/// A page of a public form: the company's layout, no navigation.
fn framed(form: Form, locale: Locale, content: Markup) -> Markup {
    pages::layout(
        locale,
        None,
        None,
        None,
        form.path(),
        t(locale, form.title()),
        content,
    )
}

fn show(crm: &Crm, form: Form, headers: &HeaderMap, p: FormParams) -> Response {
    let locale = super::page_locale(headers, None);
    let mut values = Map::new();
    if let Some(c) = p.campaign.filter(|c| !c.trim().is_empty()) {
        values.insert("campaign".into(), json!(c));
    }
    html(StatusCode::OK, page(crm, form, locale, &values, &[]))
}

fn thanks(form: Form, headers: &HeaderMap) -> Response {
    let locale = super::page_locale(headers, None);
    let content = html! {
        h1 { (t(locale, form.title())) }
        p.notice role="status" { (t(locale, form.thanks())) }
    };
    html(StatusCode::OK, framed(form, locale, content))
}

pub(super) async fn show_lead(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(p): Query<FormParams>,
) -> Response {
    show(&crm, Form::Lead, &headers, p)
}

pub(super) async fn show_case(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(p): Query<FormParams>,
) -> Response {
    show(&crm, Form::Case, &headers, p)
}

pub(super) async fn lead_thanks(headers: HeaderMap) -> Response {
    thanks(Form::Lead, &headers)
}

pub(super) async fn case_thanks(headers: HeaderMap) -> Response {
    thanks(Form::Case, &headers)
}

pub(super) async fn submit_lead(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(&crm, Form::Lead, peer, &headers, &body).await
}

pub(super) async fn submit_case(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(&crm, Form::Case, peer, &headers, &body).await
}

/// Takes a submission as form fields (a browser) or JSON (a website's script).
async fn submit(crm: &Crm, form: Form, peer: SocketAddr, headers: &HeaderMap, body: &[u8]) -> Response {
    let locale = super::page_locale(headers, None);
    let json = wants_json(headers);
    let input: Map<String, Json> = if json {
        match serde_json::from_slice::<Json>(body) {
            Ok(Json::Object(m)) => m,
            _ => {
                let e = FieldError::new("body", Msg::InvalidJson).with("reason", "an object");
                return crate::api::problem_response(locale, ServiceError::Validation(vec![e]));
            }
        }
    } else {
        url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Json::String(v.into_owned())))
            .collect()
    };
    let address = peer.ip().to_string();
    match form.submit(crm, &address, &input).await {
        // A robot caught by the hidden field is answered like a person: nothing tells it.
        Ok(Submission::Created(_) | Submission::Discarded) => {
            if json {
                (StatusCode::ACCEPTED, axum::Json(json!({"received": true}))).into_response()
            } else {
                Redirect::to(&format!("{}/thanks", form.path())).into_response()
            }
        }
        Err(ServiceError::Validation(errors)) if !json => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(crm, form, locale, &input, &errors),
        ),
        Err(ServiceError::TooManyAttempts { retry_after }) if !json => {
            let text = Msg::DetailTooManyAttempts.format(locale, &[("seconds", &retry_after.to_string())]);
            let content = html! {
                h1 { (t(locale, form.title())) }
                p.error role="alert" { (text) }
            };
            let mut res = html(StatusCode::TOO_MANY_REQUESTS, framed(form, locale, content));
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => crate::api::problem_response(locale, e),
    }
}

//! The public lead form (`/forms/lead`): a page any visitor can fill in, in their
//! language, and the endpoint it posts to — which also takes the same fields from a form
//! on the company's own website or as JSON. Spam is kept out by a hidden field robots fill
//! in and people do not, and by a limit per address. Problems come back beside their
//! inputs (HTML) or as problem+json naming the field (JSON).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::leads::{HONEYPOT, LEAD, WebLead};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::html;
use super::pages::{self, t};

const HERE: &str = "/forms/lead";

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

fn page(crm: &Crm, locale: Locale, values: &Map<String, Json>, errors: &[FieldError]) -> Markup {
    let schema = crm.schema();
    let lead = schema.object(LEAD).cloned();
    let label = |k: &str| {
        lead.as_ref()
            .and_then(|o| o.field(k))
            .map(|f| f.label.get(locale).to_string())
            .unwrap_or_else(|| k.to_string())
    };
    let value = |k: &str| values.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let field = |k: &str, kind: &str, required: bool, autocomplete: &str| {
        let e = error(k);
        html! {
            div.field {
                label for=(k) { (label(k)) @if required { " *" } }
                input id=(k) name=(k) type=(kind) value=(value(k)) required[required] autocomplete=(autocomplete)
                    aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{k}-error"))];
                @if let Some(e) = e { p.error id={ (k) "-error" } { (e.message(locale)) } }
            }
        }
    };
    let interests: Vec<(String, String)> = lead
        .as_ref()
        .and_then(|o| o.field("product_interest"))
        .map(|f| {
            f.options
                .iter()
                .filter(|o| o.active)
                .map(|o| (o.value.clone(), o.label.get(locale).to_string()))
                .collect()
        })
        .unwrap_or_default();
    let others: Vec<&FieldError> = errors
        .iter()
        .filter(|e| {
            ![
                "name",
                "company",
                "mobile",
                "email",
                "city",
                "product_interest",
                "description",
            ]
            .contains(&e.field.as_str())
        })
        .collect();
    let content = html! {
        h1 { (t(locale, Msg::UiWebFormTitle)) }
        p { (t(locale, Msg::UiWebFormIntro)) }
        @if !errors.is_empty() {
            p.error role="alert" { (t(locale, Msg::UiFixErrors)) }
            @for e in &others { p.error { (e.message(locale)) } }
        }
        form.card.admin-form.web-form method="post" action=(HERE) novalidate {
            (field("name", "text", true, "name"))
            (field("company", "text", false, "organization"))
            (field("mobile", "tel", false, "tel"))
            (field("email", "email", false, "email"))
            (field("city", "text", false, "address-level2"))
            div.field {
                label for="product_interest" { (label("product_interest")) }
                select id="product_interest" name="product_interest" {
                    option value="" { "—" }
                    @for (v, l) in &interests {
                        option value=(v) selected[value("product_interest") == *v] { (l) }
                    }
                }
            }
            div.field.wide {
                label for="description" { (t(locale, Msg::UiWebFormMessage)) }
                textarea id="description" name="description" rows="4" { (value("description")) }
            }
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
    framed(locale, content)
}

/// A page of the public form: the company's layout, no navigation.
fn framed(locale: Locale, content: Markup) -> Markup {
    pages::layout(
        locale,
        None,
        None,
        None,
        HERE,
        t(locale, Msg::UiWebFormTitle),
        content,
    )
}

pub(super) async fn show(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(p): Query<FormParams>,
) -> Response {
    let locale = super::page_locale(&headers, None);
    let mut values = Map::new();
    if let Some(c) = p.campaign.filter(|c| !c.trim().is_empty()) {
        values.insert("campaign".into(), json!(c));
    }
    html(StatusCode::OK, page(&crm, locale, &values, &[]))
}

pub(super) async fn thanks(headers: HeaderMap) -> Response {
    let locale = super::page_locale(&headers, None);
    let content = html! {
        h1 { (t(locale, Msg::UiWebFormTitle)) }
        p.notice role="status" { (t(locale, Msg::UiWebFormThanks)) }
    };
    html(StatusCode::OK, framed(locale, content))
}

/// Takes a submission as form fields (a browser) or JSON (a website's script).
pub(super) async fn submit(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = super::page_locale(&headers, None);
    let json = wants_json(&headers);
    let input: Map<String, Json> = if json {
        match serde_json::from_slice::<Json>(&body) {
            Ok(Json::Object(m)) => m,
            _ => {
                let e = FieldError::new("body", Msg::InvalidJson).with("reason", "an object");
                return crate::api::problem_response(locale, ServiceError::Validation(vec![e]));
            }
        }
    } else {
        url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Json::String(v.into_owned())))
            .collect()
    };
    let address = peer.ip().to_string();
    match crm.web_lead(Some(&address), &input).await {
        // A robot caught by the hidden field is answered like a person: nothing tells it.
        Ok(WebLead::Created(_) | WebLead::Discarded) => {
            if json {
                (StatusCode::ACCEPTED, axum::Json(json!({"received": true}))).into_response()
            } else {
                Redirect::to("/forms/lead/thanks").into_response()
            }
        }
        Err(ServiceError::Validation(errors)) if !json => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&crm, locale, &input, &errors),
        ),
        Err(ServiceError::TooManyAttempts { retry_after }) if !json => {
            let text = Msg::DetailTooManyAttempts.format(locale, &[("seconds", &retry_after.to_string())]);
            let content = html! {
                h1 { (t(locale, Msg::UiWebFormTitle)) }
                p.error role="alert" { (text) }
            };
            let mut res = html(StatusCode::TOO_MANY_REQUESTS, framed(locale, content));
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => crate::api::problem_response(locale, e),
    }
}

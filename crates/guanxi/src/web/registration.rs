//! `/portal/register`: a customer asks for access to the portal with the email we know
//! them by; the mailbox proves who they are (see `Crm::register_for_portal`). The page
//! answers the same whether or not we know the address.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::web_forms::HONEYPOT;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, Value as Json};

use super::pages::{self, t};
use super::{failure, html};

pub(super) const HERE: &str = "/portal/register";
type FormMap = std::collections::HashMap<String, String>;
const FIELDS: [&str; 4] = ["name", "company", "email", "mobile"];

fn page(crm: &Crm, l: Locale, form: &FormMap, errors: &[FieldError]) -> Markup {
    let schema = crm.schema();
    let label = |k: &str| {
        schema
            .object("lead")
            .and_then(|o| o.field(k).map(|f| f.label.get(l).to_string()))
            .unwrap_or_else(|| k.to_string())
    };
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let title = t(l, Msg::UiPortalRegister);
    let content = html! {
        div.signin.card {
            h1 { (title) }
            p.hint { (t(l, Msg::UiPortalRegisterHint)) }
            @for e in errors.iter().filter(|e| !FIELDS.contains(&e.field.as_str())) {
                p.error role="alert" { (e.message(l)) }
            }
            form method="post" action=(HERE) novalidate {
                @for k in FIELDS {
                    @let id = format!("register-{k}");
                    @let e = error(k);
                    div.field {
                        label for=(id) { (label(k)) }
                        input id=(id) name=(k) value=(form.get(k).map(String::as_str).unwrap_or(""))
                            type=(match k { "email" => "email", "mobile" => "tel", _ => "text" })
                            autocomplete=(match k { "email" => "email", "mobile" => "tel", "company" => "organization", _ => "name" })
                            aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{id}-error"))];
                        @if let Some(e) = e { p.error id={ (id) "-error" } { (e.message(l)) } }
                    }
                }
                // People leave this empty; robots fill it in.
                div.visually-hidden aria-hidden="true" {
                    label for="register-website" { "Website" }
                    input #register-website type="text" name=(HONEYPOT) tabindex="-1" autocomplete="off";
                }
                button.primary type="submit" { (t(l, Msg::UiWebFormSend)) }
            }
            p { a href="/login" { (t(l, Msg::UiSignIn)) } }
        }
    };
    pages::layout(l, None, None, None, HERE, title, content)
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let l = super::page_locale(&headers, None);
    if crm.mail().is_none() {
        return failure(ServiceError::Forbidden(Msg::PortalRegistrationOff), l, None);
    }
    html(StatusCode::OK, page(&crm, l, &FormMap::new(), &[]))
}

pub(super) async fn submit(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<FormMap>,
) -> Response {
    let l = super::page_locale(&headers, None);
    let input: Map<String, Json> = form
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    let address = peer.ip().to_string();
    match crm.register_for_portal(Some(&address), &input, l).await {
        Ok(()) => Redirect::to(&format!("{HERE}/thanks")).into_response(),
        Err(ServiceError::Validation(errors)) => {
            html(StatusCode::UNPROCESSABLE_ENTITY, page(&crm, l, &form, &errors))
        }
        Err(ServiceError::TooManyAttempts { retry_after }) => {
            let errors = [FieldError::new("form", Msg::DetailTooManyAttempts).with("seconds", retry_after)];
            let mut res = html(StatusCode::TOO_MANY_REQUESTS, page(&crm, l, &form, &errors));
            tracing::info!(%address, retry_after, "portal registration limited");
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => failure(e, l, None),
    }
}

pub(super) async fn thanks(headers: HeaderMap) -> Response {
    let l = super::page_locale(&headers, None);
    let content = html! {
        div.signin.card {
            h1 { (t(l, Msg::UiPortalRegister)) }
            p role="status" { (t(l, Msg::UiPortalRegistered)) }
            p { a href="/login" { (t(l, Msg::UiSignIn)) } }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(l, None, None, None, HERE, t(l, Msg::UiPortalRegister), content),
    )
}

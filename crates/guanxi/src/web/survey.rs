//! The satisfaction survey a customer gets when their case ends (`/survey/{token}`): how
//! satisfied they are (1–5), how likely they are to recommend the company (0–10), and a
//! comment — once. The signed token is the only key: a forged or withdrawn link finds
//! nothing, a used one says it was answered. Browsers post the form; a script may post
//! JSON and gets problem+json back.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::service_quality::SurveyAnswer;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, Value as Json};

use super::html;
use super::pages::{self, t};

const THANKS: &str = "/survey/thanks";

fn framed(locale: Locale, content: Markup) -> Markup {
    pages::layout(
        locale,
        None,
        None,
        None,
        "/survey",
        t(locale, Msg::UiSurveyTitle),
        content,
    )
}

/// A page that only says something (thanks, not found, answered already).
fn notice(locale: Locale, status: StatusCode, msg: Msg) -> Response {
    let class = if status.is_success() { "notice" } else { "error" };
    let content = html! {
        h1 { (t(locale, Msg::UiSurveyTitle)) }
        p class=(class) role="status" { (t(locale, msg)) }
    };
    html(status, framed(locale, content))
}

/// A scale of choices from `lo` to `hi`, its problem beside it.
fn scale(
    locale: Locale,
    name: &str,
    legend: Msg,
    lo: i64,
    hi: i64,
    chosen: &str,
    errors: &[FieldError],
) -> Markup {
    let e = errors.iter().find(|e| e.field == name);
    let err_id = format!("{name}-error");
    html! {
        fieldset.scale aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| err_id.clone())] {
            legend { (t(locale, legend)) }
            div.choices {
                @for n in lo..=hi {
                    @let id = format!("{name}-{n}");
                    label.choice for=(id) {
                        input id=(id) type="radio" name=(name) value=(n) checked[chosen == n.to_string()];
                        span { (n) }
                    }
                }
            }
            @if let Some(e) = e { p.error id=(err_id) { (e.message(locale)) } }
        }
    }
}

fn form(
    locale: Locale,
    token: &str,
    subject: &str,
    values: &Map<String, Json>,
    errors: &[FieldError],
) -> Markup {
    let value = |k: &str| values.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let content = html! {
        h1 { (t(locale, Msg::UiSurveyTitle)) }
        p { (Msg::UiSurveyAbout.format(locale, &[("subject", subject)])) }
        @if !errors.is_empty() { p.error role="alert" { (t(locale, Msg::UiFixErrors)) } }
        form.card.admin-form.web-form.survey method="post" action={ "/survey/" (token) } novalidate {
            (scale(locale, "csat", Msg::UiSurveyCsat, 1, 5, &value("csat"), errors))
            (scale(locale, "nps", Msg::UiSurveyNps, 0, 10, &value("nps"), errors))
            div.field.wide {
                label for="comment" { (t(locale, Msg::UiSurveyComment)) }
                textarea id="comment" name="comment" rows="4" maxlength="2000" { (value("comment")) }
                @if let Some(e) = errors.iter().find(|e| e.field == "comment") { p.error { (e.message(locale)) } }
            }
            div.actions { button.primary type="submit" { (t(locale, Msg::UiWebFormSend)) } }
        }
    };
    framed(locale, content)
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let locale = super::page_locale(&headers, None);
    match crm.survey_case(&token).await {
        Ok(c) if c.answered => notice(locale, StatusCode::GONE, Msg::SurveyAnswered),
        Ok(c) => html(StatusCode::OK, form(locale, &token, &c.subject, &Map::new(), &[])),
        Err(ServiceError::NotFound) => notice(locale, StatusCode::NOT_FOUND, Msg::UiSurveyInvalid),
        Err(e) => crate::api::problem_response(locale, e),
    }
}

pub(super) async fn thanks(headers: HeaderMap) -> Response {
    notice(
        super::page_locale(&headers, None),
        StatusCode::OK,
        Msg::UiSurveyThanks,
    )
}

pub(super) async fn answer(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let locale = super::page_locale(&headers, None);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
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
    let done = match SurveyAnswer::from_input(&input) {
        Ok(answer) => crm.answer_survey(&token, &answer).await,
        Err(e) => {
            // A bad answer through a link that is not ours is still "not found".
            match crm.survey_case(&token).await {
                Ok(_) => Err(e),
                Err(not) => Err(not),
            }
        }
    };
    match (done, json) {
        (Ok(()), true) => StatusCode::NO_CONTENT.into_response(),
        (Ok(()), false) => Redirect::to(THANKS).into_response(),
        (Err(ServiceError::Validation(errors)), false) => match crm.survey_case(&token).await {
            Ok(c) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                form(locale, &token, &c.subject, &input, &errors),
            ),
            Err(e) => crate::api::problem_response(locale, e),
        },
        (Err(ServiceError::NotFound), false) => notice(locale, StatusCode::NOT_FOUND, Msg::UiSurveyInvalid),
        (Err(ServiceError::Gone(m)), false) => notice(locale, StatusCode::GONE, m),
        (Err(e), _) => crate::api::problem_response(locale, e),
    }
}

//! Setup of quotes: the discount above which a quote needs a manager's approval, and the
//! seller's name printed on quotes; each problem beside its input.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::quotes::QuoteSettings;
use guanxi_services::{Crm, ServiceError};
use maud::html;

use super::processes::{Posted, posted_form};
use super::{administrator, csrf, failure, frame, input, respond, see_other, summary, t, text, val};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/quotes";

fn page(
    crm: &Crm,
    v: &Viewer,
    shown: &QuoteSettings,
    form: &Posted,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let one = &form.one;
    let threshold = shown.discount_threshold.normalize().to_string();
    let value = |k: &str, stored: &str| {
        if one.is_empty() {
            stored.to_string()
        } else {
            val(one, k).to_string()
        }
    };
    let (threshold, company) = (
        value("discount_threshold", &threshold),
        value("company_name", &shown.company_name),
    );
    let f = "quotes";
    let title = t(l, Msg::UiQuoteSettings);
    let content = html! {
        h1 { (title) }
        (summary(l, errors, &["discount_threshold", "company_name"]))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (input(l, super::Input { kind: "text", ..text(f, "discount_threshold", t(l, Msg::UiDiscountThreshold), &threshold) }, errors))
            (input(l, text(f, "company_name", t(l, Msg::UiQuoteCompanyName), &company), errors))
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
    };
    respond(status, frame(crm, v, HERE, HERE, title, content))
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crm.quote_settings().await {
        Ok(s) => page(&crm, &v, &s, &Posted::default(), &[], StatusCode::OK),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn save(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, form) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let one = &form.one;
    match crm
        .set_quote_settings(
            &v.actor,
            Some(val(one, "discount_threshold")),
            Some(val(one, "company_name")),
        )
        .await
    {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => match crm.quote_settings().await {
            Ok(s) => page(&crm, &v, &s, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! The forecast page: a month or quarter, one currency; each role of the hierarchy the
//! reader may see with its branch's totals, and its people — quota, closed, commit,
//! forecast (closed + commit), best case, pipeline, attainment. Administrators set quotas
//! in place.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::forecast::{Figures, Period};
use guanxi_core::{FieldError, Msg};
use guanxi_services::forecasts::ForecastView;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::pages::{self, t};
use super::{Viewer, failure, html};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Params {
    period: Option<String>,
    currency: Option<String>,
}

fn shift(p: &Period, by: i32) -> Period {
    match (p.month, p.quarter) {
        (Some(m), _) => {
            let n = p.year * 12 + m as i32 - 1 + by;
            Period {
                year: n.div_euclid(12),
                month: Some(n.rem_euclid(12) as u32 + 1),
                quarter: None,
            }
        }
        (None, Some(q)) => {
            let n = p.year * 4 + q as i32 - 1 + by;
            Period {
                year: n.div_euclid(4),
                month: None,
                quarter: Some(n.rem_euclid(4) as u32 + 1),
            }
        }
        _ => *p,
    }
}

fn amount(crm: &Crm, v: &Viewer, d: Decimal, currency: &str) -> String {
    let schema = crm.schema();
    match schema.object("opportunity").and_then(|o| o.field("amount")) {
        Some(f) => super::board::money(f, d, currency, v),
        None => format!("{d} {currency}"),
    }
}

fn cells(
    crm: &Crm,
    v: &Viewer,
    f: &Figures,
    forecast: Decimal,
    attainment: Option<Decimal>,
    currency: &str,
) -> Markup {
    let m = |d: Decimal| amount(crm, v, d, currency);
    html! {
        td.num { (f.quota.map(m).unwrap_or_else(|| "—".into())) }
        td.num { (m(f.closed)) }
        td.num { (m(f.commit)) }
        td.num.strong { (m(forecast)) }
        td.num { (m(f.best_case)) }
        td.num { (m(f.pipeline)) }
        td.num { (attainment.map(|a| format!("{a}%")).unwrap_or_else(|| "—".into())) }
    }
}

fn page(crm: &Crm, v: &Viewer, view: &ForecastView, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let period = Period::parse(&view.period, "period").ok();
    let link = |p: Period| format!("/forecasts?period={p}&currency={}", view.currency);
    let title = Msg::UiForecastTitle.format(l, &[("period", &view.period), ("currency", &view.currency)]);
    let admin = v.actor.administers();
    let content = html! {
        div.titlebar {
            h1 { (title) }
            @if let Some(p) = period {
                nav.actions aria-label=(t(l, Msg::UiForecastPeriods)) {
                    a href=(link(shift(&p, -1))) { "◀ " (shift(&p, -1)) }
                    a href=(link(shift(&p, 1))) { (shift(&p, 1)) " ▶" }
                    @for m in p.months() { @if p.quarter.is_some() { a href=(link(m)) { (m) } } }
                    @if p.month.is_some() {
                        @let start = view.start;
                        a href=(link(Period::quarter_of(start))) { (Period::quarter_of(start)) }
                    }
                }
            }
        }
        p.hint { (t(l, Msg::UiForecastHint)) }
        @for e in errors { p.error role="alert" { (e.message(l)) } }
        @if view.other_currencies > 0 {
            p.notice { (Msg::UiForecastOtherCurrencies.format(l, &[("count", &view.other_currencies.to_string()), ("currency", &view.currency)])) }
        }
        table.data.forecast {
            thead { tr {
                th scope="col" { (t(l, Msg::UiName)) }
                th scope="col" { (t(l, Msg::UiQuota)) }
                th scope="col" { (t(l, Msg::UiForecastClosed)) }
                th scope="col" { (t(l, Msg::UiForecastCommit)) }
                th scope="col" { (t(l, Msg::UiForecastTotal)) }
                th scope="col" { (t(l, Msg::UiForecastBestCase)) }
                th scope="col" { (t(l, Msg::UiForecastPipeline)) }
                th scope="col" { (t(l, Msg::UiAttainment)) }
                @if admin { th scope="col" { (t(l, Msg::UiSetQuota)) } }
            } }
            tbody {
                @for line in &view.lines {
                    tr.team {
                        th scope="row" style={ "padding-left: " (line.depth * 20 + 4) "px" } { (line.name) }
                        (cells(crm, v, &line.total, line.forecast, line.attainment, &view.currency))
                        @if admin { td {} }
                    }
                    @for p in &line.people {
                        tr {
                            th scope="row" style={ "padding-left: " (line.depth * 20 + 24) "px" } { (p.name) }
                            (cells(crm, v, &p.figures, p.forecast, p.attainment, &view.currency))
                            @if admin {
                                td {
                                    form.inline method="post" action="/forecasts/quota" {
                                        input type="hidden" name="csrf" value=(v.csrf);
                                        input type="hidden" name="user" value=(p.user);
                                        input type="hidden" name="period" value=(view.period);
                                        input type="hidden" name="currency" value=(view.currency);
                                        label.visually-hidden for={ "quota-" (p.user) } { (Msg::UiQuotaOf.format(l, &[("name", &p.name)])) }
                                        input id={ "quota-" (p.user) } name="amount" inputmode="decimal" size="10"
                                            value=(p.figures.quota.map(|q| q.normalize().to_string()).unwrap_or_default());
                                        button.secondary type="submit" { (t(l, Msg::UiSave)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    pages::layout(
        l,
        Some(v),
        Some(&crm.schema()),
        None,
        "/forecasts",
        &title,
        content,
    )
}

async fn show(
    crm: &Crm,
    v: &Viewer,
    period: Option<&str>,
    currency: Option<&str>,
    errors: &[FieldError],
) -> Response {
    let period = crate::api::forecasts::period_or_now(crm, period);
    let currency = currency
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(&v.actor.currency)
        .to_string();
    match crm.forecast(&v.actor, &period, &currency).await {
        Ok(view) => {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            html(status, page(crm, v, &view, errors))
        }
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

pub(super) async fn forecast(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    show(&crm, &v, p.period.as_deref(), p.currency.as_deref(), &[]).await
}

pub(super) async fn set_quota(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let (period, currency) = (get("period"), get("currency"));
    let Ok(user) = Uuid::parse_str(get("user")) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let amount = match get("amount") {
        "" => None,
        a => match a.replace([',', '，'], "").parse::<Decimal>() {
            Ok(d) => Some(d),
            Err(_) => {
                let e = FieldError::new("amount", Msg::NotNumber);
                return show(&crm, &v, Some(period), Some(currency), &[e]).await;
            }
        },
    };
    match crm.set_quota(&v.actor, user, period, amount, currency).await {
        Ok(_) => Redirect::to(&format!("/forecasts?period={period}&currency={currency}")).into_response(),
        Err(ServiceError::Validation(errors)) => show(&crm, &v, Some(period), Some(currency), &errors).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

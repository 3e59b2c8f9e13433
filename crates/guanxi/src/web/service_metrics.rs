//! The service metrics page (`/service`): for a period of days, first-contact resolution,
//! reopen rate, SLA attainment, satisfaction (CSAT and NPS) and what service cost — per
//! case, by kind, and the customers and products that cost most — over the cases and costs
//! the reader may read.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::service_quality::{Amount, CostLine, Metrics, Share, period};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{self, t};
use super::{Viewer, failure, html};

pub(super) const HERE: &str = "/service";

#[derive(Debug, Default, Deserialize)]
pub(super) struct Params {
    from: Option<String>,
    to: Option<String>,
}

fn percent(s: &Share) -> String {
    s.percent().map_or_else(|| "—".to_string(), |p| format!("{p} %"))
}

fn sums(v: &Viewer, amounts: &[Amount]) -> String {
    if amounts.is_empty() {
        return "—".to_string();
    }
    amounts
        .iter()
        .map(|a| pages::money_text(a.amount, &a.currency, v.fmt()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One figure: its name, the figure, and what it is of.
fn tile(name: &str, figure: &str, detail: &str) -> Markup {
    html! {
        div.tile {
            dt { (name) }
            dd { strong { (figure) } @if !detail.is_empty() { br; span.hint { (detail) } } }
        }
    }
}

fn of(v: &Viewer, s: &Share) -> String {
    Msg::UiMetricOf.format(
        v.locale,
        &[("yes", &s.yes.to_string()), ("of", &s.of.to_string())],
    )
}

fn cost_table(v: &Viewer, caption: &str, base: &str, lines: &[CostLine]) -> Markup {
    html! {
        @if !lines.is_empty() {
            div.table-wrap {
                table.records {
                    caption { (caption) }
                    tbody {
                        @for line in lines {
                            tr {
                                td { a href={ (base) "/" (line.id) } { @if line.name.is_empty() { (line.id) } @else { (line.name) } } }
                                td.num { (sums(v, &line.costs)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn page(crm: &Crm, v: &Viewer, from: &str, to: &str, m: Option<&Metrics>, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let schema = crm.schema();
    let kind_label = |k: &str| {
        schema
            .object(guanxi_services::service_quality::COST)
            .and_then(|o| o.field("kind").map(|f| f.option_label(k, l).to_string()))
            .unwrap_or_else(|| k.to_string())
    };
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let content = html! {
        h1 { (t(l, Msg::UiServiceMetrics)) }
        form.filter method="get" action=(HERE) {
            @for (k, m) in [("from", Msg::UiPeriodFrom), ("to", Msg::UiPeriodTo)] {
                @let value = if k == "from" { from } else { to };
                div.field {
                    label for=(k) { (t(l, m)) }
                    input id=(k) name=(k) type="date" value=(value)
                        aria-invalid=[error(k).map(|_| "true")] aria-describedby=[error(k).map(|_| format!("{k}-error"))];
                    @if let Some(e) = error(k) { p.error id={ (k) "-error" } { (e.message(l)) } }
                }
            }
            button.primary type="submit" { (t(l, Msg::UiApply)) }
        }
        @if let Some(m) = m {
            section.card aria-labelledby="m-cases" {
                h2 #m-cases { (t(l, Msg::UiMetricCases)) }
                dl.tiles {
                    (tile(t(l, Msg::UiMetricEnded), &m.ended.to_string(), ""))
                    (tile(t(l, Msg::UiMetricFcr), &percent(&m.first_contact_resolution), &of(v, &m.first_contact_resolution)))
                    (tile(t(l, Msg::UiMetricReopen), &percent(&m.reopened), &of(v, &m.reopened)))
                    (tile(t(l, Msg::UiMetricFirstResponse), &percent(&m.first_response_on_time), &of(v, &m.first_response_on_time)))
                    (tile(t(l, Msg::UiMetricResolution), &percent(&m.resolution_on_time), &of(v, &m.resolution_on_time)))
                }
            }
            section.card aria-labelledby="m-satisfaction" {
                h2 #m-satisfaction { (t(l, Msg::UiMetricSatisfaction)) }
                dl.tiles {
                    (tile(t(l, Msg::UiMetricSurveys), &percent(&m.surveys), &of(v, &m.surveys)))
                    (tile(t(l, Msg::UiMetricCsat), &m.csat_average.map_or_else(|| "—".into(), |a| format!("{a} / 5")), &of(v, &m.csat_satisfied)))
                    (tile(t(l, Msg::UiMetricNps), &m.nps.map_or_else(|| "—".into(), |n| n.to_string()),
                        &Msg::UiMetricAnswers.format(l, &[("count", &m.nps_answers.to_string())])))
                }
            }
            section.card aria-labelledby="m-cost" {
                h2 #m-cost { (t(l, Msg::UiServiceCost)) }
                dl.tiles {
                    (tile(t(l, Msg::UiMetricCostTotal), &sums(v, &m.cost_total), ""))
                    (tile(t(l, Msg::UiMetricCostPerCase), &sums(v, &m.cost_per_case),
                        &Msg::UiMetricCasesCosted.format(l, &[("count", &m.cases_costed.to_string())])))
                    (tile(t(l, Msg::UiTimeSpent), &Msg::UiSlaDuration.format(l, &[("hours", &(m.minutes / 60).to_string()), ("minutes", &(m.minutes % 60).to_string())]), ""))
                    @for k in &m.cost_by_kind {
                        (tile(&kind_label(&k.kind), &pages::money_text(k.amount, &k.currency, v.fmt()), ""))
                    }
                }
                (cost_table(v, t(l, Msg::UiMetricByCustomer), "/o/accounts", &m.by_customer))
                (cost_table(v, t(l, Msg::UiMetricByProduct), "/o/products", &m.by_product))
            }
        }
    };
    pages::layout(
        l,
        Some(v),
        Some(&schema),
        None,
        HERE,
        t(l, Msg::UiServiceMetrics),
        content,
    )
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap, Query(p): Query<Params>) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (from, to) = (p.from.unwrap_or_default(), p.to.unwrap_or_default());
    let today = crm.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    match period(Some(&from), Some(&to), today) {
        Ok((a, b)) => match crm.service_metrics(&v.actor, a, b).await {
            Ok(m) => html(
                StatusCode::OK,
                page(&crm, &v, &a.to_string(), &b.to_string(), Some(&m), &[]),
            ),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(ServiceError::Validation(errors)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&crm, &v, &from, &to, None, &errors),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

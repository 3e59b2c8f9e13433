//! A case's service levels on its page: where the first response and the resolution
//! targets stand — time left, stopped while waiting on the customer, overdue, or met —
//! and how the service went: time and money spent on it, and the customer's survey.

use chrono::TimeDelta;
use guanxi_core::values::Record;
use guanxi_core::{Msg, ObjectDef};
use guanxi_services::service_levels::Clock;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};

use super::Viewer;
use super::pages::t;

fn duration(v: &Viewer, d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    Msg::UiSlaDuration.format(
        v.locale,
        &[
            ("hours", &(minutes / 60).to_string()),
            ("minutes", &(minutes % 60).to_string()),
        ],
    )
}

fn when(v: &Viewer, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&v.tz).format("%Y-%m-%d %H:%M").to_string()
}

fn line(v: &Viewer, clock: &Clock) -> Markup {
    let l = v.locale;
    let (class, text) = match *clock {
        Clock::Running { due, left, warn } => (
            if warn { "warn" } else { "running" },
            Msg::UiSlaLeft.format(l, &[("left", &duration(v, left)), ("due", &when(v, due))]),
        ),
        Clock::Paused { left } => (
            "paused",
            Msg::UiSlaPausedLeft.format(l, &[("left", &duration(v, left))]),
        ),
        Clock::Overdue { due, over } => (
            "overdue",
            Msg::UiSlaOverdue.format(l, &[("over", &duration(v, over)), ("due", &when(v, due))]),
        ),
        Clock::Met { at, late: false } => ("met", Msg::UiSlaMetOnTime.format(l, &[("at", &when(v, at))])),
        Clock::Met { at, late: true } => ("late", Msg::UiSlaMetLate.format(l, &[("at", &when(v, at))])),
    };
    html! { dd class=(class) { (text) } }
}

/// The card of a case under a service level policy; none for other records.
pub(super) async fn card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
) -> Result<Option<Markup>, ServiceError> {
    if object.name != guanxi_services::cases::CASE {
        return Ok(None);
    }
    let Some(clocks) = crm.case_clocks(record, crm.now()).await? else {
        return Ok(None);
    };
    if clocks.first_response.is_none() && clocks.resolution.is_none() {
        return Ok(None);
    }
    let l = v.locale;
    Ok(Some(html! {
        section.card aria-labelledby="service-levels" {
            h2 #service-levels { (t(l, Msg::UiServiceLevels)) }
            dl.sla-clocks {
                @if let Some(c) = &clocks.first_response {
                    dt { (t(l, Msg::UiSlaFirstResponseRow)) }
                    (line(v, c))
                }
                @if let Some(c) = &clocks.resolution {
                    dt { (t(l, Msg::UiSlaResolutionRow)) }
                    (line(v, c))
                }
            }
            p.hint { (t(l, Msg::UiSlaBusinessTime)) }
        }
    }))
}

/// A case's service quality: time and cost spent, and its satisfaction survey (the link
/// for the customer until they answer, then the answer).
pub(super) async fn quality_card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
) -> Result<Option<Markup>, ServiceError> {
    if object.name != guanxi_services::cases::CASE {
        return Ok(None);
    }
    let Some(id) = record.id() else { return Ok(None) };
    let l = v.locale;
    let costs = crm.case_costs(&v.actor, id).await?.map(|spent| {
        let sums: Vec<String> = spent
            .total
            .iter()
            .map(|a| super::pages::money_text(a.amount, &a.currency, v.fmt()))
            .collect();
        (sums, spent.minutes)
    });
    let survey = crm.survey_link(&v.actor, id).await?;
    Ok(Some(html! {
        section.card aria-labelledby="service-quality" {
            h2 #service-quality { (t(l, Msg::UiServiceQuality)) }
            dl.fields {
                @if let Some((sums, minutes)) = &costs {
                    dt { (t(l, Msg::UiTimeSpent)) }
                    dd { (duration(v, TimeDelta::minutes(*minutes))) }
                    dt { (t(l, Msg::UiServiceCost)) }
                    dd { @if sums.is_empty() { "—" } @else { (sums.join(" · ")) } }
                }
                dt { (t(l, Msg::UiSurveyTitle)) }
                dd.survey {
                    @match &survey {
                        None => { (t(l, Msg::UiSurveyNotSent)) }
                        Some(s) if s.answered_at.is_some() => {
                            (Msg::UiSurveyAnswer.format(l, &[
                                ("csat", &s.csat.map_or_else(|| "—".into(), |n| n.to_string())),
                                ("nps", &s.nps.map_or_else(|| "—".into(), |n| n.to_string())),
                            ]))
                            @if let Some(c) = &s.comment { br; q { (c) } }
                        }
                        Some(s) => {
                            (Msg::UiSurveySent.format(l, &[("at", &when(v, s.sent_at))]))
                            " "
                            a.survey-link href=(s.path) { (t(l, Msg::UiSurveyLink)) }
                        }
                    }
                }
            }
            p {
                @if costs.is_some() {
                    a.button href={ "/o/service_costs/new?case=" (id) } { (t(l, Msg::UiAddServiceCost)) }
                    " "
                }
                a.button href={ "/o/work_orders/new?case=" (id) } { (t(l, Msg::UiScheduleVisit)) }
            }
        }
    }))
}

/// Published articles that may answer a case, found by its subject.
pub(super) async fn suggestions_card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
) -> Result<Option<Markup>, ServiceError> {
    if object.name != guanxi_services::cases::CASE {
        return Ok(None);
    }
    let subject = guanxi_core::values::field_text(object, record, "subject").unwrap_or_default();
    let found = crm.suggested_articles(&v.actor, &subject).await?;
    if found.is_empty() {
        return Ok(None);
    }
    let l = v.locale;
    Ok(Some(html! {
        section.card aria-labelledby="suggested-articles" {
            h2 #suggested-articles { (t(l, Msg::UiSuggestedArticles)) }
            ul.articles {
                @for a in &found {
                    li {
                        a href={ "/kb/" (a.id) } { (a.title) }
                        @if !a.summary.is_empty() { " — " span.hint { (a.summary) } }
                    }
                }
            }
        }
    }))
}

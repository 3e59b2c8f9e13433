//! A case's service levels on its page: where the first response and the resolution
//! targets stand — time left, stopped while waiting on the customer, overdue, or met.

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

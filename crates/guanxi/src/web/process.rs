//! The stage guidance card on an opportunity's page: the path of its process with the
//! current stage marked, how long it has been there, what this stage asks the rep to do,
//! what moving on to the next stage needs (each done or missing) and its stage history.

use guanxi_core::Msg;
use guanxi_services::processes::Guidance;
use maud::{Markup, html};

use super::Viewer;
use super::pages::t;

fn days(seconds: i64) -> String {
    format!("{:.1}", seconds as f64 / 86_400.0)
}

pub(super) fn card(v: &Viewer, g: &Guidance, now: chrono::DateTime<chrono::Utc>) -> Markup {
    let locale = v.locale;
    let since = g.in_stage_since.map(|s| (now - s).num_seconds().max(0));
    html! {
        section.card.stage-guidance aria-labelledby="stage-guidance" {
            h2 #stage-guidance { (t(locale, Msg::UiStageGuidance)) " · " (g.process_label) }
            ol.stage-path {
                @for s in &g.stages {
                    li class={ "stage " (s.state) } aria-current=[(s.state == "current").then_some("step")] {
                        (s.label) " " small { (s.probability.normalize()) "%" }
                    }
                }
            }
            @if let Some(seconds) = since {
                p.in-stage { (Msg::UiStageDaysIn.format(locale, &[("days", days(seconds).as_str())])) }
            }
            @if let Some(advice) = &g.guidance {
                p.advice { (advice) }
            }
            @if let Some(next) = &g.next {
                @if !g.requirements.is_empty() {
                    h3 { (Msg::UiStageNext.format(locale, &[("stage", next.label.as_str())])) }
                    ul.requirements {
                        @for r in &g.requirements {
                            li class=(if r.requirement.met { "met" } else { "missing" }) {
                                (r.label) " — "
                                @if r.requirement.met { (t(locale, Msg::UiStageMet)) } @else { strong { (t(locale, Msg::UiStageMissing)) } }
                            }
                        }
                    }
                }
            }
            @if g.may_skip {
                p.hint { (t(locale, Msg::UiStageMaySkip)) }
            }
            @if !g.history.is_empty() {
                details {
                    summary { (t(locale, Msg::UiStageHistory)) }
                    table {
                        @for h in &g.history {
                            tr {
                                td { (h.label) }
                                td { (v.fmt().datetime(&h.entered_at)) }
                                td { (Msg::UiStageDaysIn.format(locale, &[("days", days(h.seconds).as_str())])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

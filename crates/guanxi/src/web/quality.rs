//! A record's data quality on its page, for administrators: the score and what costs it.

use guanxi_core::Msg;
use guanxi_core::ObjectDef;
use guanxi_core::quality::RecordQuality;
use maud::{Markup, html};

use super::Viewer;
use super::pages::t;

pub(super) fn card(v: &Viewer, object: &ObjectDef, q: &RecordQuality) -> Markup {
    let l = v.locale;
    let label = |f: &str| {
        object
            .field(f)
            .map_or(f.to_string(), |x| x.label.get(l).to_string())
    };
    let pct = |x: f64| format!("{:.0} %", x * 100.0);
    html! {
        section.card.quality aria-labelledby="quality" {
            h2 #quality { (t(l, Msg::UiDataQuality)) ": " (q.score) " / 100" }
            dl.fields {
                dt { (t(l, Msg::UiCompleteness)) }
                dd {
                    (pct(q.completeness))
                    @if q.missing.is_empty() { " · " (t(l, Msg::UiNoneMissing)) }
                    @else { " · " (t(l, Msg::UiMissingFields)) ": " (q.missing.iter().map(|f| label(f)).collect::<Vec<_>>().join(", ")) }
                }
                dt { (t(l, Msg::UiValidity)) }
                dd {
                    (pct(q.validity()))
                    @if !q.invalid.is_empty() {
                        ul.plain {
                            @for e in &q.invalid { li { strong { (label(&e.field)) } ": " (e.message(l)) } }
                        }
                    }
                }
                dt { (t(l, Msg::UiQualityDuplicates)) }
                dd { (q.duplicate_score) " / 100" }
            }
        }
    }
}

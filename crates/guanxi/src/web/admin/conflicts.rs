//! Setup of channel conflict rules: which pairs of sales channels conflict on one
//! customer, whether two partners do, and how far one product's prices may differ across
//! channels; each problem beside its input.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::builtin::{SALES_CHANNELS, sales_channel_label};
use guanxi_core::conflict::Rules;
use guanxi_core::{FieldError, Msg};
use guanxi_services::{Crm, ServiceError};
use maud::html;
use serde_json::json;

use super::processes::{Posted, posted_form};
use super::{
    administrator, checkbox, csrf, failure, frame, input, respond, see_other, summary, t, text, val,
};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/conflict-rules";

/// Every pair of two different channels, each once: ("direct", "partner"), …
fn all_pairs() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, a) in SALES_CHANNELS.iter().enumerate() {
        for b in &SALES_CHANNELS[i + 1..] {
            out.push((a.0, b.0));
        }
    }
    out
}

fn page(
    crm: &Crm,
    v: &Viewer,
    rules: &Rules,
    form: &Posted,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let posted = !form.one.is_empty();
    let on = |name: &str, stored: bool| {
        if posted {
            val(&form.one, name) == "on"
        } else {
            stored
        }
    };
    let tolerance = if posted {
        val(&form.one, "price_tolerance").to_string()
    } else {
        rules.price_tolerance.normalize().to_string()
    };
    let chosen = form.chosen("pairs");
    let f = "rules";
    let title = t(l, Msg::UiConflictRules);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiConflictRulesHint)) }
        (summary(l, errors, &["price_tolerance", "pairs"]))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (checkbox("rules-enabled", "enabled", t(l, Msg::UiConflictEnabled), on("enabled", rules.enabled)))
            fieldset.wide {
                legend { (t(l, Msg::UiConflictPairs)) }
                @for (a, b) in all_pairs() {
                    @let value = format!("{a}:{b}");
                    @let stored = rules.pairs.iter().any(|(x, y)| (x == a && y == b) || (x == b && y == a));
                    @let checked = if posted { chosen.contains(&value) } else { stored };
                    @let id = format!("pair-{a}-{b}");
                    div.field.check {
                        input id=(id) type="checkbox" name="pairs" value=(value) checked[checked];
                        label for=(id) { (sales_channel_label(a, l).unwrap_or_default()) " ↔ " (sales_channel_label(b, l).unwrap_or_default()) }
                    }
                }
            }
            (checkbox("rules-partners", "partners_conflict", t(l, Msg::UiConflictPartners), on("partners_conflict", rules.partners_conflict)))
            (input(l, text(f, "price_tolerance", t(l, Msg::UiConflictTolerance), &tolerance), errors))
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
    match crm.conflict_rules().await {
        Ok(r) => page(&crm, &v, &r, &Posted::default(), &[], StatusCode::OK),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn save(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, form) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let one = &form.one;
    let pairs: Vec<Vec<&str>> = form
        .chosen("pairs")
        .iter()
        .map(|p| p.split(':').collect())
        .collect();
    let input = json!({
        "enabled": val(one, "enabled") == "on",
        "partners_conflict": val(one, "partners_conflict") == "on",
        "price_tolerance": val(one, "price_tolerance"),
        "pairs": pairs,
    });
    match crm.set_conflict_rules(&v.actor, input).await {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => match crm.conflict_rules().await {
            Ok(r) => page(&crm, &v, &r, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! Setup of customer tiers: the rules that grade accounts by revenue of the last twelve
//! months and service contracts, in order, and the tier when none fits; each problem
//! beside its input. Saving regrades every account; so does "Regrade now".

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::ServiceError;
use guanxi_services::tiers::Regrade;
use maud::html;
use serde_json::{Map, Value as Json, json};

use super::processes::{Posted, posted_form};
use super::service::{Cell, choice, number, on_form_rows};
use super::{
    Fields, administrator, csrf, failure, frame, input, respond, see_other, select, summary, t, text, val,
};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/customer-tiers";
const REGRADE: &str = "/admin/customer-tiers/regrade";
const SPARE_ROWS: usize = 3;
const RULE_INPUTS: [&str; 3] = ["tier", "min_revenue", "contract"];

/// The rules as form fields (`rules[0].tier`, …).
fn as_form(rules: &Json) -> Fields {
    let mut f = Fields::new();
    let word = |v: Option<&Json>| match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(true)) => "on".into(),
        _ => String::new(),
    };
    for k in ["currency", "time_zone", "otherwise"] {
        f.insert(k.into(), word(rules.get(k)));
    }
    for (n, row) in rules
        .get("rules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for k in RULE_INPUTS {
            f.insert(format!("rules[{n}].{k}"), word(row.get(k)));
        }
    }
    f
}

fn rows_in(form: &Fields) -> usize {
    (0..)
        .take_while(|n| {
            RULE_INPUTS
                .iter()
                .any(|k| form.contains_key(&format!("rules[{n}].{k}")))
        })
        .count()
}

/// The rows with anything in them, as rules, and the form row each came from.
fn rules(form: &Fields) -> (Vec<Json>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut from = Vec::new();
    for n in 0..rows_in(form) {
        let tier = val(form, &format!("rules[{n}].tier"));
        let least = val(form, &format!("rules[{n}].min_revenue"));
        let contract = val(form, &format!("rules[{n}].contract")) == "on";
        if tier.is_empty() && least.is_empty() && !contract {
            continue;
        }
        let mut row = Map::new();
        row.insert("tier".into(), json!(tier));
        if !least.is_empty() {
            row.insert("min_revenue".into(), json!(least));
        }
        row.insert("contract".into(), json!(contract));
        rows.push(Json::Object(row));
        from.push(n);
    }
    (rows, from)
}

fn page(
    crm: &Crm,
    v: &Viewer,
    form: &Fields,
    errors: &[FieldError],
    done: Option<Regrade>,
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let f = "tiers";
    let schema = crm.schema();
    let field = schema.object("account").and_then(|a| a.field("tier").cloned());
    let tiers: Vec<(String, String)> = field
        .iter()
        .flat_map(|d| d.options.iter().filter(|o| o.active))
        .map(|o| (o.value.clone(), o.label.get(l).to_string()))
        .collect();
    let tier_label = field
        .as_ref()
        .map_or_else(|| "tier".to_string(), |d| d.label.get(l).to_string());
    let mut row_choices = vec![(String::new(), "—".to_string())];
    row_choices.extend(tiers.iter().cloned());
    let mut otherwise = vec![(String::new(), t(l, Msg::UiTierNone).to_string())];
    otherwise.extend(tiers.iter().cloned());
    let rows = rows_in(form) + SPARE_ROWS;
    let content = html! {
        h1 { (t(l, Msg::UiCustomerTiers)) }
        p.hint { (t(l, Msg::UiCustomerTiersHint)) }
        @if let Some(d) = done {
            p.notice role="status" {
                (Msg::UiRegraded.format(l, &[("changed", &d.changed.to_string()), ("accounts", &d.accounts.to_string())]))
            }
        }
        (summary(l, errors, &["currency", "time_zone", "otherwise", "rules"]))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (input(l, text(f, "currency", t(l, Msg::UiCurrency), val(form, "currency")), errors))
            (input(l, text(f, "time_zone", t(l, Msg::UiTimeZone), val(form, "time_zone")), errors))
            div.wide {
            h2 { (t(l, Msg::UiTierRules)) }
            p.hint { (t(l, Msg::UiTierRulesHint)) }
            div.table-wrap {
                table.records.tier-rules {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (tier_label) }
                        th scope="col" { (t(l, Msg::UiTierMinRevenue)) }
                        th scope="col" { (t(l, Msg::UiTierNeedsContract)) }
                    } }
                    tbody {
                        @for n in 0..rows {
                            @let contract = format!("rules[{n}].contract");
                            tr {
                                td { (n + 1) }
                                td data-label=(tier_label) {
                                    (choice(l, form, errors, Cell { list: "rules", key: "tier", n, k: "tier" }, &tier_label, &row_choices))
                                }
                                td data-label=(t(l, Msg::UiTierMinRevenue)) {
                                    (number(l, form, errors, Cell { list: "rules", key: "tier", n, k: "min_revenue" }, t(l, Msg::UiTierMinRevenue)))
                                }
                                td data-label=(t(l, Msg::UiTierNeedsContract)) {
                                    input type="checkbox" name=(contract) value="on" checked[val(form, &contract) == "on"]
                                        aria-label={ (t(l, Msg::UiTierNeedsContract)) " " (n + 1) };
                                }
                            }
                        }
                    }
                }
            }
            }
            (select(l, (f, "otherwise", t(l, Msg::UiTierOtherwise)), &otherwise, val(form, "otherwise"), errors))
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
        form.card method="post" action=(REGRADE) {
            (csrf(v))
            p.hint { (t(l, Msg::UiRegradeHint)) }
            div.actions { button.secondary type="submit" { (t(l, Msg::UiRegradeNow)) } }
        }
    };
    respond(
        status,
        frame(crm, v, HERE, HERE, t(l, Msg::UiCustomerTiers), content),
    )
}

#[derive(serde::Deserialize)]
pub(super) struct Done {
    changed: Option<usize>,
    accounts: Option<usize>,
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap, Query(q): Query<Done>) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let done = match (q.changed, q.accounts) {
        (Some(changed), Some(accounts)) => Some(Regrade { accounts, changed }),
        _ => None,
    };
    match crm.tier_rules(&v.actor).await {
        Ok(r) => page(
            &crm,
            &v,
            &as_form(&r.unwrap_or_else(|| json!({}))),
            &[],
            done,
            StatusCode::OK,
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn after(done: Regrade) -> Response {
    see_other(&format!(
        "{HERE}?changed={}&accounts={}",
        done.changed, done.accounts
    ))
}

pub(super) async fn save(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, posted): (Viewer, Posted) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = &posted.one;
    let (rows, from) = rules(form);
    let input = json!({
        "currency": val(form, "currency"),
        "time_zone": val(form, "time_zone"),
        "rules": rows,
        "otherwise": val(form, "otherwise"),
    });
    match crm.set_tier_rules(&v.actor, &input).await {
        Ok((_, done)) => after(done),
        Err(ServiceError::Validation(errors)) => {
            let errors = on_form_rows(errors, "rules", &from);
            page(&crm, &v, form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn regrade(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, _): (Viewer, Posted) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match crm.regrade_now(&v.actor).await {
        Ok(done) => after(done),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

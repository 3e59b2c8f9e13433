//! Setup of sales processes: the list, and one form per process — its name and labels,
//! whether it is the default, which roles may skip stages, and for every value of the
//! opportunity's stage picklist whether the process uses it, where, with what
//! probability, forecast category and outcome, and what entering and leaving it requires.
//! Problems come back beside the input they concern.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::process::{self, Outcome, Process};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Fields, LABEL_LANGS, Saved, administrator, checkbox, csrf, error_for, failure, frame, input,
    label_inputs, label_json, respond, saved_notice, see_other, select, summary, t, text, val, yes_no,
};
use crate::web::{Viewer, csrf_ok, csrf_refused};

const HERE: &str = "/admin/sales-processes";

/// The inputs of one stage's row (`s{row}_{input}`).
const STAGE_INPUTS: [&str; 12] = [
    "use",
    "order",
    "probability",
    "forecast",
    "outcome",
    "entry",
    "exit",
    "activities",
    "checklist",
    "guidance_en",
    "guidance_zh_cn",
    "guidance_zh_tw",
];

const OUTCOMES: [(Outcome, &str, Msg); 3] = [
    (Outcome::Open, "open", Msg::UiOutcomeOpen),
    (Outcome::Won, "won", Msg::UiOutcomeWon),
    (Outcome::Lost, "lost", Msg::UiOutcomeLost),
];

/// A submitted (or prefilled) form: single values, and the choices of multiple selects.
#[derive(Default)]
pub(super) struct Posted {
    pub(super) one: Fields,
    many: HashMap<String, Vec<String>>,
}

impl Posted {
    pub(super) fn parse(body: &[u8]) -> Posted {
        let mut p = Posted::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            p.many.entry(k.to_string()).or_default().push(v.to_string());
            p.one.insert(k.into_owned(), v.into_owned());
        }
        p
    }

    pub(super) fn chosen(&self, name: &str) -> &[String] {
        self.many.get(name).map_or(&[], Vec::as_slice)
    }
}

/// A submitted setup form of an administrator, with the session's CSRF token checked.
pub(super) async fn posted_form(
    crm: &Crm,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Viewer, Posted), Response> {
    let v = administrator(crm, headers).await?;
    let form = Posted::parse(body);
    if csrf_ok(&v, &form.one) {
        Ok((v, form))
    } else {
        Err(csrf_refused(&v))
    }
}

fn opportunity(crm: &Crm) -> Option<std::sync::Arc<ObjectDef>> {
    crm.schema().object(process::OBJECT).cloned()
}

/// The stage picklist's values, in picklist order: the rows of the form.
fn stage_values(o: &ObjectDef) -> Vec<(String, String, bool)> {
    o.field(process::STAGE)
        .map(|f| {
            f.options
                .iter()
                .map(|opt| (opt.value.clone(), opt.label.en.clone(), opt.active))
                .collect()
        })
        .unwrap_or_default()
}

/// Fields a stage may require: what a user fills in on the opportunity.
fn requirable(o: &ObjectDef, l: Locale) -> Vec<(String, String)> {
    o.fields
        .iter()
        .filter(|f| !f.system && f.name != process::STAGE && f.name != process::PROCESS)
        .map(|f| (f.name.clone(), f.label.get(l).to_string()))
        .collect()
}

fn activity_types(crm: &Crm, l: Locale) -> Vec<(String, String)> {
    crm.schema()
        .object(process::ACTIVITY)
        .and_then(|a| a.field("type").cloned())
        .map(|f| {
            f.options
                .iter()
                .filter(|o| o.active)
                .map(|o| (o.value.clone(), o.label.get(l).to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The form as a stored process fills it.
fn prefill(p: &Process, stages: &[(String, String, bool)]) -> Posted {
    let mut f = Posted::default();
    let mut put = |k: String, v: String| {
        f.one.insert(k, v);
    };
    put("name".into(), p.name.clone());
    for (suffix, tag, _) in LABEL_LANGS {
        put(format!("label_{suffix}"), label_text(&p.label, tag));
    }
    if p.default {
        put("default".into(), "on".into());
    }
    if p.active {
        put("active".into(), "on".into());
    }
    for r in &p.may_skip {
        put(format!("skip_{r}"), "on".into());
    }
    for (i, (value, _, _)) in stages.iter().enumerate() {
        let Some(at) = p.position(value) else {
            continue;
        };
        let s = &p.stages[at];
        put(format!("s{i}_use"), "on".into());
        put(format!("s{i}_order"), (at + 1).to_string());
        put(format!("s{i}_probability"), s.probability.normalize().to_string());
        put(format!("s{i}_forecast"), s.forecast.as_str().into());
        let outcome = OUTCOMES.iter().find(|o| o.0 == s.outcome).map_or("open", |o| o.1);
        put(format!("s{i}_outcome"), outcome.into());
        put(
            format!("s{i}_checklist"),
            s.checklist
                .iter()
                .map(|c| {
                    format!(
                        "{} | {} | {} | {}",
                        c.key, c.label.en, c.label.zh_cn, c.label.zh_tw
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if let Some(g) = &s.guidance {
            for (suffix, tag, _) in LABEL_LANGS {
                put(format!("s{i}_guidance_{suffix}"), label_text(g, tag));
            }
        }
        f.many.insert(format!("s{i}_entry"), s.entry_fields.clone());
        f.many.insert(format!("s{i}_exit"), s.exit_fields.clone());
        f.many
            .insert(format!("s{i}_activities"), s.exit_activities.clone());
    }
    f
}

fn label_text(label: &guanxi_core::metadata::Label, tag: &str) -> String {
    match tag {
        "en" => label.en.clone(),
        "zh-CN" => label.zh_cn.clone(),
        _ => label.zh_tw.clone(),
    }
}

/// Checklist lines `key | English | 简体 | 繁體` (one label serves all when fewer given).
fn checklist(text: &str) -> Vec<Json> {
    text.lines()
        .map(|line| line.split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|parts| parts.iter().any(|p| !p.is_empty()))
        .map(|parts| {
            let key = parts[0];
            let (en, cn, tw) = match parts[1..] {
                [] => (key, key, key),
                [one] => (one, one, one),
                [en, cn] => (en, cn, cn),
                [en, cn, tw, ..] => (en, cn, tw),
            };
            json!({"key": key, "label": {"en": en, "zh-CN": cn, "zh-TW": tw}})
        })
        .collect()
}

/// The submitted form as the service's process definition, with the row each of its
/// stages came from; or the problems found before the service is asked (a probability
/// that is not a number, an order that is not a position).
fn definition(
    form: &Posted,
    stages: &[(String, String, bool)],
) -> Result<(Json, Vec<usize>), Vec<FieldError>> {
    let one = &form.one;
    let mut errors = Vec::new();
    let mut used: Vec<(i64, usize)> = Vec::new();
    for (i, _) in stages.iter().enumerate() {
        if val(one, &format!("s{i}_use")) != "on" {
            continue;
        }
        let order = val(one, &format!("s{i}_order"));
        match order.parse::<i64>() {
            Ok(n) if n >= 1 => used.push((n, i)),
            _ => errors.push(FieldError::new(&format!("s{i}_order"), Msg::NotNumber)),
        }
        if val(one, &format!("s{i}_probability")).parse::<Decimal>().is_err() {
            errors.push(FieldError::new(&format!("s{i}_probability"), Msg::NotNumber));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    used.sort();
    let rows: Vec<usize> = used.iter().map(|(_, i)| *i).collect();
    let stage_defs: Vec<Json> = rows
        .iter()
        .map(|&i| {
            let k = |s: &str| format!("s{i}_{s}");
            let mut s = json!({
                "stage": stages[i].0,
                "probability": val(one, &k("probability")),
                "forecast": val(one, &k("forecast")),
                "outcome": val(one, &k("outcome")),
                "entry_fields": form.chosen(&k("entry")),
                "exit_fields": form.chosen(&k("exit")),
                "exit_activities": form.chosen(&k("activities")),
                "checklist": checklist(form.one.get(&k("checklist")).map_or("", String::as_str)),
            });
            if let Some(g) = label_json(one, &k("guidance")) {
                s["guidance"] = g;
            }
            s
        })
        .collect();
    let may_skip: Vec<String> = one
        .iter()
        .filter(|(k, v)| k.starts_with("skip_") && v.as_str() == "on")
        .map(|(k, _)| k["skip_".len()..].to_string())
        .collect();
    let mut def = json!({
        "name": val(one, "name"),
        "default": val(one, "default") == "on",
        "active": val(one, "active") == "on",
        "may_skip": may_skip,
        "stages": stage_defs,
    });
    def["label"] = label_json(one, "label").unwrap_or(json!({"en": "", "zh-CN": "", "zh-TW": ""}));
    Ok((def, rows))
}

/// The service's problem paths as the form's inputs: `stages[2].entry_fields[0]` is the
/// entry select of the row the third stage came from; `label.zh-CN` is `label_zh_cn`.
fn on_form(errors: Vec<FieldError>, rows: &[usize]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some((_, tag, _)) = LABEL_LANGS
                .iter()
                .find(|(_, tag, _)| e.field == format!("label.{tag}"))
            {
                let suffix = LABEL_LANGS.iter().find(|x| x.1 == *tag).map_or("en", |x| x.0);
                e.field = format!("label_{suffix}");
            } else if let Some(rest) = e.field.strip_prefix("stages[") {
                let (k, tail) = rest.split_once(']').unwrap_or((rest, ""));
                if let Some(row) = k.parse::<usize>().ok().and_then(|k| rows.get(k)) {
                    let tail = tail.trim_start_matches('.');
                    let part = tail.split(['[', '.']).next().unwrap_or("");
                    let guidance = LABEL_LANGS
                        .iter()
                        .find(|(_, tag, _)| tail == format!("guidance.{tag}"))
                        .map(|(suffix, _, _)| format!("guidance_{suffix}"));
                    let input = match part {
                        "entry_fields" => "entry",
                        "exit_fields" => "exit",
                        "exit_activities" => "activities",
                        "checklist" => "checklist",
                        "guidance" => guidance.as_deref().unwrap_or("guidance_en"),
                        "probability" | "forecast" | "outcome" => part,
                        _ => "use",
                    };
                    e.field = format!("s{row}_{input}");
                }
            } else if e.field.starts_with("may_skip") {
                e.field = "may_skip".into();
            }
            e
        })
        .collect()
}

fn multi(
    l: Locale,
    (id, name, label): (&str, &str, &str),
    choices: &[(String, String)],
    chosen: &[String],
    errors: &[FieldError],
) -> Markup {
    let e = error_for(errors, name);
    let err_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) multiple size="5" aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| err_id.as_str())] {
                @for (value, text) in choices {
                    option value=(value) selected[chosen.contains(value)] { (text) }
                }
            }
            @if let Some(e) = e { p.error id=(err_id) { (e.message(l)) } }
        }
    }
}

async fn list_page(crm: &Crm, v: &Viewer) -> Response {
    let l = v.locale;
    let processes = match crm.sales_processes(&v.actor).await {
        Ok(p) => p,
        Err(e) => return failure(e, l, Some(v)),
    };
    let stage_field = opportunity(crm).and_then(|o| o.field(process::STAGE).cloned());
    let stage_label = |s: &str| {
        stage_field
            .as_ref()
            .map_or(s.to_string(), |f| f.option_label(s, l).to_string())
    };
    let title = t(l, Msg::UiSalesProcesses);
    let content = html! {
        div.titlebar {
            h1 { (title) }
            div.actions { a.button href={ (HERE) "/new" } { (t(l, Msg::UiNewProcess)) } }
        }
        p.hint { (t(l, Msg::UiSalesProcessesHint)) }
        @if processes.is_empty() {
            p { (t(l, Msg::UiNoProcesses)) }
        } @else {
            table.data {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiName)) }
                    th scope="col" { (t(l, Msg::UiProcessStages)) }
                    th scope="col" { (t(l, Msg::UiDefaultProcess)) }
                    th scope="col" { (t(l, Msg::UiActive)) }
                } }
                tbody {
                    @for p in &processes {
                        tr {
                            td {
                                a href={ (HERE) "/" (p.id.unwrap_or_default()) } { (p.label.get(l)) }
                                " " code { (p.name) }
                            }
                            td { (p.stages.iter().map(|s| stage_label(&s.stage)).collect::<Vec<_>>().join(" → ")) }
                            td { (yes_no(l, p.default)) }
                            td { (yes_no(l, p.active)) }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, frame(crm, v, HERE, HERE, title, content))
}

pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    match administrator(&crm, &headers).await {
        Ok(v) => list_page(&crm, &v).await,
        Err(r) => r,
    }
}

/// The form of one process (`id` none: a new one).
async fn form_page(
    crm: &Crm,
    v: &Viewer,
    id: Option<Uuid>,
    form: &Posted,
    errors: &[FieldError],
    status: StatusCode,
    saved: bool,
) -> Response {
    let l = v.locale;
    let Some(o) = opportunity(crm) else {
        return failure(ServiceError::NotFound, l, Some(v));
    };
    let roles = match crm.roles(&v.actor).await {
        Ok(r) => r,
        Err(e) => return failure(e, l, Some(v)),
    };
    let stages = stage_values(&o);
    let fields = requirable(&o, l);
    let activities = activity_types(crm, l);
    let stage_field = o.field(process::STAGE);
    // The forecast categories are the opportunity's own picklist, in its labels.
    let forecast_field = o.field(process::FORECAST);
    let forecasts: Vec<(String, String)> = forecast_field
        .map(|f| {
            f.options
                .iter()
                .map(|o| (o.value.clone(), o.label.get(l).to_string()))
                .collect()
        })
        .unwrap_or_default();
    let forecast_label = forecast_field.map_or(process::FORECAST.to_string(), |f| f.label.get(l).to_string());
    let probability_label = o
        .field(process::PROBABILITY)
        .map_or(process::PROBABILITY.to_string(), |f| f.label.get(l).to_string());
    let outcomes: Vec<(String, String)> = OUTCOMES
        .iter()
        .map(|(_, v, m)| (v.to_string(), t(l, *m).to_string()))
        .collect();
    let action = match id {
        Some(id) => format!("{HERE}/{id}"),
        None => HERE.to_string(),
    };
    let title = match id {
        Some(_) => Msg::UiEditProcess.format(l, &[("name", val(&form.one, "name"))]),
        None => t(l, Msg::UiNewProcess).to_string(),
    };
    let one = &form.one;
    let f = "process";
    let mut inputs: Vec<String> = ["name", "label_en", "label_zh_cn", "label_zh_tw", "may_skip"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in 0..stages.len() {
        for part in STAGE_INPUTS {
            inputs.push(format!("s{i}_{part}"));
        }
    }
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let content = html! {
        h1 { (title) }
        (saved_notice(l, saved))
        (summary(l, errors, &inputs))
        form.card.admin-form method="post" action=(action) novalidate {
            (csrf(v))
            (input(l, text(f, "name", t(l, Msg::UiProcessKey), val(one, "name")), errors))
            (label_inputs(l, f, "label", Msg::UiLabelIn, one, errors))
            (checkbox("process-default", "default", t(l, Msg::UiDefaultProcess), val(one, "default") == "on"))
            (checkbox("process-active", "active", t(l, Msg::UiActive), val(one, "active") == "on"))
            fieldset.wide {
                legend { (t(l, Msg::UiMaySkipRoles)) }
                @if let Some(e) = error_for(errors, "may_skip") { p.error { (e.message(l)) } }
                @for r in &roles {
                    (checkbox(&format!("skip-{}", r.id), &format!("skip_{}", r.id), &r.name, val(one, &format!("skip_{}", r.id)) == "on"))
                }
            }
            h2.wide { (t(l, Msg::UiProcessStages)) }
            @for (i, (value, _, active)) in stages.iter().enumerate() {
                @let k = |s: &str| format!("s{i}_{s}");
                @let id = format!("stage-{i}");
                @let label = stage_field.map_or(value.clone(), |sf| sf.option_label(value, l).to_string());
                @let stage_errors: Vec<&FieldError> = errors.iter().filter(|e| e.field.starts_with(&format!("s{i}_"))).collect();
                fieldset.wide.stage-def aria-invalid=[(!stage_errors.is_empty()).then_some("true")] {
                    legend { (label) " " code { (value) } @if !active { " · " (t(l, Msg::UiRetiredMarker)) } }
                    (checkbox(&format!("{id}-use"), &k("use"), t(l, Msg::UiStageInProcess), val(one, &k("use")) == "on"))
                    @if let Some(e) = error_for(errors, &k("use")) { p.error { (e.message(l)) } }
                    div.admin-form {
                        (input(l, super::Input { kind: "number", ..text(&id, &k("order"), t(l, Msg::UiStageOrder), val(one, &k("order"))) }, errors))
                        (input(l, text(&id, &k("probability"), &probability_label, val(one, &k("probability"))), errors))
                        (select(l, (&id, &k("forecast"), &forecast_label), &forecasts, val(one, &k("forecast")), errors))
                        (select(l, (&id, &k("outcome"), t(l, Msg::UiStageOutcome)), &outcomes, val(one, &k("outcome")), errors))
                        (multi(l, (&format!("{id}-entry"), &k("entry"), t(l, Msg::UiEntryFields)), &fields, form.chosen(&k("entry")), errors))
                        (multi(l, (&format!("{id}-exit"), &k("exit"), t(l, Msg::UiExitFields)), &fields, form.chosen(&k("exit")), errors))
                        (multi(l, (&format!("{id}-activities"), &k("activities"), t(l, Msg::UiExitActivities)), &activities, form.chosen(&k("activities")), errors))
                        (input(l, super::Input { kind: "textarea", hint: Some(t(l, Msg::UiChecklistHint)), ..text(&id, &k("checklist"), t(l, Msg::UiChecklist), val(one, &k("checklist"))) }, errors))
                        (label_inputs(l, &id, &k("guidance"), Msg::UiGuidanceIn, one, errors))
                    }
                }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
        @if let Some(id) = id {
            form method="post" action={ (HERE) "/" (id) "/delete" } {
                (csrf(v))
                button.secondary type="submit" { (t(l, Msg::UiDelete)) }
            }
        }
    };
    respond(status, frame(crm, v, HERE, &action, &title, content))
}

pub(super) async fn new(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut form = Posted::default();
    form.one.insert("active".into(), "on".into());
    form_page(&crm, &v, None, &form, &[], StatusCode::OK, false).await
}

pub(super) async fn edit(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let p = match crm.sales_process(&v.actor, id).await {
        Ok(p) => p,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let stages = opportunity(&crm).map(|o| stage_values(&o)).unwrap_or_default();
    form_page(
        &crm,
        &v,
        Some(id),
        &prefill(&p, &stages),
        &[],
        StatusCode::OK,
        saved.saved.is_some(),
    )
    .await
}

async fn save(crm: &Crm, headers: &HeaderMap, id: Option<Uuid>, body: &[u8]) -> Response {
    let (v, form) = match posted_form(crm, headers, body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let stages = opportunity(crm).map(|o| stage_values(&o)).unwrap_or_default();
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let (def, rows) = match definition(&form, &stages) {
        Ok(d) => d,
        Err(errors) => return form_page(crm, &v, id, &form, &errors, status, false).await,
    };
    match crm.save_sales_process(&v.actor, id, def).await {
        Ok(p) => see_other(&format!("{HERE}/{}?saved=1", p.id.unwrap_or_default())),
        Err(ServiceError::Validation(errors)) => {
            form_page(crm, &v, id, &form, &on_form(errors, &rows), status, false).await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn add(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    save(&crm, &headers, None, &body).await
}

pub(super) async fn update(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => save(&crm, &headers, Some(id), &body).await,
        Err(_) => match administrator(&crm, &headers).await {
            Ok(v) => failure(ServiceError::NotFound, v.locale, Some(&v)),
            Err(r) => r,
        },
    }
}

pub(super) async fn delete(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let v = match posted_form(&crm, &headers, &body).await {
        Ok((v, _)) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.delete_sales_process(&v.actor, id).await {
        Ok(()) => see_other(HERE),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<(String, String, bool)> {
        ["prospecting", "qualification", "proposal"]
            .iter()
            .map(|s| (s.to_string(), s.to_string(), true))
            .collect()
    }

    #[test]
    fn a_form_becomes_a_definition_in_the_order_given_and_problems_find_their_inputs() {
        let body = "name=p&label_en=P&active=on&s0_use=on&s0_order=2&s0_probability=10&s0_forecast=pipeline&s0_outcome=open\
                    &s2_use=on&s2_order=1&s2_probability=50&s2_forecast=best_case&s2_outcome=open&s2_entry=amount&s2_entry=contact\
                    &s2_checklist=budget+%7C+Budget+%7C+%E9%A2%84%E7%AE%97";
        let form = Posted::parse(body.as_bytes());
        let (def, rows) = definition(&form, &stages()).expect("a definition");
        assert_eq!(rows, [2, 0]);
        assert_eq!(def["stages"][0]["stage"], "proposal");
        assert_eq!(def["stages"][0]["entry_fields"], json!(["amount", "contact"]));
        assert_eq!(def["stages"][0]["checklist"][0]["label"]["zh-TW"], "预算");
        assert_eq!(def["label"]["zh-CN"], "P");
        let errors = on_form(
            vec![
                FieldError::new("stages[0].entry_fields[1]", Msg::UnknownField),
                FieldError::new("stages[1].probability", Msg::NotNumber),
                FieldError::new("label.zh-TW", Msg::Required),
            ],
            &rows,
        );
        let at: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(at, ["s2_entry", "s0_probability", "label_zh_tw"]);
    }

    #[test]
    fn a_probability_or_order_that_is_not_a_number_is_named_before_saving() {
        let form = Posted::parse(b"name=p&s1_use=on&s1_order=x&s1_probability=lots");
        let errors = definition(&form, &stages()).unwrap_err();
        let at: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(at, ["s1_order", "s1_probability"]);
    }
}

//! Setup of service levels: the business calendar cases are timed on (working hours per
//! weekday, time zone, China's holidays and the company's own days) and the targets by
//! customer tier, case type and priority; each problem beside its input.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::sla::WEEKDAYS;
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, Value as Json, json};

use super::processes::{Posted, posted_form};
use super::{
    Fields, Input, administrator, checkbox, csrf, error_for, failure, frame, input, respond, see_other,
    summary, t, text, val,
};
use crate::web::Viewer;

pub(super) const HERE: &str = "/admin/service-levels";
/// Empty rows offered below the targets for new ones.
const SPARE_ROWS: usize = 3;
const TARGET_INPUTS: [&str; 6] = [
    "tier",
    "type",
    "priority",
    "first_response",
    "resolution",
    "warn_at",
];
const DAY_NAMES: [Msg; 7] = [
    Msg::UiCalMonday,
    Msg::UiCalTuesday,
    Msg::UiCalWednesday,
    Msg::UiCalThursday,
    Msg::UiCalFriday,
    Msg::UiCalSaturday,
    Msg::UiCalSunday,
];

/// The policy as form fields (`hours.monday`, `targets[0].type`, …).
fn as_form(policy: &Json) -> Fields {
    let mut f = Fields::new();
    let word = |v: Option<&Json>| match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    f.insert("time_zone".into(), word(policy.get("time_zone")));
    let china = policy
        .get("china_holidays")
        .and_then(Json::as_bool)
        .unwrap_or(true);
    f.insert(
        "china_holidays".into(),
        if china { "on".into() } else { String::new() },
    );
    f.insert("days".into(), word(policy.get("days")));
    let reassign = policy
        .get("reassign_at_breach")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    f.insert(
        "reassign_at_breach".into(),
        if reassign { "on".into() } else { String::new() },
    );
    let default_hours = "09:00-12:00, 13:00-18:00";
    for (i, day) in WEEKDAYS.iter().enumerate() {
        let given = policy.get("hours").and_then(|h| h.get(*day));
        let shown = match given {
            Some(v) => word(Some(v)),
            None if i < 5 => default_hours.into(),
            None => String::new(),
        };
        f.insert(format!("hours.{day}"), shown);
    }
    for (n, row) in policy
        .get("targets")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for k in TARGET_INPUTS {
            f.insert(format!("targets[{n}].{k}"), word(row.get(k)));
        }
    }
    f
}

/// The rows of the form that have anything in them, as the policy's targets, with the
/// form row each came from (so a problem is shown on the row it is about).
fn targets(form: &Fields) -> (Vec<Json>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut from = Vec::new();
    for n in 0.. {
        if !TARGET_INPUTS
            .iter()
            .any(|k| form.contains_key(&format!("targets[{n}].{k}")))
        {
            break;
        }
        let mut row = Map::new();
        for k in TARGET_INPUTS {
            let v = val(form, &format!("targets[{n}].{k}"));
            if v.is_empty() {
                continue;
            }
            let value = match k {
                "first_response" | "resolution" | "warn_at" => {
                    v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n))
                }
                _ => json!(v),
            };
            row.insert(k.to_string(), value);
        }
        if !row.is_empty() {
            rows.push(Json::Object(row));
            from.push(n);
        }
    }
    (rows, from)
}

fn page(crm: &Crm, v: &Viewer, form: &Fields, errors: &[FieldError], status: StatusCode) -> Response {
    let l = v.locale;
    let f = "sla";
    let schema = crm.schema();
    let choices = |object: &str, field: &str| -> (String, Vec<(String, String)>) {
        let def = schema.object(object).and_then(|o| o.field(field).cloned());
        let label = def
            .as_ref()
            .map_or_else(|| field.to_string(), |d| d.label.get(l).to_string());
        let mut out = vec![(String::new(), t(l, Msg::UiSlaAny).to_string())];
        out.extend(
            def.iter()
                .flat_map(|d| d.options.iter().filter(|o| o.active))
                .map(|o| (o.value.clone(), o.label.get(l).to_string())),
        );
        (label, out)
    };
    let columns = [
        choices("account", "tier"),
        choices("case", "type"),
        choices("case", "priority"),
    ];
    let rows = (0..)
        .take_while(|n| {
            TARGET_INPUTS
                .iter()
                .any(|k| form.contains_key(&format!("targets[{n}].{k}")))
        })
        .count()
        + SPARE_ROWS;
    let mut known: Vec<String> = vec!["time_zone".into(), "days".into(), "targets".into()];
    known.extend(WEEKDAYS.iter().map(|d| format!("hours.{d}")));
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let content = html! {
        h1 { (t(l, Msg::UiServiceLevels)) }
        p.hint { (t(l, Msg::UiServiceLevelsHint)) }
        (summary(l, errors, &known))
        form.card.admin-form method="post" action=(HERE) novalidate {
            (csrf(v))
            (input(l, text(f, "time_zone", t(l, Msg::UiTimeZone), val(form, "time_zone")), errors))
            @for (day, name) in WEEKDAYS.iter().zip(DAY_NAMES) {
                @let key = format!("hours.{day}");
                (input(l, Input { hint: Some(t(l, Msg::UiSlaHoursHint)), ..text(f, &key, t(l, name), val(form, &key)) }, errors))
            }
            (checkbox(&format!("{f}-china_holidays"), "china_holidays", t(l, Msg::UiSlaChinaHolidays), val(form, "china_holidays") == "on"))
            (input(l, Input { kind: "textarea", hint: Some(t(l, Msg::UiSlaDaysHint)), ..text(f, "days", t(l, Msg::UiSlaDays), val(form, "days")) }, errors))
            (checkbox(&format!("{f}-reassign"), "reassign_at_breach", t(l, Msg::UiSlaReassign), val(form, "reassign_at_breach") == "on"))
            div.wide {
            h2 { (t(l, Msg::UiSlaTargets)) }
            p.hint { (t(l, Msg::UiSlaTargetsHint)) }
            div.table-wrap {
                table.records.sla-targets {
                    thead { tr {
                        @for (label, _) in &columns { th scope="col" { (label) } }
                        th scope="col" { (t(l, Msg::UiSlaFirstResponse)) }
                        th scope="col" { (t(l, Msg::UiSlaResolution)) }
                        th scope="col" { (t(l, Msg::UiSlaWarnAt)) }
                    } }
                    tbody {
                        @for n in 0..rows {
                            tr {
                                @for (k, (label, options)) in ["tier", "type", "priority"].iter().zip(&columns) {
                                    td data-label=(label) { (choice(l, form, errors, Cell { list: "targets", key: "sla", n, k }, label, options)) }
                                }
                                @for (k, m) in [("first_response", Msg::UiSlaFirstResponse), ("resolution", Msg::UiSlaResolution), ("warn_at", Msg::UiSlaWarnAt)] {
                                    td data-label=(t(l, m)) { (number(l, form, errors, Cell { list: "targets", key: "sla", n, k }, t(l, m))) }
                                }
                            }
                        }
                    }
                }
            }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiSave)) } }
        }
    };
    respond(
        status,
        frame(crm, v, HERE, HERE, t(l, Msg::UiServiceLevels), content),
    )
}

/// The problem beside a cell's input, tied to it.
fn cell_error(l: Locale, errors: &[FieldError], id: &str, name: &str) -> (Option<String>, Markup) {
    let e = error_for(errors, name);
    let err_id = format!("{id}-error");
    let markup = html! { @if let Some(e) = e { p.error id=(err_id) { (e.message(l)) } } };
    (e.map(|_| err_id), markup)
}

/// A cell's input name (`targets[0].tier`) and id (`sla-0-tier`): row `n` of the form's
/// list `list` (ids begin with `key`), member `k`.
pub(super) struct Cell<'a> {
    pub list: &'a str,
    pub key: &'a str,
    pub n: usize,
    pub k: &'a str,
}

impl Cell<'_> {
    fn name(&self) -> String {
        format!("{}[{}].{}", self.list, self.n, self.k)
    }
    fn id(&self) -> String {
        format!("{}-{}-{}", self.key, self.n, self.k)
    }
}

/// A choice in a table row, its problem beside it.
pub(super) fn choice(
    l: Locale,
    form: &Fields,
    errors: &[FieldError],
    cell: Cell<'_>,
    label: &str,
    options: &[(String, String)],
) -> Markup {
    let (name, id, n) = (cell.name(), cell.id(), cell.n);
    let chosen = val(form, &name);
    let (described, error) = cell_error(l, errors, &id, &name);
    html! {
        select id=(id) name=(name) aria-label={ (label) " " (n + 1) } aria-invalid=[described.as_ref().map(|_| "true")] aria-describedby=[described] {
            @for (value, text) in options {
                option value=(value) selected[value == chosen] { (text) }
            }
        }
        (error)
    }
}

/// A number typed in a table row, its problem beside it.
pub(super) fn number(l: Locale, form: &Fields, errors: &[FieldError], cell: Cell<'_>, label: &str) -> Markup {
    let (name, id, n) = (cell.name(), cell.id(), cell.n);
    let (described, error) = cell_error(l, errors, &id, &name);
    html! {
        input id=(id) name=(name) type="text" inputmode="numeric" size="6" value=(val(form, &name))
            aria-label={ (label) " " (n + 1) } aria-invalid=[described.as_ref().map(|_| "true")] aria-describedby=[described];
        (error)
    }
}

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crm.sla_policy(&v.actor).await {
        Ok(p) => page(
            &crm,
            &v,
            &as_form(&p.unwrap_or_else(|| json!({}))),
            &[],
            StatusCode::OK,
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn save(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, posted): (Viewer, Posted) = match posted_form(&crm, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = &posted.one;
    let (rows, from) = targets(form);
    let mut hours = Map::new();
    for day in WEEKDAYS {
        hours.insert(day.into(), json!(val(form, &format!("hours.{day}"))));
    }
    let zone = val(form, "time_zone");
    let input = json!({
        "time_zone": if zone.is_empty() { "Asia/Shanghai" } else { zone },
        "hours": hours,
        "china_holidays": val(form, "china_holidays") == "on",
        "days": form.get("days").map(|d| d.trim()).unwrap_or(""),
        "targets": rows,
        "reassign_at_breach": val(form, "reassign_at_breach") == "on",
    });
    match crm.set_sla_policy(&v.actor, &input).await {
        Ok(_) => see_other(HERE),
        Err(ServiceError::Validation(errors)) => {
            let errors = on_form_rows(errors, "targets", &from);
            page(&crm, &v, form, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// The problems of a list sent without the form's empty rows, each moved to the row it
/// is about: `list[j]` of what was sent is row `from[j]` of the form.
pub(super) fn on_form_rows(errors: Vec<FieldError>, list: &str, from: &[usize]) -> Vec<FieldError> {
    let prefix = format!("{list}[");
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix(&prefix)
                && let Some((j, tail)) = rest.split_once(']')
                && let Some(n) = j.parse::<usize>().ok().and_then(|j| from.get(j))
            {
                e.field = format!("{list}[{n}]{tail}");
            }
            e
        })
        .collect()
}

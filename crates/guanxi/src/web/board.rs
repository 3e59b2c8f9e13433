//! The kanban board of an object: one column per value of a picklist field (an
//! opportunity's stage by default), each with its count and sum over every matching record
//! the viewer may read, and its first cards. A card moves by drag and drop (the page
//! script) or by its arrow buttons (plain forms): both post the version the board showed.
//!
//! Opportunities by stage, once sales processes exist, show one process at a time: its
//! stages in order, each with its weighted amount, the open pipeline's totals and the
//! process's velocity; a card moves only as the process allows (the write path decides).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::metadata::FieldType;
use guanxi_core::process;
use guanxi_core::values::Record;
use guanxi_core::values::Value;
use guanxi_core::{FieldDef, Locale, Msg, ObjectDef, Schema};
use guanxi_services::pipeline::{Amount, Pipeline, Velocity};
use guanxi_services::records::{ListQuery, Total};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{self, display, field_value, layout, t};
use super::{Viewer, failure, html};

/// Cards shown per column; the rest are a link to the list.
const CARDS: usize = 25;

#[derive(Debug, Default, Deserialize)]
pub(super) struct BoardParams {
    pub field: Option<String>,
    pub filter: Option<String>,
    pub process: Option<String>,
}

/// One column: the value (none: records without one), its totals and first cards.
struct Column {
    value: Option<String>,
    label: String,
    count: i64,
    sums: Vec<(String, rust_decimal::Decimal)>,
    /// Weighted sums (amount × probability), for a process's stages.
    weighted: Vec<(String, rust_decimal::Decimal)>,
    cards: Vec<Record>,
    filter: String,
}

/// The picklist fields a board can be drawn by, and the one to use.
fn group_field<'a>(object: &'a ObjectDef, wanted: Option<&str>) -> Option<&'a FieldDef> {
    let mut picklists = object
        .fields
        .iter()
        .filter(|f| f.field_type == FieldType::Picklist);
    if let Some(w) = wanted {
        return picklists.find(|f| f.name == w);
    }
    ["stage", "status"]
        .iter()
        .find_map(|n| object.field(n).filter(|f| f.field_type == FieldType::Picklist))
        .or_else(|| picklists.next())
}

/// What a board shows besides its columns when it draws a sales process.
struct ProcessView {
    pipeline: Pipeline,
    velocity: Option<Velocity>,
}

pub(super) async fn board(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Query(params): Query<BoardParams>,
) -> Response {
    let (v, full) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let schema = crm.schema();
    let visible = crm.visible_object(&v.actor, &full);
    let Some(field) = group_field(&visible, params.field.as_deref()).cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let sum = visible
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::Money)
        .cloned();
    let user_filter = params.filter.as_deref().map(str::trim).filter(|f| !f.is_empty());
    let by_process = full.name == process::OBJECT && field.name == process::STAGE;
    let mut shown: Option<ProcessView> = None;
    let columns = match by_process {
        true => match crm
            .pipeline(&v.actor, params.process.as_deref(), user_filter, v.locale)
            .await
        {
            Ok(p) => {
                let columns = process_columns(&p);
                // Velocity is a summary: a reader who may not run it still gets the board.
                let velocity = crm
                    .velocity(&v.actor, Some(&p.process), VELOCITY_DAYS, v.locale)
                    .await
                    .ok();
                shown = Some(ProcessView {
                    pipeline: p,
                    velocity,
                });
                Ok(columns)
            }
            Err(ServiceError::NotFound) => {
                picklist_columns(&crm, &v, &full, &field, sum.as_ref(), user_filter).await
            }
            Err(e) => Err(e),
        },
        false => picklist_columns(&crm, &v, &full, &field, sum.as_ref(), user_filter).await,
    };
    let board = Board {
        full: &full,
        object: &visible,
        field: &field,
        sum: sum.as_ref(),
        params: &params,
        process: shown.as_ref(),
        now: crm.now(),
    };
    let mut columns = match columns {
        Ok(c) => c,
        Err(ServiceError::Validation(errors)) => {
            let page = page(&v, &schema, &board, &[], Some(&errors));
            return html(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let sort = match &sum {
        Some(f) if f.indexed => format!("-{}", f.name),
        _ => "-created_at".to_string(),
    };
    let pages_read = futures_util::future::join_all(columns.iter().filter(|c| c.count > 0).map(|c| {
        let q = ListQuery {
            filter: Some(c.filter.clone()),
            sort: Some(sort.clone()),
            cursor: None,
            limit: Some(CARDS),
            deleted: false,
            few: false,
        };
        let (crm, actor, object) = (&crm, &v.actor, &full.name);
        async move { crm.list(actor, object, &q).await }
    }))
    .await;
    let mut read = pages_read.into_iter();
    for c in columns.iter_mut().filter(|c| c.count > 0) {
        match read.next() {
            Some(Ok(p)) => c.cards = p.records,
            Some(Err(e)) => return failure(e, v.locale, Some(&v)),
            None => {}
        }
    }
    let page = page(&v, &schema, &board, &columns, None);
    html(StatusCode::OK, page)
}

/// Days the board's velocity looks back over.
const VELOCITY_DAYS: i64 = 90;

/// A process's columns: its stages in order, then any stage its records hold that it no
/// longer has.
fn process_columns(p: &Pipeline) -> Vec<Column> {
    let pairs = |f: fn(&Amount) -> rust_decimal::Decimal, c: &guanxi_services::pipeline::Column| {
        c.amounts
            .iter()
            .map(|a| (a.currency.clone(), f(a)))
            .collect::<Vec<_>>()
    };
    p.columns
        .iter()
        .map(|c| Column {
            value: c.stage.clone(),
            label: c.label.clone(),
            count: c.count,
            sums: pairs(|a| a.sum, c),
            weighted: pairs(|a| a.weighted, c),
            cards: Vec::new(),
            filter: c.filter.clone(),
        })
        .collect()
}

/// One column per option of the picklist (retired ones while records hold them), then
/// records without a value or with one no longer offered.
async fn picklist_columns(
    crm: &Crm,
    v: &Viewer,
    full: &ObjectDef,
    field: &FieldDef,
    sum: Option<&FieldDef>,
    user_filter: Option<&str>,
) -> Result<Vec<Column>, ServiceError> {
    let totals = crm
        .totals(
            &v.actor,
            &full.name,
            user_filter,
            &field.name,
            sum.map(|f| f.name.as_str()),
            None,
        )
        .await?;
    let columns: Vec<Column> = field
        .options
        .iter()
        // A retired value keeps its column (and label) while records still hold it.
        .filter(|o| {
            o.active
                || totals
                    .iter()
                    .any(|t| t.count > 0 && t.key.as_deref() == Some(o.value.as_str()))
        })
        .map(|o| (Some(o.value.clone()), o.label.get(v.locale).to_string()))
        .collect::<Vec<_>>()
        .into_iter()
        .chain(
            // Records without a value, or with one no longer offered, get columns too.
            totals
                .iter()
                .filter(|t| {
                    t.count > 0
                        && t.key
                            .as_ref()
                            .is_none_or(|k| !field.options.iter().any(|o| &o.value == k))
                })
                .map(|t| {
                    (
                        t.key.clone(),
                        t.key.clone().unwrap_or_else(|| t_no_value(v.locale)),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .fold(Vec::new(), |mut acc: Vec<Column>, (value, label)| {
            if !acc.iter().any(|c| c.value == value) {
                let own = match &value {
                    Some(x) => format!("{} eq {}", field.name, guanxi_core::query::quote(x)),
                    None => format!("{} is_null", field.name),
                };
                let filter = match user_filter {
                    Some(u) => format!("({u}) and {own}"),
                    None => own,
                };
                let of: Vec<&Total> = totals.iter().filter(|t| t.key == value).collect();
                acc.push(Column {
                    weighted: Vec::new(),
                    count: of.iter().map(|t| t.count).sum(),
                    sums: of
                        .iter()
                        .filter_map(|t| Some((t.currency.clone().unwrap_or_default(), t.sum?)))
                        .collect(),
                    value,
                    label,
                    cards: Vec::new(),
                    filter,
                });
            }
            acc
        });
    Ok(columns)
}

pub(super) fn money(f: &FieldDef, amount: rust_decimal::Decimal, currency: &str, v: &Viewer) -> String {
    display(
        f,
        &Value::Money {
            amount,
            currency: currency.to_string(),
        },
        v.fmt(),
    )
}

/// Whole days since the opportunity entered its stage.
fn days_in_stage(full: &ObjectDef, r: &Record, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    match r.get(full, process::STAGE_ENTERED) {
        Some(Value::DateTime(at)) => Some((now - *at).num_days().max(0)),
        _ => None,
    }
}

/// The open pipeline of the process and how fast it turns into won business.
fn summary(v: &Viewer, amount: &FieldDef, s: &ProcessView) -> Markup {
    let locale = v.locale;
    let p = &s.pipeline;
    html! {
        section.pipeline-summary aria-label=(t(locale, Msg::UiOpenPipeline)) {
            p {
                strong { (t(locale, Msg::UiOpenPipeline)) } " "
                (Msg::UiRecordCount.format(locale, &[("count", &p.open_count.to_string())]))
                @for a in &p.open {
                    " · " span.psum { (money(amount, a.sum, &a.currency, v)) }
                    " · " span.pweighted { (t(locale, Msg::UiWeightedTotal)) " " (money(amount, a.weighted, &a.currency, v)) }
                }
            }
            @if let Some(vel) = &s.velocity {
                p.hint.pvelocity {
                    (Msg::UiVelocitySummary.format(locale, &[
                        ("days", &vel.days.to_string()),
                        ("won", &vel.won.to_string()),
                        ("lost", &vel.lost.to_string()),
                        ("rate", &vel.win_rate.map(|r| r.to_string()).unwrap_or_else(|| "—".into())),
                        ("cycle", &vel.average_cycle_days.map(|c| c.to_string()).unwrap_or_else(|| "—".into())),
                    ]))
                    @for c in vel.currencies.iter().filter(|c| c.per_day.is_some()) {
                        " · " (Msg::UiVelocityPerDay.format(locale, &[("amount", &money(amount, c.per_day.unwrap_or_default(), &c.currency, v))]))
                    }
                }
            }
        }
    }
}

fn t_no_value(locale: Locale) -> String {
    t(locale, Msg::UiNoValue).to_string()
}

fn board_query(field: &str, filter: Option<&str>, process: Option<&str>) -> String {
    let mut q = format!("?field={}", pages::enc(field));
    if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
        q.push_str(&format!("&filter={}", pages::enc(f)));
    }
    if let Some(p) = process.filter(|p| !p.trim().is_empty()) {
        q.push_str(&format!("&process={}", pages::enc(p)));
    }
    q
}

/// What the page draws the board of.
struct Board<'a> {
    full: &'a ObjectDef,
    object: &'a ObjectDef,
    field: &'a FieldDef,
    sum: Option<&'a FieldDef>,
    params: &'a BoardParams,
    process: Option<&'a ProcessView>,
    now: chrono::DateTime<chrono::Utc>,
}

fn page(
    v: &Viewer,
    schema: &Schema,
    board: &Board<'_>,
    columns: &[Column],
    errors: Option<&[guanxi_core::FieldError]>,
) -> Markup {
    let Board {
        full,
        object,
        field,
        sum,
        params,
        process: shown,
        now,
    } = *board;
    let locale = v.locale;
    let filter = params.filter.as_deref().unwrap_or("");
    let process_name = shown
        .map(|s| s.pipeline.process.as_str())
        .or(params.process.as_deref());
    let base = format!("/o/{}", object.plural);
    let here = format!(
        "{base}/board{}",
        board_query(&field.name, Some(filter), process_name)
    );
    let title = format!(
        "{} · {}",
        object.plural_label.get(locale),
        t(locale, Msg::UiBoard)
    );
    let groupable: Vec<&FieldDef> = object
        .fields
        .iter()
        .filter(|f| f.field_type == FieldType::Picklist)
        .collect();
    let date = object
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::Date && !f.system);
    let process_error = errors.and_then(|e| e.iter().find(|e| e.field == process::PROCESS));
    let filter_error = errors.and_then(|e| e.iter().find(|e| e.field != process::PROCESS));
    // The columns a card can move to with its buttons: those with a value.
    let targets: Vec<(usize, &Column)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.value.is_some())
        .collect();
    let content = html! {
        div.titlebar {
            h1 { (title) }
            div.actions {
                a href={ (base) (if filter.is_empty() { String::new() } else { format!("?filter={}", pages::enc(filter)) }) } { (t(locale, Msg::UiListView)) }
                a.button href={ (base) "/new" } { (t(locale, Msg::UiNew)) }
            }
        }
        form.filter method="get" action={ (base) "/board" } role="search" {
            div.field.narrow {
                label for="group" { (t(locale, Msg::UiGroupBy)) }
                select #group name="field" {
                    @for g in &groupable {
                        option value=(g.name) selected[g.name == field.name] { (g.label.get(locale)) }
                    }
                }
            }
            @if let Some(s) = shown {
                div.field.narrow {
                    label for="process" { (t(locale, Msg::UiSalesProcess)) }
                    select #process name="process" aria-invalid=[process_error.map(|_| "true")] {
                        @for c in &s.pipeline.processes {
                            option value=(c.name) selected[c.name == s.pipeline.process] { (c.label) }
                        }
                    }
                }
            } @else if let Some(e) = process_error {
                div.field.narrow {
                    label for="process" { (t(locale, Msg::UiSalesProcess)) }
                    input #process name="process" value=(params.process.as_deref().unwrap_or("")) aria-invalid="true" aria-describedby="process-error";
                    p.error #process-error role="alert" { (e.message(locale)) }
                }
            }
            (pages::filter_field(locale, filter, filter_error, Msg::UiBoardHint))
            button.primary type="submit" { (t(locale, Msg::UiApply)) }
        }
        @if let (Some(s), Some(f)) = (shown, sum) {
            (summary(v, f, s))
        }
        p #board-status .status role="status" aria-live="polite" {}
        div.board data-plural=(object.plural) data-field=(field.name) {
            @for (i, col) in columns.iter().enumerate() {
                section.kcol data-value=(col.value.clone().unwrap_or_default()) aria-labelledby={ "col-" (i) } {
                    header {
                        h2 id={ "col-" (i) } { (col.label) }
                        p.ktotal {
                            span.kcount { (Msg::UiRecordCount.format(locale, &[("count", &col.count.to_string())])) }
                            @for (currency, amount) in &col.sums {
                                @if let Some(f) = sum {
                                    " · " span.ksum { (money(f, *amount, currency, v)) }
                                }
                            }
                            @for (currency, amount) in &col.weighted {
                                @if let Some(f) = sum {
                                    br;
                                    span.kweighted { (t(locale, Msg::UiWeightedTotal)) " " (money(f, *amount, currency, v)) }
                                }
                            }
                        }
                    }
                    ol.kcards {
                        @for r in &col.cards {
                            @let id = r.id().unwrap_or_default();
                            @let name = display(object.field(&object.name_field).unwrap_or(field), field_value(full, r, &object.name_field), v.fmt());
                            li.kcard draggable="true" data-id=(id) data-version=(r.version()) data-name=(name) {
                                a href={ (base) "/" (id) } { @if name.is_empty() { "—" } @else { (name) } }
                                @if let Some(f) = sum {
                                    @let shown = display(f, field_value(full, r, &f.name), v.fmt());
                                    @if !shown.is_empty() { p.kamount { (shown) } }
                                }
                                @if let Some(d) = date {
                                    @let shown = display(d, field_value(full, r, &d.name), v.fmt());
                                    @if !shown.is_empty() { p.hint { (d.label.get(locale)) " " (shown) } }
                                }
                                @if shown.is_some() {
                                    @if let Some(days) = days_in_stage(full, r, now) {
                                        p.hint.kdays { (Msg::UiStageDaysIn.format(locale, &[("days", &days.to_string())])) }
                                    }
                                }
                                form.kmove method="post" action={ (base) "/" (id) "/set" } {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    input type="hidden" name="field" value=(field.name);
                                    input type="hidden" name="version" value=(r.version());
                                    input type="hidden" name="back" value=(here);
                                    @let at = targets.iter().position(|(j, _)| *j == i);
                                    @let prev = match at { Some(p) if p > 0 => targets.get(p - 1), None => targets.last(), _ => None };
                                    @let next = match at { Some(p) => targets.get(p + 1), None => None };
                                    @if let Some((_, c)) = prev {
                                        button.arrow type="submit" name=(field.name) value=(c.value.clone().unwrap_or_default())
                                            aria-label=(Msg::UiMoveTo.format(locale, &[("value", &c.label)])) title=(Msg::UiMoveTo.format(locale, &[("value", &c.label)])) { "◀" }
                                    }
                                    @if let Some((_, c)) = next {
                                        button.arrow type="submit" name=(field.name) value=(c.value.clone().unwrap_or_default())
                                            aria-label=(Msg::UiMoveTo.format(locale, &[("value", &c.label)])) title=(Msg::UiMoveTo.format(locale, &[("value", &c.label)])) { "▶" }
                                    }
                                }
                            }
                        }
                    }
                    @if col.count > col.cards.len() as i64 {
                        a.more href={ (base) "?filter=" (pages::enc(&col.filter)) } {
                            (Msg::UiMoreInColumn.format(locale, &[("count", &(col.count - col.cards.len() as i64).to_string())]))
                        }
                    }
                }
            }
        }
    };
    layout(
        locale,
        Some(v),
        Some(schema),
        Some(&object.name),
        &here,
        &title,
        content,
    )
}

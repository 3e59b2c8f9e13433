//! The kanban board of an object: one column per value of a picklist field (an
//! opportunity's stage by default), each with its count and sum over every matching record
//! the viewer may read, and its first cards. A card moves by drag and drop (the page
//! script) or by its arrow buttons (plain forms): both post the version the board showed.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::metadata::FieldType;
use guanxi_core::values::Record;
use guanxi_core::{FieldDef, Locale, Msg, ObjectDef, Schema};
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
}

/// One column: the value (none: records without one), its totals and first cards.
struct Column {
    value: Option<String>,
    label: String,
    count: i64,
    sums: Vec<(String, rust_decimal::Decimal)>,
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
    let totals = match crm
        .totals(
            &v.actor,
            &full.name,
            user_filter,
            &field.name,
            sum.as_ref().map(|f| f.name.as_str()),
        )
        .await
    {
        Ok(t) => t,
        Err(ServiceError::Validation(errors)) => {
            let page = page(
                &v,
                &schema,
                &full,
                &visible,
                &field,
                sum.as_ref(),
                &params,
                &[],
                Some(&errors),
            );
            return html(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let mut columns: Vec<Column> = field
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
    let page = page(
        &v,
        &schema,
        &full,
        &visible,
        &field,
        sum.as_ref(),
        &params,
        &columns,
        None,
    );
    html(StatusCode::OK, page)
}

fn t_no_value(locale: Locale) -> String {
    t(locale, Msg::UiNoValue).to_string()
}

fn board_query(field: &str, filter: Option<&str>) -> String {
    let mut q = format!("?field={}", pages::enc(field));
    if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
        q.push_str(&format!("&filter={}", pages::enc(f)));
    }
    q
}

#[allow(clippy::too_many_arguments)]
fn page(
    v: &Viewer,
    schema: &Schema,
    full: &ObjectDef,
    object: &ObjectDef,
    field: &FieldDef,
    sum: Option<&FieldDef>,
    params: &BoardParams,
    columns: &[Column],
    errors: Option<&[guanxi_core::FieldError]>,
) -> Markup {
    let locale = v.locale;
    let filter = params.filter.as_deref().unwrap_or("");
    let base = format!("/o/{}", object.plural);
    let here = format!("{base}/board{}", board_query(&field.name, Some(filter)));
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
    let filter_error = errors.and_then(|e| e.first());
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
            (pages::filter_field(locale, filter, filter_error, Msg::UiBoardHint))
            button.primary type="submit" { (t(locale, Msg::UiApply)) }
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
                                    " · " span.ksum { (display(f, &guanxi_core::values::Value::Money { amount: *amount, currency: currency.clone() }, v.fmt())) }
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

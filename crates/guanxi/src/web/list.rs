//! List views of every object: the columns a user picks, filter and sort in the query
//! language, keyset paging, saved views (personal, or shared by an administrator), a
//! cell edited in place, bulk actions on the selected rows and export of what is shown.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::metadata::FieldType;
use guanxi_core::{FieldDef, FieldError, Msg, ObjectDef};
use guanxi_services::records::{Change, ListQuery, Page};
use guanxi_services::views::{SavedView, ViewSpec};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{self, display, enc, field_value, layout, list_columns, t};
use super::{Viewer, editable_fields, failure, form_input, html, posted, posted_record};

/// What a list page shows, from its address: `filter`, `sort`, `cursor`, a saved `view`
/// and the chosen columns (`col`, repeated). Explicit values win over the view's.
#[derive(Debug, Default, Clone)]
pub(crate) struct ListParams {
    pub filter: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub view: Option<String>,
    pub columns: Vec<String>,
}

impl ListParams {
    pub(crate) fn parse(raw: Option<&str>) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "filter" => p.filter = Some(v),
                "sort" => p.sort = Some(v),
                "cursor" => p.cursor = Some(v),
                "view" => p.view = Some(v).filter(|v| !v.is_empty()),
                "col" => p.columns.push(v),
                _ => {}
            }
        }
        p
    }

    /// This list's address with another cursor, sort or view.
    fn href(&self, base: &str, sort: Option<&str>, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.view {
            parts.push(format!("view={}", enc(v)));
        }
        if let Some(f) = self.filter.as_deref() {
            parts.push(format!("filter={}", enc(f)));
        }
        if let Some(s) = sort.filter(|s| !s.is_empty()) {
            parts.push(format!("sort={}", enc(s)));
        }
        for c in &self.columns {
            parts.push(format!("col={}", enc(c)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", enc(c)));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

/// The list as shown: the parameters with a saved view's filled in, and the columns.
struct Shown<'a> {
    params: ListParams,
    columns: Vec<&'a FieldDef>,
    view: Option<SavedView>,
}

fn shown<'a>(object: &'a ObjectDef, params: &ListParams, view: Option<SavedView>) -> Shown<'a> {
    let mut p = params.clone();
    if let Some(v) = &view {
        if p.filter.is_none() {
            p.filter = v.spec.filter.clone();
        }
        if p.sort.is_none() {
            p.sort = v.spec.sort.clone();
        }
    }
    let wanted: Vec<String> = match (&view, params.columns.is_empty()) {
        (_, false) => params.columns.clone(),
        (Some(v), true) => v.spec.columns.clone(),
        (None, true) => Vec::new(),
    };
    let mut columns: Vec<&FieldDef> = wanted.iter().filter_map(|c| object.field(c)).collect();
    if columns.is_empty() {
        columns = list_columns(object);
    }
    // The record's name always leads: it is the link to the record.
    if let Some(name) = object.field(&object.name_field) {
        columns.retain(|c| c.name != name.name);
        columns.insert(0, name);
    }
    Shown {
        params: p,
        columns,
        view,
    }
}

pub(super) async fn list(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (v, full) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let params = ListParams::parse(raw.as_deref());
    let view = match params.view.as_deref().map(Uuid::parse_str) {
        None => None,
        Some(Ok(id)) => match crm.view(&v.actor, id).await {
            Ok(view) if view.object == full.name => Some(view),
            Ok(_) | Err(ServiceError::NotFound) => {
                return failure(ServiceError::NotFound, v.locale, Some(&v));
            }
            Err(e) => return failure(e, v.locale, Some(&v)),
        },
        Some(Err(_)) => return failure(ServiceError::NotFound, v.locale, Some(&v)),
    };
    let visible = crm.visible_object(&v.actor, &full);
    let shown = shown(&visible, &params, view);
    let q = ListQuery {
        filter: shown.params.filter.clone(),
        sort: shown.params.sort.clone(),
        cursor: shown.params.cursor.clone(),
        limit: Some(50),
        deleted: false,
        few: false,
    };
    let views = match crm.views(&v.actor, &full.name).await {
        Ok(vs) => vs,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let ctx = Context {
        crm: &crm,
        v: &v,
        full: &full,
        visible: &visible,
        views: &views,
    };
    match crm.list(&v.actor, &full.name, &q).await {
        Ok(page) => html(StatusCode::OK, ctx.page(&shown, &page, None).await),
        Err(ServiceError::Validation(errors)) => {
            let empty = Page {
                records: Vec::new(),
                next_cursor: None,
            };
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.page(&shown, &empty, Some(&errors)).await,
            )
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

struct Context<'a> {
    crm: &'a Crm,
    v: &'a Viewer,
    full: &'a ObjectDef,
    visible: &'a ObjectDef,
    views: &'a [SavedView],
}

impl Context<'_> {
    async fn page(&self, shown: &Shown<'_>, page: &Page, errors: Option<&[FieldError]>) -> Markup {
        let editable = editable_fields(self.crm, &self.v.actor, self.full);
        let users = super::user_choices(self.crm).await;
        // Lookup columns show the linked records' names (those the viewer may read).
        let schema = self.crm.schema();
        let mut names = HashMap::new();
        for c in shown.columns.iter().filter(|c| c.field_type == FieldType::Lookup) {
            let Some(target) = c.target.as_deref().and_then(|t| schema.object(t)) else {
                continue;
            };
            let ids: Vec<Uuid> = page
                .records
                .iter()
                .filter_map(|r| match field_value(self.full, r, &c.name) {
                    guanxi_core::values::Value::Uuid(id) => Some(*id),
                    _ => None,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            names.extend(super::lookup::names(self.crm, self.v, target, &ids).await);
        }
        names.extend(users.iter().cloned());
        // Customers show their tier beside their name.
        let customers: Vec<Uuid> = shown
            .columns
            .iter()
            .filter(|c| c.field_type == FieldType::Lookup && c.target.as_deref() == Some("account"))
            .flat_map(|c| {
                page.records
                    .iter()
                    .filter_map(|r| match field_value(self.full, r, &c.name) {
                        guanxi_core::values::Value::Uuid(id) => Some(*id),
                        _ => None,
                    })
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let tiers = super::tier_labels(self.crm, self.v, &customers).await;
        render(self, shown, page, errors, &editable, &users, &names, &tiers)
    }
}

/// Fields a bulk action may set: editable, one plain value each.
fn settable(editable: &[FieldDef]) -> impl Iterator<Item = &FieldDef> {
    editable
        .iter()
        .filter(|f| !matches!(f.field_type, FieldType::Money | FieldType::User) && f.name != "owner")
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Context<'_>,
    shown: &Shown<'_>,
    page: &Page,
    errors: Option<&[FieldError]>,
    editable: &[FieldDef],
    users: &[(Uuid, String)],
    names: &HashMap<Uuid, String>,
    tiers: &HashMap<Uuid, String>,
) -> Markup {
    let (v, object, full) = (ctx.v, ctx.visible, ctx.full);
    let locale = v.locale;
    let params = &shown.params;
    let cols = &shown.columns;
    let filter = params.filter.as_deref().unwrap_or("");
    let sort = params.sort.as_deref().unwrap_or("");
    let base = format!("/o/{}", object.plural);
    let here = params.href(&base, Some(sort), params.cursor.as_deref());
    let filter_error = errors.and_then(|e| e.iter().find(|f| f.field.starts_with("filter")));
    let other_error = errors.and_then(|e| e.iter().find(|f| !f.field.starts_with("filter")));
    let title = match &shown.view {
        Some(view) => format!("{} · {}", object.plural_label.get(locale), view.name),
        None => object.plural_label.get(locale).to_string(),
    };
    let has_board = object.fields.iter().any(|f| f.field_type == FieldType::Picklist);
    let choosable: Vec<&FieldDef> = object
        .fields
        .iter()
        .filter(|f| !matches!(f.name.as_str(), "id" | "version" | "deleted_at"))
        .collect();
    let export = {
        let mut q = Vec::new();
        if !filter.is_empty() {
            q.push(format!("filter={}", enc(filter)));
        }
        if !sort.is_empty() {
            q.push(format!("sort={}", enc(sort)));
        }
        q.push(format!(
            "fields={}",
            enc(&cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","))
        ));
        format!("/api/v1/{}/export?{}", object.plural, q.join("&"))
    };
    let editable_names: Vec<&str> = editable.iter().map(|f| f.name.as_str()).collect();
    let content = html! {
        div.titlebar {
            h1 { (title) }
            div.actions {
                @if has_board { a href={ (base) "/board" } { (t(locale, Msg::UiBoard)) } }
                a href={ (base) "/bin" } { (t(locale, Msg::UiRecycleBin)) }
                @if guanxi_services::dedupe::kind_of(object).is_some() { a href={ (base) "/duplicates" } { (t(locale, Msg::UiDuplicates)) } }
                a href={ (export) "&format=csv" } download { (t(locale, Msg::UiExport)) " CSV" }
                a href={ (export) "&format=xlsx" } download { (t(locale, Msg::UiExport)) " XLSX" }
                @if object.name == "contact" { a href={ (export) "&format=vcf" } download { (t(locale, Msg::UiExport)) " vCard" } }
                a href={ "/o/" (object.plural) "/import" } { (t(locale, Msg::UiImport)) }
                a.button href={ (base) "/new" } { (t(locale, Msg::UiNew)) }
            }
        }
        nav.views aria-label=(t(locale, Msg::UiViews)) {
            ul {
                li { a href=(base) aria-current=[shown.view.is_none().then_some("page")] { (t(locale, Msg::UiAllRecords)) } }
                @for view in ctx.views {
                    li {
                        a href={ (base) "?view=" (view.id) }
                          aria-current=[(shown.view.as_ref().map(|s| s.id) == Some(view.id)).then_some("page")] {
                            (view.name)
                            @if view.shared { " " span title=(t(locale, Msg::UiSharedView)) { "⁂" } }
                        }
                    }
                }
            }
        }
        form.filter method="get" action=(base) role="search" {
            @if let Some(view) = &shown.view { input type="hidden" name="view" value=(view.id); }
            (pages::filter_field(locale, filter, filter_error, Msg::UiFilterHint))
            @if !sort.is_empty() { input type="hidden" name="sort" value=(sort); }
            button.primary type="submit" { (t(locale, Msg::UiApply)) }
            @if !filter.is_empty() { a.button href={ (base) @if let Some(view) = &shown.view { "?view=" (view.id) } } { (t(locale, Msg::UiClear)) } }
            details.columns {
                summary { (t(locale, Msg::UiColumns)) }
                fieldset {
                    legend.vh { (t(locale, Msg::UiColumns)) }
                    @for f in &choosable {
                        label.check {
                            input type="checkbox" name="col" value=(f.name) checked[cols.iter().any(|c| c.name == f.name)];
                            " " (f.label.get(locale))
                        }
                    }
                }
            }
        }
        details.save-view {
            summary { (t(locale, Msg::UiSaveView)) }
            form.inline method="post" action={ (base) "/views" } {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="filter" value=(filter);
                input type="hidden" name="sort" value=(sort);
                input type="hidden" name="columns" value=(cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","));
                div.field {
                    label for="view-name" { (t(locale, Msg::UiViewName)) }
                    input #view-name type="text" name="name" maxlength="100" required;
                }
                @if v.actor.is_admin {
                    label.check { input type="checkbox" name="shared" value="true"; " " (t(locale, Msg::UiSharedView)) }
                }
                button.primary type="submit" { (t(locale, Msg::UiSave)) }
            }
            @if let Some(view) = &shown.view {
                @if view.owner_id == v.actor.user_id || (view.shared && v.actor.is_admin) {
                    form.inline method="post" action={ (base) "/views/" (view.id) "/delete" } {
                        input type="hidden" name="csrf" value=(v.csrf);
                        button.secondary type="submit" { (t(locale, Msg::UiDeleteView)) }
                    }
                }
            }
        }
        @if let Some(e) = other_error {
            p.error role="alert" { (e.field) ": " (e.message(locale)) }
        }
        @if page.records.is_empty() {
            p.empty { (t(locale, Msg::UiNoRecords)) }
        } @else {
            // The row boxes belong to the bulk form below through their `form` attribute:
            // a cell's in-place editor is a form of its own and forms cannot nest.
            table.records {
                    thead {
                        tr {
                            th.pick scope="col" {
                                input.select-all type="checkbox" aria-label=(t(locale, Msg::UiSelectAll));
                            }
                            @for c in cols {
                                th scope="col" {
                                    @if c.indexed || c.unique || c.system {
                                        @let next = if sort == c.name { format!("-{}", c.name) } else { c.name.clone() };
                                        a href=(params.href(&base, Some(&next), None))
                                          title=(Msg::UiSortBy.format(locale, &[("field", c.label.get(locale))])) {
                                            (c.label.get(locale))
                                            @if sort == c.name { " ▲" } @else if sort.strip_prefix('-') == Some(c.name.as_str()) { " ▼" }
                                        }
                                    } @else {
                                        (c.label.get(locale))
                                    }
                                }
                            }
                        }
                    }
                    tbody {
                        @for r in &page.records {
                            @let id = r.id().unwrap_or_default();
                            @let name = display(cols[0], field_value(full, r, &cols[0].name), v.fmt());
                            tr {
                                td.pick {
                                    input.select-row type="checkbox" form="bulk" name="ids" value={ (id) ":" (r.version()) }
                                        aria-label=(Msg::UiSelectRecord.format(locale, &[("name", &name)]));
                                }
                                @for (i, c) in cols.iter().enumerate() {
                                    td data-label=(c.label.get(locale)) {
                                        @let shown_value = display(c, field_value(full, r, &c.name), v.fmt());
                                        @if i == 0 {
                                            a.v href={ (base) "/" (id) } {
                                                @if shown_value.is_empty() { "—" } @else { (shown_value) }
                                            }
                                        } @else if c.field_type == FieldType::User || c.field_type == FieldType::Lookup {
                                            span.v { (name_or_id(names, field_value(full, r, &c.name), &shown_value)) }
                                            @if let (Some("account"), guanxi_core::values::Value::Uuid(to)) = (c.target.as_deref(), field_value(full, r, &c.name)) {
                                                @if let Some(tier) = tiers.get(to) { " " span.tier { (tier) } }
                                            }
                                        } @else {
                                            span.v { (shown_value) }
                                        }
                                        @if editable_names.contains(&c.name.as_str()) {
                                            a.cell-edit href={ (base) "/" (id) "/edit#f-" (c.name) }
                                              aria-label=(Msg::UiEditField.format(locale, &[("field", c.label.get(locale))])) { "✎" }
                                        }
                                    }
                                }
                            }
                        }
                    }
            }
            form #bulk method="post" action={ (base) "/bulk" } {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="back" value=(here);
                (bulk_bar(v, full, editable, users))
            }
        }
        nav.pager {
            @if params.cursor.is_some() {
                a href=(params.href(&base, Some(sort), None)) { (t(locale, Msg::UiFirstPage)) }
            }
            @if let Some(c) = &page.next_cursor {
                a rel="next" href=(params.href(&base, Some(sort), Some(c))) { (t(locale, Msg::UiNextPage)) }
            }
        }
    };
    layout(
        locale,
        Some(v),
        Some(&ctx.crm.schema()),
        Some(&object.name),
        &here,
        &title,
        content,
    )
}

/// A user or lookup column shows the name; an id the viewer may not resolve stays an id.
fn name_or_id(names: &HashMap<Uuid, String>, value: &guanxi_core::values::Value, shown: &str) -> String {
    match value {
        guanxi_core::values::Value::Uuid(id) => names.get(id).cloned().unwrap_or_else(|| shown.to_string()),
        _ => shown.to_string(),
    }
}

/// What can be done with the selected rows: a new owner, one field set, delete.
fn bulk_bar(v: &Viewer, object: &ObjectDef, editable: &[FieldDef], users: &[(Uuid, String)]) -> Markup {
    let locale = v.locale;
    let may_own = editable.iter().any(|f| f.name == "owner");
    html! {
        fieldset.bulk {
            legend { (t(locale, Msg::UiWithSelected)) }
            @if may_own {
                div.bulk-row {
                    label for="bulk-owner" { (t(locale, Msg::UiChangeOwner)) }
                    select #bulk-owner name="owner" {
                        @for (id, name) in users { option value=(id) { (name) } }
                    }
                    button.primary type="submit" name="action" value="owner" { (t(locale, Msg::UiApplyToSelected)) }
                }
            }
            div.bulk-row {
                label for="bulk-field" { (t(locale, Msg::UiSetField)) }
                select #bulk-field name="field" {
                    @for f in settable(editable) { option value=(f.name) { (f.label.get(locale)) } }
                }
                label for="bulk-value" { (t(locale, Msg::UiValue)) }
                input #bulk-value type="text" name="value";
                button.primary type="submit" name="action" value="set" { (t(locale, Msg::UiApplyToSelected)) }
            }
            div.bulk-row {
                @if guanxi_services::dedupe::mergeable_object(object) {
                    button.secondary type="submit" name="action" value="merge" { (t(locale, Msg::UiMergeSelected)) }
                    " "
                }
                button.secondary type="submit" name="action" value="delete" { (t(locale, Msg::UiBulkDeleteConfirm)) }
            }
        }
    }
}

/// `POST /o/{plural}/bulk`: the action on every selected record, each at the version the
/// list showed; a record changed meanwhile, or one the user may not change, is reported
/// and left alone while the others are done.
pub(super) async fn bulk(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form: HashMap<String, String> = pairs.iter().cloned().collect();
    let (v, object, _) = match posted(&crm, &headers, &plural, &form, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let locale = v.locale;
    let back = super::edit::safe_back(form.get("back"), &format!("/o/{}", object.plural));
    let selected: Vec<(Uuid, i64)> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, x)| {
            let (id, version) = x.split_once(':')?;
            Some((Uuid::parse_str(id).ok()?, version.parse().ok()?))
        })
        .collect();
    if selected.is_empty() {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::notice(&v, t(locale, Msg::UiNothingSelected), &back),
        );
    }
    // Merging opens the merge page for the records picked.
    if form.get("action").map(String::as_str) == Some("merge") {
        let ids: Vec<String> = selected.iter().map(|(id, _)| id.to_string()).collect();
        return Redirect::to(&format!("/o/{}/merge?ids={}", object.plural, ids.join(","))).into_response();
    }
    let editable = editable_fields(&crm, &v.actor, &object);
    let patch = match form.get("action").map(String::as_str) {
        Some("owner") => {
            let mut m = serde_json::Map::new();
            m.insert(
                "owner".into(),
                form.get("owner").cloned().unwrap_or_default().into(),
            );
            Some(m)
        }
        Some("set") => {
            let name = form.get("field").map(String::as_str).unwrap_or("");
            let Some(field) = settable(&editable).find(|f| f.name == name) else {
                let text = FieldError::new("field", Msg::UnknownField).message(locale);
                return html(StatusCode::UNPROCESSABLE_ENTITY, pages::notice(&v, &text, &back));
            };
            let value = form.get("value").cloned().unwrap_or_default();
            let input = HashMap::from([(field.name.clone(), value)]);
            Some(form_input(&v, std::slice::from_ref(field), &input, false))
        }
        Some("delete") => None,
        _ => {
            let text = FieldError::new("action", Msg::Required).message(locale);
            return html(StatusCode::UNPROCESSABLE_ENTITY, pages::notice(&v, &text, &back));
        }
    };
    let changes: Vec<Change> = selected
        .iter()
        .map(|&(id, version)| match &patch {
            Some(p) => Change::Update {
                id,
                version: Some(version),
                patch: p.clone(),
            },
            None => Change::Delete {
                id,
                version: Some(version),
            },
        })
        .collect();
    let results = match crm.apply(&v.actor, &object.name, changes).await {
        Ok(r) => r,
        Err(e) => return failure(e, locale, Some(&v)),
    };
    let mut done = 0;
    let mut failed = Vec::new();
    for ((id, _), r) in selected.iter().zip(results) {
        match r {
            Ok(_) => done += 1,
            Err(e) => failed.push((*id, reason(&e, locale))),
        }
    }
    if failed.is_empty() {
        return Redirect::to(&back).into_response();
    }
    let status = if done == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(status, bulk_result(&v, &object, done, &failed, &back))
}

/// Why one record of a bulk action was left alone, for a person.
fn reason(e: &ServiceError, locale: guanxi_core::Locale) -> String {
    match e {
        ServiceError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message(locale)))
            .collect::<Vec<_>>()
            .join("; "),
        ServiceError::Conflict { current } => {
            Msg::UiConflict.format(locale, &[("current", &current.to_string())])
        }
        ServiceError::Forbidden(m) => m.text(locale).to_string(),
        ServiceError::NotFound => Msg::DetailNotFound.text(locale).to_string(),
        _ => Msg::DetailInternal.text(locale).to_string(),
    }
}

fn bulk_result(v: &Viewer, object: &ObjectDef, done: usize, failed: &[(Uuid, String)], back: &str) -> Markup {
    let locale = v.locale;
    let title = Msg::UiBulkDone.format(locale, &[("count", &done.to_string())]);
    let content = html! {
        div.card {
            h1 { (title) }
            p.error role="alert" { (Msg::UiBulkFailed.format(locale, &[("count", &failed.len().to_string())])) }
            ul {
                @for (id, why) in failed {
                    li { a href={ "/o/" (object.plural) "/" (id) } { (id) } ": " (why) }
                }
            }
            p { a href=(back) { (t(locale, Msg::UiBackToList)) } }
        }
    };
    layout(locale, Some(v), None, Some(&object.name), back, &title, content)
}

/// `POST /o/{plural}/views`: saves what the list shows as a named view.
pub(super) async fn save_view(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, _) = match posted(&crm, &headers, &plural, &form, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let text = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let spec = ViewSpec {
        columns: text("columns")
            .map(|c| c.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        filter: text("filter"),
        sort: text("sort"),
    };
    let name = form.get("name").cloned().unwrap_or_default();
    let shared = form.get("shared").is_some_and(|s| s == "true");
    let back = format!("/o/{}", object.plural);
    match crm
        .save_view(&v.actor, &object.name, None, &name, shared, spec)
        .await
    {
        Ok(view) => Redirect::to(&format!("{back}?view={}", view.id)).into_response(),
        Err(ServiceError::Validation(errors)) => {
            let text = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message(v.locale)))
                .collect::<Vec<_>>()
                .join(" ");
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::notice(&v, &Msg::UiNotSaved.format(v.locale, &[("reason", &text)]), &back),
            )
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `POST /o/{plural}/views/{id}/delete`.
pub(super) async fn delete_view(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match crm.delete_view(&v.actor, id).await {
        Ok(()) => Redirect::to(&format!("/o/{}", object.plural)).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

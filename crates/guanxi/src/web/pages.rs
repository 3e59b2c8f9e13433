//! Page templates. Everything user-facing goes through the message catalogue; values
//! are formatted for the page's language. maud escapes every interpolated value.

use guanxi_core::metadata::FieldType;
use guanxi_core::metadata::Label;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldDef, FieldError, Locale, Msg, ObjectDef, Schema};
use guanxi_services::layouts::Layout;
use guanxi_storage::system::HistoryRow;
use maud::{DOCTYPE, Markup, html};

use super::Viewer;

pub(super) const LANGS: [(Locale, &str); 3] = [
    (Locale::ZhCn, "简体中文"),
    (Locale::ZhTw, "繁體中文"),
    (Locale::En, "English"),
];

pub(super) fn t(locale: Locale, msg: Msg) -> &'static str {
    msg.text(locale)
}

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every page: header with modules, languages and the user; the content in `main`.
pub(super) fn layout(
    locale: Locale,
    viewer: Option<&Viewer>,
    schema: Option<&Schema>,
    current: Option<&str>,
    here: &str,
    title: &str,
    content: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(locale.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 关系 Guanxi" }
                link rel="stylesheet" href={ "/static/app.css?v=" (super::asset_version()) };
                script src={ "/static/app.js?v=" (super::asset_version()) } defer {}
            }
            body {
                a.skip href="#main" { (t(locale, Msg::UiSkipToContent)) }
                header.top {
                    a.brand href="/" { "关系 Guanxi" }
                    @if let Some(schema) = schema {
                        nav.modules aria-label=(t(locale, Msg::UiModules)) {
                            ul {
                                @for o in schema.objects().iter().filter(|o| guanxi_core::builtin::in_navigation(&o.name)) {
                                    li {
                                        a href={ "/o/" (o.plural) }
                                          aria-current=[(current == Some(o.name.as_str())).then_some("page")] {
                                            (o.plural_label.get(locale))
                                        }
                                    }
                                }
                            }
                        }
                        a.cal-link href="/calendar" aria-current=[here.starts_with("/calendar").then_some("page")] {
                            (t(locale, Msg::UiCalendar))
                        }
                        @if viewer.is_some_and(|v| v.actor.kind == guanxi_core::access::UserKind::Internal) {
                            a.cal-link href="/forecasts" aria-current=[here.starts_with("/forecasts").then_some("page")] {
                                (t(locale, Msg::UiForecasts))
                            }
                            a.cal-link href="/approvals" aria-current=[here.starts_with("/approvals").then_some("page")] {
                                (t(locale, Msg::UiApprovals))
                            }
                            a.cal-link href="/service" aria-current=[(here == "/service").then_some("page")] {
                                (t(locale, Msg::UiServiceMetrics))
                            }
                            a.cal-link href="/kb" aria-current=[here.starts_with("/kb").then_some("page")] {
                                (t(locale, Msg::UiKnowledgeBase))
                            }
                            a.cal-link href="/queues" aria-current=[here.starts_with("/queues").then_some("page")] {
                                (t(locale, Msg::UiQueues))
                            }
                            a.cal-link href="/jobs" aria-current=[here.starts_with("/jobs").then_some("page")] {
                                (t(locale, Msg::UiMyJobs))
                            }
                        }
                        @if let Some(v) = viewer {
                            a.cal-link.notices href="/notifications" aria-current=[here.starts_with("/notifications").then_some("page")] {
                                (t(locale, Msg::UiNotifications))
                                @if v.unread > 0 { " " span.badge { (v.unread) } }
                            }
                        }
                    }
                    @if viewer.is_some_and(|v| v.actor.kind != guanxi_core::access::UserKind::Portal) {
                        // Without JS a plain GET form; app.js adds results as the user types.
                        form.gx-search role="search" method="get" action="/search" {
                            label.visually-hidden for="gx-search" { (t(locale, Msg::UiSearch)) }
                            input #gx-search type="search" name="q" maxlength="200" autocomplete="off"
                                placeholder=(t(locale, Msg::UiSearchPlaceholder))
                                role="combobox" aria-expanded="false" aria-autocomplete="list"
                                aria-controls="gx-search-results";
                            button type="submit" { (t(locale, Msg::UiSearch)) }
                            ul #gx-search-results role="listbox" hidden {}
                        }
                    }
                    div.me {
                        ul.langs aria-label=(t(locale, Msg::UiLanguage)) {
                            @for (l, name) in LANGS {
                                li {
                                    a href={ "/lang/" (l.tag()) "?back=" (enc(here)) } lang=(l.tag())
                                      aria-current=[(l == locale).then_some("true")] { (name) }
                                }
                            }
                        }
                        @if let Some(v) = viewer {
                            @if v.actor.administers() { a href="/admin" { (t(locale, Msg::UiSetup)) } }
                            @if v.actor.kind == guanxi_core::access::UserKind::Portal {
                                // Customers hear of replies to the posts they follow.
                                a.notices href="/notifications" aria-current=[here.starts_with("/notifications").then_some("page")] {
                                    (t(locale, Msg::UiNotifications))
                                    @if v.unread > 0 { " " span.badge { (v.unread) } }
                                }
                                a.who href="/portal" { (v.actor.email) }
                            } @else {
                                a.who href="/settings" title=(t(locale, Msg::UiSettings)) { (v.actor.email) }
                            }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(v.csrf);
                                button.linkish type="submit" { (t(locale, Msg::UiSignOut)) }
                            }
                        }
                    }
                }
                main #main { (content) }
            }
        }
    }
}

/// The sign-in page; `register`: customers may ask for portal access (mail is sent).
pub(super) fn sign_in(locale: Locale, email: &str, error: Option<String>, register: bool) -> Markup {
    let title = t(locale, Msg::UiSignInTitle);
    let content = html! {
        div.signin.card {
            h1 { (title) }
            form method="post" action="/login" novalidate {
                div.field {
                    label for="email" { (t(locale, Msg::UiEmail)) }
                    input #email type="email" name="email" value=(email) autocomplete="username" required
                        aria-describedby=[error.as_ref().map(|_| "signin-error")];
                }
                div.field {
                    label for="password" { (t(locale, Msg::UiPassword)) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                @if let Some(e) = &error {
                    p.error #signin-error role="alert" { (e) }
                }
                button.primary type="submit" { (t(locale, Msg::UiSignIn)) }
            }
            @if register {
                p { a href="/portal/register" { (t(locale, Msg::UiPortalRegisterLink)) } }
            }
        }
    };
    layout(locale, None, None, None, "/login", title, content)
}

pub(super) fn message(locale: Locale, viewer: Option<&Viewer>, msg: Msg) -> Markup {
    let content = html! {
        div.card {
            p role="alert" { (t(locale, msg)) }
            p { a href="/" { (t(locale, Msg::UiBackToList)) } }
        }
    };
    layout(locale, viewer, None, None, "/", t(locale, msg), content)
}

/// The filter input of a list or board: its error beside it, else a hint.
pub(super) fn filter_field(locale: Locale, filter: &str, error: Option<&FieldError>, hint: Msg) -> Markup {
    html! {
        div.field {
            label for="filter" { (t(locale, Msg::UiFilter)) }
            input #filter type="search" name="filter" value=(filter)
                aria-describedby=(if error.is_some() { "filter-error" } else { "filter-hint" })
                aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error {
                p.error #filter-error role="alert" { (e.message(locale)) }
            } @else {
                p.hint #filter-hint { (t(locale, hint)) }
            }
        }
    }
}

/// A short message about something that did not happen, with the way back.
pub(super) fn notice(v: &Viewer, text: &str, back: &str) -> Markup {
    let locale = v.locale;
    let content = html! {
        div.card {
            p.error role="alert" { (text) }
            p { a href=(back) { (t(locale, Msg::UiBack)) } }
        }
    };
    layout(locale, Some(v), None, None, back, text, content)
}

/// The in-place editor of one cell: the record form's input for the field, the version
/// the page showed, save and cancel. A fragment the page script puts into the cell.
pub(super) fn cell_form(
    v: &Viewer,
    object: &ObjectDef,
    field: &FieldDef,
    id: uuid::Uuid,
    values: &std::collections::HashMap<String, String>,
    users: &[(uuid::Uuid, String)],
) -> Markup {
    let locale = v.locale;
    let value = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let input_id = format!("cell-{id}-{}", field.name);
    let err_id = format!("{input_id}-error");
    html! {
        form.cell-edit method="post" action={ "/o/" (object.plural) "/" (id) "/set" } novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            input type="hidden" name="field" value=(field.name);
            input type="hidden" name="version" value=(value("version"));
            label.vh for=(input_id) { (field.label.get(locale)) }
            (input(field, &input_id, value, Some(err_id.as_str()), false, locale, users))
            p.error id=(err_id) role="alert" {}
            button.primary type="submit" { (t(locale, Msg::UiSave)) }
            button.linkish.cancel type="button" { (t(locale, Msg::UiCancel)) }
        }
    }
}

/// The columns of a list: the name, then up to five indexed fields the user sees.
pub(super) fn list_columns(object: &ObjectDef) -> Vec<&FieldDef> {
    let mut cols: Vec<&FieldDef> = object.field(&object.name_field).into_iter().collect();
    // Whose record it is: the customer (with its tier) right after the name.
    cols.extend(
        object
            .field("account")
            .filter(|f| f.target.as_deref() == Some("account") && f.name != object.name_field),
    );
    cols.extend(
        object
            .fields
            .iter()
            .filter(|f| {
                !f.system
                    && f.name != object.name_field
                    && (f.indexed || f.unique)
                    && !matches!(f.field_type, FieldType::Lookup | FieldType::User | FieldType::Id)
            })
            .take(5),
    );
    cols
}

fn query_string(filter: Option<&str>, sort: Option<&str>, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(f) = filter.filter(|f| !f.is_empty()) {
        parts.push(format!("filter={}", enc(f)));
    }
    if let Some(s) = sort.filter(|s| !s.is_empty()) {
        parts.push(format!("sort={}", enc(s)));
    }
    if let Some(c) = cursor {
        parts.push(format!("cursor={}", enc(c)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A record's value of a field, looked up by name: records are full width, so the
/// position is the one in the whole object, not in what the viewer sees of it.
pub(super) fn field_value<'a>(full: &ObjectDef, record: &'a Record, name: &str) -> &'a Value {
    guanxi_core::values::field(full, record, name)
}

/// A text field's value as a page shows it (empty when none).
pub(super) fn text_of(object: &ObjectDef, record: &Record, name: &str) -> String {
    guanxi_core::values::field_text(object, record, name).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn record(
    v: &Viewer,
    schema: &Schema,
    full: &ObjectDef,
    visible: &ObjectDef,
    record: &Record,
    names: &std::collections::HashMap<uuid::Uuid, String>,
    tiers: &std::collections::HashMap<uuid::Uuid, String>,
    related: &[super::Related],
    page_layout: &Layout,
    extra: Markup,
) -> Markup {
    let locale = v.locale;
    let value = |name: &str| field_value(full, record, name);
    let name_field = visible.field(&visible.name_field);
    let title = name_field
        .map(|f| display(f, value(&f.name), v.fmt()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| visible.label.get(locale).to_string());
    let here = format!("/o/{}/{}", visible.plural, record.id().unwrap_or_default());
    let content = html! {
        p { a href={ "/o/" (visible.plural) } { "← " (visible.plural_label.get(locale)) } }
        div.titlebar {
            h1 {
                (title)
                @if let Some(tier) = record.id().and_then(|id| tiers.get(&id)) {
                    " " span.tier { (tier) }
                }
            }
            div.actions {
                a.button href={ (here) "/edit" } { (t(locale, Msg::UiEdit)) }
                form method="post" action={ (here) "/delete" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.secondary type="submit" { (t(locale, Msg::UiDelete)) }
                }
            }
        }
        // One card per layout section, with the fields of it the viewer may see.
        @for (n, section) in page_layout.sections.iter().enumerate() {
          @let shown: Vec<&FieldDef> = section.fields.iter().filter_map(|name| visible.field(name)).collect();
          @if !shown.is_empty() {
          section.card aria-labelledby={ "section-" (n) } {
            h2 id={ "section-" (n) } { (section.label.get(locale)) }
            dl.fields {
                @for f in shown {
                    dt { (f.label.get(locale)) }
                    dd {
                        @match (value(&f.name), f.target.as_deref()) {
                            (Value::Uuid(id), Some(target)) => {
                                @let label = names.get(id).cloned().unwrap_or_else(|| id.to_string());
                                @match schema.object(target) {
                                    Some(t) => a href={ "/o/" (t.plural) "/" (id) } { (label) },
                                    None => (label),
                                }
                                @if let Some(tier) = tiers.get(id).filter(|_| target == "account") {
                                    " " span.tier { (tier) }
                                }
                            }
                            (Value::Uuid(id), None) => (names.get(id).cloned().unwrap_or_else(|| id.to_string())),
                            (other, _) => (display(f, other, v.fmt())),
                        }
                    }
                }
            }
          }
          }
        }
        (extra)
        @for (n, r) in related.iter().enumerate() {
            @let more = related.iter().filter(|x| x.object.name == r.object.name).count() > 1;
            @let heading = if more {
                format!("{} · {}", r.object.plural_label.get(locale), r.field.label.get(locale))
            } else {
                r.object.plural_label.get(locale).to_string()
            };
            (records_section(v.fmt(), &format!("related-{n}"), &heading, r, "-created_at"))
        }
    };
    layout(
        locale,
        Some(v),
        Some(schema),
        Some(&visible.name),
        &here,
        &title,
        content,
    )
}

/// A titled card with a few records of a list and a link to the whole list.
fn records_section(fmt: Fmt, id: &str, heading: &str, r: &super::Related, sort: &str) -> Markup {
    let locale = fmt.locale;
    let cols: Vec<&FieldDef> = list_columns(&r.object).into_iter().take(4).collect();
    html! {
        section.card aria-labelledby=(id) {
            div.titlebar {
                h2 id=(id) { (heading) }
                @if r.page.next_cursor.is_some() {
                    a href={ "/o/" (r.object.plural) (query_string(Some(&r.filter), Some(sort), None)) } { (t(locale, Msg::UiViewAll)) }
                }
            }
            @if r.page.records.is_empty() {
                p.hint { (t(locale, Msg::UiNoRecords)) }
            } @else {
                table.records {
                    thead { tr { @for c in &cols { th scope="col" { (c.label.get(locale)) } } } }
                    (record_rows(fmt, &r.object.plural, &r.full, &cols, &r.page.records))
                }
            }
        }
    }
}

/// The rows of a records table: each column's value, the first linking to the record.
fn record_rows(fmt: Fmt, plural: &str, full: &ObjectDef, cols: &[&FieldDef], records: &[Record]) -> Markup {
    let locale = fmt.locale;
    html! {
        tbody {
            @for r in records {
                tr {
                    @for (i, c) in cols.iter().enumerate() {
                        td data-label=(c.label.get(locale)) {
                            @let shown = display(c, field_value(full, r, &c.name), fmt);
                            @if i == 0 {
                                a href={ "/o/" (plural) "/" (r.id().unwrap_or_default()) } {
                                    @if shown.is_empty() { "—" } @else { (shown) }
                                }
                            } @else {
                                (shown)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The home page: the signed-in user's day.
pub(super) fn home(v: &Viewer, schema: &Schema, sections: &[(Msg, super::Related, &str)]) -> Markup {
    let locale = v.locale;
    let title = t(locale, Msg::UiMyDay);
    let content = html! {
        h1 { (title) }
        div.home {
            @for (n, (heading, r, sort)) in sections.iter().enumerate() {
                (records_section(v.fmt(), &format!("day-{n}"), t(locale, *heading), r, sort))
            }
        }
    };
    layout(locale, Some(v), Some(schema), None, "/", title, content)
}

pub(super) fn history_line(object: &ObjectDef, h: &HistoryRow, locale: Locale) -> String {
    match h.operation.as_str() {
        "create" => t(locale, Msg::UiCreated).to_string(),
        "delete" => t(locale, Msg::UiDeleted).to_string(),
        "restore" => t(locale, Msg::UiRestored).to_string(),
        _ => {
            let field = h.field.as_deref().unwrap_or("");
            let label = object.field(field).map_or(field, |f| f.label.get(locale));
            let parse = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|x| serde_json::from_str::<serde_json::Value>(x).ok())
                    .map(|j| match j {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Object(m) => m
                            .get("amount")
                            .map(|a| a.as_str().unwrap_or_default().to_string())
                            .unwrap_or_default(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "—".into())
            };
            format!(
                "{}: {} → {}",
                Msg::UiUpdated.format(locale, &[("field", label)]),
                parse(&h.old_value),
                parse(&h.new_value)
            )
        }
    }
}

/// Groups digits by thousands: 1250000.5 → 1,250,000.5.
fn grouped(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// How values read for a viewer: their language (words, currency symbols) and time zone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fmt {
    pub locale: Locale,
    pub tz: chrono_tz::Tz,
}

impl Fmt {
    /// A moment as the viewer's wall clock shows it.
    pub fn datetime(self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.tz).format("%Y-%m-%d %H:%M").to_string()
    }
}

/// The symbol a currency is written with for a reader of `locale` (where a symbol is
/// shared, the country marks it: ¥ alone is the yuan in Chinese, CN¥ in English).
fn currency_symbol(code: &str, locale: Locale) -> &str {
    match (code, locale) {
        ("CNY", Locale::En) => "CN¥",
        ("CNY", _) => "¥",
        ("USD", Locale::En) => "$",
        ("USD", _) => "US$",
        ("EUR", _) => "€",
        ("GBP", _) => "£",
        ("JPY", _) => "JP¥",
        ("HKD", _) => "HK$",
        ("TWD", _) => "NT$",
        ("MOP", _) => "MOP$",
        ("SGD", _) => "S$",
        (other, _) => other,
    }
}

/// A value as a person reads it, in the viewer's language and time zone.
/// An amount of money as the viewer reads it (grouped digits, the currency).
pub(super) fn money_text(amount: rust_decimal::Decimal, currency: &str, fmt: Fmt) -> String {
    let field = FieldDef::new("amount", FieldType::Money, guanxi_core::Label::new("", "", ""));
    display(
        &field,
        &Value::Money {
            amount,
            currency: currency.to_string(),
        },
        fmt,
    )
}

pub(super) fn display(field: &FieldDef, value: &Value, fmt: Fmt) -> String {
    let locale = fmt.locale;
    match value {
        Value::Null => String::new(),
        Value::Text(s) if matches!(field.field_type, FieldType::Picklist) => {
            field.option_label(s, locale).to_string()
        }
        Value::Text(s) => s.clone(),
        Value::Int(i) => grouped(&i.to_string()),
        Value::Decimal(d) if field.field_type == FieldType::Percent => format!("{}%", d.normalize()),
        Value::Decimal(d) => grouped(&d.to_string()),
        Value::Money { amount, currency } => {
            let symbol = currency_symbol(currency, locale);
            let sep = if symbol.chars().all(|c| c.is_ascii_uppercase()) {
                " "
            } else {
                ""
            };
            format!("{symbol}{sep}{}", grouped(&amount.to_string()))
        }
        Value::Bool(b) => t(locale, if *b { Msg::UiYes } else { Msg::UiNo }).into(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::DateTime(d) => fmt.datetime(d),
        Value::Uuid(u) => u.to_string(),
        Value::List(items) => items
            .iter()
            .map(|i| field.option_label(i, locale))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The create (`id: None`) or edit form of a record: one labelled input per editable
/// field, each problem beside its field, nothing saved until all are right.
#[allow(clippy::too_many_arguments)]
pub(super) fn form(
    v: &Viewer,
    schema: &Schema,
    object: &ObjectDef,
    fields: &[FieldDef],
    id: Option<uuid::Uuid>,
    values: &std::collections::HashMap<String, String>,
    errors: &[FieldError],
    notice: Option<&str>,
    users: &[(uuid::Uuid, String)],
    page_layout: &Layout,
) -> Markup {
    let locale = v.locale;
    let groups = form_groups(page_layout, fields);
    let (action, title, back) = match id {
        Some(id) => (
            format!("/o/{}/{id}/edit", object.plural),
            format!("{} · {}", t(locale, Msg::UiEdit), object.label.get(locale)),
            format!("/o/{}/{id}", object.plural),
        ),
        None => (
            format!("/o/{}/new", object.plural),
            format!("{} · {}", t(locale, Msg::UiNew), object.label.get(locale)),
            format!("/o/{}", object.plural),
        ),
    };
    let value = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name || e.field.starts_with(&format!("{name}.")))
    };
    let stray: Vec<&FieldError> = errors
        .iter()
        .filter(|e| {
            !fields
                .iter()
                .any(|f| e.field == f.name || e.field.starts_with(&format!("{}.", f.name)))
        })
        .collect();
    let content = html! {
        p { a href=(back) { "← " (object.plural_label.get(locale)) } }
        h1 { (title) }
        @if let Some(n) = notice {
            p.error role="alert" { (n) }
        }
        @if !errors.is_empty() {
            p.error role="alert" { (t(locale, Msg::UiFixErrors)) }
            @for e in &stray { p.error { (e.field) ": " (e.message(locale)) } }
        }
        form.card.record-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            @if id.is_some() { input type="hidden" name="version" value=(value("version")); }
            @for (legend, group) in &groups {
              fieldset {
                legend { (legend.get(locale)) }
                @for f in group {
                @let err = error_of(&f.name);
                @let input_id = format!("f-{}", f.name);
                @let err_id = format!("e-{}", f.name);
                div.field {
                    label for=(input_id) {
                        (f.label.get(locale))
                        @if f.required { " *" }
                    }
                    (input(f, &input_id, value, err.map(|_| err_id.as_str()), err.is_some(), locale, users))
                    @if let Some(e) = err {
                        p.error id=(err_id) { (e.message(locale)) }
                    } @else if matches!(f.field_type, FieldType::MultiPicklist | FieldType::Tags) {
                        p.hint { (t(locale, Msg::UiListHint)) }
                    }
                }
                }
              }
            }
            div.actions {
                button.primary type="submit" { (t(locale, Msg::UiSave)) }
                a href=(back) { (t(locale, Msg::UiCancel)) }
            }
        }
    };
    layout(
        locale,
        Some(v),
        Some(schema),
        Some(&object.name),
        &back,
        &title,
        content,
    )
}

/// A form's fields under the layout's section headings, in its order; fields the layout
/// does not place (none, once fitted) go in the last group. Empty groups are left out.
fn form_groups<'a>(page_layout: &'a Layout, fields: &'a [FieldDef]) -> Vec<(&'a Label, Vec<&'a FieldDef>)> {
    let mut groups: Vec<(&Label, Vec<&FieldDef>)> = page_layout
        .sections
        .iter()
        .map(|s| {
            let group = s
                .fields
                .iter()
                .filter_map(|name| fields.iter().find(|f| &f.name == name))
                .collect();
            (&s.label, group)
        })
        .collect();
    let placed = |f: &FieldDef| page_layout.sections.iter().any(|s| s.fields.contains(&f.name));
    let rest: Vec<&FieldDef> = fields.iter().filter(|f| !placed(f)).collect();
    if let Some(last) = groups.last_mut() {
        last.1.extend(rest);
    }
    groups.retain(|g| !g.1.is_empty());
    groups
}

/// A record form's input for one field (no user choices: for fields of other types).
pub(super) fn form_input_markup<'a>(
    f: &FieldDef,
    id: &str,
    value: impl Fn(&str) -> &'a str,
    described: Option<&str>,
    invalid: bool,
    locale: Locale,
) -> Markup {
    input(f, id, value, described, invalid, locale, &[])
}

fn input<'a>(
    f: &FieldDef,
    id: &str,
    value: impl Fn(&str) -> &'a str,
    described: Option<&str>,
    invalid: bool,
    locale: Locale,
    users: &[(uuid::Uuid, String)],
) -> Markup {
    let invalid = invalid.then_some("true");
    let name = f.name.as_str();
    match f.field_type {
        FieldType::LongText => html! {
            textarea id=(id) name=(name) rows="4" aria-invalid=[invalid] aria-describedby=[described] { (value(name)) }
        },
        FieldType::Picklist => html! {
            select id=(id) name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                option value="" { "—" }
                // Retired values are not offered, except the one this record still holds.
                @for o in f.options.iter().filter(|o| o.active || value(name) == o.value) {
                    option value=(o.value) selected[value(name) == o.value] { (o.label.get(locale)) }
                }
            }
        },
        FieldType::Boolean => html! {
            select id=(id) name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                option value="" { "—" }
                option value="true" selected[value(name) == "true"] { (t(locale, Msg::UiYes)) }
                option value="false" selected[value(name) == "false"] { (t(locale, Msg::UiNo)) }
            }
        },
        FieldType::User => html! {
            select id=(id) name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                @if !f.required && name != "owner" { option value="" { "—" } }
                @for (uid, uname) in users {
                    option value=(uid) selected[value(name) == uid.to_string()] { (uname) }
                }
            }
        },
        FieldType::Money => {
            let amount = format!("{name}.amount");
            let currency = format!("{name}.currency");
            let cur = value(&currency);
            html! {
                span.money {
                    input id=(id) type="text" inputmode="decimal" name=(amount) value=(value(&amount))
                        aria-invalid=[invalid] aria-describedby=[described];
                    input type="text" name=(currency) value=(if cur.is_empty() { "CNY" } else { cur })
                        size="4" maxlength="3" aria-label=(t(locale, Msg::UiCurrency));
                }
            }
        }
        // The name, typed or picked from suggestions; the picked record's id beside it.
        FieldType::Lookup => {
            let list = format!("{id}-options");
            let target = f.target.as_deref().unwrap_or("");
            html! {
                input id=(id) type="text" name=(name) value=(value(name)) list=(list) autocomplete="off"
                    data-lookup=(target) aria-invalid=[invalid] aria-describedby=[described];
                input type="hidden" name={ (name) ".id" } value=(value(&format!("{name}.id")));
                datalist id=(list) {}
            }
        }
        FieldType::MultiPicklist | FieldType::Tags => html! {
            input id=(id) type="text" name=(name) value=(value(name)) aria-invalid=[invalid]
                aria-describedby=[described];
        },
        _ => {
            let kind = match f.field_type {
                FieldType::Email => "email",
                FieldType::Phone => "tel",
                FieldType::Url => "url",
                FieldType::Date => "date",
                FieldType::Datetime => "datetime-local",
                _ => "text",
            };
            let mode = match f.field_type {
                FieldType::Integer => Some("numeric"),
                FieldType::Decimal | FieldType::Percent => Some("decimal"),
                _ => None,
            };
            html! {
                input id=(id) type=(kind) name=(name) value=(value(name)) inputmode=[mode]
                    maxlength=[f.max_length] aria-invalid=[invalid] aria-describedby=[described];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped("1250000.50"), "1,250,000.50");
        assert_eq!(grouped("-3"), "-3");
        assert_eq!(grouped("999"), "999");
        assert_eq!(grouped("1000"), "1,000");
    }
}

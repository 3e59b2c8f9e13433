//! Quotes and orders in the browser: the quote editor on the quote's page (its lines with
//! their prices, discounts and taxes, the totals, where its approval stands and what may
//! be done next), the printable quote in Chinese or English, and the approvals awaiting
//! the viewer. Works without JavaScript; `guanxi_services::quotes` decides.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::quote::{self, ORDER, QUOTE, Status};
use guanxi_core::values::{Record, Value, field as val};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::quotes::Approval;
use guanxi_services::records::{Change, ListQuery};
use guanxi_services::{Crm, ServiceError};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::pages::{self, Fmt, t};
use super::{Viewer, failure, html, posted_record_of};

type Fields = HashMap<String, String>;

/// The inputs of a line a user edits in place.
const LINE_INPUTS: [&str; 4] = ["quantity", "unit_price", "discount", "tax_rate"];
/// How many products the add-line list offers.
const PRODUCT_CHOICES: usize = 1000;

fn shown(object: &ObjectDef, r: &Record, name: &str, fmt: Fmt) -> String {
    match (object.field(name), val(object, r, name)) {
        // Quantities read as people write them: 2, 2.5 — not 2.0000.
        (Some(f), Value::Decimal(d)) if f.field_type == guanxi_core::metadata::FieldType::Decimal => {
            pages::display(f, &Value::Decimal(d.normalize()), fmt)
        }
        (Some(f), v) => pages::display(f, v, fmt),
        (None, _) => String::new(),
    }
}

fn label(object: &ObjectDef, name: &str, l: Locale) -> String {
    object
        .field(name)
        .map(|f| f.label.get(l).to_string())
        .unwrap_or_else(|| name.to_string())
}

/// A number as an input shows it (no grouping, no symbol).
fn raw(object: &ObjectDef, r: &Record, name: &str) -> String {
    match val(object, r, name) {
        Value::Decimal(d) => d.normalize().to_string(),
        Value::Money { amount, .. } => amount.to_string(),
        Value::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

/// Whether a problem shows beside an input of the card.
fn inline(e: &FieldError) -> bool {
    let Some((form, field)) = e.field.split_once('.') else {
        return false;
    };
    match form {
        "new" => ["product", "quantity", "discount", "unit_price"].contains(&field),
        "approval" => field == "comment",
        f if f.starts_with("line-") => LINE_INPUTS.contains(&field),
        _ => false,
    }
}

fn find<'a>(errors: &'a [FieldError], prefix: &str, name: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == format!("{prefix}.{name}"))
}

/// Errors of one form of the card, named `{form}.{field}` so each shows beside its input.
fn prefixed(errors: Vec<FieldError>, form: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{form}.{}", e.field);
            e
        })
        .collect()
}

struct Editor<'a> {
    v: &'a Viewer,
    header: &'a ObjectDef,
    line: &'a ObjectDef,
    record: &'a Record,
    lines: Vec<Record>,
    products: Vec<(Uuid, String)>,
    approval: Option<Approval>,
    editable: bool,
    orderable: bool,
    order: Option<(Uuid, String)>,
}

/// The card on a quote's or an order's page.
pub(super) async fn card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
    errors: &[FieldError],
) -> Result<Option<Markup>, ServiceError> {
    if object.name != QUOTE && object.name != ORDER {
        return Ok(None);
    }
    let Some(id) = record.id() else { return Ok(None) };
    let schema = crm.schema();
    let line_name = if object.name == QUOTE {
        quote::QUOTE_LINE
    } else {
        quote::ORDER_LINE
    };
    let Some(line) = schema.object(line_name).cloned() else {
        return Ok(None);
    };
    let lines = crm.quote_lines(&v.actor, &object.name, id).await?;
    let status = match val(object, record, "status") {
        Value::Text(s) => s.clone(),
        _ => String::new(),
    };
    let (approval, editable, orderable) = if object.name == QUOTE {
        let a = crm.quote_approval(&v.actor, id).await?;
        let s = Status::parse(&status).unwrap_or(Status::Draft);
        let orderable = !lines.is_empty() && s.orderable(a.needs_approval);
        (Some(a), s.editable(), orderable)
    } else {
        let from_quote = !val(object, record, "quote").is_null();
        (None, status == "draft" && !from_quote, false)
    };
    let products = if editable {
        product_choices(crm, v, object, record).await?
    } else {
        Vec::new()
    };
    // The order a quote became, if any.
    let order = match schema.object(ORDER) {
        Some(order_def) if status == "ordered" => {
            let q = ListQuery {
                filter: Some(format!("quote eq '{id}'")),
                limit: Some(1),
                ..Default::default()
            };
            crm.list(&v.actor, ORDER, &q)
                .await?
                .records
                .first()
                .and_then(|o| Some((o.id()?, pages::text_of(order_def, o, "number"))))
        }
        _ => None,
    };
    let editor = Editor {
        v,
        header: object,
        line: &line,
        record,
        lines,
        products,
        approval,
        editable,
        orderable,
        order,
    };
    Ok(Some(editor.render(errors)))
}

/// The products a line may be added for: those priced in the quote's book, else the
/// active products.
async fn product_choices(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
) -> Result<Vec<(Uuid, String)>, ServiceError> {
    let mut out: Vec<(Uuid, String)> = match val(object, record, "price_book") {
        Value::Uuid(book) => {
            let q = ListQuery {
                filter: Some(format!("price_book eq '{book}'")),
                limit: Some(PRODUCT_CHOICES),
                ..Default::default()
            };
            let schema = crm.schema();
            let Some(entry) = schema.object(quote::PRICE_BOOK_ENTRY) else {
                return Ok(Vec::new());
            };
            let ids: Vec<Uuid> = crm
                .list(&v.actor, quote::PRICE_BOOK_ENTRY, &q)
                .await?
                .records
                .iter()
                .filter(|e| !matches!(e.get(entry, "active"), Some(Value::Bool(false))))
                .filter_map(|e| match e.get(entry, "product") {
                    Some(Value::Uuid(p)) => Some(*p),
                    _ => None,
                })
                .collect();
            crm.names_of(&v.actor, "product", &ids)
                .await?
                .into_iter()
                .collect()
        }
        _ => {
            let q = ListQuery {
                filter: Some("active eq true".into()),
                limit: Some(PRODUCT_CHOICES),
                ..Default::default()
            };
            let schema = crm.schema();
            let Some(product) = schema.object("product") else {
                return Ok(Vec::new());
            };
            crm.list(&v.actor, "product", &q)
                .await?
                .records
                .iter()
                .filter_map(|p| match p.get(product, "name") {
                    Some(Value::Text(n)) => Some((p.id()?, n.clone())),
                    _ => None,
                })
                .collect()
        }
    };
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

impl Editor<'_> {
    fn render(&self, errors: &[FieldError]) -> Markup {
        let v = self.v;
        let l = v.locale;
        let fmt = v.fmt();
        let (h, line) = (self.header, self.line);
        let id = self.record.id().unwrap_or_default();
        let base = format!("/o/{}/{id}/lines", h.plural);
        let csrf = v.csrf.as_str();
        let version = self.record.version();
        let columns = [
            "name",
            "quantity",
            "unit",
            "list_price",
            "unit_price",
            "discount",
            "tax_rate",
            "amount",
            "tax_amount",
            "total",
        ];
        // Problems no input of the card shows beside itself.
        let general: Vec<&FieldError> = errors.iter().filter(|e| !inline(e)).collect();
        html! {
            section.card.quote-editor aria-labelledby="quote-lines" {
                h2 #quote-lines { (t(l, Msg::UiQuoteLines)) }
                @for e in &general { p.error role="alert" { (e.message(l)) } }
                @if let Some(a) = &self.approval { (self.approval_box(a, errors)) }
                div.table-wrap {
                    table.lines {
                        thead { tr {
                            th scope="col" { "#" }
                            @for c in columns { th scope="col" { (label(line, c, l)) } }
                            @if self.editable { th scope="col" { span.visually-hidden { (t(l, Msg::UiAction)) } } }
                        } }
                        tbody {
                            @for r in &self.lines {
                                @let lid = r.id().unwrap_or_default();
                                @let form_id = format!("line-{lid}");
                                @let prefix = format!("line-{lid}");
                                tr {
                                    td { (raw(line, r, "position")) }
                                    td {
                                        @match val(line, r, "product") {
                                            Value::Uuid(p) => a href={ "/o/products/" (p) } { (shown(line, r, "name", fmt)) },
                                            _ => (shown(line, r, "name", fmt)),
                                        }
                                    }
                                    @for c in &columns[1..] {
                                        @if self.editable && LINE_INPUTS.contains(c) {
                                            @let e = find(errors, &prefix, c);
                                            @let input_id = format!("{prefix}-{c}");
                                            td {
                                                label.visually-hidden for=(input_id) { (label(line, c, l)) }
                                                input id=(input_id) form=(form_id) name=(c) inputmode="decimal"
                                                    size=(if *c == "unit_price" { "12" } else { "6" })
                                                    value=(raw(line, r, c)) aria-invalid=[e.map(|_| "true")]
                                                    aria-describedby=[e.map(|_| format!("{input_id}-error"))];
                                                @if let Some(e) = e { p.error id={ (input_id) "-error" } { (e.message(l)) } }
                                            }
                                        } @else {
                                            td.num { (shown(line, r, c, fmt)) }
                                        }
                                    }
                                    @if self.editable {
                                        td { div.row-actions {
                                            form id=(form_id) method="post" action=(base) {
                                                input type="hidden" name="csrf" value=(csrf);
                                                input type="hidden" name="action" value="save";
                                                input type="hidden" name="line" value=(lid);
                                                input type="hidden" name="version" value=(r.version());
                                                button type="submit" { (t(l, Msg::UiSave)) }
                                            }
                                            form method="post" action=(base) {
                                                input type="hidden" name="csrf" value=(csrf);
                                                input type="hidden" name="action" value="remove";
                                                input type="hidden" name="line" value=(lid);
                                                input type="hidden" name="version" value=(r.version());
                                                button.linkish type="submit" { (t(l, Msg::UiRemoveLine)) }
                                            }
                                        } }
                                    }
                                }
                            }
                        }
                        tfoot {
                            @for (name, strong) in [("subtotal", false), ("discount_amount", false), ("tax_amount", false), ("total", true)] {
                                tr {
                                    th scope="row" colspan=(columns.len()) { (label(h, name, l)) }
                                    td.num {
                                        @if strong { strong { (shown(h, self.record, name, fmt)) } }
                                        @else { (shown(h, self.record, name, fmt)) }
                                    }
                                    @if self.editable { td {} }
                                }
                            }
                        }
                    }
                }
                @if self.editable { (self.add_line(&base, errors)) }
                (self.actions(&base, version, errors))
                @if let Some((oid, number)) = &self.order {
                    p { (label(h, "status", l)) ": " (shown(h, self.record, "status", fmt)) " → "
                        a href={ "/o/orders/" (oid) } { (number) } }
                }
            }
        }
    }

    fn add_line(&self, base: &str, errors: &[FieldError]) -> Markup {
        let l = self.v.locale;
        let line = self.line;
        let field = |name: &str, kind: &str| {
            let e = find(errors, "new", name);
            let input_id = format!("new-{name}");
            html! {
                div.field {
                    label for=(input_id) { (label(line, name, l)) }
                    input id=(input_id) name=(name) type=(kind) inputmode="decimal"
                        aria-invalid=[e.map(|_| "true")] aria-describedby=[e.map(|_| format!("{input_id}-error"))];
                    @if let Some(e) = e { p.error id={ (input_id) "-error" } { (e.message(l)) } }
                }
            }
        };
        let e = find(errors, "new", "product");
        html! {
            form.admin-form.add-line method="post" action=(base) novalidate {
                input type="hidden" name="csrf" value=(self.v.csrf);
                input type="hidden" name="action" value="add";
                div.field {
                    label for="new-product" { (label(line, "product", l)) }
                    select #new-product name="product" required aria-invalid=[e.map(|_| "true")]
                        aria-describedby=[e.map(|_| "new-product-error")] {
                        option value="" { "—" }
                        @for (pid, name) in &self.products { option value=(pid) { (name) } }
                    }
                    @if let Some(e) = e { p.error #new-product-error { (e.message(l)) } }
                }
                (field("quantity", "text"))
                (field("discount", "text"))
                (field("unit_price", "text"))
                div.actions { button.primary type="submit" { (t(l, Msg::UiAddLine)) } }
            }
        }
    }

    fn approval_box(&self, a: &Approval, errors: &[FieldError]) -> Markup {
        let l = self.v.locale;
        let fmt = self.v.fmt();
        let args = [
            ("discount", a.max_discount.normalize().to_string()),
            ("threshold", a.threshold.normalize().to_string()),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let approvers = a
            .approvers
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("、");
        let decided = |msg: Msg| {
            let name = a.decided_by.as_ref().map(|p| p.name.clone()).unwrap_or_default();
            let time = a.decided_at.map(|d| fmt.datetime(&d)).unwrap_or_default();
            msg.format(l, &[("name", &name), ("time", &time)])
        };
        html! {
            div.approval role="status" {
                @match a.status.as_str() {
                    "in_review" => p.pending { (Msg::UiAwaitingApproval.format(l, &[("approvers", &approvers)])) },
                    "approved" => p.ok { (decided(Msg::UiApprovedBy)) },
                    "rejected" => p.error { (decided(Msg::UiRejectedBy)) },
                    _ if a.needs_approval => p.pending { (Msg::UiApprovalNeeded.format(l, &args)) },
                    _ => p.hint { (Msg::UiApprovalWithin.format(l, &args)) },
                }
                @if let Some(c) = &a.comment { blockquote { (c) } }
                @if let Some(e) = find(errors, "approval", "comment") { p.error { (e.message(l)) } }
            }
        }
    }

    fn actions(&self, base: &str, version: i64, errors: &[FieldError]) -> Markup {
        let l = self.v.locale;
        let h = self.header;
        let id = self.record.id().unwrap_or_default();
        let csrf = self.v.csrf.as_str();
        let status = match val(h, self.record, "status") {
            Value::Text(s) => Status::parse(s),
            _ => None,
        };
        let needs = self.approval.as_ref().is_some_and(|a| a.needs_approval);
        let may_decide = self.approval.as_ref().is_some_and(|a| a.may_decide);
        // The status moves a user may make from here, as the lifecycle allows.
        let moves: Vec<Status> = match status {
            Some(s) if h.name == QUOTE => {
                [Status::Presented, Status::Accepted, Status::Denied, Status::Draft]
                    .into_iter()
                    .filter(|to| *to != s && quote::may_move(s, *to, needs).is_ok())
                    .collect()
            }
            _ => Vec::new(),
        };
        let submittable =
            matches!(status, Some(Status::Draft | Status::Rejected)) && needs && !self.lines.is_empty();
        let comment_error = find(errors, "approval", "comment");
        let status_label = |s: Status| {
            h.field("status")
                .map(|f| f.option_label(s.as_str(), l).to_string())
                .unwrap_or_default()
        };
        html! {
            div.quote-actions {
                @if h.name == QUOTE {
                    a.button href={ "/o/quotes/" (id) "/print" } { (t(l, Msg::UiPrintQuote)) }
                }
                @for to in &moves {
                    form method="post" action=(base) {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="action" value="status";
                        input type="hidden" name="status" value=(to.as_str());
                        input type="hidden" name="version" value=(version);
                        button type="submit" { "→ " (status_label(*to)) }
                    }
                }
                @if self.orderable {
                    form method="post" action=(base) {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="action" value="order";
                        button.primary type="submit" { (t(l, Msg::UiCreateOrder)) }
                    }
                }
                @if submittable || may_decide {
                    form.admin-form.decide method="post" action=(base) novalidate {
                        input type="hidden" name="csrf" value=(csrf);
                        div.field.wide {
                            label for="approval-comment" { (t(l, Msg::UiComment)) }
                            textarea #approval-comment name="comment" rows="2"
                                aria-invalid=[comment_error.map(|_| "true")] {}
                        }
                        div.actions {
                            @if submittable {
                                button.primary type="submit" name="action" value="submit" { (t(l, Msg::UiSubmitForApproval)) }
                            }
                            @if may_decide {
                                button.primary type="submit" name="action" value="approve" { (t(l, Msg::UiApprove)) }
                                button type="submit" name="action" value="reject" { (t(l, Msg::UiReject)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn number_input(form: &Fields, name: &str) -> Option<Json> {
    form.get(name)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| json!(s.trim_end_matches('%').trim()))
}

/// `POST /o/{quotes|orders}/{id}/lines`: one action of the quote editor (`add`, `save`,
/// `remove` a line; `status`, `submit`, `approve`, `reject`, `order`). Problems come back
/// on the page beside their inputs.
pub(super) async fn act(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let (v, object, id) = match posted_record_of(&crm, &headers, (&plural, &id), &form, &[QUOTE, ORDER]).await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let line_object = if object.name == QUOTE {
        quote::QUOTE_LINE
    } else {
        quote::ORDER_LINE
    };
    let back = format!("/o/{}/{id}", object.plural);
    let version = form.get("version").and_then(|s| s.parse::<i64>().ok());
    let line = form.get("line").and_then(|s| Uuid::parse_str(s).ok());
    let comment = form.get("comment").map(String::as_str);
    let action = form.get("action").map(String::as_str).unwrap_or("");
    let outcome: Result<Option<String>, (ServiceError, &str)> = match action {
        "add" => {
            let mut input = Map::new();
            input.insert(object.name.clone(), json!(id));
            match form.get("product").and_then(|p| Uuid::parse_str(p.trim()).ok()) {
                Some(p) => {
                    input.insert("product".into(), json!(p));
                }
                None => {
                    let e = FieldError::new("product", Msg::Required);
                    return super::record::refused(&crm, &v, &object, id, &prefixed(vec![e], "new")).await;
                }
            }
            input.insert(
                "quantity".into(),
                number_input(&form, "quantity").unwrap_or(json!("1")),
            );
            for k in ["discount", "unit_price"] {
                if let Some(n) = number_input(&form, k) {
                    input.insert(k.into(), n);
                }
            }
            crm.apply_one(&v.actor, line_object, Change::Create(input))
                .await
                .map(|_| None)
                .map_err(|e| (e, "new"))
        }
        "save" | "remove" => {
            let Some(line) = line else {
                return failure(ServiceError::NotFound, v.locale, Some(&v));
            };
            let change = if action == "remove" {
                Change::Delete { id: line, version }
            } else {
                let mut patch = Map::new();
                for k in LINE_INPUTS.into_iter().filter(|k| form.contains_key(*k)) {
                    patch.insert(k.into(), number_input(&form, k).unwrap_or(Json::Null));
                }
                Change::Update {
                    id: line,
                    version,
                    patch,
                }
            };
            let form_name = if action == "save" { "line" } else { "quote" };
            crm.apply_one(&v.actor, line_object, change)
                .await
                .map(|_| None)
                .map_err(|e| (e, form_name))
        }
        "status" => {
            let mut patch = Map::new();
            patch.insert(
                "status".into(),
                json!(form.get("status").cloned().unwrap_or_default()),
            );
            crm.apply_one(&v.actor, &object.name, Change::Update { id, version, patch })
                .await
                .map(|_| None)
                .map_err(|e| (e, "approval"))
        }
        "submit" => crm
            .submit_quote(&v.actor, id, comment)
            .await
            .map(|_| None)
            .map_err(|e| (e, "approval")),
        "approve" | "reject" => crm
            .decide_quote(&v.actor, id, action == "approve", comment)
            .await
            .map(|_| None)
            .map_err(|e| (e, "approval")),
        "order" => crm
            .order_quote(&v.actor, id)
            .await
            .map(|o| o.id().map(|oid| format!("/o/orders/{oid}")))
            .map_err(|e| (e, "approval")),
        _ => return failure(ServiceError::NotFound, v.locale, Some(&v)),
    };
    match outcome {
        Ok(to) => Redirect::to(&to.unwrap_or(back)).into_response(),
        Err((ServiceError::Validation(errors), form_name)) => {
            let name = match (form_name, line) {
                ("line", Some(l)) => format!("line-{l}"),
                (n, _) => n.to_string(),
            };
            super::record::refused(&crm, &v, &object, id, &prefixed(errors, &name)).await
        }
        Err((e, _)) => failure(e, v.locale, Some(&v)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PrintParams {
    lang: Option<String>,
}

/// `GET /o/quotes/{id}/print?lang=zh-CN|zh-TW|en`: the quote as the customer receives it,
/// laid out for paper (the browser prints it, or saves it as PDF).
pub(super) async fn print(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Query(p): Query<PrintParams>,
) -> Response {
    let (v, object) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    if object.name != QUOTE {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    }
    let record = match crm.get(&v.actor, QUOTE, id, false).await {
        Ok(r) => r,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let lines = match crm.quote_lines(&v.actor, QUOTE, id).await {
        Ok(l) => l,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let settings = match crm.quote_settings().await {
        Ok(s) => s,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let schema = crm.schema();
    let Some(line) = schema.object(quote::QUOTE_LINE) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let visible = crm.visible_object(&v.actor, &object);
    let mut ids = Vec::new();
    for f in ["account", "contact"] {
        if let Value::Uuid(u) = val(&object, &record, f) {
            ids.push((f, *u));
        }
    }
    let mut names = HashMap::new();
    for (f, u) in &ids {
        if let Ok(found) = crm.names_of(&v.actor, f, &[*u]).await {
            names.extend(found);
        }
    }
    let owner = match record.owner() {
        Some(o) => crm.user_label(o).await.unwrap_or_default(),
        None => String::new(),
    };
    let lang = p.lang.as_deref().and_then(Locale::from_tag).unwrap_or(v.locale);
    let doc = Document {
        lang,
        fmt: Fmt {
            locale: lang,
            tz: v.tz,
        },
        header: &visible,
        line,
        record: &record,
        lines: &lines,
        names: &names,
        seller: settings.company_name.as_str(),
        owner: &owner,
        back: format!("/o/quotes/{id}"),
    };
    html(StatusCode::OK, doc.render(&v))
}

struct Document<'a> {
    lang: Locale,
    fmt: Fmt,
    header: &'a ObjectDef,
    line: &'a ObjectDef,
    record: &'a Record,
    lines: &'a [Record],
    names: &'a HashMap<Uuid, String>,
    seller: &'a str,
    owner: &'a str,
    back: String,
}

impl Document<'_> {
    fn render(&self, v: &Viewer) -> Markup {
        let (l, fmt, h, line, r) = (self.lang, self.fmt, self.header, self.line, self.record);
        let name_of = |f: &str| match val(h, r, f) {
            Value::Uuid(u) => self.names.get(u).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let number = shown(h, r, "number", fmt);
        let created = match val(h, r, "created_at") {
            Value::DateTime(d) => d.with_timezone(&fmt.tz).format("%Y-%m-%d").to_string(),
            _ => String::new(),
        };
        let total = match val(h, r, "total") {
            Value::Money { amount, currency } => Some((*amount, currency.clone())),
            _ => None,
        };
        let columns = [
            "quantity",
            "unit",
            "unit_price",
            "discount",
            "amount",
            "tax_rate",
            "tax_amount",
            "total",
        ];
        let included = matches!(val(h, r, "prices_include_tax"), Value::Bool(true));
        let title = format!("{} {}", t(l, Msg::UiQuotation), number);
        html! {
            (DOCTYPE)
            html lang=(l.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                    link rel="stylesheet" href={ "/static/app.css?v=" (super::asset_version()) };
                    script src={ "/static/app.js?v=" (super::asset_version()) } defer {}
                }
                body.print-doc {
                    nav.print-tools aria-label=(t(v.locale, Msg::UiAction)) {
                        a href=(self.back) { (t(v.locale, Msg::UiBackToQuote)) }
                        span { (t(v.locale, Msg::UiLanguage)) ": " }
                        @for (tag, name) in [("zh-CN", "简体中文"), ("zh-TW", "繁體中文"), ("en", "English")] {
                            a href={ "?lang=" (tag) } aria-current=[(l.tag() == tag).then_some("true")] { (name) }
                        }
                        button type="button" data-print { (t(v.locale, Msg::UiPrint)) }
                    }
                    main.quote-doc {
                        header {
                            @if !self.seller.is_empty() { p.seller { (self.seller) } }
                            h1 { (t(l, Msg::UiQuotation)) }
                            dl {
                                dt { (label(h, "number", l)) } dd { (number) }
                                dt { (t(l, Msg::UiQuoteDate)) } dd { (created) }
                                @if !val(h, r, "valid_until").is_null() {
                                    dt { (label(h, "valid_until", l)) } dd { (shown(h, r, "valid_until", fmt)) }
                                }
                                dt { (t(l, Msg::UiQuoteTo)) }
                                dd { (name_of("account")) @if !name_of("contact").is_empty() { " · " (name_of("contact")) } }
                                dt { (t(l, Msg::UiQuoteFrom)) } dd { (self.owner) }
                            }
                        }
                        table {
                            thead { tr {
                                th scope="col" { "#" }
                                th scope="col" { (label(line, "name", l)) }
                                @for c in columns { th scope="col" { (label(line, c, l)) } }
                            } }
                            tbody {
                                @for (i, x) in self.lines.iter().enumerate() {
                                    tr {
                                        td { (i + 1) }
                                        td {
                                            (shown(line, x, "name", fmt))
                                            @if !val(line, x, "line_description").is_null() {
                                                br; small { (shown(line, x, "line_description", fmt)) }
                                            }
                                        }
                                        @for c in columns { td.num { (shown(line, x, c, fmt)) } }
                                    }
                                }
                            }
                            tfoot {
                                @for name in ["subtotal", "discount_amount", "tax_amount", "total"] {
                                    tr {
                                        th scope="row" colspan=(columns.len() + 1) { (label(h, name, l)) }
                                        td.num { (shown(h, r, name, fmt)) }
                                    }
                                }
                            }
                        }
                        @if let Some((amount, currency)) = &total {
                            @if currency == "CNY" && l != Locale::En {
                                p.in-words { (t(l, Msg::UiAmountInWords)) "：" (quote::capital_amount(*amount)) }
                            }
                        }
                        p { (t(l, if included { Msg::UiPricesIncludeTax } else { Msg::UiPricesExcludeTax })) }
                        @if !val(h, r, "terms").is_null() {
                            h2 { (label(h, "terms", l)) }
                            p.terms { (shown(h, r, "terms", fmt)) }
                        }
                        div.signatures {
                            div { p { (t(l, Msg::UiQuoteFrom)) } p.sign { (t(l, Msg::UiSignature)) } }
                            div { p { (t(l, Msg::UiQuoteTo)) } p.sign { (t(l, Msg::UiSignature)) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /approvals`: the quotes awaiting the viewer's decision.
pub(super) async fn approvals(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let fmt = v.fmt();
    let list = match crm.approvals(&v.actor).await {
        Ok(list) => list,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let schema = crm.schema();
    let Some(object) = schema.object(QUOTE) else {
        return failure(ServiceError::NotFound, l, Some(&v));
    };
    let owners: Vec<Uuid> = list.iter().filter_map(Record::owner).collect();
    let mut who = HashMap::new();
    for o in owners {
        if let std::collections::hash_map::Entry::Vacant(e) = who.entry(o) {
            e.insert(crm.user_label(o).await.unwrap_or_default());
        }
    }
    let title = t(l, Msg::UiApprovals);
    let content = html! {
        h1 { (title) }
        @if list.is_empty() {
            p.empty { (t(l, Msg::UiNoApprovals)) }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        @for c in ["number", "name", "account", "total", "max_discount", "submitted_at"] {
                            th scope="col" { (label(object, c, l)) }
                        }
                        th scope="col" { (label(object, "owner", l)) }
                    } }
                    tbody {
                        @for r in &list {
                            tr {
                                td { (shown(object, r, "number", fmt)) }
                                td { a href={ "/o/quotes/" (r.id().unwrap_or_default()) } { (shown(object, r, "name", fmt)) } }
                                td { (shown(object, r, "account", fmt)) }
                                td.num { (shown(object, r, "total", fmt)) }
                                td.num { (shown(object, r, "max_discount", fmt)) }
                                td { (shown(object, r, "submitted_at", fmt)) }
                                td { (r.owner().and_then(|o| who.get(&o).cloned()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(l, Some(&v), Some(&schema), None, "/approvals", title, content),
    )
}

/// `GET /notifications`: what the viewer was told, newest first.
/// Where a notification leads its reader: the record's page, or for a customer its page
/// in the portal (community posts and their cases; nothing else of theirs has a page).
fn notice_link(v: &Viewer, object: &guanxi_core::ObjectDef, id: Uuid) -> Option<String> {
    if v.actor.kind != guanxi_core::access::UserKind::Portal {
        return Some(format!("/o/{}/{id}", object.plural));
    }
    match object.name.as_str() {
        guanxi_services::community::POST => Some(format!("/portal/community/{id}")),
        "case" => Some(format!("/portal/cases/{id}")),
        _ => None,
    }
}

pub(super) async fn notifications(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match super::anyone(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let list = match crm.notifications(&v.actor, false).await {
        Ok(list) => list,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let schema = crm.schema();
    let title = t(l, Msg::UiNotifications);
    let content = html! {
        h1 { (title) }
        @if list.iter().any(|n| !n.read) {
            form method="post" action="/notifications/read" {
                input type="hidden" name="csrf" value=(v.csrf);
                button type="submit" { (t(l, Msg::UiMarkAllRead)) }
            }
        }
        @if list.is_empty() {
            p.empty { (t(l, Msg::UiNoNotifications)) }
        } @else {
            ul.notifications {
                @for n in &list {
                    li.unread[!n.read] {
                        time datetime=(n.created_at.to_rfc3339()) { (v.fmt().datetime(&n.created_at)) }
                        " "
                        @match n.record_id.zip(schema.object(n.object.as_deref().unwrap_or(""))).and_then(|(rid, o)| notice_link(&v, o, rid)) {
                            Some(href) => a href=(href) { (n.text) },
                            None => span { (n.text) },
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(
            l,
            Some(&v),
            (v.actor.kind != guanxi_core::access::UserKind::Portal).then_some(&*schema),
            None,
            "/notifications",
            title,
            content,
        ),
    )
}

/// `POST /notifications/read`: marks the viewer's notifications read.
pub(super) async fn read(State(crm): State<Crm>, headers: HeaderMap, Form(form): Form<Fields>) -> Response {
    let v = match super::anyone(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !super::csrf_ok(&v, &form) {
        return super::csrf_refused(&v);
    }
    match crm.read_notifications(&v.actor, None).await {
        Ok(_) => Redirect::to("/notifications").into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

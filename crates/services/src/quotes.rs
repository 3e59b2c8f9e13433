//! Lead to cash: price books, quotes, their approval, and orders.
//!
//! The write path prices every quote and order line — the list price from the quote's
//! price book (or the product's own price), the unit price, discount and tax rate the rep
//! chose, the amounts `guanxi_core::quote` computes — and adds the lines up into their
//! quote or order in the same transaction. A quote discounted further below list than the
//! company's threshold reaches the customer only after a manager above its owner in the
//! role hierarchy approves it; submitting, deciding and ordering are audited and tell the
//! people concerned. An order is made from a quote and copies its lines.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use guanxi_core::quote::{self, LineInput, Status};
use guanxi_core::values::{Record, Value};
use guanxi_core::values::{field as value, field_id as id_of, field_number as number, field_text as text};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_storage::records as store;
use guanxi_storage::{Tx, system};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::notifications::Notice;
use crate::records::{Change, ItemResult, Planned, only};
use crate::{Actor, Crm, ServiceError};

/// The setting that holds the discount (percent below list) above which quotes need approval.
pub const THRESHOLD_SETTING: &str = "quotes.discount_threshold";
/// The setting that holds the seller's name printed on quotes.
pub const COMPANY_SETTING: &str = "quotes.company_name";
/// The longest seller name.
pub const MAX_COMPANY_NAME: usize = 200;
/// The threshold until an administrator sets one.
pub const DEFAULT_THRESHOLD: Decimal = Decimal::from_parts(15, 0, 0, false, 0);

tokio::task_local! {
    /// Set while submitting, deciding, ordering or adding lines up: their writes may set
    /// what users may not.
    static ACTING: bool;
}

fn acting() -> bool {
    ACTING.try_with(|a| *a).unwrap_or(false)
}

pub(crate) type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, ServiceError>> + Send + 'a>>;

/// The company's quote settings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct QuoteSettings {
    /// Percent below list above which a quote needs approval.
    pub discount_threshold: Decimal,
    /// The seller, as printed quotes name it.
    pub company_name: String,
}

/// Where a quote's approval stands.
#[derive(Clone, Debug, Serialize)]
pub struct Approval {
    pub status: String,
    pub max_discount: Decimal,
    pub threshold: Decimal,
    pub needs_approval: bool,
    /// Who would be asked (or was asked): the owner's nearest managers, else administrators.
    pub approvers: Vec<Person>,
    /// Whether the reader may approve or reject it now.
    pub may_decide: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Person>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
}

fn index(object: &ObjectDef, name: &str) -> Option<usize> {
    object.fields.iter().position(|f| f.name == name)
}

fn flag(object: &ObjectDef, r: &Record, name: &str) -> bool {
    matches!(value(object, r, name), Value::Bool(true))
}

fn money(amount: Decimal, currency: &str) -> Value {
    Value::Money {
        amount,
        currency: currency.to_string(),
    }
}

fn status_of(object: &ObjectDef, r: &Record) -> Status {
    text(object, r, "status")
        .and_then(|s| Status::parse(&s))
        .unwrap_or(Status::Draft)
}

/// A picklist value as the reader's language names it.
fn option_label(object: &ObjectDef, field: &str, value: &str, locale: Locale) -> String {
    object
        .field(field)
        .and_then(|f| f.options.iter().find(|o| o.value == value))
        .map(|o| o.label.get(locale).to_string())
        .unwrap_or_else(|| value.to_string())
}

fn refuse(plan: &mut Result<Planned, ServiceError>, error: FieldError) {
    *plan = Err(ServiceError::Validation(vec![error]));
}

/// The line object's parent lookup and the parent object: `quote` or `order`.
fn parent_of(object: &ObjectDef) -> Option<&'static str> {
    match object.name.as_str() {
        quote::QUOTE_LINE => Some(quote::QUOTE),
        quote::ORDER_LINE => Some(quote::ORDER),
        _ => None,
    }
}

fn line_object(parent: &str) -> &'static str {
    if parent == quote::ORDER {
        quote::ORDER_LINE
    } else {
        quote::QUOTE_LINE
    }
}

/// A line's numbers as stored.
fn line_input(object: &ObjectDef, r: &Record) -> LineInput {
    LineInput {
        quantity: number(object, r, "quantity").unwrap_or_default(),
        list_price: number(object, r, "list_price"),
        unit_price: number(object, r, "unit_price").unwrap_or_default(),
        discount: number(object, r, "discount").unwrap_or_default(),
        tax_rate: number(object, r, "tax_rate").unwrap_or_default(),
    }
}

impl Crm {
    /// The company's quote settings.
    pub async fn quote_settings(&self) -> Result<QuoteSettings, ServiceError> {
        let mut tx = self.db().begin().await?;
        let s = self.quote_settings_in(&mut tx).await?;
        tx.commit().await?;
        Ok(s)
    }

    async fn quote_settings_in(&self, tx: &mut Tx) -> Result<QuoteSettings, ServiceError> {
        let threshold = system::setting_in(tx, THRESHOLD_SETTING)
            .await?
            .and_then(|s| Decimal::from_str(&s).ok())
            .unwrap_or(DEFAULT_THRESHOLD);
        let company_name = system::setting_in(tx, COMPANY_SETTING).await?.unwrap_or_default();
        Ok(QuoteSettings {
            discount_threshold: threshold,
            company_name,
        })
    }

    /// Sets the discount threshold and the seller's name (administrators; audited); what
    /// is not given stays as it is.
    pub async fn set_quote_settings(
        &self,
        actor: &Actor,
        threshold: Option<&str>,
        company_name: Option<&str>,
    ) -> Result<QuoteSettings, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let threshold = match threshold {
            None => None,
            Some(text) => {
                let t = Decimal::from_str(text.trim().trim_end_matches('%').trim())
                    .map_err(|_| ServiceError::field("discount_threshold", Msg::NotNumber))?;
                if t < Decimal::ZERO || t > Decimal::ONE_HUNDRED {
                    return Err(ServiceError::field("discount_threshold", Msg::PercentOutOfRange));
                }
                Some(t.normalize())
            }
        };
        let company_name = company_name.map(str::trim);
        if company_name.is_some_and(|c| c.chars().count() > MAX_COMPANY_NAME) {
            return Err(ServiceError::Validation(vec![
                FieldError::new("company_name", Msg::TooLong).with("max", MAX_COMPANY_NAME),
            ]));
        }
        let mut tx = self.db().begin().await?;
        if let Some(t) = threshold {
            system::put_setting(&mut tx, THRESHOLD_SETTING, &t.to_string()).await?;
        }
        if let Some(c) = company_name {
            system::put_setting(&mut tx, COMPANY_SETTING, c).await?;
        }
        let settings = self.quote_settings_in(&mut tx).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "quote.settings",
            None,
            None,
            json!({"discount_threshold": settings.discount_threshold.to_string(), "company_name": settings.company_name}),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// A user's name, for pages that show who did something.
    pub async fn user_label(&self, id: Uuid) -> Result<String, ServiceError> {
        Ok(system::user_by_id(self.db(), id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default())
    }

    /// The write path's pricing step for price books, their entries, quotes, orders and
    /// their lines.
    pub(crate) async fn price_deals(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &Arc<ObjectDef>,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        match object.name.as_str() {
            quote::PRICE_BOOK => self.check_price_books(tx, object, plans).await,
            quote::PRICE_BOOK_ENTRY => self.check_price_entries(tx, object, plans).await,
            quote::QUOTE | quote::ORDER => self.price_headers(tx, actor, object, plans).await,
            quote::QUOTE_LINE | quote::ORDER_LINE => self.price_lines(tx, actor, object, plans).await,
            _ => Ok(()),
        }
    }

    async fn check_price_books(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        let Some(i_currency) = index(object, "currency") else {
            return Ok(());
        };
        let (_, entries) = self.object(quote::PRICE_BOOK_ENTRY)?;
        for plan in plans.iter_mut() {
            let Ok(p) = plan else { continue };
            if !p.writes(i_currency) {
                continue;
            }
            let after = p.after().unwrap_or_else(|| Record { values: Vec::new() });
            let code = text(object, &after, "currency")
                .unwrap_or_default()
                .trim()
                .to_ascii_uppercase();
            if !guanxi_core::values::is_currency_code(&code) {
                refuse(plan, FieldError::new("currency", Msg::InvalidCurrency));
                continue;
            }
            if let Planned::Update { before, .. } = &*p
                && let Some(id) = before.id()
                && !store::live_children(tx, &entries, "price_book", id)
                    .await?
                    .is_empty()
            {
                refuse(plan, FieldError::new("currency", Msg::PricesFixed));
                continue;
            }
            if let Ok(p) = plan {
                p.set(i_currency, Value::Text(code));
            }
        }
        Ok(())
    }

    async fn check_price_entries(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        let (Some(i_price), Some(i_book), Some(i_product)) = (
            index(object, "unit_price"),
            index(object, "price_book"),
            index(object, "product"),
        ) else {
            return Ok(());
        };
        let (_, books) = self.object(quote::PRICE_BOOK)?;
        let afters: Vec<Option<Record>> = plans
            .iter()
            .map(|p| p.as_ref().ok().and_then(Planned::after))
            .collect();
        let book_ids: Vec<Uuid> = afters
            .iter()
            .flatten()
            .filter_map(|r| id_of(object, r, "price_book"))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut book_of: HashMap<Uuid, Record> = HashMap::new();
        let mut taken: HashMap<Uuid, Vec<(Uuid, Uuid)>> = HashMap::new();
        for b in store::get_many_in(tx, &books, &book_ids).await? {
            let Some(id) = b.id() else { continue };
            let entries = store::live_children(tx, object, "price_book", id).await?;
            taken.insert(
                id,
                entries
                    .iter()
                    .filter_map(|e| Some((id_of(object, e, "product")?, e.id()?)))
                    .collect(),
            );
            book_of.insert(id, b);
        }
        for (plan, after) in plans.iter_mut().zip(afters) {
            let (Ok(p), Some(after)) = (&mut *plan, after) else {
                continue;
            };
            let (Some(book_id), Some(product)) = (
                id_of(object, &after, "price_book"),
                id_of(object, &after, "product"),
            ) else {
                continue;
            };
            // A missing book is for the reference check to name.
            let Some(book) = book_of.get(&book_id) else {
                continue;
            };
            let currency = text(&books, book, "currency").unwrap_or_default();
            // Prices are in their book's currency.
            if let Some(amount) = number(object, &after, "unit_price") {
                if amount < Decimal::ZERO {
                    refuse(plan, FieldError::new("unit_price", Msg::MustNotBeNegative));
                    continue;
                }
                p.set(i_price, money(amount, &currency));
            }
            if p.writes(i_book) || p.writes(i_product) {
                let me = after.id();
                let list = taken.entry(book_id).or_default();
                if list.iter().any(|(prod, id)| *prod == product && Some(*id) != me) {
                    refuse(plan, FieldError::new("product", Msg::DuplicatePriceEntry));
                    continue;
                }
                list.push((product, me.unwrap_or_default()));
            }
        }
        Ok(())
    }

    /// The best price book for a new quote: active, in its currency, valid today, for its
    /// channel and the customer's tier — a book made for exactly them before a general one.
    async fn choose_book(
        &self,
        tx: &mut Tx,
        currency: &str,
        channel: Option<&str>,
        tier: Option<&str>,
    ) -> Result<Option<Record>, ServiceError> {
        let (_, books) = self.object(quote::PRICE_BOOK)?;
        let Some(f) = books.field("currency") else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = store::find_live_by(tx, &books, f, &[Value::Text(currency.into())])
            .await?
            .into_iter()
            .map(|(_, id, _)| id)
            .collect();
        let today = self.now().date_naive();
        let mut best: Option<(u8, Record)> = None;
        for b in store::get_many_in(tx, &books, &ids).await? {
            if b.is_deleted() || !flag(&books, &b, "active") {
                continue;
            }
            let dated = |name: &str| match value(&books, &b, name) {
                Value::Date(d) => Some(*d),
                _ => None,
            };
            if dated("valid_from").is_some_and(|d| d > today) || dated("valid_to").is_some_and(|d| d < today)
            {
                continue;
            }
            let fits = |field: &str, wanted: Option<&str>| match (text(&books, &b, field), wanted) {
                (None, _) => Some(0),
                (Some(have), Some(w)) if have == w => Some(1),
                _ => None,
            };
            let (Some(c), Some(t)) = (fits("channel", channel), fits("segment", tier)) else {
                continue;
            };
            let score = c * 2 + t;
            let better = match &best {
                None => true,
                Some((s, r)) => score > *s || score == *s && b.id() < r.id(),
            };
            if better {
                best = Some((score, b));
            }
        }
        Ok(best.map(|(_, b)| b))
    }

    async fn price_headers(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &Arc<ObjectDef>,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        let is_quote = object.name == quote::QUOTE;
        let (_, books) = self.object(quote::PRICE_BOOK)?;
        let (_, accounts) = self.object("account")?;
        let (_, lines) = self.object(line_object(&object.name))?;
        // Read when a status moves, at most once a batch.
        let mut threshold: Option<Decimal> = None;
        let at = |name: &str| index(object, name);
        let (Some(i_status), Some(i_book), Some(i_currency), Some(i_tax)) = (
            at("status"),
            at("price_book"),
            at("currency"),
            at("prices_include_tax"),
        ) else {
            return Ok(());
        };
        let fields = |names: &[&str]| -> Vec<usize> { names.iter().filter_map(|n| at(n)).collect() };
        let (totals, decision) = (fields(&quote::TOTAL_FIELDS), fields(&quote::DECISION_FIELDS));
        let i_max = at(quote::MAX_DISCOUNT);
        // What only the system writes: the sums, then the approval's record.
        let derived: Vec<usize> = totals.iter().chain(&i_max).chain(&decision).copied().collect();
        let pricing = [i_book, i_currency, i_tax];
        for plan in plans.iter_mut() {
            let Ok(p) = plan else { continue };
            let Some(after) = p.after() else { continue };
            if !acting()
                && let Some(i) = derived.iter().find(|i| p.writes(**i))
            {
                refuse(plan, FieldError::new(&object.fields[*i].name, Msg::ComputedField));
                continue;
            }
            let insert = matches!(p, Planned::Insert(_));
            // Status: a new quote or order starts as a draft; a quote moves as its
            // lifecycle allows.
            if insert {
                let status = text(object, &after, "status");
                if status.is_none() {
                    p.set(i_status, Value::Text("draft".into()));
                } else if is_quote
                    && !acting()
                    && status
                        .as_deref()
                        .and_then(Status::parse)
                        .is_some_and(Status::by_action)
                {
                    refuse(plan, FieldError::new("status", Msg::QuoteStatusByAction));
                    continue;
                }
            } else if is_quote && p.writes(i_status) && !acting() {
                let Planned::Update { before, .. } = &*p else {
                    continue;
                };
                let (from, to) = (status_of(object, before), status_of(object, &after));
                let discount = number(object, &after, "max_discount").unwrap_or_default();
                let threshold = match threshold {
                    Some(t) => t,
                    None => *threshold.insert(self.quote_settings_in(tx).await?.discount_threshold),
                };
                if let Err(msg) = quote::may_move(from, to, quote::needs_approval(discount, threshold)) {
                    let e = FieldError::new("status", msg)
                        .with("discount", discount.normalize())
                        .with("threshold", threshold.normalize())
                        .with(
                            "from",
                            option_label(object, "status", from.as_str(), actor.locale),
                        )
                        .with("to", option_label(object, "status", to.as_str(), actor.locale));
                    refuse(plan, e);
                    continue;
                }
                if to == Status::Draft {
                    // Back to draft: the last decision no longer holds.
                    for i in &decision {
                        p.set(*i, Value::Null);
                    }
                }
            }
            // Prices: the book sets the currency and whether prices hold tax.
            if !insert && pricing.iter().any(|i| p.writes(*i)) {
                let Planned::Update { before, .. } = &*p else {
                    continue;
                };
                if let Some(id) = before.id()
                    && !store::live_children(tx, &lines, &object.name, id)
                        .await?
                        .is_empty()
                {
                    let i = pricing.iter().find(|i| p.writes(**i)).copied().unwrap_or(i_book);
                    refuse(plan, FieldError::new(&object.fields[i].name, Msg::PricesFixed));
                    continue;
                }
            }
            if insert || pricing.iter().any(|i| p.writes(*i)) {
                let given = text(object, &after, "currency").map(|c| c.trim().to_ascii_uppercase());
                let book = match id_of(object, &after, "price_book") {
                    Some(id) => store::get_in(tx, &books, id).await?.filter(|b| !b.is_deleted()),
                    None if insert => {
                        let currency = given.clone().unwrap_or_else(|| actor.currency.clone());
                        let tier = match id_of(object, &after, "account") {
                            Some(a) => store::get_in(tx, &accounts, a)
                                .await?
                                .and_then(|r| text(&accounts, &r, "tier")),
                            None => None,
                        };
                        let channel = text(object, &after, "channel");
                        let b = self
                            .choose_book(tx, &currency, channel.as_deref(), tier.as_deref())
                            .await?;
                        if let Some(b) = &b {
                            p.set(i_book, Value::Uuid(b.id().unwrap_or_default()));
                        }
                        b
                    }
                    None => None,
                };
                let currency = match &book {
                    Some(b) => {
                        let c = text(&books, b, "currency").unwrap_or_default();
                        if given.as_ref().is_some_and(|g| *g != c) {
                            refuse(
                                plan,
                                FieldError::new("currency", Msg::PriceBookCurrency).with("currency", &c),
                            );
                            continue;
                        }
                        p.set(i_tax, Value::Bool(flag(&books, b, "prices_include_tax")));
                        c
                    }
                    None => given.unwrap_or_else(|| actor.currency.clone()),
                };
                if !guanxi_core::values::is_currency_code(&currency) {
                    refuse(plan, FieldError::new("currency", Msg::InvalidCurrency));
                    continue;
                }
                p.set(i_currency, Value::Text(currency.clone()));
                if insert {
                    for i in &totals {
                        if p.after().is_some_and(|r| r.values[*i].is_null()) {
                            p.set(*i, money(Decimal::ZERO, &currency));
                        }
                    }
                    if let Some(i) = i_max {
                        p.set(i, Value::Decimal(Decimal::ZERO));
                    }
                }
            }
        }
        Ok(())
    }

    async fn price_lines(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &Arc<ObjectDef>,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        let Some(parent_name) = parent_of(object) else {
            return Ok(());
        };
        let (_, parents) = self.object(parent_name)?;
        let (_, products) = self.object("product")?;
        let (_, books) = self.object(quote::PRICE_BOOK)?;
        let (_, entries) = self.object(quote::PRICE_BOOK_ENTRY)?;
        let at = |name: &str| index(object, name);
        let Some(i_parent) = at(parent_name) else {
            return Ok(());
        };
        let afters: Vec<Option<Record>> = plans
            .iter()
            .map(|p| match p {
                Ok(Planned::Bin { before, .. }) => Some(before.clone()),
                Ok(p) => p.after(),
                Err(_) => None,
            })
            .collect();
        let ids = |name: &str, of: &ObjectDef| -> Vec<Uuid> {
            afters
                .iter()
                .flatten()
                .filter_map(|r| id_of(of, r, name))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        };
        let parent_of: HashMap<Uuid, Record> = store::get_many_in(tx, &parents, &ids(parent_name, object))
            .await?
            .into_iter()
            .filter(|r| !r.is_deleted())
            .filter_map(|r| Some((r.id()?, r)))
            .collect();
        let product_of: HashMap<Uuid, Record> = store::get_many_in(tx, &products, &ids("product", object))
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id()?, r)))
            .collect();
        // Each parent's price book: its name, and the active price of each product in it.
        let mut book_prices: HashMap<Uuid, (String, HashMap<Uuid, Decimal>)> = HashMap::new();
        for b in parent_of
            .values()
            .filter_map(|p| id_of(&parents, p, "price_book"))
        {
            if book_prices.contains_key(&b) {
                continue;
            }
            let name = store::get_in(tx, &books, b)
                .await?
                .and_then(|r| text(&books, &r, "name"))
                .unwrap_or_default();
            let mut prices = HashMap::new();
            for e in store::live_children(tx, &entries, "price_book", b).await? {
                if matches!(value(&entries, &e, "active"), Value::Bool(false)) {
                    continue;
                }
                if let (Some(prod), Some(price)) =
                    (id_of(&entries, &e, "product"), number(&entries, &e, "unit_price"))
                {
                    prices.insert(prod, price);
                }
            }
            book_prices.insert(b, (name, prices));
        }
        // The next line number of each parent.
        let mut next_position: HashMap<Uuid, i64> = HashMap::new();
        let derived: Vec<usize> = quote::LINE_DERIVED.iter().filter_map(|n| at(n)).collect();
        for (plan, after) in plans.iter_mut().zip(afters) {
            let (Ok(p), Some(mut after)) = (&mut *plan, after) else {
                continue;
            };
            let Some(parent) = id_of(object, &after, parent_name).and_then(|id| parent_of.get(&id)) else {
                continue; // the reference check names a missing parent
            };
            // The parent must be open to changes.
            if !acting() {
                let status = text(&parents, parent, "status").unwrap_or_default();
                let locked = if parent_name == quote::QUOTE {
                    !status_of(&parents, parent).editable()
                } else {
                    status != "draft" || id_of(&parents, parent, "quote").is_some()
                };
                if locked {
                    let e = if parent_name == quote::ORDER && id_of(&parents, parent, "quote").is_some() {
                        FieldError::new(parent_name, Msg::OrderFromQuoteLocked)
                    } else {
                        FieldError::new(parent_name, Msg::LinesLocked)
                            .with("name", text(&parents, parent, "name").unwrap_or_default())
                            .with("status", option_label(&parents, "status", &status, actor.locale))
                    };
                    refuse(plan, e);
                    continue;
                }
            }
            if matches!(p, Planned::Bin { .. }) {
                continue;
            }
            if matches!(p, Planned::Update { .. }) && p.writes(i_parent) {
                refuse(plan, FieldError::new(parent_name, Msg::LineParentFixed));
                continue;
            }
            if !acting()
                && let Some(i) = derived.iter().find(|i| p.writes(**i))
            {
                refuse(plan, FieldError::new(&object.fields[*i].name, Msg::ComputedField));
                continue;
            }
            let currency = text(&parents, parent, "currency").unwrap_or_else(|| actor.currency.clone());
            let insert = matches!(p, Planned::Insert(_));
            let product_changed = insert || at("product").is_some_and(|i| p.writes(i));
            let product = id_of(object, &after, "product").and_then(|id| product_of.get(&id));
            // A new product brings its name, unit, tax rate and list price.
            if product_changed && let Some(product) = product {
                for (field, from) in [("name", "name"), ("unit", "unit"), ("tax_rate", "tax_rate")] {
                    if let Some(i) = at(field)
                        && !p.writes(i)
                    {
                        let v = value(&products, product, from).clone();
                        p.set(i, v.clone());
                        after.values[i] = v;
                    }
                }
                let list = match id_of(&parents, parent, "price_book") {
                    Some(book) => match book_prices.get(&book) {
                        Some((name, prices)) => match prices.get(&product.id().unwrap_or_default()) {
                            Some(price) => Some(*price),
                            None => {
                                refuse(
                                    plan,
                                    FieldError::new("product", Msg::NotInPriceBook).with("book", name),
                                );
                                continue;
                            }
                        },
                        None => None,
                    },
                    None => match value(&products, product, "list_price") {
                        Value::Money { amount, currency: c } if *c == currency => Some(*amount),
                        _ => None,
                    },
                };
                // An order copying its quote keeps the quote's list prices.
                if let Some(i) = at("list_price")
                    && !(acting() && p.writes(i))
                {
                    let v = list.map_or(Value::Null, |l| money(l, &currency));
                    p.set(i, v.clone());
                    after.values[i] = v;
                }
            }
            let mut input = line_input(object, &after);
            if number(object, &after, "unit_price").is_none() {
                match input.list_price {
                    Some(l) => input.unit_price = l,
                    None => {
                        refuse(
                            plan,
                            FieldError::new("unit_price", Msg::NoListPrice).with("currency", &currency),
                        );
                        continue;
                    }
                }
            }
            if let Err((field, msg)) = quote::check_line(&input) {
                refuse(plan, FieldError::new(field, msg));
                continue;
            }
            let amounts = quote::line(&input, flag(&parents, parent, "prices_include_tax"));
            let mut put = |name: &str, v: Value| {
                if let Some(i) = at(name) {
                    p.set(i, v);
                }
            };
            put("unit_price", money(input.unit_price, &currency));
            if let Some(l) = input.list_price {
                put("list_price", money(l, &currency));
            }
            put("discount", Value::Decimal(input.discount));
            put("tax_rate", Value::Decimal(input.tax_rate));
            put("amount", money(amounts.amount, &currency));
            put("tax_amount", money(amounts.tax, &currency));
            put("total", money(amounts.total, &currency));
            put("effective_discount", Value::Decimal(amounts.effective_discount));
            if insert
                && let Some(i) = at("position")
                && after.values[i].is_null()
            {
                let parent_id = parent.id().unwrap_or_default();
                let next = match next_position.get(&parent_id) {
                    Some(n) => *n,
                    None => store::live_children(tx, object, parent_name, parent_id)
                        .await?
                        .iter()
                        .filter_map(|l| match value(object, l, "position") {
                            Value::Int(n) => Some(*n),
                            _ => None,
                        })
                        .max()
                        .unwrap_or(0)
                        .saturating_add(1),
                };
                next_position.insert(parent_id, next.saturating_add(1));
                p.set(i, Value::Int(next));
            }
        }
        Ok(())
    }

    /// After lines are written: their quotes and orders add them up again (through the
    /// write path, so the totals have history and change events like any other change).
    pub(crate) fn add_up_lines<'a>(
        &'a self,
        tx: &'a mut Tx,
        actor: &'a Actor,
        object: &'a ObjectDef,
        results: &'a [ItemResult],
        now: DateTime<Utc>,
    ) -> Boxed<'a, ()> {
        Box::pin(async move {
            let Some(parent_name) = parent_of(object) else {
                return Ok(());
            };
            let touched: HashSet<Uuid> = results
                .iter()
                .flatten()
                .filter_map(|(r, _)| id_of(object, r, parent_name))
                .collect();
            if touched.is_empty() {
                return Ok(());
            }
            let (schema, parents) = self.object(parent_name)?;
            let mut changes = Vec::new();
            for id in touched {
                let Some(parent) = store::get_in(tx, &parents, id).await? else {
                    continue;
                };
                let currency = text(&parents, &parent, "currency").unwrap_or_else(|| actor.currency.clone());
                let included = flag(&parents, &parent, "prices_include_tax");
                let lines = store::live_children(tx, object, parent_name, id).await?;
                let amounts: Vec<_> = lines
                    .iter()
                    .map(|l| quote::line(&line_input(object, l), included))
                    .collect();
                let t = quote::totals(&amounts);
                let mut patch = Map::new();
                let m = |d: Decimal| json!({"amount": d.to_string(), "currency": currency});
                patch.insert("subtotal".into(), m(t.subtotal));
                patch.insert("discount_amount".into(), m(t.discount));
                patch.insert("tax_amount".into(), m(t.tax));
                patch.insert("total".into(), m(t.total));
                patch.insert("max_discount".into(), json!(t.max_discount.to_string()));
                changes.push(Change::Update {
                    id,
                    version: None,
                    patch,
                });
            }
            let results = ACTING
                .scope(true, self.apply_in(tx, actor, &schema, &parents, &changes, now))
                .await?;
            results.into_iter().try_for_each(|r| r.map(|_| ()))
        })
    }

    /// Where a quote's approval stands, for `actor`.
    pub async fn quote_approval(&self, actor: &Actor, id: Uuid) -> Result<Approval, ServiceError> {
        let quote = self.get(actor, quote::QUOTE, id, false).await?;
        let (_, object) = self.object(quote::QUOTE)?;
        let threshold = self.quote_settings().await?.discount_threshold;
        let names = self.user_names().await?;
        let person = |id: Uuid| Person {
            id,
            name: names.get(&id).cloned().unwrap_or_default(),
        };
        let owner = quote.owner().unwrap_or_default();
        let max_discount = number(&object, &quote, "max_discount").unwrap_or_default();
        let status = status_of(&object, &quote);
        let dt = |name: &str| match value(&object, &quote, name) {
            Value::DateTime(d) => Some(*d),
            _ => None,
        };
        Ok(Approval {
            status: status.as_str().into(),
            max_discount,
            threshold,
            needs_approval: quote::needs_approval(max_discount, threshold),
            approvers: self.approvers(owner).await?.into_iter().map(person).collect(),
            may_decide: status == Status::InReview && self.may_decide(actor, owner).is_ok(),
            submitted_at: dt("submitted_at"),
            decided_by: id_of(&object, &quote, "approved_by").map(person),
            decided_at: dt("approved_at"),
            comment: text(&object, &quote, "approval_comment"),
        })
    }

    async fn user_names(&self) -> Result<HashMap<Uuid, String>, ServiceError> {
        Ok(system::users(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect())
    }

    /// Who approves `owner`'s quotes: the staff in the nearest role above theirs, else
    /// the administrators.
    async fn approvers(&self, owner: Uuid) -> Result<Vec<Uuid>, ServiceError> {
        let managers = self.policy().managers_of(owner);
        if !managers.is_empty() {
            return Ok(managers);
        }
        Ok(system::users(self.db())
            .await?
            .into_iter()
            .filter(|u| u.is_admin && u.active && u.id != owner)
            .map(|u| u.id)
            .collect())
    }

    fn may_decide(&self, actor: &Actor, owner: Uuid) -> Result<(), ServiceError> {
        if actor.user_id == owner {
            return Err(ServiceError::Forbidden(Msg::OwnApproval));
        }
        if actor.administers() || self.policy().is_above(actor.user_id, owner) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(Msg::NotYourApproval))
        }
    }

    /// Writes a quote's status (and the approval's record) as an action, checking the
    /// version read.
    async fn act_on_quote(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        quote_rec: &Record,
        patch: Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        let (schema, object) = self.object(quote::QUOTE)?;
        let change = Change::Update {
            id: quote_rec.id().unwrap_or_default(),
            version: Some(quote_rec.version()),
            patch,
        };
        let now = self.now();
        only(
            ACTING
                .scope(true, self.apply_in(tx, actor, &schema, &object, &[change], now))
                .await?,
        )
    }

    /// Submits a quote whose discount is above the threshold for approval: its owner's
    /// managers are told.
    pub async fn submit_quote(
        &self,
        actor: &Actor,
        id: Uuid,
        comment: Option<&str>,
    ) -> Result<Record, ServiceError> {
        let q = self.get(actor, quote::QUOTE, id, false).await?;
        let (_, object) = self.object(quote::QUOTE)?;
        if !matches!(status_of(&object, &q), Status::Draft | Status::Rejected) {
            return Err(ServiceError::field("status", Msg::NotSubmittable));
        }
        let mut tx = self.db().begin().await?;
        let threshold = self.quote_settings_in(&mut tx).await?.discount_threshold;
        let (_, lines) = self.object(quote::QUOTE_LINE)?;
        if store::live_children(&mut tx, &lines, quote::QUOTE, id)
            .await?
            .is_empty()
        {
            return Err(ServiceError::field("lines", Msg::QuoteHasNoLines));
        }
        let discount = number(&object, &q, "max_discount").unwrap_or_default();
        if !quote::needs_approval(discount, threshold) {
            return Err(ServiceError::Validation(vec![
                FieldError::new("status", Msg::NoApprovalNeeded)
                    .with("discount", discount.normalize())
                    .with("threshold", threshold.normalize()),
            ]));
        }
        let owner = q.owner().unwrap_or_default();
        let approvers = self.approvers(owner).await?;
        let now = self.now();
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        let mut patch = Map::new();
        patch.insert("status".into(), json!("in_review"));
        patch.insert(
            "submitted_at".into(),
            json!(guanxi_core::values::format_datetime(&now)),
        );
        patch.insert("approved_by".into(), Json::Null);
        patch.insert("approved_at".into(), Json::Null);
        patch.insert("approval_comment".into(), json!(comment));
        let written = self.act_on_quote(&mut tx, actor, &q, patch).await?;
        let name = self.quote_label(&object, &q);
        crate::audit::record(
            &mut tx,
            Some(actor),
            "quote.submit",
            Some(quote::QUOTE),
            Some(id),
            json!({"max_discount": discount.to_string(), "threshold": threshold.to_string(),
                   "approvers": approvers, "comment": comment}),
            now,
        )
        .await?;
        let detail = json!({"actor": self.actor_name(actor).await?, "quote": name,
                            "discount": discount.normalize().to_string()});
        crate::notifications::notify(
            &mut tx,
            actor,
            &approvers,
            &Notice {
                kind: "quote.submitted",
                object: quote::QUOTE,
                record_id: id,
                detail,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Approves or rejects a quote in review (a manager above its owner, or an
    /// administrator). A rejection says why.
    pub async fn decide_quote(
        &self,
        actor: &Actor,
        id: Uuid,
        approve: bool,
        comment: Option<&str>,
    ) -> Result<Record, ServiceError> {
        let q = self.get(actor, quote::QUOTE, id, false).await?;
        let (_, object) = self.object(quote::QUOTE)?;
        if status_of(&object, &q) != Status::InReview {
            return Err(ServiceError::field("status", Msg::NotInReview));
        }
        let owner = q.owner().unwrap_or_default();
        self.may_decide(actor, owner)?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if !approve && comment.is_none() {
            return Err(ServiceError::field("comment", Msg::Required));
        }
        let now = self.now();
        let mut patch = Map::new();
        patch.insert(
            "status".into(),
            json!(if approve { "approved" } else { "rejected" }),
        );
        patch.insert("approved_by".into(), json!(actor.user_id));
        patch.insert(
            "approved_at".into(),
            json!(guanxi_core::values::format_datetime(&now)),
        );
        patch.insert("approval_comment".into(), json!(comment));
        let mut tx = self.db().begin().await?;
        let written = self.act_on_quote(&mut tx, actor, &q, patch).await?;
        let discount = number(&object, &q, "max_discount").unwrap_or_default();
        let action = if approve { "approve" } else { "reject" };
        crate::audit::record(
            &mut tx,
            Some(actor),
            &format!("quote.{action}"),
            Some(quote::QUOTE),
            Some(id),
            json!({"max_discount": discount.to_string(), "comment": comment, "owner": owner}),
            now,
        )
        .await?;
        let detail = json!({"actor": self.actor_name(actor).await?, "quote": self.quote_label(&object, &q),
                            "comment": comment.unwrap_or_default()});
        let kind = if approve {
            "quote.approved"
        } else {
            "quote.rejected"
        };
        crate::notifications::notify(
            &mut tx,
            actor,
            &[owner],
            &Notice {
                kind,
                object: quote::QUOTE,
                record_id: id,
                detail,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    fn quote_label(&self, object: &ObjectDef, q: &Record) -> String {
        match (text(object, q, "number"), text(object, q, "name")) {
            (Some(n), Some(name)) => format!("{n} {name}"),
            (n, name) => n.or(name).unwrap_or_default(),
        }
    }

    async fn actor_name(&self, actor: &Actor) -> Result<String, ServiceError> {
        let name = self.user_label(actor.user_id).await?;
        Ok(if name.is_empty() {
            actor.email.clone()
        } else {
            name
        })
    }

    /// Quotes awaiting `actor`'s decision: in review, owned by someone below them (any
    /// quote in review, for administrators).
    pub async fn approvals(&self, actor: &Actor) -> Result<Vec<Record>, ServiceError> {
        let q = crate::records::ListQuery {
            filter: Some("status eq 'in_review'".into()),
            sort: Some("-updated_at".into()),
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        let page = self.list(actor, quote::QUOTE, &q).await?;
        Ok(page
            .records
            .into_iter()
            .filter(|r| self.may_decide(actor, r.owner().unwrap_or_default()).is_ok())
            .collect())
    }

    /// Makes an order of a quote the customer has (or may be taken to have) accepted: the
    /// order copies the quote's customer, prices and lines, and the quote is ordered.
    pub async fn order_quote(&self, actor: &Actor, id: Uuid) -> Result<Record, ServiceError> {
        let q = self.get(actor, quote::QUOTE, id, false).await?;
        let (schema, object) = self.object(quote::QUOTE)?;
        let (_, lines) = self.object(quote::QUOTE_LINE)?;
        let (_, order) = self.object(quote::ORDER)?;
        let (_, order_lines) = self.object(quote::ORDER_LINE)?;
        let mut tx = self.db().begin().await?;
        let threshold = self.quote_settings_in(&mut tx).await?.discount_threshold;
        let status = status_of(&object, &q);
        let discount = number(&object, &q, "max_discount").unwrap_or_default();
        if !status.orderable(quote::needs_approval(discount, threshold)) {
            let label = option_label(&object, "status", status.as_str(), actor.locale);
            return Err(ServiceError::Validation(vec![
                FieldError::new("status", Msg::NotOrderable).with("status", label),
            ]));
        }
        let mut quote_lines = store::live_children(&mut tx, &lines, quote::QUOTE, id).await?;
        if quote_lines.is_empty() {
            return Err(ServiceError::field("lines", Msg::QuoteHasNoLines));
        }
        quote_lines.sort_by_key(|l| match value(&lines, l, "position") {
            Value::Int(n) => *n,
            _ => i64::MAX,
        });
        let now = self.now();
        let today = now.with_timezone(&self.parse_context().local_offset).date_naive();
        let json_of = |def: &ObjectDef, r: &Record, names: &[&str]| -> Map<String, Json> {
            names
                .iter()
                .filter_map(|n| {
                    let f = def.field(n)?;
                    let v = r.get(def, n)?;
                    (!v.is_null()).then(|| (n.to_string(), guanxi_core::values::to_json(f, v)))
                })
                .collect()
        };
        let mut header = json_of(
            &object,
            &q,
            &[
                "name",
                "account",
                "contact",
                "opportunity",
                "price_book",
                "currency",
                "channel",
                "prices_include_tax",
                "terms",
                "owner",
            ],
        );
        header.insert("quote".into(), json!(id));
        header.insert("status".into(), json!("confirmed"));
        header.insert("order_date".into(), json!(today.format("%Y-%m-%d").to_string()));
        let written = ACTING
            .scope(true, async {
                let created = only(
                    self.apply_in(&mut tx, actor, &schema, &order, &[Change::Create(header)], now)
                        .await?,
                )?;
                let order_id = created.id().unwrap_or_default();
                let copies: Vec<Change> = quote_lines
                    .iter()
                    .map(|l| {
                        let mut m = json_of(
                            &lines,
                            l,
                            &[
                                "product",
                                "name",
                                "position",
                                "quantity",
                                "unit",
                                "list_price",
                                "unit_price",
                                "discount",
                                "tax_rate",
                                "line_description",
                            ],
                        );
                        m.insert("order".into(), json!(order_id));
                        Change::Create(m)
                    })
                    .collect();
                for r in self
                    .apply_in(&mut tx, actor, &schema, &order_lines, &copies, now)
                    .await?
                {
                    r?;
                }
                let mut patch = Map::new();
                patch.insert("status".into(), json!("ordered"));
                self.act_on_quote(&mut tx, actor, &q, patch).await?;
                crate::audit::record(
                    &mut tx,
                    Some(actor),
                    "quote.order",
                    Some(quote::QUOTE),
                    Some(id),
                    json!({"order": order_id, "lines": quote_lines.len()}),
                    now,
                )
                .await?;
                store::get_in(&mut tx, &order, order_id)
                    .await?
                    .ok_or(ServiceError::NotFound)
            })
            .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// A quote's lines in their order, as the actor may see them.
    pub async fn quote_lines(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<Record>, ServiceError> {
        let line = line_object(object);
        let q = crate::records::ListQuery {
            filter: Some(format!("{object} eq '{id}'")),
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        let (_, def) = self.object(line)?;
        let mut lines = self.list(actor, line, &q).await?.records;
        lines.sort_by_key(|l| {
            let n = match value(&def, l, "position") {
                Value::Int(n) => *n,
                _ => i64::MAX,
            };
            (n, l.id())
        });
        Ok(lines)
    }
}

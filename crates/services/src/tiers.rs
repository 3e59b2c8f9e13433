//! Customer tiers kept by the administrators' rules (`guanxi_core::tiers`): each account's
//! revenue booked in the last twelve months (won opportunities by close date, and
//! confirmed or fulfilled orders not from an opportunity, by order date) and its service
//! contract decide its tier, unless someone chose one by hand. The write path keeps the
//! tier in step with what a write changes; a regrade (when the rules are saved, on asking,
//! and every hour on each node) recounts revenue and catches up with the passing days.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::tiers::{Basis, Standing, TierRules};
use guanxi_core::values::Value;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::Definition;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::records::{Change, ListQuery, Planned};
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_tier_rules";
const NAME: &str = "default";
pub const ACCOUNT: &str = "account";
/// Accounts read (and rewritten) per transaction by a regrade.
const PAGE: usize = 500;
/// Who recounts revenue; nobody else may write it.
const SYSTEM: &str = "system";

/// The account fields tiers are kept in.
struct Fields {
    tier: usize,
    manual: usize,
    revenue: usize,
    contract: usize,
}

impl Fields {
    fn of(object: &ObjectDef) -> Option<Fields> {
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        Some(Fields {
            tier: at("tier")?,
            manual: at("tier_override")?,
            revenue: at("revenue_12m")?,
            contract: at("contract_end")?,
        })
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(t) if !t.trim().is_empty() => Some(t.trim()),
        _ => None,
    }
}

/// Revenue as stored, in the rules' currency (none, or another currency, counts nothing).
fn revenue(v: &Value, currency: &str) -> Decimal {
    match v {
        Value::Money { amount, currency: c } if c == currency => *amount,
        _ => Decimal::ZERO,
    }
}

fn date(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        _ => None,
    }
}

fn standing<'a>(f: &Fields, v: &'a [Value], currency: &str) -> Standing<'a> {
    Standing {
        manual: text(&v[f.manual]),
        revenue: revenue(&v[f.revenue], currency),
        contract_until: date(&v[f.contract]),
    }
}

/// What one regrade did: accounts read, and those whose revenue or tier it changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Regrade {
    pub accounts: usize,
    pub changed: usize,
}

/// Why an account has its tier, for its page.
#[derive(Clone, Debug, PartialEq)]
pub struct TierBasis {
    pub tier: Option<String>,
    pub basis: Basis,
    /// The rule that gave the tier, when one did.
    pub rule: Option<guanxi_core::tiers::Rule>,
    pub currency: String,
}

impl Crm {
    /// The rules as stored, if administrators set them.
    pub async fn tier_rules(&self, actor: &Actor) -> Result<Option<Json>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(stored(&self.definitions(TABLE).await?))
    }

    /// Sets the tier rules (administrators; audited), each bad member named, and regrades
    /// every account by them at once.
    pub async fn set_tier_rules(&self, actor: &Actor, input: &Json) -> Result<(Json, Regrade), ServiceError> {
        crate::definitions::admin_only(actor)?;
        let rules = TierRules::from_json(input, &self.picklist_values(ACCOUNT, "tier", true))
            .map_err(ServiceError::Validation)?;
        let stored = rules.to_json();
        let existing = guanxi_storage::system::definitions(self.db(), TABLE).await?;
        let d = Definition {
            id: existing
                .iter()
                .find(|d| d.name == NAME)
                .map_or_else(Uuid::now_v7, |d| d.id),
            name: NAME.into(),
            object: Some(ACCOUNT.into()),
            definition: stored.to_string(),
        };
        self.save_definition(actor, TABLE, &d, "customer.tier_rules.set", stored.clone())
            .await?;
        let done = self.regrade_customers(self.now()).await?;
        Ok((stored, done))
    }

    /// Regrades now (administrators): what the hourly run would do.
    pub async fn regrade_now(&self, actor: &Actor) -> Result<Regrade, ServiceError> {
        crate::definitions::admin_only(actor)?;
        self.regrade_customers(self.now()).await
    }

    /// The rules in force (read in the writing transaction when there is one).
    async fn rules_in_force(&self, tx: Option<&mut Tx>) -> Result<Option<TierRules>, ServiceError> {
        let defs = match tx {
            Some(tx) => self.definitions_in(tx, TABLE).await?,
            None => self.definitions(TABLE).await?,
        };
        // Values retired since the rules were saved still grade: read them leniently.
        let all = self.picklist_values(ACCOUNT, "tier", false);
        Ok(stored(&defs).and_then(|j| TierRules::from_json(&j, &all).ok()))
    }

    /// Why the account (its values `v`) has its tier; `None` without rules.
    pub async fn tier_basis(
        &self,
        object: &ObjectDef,
        v: &[Value],
    ) -> Result<Option<TierBasis>, ServiceError> {
        let (Some(f), Some(rules)) = (Fields::of(object), self.rules_in_force(None).await?) else {
            return Ok(None);
        };
        let today = rules.today(self.now());
        let (tier, basis) = rules.tier_for(&standing(&f, v, &rules.currency), today);
        let rule = match basis {
            Basis::Rule(i) => rules.rules.get(i).cloned(),
            _ => None,
        };
        Ok(Some(TierBasis {
            tier: tier.map(str::to_string),
            basis,
            rule,
            currency: rules.currency.clone(),
        }))
    }

    /// The write path's step for accounts: revenue is the regrade's to write; a tier
    /// chosen by hand stands; otherwise the rules give the tier. A writer who sets the tier
    /// to one the rules would not give has chosen it by hand (an import's 客户等级 column,
    /// an edit of the field), so it is kept as that choice rather than undone at the next
    /// regrade.
    pub(crate) async fn grade_accounts(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != ACCOUNT || !plans.iter().any(|p| p.is_ok()) {
            return Ok(());
        }
        let Some(f) = Fields::of(object) else {
            return Ok(());
        };
        let rules = self.rules_in_force(Some(tx)).await?;
        let recounting = actor.email == SYSTEM;
        for plan in plans.iter_mut() {
            let (was, given) = match &*plan {
                Ok(Planned::Insert(r)) => (vec![Value::Null; r.values.len()], r.values.clone()),
                Ok(p @ Planned::Update { before, .. }) => match p.after() {
                    Some(after) => (before.values.clone(), after.values),
                    None => continue,
                },
                _ => continue,
            };
            if !recounting && given[f.revenue] != was[f.revenue] {
                *plan = Err(ServiceError::Validation(vec![FieldError::new(
                    "revenue_12m",
                    Msg::ComputedField,
                )]));
                continue;
            }
            let derived = |v: &[Value]| -> Value {
                match &rules {
                    Some(r) => {
                        let (t, _) = r.tier_for(&standing(&f, v, &r.currency), r.today(now));
                        t.map_or(Value::Null, |t| Value::Text(t.to_string()))
                    }
                    None => {
                        text(&v[f.manual]).map_or_else(|| v[f.tier].clone(), |m| Value::Text(m.to_string()))
                    }
                }
            };
            let mut after = given.clone();
            // A tier the writer set, unlike what the rules give, is their choice by hand
            // (unless they chose one in the same write).
            let tier_set = given[f.tier] != was[f.tier] && !given[f.tier].is_null();
            let manual_set = given[f.manual] != was[f.manual];
            if rules.is_some() && tier_set && !manual_set && given[f.tier] != derived(&given) {
                after[f.manual] = given[f.tier].clone();
            }
            after[f.tier] = derived(&after);
            match plan {
                Ok(Planned::Insert(r)) => {
                    r.values[f.tier] = after[f.tier].clone();
                    r.values[f.manual] = after[f.manual].clone();
                }
                Ok(Planned::Update { before, changes }) => {
                    for i in [f.tier, f.manual] {
                        changes.retain(|(c, _)| *c != i);
                        if after[i] != before.values[i] {
                            changes.push((i, after[i].clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Recounts every account's revenue of the last twelve months and sets the tier the
    /// rules give where it differs; version-checked, so an account edited meanwhile is
    /// left for the next run. Nothing without rules.
    pub async fn regrade_customers(&self, now: DateTime<Utc>) -> Result<Regrade, ServiceError> {
        let mut done = Regrade::default();
        let Some(rules) = self.rules_in_force(None).await? else {
            return Ok(done);
        };
        let schema = self.schema();
        let account = schema.object(ACCOUNT).ok_or(ServiceError::NotFound)?.clone();
        let Some(f) = Fields::of(&account) else {
            return Ok(done);
        };
        let system = Actor::system(guanxi_core::Locale::default());
        let booked = self.booked(&system, &rules, now).await?;
        let mut cursor = None;
        loop {
            let q = ListQuery {
                sort: Some("id".into()),
                cursor: cursor.take(),
                limit: Some(PAGE),
                ..Default::default()
            };
            let page = self.list(&system, ACCOUNT, &q).await?;
            let today = rules.today(now);
            let mut changes = Vec::new();
            for r in &page.records {
                done.accounts += 1;
                let Some(id) = r.id() else { continue };
                let amount = booked.get(&id).copied().unwrap_or_default();
                let counted = if amount.is_zero() {
                    Value::Null
                } else {
                    Value::Money {
                        amount,
                        currency: rules.currency.clone(),
                    }
                };
                let mut v = r.values.clone();
                v[f.revenue] = counted.clone();
                let (tier, _) = rules.tier_for(&standing(&f, &v, &rules.currency), today);
                let tier = tier.map_or(Value::Null, |t| Value::Text(t.to_string()));
                let same_revenue = match (&r.values[f.revenue], &counted) {
                    (
                        Value::Money {
                            amount: a,
                            currency: c,
                        },
                        Value::Money {
                            amount: b,
                            currency: d,
                        },
                    ) => a == b && c == d,
                    (a, b) => a == b,
                };
                if same_revenue && r.values[f.tier] == tier {
                    continue;
                }
                let mut patch = Map::new();
                patch.insert(
                    "revenue_12m".into(),
                    match &counted {
                        Value::Money { amount, currency } => {
                            json!({"amount": amount.to_string(), "currency": currency})
                        }
                        _ => Json::Null,
                    },
                );
                patch.insert("tier".into(), json!(text(&tier)));
                changes.push(Change::Update {
                    id,
                    version: Some(r.version()),
                    patch,
                });
            }
            if !changes.is_empty() {
                let mut tx = self.db().begin().await?;
                let written = self
                    .apply_in(&mut tx, &system, &schema, &account, &changes, now)
                    .await?;
                tx.commit().await?;
                done.changed += written.iter().filter(|w| w.is_ok()).count();
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(done)
    }

    /// Revenue per account booked in the twelve months up to today, in the rules' currency:
    /// won opportunities by close date, and orders not from an opportunity (whose revenue
    /// the won opportunity already counts) by order date.
    async fn booked(
        &self,
        system: &Actor,
        rules: &TierRules,
        now: DateTime<Utc>,
    ) -> Result<HashMap<Uuid, Decimal>, ServiceError> {
        let today = rules.today(now);
        let since = TierRules::since(today);
        let mut out: HashMap<Uuid, Decimal> = HashMap::new();
        for (object, filter, sum) in [
            (
                "opportunity",
                format!("stage eq 'closed_won' and close_date gte '{since}' and close_date lte '{today}'"),
                "amount",
            ),
            (
                "order",
                format!(
                    "status in ('confirmed', 'fulfilled') and opportunity is_null and order_date gte '{since}' and order_date lte '{today}'"
                ),
                "total",
            ),
        ] {
            for t in self
                .totals(system, object, Some(&filter), "account", Some(sum), None)
                .await?
            {
                let (Some(key), Some(amount)) = (t.key, t.sum) else {
                    continue;
                };
                if t.currency.as_deref() != Some(rules.currency.as_str()) {
                    continue;
                }
                if let Ok(id) = key.parse::<Uuid>() {
                    *out.entry(id).or_default() += amount;
                }
            }
        }
        Ok(out)
    }

    /// Regrades every hour (revenue moves out of the twelve months, contracts end).
    pub async fn run_tiers(self) {
        loop {
            if let Err(e) = self.regrade_customers(self.now()).await {
                tracing::warn!(error = %e, "customer tier regrade failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    }
}

/// The rules as stored, if there are any.
fn stored(defs: &[Definition]) -> Option<Json> {
    defs.iter()
        .find(|d| d.name == NAME)
        .and_then(|d| serde_json::from_str(&d.definition).ok())
}

impl Crm {
    /// The tiers of these accounts, for those the actor may read (and whose tier they may
    /// see): shown beside the customer wherever it appears.
    pub async fn tiers_of(&self, actor: &Actor, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ServiceError> {
        let mut out = HashMap::new();
        let Some(tier) = self
            .schema()
            .object(ACCOUNT)
            .and_then(|a| a.fields.iter().position(|f| f.name == "tier"))
        else {
            return Ok(out);
        };
        let records = match self
            .readable_by_id(actor, ACCOUNT, ids, Some("not tier is_null"))
            .await
        {
            Ok(r) => r,
            // The tier hidden from them: no tiers shown.
            Err(ServiceError::Validation(_)) => return Ok(out),
            Err(e) => return Err(e),
        };
        for (id, r) in records {
            if let Some(t) = r.values.get(tier).and_then(text) {
                out.insert(id, t.to_string());
            }
        }
        Ok(out)
    }
}

//! Partners and channel conflicts.
//!
//! Every new opportunity, lead, quote and order records who sells: a partner user's deals
//! are their partner's (channel `partner`), a quote follows its opportunity, anything else
//! is direct unless said otherwise. Each write of an opportunity or a quote queues its
//! customer (in the write's transaction) for the conflict worker, which checks it after
//! the commit, off the request: the customer — the account and the accounts that look
//! like it (after duplicate resolution a customer is one account; before it, the
//! look-alikes are the same customer) — is checked against the company's rules (`guanxi_core::conflict`): open
//! deals through conflicting channels, or one product quoted at prices further apart
//! across channels than the tolerance, raise a conflict record listing what is involved.
//! The staff owning those records and their managers are told (partner users are not:
//! they must not learn of other channels' deals). Administrators resolve a conflict with
//! a recorded decision.

use std::collections::{BTreeSet, HashSet};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use guanxi_core::access::UserKind;
use guanxi_core::conflict::{self, Engagement, Lane, Quoted, Rules};
use guanxi_core::values::{Record, Value};
use guanxi_core::values::{field as value, field_id as id_of, field_text as text};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::records as store;
use guanxi_storage::{Tx, system};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::notifications::Notice;
use crate::records::{Change, ItemResult, Outcome, Planned, only};
use crate::{Actor, Crm, ServiceError};

/// The setting that holds the company's conflict rules (JSON).
pub const RULES_SETTING: &str = "channels.conflict_rules";
/// How many queued customers one transaction of the worker checks.
const CHECK_BATCH: i64 = 50;

/// The conflict worker's wake-up call and its one-at-a-time lock (per node; nodes share
/// the queue through the database).
#[derive(Default)]
pub struct Checks {
    nudge: tokio::sync::Notify,
    running: tokio::sync::Mutex<()>,
}
/// Opportunity stages that are over.
const CLOSED_STAGES: [&str; 2] = ["closed_won", "closed_lost"];
/// Quote statuses still in play.
const OPEN_QUOTES: [&str; 6] = [
    "draft",
    "in_review",
    "approved",
    "rejected",
    "presented",
    "accepted",
];

tokio::task_local! {
    /// Set while conflicts are raised or resolved: the only writes conflict records take.
    static RAISING: bool;
}

fn raising() -> bool {
    RAISING.try_with(|r| *r).unwrap_or(false)
}

fn amount(object: &ObjectDef, r: &Record, name: &str) -> Option<(Decimal, String)> {
    match value(object, r, name) {
        Value::Money { amount, currency } => Some((*amount, currency.clone())),
        Value::Decimal(d) => Some((*d, String::new())),
        _ => None,
    }
}

fn index(object: &ObjectDef, name: &str) -> Option<usize> {
    object.fields.iter().position(|f| f.name == name)
}

/// Who sells a record of these objects: its channel field (if it has one) and partner.
fn sells(object: &str) -> Option<(Option<&'static str>, &'static str)> {
    match object {
        "opportunity" | "quote" | "order" => Some((Some("channel"), "partner")),
        "lead" => Some((None, "partner")),
        _ => None,
    }
}

/// One record a conflict involves.
#[derive(Clone, Debug)]
struct Party {
    object: &'static str,
    id: Uuid,
    name: String,
    account: Option<Uuid>,
    lane: Lane,
    owner: Option<Uuid>,
    price: Option<(Decimal, String)>,
}

impl Actor {
    /// Guanxi itself, raising conflicts: an administrator audited as `system`.
    pub fn system(locale: guanxi_core::Locale) -> Actor {
        Actor {
            email: "system".into(),
            ..Actor::command_line(locale)
        }
    }
}

impl Crm {
    /// The company's conflict rules (the defaults until an administrator sets them).
    pub async fn conflict_rules(&self) -> Result<Rules, ServiceError> {
        let mut tx = self.db().begin().await?;
        let rules = self.conflict_rules_in(&mut tx).await?;
        tx.commit().await?;
        Ok(rules)
    }

    async fn conflict_rules_in(&self, tx: &mut Tx) -> Result<Rules, ServiceError> {
        Ok(system::setting_in(tx, RULES_SETTING)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Sets the conflict rules (administrators; audited): `{"enabled", "pairs":
    /// [["direct", "partner"], …], "partners_conflict", "price_tolerance"}`.
    pub async fn set_conflict_rules(&self, actor: &Actor, input: Json) -> Result<Rules, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut rules = self.conflict_rules().await?;
        let Json::Object(input) = input else {
            return Err(ServiceError::field("body", Msg::InvalidJson));
        };
        let bad = |field: &str| ServiceError::field(field, Msg::InvalidJson);
        for (k, v) in &input {
            match k.as_str() {
                "enabled" => rules.enabled = v.as_bool().ok_or_else(|| bad("enabled"))?,
                "partners_conflict" => {
                    rules.partners_conflict = v.as_bool().ok_or_else(|| bad("partners_conflict"))?
                }
                "price_tolerance" => {
                    let text = match v {
                        Json::String(s) => s.trim().trim_end_matches('%').trim().to_string(),
                        Json::Number(n) => n.to_string(),
                        _ => return Err(ServiceError::field("price_tolerance", Msg::NotNumber)),
                    };
                    rules.price_tolerance = Decimal::from_str(&text)
                        .map_err(|_| ServiceError::field("price_tolerance", Msg::NotNumber))?
                        .normalize();
                }
                "pairs" => {
                    let pairs: Vec<(String, String)> =
                        serde_json::from_value(v.clone()).map_err(|_| bad("pairs"))?;
                    let mut seen = BTreeSet::new();
                    rules.pairs = pairs
                        .into_iter()
                        .filter(|(a, b)| {
                            seen.insert(if a < b {
                                (a.clone(), b.clone())
                            } else {
                                (b.clone(), a.clone())
                            })
                        })
                        .collect();
                }
                other => return Err(ServiceError::field(other, Msg::UnknownField)),
            }
        }
        if let Err((field, msg)) = rules.check() {
            return Err(ServiceError::field(&field, msg));
        }
        let mut tx = self.db().begin().await?;
        let text = serde_json::to_string(&rules).map_err(|e| ServiceError::Internal(e.to_string()))?;
        system::put_setting(&mut tx, RULES_SETTING, &text).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "conflict.rules",
            None,
            None,
            json!(rules),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(rules)
    }

    /// The write path's step for who sells: partner users' records are their partner's;
    /// quotes follow their opportunity; conflict records are Guanxi's own.
    pub(crate) async fn mark_channels(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        if (object.name == conflict::OBJECT || object.name == conflict::PARTY) && !raising() {
            for plan in plans.iter_mut() {
                if matches!(plan, Ok(Planned::Insert(_) | Planned::Update { .. })) {
                    *plan = Err(ServiceError::Forbidden(Msg::ConflictsBySystem));
                }
            }
            return Ok(());
        }
        let Some((channel, partner_field)) = sells(&object.name) else {
            return Ok(());
        };
        let Some(i_partner) = index(object, partner_field) else {
            return Ok(());
        };
        let i_channel = channel.and_then(|c| index(object, c));
        let (_, opportunities) = self.object("opportunity")?;
        for plan in plans.iter_mut() {
            let Ok(p) = plan else { continue };
            let Some(after) = p.after() else { continue };
            if actor.kind == UserKind::Partner {
                // A partner user sells for their own partner, through the partner channel.
                let mine = actor.partner.map(Value::Uuid).unwrap_or(Value::Null);
                let changes_partner = p.writes(i_partner) && after.values[i_partner] != mine;
                let changes_channel = i_channel
                    .is_some_and(|i| p.writes(i) && after.values[i] != Value::Text(conflict::PARTNER.into()));
                if matches!(p, Planned::Update { .. }) {
                    if changes_partner || changes_channel {
                        let field = if changes_partner { partner_field } else { "channel" };
                        *plan = Err(ServiceError::Validation(vec![FieldError::new(
                            field,
                            Msg::PartnerIsYours,
                        )]));
                    }
                    continue;
                }
                if changes_partner && !after.values[i_partner].is_null() {
                    *plan = Err(ServiceError::Validation(vec![FieldError::new(
                        partner_field,
                        Msg::PartnerIsYours,
                    )]));
                    continue;
                }
                p.set(i_partner, mine);
                if let Some(i) = i_channel {
                    p.set(i, Value::Text(conflict::PARTNER.into()));
                }
                continue;
            }
            let (Some(i), Planned::Insert(_)) = (i_channel, &*p) else {
                continue;
            };
            if !after.values[i].is_null() {
                continue;
            }
            // A quote or an order sells the way its opportunity does.
            let from_opportunity = match id_of(object, &after, "opportunity") {
                Some(o) if object.name != "opportunity" => store::get_in(tx, &opportunities, o).await?,
                _ => None,
            };
            let (lane_channel, lane_partner) = match &from_opportunity {
                Some(o) => (
                    text(&opportunities, o, "channel"),
                    id_of(&opportunities, o, "partner"),
                ),
                None => (None, None),
            };
            let partner = match &after.values[i_partner] {
                Value::Uuid(u) => Some(*u),
                _ => lane_partner,
            };
            let channel = lane_channel.unwrap_or_else(|| {
                if partner.is_some() {
                    conflict::PARTNER.into()
                } else {
                    conflict::DIRECT.into()
                }
            });
            if channel == conflict::PARTNER
                && let Some(partner) = partner
            {
                p.set(i_partner, Value::Uuid(partner));
            }
            p.set(i, Value::Text(channel));
        }
        Ok(())
    }

    /// After opportunities or quotes are written: their customers are queued, in the same
    /// transaction, for a conflict check the background worker makes after the commit
    /// (so the write does not wait for it, and a check is never lost with a crash).
    pub(crate) async fn queue_conflict_checks(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        results: &[ItemResult],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if raising() || !matches!(object.name.as_str(), "opportunity" | "quote") {
            return Ok(());
        }
        let accounts: Vec<Uuid> = results
            .iter()
            .flatten()
            .filter(|(_, o)| !matches!(o, Outcome::Unchanged))
            .filter_map(|(r, _)| id_of(object, r, "account"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !accounts.is_empty() {
            system::queue_conflict_checks(tx, &accounts, now).await?;
        }
        Ok(())
    }

    /// Wakes the conflict worker (after a commit that queued checks).
    pub(crate) fn nudge_conflict_checks(&self) {
        self.conflicts.nudge.notify_one();
    }

    /// Checks the queued customers, a batch at a time, until none is left: what the worker
    /// does when woken, and what tests and the demo call to have every check done.
    pub async fn settle_conflict_checks(&self) -> Result<usize, ServiceError> {
        let mut done = 0;
        loop {
            let n = self.check_queued_conflicts().await?;
            if n == 0 {
                return Ok(done);
            }
            done += n;
        }
    }

    /// The conflict worker: checks what is queued whenever woken, and every second (for
    /// writes made on other nodes or through paths that do not wake it). After a failed
    /// check it waits longer each time (up to a minute), so a check that keeps failing
    /// does not keep the machine busy.
    pub async fn run_conflict_checks(self) {
        let mut failures: u32 = 0;
        loop {
            let pause = match self.settle_conflict_checks().await {
                Ok(_) => {
                    failures = 0;
                    std::time::Duration::from_secs(1)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, failures, "channel conflict check failed");
                    retry_pause(failures)
                }
            };
            if failures > 0 {
                // Not woken early: the same check would fail again.
                tokio::time::sleep(pause).await;
                continue;
            }
            tokio::select! {
                _ = self.conflicts.nudge.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One batch of queued customers, checked and removed from the queue; how many. The
    /// look-alike search runs before the write transaction, so writers do not wait for it.
    async fn check_queued_conflicts(&self) -> Result<usize, ServiceError> {
        let _one_at_a_time = self.conflicts.running.lock().await;
        let queued = system::queued_conflict_checks(self.db(), CHECK_BATCH).await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let enabled = self.conflict_rules().await?.enabled;
        // Who a customer is comes from the duplicate search: it must have every committed
        // write, or a look-alike account written a moment ago (by a partner, through the
        // other channel) is missed and the conflict with it never raised. Without an index
        // (the command line) the look-alikes are read from the tables.
        if enabled && self.search_built() {
            self.refresh_search().await?;
        }
        let mut groups: Vec<Vec<Uuid>> = Vec::new();
        let mut grouped = HashSet::new();
        for account in queued.iter().filter(|_| enabled) {
            if grouped.contains(account) {
                continue;
            }
            let group = self.customer(*account).await?;
            grouped.extend(group.iter().copied());
            groups.push(group);
        }
        let mut tx = self.db().begin().await?;
        let claimed: HashSet<Uuid> = system::claim_conflict_checks(&mut tx, &queued)
            .await?
            .into_iter()
            .collect();
        let rules = self.conflict_rules_in(&mut tx).await?;
        let now = self.now();
        if rules.enabled {
            for group in groups.iter().filter(|g| g.iter().any(|a| claimed.contains(a))) {
                RAISING
                    .scope(true, self.look_for_conflicts(&mut tx, &rules, group, now))
                    .await?;
            }
        }
        let claimed: Vec<Uuid> = claimed.into_iter().collect();
        system::done_conflict_checks(&mut tx, &claimed).await?;
        tx.commit().await?;
        Ok(claimed.len())
    }

    /// The customer an account is: it and the accounts that look like it at the duplicate
    /// rule's threshold.
    async fn customer(&self, account: Uuid) -> Result<Vec<Uuid>, ServiceError> {
        let mut group = vec![account];
        let (_, accounts) = self.object("account")?;
        let Some(record) = store::get_many(self.db(), &accounts, &[account]).await?.pop() else {
            return Ok(group);
        };
        let system = Actor::system(guanxi_core::Locale::default());
        let threshold = self.duplicate_rule("account").await?.threshold;
        for m in self.matches_for(&system, &accounts, &record, threshold).await? {
            if !group.contains(&m.id) {
                group.push(m.id);
            }
        }
        Ok(group)
    }

    async fn look_for_conflicts(
        &self,
        tx: &mut Tx,
        rules: &Rules,
        group: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let (_, opportunities) = self.object("opportunity")?;
        let (_, quotes) = self.object("quote")?;
        let (_, lines) = self.object("quote_line")?;
        let mut parties: Vec<Party> = Vec::new();
        let mut open_quotes: Vec<Record> = Vec::new();
        for account in group {
            for o in store::live_children(tx, &opportunities, "account", *account).await? {
                let stage = text(&opportunities, &o, "stage").unwrap_or_default();
                if CLOSED_STAGES.contains(&stage.as_str()) {
                    continue;
                }
                parties.push(Party {
                    object: "opportunity",
                    id: o.id().unwrap_or_default(),
                    name: text(&opportunities, &o, "name").unwrap_or_default(),
                    account: Some(*account),
                    lane: Lane::new(
                        text(&opportunities, &o, "channel").as_deref(),
                        id_of(&opportunities, &o, "partner"),
                    ),
                    owner: o.owner(),
                    price: amount(&opportunities, &o, "amount"),
                });
            }
            for q in store::live_children(tx, &quotes, "account", *account).await? {
                let status = text(&quotes, &q, "status").unwrap_or_default();
                if !OPEN_QUOTES.contains(&status.as_str()) {
                    continue;
                }
                parties.push(Party {
                    object: "quote",
                    id: q.id().unwrap_or_default(),
                    name: text(&quotes, &q, "name").unwrap_or_default(),
                    account: Some(*account),
                    lane: Lane::new(
                        text(&quotes, &q, "channel").as_deref(),
                        id_of(&quotes, &q, "partner"),
                    ),
                    owner: q.owner(),
                    price: amount(&quotes, &q, "total"),
                });
                open_quotes.push(q);
            }
        }
        // Deals through conflicting channels.
        let engagements: Vec<Engagement> = parties
            .iter()
            .map(|p| Engagement {
                object: p.object.into(),
                id: p.id,
                lane: p.lane.clone(),
            })
            .collect();
        let crossing = conflict::crossing(rules, &engagements);
        if !crossing.is_empty() {
            let involved: Vec<Party> = crossing.iter().map(|i| parties[*i].clone()).collect();
            self.raise(tx, group, "channels", None, None, &involved, now)
                .await?;
        }
        // One product quoted at prices too far apart across channels.
        let mut quoted = Vec::new();
        let mut quoted_party = Vec::new();
        for q in &open_quotes {
            let qid = q.id().unwrap_or_default();
            let lane = Lane::new(
                text(&quotes, q, "channel").as_deref(),
                id_of(&quotes, q, "partner"),
            );
            let party = parties.iter().find(|p| p.id == qid).cloned();
            for l in store::live_children(tx, &lines, "quote", qid).await? {
                let (Some(product), Some((price, currency))) =
                    (id_of(&lines, &l, "product"), amount(&lines, &l, "unit_price"))
                else {
                    continue;
                };
                let discount = amount(&lines, &l, "discount").map(|d| d.0).unwrap_or_default();
                let net =
                    guanxi_core::quote::round_money(price * (Decimal::ONE - discount / Decimal::ONE_HUNDRED));
                quoted.push(Quoted {
                    product,
                    currency: currency.clone(),
                    lane: lane.clone(),
                    net,
                    quote: qid,
                });
                quoted_party.push(party.clone().map(|mut p| {
                    p.price = Some((net, currency.clone()));
                    p
                }));
            }
        }
        for gap in conflict::price_gaps(rules, &quoted) {
            let involved: Vec<Party> = gap
                .members
                .iter()
                .filter_map(|i| quoted_party[*i].clone())
                .collect();
            let prices = (gap.low, gap.high, gap.spread, gap.currency.clone());
            self.raise(
                tx,
                group,
                "price",
                Some(gap.product),
                Some(prices),
                &involved,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Raises a conflict for the customer (or adds what is newly involved to the open one
    /// of the same kind and product), telling the staff who own what is involved and
    /// their managers.
    #[allow(clippy::too_many_arguments)]
    async fn raise(
        &self,
        tx: &mut Tx,
        group: &[Uuid],
        kind: &str,
        product: Option<Uuid>,
        prices: Option<(Decimal, Decimal, Decimal, String)>,
        involved: &[Party],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let (schema, conflicts) = self.object(conflict::OBJECT)?;
        let (_, parties) = self.object(conflict::PARTY)?;
        let (_, accounts) = self.object("account")?;
        let system = Actor::system(guanxi_core::Locale::default());
        let mut existing: Option<Record> = None;
        for account in group {
            for c in store::live_children(tx, &conflicts, "account", *account).await? {
                if text(&conflicts, &c, "status").as_deref() == Some("open")
                    && text(&conflicts, &c, "kind").as_deref() == Some(kind)
                    && id_of(&conflicts, &c, "product") == product
                {
                    existing = Some(c);
                }
            }
        }
        // The customer as the company knows it: an account its staff own before a
        // partner's record of the same company.
        let policy = self.policy();
        let staff = |u: &Uuid| policy.users.get(u).is_some_and(|f| f.kind == UserKind::Internal);
        let mut customer_record = None;
        let mut candidates: Vec<Uuid> = involved.iter().filter_map(|p| p.account).collect();
        candidates.extend(group.iter().copied());
        for a in candidates {
            let Some(r) = store::get_in(tx, &accounts, a).await? else {
                continue;
            };
            let staff_owned = r.owner().is_some_and(|o| staff(&o));
            if customer_record.is_none() || staff_owned {
                customer_record = Some(r);
            }
            if staff_owned {
                break;
            }
        }
        let customer = customer_record.as_ref().and_then(Record::id).unwrap_or(group[0]);
        let customer_name = customer_record
            .as_ref()
            .and_then(|a| text(&accounts, a, "name"))
            .unwrap_or_default();
        let mut channels: Vec<String> = involved
            .iter()
            .map(|p| p.lane.channel.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        channels.sort();
        let mut fields = Map::new();
        fields.insert("channels".into(), json!(channels));
        if let Some((low, high, spread, currency)) = &prices {
            fields.insert(
                "low_price".into(),
                json!({"amount": low.to_string(), "currency": currency}),
            );
            fields.insert(
                "high_price".into(),
                json!({"amount": high.to_string(), "currency": currency}),
            );
            fields.insert("price_spread".into(), json!(spread.to_string()));
        }
        // The product's name, read once if a new conflict or its notification needs it.
        let mut product_name: Option<String> = None;
        let (conflict_id, owner, known, created) = match &existing {
            Some(c) => {
                let id = c.id().unwrap_or_default();
                let owner = c.owner().unwrap_or_default();
                let known: HashSet<Uuid> = store::live_children(tx, &parties, "conflict", id)
                    .await?
                    .iter()
                    .filter_map(|p| id_of(&parties, p, "opportunity").or(id_of(&parties, p, "quote")))
                    .collect();
                let change = Change::Update {
                    id,
                    version: None,
                    patch: fields,
                };
                only(
                    self.apply_in(tx, &system, &schema, &conflicts, &[change], now)
                        .await?,
                )?;
                (id, owner, known, false)
            }
            None => {
                let what = match kind {
                    "price" => {
                        let name = self.name_of(&system, "product", product).await?;
                        product_name = Some(name.clone());
                        name
                    }
                    _ => channels.join(" / "),
                };
                let owner = self.conflict_owner(customer_record.as_ref(), involved).await?;
                let mut input = fields;
                input.insert("name".into(), json!(format!("{customer_name} · {what}")));
                input.insert("account".into(), json!(customer));
                input.insert("kind".into(), json!(kind));
                input.insert("status".into(), json!("open"));
                input.insert("product".into(), json!(product));
                input.insert(
                    "detected_at".into(),
                    json!(guanxi_core::values::format_datetime(&now)),
                );
                input.insert("owner".into(), json!(owner));
                let created = only(
                    self.apply_in(tx, &system, &schema, &conflicts, &[Change::Create(input)], now)
                        .await?,
                )?;
                (created.id().unwrap_or_default(), owner, HashSet::new(), true)
            }
        };
        let new: Vec<&Party> = involved.iter().filter(|p| !known.contains(&p.id)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let rows: Vec<Change> = new
            .iter()
            .map(|p| {
                let mut m = Map::new();
                m.insert("name".into(), json!(p.name));
                m.insert("conflict".into(), json!(conflict_id));
                m.insert("owner".into(), json!(owner));
                m.insert(p.object.into(), json!(p.id));
                m.insert("account".into(), json!(p.account));
                m.insert("channel".into(), json!(p.lane.channel));
                m.insert("partner".into(), json!(p.lane.partner));
                if let Some((price, currency)) = &p.price
                    && !currency.is_empty()
                {
                    m.insert(
                        "price".into(),
                        json!({"amount": price.to_string(), "currency": currency}),
                    );
                }
                Change::Create(m)
            })
            .collect();
        for r in self.apply_in(tx, &system, &schema, &parties, &rows, now).await? {
            r?;
        }
        // The staff who own what is newly involved (all of it, for a new conflict) and
        // their managers; never partner users.
        let told: Vec<&Party> = if created { involved.iter().collect() } else { new };
        let mut users: Vec<Uuid> = Vec::new();
        for owner in told.iter().filter_map(|p| p.owner).filter(|u| staff(u)) {
            users.push(owner);
            users.extend(policy.managers_of(owner));
        }
        let what = match (&prices, kind) {
            (Some((low, high, spread, currency)), _) => {
                let product_name = match product_name {
                    Some(name) => name,
                    None => self.name_of(&system, "product", product).await?,
                };
                json!({"kind": "price", "product": product_name, "low": format!("{currency} {low}"),
                       "high": format!("{currency} {high}"), "spread": spread.normalize().to_string()})
            }
            _ => json!({"kind": "channels", "channels": channels}),
        };
        let notice = Notice {
            kind: "conflict.raised",
            object: conflict::OBJECT,
            record_id: conflict_id,
            detail: json!({"customer": customer_name, "what": what}),
        };
        crate::notifications::notify(tx, &system, &users, &notice, now).await?;
        Ok(())
    }

    /// The name of one record of `object` the actor may read (empty when none is named).
    async fn name_of(&self, actor: &Actor, object: &str, id: Option<Uuid>) -> Result<String, ServiceError> {
        Ok(match id {
            Some(id) => self
                .names_of(actor, object, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default(),
            None => String::new(),
        })
    }

    /// Who owns a new conflict: the customer's owner if staff, else the first staff owner
    /// of what is involved, else an administrator.
    async fn conflict_owner(
        &self,
        customer: Option<&Record>,
        involved: &[Party],
    ) -> Result<Uuid, ServiceError> {
        let policy = self.policy();
        let staff = |u: &Uuid| policy.users.get(u).is_some_and(|f| f.kind == UserKind::Internal);
        let account_owner = customer.and_then(Record::owner).filter(|u| staff(u));
        if let Some(o) = account_owner.or_else(|| involved.iter().filter_map(|p| p.owner).find(|u| staff(u)))
        {
            return Ok(o);
        }
        system::users(self.db())
            .await?
            .into_iter()
            .find(|u| u.is_admin && u.active)
            .map(|u| u.id)
            .ok_or(ServiceError::NotFound)
    }

    /// Resolves an open conflict with a decision (administrators; audited); the staff who
    /// own what it involves are told.
    pub async fn resolve_conflict(
        &self,
        actor: &Actor,
        id: Uuid,
        decision: &str,
        note: Option<&str>,
    ) -> Result<Record, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let c = self.get(actor, conflict::OBJECT, id, false).await?;
        let (schema, conflicts) = self.object(conflict::OBJECT)?;
        let (_, parties) = self.object(conflict::PARTY)?;
        if text(&conflicts, &c, "status").as_deref() != Some("open") {
            return Err(ServiceError::field("status", Msg::ConflictNotOpen));
        }
        let decision = decision.trim();
        if decision.is_empty() {
            return Err(ServiceError::field("decision", Msg::Required));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let now = self.now();
        let mut patch = Map::new();
        patch.insert("status".into(), json!("resolved"));
        patch.insert("decision".into(), json!(decision));
        patch.insert("resolution".into(), json!(note));
        patch.insert("resolved_by".into(), json!(actor.user_id));
        patch.insert(
            "resolved_at".into(),
            json!(guanxi_core::values::format_datetime(&now)),
        );
        let change = Change::Update {
            id,
            version: Some(c.version()),
            patch,
        };
        let mut tx = self.db().begin().await?;
        let written = RAISING
            .scope(true, async {
                only(
                    self.apply_in(&mut tx, actor, &schema, &conflicts, &[change], now)
                        .await?,
                )
            })
            .await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "conflict.resolve",
            Some(conflict::OBJECT),
            Some(id),
            json!({"decision": decision, "note": note}),
            now,
        )
        .await?;
        let (_, opportunities) = self.object("opportunity")?;
        let (_, quotes) = self.object("quote")?;
        let mut owners = Vec::new();
        for p in store::live_children(&mut tx, &parties, "conflict", id).await? {
            if let Some(o) = id_of(&parties, &p, "opportunity") {
                owners.extend(
                    store::get_in(&mut tx, &opportunities, o)
                        .await?
                        .and_then(|r| r.owner()),
                );
            }
            if let Some(q) = id_of(&parties, &p, "quote") {
                owners.extend(store::get_in(&mut tx, &quotes, q).await?.and_then(|r| r.owner()));
            }
        }
        let policy = self.policy();
        owners.retain(|u| policy.users.get(u).is_some_and(|f| f.kind == UserKind::Internal));
        let decision_label = conflicts
            .field("decision")
            .map(|f| f.option_label(decision, actor.locale).to_string())
            .unwrap_or_else(|| decision.to_string());
        let customer = id_of(&conflicts, &c, "account");
        let customer_name = self.name_of(actor, "account", customer).await?;
        let actor_name = self.user_label(actor.user_id).await?;
        let notice = Notice {
            kind: "conflict.resolved",
            object: conflict::OBJECT,
            record_id: id,
            detail: json!({"actor": actor_name, "customer": customer_name, "decision": decision_label}),
        };
        crate::notifications::notify(&mut tx, actor, &owners, &notice, now).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// The open conflicts that involve a record (an account, an opportunity or a quote),
    /// as far as the actor may read them.
    pub async fn conflicts_of(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<Record>, ServiceError> {
        let list = |filter: String| crate::records::ListQuery {
            filter: Some(filter),
            limit: Some(100),
            ..Default::default()
        };
        let ids: Vec<Uuid> = match object {
            "account" | "opportunity" | "quote" => {
                let (_, parties) = self.object(conflict::PARTY)?;
                self.list(actor, conflict::PARTY, &list(format!("{object} eq '{id}'")))
                    .await?
                    .records
                    .iter()
                    .filter_map(|p| id_of(&parties, p, "conflict"))
                    .collect()
            }
            _ => return Ok(Vec::new()),
        };
        // A customer's own conflicts, and those its deals are party to.
        let mut wanted: Vec<String> = ids.iter().map(|i| format!("id eq '{i}'")).collect();
        if object == "account" {
            wanted.push(format!("account eq '{id}'"));
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let page = self
            .list(
                actor,
                conflict::OBJECT,
                &list(format!("({}) and status eq 'open'", wanted.join(" or "))),
            )
            .await?;
        Ok(page.records)
    }
}

/// How long the worker waits after its `failures`-th failure in a row: 2, 4, 8 … seconds,
/// at most a minute.
fn retry_pause(failures: u32) -> std::time::Duration {
    std::time::Duration::from_secs(2u64.saturating_pow(failures.min(6)).min(60))
}

/// What a conflict notification says about the conflict, in the reader's language.
pub(crate) fn describe(what: &Json, locale: guanxi_core::Locale) -> String {
    match what.get("kind").and_then(Json::as_str) {
        Some("price") => {
            let s = |k: &str| what.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
            Msg::ConflictPriceWhat.format(
                locale,
                &[
                    ("product", &s("product")),
                    ("low", &s("low")),
                    ("high", &s("high")),
                    ("spread", &s("spread")),
                ],
            )
        }
        _ => {
            let channels: Vec<String> = what
                .get("channels")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(|c| {
                            guanxi_core::builtin::sales_channel_label(c, locale)
                                .unwrap_or(c)
                                .to_string()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Msg::ConflictChannelsWhat.format(locale, &[("channels", &channels.join(" / "))])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_check_is_retried_less_and_less_often() {
        let secs: Vec<u64> = [1, 2, 3, 5, 6, 40]
            .iter()
            .map(|f| retry_pause(*f).as_secs())
            .collect();
        assert_eq!(secs, vec![2, 4, 8, 32, 60, 60]);
    }

    #[test]
    fn notifications_describe_conflicts_in_the_readers_language() {
        let what = json!({"kind": "channels", "channels": ["direct", "partner"]});
        assert!(describe(&what, guanxi_core::Locale::ZhCn).contains("直销 / 渠道伙伴"));
        assert!(describe(&what, guanxi_core::Locale::En).contains("Direct sales / Partner"));
        let price = json!({"kind": "price", "product": "工控服务器", "low": "CNY 9000", "high": "CNY 10000", "spread": "11.11"});
        assert!(describe(&price, guanxi_core::Locale::ZhCn).contains("11.11"));
    }
}

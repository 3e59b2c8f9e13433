//! Service level policies on cases: the company's business calendar and its targets by
//! tier, case type and priority (`guanxi_core::sla`), stored as one definition, and the
//! write path's part — a new case gets its first response and resolution due times in
//! business time, taking it up records the first response, and waiting on the customer
//! stops both clocks until the case moves on.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use guanxi_core::sla::{self, Policy, Target};
use guanxi_core::values::Value;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::Definition;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::cases::{CASE, ENDED, ESCALATED, NEW, WAITING};
use crate::records::Planned;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_sla_policies";
const NAME: &str = "default";
/// Cases read per page by the sweep.
const PAGE: usize = 500;

/// The case fields the policy keeps.
struct Fields {
    account: usize,
    status: usize,
    case_type: usize,
    priority: usize,
    due: usize,
    first_due: usize,
    first_at: usize,
    paused: usize,
}

impl Fields {
    fn of(object: &ObjectDef) -> Option<Fields> {
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        Some(Fields {
            account: at("account")?,
            status: at("status")?,
            case_type: at("type")?,
            priority: at("priority")?,
            due: at("due_at")?,
            first_due: at("first_response_due")?,
            first_at: at("first_response_at")?,
            paused: at("sla_paused_at")?,
        })
    }
}

/// The policy as stored, if there is one.
fn stored(defs: &[Definition]) -> Option<Json> {
    defs.iter()
        .find(|d| d.name == NAME)
        .and_then(|d| serde_json::from_str(&d.definition).ok())
}

/// The policy's target for a case (its values `v`): by its customer's tier, type and priority.
fn target_of<'a>(
    policy: &'a Policy,
    f: &Fields,
    tiers: &HashMap<Uuid, String>,
    v: &[Value],
) -> Option<&'a Target> {
    let tier = match &v[f.account] {
        Value::Uuid(a) => tiers.get(a).map(String::as_str).filter(|t| !t.is_empty()),
        _ => None,
    };
    sla::target_for(&policy.targets, tier, v[f.case_type].text(), v[f.priority].text())
}

/// How little business time left warns of a target of `minutes` (none without a target).
fn warning_of(target: Option<&Target>, minutes: impl Fn(&Target) -> Option<u32>) -> TimeDelta {
    target
        .and_then(|t| minutes(t).map(|m| t.warning(m)))
        .unwrap_or_default()
}

/// Where a target due at `due` stands at `now`: met at `met`, stopped since `paused`,
/// overdue, or running (warned once no more than `warning` is left).
fn clock(
    calendar: &sla::Calendar,
    due: DateTime<Utc>,
    met: Option<DateTime<Utc>>,
    paused: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    warning: TimeDelta,
) -> Clock {
    if let Some(at) = met {
        return Clock::Met { at, late: at > due };
    }
    if let Some(since) = paused {
        return Clock::Paused {
            left: calendar.between(since, due),
        };
    }
    if due <= now {
        return Clock::Overdue {
            due,
            over: calendar.between(due, now),
        };
    }
    let left = calendar.between(now, due);
    Clock::Running {
        due,
        left,
        warn: left <= warning,
    }
}

/// Sets `field` in an update's changes unless the writer set it themselves.
fn set(changes: &mut Vec<(usize, Value)>, field: usize, value: Value, theirs: &[usize]) {
    if theirs.contains(&field) {
        return;
    }
    match changes.iter_mut().find(|(i, _)| *i == field) {
        Some(c) => c.1 = value,
        None => changes.push((field, value)),
    }
}

impl Crm {
    /// The tiers of these accounts (read in the writing transaction when there is one).
    async fn tiers(&self, tx: Option<&mut Tx>, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ServiceError> {
        let schema = self.schema();
        let Some(account) = schema.object("account") else {
            return Ok(HashMap::new());
        };
        let Some(tier) = account.fields.iter().position(|x| x.name == "tier") else {
            return Ok(HashMap::new());
        };
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let records = match tx {
            Some(tx) => guanxi_storage::records::get_many_in(tx, account, ids).await?,
            None => guanxi_storage::records::get_many(self.db(), account, ids).await?,
        };
        Ok(records
            .into_iter()
            .filter_map(|r| Some((r.id()?, r.values[tier].text().to_string())))
            .collect())
    }

    /// The stored policy as written, if administrators set one.
    pub async fn sla_policy(&self, actor: &Actor) -> Result<Option<Json>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(stored(&self.definitions(TABLE).await?))
    }

    /// Sets the service level policy (administrators; audited). Each bad member is named;
    /// a tier, type or priority must be one of the picklist's values.
    pub async fn set_sla_policy(&self, actor: &Actor, input: &Json) -> Result<Json, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let policy = Policy::from_json(input);
        let mut errors = policy.as_ref().err().cloned().unwrap_or_default();
        if self.schema().object(CASE).is_none() {
            return Err(ServiceError::NotFound);
        }
        let rows = input
            .get("targets")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for (n, row) in rows.iter().enumerate() {
            for (key, allowed) in [
                ("tier", self.picklist_values("account", "tier", false)),
                ("type", self.picklist_values(CASE, "type", false)),
                ("priority", self.picklist_values(CASE, "priority", false)),
            ] {
                let Some(v) = row.get(key).filter(|v| !v.is_null()) else {
                    continue;
                };
                let given = v.as_str().map(str::trim).unwrap_or_default();
                if !given.is_empty() && !allowed.iter().any(|a| a == given) {
                    errors.push(
                        FieldError::new(&format!("targets[{n}].{key}"), Msg::NotInPicklist)
                            .with("value", given),
                    );
                }
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let stored: Json = json!({
            "time_zone": input.get("time_zone").cloned().unwrap_or(json!("Asia/Shanghai")),
            "hours": input.get("hours").cloned().unwrap_or(json!({})),
            "china_holidays": input.get("china_holidays").cloned().unwrap_or(json!(true)),
            "days": input.get("days").cloned().unwrap_or(json!("")),
            "targets": rows,
            "reassign_at_breach": input.get("reassign_at_breach").and_then(Json::as_bool).unwrap_or(false),
        });
        let existing = guanxi_storage::system::definitions(self.db(), TABLE).await?;
        let d = Definition {
            id: existing
                .iter()
                .find(|d| d.name == NAME)
                .map_or_else(Uuid::now_v7, |d| d.id),
            name: NAME.into(),
            object: Some(CASE.into()),
            definition: stored.to_string(),
        };
        self.save_definition(actor, TABLE, &d, "service.sla_policy.set", stored.clone())
            .await?;
        Ok(stored)
    }

    /// The policy in force (read in the writing transaction when there is one).
    async fn policy_in_force(&self, tx: Option<&mut Tx>) -> Result<Option<Policy>, ServiceError> {
        let defs = match tx {
            Some(tx) => self.definitions_in(tx, TABLE).await?,
            None => self.definitions(TABLE).await?,
        };
        Ok(stored(&defs).and_then(|j| Policy::from_json(&j).ok()))
    }

    /// The write path's step for cases: due times as the policy says (see the module).
    /// Without a policy, or for a case no target fits, nothing is set.
    pub(crate) async fn time_cases(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != CASE || !plans.iter().any(|p| p.is_ok()) {
            return Ok(());
        }
        let Some(f) = Fields::of(object) else {
            return Ok(());
        };
        let Some(policy) = self.policy_in_force(Some(&mut *tx)).await? else {
            return Ok(());
        };
        // The customers' tiers: the targets may differ by tier.
        let accounts: Vec<Uuid> = plans
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Planned::Insert(r) => match r.values[f.account] {
                    Value::Uuid(a) => Some(a),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let tiers = self.tiers(Some(tx), &accounts).await?;
        let calendar = &policy.calendar;
        let due = |minutes: Option<u32>| {
            minutes
                .and_then(|m| calendar.add(now, TimeDelta::minutes(i64::from(m))))
                .map_or(Value::Null, Value::DateTime)
        };
        for plan in plans.iter_mut().flatten() {
            match plan {
                Planned::Insert(r) => {
                    let v = &mut r.values;
                    let status = v[f.status].text().to_string();
                    if status == WAITING && v[f.paused].is_null() {
                        v[f.paused] = Value::DateTime(now);
                    }
                    if status != NEW && status != ESCALATED && v[f.first_at].is_null() {
                        v[f.first_at] = Value::DateTime(now);
                    }
                    let Some(target) = target_of(&policy, &f, &tiers, v) else {
                        continue;
                    };
                    if v[f.first_at].is_null() && v[f.first_due].is_null() {
                        v[f.first_due] = due(target.first_response);
                    }
                    if v[f.due].is_null() {
                        v[f.due] = due(target.resolution);
                    }
                }
                Planned::Update { before, changes } => {
                    let theirs: Vec<usize> = changes.iter().map(|(i, _)| *i).collect();
                    let Some(status) = changes
                        .iter()
                        .find(|(i, _)| *i == f.status)
                        .map(|(_, v)| v.text().to_string())
                    else {
                        continue;
                    };
                    let was = before.values[f.status].text().to_string();
                    if status == was {
                        continue;
                    }
                    // Escalating a case answers nobody: it is no first response; the first
                    // move to anything else is (also out of an escalation from new).
                    if status != NEW && status != ESCALATED && before.values[f.first_at].is_null() {
                        set(changes, f.first_at, Value::DateTime(now), &theirs);
                    }
                    if status == WAITING {
                        set(changes, f.paused, Value::DateTime(now), &theirs);
                    } else if was == WAITING {
                        // The clocks start again with what was left when the wait began.
                        if let Some(since) = before.values[f.paused].datetime() {
                            for field in [f.due, f.first_due] {
                                let met = field == f.first_due && !before.values[f.first_at].is_null();
                                if let (Some(d), false) = (before.values[field].datetime(), met) {
                                    let left = calendar.between(since, d);
                                    if left > TimeDelta::zero()
                                        && let Some(moved) = calendar.add(now, left)
                                    {
                                        set(changes, field, Value::DateTime(moved), &theirs);
                                    }
                                }
                            }
                        }
                        set(changes, f.paused, Value::Null, &theirs);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub warned: usize,
    pub escalated: usize,
}

impl Crm {
    /// Warns the owner of each open case whose next target (the first response until there
    /// is one, then the resolution) is within its warning time, and escalates each case
    /// past it: status `escalated`, the owner and their managers told (and, when the policy
    /// says so, the case handed to the nearest manager). Once per due time,
    /// whichever node sweeps first; cases waiting on the customer are left alone.
    pub async fn sweep_service_levels(&self, now: DateTime<Utc>) -> Result<Sweep, ServiceError> {
        let mut done = Sweep::default();
        let Some(policy) = self.policy_in_force(None).await? else {
            return Ok(done);
        };
        let calendar = &policy.calendar;
        // Any case warned of now is due within the longest warning time.
        let longest = policy
            .targets
            .iter()
            .flat_map(|t| [t.first_response, t.resolution].map(|m| m.map(|m| t.warning(m))))
            .flatten()
            .max()
            .unwrap_or_default();
        let horizon = calendar.add(now, longest).unwrap_or(now);
        let schema = self.schema();
        let case = schema.object(CASE).ok_or(ServiceError::NotFound)?.clone();
        let Some(f) = Fields::of(&case) else {
            return Ok(done);
        };
        let at = |n: &str| case.fields.iter().position(|x| x.name == n);
        let (Some(warned_for), Some(escalated_for), Some(subject)) =
            (at("sla_warned_for"), at("sla_escalated_for"), at("subject"))
        else {
            return Ok(done);
        };
        let system = Actor::system(guanxi_core::Locale::default());
        let open = ENDED.map(|s| format!("not status eq '{s}'")).join(" and ");
        let until = guanxi_core::values::format_datetime(&horizon);
        let policy_rules = self.policy();
        for filter in [
            format!(
                "{open} and sla_paused_at is_null and first_response_at is_null and first_response_due lte '{until}'"
            ),
            format!("{open} and sla_paused_at is_null and due_at lte '{until}'"),
        ] {
            let mut cursor = None;
            loop {
                let q = crate::records::ListQuery {
                    filter: Some(filter.clone()),
                    sort: Some("id".into()),
                    cursor: cursor.take(),
                    limit: Some(PAGE),
                    ..Default::default()
                };
                let page = self.list(&system, CASE, &q).await?;
                let accounts: Vec<Uuid> = page
                    .records
                    .iter()
                    .filter_map(|r| match r.values[f.account] {
                        Value::Uuid(a) => Some(a),
                        _ => None,
                    })
                    .collect();
                let tiers = self.tiers(None, &accounts).await?;
                for r in &page.records {
                    let v = &r.values;
                    let (next, response) = match (v[f.first_due].datetime(), v[f.first_at].is_null()) {
                        (Some(d), true) => (d, true),
                        _ => match v[f.due].datetime() {
                            Some(d) => (d, false),
                            None => continue,
                        },
                    };
                    let target = target_of(&policy, &f, &tiers, v);
                    let warning = match response {
                        true => warning_of(target, |t| t.first_response),
                        false => warning_of(target, |t| t.resolution),
                    };
                    // Neither met nor paused: the sweep reads open cases not waiting.
                    let breached = match clock(calendar, next, None, None, now, warning) {
                        Clock::Overdue { .. } => true,
                        Clock::Running { warn: true, .. } => false,
                        _ => continue,
                    };
                    let (mark, kind) = match (breached, response) {
                        (true, true) => (escalated_for, "case.first_response.breached"),
                        (true, false) => (escalated_for, "case.resolution.breached"),
                        (false, true) => (warned_for, "case.first_response.warning"),
                        (false, false) => (warned_for, "case.resolution.warning"),
                    };
                    if v[mark].datetime() == Some(next) {
                        continue;
                    }
                    let (Some(id), Some(owner)) = (r.id(), r.owner()) else {
                        continue;
                    };
                    let mut patch = serde_json::Map::new();
                    patch.insert(case.fields[mark].name.clone(), json!(next));
                    let mut told = vec![owner];
                    if breached {
                        patch.insert("sla_warned_for".into(), json!(next));
                        if v[f.status].text() != ESCALATED {
                            patch.insert("status".into(), json!(ESCALATED));
                        }
                        let managers = policy_rules.managers_of(owner);
                        // The policy may hand a breached case to the owner's manager.
                        if policy.reassign
                            && let Some(m) = managers.first()
                        {
                            patch.insert("owner".into(), json!(m));
                        }
                        told.extend(managers);
                    }
                    let mut tx = self.db().begin().await?;
                    let change = crate::records::Change::Update {
                        id,
                        version: Some(r.version()),
                        patch,
                    };
                    let written = self
                        .apply_in(&mut tx, &system, &schema, &case, &[change], now)
                        .await?;
                    // Changed meanwhile (another node swept it, someone edited it): the
                    // next sweep looks again.
                    if !matches!(written.first(), Some(Ok(_))) {
                        tx.rollback().await?;
                        continue;
                    }
                    let due = next
                        .with_timezone(&calendar.time_zone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string();
                    let notice = crate::notifications::Notice {
                        kind,
                        object: CASE,
                        record_id: id,
                        detail: json!({"subject": v[subject].text(), "due": due}),
                    };
                    crate::notifications::notify(&mut tx, &system, &told, &notice, now).await?;
                    tx.commit().await?;
                    if breached {
                        done.escalated += 1;
                    } else {
                        done.warned += 1;
                    }
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(done)
    }

    /// The service level sweep: every minute.
    pub async fn run_service_levels(self) {
        loop {
            if let Err(e) = self.sweep_service_levels(self.now()).await {
                tracing::warn!(error = %e, "service level sweep failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }
}

/// Where one of a case's targets stands, as its page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Running; `warn` once only the warning share is left.
    Running {
        due: DateTime<Utc>,
        left: TimeDelta,
        warn: bool,
    },
    /// Waiting on the customer: stopped with `left` to go.
    Paused {
        left: TimeDelta,
    },
    /// Past its due time, by `over` of business time.
    Overdue {
        due: DateTime<Utc>,
        over: TimeDelta,
    },
    Met {
        at: DateTime<Utc>,
        late: bool,
    },
}

/// A case's first response and resolution targets, where it has them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clocks {
    pub first_response: Option<Clock>,
    pub resolution: Option<Clock>,
}

impl Crm {
    /// Where the case's targets stand at `now` on the policy's calendar; `None` without a
    /// policy. Fields the viewer may not read count as not set.
    pub async fn case_clocks(
        &self,
        case: &guanxi_core::values::Record,
        now: DateTime<Utc>,
    ) -> Result<Option<Clocks>, ServiceError> {
        let Some(policy) = self.policy_in_force(None).await? else {
            return Ok(None);
        };
        let schema = self.schema();
        let Some(object) = schema.object(CASE) else {
            return Ok(None);
        };
        let Some(f) = Fields::of(object) else {
            return Ok(None);
        };
        let Some(closed_at) = object.fields.iter().position(|x| x.name == "closed_at") else {
            return Ok(None);
        };
        let v = &case.values;
        let calendar = &policy.calendar;
        let tiers = match &v[f.account] {
            Value::Uuid(a) => self.tiers(None, &[*a]).await?,
            _ => HashMap::new(),
        };
        let target = target_of(&policy, &f, &tiers, v);
        let paused = v[f.paused].datetime();
        let done = ENDED.contains(&v[f.status].text());
        let resolved = match done {
            // Resolved when closed, else (closed_at not kept) when last written.
            true => v[closed_at]
                .datetime()
                .or_else(|| v[guanxi_core::values::sys::UPDATED_AT].datetime()),
            false => None,
        };
        let first_warning = warning_of(target, |t| t.first_response);
        let resolution_warning = warning_of(target, |t| t.resolution);
        Ok(Some(Clocks {
            first_response: v[f.first_due].datetime().map(|due| {
                clock(
                    calendar,
                    due,
                    v[f.first_at].datetime(),
                    paused,
                    now,
                    first_warning,
                )
            }),
            resolution: v[f.due]
                .datetime()
                .map(|due| clock(calendar, due, resolved, paused, now, resolution_warning)),
        }))
    }
}

//! Records: the one write path (`Crm::apply`) and the read path. Every create, update,
//! delete and restore of any object goes through `apply`, which validates and
//! normalises, then writes the rows, their field history and change events in one
//! transaction. Nothing else writes record tables.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use guanxi_core::access::{Access, FieldLevel, Level, Operation};
use guanxi_core::metadata::FieldType;
use guanxi_core::query::{self, Cond, Expr, Sort};
use guanxi_core::values::{self, ParseContext, Record, Value, sys};
use guanxi_core::{FieldError, Msg, ObjectDef, Schema};
use guanxi_storage::records::{self as store, Bin};
use guanxi_storage::system::{self, ChangeRow, HistoryRow};
use guanxi_storage::{Arg, StorageError, Tx};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

pub const MAX_BULK: usize = 10_000;
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 1000;

/// One requested change to one record.
#[derive(Clone, Debug)]
pub enum Change {
    Create(Map<String, Json>),
    /// `version: None` skips the optimistic check (bulk upsert by external id).
    Update {
        id: Uuid,
        version: Option<i64>,
        patch: Map<String, Json>,
    },
    Delete {
        id: Uuid,
        version: Option<i64>,
    },
    Restore {
        id: Uuid,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Deleted,
    Restored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Deleted => "deleted",
            Outcome::Restored => "restored",
        }
    }
}

pub type ItemResult = Result<(Record, Outcome), ServiceError>;

/// A page of a list, with the cursor of the next page if there is one.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Record>,
    pub next_cursor: Option<String>,
}

/// One group of `Crm::totals`: the group's value (as text; none for empty), the currency
/// of a money sum, how many records and their sum.
#[derive(Clone, Debug, PartialEq)]
pub struct Total {
    pub key: Option<String>,
    pub currency: Option<String>,
    /// The value of the `by` field these records share, when totals were asked by one.
    pub by: Option<rust_decimal::Decimal>,
    pub count: i64,
    pub sum: Option<rust_decimal::Decimal>,
}

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    pub deleted: bool,
    /// The caller knows the filter matches few records (look-alike candidates): they are
    /// read through the filter's own index, never by walking the sort order, and no query
    /// is spent on finding out which way is faster.
    pub few: bool,
}

/// A field's value as an update would leave it: the change's, else the record's.
pub(crate) fn after_change(before: &Record, changes: &[(usize, Value)], i: usize) -> Value {
    changes
        .iter()
        .find(|(c, _)| *c == i)
        .map_or_else(|| before.values[i].clone(), |(_, v)| v.clone())
}

/// The problem with an update by `actor` that changes one of `kept` — fields the write
/// path keeps, which only the system writes once a record exists.
pub(crate) fn kept_changed(
    actor: &Actor,
    object: &ObjectDef,
    before: &Record,
    changes: &[(usize, Value)],
    kept: &[&str],
) -> Option<FieldError> {
    if actor.email == "system" {
        return None;
    }
    changes
        .iter()
        .find(|(i, v)| kept.contains(&object.fields[*i].name.as_str()) && before.values[*i] != *v)
        .map(|(i, _)| FieldError::new(&object.fields[*i].name, Msg::ComputedField))
}

pub(crate) enum Planned {
    Insert(Record),
    Update {
        before: Record,
        changes: Vec<(usize, Value)>,
    },
    Unchanged(Record),
    Bin {
        before: Record,
        deleted: bool,
    },
}

impl Planned {
    /// The record as this plan would leave it (inserts and updates only).
    pub(crate) fn after(&self) -> Option<Record> {
        match self {
            Planned::Insert(r) => Some(r.clone()),
            Planned::Update { before, changes } => {
                let mut r = before.clone();
                for (i, v) in changes {
                    r.values[*i] = v.clone();
                }
                Some(r)
            }
            _ => None,
        }
    }

    /// Whether the plan writes field `i` (a new record: any value in it).
    pub(crate) fn writes(&self, i: usize) -> bool {
        match self {
            Planned::Insert(r) => !r.values[i].is_null(),
            Planned::Update { changes, .. } => changes.iter().any(|(j, _)| *j == i),
            _ => false,
        }
    }

    /// Makes the plan write `value` into field `i` (an update that comes back to the
    /// stored value no longer changes it).
    pub(crate) fn set(&mut self, i: usize, value: Value) {
        match self {
            Planned::Insert(r) => r.values[i] = value,
            Planned::Update { before, changes } => {
                changes.retain(|(j, _)| *j != i);
                if before.values[i] != value {
                    changes.push((i, value));
                }
            }
            _ => {}
        }
    }
}

impl Crm {
    pub(crate) fn object(
        &self,
        name: &str,
    ) -> Result<(std::sync::Arc<Schema>, std::sync::Arc<ObjectDef>), ServiceError> {
        let schema = self.schema();
        let object = schema.object(name).cloned().ok_or(ServiceError::NotFound)?;
        Ok((schema, object))
    }

    pub fn parse_context(&self) -> ParseContext {
        ParseContext::default()
    }

    pub async fn create(
        &self,
        actor: &Actor,
        object: &str,
        input: Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        self.create_checked(actor, object, input)
            .await
            .map(|(record, _)| record)
    }

    /// Creates one record, checked against the object's duplicate rule first: a rule that
    /// blocks refuses a record looking like existing ones (`ServiceError::Duplicate`,
    /// nothing written); one that warns creates it and returns the look-alikes.
    pub async fn create_checked(
        &self,
        actor: &Actor,
        object: &str,
        input: Map<String, Json>,
    ) -> Result<(Record, Vec<crate::dedupe::Match>), ServiceError> {
        let (_, def) = self.object(object)?;
        let mut matches = Vec::new();
        if crate::dedupe::kind_of(&def).is_some() {
            let rule = self.duplicate_rule(&def.name).await?;
            let access = self.access(actor, &def);
            // Look-alikes among what the actor may read: who may only create sees none.
            if rule.enabled
                && access.may(Operation::Create)
                && access.may(Operation::Read)
                && let Ok(Planned::Insert(planned)) =
                    plan_create(&def, &input, actor, self.now(), &self.parse_context(), &access)
            {
                matches = self.matches_for(actor, &def, &planned, rule.threshold).await?;
                if rule.action == crate::dedupe::Action::Block && !matches.is_empty() {
                    return Err(ServiceError::Duplicate(matches));
                }
            }
        }
        let record = self.apply_one(actor, object, Change::Create(input)).await?;
        Ok((record, matches))
    }

    pub async fn update(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        version: i64,
        patch: Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        self.apply_one(
            actor,
            object,
            Change::Update {
                id,
                version: Some(version),
                patch,
            },
        )
        .await
    }

    pub async fn delete(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        version: Option<i64>,
    ) -> Result<Record, ServiceError> {
        self.apply_one(actor, object, Change::Delete { id, version })
            .await
    }

    pub async fn restore(&self, actor: &Actor, object: &str, id: Uuid) -> Result<Record, ServiceError> {
        self.apply_one(actor, object, Change::Restore { id }).await
    }

    /// One change through the write path: its record, or why it was not written.
    pub async fn apply_one(
        &self,
        actor: &Actor,
        object: &str,
        change: Change,
    ) -> Result<Record, ServiceError> {
        only(self.apply(actor, object, vec![change]).await?)
    }

    /// The one write path. Returns one result per change, in order; changes that fail
    /// validation are not written, the others are written together in one transaction.
    pub async fn apply(
        &self,
        actor: &Actor,
        object: &str,
        changes: Vec<Change>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        if changes.len() > MAX_BULK {
            return Err(ServiceError::TooMany { max: MAX_BULK });
        }
        let (schema, object) = self.object(object)?;
        let now = self.now();
        match self.try_apply(actor, &schema, &object, &changes, now).await {
            Err(ServiceError::Storage(e @ StorageError::Unique { .. })) => {
                if changes.len() == 1 {
                    return Ok(vec![Err(unique_error(&object, &e))]);
                }
                // Someone committed a clashing value meanwhile: redo one by one so that
                // only the clashing records fail.
                let mut out = Vec::with_capacity(changes.len());
                for change in changes {
                    match self
                        .try_apply(actor, &schema, &object, std::slice::from_ref(&change), now)
                        .await
                    {
                        Ok(mut r) => out.push(r.pop().unwrap_or(Err(ServiceError::NotFound))),
                        Err(ServiceError::Storage(e @ StorageError::Unique { .. })) => {
                            out.push(Err(unique_error(&object, &e)))
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(out)
            }
            other => other,
        }
    }

    async fn try_apply(
        &self,
        actor: &Actor,
        schema: &Schema,
        object: &Arc<ObjectDef>,
        changes: &[Change],
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        let mut tx = self.db().begin().await?;
        let results = self
            .apply_in(&mut tx, actor, schema, object, changes, now)
            .await?;
        let t = std::time::Instant::now();
        tx.commit().await?;
        tracing::debug!(object = %object.name, commit = ?t.elapsed(), "write path committed");
        if matches!(object.name.as_str(), "opportunity" | "quote" | "quote_line") {
            self.nudge_conflict_checks();
        }
        Ok(results)
    }

    /// The write path inside a transaction the caller commits (an import writes the
    /// accounts a batch of contacts names and the contacts together). A clash on a unique
    /// value committed meanwhile comes back as a storage error, and the transaction is then
    /// of no further use.
    pub(crate) async fn apply_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        schema: &Schema,
        object: &Arc<ObjectDef>,
        changes: &[Change],
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        let plans = self
            .validate_in(tx, actor, schema, object, changes, now, &HashSet::new())
            .await?;
        self.write_planned(tx, actor, object, plans, now).await
    }

    /// The first half of the write path: each change parsed, normalised, numbered and
    /// checked (versions, permissions, validation rules, references, unique values), not
    /// yet written. A lookup to one of `pending` passes as live: a record the same
    /// transaction writes alongside (an import's new accounts).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn validate_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        schema: &Schema,
        object: &Arc<ObjectDef>,
        changes: &[Change],
        now: DateTime<Utc>,
        pending: &HashSet<Uuid>,
    ) -> Result<Vec<Result<Planned, ServiceError>>, ServiceError> {
        self.validate_planned_in(tx, actor, schema, object, changes, None, now, pending)
            .await
    }

    /// [`Crm::validate_in`], for changes whose creates may have been planned already: one
    /// plan per `Change::Create` in order ([`plan_create`] of the same input, at `now`) — an
    /// import plans its rows on the thread that reads them, ahead of the batch being
    /// written. `None`: planned here.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn validate_planned_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        schema: &Schema,
        object: &Arc<ObjectDef>,
        changes: &[Change],
        creates: Option<Vec<Result<Planned, ServiceError>>>,
        now: DateTime<Utc>,
        pending: &HashSet<Uuid>,
    ) -> Result<Vec<Result<Planned, ServiceError>>, ServiceError> {
        let ctx = self.parse_context();
        let ids: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Create(_) => None,
                Change::Update { id, .. } | Change::Delete { id, .. } | Change::Restore { id } => Some(*id),
            })
            .collect();
        let mut current: HashMap<Uuid, Record> = HashMap::new();
        if !ids.is_empty() {
            for r in store::get_many_in(tx, object, &ids).await? {
                if let Some(id) = r.id() {
                    current.insert(id, r);
                }
            }
        }

        // 1. Plan each change: parse, normalise, check versions (creates came planned).
        let t0 = std::time::Instant::now();
        let access = self.access(actor, object);
        let creates = creates.unwrap_or_else(|| plan_creates(object, changes, actor, now, &ctx, &access));
        let mut creates = creates.into_iter();
        let mut plans: Vec<Result<Planned, ServiceError>> = Vec::with_capacity(changes.len());
        let mut touched: HashSet<Uuid> = HashSet::new();
        for change in changes {
            let refused = match change {
                Change::Create(_) => None,
                Change::Update { id, .. } | Change::Delete { id, .. } | Change::Restore { id } => {
                    self.refusal(tx, &access, object, change, current.get(id)).await?
                }
            };
            let plan = match change {
                Change::Create(_) if !access.may(Operation::Create) => {
                    creates.next();
                    Err(no_permission())
                }
                Change::Create(_) => creates.next().unwrap_or(Err(ServiceError::NotFound)),
                _ if refused.is_some() => Err(refused.unwrap_or(ServiceError::NotFound)),
                Change::Update { id, version, patch } => match current.get(id) {
                    Some(r) if !r.is_deleted() && touched.insert(*id) => {
                        plan_update(object, r, *version, patch, &ctx, &access)
                    }
                    _ => Err(ServiceError::NotFound),
                },
                Change::Delete { id, version } => match current.get(id) {
                    Some(r) if !r.is_deleted() && touched.insert(*id) => match version {
                        Some(v) if *v != r.version() => Err(ServiceError::Conflict { current: r.version() }),
                        _ => Ok(Planned::Bin {
                            before: r.clone(),
                            deleted: true,
                        }),
                    },
                    _ => Err(ServiceError::NotFound),
                },
                Change::Restore { id } => match current.get(id) {
                    Some(r) if r.is_deleted() && touched.insert(*id) => Ok(Planned::Bin {
                        before: r.clone(),
                        deleted: false,
                    }),
                    Some(r) if !r.is_deleted() => Err(ServiceError::NotDeleted),
                    _ => Err(ServiceError::NotFound),
                },
            };
            plans.push(plan);
        }

        // Coded fields left empty get their next number (in this transaction).
        self.assign_codes(tx, object, &mut plans, now).await?;
        // Opportunities follow their sales process (stage moves, derived probability).
        self.follow_processes(tx, actor, object, &mut plans, now).await?;
        // Converted leads are read-only; only a conversion converts.
        Self::guard_leads(object, &mut plans);
        // Attendees: one colleague or contact each, once per activity.
        self.check_attendees(tx, object, &mut plans).await?;
        // Who sells: partner users for their partner, quotes as their opportunity.
        self.mark_channels(tx, actor, object, &mut plans).await?;
        // Price books, quotes, orders and their lines: prices, amounts and statuses.
        self.price_deals(tx, actor, object, &mut plans).await?;
        // New records without an owner go where the assignment rules say (when asked).
        self.assign_owners(tx, object, changes, &mut plans).await?;
        // People move cases only as the company's lifecycle allows.
        self.follow_lifecycle(tx, actor, object, &mut plans).await?;
        // Cases get their service level due times; waiting on the customer stops them.
        self.time_cases(tx, object, &mut plans, now).await?;
        // A case's course (reopened, waited, escalated, on time) as its status moves.
        Self::keep_case_course(actor, object, &mut plans, now);
        // Work orders take their case's customer and are completed with a signature.
        self.plan_work_orders(tx, actor, object, &mut plans, now).await?;
        // Community posts and replies: defaults, and counts and authors kept.
        Self::keep_community(actor, object, &mut plans);
        Self::keep_reviews(actor, object, &mut plans);
        // A customer's message on a case is the portal's to write.
        Self::guard_case_messages(actor, object, &mut plans);
        // Articles follow their publishing flow.
        self.follow_article_flow(actor, object, &mut plans, now);
        // Service costs carry their case's customer and product.
        self.cost_cases(tx, object, &mut plans).await?;
        // Accounts get the tier their rules give, unless one is chosen by hand.
        self.grade_accounts(tx, actor, object, &mut plans, now).await?;
        // A complaint ends only with its root cause and closing summary.
        Self::close_complaints(object, &mut plans);
        // The object's validation rules, on each record as it would be written.
        let rules = self.rules_for(tx, object).await?;
        crate::rules::enforce(&rules, object, &mut plans);

        let t1 = std::time::Instant::now();
        // 2. References: lookups must point at live records, owners at active users.
        self.check_references(tx, actor, schema, object, &mut plans, pending)
            .await?;
        let t2 = std::time::Instant::now();
        // 3. Unique fields: no clash within the batch or with stored records.
        check_unique(tx, object, &mut plans).await?;
        tracing::debug!(
            object = %object.name,
            changes = changes.len(),
            plan = ?(t1 - t0),
            references = ?(t2 - t1),
            unique = ?t2.elapsed(),
            "write path checked"
        );
        // Last, once nothing can refuse them any more: followers hear of new replies.
        self.tell_followers(tx, actor, object, &plans, now).await?;
        // …and customers are asked by mail how their case went.
        self.mail_surveys(tx, object, &plans, now).await?;
        Ok(plans)
    }

    /// The second half of the write path: rows, history and change events of the changes
    /// `validate_in` let through, written together; the others answer with their error.
    pub(crate) async fn write_planned(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &Arc<ObjectDef>,
        plans: Vec<Result<Planned, ServiceError>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        let access = self.access(actor, object);
        let t3 = std::time::Instant::now();
        let changes = plans.len();
        // Where in `results` the records to insert are (written from there, not copied).
        let mut inserts = Vec::new();
        let mut history = Vec::new();
        let mut events = Vec::new();
        let mut audit = Vec::new();
        let mut results: Vec<ItemResult> = Vec::with_capacity(plans.len());
        for plan in plans {
            let result = match plan {
                Err(e) => Err(e),
                Ok(Planned::Unchanged(r)) => Ok((r, Outcome::Unchanged)),
                Ok(Planned::Insert(record)) => {
                    let id = record.id().unwrap_or_default();
                    let fields: Vec<&str> = object
                        .fields
                        .iter()
                        .zip(&record.values)
                        .filter(|(f, v)| !f.system && !v.is_null())
                        .map(|(f, _)| f.name.as_str())
                        .collect();
                    history.push(history_row(object, id, "create", None, None, None, actor, now));
                    events.push(change_row(object, id, "create", &fields, actor, now));
                    inserts.push(results.len());
                    Ok((record, Outcome::Created))
                }
                Ok(Planned::Update { before, changes }) => {
                    let id = before.id().unwrap_or_default();
                    let expected = before.version();
                    let pairs: Vec<_> = changes.iter().map(|(i, v)| (&object.fields[*i], v)).collect();
                    let written = store::update(tx, object, id, expected, &pairs, now).await?;
                    if !written {
                        Err(ServiceError::Conflict {
                            current: expected + 1,
                        })
                    } else {
                        let mut after = before.clone();
                        let mut names = Vec::new();
                        for (i, v) in &changes {
                            let f = &object.fields[*i];
                            history.push(history_row(
                                object,
                                id,
                                "update",
                                Some(&f.name),
                                Some(values::to_json(f, &before.values[*i])),
                                Some(values::to_json(f, v)),
                                actor,
                                now,
                            ));
                            names.push(f.name.as_str());
                            after.values[*i] = v.clone();
                        }
                        after.values[sys::UPDATED_AT] = Value::DateTime(now);
                        after.values[sys::VERSION] = Value::Int(expected + 1);
                        events.push(change_row(object, id, "update", &names, actor, now));
                        Ok((after, Outcome::Updated))
                    }
                }
                Ok(Planned::Bin { before, deleted }) => {
                    let id = before.id().unwrap_or_default();
                    let expected = before.version();
                    if !store::set_deleted(tx, object, id, expected, deleted, now).await? {
                        Err(ServiceError::Conflict {
                            current: expected + 1,
                        })
                    } else {
                        let op = if deleted { "delete" } else { "restore" };
                        audit.push(crate::audit::entry(
                            Some(actor),
                            &format!("record.{op}"),
                            Some(&object.name),
                            Some(id),
                            serde_json::json!({"version": expected + 1}),
                            now,
                        ));
                        history.push(history_row(object, id, op, None, None, None, actor, now));
                        events.push(change_row(object, id, op, &[], actor, now));
                        let mut after = before;
                        after.values[sys::DELETED_AT] = if deleted {
                            Value::DateTime(now)
                        } else {
                            Value::Null
                        };
                        after.values[sys::UPDATED_AT] = Value::DateTime(now);
                        after.values[sys::VERSION] = Value::Int(expected + 1);
                        Ok((
                            after,
                            if deleted {
                                Outcome::Deleted
                            } else {
                                Outcome::Restored
                            },
                        ))
                    }
                }
            };
            results.push(result);
        }
        let t4 = std::time::Instant::now();
        if !inserts.is_empty() {
            let rows: Vec<&Record> = inserts
                .iter()
                .filter_map(|&i| results[i].as_ref().ok().map(|(r, _)| r))
                .collect();
            store::insert(tx, object, &rows).await?;
        }
        let t5 = std::time::Instant::now();
        system::insert_history(tx, &history).await?;
        system::insert_changes(tx, &events).await?;
        if !audit.is_empty() {
            system::insert_audit(tx, &audit).await?;
        }
        let t6 = std::time::Instant::now();
        tracing::debug!(
            object = %object.name,
            changes,
            updates = ?(t4 - t3),
            insert = ?(t5 - t4),
            history = ?(t6 - t5),
            "write path"
        );
        // Lines written: their quotes and orders add up again.
        self.add_up_lines(tx, actor, object, &results, now).await?;
        // Deals and quotes written: is their customer worked through conflicting channels?
        self.queue_conflict_checks(tx, object, &results, now).await?;
        // What the actor may not see is not in the answer either.
        for (record, _) in results.iter_mut().flatten() {
            access.redact(object, record);
        }
        Ok(results)
    }

    /// Bulk create, or upsert keyed by an external-id field: records whose key matches
    /// a stored record update it, the others are created. One result per input.
    pub async fn bulk(
        &self,
        actor: &Actor,
        object: &str,
        inputs: Vec<Map<String, Json>>,
        upsert_on: Option<&str>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        if inputs.len() > MAX_BULK {
            return Err(ServiceError::TooMany { max: MAX_BULK });
        }
        let Some(key_name) = upsert_on else {
            return self
                .apply(actor, object, inputs.into_iter().map(Change::Create).collect())
                .await;
        };
        let (_, obj) = self.object(object)?;
        let key = match obj.field(key_name) {
            Some(f) if (f.external_id || f.unique) && !self.access(actor, &obj).hidden(&f.name) => f.clone(),
            _ => return Err(ServiceError::field("upsert_on", Msg::UnknownField)),
        };
        let ctx = self.parse_context();
        let mut keys: Vec<Result<Value, ServiceError>> = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let k = match input.get(key_name).map(|j| values::parse_input(&key, j, &ctx)) {
                None | Some(Ok(Value::Null)) => Err(ServiceError::field(key_name, Msg::Required)),
                Some(Err(e)) => Err(ServiceError::Validation(vec![e])),
                Some(Ok(v)) => Ok(v),
            };
            keys.push(k);
        }
        let wanted: Vec<Value> = keys.iter().filter_map(|k| k.as_ref().ok().cloned()).collect();
        let mut tx = self.db().begin().await?;
        let found = store::find_by(&mut tx, &obj, &key, &wanted).await?;
        tx.rollback().await?;
        let mut by_key: HashMap<String, (Uuid, bool)> = HashMap::new();
        for (value, id, deleted) in found {
            by_key.insert(arg_key(&value), (id, deleted));
        }
        let mut changes = Vec::new();
        let mut slots: Vec<Result<usize, ServiceError>> = Vec::with_capacity(inputs.len());
        let mut seen = HashSet::new();
        for (input, k) in inputs.into_iter().zip(keys) {
            let slot = match k {
                Err(e) => Err(e),
                Ok(v) => {
                    let text = arg_key(&store::field_args(&key, &v)[0]);
                    if !seen.insert(text.clone()) {
                        Err(ServiceError::field(key_name, Msg::NotUnique))
                    } else {
                        match by_key.get(&text) {
                            Some((_, true)) => Err(ServiceError::InRecycleBin),
                            Some((id, false)) => {
                                let mut patch = input;
                                patch.remove(key_name);
                                changes.push(Change::Update {
                                    id: *id,
                                    version: None,
                                    patch,
                                });
                                Ok(changes.len() - 1)
                            }
                            None => {
                                changes.push(Change::Create(input));
                                Ok(changes.len() - 1)
                            }
                        }
                    }
                }
            };
            slots.push(slot);
        }
        let updates: Vec<bool> = changes
            .iter()
            .map(|c| matches!(c, Change::Update { .. }))
            .collect();
        let mut applied: Vec<Option<ItemResult>> = self
            .apply(actor, object, changes)
            .await?
            .into_iter()
            .zip(updates)
            .map(|(r, update)| match r {
                // The key belongs to a record the actor may not read: for them it is a
                // value already taken, as it would be on create.
                Err(ServiceError::NotFound) if update => {
                    Some(Err(ServiceError::field(key_name, Msg::NotUnique)))
                }
                other => Some(other),
            })
            .collect();
        Ok(slots
            .into_iter()
            .map(|s| match s {
                Err(e) => Err(e),
                Ok(i) => applied
                    .get_mut(i)
                    .and_then(Option::take)
                    .unwrap_or(Err(ServiceError::NotFound)),
            })
            .collect())
    }

    /// A live record (or, with `deleted`, one in the recycle bin).
    pub async fn get(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        deleted: bool,
    ) -> Result<Record, ServiceError> {
        let (_, object) = self.object(object)?;
        let record = self.readable(actor, &object, id).await?;
        if record.is_deleted() == deleted {
            Ok(record)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// A record the actor may read, live or in the recycle bin; 404 when there is none
    /// they may read, 403 when they may not read the object at all.
    async fn readable(&self, actor: &Actor, object: &ObjectDef, id: Uuid) -> Result<Record, ServiceError> {
        let access = self.access(actor, object);
        self.readable_with(&access, object, id).await
    }

    /// `readable` with the access already decided. Hidden fields come back blank.
    pub(crate) async fn readable_with(
        &self,
        access: &Access,
        object: &ObjectDef,
        id: Uuid,
    ) -> Result<Record, ServiceError> {
        if !access.may(Operation::Read) {
            return Err(no_permission());
        }
        let sql = store::get_sql(self.db().dialect(), object, id);
        let rows = self.db().fetch(sql, &store::row_kinds(object)).await?;
        let row = rows.into_iter().next().ok_or(ServiceError::NotFound)?;
        let mut record = store::decode(object, row)?;
        let level = self
            .record_level(None, access, object, &record, Operation::Read)
            .await?;
        if !access.allows(Operation::Read, level) {
            return Err(ServiceError::NotFound);
        }
        access.redact(object, &mut record);
        Ok(record)
    }

    /// The names (name field) of the records with these ids the actor may read; the
    /// others are left out. An object the actor may not read gives none.
    pub async fn names_of(
        &self,
        actor: &Actor,
        object: &str,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, ServiceError> {
        let (_, def) = self.object(object)?;
        let name = def.fields.iter().position(|f| f.name == def.name_field);
        Ok(self
            .readable_by_id(actor, object, ids, None)
            .await?
            .into_iter()
            .filter_map(|(id, r)| match name.and_then(|i| r.values.get(i)) {
                Some(Value::Text(n)) => Some((id, n.clone())),
                _ => None,
            })
            .collect())
    }

    /// The records with these ids (and matching `also`, a filter, when given) the actor
    /// may read, with the fields they may not read blanked. An object the actor may not
    /// read gives none.
    pub(crate) async fn readable_by_id(
        &self,
        actor: &Actor,
        object: &str,
        ids: &[Uuid],
        also: Option<&str>,
    ) -> Result<HashMap<Uuid, Record>, ServiceError> {
        let mut out = HashMap::new();
        // 80 ids keep the filter text well under its length limit.
        for chunk in ids.chunks(80) {
            let list = chunk
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let filter = match also {
                Some(more) => format!("id in ({list}) and {more}"),
                None => format!("id in ({list})"),
            };
            let q = ListQuery {
                filter: Some(filter),
                limit: Some(chunk.len()),
                ..Default::default()
            };
            let page = match self.list(actor, object, &q).await {
                Ok(p) => p,
                Err(ServiceError::Forbidden(_)) => return Ok(out),
                Err(e) => return Err(e),
            };
            for r in page.records {
                if let Some(id) = r.id() {
                    out.insert(id, r);
                }
            }
        }
        Ok(out)
    }

    /// Writes `patch_of(latest)` on the latest version of a record, reading it again when
    /// someone wrote it meanwhile (a count many bump at once); `Conflict` after five tries.
    pub(crate) async fn update_latest(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        patch_of: impl Fn(&Record) -> Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        for _ in 0..5 {
            let current = self.get(actor, object, id, false).await?;
            match self
                .update(actor, object, id, current.version(), patch_of(&current))
                .await
            {
                Err(ServiceError::Conflict { .. }) => continue,
                done => return done,
            }
        }
        Err(ServiceError::Conflict { current: 0 })
    }

    /// Refuses (403) unless the actor may edit this readable record.
    pub(crate) async fn editable_with(
        &self,
        access: &Access,
        object: &ObjectDef,
        record: &Record,
    ) -> Result<(), ServiceError> {
        let level = self
            .record_level(None, access, object, record, Operation::Edit)
            .await?;
        if access.may(Operation::Edit) && access.allows(Operation::Edit, level) {
            Ok(())
        } else {
            Err(no_permission())
        }
    }

    /// One keyset page of a list.
    pub async fn list(&self, actor: &Actor, object: &str, q: &ListQuery) -> Result<Page, ServiceError> {
        let (_, object) = self.object(object)?;
        let access = self.access(actor, &object);
        if !access.may(Operation::Read) {
            return Err(no_permission());
        }
        // Filters and sorts see only the fields the actor sees.
        let visible = access.visible_object(&object);
        let filter = self.typed_filter(&visible, q.filter.as_deref())?;
        let branches = read_branches(&access, &object);
        let sort: Sort = match q.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => query::parse_sort("id", &visible),
            Some(s) => query::parse_sort(s, &visible),
        }
        .map_err(|e| {
            let mut fe = FieldError::new("sort", Msg::InvalidSort);
            if let Some(f) = e.field {
                fe = fe.with("field", f);
            }
            ServiceError::Validation(vec![fe])
        })?;
        let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                query::decode_cursor(&sort, c)
                    .ok_or_else(|| ServiceError::field("cursor", Msg::InvalidCursor))?,
            ),
        };
        let limit = q.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ServiceError::Validation(vec![
                FieldError::new("limit", Msg::InvalidLimit).with("max", MAX_PAGE),
            ]));
        }
        let bin = if q.deleted { Bin::Deleted } else { Bin::Live };
        let live = bin == Bin::Live;
        let with_filter = |e: Expr<Cond>| match &filter {
            Some(f) => Expr::And(vec![e, f.clone()]),
            None => e,
        };
        // The parts whose union is the page: each its filter, and whether it is the owners'
        // branch (which walks the sort index unless the user's own filter is selective).
        let parts: Vec<(Option<Expr<Cond>>, bool)> = match branches {
            None => vec![(filter.clone(), false)],
            // PostgreSQL plans one predicate of alternatives well (bitmap OR of indexes) and
            // branches badly (it cannot see that a branch's own LIMIT walk finds nothing).
            Some(b) if self.db().dialect() == guanxi_storage::Dialect::Postgres => {
                vec![(Some(with_filter(Expr::Or(b))), false)]
            }
            Some(b) => b
                .into_iter()
                .enumerate()
                .map(|(i, e)| (Some(with_filter(e)), i == 0))
                .collect(),
        };
        let mut indexes = Vec::with_capacity(parts.len());
        for (f, owners) in &parts {
            let index = match (live, owners) {
                (false, _) => None,
                (true, _) if q.few => None,
                (true, true) => {
                    store::sort_index_for(self.db(), &object, filter.as_ref(), &sort, true).await?
                }
                (true, false) => store::sort_index_for(self.db(), &object, f.as_ref(), &sort, false).await?,
            };
            indexes.push(index);
        }
        let specs: Vec<store::ListSpec<'_>> = parts
            .iter()
            .zip(&indexes)
            .map(|((f, _), index)| store::ListSpec {
                filter: f.as_ref(),
                sort: &sort,
                cursor: cursor.as_ref(),
                limit: limit + 1,
                bin,
                index: index.as_deref(),
            })
            .collect();
        let sql = match specs.as_slice() {
            [one] => store::list_sql(self.db().dialect(), &object, one),
            many => store::union_list_sql(self.db().dialect(), &object, many),
        };
        let rows = self.db().fetch(sql, &store::row_kinds(&object)).await?;
        let mut records = rows
            .into_iter()
            .map(|r| store::decode(&object, r))
            .collect::<Result<Vec<_>, _>>()?;
        for r in &mut records {
            access.redact(&object, r);
        }
        let next_cursor = if records.len() > limit {
            records.truncate(limit);
            records.last().and_then(|last| {
                let i = object.fields.iter().position(|f| f.name == sort.field.name)?;
                Some(query::encode_cursor(&sort, &last.values[i], last.id()?))
            })
        } else {
            None
        };
        Ok(Page { records, next_cursor })
    }

    /// A filter in the query language, typed against what the actor sees of the object.
    pub(crate) fn typed_filter(
        &self,
        visible: &ObjectDef,
        text: Option<&str>,
    ) -> Result<Option<Expr<Cond>>, ServiceError> {
        match text.map(str::trim).filter(|f| !f.is_empty()) {
            None => Ok(None),
            Some(text) => query::parse_filter(text)
                .and_then(|e| query::type_filter(e, visible, &self.parse_context()))
                .map(Some)
                .map_err(filter_error),
        }
    }

    /// Of the records the actor may read that match `filter` and whose datetime `to` is
    /// after their datetime `from`: how many, and the seconds between the two, summed.
    pub async fn span_totals(
        &self,
        actor: &Actor,
        object: &str,
        filter: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<(i64, i64), ServiceError> {
        let (_, object) = self.object(object)?;
        let access = self.access(actor, &object);
        if !access.may(Operation::Read) {
            return Err(no_permission());
        }
        let visible = access.visible_object(&object);
        let filter = self.typed_filter(&visible, filter)?;
        let column = |name: &str| {
            visible
                .field(name)
                .filter(|f| f.field_type == FieldType::Datetime)
                .map(|f| f.column.clone())
                .ok_or_else(|| ServiceError::field(name, Msg::UnknownField))
        };
        let (from, to) = (column(from)?, column(to)?);
        let mut parts: Vec<Expr<Cond>> = filter.into_iter().collect();
        if let Some(b) = read_branches(&access, &object) {
            parts.push(Expr::Or(b));
        }
        let sql = store::span_sql(self.db().dialect(), &object, &Expr::And(parts), &from, &to);
        let rows = self
            .db()
            .fetch(sql, &[guanxi_core::ColumnKind::Int, guanxi_core::ColumnKind::Int])
            .await?;
        let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
        let count = row.next().and_then(|a| a.as_int()).unwrap_or(0);
        let seconds = row.next().and_then(|a| a.as_int()).unwrap_or(0);
        Ok((count, seconds))
    }

    /// Counts (and sums of a money or number field) of the records the actor may read that
    /// match `filter`, grouped by a field's value — a board's column totals. Money is summed
    /// per currency; every other group has one row, unless `by` names a number field to
    /// split it by too (a probability, so the caller can weight each sum exactly).
    pub async fn totals(
        &self,
        actor: &Actor,
        object: &str,
        filter: Option<&str>,
        group: &str,
        sum: Option<&str>,
        by: Option<&str>,
    ) -> Result<Vec<Total>, ServiceError> {
        let (_, object) = self.object(object)?;
        let access = self.access(actor, &object);
        if !access.may(Operation::Read) {
            return Err(no_permission());
        }
        let visible = access.visible_object(&object);
        let filter = self.typed_filter(&visible, filter)?;
        let group = visible
            .field(group)
            .filter(|f| {
                !matches!(
                    f.field_type,
                    FieldType::MultiPicklist | FieldType::Tags | FieldType::LongText
                )
            })
            .ok_or_else(|| ServiceError::field("group", Msg::UnknownField))?;
        // A field of one of `types`, named under `key` when it is not one.
        let numeric = |name: Option<&str>, key: &str, types: &[FieldType]| match name {
            None => Ok(None),
            Some(name) => visible
                .field(name)
                .filter(|f| types.contains(&f.field_type))
                .map(Some)
                .ok_or_else(|| ServiceError::field(key, Msg::UnknownField)),
        };
        let sum = numeric(
            sum,
            "sum",
            &[FieldType::Money, FieldType::Integer, FieldType::Decimal],
        )?;
        let by = numeric(
            by,
            "by",
            &[FieldType::Percent, FieldType::Integer, FieldType::Decimal],
        )?;
        let mut parts: Vec<Expr<Cond>> = filter.into_iter().collect();
        if let Some(b) = read_branches(&access, &object) {
            parts.push(Expr::Or(b));
        }
        let predicate = Expr::And(parts);
        let (sql, kinds) = store::totals_sql(self.db().dialect(), &object, &predicate, group, sum, by);
        let rows = self.db().fetch(sql, &kinds).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut row = row.into_iter();
                let key = row.next().and_then(|a| arg_text(&a));
                let currency = match sum {
                    Some(f) if f.field_type == FieldType::Money => {
                        row.next().and_then(|a| a.as_text().map(str::to_string))
                    }
                    _ => None,
                };
                let number = |a: Arg| match a {
                    Arg::Decimal(d, _) => Some(d),
                    Arg::Int(i) => Some(rust_decimal::Decimal::from(i)),
                    _ => None,
                };
                let by = match by {
                    Some(_) => row.next().and_then(number),
                    None => None,
                };
                let count = row.next().and_then(|a| a.as_int()).unwrap_or(0);
                let sum = row.next().and_then(number);
                Total {
                    key,
                    currency,
                    by,
                    count,
                    sum,
                }
            })
            .collect())
    }

    /// Field history of a record, newest first.
    pub async fn history(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<HistoryRow>, ServiceError> {
        let (_, obj) = self.object(object)?;
        let access = self.access(actor, &obj);
        self.readable_with(&access, &obj, id).await?;
        let mut rows = system::history(self.db(), &obj.name, id, 500).await?;
        rows.retain(|h| h.field.as_deref().is_none_or(|f| !access.hidden(f)));
        Ok(rows)
    }
}

fn no_permission() -> ServiceError {
    ServiceError::Forbidden(Msg::DetailNoPermission)
}

impl Crm {
    /// Why the actor may not make this change to this stored record, if they may not. A
    /// record they cannot read does not exist for them (404); one they read but may not
    /// change, 403.
    async fn refusal(
        &self,
        tx: &mut Tx,
        access: &Access,
        object: &ObjectDef,
        change: &Change,
        record: Option<&Record>,
    ) -> Result<Option<ServiceError>, ServiceError> {
        let Some(record) = record else { return Ok(None) };
        if !access.may(Operation::Read) {
            return Ok(Some(no_permission()));
        }
        let op = match change {
            Change::Update { .. } => Operation::Edit,
            Change::Delete { .. } | Change::Restore { .. } => Operation::Delete,
            Change::Create(_) => Operation::Create,
        };
        let level = self.record_level(Some(tx), access, object, record, op).await?;
        // Handing a record to someone else is for who holds it fully (owner, those above,
        // modify all), not for whom it was shared with to edit — except that a queue's
        // members may take its records for themselves.
        let transfers = match change {
            Change::Update { patch, .. } => patch.get("owner").is_some_and(|o| {
                let current = record.values.get(sys::OWNER).and_then(|v| match v {
                    Value::Uuid(u) => Some(u.to_string()),
                    _ => None,
                });
                let to = o.as_str().map(|s| s.trim().to_ascii_lowercase());
                let takes = to == Some(access.me.to_string()) && access.in_my_queue(object, record);
                to != current && !takes
            }),
            _ => false,
        };
        Ok(if !access.allows(Operation::Read, level) {
            Some(ServiceError::NotFound)
        } else if !access.allows(op, level) || (transfers && level != Some(Level::Full)) {
            Some(no_permission())
        } else {
            None
        })
    }
}

/// Records the actor may read, as alternatives to OR: the owners they reach and the
/// records shared with them by hand (both answered from the sort index, which holds owner
/// and id), and in a branch of its own the records their sharing rules and territories
/// match. `None`: the actor reads every record of the object.
fn read_branches(access: &Access, object: &ObjectDef) -> Option<Vec<Expr<Cond>>> {
    let (scope, owner_field) = (access.scope()?, object.field("owner")?);
    let mut b = vec![Expr::Or(vec![
        Expr::Cond(Cond::In {
            field: owner_field.clone(),
            values: scope.owners.into_iter().map(Value::Uuid).collect(),
        }),
        Expr::Cond(Cond::Shared {
            object: object.name.clone(),
            grantees: scope.grantees,
        }),
    ])];
    let mut criteria = scope.criteria;
    match criteria.len() {
        0 => {}
        1 => b.extend(criteria.pop()),
        _ => b.push(Expr::Or(criteria)),
    }
    Some(b)
}

/// A grouped value as text (picklists and texts are text; ids, numbers, dates printed).
fn arg_text(a: &Arg) -> Option<String> {
    match a {
        Arg::Null(_) => None,
        Arg::Text(t) => Some(t.clone()),
        Arg::Int(i) => Some(i.to_string()),
        Arg::Bool(b) => Some(b.to_string()),
        Arg::Decimal(d, _) => Some(d.to_string()),
        Arg::Date(d) => Some(d.to_string()),
        Arg::DateTime(d) => Some(values::format_datetime(d)),
        Arg::Uuid(u) => Some(u.to_string()),
    }
}

fn filter_error(e: query::FilterError) -> ServiceError {
    let field = match &e.field {
        Some(f) => format!("filter.{f}"),
        None => "filter".to_string(),
    };
    ServiceError::Validation(vec![FieldError {
        field,
        msg: e.msg,
        args: e.args,
    }])
}

fn unique_error(object: &ObjectDef, e: &StorageError) -> ServiceError {
    let field = store::unique_field(object, e).unwrap_or_else(|| "id".into());
    ServiceError::field(&field, Msg::NotUnique)
}

fn arg_key(a: &Arg) -> String {
    format!("{a:?}")
}

/// Parses input fields; unknown and read-only fields are errors, as is clearing a required field.
/// `current` is the stored record an update changes (`None` when creating): a retired
/// picklist value it already holds may be sent back unchanged.
fn parse_fields(
    object: &ObjectDef,
    input: &Map<String, Json>,
    ctx: &ParseContext,
    current: Option<&Record>,
    access: &Access,
) -> Result<Vec<(usize, Value)>, Vec<FieldError>> {
    let creating = current.is_none();
    let mut out = Vec::with_capacity(input.len());
    let mut errors = Vec::new();
    for (key, json) in input {
        let level = access.field_level(key);
        let Some(i) = object
            .fields
            .iter()
            .position(|f| &f.name == key)
            .filter(|_| level != FieldLevel::Hidden)
        else {
            errors.push(FieldError::new(key, Msg::UnknownField));
            continue;
        };
        let field = &object.fields[i];
        let client_id = creating && key == "id";
        if (!field.writable() && !client_id) || level == FieldLevel::ReadOnly {
            errors.push(FieldError::new(key, Msg::ReadOnlyField));
            continue;
        }
        let parsed = match current.and_then(|r| r.values.get(i)) {
            Some(held) => values::parse_change(field, json, ctx, held),
            None => values::parse_input(field, json, ctx),
        };
        match parsed {
            Ok(Value::Null) if field.required || client_id => {
                errors.push(FieldError::new(key, Msg::Required))
            }
            Ok(Value::Null) if field.name == "owner" => errors.push(FieldError::new(key, Msg::Required)),
            Ok(v) => out.push((i, v)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

pub(crate) fn plan_create(
    object: &ObjectDef,
    input: &Map<String, Json>,
    actor: &Actor,
    now: DateTime<Utc>,
    ctx: &ParseContext,
    access: &Access,
) -> Result<Planned, ServiceError> {
    let parsed = parse_fields(object, input, ctx, None, access).map_err(ServiceError::Validation)?;
    let mut values = vec![Value::Null; object.fields.len()];
    values[sys::ID] = Value::Uuid(Uuid::now_v7());
    values[sys::CREATED_AT] = Value::DateTime(now);
    values[sys::UPDATED_AT] = Value::DateTime(now);
    values[sys::CREATED_BY] = Value::Uuid(actor.user_id);
    values[sys::OWNER] = Value::Uuid(actor.user_id);
    values[sys::VERSION] = Value::Int(1);
    for (i, v) in parsed {
        values[i] = v;
    }
    let missing: Vec<FieldError> = object
        .fields
        .iter()
        .zip(&values)
        .filter(|(f, v)| f.required && v.is_null())
        .map(|(f, _)| FieldError::new(&f.name, Msg::Required))
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Validation(missing));
    }
    Ok(Planned::Insert(Record { values }))
}

/// Plans every create of a batch, in order. (Splitting a batch across threads was
/// measured and does not pay: phone parsing shares one locked regex cache.)
fn plan_creates(
    object: &ObjectDef,
    changes: &[Change],
    actor: &Actor,
    now: DateTime<Utc>,
    ctx: &ParseContext,
    access: &Access,
) -> Vec<Result<Planned, ServiceError>> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Create(input) => Some(plan_create(object, input, actor, now, ctx, access)),
            _ => None,
        })
        .collect()
}

fn plan_update(
    object: &ObjectDef,
    current: &Record,
    version: Option<i64>,
    patch: &Map<String, Json>,
    ctx: &ParseContext,
    access: &Access,
) -> Result<Planned, ServiceError> {
    if let Some(v) = version
        && v != current.version()
    {
        return Err(ServiceError::Conflict {
            current: current.version(),
        });
    }
    let parsed = parse_fields(object, patch, ctx, Some(current), access).map_err(ServiceError::Validation)?;
    let changes: Vec<(usize, Value)> = parsed
        .into_iter()
        .filter(|(i, v)| &current.values[*i] != v)
        .collect();
    if changes.is_empty() {
        return Ok(Planned::Unchanged(current.clone()));
    }
    Ok(Planned::Update {
        before: current.clone(),
        changes,
    })
}

/// The record of the one result of a one-change write.
pub(crate) fn only(mut results: Vec<ItemResult>) -> Result<Record, ServiceError> {
    match results.pop() {
        Some(r) => r.map(|(record, _)| record),
        None => Err(ServiceError::Internal("no result for a change".into())),
    }
}

/// Values a plan writes, by field index (new records: all non-null fields).
fn written_values(plan: &Planned) -> Vec<(usize, &Value)> {
    match plan {
        Planned::Insert(r) => r
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_null())
            .collect(),
        Planned::Update { changes, .. } => changes.iter().map(|(i, v)| (*i, v)).collect(),
        _ => Vec::new(),
    }
}

impl Crm {
    /// Lookups must point at live records the actor may read (one they may not read
    /// does not exist for them), owners at active users.
    async fn check_references(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        schema: &Schema,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        pending: &HashSet<Uuid>,
    ) -> Result<(), ServiceError> {
        // (field index) -> ids referenced
        let mut wanted: HashMap<usize, HashSet<Uuid>> = HashMap::new();
        for plan in plans.iter().flatten() {
            for (i, v) in written_values(plan) {
                let f = &object.fields[i];
                if (matches!(f.field_type, FieldType::Lookup)
                    || (f.field_type == FieldType::User && i != sys::CREATED_BY))
                    && let Value::Uuid(u) = v
                    && !pending.contains(u)
                {
                    wanted.entry(i).or_default().insert(*u);
                }
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let mut live: HashMap<usize, HashSet<Uuid>> = HashMap::new();
        for (i, ids) in &wanted {
            let ids: Vec<Uuid> = ids.iter().copied().collect();
            let f = &object.fields[*i];
            let found = if f.field_type == FieldType::User {
                system::active_user_ids(tx, &ids).await?
            } else {
                match f.target.as_deref().and_then(|t| schema.object(t)) {
                    Some(target) => self.readable_ids(tx, actor, target, &ids).await?,
                    None => Vec::new(),
                }
            };
            live.insert(*i, found.into_iter().collect());
        }
        for plan in plans.iter_mut() {
            let mut errors = Vec::new();
            if let Ok(p) = plan {
                for (i, v) in written_values(p) {
                    if let (Some(ok), Value::Uuid(u)) = (live.get(&i), v)
                        && !ok.contains(u)
                        && !pending.contains(u)
                    {
                        let f = &object.fields[i];
                        let msg = if f.field_type == FieldType::User {
                            Msg::UserNotFound
                        } else {
                            Msg::LookupNotFound
                        };
                        errors.push(FieldError::new(&f.name, msg));
                    }
                }
            }
            if !errors.is_empty() {
                *plan = Err(ServiceError::Validation(errors));
            }
        }
        Ok(())
    }

    /// Which of `ids` are live records of `target` the actor may read.
    pub(crate) async fn readable_ids(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        target: &ObjectDef,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, ServiceError> {
        let access = self.access(actor, target);
        if !access.may(Operation::Read) {
            return Ok(Vec::new());
        }
        if access.scope().is_none() {
            return Ok(store::live_ids(tx, &target.table, ids).await?);
        }
        let mut readable = Vec::new();
        let mut unsure = Vec::new();
        for r in store::get_many_in(tx, target, ids).await? {
            let Some(id) = r.id() else { continue };
            if r.is_deleted() {
                continue;
            }
            if access.level(target, &r, None).is_some() {
                readable.push(id);
            } else {
                unsure.push(id);
            }
        }
        if !unsure.is_empty() {
            readable.extend(system::shared_ids(tx, &target.name, &unsure, &access.grantees).await?);
        }
        Ok(readable)
    }
}

async fn check_unique(
    tx: &mut Tx,
    object: &ObjectDef,
    plans: &mut [Result<Planned, ServiceError>],
) -> Result<(), ServiceError> {
    for (fi, field) in object.fields.iter().enumerate() {
        if !(field.unique || field.external_id) || fi == sys::ID {
            continue;
        }
        let mut claims: Vec<(usize, Uuid, Value)> = Vec::new();
        for (pi, plan) in plans.iter().enumerate() {
            let Ok(p) = plan else { continue };
            let own = match p {
                Planned::Insert(r) => r.id(),
                Planned::Update { before, .. } => before.id(),
                _ => None,
            };
            for (i, v) in written_values(p) {
                if i == fi {
                    claims.push((pi, own.unwrap_or_default(), v.clone()));
                }
            }
        }
        if claims.is_empty() {
            continue;
        }
        let values: Vec<Value> = claims.iter().map(|(_, _, v)| v.clone()).collect();
        let stored = store::find_by(tx, object, field, &values).await?;
        let owners: HashMap<String, Uuid> = stored.into_iter().map(|(a, id, _)| (arg_key(&a), id)).collect();
        let mut seen: HashSet<String> = HashSet::new();
        for (pi, own, v) in claims {
            let key = arg_key(&store::field_args(field, &v)[0]);
            let clash_stored = owners.get(&key).is_some_and(|holder| *holder != own);
            let clash_batch = !seen.insert(key);
            if clash_stored || clash_batch {
                let e = FieldError::new(&field.name, Msg::NotUnique);
                plans[pi] = match std::mem::replace(&mut plans[pi], Err(ServiceError::NotFound)) {
                    Err(ServiceError::Validation(mut errs)) => {
                        errs.push(e);
                        Err(ServiceError::Validation(errs))
                    }
                    _ => Err(ServiceError::Validation(vec![e])),
                };
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn history_row(
    object: &ObjectDef,
    record_id: Uuid,
    operation: &str,
    field: Option<&str>,
    old: Option<Json>,
    new: Option<Json>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> HistoryRow {
    HistoryRow {
        id: Uuid::now_v7(),
        object: object.name.clone(),
        record_id,
        operation: operation.into(),
        field: field.map(str::to_string),
        old_value: old.filter(|j| !j.is_null()).map(|j| j.to_string()),
        new_value: new.filter(|j| !j.is_null()).map(|j| j.to_string()),
        actor: actor.user_id,
        at,
    }
}

pub(crate) fn change_row(
    object: &ObjectDef,
    record_id: Uuid,
    operation: &str,
    fields: &[&str],
    actor: &Actor,
    at: DateTime<Utc>,
) -> ChangeRow {
    ChangeRow {
        id: Uuid::now_v7(),
        object: object.name.clone(),
        record_id,
        operation: operation.into(),
        actor: actor.user_id,
        fields: serde_json::to_string(fields).unwrap_or_else(|_| "[]".into()),
        at,
    }
}

#[cfg(test)]
mod speed {
    use super::*;

    /// `cargo test --release -p guanxi-services -- --ignored --nocapture parse_speed`
    #[test]
    #[ignore]
    fn parse_speed() {
        let schema = Schema::new(guanxi_core::builtin::standard_objects());
        let object = schema.object("contact").unwrap().clone();
        let mut g = crate::demo::generate::Generator::new(1);
        let inputs: Vec<_> = (0..10_000).map(|i| g.contact(i, Some(Uuid::now_v7()))).collect();
        let ctx = ParseContext::default();
        let mut per_field: std::collections::BTreeMap<String, std::time::Duration> = Default::default();
        for input in &inputs {
            for (k, v) in input {
                let f = object.field(k).unwrap();
                let t = std::time::Instant::now();
                let _ = values::parse_input(f, v, &ctx);
                *per_field.entry(k.clone()).or_default() += t.elapsed();
            }
        }
        for (k, d) in &per_field {
            println!("{k:15} {:?} per record", *d / inputs.len() as u32);
        }
        let actor = Actor {
            user_id: Uuid::now_v7(),
            email: "a@b.cn".into(),
            is_admin: true,
            locale: Default::default(),
            scopes: crate::identity::Scopes::for_user(true),
            ip: None,
            role_id: None,
            kind: Default::default(),
            partner: None,
            time_zone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
        };
        let t = std::time::Instant::now();
        for input in &inputs {
            let _ = plan_create(
                &object,
                input,
                &actor,
                Utc::now(),
                &ctx,
                &Access::administrator(actor.user_id),
            );
        }
        println!("plan_create {:?} per record", t.elapsed() / inputs.len() as u32);
    }
}

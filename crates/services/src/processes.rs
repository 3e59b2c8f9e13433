//! Sales processes: administrators define them (audited); the write path makes every
//! opportunity follow its process (`guanxi_core::process` decides), whatever writes it —
//! API, web form, kanban drag, bulk or import; reps read the guidance for their stage.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use guanxi_core::process::{self, Facts, Forecast, Outcome, Process, Requirement, Verdict};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::records as store;
use guanxi_storage::system::{self, Definition};
use serde::Serialize;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::records::Planned;
use crate::{Actor, Crm, ServiceError};

pub(crate) const TABLE: &str = "gx_sales_processes";

pub(crate) fn stored(d: &Definition) -> Option<Process> {
    let mut p: Process = serde_json::from_str(&d.definition).ok()?;
    p.id = Some(d.id);
    Some(p)
}

/// One stage as the guidance shows it.
#[derive(Clone, Debug, Serialize)]
pub struct StageView {
    pub stage: String,
    pub label: String,
    pub probability: rust_decimal::Decimal,
    pub forecast: Forecast,
    pub outcome: Outcome,
    /// `done`, `current` or `todo`.
    pub state: &'static str,
}

/// A requirement with its label in the reader's language.
#[derive(Clone, Debug, Serialize)]
pub struct RequirementView {
    #[serde(flatten)]
    pub requirement: Requirement,
    pub label: String,
}

/// A stage the opportunity was in, and for how long.
#[derive(Clone, Debug, Serialize)]
pub struct StageSpell {
    pub stage: String,
    pub label: String,
    pub entered_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    pub seconds: i64,
}

/// What an opportunity's page shows about its process: the path of stages, what moving
/// on requires (each met or missing), the advice for this stage, and its stage history.
#[derive(Clone, Debug, Serialize)]
pub struct Guidance {
    pub process: String,
    pub process_label: String,
    pub stage: Option<String>,
    pub stages: Vec<StageView>,
    pub next: Option<StageView>,
    pub requirements: Vec<RequirementView>,
    pub guidance: Option<String>,
    pub may_skip: bool,
    pub in_stage_since: Option<DateTime<Utc>>,
    pub history: Vec<StageSpell>,
}

impl Crm {
    /// Every sales process; any staff user may read them (reps see their stages).
    pub async fn sales_processes(&self, actor: &Actor) -> Result<Vec<Process>, ServiceError> {
        if actor.kind != guanxi_core::access::UserKind::Internal && !actor.administers() {
            return Err(ServiceError::Forbidden(Msg::DetailAdminOnly));
        }
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .collect())
    }

    pub async fn sales_process(&self, actor: &Actor, id: Uuid) -> Result<Process, ServiceError> {
        self.sales_processes(actor)
            .await?
            .into_iter()
            .find(|p| p.id == Some(id))
            .ok_or(ServiceError::NotFound)
    }

    /// Adds (`id` none) or replaces a process after checking it against the opportunity;
    /// audited. A new default process takes the flag from the old one.
    pub async fn save_sales_process(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Json,
    ) -> Result<Process, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut p: Process = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![
                FieldError::new("process", Msg::InvalidJson).with("reason", e),
            ])
        })?;
        let schema = self.schema();
        let object = schema.object(process::OBJECT).ok_or(ServiceError::NotFound)?;
        process::validate(&p, object, schema.object(process::ACTIVITY).map(|a| a.as_ref()))
            .map_err(ServiceError::Validation)?;
        let existing = system::definitions(self.db(), TABLE).await?;
        if let Some(id) = id
            && !existing.iter().any(|d| d.id == id)
        {
            return Err(ServiceError::NotFound);
        }
        let others: Vec<Process> = existing
            .iter()
            .filter(|d| Some(d.id) != id)
            .filter_map(stored)
            .collect();
        if others.iter().any(|o| o.name == p.name) {
            return Err(ServiceError::field("name", Msg::NameTaken));
        }
        if let Some(id) = id
            && let Some(old) = existing.iter().find(|d| d.id == id).and_then(stored)
            && old.name != p.name
        {
            self.refuse_in_use(object, &old.name).await?;
        }
        p.id = Some(id.unwrap_or_else(Uuid::now_v7));
        if p.default {
            for mut o in others.into_iter().filter(|o| o.default) {
                o.default = false;
                self.store_process(actor, &o, "metadata.sales_process.update")
                    .await?;
            }
        }
        let action = if id.is_some() {
            "metadata.sales_process.update"
        } else {
            "metadata.sales_process.add"
        };
        self.store_process(actor, &p, action).await?;
        Ok(p)
    }

    async fn store_process(&self, actor: &Actor, p: &Process, action: &str) -> Result<(), ServiceError> {
        let d = Definition {
            id: p.id.unwrap_or_default(),
            name: p.name.clone(),
            object: Some(process::OBJECT.into()),
            definition: serde_json::to_string(p).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::to_value(p).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, action, detail).await
    }

    /// Refuses while live opportunities follow the process named.
    async fn refuse_in_use(&self, object: &ObjectDef, name: &str) -> Result<(), ServiceError> {
        let mut tx = self.db().begin().await?;
        let n = store::count_with(&mut tx, object, process::PROCESS, name).await?;
        tx.rollback().await?;
        if n > 0 {
            return Err(ServiceError::Validation(vec![
                FieldError::new("name", Msg::ProcessInUse).with("count", n),
            ]));
        }
        Ok(())
    }

    /// Deletes a process no live opportunity follows; audited.
    pub async fn delete_sales_process(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        crate::definitions::admin_only(actor)?;
        let p = self.sales_process(actor, id).await?;
        let schema = self.schema();
        let object = schema.object(process::OBJECT).ok_or(ServiceError::NotFound)?;
        self.refuse_in_use(object, &p.name).await?;
        self.drop_definition(actor, TABLE, id, "metadata.sales_process.delete")
            .await
    }

    /// The processes in force, read in the writing transaction.
    async fn processes_in(&self, tx: &mut Tx) -> Result<Vec<Process>, ServiceError> {
        Ok(self
            .definitions_in(tx, TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .filter(|p| p.active)
            .collect())
    }

    /// The write path's process step, for opportunities: each record it would write must
    /// be where its process allows; the stage it enters sets its probability and forecast
    /// category (unless the same write sets them) and the time it entered. With no process
    /// defined, opportunities move freely.
    pub(crate) async fn follow_processes(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &Arc<ObjectDef>,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != process::OBJECT {
            return Ok(());
        }
        let processes = self.processes_in(tx).await?;
        if processes.is_empty() {
            return Ok(());
        }
        let schema = self.schema();
        let activity = schema.object(process::ACTIVITY).cloned();
        let index = |name: &str| object.fields.iter().position(|f| f.name == name);
        let (Some(i_process), Some(i_stage)) = (index(process::PROCESS), index(process::STAGE)) else {
            return Ok(());
        };
        for plan in plans.iter_mut() {
            let Some(mut after) = plan.as_ref().ok().and_then(Planned::after) else {
                continue;
            };
            let before: Option<Record> = match &*plan {
                Ok(Planned::Update { before, .. }) => Some(before.clone()),
                _ => None,
            };
            let named = match &after.values[i_process] {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            };
            let chosen = match process::chosen(&processes, named.as_deref()) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    *plan = Err(ServiceError::Validation(vec![e]));
                    continue;
                }
            };
            after.values[i_process] = Value::Text(chosen.name.clone());
            // An opportunity from before processes existed counts as in the chosen one.
            let before = before.map(|mut b| {
                if b.values[i_process].is_null() {
                    b.values[i_process] = Value::Text(chosen.name.clone());
                }
                b
            });
            let moving_on = before
                .as_ref()
                .is_some_and(|b| b.values[i_stage] != after.values[i_stage]);
            let done = match (&activity, after.id()) {
                (Some(a), Some(id)) if moving_on && before.is_some() => {
                    completed_activity_types(tx, a, id).await?
                }
                _ => Vec::new(),
            };
            let facts = Facts {
                may_skip: chosen.lets_skip(actor.administers(), actor.role_id),
                done_activities: &done,
            };
            match process::decide(
                chosen,
                object,
                activity.as_deref(),
                before.as_ref(),
                &after,
                facts,
            ) {
                Verdict::Refused(errors) => *plan = Err(ServiceError::Validation(errors)),
                Verdict::Allowed { entered } => {
                    let Ok(p) = plan else { continue };
                    p.set(i_process, after.values[i_process].clone());
                    if let Some(stage) = entered {
                        // What the write sets itself stays as written.
                        let mut put = |name: &str, v: Value| {
                            if let Some(i) = index(name)
                                && !p.writes(i)
                            {
                                p.set(i, v);
                            }
                        };
                        put(process::PROBABILITY, Value::Decimal(stage.probability));
                        put(process::FORECAST, Value::Text(stage.forecast.as_str().into()));
                        put(process::STAGE_ENTERED, Value::DateTime(now));
                    }
                }
            }
        }
        Ok(())
    }

    /// The guidance for one opportunity the actor may read; `NotFound` when no process
    /// applies to it.
    pub async fn stage_guidance(
        &self,
        actor: &Actor,
        id: Uuid,
        locale: Locale,
    ) -> Result<Guidance, ServiceError> {
        let record = self.get(actor, process::OBJECT, id, false).await?;
        let schema = self.schema();
        let object = schema
            .object(process::OBJECT)
            .ok_or(ServiceError::NotFound)?
            .clone();
        let activity = schema.object(process::ACTIVITY).cloned();
        let processes: Vec<Process> = self
            .sales_processes(actor)
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect();
        let named = match record.get(&object, process::PROCESS) {
            Some(Value::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let chosen = process::chosen(&processes, named)
            .map_err(|e| ServiceError::Validation(vec![e]))?
            .ok_or(ServiceError::NotFound)?;
        let stage_field = object.field(process::STAGE);
        let label = |value: &str| {
            stage_field
                .map(|f| f.option_label(value, locale).to_string())
                .unwrap_or_else(|| value.to_string())
        };
        let current = match record.get(&object, process::STAGE) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let at = current.as_deref().and_then(|s| chosen.position(s));
        let view = |i: usize, s: &process::Stage| StageView {
            stage: s.stage.clone(),
            label: label(&s.stage),
            probability: s.probability,
            forecast: s.forecast,
            outcome: s.outcome,
            state: match at {
                Some(a) if a == i => "current",
                Some(a) if i < a && s.outcome == Outcome::Open => "done",
                _ => "todo",
            },
        };
        let stages: Vec<StageView> = chosen
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| view(i, s))
            .collect();
        let here = at.map(|a| &chosen.stages[a]);
        let next = match (at, here) {
            (Some(a), Some(h)) if h.outcome == Outcome::Open => chosen.next_after(a),
            _ => None,
        };
        let done = match &activity {
            Some(a) if next.is_some() => {
                let mut tx = self.db().begin().await?;
                let d = completed_activity_types(&mut tx, a, id).await?;
                tx.rollback().await?;
                d
            }
            _ => Vec::new(),
        };
        let reqs = match next {
            Some(n) => process::requirements(&object, &record, here, Some(n), &done),
            None => Vec::new(),
        };
        let activity_type = activity.as_ref().and_then(|a| a.field("type").cloned());
        let requirements = reqs
            .into_iter()
            .map(|r| {
                let label = match r.kind {
                    "field" => object
                        .field(&r.name)
                        .map(|f| f.label.get(locale).to_string())
                        .unwrap_or_else(|| r.name.clone()),
                    "activity" => activity_type
                        .as_ref()
                        .map(|f| f.option_label(&r.name, locale).to_string())
                        .unwrap_or_else(|| r.name.clone()),
                    _ => here
                        .and_then(|h| h.checklist.iter().find(|i| i.key == r.name))
                        .map(|i| i.label.get(locale).to_string())
                        .unwrap_or_else(|| r.name.clone()),
                };
                RequirementView {
                    requirement: r,
                    label,
                }
            })
            .collect();
        let next_view = next.and_then(|n| chosen.position(&n.stage).map(|i| view(i, n)));
        let history = self.stage_history(actor, &object, &record, &label).await?;
        let in_stage_since = match record.get(&object, process::STAGE_ENTERED) {
            Some(Value::DateTime(t)) => Some(*t),
            _ => history.last().map(|h| h.entered_at),
        };
        Ok(Guidance {
            process: chosen.name.clone(),
            process_label: chosen.label.get(locale).to_string(),
            stage: current,
            stages,
            next: next_view,
            requirements,
            guidance: here
                .and_then(|h| h.guidance.as_ref())
                .map(|g| g.get(locale).to_string()),
            may_skip: chosen.lets_skip(actor.administers(), actor.role_id),
            in_stage_since,
            history,
        })
    }

    /// The stages an opportunity went through, oldest first, from its field history.
    async fn stage_history(
        &self,
        actor: &Actor,
        object: &ObjectDef,
        record: &Record,
        label: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<Vec<StageSpell>, ServiceError> {
        let id = record.id().unwrap_or_default();
        let now = self.now();
        let mut rows = self.history(actor, &object.name, id).await?;
        rows.sort_by_key(|h| h.at);
        let created = match record.values[guanxi_core::values::sys::CREATED_AT] {
            Value::DateTime(t) => t,
            _ => now,
        };
        let text = |j: &Option<String>| {
            j.as_deref()
                .and_then(|s| serde_json::from_str::<Json>(s).ok())
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let moves: Vec<(DateTime<Utc>, Option<String>, Option<String>)> = rows
            .iter()
            .filter(|h| h.field.as_deref() == Some(process::STAGE))
            .map(|h| (h.at, text(&h.old_value), text(&h.new_value)))
            .collect();
        let current = match record.get(object, process::STAGE) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let first = moves.first().map_or(current.clone(), |m| m.1.clone());
        let mut spells = Vec::new();
        let mut open: Option<(String, DateTime<Utc>)> = first.map(|s| (s, created));
        for (at, _, new) in moves {
            if let Some((stage, since)) = open.take() {
                spells.push(spell(&stage, label, since, Some(at), now));
            }
            open = new.map(|s| (s, at));
        }
        if let Some((stage, since)) = open {
            spells.push(spell(&stage, label, since, None, now));
        }
        Ok(spells)
    }
}

fn spell(
    stage: &str,
    label: &(dyn Fn(&str) -> String + Sync),
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StageSpell {
    StageSpell {
        stage: stage.to_string(),
        label: label(stage),
        entered_at: since,
        left_at: until,
        seconds: (until.unwrap_or(now) - since).num_seconds().max(0),
    }
}

/// The types of the activities completed on one opportunity.
async fn completed_activity_types(
    tx: &mut Tx,
    activity: &ObjectDef,
    opportunity: Uuid,
) -> Result<Vec<String>, ServiceError> {
    Ok(store::distinct_texts_where(
        tx,
        activity,
        "type",
        (process::OBJECT, opportunity),
        ("status", "completed"),
    )
    .await?)
}

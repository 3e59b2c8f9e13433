//! Assignment rules: administrators decide who owns new records (leads first) — by
//! territory, region, industry, product interest, source or anything else the criteria
//! language can say — and to whom: one user, or in turn (round robin) among users, a
//! team's members or a territory's. Rules are tried in order; the first whose criteria
//! match assigns. The turn is a counter taken inside the writing transaction, so writers on
//! several nodes never hand two records the same turn by accident and a rolled-back write
//! gives its turn back.
//!
//! Rules apply to records created without an owner by the web form, by imports and by API
//! callers that ask for them (`?assign=true`): a rep who types in a lead keeps it.

use std::collections::HashSet;
use std::sync::Arc;

use guanxi_core::access::{self, Policy, QUEUE_FIELD};
use guanxi_core::values::{Value, sys};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::{self, Definition};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::records::{Change, Planned};
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_assignment_rules";

tokio::task_local! {
    /// Set while a write should follow the assignment rules.
    static ASSIGNING: bool;
}

/// Runs `f` with assignment rules applied to what it creates without an owner.
pub async fn with_rules<F: std::future::Future>(f: F) -> F::Output {
    ASSIGNING.scope(true, f).await
}

fn assigning() -> bool {
    ASSIGNING.try_with(|a| *a).unwrap_or(false)
}

/// One assignment rule as administrators define it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRule {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    pub object: String,
    /// Rules are tried from the lowest order up.
    #[serde(default)]
    pub order: i64,
    /// Which records the rule takes (criteria language); none: every record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
    /// Users to assign to, in turn.
    #[serde(default)]
    pub users: Vec<Uuid>,
    /// A team whose members take turns too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Uuid>,
    /// A territory whose members take turns too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<Uuid>,
    /// A queue (of the object's `queue` field) the record is put in; its members take
    /// turns too. A rule naming only a queue routes the record there and leaves its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn stored(d: &Definition) -> Option<AssignmentRule> {
    let mut r: AssignmentRule = serde_json::from_str(&d.definition).ok()?;
    r.id = Some(d.id);
    Some(r)
}

impl AssignmentRule {
    /// The active users who take turns, in a stable order: the users named, then the
    /// team's members, then the territory's, each once.
    pub fn pool(&self, policy: &Policy) -> Vec<Uuid> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut team: Vec<Uuid> = self
            .team
            .iter()
            .flat_map(|t| policy.teams.iter().filter(move |x| x.id == *t))
            .flat_map(|t| t.members.iter().copied())
            .collect();
        team.sort();
        let mut territory: Vec<Uuid> = self
            .territory
            .iter()
            .flat_map(|t| policy.territories.iter().filter(move |x| x.id == *t))
            .flat_map(|t| t.members.iter().copied())
            .collect();
        territory.sort();
        let mut queue: Vec<Uuid> = self
            .queue
            .as_deref()
            .and_then(|v| policy.queue(&self.object, v))
            .map(|q| policy.queue_workers(q))
            .unwrap_or_default();
        queue.sort();
        for u in self
            .users
            .iter()
            .copied()
            .chain(team)
            .chain(territory)
            .chain(queue)
        {
            if policy.users.contains_key(&u) && seen.insert(u) {
                out.push(u);
            }
        }
        out
    }
}

impl Crm {
    pub async fn assignment_rules(&self, actor: &Actor) -> Result<Vec<AssignmentRule>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut rules: Vec<AssignmentRule> = system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .collect();
        rules.sort_by(|a, b| a.object.cmp(&b.object).then(a.order.cmp(&b.order)));
        Ok(rules)
    }

    /// Adds (`id` none) or replaces a rule after checking its object, criteria and the
    /// users it assigns to; audited.
    pub async fn save_assignment_rule(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Json,
    ) -> Result<AssignmentRule, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut rule: AssignmentRule = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new("rule", Msg::InvalidJson).with("reason", e)])
        })?;
        rule.name = rule.name.trim().to_string();
        rule.criteria = rule
            .criteria
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        let mut errors = Vec::new();
        if rule.name.is_empty() {
            errors.push(FieldError::new("name", Msg::Required));
        }
        let schema = self.schema();
        match schema.object(&rule.object) {
            None => {
                errors.push(FieldError::new("object", Msg::SearchUnknownObject).with("object", &rule.object))
            }
            Some(object) => {
                if let Some(v) = &rule.queue {
                    let offered = object
                        .field(QUEUE_FIELD)
                        .is_some_and(|f| f.options.iter().any(|o| o.active && o.value == *v));
                    if !offered {
                        errors.push(FieldError::new("queue", Msg::NotInPicklist).with("value", v));
                    }
                }
                if let Some(c) = &rule.criteria
                    && let Err(e) = access::parse_criteria(c, object, &self.parse_context())
                {
                    errors.push(FieldError {
                        field: e
                            .field
                            .map_or("criteria".to_string(), |f| format!("criteria.{f}")),
                        msg: e.msg,
                        args: e.args,
                    });
                }
            }
        }
        let policy = self.policy();
        if let Some(i) = rule.users.iter().position(|u| !policy.users.contains_key(u)) {
            errors.push(FieldError::new(&format!("users[{i}]"), Msg::UserNotFound));
        }
        if let Some(t) = rule.team
            && !policy.teams.iter().any(|x| x.id == t)
        {
            errors.push(FieldError::new("team", Msg::InvalidGroup));
        }
        if let Some(t) = rule.territory
            && !policy.territories.iter().any(|x| x.id == t)
        {
            errors.push(FieldError::new("territory", Msg::UnknownTerritory));
        }
        if errors.is_empty() && rule.queue.is_none() && rule.pool(&policy).is_empty() {
            errors.push(FieldError::new("users", Msg::AssignNobody));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let existing = system::definitions(self.db(), TABLE).await?;
        if let Some(id) = id
            && !existing.iter().any(|d| d.id == id)
        {
            return Err(ServiceError::NotFound);
        }
        if existing
            .iter()
            .filter(|d| Some(d.id) != id)
            .filter_map(stored)
            .any(|o| o.object == rule.object && o.name == rule.name)
        {
            return Err(ServiceError::field("name", Msg::NameTaken));
        }
        rule.id = Some(id.unwrap_or_else(Uuid::now_v7));
        let d = Definition {
            id: rule.id.unwrap_or_default(),
            name: rule.name.clone(),
            object: Some(rule.object.clone()),
            definition: serde_json::to_string(&rule).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let action = if id.is_some() {
            "metadata.assignment_rule.update"
        } else {
            "metadata.assignment_rule.add"
        };
        let detail = serde_json::to_value(&rule).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, action, detail).await?;
        Ok(rule)
    }

    pub async fn delete_assignment_rule(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        crate::definitions::admin_only(actor)?;
        if !self
            .assignment_rules(actor)
            .await?
            .iter()
            .any(|r| r.id == Some(id))
        {
            return Err(ServiceError::NotFound);
        }
        self.drop_definition(actor, TABLE, id, "metadata.assignment_rule.delete")
            .await
    }

    /// The write path's assignment step: when rules are asked for, each new record given
    /// no owner goes to the first matching rule's next user in turn.
    pub(crate) async fn assign_owners(
        &self,
        tx: &mut Tx,
        object: &Arc<ObjectDef>,
        changes: &[Change],
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        if !assigning() {
            return Ok(());
        }
        let mut rules: Vec<AssignmentRule> = self
            .definitions_in(tx, TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .filter(|r| r.active && r.object == object.name)
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        rules.sort_by_key(|r| r.order);
        let ctx = self.parse_context();
        let criteria: Vec<Option<_>> = rules
            .iter()
            .map(|r| {
                r.criteria
                    .as_ref()
                    .and_then(|c| access::parse_criteria(c, object, &ctx).ok())
            })
            .collect();
        let policy = self.policy();
        let queue_at = object.fields.iter().position(|f| f.name == QUEUE_FIELD);
        for (change, plan) in changes.iter().zip(plans.iter_mut()) {
            let (Change::Create(input), Ok(Planned::Insert(record))) = (change, plan) else {
                continue;
            };
            if input.get("owner").is_some_and(|o| !o.is_null()) {
                continue;
            }
            let chosen = rules.iter().zip(&criteria).find(|(r, c)| match (&r.criteria, c) {
                (None, _) => true,
                (Some(_), Some(expr)) => access::eval(expr, object, record) == Some(true),
                // Criteria no longer valid (a field was removed) match nothing.
                (Some(_), None) => false,
            });
            let Some((rule, _)) = chosen else { continue };
            // A queue the writer chose stays.
            if let (Some(v), Some(i)) = (&rule.queue, queue_at)
                && record.values[i] == Value::Null
            {
                record.values[i] = Value::Text(v.clone());
            }
            let pool = rule.pool(&policy);
            if pool.is_empty() {
                continue;
            }
            let turn =
                system::next_in_sequence(tx, &format!("assign:{}", rule.id.unwrap_or_default())).await?;
            let at = usize::try_from(turn - 1).unwrap_or(0) % pool.len();
            record.values[sys::OWNER] = Value::Uuid(pool[at]);
        }
        Ok(())
    }
}

//! Work queues for cases (the repair desk, the hotline, key accounts…). A queue is a
//! value of the case's `queue` picklist — its labels in three languages, retired like any
//! value — and the colleagues who work it: they read (or edit) every case in the queue and
//! may take one for themselves, which makes them its owner. Assignment rules route new
//! cases into a queue and hand them round its members.
//!
//! Setting up a queue writes the picklist value (through the field editor's path, so the
//! field's history and audit show it) and then its members; both are checked first, so
//! only a storage failure between the two can leave a queue without members — saving again
//! completes it.

use guanxi_core::access::{Level, QUEUE_FIELD, Queue, UserKind};
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Label, Msg};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::cases::{CASE, ENDED};
use crate::metadata::LabelInput;
use crate::records::ListQuery;
use crate::{Actor, Crm, ServiceError};

pub(crate) const TABLE: &str = "gx_queues";

/// How many open cases a queue's work list shows.
const SHOWN: usize = 200;

/// A queue as administrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueInfo {
    pub value: String,
    pub label: Label,
    /// Offered for new cases; a retired queue keeps its members for the cases it holds.
    pub active: bool,
    pub members: Vec<Uuid>,
    /// Teams whose members work it too.
    pub teams: Vec<Uuid>,
    pub level: Level,
}

/// One queue's open cases, soonest due first, as a member sees them.
#[derive(Clone, Debug)]
pub struct QueueWork {
    pub queue: QueueInfo,
    pub cases: Vec<Record>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueInput {
    label: Option<LabelInput>,
    members: Option<Vec<Uuid>>,
    teams: Option<Vec<Uuid>>,
    level: Option<String>,
    active: Option<bool>,
}

/// A queue's value: lowercase letters, digits and `_`, starting with a letter.
fn valid_value(v: &str) -> bool {
    v.len() <= 50
        && v.starts_with(|c: char| c.is_ascii_lowercase())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Crm {
    /// Every queue: the picklist's values with their members.
    fn queue_infos(&self) -> Vec<QueueInfo> {
        let policy = self.policy();
        let Some(field) = self
            .schema()
            .object(CASE)
            .and_then(|o| o.field(QUEUE_FIELD).cloned())
        else {
            return Vec::new();
        };
        field
            .options
            .iter()
            .map(|o| {
                let q = policy.queue(CASE, &o.value);
                QueueInfo {
                    value: o.value.clone(),
                    label: o.label.clone(),
                    active: o.active,
                    members: q.map(|q| q.members.clone()).unwrap_or_default(),
                    teams: q.map(|q| q.teams.clone()).unwrap_or_default(),
                    level: q.map_or(Level::Edit, |q| q.level),
                }
            })
            .collect()
    }

    pub async fn queues(&self, actor: &Actor) -> Result<Vec<QueueInfo>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(self.queue_infos())
    }

    /// Sets up a queue (`value` new) or changes its labels, members, access or whether it
    /// takes new cases. Members must be colleagues (not partner or portal users).
    pub async fn put_queue(
        &self,
        actor: &Actor,
        value: &str,
        input: Json,
    ) -> Result<QueueInfo, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let input: QueueInput = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new("queue", Msg::InvalidJson).with("reason", e)])
        })?;
        let value = value.trim();
        let mut errors = Vec::new();
        if !valid_value(value) {
            errors.push(FieldError::new("value", Msg::QueueBadValue).with("value", value));
        }
        let (_, case) = self.object(CASE)?;
        let field = case
            .field(QUEUE_FIELD)
            .cloned()
            .ok_or_else(|| ServiceError::Internal("case has no queue field".into()))?;
        let before = self.queue_infos().into_iter().find(|q| q.value == value);
        let label = match (input.label, &before) {
            (Some(l), _) => Some(crate::metadata::checked_label(l, "label", &mut errors)),
            (None, Some(_)) => None,
            (None, None) => {
                errors.push(FieldError::new("label", Msg::Required));
                None
            }
        };
        let level = match (input.level.as_deref(), &before) {
            (Some(l), _) => match Level::parse_grant(l) {
                Some(l) => l,
                None => {
                    errors.push(FieldError::new("level", Msg::InvalidGrantLevel));
                    Level::Edit
                }
            },
            (None, Some(b)) => b.level,
            (None, None) => Level::Edit,
        };
        let mut members = input
            .members
            .or_else(|| before.as_ref().map(|b| b.members.clone()))
            .unwrap_or_default();
        members.sort();
        members.dedup();
        if let Err(ServiceError::Validation(mut e)) = self.check_users("members", &members).await {
            errors.append(&mut e);
        }
        let policy = self.policy();
        if let Some(i) = members
            .iter()
            .position(|u| policy.users.get(u).is_some_and(|f| f.kind != UserKind::Internal))
        {
            errors.push(FieldError::new(
                &format!("members[{i}]"),
                Msg::QueueMemberExternal,
            ));
        }
        let mut teams = input
            .teams
            .or_else(|| before.as_ref().map(|b| b.teams.clone()))
            .unwrap_or_default();
        teams.sort();
        teams.dedup();
        if let Some(i) = teams
            .iter()
            .position(|t| !policy.teams.iter().any(|x| x.id == *t))
        {
            errors.push(FieldError::new(&format!("teams[{i}]"), Msg::InvalidGroup));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let active = input.active.or(before.as_ref().map(|b| b.active)).unwrap_or(true);
        let changes_option = before
            .as_ref()
            .is_none_or(|b| b.active != active || label.as_ref().is_some_and(|l| *l != b.label));
        if changes_option {
            let mut options: Vec<Json> = field
                .options
                .iter()
                .filter(|o| o.value != value)
                .map(|o| json!({"value": o.value, "label": o.label, "active": o.active}))
                .collect();
            let label = label.clone().or(before.as_ref().map(|b| b.label.clone()));
            let at = field
                .options
                .iter()
                .position(|o| o.value == value)
                .unwrap_or(options.len());
            options.insert(at, json!({"value": value, "label": label, "active": active}));
            self.update_field(actor, CASE, QUEUE_FIELD, json!({ "options": options }))
                .await
                .map_err(|e| match e {
                    // Only the whole list can fail here, and only as this queue's entry.
                    ServiceError::Validation(errors) => ServiceError::Validation(
                        errors
                            .into_iter()
                            .map(|mut e| {
                                e.field = if e.field.ends_with(".label") || e.field.contains(".label.") {
                                    "label".into()
                                } else {
                                    "value".into()
                                };
                                e
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
        }
        let id = policy.queue(CASE, value).map_or_else(Uuid::now_v7, |q| q.id);
        let queue = Queue {
            id,
            object: CASE.into(),
            value: value.into(),
            members,
            teams,
            level,
        };
        let unchanged = policy.queues.contains(&queue);
        if !unchanged {
            self.put_definition(actor, TABLE, "permission.queue", id, value, Some(CASE), &queue)
                .await?;
        }
        self.queue_infos()
            .into_iter()
            .find(|q| q.value == value)
            .ok_or(ServiceError::NotFound)
    }

    /// The queues the actor works in (administrators: every queue), each with its open
    /// cases, soonest due first — what the actor may read of them.
    pub async fn my_queues(&self, actor: &Actor) -> Result<Vec<QueueWork>, ServiceError> {
        let policy = self.policy();
        let mine: Vec<QueueInfo> = self
            .queue_infos()
            .into_iter()
            .filter(|q| {
                actor.administers()
                    || policy
                        .queue(CASE, &q.value)
                        .is_some_and(|x| policy.works_in(x, actor.user_id))
            })
            .collect();
        let ended = ENDED.map(|s| format!("'{s}'")).join(", ");
        let mut out = Vec::with_capacity(mine.len());
        for queue in mine {
            let q = ListQuery {
                filter: Some(format!(
                    "{QUEUE_FIELD} eq {} and not status in ({ended})",
                    guanxi_core::query::quote(&queue.value)
                )),
                sort: Some("due_at".into()),
                limit: Some(SHOWN),
                ..Default::default()
            };
            let cases = self.list(actor, CASE, &q).await?.records;
            out.push(QueueWork { queue, cases });
        }
        Ok(out)
    }

    /// The actor takes a case from one of their queues: they become its owner. With a
    /// `version`, only if nobody changed the case since (someone else took it first).
    pub async fn take_case(
        &self,
        actor: &Actor,
        id: Uuid,
        version: Option<i64>,
    ) -> Result<Record, ServiceError> {
        let current = self.get(actor, CASE, id, false).await?;
        let (_, case) = self.object(CASE)?;
        if !self.access(actor, &case).in_my_queue(&case, &current) && !actor.administers() {
            return Err(ServiceError::Forbidden(Msg::QueueNotYours));
        }
        let mut patch = Map::new();
        patch.insert("owner".into(), json!(actor.user_id));
        self.update(actor, CASE, id, version.unwrap_or(current.version()), patch)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::valid_value;

    #[test]
    fn a_queue_value_is_a_lowercase_key_safe_in_criteria() {
        for ok in ["repairs", "hotline_2", "vip"] {
            assert!(valid_value(ok), "{ok}");
        }
        for bad in ["", "Repairs", "2nd", "a b", "x'y", "维修", &"a".repeat(51)] {
            assert!(!valid_value(bad), "{bad}");
        }
    }
}

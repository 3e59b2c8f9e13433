//! A case's lifecycle as the company runs it: from each status, the statuses a case may
//! move to (administrators set it; until they enforce one, any move is allowed). People
//! are held to it; the system's own moves (escalation at a breach, a customer's answer
//! from the portal) are not, as they follow the service rules instead.

use std::collections::BTreeMap;

use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::Definition;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::cases::CASE;
use crate::records::Planned;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_case_lifecycles";
const NAME: &str = "default";

/// The lifecycle: whether it is enforced, and from each status the statuses allowed next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub enforced: bool,
    pub transitions: BTreeMap<String, Vec<String>>,
}

impl Lifecycle {
    /// The lifecycle most service desks start from.
    pub fn usual() -> Lifecycle {
        let t = |from: &str, to: &[&str]| (from.to_string(), to.iter().map(|s| s.to_string()).collect());
        Lifecycle {
            enforced: false,
            transitions: BTreeMap::from([
                t(
                    "new",
                    &[
                        "in_progress",
                        "waiting_customer",
                        "escalated",
                        "resolved",
                        "closed",
                    ],
                ),
                t("in_progress", &["waiting_customer", "escalated", "resolved"]),
                t(
                    "waiting_customer",
                    &["in_progress", "escalated", "resolved", "closed"],
                ),
                t("escalated", &["in_progress", "waiting_customer", "resolved"]),
                t("resolved", &["closed", "in_progress"]),
                t("closed", &[]),
            ]),
        }
    }

    /// Reads a lifecycle as sent or stored, naming each status not among `statuses`.
    pub fn from_json(input: &Json, statuses: &[String]) -> Result<Lifecycle, Vec<FieldError>> {
        let mut errors = Vec::new();
        let enforced = match input.get("enforced") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(v) => {
                errors.push(FieldError::new("enforced", Msg::NotBoolean).with("value", v));
                false
            }
        };
        let mut transitions = BTreeMap::new();
        match input.get("transitions") {
            None | Some(Json::Null) => {}
            Some(Json::Object(m)) => {
                for (from, to) in m {
                    if !statuses.contains(from) {
                        errors.push(
                            FieldError::new(&format!("transitions.{from}"), Msg::NotInPicklist)
                                .with("value", from),
                        );
                        continue;
                    }
                    let Some(list) = to.as_array() else {
                        errors.push(FieldError::new(&format!("transitions.{from}"), Msg::MustBeList));
                        continue;
                    };
                    let mut next = Vec::new();
                    for s in list {
                        match s.as_str().filter(|s| statuses.iter().any(|x| x == s)) {
                            Some(s) if s != from && !next.iter().any(|n| n == s) => next.push(s.to_string()),
                            Some(_) => {}
                            None => errors.push(
                                FieldError::new(&format!("transitions.{from}"), Msg::NotInPicklist)
                                    .with("value", s),
                            ),
                        }
                    }
                    transitions.insert(from.clone(), next);
                }
            }
            Some(_) => errors.push(FieldError::new("transitions", Msg::MustBeList)),
        }
        if errors.is_empty() {
            Ok(Lifecycle {
                enforced,
                transitions,
            })
        } else {
            Err(errors)
        }
    }

    pub fn to_json(&self) -> Json {
        json!({"enforced": self.enforced, "transitions": self.transitions})
    }

    /// Whether a case may go from `from` to `to` (staying put always may).
    pub fn allows(&self, from: &str, to: &str) -> bool {
        !self.enforced
            || from == to
            || self
                .transitions
                .get(from)
                .is_some_and(|next| next.iter().any(|s| s == to))
    }
}

fn stored(defs: &[Definition]) -> Option<Json> {
    defs.iter()
        .find(|d| d.name == NAME)
        .and_then(|d| serde_json::from_str(&d.definition).ok())
}

impl Crm {
    /// The lifecycle as set (administrators), else the usual one, not enforced.
    pub async fn case_lifecycle(&self, actor: &Actor) -> Result<Lifecycle, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(self
            .lifecycle_in_force(None)
            .await?
            .unwrap_or_else(Lifecycle::usual))
    }

    async fn lifecycle_in_force(&self, tx: Option<&mut Tx>) -> Result<Option<Lifecycle>, ServiceError> {
        let defs = match tx {
            Some(tx) => self.definitions_in(tx, TABLE).await?,
            None => self.definitions(TABLE).await?,
        };
        Ok(stored(&defs)
            .and_then(|j| Lifecycle::from_json(&j, &self.picklist_values(CASE, "status", false)).ok()))
    }

    /// Sets the case lifecycle (administrators; audited), each bad status named.
    pub async fn set_case_lifecycle(&self, actor: &Actor, input: &Json) -> Result<Lifecycle, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let lifecycle = Lifecycle::from_json(input, &self.picklist_values(CASE, "status", false))
            .map_err(ServiceError::Validation)?;
        let existing = guanxi_storage::system::definitions(self.db(), TABLE).await?;
        let d = Definition {
            id: existing
                .iter()
                .find(|d| d.name == NAME)
                .map_or_else(Uuid::now_v7, |d| d.id),
            name: NAME.into(),
            object: Some(CASE.into()),
            definition: lifecycle.to_json().to_string(),
        };
        self.save_definition(
            actor,
            TABLE,
            &d,
            "service.case_lifecycle.set",
            lifecycle.to_json(),
        )
        .await?;
        Ok(lifecycle)
    }

    /// The write path's step for cases: a person moves a case only as the lifecycle allows,
    /// told which statuses it may go to.
    pub(crate) async fn follow_lifecycle(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        if object.name != CASE || actor.email == "system" || !plans.iter().any(|p| p.is_ok()) {
            return Ok(());
        }
        let Some(lifecycle) = self.lifecycle_in_force(Some(tx)).await?.filter(|l| l.enforced) else {
            return Ok(());
        };
        let Some(status) = object.fields.iter().position(|f| f.name == "status") else {
            return Ok(());
        };
        let field = &object.fields[status];
        let label = |v: &str, l: Locale| field.option_label(v, l).to_string();
        for plan in plans.iter_mut() {
            let Ok(Planned::Update { before, changes }) = plan else {
                continue;
            };
            let Some(to) = changes
                .iter()
                .find(|(i, _)| *i == status)
                .map(|(_, v)| v.text().to_string())
            else {
                continue;
            };
            let from = before.values[status].text().to_string();
            if lifecycle.allows(&from, &to) {
                continue;
            }
            let next: Vec<String> = lifecycle
                .transitions
                .get(&from)
                .into_iter()
                .flatten()
                .map(|s| label(s, actor.locale))
                .collect();
            let e = if next.is_empty() {
                FieldError::new("status", Msg::CaseStatusFinal).with("from", label(&from, actor.locale))
            } else {
                FieldError::new("status", Msg::CaseStatusNotNext)
                    .with("from", label(&from, actor.locale))
                    .with("to", label(&to, actor.locale))
                    .with("next", next.join(", "))
            };
            *plan = Err(ServiceError::Validation(vec![e]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses() -> Vec<String> {
        [
            "new",
            "in_progress",
            "waiting_customer",
            "escalated",
            "resolved",
            "closed",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn an_enforced_lifecycle_allows_only_its_moves_and_a_status_without_any_is_final() {
        let mut l = Lifecycle::usual();
        assert!(l.allows("closed", "new"), "not enforced: anything goes");
        l.enforced = true;
        assert!(l.allows("new", "in_progress"));
        assert!(l.allows("resolved", "resolved"), "staying put");
        assert!(!l.allows("in_progress", "new"));
        assert!(!l.allows("closed", "in_progress"));
    }

    #[test]
    fn a_lifecycle_reads_back_as_written_and_names_unknown_statuses() {
        let l = Lifecycle::usual();
        assert_eq!(Lifecycle::from_json(&l.to_json(), &statuses()).unwrap(), l);
        let e = Lifecycle::from_json(
            &json!({"enforced": "yes", "transitions": {"limbo": [], "new": ["nowhere", "new", "closed"]}}),
            &statuses(),
        )
        .unwrap_err();
        let fields: Vec<(&str, Msg)> = e.iter().map(|e| (e.field.as_str(), e.msg)).collect();
        assert_eq!(
            fields,
            [
                ("enforced", Msg::NotBoolean),
                ("transitions.limbo", Msg::NotInPicklist),
                ("transitions.new", Msg::NotInPicklist),
            ]
        );
    }
}

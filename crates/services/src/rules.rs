//! Validation rules: administrators add them per object (audited); the write path runs
//! them on every record it is about to write, after types and normalisation, so a rule
//! holds for the API, the web forms, bulk and imports alike.

use guanxi_core::rules::{self, Compiled, Rule};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::{self, Definition};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::records::Planned;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_validation_rules";

fn stored(d: &Definition) -> Option<Rule> {
    let mut rule: Rule = serde_json::from_str(&d.definition).ok()?;
    rule.id = Some(d.id);
    Some(rule)
}

impl Crm {
    /// Every validation rule, of one object if given.
    pub async fn validation_rules(
        &self,
        actor: &Actor,
        object: Option<&str>,
    ) -> Result<Vec<Rule>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let schema = self.schema();
        let object = match object {
            Some(o) => Some(schema.named(o).ok_or(ServiceError::NotFound)?.name.clone()),
            None => None,
        };
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter(|d| object.is_none() || d.object == object)
            .filter_map(stored)
            .collect())
    }

    /// Adds a rule after checking it against its object; audited.
    pub async fn add_validation_rule(&self, actor: &Actor, input: Json) -> Result<Rule, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut rule: Rule = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new("rule", Msg::InvalidJson).with("reason", e)])
        })?;
        let schema = self.schema();
        let object = schema
            .named(&rule.object)
            .cloned()
            .ok_or_else(|| ServiceError::field("object", Msg::UnknownField))?;
        rule.object = object.name.clone();
        rule.id = Some(Uuid::now_v7());
        rules::compile(rule.clone(), &object, &self.parse_context()).map_err(ServiceError::Validation)?;
        let d = Definition {
            id: rule.id.unwrap_or_default(),
            name: rule.name.clone(),
            object: Some(rule.object.clone()),
            definition: serde_json::to_string(&rule).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::to_value(&rule).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, "metadata.validation_rule.add", detail)
            .await?;
        Ok(rule)
    }

    /// Removes a rule; audited.
    pub async fn delete_validation_rule(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        crate::definitions::admin_only(actor)?;
        self.drop_definition(actor, TABLE, id, "metadata.validation_rule.delete")
            .await
    }

    /// The object's active rules, ready to run. A rule that no longer fits its object (a
    /// field gone) is skipped and logged rather than blocking every write.
    pub(crate) async fn rules_for(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
    ) -> Result<Vec<Compiled>, ServiceError> {
        let ctx = self.parse_context();
        let mut out = Vec::new();
        for d in self.definitions_in(tx, TABLE).await?.iter() {
            if d.object.as_deref() != Some(object.name.as_str()) {
                continue;
            }
            let Some(rule) = stored(d).filter(|r| r.active) else {
                continue;
            };
            match rules::compile(rule, object, &ctx) {
                Ok(c) => out.push(c),
                Err(e) => {
                    tracing::warn!(rule = %d.name, errors = ?e, "validation rule no longer fits its object")
                }
            }
        }
        Ok(out)
    }
}

/// Runs the rules on every record a plan would write; a plan whose record breaks any
/// becomes its refusal, each problem beside its field.
pub(crate) fn enforce(rules: &[Compiled], object: &ObjectDef, plans: &mut [Result<Planned, ServiceError>]) {
    if rules.is_empty() {
        return;
    }
    for plan in plans.iter_mut() {
        let Some(record) = plan.as_ref().ok().and_then(Planned::after) else {
            continue;
        };
        let errors: Vec<FieldError> = rules.iter().filter_map(|r| r.check(object, &record)).collect();
        if !errors.is_empty() {
            *plan = Err(ServiceError::Validation(errors));
        }
    }
}

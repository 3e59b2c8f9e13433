//! Coding rules: a field numbered by itself on create (customer codes `KH-{yyyy}-{seq:5}`).
//! The number is taken from a counter row inside the write's own transaction, so it is
//! unique across every node writing to the same PostgreSQL, and a refused write does not
//! burn one.

use chrono::{DateTime, Utc};
use guanxi_core::coding::Pattern;
use guanxi_core::metadata::FieldType;
use guanxi_core::values::Value;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::{self, Definition};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::records::Planned;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_coding_rules";

/// A field of an object numbered by a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodingRule {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub object: String,
    pub field: String,
    pub pattern: String,
}

/// Codes fields get when no rule of the administrator's says otherwise.
const BUILT_IN: [(&str, &str, &str); 2] = [
    ("quote", "number", "BJ-{yyyy}-{seq:5}"),
    ("order", "number", "DD-{yyyy}-{seq:5}"),
];

fn stored(d: &Definition) -> Option<CodingRule> {
    let mut r: CodingRule = serde_json::from_str(&d.definition).ok()?;
    r.id = Some(d.id);
    Some(r)
}

impl Crm {
    pub async fn coding_rules(&self, actor: &Actor) -> Result<Vec<CodingRule>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .collect())
    }

    /// Numbers a text field of an object by a pattern from now on; audited.
    pub async fn add_coding_rule(&self, actor: &Actor, input: Json) -> Result<CodingRule, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut rule: CodingRule = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new("rule", Msg::InvalidJson).with("reason", e)])
        })?;
        let schema = self.schema();
        let object = schema
            .named(&rule.object)
            .cloned()
            .ok_or_else(|| ServiceError::field("object", Msg::UnknownField))?;
        rule.object = object.name.clone();
        let mut errors = Vec::new();
        match object.field(&rule.field) {
            Some(f) if !f.system && f.field_type == FieldType::Text => {}
            _ => errors.push(FieldError::new("field", Msg::CodingBadField)),
        }
        if let Err(m) = Pattern::parse(&rule.pattern) {
            errors.push(FieldError::new("pattern", m));
        }
        let existing = system::definitions(self.db(), TABLE).await?;
        if existing
            .iter()
            .filter_map(stored)
            .any(|r| r.object == rule.object && r.field == rule.field)
        {
            errors.push(FieldError::new("field", Msg::CodingTaken));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        rule.pattern = rule.pattern.trim().to_string();
        rule.id = Some(Uuid::now_v7());
        let d = Definition {
            id: rule.id.unwrap_or_default(),
            name: format!("{}.{}", rule.object, rule.field),
            object: Some(rule.object.clone()),
            definition: serde_json::to_string(&rule).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::to_value(&rule).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, "metadata.coding_rule.add", detail)
            .await?;
        Ok(rule)
    }

    pub async fn delete_coding_rule(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        crate::definitions::admin_only(actor)?;
        self.drop_definition(actor, TABLE, id, "metadata.coding_rule.delete")
            .await
    }

    /// Gives each new record of the batch without a value in a coded field its next code.
    pub(crate) async fn assign_codes(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if !plans.iter().any(|p| matches!(p, Ok(Planned::Insert(_)))) {
            return Ok(());
        }
        let mut rules: Vec<(usize, Pattern)> = self
            .definitions_in(tx, TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .filter(|r| r.object == object.name)
            .filter_map(|r| {
                let i = object.fields.iter().position(|f| f.name == r.field)?;
                Some((i, Pattern::parse(&r.pattern).ok()?))
            })
            .collect();
        // Quotes and orders are numbered even before an administrator says how.
        for (o, field, pattern) in BUILT_IN {
            let Some(i) = object.fields.iter().position(|f| f.name == *field) else {
                continue;
            };
            if object.name == *o && !rules.iter().any(|(j, _)| *j == i) {
                rules.extend(Pattern::parse(pattern).ok().map(|p| (i, p)));
            }
        }
        if rules.is_empty() {
            return Ok(());
        }
        // Dates as the company's calendar reads them.
        let day = now.with_timezone(&self.parse_context().local_offset).date_naive();
        for plan in plans.iter_mut() {
            let Ok(Planned::Insert(record)) = plan else {
                continue;
            };
            for (i, pattern) in &rules {
                if record.values[*i].is_null() {
                    let counter = format!(
                        "{}.{}:{}",
                        object.name,
                        object.fields[*i].name,
                        pattern.counter(day)
                    );
                    let n = system::next_in_sequence(tx, &counter).await?;
                    record.values[*i] = Value::Text(pattern.render(day, u64::try_from(n).unwrap_or(0)));
                }
            }
        }
        Ok(())
    }
}

//! Data quality for administrators: each record's score with its reasons, and each
//! object's picture — average score, how full each field is, which values fail today's
//! checks, how many records look duplicated, the records most in need of care. The rules
//! of the score are in `guanxi_core::quality`; which fields make a record complete is an
//! administrator's choice per object (defaults per standard object).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use guanxi_core::quality::{self, RecordQuality};
use guanxi_core::rules::Compiled;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::system::{self, Definition};
use serde::Serialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::definitions::admin_only;
use crate::records::{ListQuery, MAX_PAGE};
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_quality_settings";

/// How many of the lowest-scoring records an object's report names.
pub const WORST: usize = 20;

/// An object's data quality.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectQuality {
    pub object: String,
    pub records: usize,
    /// Mean record score, 0–100 (100 for an object without records).
    pub score: u8,
    /// The fields that make a record complete, and the share of records that fill each.
    pub completeness_fields: Vec<String>,
    pub fill_rates: BTreeMap<String, f64>,
    /// Records with at least one invalid value, and invalid values per field.
    pub records_with_invalid: usize,
    pub invalid_by_field: BTreeMap<String, usize>,
    /// Records that look like another record (at the object's duplicate rule threshold).
    pub records_with_duplicates: usize,
    /// Records by score band: below 50, 50–79, 80 and above.
    pub bands: [usize; 3],
    /// The lowest-scoring records, worst first: (id, name, score).
    pub worst: Vec<(Uuid, String, u8)>,
}

/// A record's quality with what the record is called.
#[derive(Clone, Debug)]
pub struct Assessed {
    pub id: Uuid,
    pub name: String,
    pub quality: RecordQuality,
}

impl Crm {
    /// The fields that make a record of `object` complete: the administrator's choice, or
    /// the defaults.
    pub async fn quality_fields(&self, object: &ObjectDef) -> Result<Vec<String>, ServiceError> {
        let chosen = self.quality_setting(&object.name).await?.and_then(|d| {
            serde_json::from_str::<Vec<String>>(&d.definition)
                .ok()
                .map(|fields| {
                    fields
                        .into_iter()
                        .filter(|f| object.field(f).is_some())
                        .collect::<Vec<_>>()
                })
        });
        Ok(chosen
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| quality::default_fields(object)))
    }

    async fn quality_setting(&self, object: &str) -> Result<Option<Definition>, ServiceError> {
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .into_iter()
            .find(|d| d.object.as_deref() == Some(object)))
    }

    /// Sets which fields make a record of `object` complete (`{"fields": [...]}`;
    /// administrators; audited as `quality.fields`).
    pub async fn set_quality_fields(
        &self,
        actor: &Actor,
        object: &str,
        input: Json,
    ) -> Result<Vec<String>, ServiceError> {
        admin_only(actor)?;
        let (_, object) = self.object(object)?;
        let Some(list) = input.get("fields").and_then(Json::as_array) else {
            return Err(ServiceError::field("fields", Msg::DetailQualityFields));
        };
        let mut fields = Vec::new();
        for item in list {
            let name = item.as_str().unwrap_or_default();
            match object.field(name) {
                Some(f) if !f.system || f.name == "owner" => {
                    if !fields.iter().any(|x: &String| x == name) {
                        fields.push(name.to_string());
                    }
                }
                _ => {
                    let mut e = FieldError::new("fields", Msg::UnknownField);
                    e.args.push(("field".into(), name.to_string()));
                    return Err(ServiceError::Validation(vec![e]));
                }
            }
        }
        if fields.is_empty() {
            return Err(ServiceError::field("fields", Msg::DetailQualityFields));
        }
        let id = self
            .quality_setting(&object.name)
            .await?
            .map_or_else(Uuid::now_v7, |d| d.id);
        let d = Definition {
            id,
            name: object.name.clone(),
            object: Some(object.name.clone()),
            definition: serde_json::to_string(&fields).unwrap_or_default(),
        };
        self.save_definition(actor, TABLE, &d, "quality.fields", json!({"fields": fields}))
            .await?;
        Ok(fields)
    }

    async fn quality_inputs(&self, object: &ObjectDef) -> Result<(Vec<String>, Vec<Compiled>), ServiceError> {
        let fields = self.quality_fields(object).await?;
        let mut tx = self.db().begin().await?;
        let rules = self.rules_for(&mut tx, object).await?;
        tx.commit().await?;
        Ok((fields, rules))
    }

    /// One record's quality (administrators).
    pub async fn record_quality(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<RecordQuality, ServiceError> {
        admin_only(actor)?;
        let (_, object) = self.object(object)?;
        let record = self.get(actor, &object.name, id, false).await?;
        let (fields, rules) = self.quality_inputs(&object).await?;
        let duplicate = if crate::dedupe::kind_of(&object).is_some() {
            self.duplicates_of(actor, &object.name, id)
                .await?
                .iter()
                .map(|m| m.score)
                .max()
                .unwrap_or(0)
        } else {
            0
        };
        Ok(quality::assess(&object, &record, &fields, &rules, duplicate))
    }

    /// An object's quality over all its live records (administrators). Reads every
    /// record once, a page at a time.
    pub async fn object_quality(&self, actor: &Actor, object: &str) -> Result<ObjectQuality, ServiceError> {
        admin_only(actor)?;
        let (_, object) = self.object(object)?;
        let (fields, rules) = self.quality_inputs(&object).await?;
        let mut report = ObjectQuality {
            object: object.plural.clone(),
            records: 0,
            score: 100,
            completeness_fields: fields.clone(),
            fill_rates: BTreeMap::new(),
            records_with_invalid: 0,
            invalid_by_field: BTreeMap::new(),
            records_with_duplicates: 0,
            bands: [0; 3],
            worst: Vec::new(),
        };
        let duplicates = self.duplicate_scores(actor, &object).await?;
        let mut filled: BTreeMap<String, usize> = fields.iter().map(|f| (f.clone(), 0)).collect();
        let mut total_score = 0u64;
        let mut cursor = None;
        loop {
            let page = self
                .list(
                    actor,
                    &object.name,
                    &ListQuery {
                        filter: None,
                        sort: None,
                        cursor,
                        limit: Some(MAX_PAGE),
                        deleted: false,
                        few: false,
                    },
                )
                .await?;
            for record in &page.records {
                let duplicate = record
                    .id()
                    .and_then(|id| duplicates.get(&id).copied())
                    .unwrap_or(0);
                let q = quality::assess(&object, record, &fields, &rules, duplicate);
                report.records += 1;
                total_score += u64::from(q.score);
                for f in &fields {
                    if !q.missing.contains(f) {
                        *filled.entry(f.clone()).or_default() += 1;
                    }
                }
                if !q.invalid.is_empty() {
                    report.records_with_invalid += 1;
                }
                for e in &q.invalid {
                    *report.invalid_by_field.entry(e.field.clone()).or_default() += 1;
                }
                if q.duplicate_score > 0 {
                    report.records_with_duplicates += 1;
                }
                report.bands[match q.score {
                    0..=49 => 0,
                    50..=79 => 1,
                    _ => 2,
                }] += 1;
                keep_worst(&mut report.worst, record, &object, q.score);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        if report.records > 0 {
            report.score = (total_score as f64 / report.records as f64).round() as u8;
            report.fill_rates = filled
                .into_iter()
                .map(|(f, n)| (f, n as f64 / report.records as f64))
                .collect();
        } else {
            report.fill_rates = fields.iter().map(|f| (f.clone(), 1.0)).collect();
        }
        Ok(report)
    }

    /// The best duplicate score of each record that has duplicates (among the records the
    /// actor reads), for objects duplicate detection covers.
    async fn duplicate_scores(
        &self,
        actor: &Actor,
        object: &Arc<ObjectDef>,
    ) -> Result<HashMap<Uuid, u8>, ServiceError> {
        if crate::dedupe::kind_of(object).is_none() {
            return Ok(HashMap::new());
        }
        let mut scores = HashMap::new();
        for group in self.duplicate_groups(actor, &object.name, None).await? {
            for m in group.members {
                let best = scores.entry(m.id).or_insert(0u8);
                *best = (*best).max(m.score);
            }
        }
        Ok(scores)
    }
}

fn keep_worst(worst: &mut Vec<(Uuid, String, u8)>, record: &Record, object: &ObjectDef, score: u8) {
    if worst.len() == WORST && worst.last().is_some_and(|w| w.2 <= score) {
        return;
    }
    let name = record
        .get(object, &object.name_field)
        .map(|v| match v {
            guanxi_core::Value::Text(s) => s.clone(),
            _ => String::new(),
        })
        .unwrap_or_default();
    let at = worst.partition_point(|w| w.2 <= score);
    worst.insert(at, (record.id().unwrap_or_default(), name, score));
    worst.truncate(WORST);
}

//! How trustworthy a record's data is, as one score out of 100 with its reasons:
//! **completeness** (are the fields that matter for this kind of record filled?),
//! **validity** (does every stored value still pass today's checks — email and phone
//! syntax, web addresses, required fields, current picklist values, the object's
//! validation rules? Data imported long ago or rules added since make this differ from
//! "it was valid when written") and **duplicates** (does the record look like another?).
//!
//! Weights: completeness 50, validity 30, duplicates 20. A record with no duplicates and
//! every checked value valid scores 50 × its completeness + 50.

use serde::Serialize;

use crate::metadata::FieldType;
use crate::rules::Compiled;
use crate::values::{FieldError, Record, Value};
use crate::{Msg, ObjectDef, normalize};

pub const COMPLETENESS_WEIGHT: f64 = 50.0;
pub const VALIDITY_WEIGHT: f64 = 30.0;
pub const DUPLICATES_WEIGHT: f64 = 20.0;

/// The fields whose being filled makes a record of `object` complete, when an
/// administrator has not chosen them: for standard objects what a sales or service team
/// needs to act on the record; for others every required field and every indexed one.
pub fn default_fields(object: &ObjectDef) -> Vec<String> {
    let chosen: &[&str] = match object.name.as_str() {
        "account" => &["name", "industry", "phone", "website", "city", "owner"],
        "contact" => &["name", "account", "title", "mobile", "email", "city"],
        "lead" => &["name", "company", "mobile", "email", "source", "city"],
        "opportunity" => &["name", "account", "amount", "close_date", "stage"],
        "case" => &["subject", "account", "contact", "priority", "status"],
        _ => &[],
    };
    let mut fields: Vec<String> = chosen
        .iter()
        .filter(|f| object.field(f).is_some())
        .map(|f| f.to_string())
        .collect();
    if fields.is_empty() {
        fields = object
            .fields
            .iter()
            .filter(|f| !f.system && (f.required || f.indexed))
            .map(|f| f.name.clone())
            .collect();
    }
    fields
}

/// One record's quality.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordQuality {
    /// 0–100.
    pub score: u8,
    /// Share of the completeness fields filled, 0–1.
    pub completeness: f64,
    /// The completeness fields left empty.
    pub missing: Vec<String>,
    /// Values that fail today's checks.
    #[serde(skip)]
    pub invalid: Vec<FieldError>,
    /// How many values were checked for validity.
    pub checked: usize,
    /// The highest duplicate score against another record (0 when none).
    pub duplicate_score: u8,
}

impl RecordQuality {
    /// Share of checked values that are valid, 0–1 (1 when nothing was checked).
    pub fn validity(&self) -> f64 {
        if self.checked == 0 {
            1.0
        } else {
            1.0 - self.invalid.len() as f64 / self.checked as f64
        }
    }
}

/// The problem with one stored value, if it has one today.
pub fn check_value(field: &crate::FieldDef, value: &Value) -> Option<FieldError> {
    let problem = match (field.field_type, value) {
        (_, Value::Null) if field.required && !field.system => Some(Msg::Required),
        (_, Value::Null) => None,
        (FieldType::Email, Value::Text(s)) => normalize::email(s).is_none().then_some(Msg::InvalidEmail),
        (FieldType::Phone, Value::Text(s)) => normalize::phone(s, phonenumber::country::Id::CN)
            .is_none()
            .then_some(Msg::InvalidPhone),
        (FieldType::Url, Value::Text(s)) => normalize::url(s).is_none().then_some(Msg::InvalidUrl),
        (FieldType::Picklist, Value::Text(s)) => {
            (!field.active_options().any(|o| &o.value == s)).then_some(Msg::NotInPicklist)
        }
        (FieldType::MultiPicklist, Value::List(items)) => items
            .iter()
            .any(|s| !field.active_options().any(|o| &o.value == s))
            .then_some(Msg::NotInPicklist),
        _ => None,
    };
    problem.map(|msg| {
        let mut e = FieldError::new(&field.name, msg);
        if let Value::Text(s) = value {
            e.args.push(("value".into(), s.clone()));
        }
        e
    })
}

/// Whether a field's value is checked for validity at all.
fn checked(field: &crate::FieldDef, value: &Value) -> bool {
    !field.system
        && (field.required
            || (!value.is_null()
                && matches!(
                    field.field_type,
                    FieldType::Email
                        | FieldType::Phone
                        | FieldType::Url
                        | FieldType::Picklist
                        | FieldType::MultiPicklist
                )))
}

/// Scores one record: `fields` are the completeness fields, `rules` the object's
/// validation rules, `duplicate_score` the best match against another record (0–100).
pub fn assess(
    object: &ObjectDef,
    record: &Record,
    fields: &[String],
    rules: &[Compiled],
    duplicate_score: u8,
) -> RecordQuality {
    let mut missing = Vec::new();
    let mut filled = 0usize;
    for name in fields {
        match record.get(object, name) {
            Some(v) if !is_empty(v) => filled += 1,
            Some(_) => missing.push(name.clone()),
            None => {}
        }
    }
    let counted = filled + missing.len();
    let completeness = if counted == 0 {
        1.0
    } else {
        filled as f64 / counted as f64
    };

    let mut invalid = Vec::new();
    let mut checked_count = 0;
    for (field, value) in object.fields.iter().zip(&record.values) {
        if checked(field, value) {
            checked_count += 1;
            if let Some(e) = check_value(field, value) {
                invalid.push(e);
            }
        }
    }
    for rule in rules {
        checked_count += 1;
        if let Some(e) = rule.check(object, record) {
            invalid.push(e);
        }
    }

    let mut q = RecordQuality {
        score: 0,
        completeness,
        missing,
        invalid,
        checked: checked_count,
        duplicate_score,
    };
    let duplicates = 1.0 - f64::from(duplicate_score.min(100)) / 100.0;
    let score =
        COMPLETENESS_WEIGHT * completeness + VALIDITY_WEIGHT * q.validity() + DUPLICATES_WEIGHT * duplicates;
    q.score = score.round().clamp(0.0, 100.0) as u8;
    q
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Text(s) => s.trim().is_empty(),
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::metadata::Schema;

    fn contact() -> std::sync::Arc<ObjectDef> {
        let schema = Schema::new(builtin::standard_objects());
        schema.object("contact").cloned().unwrap()
    }

    fn record(object: &ObjectDef, set: &[(&str, Value)]) -> Record {
        let mut values = vec![Value::Null; object.fields.len()];
        for (name, v) in set {
            let i = object.fields.iter().position(|f| &f.name == name).unwrap();
            values[i] = v.clone();
        }
        Record { values }
    }

    #[test]
    fn a_complete_valid_unique_record_scores_full_marks() {
        let c = contact();
        let fields = default_fields(&c);
        let r = record(
            &c,
            &[
                ("name", Value::Text("张伟".into())),
                ("account", Value::Uuid(uuid::Uuid::nil())),
                ("title", Value::Text("经理".into())),
                ("mobile", Value::Text("+8613800138000".into())),
                ("email", Value::Text("zw@example.com".into())),
                ("city", Value::Text("杭州".into())),
            ],
        );
        let q = assess(&c, &r, &fields, &[], 0);
        assert_eq!(q.score, 100, "{q:?}");
        assert!(q.missing.is_empty());
    }

    #[test]
    fn missing_fields_invalid_values_and_duplicates_each_cost_their_share() {
        let c = contact();
        let fields = default_fields(&c);
        let r = record(
            &c,
            &[
                ("name", Value::Text("张伟".into())),
                ("email", Value::Text("not-an-email".into())),
                ("salutation", Value::Text("sir".into())),
            ],
        );
        let q = assess(&c, &r, &fields, &[], 90);
        assert_eq!(q.missing, vec!["account", "title", "mobile", "city"]);
        let fields_at_fault: Vec<&str> = q.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields_at_fault, vec!["salutation", "email"], "in field order");
        // 2 of 6 filled → 50 × 1/3; 1 of 3 checked values valid → 30 × 1/3; 20 × 0.1.
        assert_eq!(q.score, (50.0 / 3.0 + 10.0 + 2.0_f64).round() as u8);
    }

    #[test]
    fn retired_picklist_values_and_empty_required_fields_are_invalid_today() {
        let c = contact();
        let mut object = (*c).clone();
        let salutation = object.fields.iter_mut().find(|f| f.name == "salutation").unwrap();
        salutation
            .options
            .iter_mut()
            .find(|o| o.value == "dr")
            .unwrap()
            .active = false;
        let r = record(&object, &[("salutation", Value::Text("dr".into()))]);
        let q = assess(&object, &r, &[], &[], 0);
        let faults: Vec<(&str, Msg)> = q.invalid.iter().map(|e| (e.field.as_str(), e.msg)).collect();
        assert!(faults.contains(&("salutation", Msg::NotInPicklist)), "{faults:?}");
        assert!(faults.contains(&("name", Msg::Required)), "{faults:?}");
    }
}

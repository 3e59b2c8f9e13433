//! Validation rules administrators add per object, checked on every write after the
//! field types and normalisation: a field required when a condition holds, a pattern a
//! text must match, a range a number or date must lie in, a comparison between two
//! fields. Each failure names its field and says the administrator's message in the
//! reader's language.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::metadata::{FieldType, Label};
use crate::query::{Cond, Expr};
use crate::values::{ParseContext, Record, Value};
use crate::{FieldError, Msg, ObjectDef};

/// What a rule checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// `field` must have a value whenever `when` (the filter language) holds.
    RequiredIf { field: String, when: String },
    /// A text `field`, when filled, must match the regular expression entirely.
    Pattern { field: String, pattern: String },
    /// A number, money, date or time `field`, when filled, lies within min..=max (as the
    /// filter language writes values).
    Range {
        field: String,
        #[serde(default)]
        min: Option<String>,
        #[serde(default)]
        max: Option<String>,
    },
    /// `field` compared with `other` (both filled) must hold: lt, lte, gt, gte, eq, ne.
    Compare {
        field: String,
        op: String,
        other: String,
    },
}

/// A rule as stored: which object, its check, its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub object: String,
    pub name: String,
    #[serde(flatten)]
    pub check: Check,
    pub message: Label,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A rule made ready to run: patterns compiled, conditions and bounds typed.
#[derive(Debug)]
pub struct Compiled {
    rule: Rule,
    field: usize,
    kind: Ready,
}

#[derive(Debug)]
enum Ready {
    RequiredIf(Expr<Cond>),
    Pattern(Regex),
    Range(Option<Value>, Option<Value>),
    Compare(std::cmp::Ordering, bool, usize),
}

fn check_field(object: &ObjectDef, name: &str, at: &str) -> Result<usize, FieldError> {
    object
        .fields
        .iter()
        .position(|f| f.name == name && !f.system)
        .ok_or_else(|| FieldError::new(at, Msg::UnknownField))
}

/// Checks a rule against the object and makes it ready to run; each problem names its
/// place in the rule (`field`, `pattern`, `when`, `min`, `message.en`…).
pub fn compile(rule: Rule, object: &ObjectDef, ctx: &ParseContext) -> Result<Compiled, Vec<FieldError>> {
    let mut errors = Vec::new();
    if rule.name.trim().is_empty() {
        errors.push(FieldError::new("name", Msg::Required));
    }
    for (key, text) in [
        ("en", &rule.message.en),
        ("zh-CN", &rule.message.zh_cn),
        ("zh-TW", &rule.message.zh_tw),
    ] {
        if text.trim().is_empty() {
            errors.push(FieldError::new(&format!("message.{key}"), Msg::Required));
        }
    }
    let (field_name, kind) = match &rule.check {
        Check::RequiredIf { field, when } => {
            let ready = crate::access::parse_criteria(when, object, ctx)
                .map(Ready::RequiredIf)
                .map_err(|e| FieldError::new("when", e.msg));
            (field, ready)
        }
        Check::Pattern { field, pattern } => {
            let ready = Regex::new(&format!("^(?:{pattern})$"))
                .map(Ready::Pattern)
                .map_err(|_| FieldError::new("pattern", Msg::RuleBadPattern));
            (field, ready)
        }
        Check::Range { field, min, max } => {
            let ready = match object.field(field) {
                None => Err(FieldError::new("field", Msg::UnknownField)),
                Some(f)
                    if !matches!(
                        f.field_type,
                        FieldType::Integer
                            | FieldType::Decimal
                            | FieldType::Percent
                            | FieldType::Money
                            | FieldType::Date
                            | FieldType::Datetime
                    ) =>
                {
                    Err(FieldError::new("field", Msg::RuleBadFieldType))
                }
                Some(f) => {
                    let bound = |key: &str, text: &Option<String>| match text
                        .as_deref()
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                    {
                        None => Ok(None),
                        Some(t) => {
                            crate::values::parse_input(f, &serde_json::Value::String(t.to_string()), ctx)
                                .map(|v| match v {
                                    Value::Money { amount, .. } => Some(Value::Decimal(amount)),
                                    other => Some(other),
                                })
                                .map_err(|_| FieldError::new(key, Msg::RuleBadBound))
                        }
                    };
                    match (bound("min", min), bound("max", max)) {
                        (Ok(None), Ok(None)) => Err(FieldError::new("min", Msg::RuleBadBound)),
                        (Ok(a), Ok(b)) => Ok(Ready::Range(a, b)),
                        (Err(e), _) | (_, Err(e)) => Err(e),
                    }
                }
            };
            (field, ready)
        }
        Check::Compare { field, op, other } => {
            let ready = match (check_field(object, other, "other"), op.as_str()) {
                (Err(e), _) => Err(e),
                (Ok(i), "lt") => Ok(Ready::Compare(std::cmp::Ordering::Less, false, i)),
                (Ok(i), "lte") => Ok(Ready::Compare(std::cmp::Ordering::Greater, true, i)),
                (Ok(i), "gt") => Ok(Ready::Compare(std::cmp::Ordering::Greater, false, i)),
                (Ok(i), "gte") => Ok(Ready::Compare(std::cmp::Ordering::Less, true, i)),
                (Ok(i), "eq") => Ok(Ready::Compare(std::cmp::Ordering::Equal, false, i)),
                (Ok(i), "ne") => Ok(Ready::Compare(std::cmp::Ordering::Equal, true, i)),
                (Ok(_), _) => Err(FieldError::new("op", Msg::NotInPicklist)),
            };
            (field, ready)
        }
    };
    let field = check_field(object, field_name, "field");
    let (field, kind) = match (field, kind) {
        (Ok(f), Ok(k)) if errors.is_empty() => (f, k),
        (f, k) => {
            errors.extend(f.err());
            errors.extend(k.err());
            return Err(errors);
        }
    };
    Ok(Compiled { rule, field, kind })
}

/// Compares two values of comparable kinds (money by amount).
fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let amount = |v: &Value| match v {
        Value::Money { amount, .. } => Some(Value::Decimal(*amount)),
        _ => None,
    };
    let (a, b) = (
        amount(a).unwrap_or_else(|| a.clone()),
        amount(b).unwrap_or_else(|| b.clone()),
    );
    match (&a, &b) {
        (Value::Int(x), Value::Decimal(y)) => Some(rust_decimal::Decimal::from(*x).cmp(y)),
        (Value::Decimal(x), Value::Int(y)) => Some(x.cmp(&rust_decimal::Decimal::from(*y))),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Compiled {
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The problem this record has with the rule, if any.
    pub fn check(&self, object: &ObjectDef, record: &Record) -> Option<FieldError> {
        if !self.rule.active {
            return None;
        }
        let value = record.values.get(self.field).unwrap_or(&Value::Null);
        let broken = match &self.kind {
            Ready::RequiredIf(when) => {
                value.is_null() && crate::access::eval(when, object, record) == Some(true)
            }
            Ready::Pattern(re) => match value {
                Value::Text(t) => !re.is_match(t),
                _ => false,
            },
            Ready::Range(min, max) => {
                !value.is_null()
                    && (min
                        .as_ref()
                        .is_some_and(|m| order(value, m) == Some(std::cmp::Ordering::Less))
                        || max
                            .as_ref()
                            .is_some_and(|m| order(value, m) == Some(std::cmp::Ordering::Greater)))
            }
            Ready::Compare(ordering, negate, other) => {
                let other = record.values.get(*other).unwrap_or(&Value::Null);
                match order(value, other) {
                    None => false,
                    Some(o) => (o == *ordering) == *negate,
                }
            }
        };
        broken.then(|| {
            FieldError::new(&object.fields[self.field].name, Msg::RuleFailed)
                .with("en", &self.rule.message.en)
                .with("zh_cn", &self.rule.message.zh_cn)
                .with("zh_tw", &self.rule.message.zh_tw)
                .with("rule", &self.rule.name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::standard_objects;

    fn opportunity() -> ObjectDef {
        standard_objects()
            .into_iter()
            .find(|o| o.name == "opportunity")
            .unwrap()
    }

    fn rule(check: Check) -> Rule {
        Rule {
            id: None,
            object: "opportunity".into(),
            name: "r".into(),
            check,
            message: Label::new("Bad", "不对", "不對"),
            active: true,
        }
    }

    fn record(o: &ObjectDef, values: &[(&str, Value)]) -> Record {
        let mut r = Record {
            values: vec![Value::Null; o.fields.len()],
        };
        for (n, v) in values {
            let i = o.fields.iter().position(|f| f.name == *n).unwrap();
            r.values[i] = v.clone();
        }
        r
    }

    #[test]
    fn each_kind_of_rule_catches_what_it_should_and_only_that() {
        let o = opportunity();
        let ctx = ParseContext::default();
        let lost = rule(Check::RequiredIf {
            field: "loss_reason".into(),
            when: "stage eq 'closed_lost'".into(),
        });
        let lost = compile(lost, &o, &ctx).unwrap();
        let stage = |s: &str| ("stage", Value::Text(s.into()));
        assert!(lost.check(&o, &record(&o, &[stage("closed_lost")])).is_some());
        assert!(
            lost.check(
                &o,
                &record(
                    &o,
                    &[stage("closed_lost"), ("loss_reason", Value::Text("price".into()))]
                )
            )
            .is_none()
        );
        assert!(lost.check(&o, &record(&o, &[stage("proposal")])).is_none());

        let code = compile(
            rule(Check::Pattern {
                field: "next_step".into(),
                pattern: "[A-Z]{2}-\\d{3}".into(),
            }),
            &o,
            &ctx,
        )
        .unwrap();
        assert!(
            code.check(&o, &record(&o, &[("next_step", Value::Text("AB-123".into()))]))
                .is_none()
        );
        assert!(
            code.check(&o, &record(&o, &[("next_step", Value::Text("AB-1234".into()))]))
                .is_some(),
            "whole text"
        );
        assert!(
            code.check(&o, &record(&o, &[])).is_none(),
            "empty is the required rules' business"
        );

        let range = compile(
            rule(Check::Range {
                field: "probability".into(),
                min: Some("0".into()),
                max: Some("100".into()),
            }),
            &o,
            &ctx,
        )
        .unwrap();
        let p = |d: i64| ("probability", Value::Decimal(rust_decimal::Decimal::from(d)));
        assert!(range.check(&o, &record(&o, &[p(100)])).is_none());
        assert!(range.check(&o, &record(&o, &[p(101)])).is_some());

        let after = compile(
            rule(Check::Compare {
                field: "close_date".into(),
                op: "gte".into(),
                other: "created_at".into(),
            }),
            &o,
            &ctx,
        );
        assert_eq!(
            after.unwrap_err()[0].field,
            "other",
            "system fields are not compared"
        );
        let err = compile(
            rule(Check::Pattern {
                field: "nope".into(),
                pattern: "(".into(),
            }),
            &o,
            &ctx,
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["field", "pattern"]);
    }
}

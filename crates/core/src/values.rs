//! Field values: parsed from JSON input at the edge (typed, normalised, checked against
//! the field's metadata) and rendered back to JSON. Parse, don't validate.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::i18n::{Locale, Msg};
use crate::metadata::{DECIMAL_PRECISION, FieldDef, FieldType};
use crate::normalize;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Money { amount: Decimal, currency: String },
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Uuid(Uuid),
    List(Vec<String>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text of a text or picklist value; empty for anything else.
    pub fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }

    /// The moment of a date-time value.
    pub fn datetime(&self) -> Option<DateTime<Utc>> {
        match self {
            Value::DateTime(t) => Some(*t),
            _ => None,
        }
    }

    /// The whole number of an integer value; 0 for none (a counter not yet counted).
    pub fn count(&self) -> i64 {
        match self {
            Value::Int(n) => *n,
            _ => 0,
        }
    }
}

/// A problem with one field's value, rendered in the reader's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub msg: Msg,
    pub args: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: &str, msg: Msg) -> Self {
        FieldError {
            field: field.into(),
            msg,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push((name.into(), value.to_string()));
        self
    }

    pub fn code(&self) -> String {
        let name = format!("{:?}", self.msg);
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    pub fn message(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        self.msg.format(locale, &args)
    }
}

/// What input parsing needs to know beyond the field itself.
#[derive(Clone, Copy, Debug)]
pub struct ParseContext {
    pub default_currency: &'static str,
    /// Offset used for date-times written without one (the user's time zone).
    pub local_offset: FixedOffset,
    pub default_region: phonenumber::country::Id,
}

impl Default for ParseContext {
    fn default() -> Self {
        ParseContext {
            default_currency: "CNY",
            local_offset: FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Offset::fix(&Utc)),
            default_region: phonenumber::country::Id::CN,
        }
    }
}

/// Which retired picklist values (options no longer offered) an input may still carry.
#[derive(Clone, Copy, Debug)]
enum Retired<'a> {
    /// New input: none.
    Refused,
    /// A change to a stored record: those the record already holds, so saving a form
    /// that shows the record's current value does not fail.
    Held(&'a Value),
    /// A criterion (filters): any, since records keep them.
    Accepted,
}

impl Retired<'_> {
    fn allows(self, value: &str) -> bool {
        match self {
            Retired::Refused => false,
            Retired::Accepted => true,
            Retired::Held(Value::Text(t)) => t == value,
            Retired::Held(Value::List(items)) => items.iter().any(|i| i == value),
            Retired::Held(_) => false,
        }
    }
}

/// Parses one JSON input value for `field`. `Null` comes back for JSON null and blank text;
/// whether null is acceptable (required fields) is the caller's decision. Retired picklist
/// values are refused (`NotInPicklist`).
pub fn parse_input(field: &FieldDef, input: &Json, ctx: &ParseContext) -> Result<Value, FieldError> {
    parse_with(field, input, ctx, Retired::Refused)
}

/// Parses a new value for a stored record's field whose value is `current`: as
/// `parse_input`, but retired picklist values the record already holds are accepted.
pub fn parse_change(
    field: &FieldDef,
    input: &Json,
    ctx: &ParseContext,
    current: &Value,
) -> Result<Value, FieldError> {
    parse_with(field, input, ctx, Retired::Held(current))
}

/// Parses a value to compare stored ones with (filters): retired picklist values included.
pub fn parse_criterion(field: &FieldDef, input: &Json, ctx: &ParseContext) -> Result<Value, FieldError> {
    parse_with(field, input, ctx, Retired::Accepted)
}

fn parse_with(
    field: &FieldDef,
    input: &Json,
    ctx: &ParseContext,
    retired: Retired<'_>,
) -> Result<Value, FieldError> {
    let err = |msg| FieldError::new(&field.name, msg);
    if input.is_null() {
        return Ok(Value::Null);
    }
    let as_text = || -> Result<Option<String>, FieldError> {
        match input {
            Json::String(s) => Ok(Some(s.clone())),
            Json::Number(n) => Ok(Some(n.to_string())),
            Json::Bool(b) => Ok(Some(b.to_string())),
            _ => Err(err(Msg::NotText)),
        }
        .map(|s| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    };
    let value = match field.field_type {
        FieldType::Text | FieldType::LongText => {
            let Some(mut s) = as_text()? else {
                return Ok(Value::Null);
            };
            if field.field_type == FieldType::Text {
                s = s
                    .split(['\r', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
            } else {
                s = s.replace("\r\n", "\n");
            }
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(err(Msg::NotText));
            }
            let max = field.max_length();
            if s.chars().count() > max as usize {
                return Err(err(Msg::TooLong).with("max", max));
            }
            Value::Text(s)
        }
        FieldType::Integer => match input {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => return Err(err(Msg::NotInteger)),
            },
            Json::String(s) => {
                let cleaned: String = s
                    .trim()
                    .chars()
                    .filter(|c| !matches!(c, ',' | '_' | ' '))
                    .collect();
                if cleaned.is_empty() {
                    return Ok(Value::Null);
                }
                Value::Int(cleaned.parse().map_err(|_| err(Msg::NotInteger))?)
            }
            _ => return Err(err(Msg::NotInteger)),
        },
        FieldType::Decimal | FieldType::Percent => match parse_decimal(field, input)? {
            Some(d) => Value::Decimal(d),
            None => Value::Null,
        },
        FieldType::Money => {
            let (amount, currency) = match input {
                Json::Object(map) => {
                    let amount = map.get("amount").unwrap_or(&Json::Null);
                    let currency = match map.get("currency") {
                        None | Some(Json::Null) => ctx.default_currency.to_string(),
                        Some(Json::String(c)) => c.trim().to_ascii_uppercase(),
                        Some(_) => return Err(err(Msg::InvalidCurrency)),
                    };
                    (parse_decimal(field, amount)?, currency)
                }
                other => (parse_decimal(field, other)?, ctx.default_currency.to_string()),
            };
            let Some(amount) = amount else {
                return Ok(Value::Null);
            };
            if !is_currency_code(&currency) {
                return Err(err(Msg::InvalidCurrency));
            }
            Value::Money { amount, currency }
        }
        FieldType::Date => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::Date(parse_date(&s).ok_or_else(|| err(Msg::NotDate))?)
        }
        FieldType::Datetime => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::DateTime(parse_datetime(&s, ctx.local_offset).ok_or_else(|| err(Msg::NotDatetime))?)
        }
        FieldType::Boolean => match input {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) if n.as_i64() == Some(0) => Value::Bool(false),
            Json::Number(n) if n.as_i64() == Some(1) => Value::Bool(true),
            Json::String(s) => match s.trim().to_lowercase().as_str() {
                "" => Value::Null,
                "true" | "yes" | "y" | "1" | "是" | "真" => Value::Bool(true),
                "false" | "no" | "n" | "0" | "否" | "假" => Value::Bool(false),
                _ => return Err(err(Msg::NotBoolean)),
            },
            _ => return Err(err(Msg::NotBoolean)),
        },
        FieldType::Picklist => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::Text(picklist_value(field, &s, retired)?)
        }
        FieldType::MultiPicklist => {
            let mut out = Vec::new();
            for item in list_items(input).ok_or_else(|| err(Msg::NotList))? {
                let v = picklist_value(field, &item, retired)?;
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::List(out)
            }
        }
        FieldType::Tags => {
            let mut out: Vec<String> = Vec::new();
            for item in list_items(input).ok_or_else(|| err(Msg::NotList))? {
                if item.chars().count() > 50 {
                    return Err(err(Msg::TooLong).with("max", 50));
                }
                if !out.iter().any(|t| t.to_lowercase() == item.to_lowercase()) {
                    out.push(item);
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::List(out)
            }
        }
        FieldType::Email => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::Text(normalize::email(&s).ok_or_else(|| err(Msg::InvalidEmail))?)
        }
        FieldType::Phone => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::Text(normalize::phone(&s, ctx.default_region).ok_or_else(|| err(Msg::InvalidPhone))?)
        }
        FieldType::Url => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            let url = normalize::url(&s).ok_or_else(|| err(Msg::InvalidUrl))?;
            if url.chars().count() > field.max_length() as usize {
                return Err(err(Msg::TooLong).with("max", field.max_length()));
            }
            Value::Text(url)
        }
        FieldType::Lookup | FieldType::User | FieldType::Id => {
            let Some(s) = as_text()? else {
                return Ok(Value::Null);
            };
            Value::Uuid(Uuid::from_str(&s).map_err(|_| err(Msg::InvalidId))?)
        }
    };
    Ok(value)
}

fn list_items(input: &Json) -> Option<Vec<String>> {
    let items: Vec<String> = match input {
        Json::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Json::String(s) => out.push(s.clone()),
                    Json::Number(n) => out.push(n.to_string()),
                    _ => return None,
                }
            }
            out
        }
        Json::String(s) => s.split([';', ',', '，', '；']).map(str::to_string).collect(),
        _ => return None,
    };
    Some(
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Picklist input may be the stored value (any case) or a label in any language; a
/// retired option only where `retired` allows it.
fn picklist_value(field: &FieldDef, input: &str, retired: Retired<'_>) -> Result<String, FieldError> {
    let lower = input.to_lowercase();
    field
        .options
        .iter()
        .filter(|o| o.active || retired.allows(&o.value))
        .find(|o| {
            o.value == lower
                || o.label.en.to_lowercase() == lower
                || o.label.zh_cn == input
                || o.label.zh_tw == input
        })
        .map(|o| o.value.clone())
        .ok_or_else(|| FieldError::new(&field.name, Msg::NotInPicklist).with("value", input))
}

fn parse_decimal(field: &FieldDef, input: &Json) -> Result<Option<Decimal>, FieldError> {
    let err = |msg| FieldError::new(&field.name, msg);
    let text = match input {
        Json::Null => return Ok(None),
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.trim().to_string(),
        _ => return Err(err(Msg::NotNumber)),
    };
    let mut cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '¥' | '￥' | '$'))
        .collect();
    if field.field_type == FieldType::Percent {
        cleaned = cleaned.trim_end_matches('%').to_string();
    }
    if cleaned.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .map_err(|_| err(Msg::NotNumber))?
        .normalize();
    let scale = field.scale();
    if d.scale() > scale {
        return Err(err(Msg::TooManyDecimals).with("scale", scale));
    }
    let limit = Decimal::from_i128_with_scale(10i128.pow(DECIMAL_PRECISION - scale), 0);
    if d.abs() >= limit {
        return Err(err(Msg::NumberTooLarge));
    }
    let mut d = d;
    d.rescale(scale);
    Ok(Some(d))
}

/// Dates as people write them: 2026-01-31, 2026/1/31, 2026.1.31, 2026年1月31日.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let cleaned: String = s
        .trim_end_matches('日')
        .chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '年' | '月') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let mut parts = cleaned.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// RFC 3339, or a local date-time without offset (read in `local`).
pub fn parse_datetime(s: &str, local: FixedOffset) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    local
        .from_local_datetime(&naive)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
}

/// A field's value in a record of `object` (`Null` when the object has no such field).
pub fn field<'a>(object: &crate::ObjectDef, r: &'a Record, name: &str) -> &'a Value {
    r.get(object, name).unwrap_or(&Value::Null)
}

/// A text (or picklist) field's value.
pub fn field_text(object: &crate::ObjectDef, r: &Record, name: &str) -> Option<String> {
    match field(object, r, name) {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// A lookup's (or user field's) id.
pub fn field_id(object: &crate::ObjectDef, r: &Record, name: &str) -> Option<Uuid> {
    match field(object, r, name) {
        Value::Uuid(u) => Some(*u),
        _ => None,
    }
}

/// A number field's value: a decimal or percent, a money amount, an integer.
pub fn field_number(object: &crate::ObjectDef, r: &Record, name: &str) -> Option<Decimal> {
    match field(object, r, name) {
        Value::Decimal(d) => Some(*d),
        Value::Money { amount, .. } => Some(*amount),
        Value::Int(i) => Some(Decimal::from(*i)),
        _ => None,
    }
}

/// Renders a value as the API shows it.
pub fn to_json(field: &FieldDef, value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Text(s) => Json::String(s.clone()),
        Value::Int(i) => json!(i),
        Value::Decimal(d) => Json::String(rescaled(*d, field.scale()).to_string()),
        Value::Money { amount, currency } => {
            json!({"amount": rescaled(*amount, field.scale()).to_string(), "currency": currency})
        }
        Value::Bool(b) => Json::Bool(*b),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::DateTime(dt) => Json::String(format_datetime(dt)),
        Value::Uuid(u) => Json::String(u.to_string()),
        Value::List(items) => json!(items),
    }
}

pub fn format_datetime(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn rescaled(mut d: Decimal, scale: u32) -> Decimal {
    d.rescale(scale);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{Label, PicklistOption};
    use proptest::prelude::*;

    fn f(t: FieldType) -> FieldDef {
        FieldDef::new("x", t, Label::new("X", "X", "X"))
    }

    fn parse(t: FieldType, input: Json) -> Result<Value, FieldError> {
        parse_input(&f(t), &input, &ParseContext::default())
    }

    #[test]
    fn text_is_trimmed_and_limited() {
        assert_eq!(
            parse(FieldType::Text, json!("  张伟  ")),
            Ok(Value::Text("张伟".into()))
        );
        assert_eq!(parse(FieldType::Text, json!("   ")), Ok(Value::Null));
        assert_eq!(
            parse(FieldType::Text, json!("a\nb")),
            Ok(Value::Text("a b".into()))
        );
        let mut short = f(FieldType::Text);
        short.max_length = Some(3);
        let e = parse_input(&short, &json!("四个汉字"), &ParseContext::default());
        assert_eq!(e.map_err(|e| e.msg), Err(Msg::TooLong));
        assert_eq!(
            parse_input(&short, &json!("三个字"), &ParseContext::default()),
            Ok(Value::Text("三个字".into()))
        );
    }

    #[test]
    fn money_keeps_exact_decimals_and_currency() {
        let mut money = f(FieldType::Money);
        money.scale = Some(2);
        let ctx = ParseContext::default();
        let v = parse_input(&money, &json!("1,234.5"), &ctx);
        assert_eq!(
            v,
            Ok(Value::Money {
                amount: Decimal::new(123450, 2),
                currency: "CNY".into()
            })
        );
        let v = parse_input(&money, &json!({"amount": 0.1, "currency": "usd"}), &ctx);
        assert_eq!(
            v,
            Ok(Value::Money {
                amount: Decimal::new(10, 2),
                currency: "USD".into()
            })
        );
        assert_eq!(
            parse_input(&money, &json!("1.005"), &ctx).map_err(|e| e.msg),
            Err(Msg::TooManyDecimals)
        );
        assert_eq!(
            parse_input(&money, &json!({"amount": 1, "currency": "元"}), &ctx).map_err(|e| e.msg),
            Err(Msg::InvalidCurrency)
        );
        assert_eq!(
            parse_input(&money, &json!("1e17"), &ctx).map_err(|e| e.msg),
            Err(Msg::NumberTooLarge)
        );
        let shown = to_json(
            &money,
            &Value::Money {
                amount: Decimal::new(5, 0),
                currency: "CNY".into(),
            },
        );
        assert_eq!(shown, json!({"amount": "5.00", "currency": "CNY"}));
    }

    #[test]
    fn dates_accept_chinese_writing() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31);
        for s in ["2026-01-31", "2026/1/31", "2026.1.31", "2026年1月31日"] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("31/01/2026"), None);
    }

    #[test]
    fn naive_datetimes_are_read_in_the_local_offset() {
        let ctx = ParseContext::default();
        let v = parse(FieldType::Datetime, json!("2026-01-31 09:30"));
        let expected = Utc
            .with_ymd_and_hms(2026, 1, 31, 1, 30, 0)
            .single()
            .map(Value::DateTime);
        assert_eq!(v.ok(), expected);
        let v = parse_input(&f(FieldType::Datetime), &json!("2026-01-31T09:30:00Z"), &ctx);
        assert_eq!(
            v.ok(),
            Utc.with_ymd_and_hms(2026, 1, 31, 9, 30, 0)
                .single()
                .map(Value::DateTime)
        );
    }

    #[test]
    fn picklists_accept_values_and_labels() {
        let mut p = f(FieldType::Picklist);
        p.options = vec![PicklistOption::new(
            "manufacturing",
            Label::new("Manufacturing", "制造业", "製造業"),
        )];
        let ctx = ParseContext::default();
        for input in ["manufacturing", "Manufacturing", "制造业", "製造業"] {
            assert_eq!(
                parse_input(&p, &json!(input), &ctx),
                Ok(Value::Text("manufacturing".into()))
            );
        }
        let e = parse_input(&p, &json!("farming"), &ctx).err();
        assert_eq!(e.map(|e| e.msg), Some(Msg::NotInPicklist));
    }

    #[test]
    fn retired_values_are_refused_for_new_input_but_kept_where_held_and_found_by_filters() {
        let mut p = f(FieldType::Picklist);
        let mut fax = PicklistOption::new("fax", Label::new("Fax", "传真", "傳真"));
        fax.active = false;
        p.options = vec![PicklistOption::new("web", Label::new("Web", "网站", "網站")), fax];
        let ctx = ParseContext::default();
        let e = parse_input(&p, &json!("fax"), &ctx).err();
        assert_eq!(
            e.map(|e| (e.field, e.msg)),
            Some(("x".into(), Msg::NotInPicklist))
        );
        assert!(parse_input(&p, &json!("传真"), &ctx).is_err(), "nor by its label");
        let held = Value::Text("fax".into());
        assert_eq!(
            parse_change(&p, &json!("传真"), &ctx, &held),
            Ok(Value::Text("fax".into()))
        );
        assert!(parse_change(&p, &json!("fax"), &ctx, &Value::Text("web".into())).is_err());
        assert_eq!(
            parse_criterion(&p, &json!("fax"), &ctx),
            Ok(Value::Text("fax".into()))
        );
        assert_eq!(p.option_label("fax", Locale::ZhCn), "传真", "still labelled");

        let mut m = p.clone();
        m.field_type = FieldType::MultiPicklist;
        let held = Value::List(vec!["fax".into()]);
        assert_eq!(
            parse_change(&m, &json!(["fax", "web"]), &ctx, &held),
            Ok(Value::List(vec!["fax".into(), "web".into()]))
        );
        assert!(parse_input(&m, &json!(["web", "fax"]), &ctx).is_err());
    }

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            parse(FieldType::Tags, json!("VIP, 华东；vip")),
            Ok(Value::List(vec!["VIP".into(), "华东".into()]))
        );
        assert_eq!(parse(FieldType::Tags, json!([])), Ok(Value::Null));
        assert_eq!(
            parse(FieldType::Tags, json!([{"a": 1}])).map_err(|e| e.msg),
            Err(Msg::NotList)
        );
    }

    #[test]
    fn booleans_integers_and_ids() {
        assert_eq!(parse(FieldType::Boolean, json!("是")), Ok(Value::Bool(true)));
        assert_eq!(
            parse(FieldType::Boolean, json!("maybe")).map_err(|e| e.msg),
            Err(Msg::NotBoolean)
        );
        assert_eq!(parse(FieldType::Integer, json!("1,200")), Ok(Value::Int(1200)));
        assert_eq!(
            parse(FieldType::Integer, json!(1.5)).map_err(|e| e.msg),
            Err(Msg::NotInteger)
        );
        assert_eq!(
            parse(FieldType::Lookup, json!("nope")).map_err(|e| e.msg),
            Err(Msg::InvalidId)
        );
    }

    #[test]
    fn error_codes_are_snake_case() {
        assert_eq!(FieldError::new("x", Msg::NotInPicklist).code(), "not_in_picklist");
    }

    proptest! {
        #[test]
        fn decimal_round_trips_through_json(units in -999_999_999_999i64..999_999_999_999i64) {
            let mut field = f(FieldType::Decimal);
            field.scale = Some(2);
            let d = Decimal::new(units, 2);
            let shown = to_json(&field, &Value::Decimal(d));
            let back = parse_input(&field, &shown, &ParseContext::default());
            prop_assert_eq!(back, Ok(Value::Decimal(d)));
        }

        #[test]
        fn text_parsing_never_panics_and_respects_the_limit(s in "\\PC{0,300}") {
            let field = f(FieldType::Text);
            if let Ok(Value::Text(t)) = parse_input(&field, &json!(s), &ParseContext::default()) {
                prop_assert!(t.chars().count() <= 255);
                prop_assert_eq!(t.trim(), t.as_str());
            }
        }

        #[test]
        fn phone_normalisation_is_idempotent(n in 13000000000u64..19999999999u64) {
            if let Some(e164) = normalize::phone(&n.to_string(), phonenumber::country::Id::CN) {
                prop_assert_eq!(normalize::phone(&e164, phonenumber::country::Id::CN), Some(e164.clone()));
            }
        }
    }
}

/// An ISO 4217 code as Guanxi stores it: three capital letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// One record's values, aligned with its object's `fields` (system fields first).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub values: Vec<Value>,
}

/// Positions of the system fields in every record (see `metadata::system_fields`).
pub mod sys {
    pub const ID: usize = 0;
    pub const CREATED_AT: usize = 1;
    pub const UPDATED_AT: usize = 2;
    pub const CREATED_BY: usize = 3;
    pub const OWNER: usize = 4;
    pub const VERSION: usize = 5;
    pub const DELETED_AT: usize = 6;
}

impl Record {
    pub fn id(&self) -> Option<Uuid> {
        match self.values.get(sys::ID) {
            Some(Value::Uuid(u)) => Some(*u),
            _ => None,
        }
    }

    pub fn owner(&self) -> Option<Uuid> {
        match self.values.get(sys::OWNER) {
            Some(Value::Uuid(u)) => Some(*u),
            _ => None,
        }
    }

    pub fn version(&self) -> i64 {
        match self.values.get(sys::VERSION) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        }
    }

    pub fn is_deleted(&self) -> bool {
        !matches!(self.values.get(sys::DELETED_AT), Some(Value::Null) | None)
    }

    pub fn get<'a>(&'a self, object: &crate::ObjectDef, name: &str) -> Option<&'a Value> {
        let i = object.fields.iter().position(|f| f.name == name)?;
        self.values.get(i)
    }

    /// The record as the API shows it: every field, by name.
    pub fn to_json(&self, object: &crate::ObjectDef) -> serde_json::Map<String, Json> {
        object
            .fields
            .iter()
            .zip(&self.values)
            .map(|(f, v)| (f.name.clone(), to_json(f, v)))
            .collect()
    }
}

//! The list query language: filters (`city eq '上海' and (amount gt 1000 or stage in ('proposal','negotiation'))`),
//! sorting and keyset cursors. Parsing and typing happen here, against metadata; the
//! storage layer turns the typed result into bound SQL. Nothing here is ever spliced into SQL.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::i18n::Msg;
use crate::metadata::{FieldDef, FieldType, ObjectDef};
use crate::values::{self, ParseContext, Value, to_json};

pub const MAX_FILTER_LENGTH: usize = 4000;
pub const MAX_CONDITIONS: usize = 50;
const MAX_DEPTH: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    StartsWith,
    IsNull,
    Between,
}

impl Op {
    fn from_word(w: &str) -> Option<Op> {
        Some(match w.to_ascii_lowercase().replace('-', "_").as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "in" => Op::In,
            "contains" => Op::Contains,
            "starts_with" => Op::StartsWith,
            "is_null" => Op::IsNull,
            "between" => Op::Between,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::In => "in",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::IsNull => "is_null",
            Op::Between => "between",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Literal>),
}

impl Literal {
    fn to_json(&self) -> Json {
        match self {
            Literal::Null => Json::Null,
            Literal::Bool(b) => Json::Bool(*b),
            Literal::Number(n) => Json::String(n.clone()),
            Literal::Text(s) => Json::String(s.clone()),
            Literal::List(items) => Json::Array(items.iter().map(Literal::to_json).collect()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr<C> {
    And(Vec<Expr<C>>),
    Or(Vec<Expr<C>>),
    Not(Box<Expr<C>>),
    Cond(C),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawCond {
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

/// A condition whose values have the field's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Compare {
        field: FieldDef,
        op: Op,
        value: Value,
    },
    In {
        field: FieldDef,
        values: Vec<Value>,
    },
    Between {
        field: FieldDef,
        low: Value,
        high: Value,
    },
    /// Text contains / starts with (pattern is raw text, matched case-insensitively).
    Like {
        field: FieldDef,
        pattern: String,
        prefix: bool,
    },
    /// A list field (tags, multi-picklist) contains this element.
    ListContains {
        field: FieldDef,
        item: String,
    },
    IsNull {
        field: FieldDef,
        is_null: bool,
    },
    /// The record was shared by hand with one of these users, teams or partner accounts.
    /// Never parsed from a filter: the access decision adds it to narrow lists.
    Shared {
        object: String,
        grantees: Vec<Uuid>,
    },
}

/// Why a filter was refused; `field` names the field when one is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub field: Option<String>,
    pub msg: Msg,
    pub args: Vec<(String, String)>,
}

impl FilterError {
    pub fn message(&self, locale: crate::Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        self.msg.format(locale, &args)
    }
}

fn fail<T>(field: Option<&str>, msg: Msg) -> Result<T, FilterError> {
    Err(FilterError {
        field: field.map(str::to_string),
        msg,
        args: Vec::new(),
    })
}

fn fail_with<T>(field: Option<&str>, msg: Msg, args: &[(&str, String)]) -> Result<T, FilterError> {
    let args = args.iter().map(|(a, b)| ((*a).to_string(), b.clone())).collect();
    Err(FilterError {
        field: field.map(str::to_string),
        msg,
        args,
    })
}

fn from_field_error<T>(name: &str, e: crate::values::FieldError) -> Result<T, FilterError> {
    Err(FilterError {
        field: Some(name.to_string()),
        msg: e.msg,
        args: e.args,
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(String),
    Open,
    Close,
    Comma,
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return fail(None, Msg::FilterUnterminated),
                        Some(&q) if q == quote => {
                            if chars.get(i + 1) == Some(&quote) {
                                s.push(quote);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Text(s));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push(Token::Number(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return fail_with(None, Msg::FilterUnexpectedChar, &[("char", other.to_string())]),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    conditions: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Expr<RawCond>, FilterError> {
        let mut items = vec![self.and(depth)?];
        while self.keyword("or") {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr<RawCond>, FilterError> {
        let mut items = vec![self.unary(depth)?];
        while self.keyword("and") {
            self.pos += 1;
            items.push(self.unary(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr<RawCond>, FilterError> {
        if depth > MAX_DEPTH {
            return fail(None, Msg::FilterTooDeep);
        }
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or(depth + 1)?;
            if self.next() != Some(Token::Close) {
                return fail(None, Msg::FilterMissingParen);
            }
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Expr<RawCond>, FilterError> {
        let field = match self.next() {
            Some(Token::Word(w)) => w,
            _ => return fail(None, Msg::FilterExpectedField),
        };
        let op = match self.next() {
            Some(Token::Word(w)) => match Op::from_word(&w) {
                Some(op) => op,
                None => return fail_with(Some(&field), Msg::FilterUnknownOperator, &[("op", w)]),
            },
            _ => return fail(Some(&field), Msg::FilterExpectedOperator),
        };
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return fail_with(
                None,
                Msg::FilterTooManyConditions,
                &[("max", MAX_CONDITIONS.to_string())],
            );
        }
        let value = if op == Op::IsNull {
            if self.keyword("true") || self.keyword("false") {
                self.literal(&field)?
            } else {
                Literal::Bool(true)
            }
        } else {
            self.literal(&field)?
        };
        Ok(Expr::Cond(RawCond { field, op, value }))
    }

    fn literal(&mut self, field: &str) -> Result<Literal, FilterError> {
        match self.next() {
            Some(Token::Text(s)) => Ok(Literal::Text(s)),
            Some(Token::Number(n)) => Ok(Literal::Number(n)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Token::Open) => {
                let mut items = Vec::new();
                loop {
                    items.push(self.literal(field)?);
                    match self.next() {
                        Some(Token::Comma) => continue,
                        Some(Token::Close) => break,
                        _ => return fail(Some(field), Msg::FilterBadList),
                    }
                }
                Ok(Literal::List(items))
            }
            _ => fail(Some(field), Msg::FilterExpectedValue),
        }
    }
}

/// Parses the filter text into an untyped expression.
/// A text as a literal of the filter language: in single quotes, a quote doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn parse_filter(input: &str) -> Result<Expr<RawCond>, FilterError> {
    if input.len() > MAX_FILTER_LENGTH {
        return fail_with(
            None,
            Msg::FilterTooLong,
            &[("max", MAX_FILTER_LENGTH.to_string())],
        );
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Ok(Expr::And(Vec::new()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        conditions: 0,
    };
    let expr = parser.or(0)?;
    if parser.pos < parser.tokens.len() {
        return fail(None, Msg::FilterTrailing);
    }
    Ok(expr)
}

/// Gives each condition its field's type, normalising values exactly as input is
/// normalised on write (so `mobile eq '138 0013 8000'` finds `+8613800138000`).
pub fn type_filter(
    expr: Expr<RawCond>,
    object: &ObjectDef,
    ctx: &ParseContext,
) -> Result<Expr<Cond>, FilterError> {
    Ok(match expr {
        Expr::And(items) => Expr::And(
            items
                .into_iter()
                .map(|e| type_filter(e, object, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(items) => Expr::Or(
            items
                .into_iter()
                .map(|e| type_filter(e, object, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(inner) => Expr::Not(Box::new(type_filter(*inner, object, ctx)?)),
        Expr::Cond(raw) => Expr::Cond(type_cond(raw, object, ctx)?),
    })
}

fn type_cond(raw: RawCond, object: &ObjectDef, ctx: &ParseContext) -> Result<Cond, FilterError> {
    let name = raw.field.as_str();
    let Some(field) = object.field(name) else {
        return fail_with(
            Some(name),
            Msg::FilterUnknownField,
            &[("field", name.to_string())],
        );
    };
    let t = field.field_type;
    const ORDERED: &[Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::In,
        Op::Between,
        Op::IsNull,
    ];
    const TEXTUAL: &[Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::In,
        Op::Between,
        Op::IsNull,
        Op::Contains,
        Op::StartsWith,
    ];
    let allowed: &[Op] = match t {
        FieldType::Boolean => &[Op::Eq, Op::Ne, Op::IsNull],
        FieldType::Lookup | FieldType::User | FieldType::Id => &[Op::Eq, Op::Ne, Op::In, Op::IsNull],
        FieldType::Tags | FieldType::MultiPicklist => &[Op::Contains, Op::IsNull],
        FieldType::LongText => &[Op::Contains, Op::StartsWith, Op::IsNull],
        FieldType::Integer
        | FieldType::Decimal
        | FieldType::Money
        | FieldType::Percent
        | FieldType::Date
        | FieldType::Datetime => ORDERED,
        _ => TEXTUAL,
    };
    if !allowed.contains(&raw.op) {
        return fail_with(
            Some(name),
            Msg::FilterOperatorNotForField,
            &[("op", raw.op.name().to_string())],
        );
    }
    let one = |lit: &Literal| -> Result<Value, FilterError> {
        if matches!(lit, Literal::Null) {
            return fail(Some(name), Msg::FilterNullCompare);
        }
        if matches!(lit, Literal::List(_)) {
            return fail(Some(name), Msg::FilterListNotAllowed);
        }
        let value = match values::parse_criterion(field, &lit.to_json(), ctx) {
            Ok(Value::Money { amount, .. }) => Value::Decimal(amount),
            Ok(Value::Null) => return fail(Some(name), Msg::FilterEmptyValue),
            Ok(v) => v,
            Err(e) => return from_field_error(name, e),
        };
        Ok(value)
    };
    let field = field.clone();
    Ok(match raw.op {
        Op::IsNull => match raw.value {
            Literal::Bool(b) => Cond::IsNull { field, is_null: b },
            _ => return fail(Some(name), Msg::FilterIsNullBool),
        },
        Op::In => match &raw.value {
            Literal::List(items) if !items.is_empty() && items.len() <= 1000 => Cond::In {
                values: items.iter().map(one).collect::<Result<_, _>>()?,
                field,
            },
            _ => return fail(Some(name), Msg::FilterInList),
        },
        Op::Between => match &raw.value {
            Literal::List(items) if items.len() == 2 => Cond::Between {
                low: one(&items[0])?,
                high: one(&items[1])?,
                field,
            },
            _ => return fail(Some(name), Msg::FilterBetween),
        },
        Op::Contains | Op::StartsWith => {
            let pattern = match &raw.value {
                Literal::Text(s) | Literal::Number(s) if !s.is_empty() => s.clone(),
                _ => {
                    return fail_with(
                        Some(name),
                        Msg::FilterNeedsText,
                        &[("op", raw.op.name().to_string())],
                    );
                }
            };
            if t.is_list() {
                let item =
                    match values::parse_criterion(&field, &Json::Array(vec![Json::String(pattern)]), ctx) {
                        Ok(Value::List(mut items)) if items.len() == 1 => items.remove(0),
                        Ok(_) => return fail(Some(name), Msg::FilterEmptyValue),
                        Err(e) => return from_field_error(name, e),
                    };
                Cond::ListContains { field, item }
            } else {
                let pattern = if matches!(t, FieldType::Email) {
                    pattern.to_lowercase()
                } else {
                    pattern
                };
                Cond::Like {
                    field,
                    pattern,
                    prefix: raw.op == Op::StartsWith,
                }
            }
        }
        op => Cond::Compare {
            value: one(&raw.value)?,
            field,
            op,
        },
    })
}

/// Sort order of a list: one field, then `id` to make the order total.
#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    pub field: FieldDef,
    pub descending: bool,
}

impl Sort {
    pub fn spec(&self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.field.name)
    }
}

/// `name` or `-amount`; only indexed fields may be sorted on (lists must stay fast).
pub fn parse_sort(spec: &str, object: &ObjectDef) -> Result<Sort, FilterError> {
    let spec = spec.trim();
    let (descending, name) = match spec.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, spec.strip_prefix('+').unwrap_or(spec)),
    };
    let Some(field) = object.field(name) else {
        return fail_with(
            Some(name),
            Msg::FilterUnknownField,
            &[("field", name.to_string())],
        );
    };
    if !field.indexed || !field.field_type.sortable() {
        return fail(Some(name), Msg::InvalidSort);
    }
    Ok(Sort {
        field: field.clone(),
        descending,
    })
}

/// Where the previous page ended: the sort key and id of its last row.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub value: Value,
    pub id: Uuid,
}

pub fn encode_cursor(sort: &Sort, value: &Value, id: Uuid) -> String {
    let key = match value {
        Value::Money { amount, .. } => Value::Decimal(*amount),
        other => other.clone(),
    };
    let body = json!({"s": sort.spec(), "v": to_json(&sort.field, &key), "id": id});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

/// Reads a cursor made by `encode_cursor` for the same sort; `None` if it is not one.
pub fn decode_cursor(sort: &Sort, cursor: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let body: Json = serde_json::from_slice(&bytes).ok()?;
    if body.get("s")?.as_str()? != sort.spec() {
        return None;
    }
    let id = Uuid::from_str(body.get("id")?.as_str()?).ok()?;
    let v = body.get("v")?;
    let value = if v.is_null() {
        Value::Null
    } else {
        sort_key(&sort.field, v)?
    };
    Some(Cursor { value, id })
}

fn sort_key(field: &FieldDef, v: &Json) -> Option<Value> {
    Some(match field.field_type {
        FieldType::Integer => Value::Int(v.as_i64()?),
        FieldType::Decimal | FieldType::Money | FieldType::Percent => {
            Value::Decimal(Decimal::from_str(v.as_str()?).ok()?)
        }
        FieldType::Date => Value::Date(values::parse_date(v.as_str()?)?),
        FieldType::Datetime => Value::DateTime(
            DateTime::parse_from_rfc3339(v.as_str()?)
                .ok()?
                .with_timezone(&Utc),
        ),
        FieldType::Boolean => Value::Bool(v.as_bool()?),
        FieldType::Lookup | FieldType::User | FieldType::Id => Value::Uuid(Uuid::from_str(v.as_str()?).ok()?),
        _ => Value::Text(v.as_str()?.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::standard_objects;
    use proptest::prelude::*;

    fn standard(name: &str) -> ObjectDef {
        standard_objects().into_iter().find(|o| o.name == name).unwrap()
    }

    fn contacts() -> ObjectDef {
        standard("contact")
    }

    fn opportunities() -> ObjectDef {
        standard("opportunity")
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let e = parse_filter("a eq 1 or b eq 2 and c eq 3");
        let cond = |f: &str, n: &str| {
            Expr::Cond(RawCond {
                field: f.into(),
                op: Op::Eq,
                value: Literal::Number(n.into()),
            })
        };
        assert_eq!(
            e,
            Ok(Expr::Or(vec![
                cond("a", "1"),
                Expr::And(vec![cond("b", "2"), cond("c", "3")])
            ]))
        );
    }

    #[test]
    fn strings_lists_and_keywords() {
        let e = parse_filter(
            "name eq 'O''Brien' and stage in ('a', \"b\") and not email is_null and x starts-with '张'",
        );
        assert!(e.is_ok(), "{e:?}");
        let e = parse_filter("amount between (1, 2)");
        assert_eq!(
            e,
            Ok(Expr::Cond(RawCond {
                field: "amount".into(),
                op: Op::Between,
                value: Literal::List(vec![Literal::Number("1".into()), Literal::Number("2".into())])
            }))
        );
    }

    #[test]
    fn malformed_filters_are_refused_with_a_reason() {
        for bad in [
            "name",
            "name eq",
            "name eq 'x",
            "name wibble 'x'",
            "(name eq 'x'",
            "name eq 'x' city eq 'y'",
            "name eq ;",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn typing_normalises_values_like_writes_do() {
        let ctx = ParseContext::default();
        let typed = type_filter(
            parse_filter("mobile eq '138 0013 8000'").unwrap(),
            &contacts(),
            &ctx,
        );
        match typed {
            Ok(Expr::Cond(Cond::Compare { value, .. })) => {
                assert_eq!(value, Value::Text("+8613800138000".into()))
            }
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn typing_names_the_field_at_fault() {
        let ctx = ParseContext::default();
        let check = |f: &str, object: &ObjectDef, field: &str| {
            let e = parse_filter(f).and_then(|e| type_filter(e, object, &ctx));
            assert_eq!(e.map_err(|e| e.field), Err(Some(field.to_string())), "{f}");
        };
        check("nope eq 1", &contacts(), "nope");
        check("birthday eq 'yesterday'", &contacts(), "birthday");
        check("amount contains '1'", &opportunities(), "amount");
        check("stage eq 'sleeping'", &opportunities(), "stage");
        check("email eq null", &contacts(), "email");
        check("tags eq 'vip'", &contacts(), "tags");
    }

    #[test]
    fn sorting_only_on_indexed_fields() {
        let c = contacts();
        assert!(parse_sort("-created_at", &c).is_ok());
        assert!(parse_sort("name", &c).is_ok());
        assert_eq!(
            parse_sort("title", &c).map_err(|e| e.field),
            Err(Some("title".into()))
        );
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let o = opportunities();
        let sort = parse_sort("-amount", &o).unwrap();
        let id = Uuid::now_v7();
        let v = Value::Money {
            amount: Decimal::new(12345, 2),
            currency: "CNY".into(),
        };
        let c = encode_cursor(&sort, &v, id);
        assert_eq!(
            decode_cursor(&sort, &c),
            Some(Cursor {
                value: Value::Decimal(Decimal::new(12345, 2)),
                id
            })
        );
        let other = parse_sort("amount", &o).unwrap();
        assert_eq!(decode_cursor(&other, &c), None);
        assert_eq!(decode_cursor(&sort, "garbage"), None);
    }

    proptest! {
        #[test]
        fn the_parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_filter(&s);
        }

        #[test]
        fn quoted_text_round_trips(s in "\\PC{0,40}") {
            let quoted = format!("name eq '{}'", s.replace('\'', "''"));
            let parsed = parse_filter(&quoted);
            prop_assert_eq!(parsed, Ok(Expr::Cond(RawCond { field: "name".into(), op: Op::Eq, value: Literal::Text(s) })));
        }
    }
}

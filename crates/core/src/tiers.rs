//! Customer tiers by rules: administrators grade customers (strategic, key, standard,
//! small, or whatever their tier picklist says) by what each bought in the last twelve
//! months and whether it holds a service contract; a tier chosen by hand wins over the
//! rules. The first rule whose every condition holds gives the tier; when none does, the
//! fallback tier (which may be none).
//!
//! This module computes; it reads nothing, not even the clock: "today" is always given.

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};

use crate::{FieldError, Msg};

/// One rule: the tier it gives and its conditions, all of which must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub tier: String,
    /// Booked in the last twelve months, in the rules' currency, at least this much.
    pub min_revenue: Option<Decimal>,
    /// A service contract in force today.
    pub contract: bool,
}

/// The rules, in order, with the currency revenue is counted in and the time zone whose
/// calendar day "today" is.
#[derive(Clone, Debug, PartialEq)]
pub struct TierRules {
    pub currency: String,
    pub time_zone: Tz,
    pub rules: Vec<Rule>,
    /// The tier of a customer no rule fits (`None`: no tier).
    pub otherwise: Option<String>,
}

/// Why a customer has its tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Chosen by hand: rules do not apply.
    Manual,
    /// The rule at this position (from 0) was the first to fit.
    Rule(usize),
    /// No rule fitted.
    Otherwise,
}

/// What the rules need to know of a customer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Standing<'a> {
    pub manual: Option<&'a str>,
    pub revenue: Decimal,
    pub contract_until: Option<NaiveDate>,
}

impl TierRules {
    /// Reads rules as stored or sent (`{"currency", "time_zone", "rules": [{"tier",
    /// "min_revenue", "contract"}], "otherwise"}`), naming each bad member; a tier must be
    /// one of `tiers`.
    pub fn from_json(input: &Json, tiers: &[String]) -> Result<TierRules, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = |v: Option<&Json>| v.and_then(Json::as_str).map(str::trim).unwrap_or("").to_string();
        let tier = |v: Option<&Json>, field: &str, errors: &mut Vec<FieldError>| -> Option<String> {
            let given = text(v);
            if given.is_empty() {
                return None;
            }
            if !tiers.contains(&given) {
                errors.push(FieldError::new(field, Msg::NotInPicklist).with("value", &given));
            }
            Some(given)
        };
        let currency = match text(input.get("currency")) {
            c if c.is_empty() => "CNY".to_string(),
            c if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) => c,
            c => {
                errors.push(FieldError::new("currency", Msg::InvalidCurrency).with("value", c));
                "CNY".to_string()
            }
        };
        let time_zone = match text(input.get("time_zone")) {
            z if z.is_empty() => chrono_tz::Asia::Shanghai,
            z => z.parse::<Tz>().unwrap_or_else(|_| {
                errors.push(FieldError::new("time_zone", Msg::UnknownTimeZone).with("value", &z));
                chrono_tz::Asia::Shanghai
            }),
        };
        let mut rules = Vec::new();
        let given = input
            .get("rules")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        if input.get("rules").is_some_and(|r| !r.is_array() && !r.is_null()) {
            errors.push(FieldError::new("rules", Msg::MustBeList));
        }
        for (n, row) in given.iter().enumerate() {
            let at = |k: &str| format!("rules[{n}].{k}");
            let Some(t) = tier(row.get("tier"), &at("tier"), &mut errors) else {
                errors.push(FieldError::new(&at("tier"), Msg::Required));
                continue;
            };
            let min_revenue = match row.get("min_revenue") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) if s.trim().is_empty() => None,
                Some(v) => {
                    let parsed = match v {
                        Json::String(s) => s.trim().replace([',', '，'], "").parse::<Decimal>().ok(),
                        Json::Number(n) => n.to_string().parse::<Decimal>().ok(),
                        _ => None,
                    };
                    match parsed {
                        Some(d) if d < Decimal::ZERO => {
                            errors.push(FieldError::new(&at("min_revenue"), Msg::MustNotBeNegative));
                            None
                        }
                        Some(d) => Some(d),
                        None => {
                            errors.push(FieldError::new(&at("min_revenue"), Msg::NotNumber).with("value", v));
                            None
                        }
                    }
                }
            };
            let contract = match row.get("contract") {
                None | Some(Json::Null) => false,
                Some(Json::Bool(b)) => *b,
                Some(v) => {
                    errors.push(FieldError::new(&at("contract"), Msg::NotBoolean).with("value", v));
                    false
                }
            };
            if min_revenue.is_none()
                && !contract
                && !errors.iter().any(|e| e.field.starts_with(&format!("rules[{n}]")))
            {
                errors.push(FieldError::new(&at("tier"), Msg::TierRuleNeedsCondition));
            }
            rules.push(Rule {
                tier: t,
                min_revenue,
                contract,
            });
        }
        let otherwise = tier(input.get("otherwise"), "otherwise", &mut errors);
        if errors.is_empty() {
            Ok(TierRules {
                currency,
                time_zone,
                rules,
                otherwise,
            })
        } else {
            Err(errors)
        }
    }

    /// The rules as stored: what `from_json` reads back the same.
    pub fn to_json(&self) -> Json {
        json!({
            "currency": self.currency,
            "time_zone": self.time_zone.name(),
            "rules": self.rules.iter().map(|r| json!({
                "tier": r.tier,
                "min_revenue": r.min_revenue.map(|d| d.normalize().to_string()),
                "contract": r.contract,
            })).collect::<Vec<_>>(),
            "otherwise": self.otherwise,
        })
    }

    /// The calendar day `now` falls on where the company is.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.time_zone).date_naive()
    }

    /// The first day of the twelve months up to `today` that revenue is counted over.
    pub fn since(today: NaiveDate) -> NaiveDate {
        today
            .checked_sub_months(Months::new(12))
            .and_then(|d| d.succ_opt())
            .unwrap_or(today)
    }

    /// A customer's tier and why: by hand, by the first rule that fits, or the fallback.
    pub fn tier_for<'a>(&'a self, s: &Standing<'a>, today: NaiveDate) -> (Option<&'a str>, Basis) {
        if let Some(m) = s.manual.filter(|m| !m.is_empty()) {
            return (Some(m), Basis::Manual);
        }
        let in_force = s.contract_until.is_some_and(|d| d >= today);
        for (i, r) in self.rules.iter().enumerate() {
            let revenue = r.min_revenue.is_none_or(|m| s.revenue >= m);
            let contract = !r.contract || in_force;
            if revenue && contract {
                return (Some(&r.tier), Basis::Rule(i));
            }
        }
        (self.otherwise.as_deref(), Basis::Otherwise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Vec<String> {
        ["strategic", "key", "standard", "small"]
            .map(String::from)
            .to_vec()
    }

    fn rules() -> TierRules {
        TierRules::from_json(
            &json!({
                "currency": "CNY",
                "rules": [
                    {"tier": "strategic", "min_revenue": "1000000", "contract": true},
                    {"tier": "key", "min_revenue": 300000},
                    {"tier": "key", "contract": true},
                    {"tier": "standard", "min_revenue": "50,000"},
                ],
                "otherwise": "small",
            }),
            &tiers(),
        )
        .unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn standing(revenue: i64, contract: Option<&str>) -> Standing<'static> {
        Standing {
            manual: None,
            revenue: Decimal::from(revenue),
            contract_until: contract.map(day),
        }
    }

    #[test]
    fn the_first_rule_whose_every_condition_holds_gives_the_tier() {
        let r = rules();
        let today = day("2026-12-06");
        assert_eq!(
            r.tier_for(&standing(2_000_000, Some("2027-06-30")), today),
            (Some("strategic"), Basis::Rule(0))
        );
        // Big, but without a contract in force: the next rule.
        assert_eq!(
            r.tier_for(&standing(2_000_000, Some("2026-12-05")), today),
            (Some("key"), Basis::Rule(1))
        );
        // A contract ending today is still in force today.
        assert_eq!(
            r.tier_for(&standing(10, Some("2026-12-06")), today),
            (Some("key"), Basis::Rule(2))
        );
        assert_eq!(
            r.tier_for(&standing(50_000, None), today),
            (Some("standard"), Basis::Rule(3))
        );
        assert_eq!(
            r.tier_for(&standing(49_999, None), today),
            (Some("small"), Basis::Otherwise)
        );
    }

    #[test]
    fn a_tier_chosen_by_hand_wins_over_the_rules() {
        let r = rules();
        let s = Standing {
            manual: Some("strategic"),
            ..standing(0, None)
        };
        assert_eq!(
            r.tier_for(&s, day("2026-12-06")),
            (Some("strategic"), Basis::Manual)
        );
        // An empty choice is no choice.
        let s = Standing {
            manual: Some(""),
            ..standing(0, None)
        };
        assert_eq!(
            r.tier_for(&s, day("2026-12-06")),
            (Some("small"), Basis::Otherwise)
        );
    }

    #[test]
    fn without_a_fallback_a_customer_no_rule_fits_has_no_tier() {
        let r =
            TierRules::from_json(&json!({"rules": [{"tier": "key", "min_revenue": 1}]}), &tiers()).unwrap();
        assert_eq!(
            r.tier_for(&standing(0, None), day("2026-12-06")),
            (None, Basis::Otherwise)
        );
        assert_eq!(r.currency, "CNY");
    }

    #[test]
    fn twelve_months_end_today_in_the_companys_time_zone() {
        let r = rules();
        // 2026-12-05 17:00 UTC is already 6 December in Beijing.
        let now = "2026-12-05T17:00:00Z".parse().unwrap();
        assert_eq!(r.today(now), day("2026-12-06"));
        assert_eq!(TierRules::since(day("2026-12-06")), day("2025-12-07"));
        assert_eq!(TierRules::since(day("2024-02-29")), day("2023-03-01"));
    }

    #[test]
    fn rules_read_back_as_written() {
        let r = rules();
        assert_eq!(TierRules::from_json(&r.to_json(), &tiers()).unwrap(), r);
    }

    #[test]
    fn each_bad_member_is_named() {
        let e = TierRules::from_json(
            &json!({
                "currency": "rmb",
                "time_zone": "Mars/Olympus",
                "rules": [
                    {"tier": "gold", "min_revenue": 1},
                    {"min_revenue": 1},
                    {"tier": "key", "min_revenue": "-5"},
                    {"tier": "key", "min_revenue": "lots"},
                    {"tier": "key", "contract": "yes"},
                    {"tier": "key"},
                ],
                "otherwise": "bronze",
            }),
            &tiers(),
        )
        .unwrap_err();
        let fields: Vec<(&str, Msg)> = e.iter().map(|e| (e.field.as_str(), e.msg)).collect();
        assert_eq!(
            fields,
            vec![
                ("currency", Msg::InvalidCurrency),
                ("time_zone", Msg::UnknownTimeZone),
                ("rules[0].tier", Msg::NotInPicklist),
                ("rules[1].tier", Msg::Required),
                ("rules[2].min_revenue", Msg::MustNotBeNegative),
                ("rules[3].min_revenue", Msg::NotNumber),
                ("rules[4].contract", Msg::NotBoolean),
                ("rules[5].tier", Msg::TierRuleNeedsCondition),
                ("otherwise", Msg::NotInPicklist),
            ]
        );
    }
}

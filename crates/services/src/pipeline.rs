//! The sales pipeline of one process: its stages in order, each with the count of the
//! opportunities in it, their amount and their weighted amount (each opportunity's amount
//! times its own probability, summed exactly in decimal, per currency), and the process's
//! velocity — how much money the pipeline turns into won business per day.
//!
//! Everything is counted over the opportunities the reader may read, so a rep's board, a
//! manager's and a partner's differ as their access does.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use guanxi_core::process::{self, Forecast, Outcome, Process};
use guanxi_core::query::quote;
use guanxi_core::{FieldError, Locale, Msg};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::records::Total;
use crate::{Actor, Crm, ServiceError};

/// Longest window velocity looks back over, in days.
pub const MAX_VELOCITY_DAYS: i64 = 730;

/// Money in one currency: the sum of the amounts and of the weighted amounts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Amount {
    pub currency: String,
    pub sum: Decimal,
    pub weighted: Decimal,
}

/// One column of the pipeline: a stage of the process (or, `in_process` false, a stage
/// some of its opportunities still hold that the process no longer has).
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub stage: Option<String>,
    pub label: String,
    pub probability: Option<Decimal>,
    pub forecast: Option<Forecast>,
    pub outcome: Option<Outcome>,
    pub in_process: bool,
    pub count: i64,
    pub amounts: Vec<Amount>,
    /// The filter (query language) of this column's opportunities.
    pub filter: String,
}

/// A process to choose from.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub name: String,
    pub label: String,
    pub default: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pipeline {
    pub process: String,
    pub process_label: String,
    pub processes: Vec<Choice>,
    /// The filter of the process's opportunities (and the reader's own filter, if any).
    pub filter: String,
    pub columns: Vec<Column>,
    /// Opportunities in open stages, and their money.
    pub open_count: i64,
    pub open: Vec<Amount>,
}

/// Won or lost opportunities counted by their reason.
#[derive(Clone, Debug, Serialize)]
pub struct Reason {
    pub reason: Option<String>,
    pub label: String,
    pub count: i64,
}

/// Velocity in one currency: open pipeline × win rate × average won deal ÷ cycle length.
#[derive(Clone, Debug, Serialize)]
pub struct CurrencyVelocity {
    pub currency: String,
    pub open_count: i64,
    pub won_count: i64,
    pub won_sum: Decimal,
    pub average_won: Option<Decimal>,
    pub per_day: Option<Decimal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Velocity {
    pub process: String,
    pub days: i64,
    pub since: DateTime<Utc>,
    pub open_count: i64,
    pub won: i64,
    pub lost: i64,
    /// Won out of closed in the window, in percent.
    pub win_rate: Option<Decimal>,
    /// Days from creation to winning, on average, over the deals won in the window.
    pub average_cycle_days: Option<Decimal>,
    pub currencies: Vec<CurrencyVelocity>,
    pub win_reasons: Vec<Reason>,
    pub loss_reasons: Vec<Reason>,
}

fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn and(user: Option<&str>, own: &str) -> String {
    match user.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => format!("({u}) and {own}"),
        None => own.to_string(),
    }
}

/// Adds totals (split by probability) into per-currency amounts; a record without its own
/// probability is weighted by its stage's default.
fn add_amounts(into: &mut Vec<Amount>, totals: &[&Total], default: Decimal) {
    for t in totals {
        let Some(sum) = t.sum else { continue };
        let currency = t.currency.clone().unwrap_or_default();
        let weighted = sum * t.by.unwrap_or(default) / Decimal::ONE_HUNDRED;
        merge(
            into,
            Amount {
                currency,
                sum,
                weighted,
            },
        );
    }
}

fn merge(into: &mut Vec<Amount>, add: Amount) {
    match into.iter_mut().find(|a| a.currency == add.currency) {
        Some(a) => {
            a.sum += add.sum;
            a.weighted += add.weighted;
        }
        None => into.push(add),
    }
}

fn rounded(mut amounts: Vec<Amount>) -> Vec<Amount> {
    for a in &mut amounts {
        a.sum = money(a.sum);
        a.weighted = money(a.weighted);
    }
    amounts.sort_by(|a, b| a.currency.cmp(&b.currency));
    amounts
}

impl Crm {
    /// The active processes, for any reader of opportunities (partners move their deals
    /// through stages too).
    pub(crate) async fn active_processes(&self) -> Result<Vec<Process>, ServiceError> {
        Ok(self
            .definitions(crate::processes::TABLE)
            .await?
            .iter()
            .filter_map(crate::processes::stored)
            .filter(|p| p.active)
            .collect())
    }

    /// The active processes' names and labels, the default one first: what a form offers.
    pub async fn pipeline_processes(&self, locale: Locale) -> Result<Vec<(String, String)>, ServiceError> {
        let mut all = self.active_processes().await?;
        all.sort_by_key(|p| !p.default);
        Ok(all
            .into_iter()
            .map(|p| (p.name, p.label.get(locale).to_string()))
            .collect())
    }

    /// The process named (else the default one) and the filter of its opportunities:
    /// those of the default process include the ones that name none.
    async fn process_scope(
        &self,
        named: Option<&str>,
    ) -> Result<(Vec<Process>, Process, String), ServiceError> {
        let processes = self.active_processes().await?;
        let named = named.map(str::trim).filter(|n| !n.is_empty());
        let chosen = process::chosen(&processes, named)
            .map_err(|e| ServiceError::Validation(vec![e]))?
            .ok_or(ServiceError::NotFound)?
            .clone();
        let fallback = process::chosen(&processes, None).ok().flatten();
        let own = format!("{} eq {}", process::PROCESS, quote(&chosen.name));
        let scope = if fallback.is_some_and(|f| f.name == chosen.name) {
            format!("({own} or {} is_null)", process::PROCESS)
        } else {
            own
        };
        Ok((processes, chosen, scope))
    }

    /// The pipeline of a process (the default one when none is named) over the
    /// opportunities the actor may read that match `filter`. `NotFound` when no process is
    /// defined.
    pub async fn pipeline(
        &self,
        actor: &Actor,
        named: Option<&str>,
        filter: Option<&str>,
        locale: Locale,
    ) -> Result<Pipeline, ServiceError> {
        let (processes, chosen, scope) = self.process_scope(named).await?;
        let filter = and(filter, &scope);
        let totals = self
            .totals(
                actor,
                process::OBJECT,
                Some(&filter),
                process::STAGE,
                Some("amount"),
                Some(process::PROBABILITY),
            )
            .await?;
        let schema = self.schema();
        let stage_field = schema
            .object(process::OBJECT)
            .and_then(|o| o.field(process::STAGE).cloned());
        let label = |value: &str| {
            stage_field
                .as_ref()
                .map(|f| f.option_label(value, locale).to_string())
                .unwrap_or_else(|| value.to_string())
        };
        let column_filter = |stage: Option<&str>| match stage {
            Some(s) => format!("{filter} and {} eq {}", process::STAGE, quote(s)),
            None => format!("{filter} and {} is_null", process::STAGE),
        };
        let mut columns: Vec<Column> = chosen
            .stages
            .iter()
            .map(|s| {
                let of: Vec<&Total> = totals
                    .iter()
                    .filter(|t| t.key.as_deref() == Some(s.stage.as_str()))
                    .collect();
                let mut amounts = Vec::new();
                add_amounts(&mut amounts, &of, s.probability);
                Column {
                    stage: Some(s.stage.clone()),
                    label: label(&s.stage),
                    probability: Some(s.probability),
                    forecast: Some(s.forecast),
                    outcome: Some(s.outcome),
                    in_process: true,
                    count: of.iter().map(|t| t.count).sum(),
                    amounts,
                    filter: column_filter(Some(&s.stage)),
                }
            })
            .collect();
        // Stages the process no longer has (or none): their records still show.
        let mut strays: BTreeMap<Option<String>, Vec<&Total>> = BTreeMap::new();
        for t in totals
            .iter()
            .filter(|t| t.count > 0 && t.key.as_deref().is_none_or(|k| chosen.position(k).is_none()))
        {
            strays.entry(t.key.clone()).or_default().push(t);
        }
        for (stage, of) in strays {
            let mut amounts = Vec::new();
            add_amounts(&mut amounts, &of, Decimal::ZERO);
            columns.push(Column {
                label: stage
                    .as_deref()
                    .map(label)
                    .unwrap_or_else(|| Msg::UiNoValue.text(locale).to_string()),
                filter: column_filter(stage.as_deref()),
                stage,
                probability: None,
                forecast: None,
                outcome: None,
                in_process: false,
                count: of.iter().map(|t| t.count).sum(),
                amounts,
            });
        }
        let mut open = Vec::new();
        let mut open_count = 0;
        for c in columns.iter().filter(|c| c.outcome == Some(Outcome::Open)) {
            open_count += c.count;
            for a in &c.amounts {
                merge(&mut open, a.clone());
            }
        }
        for c in &mut columns {
            c.amounts = rounded(std::mem::take(&mut c.amounts));
        }
        Ok(Pipeline {
            process: chosen.name.clone(),
            process_label: chosen.label.get(locale).to_string(),
            processes: processes
                .iter()
                .map(|p| Choice {
                    name: p.name.clone(),
                    label: p.label.get(locale).to_string(),
                    default: p.default,
                })
                .collect(),
            filter,
            columns,
            open_count,
            open: rounded(open),
        })
    }

    /// How fast a process turns pipeline into won business, measured over the opportunities
    /// closed in the last `days` days (by the time they entered their closing stage) and
    /// those open now: open count × win rate × average won amount ÷ average days from
    /// creation to winning, per currency; with the reasons deals were won and lost.
    pub async fn velocity(
        &self,
        actor: &Actor,
        named: Option<&str>,
        days: i64,
        locale: Locale,
    ) -> Result<Velocity, ServiceError> {
        if !(1..=MAX_VELOCITY_DAYS).contains(&days) {
            return Err(ServiceError::Validation(vec![
                FieldError::new("days", Msg::InvalidLimit).with("max", MAX_VELOCITY_DAYS),
            ]));
        }
        let (_, chosen, scope) = self.process_scope(named).await?;
        let since = self.now() - Duration::days(days);
        let stages = |outcome: Outcome| -> Vec<String> {
            chosen
                .stages
                .iter()
                .filter(|s| s.outcome == outcome)
                .map(|s| quote(&s.stage))
                .collect()
        };
        let among = |list: Vec<String>| {
            if list.is_empty() {
                // No stage of this kind: match nothing.
                format!("{} is_null and not {} is_null", process::STAGE, process::STAGE)
            } else {
                format!("{} in ({})", process::STAGE, list.join(", "))
            }
        };
        let (open_f, won_f, lost_f) = (
            among(stages(Outcome::Open)),
            among(stages(Outcome::Won)),
            among(stages(Outcome::Lost)),
        );
        let closed_since = format!("{} gte '{}'", process::STAGE_ENTERED, since.to_rfc3339());
        let sum_by = |filter: String, group: &'static str| async move {
            self.totals(actor, process::OBJECT, Some(&filter), group, Some("amount"), None)
                .await
        };
        let open = sum_by(format!("{scope} and {open_f}"), process::STAGE).await?;
        let won = sum_by(format!("{scope} and {won_f} and {closed_since}"), "win_reason").await?;
        let lost = sum_by(format!("{scope} and {lost_f} and {closed_since}"), "loss_reason").await?;
        let count = |t: &[Total]| t.iter().map(|t| t.count).sum::<i64>();
        let (won_n, lost_n) = (count(&won), count(&lost));
        let win_rate = (won_n + lost_n > 0)
            .then(|| Decimal::from(won_n) * Decimal::ONE_HUNDRED / Decimal::from(won_n + lost_n));
        // The sales cycle: days from creation to winning, over the deals won in the window.
        // A deal won before its record was made (imported history) has no known cycle: it
        // is left out rather than counted as zero days.
        let (cycle_n, cycle_seconds) = self
            .span_totals(
                actor,
                process::OBJECT,
                Some(&format!("{scope} and {won_f} and {closed_since}")),
                "created_at",
                process::STAGE_ENTERED,
            )
            .await?;
        let cycle_total = Decimal::from(cycle_seconds) / Decimal::from(86_400);
        let average_cycle_days = (cycle_n > 0).then(|| (cycle_total / Decimal::from(cycle_n)).round_dp(1));
        let mut currencies: BTreeMap<String, CurrencyVelocity> = BTreeMap::new();
        for (t, is_won) in open
            .iter()
            .map(|t| (t, false))
            .chain(won.iter().map(|t| (t, true)))
        {
            let Some(sum) = t.sum else { continue };
            let currency = t.currency.clone().unwrap_or_default();
            let v = currencies
                .entry(currency.clone())
                .or_insert_with(|| CurrencyVelocity {
                    currency,
                    open_count: 0,
                    won_count: 0,
                    won_sum: Decimal::ZERO,
                    average_won: None,
                    per_day: None,
                });
            if is_won {
                v.won_count += t.count;
                v.won_sum += sum;
            } else {
                v.open_count += t.count;
            }
        }
        let currencies = currencies
            .into_values()
            .map(|mut v| {
                v.average_won = (v.won_count > 0).then(|| money(v.won_sum / Decimal::from(v.won_count)));
                v.per_day = match (win_rate, v.average_won, average_cycle_days) {
                    (Some(rate), Some(avg), Some(cycle)) if cycle > Decimal::ZERO => Some(money(
                        Decimal::from(v.open_count) * rate / Decimal::ONE_HUNDRED * avg / cycle,
                    )),
                    _ => None,
                };
                v.won_sum = money(v.won_sum);
                v
            })
            .collect();
        let schema = self.schema();
        let reasons = |totals: &[Total], field: &str| -> Vec<Reason> {
            let f = schema
                .object(process::OBJECT)
                .and_then(|o| o.field(field).cloned());
            let mut by: BTreeMap<Option<String>, i64> = BTreeMap::new();
            for t in totals {
                *by.entry(t.key.clone()).or_default() += t.count;
            }
            let mut out: Vec<Reason> = by
                .into_iter()
                .map(|(reason, count)| Reason {
                    label: match (&reason, &f) {
                        (Some(r), Some(f)) => f.option_label(r, locale).to_string(),
                        (Some(r), None) => r.clone(),
                        (None, _) => Msg::UiNoValue.text(locale).to_string(),
                    },
                    reason,
                    count,
                })
                .collect();
            out.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
            out
        };
        Ok(Velocity {
            process: chosen.name.clone(),
            days,
            since,
            open_count: count(&open),
            won: won_n,
            lost: lost_n,
            win_rate: win_rate.map(|r| r.round_dp(1)),
            average_cycle_days,
            currencies,
            win_reasons: reasons(&won, "win_reason"),
            loss_reasons: reasons(&lost, "loss_reason"),
        })
    }
}

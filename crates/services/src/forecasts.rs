//! Forecasts and quotas: per rep and period (month or quarter), what their opportunities
//! closing in it add up to per forecast category — pipeline, best case, commit, closed —
//! against the quota administrators set, rolled up through the role hierarchy (a manager's
//! line is their whole branch). Sums are over the opportunities the reader may read, in
//! one currency: amounts in other currencies are counted and named, not converted.

use std::collections::{HashMap, HashSet};

use guanxi_core::access::UserKind;
use guanxi_core::forecast::{Figures, Period, RoleLine, roll_up};
use guanxi_core::process::Forecast;
use guanxi_core::{FieldError, Msg};
use guanxi_storage::system::{self, Definition};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::records::Total;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_quotas";

/// A rep's quota for a month or a quarter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub user: Uuid,
    pub period: String,
    pub amount: Decimal,
    pub currency: String,
}

/// One person's line.
#[derive(Clone, Debug, Serialize)]
pub struct PersonLine {
    pub user: Uuid,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub forecast: Decimal,
    pub attainment: Option<Decimal>,
}

/// One role's line: its people, and the total of its whole branch.
#[derive(Clone, Debug, Serialize)]
pub struct TeamLine {
    pub role: Option<Uuid>,
    pub name: String,
    pub depth: usize,
    pub people: Vec<PersonLine>,
    pub total: Figures,
    pub forecast: Decimal,
    pub attainment: Option<Decimal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ForecastView {
    pub period: String,
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    pub currency: String,
    pub lines: Vec<TeamLine>,
    /// Opportunities closing in the period in another currency: not in the sums.
    pub other_currencies: i64,
}

/// Where each opportunity without a forecast category counts (no sales process yet): won
/// deals as closed, lost ones nowhere, the rest as pipeline.
const UNCATEGORISED: [(&str, Forecast); 2] = [
    ("stage eq 'closed_won'", Forecast::Closed),
    (
        "stage ne 'closed_won' and stage ne 'closed_lost'",
        Forecast::Pipeline,
    ),
];

fn stored(d: &Definition) -> Option<Quota> {
    serde_json::from_str(&d.definition).ok()
}

impl Crm {
    async fn all_quotas(&self) -> Result<Vec<Quota>, ServiceError> {
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .collect())
    }

    /// The quotas of a period (administrators).
    pub async fn quotas(&self, actor: &Actor, period: &str) -> Result<Vec<Quota>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let p = Period::parse(period, "period").map_err(|e| ServiceError::Validation(vec![e]))?;
        let key = p.to_string();
        Ok(self
            .all_quotas()
            .await?
            .into_iter()
            .filter(|q| q.period == key)
            .collect())
    }

    /// Sets (or with `amount` none, removes) a rep's quota for a month or quarter;
    /// administrators, audited.
    pub async fn set_quota(
        &self,
        actor: &Actor,
        user: Uuid,
        period: &str,
        amount: Option<Decimal>,
        currency: &str,
    ) -> Result<Option<Quota>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let mut errors = Vec::new();
        let p = Period::parse(period, "period").map_err(|e| errors.push(e)).ok();
        if !self.policy().users.contains_key(&user) {
            errors.push(FieldError::new("user", Msg::UserNotFound));
        }
        if amount.is_some_and(|a| a < Decimal::ZERO) {
            errors.push(FieldError::new("amount", Msg::QuotaNegative));
        }
        let currency = currency.trim().to_uppercase();
        if !guanxi_core::values::is_currency_code(&currency) {
            errors.push(FieldError::new("currency", Msg::InvalidCurrency));
        }
        let Some(p) = p.filter(|_| errors.is_empty()) else {
            return Err(ServiceError::Validation(errors));
        };
        let name = format!("{user}:{p}");
        let existing = system::definitions(self.db(), TABLE).await?;
        let id = existing.iter().find(|d| d.name == name).map(|d| d.id);
        let Some(amount) = amount else {
            if let Some(id) = id {
                self.drop_definition(actor, TABLE, id, "forecast.quota.delete")
                    .await?;
            }
            return Ok(None);
        };
        let q = Quota {
            user,
            period: p.to_string(),
            amount,
            currency,
        };
        let d = Definition {
            id: id.unwrap_or_else(Uuid::now_v7),
            name,
            object: None,
            definition: serde_json::to_string(&q).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::to_value(&q).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, "forecast.quota.set", detail)
            .await?;
        Ok(Some(q))
    }

    /// The forecast of a period in one currency, as the actor may see it: administrators
    /// the whole hierarchy, anyone else their own line and the roles below theirs (not
    /// their peers').
    pub async fn forecast(
        &self,
        actor: &Actor,
        period: &str,
        currency: &str,
    ) -> Result<ForecastView, ServiceError> {
        if actor.kind != UserKind::Internal {
            return Err(ServiceError::Forbidden(Msg::DetailAdminOnly));
        }
        let p = Period::parse(period, "period").map_err(|e| ServiceError::Validation(vec![e]))?;
        let currency = currency.trim().to_uppercase();
        let (start, end) = p.range();
        let within = format!("close_date gte '{start}' and close_date lt '{end}'");
        let mut figures: HashMap<Uuid, Figures> = HashMap::new();
        let mut other_currencies = 0;
        let mut add = |totals: Vec<Total>, category: Forecast, figures: &mut HashMap<Uuid, Figures>| {
            for t in totals {
                let Some(owner) = t.key.as_deref().and_then(|k| Uuid::parse_str(k).ok()) else {
                    continue;
                };
                match (&t.currency, t.sum) {
                    (Some(c), Some(sum)) if *c == currency => {
                        figures.entry(owner).or_default().add(category, sum)
                    }
                    (Some(_), Some(_)) if category != Forecast::Omitted => other_currencies += t.count,
                    _ => {}
                }
            }
        };
        for category in [
            Forecast::Pipeline,
            Forecast::BestCase,
            Forecast::Commit,
            Forecast::Closed,
        ] {
            let filter = format!("{within} and forecast_category eq '{}'", category.as_str());
            let totals = self
                .totals(actor, "opportunity", Some(&filter), "owner", Some("amount"), None)
                .await?;
            add(totals, category, &mut figures);
        }
        for (when, category) in UNCATEGORISED {
            let filter = format!("{within} and forecast_category is_null and {when}");
            let totals = self
                .totals(actor, "opportunity", Some(&filter), "owner", Some("amount"), None)
                .await?;
            add(totals, category, &mut figures);
        }
        // Quotas: the period's own, else (a quarter) the sum of its months'.
        let quotas = self.all_quotas().await?;
        let key = p.to_string();
        let months: Vec<String> = p.months().iter().map(|m| m.to_string()).collect();
        let mut quota_of: HashMap<Uuid, Decimal> = HashMap::new();
        let own: HashSet<Uuid> = quotas
            .iter()
            .filter(|q| q.period == key && q.currency == currency)
            .map(|q| {
                quota_of.insert(q.user, q.amount);
                q.user
            })
            .collect();
        if p.quarter.is_some() {
            for q in quotas
                .iter()
                .filter(|q| months.contains(&q.period) && q.currency == currency && !own.contains(&q.user))
            {
                *quota_of.entry(q.user).or_default() += q.amount;
            }
        }
        let users = system::users(self.db()).await?;
        let staff: Vec<_> = users
            .iter()
            .filter(|u| u.active && u.kind == "internal")
            .collect();
        let user_roles: HashMap<Uuid, Option<Uuid>> = staff.iter().map(|u| (u.id, u.role_id)).collect();
        for u in &staff {
            if let Some(q) = quota_of.get(&u.id) {
                figures.entry(u.id).or_default().quota = Some(*q);
            }
        }
        let roles = system::roles(self.db()).await?;
        let tree: Vec<(Uuid, Option<Uuid>)> = roles.iter().map(|r| (r.id, r.parent_id)).collect();
        let lines: Vec<RoleLine> = if actor.administers() {
            roll_up(&tree, &user_roles, &figures, None)
        } else if let Some(role) = actor.role_id {
            // A manager's branch: their own line (not their peers' in the same role) and
            // every role below, with the total of all of it.
            let mut lines = roll_up(&tree, &user_roles, &figures, Some(&[role].into()));
            let below: Vec<Figures> = lines
                .iter()
                .filter(|l| l.depth == 1)
                .map(|l| l.total.clone())
                .collect();
            if let Some(first) = lines.first_mut() {
                first.users.retain(|(u, _)| *u == actor.user_id);
                let mut total = first.users.first().map(|(_, f)| f.clone()).unwrap_or_default();
                for b in &below {
                    total.absorb(b);
                }
                first.total = total;
            }
            lines
        } else {
            let mine = figures.get(&actor.user_id).cloned().unwrap_or_default();
            vec![RoleLine {
                role: None,
                depth: 0,
                users: vec![(actor.user_id, mine.clone())],
                total: mine,
            }]
        };
        let user_name = |id: &Uuid| {
            users
                .iter()
                .find(|u| u.id == *id)
                .map_or(id.to_string(), |u| u.name.clone())
        };
        let no_role = Msg::UiNoRole.text(actor.locale).to_string();
        let lines = lines
            .into_iter()
            .map(|l| TeamLine {
                role: l.role,
                name: l
                    .role
                    .and_then(|r| roles.iter().find(|x| x.id == r))
                    .map_or(no_role.clone(), |r| r.name.clone()),
                depth: l.depth,
                people: l
                    .users
                    .into_iter()
                    .map(|(u, f)| PersonLine {
                        user: u,
                        name: user_name(&u),
                        forecast: f.forecast(),
                        attainment: f.attainment(),
                        figures: f,
                    })
                    .collect(),
                forecast: l.total.forecast(),
                attainment: l.total.attainment(),
                total: l.total,
            })
            .collect();
        Ok(ForecastView {
            period: key,
            start,
            end,
            currency,
            lines,
            other_currencies,
        })
    }
}

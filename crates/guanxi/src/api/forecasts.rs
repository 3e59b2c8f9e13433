//! Forecasts (per rep and team, a month or a quarter, against quota) and the quotas
//! administrators set. Handlers translate; `guanxi_services::forecasts` decides.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use guanxi_core::forecast::Period;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Ctx, Problem, fail, parse_body};

#[derive(Debug, Default, Deserialize)]
pub(super) struct ForecastParams {
    period: Option<String>,
    currency: Option<String>,
}

/// The period asked for, else the current quarter.
pub(crate) fn period_or_now(crm: &Crm, period: Option<&str>) -> String {
    match period.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => p.to_string(),
        None => Period::quarter_of(crm.now().date_naive()).to_string(),
    }
}

pub(super) async fn forecast(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<ForecastParams>,
) -> Result<Json<Value>, Problem> {
    let period = period_or_now(&crm, p.period.as_deref());
    let currency = p.currency.unwrap_or_else(|| ctx.actor.currency.clone());
    let f = crm
        .forecast(&ctx.actor, &period, &currency)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(f)))
}

pub(super) async fn quotas(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<ForecastParams>,
) -> Result<Json<Value>, Problem> {
    let period = period_or_now(&crm, p.period.as_deref());
    let q = crm.quotas(&ctx.actor, &period).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": q})))
}

/// `{"user", "period", "amount": "…" | null, "currency"}`: sets or (null) removes a quota.
pub(super) async fn put_quota(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let text = |k: &str| match input.get(k) {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut errors = Vec::new();
    let user = match text("user").map(|u| Uuid::parse_str(&u)) {
        Some(Ok(u)) => Some(u),
        _ => {
            errors.push(FieldError::new("user", Msg::InvalidId));
            None
        }
    };
    let amount = match (input.get("amount"), text("amount")) {
        (None | Some(Value::Null), _) => None,
        (_, Some(a)) => match a.parse::<Decimal>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new("amount", Msg::NotNumber));
                None
            }
        },
        _ => {
            errors.push(FieldError::new("amount", Msg::NotNumber));
            None
        }
    };
    let period = text("period").unwrap_or_default();
    let currency = text("currency").unwrap_or_else(|| ctx.actor.currency.clone());
    let (Some(user), true) = (user, errors.is_empty()) else {
        return Err(Problem::validation(ctx.locale, &errors));
    };
    let q = crm
        .set_quota(&ctx.actor, user, &period, amount, &currency)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!({"quota": q})))
}

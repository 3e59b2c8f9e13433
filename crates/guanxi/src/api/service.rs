//! Customer service administration over the API: the service level policy (business
//! calendar and targets) that times cases, and the rules that grade customers into tiers.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use guanxi_services::Crm;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body};

/// The policy as stored, or `{}` when none is set (cases are then not timed).
pub(super) async fn read_policy(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let policy = crm.sla_policy(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(policy.unwrap_or_else(|| json!({}))))
}

pub(super) async fn put_policy(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let stored = crm.set_sla_policy(&ctx.actor, &input).await.map_err(fail(&ctx))?;
    Ok(Json(stored))
}

/// The tier rules as stored, or `{}` when none are set (tiers are then set by hand).
pub(super) async fn read_tier_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let rules = crm.tier_rules(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(rules.unwrap_or_else(|| json!({}))))
}

/// Sets the tier rules and regrades every account by them; answers the rules as stored
/// and what the regrade did.
pub(super) async fn put_tier_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let (mut stored, done) = crm.set_tier_rules(&ctx.actor, &input).await.map_err(fail(&ctx))?;
    stored["regraded"] = json!(done);
    Ok(Json(stored))
}

/// Regrades every account now, as the hourly run does.
pub(super) async fn regrade(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let done = crm.regrade_now(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!(done)))
}

//! Customer service administration over the API: the service level policy (business
//! calendar and targets) that times cases.

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

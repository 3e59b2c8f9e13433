//! Customer service administration over the API: the service level policy (business
//! calendar and targets) that times cases, and the rules that grade customers into tiers.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use guanxi_services::Crm;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body, parse_id};

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

/// A case's satisfaction survey: the link for the customer, when it was sent, the answer.
pub(super) async fn survey(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    if crm.schema().by_plural(&plural).map(|o| o.name.as_str()) != Some(guanxi_services::cases::CASE) {
        return Err(Problem::not_found(ctx.locale));
    }
    let id = parse_id(&ctx, &id)?;
    match crm.survey_link(&ctx.actor, id).await.map_err(fail(&ctx))? {
        Some(s) => Ok(Json(json!({
            "path": s.path, "sent_at": s.sent_at, "answered_at": s.answered_at,
            "csat": s.csat, "nps": s.nps, "comment": s.comment,
        }))),
        None => Err(Problem::not_found(ctx.locale)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct PeriodParams {
    from: Option<String>,
    to: Option<String>,
}

/// The service metrics of a period (`?from=&to=`, days included; the last 30 days when
/// not given) over the cases and costs the caller may read.
pub(super) async fn metrics(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<PeriodParams>,
) -> Result<Json<Value>, Problem> {
    let today = crm.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (from, to) = guanxi_services::service_quality::period(p.from.as_deref(), p.to.as_deref(), today)
        .map_err(fail(&ctx))?;
    let m = crm
        .service_metrics(&ctx.actor, from, to)
        .await
        .map_err(fail(&ctx))?;
    let mut body = json!(m);
    body["from"] = json!(from);
    body["to"] = json!(to);
    Ok(Json(body))
}

/// Invites a contact to the customer portal: their portal user (made the first time) and
/// a link, valid for 14 days, where they choose a password.
pub(super) async fn invite_to_portal(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
    if crm.schema().by_plural(&plural).map(|o| o.name.as_str()) != Some("contact") {
        return Err(Problem::not_found(ctx.locale));
    }
    let id = parse_id(&ctx, &id)?;
    let inv = crm.invite_to_portal(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(
            json!({"user": inv.user, "email": inv.email, "path": inv.path, "expires_at": inv.expires_at, "mailed": inv.mailed}),
        ),
    ))
}

/// The case lifecycle (the usual one, not enforced, until administrators set theirs).
pub(super) async fn read_lifecycle(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let l = crm.case_lifecycle(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(l.to_json()))
}

pub(super) async fn put_lifecycle(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let l = crm
        .set_case_lifecycle(&ctx.actor, &input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(l.to_json()))
}

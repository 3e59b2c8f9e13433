//! Access administration over HTTP: teams, sharing rules, territories, users' kinds and
//! roles, and records shared by hand. The rules live in the services; this maps them.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::access::{SharingRule, Team, Territory};
use guanxi_services::Crm;
use guanxi_storage::system::ShareRow;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id};

fn team_json(t: &Team) -> Value {
    json!(t)
}

fn rule_json(r: &SharingRule) -> Value {
    let mut v = json!({"id": r.id, "object": r.object, "name": r.name, "to": r.to, "level": r.level});
    match &r.source {
        guanxi_core::access::RuleSource::Owners(g) => v["owners"] = json!(g),
        guanxi_core::access::RuleSource::Criteria(c) => v["criteria"] = json!(c),
    }
    v
}

fn territory_json(t: &Territory) -> Value {
    json!(t)
}

fn share_json(s: &ShareRow) -> Value {
    json!({
        "grantee": s.grantee_id, "grantee_kind": s.grantee_kind, "level": s.level,
        "created_by": s.created_by, "created_at": guanxi_core::values::format_datetime(&s.created_at),
    })
}

pub(super) async fn list_teams(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let teams = crm.teams(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": teams.iter().map(team_json).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn add_team(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let team = crm.put_team(&ctx.actor, None, input).await.map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(team_json(&team))))
}

pub(super) async fn put_team(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let team = crm
        .put_team(&ctx.actor, Some(id), input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(team_json(&team)))
}

async fn delete_item(crm: &Crm, ctx: &Ctx, kind: &str, id: &str) -> Result<StatusCode, Problem> {
    let id = parse_id(ctx, id)?;
    crm.delete_permission_item(&ctx.actor, kind, id)
        .await
        .map_err(fail(ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn delete_team(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    delete_item(&crm, &ctx, "team", &id).await
}

#[derive(Debug, Deserialize)]
pub(super) struct RuleParams {
    object: Option<String>,
}

pub(super) async fn list_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(params): Query<RuleParams>,
) -> Result<Json<Value>, Problem> {
    let rules = crm
        .sharing_rules(&ctx.actor, params.object.as_deref())
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": rules.iter().map(rule_json).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn add_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm
        .add_sharing_rule(&ctx.actor, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(rule_json(&rule))))
}

pub(super) async fn delete_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    delete_item(&crm, &ctx, "sharing_rule", &id).await
}

pub(super) async fn list_territories(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let all = crm.territories(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": all.iter().map(territory_json).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn add_territory(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let t = crm
        .put_territory(&ctx.actor, None, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(territory_json(&t))))
}

pub(super) async fn put_territory(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let t = crm
        .put_territory(&ctx.actor, Some(id), input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(territory_json(&t)))
}

pub(super) async fn delete_territory(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    delete_item(&crm, &ctx, "territory", &id).await
}

pub(super) async fn update_user(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    crm.set_user_access(&ctx.actor, id, input)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn list_shares(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let shares = crm
        .shares(&ctx.actor, &object.name, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": shares.iter().map(share_json).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn add_share(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let share = crm
        .share(&ctx.actor, &object.name, id, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(share_json(&share))))
}

pub(super) async fn delete_share(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id, grantee)): Path<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let grantee = parse_id(&ctx, &grantee)?;
    crm.unshare(&ctx.actor, &object.name, id, grantee)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

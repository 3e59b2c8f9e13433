//! Validation rules administrators add per object.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_services::Crm;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body, parse_id};

#[derive(Debug, Deserialize)]
pub(super) struct Of {
    object: Option<String>,
}

pub(super) async fn list_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(of): Query<Of>,
) -> Result<Json<Value>, Problem> {
    let rules = crm
        .validation_rules(&ctx.actor, of.object.as_deref())
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!({"data": rules})))
}

pub(super) async fn add_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm
        .add_validation_rule(&ctx.actor, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(json!(rule))))
}

pub(super) async fn delete_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.delete_validation_rule(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn list_coding_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let rules = crm.coding_rules(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": rules})))
}

pub(super) async fn add_coding_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm.add_coding_rule(&ctx.actor, input).await.map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(json!(rule))))
}

pub(super) async fn delete_coding_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.delete_coding_rule(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

//! Sales processes (administrators define them; staff read them) and the stage guidance
//! of one opportunity.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_services::Crm;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body, parse_id};

pub(super) async fn list(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let all = crm.sales_processes(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": all})))
}

pub(super) async fn add(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let p = crm
        .save_sales_process(&ctx.actor, None, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(json!(p))))
}

pub(super) async fn read(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let p = crm.sales_process(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(json!(p)))
}

pub(super) async fn put(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let p = crm
        .save_sales_process(&ctx.actor, Some(id), input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(p)))
}

pub(super) async fn delete(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.delete_sales_process(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn guidance(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    if crm.schema().by_plural(&plural).map(|o| o.name.as_str()) != Some(guanxi_core::process::OBJECT) {
        return Err(Problem::not_found(ctx.locale));
    }
    let id = parse_id(&ctx, &id)?;
    let g = crm
        .stage_guidance(&ctx.actor, id, ctx.locale)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(g)))
}

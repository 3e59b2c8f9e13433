//! Sales processes (administrators define them; staff read them), the stage guidance of
//! one opportunity, and the pipeline and velocity of a process.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::{FieldError, Msg};
use guanxi_services::pipeline::MAX_VELOCITY_DAYS;
use guanxi_services::{Crm, ServiceError};
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

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct PipelineParams {
    process: Option<String>,
    filter: Option<String>,
    days: Option<String>,
}

/// The pipeline of a process (`?process=`, else the default one): its stages with counts,
/// amounts and weighted amounts over what the reader may read (`?filter=` narrows it).
pub(super) async fn pipeline(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<PipelineParams>,
) -> Result<Json<Value>, Problem> {
    let pipeline = crm
        .pipeline(&ctx.actor, p.process.as_deref(), p.filter.as_deref(), ctx.locale)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(pipeline)))
}

/// How fast a process turns pipeline into won business over the last `?days=` (90).
pub(super) async fn velocity(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<PipelineParams>,
) -> Result<Json<Value>, Problem> {
    let days = match p.days.as_deref().map(str::trim) {
        None | Some("") => 90,
        Some(d) => d.parse::<i64>().map_err(|_| {
            fail(&ctx)(ServiceError::Validation(vec![
                FieldError::new("days", Msg::InvalidLimit).with("max", MAX_VELOCITY_DAYS),
            ]))
        })?,
    };
    let v = crm
        .velocity(&ctx.actor, p.process.as_deref(), days, ctx.locale)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(v)))
}

//! Work queues over the API: administrators set them up; members list their queues' open
//! cases and take one.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use guanxi_services::Crm;
use guanxi_services::cases::CASE;
use serde_json::{Map, Value, json};

use super::{
    Ctx, Problem, expected_version, fail, parse_body, record_json, record_response, record_target, shown,
};

/// Every queue with its labels, members, access level and whether it takes new cases.
pub(super) async fn list(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let queues = crm.queues(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({ "data": queues })))
}

/// `{"label"?, "members"?, "level"?, "active"?}`: sets up the queue `value` or changes it.
pub(super) async fn put(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(value): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let q = crm
        .put_queue(&ctx.actor, &value, input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(q)))
}

/// The caller's queues, each with its open cases, soonest due first.
pub(super) async fn mine(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let work = crm.my_queues(&ctx.actor).await.map_err(fail(&ctx))?;
    let case = crm
        .schema()
        .object(CASE)
        .cloned()
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    let keep = shown(&crm, &ctx, &case);
    let data: Vec<Value> = work
        .iter()
        .map(|w| {
            let mut q = json!(w.queue);
            q["cases"] = w.cases.iter().map(|r| record_json(&case, r, &keep)).collect();
            q
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// The caller takes a case of one of their queues (becomes its owner); with If-Match, only
/// if nobody changed it since.
pub(super) async fn take(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (case, id) = record_target(&crm, &ctx, &plural, &id)?;
    if case.name != CASE {
        return Err(Problem::not_found(ctx.locale));
    }
    let version = match headers.contains_key(axum::http::header::IF_MATCH) {
        true => expected_version(&ctx, &headers, &mut Map::new())?.0,
        false => None,
    };
    let r = crm.take_case(&ctx.actor, id, version).await.map_err(fail(&ctx))?;
    Ok(record_response(&crm, &ctx, &case, &r))
}

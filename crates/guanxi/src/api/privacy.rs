//! Privacy requests over the API: a person's data as one JSON document, and erasure.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use guanxi_core::Msg;
use guanxi_services::privacy::erased_name;
use guanxi_services::{Crm, ServiceError};
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id};

/// `GET /api/v1/{contacts|leads}/{id}/personal-data` (administrators; audited).
pub(super) async fn personal_data(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let data = crm
        .personal_data(&ctx.actor, &object.name, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(data))
}

/// `POST /api/v1/{contacts|leads}/{id}/erase` with `{"confirm": true}` (administrators;
/// audited). Answers with what was erased, in counts.
pub(super) async fn erase(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    if input.get("confirm") != Some(&Value::Bool(true)) {
        return Err(fail(&ctx)(ServiceError::field(
            "confirm",
            Msg::DetailConfirmErase,
        )));
    }
    let erasure = crm
        .erase_person(&ctx.actor, &object.name, id, erased_name(ctx.locale))
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(erasure)))
}

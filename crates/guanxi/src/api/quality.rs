//! Data quality over the API (administrators): a record's score with its reasons, an
//! object's report, and which fields make its records complete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use guanxi_core::quality::RecordQuality;
use guanxi_services::Crm;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id};

pub(super) fn record_quality_json(q: &RecordQuality, locale: guanxi_core::Locale) -> Value {
    json!({
        "score": q.score,
        "completeness": q.completeness,
        "validity": q.validity(),
        "missing": q.missing,
        "invalid": q.invalid.iter().map(|e| json!({"field": e.field, "code": e.code(), "detail": e.message(locale)})).collect::<Vec<_>>(),
        "duplicate_score": q.duplicate_score,
    })
}

/// `GET /api/v1/{plural}/{id}/quality`.
pub(super) async fn record_quality(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let q = crm
        .record_quality(&ctx.actor, &object.name, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(record_quality_json(&q, ctx.locale)))
}

/// `GET /api/v1/admin/data-quality/{plural}`.
pub(super) async fn object_quality(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let q = crm
        .object_quality(&ctx.actor, &object.name)
        .await
        .map_err(fail(&ctx))?;
    let mut body = json!(q);
    if let Some(worst) = body.get_mut("worst") {
        *worst = json!(
            q.worst
                .iter()
                .map(|(id, name, score)| json!({"id": id, "name": name, "score": score}))
                .collect::<Vec<_>>()
        );
    }
    Ok(Json(body))
}

/// `PUT /api/v1/admin/data-quality/{plural}` with `{"fields": [...]}`.
pub(super) async fn put_fields(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let input = parse_body(ctx.locale, &body)?;
    let fields = crm
        .set_quality_fields(&ctx.actor, &object.name, input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!({"fields": fields})))
}

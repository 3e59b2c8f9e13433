//! `GET /api/v1/search`: records of every object matching a query, best first, as the
//! caller may see them. The web UI's search box and page call the same service.

use axum::Json;
use axum::extract::{Extension, Query, State};
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::search::{MAX_LIMIT, SearchResult};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail};

#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    object: Option<String>,
    limit: Option<String>,
}

pub(crate) async fn search(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Value>, Problem> {
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            Problem::validation(
                ctx.locale,
                &[FieldError::new("limit", Msg::InvalidLimit).with("max", MAX_LIMIT)],
            )
        })?),
    };
    let results = crm
        .search(
            &ctx.actor,
            params.q.as_deref().unwrap_or(""),
            params.object.as_deref(),
            limit,
        )
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({ "data": results.iter().map(result_json).collect::<Vec<_>>() }),
    ))
}

pub(crate) fn result_json(r: &SearchResult) -> Value {
    json!({
        "object": r.object,
        "id": r.id,
        "name": r.name,
        "secondary": r.secondary,
        "score": r.score,
    })
}

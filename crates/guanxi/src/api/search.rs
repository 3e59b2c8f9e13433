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
    // Customers carry their tier (as on every page that names them).
    let accounts: Vec<uuid::Uuid> = results
        .iter()
        .filter(|r| r.object == "accounts")
        .map(|r| r.id)
        .collect();
    let tiers = if accounts.is_empty() {
        Default::default()
    } else {
        crm.tiers_of(&ctx.actor, &accounts).await.map_err(fail(&ctx))?
    };
    let field = crm
        .schema()
        .object("account")
        .and_then(|a| a.field("tier").cloned());
    let data: Vec<Value> = results
        .iter()
        .map(|r| {
            let tier = tiers.get(&r.id);
            let label = tier
                .zip(field.as_ref())
                .map(|(t, f)| f.option_label(t, ctx.locale));
            let mut j = result_json(r);
            j["tier"] = json!(tier);
            j["tier_label"] = json!(label);
            j
        })
        .collect();
    Ok(Json(json!({ "data": data })))
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

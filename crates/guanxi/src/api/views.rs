//! Saved list views over the API: a user's named columns, filter and sort per object,
//! personal or shared by an administrator — the same views the web lists offer.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::views::{SavedView, ViewSpec};
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id};

fn view_json(v: &SavedView) -> Value {
    json!({
        "id": v.id, "object": v.object, "name": v.name, "shared": v.shared, "owner": v.owner_id,
        "columns": v.spec.columns, "filter": v.spec.filter, "sort": v.spec.sort,
    })
}

/// A view as the body describes it: `name`, `shared`, `columns`, `filter`, `sort`.
fn view_input(ctx: &Ctx, body: &Bytes) -> Result<(String, bool, ViewSpec), Problem> {
    let input = parse_body(ctx.locale, body)?;
    let mut errors = Vec::new();
    let text = |key: &str, errors: &mut Vec<FieldError>| match input.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(key, Msg::NotText));
            None
        }
    };
    let name = text("name", &mut errors).unwrap_or_default();
    let filter = text("filter", &mut errors);
    let sort = text("sort", &mut errors);
    let shared = match input.get("shared") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("shared", Msg::NotBoolean));
            false
        }
    };
    let columns = match input.get("columns") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Value::String(s) => Some(s.clone()),
                _ => {
                    errors.push(FieldError::new(&format!("columns[{i}]"), Msg::NotText));
                    None
                }
            })
            .collect(),
        Some(_) => {
            errors.push(FieldError::new("columns", Msg::NotList));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(Problem::validation(ctx.locale, &errors));
    }
    Ok((
        name,
        shared,
        ViewSpec {
            columns,
            filter,
            sort,
        },
    ))
}

/// `GET /api/v1/{plural}/views`: the caller's views of the object and the shared ones.
pub(super) async fn list_views(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let views = crm.views(&ctx.actor, &object.name).await.map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": views.iter().map(view_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/{plural}/views`.
pub(super) async fn add_view(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let (name, shared, spec) = view_input(&ctx, &body)?;
    let view = crm
        .save_view(&ctx.actor, &object.name, None, &name, shared, spec)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(view_json(&view))))
}

/// `PUT /api/v1/{plural}/views/{id}`: replaces one of the caller's views.
pub(super) async fn put_view(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let (name, shared, spec) = view_input(&ctx, &body)?;
    let view = crm
        .save_view(&ctx.actor, &object.name, Some(id), &name, shared, spec)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(view_json(&view)))
}

/// `DELETE /api/v1/{plural}/views/{id}`.
pub(super) async fn delete_view(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    object_for(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    crm.delete_view(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

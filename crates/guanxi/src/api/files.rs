//! Files attached to records over the API: `POST` the file's bytes as the body (its type in
//! `Content-Type`, its name in `?name=`), list a record's files, download one.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_storage::files::FileRow;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_id, record_target};

fn file_json(f: &FileRow) -> Value {
    json!({"id": f.id, "name": f.name, "content_type": f.content_type, "size": f.size,
           "uploaded_by": f.uploaded_by, "created_at": f.created_at, "url": format!("/api/v1/files/{}", f.id)})
}

#[derive(Debug, Deserialize)]
pub(super) struct AttachParams {
    name: Option<String>,
}

pub(super) async fn attach(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    Query(params): Query<AttachParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let Some(name) = params.name.filter(|n| !n.trim().is_empty()) else {
        return Err(Problem::validation(
            ctx.locale,
            &[FieldError::new("name", Msg::Required)],
        ));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let f = crm
        .attach_file(&ctx.actor, &object.name, id, &name, content_type, &body)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(file_json(&f))))
}

pub(super) async fn list(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let files = crm
        .record_files(&ctx.actor, &object.name, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": files.iter().map(file_json).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn download(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&ctx, &id)?;
    let (row, bytes) = crm.file_content(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(crate::web::file_response(&row, bytes))
}

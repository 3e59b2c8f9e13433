//! Calendar feeds: the caller's calendar as iCalendar (with a token), and the secret feed
//! links a user makes for calendar apps and can revoke.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use guanxi_services::Crm;
use guanxi_services::calendar::parse_scope;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_id};

#[derive(Debug, Default, Deserialize)]
pub(super) struct ScopeParams {
    scope: Option<String>,
}

pub(crate) fn ics(text: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        text,
    )
        .into_response()
}

/// Where a feed is read: the address the caller used, else the path alone.
pub(crate) fn feed_url(headers: &HeaderMap, secret: &str) -> String {
    let path = format!("/ical/{secret}.ics");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    match host {
        Some(h) => format!("{proto}://{h}{path}"),
        None => path,
    }
}

pub(super) async fn mine(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<ScopeParams>,
) -> Result<Response, Problem> {
    let scope = parse_scope(p.scope.as_deref()).map_err(|e| Problem::validation(ctx.locale, &[e]))?;
    let text = crm.ical_for(&ctx.actor, scope).await.map_err(fail(&ctx))?;
    Ok(ics(text))
}

pub(super) async fn feeds(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let feeds = crm.calendar_feeds(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": feeds})))
}

/// `{"scope": "mine"|"team"}`: a new feed link, shown this once.
pub(super) async fn create_feed(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        super::parse_body(ctx.locale, &body)?
    };
    let scope = parse_scope(input.get("scope").and_then(Value::as_str))
        .map_err(|e| Problem::validation(ctx.locale, &[e]))?;
    let (feed, secret) = crm
        .create_calendar_feed(&ctx.actor, scope)
        .await
        .map_err(fail(&ctx))?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": feed.id, "scope": feed.scope, "created_at": feed.created_at, "url": feed_url(&headers, &secret)}),
        ),
    ))
}

pub(super) async fn revoke_feed(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.revoke_calendar_feed(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

//! The REST adapter: `/api/v1`. Handlers translate HTTP to service calls and service
//! results to JSON or problem+json; they hold no business rules.

mod access;
pub(crate) mod calendar;
mod channels;
mod customer;
mod duplicates;
mod files;
pub(crate) mod forecasts;
pub(crate) mod imports;
mod leads;
mod openapi;
mod privacy;
mod problem;
mod processes;
mod quality;
mod queues;
mod quotes;
mod rules;
pub(crate) mod search;
mod service;
mod views;

use std::time::Duration;

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use guanxi_core::values::Record;
use guanxi_core::values::format_datetime;
use guanxi_core::{Locale, Msg, ObjectDef};
use guanxi_services::identity::Scope;
use guanxi_services::records::{Change, ListQuery, Outcome};
use guanxi_services::{Actor, Crm, ServiceError};
use guanxi_storage::system::AuditQuery;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

pub use problem::Problem;

pub const BODY_LIMIT: usize = 1024 * 1024;
pub const BULK_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Who is calling and in which language they read.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Actor,
    pub locale: Locale,
    /// The browser session, when the caller signed in with a password rather than a token.
    pub session: Option<Uuid>,
}

pub(crate) fn request_locale(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
}

/// The whole HTTP application.
pub fn router(crm: Crm) -> Router {
    let records = Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/tokens", get(my_tokens))
        .route("/api/v1/me/tokens/{id}", axum::routing::delete(revoke_my_token))
        .route("/api/v1/audit", get(audit_trail))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/admin/roles", get(list_roles).post(add_role))
        .route("/api/v1/admin/users", get(list_users))
        .route(
            "/api/v1/admin/users/{id}",
            axum::routing::patch(access::update_user),
        )
        .route("/api/v1/admin/access/{name}", get(get_access).put(put_access))
        .route("/api/v1/admin/layouts/{name}", get(get_layout).put(put_layout))
        .route(
            "/api/v1/admin/validation-rules",
            get(rules::list_rules).post(rules::add_rule),
        )
        .route(
            "/api/v1/admin/validation-rules/{id}",
            axum::routing::delete(rules::delete_rule),
        )
        .route(
            "/api/v1/sales-processes",
            get(processes::list).post(processes::add),
        )
        .route(
            "/api/v1/sales-processes/{id}",
            get(processes::read).put(processes::put).delete(processes::delete),
        )
        .route("/api/v1/{plural}/{id}/guidance", get(processes::guidance))
        .route("/api/v1/{plural}/{id}/conversion", get(leads::plan))
        .route(
            "/api/v1/admin/sla-policy",
            get(service::read_policy).put(service::put_policy),
        )
        .route(
            "/api/v1/admin/tier-rules",
            get(service::read_tier_rules).put(service::put_tier_rules),
        )
        .route("/api/v1/admin/tier-rules/regrade", post(service::regrade))
        .route(
            "/api/v1/admin/case-lifecycle",
            get(service::read_lifecycle).put(service::put_lifecycle),
        )
        .route("/api/v1/admin/queues", get(queues::list))
        .route("/api/v1/admin/queues/{value}", axum::routing::put(queues::put))
        .route("/api/v1/queues", get(queues::mine))
        .route("/api/v1/{plural}/{id}/take", post(queues::take))
        .route("/api/v1/{plural}/{id}/survey", get(service::survey))
        .route(
            "/api/v1/{plural}/{id}/portal-invitation",
            post(service::invite_to_portal),
        )
        .route("/api/v1/service/metrics", get(service::metrics))
        .route(
            "/api/v1/admin/assignment-rules",
            get(leads::list_rules).post(leads::add_rule),
        )
        .route(
            "/api/v1/admin/assignment-rules/{id}",
            axum::routing::put(leads::put_rule).delete(leads::delete_rule),
        )
        .route("/api/v1/{plural}/{id}/convert", post(leads::convert))
        .route("/api/v1/pipeline", get(processes::pipeline))
        .route("/api/v1/{plural}/{id}/approval", get(quotes::approval))
        .route("/api/v1/{plural}/{id}/submit", post(quotes::submit))
        .route("/api/v1/{plural}/{id}/approve", post(quotes::approve))
        .route("/api/v1/{plural}/{id}/reject", post(quotes::reject))
        .route("/api/v1/{plural}/{id}/order", post(quotes::order))
        .route("/api/v1/approvals", get(quotes::approvals))
        .route("/api/v1/{plural}/{id}/resolve", post(quotes::resolve))
        .route(
            "/api/v1/admin/conflict-rules",
            get(quotes::conflict_rules).put(quotes::put_conflict_rules),
        )
        .route(
            "/api/v1/admin/quote-settings",
            get(quotes::settings).put(quotes::put_settings),
        )
        .route("/api/v1/me/notifications", get(quotes::notifications))
        .route("/api/v1/me/notifications/read", post(quotes::read_notifications))
        .route("/api/v1/forecasts", get(forecasts::forecast))
        .route("/api/v1/me/calendar.ics", get(calendar::mine))
        .route(
            "/api/v1/me/calendar-feeds",
            get(calendar::feeds).post(calendar::create_feed),
        )
        .route(
            "/api/v1/me/calendar-feeds/{id}",
            axum::routing::delete(calendar::revoke_feed),
        )
        .route("/api/v1/quotas", get(forecasts::quotas).put(forecasts::put_quota))
        .route("/api/v1/pipeline/velocity", get(processes::velocity))
        .route(
            "/api/v1/admin/coding-rules",
            get(rules::list_coding_rules).post(rules::add_coding_rule),
        )
        .route(
            "/api/v1/admin/coding-rules/{id}",
            axum::routing::delete(rules::delete_coding_rule),
        )
        .route(
            "/api/v1/admin/teams",
            get(access::list_teams).post(access::add_team),
        )
        .route(
            "/api/v1/admin/teams/{id}",
            axum::routing::put(access::put_team).delete(access::delete_team),
        )
        .route(
            "/api/v1/admin/sharing-rules",
            get(access::list_rules).post(access::add_rule),
        )
        .route(
            "/api/v1/admin/sharing-rules/{id}",
            axum::routing::delete(access::delete_rule),
        )
        .route(
            "/api/v1/admin/territories",
            get(access::list_territories).post(access::add_territory),
        )
        .route(
            "/api/v1/admin/territories/{id}",
            axum::routing::put(access::put_territory).delete(access::delete_territory),
        )
        .route("/api/v1/auth/session", axum::routing::delete(sign_out_here))
        .route(
            "/api/v1/auth/sessions",
            axum::routing::delete(sign_out_everywhere),
        )
        .route(
            "/api/v1/metadata/objects",
            get(meta_objects).post(meta_add_object),
        )
        .route("/api/v1/metadata/objects/{name}", get(meta_object))
        .route("/api/v1/metadata/objects/{name}/fields", post(meta_add_field))
        .route(
            "/api/v1/metadata/objects/{name}/fields/{field}",
            axum::routing::patch(meta_update_field),
        )
        .route("/api/v1/{plural}", get(list).post(create))
        .route("/api/v1/{plural}/export", get(export))
        .route("/api/v1/{plural}/duplicates", get(duplicates::list_groups))
        .route("/api/v1/{plural}/merge", post(duplicates::merge))
        .route("/api/v1/merges/{id}", get(duplicates::read_merge))
        .route("/api/v1/merges/{id}/undo", post(duplicates::undo_merge))
        .route("/api/v1/{plural}/{id}/duplicates", get(duplicates::of_record))
        .route("/api/v1/admin/duplicate-rules", get(duplicates::list_rules))
        .route(
            "/api/v1/admin/duplicate-rules/{name}",
            axum::routing::put(duplicates::put_rule),
        )
        .route(
            "/api/v1/{plural}/views",
            get(views::list_views).post(views::add_view),
        )
        .route(
            "/api/v1/{plural}/views/{id}",
            axum::routing::put(views::put_view).delete(views::delete_view),
        )
        .route("/api/v1/{plural}/{id}", get(read).patch(update).delete(remove))
        .route("/api/v1/{plural}/{id}/restore", post(restore))
        .route("/api/v1/{plural}/{id}/history", get(history))
        .route("/api/v1/{plural}/{id}/360", get(customer::view_360))
        .route(
            "/api/v1/{plural}/{id}/channel-preferences",
            get(channels::get_preferences).put(channels::put_preferences),
        )
        .route(
            "/api/v1/{plural}/{id}/consents",
            get(channels::list_consents).post(channels::add_consent),
        )
        .route("/api/v1/{plural}/{id}/may-contact", get(channels::may_contact))
        .route("/api/v1/{plural}/{id}/personal-data", get(privacy::personal_data))
        .route("/api/v1/{plural}/{id}/erase", post(privacy::erase))
        .route("/api/v1/{plural}/{id}/quality", get(quality::record_quality))
        .route(
            "/api/v1/admin/data-quality/{plural}",
            get(quality::object_quality).put(quality::put_fields),
        )
        .route(
            "/api/v1/{plural}/{id}/shares",
            get(access::list_shares).post(access::add_share),
        )
        .route(
            "/api/v1/{plural}/{id}/shares/{grantee}",
            axum::routing::delete(access::delete_share),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(
            Router::new()
                .route("/api/v1/{plural}/vcard", post(import_vcard))
                .route("/api/v1/{plural}/bulk", post(bulk))
                .route(
                    "/api/v1/{plural}/{id}/files",
                    get(files::list).post(files::attach),
                )
                .layer(DefaultBodyLimit::max(BULK_BODY_LIMIT)),
        )
        .route("/api/v1/files/{id}", get(files::download))
        .route("/api/v1/imports", get(imports::list))
        .route("/api/v1/imports/{id}", get(imports::get_one))
        .route("/api/v1/imports/{id}/errors", get(imports::errors))
        .route("/api/v1/imports/{id}/resume", post(imports::resume))
        .layer(middleware::from_fn_with_state(crm.clone(), authenticate));
    // Files to import are streamed to disk with their own size limit.
    let uploads = Router::new()
        .route("/api/v1/{plural}/imports", post(imports::start))
        .layer(middleware::from_fn_with_state(crm.clone(), authenticate))
        .merge(crate::web::upload_router());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_document))
        .route("/api/v1/auth/session", post(sign_in))
        .merge(records)
        .merge(crate::web::router())
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(BULK_BODY_LIMIT))
        .merge(uploads)
        // One span and one line per request at debug level: GUANXI_LOG=tower_http=debug.
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(120),
        ))
        .with_state(crm)
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn not_found(headers: HeaderMap) -> Problem {
    Problem::not_found(request_locale(&headers).unwrap_or_default())
}

async fn openapi_document(State(crm): State<Crm>) -> Json<Value> {
    Json(openapi::document(&crm.schema()))
}

/// Who is calling: a bearer API token (programs), or a session cookie (the browser), in
/// which case every change must also carry the session's CSRF token. Everything under
/// /api/v1 but the OpenAPI document and sign-in passes here.
async fn authenticate(State(crm): State<Crm>, mut req: Request, next: Next) -> Response {
    let locale = request_locale(req.headers());
    let fail = |e: ServiceError, actor_locale: Option<Locale>| {
        Problem::from_service(e, locale.or(actor_locale).unwrap_or_default(), false).into_response()
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::to_string);
    let (mut actor, session) = match bearer {
        Some(token) => match crm.authenticate_token(&token).await {
            Ok(Some(actor)) => (actor, None),
            Ok(None) => return Problem::unauthorized(locale.unwrap_or_default()).into_response(),
            Err(e) => return fail(e, None),
        },
        None => {
            let Some(secret) = session_cookie(req.headers()) else {
                return Problem::unauthorized(locale.unwrap_or_default()).into_response();
            };
            match crm.authenticate_session(&secret).await {
                Ok(Some((actor, id, csrf))) => {
                    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
                    let sent = req
                        .headers()
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if !safe && !guanxi_services::sessions::same_secret(sent, &csrf) {
                        return fail(ServiceError::Csrf, Some(actor.locale));
                    }
                    (actor, Some(id))
                }
                Ok(None) => return Problem::unauthorized(locale.unwrap_or_default()).into_response(),
                Err(e) => return fail(e, None),
            }
        }
    };
    let locale = locale.unwrap_or(actor.locale);
    actor.ip = peer(&req);
    if let Err(e) = actor.require(required_scope(req.method(), req.uri().path())) {
        return Problem::from_service(e, locale, false).into_response();
    }
    req.extensions_mut().insert(Ctx {
        actor,
        locale,
        session,
    });
    next.run(req).await
}

const SESSION_COOKIE: &str = "gx_session";

pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// The value of the cookie `name` the request carries.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .map(str::to_string)
}

/// The client's address, from the connection (proxies come with configuration, later).
fn peer(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when the request came over HTTPS.
pub(crate) fn session_set_cookie(headers: &HeaderMap, value: &str, max_age: i64) -> Option<HeaderValue> {
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

#[derive(Debug, Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

async fn sign_in(State(crm): State<Crm>, req: Request) -> Response {
    let locale = request_locale(req.headers()).unwrap_or_default();
    let ip = peer(&req);
    let headers = req.headers().clone();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_request(locale, "body", Msg::InvalidJson, &e.to_string()).into_response();
        }
    };
    let input: SignIn = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            return Problem::bad_request(locale, "body", Msg::InvalidJson, &e.to_string()).into_response();
        }
    };
    match crm.sign_in(&input.email, &input.password, ip, user_agent).await {
        Ok(s) => {
            let body = json!({
                "user": {"id": s.actor.user_id, "email": s.actor.email, "is_admin": s.actor.is_admin, "locale": s.actor.locale.tag()},
                "csrf_token": s.csrf,
                "expires_at": format_datetime(&s.expires_at),
            });
            let mut res = (StatusCode::CREATED, Json(body)).into_response();
            let max_age = guanxi_services::sessions::SESSION_HOURS * 3600;
            if let Some(cookie) = session_set_cookie(&headers, &s.secret, max_age) {
                res.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => Problem::from_service(e, locale, false).into_response(),
    }
}

/// Signs out this session (`DELETE /auth/session`) or every session (`DELETE /auth/sessions`).
async fn sign_out_here(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let Some(session) = ctx.session else {
        return Problem::not_found(ctx.locale).into_response();
    };
    sign_out(&crm, &ctx, &headers, Some(session)).await
}

async fn sign_out_everywhere(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    sign_out(&crm, &ctx, &headers, None).await
}

async fn sign_out(crm: &Crm, ctx: &Ctx, headers: &HeaderMap, session: Option<Uuid>) -> Response {
    match crm.sign_out(&ctx.actor, session).await {
        Ok(n) => {
            let mut res = (StatusCode::OK, Json(json!({"sessions_ended": n}))).into_response();
            if let Some(cookie) = session_set_cookie(headers, "", 0) {
                res.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            res
        }
        Err(e) => Problem::from_service(e, ctx.locale, false).into_response(),
    }
}

/// The scope a request needs: administration for metadata changes and the audit trail,
/// write for any other change, read otherwise.
fn required_scope(method: &Method, path: &str) -> Scope {
    let reading = matches!(*method, Method::GET | Method::HEAD);
    if path.starts_with("/api/v1/audit")
        || path.starts_with("/api/v1/admin")
        || (path.starts_with("/api/v1/metadata") && !reading)
    {
        Scope::Admin
    } else if reading {
        Scope::Read
    } else {
        Scope::Write
    }
}

/// Headers every answer carries: no framing, no sniffing, no third-party anything.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

async fn my_tokens(State(crm): State<Crm>, Extension(ctx): Extension<Ctx>) -> Result<Json<Value>, Problem> {
    let tokens = crm
        .tokens(&ctx.actor)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let data: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "prefix": t.prefix, "scopes": t.scopes.split(',').collect::<Vec<_>>(),
                "created_at": format_datetime(&t.created_at),
                "expires_at": t.expires_at.as_ref().map(format_datetime),
                "revoked_at": t.revoked_at.as_ref().map(format_datetime),
            })
        })
        .collect();
    Ok(Json(json!({"data": data})))
}

async fn revoke_my_token(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.revoke_token(Some(&ctx.actor), ctx.actor.user_id, id)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct AuditParams {
    action: Option<String>,
    actor: Option<String>,
    record_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

async fn audit_trail(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<AuditParams>,
) -> Result<Json<Value>, Problem> {
    let bad =
        |field: &str, msg: Msg| Problem::validation(ctx.locale, &[guanxi_core::FieldError::new(field, msg)]);
    let uuid = |field: &str, v: &Option<String>| -> Result<Option<Uuid>, Problem> {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| Uuid::parse_str(s).map_err(|_| bad(field, Msg::InvalidId)))
            .transpose()
    };
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc));
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                guanxi_core::values::parse_datetime(s, offset).ok_or_else(|| bad(field, Msg::NotDatetime))
            })
            .transpose()
    };
    let limit = match p.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=guanxi_services::audit::MAX_PAGE).contains(&n) => n,
            _ => {
                let e = guanxi_core::FieldError::new("limit", Msg::InvalidLimit)
                    .with("max", guanxi_services::audit::MAX_PAGE);
                return Err(Problem::validation(ctx.locale, &[e]));
            }
        },
    };
    let query = AuditQuery {
        action: p.action.filter(|a| !a.is_empty()),
        actor: uuid("actor", &p.actor)?,
        record_id: uuid("record_id", &p.record_id)?,
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
        before: uuid("cursor", &p.cursor)?,
        limit: limit + 1,
    };
    let mut rows = crm
        .audit(&ctx.actor, &query)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let data: Vec<Value> = rows
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "at": format_datetime(&a.at), "actor": a.actor, "actor_email": a.actor_email, "ip": a.ip,
                "action": a.action, "object": a.object, "record_id": a.record_id,
                "detail": serde_json::from_str::<Value>(&a.detail).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({"data": data, "next_cursor": next})))
}

fn role_json(r: &guanxi_storage::system::RoleRow) -> Value {
    json!({"id": r.id, "name": r.name, "parent": r.parent_id})
}

async fn list_roles(State(crm): State<Crm>, Extension(ctx): Extension<Ctx>) -> Result<Json<Value>, Problem> {
    let roles = crm
        .roles(&ctx.actor)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(
        json!({"data": roles.iter().map(role_json).collect::<Vec<_>>()}),
    ))
}

async fn add_role(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let role = crm
        .add_role(&ctx.actor, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok((StatusCode::CREATED, Json(role_json(&role))))
}

async fn list_users(State(crm): State<Crm>, Extension(ctx): Extension<Ctx>) -> Result<Json<Value>, Problem> {
    // Listing users is administration too (their roles are permission data).
    crm.roles(&ctx.actor)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let users = guanxi_storage::system::users(crm.db())
        .await
        .map_err(|e| Problem::internal(ctx.locale, &e))?;
    let data: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({"id": u.id, "email": u.email, "name": u.name, "is_admin": u.is_admin, "active": u.active,
                   "locale": u.locale, "role": u.role_id, "kind": u.kind, "partner_account": u.partner_account_id})
        })
        .collect();
    Ok(Json(json!({"data": data})))
}

fn access_json(a: &guanxi_services::permissions::ObjectAccess) -> Value {
    let roles: Map<String, Value> = a.roles.iter().map(|(id, p)| (id.to_string(), json!(p))).collect();
    let fields: Map<String, Value> = a
        .fields
        .iter()
        .map(|(id, f)| (id.to_string(), json!(f)))
        .collect();
    json!({"sharing": a.sharing.as_str(), "roles": roles, "fields": fields})
}

async fn get_access(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
) -> Result<Json<Value>, Problem> {
    let object = object_named(&crm, &ctx, &name)?;
    let a = crm
        .object_access(&ctx.actor, &object)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(access_json(&a)))
}

async fn put_access(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_named(&crm, &ctx, &name)?;
    let input = parse_body(ctx.locale, &body)?;
    let a = crm
        .set_object_access(&ctx.actor, &object, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(access_json(&a)))
}

fn layout_json(object: &str, l: &guanxi_services::layouts::Layout) -> Value {
    json!({"object": object, "sections": l.sections})
}

async fn get_layout(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
) -> Result<Json<Value>, Problem> {
    let object = object_named(&crm, &ctx, &name)?;
    let def = crm
        .schema()
        .object(&object)
        .cloned()
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    let layout = crm
        .layout(&def)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(layout_json(&object, &layout)))
}

async fn put_layout(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_named(&crm, &ctx, &name)?;
    let mut input = parse_body(ctx.locale, &body)?;
    // What GET answers may be sent back as it is.
    if let Value::Object(m) = &mut input {
        m.remove("object");
    }
    let layout = crm
        .set_layout(&ctx.actor, &object, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(layout_json(&object, &layout)))
}

/// An object by its name or plural, or 404.
fn object_named(crm: &Crm, ctx: &Ctx, name: &str) -> Result<String, Problem> {
    let schema = crm.schema();
    schema
        .named(name)
        .map(|o| o.name.clone())
        .ok_or_else(|| Problem::not_found(ctx.locale))
}

async fn me(Extension(ctx): Extension<Ctx>) -> Json<Value> {
    Json(json!({
        "id": ctx.actor.user_id,
        "email": ctx.actor.email,
        "is_admin": ctx.actor.is_admin,
        "locale": ctx.locale.tag(),
    }))
}

fn object_json(o: &ObjectDef) -> Value {
    json!({
        "name": o.name,
        "plural": o.plural,
        "label": o.label,
        "plural_label": o.plural_label,
        "custom": o.custom,
        "name_field": o.name_field,
        "path": format!("/api/v1/{}", o.plural),
        "fields": o.fields,
    })
}

/// Metadata as the caller sees it: fields hidden from their role are not there.
async fn meta_objects(State(crm): State<Crm>, Extension(ctx): Extension<Ctx>) -> Json<Value> {
    let schema = crm.schema();
    let data: Vec<Value> = schema
        .objects()
        .iter()
        .map(|o| object_json(&crm.visible_object(&ctx.actor, o)))
        .collect();
    Json(json!({ "data": data }))
}

async fn meta_object(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
) -> Result<Json<Value>, Problem> {
    let schema = crm.schema();
    let o = schema
        .named(&name)
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    Ok(Json(object_json(&crm.visible_object(&ctx.actor, o))))
}

fn parse_body(locale: Locale, body: &Bytes) -> Result<Value, Problem> {
    serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(locale, "body", Msg::InvalidJson, &e.to_string()))
}

fn parse_object_body(locale: Locale, body: &Bytes) -> Result<Map<String, Value>, Problem> {
    match parse_body(locale, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(Problem::bad_request(
            locale,
            "body",
            Msg::InvalidJson,
            "expected a JSON object",
        )),
    }
}

async fn meta_add_object(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let object = crm
        .add_object(&ctx.actor, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok((StatusCode::CREATED, Json(object_json(&object))))
}

async fn meta_add_field(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let schema = crm.schema();
    let object = schema
        .named(&name)
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    let field = crm
        .add_field(&ctx.actor, &object.name, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok((StatusCode::CREATED, Json(json!(field))))
}

/// Changes a field's labels and picklist values; answers with its new definition.
async fn meta_update_field(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((name, field)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let schema = crm.schema();
    // The object by name or plural; an unknown one is the service's 404 (after its
    // administrator check, so a non-administrator learns nothing).
    let object = schema.named(&name).map_or(name, |o| o.name.clone());
    let field = crm
        .update_field(&ctx.actor, &object, &field, input)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(json!(field)))
}

/// The object behind a collection path, or 404.
fn object_for(crm: &Crm, ctx: &Ctx, plural: &str) -> Result<std::sync::Arc<ObjectDef>, Problem> {
    crm.schema()
        .by_plural(plural)
        .cloned()
        .ok_or_else(|| Problem::not_found(ctx.locale))
}

/// The object and record id a `/{plural}/{id}` path names, or 404.
fn record_target(
    crm: &Crm,
    ctx: &Ctx,
    plural: &str,
    id: &str,
) -> Result<(std::sync::Arc<ObjectDef>, Uuid), Problem> {
    Ok((object_for(crm, ctx, plural)?, parse_id(ctx, id)?))
}

/// A record as the answer to a request: 200, its ETag, every field.
fn record_response(crm: &Crm, ctx: &Ctx, object: &ObjectDef, record: &Record) -> Response {
    let keep = shown(crm, ctx, object);
    with_etag(StatusCode::OK, record, record_json(object, record, &keep))
}

/// A service error as the caller's problem+json (in their language).
fn fail(ctx: &Ctx) -> impl Fn(ServiceError) -> Problem + '_ {
    move |e| Problem::from_service(e, ctx.locale, false)
}

fn parse_id(ctx: &Ctx, id: &str) -> Result<Uuid, Problem> {
    // A malformed id names no record: the same answer as a missing one.
    Uuid::parse_str(id).map_err(|_| Problem::not_found(ctx.locale))
}

/// The fields the actor sees of an object (field-level security hides the others).
fn shown(crm: &Crm, ctx: &Ctx, object: &ObjectDef) -> Vec<String> {
    crm.visible_object(&ctx.actor, object)
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect()
}

/// Which fields to show (`fields=name,email`, else every field the actor sees); id and
/// version are always included. A hidden field is as unknown as a missing one.
fn field_selection(ctx: &Ctx, shown: Vec<String>, fields: Option<&str>) -> Result<Vec<String>, Problem> {
    let Some(list) = fields.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(shown);
    };
    let mut out = vec!["id".to_string(), "version".to_string()];
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !shown.iter().any(|f| f == name) {
            let e = guanxi_core::FieldError::new("fields", Msg::UnknownField).with("field", name);
            let mut p = Problem::validation(ctx.locale, &[e]);
            p.detail = format!("fields: {name}: {}", Msg::UnknownField.text(ctx.locale));
            return Err(p);
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// A service error as problem+json, for handlers outside `/api` (the public lead form).
pub(crate) fn problem_response(locale: Locale, e: guanxi_services::ServiceError) -> Response {
    Problem::from_service(e, locale, false).into_response()
}

fn record_json(object: &ObjectDef, record: &Record, keep: &[String]) -> Value {
    let mut map = record.to_json(object);
    map.retain(|k, _| keep.iter().any(|f| f == k));
    Value::Object(map)
}

fn etag(record: &Record) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", record.version())).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(status: StatusCode, record: &Record, body: Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(record));
    res
}

#[derive(Debug, Deserialize)]
struct ListParams {
    filter: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    fields: Option<String>,
    deleted: Option<String>,
}

fn flag(v: Option<&str>) -> bool {
    matches!(v.map(str::trim), Some("true" | "1" | "yes" | "only"))
}

async fn list(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let fields = field_selection(&ctx, shown(&crm, &ctx, &object), params.fields.as_deref())?;
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            Problem::validation(
                ctx.locale,
                &[guanxi_core::FieldError::new("limit", Msg::InvalidLimit)
                    .with("max", guanxi_services::records::MAX_PAGE)],
            )
        })?),
    };
    let q = ListQuery {
        filter: params.filter,
        sort: params.sort,
        cursor: params.cursor,
        limit,
        deleted: flag(params.deleted.as_deref()),
        few: false,
    };
    let page = crm
        .list(&ctx.actor, &object.name, &q)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let data: Vec<Value> = page
        .records
        .iter()
        .map(|r| record_json(&object, r, &fields))
        .collect();
    Ok(Json(json!({"data": data, "next_cursor": page.next_cursor})))
}

#[derive(Debug, Deserialize)]
struct ExportParams {
    format: Option<String>,
    filter: Option<String>,
    sort: Option<String>,
    fields: Option<String>,
    deleted: Option<String>,
    /// A saved view whose filter, sort and columns apply where not given explicitly.
    view: Option<String>,
    /// CSV only: utf-8 (default, with BOM) or gb18030.
    encoding: Option<String>,
}

/// The current list as a CSV or XLSX file (what the list shows, nothing more).
async fn export(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<ExportParams>,
) -> Result<Response, Problem> {
    use guanxi_services::export::Format;
    let object = object_for(&crm, &ctx, &plural)?;
    let format = match params.format.as_deref().map(str::trim) {
        None | Some("") => Format::Csv,
        Some(f) => Format::parse(f).ok_or_else(|| {
            Problem::validation(
                ctx.locale,
                &[guanxi_core::FieldError::new("format", Msg::InvalidFormat)],
            )
        })?,
    };
    let format = format
        .with_encoding(params.encoding.as_deref())
        .map_err(|field| {
            Problem::validation(
                ctx.locale,
                &[guanxi_core::FieldError::new(field, Msg::InvalidFormat)],
            )
        })?;
    let mut params = params;
    if let Some(id) = params.view.as_deref().filter(|v| !v.trim().is_empty()) {
        let id = parse_id(&ctx, id.trim())?;
        let view = crm
            .view(&ctx.actor, id)
            .await
            .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
        if view.object != object.name {
            return Err(Problem::from_service(ServiceError::NotFound, ctx.locale, false));
        }
        params.filter = params.filter.or(view.spec.filter);
        params.sort = params.sort.or(view.spec.sort);
        if params.fields.is_none() && !view.spec.columns.is_empty() {
            params.fields = Some(view.spec.columns.join(","));
        }
    }
    let fields: Option<Vec<String>> = params
        .fields
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|list| {
            list.split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        });
    let q = ListQuery {
        filter: params.filter,
        sort: params.sort,
        cursor: None,
        limit: None,
        deleted: flag(params.deleted.as_deref()),
        few: false,
    };
    let file = crm
        .export(
            &ctx.actor,
            &object.name,
            &q,
            fields.as_deref(),
            format,
            ctx.locale,
        )
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let mut res = (StatusCode::OK, file.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `?assign=true`: the new records without an owner go where the assignment rules say.
#[derive(Debug, Default, Deserialize)]
struct AssignParams {
    assign: Option<String>,
}

/// Runs a write with the assignment rules when the caller asked for them.
async fn maybe_assigned<F: std::future::Future>(params: &AssignParams, f: F) -> F::Output {
    if flag(params.assign.as_deref()) {
        guanxi_services::assignment::with_rules(f).await
    } else {
        f.await
    }
}

async fn create(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<AssignParams>,
    body: Bytes,
) -> Result<Response, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let input = parse_object_body(ctx.locale, &body)?;
    let (record, duplicates) = maybe_assigned(&params, crm.create_checked(&ctx.actor, &object.name, input))
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let keep = shown(&crm, &ctx, &object);
    let mut body = record_json(&object, &record, &keep);
    // A duplicate rule that warns: the record is created and the look-alikes named.
    if !duplicates.is_empty() {
        body["possible_duplicates"] = duplicates.iter().map(|m| m.json(ctx.locale)).collect();
    }
    let mut res = with_etag(StatusCode::CREATED, &record, body);
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "/api/v1/{}/{}",
        object.plural,
        record.id().unwrap_or_default()
    )) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct ReadParams {
    fields: Option<String>,
    deleted: Option<String>,
}

async fn read(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    Query(params): Query<ReadParams>,
) -> Result<Response, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let fields = field_selection(&ctx, shown(&crm, &ctx, &object), params.fields.as_deref())?;
    let record = crm
        .get(&ctx.actor, &object.name, id, flag(params.deleted.as_deref()))
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let mut body = record_json(&object, &record, &fields);
    // A record a merge put in the recycle bin says where it went.
    if record.is_deleted()
        && guanxi_services::dedupe::kind_of(&object).is_some()
        && let Some(m) = crm
            .merged_into(&ctx.actor, &object.name, id)
            .await
            .map_err(|e| Problem::from_service(e, ctx.locale, false))?
    {
        body["merged_into"] = json!({"survivor": m.survivor, "merge": m.id});
    }
    Ok(with_etag(StatusCode::OK, &record, body))
}

/// The version the client read: If-Match (`"3"`, `W/"3"`; `*` for any), else a `version` field.
fn expected_version(
    ctx: &Ctx,
    headers: &HeaderMap,
    body: &mut Map<String, Value>,
) -> Result<(Option<i64>, bool), Problem> {
    let from_body = body.remove("version");
    if let Some(h) = headers.get(header::IF_MATCH) {
        let text = h.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok((None, true));
        }
        let v = text
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i64>()
            .map_err(|_| {
                Problem::validation(
                    ctx.locale,
                    &[guanxi_core::FieldError::new("If-Match", Msg::NotInteger)],
                )
            })?;
        return Ok((Some(v), true));
    }
    match from_body {
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok((n.as_i64(), false)),
        Some(_) => Err(Problem::validation(
            ctx.locale,
            &[guanxi_core::FieldError::new("version", Msg::NotInteger)],
        )),
        None => Err(Problem::from_service(
            ServiceError::PreconditionRequired,
            ctx.locale,
            false,
        )),
    }
}

async fn update(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let mut patch = parse_object_body(ctx.locale, &body)?;
    let (version, if_match) = expected_version(&ctx, &headers, &mut patch)?;
    let change = Change::Update { id, version, patch };
    let mut results = crm
        .apply(&ctx.actor, &object.name, vec![change])
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, if_match))?;
    let (record, _) = results
        .pop()
        .unwrap_or(Err(ServiceError::NotFound))
        .map_err(|e| Problem::from_service(e, ctx.locale, if_match))?;
    Ok(record_response(&crm, &ctx, &object, &record))
}

async fn remove(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let mut none = Map::new();
    let (version, if_match) = match headers.get(header::IF_MATCH) {
        Some(_) => expected_version(&ctx, &headers, &mut none)?,
        None => (None, false),
    };
    let record = crm
        .delete(&ctx.actor, &object.name, id, version)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, if_match))?;
    Ok(record_response(&crm, &ctx, &object, &record))
}

async fn restore(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let record = crm
        .restore(&ctx.actor, &object.name, id)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(record_response(&crm, &ctx, &object, &record))
}

async fn history(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let rows = crm
        .history(&ctx.actor, &object.name, id)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    let data: Vec<Value> = rows
        .iter()
        .map(|h| {
            json!({
                "id": h.id, "operation": h.operation, "field": h.field,
                "old_value": parse(&h.old_value), "new_value": parse(&h.new_value),
                "actor": h.actor, "at": guanxi_core::values::format_datetime(&h.at),
            })
        })
        .collect();
    Ok(Json(json!({"data": data})))
}

async fn bulk(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<AssignParams>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let mut body = parse_object_body(ctx.locale, &body)?;
    let upsert_on = match body.remove("upsert_on") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(Problem::validation(
                ctx.locale,
                &[guanxi_core::FieldError::new("upsert_on", Msg::NotText)],
            ));
        }
    };
    let records = match body.remove("records") {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(Problem::validation(
                ctx.locale,
                &[guanxi_core::FieldError::new("records", Msg::NotList)],
            ));
        }
    };
    if let Some(key) = body.keys().next() {
        return Err(Problem::validation(
            ctx.locale,
            &[guanxi_core::FieldError::new(key, Msg::UnknownField)],
        ));
    }
    let mut inputs = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        match r {
            Value::Object(map) => inputs.push(map),
            _ => {
                let field = format!("records[{i}]");
                return Err(Problem::validation(
                    ctx.locale,
                    &[guanxi_core::FieldError::new(&field, Msg::InvalidJson)
                        .with("reason", "expected an object")],
                ));
            }
        }
    }
    let results = maybe_assigned(
        &params,
        crm.bulk(&ctx.actor, &object.name, inputs, upsert_on.as_deref()),
    )
    .await
    .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(bulk_answer(&ctx, results)))
}

/// One result per input: created or updated with id and version, or the problem.
fn bulk_answer(ctx: &Ctx, results: Vec<guanxi_services::records::ItemResult>) -> Value {
    let (mut created, mut updated, mut failed) = (0, 0, 0);
    let items: Vec<Value> = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Ok((record, outcome)) => {
                match outcome {
                    Outcome::Created => created += 1,
                    _ => updated += 1,
                }
                json!({"index": i, "status": outcome.as_str(), "id": record.id(), "version": record.version()})
            }
            Err(e) => {
                failed += 1;
                json!({"index": i, "status": "error", "problem": Problem::from_service(e, ctx.locale, false).body()})
            }
        })
        .collect();
    json!({"created": created, "updated": updated, "failed": failed, "results": items})
}

/// `POST /api/v1/contacts/vcard`: a vCard stream (3.0 or 4.0) as contacts; a card whose
/// UID is a contact the caller reads updates it. One result per card.
async fn import_vcard(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    if object.name != "contact" {
        return Err(Problem::not_found(ctx.locale));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        Problem::validation(
            ctx.locale,
            &[guanxi_core::FieldError::new("vcard", Msg::InvalidVcard)
                .with("line", 1)
                .with("reason", "not UTF-8")],
        )
    })?;
    let results = crm
        .import_vcards(&ctx.actor, text)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    Ok(Json(bulk_answer(&ctx, results)))
}

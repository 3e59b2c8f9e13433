//! Quotes' approval and ordering, the approvals awaiting the caller, the company's quote
//! settings and the caller's notifications. Pricing itself happens in the record write
//! path (`/api/v1/quote_lines`…). Handlers translate; `guanxi_services::quotes` decides.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use guanxi_core::quote::{ORDER, QUOTE};
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body, parse_id, record_response, shown};

fn quote_only(crm: &Crm, ctx: &Ctx, plural: &str) -> Result<(), Problem> {
    match crm.schema().by_plural(plural) {
        Some(o) if o.name == QUOTE => Ok(()),
        _ => Err(Problem::not_found(ctx.locale)),
    }
}

/// The body's object (an empty body is an empty object).
fn object_body(ctx: &Ctx, body: &Bytes) -> Result<serde_json::Map<String, Value>, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match parse_body(ctx.locale, body)? {
        Value::Object(m) => Ok(m),
        _ => Err(Problem::validation(
            ctx.locale,
            &[FieldError::new("body", Msg::InvalidJson).with("reason", "an object")],
        )),
    }
}

fn comment(ctx: &Ctx, body: &Bytes) -> Result<Option<String>, Problem> {
    match object_body(ctx, body)?.get("comment") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Problem::validation(
            ctx.locale,
            &[FieldError::new("comment", Msg::InvalidJson).with("reason", "a string")],
        )),
    }
}

pub(super) async fn approval(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    quote_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let a = crm.quote_approval(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(json!(a)))
}

async fn answer(
    crm: &Crm,
    ctx: &Ctx,
    object: &str,
    r: &guanxi_core::values::Record,
) -> Result<Response, Problem> {
    let def = crm
        .schema()
        .object(object)
        .cloned()
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    Ok(record_response(crm, ctx, &def, r))
}

/// `{"comment"?}`: asks the owner's managers to approve the quote's discount.
pub(super) async fn submit(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    quote_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let comment = comment(&ctx, &body)?;
    let r = crm
        .submit_quote(&ctx.actor, id, comment.as_deref())
        .await
        .map_err(fail(&ctx))?;
    answer(&crm, &ctx, QUOTE, &r).await
}

/// `{"comment"?}`.
pub(super) async fn approve(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    decide(crm, ctx, plural, id, body, true).await
}

/// `{"comment"}` (required: a rejection says why).
pub(super) async fn reject(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    decide(crm, ctx, plural, id, body, false).await
}

async fn decide(
    crm: Crm,
    ctx: Ctx,
    plural: String,
    id: String,
    body: Bytes,
    approve: bool,
) -> Result<Response, Problem> {
    quote_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let comment = comment(&ctx, &body)?;
    let r = crm
        .decide_quote(&ctx.actor, id, approve, comment.as_deref())
        .await
        .map_err(fail(&ctx))?;
    answer(&crm, &ctx, QUOTE, &r).await
}

/// Makes an order of the quote: 201 with the order.
pub(super) async fn order(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<(StatusCode, Response), Problem> {
    quote_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let r = crm.order_quote(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, answer(&crm, &ctx, ORDER, &r).await?))
}

/// Quotes awaiting the caller's decision.
pub(super) async fn approvals(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let list = crm.approvals(&ctx.actor).await.map_err(fail(&ctx))?;
    let def = crm
        .schema()
        .object(QUOTE)
        .cloned()
        .ok_or_else(|| Problem::not_found(ctx.locale))?;
    let keep = shown(&crm, &ctx, &def);
    let data: Vec<Value> = list.iter().map(|r| super::record_json(&def, r, &keep)).collect();
    Ok(Json(json!({"data": data})))
}

fn settings_json(s: &guanxi_services::quotes::QuoteSettings) -> Value {
    json!({"discount_threshold": s.discount_threshold.normalize().to_string(), "company_name": s.company_name})
}

pub(super) async fn settings(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let s = crm.quote_settings().await.map_err(fail(&ctx))?;
    Ok(Json(settings_json(&s)))
}

/// `{"discount_threshold"?: "15", "company_name"?: "…"}` (administrators).
pub(super) async fn put_settings(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = object_body(&ctx, &body)?;
    let threshold = match input.get("discount_threshold") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(Problem::validation(
                ctx.locale,
                &[FieldError::new("discount_threshold", Msg::NotNumber)],
            ));
        }
    };
    let company = match input.get("company_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Problem::validation(
                ctx.locale,
                &[FieldError::new("company_name", Msg::InvalidJson).with("reason", "a string")],
            ));
        }
    };
    let s = crm
        .set_quote_settings(&ctx.actor, threshold.as_deref(), company.as_deref())
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(settings_json(&s)))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NotificationParams {
    unread: Option<bool>,
}

pub(super) async fn notifications(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<NotificationParams>,
) -> Result<Json<Value>, Problem> {
    let list = crm
        .notifications(&ctx.actor, p.unread.unwrap_or(false))
        .await
        .map_err(fail(&ctx))?;
    let unread = crm.unread_notifications(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": list, "unread": unread})))
}

/// `{"id"?}`: marks one notification read, or all of them.
pub(super) async fn read_notifications(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = object_body(&ctx, &body)?;
    let id = match input.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            uuid::Uuid::parse_str(s)
                .map_err(|_| Problem::validation(ctx.locale, &[FieldError::new("id", Msg::InvalidId)]))?,
        ),
        Some(_) => {
            return Err(Problem::validation(
                ctx.locale,
                &[FieldError::new("id", Msg::InvalidId)],
            ));
        }
    };
    let n = crm.read_notifications(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"read": n})))
}

pub(super) async fn conflict_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let r = crm.conflict_rules().await.map_err(fail(&ctx))?;
    Ok(Json(json!(r)))
}

/// `{"enabled"?, "pairs"?: [["direct", "partner"], …], "partners_conflict"?, "price_tolerance"?}`.
pub(super) async fn put_conflict_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = object_body(&ctx, &body)?;
    let r = crm
        .set_conflict_rules(&ctx.actor, Value::Object(input))
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(r)))
}

/// `{"decision", "resolution"?}`: resolves an open channel conflict (administrators).
pub(super) async fn resolve(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    match crm.schema().by_plural(&plural) {
        Some(o) if o.name == guanxi_core::conflict::OBJECT => {}
        _ => return Err(Problem::not_found(ctx.locale)),
    }
    let id = parse_id(&ctx, &id)?;
    let input = object_body(&ctx, &body)?;
    let text = |k: &str| match input.get(k) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(Problem::validation(
            ctx.locale,
            &[FieldError::new(k, Msg::InvalidJson).with("reason", "a string")],
        )),
    };
    let decision = text("decision")?.unwrap_or_default();
    let note = text("resolution")?;
    let r = crm
        .resolve_conflict(&ctx.actor, id, &decision, note.as_deref())
        .await
        .map_err(fail(&ctx))?;
    answer(&crm, &ctx, guanxi_core::conflict::OBJECT, &r).await
}

//! A contact's channel preferences, consent log and the "may we contact them now?"
//! question over the API.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::channels::Consent;
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::channels::refusal_json;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id};

/// The path's contact (channel preferences are a contact's).
fn contact_id(crm: &Crm, ctx: &Ctx, plural: &str, id: &str) -> Result<Uuid, Problem> {
    let object = object_for(crm, ctx, plural)?;
    if object.name != "contact" {
        return Err(Problem::not_found(ctx.locale));
    }
    parse_id(ctx, id)
}

fn consent_json(c: &Consent) -> Value {
    json!({"channel": c.channel, "granted": c.granted, "source": c.source,
           "at": guanxi_core::values::format_datetime(&c.at)})
}

pub(super) async fn get_preferences(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let id = contact_id(&crm, &ctx, &plural, &id)?;
    let (prefs, _) = crm
        .channel_preferences(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(prefs)))
}

pub(super) async fn put_preferences(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let id = contact_id(&crm, &ctx, &plural, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let prefs = crm
        .set_channel_preferences(&ctx.actor, id, input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(prefs)))
}

pub(super) async fn list_consents(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let id = contact_id(&crm, &ctx, &plural, &id)?;
    let (_, consents) = crm
        .channel_preferences(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": consents.iter().map(consent_json).collect::<Vec<_>>()}),
    ))
}

/// `POST …/consents`: `{"channel", "granted": true|false, "source"}`.
pub(super) async fn add_consent(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let id = contact_id(&crm, &ctx, &plural, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let input = input.as_object().cloned().unwrap_or_default();
    let text = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let Some(granted) = input.get("granted").and_then(Value::as_bool) else {
        return Err(Problem::validation(
            ctx.locale,
            &[FieldError::new("granted", Msg::NotBoolean)],
        ));
    };
    let consent = crm
        .record_consent(&ctx.actor, id, &text("channel"), granted, &text("source"))
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(consent_json(&consent))))
}

#[derive(Debug, Deserialize)]
pub(super) struct Ask {
    channel: Option<String>,
    at: Option<String>,
}

/// `GET …/may-contact?channel=phone[&at=RFC 3339]`: yes, or every reason why not.
pub(super) async fn may_contact(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    Query(ask): Query<Ask>,
) -> Result<Json<Value>, Problem> {
    let id = contact_id(&crm, &ctx, &plural, &id)?;
    let at = match ask.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => crm.now(),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|_| Problem::validation(ctx.locale, &[FieldError::new("at", Msg::NotDatetime)]))?,
    };
    let channel = ask.channel.unwrap_or_default();
    let d = crm
        .may_contact(&ctx.actor, id, &channel, at)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!({
        "channel": d.channel,
        "allowed": d.allowed(),
        "used_this_period": d.used,
        "refusals": d.refusals.iter().map(|r| refusal_json(r, ctx.locale)).collect::<Vec<_>>(),
    })))
}

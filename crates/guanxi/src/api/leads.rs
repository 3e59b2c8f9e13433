//! Leads: what converting a lead would link to (its look-alikes among accounts and
//! contacts), the conversion itself, and the assignment rules that say who owns new ones. Handlers translate; `guanxi_services::leads`
//! decides.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::leads::{Conversion, LEAD};
use serde_json::{Value, json};

use super::{Ctx, Problem, fail, parse_body, parse_id};

fn lead_only(crm: &Crm, ctx: &Ctx, plural: &str) -> Result<(), Problem> {
    match crm.schema().by_plural(plural) {
        Some(o) if o.name == LEAD => Ok(()),
        _ => Err(Problem::not_found(ctx.locale)),
    }
}

pub(super) async fn plan(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    lead_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let p = crm.conversion_plan(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(json!({
        "account": p.account,
        "contact": p.contact,
        "accounts": p.accounts.iter().map(|m| m.json(ctx.locale)).collect::<Vec<_>>(),
        "contacts": p.contacts.iter().map(|m| m.json(ctx.locale)).collect::<Vec<_>>(),
        "opportunity": p.opportunity,
    })))
}

/// `{"account": "auto"|"new"|id, "contact": …, "opportunity": false | {fields}}`; without
/// `opportunity` one is opened with the lead's defaults.
pub(super) async fn convert(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    lead_only(&crm, &ctx, &plural)?;
    let id = parse_id(&ctx, &id)?;
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        parse_body(ctx.locale, &body)?
    };
    let Some(input) = input.as_object() else {
        return Err(Problem::validation(
            ctx.locale,
            &[FieldError::new("body", Msg::InvalidJson).with("reason", "an object")],
        ));
    };
    let text = |name: &str| match input.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let mut errors = Vec::new();
    let opportunity = match input.get("opportunity") {
        None => Some(serde_json::Map::new()),
        Some(Value::Bool(false)) | Some(Value::Null) => None,
        Some(Value::Bool(true)) => Some(serde_json::Map::new()),
        Some(Value::Object(o)) => Some(o.clone()),
        Some(_) => {
            errors
                .push(FieldError::new("opportunity", Msg::InvalidJson).with("reason", "false or an object"));
            None
        }
    };
    let how = Conversion::from_choices(
        text("account").as_deref(),
        text("contact").as_deref(),
        opportunity,
    );
    let how = match how {
        Ok(how) if errors.is_empty() => how,
        Ok(_) => return Err(Problem::validation(ctx.locale, &errors)),
        Err(mut more) => {
            more.extend(errors);
            return Err(Problem::validation(ctx.locale, &more));
        }
    };
    let done = crm.convert_lead(&ctx.actor, id, how).await.map_err(fail(&ctx))?;
    let schema = crm.schema();
    let json_of = |object: &str, r: &guanxi_core::values::Record| {
        schema
            .object(object)
            .map(|o| Value::Object(r.to_json(o)))
            .unwrap_or(Value::Null)
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "lead": json_of("lead", &done.lead),
            "account": done.account.as_ref().map(|(r, _)| json_of("account", r)),
            "account_created": done.account.as_ref().is_some_and(|(_, c)| *c),
            "contact": json_of("contact", &done.contact.0),
            "contact_created": done.contact.1,
            "opportunity": done.opportunity.as_ref().map(|r| json_of("opportunity", r)),
        })),
    ))
}

pub(super) async fn list_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    let rules = crm.assignment_rules(&ctx.actor).await.map_err(fail(&ctx))?;
    Ok(Json(json!({"data": rules})))
}

pub(super) async fn add_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm
        .save_assignment_rule(&ctx.actor, None, input)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(json!(rule))))
}

pub(super) async fn put_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm
        .save_assignment_rule(&ctx.actor, Some(id), input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!(rule)))
}

pub(super) async fn delete_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&ctx, &id)?;
    crm.delete_assignment_rule(&ctx.actor, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

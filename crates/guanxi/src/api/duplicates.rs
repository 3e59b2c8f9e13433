//! Duplicates: the groups of an object, the look-alikes of one record, the rules per
//! object, and merges (with undo). Handlers only translate; `guanxi_services::dedupe`
//! and `merge` decide.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use guanxi_core::{FieldError, Msg};
use guanxi_services::Crm;
use guanxi_services::dedupe::{DuplicateRule, Group, kind_of};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Ctx, Problem, fail, object_for, parse_body, parse_id, record_target};

#[derive(Debug, Deserialize)]
pub(super) struct GroupParams {
    threshold: Option<String>,
}

pub(super) fn groups_json(groups: &[Group], ctx: &Ctx) -> Value {
    groups
        .iter()
        .enumerate()
        .map(|(n, g)| {
            json!({
                "group": n + 1,
                "members": g.members.iter().map(|m| m.json(ctx.locale)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

pub(super) async fn list_groups(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    Query(params): Query<GroupParams>,
) -> Result<Json<Value>, Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let threshold = match params.threshold.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => match t.parse::<u8>() {
            Ok(n @ 1..=100) => Some(n),
            _ => {
                return Err(Problem::bad_request(
                    ctx.locale,
                    "threshold",
                    Msg::DupRuleBadThreshold,
                    t,
                ));
            }
        },
    };
    let groups = crm
        .duplicate_groups(&ctx.actor, &object.name, threshold)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(json!({"data": groups_json(&groups, &ctx)})))
}

pub(super) async fn of_record(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let matches = crm
        .duplicates_of(&ctx.actor, &object.name, id)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(
        json!({"data": matches.iter().map(|m| m.json(ctx.locale)).collect::<Vec<_>>()}),
    ))
}

fn rule_json(r: &DuplicateRule) -> Value {
    json!(r)
}

/// The rule of each object duplicate detection covers (stored or default).
pub(super) async fn list_rules(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Value>, Problem> {
    // Administrators only, as for every rule.
    crm.duplicate_rules(&ctx.actor).await.map_err(fail(&ctx))?;
    let mut out = Vec::new();
    for o in crm.schema().objects() {
        if kind_of(o).is_some() {
            out.push(rule_json(&crm.duplicate_rule(&o.name).await.map_err(fail(&ctx))?));
        }
    }
    Ok(Json(json!({"data": out})))
}

pub(super) async fn put_rule(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(object): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let input = parse_body(ctx.locale, &body)?;
    let rule = crm
        .set_duplicate_rule(&ctx.actor, &object, &input)
        .await
        .map_err(fail(&ctx))?;
    Ok(Json(rule_json(&rule)))
}

/// A merge request: the survivor, the records merged into it, whose value each field keeps.
type MergeInput = (Uuid, Vec<Uuid>, BTreeMap<String, Uuid>);

/// `{survivor, merged: [ids], fields: {field: id}}`, each bad member named.
fn merge_input(ctx: &Ctx, body: &Value) -> Result<MergeInput, Problem> {
    let uuid = |v: &Value| v.as_str().and_then(|s| Uuid::parse_str(s.trim()).ok());
    let mut errors = Vec::new();
    let survivor = uuid(&body["survivor"]);
    if survivor.is_none() {
        errors.push(FieldError::new("survivor", Msg::InvalidId));
    }
    let merged: Option<Vec<Uuid>> = body["merged"]
        .as_array()
        .and_then(|a| a.iter().map(uuid).collect());
    if merged.is_none() {
        errors.push(FieldError::new("merged", Msg::InvalidId));
    }
    let mut fields = BTreeMap::new();
    match &body["fields"] {
        Value::Null => {}
        Value::Object(m) => {
            for (k, v) in m {
                match uuid(v) {
                    Some(id) => {
                        fields.insert(k.clone(), id);
                    }
                    None => errors.push(FieldError::new(&format!("fields.{k}"), Msg::InvalidId)),
                }
            }
        }
        _ => errors.push(FieldError::new("fields", Msg::InvalidJson)),
    }
    match (survivor, merged) {
        (Some(s), Some(m)) if errors.is_empty() => Ok((s, m, fields)),
        _ => Err(Problem::validation(ctx.locale, &errors)),
    }
}

pub(super) async fn merge(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(plural): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let object = object_for(&crm, &ctx, &plural)?;
    let input = parse_body(ctx.locale, &body)?;
    let (survivor, merged, fields) = merge_input(&ctx, &input)?;
    let merge = crm
        .merge(&ctx.actor, &object.name, survivor, &merged, &fields)
        .await
        .map_err(fail(&ctx))?;
    Ok((StatusCode::CREATED, Json(merge.json())))
}

pub(super) async fn read_merge(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let merge = crm.merge_record(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(merge.json()))
}

pub(super) async fn undo_merge(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = parse_id(&ctx, &id)?;
    let merge = crm.undo_merge(&ctx.actor, id).await.map_err(fail(&ctx))?;
    Ok(Json(merge.json()))
}

//! Lookup fields on forms: people type a name, not an id. The page script offers the
//! readable records whose name starts with what was typed (`/o/{plural}/lookup?q=`) and
//! keeps the picked record's id beside the name; without the script, or when the name
//! was typed by hand, the server finds the one readable record of that name.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use guanxi_core::metadata::FieldType;
use guanxi_core::values::Value;
use guanxi_core::{FieldDef, FieldError, Msg, ObjectDef};
use guanxi_services::records::ListQuery;
use guanxi_services::{Crm, ServiceError};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::pages::field_value;
use super::{Viewer, failure, signed_in};

/// Suggestions offered at most.
const SUGGESTIONS: usize = 10;

#[derive(Debug, Deserialize)]
pub(super) struct Typed {
    q: Option<String>,
}

/// The record's name as text (its name field), if it has one.
fn name_of(object: &ObjectDef, record: &guanxi_core::values::Record) -> Option<String> {
    match field_value(object, record, &object.name_field) {
        Value::Text(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// `GET /o/{plural}/lookup?q=…`: up to ten readable records whose name starts with `q`.
pub(super) async fn suggest(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Query(typed): Query<Typed>,
) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Forms know a lookup's target by its object name; links use the plural.
    let schema = crm.schema();
    let Some(object) = schema.named(&plural).cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let q = typed.q.unwrap_or_default();
    let q = q.trim();
    if q.is_empty() {
        return axum::Json(json!([])).into_response();
    }
    let query = ListQuery {
        filter: Some(format!(
            "{} starts_with {}",
            object.name_field,
            guanxi_core::query::quote(q)
        )),
        sort: Some(object.name_field.clone()),
        cursor: None,
        limit: Some(SUGGESTIONS),
        deleted: false,
        few: false,
    };
    // A name field that cannot be sorted by is still searched, in id order.
    let page = match crm.list(&v.actor, &object.name, &query).await {
        Err(ServiceError::Validation(_)) => {
            let unsorted = ListQuery { sort: None, ..query };
            crm.list(&v.actor, &object.name, &unsorted).await
        }
        other => other,
    };
    match page {
        Ok(page) => {
            let found: Vec<Json> = page
                .records
                .iter()
                .filter_map(|r| Some(json!({"id": r.id()?, "name": name_of(&object, r)?})))
                .collect();
            axum::Json(Json::Array(found)).into_response()
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// Turns the names typed into lookup fields into the ids the write path takes: the id the
/// page script kept (if its record still has that name), an id typed as such, or the one
/// readable record of that name. Returns the problems, each for its field.
pub(super) async fn resolve(
    crm: &Crm,
    v: &Viewer,
    fields: &[FieldDef],
    form: &HashMap<String, String>,
    input: &mut Map<String, Json>,
) -> Vec<FieldError> {
    let schema = crm.schema();
    let mut errors = Vec::new();
    for f in fields.iter().filter(|f| f.field_type == FieldType::Lookup) {
        let Some(Json::String(text)) = input.get(&f.name).cloned() else {
            continue;
        };
        if Uuid::parse_str(&text).is_ok() {
            continue;
        }
        let Some(target) = f.target.as_deref().and_then(|t| schema.object(t)).cloned() else {
            continue;
        };
        let kept = form
            .get(&format!("{}.id", f.name))
            .and_then(|id| Uuid::parse_str(id.trim()).ok());
        if let Some(id) = kept
            && let Ok(r) = crm.get(&v.actor, &target.name, id, false).await
            && name_of(&target, &r).as_deref() == Some(text.as_str())
        {
            input.insert(f.name.clone(), Json::String(id.to_string()));
            continue;
        }
        let q = ListQuery {
            filter: Some(format!(
                "{} eq {}",
                target.name_field,
                guanxi_core::query::quote(&text)
            )),
            sort: None,
            cursor: None,
            limit: Some(2),
            deleted: false,
            few: false,
        };
        match crm.list(&v.actor, &target.name, &q).await {
            Ok(page) => match page.records.as_slice() {
                [one] => {
                    input.insert(
                        f.name.clone(),
                        Json::String(one.id().unwrap_or_default().to_string()),
                    );
                }
                [] => errors.push(FieldError::new(&f.name, Msg::LookupNotFound)),
                _ => errors.push(FieldError::new(&f.name, Msg::LookupAmbiguous)),
            },
            Err(_) => errors.push(FieldError::new(&f.name, Msg::LookupNotFound)),
        }
    }
    errors
}

/// The names of the records with these ids the viewer may read (a list's lookup column).
pub(super) async fn names(crm: &Crm, v: &Viewer, target: &ObjectDef, ids: &[Uuid]) -> HashMap<Uuid, String> {
    crm.names_of(&v.actor, &target.name, ids)
        .await
        .unwrap_or_default()
}

/// Form values with each lookup's id replaced by its record's name (the id kept beside it
/// as `{field}.id`), for the records the viewer may read.
pub(super) async fn named(
    crm: &Crm,
    v: &Viewer,
    fields: &[FieldDef],
    values: &HashMap<String, String>,
) -> HashMap<String, String> {
    let schema = crm.schema();
    let mut out = values.clone();
    for f in fields.iter().filter(|f| f.field_type == FieldType::Lookup) {
        let Some(id) = values.get(&f.name).and_then(|s| Uuid::parse_str(s.trim()).ok()) else {
            continue;
        };
        let Some(target) = f.target.as_deref().and_then(|t| schema.object(t)) else {
            continue;
        };
        out.insert(format!("{}.id", f.name), id.to_string());
        if let Ok(r) = crm.get(&v.actor, &target.name, id, false).await
            && let Some(name) = name_of(target, &r)
        {
            out.insert(f.name.clone(), name);
        }
    }
    out
}

//! `GET /api/v1/accounts/{id}/360` and `/contacts/{id}/360`: one customer, one view.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use guanxi_core::values::format_datetime;
use guanxi_services::Crm;
use serde_json::{Value, json};

use super::{Ctx, Problem, record_json, record_target, shown};

pub(super) async fn view_360(
    State(crm): State<Crm>,
    Extension(ctx): Extension<Ctx>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let (object, id) = record_target(&crm, &ctx, &plural, &id)?;
    let view = crm
        .customer_360(&ctx.actor, &object.name, id)
        .await
        .map_err(|e| Problem::from_service(e, ctx.locale, false))?;
    let schema = crm.schema();
    // Each record as the asker sees its object (hidden fields are not there).
    let as_json = |name: &str, r: &guanxi_core::values::Record| match schema.object(name) {
        Some(o) => record_json(o, r, &shown(&crm, &ctx, o)),
        None => Value::Null,
    };
    let many = |name: &str, rs: &[guanxi_core::values::Record]| {
        rs.iter().map(|r| as_json(name, r)).collect::<Vec<_>>()
    };
    let timeline: Vec<Value> = view
        .timeline
        .iter()
        .map(|i| {
            let mut entry = as_json(i.object, &i.record);
            if let Value::Object(m) = &mut entry {
                m.insert("kind".into(), json!(i.object));
                m.insert("at".into(), json!(format_datetime(&i.at)));
            }
            entry
        })
        .collect();
    Ok(Json(json!({
        "object": view.object.name,
        "record": as_json(&view.object.name, &view.record),
        "contacts": many("contact", &view.contacts),
        "reports_to": view.reports_to.as_ref().map(|r| as_json("contact", r)),
        "direct_reports": many("contact", &view.direct_reports),
        "timeline": timeline,
        "open_opportunities": many("opportunity", &view.open_opportunities),
        "open_cases": many("case", &view.open_cases),
        "lifetime_value": view.lifetime_value.iter()
            .map(|(currency, amount)| json!({"currency": currency, "amount": amount.to_string()}))
            .collect::<Vec<_>>(),
        "last_contact": view.last_contact.as_ref().map(format_datetime),
        "next_contact": view.next_contact.as_ref().map(format_datetime),
    })))
}

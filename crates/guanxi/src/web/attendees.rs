//! Attendees on an activity's page: who takes part (colleagues and the customer's
//! people) with their replies, a form to invite one more, and the viewer's own reply when
//! invited. Works without JavaScript; the write path checks each invitation.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::Record;
use guanxi_core::values::field_id as id_of;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_services::attendees::OBJECT;
use guanxi_services::records::{Change, ListQuery};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde_json::{Map, json};
use uuid::Uuid;

use super::pages::{t, text_of as text};
use super::{Viewer, failure, posted_record_of};

type Fields = HashMap<String, String>;

/// How many contacts of the activity's customer the invite form offers.
const CONTACT_CHOICES: usize = 200;

/// The attendees card of an activity's page.
pub(super) async fn card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    record: &Record,
    errors: &[FieldError],
) -> Result<Option<Markup>, ServiceError> {
    if object.name != "activity" {
        return Ok(None);
    }
    let l = v.locale;
    let Some(id) = record.id() else { return Ok(None) };
    let schema = crm.schema();
    let Some(def) = schema.object(OBJECT).cloned() else {
        return Ok(None);
    };
    let q = ListQuery {
        filter: Some(format!("activity eq '{id}'")),
        limit: Some(500),
        ..Default::default()
    };
    let attendees = crm.list(&v.actor, OBJECT, &q).await?.records;
    let users = guanxi_storage::system::users(crm.db()).await?;
    let invited: Vec<Uuid> = attendees.iter().filter_map(|a| id_of(&def, a, "user")).collect();
    let colleagues: Vec<(Uuid, String)> = users
        .iter()
        .filter(|u| {
            u.active && u.kind == "internal" && !invited.contains(&u.id) && record.owner() != Some(u.id)
        })
        .map(|u| (u.id, u.name.clone()))
        .collect();
    // The customer's people: the activity's account's contacts, or its contact.
    let contacts: Vec<(Uuid, String)> =
        match (id_of(object, record, "account"), id_of(object, record, "contact")) {
            (Some(account), _) => {
                let q = ListQuery {
                    filter: Some(format!("account eq '{account}'")),
                    limit: Some(CONTACT_CHOICES),
                    ..Default::default()
                };
                let Some(contact) = schema.object("contact") else {
                    return Ok(None);
                };
                crm.list(&v.actor, "contact", &q)
                    .await?
                    .records
                    .iter()
                    .filter_map(|c| Some((c.id()?, text(contact, c, "name"))))
                    .collect()
            }
            (None, Some(c)) => crm
                .names_of(&v.actor, "contact", &[c])
                .await?
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
    let response = def.field("response");
    let label = |name: &str| def.field(name).map(|f| f.label.get(l)).unwrap_or("");
    let base = format!("/o/activities/{id}/attendees");
    let e_user = errors.iter().find(|e| e.field == "user" || e.field == "contact");
    let other: Vec<&FieldError> = errors
        .iter()
        .filter(|e| e.field != "user" && e.field != "contact")
        .collect();
    Ok(Some(html! {
        section.card.attendees aria-labelledby="attendees" {
            h2 #attendees { (t(l, Msg::UiAttendees)) }
            @for e in &other { p.error role="alert" { (e.message(l)) } }
            @if attendees.is_empty() {
                p.hint { (t(l, Msg::UiNoAttendees)) }
            } @else {
                ul {
                    @for a in &attendees {
                        @let aid = a.id().unwrap_or_default();
                        @let mine = id_of(&def, a, "user") == Some(v.actor.user_id);
                        li {
                            (text(&def, a, "name"))
                            @if id_of(&def, a, "contact").is_some() { " (" (label("contact")) ")" }
                            " · " (response.map(|f| f.option_label(&text(&def, a, "response"), l).to_string()).unwrap_or_default())
                            @if mine {
                                form.inline method="post" action=(base) {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    input type="hidden" name="attendee" value=(aid);
                                    input type="hidden" name="action" value="respond";
                                    span { (t(l, Msg::UiYourResponse)) ": " }
                                    @for answer in ["accepted", "tentative", "declined"] {
                                        button type="submit" name="response" value=(answer) {
                                            (response.map(|f| f.option_label(answer, l).to_string()).unwrap_or_default())
                                        }
                                    }
                                }
                            }
                            form.inline method="post" action=(base) {
                                input type="hidden" name="csrf" value=(v.csrf);
                                input type="hidden" name="attendee" value=(aid);
                                input type="hidden" name="action" value="remove";
                                button.linkish type="submit" aria-label={ (t(l, Msg::UiRemoveLine)) " " (text(&def, a, "name")) } {
                                    (t(l, Msg::UiRemoveLine))
                                }
                            }
                        }
                    }
                }
            }
            form.admin-form method="post" action=(base) novalidate {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="action" value="add";
                div.field {
                    label for="attendee-user" { (label("user")) }
                    select #attendee-user name="user" aria-invalid=[e_user.map(|_| "true")]
                        aria-describedby=[e_user.map(|_| "attendee-error")] {
                        option value="" { "—" }
                        @for (uid, name) in &colleagues { option value=(uid) { (name) } }
                    }
                }
                div.field {
                    label for="attendee-contact" { (label("contact")) }
                    select #attendee-contact name="contact" aria-invalid=[e_user.map(|_| "true")] {
                        option value="" { "—" }
                        @for (cid, name) in &contacts { option value=(cid) { (name) } }
                    }
                }
                div.field.check {
                    input #attendee-optional type="checkbox" name="optional" value="on";
                    label for="attendee-optional" { (label("optional")) }
                }
                @if let Some(e) = e_user { p.error #attendee-error { (e.message(l)) } }
                div.actions { button.primary type="submit" { (t(l, Msg::UiAddAttendee)) } }
            }
        }
    }))
}

/// `POST /o/activities/{id}/attendees`: invite (`add`), `remove`, or the viewer's reply
/// (`respond`).
pub(super) async fn act(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let (v, object, id) = match posted_record_of(&crm, &headers, (&plural, &id), &form, &["activity"]).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let pick = |k: &str| form.get(k).and_then(|s| Uuid::parse_str(s.trim()).ok());
    let change = match form.get("action").map(String::as_str) {
        Some("add") => {
            let mut m = Map::new();
            m.insert("activity".into(), json!(id));
            m.insert("user".into(), json!(pick("user")));
            m.insert("contact".into(), json!(pick("contact")));
            m.insert(
                "optional".into(),
                json!(form.get("optional").is_some_and(|o| o == "on")),
            );
            Change::Create(m)
        }
        Some("remove") => match pick("attendee") {
            Some(a) => Change::Delete { id: a, version: None },
            None => return failure(ServiceError::NotFound, v.locale, Some(&v)),
        },
        Some("respond") => match pick("attendee") {
            Some(a) => {
                let mut m = Map::new();
                m.insert(
                    "response".into(),
                    json!(form.get("response").cloned().unwrap_or_default()),
                );
                Change::Update {
                    id: a,
                    version: None,
                    patch: m,
                }
            }
            None => return failure(ServiceError::NotFound, v.locale, Some(&v)),
        },
        _ => return failure(ServiceError::NotFound, v.locale, Some(&v)),
    };
    match crm.apply_one(&v.actor, OBJECT, change).await {
        Ok(_) => Redirect::to(&format!("/o/activities/{id}")).into_response(),
        Err(ServiceError::Validation(errors)) => super::record::refused(&crm, &v, &object, id, &errors).await,
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! Who takes part in an activity besides its owner: colleagues (users) and the
//! customer's people (contacts), each with their response. An activity is on each
//! attending colleague's calendar and feed as well as its owner's, and a feed lists its
//! organizer and attendees (with their email where known) as calendar clients expect.

use std::collections::{HashMap, HashSet};

use guanxi_core::ical::Attendee;
use guanxi_core::values::Value;
use guanxi_core::values::{field as value, field_id as id_of};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::records as store;
use guanxi_storage::{Tx, system};
use uuid::Uuid;

use crate::records::{ListQuery, Planned};
use crate::{Actor, Crm, ServiceError};

pub const OBJECT: &str = "activity_attendee";
/// Ids per filter: a filter is at most 4,000 characters and an id takes about 40.
const IDS_PER_QUERY: usize = 60;

fn quoted(ids: &[Uuid]) -> String {
    ids.iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Crm {
    /// The write path's step for attendees: one colleague or one contact each, once per
    /// activity, named after them, awaiting their reply until they give it.
    pub(crate) async fn check_attendees(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        if object.name != OBJECT {
            return Ok(());
        }
        let at = |name: &str| object.fields.iter().position(|f| f.name == name);
        let (Some(i_name), Some(i_response)) = (at("name"), at("response")) else {
            return Ok(());
        };
        let (_, contacts) = self.object("contact")?;
        let users: HashMap<Uuid, String> = system::users(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        // Who attends each activity already, and who this batch adds.
        let mut taken: HashMap<Uuid, Vec<(Uuid, Uuid)>> = HashMap::new();
        for plan in plans.iter_mut() {
            let Ok(p) = plan else { continue };
            let Some(after) = p.after() else { continue };
            let (user, contact) = (id_of(object, &after, "user"), id_of(object, &after, "contact"));
            let who = match (user, contact) {
                (Some(u), None) => u,
                (None, Some(c)) => c,
                _ => {
                    *plan = Err(ServiceError::Validation(vec![FieldError::new(
                        "user",
                        Msg::AttendeeWho,
                    )]));
                    continue;
                }
            };
            let Some(activity) = id_of(object, &after, "activity") else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = taken.entry(activity) {
                let present = store::live_children(tx, object, "activity", activity)
                    .await?
                    .iter()
                    .filter_map(|a| {
                        let who = id_of(object, a, "user").or(id_of(object, a, "contact"))?;
                        Some((who, a.id()?))
                    })
                    .collect();
                slot.insert(present);
            }
            let me = after.id().unwrap_or_default();
            let list = taken.entry(activity).or_default();
            if list.iter().any(|(w, id)| *w == who && *id != me) {
                let field = if user.is_some() { "user" } else { "contact" };
                *plan = Err(ServiceError::Validation(vec![FieldError::new(
                    field,
                    Msg::AttendeeTwice,
                )]));
                continue;
            }
            list.push((who, me));
            let name = match user {
                Some(u) => users.get(&u).cloned(),
                None => store::get_in(tx, &contacts, who).await?.and_then(|c| {
                    match value(&contacts, &c, "name") {
                        Value::Text(n) => Some(n.clone()),
                        _ => None,
                    }
                }),
            };
            if let (Some(name), Ok(p)) = (name, &mut *plan) {
                p.set(i_name, Value::Text(name));
                if after.values[i_response].is_null() {
                    p.set(i_response, Value::Text("needs_action".into()));
                }
            }
        }
        Ok(())
    }

    /// The activities (ids) these users attend without owning them, as the actor may read.
    pub(crate) async fn attended_by(&self, actor: &Actor, users: &[Uuid]) -> Result<Vec<Uuid>, ServiceError> {
        let (_, def) = self.object(OBJECT)?;
        let mut out = HashSet::new();
        for chunk in users.chunks(IDS_PER_QUERY) {
            let mut cursor = None;
            loop {
                let q = ListQuery {
                    filter: Some(format!("user in ({}) and response ne 'declined'", quoted(chunk))),
                    cursor: cursor.take(),
                    limit: Some(crate::records::MAX_PAGE),
                    ..Default::default()
                };
                let page = self.list(actor, OBJECT, &q).await?;
                out.extend(page.records.iter().filter_map(|a| id_of(&def, a, "activity")));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// The attendees of each of these activities, as calendar clients list them.
    pub(crate) async fn attendees_of(
        &self,
        actor: &Actor,
        activities: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Attendee>>, ServiceError> {
        let (_, def) = self.object(OBJECT)?;
        let (_, contacts) = self.object("contact")?;
        let users: HashMap<Uuid, (String, String)> = system::users(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, (u.name, u.email)))
            .collect();
        let mut rows = Vec::new();
        for chunk in activities.chunks(IDS_PER_QUERY) {
            let q = ListQuery {
                filter: Some(format!("activity in ({})", quoted(chunk))),
                limit: Some(crate::records::MAX_PAGE),
                ..Default::default()
            };
            rows.extend(self.list(actor, OBJECT, &q).await?.records);
        }
        let contact_ids: Vec<Uuid> = rows.iter().filter_map(|a| id_of(&def, a, "contact")).collect();
        let mut emails: HashMap<Uuid, String> = HashMap::new();
        for c in store::get_many(self.db(), &contacts, &contact_ids).await? {
            if let (Some(id), Value::Text(e)) = (c.id(), value(&contacts, &c, "email")) {
                emails.insert(id, e.clone());
            }
        }
        let mut out: HashMap<Uuid, Vec<Attendee>> = HashMap::new();
        for a in &rows {
            let Some(activity) = id_of(&def, a, "activity") else {
                continue;
            };
            let name = match value(&def, a, "name") {
                Value::Text(n) => n.clone(),
                _ => String::new(),
            };
            let (who, email) = match (id_of(&def, a, "user"), id_of(&def, a, "contact")) {
                (Some(u), _) => (u, users.get(&u).map(|(_, e)| e.clone())),
                (None, Some(c)) => (c, emails.get(&c).cloned()),
                _ => continue,
            };
            let response = match value(&def, a, "response") {
                Value::Text(r) => r.clone(),
                _ => "needs_action".into(),
            };
            out.entry(activity).or_default().push(Attendee {
                id: who,
                name,
                email,
                response,
                optional: matches!(value(&def, a, "optional"), Value::Bool(true)),
            });
        }
        Ok(out)
    }
}

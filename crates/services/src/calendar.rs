//! Calendars: the activities of a user (or of their team) between two times, read with
//! that user's permissions — for the calendar page and for iCalendar feeds. A feed lives at
//! a secret URL (`/ical/{secret}.ics`) a user makes for themselves and can revoke; only a
//! hash of the secret is stored, so a leaked database does not leak feeds.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use guanxi_core::ical::{self, Event};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::system::{self, Definition};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::identity::{random_secret, token_hash};
use crate::records::ListQuery;
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_calendar_feeds";
/// Most activities one read returns; beyond it the reader is told only these are shown.
pub const CAP: usize = 2000;
/// Owners per query: a filter is at most 4,000 characters and an id takes about 40.
const OWNERS_PER_QUERY: usize = 60;
/// What a feed covers: from this many days back to this many ahead.
pub const FEED_DAYS_BACK: i64 = 30;
pub const FEED_DAYS_AHEAD: i64 = 180;

/// Whose activities a feed carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Mine,
    Team,
}

/// A calendar feed as its owner sees it (the secret only once, when made).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Feed {
    #[serde(default)]
    pub id: Uuid,
    pub user: Uuid,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
}

fn stored(d: &Definition) -> Option<Feed> {
    let mut f: Feed = serde_json::from_str(&d.definition).ok()?;
    f.id = d.id;
    Some(f)
}

impl Crm {
    /// The activities of `owners` the actor may read that start (or run) between `from`
    /// and `until`, or are due on a day in `[first, end)` without a time; and whether
    /// there were more than `CAP`.
    pub async fn activities_between(
        &self,
        actor: &Actor,
        owners: &[Uuid],
        (from, until): (&str, &str),
        (first, end): (NaiveDate, NaiveDate),
    ) -> Result<(Vec<Record>, bool), ServiceError> {
        let (_, full) = self.object("activity")?;
        // Filters see only the fields the reader sees: a hidden date field is left out.
        let visible = self.visible_object(actor, &full);
        let has = |name: &str| visible.field(name).is_some();
        let sort_by = |name: &str| {
            visible
                .field(name)
                .filter(|f| f.indexed)
                .map_or("id".to_string(), |f| f.name.clone())
        };
        let mut wanted: Vec<(String, String)> = Vec::new();
        if has("starts_at") {
            let runs_in = if has("ends_at") {
                format!(" or ends_at gt '{from}'")
            } else {
                String::new()
            };
            wanted.push((
                format!("starts_at lt '{until}' and (starts_at gte '{from}'{runs_in})"),
                sort_by("starts_at"),
            ));
        }
        if has("due_date") {
            let untimed = if has("starts_at") {
                "starts_at is_null and "
            } else {
                ""
            };
            wanted.push((
                format!("{untimed}due_date gte '{first}' and due_date lt '{end}'"),
                sort_by("due_date"),
            ));
        }
        let mut out = Vec::new();
        for chunk in owners.chunks(OWNERS_PER_QUERY) {
            let who = chunk
                .iter()
                .map(|u| format!("'{u}'"))
                .collect::<Vec<_>>()
                .join(", ");
            for (when, sort) in &wanted {
                let mut cursor = None;
                loop {
                    if out.len() > CAP {
                        break;
                    }
                    let q = ListQuery {
                        filter: Some(format!("owner in ({who}) and {when}")),
                        sort: Some(sort.clone()),
                        cursor: cursor.take(),
                        limit: Some((CAP + 1 - out.len()).min(500)),
                        deleted: false,
                        few: false,
                    };
                    let page = self.list(actor, &full.name, &q).await?;
                    out.extend(page.records);
                    match page.next_cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
            }
        }
        // What they attend without owning it is on their calendars too.
        let mut seen: std::collections::HashSet<Uuid> = out.iter().filter_map(Record::id).collect();
        let attended: Vec<Uuid> = self
            .attended_by(actor, owners)
            .await?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        for chunk in attended.chunks(OWNERS_PER_QUERY) {
            let ids = chunk
                .iter()
                .map(|u| format!("'{u}'"))
                .collect::<Vec<_>>()
                .join(", ");
            for (when, sort) in &wanted {
                let q = ListQuery {
                    filter: Some(format!("id in ({ids}) and {when}")),
                    sort: Some(sort.clone()),
                    limit: Some(crate::records::MAX_PAGE),
                    ..Default::default()
                };
                for r in self.list(actor, &full.name, &q).await?.records {
                    if r.id().is_some_and(|id| seen.insert(id)) {
                        out.push(r);
                    }
                }
            }
        }
        let capped = out.len() > CAP;
        out.truncate(CAP);
        Ok((out, capped))
    }

    /// Makes a feed for the actor; answers it with its secret, shown this once.
    pub async fn create_calendar_feed(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<(Feed, String), ServiceError> {
        if actor.kind != guanxi_core::access::UserKind::Internal {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let secret = random_secret(24);
        let feed = Feed {
            id: Uuid::now_v7(),
            user: actor.user_id,
            scope,
            created_at: self.now(),
        };
        let d = Definition {
            id: feed.id,
            name: token_hash(&secret),
            object: None,
            definition: serde_json::to_string(&feed).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::json!({"feed": feed.id, "scope": scope});
        self.save_definition(actor, TABLE, &d, "calendar.feed.create", detail)
            .await?;
        Ok((feed, secret))
    }

    /// The actor's own feeds.
    pub async fn calendar_feeds(&self, actor: &Actor) -> Result<Vec<Feed>, ServiceError> {
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .filter(|f| f.user == actor.user_id)
            .collect())
    }

    /// Revokes one of the actor's feeds: its URL answers 404 from now on.
    pub async fn revoke_calendar_feed(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        if !self.calendar_feeds(actor).await?.iter().any(|f| f.id == id) {
            return Err(ServiceError::NotFound);
        }
        self.drop_definition(actor, TABLE, id, "calendar.feed.revoke")
            .await
    }

    /// The iCalendar text of a feed's secret, read as its owner (who must still be an
    /// active user); `NotFound` for an unknown or revoked secret.
    pub async fn calendar_feed(&self, secret: &str) -> Result<String, ServiceError> {
        let hash = token_hash(secret);
        let feed = system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .find(|d| d.name == hash)
            .and_then(stored)
            .ok_or(ServiceError::NotFound)?;
        let owner = system::users(self.db())
            .await?
            .into_iter()
            .find(|u| u.id == feed.user && u.active)
            .ok_or(ServiceError::NotFound)?;
        let actor = self.actor_for_email(&owner.email).await?;
        self.ical_for(&actor, feed.scope).await
    }

    /// The actor's calendar (or their team's) as iCalendar: activities from 30 days back
    /// to 180 ahead; reminders become alarms.
    pub async fn ical_for(&self, actor: &Actor, scope: Scope) -> Result<String, ServiceError> {
        let (_, full) = self.object("activity")?;
        let now = self.now();
        let owners = match scope {
            Scope::Mine => vec![actor.user_id],
            Scope::Team => self.team_mates(actor),
        };
        let (from, until) = (
            now - Duration::days(FEED_DAYS_BACK),
            now + Duration::days(FEED_DAYS_AHEAD),
        );
        let (records, _) = self
            .activities_between(
                actor,
                &owners,
                (&from.to_rfc3339(), &until.to_rfc3339()),
                (from.date_naive(), until.date_naive()),
            )
            .await?;
        let ids: Vec<Uuid> = records.iter().filter_map(Record::id).collect();
        let mut attendees = self.attendees_of(actor, &ids).await?;
        let people: std::collections::HashMap<Uuid, (String, String)> = system::users(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, (u.name, u.email)))
            .collect();
        let events: Vec<Event> = records
            .iter()
            .filter_map(|r| {
                let mut e = event(&full, r, actor.locale)?;
                e.attendees = attendees.remove(&e.id).unwrap_or_default();
                // The owner organises: listed once their colleagues are invited.
                if !e.attendees.is_empty()
                    && let Some((name, email)) = r.owner().and_then(|o| people.get(&o))
                {
                    e.organizer = Some(ical::Attendee {
                        id: r.owner().unwrap_or_default(),
                        name: name.clone(),
                        email: Some(email.clone()),
                        response: "accepted".into(),
                        optional: false,
                    });
                }
                Some(e)
            })
            .collect();
        let name = match scope {
            Scope::Mine => Msg::UiFeedNameMine.format(actor.locale, &[("name", &actor.email)]),
            Scope::Team => Msg::UiFeedNameTeam.format(actor.locale, &[("name", &actor.email)]),
        };
        Ok(ical::calendar(&name, &actor.time_zone, &events, now))
    }
}

/// An activity as an event: its type and subject, when, where, what, and its reminder.
fn event(full: &ObjectDef, r: &Record, locale: guanxi_core::Locale) -> Option<Event> {
    let get = |name: &str| r.get(full, name).unwrap_or(&Value::Null);
    let text = |name: &str| match get(name) {
        Value::Text(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };
    let kind = text("type").map(|v| {
        full.field("type")
            .map(|f| f.option_label(&v, locale).to_string())
            .unwrap_or(v)
    });
    let subject = text("subject").unwrap_or_default();
    let when = match (get("starts_at"), get("ends_at"), get("due_date")) {
        (Value::DateTime(s), Value::DateTime(e), _) => ical::When::Timed {
            start: *s,
            end: Some(*e),
        },
        (Value::DateTime(s), _, _) => ical::When::Timed {
            start: *s,
            end: match get("duration_minutes") {
                Value::Int(m) if *m > 0 => Some(*s + Duration::minutes(*m)),
                _ => None,
            },
        },
        (_, _, Value::Date(d)) => ical::When::AllDay(*d),
        _ => return None,
    };
    Some(Event {
        id: r.id()?,
        summary: match &kind {
            Some(k) => format!("{k}：{subject}"),
            None => subject,
        },
        description: text("description"),
        location: text("location"),
        category: kind,
        when,
        cancelled: text("status").as_deref() == Some("cancelled"),
        reminder_minutes: match get("reminder_minutes") {
            Value::Int(m) => Some(*m),
            _ => None,
        },
        updated: match &r.values[guanxi_core::values::sys::UPDATED_AT] {
            Value::DateTime(t) => *t,
            _ => Utc::now(),
        },
        organizer: None,
        attendees: Vec::new(),
    })
}

/// `mine` or `team`; anything else names the field.
pub fn parse_scope(text: Option<&str>) -> Result<Scope, FieldError> {
    match text.map(str::trim) {
        None | Some("") | Some("mine") => Ok(Scope::Mine),
        Some("team") => Ok(Scope::Team),
        Some(_) => Err(FieldError::new("scope", Msg::InvalidFeedScope)),
    }
}

//! In-app reminders: when an activity's reminder time comes (`reminder_minutes` before it
//! starts), its owner and the colleagues attending (unless they declined) are notified —
//! once per activity and reminder time, whichever node sweeps first. A moved activity gets
//! a new reminder for its new time. Calendar feeds carry the same reminders as alarms.

use chrono::{DateTime, Duration, Utc};
use guanxi_core::values::{Value, field, field_id, field_text};
use guanxi_storage::system;
use serde_json::json;
use uuid::Uuid;

use crate::notifications::Notice;
use crate::records::ListQuery;
use crate::{Actor, Crm, ServiceError};

/// The longest reminder looked ahead for (a week before the activity).
pub const MAX_LEAD_DAYS: i64 = 7;
/// A reminder found late (the node was down) is still sent while the activity has not
/// begun; one for an activity already under way is not.
const PAGE: usize = 500;

impl Crm {
    /// Sends the reminders that are due; how many activities reminded.
    pub async fn send_due_reminders(&self) -> Result<usize, ServiceError> {
        let now = self.now();
        let system_actor = Actor::system(guanxi_core::Locale::default());
        let (_, activity) = self.object("activity")?;
        let (_, attendee) = self.object(crate::attendees::OBJECT)?;
        let until = now + Duration::days(MAX_LEAD_DAYS);
        let window = format!(
            "starts_at gt '{}' and starts_at lte '{}' and not reminder_minutes is_null and not status eq 'cancelled' and not status eq 'completed'",
            guanxi_core::values::format_datetime(&now),
            guanxi_core::values::format_datetime(&until)
        );
        let mut sent = 0;
        let mut cursor = None;
        loop {
            let q = ListQuery {
                filter: Some(window.clone()),
                sort: Some("starts_at".into()),
                cursor: cursor.take(),
                limit: Some(PAGE),
                deleted: false,
                few: false,
            };
            let page = self.list(&system_actor, "activity", &q).await?;
            for a in &page.records {
                let (Value::DateTime(starts), Value::Int(minutes)) = (
                    field(&activity, a, "starts_at"),
                    field(&activity, a, "reminder_minutes"),
                ) else {
                    continue;
                };
                if *minutes < 0 {
                    continue;
                }
                let due: DateTime<Utc> = *starts - Duration::minutes(*minutes);
                if due > now {
                    continue;
                }
                let Some(id) = a.id() else { continue };
                let mut people: Vec<Uuid> = a.owner().into_iter().collect();
                let q = ListQuery {
                    filter: Some(format!("activity eq '{id}' and not response eq 'declined'")),
                    limit: Some(crate::records::MAX_PAGE),
                    ..Default::default()
                };
                for x in self
                    .list(&system_actor, crate::attendees::OBJECT, &q)
                    .await?
                    .records
                {
                    people.extend(field_id(&attendee, &x, "user"));
                }
                let mut tx = self.db().begin().await?;
                if !system::mark_reminder_sent(&mut tx, id, due, now).await? {
                    tx.commit().await?;
                    continue;
                }
                let left = (*starts - now).num_minutes().max(0);
                let notice = Notice {
                    kind: "activity.reminder",
                    object: "activity",
                    record_id: id,
                    detail: json!({"subject": field_text(&activity, a, "subject").unwrap_or_default(),
                                   "minutes": left.to_string()}),
                };
                crate::notifications::notify(&mut tx, &system_actor, &people, &notice, now).await?;
                tx.commit().await?;
                sent += 1;
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(sent)
    }

    /// The reminder sweep: every 30 seconds.
    pub async fn run_reminders(self) {
        loop {
            if let Err(e) = self.send_due_reminders().await {
                tracing::warn!(error = %e, "sending reminders failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
    }
}

//! What a user is told: a quote awaiting their approval, the decision on theirs, a channel
//! conflict, an activity about to start. Each
//! notification is written in the same transaction as what it tells of, keeps the facts
//! (names, amounts) as JSON and is rendered in the reader's language when read.

use chrono::{DateTime, Utc};
use guanxi_core::{Locale, Msg};
use guanxi_storage::Tx;
use guanxi_storage::system::{self, NotificationRow};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// How many notifications a user's list shows.
pub const SHOWN: i64 = 100;

/// A notification as its reader sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub kind: String,
    pub object: Option<String>,
    pub record_id: Option<Uuid>,
    /// In the reader's language.
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// What each kind of notification says; its placeholders are the detail's keys.
fn message(kind: &str) -> Option<Msg> {
    Some(match kind {
        "quote.submitted" => Msg::NotifyQuoteSubmitted,
        "quote.approved" => Msg::NotifyQuoteApproved,
        "quote.rejected" => Msg::NotifyQuoteRejected,
        "conflict.raised" => Msg::NotifyConflictRaised,
        "conflict.resolved" => Msg::NotifyConflictResolved,
        "activity.reminder" => Msg::NotifyActivityReminder,
        "case.first_response.warning" => Msg::NotifyCaseResponseWarning,
        "case.resolution.warning" => Msg::NotifyCaseResolutionWarning,
        "case.first_response.breached" => Msg::NotifyCaseResponseBreached,
        "case.resolution.breached" => Msg::NotifyCaseResolutionBreached,
        "community.reply" => Msg::NotifyCommunityReply,
        _ => return None,
    })
}

pub fn render(kind: &str, detail: &str, locale: Locale) -> String {
    let detail: Map<String, Json> = serde_json::from_str(detail).unwrap_or_default();
    let args: Vec<(String, String)> = detail
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                // What a conflict is about reads in the reader's language.
                Json::Object(_) if kind == "conflict.raised" => crate::conflicts::describe(v, locale),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match message(kind) {
        Some(m) => m.format(locale, &args),
        None => kind.to_string(),
    }
}

/// What a notification tells of: its kind, the record, and the facts its text names.
pub(crate) struct Notice<'a> {
    pub kind: &'a str,
    pub object: &'a str,
    pub record_id: Uuid,
    pub detail: Json,
}

/// Tells `users` (each once, never the one who acted) the notice.
pub(crate) async fn notify(
    tx: &mut Tx,
    actor: &Actor,
    users: &[Uuid],
    notice: &Notice<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<NotificationRow> = users
        .iter()
        .filter(|u| **u != actor.user_id && seen.insert(**u))
        .map(|u| NotificationRow {
            id: Uuid::now_v7(),
            user_id: *u,
            kind: notice.kind.into(),
            object: Some(notice.object.into()),
            record_id: Some(notice.record_id),
            detail: notice.detail.to_string(),
            created_at: now,
            read_at: None,
        })
        .collect();
    system::insert_notifications(tx, &rows).await?;
    Ok(())
}

impl Crm {
    /// The actor's notifications, newest first, in their language.
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
    ) -> Result<Vec<Notification>, ServiceError> {
        let rows = system::notifications(self.db(), actor.user_id, unread_only, SHOWN).await?;
        Ok(rows
            .into_iter()
            .map(|n| Notification {
                text: render(&n.kind, &n.detail, actor.locale),
                id: n.id,
                kind: n.kind,
                object: n.object,
                record_id: n.record_id,
                created_at: n.created_at,
                read: n.read_at.is_some(),
            })
            .collect())
    }

    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64, ServiceError> {
        Ok(system::unread_notifications(self.db(), actor.user_id).await?)
    }

    /// Marks one of the actor's notifications read, or (`None`) all of them. Returns how
    /// many were unread.
    pub async fn read_notifications(&self, actor: &Actor, id: Option<Uuid>) -> Result<u64, ServiceError> {
        let mut tx = self.db().begin().await?;
        let n = system::read_notifications(&mut tx, actor.user_id, id, self.now()).await?;
        tx.commit().await?;
        Ok(n)
    }
}

//! Outgoing mail. What Guanxi tells people by mail (a portal invitation, a survey link) is
//! queued in the outbox in the same transaction as what it tells of, and a worker on every
//! node sends what is due through the configured server — each message claimed by one
//! node at a time, retried with growing pauses, its outcome kept for administrators
//! (Setup → Outgoing mail). Without a mail server nothing is queued: callers show links
//! to pass on instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use guanxi_storage::Tx;
use guanxi_storage::outbox::{self, MailRow};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a node holds a message it is sending before another may try.
const LEASE: Duration = Duration::from_secs(300);
/// How many messages the outbox page shows.
pub const SHOWN: i64 = 200;

/// A message as the server sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Hands a message to a mail server (SMTP in production, whatever a test runs).
pub trait MailSender: Send + Sync {
    fn send<'a>(
        &'a self,
        mail: &'a OutgoingMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// How this installation sends mail.
#[derive(Clone)]
pub struct MailSettings {
    /// What the outbox page shows of the server (no password).
    pub server: String,
    /// Where links in mail lead (`https://crm.example.com`), without a trailing slash.
    pub public_url: String,
    pub sender: Arc<dyn MailSender>,
}

/// The pause before attempt `n + 1` after `n` failed ones: 1, 2, 4 … minutes, at most 2 h.
fn backoff(attempts: i64) -> chrono::Duration {
    let minutes = 1i64 << attempts.clamp(0, 7);
    chrono::Duration::minutes(minutes.min(120))
}

impl Crm {
    /// Sends mail through `settings` from now on (see the module documentation).
    pub fn with_mail(self, settings: MailSettings) -> Crm {
        let _ = self.mail.set(settings);
        self
    }

    /// The mail settings, when a server is configured.
    pub fn mail(&self) -> Option<&MailSettings> {
        self.mail.get()
    }

    /// Queues a message in the writing transaction; `false` (nothing queued) without a
    /// mail server.
    pub(crate) async fn queue_mail(
        &self,
        tx: &mut Tx,
        kind: &str,
        mail: OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        if self.mail().is_none() {
            return Ok(false);
        }
        let row = MailRow {
            id: Uuid::now_v7(),
            to_address: mail.to,
            subject: mail.subject,
            body: mail.body,
            kind: kind.into(),
            created_at: now,
            next_attempt_at: now,
            attempts: 0,
            sent_at: None,
            last_error: None,
        };
        outbox::enqueue(tx, &row).await?;
        Ok(true)
    }

    /// Sends what is due; answers how many were sent.
    pub async fn send_due_mail(&self) -> Result<usize, ServiceError> {
        let Some(settings) = self.mail() else { return Ok(0) };
        let now = self.now();
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let mut sent = 0;
        for m in outbox::due(self.db(), now, MAX_ATTEMPTS, 50).await? {
            if !outbox::claim(self.db(), &m, lease).await? {
                continue;
            }
            let mail = OutgoingMail {
                to: m.to_address.clone(),
                subject: m.subject.clone(),
                body: m.body.clone(),
            };
            match settings.sender.send(&mail).await {
                Ok(()) => {
                    outbox::mark_sent(self.db(), m.id, self.now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(id = %m.id, error = %e, "sending mail failed");
                    outbox::mark_failed(self.db(), m.id, &e, self.now() + backoff(m.attempts)).await?;
                }
            }
        }
        Ok(sent)
    }

    /// The mail worker: sends what is due every few seconds.
    pub async fn run_mail(self) {
        loop {
            if let Err(e) = self.send_due_mail().await {
                tracing::warn!(error = %e, "mail worker failed");
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }

    /// The newest messages with their outcome (administrators).
    pub async fn outbox(&self, actor: &Actor) -> Result<Vec<MailRow>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(outbox::recent(self.db(), SHOWN).await?)
    }

    /// An absolute link to `path` for a mail.
    pub(crate) fn public_link(&self, path: &str) -> String {
        match self.mail() {
            Some(s) => format!("{}{path}", s.public_url.trim_end_matches('/')),
            None => path.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn failed_mail_waits_longer_each_time_but_never_more_than_two_hours() {
        let minutes: Vec<i64> = (0..10).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
    }
}

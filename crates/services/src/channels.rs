//! Channel preferences and consent of contacts, and the question later marketing and
//! service features ask through one function: may we contact this person on this channel
//! now? Reading needs the contact readable; changing preferences needs it editable;
//! recording consent is audited.

use chrono::{DateTime, Utc};
use guanxi_core::access::Operation;
use guanxi_core::channels::{self, Consent, Preferences, Refusal};
use guanxi_core::values::Value;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::channels as store;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// What `may_contact` answers: yes, or every reason why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub channel: String,
    pub refusals: Vec<Refusal>,
    /// How often the channel was used in its limit's current period (if it has a limit).
    pub used: Option<u32>,
}

/// What a contact's page shows of its channels: preferences, consent log, and the
/// decisions for the channels most worth asking about.
#[derive(Clone, Debug)]
pub struct ChannelView {
    pub prefs: Preferences,
    pub consents: Vec<Consent>,
    pub now: Vec<Decision>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty()
    }
}

const CONTACT: &str = "contact";
const MAX_SOURCE: usize = 200;

impl Crm {
    /// The channels a contact can be reached on (the activity channel picklist).
    pub fn channels(&self) -> Vec<String> {
        self.picklist_values("activity", "channel", false)
    }

    async fn contact(
        &self,
        actor: &Actor,
        id: Uuid,
        op: Operation,
    ) -> Result<(ObjectDef, guanxi_core::values::Record), ServiceError> {
        let (_, object) = self.object(CONTACT)?;
        let access = self.access(actor, &object);
        let record = self.readable_with(&access, &object, id).await?;
        if op == Operation::Edit {
            self.editable_with(&access, &object, &record).await?;
        }
        Ok((object.as_ref().clone(), record))
    }

    /// A contact's preferences and consent log (newest first).
    pub async fn channel_preferences(
        &self,
        actor: &Actor,
        contact: Uuid,
    ) -> Result<(Preferences, Vec<Consent>), ServiceError> {
        self.contact(actor, contact, Operation::Read).await?;
        self.stored_preferences(contact).await
    }

    async fn stored_preferences(&self, contact: Uuid) -> Result<(Preferences, Vec<Consent>), ServiceError> {
        let prefs = match store::preferences(self.db(), contact).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| ServiceError::Internal(format!("stored channel preferences unreadable: {e}")))?,
            None => Preferences::default(),
        };
        let consents = store::consents(self.db(), contact)
            .await?
            .into_iter()
            .map(|c| Consent {
                channel: c.channel,
                granted: c.granted,
                source: c.source,
                at: c.at,
            })
            .collect();
        Ok((prefs, consents))
    }

    /// Replaces a contact's preferences (JSON as `GET` gives it). Every problem names its
    /// place; nothing is stored unless all is right.
    pub async fn set_channel_preferences(
        &self,
        actor: &Actor,
        contact: Uuid,
        input: Json,
    ) -> Result<Preferences, ServiceError> {
        self.contact(actor, contact, Operation::Edit).await?;
        let prefs: Preferences = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![
                FieldError::new("preferences", Msg::InvalidJson).with("detail", e.to_string()),
            ])
        })?;
        let channels = self.channels();
        let known: Vec<&str> = channels.iter().map(String::as_str).collect();
        let mut errors = channels::check(&prefs, &known);
        if let Some(zone) = &prefs.time_zone
            && !crate::settings::known_zone(zone)
        {
            errors.push(FieldError::new("time_zone", Msg::UnknownTimeZone));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let text = serde_json::to_string(&prefs).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        store::put_preferences(&mut tx, contact, &text, Some(actor.user_id), now).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "contact.channel_preferences",
            Some(CONTACT),
            Some(contact),
            serde_json::to_value(&prefs).unwrap_or(Json::Null),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(prefs)
    }

    /// Records a contact's consent on a channel, or its withdrawal, with its source.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        contact: Uuid,
        channel: &str,
        granted: bool,
        source: &str,
    ) -> Result<Consent, ServiceError> {
        self.contact(actor, contact, Operation::Edit).await?;
        let mut errors = Vec::new();
        if !self.channels().iter().any(|c| c == channel) {
            errors.push(FieldError::new("channel", Msg::NotInPicklist));
        }
        let source = source.trim();
        if source.is_empty() {
            errors.push(FieldError::new("source", Msg::Required));
        } else if source.chars().count() > MAX_SOURCE {
            errors.push(FieldError::new("source", Msg::TooLong).with("max", MAX_SOURCE));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let now = self.now();
        let row = store::ConsentRow {
            id: Uuid::now_v7(),
            contact_id: contact,
            channel: channel.to_string(),
            granted,
            source: source.to_string(),
            at: now,
            recorded_by: Some(actor.user_id),
        };
        let mut tx = self.db().begin().await?;
        store::insert_consent(&mut tx, &row).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            if granted {
                "contact.consent.grant"
            } else {
                "contact.consent.withdraw"
            },
            Some(CONTACT),
            Some(contact),
            json!({"channel": channel, "source": source}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Consent {
            channel: row.channel,
            granted,
            source: row.source,
            at: now,
        })
    }

    /// May this contact be contacted on `channel` at `at`? Preferences, consent, the
    /// record's own opt-out (email) and how often the channel was already used (outbound
    /// activities on it in the limit's period, whoever logged them) all count.
    pub async fn may_contact(
        &self,
        actor: &Actor,
        contact: Uuid,
        channel: &str,
        at: DateTime<Utc>,
    ) -> Result<Decision, ServiceError> {
        let mut answers = self
            .may_contact_on(actor, contact, &[channel.to_string()], at)
            .await?;
        answers.pop().ok_or(ServiceError::NotFound)
    }

    /// `may_contact` for several channels at once (one read of the contact, preferences and
    /// consent).
    pub async fn may_contact_on(
        &self,
        actor: &Actor,
        contact: Uuid,
        channels: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<Decision>, ServiceError> {
        let (object, record) = self.contact(actor, contact, Operation::Read).await?;
        let known = self.channels();
        if channels.iter().any(|c| !known.contains(c)) {
            return Err(ServiceError::field("channel", Msg::NotInPicklist));
        }
        let (prefs, consents) = self.stored_preferences(contact).await?;
        self.decide_all(&object, &record, &prefs, &consents, channels, at)
            .await
    }

    /// A contact's preferences, consent log and whether each of the channels most worth
    /// asking about (the preferred ones, then phone, email, WeChat, SMS; four at most)
    /// may be used at `at` — from one read of each.
    pub async fn channel_view(
        &self,
        actor: &Actor,
        contact: Uuid,
        at: DateTime<Utc>,
    ) -> Result<ChannelView, ServiceError> {
        let (object, record) = self.contact(actor, contact, Operation::Read).await?;
        let (prefs, consents) = self.stored_preferences(contact).await?;
        let mut asked: Vec<String> = prefs.preferred.clone();
        for c in ["phone", "email", "wechat", "sms"] {
            if asked.len() < 4 && !asked.iter().any(|a| a == c) {
                asked.push(c.to_string());
            }
        }
        let known = self.channels();
        asked.retain(|c| known.contains(c));
        let now = self
            .decide_all(&object, &record, &prefs, &consents, &asked, at)
            .await?;
        Ok(ChannelView { prefs, consents, now })
    }

    async fn decide_all(
        &self,
        object: &ObjectDef,
        record: &guanxi_core::values::Record,
        prefs: &Preferences,
        consents: &[Consent],
        channels: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<Decision>, ServiceError> {
        let contact = record.id().unwrap_or_default();
        let zone: chrono_tz::Tz = prefs
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let local = at.with_timezone(&zone).naive_local();
        let email_opt_out = object
            .fields
            .iter()
            .position(|f| f.name == "email_opt_out")
            .and_then(|i| record.values.get(i))
            .is_some_and(|v| *v == Value::Bool(true));
        let mut out = Vec::with_capacity(channels.len());
        for channel in channels {
            let used = match prefs.limits.iter().find(|l| &l.channel == channel) {
                None => None,
                Some(limit) => {
                    use chrono::TimeZone;
                    let start = limit.period.start(local);
                    let start = zone
                        .from_local_datetime(&start)
                        .earliest()
                        .map(|d| d.with_timezone(&Utc))
                        .unwrap_or(at);
                    Some(self.outbound_since(contact, channel, start).await?)
                }
            };
            let opted_out = channel == "email" && email_opt_out;
            let refusals = channels::decide(prefs, consents, channel, local, used.unwrap_or(0), opted_out);
            out.push(Decision {
                channel: channel.clone(),
                refusals,
                used,
            });
        }
        Ok(out)
    }

    /// Outbound activities on a channel with this contact since `start` — all of them,
    /// not only those the asker may read: the limit protects the customer.
    async fn outbound_since(
        &self,
        contact: Uuid,
        channel: &str,
        start: DateTime<Utc>,
    ) -> Result<u32, ServiceError> {
        let (_, activity) = self.object("activity")?;
        let text = format!(
            "contact eq '{contact}' and channel eq {} and direction eq 'outbound' and status ne 'cancelled' and starts_at gte '{}'",
            guanxi_core::query::quote(channel),
            guanxi_core::values::format_datetime(&start)
        );
        let filter = self
            .typed_filter(&activity, Some(&text))?
            .ok_or(ServiceError::NotFound)?;
        let sql = guanxi_storage::records::count_sql(self.db().dialect(), &activity, &filter);
        let rows = self.db().fetch(sql, &[guanxi_core::ColumnKind::Int]).await?;
        let n = rows
            .first()
            .and_then(|r| r.first())
            .and_then(guanxi_storage::Arg::as_int)
            .unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// A refusal as an API or page shows it: its code and the reason in the reader's language.
pub fn refusal_json(r: &Refusal, locale: guanxi_core::Locale) -> Json {
    let text = match r {
        Refusal::LimitReached { max, count, .. } => r.msg().format(
            locale,
            &[("max", &max.to_string()), ("count", &count.to_string())],
        ),
        other => other.msg().text(locale).to_string(),
    };
    json!({"code": r.code(), "message": text})
}

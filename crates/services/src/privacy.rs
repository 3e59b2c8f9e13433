//! Privacy requests for a person (a contact or a lead): hand them everything held about
//! them, or erase it. Both are for administrators (the data protection officer's role)
//! and both are audited — without repeating the personal data in the audit trail.
//!
//! Erasing anonymises rather than deletes, so that what the company counts stays true:
//! the record keeps its id, owner, account, picklists, numbers and amounts (pipeline,
//! lifetime value, activity counts), while every text, email, phone, web address, date
//! and tag on it is emptied and its name replaced. Its field history goes (one "erase"
//! entry remains), as do its channel preferences and consent log; the activities linked
//! to it keep their type, channel, direction, outcome and times but lose subject,
//! description and location, and their history of those fields; merges the person took
//! part in are forgotten (they hold earlier values; undo is no longer offered). The change feed gets an
//! event for every record touched, so the search index drops the old text.

use std::sync::Arc;

use guanxi_core::metadata::FieldType;
use guanxi_core::values::{self, Record, Value};
use guanxi_core::{FieldDef, Msg, ObjectDef};
use guanxi_storage::records as store;
use guanxi_storage::system::{self, AuditQuery, HistoryRow};
use guanxi_storage::{Tx, channels, privacy as scrub_store};
use serde::Serialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::definitions::admin_only;
use crate::records::{change_row, history_row};
use crate::{Actor, Crm, ServiceError};

/// Objects whose records are people.
pub const PERSON_OBJECTS: [&str; 2] = ["contact", "lead"];

/// Fields of activities that hold what was said or written to or about the person.
const ACTIVITY_TEXT: [&str; 3] = ["subject", "description", "location"];

/// What an erasure did, for the caller and the audit trail (counts, no values).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Erasure {
    pub object: String,
    pub id: Uuid,
    /// Fields emptied or replaced on the person's record.
    pub fields: Vec<String>,
    pub history_removed: u64,
    pub consents_removed: u64,
    pub activities_scrubbed: usize,
}

/// True for the fields an erasure empties: what people write about a person (texts,
/// emails, phones, addresses, web pages, dates such as a birthday, tags).
fn personal(field: &FieldDef) -> bool {
    !field.system
        && matches!(
            field.field_type,
            FieldType::Text
                | FieldType::LongText
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
                | FieldType::Date
                | FieldType::Tags
        )
}

impl Crm {
    fn person_object(&self, object: &str) -> Result<Arc<ObjectDef>, ServiceError> {
        let (_, object) = self.object(object)?;
        if PERSON_OBJECTS.contains(&object.name.as_str()) {
            Ok(object)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Everything held about a person, as one JSON document: the record (also from the
    /// recycle bin), its field history, channel preferences and consents, every record
    /// that points at it (activities, cases, opportunities, contacts reporting to them…)
    /// and the audit entries about it. Audited as `privacy.export`.
    pub async fn personal_data(&self, actor: &Actor, object: &str, id: Uuid) -> Result<Json, ServiceError> {
        admin_only(actor)?;
        let object = self.person_object(object)?;
        let schema = self.schema();
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let record = store::get_in(&mut tx, &object, id)
            .await?
            .ok_or(ServiceError::NotFound)?;

        let mut related = serde_json::Map::new();
        for other in schema.objects() {
            for field in other
                .fields
                .iter()
                .filter(|f| f.field_type == FieldType::Lookup && f.target.as_deref() == Some(&object.name))
            {
                let ids = pointing_at(&mut tx, other, field, id).await?;
                if ids.is_empty() {
                    continue;
                }
                let records = store::get_many_in(&mut tx, other, &ids).await?;
                let list: Vec<Json> = records
                    .iter()
                    .map(|r| json!({"via": field.name, "record": r.to_json(other)}))
                    .collect();
                let entry = related
                    .entry(other.plural.clone())
                    .or_insert_with(|| Json::Array(Vec::new()));
                if let Json::Array(items) = entry {
                    items.extend(list);
                }
            }
        }
        crate::audit::record(
            &mut tx,
            Some(actor),
            "privacy.export",
            Some(&object.name),
            Some(id),
            json!({}),
            now,
        )
        .await?;
        tx.commit().await?;

        let history = system::history(self.db(), &object.name, id, 100_000).await?;
        let (preferences, consents) = if object.name == "contact" {
            let prefs = channels::preferences(self.db(), id)
                .await?
                .and_then(|p| serde_json::from_str::<Json>(&p).ok());
            let consents = channels::consents(self.db(), id).await?;
            (prefs, consents)
        } else {
            (None, Vec::new())
        };
        let audit = system::audit(
            self.db(),
            &AuditQuery {
                action: None,
                actor: None,
                record_id: Some(id),
                since: None,
                until: None,
                before: None,
                limit: crate::audit::MAX_PAGE,
            },
        )
        .await?;
        let files = guanxi_storage::files::files(self.db(), &object.name, id).await?;
        Ok(json!({
            "subject": {"object": object.plural, "id": id},
            // What is attached to their record: names and sizes (the files themselves
            // are downloaded from `url`).
            "files": files.iter().map(|f| json!({
                "name": f.name, "content_type": f.content_type, "size": f.size,
                "uploaded_by": f.uploaded_by, "at": values::format_datetime(&f.created_at),
                "url": format!("/api/v1/files/{}", f.id),
            })).collect::<Vec<_>>(),
            "generated_at": values::format_datetime(&now),
            "record": record.to_json(&object),
            "history": history.iter().map(history_json).collect::<Vec<_>>(),
            "channel_preferences": preferences,
            "consents": consents.iter().map(|c| json!({
                "channel": c.channel, "granted": c.granted, "source": c.source,
                "at": values::format_datetime(&c.at),
            })).collect::<Vec<_>>(),
            "related": related,
            "audit": audit.iter().map(|a| json!({
                "at": values::format_datetime(&a.at), "action": a.action,
                "by": a.actor_email,
                "detail": serde_json::from_str::<Json>(&a.detail).unwrap_or(Json::Null),
            })).collect::<Vec<_>>(),
        }))
    }

    /// Erases a person (see the module documentation) in one transaction. `name` is what
    /// the record is called afterwards ("Erased person" in the administrator's
    /// language). Audited as `privacy.erase` with counts only.
    pub async fn erase_person(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        name: &str,
    ) -> Result<Erasure, ServiceError> {
        admin_only(actor)?;
        let object = self.person_object(object)?;
        let schema = self.schema();
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let record = store::get_in(&mut tx, &object, id)
            .await?
            .ok_or(ServiceError::NotFound)?;

        let mut events = Vec::new();
        let fields = anonymise(&mut tx, &object, &record, &object.name_field, name, now).await?;
        let history_removed = scrub_store::delete_history(&mut tx, &object.name, id, None).await?;
        let erase_row = history_row(&object, id, "erase", None, None, None, actor, now);
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        events.push(change_row(&object, id, "update", &names, actor, now));

        // Merges keep the values records had before: not any more for this person.
        scrub_store::delete_merges_of(&mut tx, &object.name, id).await?;
        // Files attached to the person's record go with what is known of them.
        scrub_store::delete_files(&mut tx, &object.name, id).await?;
        let consents_removed = if object.name == "contact" {
            scrub_store::delete_channel_data(&mut tx, id).await?
        } else {
            0
        };

        let mut activities_scrubbed = 0;
        if let Some(activity) = schema.object("activity") {
            for field in activity
                .fields
                .iter()
                .filter(|f| f.field_type == FieldType::Lookup && f.target.as_deref() == Some(&object.name))
            {
                for aid in pointing_at(&mut tx, activity, field, id).await? {
                    let Some(a) = store::get_in(&mut tx, activity, aid).await? else {
                        continue;
                    };
                    let wiped: Vec<String> = ACTIVITY_TEXT
                        .iter()
                        .filter(|f| activity.field(f).is_some())
                        .map(|f| f.to_string())
                        .collect();
                    let changed =
                        anonymise_fields(&mut tx, activity, &a, &wiped, &activity.name_field, name, now)
                            .await?;
                    scrub_store::delete_history(&mut tx, &activity.name, aid, Some(&wiped)).await?;
                    let names: Vec<&str> = changed.iter().map(String::as_str).collect();
                    events.push(change_row(activity, aid, "update", &names, actor, now));
                    activities_scrubbed += 1;
                }
            }
        }

        // An attendee row carries the name of the person it stands for.
        if let Some(attendee) = schema.object(crate::attendees::OBJECT) {
            let wiped = vec!["name".to_string()];
            for field in attendee
                .fields
                .iter()
                .filter(|f| f.field_type == FieldType::Lookup && f.target.as_deref() == Some(&object.name))
            {
                for aid in pointing_at(&mut tx, attendee, field, id).await? {
                    let Some(a) = store::get_in(&mut tx, attendee, aid).await? else {
                        continue;
                    };
                    let changed = anonymise_fields(&mut tx, attendee, &a, &wiped, "name", name, now).await?;
                    scrub_store::delete_history(&mut tx, &attendee.name, aid, Some(&wiped)).await?;
                    let names: Vec<&str> = changed.iter().map(String::as_str).collect();
                    events.push(change_row(attendee, aid, "update", &names, actor, now));
                }
            }
        }

        let erasure = Erasure {
            object: object.plural.clone(),
            id,
            fields,
            history_removed,
            consents_removed,
            activities_scrubbed,
        };
        system::insert_history(&mut tx, &[erase_row]).await?;
        system::insert_changes(&mut tx, &events).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "privacy.erase",
            Some(&object.name),
            Some(id),
            json!({"fields": erasure.fields, "history_removed": history_removed,
                   "consents_removed": consents_removed, "activities_scrubbed": activities_scrubbed}),
            now,
        )
        .await?;
        tx.commit().await?;
        // The old text leaves this node's search index now, not at the indexer's next turn.
        if self.search.get().is_some() {
            self.refresh_search().await?;
        }
        Ok(erasure)
    }
}

/// Ids of the records (live or binned) of `object` whose lookup `field` is `id`.
async fn pointing_at(
    tx: &mut Tx,
    object: &ObjectDef,
    field: &FieldDef,
    id: Uuid,
) -> Result<Vec<Uuid>, ServiceError> {
    Ok(store::find_by(tx, object, field, &[Value::Uuid(id)])
        .await?
        .into_iter()
        .map(|(_, rid, _)| rid)
        .collect())
}

/// Empties every personal field of a record and renames it; returns the fields written.
async fn anonymise(
    tx: &mut Tx,
    object: &ObjectDef,
    record: &Record,
    name_field: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, ServiceError> {
    let wanted: Vec<String> = object
        .fields
        .iter()
        .filter(|f| personal(f))
        .map(|f| f.name.clone())
        .collect();
    anonymise_fields(tx, object, record, &wanted, name_field, name, now).await
}

/// Writes `name` into the title field and empties the other `fields` that hold a value.
async fn anonymise_fields(
    tx: &mut Tx,
    object: &ObjectDef,
    record: &Record,
    fields: &[String],
    name_field: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, ServiceError> {
    let placeholder = Value::Text(name.to_string());
    let null = Value::Null;
    let mut changes: Vec<(&FieldDef, &Value)> = Vec::new();
    for (field, value) in object.fields.iter().zip(&record.values) {
        if !fields.contains(&field.name) {
            continue;
        }
        if field.name == name_field {
            changes.push((field, &placeholder));
        } else if !value.is_null() {
            changes.push((field, &null));
        }
    }
    if !scrub_store::scrub(
        tx,
        object,
        record.id().unwrap_or_default(),
        record.version(),
        &changes,
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict {
            current: record.version() + 1,
        });
    }
    Ok(changes.iter().map(|(f, _)| f.name.clone()).collect())
}

fn history_json(h: &HistoryRow) -> Json {
    let parse = |v: &Option<String>| {
        v.as_deref()
            .map(|s| serde_json::from_str::<Json>(s).unwrap_or_else(|_| Json::String(s.to_string())))
    };
    json!({
        "at": values::format_datetime(&h.at),
        "operation": h.operation,
        "field": h.field,
        "old": parse(&h.old_value),
        "new": parse(&h.new_value),
        "by": h.actor,
    })
}

/// The name an erased person's record carries, in the administrator's language.
pub fn erased_name(locale: guanxi_core::Locale) -> &'static str {
    Msg::ErasedPerson.text(locale)
}

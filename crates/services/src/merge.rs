//! Merging duplicates: one record survives with the field values chosen from all of
//! them; everything that pointed at the others (lookups on any object, standard or
//! custom; field history; a contact's consents, channel preferences; manual shares)
//! moves to it; the others go to the recycle bin. One transaction, through the write
//! path for every record row. The merge remembers exactly what it moved, so that undo
//! moves back exactly that — or refuses, saying what changed since.

use std::collections::{BTreeMap, HashSet};

use guanxi_core::access::Operation;
use guanxi_core::metadata::FieldType;
use guanxi_core::values::{self, Record, Value, sys};
use guanxi_core::{FieldError, Msg, ObjectDef, Schema};
use guanxi_storage::Tx;
use guanxi_storage::merges::{self as store, MergeRow};
use guanxi_storage::records as rows;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::records::{Change, ItemResult, ListQuery, MAX_PAGE};
use crate::{Actor, Crm, ServiceError};

/// A lookup the merge re-pointed from a merged record to the survivor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedReference {
    pub object: String,
    pub field: String,
    pub record: Uuid,
    pub from: Uuid,
}

/// What a merge did, stored with it: enough to undo it exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merge {
    #[serde(default)]
    pub id: Uuid,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub survivor: Uuid,
    pub merged: Vec<Uuid>,
    /// For each field set from another record: whose value survived.
    pub chosen: BTreeMap<String, Uuid>,
    /// The survivor's values before the merge, of the fields the merge changed.
    pub before: Map<String, Json>,
    /// Versions the merge left: the survivor's and each merged record's.
    pub survivor_version: i64,
    pub merged_versions: BTreeMap<Uuid, i64>,
    /// Unique values (external ids, codes) taken from a merged record, which gave them up.
    pub cleared: BTreeMap<Uuid, Map<String, Json>>,
    pub references: Vec<MovedReference>,
    /// `(history row, from)`, `(consent, from)`, `(grantee, from)`.
    pub history: Vec<(Uuid, Uuid)>,
    pub consents: Vec<(Uuid, Uuid)>,
    pub preferences_from: Option<Uuid>,
    pub shares: Vec<(Uuid, Uuid)>,
    /// `(file, from)`: files attached to the merged records, now on the survivor.
    #[serde(default)]
    pub files: Vec<(Uuid, Uuid)>,
    #[serde(default)]
    pub actor: Option<Uuid>,
    #[serde(default)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub undone_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Merge {
    fn from_row(row: &MergeRow) -> Result<Merge, ServiceError> {
        let mut m: Merge = serde_json::from_str(&row.definition)
            .map_err(|e| ServiceError::Internal(format!("merge {}: {e}", row.id)))?;
        m.id = row.id;
        m.object = row.object.clone();
        m.survivor = row.survivor_id;
        m.actor = row.actor;
        m.at = Some(row.at);
        m.undone_at = row.undone_at;
        Ok(m)
    }

    pub fn json(&self) -> Json {
        let mut j = serde_json::to_value(self).unwrap_or(Json::Null);
        j["moved"] = json!(
            self.references.len()
                + self.history.len()
                + self.consents.len()
                + self.shares.len()
                + self.files.len()
        );
        j
    }
}

/// The first error of a batch the write path answered, if any.
fn first_error(results: Vec<ItemResult>) -> Result<Vec<Record>, ServiceError> {
    results.into_iter().map(|r| r.map(|(rec, _)| rec)).collect()
}

/// The actor with the right to re-point related records: merging needs edit on the
/// survivor and delete on the merged, not edit on every activity of theirs. The audit
/// and history still name the real user.
fn elevated(actor: &Actor) -> Actor {
    Actor {
        is_admin: true,
        scopes: crate::identity::Scopes::for_user(true),
        kind: guanxi_core::access::UserKind::Internal,
        role_id: None,
        partner: None,
        ..actor.clone()
    }
}

/// The value of field `i` a merge keeps by default: the survivor's, else the most
/// recently updated other record's that has one.
pub fn default_choice(i: usize, survivor: &Record, others: &[Record]) -> Uuid {
    let own = survivor.id().unwrap_or_default();
    if !survivor.values[i].is_null() {
        return own;
    }
    let mut by_latest: Vec<&Record> = others.iter().collect();
    by_latest.sort_by(|a, b| {
        let at = |r: &Record| match &r.values[sys::UPDATED_AT] {
            Value::DateTime(d) => Some(*d),
            _ => None,
        };
        at(b).cmp(&at(a))
    });
    by_latest
        .into_iter()
        .find(|r| !r.values[i].is_null())
        .and_then(Record::id)
        .unwrap_or(own)
}

/// Fields a merge chooses values for: writable, not hidden from the actor.
pub fn mergeable(object: &ObjectDef) -> impl Iterator<Item = (usize, &guanxi_core::FieldDef)> {
    object
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.writable() && f.name != "owner")
}

impl Crm {
    /// Lookups on any object pointing at one of `targets` of `object`.
    async fn references_to(
        &self,
        actor: &Actor,
        schema: &Schema,
        object: &ObjectDef,
        targets: &[Uuid],
        skip: &HashSet<Uuid>,
    ) -> Result<Vec<MovedReference>, ServiceError> {
        let mut out = Vec::new();
        let list = targets
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ");
        for o in schema.objects() {
            for (i, f) in o.fields.iter().enumerate() {
                if f.field_type != FieldType::Lookup || f.target.as_deref() != Some(object.name.as_str()) {
                    continue;
                }
                let mut q = ListQuery {
                    filter: Some(format!("{} in ({list})", f.name)),
                    limit: Some(MAX_PAGE),
                    ..Default::default()
                };
                loop {
                    let page = self.list(actor, &o.name, &q).await?;
                    for r in &page.records {
                        let (Some(id), Some(Value::Uuid(from))) = (r.id(), r.values.get(i)) else {
                            continue;
                        };
                        if o.name == object.name && skip.contains(&id) {
                            continue;
                        }
                        out.push(MovedReference {
                            object: o.name.clone(),
                            field: f.name.clone(),
                            record: id,
                            from: *from,
                        });
                    }
                    match page.next_cursor {
                        Some(c) => q.cursor = Some(c),
                        None => break,
                    }
                }
            }
        }
        Ok(out)
    }

    /// Writes through the one write path inside `tx`, failing on the first refused change.
    async fn write_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        schema: &Schema,
        object: &str,
        changes: Vec<Change>,
    ) -> Result<Vec<Record>, ServiceError> {
        let def = schema.object(object).cloned().ok_or(ServiceError::NotFound)?;
        let results = self
            .apply_in(tx, actor, schema, &def, &changes, self.now())
            .await?;
        first_error(results)
    }

    /// Merges `merged` into `survivor`. `fields` names, per field, the record whose value
    /// survives (survivor or one of `merged`); unnamed fields keep the survivor's value, or
    /// take the latest other record's when the survivor has none. Needs edit on the
    /// survivor and delete on each merged record. Returns the merge (undoable).
    pub async fn merge(
        &self,
        actor: &Actor,
        object: &str,
        survivor: Uuid,
        merged: &[Uuid],
        fields: &BTreeMap<String, Uuid>,
    ) -> Result<Merge, ServiceError> {
        let (schema, def) = self.object(object)?;
        if !crate::dedupe::mergeable_object(&def) {
            return Err(ServiceError::field("object", Msg::DupUnsupportedObject));
        }
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        let merged: Vec<Uuid> = merged.iter().copied().filter(|id| seen.insert(*id)).collect();
        if merged.is_empty() {
            errors.push(FieldError::new("merged", Msg::MergeNothingToMerge));
        }
        if merged.contains(&survivor) {
            errors.push(FieldError::new("merged", Msg::MergeSurvivorMerged));
        }
        let access = self.access(actor, &def);
        for (name, id) in fields {
            let known = mergeable(&def).any(|(_, f)| &f.name == name) && !access.hidden(name);
            if !known {
                errors
                    .push(FieldError::new(&format!("fields.{name}"), Msg::UnknownField).with("field", name));
            } else if *id != survivor && !merged.contains(id) {
                errors.push(FieldError::new(&format!("fields.{name}"), Msg::MergeBadChoice));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        // Who may: edit on the survivor, delete on each merged record (read first: 404).
        let kept = self.readable_with(&access, &def, survivor).await?;
        if kept.is_deleted() {
            return Err(ServiceError::NotFound);
        }
        self.editable_with(&access, &def, &kept).await?;
        let mut others = Vec::new();
        for id in &merged {
            let r = self.readable_with(&access, &def, *id).await?;
            if r.is_deleted() {
                return Err(ServiceError::NotFound);
            }
            let level = self
                .record_level(None, &access, &def, &r, Operation::Delete)
                .await?;
            if !(access.may(Operation::Delete) && access.allows(Operation::Delete, level)) {
                return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
            }
            others.push(r);
        }

        // The survivor's new values, and unique ones the merged records must give up.
        let mut patch = Map::new();
        let mut before = Map::new();
        let mut chosen = BTreeMap::new();
        let mut cleared: BTreeMap<Uuid, Map<String, Json>> = BTreeMap::new();
        for (i, f) in mergeable(&def) {
            if access.hidden(&f.name) {
                continue;
            }
            let from = fields
                .get(&f.name)
                .copied()
                .unwrap_or_else(|| default_choice(i, &kept, &others));
            if from == survivor {
                continue;
            }
            let Some(source) = others.iter().find(|r| r.id() == Some(from)) else {
                continue;
            };
            if source.values[i] == kept.values[i] {
                continue;
            }
            let value = values::to_json(f, &source.values[i]);
            if (f.unique || f.external_id) && !source.values[i].is_null() {
                cleared
                    .entry(from)
                    .or_default()
                    .insert(f.name.clone(), value.clone());
            }
            before.insert(f.name.clone(), values::to_json(f, &kept.values[i]));
            patch.insert(f.name.clone(), value);
            chosen.insert(f.name.clone(), from);
        }

        let power = elevated(actor);
        let skip: HashSet<Uuid> = merged.iter().copied().chain([survivor]).collect();
        let references = self.references_to(&power, &schema, &def, &merged, &skip).await?;

        let now = self.now();
        let mut tx = self.db().begin().await?;
        // History first, so the rows this merge writes for the merged records stay theirs.
        let history = store::history_of(&mut tx, &def.name, &merged).await?;
        for from in &merged {
            let ids: Vec<Uuid> = history
                .iter()
                .filter(|(_, r)| r == from)
                .map(|(h, _)| *h)
                .collect();
            store::move_history(&mut tx, &ids, survivor).await?;
        }
        let files = store::files_of(&mut tx, &def.name, &merged).await?;
        store::move_files(
            &mut tx,
            &files.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            survivor,
        )
        .await?;
        for (id, values) in &cleared {
            let nulls: Map<String, Json> = values.keys().map(|k| (k.clone(), Json::Null)).collect();
            self.write_in(
                &mut tx,
                actor,
                &schema,
                &def.name,
                vec![Change::Update {
                    id: *id,
                    version: None,
                    patch: nulls,
                }],
            )
            .await?;
        }
        let mut survivor_version = kept.version();
        if !patch.is_empty() {
            let done = self
                .write_in(
                    &mut tx,
                    actor,
                    &schema,
                    &def.name,
                    vec![Change::Update {
                        id: survivor,
                        version: Some(kept.version()),
                        patch,
                    }],
                )
                .await?;
            survivor_version = done.first().map_or(survivor_version, Record::version);
        }
        for r in &references {
            let mut p = Map::new();
            p.insert(r.field.clone(), json!(survivor));
            self.write_in(
                &mut tx,
                &power,
                &schema,
                &r.object,
                vec![Change::Update {
                    id: r.record,
                    version: None,
                    patch: p,
                }],
            )
            .await?;
        }
        let (mut consents, mut preferences_from, mut shares) = (Vec::new(), None, Vec::new());
        if def.name == "contact" {
            consents = store::consents_of(&mut tx, &merged).await?;
            let ids: Vec<Uuid> = consents.iter().map(|(c, _)| *c).collect();
            store::move_consents(&mut tx, &ids, survivor).await?;
            if store::with_preferences(&mut tx, &[survivor]).await?.is_empty() {
                let with = store::with_preferences(&mut tx, &merged).await?;
                if let Some(from) = merged.iter().find(|m| with.contains(m))
                    && store::move_preferences(&mut tx, *from, survivor).await?
                {
                    preferences_from = Some(*from);
                }
            }
        }
        let kept_grantees: HashSet<Uuid> = store::shares_of(&mut tx, &def.name, &[survivor])
            .await?
            .into_iter()
            .map(|(g, _)| g)
            .collect();
        let mut granted = kept_grantees.clone();
        for (grantee, from) in store::shares_of(&mut tx, &def.name, &merged).await? {
            if granted.insert(grantee)
                && store::move_share(&mut tx, &def.name, from, survivor, grantee).await?
            {
                shares.push((grantee, from));
            }
        }
        let deleted = self
            .write_in(
                &mut tx,
                actor,
                &schema,
                &def.name,
                merged
                    .iter()
                    .map(|id| Change::Delete {
                        id: *id,
                        version: None,
                    })
                    .collect(),
            )
            .await?;
        let merged_versions = deleted
            .iter()
            .filter_map(|r| Some((r.id()?, r.version())))
            .collect();
        let merge = Merge {
            id: Uuid::now_v7(),
            object: def.name.clone(),
            survivor,
            merged: merged.clone(),
            chosen,
            before,
            survivor_version,
            merged_versions,
            cleared,
            references,
            history,
            consents,
            preferences_from,
            shares,
            files,
            actor: Some(actor.user_id),
            at: Some(now),
            undone_at: None,
        };
        let definition = serde_json::to_string(&merge).map_err(|e| ServiceError::Internal(e.to_string()))?;
        store::insert_merge(
            &mut tx,
            &MergeRow {
                id: merge.id,
                object: def.name.clone(),
                survivor_id: survivor,
                actor: Some(actor.user_id),
                at: now,
                definition,
                undone_at: None,
                undone_by: None,
            },
        )
        .await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "record.merge",
            Some(&def.name),
            Some(survivor),
            json!({"merge": merge.id, "merged": merge.merged, "fields": merge.chosen,
                   "references": merge.references.len(), "history": merge.history.len()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(merge)
    }

    /// A merge, for whoever may read the record that survived it.
    pub async fn merge_record(&self, actor: &Actor, id: Uuid) -> Result<Merge, ServiceError> {
        let row = store::merge(self.db(), id).await?.ok_or(ServiceError::NotFound)?;
        let (_, def) = self.object(&row.object)?;
        let access = self.access(actor, &def);
        self.readable_with(&access, &def, row.survivor_id).await?;
        Merge::from_row(&row)
    }

    /// The merges into a record, newest first.
    pub async fn merges_into(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<Merge>, ServiceError> {
        let (_, def) = self.object(object)?;
        let access = self.access(actor, &def);
        self.readable_with(&access, &def, id).await?;
        store::merges_into(self.db(), &def.name, id)
            .await?
            .iter()
            .map(Merge::from_row)
            .collect()
    }

    /// Where a merged record went: the merge (not undone) that put it in the recycle bin.
    pub async fn merged_into(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Option<Merge>, ServiceError> {
        let (_, def) = self.object(object)?;
        let access = self.access(actor, &def);
        self.readable_with(&access, &def, id).await?;
        match store::merge_of_merged(self.db(), &def.name, id).await? {
            Some(row) => {
                let m = Merge::from_row(&row)?;
                Ok(m.merged.contains(&id).then_some(m))
            }
            None => Ok(None),
        }
    }

    /// Undoes a merge: the survivor gets its values back, the merged records come back
    /// from the recycle bin with what they gave up, and exactly the references, history,
    /// consents, preferences and shares the merge moved move back. Refused (nothing
    /// changed) when the survivor, a merged record or a moved reference changed since.
    pub async fn undo_merge(&self, actor: &Actor, id: Uuid) -> Result<Merge, ServiceError> {
        let row = store::merge(self.db(), id).await?.ok_or(ServiceError::NotFound)?;
        let (schema, def) = self.object(&row.object)?;
        let access = self.access(actor, &def);
        let kept = self.readable_with(&access, &def, row.survivor_id).await?;
        let mut merge = Merge::from_row(&row)?;
        if merge.undone_at.is_some() {
            return Err(ServiceError::UndoRefused(Msg::MergeAlreadyUndone, vec![]));
        }
        let power = elevated(actor);
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !store::mark_undone(&mut tx, id, now, Some(actor.user_id)).await? {
            return Err(ServiceError::UndoRefused(Msg::MergeAlreadyUndone, vec![]));
        }
        let current = rows::get_in(&mut tx, &def, kept.id().unwrap_or_default())
            .await?
            .ok_or(ServiceError::NotFound)?;
        if current.version() != merge.survivor_version || current.is_deleted() {
            return Err(ServiceError::UndoRefused(
                Msg::MergeUndoSurvivorChanged,
                vec![
                    ("now".into(), current.version().to_string()),
                    ("then".into(), merge.survivor_version.to_string()),
                ],
            ));
        }
        for (mid, version) in &merge.merged_versions {
            match rows::get_in(&mut tx, &def, *mid).await? {
                Some(r) if r.is_deleted() && r.version() == *version => {}
                _ => return Err(ServiceError::UndoRefused(Msg::MergeUndoMergedChanged, vec![])),
            }
        }
        for (from, ids) in group(&merge.history) {
            store::move_history(&mut tx, &ids, from).await?;
        }
        for (from, ids) in group(&merge.files) {
            store::move_files(&mut tx, &ids, from).await?;
        }
        if !merge.before.is_empty() {
            self.write_in(
                &mut tx,
                actor,
                &schema,
                &def.name,
                vec![Change::Update {
                    id: merge.survivor,
                    version: Some(merge.survivor_version),
                    patch: merge.before.clone(),
                }],
            )
            .await?;
        }
        self.write_in(
            &mut tx,
            actor,
            &schema,
            &def.name,
            merge
                .merged
                .iter()
                .map(|id| Change::Restore { id: *id })
                .collect(),
        )
        .await?;
        for (mid, values) in &merge.cleared {
            self.write_in(
                &mut tx,
                actor,
                &schema,
                &def.name,
                vec![Change::Update {
                    id: *mid,
                    version: None,
                    patch: values.clone(),
                }],
            )
            .await?;
        }
        for r in &merge.references {
            let obj = schema.object(&r.object).cloned().ok_or(ServiceError::NotFound)?;
            let i = obj.fields.iter().position(|f| f.name == r.field);
            let still = match (rows::get_in(&mut tx, &obj, r.record).await?, i) {
                (Some(rec), Some(i)) => !rec.is_deleted() && rec.values[i] == Value::Uuid(merge.survivor),
                _ => false,
            };
            if !still {
                return Err(ServiceError::UndoRefused(
                    Msg::MergeUndoReferenceChanged,
                    vec![
                        ("object".into(), r.object.clone()),
                        ("id".into(), r.record.to_string()),
                    ],
                ));
            }
            let mut p = Map::new();
            p.insert(r.field.clone(), json!(r.from));
            self.write_in(
                &mut tx,
                &power,
                &schema,
                &r.object,
                vec![Change::Update {
                    id: r.record,
                    version: None,
                    patch: p,
                }],
            )
            .await?;
        }
        for (from, ids) in group(&merge.consents) {
            store::move_consents(&mut tx, &ids, from).await?;
        }
        if let Some(from) = merge.preferences_from {
            store::move_preferences(&mut tx, merge.survivor, from).await?;
        }
        for (grantee, from) in &merge.shares {
            store::move_share(&mut tx, &def.name, merge.survivor, *from, *grantee).await?;
        }
        crate::audit::record(
            &mut tx,
            Some(actor),
            "record.merge.undo",
            Some(&def.name),
            Some(merge.survivor),
            json!({"merge": merge.id, "merged": merge.merged}),
            now,
        )
        .await?;
        tx.commit().await?;
        merge.undone_at = Some(now);
        Ok(merge)
    }
}

/// `(item, owner)` pairs grouped by owner.
fn group(pairs: &[(Uuid, Uuid)]) -> BTreeMap<Uuid, Vec<Uuid>> {
    let mut out: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for (item, owner) in pairs {
        out.entry(*owner).or_default().push(*item);
    }
    out
}

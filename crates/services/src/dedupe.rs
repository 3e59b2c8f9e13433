//! Duplicate detection for contacts, accounts and leads: the duplicates of one record, the
//! groups of duplicates of a whole object (streamed, blocked, never every pair), and the
//! rules administrators set per object (warn or block on create, threshold). Scoring is
//! core's (`guanxi_core::dedupe`); this module only gathers facts the actor may read.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use guanxi_core::dedupe::{self, Facts, Kind, Reason};
use guanxi_core::metadata::FieldType;
use guanxi_core::query::quote;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_storage::records as store;
use guanxi_storage::system::{self, Definition};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::records::{ListQuery, MAX_PAGE};
use crate::{Actor, Crm, ServiceError};

const TABLE: &str = "gx_duplicate_rules";

/// Records the search index proposes for a company's core name (scored like the others).
const CANDIDATES_FROM_SEARCH: usize = 20;
/// The newest records whose name begins with the core, read from the table beside the
/// index (which may not have them yet).
const NEWEST_CANDIDATES: usize = 20;

/// Pairs scoring at least this are duplicates unless a rule for the object says otherwise.
pub const DEFAULT_THRESHOLD: u8 = 50;

/// Blocks with more members than this (one switchboard number behind hundreds of staff,
/// a common name with no company) are not compared pair by pair: what they share is not
/// evidence, and every true pair in them also shares a smaller block.
pub const MAX_BLOCK: usize = 200;

/// What a duplicate rule does when a new record looks like existing ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Warn,
    Block,
}

/// An object's duplicate rule, set by administrators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateRule {
    pub object: String,
    pub enabled: bool,
    pub action: Action,
    pub threshold: u8,
}

/// A record that looks like another one: how much, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub id: Uuid,
    pub name: String,
    pub external_id: Option<String>,
    pub score: u8,
    pub reasons: Vec<Reason>,
}

impl Match {
    pub fn json(&self, locale: Locale) -> Json {
        json!({
            "id": self.id,
            "name": self.name,
            "external_id": self.external_id,
            "score": self.score,
            "reasons": reasons_json(&self.reasons, locale),
        })
    }
}

/// Reasons for the API: code, points, the values concerned and the sentence.
pub fn reasons_json(reasons: &[Reason], locale: Locale) -> Json {
    reasons
        .iter()
        .map(|r| json!({"code": r.code.code(), "points": r.points, "a": r.a, "b": r.b, "text": r.render(locale)}))
        .collect()
}

/// Records that are duplicates of one another (connected by pairs scoring at least the
/// threshold). Each member carries its best score and reasons against another member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub members: Vec<Match>,
}

/// Which kind of thing an object's records describe, if duplicate detection covers it.
pub fn kind_of(object: &ObjectDef) -> Option<Kind> {
    match object.name.as_str() {
        "contact" | "lead" => Some(Kind::Person),
        "account" => Some(Kind::Company),
        _ => None,
    }
}

/// Whether records of an object can be merged: people and companies (found as duplicates
/// by the duplicate rules) and service cases (the same request raised twice).
pub fn mergeable_object(object: &ObjectDef) -> bool {
    kind_of(object).is_some() || object.name == crate::cases::CASE
}

fn unsupported() -> ServiceError {
    ServiceError::field("object", Msg::DupUnsupportedObject)
}

/// Where an object's facts are: positions of each kind of field, read from metadata so
/// custom email or phone fields count too.
struct Layout {
    kind: Kind,
    names: Vec<usize>,
    emails: Vec<usize>,
    phones: Vec<usize>,
    websites: Vec<usize>,
    company_text: Option<usize>,
    account: Option<usize>,
    city: Option<usize>,
    external_id: Option<usize>,
    name: Option<usize>,
}

impl Layout {
    fn of(object: &ObjectDef) -> Option<Layout> {
        let kind = kind_of(object)?;
        let pos = |n: &str| object.fields.iter().position(|f| f.name == n);
        let of_type = |t: FieldType, skip: &[&str]| {
            object
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.field_type == t && !skip.contains(&f.name.as_str()))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        let names = [object.name_field.as_str(), "english_name", "legal_name"]
            .iter()
            .filter_map(|n| pos(n))
            .collect();
        Some(Layout {
            kind,
            names,
            emails: of_type(FieldType::Email, &[]),
            phones: of_type(FieldType::Phone, &["fax"]),
            websites: of_type(FieldType::Url, &[]),
            company_text: pos("company").filter(|i| object.fields[*i].field_type == FieldType::Text),
            account: pos("account").filter(|i| object.fields[*i].field_type == FieldType::Lookup),
            city: pos("city"),
            external_id: object.fields.iter().position(|f| f.external_id),
            name: pos(&object.name_field),
        })
    }

    fn facts(&self, r: &Record, accounts: &HashMap<Uuid, String>) -> Facts {
        let texts = |list: &[usize]| -> Vec<String> {
            list.iter()
                .filter_map(|i| match r.values.get(*i) {
                    Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.clone()),
                    _ => None,
                })
                .collect()
        };
        let one = |i: Option<usize>| i.and_then(|i| texts(&[i]).into_iter().next());
        let company = one(self.company_text).or_else(|| match self.account.and_then(|i| r.values.get(i)) {
            Some(Value::Uuid(id)) => accounts.get(id).cloned(),
            _ => None,
        });
        Facts {
            names: texts(&self.names),
            company,
            emails: texts(&self.emails),
            phones: texts(&self.phones),
            websites: texts(&self.websites),
            city: one(self.city),
        }
    }

    fn label(&self, r: &Record) -> (String, Option<String>) {
        let text = |i: Option<usize>| match i.and_then(|i| r.values.get(i)) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        (text(self.name).unwrap_or_default(), text(self.external_id))
    }
}

fn stored(d: &Definition) -> Option<DuplicateRule> {
    serde_json::from_str(&d.definition).ok()
}

fn hash_key(k: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

/// Union-find over record positions.
fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let up = parent[parent[i as usize] as usize];
        parent[i as usize] = up;
        i = up;
    }
    i
}

/// The groups of a batch of facts: records are filed under their blocking keys, pairs are
/// scored within each block only, and pairs at or above the threshold join their records'
/// groups. Returns (members of each group, best score and reasons of each member).
pub fn group_facts(
    kind: Kind,
    facts: &[Facts],
    threshold: u8,
) -> (Vec<Vec<usize>>, HashMap<usize, dedupe::Score>) {
    let mut blocks: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        for k in dedupe::blocking_keys(kind, f) {
            blocks.entry(hash_key(&k)).or_default().push(i as u32);
        }
    }
    let mut parent: Vec<u32> = (0..facts.len() as u32).collect();
    let mut best: HashMap<usize, dedupe::Score> = HashMap::new();
    let mut seen: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
    for members in blocks.values() {
        if members.len() < 2 || members.len() > MAX_BLOCK {
            continue;
        }
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                let pair = (a.min(b), a.max(b));
                if a == b || !seen.insert(pair) {
                    continue;
                }
                let s = dedupe::score(kind, &facts[a as usize], &facts[b as usize]);
                if s.score < threshold {
                    continue;
                }
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
                for i in [a as usize, b as usize] {
                    if best.get(&i).is_none_or(|old| old.score < s.score) {
                        best.insert(i, s.clone());
                    }
                }
            }
        }
        // Pairs are only remembered per block run; a big object would otherwise keep them all.
        if seen.len() > 1_000_000 {
            seen.clear();
        }
    }
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in best.keys() {
        let root = find(&mut parent, i as u32);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_values()
        .map(|mut g| {
            g.sort_unstable();
            g
        })
        .collect();
    out.sort_unstable_by_key(|g| g[0]);
    (out, best)
}

impl Crm {
    /// Every object's duplicate rule that is stored (administrators).
    pub async fn duplicate_rules(&self, actor: &Actor) -> Result<Vec<DuplicateRule>, ServiceError> {
        crate::definitions::admin_only(actor)?;
        Ok(system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .collect())
    }

    /// The rule for an object: the stored one, else warn at the default threshold.
    pub async fn duplicate_rule(&self, object: &str) -> Result<DuplicateRule, ServiceError> {
        let (_, def) = self.object(object)?;
        kind_of(&def).ok_or_else(unsupported)?;
        Ok(self
            .definitions(TABLE)
            .await?
            .iter()
            .filter_map(stored)
            .find(|r| r.object == def.name)
            .unwrap_or(DuplicateRule {
                object: def.name.clone(),
                enabled: true,
                action: Action::Warn,
                threshold: DEFAULT_THRESHOLD,
            }))
    }

    /// Sets an object's duplicate rule (`enabled`, `action` warn|block, `threshold`
    /// 1–100); audited. Each bad member is named.
    pub async fn set_duplicate_rule(
        &self,
        actor: &Actor,
        object: &str,
        input: &Json,
    ) -> Result<DuplicateRule, ServiceError> {
        crate::definitions::admin_only(actor)?;
        let def = self.schema().named(object).cloned().ok_or_else(unsupported)?;
        kind_of(&def).ok_or_else(unsupported)?;
        let current = self.duplicate_rule(&def.name).await?;
        let mut errors = Vec::new();
        let enabled = match input.get("enabled") {
            None => current.enabled,
            Some(Json::Bool(b)) => *b,
            Some(_) => {
                errors.push(FieldError::new("enabled", Msg::NotBoolean));
                current.enabled
            }
        };
        let action = match input.get("action") {
            None => current.action,
            Some(v) => match v.as_str().map(str::trim) {
                Some("warn") => Action::Warn,
                Some("block") => Action::Block,
                _ => {
                    errors.push(FieldError::new("action", Msg::DupRuleBadAction));
                    current.action
                }
            },
        };
        let threshold = match input.get("threshold") {
            None => current.threshold,
            Some(v) => match v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(t @ 1..=100) => t as u8,
                _ => {
                    errors.push(FieldError::new("threshold", Msg::DupRuleBadThreshold));
                    current.threshold
                }
            },
        };
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let rule = DuplicateRule {
            object: def.name.clone(),
            enabled,
            action,
            threshold,
        };
        let id = system::definitions(self.db(), TABLE)
            .await?
            .iter()
            .find(|d| d.object.as_deref() == Some(def.name.as_str()))
            .map_or_else(Uuid::now_v7, |d| d.id);
        let d = Definition {
            id,
            name: def.name.clone(),
            object: Some(def.name.clone()),
            definition: serde_json::to_string(&rule).map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let detail = serde_json::to_value(&rule).unwrap_or(Json::Null);
        self.save_definition(actor, TABLE, &d, "metadata.duplicate_rule.set", detail)
            .await?;
        Ok(rule)
    }

    /// Names of the accounts the actor may read, by id (to compare contacts' companies).
    async fn account_names(&self, actor: &Actor) -> Result<HashMap<Uuid, String>, ServiceError> {
        let mut out = HashMap::new();
        let Some(def) = self.schema().object("account").cloned() else {
            return Ok(out);
        };
        let name = def.fields.iter().position(|f| f.name == def.name_field);
        let mut q = ListQuery {
            limit: Some(MAX_PAGE),
            ..Default::default()
        };
        loop {
            let page = match self.list(actor, "account", &q).await {
                Ok(p) => p,
                Err(ServiceError::Forbidden(_)) => return Ok(out),
                Err(e) => return Err(e),
            };
            for r in &page.records {
                if let (Some(id), Some(Value::Text(n))) = (r.id(), name.and_then(|i| r.values.get(i))) {
                    out.insert(id, n.clone());
                }
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// The groups of duplicates among the records of `object` the actor may read, each
    /// pair at or above `threshold` (default: the object's rule). Streams the object page
    /// by page; compares only records that share a blocking key.
    pub async fn duplicate_groups(
        &self,
        actor: &Actor,
        object: &str,
        threshold: Option<u8>,
    ) -> Result<Vec<Group>, ServiceError> {
        let (_, def) = self.object(object)?;
        let layout = Layout::of(&def).ok_or_else(unsupported)?;
        let threshold = match threshold {
            Some(t) => t,
            None => self.duplicate_rule(&def.name).await?.threshold,
        };
        let accounts = if layout.account.is_some() {
            self.account_names(actor).await?
        } else {
            HashMap::new()
        };
        let t0 = std::time::Instant::now();
        let mut facts = Vec::new();
        let mut ids = Vec::new();
        let mut labels = Vec::new();
        let mut q = ListQuery {
            limit: Some(MAX_PAGE),
            ..Default::default()
        };
        loop {
            let page = self.list(actor, &def.name, &q).await?;
            for r in &page.records {
                let Some(id) = r.id() else { continue };
                facts.push(layout.facts(r, &accounts));
                ids.push(id);
                labels.push(layout.label(r));
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        let t1 = std::time::Instant::now();
        let (groups, best) = group_facts(layout.kind, &facts, threshold);
        tracing::info!(
            object = %def.name,
            records = facts.len(),
            groups = groups.len(),
            read = ?(t1 - t0),
            compare = ?t1.elapsed(),
            "duplicate detection"
        );
        Ok(groups
            .into_iter()
            .map(|g| Group {
                members: g
                    .into_iter()
                    .map(|i| {
                        let s = best.get(&i).cloned().unwrap_or(dedupe::Score {
                            score: 0,
                            reasons: Vec::new(),
                        });
                        let (name, external_id) = labels[i].clone();
                        Match {
                            id: ids[i],
                            name,
                            external_id,
                            score: s.score,
                            reasons: s.reasons,
                        }
                    })
                    .collect(),
            })
            .collect())
    }

    /// The records of `object` the actor may read that look like `record` (a stored one,
    /// or one about to be created), best first; `record` itself is left out.
    pub(crate) async fn matches_for(
        &self,
        actor: &Actor,
        def: &ObjectDef,
        record: &Record,
        threshold: u8,
    ) -> Result<Vec<Match>, ServiceError> {
        let layout = Layout::of(def).ok_or_else(unsupported)?;
        let mut accounts = HashMap::new();
        if let Some(Value::Uuid(acc)) = layout.account.and_then(|i| record.values.get(i)) {
            accounts = self.names_of(actor, "account", &[*acc]).await?;
        }
        let facts = layout.facts(record, &accounts);
        // Candidates: records sharing an exact stored value of an identifying field, the
        // same account (colleagues), or the company's core name.
        // Each candidate query is one condition on an indexed field, so each is an index
        // lookup however large the object (an OR with an unindexed field would scan it).
        let indexed = |i: usize| {
            let f = &def.fields[i];
            f.indexed || f.unique || f.external_id
        };
        let mut conds = Vec::new();
        // Conditions on a value many records may share (a name, a company's colleagues),
        // with the field and value: how common it is is counted before records are read.
        let mut shared: HashMap<String, (usize, Value)> = HashMap::new();
        for &i in layout
            .emails
            .iter()
            .chain(&layout.phones)
            .chain(&layout.names)
            .chain(&layout.websites)
            .chain(layout.account.iter())
        {
            // Every phone field against every phone value: a mobile typed in `phone` still matches.
            let sources: Vec<usize> = if layout.phones.contains(&i) {
                layout.phones.clone()
            } else {
                vec![i]
            };
            let common = layout.names.contains(&i) || layout.account == Some(i);
            for j in sources {
                let (cond, value) = match record.values.get(j) {
                    Some(v @ Value::Text(t)) if !t.is_empty() && indexed(i) => {
                        (format!("{} eq {}", def.fields[i].name, quote(t)), v)
                    }
                    Some(v @ Value::Uuid(u)) if indexed(i) => (format!("{} eq '{u}'", def.fields[i].name), v),
                    _ => continue,
                };
                let f = &def.fields[i];
                if common && !f.unique && !f.external_id {
                    shared.insert(cond.clone(), (i, value.clone()));
                }
                conds.push(cond);
            }
        }
        let company_field = match layout.kind {
            Kind::Company => layout.name,
            Kind::Person => layout.company_text,
        };
        let company = match layout.kind {
            Kind::Company => facts.names.first().cloned(),
            Kind::Person => facts.company.clone().filter(|_| layout.company_text.is_some()),
        };
        // Candidates read newest first, a few, without the block rule.
        let mut newest: Option<String> = None;
        if let (Some(i), Some(c)) = (company_field, company) {
            let core = guanxi_core::matching::company_core(&c);
            if core.chars().count() >= 2 {
                let name = &def.fields[i].name;
                let begins = format!("{name} starts_with {}", quote(&core));
                // The search index knows every word of every name (a city or another word
                // before the core too) and ranks them; it follows writes within a second,
                // so the newest names that begin with the core are read from the table as
                // well. Without an index (the command line) the table is searched for the
                // core anywhere in the name.
                let asked = std::time::Instant::now();
                let found = self.search_candidates(&def.name, &core, CANDIDATES_FROM_SEARCH);
                tracing::debug!(object = %def.name, core = %core, took = ?asked.elapsed(), "look-alike candidates from the search index");
                match found {
                    Some(ids) => {
                        if !ids.is_empty() {
                            let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
                            conds.push(format!("id in ({})", list.join(", ")));
                        }
                        // A prefix with upper and lower case (a Latin name) is no index range
                        // but a scan: the index, which folds case, answers for those alone.
                        let caseless = core.chars().all(|c| !c.is_lowercase() && !c.is_uppercase());
                        if caseless {
                            newest = Some(begins);
                        }
                    }
                    None => {
                        conds.push(begins);
                        conds.push(format!("{name} contains {}", quote(&core)));
                    }
                }
            }
        }
        conds.sort();
        conds.dedup();
        if conds.is_empty() && newest.is_none() {
            return Ok(Vec::new());
        }
        let own = record.id();
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let queries = conds
            .into_iter()
            .map(|c| (c, false))
            .chain(newest.map(|c| (c, true)));
        // Each candidate query is independent: all asked at once, on the reader pool's
        // connections, and their answers scored in order as before.
        let shared = &shared;
        let asked: Vec<_> = queries
            .map(|(cond, recent)| async move {
                // As with blocks: a value shared by more records than a block holds (a
                // common name, a switchboard, a large customer's staff) is no evidence by
                // itself; a true look-alike also shares something rarer, and is found through
                // that. Counted on the index first, so a common name costs no reading of its
                // records.
                if let Some((i, value)) = shared.get(&cond)
                    && store::count_holding(self.db(), def, &def.fields[*i], value, MAX_BLOCK + 1).await?
                        > MAX_BLOCK
                {
                    return Ok::<_, ServiceError>(None);
                }
                let q = ListQuery {
                    filter: Some(cond),
                    sort: recent.then(|| "-id".to_string()),
                    limit: Some(if recent { NEWEST_CANDIDATES } else { MAX_BLOCK + 1 }),
                    few: !recent,
                    ..Default::default()
                };
                let started = std::time::Instant::now();
                let records = self.list(actor, &def.name, &q).await?.records;
                tracing::debug!(object = %def.name, filter = ?q.filter, found = records.len(), took = ?started.elapsed(), "look-alike candidates");
                Ok(Some((recent, records)))
            })
            .collect();
        for answer in futures_util::future::join_all(asked).await {
            let Some((recent, records)) = answer? else {
                continue;
            };
            // The same for values not counted first (phones, emails), among what was read.
            if !recent && records.len() > MAX_BLOCK {
                continue;
            }
            let records: Vec<Record> = records
                .into_iter()
                .filter(|r| r.id().is_some_and(|id| Some(id) != own && seen.insert(id)))
                .collect();
            // The candidates' companies, read together rather than one query each.
            let unknown: std::collections::HashSet<Uuid> = records
                .iter()
                .filter_map(|r| match layout.account.and_then(|i| r.values.get(i)) {
                    Some(Value::Uuid(a)) if !accounts.contains_key(a) => Some(*a),
                    _ => None,
                })
                .collect();
            if !unknown.is_empty() {
                let ids: Vec<Uuid> = unknown.into_iter().collect();
                accounts.extend(self.names_of(actor, "account", &ids).await?);
            }
            for r in records {
                let Some(id) = r.id() else { continue };
                let s = dedupe::score(layout.kind, &facts, &layout.facts(&r, &accounts));
                if s.score >= threshold {
                    let (name, external_id) = layout.label(&r);
                    out.push(Match {
                        id,
                        name,
                        external_id,
                        score: s.score,
                        reasons: s.reasons,
                    });
                }
            }
        }
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The records that look like the stored record `id` (at the object's threshold).
    /// A data-quality score counts them with `.len()`.
    pub async fn duplicates_of(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<Match>, ServiceError> {
        let (_, def) = self.object(object)?;
        kind_of(&def).ok_or_else(unsupported)?;
        let record = self.get(actor, &def.name, id, false).await?;
        let threshold = self.duplicate_rule(&def.name).await?.threshold;
        self.matches_for(actor, &def, &record, threshold).await
    }

    /// How many of the object's records (that the actor may read) have at least one
    /// duplicate, and in how many groups: for data-quality scores.
    pub async fn duplicate_counts(
        &self,
        actor: &Actor,
        object: &str,
    ) -> Result<(usize, usize), ServiceError> {
        let groups = self.duplicate_groups(actor, object, None).await?;
        Ok((groups.iter().map(|g| g.members.len()).sum(), groups.len()))
    }
}

/// The groups as CSV: a header, then one row per record that has duplicates —
/// `group,id,external_id,name,score,reasons` (reasons: codes separated by `;`).
pub fn groups_csv(groups: &[Group]) -> Result<String, ServiceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ServiceError::Internal(e.to_string());
    w.write_record(["group", "id", "external_id", "name", "score", "reasons"])
        .map_err(io)?;
    for (n, g) in groups.iter().enumerate() {
        for m in &g.members {
            let reasons: Vec<&str> = m.reasons.iter().map(|r| r.code.code()).collect();
            w.write_record([
                (n + 1).to_string(),
                m.id.to_string(),
                m.external_id.clone().unwrap_or_default(),
                crate::export::neutralise(&m.name).into_owned(),
                m.score.to_string(),
                reasons.join(";"),
            ])
            .map_err(io)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, company: &str, email: &str, phone: &str) -> Facts {
        Facts {
            names: vec![name.into()],
            company: (!company.is_empty()).then(|| company.into()),
            emails: if email.is_empty() {
                vec![]
            } else {
                vec![email.into()]
            },
            phones: if phone.is_empty() {
                vec![]
            } else {
                vec![phone.into()]
            },
            ..Facts::default()
        }
    }

    #[test]
    fn groups_join_through_any_strong_pair_and_leave_colleagues_apart() {
        let facts = vec![
            p("张伟", "华通科技", "zw@huatong.cn", "010 6552 9988"),
            p("Zhang Wei", "北京华通科技有限公司", "ZW@huatong.cn", ""),
            p("李娜", "华通科技", "", "010 6552 9988"),
            p("张伟", "远大机械", "", ""),
            p("王芳", "", "", "13800138000"),
            p("王 芳", "", "", "+86 138 0013 8000"),
        ];
        let (groups, best) = group_facts(Kind::Person, &facts, 50);
        assert_eq!(groups, vec![vec![0, 1], vec![4, 5]]);
        assert!(best[&0].score >= 90);
    }
}

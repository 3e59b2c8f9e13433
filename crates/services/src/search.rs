//! Search over every object: the node's tantivy index (guanxi-search) kept current from
//! the change feed, rebuilt from the tables on demand, and answers filtered through the
//! same read permissions and field-level security as lists. The index only proposes
//! candidates; what an actor sees is always decided here, from the database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guanxi_core::access::Operation;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, FieldType, Msg, ObjectDef, Value};
use guanxi_search::{Cursor, Entry, SearchIndex};
use guanxi_storage::records as store;
use guanxi_storage::system::{self, FeedEvent};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

pub const MAX_QUERY: usize = 200;
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;
/// How often the feed is read: a write is searchable well within a second.
pub const POLL: Duration = Duration::from_millis(150);
/// Events read from the feed at a time.
const BATCH: usize = 2000;
/// A sequence number skipped by the feed is waited for this long (its transaction may
/// still commit), then taken for a rolled-back one.
const GAP_AGE: Duration = Duration::from_secs(60);
/// At most this many missing sequence numbers are waited for at once.
const MAX_GAPS: usize = 10_000;
/// Records analysed and added at a time by a rebuild.
const REBUILD_PAGE: usize = 5000;

/// One found record, as the searcher may see it.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResult {
    /// The object's plural API name (`contacts`).
    pub object: String,
    pub id: Uuid,
    pub name: String,
    /// A short second line: account, email or phone.
    pub secondary: Option<String>,
    pub score: f32,
}

/// Where the feed consumer stands between commits.
#[derive(Default)]
struct Feed {
    /// Highest sequence number read.
    high: i64,
    /// Sequence numbers below `high` not read yet (their transaction had not committed),
    /// with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    /// The cursor of the last commit.
    committed: i64,
}

impl Feed {
    fn cursor(&self) -> i64 {
        self.gaps.keys().next().map_or(self.high, |g| g - 1)
    }
}

/// The node's index and its feed position.
pub struct Search {
    index: Arc<SearchIndex>,
    feed: tokio::sync::Mutex<Feed>,
}

/// Where a data directory keeps its search index.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

impl Crm {
    /// Opens the search index in the data directory (once per process: the index allows
    /// one writer). Fails when another process holds it, saying so in `locale`.
    pub fn open_search(&self, locale: guanxi_core::Locale) -> Result<Arc<Search>, ServiceError> {
        if let Some(s) = self.search.get() {
            return Ok(s.clone());
        }
        let Some(data_dir) = &self.data_dir else {
            return Err(ServiceError::Internal(
                "no data directory for the search index".into(),
            ));
        };
        let dir = index_dir(data_dir);
        let index = SearchIndex::open(&dir).map_err(|e| match e {
            guanxi_search::SearchError::Busy => ServiceError::Internal(
                Msg::SearchIndexBusy.format(locale, &[("dir", &dir.display().to_string())]),
            ),
            e => search_error(e),
        })?;
        let cursor = index.cursor();
        let s = Arc::new(Search {
            index: Arc::new(index),
            feed: tokio::sync::Mutex::new(Feed {
                high: cursor.seq,
                gaps: BTreeMap::new(),
                committed: cursor.seq,
            }),
        });
        Ok(self.search.get_or_init(|| s).clone())
    }

    /// Whether this node's index is open and was built from the tables.
    pub fn search_built(&self) -> bool {
        self.search.get().is_some_and(|s| s.index.cursor().built)
    }

    /// Stops writing to the index and releases its directory (at shutdown).
    pub fn close_search(&self) {
        if let Some(s) = self.search.get() {
            s.index.close();
        }
    }

    fn search_index(&self) -> Result<Arc<Search>, ServiceError> {
        self.search
            .get()
            .cloned()
            .ok_or_else(|| ServiceError::Internal("the search index is not open".into()))
    }

    /// Keeps the index current until the task is aborted: builds it from the tables if it
    /// never was, then follows the change feed.
    pub async fn run_indexer(self) {
        let Ok(search) = self.search_index() else { return };
        if !search.index.cursor().built
            && let Err(e) = self.rebuild_search().await
        {
            tracing::error!(error = %e, "building the search index failed");
        }
        loop {
            match self.follow_feed().await {
                Ok(n) if n >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "search indexing failed; retrying"),
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Reads the change feed once and brings the index up to it. Returns the events read.
    pub async fn follow_feed(&self) -> Result<usize, ServiceError> {
        let search = self.search_index()?;
        let mut feed = search.feed.lock().await;
        let now = Instant::now();
        let mut events = system::changes_after(self.db(), feed.high, BATCH).await?;
        for e in &events {
            // A number skipped here may belong to a transaction that commits later.
            let mut g = feed.high + 1;
            while g < e.seq && feed.gaps.len() < MAX_GAPS {
                feed.gaps.insert(g, now);
                g += 1;
            }
            feed.high = feed.high.max(e.seq);
        }
        let read = events.len();
        if !feed.gaps.is_empty() {
            let missing: Vec<i64> = feed.gaps.keys().copied().collect();
            for e in system::changes_at(self.db(), &missing).await? {
                feed.gaps.remove(&e.seq);
                events.push(e);
            }
            feed.gaps.retain(|_, since| now.duration_since(*since) < GAP_AGE);
        }
        let cursor = feed.cursor();
        if events.is_empty() && cursor == feed.committed {
            return Ok(0);
        }
        let (entries, gone) = self.entries_for(&events).await?;
        let index = search.index.clone();
        let c = Cursor {
            format: 0,
            seq: cursor,
            built: true,
        };
        tokio::task::spawn_blocking(move || index.apply(&entries, &gone, &c))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(search_error)?;
        feed.committed = cursor;
        Ok(read)
    }

    /// Makes sure every committed write is in the results now, not at the next poll: reads
    /// the feed and commits. A privacy erase calls this after anonymising a record.
    pub async fn refresh_search(&self) -> Result<(), ServiceError> {
        self.follow_feed().await?;
        let search = self.search_index()?;
        let feed = search.feed.lock().await;
        let index = search.index.clone();
        let c = Cursor {
            format: 0,
            seq: feed.committed,
            built: true,
        };
        tokio::task::spawn_blocking(move || index.commit(&c))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(search_error)
    }

    /// The current rows of the records these events are about: entries for the live ones,
    /// and the rest (deleted, in the recycle bin, of an object that no longer exists) to remove.
    async fn entries_for(
        &self,
        events: &[FeedEvent],
    ) -> Result<(Vec<Entry>, Vec<(String, Uuid)>), ServiceError> {
        let mut by_object: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
        for e in events {
            let ids = by_object.entry(e.object.as_str()).or_default();
            if !ids.contains(&e.record_id) {
                ids.push(e.record_id);
            }
        }
        let schema = self.schema();
        let (mut entries, mut gone) = (Vec::new(), Vec::new());
        for (object, ids) in by_object {
            let Some(def) = schema.object(object) else {
                gone.extend(ids.into_iter().map(|id| (object.to_string(), id)));
                continue;
            };
            let records = store::get_many(self.db(), def, &ids).await?;
            let mut live = Vec::new();
            for r in &records {
                if let Some(e) = guanxi_search::entry(def, r) {
                    live.push(e.id);
                    entries.push(e);
                }
            }
            gone.extend(
                ids.into_iter()
                    .filter(|id| !live.contains(id))
                    .map(|id| (object.to_string(), id)),
            );
        }
        Ok((entries, gone))
    }

    /// Rebuilds the index from the tables: every live record of every object. Searches go
    /// on meanwhile (they see the old index until the end); the feed waits. Returns the
    /// number of records indexed.
    pub async fn rebuild_search(&self) -> Result<u64, ServiceError> {
        let search = self.search_index()?;
        let mut feed = search.feed.lock().await;
        // The feed's end when the rebuild starts, and the numbers below it not committed
        // yet: transactions still open, whose records the table scan may miss. They are
        // waited for as gaps, like any the feed skips.
        let seq = system::last_seq(self.db()).await?;
        let window = seq.saturating_sub(MAX_GAPS as i64).max(0);
        let present: std::collections::HashSet<i64> = system::seqs_between(self.db(), window, seq)
            .await?
            .into_iter()
            .collect();
        let now = Instant::now();
        let open: BTreeMap<i64, Instant> = (window + 1..=seq)
            .filter(|s| !present.contains(s))
            .map(|s| (s, now))
            .collect();
        let index = search.index.clone();
        index.clear().map_err(search_error)?;
        let mut count = 0u64;
        for def in self.schema().objects() {
            let mut after = None;
            let mut pending: Option<tokio::task::JoinHandle<Result<usize, guanxi_search::SearchError>>> =
                None;
            loop {
                // Read the next page while the previous one is analysed.
                let page = store::live_page(self.db(), def, after, REBUILD_PAGE).await?;
                if let Some(p) = pending.take() {
                    count += finish(p).await? as u64;
                }
                let full = page.len() == REBUILD_PAGE;
                after = page.last().and_then(Record::id);
                let (index, def) = (index.clone(), def.clone());
                pending = Some(tokio::task::spawn_blocking(move || {
                    let entries: Vec<Entry> = page
                        .iter()
                        .filter_map(|r| guanxi_search::entry(&def, r))
                        .collect();
                    index.add(&entries).map(|()| entries.len())
                }));
                if !full {
                    break;
                }
            }
            if let Some(p) = pending.take() {
                count += finish(p).await? as u64;
            }
        }
        let rebuilt = Feed {
            high: seq,
            gaps: open,
            committed: 0,
        };
        let c = Cursor {
            format: 0,
            seq: rebuilt.cursor(),
            built: true,
        };
        // The build ends when its segments are merged: searches then visit few.
        tokio::task::spawn_blocking(move || index.commit(&c).and_then(|()| index.settle()))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(search_error)?;
        *feed = Feed {
            committed: rebuilt.cursor(),
            ..rebuilt
        };
        Ok(count)
    }

    /// Records matching `q` that the actor may read, best first: of one object (name or
    /// plural) or of every object they may read.
    pub async fn search(
        &self,
        actor: &Actor,
        q: &str,
        object: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<SearchResult>, ServiceError> {
        let q = q.trim();
        let schema = self.schema();
        let mut errors = Vec::new();
        if q.is_empty() {
            errors.push(FieldError::new("q", Msg::Required));
        } else if q.chars().count() > MAX_QUERY {
            errors.push(FieldError::new("q", Msg::TooLong).with("max", MAX_QUERY));
        }
        let only = match object.map(str::trim).filter(|o| !o.is_empty()) {
            None => None,
            Some(o) => match schema.named(o) {
                Some(def) => Some(def.clone()),
                None => {
                    errors.push(FieldError::new("object", Msg::SearchUnknownObject).with("object", o));
                    None
                }
            },
        };
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            errors.push(FieldError::new("limit", Msg::InvalidLimit).with("max", MAX_LIMIT));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let candidates: Vec<Arc<ObjectDef>> = match &only {
            Some(def) => vec![def.clone()],
            // A quote's lines are found through their quote, not among customers and deals.
            None => schema
                .objects()
                .iter()
                .filter(|d| guanxi_core::builtin::in_navigation(&d.name))
                .cloned()
                .collect(),
        };
        let readable: Vec<Arc<ObjectDef>> = candidates
            .into_iter()
            .filter(|d| self.access(actor, d).may(Operation::Read))
            .collect();
        if readable.is_empty() {
            return match only {
                Some(_) => Err(ServiceError::Forbidden(Msg::DetailNoPermission)),
                None => Ok(Vec::new()),
            };
        }
        let restrict: Option<Vec<String>> = if only.is_none() && readable.len() == schema.objects().len() {
            None
        } else {
            Some(readable.iter().map(|d| d.name.clone()).collect())
        };
        let index = self.search_index()?.index.clone();
        let parsed = guanxi_search::analysis::parse(q);
        // Objects where the searcher may not read some searched field: a candidate must
        // match on what they may read, or search would reveal the hidden value.
        let partly_hidden: Vec<String> = readable
            .iter()
            .filter(|d| {
                let access = self.access(actor, d);
                d.fields
                    .iter()
                    .any(|f| guanxi_search::analysis::role(d, f).is_some() && access.hidden(&f.name))
            })
            .map(|d| d.name.clone())
            .collect();
        let mut found: Vec<(Arc<ObjectDef>, Record, f32)> = Vec::new();
        let (mut offset, mut fetch) = (0usize, (limit * 2).max(20));
        // Ask for more candidates while permissions leave too few, up to a bound.
        for _ in 0..4 {
            let hits = index
                .search(q, restrict.as_deref(), fetch, offset)
                .map_err(search_error)?;
            let mut by_object: HashMap<&str, Vec<Uuid>> = HashMap::new();
            for h in &hits {
                by_object.entry(h.object.as_str()).or_default().push(h.id);
            }
            let mut visible: HashMap<Uuid, Record> = HashMap::new();
            for (object, ids) in by_object {
                visible.extend(self.readable_by_id(actor, object, &ids, None).await?);
            }
            for h in &hits {
                if found.len() >= limit {
                    break;
                }
                if let (Some(r), Some(def)) = (visible.remove(&h.id), schema.object(&h.object)) {
                    if partly_hidden.contains(&def.name)
                        && !guanxi_search::entry(def, &r)
                            .is_some_and(|e| guanxi_search::analysis::matches(&parsed, &e))
                    {
                        continue;
                    }
                    found.push((def.clone(), r, h.score));
                }
            }
            if found.len() >= limit || hits.len() < fetch {
                break;
            }
            offset += fetch;
            fetch *= 4;
        }
        self.describe(actor, found).await
    }

    /// Ids of one object's records sharing a key or word with `q` (no typo forgiven), best
    /// first; `None` when this node has no index open (the command line), or it cannot
    /// answer.
    pub(crate) fn search_candidates(&self, object: &str, q: &str, limit: usize) -> Option<Vec<Uuid>> {
        let s = self.search.get()?;
        let hits = s.index.search_exact(q, Some(&[object.to_string()]), limit).ok()?;
        Some(hits.into_iter().map(|h| h.id).collect())
    }

    /// Names and second lines of found records, from what the actor may see of them.
    async fn describe(
        &self,
        actor: &Actor,
        found: Vec<(Arc<ObjectDef>, Record, f32)>,
    ) -> Result<Vec<SearchResult>, ServiceError> {
        // Accounts named on the second line, looked up once and permission-filtered.
        let mut accounts: Vec<Uuid> = Vec::new();
        for (def, r, _) in &found {
            if let Some(Value::Uuid(a)) = account_field(def).and_then(|i| r.values.get(i))
                && !accounts.contains(a)
            {
                accounts.push(*a);
            }
        }
        let account_names = if accounts.is_empty() {
            HashMap::new()
        } else {
            self.names_of(actor, "account", &accounts).await?
        };
        Ok(found
            .into_iter()
            .map(|(def, r, score)| {
                let text = |i: usize| match r.values.get(i) {
                    Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.clone()),
                    _ => None,
                };
                let name = def
                    .fields
                    .iter()
                    .position(|f| f.name == def.name_field)
                    .and_then(text)
                    .unwrap_or_else(|| "—".into());
                let mut parts: Vec<String> = Vec::new();
                if let Some(Value::Uuid(a)) = account_field(&def).and_then(|i| r.values.get(i))
                    && let Some(n) = account_names.get(a)
                {
                    parts.push(n.clone());
                }
                for t in [FieldType::Email, FieldType::Phone] {
                    if let Some(v) = def
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.field_type == t)
                        .find_map(|(i, _)| text(i))
                    {
                        parts.push(v);
                    }
                }
                if parts.is_empty()
                    && let Some(v) = def.fields.iter().position(|f| f.name == "company").and_then(text)
                {
                    parts.push(v);
                }
                parts.truncate(2);
                SearchResult {
                    object: def.plural.clone(),
                    id: r.id().unwrap_or_default(),
                    name,
                    secondary: (!parts.is_empty()).then(|| parts.join(" · ")),
                    score,
                }
            })
            .collect())
    }
}

/// The position of a record's lookup of its account, if the object has one.
fn account_field(def: &ObjectDef) -> Option<usize> {
    def.fields
        .iter()
        .position(|f| {
            f.field_type == FieldType::Lookup && f.target.as_deref() == Some("account") && !f.system
        })
        .filter(|_| def.name != "account")
}

async fn finish(
    job: tokio::task::JoinHandle<Result<usize, guanxi_search::SearchError>>,
) -> Result<usize, ServiceError> {
    job.await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(search_error)
}

fn search_error(e: guanxi_search::SearchError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

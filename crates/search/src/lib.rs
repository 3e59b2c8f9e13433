//! Guanxi search: one tantivy index per node, in the data directory, holding every live
//! record of every object (standard and custom) with the words and keys of
//! [`analysis`]. It stores with each commit the change-feed position it reflects, so the
//! index and its cursor can never disagree. It never reads the database and never decides
//! who may see what: the services feed it and filter its answers by permission.

pub mod analysis;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

pub use analysis::{Entry, entry};

/// Bumped when the fields or their analysis change: an index of another format is
/// rebuilt rather than read.
const FORMAT: u32 = 1;
const TOKENIZER: &str = "gx_words";
/// How the writer is set up for what it does.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Following the change feed: a few documents a second. One thread and the smallest
    /// budget tantivy takes, so each commit makes one small segment and walks a small
    /// table of terms (a commit's work grows with the budget, not with the documents).
    Follow,
    /// Building from the tables: two threads and a large budget (memory is taken as
    /// documents arrive), so a rebuild leaves few large segments for searches to visit.
    Build,
}

impl Mode {
    /// Threads and their shared memory budget in bytes.
    fn budget(self) -> (usize, usize) {
        match self {
            Mode::Follow => (1, 20_000_000),
            Mode::Build => (2, 400_000_000),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index directory {0}: {1}")]
    Open(PathBuf, tantivy::directory::error::OpenDirectoryError),
    #[error("the search index is in use by another process (is the server running?)")]
    Busy,
    #[error("the search index writer is unavailable")]
    Poisoned,
    #[error("the search index is closed")]
    Closed,
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// What the last commit reflects, stored with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub format: u32,
    /// Every change event up to this sequence number is in the index.
    pub seq: i64,
    /// False until the index has been filled from the tables once.
    pub built: bool,
}

/// One answer: which record, how well it matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub object: String,
    pub id: Uuid,
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    object: Field,
    id: Field,
    text: Field,
    keys: Field,
    prefixes: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        object: b.add_text_field("object", STRING | STORED),
        id: b.add_text_field("id", STORED),
        text: b.add_text_field("text", words),
        keys: b.add_text_field("keys", raw.clone()),
        prefixes: b.add_text_field("prefixes", raw),
    };
    (b.build(), fields)
}

/// The index of one node. Share one per process (`Arc`); searches run concurrently, writes
/// take turns.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// `None` once closed: the writer's lock on the directory is released.
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (empty, not yet built) when there is none or
    /// when it was written in another format.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let existing = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| SearchError::Open(dir.to_path_buf(), e))?;
        // A new index keeps the writer that made it: letting go of the directory's lock and
        // taking it again at once can find it still held.
        let (index, made) = match Index::open(existing) {
            Ok(index) if index.schema() == schema && read_cursor(&index).format == FORMAT => (index, None),
            Ok(_) | Err(_) => {
                // Unknown format or damaged: start again; the caller rebuilds from the tables.
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
                let index = Index::create_in_dir(dir, schema)?;
                register(&index);
                let mut writer = writer(&index, Mode::Follow)?;
                commit(
                    &mut writer,
                    &Cursor {
                        format: FORMAT,
                        seq: 0,
                        built: false,
                    },
                )?;
                (index, Some(writer))
            }
        };
        register(&index);
        // The segmentation dictionary loads on first use (a few hundred milliseconds):
        // here, rather than in the first search or write after startup.
        analysis::words("北京华通");
        let writer = match made {
            Some(w) => w,
            None => writer(&index, Mode::Follow)?,
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(Some(writer)),
            fields,
        })
    }

    /// What the last commit reflects.
    pub fn cursor(&self) -> Cursor {
        read_cursor(&self.index)
    }

    /// Replaces (or adds) these records and removes `gone` ones, then commits with `cursor`
    /// and makes the result visible to searches. One call is atomic: a crash leaves the
    /// previous commit and its cursor.
    pub fn apply(&self, entries: &[Entry], gone: &[(String, Uuid)], cursor: &Cursor) -> Result<()> {
        let mut guard = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let w = guard.as_mut().ok_or(SearchError::Closed)?;
        in_background(|| {
            for (object, id) in gone {
                w.delete_term(Term::from_field_text(self.fields.key, &doc_key(object, *id)));
            }
            for e in entries {
                w.delete_term(Term::from_field_text(self.fields.key, &doc_key(&e.object, e.id)));
                w.add_document(self.document(e))?;
            }
            commit(w, cursor)
        })?;
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    /// Starts a rebuild: every document goes (not yet committed), and the writer is set up
    /// for building until [`SearchIndex::settle`].
    pub fn clear(&self) -> Result<()> {
        let mut guard = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        // The following writer lets go of the directory before the building one takes it.
        guard.take().ok_or(SearchError::Closed)?;
        let building = match writer(&self.index, Mode::Build) {
            Ok(w) => w,
            Err(e) => {
                *guard = writer(&self.index, Mode::Follow).ok();
                return Err(e);
            }
        };
        building.delete_all_documents()?;
        *guard = Some(building);
        Ok(())
    }

    /// Adds documents without committing (a rebuild's batches; [`SearchIndex::apply`] or
    /// [`SearchIndex::commit`] ends it).
    pub fn add(&self, entries: &[Entry]) -> Result<()> {
        let guard = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let w = guard.as_ref().ok_or(SearchError::Closed)?;
        for e in entries {
            w.add_document(self.document(e))?;
        }
        Ok(())
    }

    /// Commits what was written with `cursor` and refreshes the searchers, so what was
    /// removed is gone from results at once (a privacy erase calls this).
    pub fn commit(&self, cursor: &Cursor) -> Result<()> {
        self.apply(&[], &[], cursor)
    }

    /// Gives up writing (what was not committed is lost) and releases the directory for
    /// another process. Searches still work.
    pub fn close(&self) {
        if let Ok(mut guard) = self.writer.lock() {
            guard.take();
        }
    }

    /// Number of segments searches visit (a rebuild leaves several until they are merged).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Number of documents searches see.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, e: &Entry) -> TantivyDocument {
        let f = self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, doc_key(&e.object, e.id));
        d.add_text(f.object, &e.object);
        d.add_text(f.id, e.id.to_string());
        for t in &e.texts {
            d.add_text(f.text, t);
        }
        for k in &e.keys {
            d.add_text(f.keys, k);
        }
        for p in &e.prefixes {
            d.add_text(f.prefixes, p);
        }
        d
    }

    /// The best `limit` matches of `q` among the records of `objects` (all objects when
    /// `None`), best first, skipping the first `offset`. Exact keys, key beginnings and
    /// words come first; only when they find nothing are typos forgiven and unfinished
    /// words completed — automata over millions of terms cost tens of milliseconds, which
    /// most queries need not pay.
    pub fn search(
        &self,
        q: &str,
        objects: Option<&[String]>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Hit>> {
        let parsed = analysis::parse(q);
        let exact = self.clauses(&parsed, false)?;
        if exact.is_empty() {
            return Ok(Vec::new());
        }
        let hits = self.run(exact, objects, limit, offset)?;
        if !hits.is_empty()
            || (offset > 0 && !self.run(self.clauses(&parsed, false)?, objects, 1, 0)?.is_empty())
        {
            return Ok(hits);
        }
        let mut all = self.clauses(&parsed, false)?;
        all.extend(self.clauses(&parsed, true)?);
        self.run(all, objects, limit, offset)
    }

    /// The best `limit` records of `objects` sharing an exact key or word with `q`, best
    /// first — never typos forgiven or words completed. For a complete text looked for
    /// among records (a company's name among possible duplicates), where those automata
    /// would cost tens of milliseconds each time the name is new.
    pub fn search_exact(&self, q: &str, objects: Option<&[String]>, limit: usize) -> Result<Vec<Hit>> {
        let exact = self.clauses(&analysis::parse(q), false)?;
        if exact.is_empty() {
            return Ok(Vec::new());
        }
        self.run(exact, objects, limit, 0)
    }

    /// The alternatives a query matches by: exact keys, key beginnings and words — or
    /// (`forgiving`) the beginning of the last word and one-typo variants of long words.
    fn clauses(&self, parsed: &analysis::Parsed, forgiving: bool) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut add =
            |q: Box<dyn Query>, b: f32| should.push((Occur::Should, Box::new(BoostQuery::new(q, b))));
        if forgiving {
            // The word being typed: any word it begins (two letters, or one Chinese character).
            if let Some(last) = parsed.words.last()
                && (last.chars().count() >= 2 || guanxi_core::matching::has_han(last))
            {
                add(
                    Box::new(FuzzyTermQuery::new_prefix(
                        Term::from_field_text(f.text, last),
                        0,
                        true,
                    )),
                    0.5,
                );
            }
            for w in &parsed.fuzzy {
                add(
                    Box::new(FuzzyTermQuery::new(Term::from_field_text(f.text, w), 1, true)),
                    0.5,
                );
            }
            // A pinyin name typed with a slip: zhangwie → zhangwei.
            if let Some(k) = parsed.keys.first()
                && k.chars().count() >= 5
                && k.chars().all(|c| c.is_ascii_alphabetic())
            {
                add(
                    Box::new(FuzzyTermQuery::new(Term::from_field_text(f.keys, k), 1, true)),
                    1.0,
                );
            }
            return Ok(should);
        }
        let term = |field: Field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        for k in &parsed.keys {
            add(term(f.keys, k), 4.0);
            add(term(f.prefixes, k), 2.0);
        }
        // Words in most records ("com" of an email, 有限公司) rank nothing and would make
        // every search walk most of the index.
        let searcher = self.reader.searcher();
        let common = searcher.num_docs() / 20;
        for w in &parsed.words {
            let t = Term::from_field_text(f.text, w);
            if common > 100 && searcher.doc_freq(&t)? > common {
                continue;
            }
            add(term(f.text, w), 1.0);
        }
        Ok(should)
    }

    fn run(
        &self,
        should: Vec<(Occur, Box<dyn Query>)>,
        objects: Option<&[String]>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Hit>> {
        let f = self.fields;
        let matches: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let query: Box<dyn Query> = match objects {
            None => matches,
            Some(objects) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, matches),
                (
                    Occur::Must,
                    Box::new(BoostQuery::new(
                        Box::new(TermSetQuery::new(
                            objects.iter().map(|o| Term::from_field_text(f.object, o)),
                        )),
                        0.0,
                    )),
                ),
            ])),
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let object = doc
                .get_first(f.object)
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let id = doc
                .get_first(f.id)
                .and_then(|v| v.as_str())
                .and_then(|s| Uuid::parse_str(s).ok());
            if let (Some(object), Some(id)) = (object, id) {
                hits.push(Hit { object, id, score });
            }
        }
        Ok(hits)
    }

    /// Waits until background merges have finished and searches see the merged segments
    /// (after a rebuild, so the first searches do not share the machine with merging); the
    /// writer follows the feed again.
    pub fn settle(&self) -> Result<()> {
        let mut guard = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        if let Some(w) = guard.take() {
            w.wait_merging_threads()?;
            *guard = Some(writer(&self.index, Mode::Follow)?);
        }
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }
}

fn doc_key(object: &str, id: Uuid) -> String {
    format!("{object}:{id}")
}

fn register(index: &Index) {
    index.tokenizers().register(TOKENIZER, analysis::WordTokenizer);
}

fn writer(index: &Index, mode: Mode) -> Result<IndexWriter> {
    let (threads, budget) = mode.budget();
    in_background(|| match index.writer_with_num_threads(threads, budget) {
        Ok(w) => Ok(w),
        Err(tantivy::TantivyError::LockFailure(..)) => Err(SearchError::Busy),
        Err(e) => Err(e.into()),
    })
}

/// Runs `f` on a thread of its own at a lower CPU priority (ten steps nicer on Unix). The
/// writer's threads — indexing, merging segments — are started from here (when the writer
/// is made and after each commit) and inherit it, so keeping the index current yields the
/// processor to requests on a busy machine and still has all of an idle one. Merging a
/// million documents' segments otherwise takes a core from the requests for seconds.
fn in_background<R: Send>(f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("gx-search-write".into())
            .spawn_scoped(s, || {
                lower_priority();
                f()
            })?;
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(unix)]
fn lower_priority() {
    use rustix::process::{getpriority_process, setpriority_process};
    // The calling thread only (Linux keeps a nice value per thread). Not being allowed to
    // is no reason to fail: the index is then written at the usual priority.
    if let Ok(nice) = getpriority_process(None) {
        let _ = setpriority_process(None, (nice + 10).min(19));
    }
}

#[cfg(not(unix))]
fn lower_priority() {}

fn commit(w: &mut IndexWriter, cursor: &Cursor) -> Result<()> {
    let payload = serde_json::to_string(&Cursor {
        format: FORMAT,
        ..cursor.clone()
    })
    .unwrap_or_default();
    let mut prepared = w.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

fn read_cursor(index: &Index) -> Cursor {
    index
        .load_metas()
        .ok()
        .and_then(|m| m.payload)
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_written_at_a_lower_priority_than_requests_are_served() {
        use rustix::process::getpriority_process;
        let here = getpriority_process(None).unwrap();
        let there = in_background(|| Ok(getpriority_process(None).unwrap())).unwrap();
        assert_eq!(there, (here + 10).min(19));
        // The caller keeps its own.
        assert_eq!(getpriority_process(None).unwrap(), here);
        // Errors come back from the background thread as they are.
        assert!(matches!(
            in_background::<()>(|| Err(SearchError::Closed)),
            Err(SearchError::Closed)
        ));
    }
}

//! Imports a spreadsheet — CSV in whatever encoding Excel wrote it (UTF-8 with or without
//! BOM, UTF-16 with BOM, GB18030/GBK), or the first sheet of an XLSX — into records of one
//! object. Every row goes through the one write path (`Crm::apply_in`), in batches that
//! commit whole, each with the accounts its company names need; a checkpoint after each
//! batch lets an interrupted import resume. It never writes a record any other way, and a
//! row is written whole or not at all: a row that fails is reported in the error file.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guanxi_core::access::{Access, Operation};
use guanxi_core::import::{self as mapping, ColumnMap, Mapped, Target};
use guanxi_core::metadata::FieldType;
use guanxi_core::values::{self, Record, Value, sys};
use guanxi_core::{Locale, Msg, ObjectDef, Schema};
use guanxi_storage::records as store;
use guanxi_storage::schema as ddl;
use guanxi_storage::{Dialect, StorageError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::records::{Change, ListQuery, Outcome, Planned, plan_create};
use crate::{Actor, Crm, ServiceError};

/// The maps and sets an import fills or reads once per row: hashed the fast way (the keys
/// are the file's own values, not an attacker's choice against a long-running server).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

/// Rows per transaction (and per checkpoint). Bigger batches write each index page fewer
/// times (keys are random, so a batch dirties pages all over) and commit less often: on a
/// 1M-row file 50,000 rows took 33–34 s against 35 s for 20,000.
pub const DEFAULT_BATCH: usize = 50_000;
/// At most this many rows in one transaction.
pub const MAX_BATCH: usize = 50_000;
/// An import expected to write at least this many more rows (and at least half as many as
/// the table holds) builds the object's plain sort indexes once at the end instead of
/// inserting into them row by row (SQLite).
pub const BULK_ROWS: f64 = 100_000.0;

/// What to do with a row that matches a record already there (by email or mobile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Leave the record alone; the row is skipped.
    #[default]
    Skip,
    /// Fill the record's empty fields from the row; never overwrite a value.
    Merge,
    /// Create a new record anyway.
    Create,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Skip => "skip",
            OnDuplicate::Merge => "merge",
            OnDuplicate::Create => "create",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Header → field pairs from a mapping file; they win over names, labels and synonyms.
    pub mapping: Vec<(String, Mapped)>,
    pub dry_run: bool,
    pub on_duplicate: OnDuplicate,
    pub batch_size: usize,
    /// Where rows that fail go (default: `FILE.errors.csv`).
    pub errors_path: Option<PathBuf>,
    /// Where the checkpoint goes (default: `FILE.import-state`).
    pub state_path: Option<PathBuf>,
    /// Stop after this many committed batches, as if interrupted (tests, and trying the
    /// resume on a real file).
    pub stop_after_batches: Option<u64>,
    /// Rows still to come, after the first batch, from which the import is a bulk load
    /// (see `BULK_ROWS`, the default).
    pub bulk_rows: f64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mapping: Vec::new(),
            dry_run: false,
            on_duplicate: OnDuplicate::Skip,
            batch_size: DEFAULT_BATCH,
            errors_path: None,
            state_path: None,
            stop_after_batches: None,
            bulk_rows: BULK_ROWS,
        }
    }
}

/// What an import tells while it runs.
#[derive(Clone, Debug)]
pub enum Event {
    /// Before the first row: the columns left out, and what became of a checkpoint.
    Started {
        unknown_columns: Vec<String>,
        twice_columns: Vec<String>,
        resumed_after: Option<u64>,
        restarted: bool,
    },
    /// After each batch.
    Batch(Progress),
}

/// How far an import is, after each batch.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Rows processed, in this run and the run it resumes.
    pub rows: u64,
    /// Share of the file read, 0–1.
    pub fraction: f64,
    pub elapsed: Duration,
    /// Rows per second in this run.
    pub rate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub errors: u64,
    /// Accounts created for company names (not counted in the other numbers).
    pub accounts: u64,
}

impl Counts {
    pub fn rows(&self) -> u64 {
        self.created + self.updated + self.skipped + self.errors
    }
}

/// Where an import's time went (for the benchmark).
#[derive(Clone, Debug, Default)]
pub struct Phases {
    /// Reading and decoding the file, mapping cells to fields, duplicate keys.
    pub read: Duration,
    /// Finding stored records that rows match (external id, email, mobile).
    pub matching: Duration,
    /// Creating accounts for company names.
    pub accounts: Duration,
    /// The write path for the rows: validation, normalisation, checks, rows, history, events.
    pub write: Duration,
    /// Commits, checkpoints and the error file.
    pub commit: Duration,
    /// Building the sort indexes a bulk load left out (see `BULK_ROWS`).
    pub indexes: Duration,
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug)]
pub struct ImportReport {
    pub object: String,
    pub counts: Counts,
    pub dry_run: bool,
    /// `csv` or `xlsx`, and the text encoding of a CSV.
    pub format: String,
    pub encoding: Option<String>,
    pub seconds: f64,
    /// Rows per second in this run.
    pub rate: f64,
    /// The error file, when a row failed.
    pub errors_path: Option<PathBuf>,
    pub unknown_columns: Vec<String>,
    pub twice_columns: Vec<String>,
    /// The last row a checkpoint said was done, when this run resumed one.
    pub resumed_after: Option<u64>,
    /// A checkpoint was there but for another file or other options: started over.
    pub restarted: bool,
    /// Stopped early as `stop_after_batches` asked; the checkpoint is kept.
    pub stopped: bool,
    pub batches: u64,
    /// The last row processed (the header is row 1).
    pub last_row: u64,
    pub phases: Phases,
}

/// Why an import could not run (nothing written), or stopped (rows up to `row` kept).
#[derive(Debug)]
pub enum ImportError {
    UnknownObject(String),
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    Empty(PathBuf),
    BadMappingLine {
        path: PathBuf,
        line: usize,
    },
    MappingUnknownField {
        path: PathBuf,
        field: String,
    },
    NoNameColumn {
        field: String,
        examples: String,
        columns: Vec<String>,
    },
    /// A failure after `row` (every row up to it is saved and checkpointed).
    Stopped {
        row: u64,
        cause: ServiceError,
    },
    Service(ServiceError),
}

impl From<ServiceError> for ImportError {
    fn from(e: ServiceError) -> Self {
        ImportError::Service(e)
    }
}

impl From<StorageError> for ImportError {
    fn from(e: StorageError) -> Self {
        ImportError::Service(e.into())
    }
}

impl ImportError {
    pub fn message(&self, locale: Locale) -> String {
        match self {
            ImportError::UnknownObject(o) => Msg::ImportUnknownObject.format(locale, &[("object", o)]),
            ImportError::Unreadable { path, reason } => Msg::ImportUnreadableFile.format(
                locale,
                &[("path", &path.display().to_string()), ("reason", reason)],
            ),
            ImportError::Empty(path) => {
                Msg::ImportEmptyFile.format(locale, &[("path", &path.display().to_string())])
            }
            ImportError::BadMappingLine { path, line } => Msg::ImportBadMappingLine.format(
                locale,
                &[("path", &path.display().to_string()), ("line", &line.to_string())],
            ),
            ImportError::MappingUnknownField { path, field } => Msg::ImportMappingUnknownField
                .format(locale, &[("path", &path.display().to_string()), ("field", field)]),
            ImportError::NoNameColumn {
                field,
                examples,
                columns,
            } => Msg::ImportNoNameColumn.format(
                locale,
                &[
                    ("field", field),
                    ("examples", examples),
                    ("columns", &columns.join(", ")),
                ],
            ),
            ImportError::Stopped { row, cause } => Msg::ImportFailed.format(
                locale,
                &[("reason", &cause.to_string()), ("row", &row.to_string())],
            ),
            ImportError::Service(e) => e.to_string(),
        }
    }
}

/// Reads a mapping file (see `guanxi_core::import::parse_mapping`).
pub fn read_mapping(path: &Path) -> Result<Vec<(String, Mapped)>, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let (text, _) = decode(bytes);
    mapping::parse_mapping(&text).map_err(|line| ImportError::BadMappingLine {
        path: path.to_path_buf(),
        line,
    })
}

/// `FILE.errors.csv` beside the input.
pub fn default_errors_path(file: &Path) -> PathBuf {
    with_suffix(file, ".errors.csv")
}

/// `FILE.import-state` beside the input.
pub fn default_state_path(file: &Path) -> PathBuf {
    with_suffix(file, ".import-state")
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

// ---------------------------------------------------------------------------------------
// Reading the file

/// Text of a CSV file: byte-order marks say UTF-8 or UTF-16; without one, text that is not
/// valid UTF-8 is GB18030 (which reads GBK and GB2312 too), as Excel in China saves it.
pub fn decode(bytes: Vec<u8>) -> (String, &'static str) {
    use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (String::from_utf8_lossy(rest).into_owned(), "UTF-8");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return (
            UTF_16LE.decode_without_bom_handling(rest).0.into_owned(),
            "UTF-16LE",
        );
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return (
            UTF_16BE.decode_without_bom_handling(rest).0.into_owned(),
            "UTF-16BE",
        );
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, "UTF-8"),
        Err(e) => (
            GB18030.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
            "GB18030",
        ),
    }
}

/// The delimiter of a CSV: whichever of `,` `;` TAB occurs most in the header line
/// (outside quotes); `,` when none does.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|i| (counts[*i], usize::from(*i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// Rows of a file after the header, each with its row number (the header is row 1).
enum Rows {
    Csv {
        reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
        record: csv::StringRecord,
        total: u64,
        next: u64,
    },
    Cells {
        rows: std::vec::IntoIter<(u64, Vec<String>)>,
        total: usize,
        done: usize,
    },
}

impl Rows {
    fn next_row(&mut self) -> Result<Option<(u64, Vec<String>)>, String> {
        match self {
            Rows::Csv {
                reader, record, next, ..
            } => {
                if !reader.read_record(record).map_err(|e| e.to_string())? {
                    return Ok(None);
                }
                let n = *next;
                *next += 1;
                Ok(Some((n, record.iter().map(str::to_string).collect())))
            }
            Rows::Cells { rows, done, .. } => {
                *done += 1;
                Ok(rows.next())
            }
        }
    }

    fn fraction(&self) -> f64 {
        match self {
            Rows::Csv { reader, total, .. } => reader.position().byte() as f64 / (*total).max(1) as f64,
            Rows::Cells { total, done, .. } => *done as f64 / (*total).max(1) as f64,
        }
    }
}

struct Sheet {
    headers: Vec<String>,
    rows: Rows,
    format: &'static str,
    encoding: Option<&'static str>,
}

fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Opens a file: a workbook (first sheet) if it is one, else CSV text.
fn open_sheet(bytes: Vec<u8>) -> Result<Option<Sheet>, String> {
    if is_workbook(&bytes) {
        return open_workbook(bytes);
    }
    let (text, encoding) = decode(bytes);
    let delimiter = sniff_delimiter(&text);
    let total = text.len() as u64;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(std::io::Cursor::new(text.into_bytes()));
    let mut record = csv::StringRecord::new();
    if !reader.read_record(&mut record).map_err(|e| e.to_string())? {
        return Ok(None);
    }
    let headers = record.iter().map(str::to_string).collect();
    Ok(Some(Sheet {
        headers,
        rows: Rows::Csv {
            reader,
            record,
            total,
            next: 2,
        },
        format: "csv",
        encoding: Some(encoding),
    }))
}

fn open_workbook(bytes: Vec<u8>) -> Result<Option<Sheet>, String> {
    use calamine::Reader;
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let Some(range) = book.worksheet_range_at(0) else {
        return Ok(None);
    };
    let range = range.map_err(|e| e.to_string())?;
    // Excel's own row numbers: the range starts at the first row with anything in it.
    let first = range.start().map_or(0, |(r, _)| u64::from(r)) + 1;
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let texts: Vec<String> = cells.iter().map(cell_text).collect();
        (first + i as u64, texts)
    });
    let Some((_, headers)) = rows.next() else {
        return Ok(None);
    };
    let rest: Vec<(u64, Vec<String>)> = rows.collect();
    let total = rest.len();
    Ok(Some(Sheet {
        headers,
        rows: Rows::Cells {
            rows: rest.into_iter(),
            total,
            done: 0,
        },
        format: "xlsx",
        encoding: None,
    }))
}

/// A cell as the text a user typed: whole numbers without `.0` (phone numbers are often
/// stored as numbers), dates as ISO dates.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// The checkpoint

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FileId {
    size: u64,
    modified_ns: i128,
    /// SHA-256 of the first 64 KiB.
    head: String,
}

impl FileId {
    fn of(path: &Path, bytes: &[u8]) -> FileId {
        let meta = std::fs::metadata(path).ok();
        let modified_ns = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        let head = Sha256::digest(&bytes[..bytes.len().min(64 * 1024)]);
        FileId {
            size: bytes.len() as u64,
            modified_ns,
            head: head.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// A batch written to the error file and about to commit: if its first new record is in
/// the database on resume, it committed.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Pending {
    through_row: u64,
    probe: Option<Uuid>,
    counts: Counts,
    errors_len: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    file: FileId,
    /// Object, actor, duplicate handling and the column mapping this import runs with.
    options: String,
    /// Every row up to this one is done.
    committed_row: u64,
    counts: Counts,
    /// Length of the error file when `committed_row` was reached.
    errors_len: u64,
    batches: u64,
    pending: Option<Pending>,
}

impl State {
    fn load(path: &Path) -> Option<State> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Replaces the file whole (write beside, then rename), so a kill never leaves half.
    fn save(&self, path: &Path) -> Result<(), ServiceError> {
        let tmp = with_suffix(path, ".tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| ServiceError::Internal(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(io_error)?;
        std::fs::rename(&tmp, path).map_err(io_error)
    }
}

fn io_error(e: std::io::Error) -> ServiceError {
    ServiceError::Internal(format!("import file: {e}"))
}

// ---------------------------------------------------------------------------------------
// The error file

/// Rows that failed, as CSV (UTF-8 with BOM, so Excel reads it): row number, field, reason,
/// then the row's own cells under its own headers, so it can be fixed and imported again.
struct ErrorFile {
    path: PathBuf,
    headers: Vec<String>,
    locale: Locale,
    writer: Option<csv::Writer<std::fs::File>>,
}

impl ErrorFile {
    fn write(&mut self, rows: &[RowError]) -> Result<(), ServiceError> {
        if rows.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(io_error)?;
            let fresh = file.metadata().map_err(io_error)?.len() == 0;
            if fresh {
                file.write_all("\u{feff}".as_bytes()).map_err(io_error)?;
            }
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(file);
            if fresh {
                let mut header = vec![
                    Msg::ImportErrorsRow.text(self.locale).to_string(),
                    Msg::ImportErrorsField.text(self.locale).to_string(),
                    Msg::ImportErrorsReason.text(self.locale).to_string(),
                ];
                header.extend(self.headers.iter().cloned());
                w.write_record(&header).map_err(csv_error)?;
            }
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            for r in rows {
                let mut line = vec![r.row.to_string(), r.fields.join("; "), r.reasons.join("; ")];
                line.extend(r.cells.iter().cloned());
                w.write_record(&line).map_err(csv_error)?;
            }
            w.flush().map_err(io_error)?;
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }
}

fn csv_error(e: csv::Error) -> ServiceError {
    ServiceError::Internal(format!("error file: {e}"))
}

struct RowError {
    row: u64,
    fields: Vec<String>,
    reasons: Vec<String>,
    cells: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Rows, keys and batches

/// One row of the file, read and keyed, before it is written.
struct Prepared {
    row: u64,
    cells: Vec<String>,
    input: Map<String, Json>,
    /// The record the input makes if the row is created, planned as the row was read
    /// (its company's account and the time are filled in when it is written); `None` when
    /// the reader was not asked to, or the row names its account twice.
    planned: Option<Result<Planned, ServiceError>>,
    /// Company key and the name as written, for the company column.
    company: Option<(String, String)>,
    ext: Option<String>,
    email: Option<String>,
    mobile: Option<String>,
}

/// What happens to a row in a round.
enum Plan {
    Create,
    /// Dry run: like a row an earlier batch would have written; created (to validate it)
    /// and counted as an update.
    Pretend,
    /// An update of this record with only these fields (`None` version: no check).
    Update {
        id: Uuid,
        version: Option<i64>,
        fill_only: bool,
    },
    Skip,
    /// The row fails; the error is about this field (else the fields it names).
    Fail(ServiceError, Option<String>),
}

/// What reading and keying a row needs, owned: rows are read on a thread of their own, a
/// batch ahead of the one being written.
struct RowReader {
    object: Arc<ObjectDef>,
    targets: Vec<Option<Target>>,
    ctx: values::ParseContext,
    ext_field: Option<usize>,
    email_field: Option<usize>,
    mobile_field: Option<usize>,
    on_duplicate: OnDuplicate,
    /// Who imports, and what they may do with the object: rows are planned as they are
    /// read (parsing and normalising a row is most of what writing it costs this thread).
    planner: Option<(Actor, Access)>,
}

/// One batch of rows read ahead, with where the file stood before and after it.
struct ReadBatch {
    rows: Vec<Prepared>,
    /// The last row of the file the batch covers (empty rows and skipped ones included).
    through: u64,
    fraction_before: f64,
    fraction: f64,
}

impl RowReader {
    fn prepare(&self, row: u64, cells: Vec<String>) -> Option<Prepared> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        let ctx = self.ctx;
        let mut input = Map::new();
        let mut company = None;
        for (cell, target) in cells.iter().zip(&self.targets) {
            let text = cell.trim();
            if text.is_empty() {
                continue;
            }
            match target {
                Some(Target::Field(i)) => {
                    input.insert(
                        self.object.fields[*i].name.clone(),
                        Json::String(text.to_string()),
                    );
                }
                Some(Target::Company(i)) => match Uuid::parse_str(text) {
                    Ok(id) => {
                        input.insert(self.object.fields[*i].name.clone(), Json::String(id.to_string()));
                    }
                    Err(_) => company = Some((mapping::company_key(text), text.to_string())),
                },
                None => {}
            }
        }
        let key = |i: Option<usize>| {
            let f = &self.object.fields[i?];
            match values::parse_input(f, input.get(&f.name)?, &ctx) {
                Ok(Value::Text(s)) => Some(s),
                _ => None,
            }
        };
        let ext = key(self.ext_field);
        let (email, mobile) = match self.on_duplicate {
            OnDuplicate::Create => (None, None),
            _ => (key(self.email_field), key(self.mobile_field)),
        };
        let planned = self.planner.as_ref().and_then(|(actor, access)| {
            // The company's account is not known yet: planned with a stand-in id, which
            // parses as any id does, and replaced when the row is written.
            let stand_in = match (&company, self.company_field()) {
                (None, _) => None,
                (Some(_), Some(i)) if !input.contains_key(&self.object.fields[i].name) => {
                    Some(self.object.fields[i].name.clone())
                }
                (Some(_), _) => return None,
            };
            if let Some(name) = &stand_in {
                input.insert(name.clone(), Json::String(Uuid::nil().to_string()));
            }
            let planned = plan_create(&self.object, &input, actor, chrono::Utc::now(), &ctx, access);
            if let Some(name) = &stand_in {
                input.remove(name);
            }
            Some(planned)
        });
        Some(Prepared {
            row,
            cells,
            input,
            planned,
            company,
            ext,
            email,
            mobile,
        })
    }

    /// The account lookup the company column fills.
    fn company_field(&self) -> Option<usize> {
        self.targets.iter().flatten().find_map(|t| match t {
            Target::Company(i) => Some(*i),
            _ => None,
        })
    }

    /// Reads batches of `size` rows after `committed_row` on a blocking thread, one batch
    /// ahead; the channel closes at the end of the file (or after an unreadable row).
    fn spawn(
        self,
        mut rows: Rows,
        size: usize,
        committed_row: u64,
    ) -> tokio::sync::mpsc::Receiver<Result<ReadBatch, String>> {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::task::spawn_blocking(move || {
            let mut last = committed_row;
            loop {
                let fraction_before = rows.fraction();
                let mut batch = Vec::with_capacity(size);
                let mut through = last;
                while batch.len() < size {
                    match rows.next_row() {
                        Err(reason) => {
                            let _ = tx.blocking_send(Err(reason));
                            return;
                        }
                        Ok(None) => break,
                        Ok(Some((n, cells))) => {
                            through = n;
                            if n <= committed_row {
                                continue;
                            }
                            if let Some(p) = self.prepare(n, cells) {
                                batch.push(p);
                            }
                        }
                    }
                }
                if through == last {
                    return;
                }
                last = through;
                let read = ReadBatch {
                    rows: batch,
                    through,
                    fraction_before,
                    fraction: rows.fraction(),
                };
                // The import stopped listening (it stopped, or failed): read no further.
                if tx.blocking_send(Ok(read)).is_err() {
                    return;
                }
            }
        });
        rx
    }
}

/// During a bulk load (SQLite) the email and mobile indexes are dropped with the other
/// plain ones — every batch dirtied their pages all over the file — and the import keeps
/// who holds each value in memory instead: the live records when the load began, every
/// record it writes, and the records anyone else changes meanwhile (read from the change
/// feed before each batch). The memo only names candidates, by a hash of the value; each
/// is read and must still be live and hold the value, so a stale or colliding entry can
/// never make a row a duplicate.
struct HolderMemo {
    /// The fields kept (email, mobile), each with its holders by value hash.
    fields: Vec<(usize, FastMap<u64, Holders>)>,
    /// The change feed's last event this memo has seen (its own writes included).
    seq: i64,
}

/// The records that held one value: nearly always one.
enum Holders {
    One(Uuid),
    Many(Vec<Uuid>),
}

impl HolderMemo {
    fn hash(value: &(impl std::hash::Hash + ?Sized)) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(value)
    }

    /// Notes a record as it is now (a live one: the caller reads it so).
    fn add(&mut self, record: &Record) {
        let Some(id) = record.id() else { return };
        for (i, map) in &mut self.fields {
            if let Value::Text(v) = &record.values[*i] {
                Self::insert(map, v, id);
            }
        }
    }

    fn insert(map: &mut FastMap<u64, Holders>, value: &str, id: Uuid) {
        use std::collections::hash_map::Entry;
        match map.entry(Self::hash(value)) {
            Entry::Vacant(e) => {
                e.insert(Holders::One(id));
            }
            Entry::Occupied(mut e) => match e.get_mut() {
                Holders::One(old) if *old == id => {}
                Holders::One(old) => {
                    let old = *old;
                    e.insert(Holders::Many(vec![old, id]));
                }
                Holders::Many(ids) => {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            },
        }
    }

    /// The candidates the memo names for these values of field `i` (none when it does not
    /// keep the field).
    fn candidates(&self, i: usize, values: &[String]) -> Option<Vec<Uuid>> {
        let (_, map) = self.fields.iter().find(|(f, _)| *f == i)?;
        let mut out = Vec::new();
        for v in values {
            match map.get(&Self::hash(v)) {
                Some(Holders::One(id)) => out.push(*id),
                Some(Holders::Many(ids)) => out.extend(ids),
                None => {}
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

/// Everything one run keeps between batches.
struct Run<'a> {
    crm: &'a Crm,
    actor: &'a Actor,
    schema: Arc<Schema>,
    object: Arc<ObjectDef>,
    map: ColumnMap,
    headers: Vec<String>,
    options: &'a ImportOptions,
    /// The account lookup the company column fills, and the account object.
    company_field: Option<usize>,
    accounts: Option<Arc<ObjectDef>>,
    /// Readable accounts by company key (those created by this import included).
    account_ids: HashMap<String, Uuid>,
    ext_field: Option<usize>,
    email_field: Option<usize>,
    mobile_field: Option<usize>,
    /// Dry run only: keys of rows earlier batches would have written, and the company
    /// names they would have created (each batch's writes are rolled back).
    dry_keys: HashSet<String>,
    dry_accounts: HashSet<String>,
    /// Holders of the email and mobile values while a bulk load has their indexes down.
    memo: std::sync::Mutex<Option<HolderMemo>>,
    phases: std::sync::Mutex<Phases>,
}

impl Run<'_> {
    fn time(&self, t: Instant, phase: fn(&mut Phases) -> &mut Duration) {
        if let Ok(mut p) = self.phases.lock() {
            *phase(&mut p) += t.elapsed();
        }
    }
}

/// The outcome of one batch, written in `tx` and not yet committed.
struct Batch {
    tx: Tx,
    counts: Counts,
    errors: Vec<RowError>,
    probe: Option<Uuid>,
    new_accounts: HashMap<String, Uuid>,
    /// Duplicate keys of the rows written.
    keys: Vec<String>,
}

impl Run<'_> {
    fn keys(p: &Prepared) -> impl Iterator<Item = String> + '_ {
        let tag = |t: &'static str, v: &Option<String>| v.as_ref().map(move |v| format!("{t}:{v}"));
        [tag("x", &p.ext), tag("e", &p.email), tag("m", &p.mobile)]
            .into_iter()
            .flatten()
    }

    fn key_hashes(p: &Prepared) -> Vec<u64> {
        [(0u8, &p.ext), (1, &p.email), (2, &p.mobile)]
            .into_iter()
            .filter_map(|(tag, v)| v.as_deref().map(|v| HolderMemo::hash(&(tag, v))))
            .collect()
    }

    /// The API name of the field the company column fills.
    fn company_name(&self) -> Option<String> {
        self.company_field.map(|i| self.object.fields[i].name.clone())
    }

    /// The header of the column feeding a field, for the error file (else the API name).
    fn column_name(&self, field: &str) -> String {
        self.object
            .fields
            .iter()
            .position(|f| f.name == field)
            .and_then(|i| self.map.column_of(i))
            .and_then(|c| self.headers.get(c))
            .map_or_else(|| field.to_string(), |h| h.trim().to_string())
    }

    fn row_error(&self, p: &Prepared, e: &ServiceError, field: Option<&str>) -> RowError {
        let locale = self.actor.locale;
        let mut fields = Vec::new();
        let mut reasons = Vec::new();
        let mut push = |f: &str, reason: String| {
            let shown = if f.is_empty() {
                String::new()
            } else {
                self.column_name(f)
            };
            if !fields.contains(&shown) || shown.is_empty() {
                fields.push(shown);
            }
            reasons.push(if f.is_empty() {
                reason
            } else {
                format!("{}: {reason}", self.column_name(f))
            });
        };
        let whole = field.unwrap_or("");
        match e {
            ServiceError::Validation(errors) => {
                for fe in errors {
                    let f = field.unwrap_or(&fe.field);
                    push(f, fe.message(locale));
                }
            }
            ServiceError::Forbidden(msg) => push(whole, msg.text(locale).to_string()),
            ServiceError::NotFound => push(whole, Msg::ImportRecordGone.text(locale).to_string()),
            ServiceError::Conflict { .. } => push(whole, Msg::ImportRecordChanged.text(locale).to_string()),
            ServiceError::InRecycleBin => push(whole, Msg::DetailInRecycleBin.text(locale).to_string()),
            other => push(whole, other.to_string()),
        }
        fields.retain(|f| !f.is_empty());
        // One reason needs no column name before it: the field column says it.
        if let ([reason], [_]) = (reasons.as_mut_slice(), fields.as_slice())
            && let Some((_, rest)) = reason.split_once(": ")
        {
            *reason = rest.to_string();
        }
        RowError {
            row: p.row,
            fields,
            reasons,
            cells: p.cells.clone(),
        }
    }

    /// Stored records holding these values in field `i`, live and readable, by value; the
    /// oldest wins when several do. The records read to check the memo's candidates are
    /// left in `read`, so they are not read again.
    async fn holders(
        &self,
        tx: &mut Tx,
        i: Option<usize>,
        keys: &[String],
        read: &mut FastMap<Uuid, Record>,
    ) -> Result<FastMap<String, (Uuid, bool)>, ServiceError> {
        let Some(i) = i else { return Ok(FastMap::default()) };
        if keys.is_empty() {
            return Ok(FastMap::default());
        }
        let mut out: FastMap<String, (Uuid, bool)> = FastMap::default();
        let remembered = self
            .memo
            .lock()
            .ok()
            .and_then(|m| m.as_ref().and_then(|m| m.candidates(i, keys)));
        if let Some(ids) = remembered {
            // Each candidate read: it must be live and hold the value still.
            let wanted: FastSet<&str> = keys.iter().map(String::as_str).collect();
            let unread: Vec<Uuid> = ids.iter().filter(|id| !read.contains_key(id)).copied().collect();
            if !unread.is_empty() {
                for r in store::get_many_in(tx, &self.object, &unread).await? {
                    if let Some(id) = r.id() {
                        read.insert(id, r);
                    }
                }
            }
            for r in ids.iter().filter_map(|id| read.get(id)) {
                let (Some(id), Value::Text(v)) = (r.id(), &r.values[i]) else {
                    continue;
                };
                if r.values[sys::DELETED_AT].is_null() && wanted.contains(v.as_str()) {
                    let entry = out.entry(v.clone()).or_insert((id, false));
                    entry.0 = entry.0.min(id);
                }
            }
            return Ok(out);
        }
        let field = &self.object.fields[i];
        let values: Vec<Value> = keys.iter().map(|k| Value::Text(k.clone())).collect();
        // A unique field's index covers binned records too (a binned holder is reported);
        // an indexed one's only live records (all a duplicate can be).
        let found = if field.unique || field.external_id {
            store::find_by(tx, &self.object, field, &values).await?
        } else {
            store::find_live_by(tx, &self.object, field, &values).await?
        };
        for (arg, id, deleted) in found {
            let Some(text) = arg.as_text() else { continue };
            let entry = out.entry(text.to_string()).or_insert((id, deleted));
            // A live holder beats a binned one; among equals the oldest (UUIDv7) wins.
            if (entry.1 && !deleted) || (entry.1 == deleted && id < entry.0) {
                *entry = (id, deleted);
            }
        }
        Ok(out)
    }

    fn remembers(&self) -> bool {
        self.memo.lock().is_ok_and(|m| m.is_some())
    }

    /// Notes in the memo the records others changed since the last batch (read in the
    /// batch's transaction, so nothing committed before it is missed).
    async fn catch_up(&self, tx: &mut Tx) -> Result<(), ServiceError> {
        let Some(seq) = self.memo.lock().ok().and_then(|m| m.as_ref().map(|m| m.seq)) else {
            return Ok(());
        };
        let (ids, last) = guanxi_storage::system::changed_after_in(tx, &self.object.name, seq).await?;
        let records = if ids.is_empty() {
            Vec::new()
        } else {
            store::get_many_in(tx, &self.object, &ids).await?
        };
        if let Ok(mut m) = self.memo.lock()
            && let Some(m) = m.as_mut()
        {
            for r in records.iter().filter(|r| r.values[sys::DELETED_AT].is_null()) {
                m.add(r);
            }
            m.seq = last;
        }
        Ok(())
    }

    /// Runs one batch in a fresh transaction (committed or rolled back by the caller).
    async fn batch(&self, rows: Vec<Prepared>) -> Result<Batch, ServiceError> {
        let mut tx = self.crm.db().begin().await?;
        // Per batch, not once: the pool may have replaced the writer connection since.
        tx.bulk_load(true).await?;
        if let Err(e) = self.catch_up(&mut tx).await {
            let _ = tx.rollback().await;
            return Err(e);
        }
        let mut out = Acc::default();
        let mut pending = rows;
        while !pending.is_empty() {
            // A round takes the rows no earlier row of the batch shares a key with; the
            // others wait for the next round, where the earlier row's record is there to
            // match — so a later row is a duplicate of an earlier one, as across batches.
            // Keys by hash: two keys sharing one only make a row wait a round it need not.
            let mut claimed: FastSet<u64> = FastSet::default();
            let mut round = Vec::new();
            let mut later = Vec::new();
            for p in pending {
                let keys = Self::key_hashes(&p);
                let waits = keys.iter().any(|k| claimed.contains(k));
                claimed.extend(keys);
                if waits { later.push(p) } else { round.push(p) }
            }
            pending = later;
            match self.round(&mut tx, round, &mut out).await {
                Ok(mut deferred) => {
                    deferred.append(&mut pending);
                    pending = deferred;
                }
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(e);
                }
            }
        }
        if self.remembers() {
            // The batch's own changes are in the memo already.
            match guanxi_storage::system::last_seq_in(&mut tx).await {
                Ok(seq) => {
                    if let Ok(mut m) = self.memo.lock()
                        && let Some(m) = m.as_mut()
                    {
                        m.seq = seq;
                    }
                }
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(e.into());
                }
            }
        }
        out.errors.sort_by_key(|e| e.row);
        Ok(Batch {
            tx,
            counts: out.counts,
            errors: out.errors,
            probe: out.probe,
            new_accounts: out.new_accounts,
            keys: out.keys,
        })
    }

    /// Decides what each row of a round does, against the records stored (and written by
    /// earlier rounds of the batch).
    async fn plan(
        &self,
        tx: &mut Tx,
        rows: &[Prepared],
    ) -> Result<(Vec<Plan>, FastMap<Uuid, Record>), ServiceError> {
        let gather = |f: fn(&Prepared) -> &Option<String>| -> Vec<String> {
            let set: FastSet<&String> = rows.iter().filter_map(|p| f(p).as_ref()).collect();
            set.into_iter().cloned().collect()
        };
        let mut read = FastMap::default();
        let by_ext = self
            .holders(tx, self.ext_field, &gather(|p| &p.ext), &mut read)
            .await?;
        let by_email = self
            .holders(tx, self.email_field, &gather(|p| &p.email), &mut read)
            .await?;
        let by_mobile = self
            .holders(tx, self.mobile_field, &gather(|p| &p.mobile), &mut read)
            .await?;
        let live: Vec<Uuid> = by_ext
            .values()
            .chain(by_email.values())
            .chain(by_mobile.values())
            .filter(|(_, deleted)| !deleted)
            .map(|(id, _)| *id)
            .collect::<FastSet<_>>()
            .into_iter()
            .collect();
        let readable: FastSet<Uuid> = if live.is_empty() {
            FastSet::default()
        } else {
            self.crm
                .readable_ids(tx, self.actor, &self.object, &live)
                .await?
                .into_iter()
                .collect()
        };
        let dup_ids: Vec<Uuid> = by_email
            .values()
            .chain(by_mobile.values())
            .filter(|(id, deleted)| !deleted && readable.contains(id))
            .map(|(id, _)| *id)
            .collect::<FastSet<_>>()
            .into_iter()
            .collect();
        // The duplicates' records: those the memo's check read already, and the rest.
        let mut records: FastMap<Uuid, Record> = FastMap::default();
        let mut unread = Vec::new();
        for id in dup_ids {
            match read.remove(&id) {
                Some(r) => {
                    records.insert(id, r);
                }
                None => unread.push(id),
            }
        }
        if !unread.is_empty() {
            for r in store::get_many_in(tx, &self.object, &unread).await? {
                if let Some(id) = r.id() {
                    records.insert(id, r);
                }
            }
        }
        let ext_name = self.ext_field.map(|i| self.object.fields[i].name.clone());
        let mut plans = Vec::with_capacity(rows.len());
        for p in rows {
            // 1. The external id names the record: update it.
            if let Some(x) = &p.ext
                && let Some((id, deleted)) = by_ext.get(x)
            {
                plans.push(if *deleted {
                    Plan::Fail(ServiceError::InRecycleBin, ext_name.clone())
                } else if !readable.contains(id) {
                    // Held by a record the actor may not read: for them a value taken.
                    Plan::Fail(
                        ServiceError::field(ext_name.as_deref().unwrap_or("external_id"), Msg::NotUnique),
                        None,
                    )
                } else {
                    Plan::Update {
                        id: *id,
                        version: None,
                        fill_only: false,
                    }
                });
                continue;
            }
            // 2. The same email, else the same mobile, on a record without another
            //    external id: a duplicate.
            let same_ext = |r: &Record| match (self.ext_field, &p.ext) {
                (Some(i), Some(x)) => match &r.values[i] {
                    Value::Text(t) => t == x,
                    _ => true,
                },
                _ => true,
            };
            let dup = [(&p.email, &by_email), (&p.mobile, &by_mobile)]
                .into_iter()
                .filter_map(|(k, map)| map.get(k.as_ref()?))
                .filter(|(id, deleted)| !deleted && readable.contains(id))
                .filter_map(|(id, _)| records.get(id))
                .find(|r| same_ext(r));
            let dry_dup = self.options.dry_run && Self::keys(p).any(|k| self.dry_keys.contains(&k));
            plans.push(match (dup, self.options.on_duplicate) {
                (_, OnDuplicate::Create) => Plan::Create,
                (Some(_), OnDuplicate::Skip) => Plan::Skip,
                (Some(r), OnDuplicate::Merge) => Plan::Update {
                    id: r.id().unwrap_or_default(),
                    version: Some(r.version()),
                    fill_only: true,
                },
                // A row like one an earlier batch of this dry run would have written.
                (None, OnDuplicate::Skip) if dry_dup && p.ext.is_none() => Plan::Skip,
                (None, _) if dry_dup => Plan::Pretend,
                (None, _) => Plan::Create,
            });
        }
        Ok((plans, records))
    }

    /// Writes one round: its rows, and the accounts their company names need — only those
    /// a row that passed uses.
    /// Returns the rows that must wait for the next round: those matching a record an
    /// earlier row of this round already changes (by another key).
    async fn round(
        &self,
        tx: &mut Tx,
        rows: Vec<Prepared>,
        out: &mut Acc,
    ) -> Result<Vec<Prepared>, ServiceError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let t = Instant::now();
        let (all_plans, records) = self.plan(tx, &rows).await?;
        self.time(t, |p| &mut p.matching);
        let mut targets = FastSet::default();
        let mut deferred = Vec::new();
        let mut kept = Vec::with_capacity(rows.len());
        let mut plans = Vec::with_capacity(rows.len());
        for (p, plan) in rows.into_iter().zip(all_plans) {
            if let Plan::Update { id, .. } = &plan
                && !targets.insert(*id)
            {
                deferred.push(p);
            } else {
                kept.push(p);
                plans.push(plan);
            }
        }
        let mut rows = kept;
        // Each row's input (taken out of the row: only its number, cells and company are
        // needed after this) and the company key it needs, for the rows still on; and the
        // companies no account exists for yet.
        let mut wanted: Vec<(String, String)> = Vec::new();
        let mut wanted_keys: FastSet<String> = FastSet::default();
        let mut inputs: Vec<Option<RowInput>> = Vec::with_capacity(rows.len());
        for (p, plan) in rows.iter_mut().zip(&plans) {
            let planned = match plan {
                Plan::Create | Plan::Pretend => p.planned.take(),
                _ => None,
            };
            let input = match plan {
                Plan::Create | Plan::Pretend => Some(std::mem::take(&mut p.input)),
                Plan::Update { fill_only: false, .. } => {
                    let mut patch = std::mem::take(&mut p.input);
                    if let Some(i) = self.ext_field {
                        patch.remove(&self.object.fields[i].name);
                    }
                    Some(patch)
                }
                Plan::Update {
                    id, fill_only: true, ..
                } => records.get(id).map(|r| self.fill(r, &p.input)),
                Plan::Skip | Plan::Fail(..) => None,
            };
            let company = match (plan, &p.company, self.company_field) {
                (_, None, _) | (_, _, None) => None,
                (
                    Plan::Update {
                        id, fill_only: true, ..
                    },
                    Some((key, _)),
                    Some(i),
                ) => records
                    .get(id)
                    .filter(|r| r.values[i].is_null())
                    .map(|_| key.clone()),
                (_, Some((key, _)), Some(_)) => Some(key.clone()),
            };
            if let (Some(_), Some(key), Some((_, shown))) = (&input, &company, &p.company)
                && !self.account_ids.contains_key(key)
                && !out.new_accounts.contains_key(key)
                && wanted_keys.insert(key.clone())
            {
                wanted.push((key.clone(), shown.clone()));
            }
            inputs.push(input.map(|i| (i, company, planned)));
        }
        // 1. The accounts those companies need, checked but not written: each gets its id
        //    now, and is written below only if a row that passes uses it — so a failing
        //    row never leaves an account behind, and nothing has to be rolled back.
        let now = self.crm.now();
        let mut planned_accounts: HashMap<String, crate::records::Planned> = HashMap::new();
        let mut refused: HashMap<String, ServiceError> = HashMap::new();
        if let (Some(accounts), false) = (&self.accounts, wanted.is_empty()) {
            let changes: Vec<Change> = wanted
                .iter()
                .map(|(_, shown)| {
                    let mut m = Map::new();
                    m.insert(accounts.name_field.clone(), Json::String(shown.clone()));
                    Change::Create(m)
                })
                .collect();
            let t = Instant::now();
            let checked = self
                .crm
                .validate_in(
                    tx,
                    self.actor,
                    &self.schema,
                    accounts,
                    &changes,
                    now,
                    &HashSet::new(),
                )
                .await?;
            self.time(t, |p| &mut p.accounts);
            for ((key, _), r) in wanted.iter().zip(checked) {
                match r {
                    Ok(planned) => {
                        planned_accounts.insert(key.clone(), planned);
                    }
                    Err(e) => {
                        refused.insert(key.clone(), e);
                    }
                }
            }
        }
        // 2. The rows, each with its account's id (stored, or about to be).
        let pending = |key: &String| match planned_accounts.get(key) {
            Some(crate::records::Planned::Insert(rec)) => rec.id(),
            _ => None,
        };
        let mut changes = Vec::new();
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(rows.len());
        // The company key of each row whose account could not be made.
        let mut failed_company: Vec<Option<String>> = Vec::with_capacity(rows.len());
        // The creates' records as planned when read (all of them, or planning them here).
        let mut creates: Option<Vec<Result<Planned, ServiceError>>> = Some(Vec::new());
        for (input, plan) in inputs.into_iter().zip(&plans) {
            let Some((mut input, company, mut planned)) = input else {
                slots.push(None);
                failed_company.push(None);
                continue;
            };
            if let Some(Ok(Planned::Insert(record))) = &mut planned {
                record.values[sys::CREATED_AT] = Value::DateTime(now);
                record.values[sys::UPDATED_AT] = Value::DateTime(now);
            }
            if let (Some(key), Some(i)) = (&company, self.company_field) {
                let id = self
                    .account_ids
                    .get(key)
                    .or_else(|| out.new_accounts.get(key))
                    .copied()
                    .or_else(|| pending(key));
                match id {
                    Some(id) => {
                        input.insert(self.object.fields[i].name.clone(), Json::String(id.to_string()));
                        if let Some(Ok(Planned::Insert(record))) = &mut planned {
                            record.values[i] = Value::Uuid(id);
                        }
                    }
                    None => {
                        slots.push(None);
                        failed_company.push(Some(key.clone()));
                        continue;
                    }
                }
            }
            failed_company.push(None);
            slots.push(Some(changes.len()));
            if !matches!(plan, Plan::Update { .. }) {
                match (&mut creates, planned) {
                    (Some(all), Some(p)) => all.push(p),
                    (all, _) => *all = None,
                }
            }
            changes.push(match plan {
                Plan::Update { id, version, .. } => Change::Update {
                    id: *id,
                    version: *version,
                    patch: input,
                },
                _ => Change::Create(input),
            });
        }
        let t = Instant::now();
        let mut results: Vec<Option<crate::records::ItemResult>> = if changes.is_empty() {
            Vec::new()
        } else {
            let ids: HashSet<Uuid> = planned_accounts.keys().filter_map(pending).collect();
            let checked = self
                .crm
                .validate_planned_in(
                    tx,
                    self.actor,
                    &self.schema,
                    &self.object,
                    &changes,
                    creates,
                    now,
                    &ids,
                )
                .await?;
            self.crm
                .write_planned(tx, self.actor, &self.object, checked, now)
                .await?
                .into_iter()
                .map(Some)
                .collect()
        };
        self.time(t, |p| &mut p.write);
        // 3. The new accounts the written rows use.
        let used: FastSet<&String> = rows
            .iter()
            .zip(&slots)
            .filter(|(_, s)| s.is_some_and(|s| matches!(results.get(s), Some(Some(Ok(_))))))
            .filter_map(|(p, _)| p.company.as_ref().map(|(k, _)| k))
            .collect();
        let mut keep = Vec::new();
        let mut written = Vec::new();
        for (key, _) in &wanted {
            if used.contains(key)
                && let Some(planned) = planned_accounts.remove(key)
            {
                keep.push(Ok(planned));
                written.push(key.clone());
            }
        }
        if let (Some(accounts), false) = (&self.accounts, keep.is_empty()) {
            let t = Instant::now();
            let results = self
                .crm
                .write_planned(tx, self.actor, accounts, keep, now)
                .await?;
            self.time(t, |p| &mut p.accounts);
            for (key, r) in written.into_iter().zip(results) {
                let id = match r {
                    Ok((rec, _)) => rec.id().unwrap_or_default(),
                    Err(e) => return Err(e),
                };
                if !self.dry_accounts.contains(&key) {
                    out.counts.accounts += 1;
                }
                out.probe.get_or_insert(id);
                out.new_accounts.insert(key, id);
            }
        }
        // Tally.
        for (i, (p, plan)) in rows.iter().zip(&plans).enumerate() {
            let result = slots[i].and_then(|s| results.get_mut(s).and_then(Option::take));
            match (plan, result) {
                (Plan::Skip, _) => out.counts.skipped += 1,
                (Plan::Fail(e, field), _) => {
                    out.counts.errors += 1;
                    out.errors.push(self.row_error(p, e, field.as_deref()));
                }
                (_, None) => {
                    out.counts.errors += 1;
                    let not_found = ServiceError::field("name", Msg::LookupNotFound);
                    let e = failed_company[i]
                        .as_ref()
                        .and_then(|key| refused.get(key))
                        .unwrap_or(&not_found);
                    out.errors
                        .push(self.row_error(p, e, self.company_name().as_deref()));
                }
                (_, Some(Err(e))) => {
                    out.counts.errors += 1;
                    out.errors.push(self.row_error(p, &e, None));
                }
                (plan, Some(Ok((rec, outcome)))) => {
                    match (plan, outcome) {
                        (Plan::Pretend, _) => out.counts.updated += 1,
                        (_, Outcome::Created) => {
                            out.counts.created += 1;
                            if let Some(id) = rec.id() {
                                out.probe.get_or_insert(id);
                            }
                        }
                        (_, Outcome::Updated) => out.counts.updated += 1,
                        _ => out.counts.skipped += 1,
                    }
                    if let Ok(mut m) = self.memo.lock()
                        && let Some(m) = m.as_mut()
                    {
                        m.add(&rec);
                    }
                    if self.options.dry_run {
                        out.keys.extend(Self::keys(p));
                    }
                }
            }
        }
        // Freed on another thread: a round leaves thousands of rows and records behind,
        // and freeing them here would hold up the next round.
        let garbage = (rows, plans, records, changes, results);
        tokio::task::spawn_blocking(move || drop(garbage));
        Ok(deferred)
    }

    /// Drops the object's plain sort indexes when about `rest` rows are still to come and
    /// that is a bulk load (SQLite; see `BULK_ROWS`); the unique ones stay. Duplicate
    /// matching then finds email and mobile holders through the memo (`HolderMemo`),
    /// filled here with the live records. Returns whether it dropped them.
    async fn defer_indexes(&mut self, rest: f64) -> Result<bool, ServiceError> {
        if self.crm.db().dialect() != Dialect::Sqlite || rest < self.options.bulk_rows {
            return Ok(false);
        }
        let names = ddl::deferrable_indexes(&self.object, &[]);
        if names.is_empty() {
            return Ok(false);
        }
        let mut tx = self.crm.db().begin().await?;
        let stored = ddl::count_rows(&mut tx, &self.object).await?;
        if rest * 2.0 < stored as f64 {
            tx.rollback().await?;
            return Ok(false);
        }
        let kept: Vec<usize> = [self.email_field, self.mobile_field]
            .into_iter()
            .flatten()
            .collect();
        let memo = if kept.is_empty() {
            None
        } else {
            let fields: Vec<&guanxi_core::FieldDef> = kept.iter().map(|i| &self.object.fields[*i]).collect();
            let live = store::live_values(&mut tx, &self.object, &fields).await?;
            let mut memo = HolderMemo {
                fields: kept.iter().map(|i| (*i, FastMap::default())).collect(),
                seq: guanxi_storage::system::last_seq_in(&mut tx).await?,
            };
            for (id, values) in live {
                for ((_, map), value) in memo.fields.iter_mut().zip(values) {
                    if let Some(v) = value {
                        HolderMemo::insert(map, &v, id);
                    }
                }
            }
            Some(memo)
        };
        ddl::drop_indexes(&mut tx, &names).await?;
        tx.commit().await?;
        if let Ok(mut m) = self.memo.lock() {
            *m = memo;
        }
        tracing::info!(object = %self.object.name, indexes = ?names, "bulk load: these indexes are built at the end");
        Ok(true)
    }

    /// The row's values for the fields the record has empty (a merge never overwrites).
    fn fill(&self, record: &Record, input: &Map<String, Json>) -> Map<String, Json> {
        input
            .iter()
            .filter(|(name, _)| {
                self.object
                    .fields
                    .iter()
                    .position(|f| &f.name == *name)
                    .is_some_and(|i| record.values[i].is_null())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A row's field values, the company key it needs an account for, and (for a create) the
/// record planned when it was read.
type RowInput = (
    Map<String, Json>,
    Option<String>,
    Option<Result<Planned, ServiceError>>,
);

/// What the rounds of a batch add up to.
#[derive(Default)]
struct Acc {
    counts: Counts,
    errors: Vec<RowError>,
    probe: Option<Uuid>,
    new_accounts: HashMap<String, Uuid>,
    /// Keys of the rows written (for a dry run's next batches).
    keys: Vec<String>,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.created += o.created;
        self.updated += o.updated;
        self.skipped += o.skipped;
        self.errors += o.errors;
        self.accounts += o.accounts;
    }
}

impl Crm {
    /// Who imports from the command line without `--email`: the first administrator (who
    /// owns what is created), recorded in the audit trail as `cli`.
    pub async fn command_line_importer(&self, locale: Locale) -> Result<Actor, ServiceError> {
        let mut admins: Vec<_> = guanxi_storage::system::users(self.db())
            .await?
            .into_iter()
            .filter(|u| u.active && u.is_admin && u.kind == "internal")
            .collect();
        admins.sort_by_key(|u| (u.created_at, u.id));
        let first = admins
            .first()
            .ok_or(ServiceError::Forbidden(Msg::DetailAdminOnly))?;
        let mut actor = Actor::for_user(first);
        actor.email = "cli".into();
        actor.locale = locale;
        Ok(actor)
    }

    /// Imports `path` into `object` (singular or plural API name) as `actor`. Rows that
    /// fail go to the error file; the others are written in batches, each one transaction
    /// with a checkpoint after it. `progress` hears after every batch.
    pub async fn import(
        &self,
        actor: &Actor,
        object: &str,
        path: &Path,
        options: &ImportOptions,
        progress: &mut (dyn FnMut(&Event) + Send),
    ) -> Result<ImportReport, ImportError> {
        let mut deferred = false;
        // Imported records without an owner go where the assignment rules say.
        let result = crate::assignment::with_rules(self.import_file(
            actor,
            object,
            path,
            options,
            progress,
            &mut deferred,
        ))
        .await;
        // An import that stopped on an error still builds the indexes it left out (were
        // the process killed instead, startup builds them), and the batches gave the writer
        // a bulk-load cache: give it back, however they ended.
        let restored = async {
            let mut tx = self.db().begin().await?;
            if deferred && let Some(def) = self.schema().named(object) {
                ddl::rebuild_indexes(&mut tx, def).await?;
            }
            tx.bulk_load(false).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = restored {
            tracing::warn!(error = %e, "could not restore indexes or the page cache after an import");
        }
        result
    }

    async fn import_file(
        &self,
        actor: &Actor,
        object: &str,
        path: &Path,
        options: &ImportOptions,
        progress: &mut (dyn FnMut(&Event) + Send),
        deferred: &mut bool,
    ) -> Result<ImportReport, ImportError> {
        let started = Instant::now();
        let schema = self.schema();
        let def = schema
            .named(object)
            .cloned()
            .ok_or_else(|| ImportError::UnknownObject(object.to_string()))?;
        let unreadable = |reason: String| ImportError::Unreadable {
            path: path.to_path_buf(),
            reason,
        };
        let owned = path.to_path_buf();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(owned))
            .await
            .map_err(|e| unreadable(e.to_string()))?
            .map_err(|e| unreadable(e.to_string()))?;
        let file_id = FileId::of(path, &bytes);
        let sheet = tokio::task::spawn_blocking(move || open_sheet(bytes))
            .await
            .map_err(|e| unreadable(e.to_string()))?
            .map_err(unreadable)?
            .ok_or_else(|| ImportError::Empty(path.to_path_buf()))?;
        let Sheet {
            headers,
            rows,
            format,
            encoding,
        } = sheet;

        // Columns: hidden fields are not there for this actor.
        let access = self.access(actor, &def);
        let mut map = mapping::map_headers(&def, &headers, &options.mapping).map_err(|e| match e {
            mapping::MappingError::UnknownField(field) => ImportError::MappingUnknownField {
                path: path.to_path_buf(),
                field,
            },
        })?;
        for (t, h) in map.targets.iter_mut().zip(&headers) {
            if let Some(Target::Field(i) | Target::Company(i)) = t
                && access.hidden(&def.fields[*i].name)
            {
                *t = None;
                map.unknown.push(h.clone());
            }
        }
        let name_index = def.fields.iter().position(|f| f.name == def.name_field);
        if name_index.is_none_or(|i| map.column_of(i).is_none()) {
            let f = name_index.map(|i| &def.fields[i]);
            return Err(ImportError::NoNameColumn {
                field: f.map_or(def.name_field.clone(), |f| f.label.get(actor.locale).to_string()),
                examples: f.map_or(String::new(), |f| {
                    let mut e = vec![f.name.clone(), f.label.zh_cn.clone(), f.label.en.clone()];
                    e.dedup();
                    e.join(" / ")
                }),
                columns: headers.clone(),
            });
        }
        let company_field = map.targets.iter().find_map(|t| match t {
            Some(Target::Company(i)) => Some(*i),
            _ => None,
        });
        let accounts = match company_field {
            Some(_) => schema.object("account").cloned(),
            None => None,
        };
        let field_of = |pred: &dyn Fn(&guanxi_core::FieldDef) -> bool| {
            def.fields
                .iter()
                .position(pred)
                .filter(|i| map.column_of(*i).is_some())
        };
        let ext_field = field_of(&|f| f.external_id);
        let email_field = field_of(&|f| f.name == "email" && f.field_type == FieldType::Email);
        let mobile_field = field_of(&|f| f.name == "mobile" && f.field_type == FieldType::Phone);

        // Checkpoint: resume when it is for this file, these options and this actor.
        let state_path = options
            .state_path
            .clone()
            .unwrap_or_else(|| default_state_path(path));
        let errors_path = options
            .errors_path
            .clone()
            .unwrap_or_else(|| default_errors_path(path));
        let fingerprint = json!({
            "object": def.name, "actor": actor.user_id, "on_duplicate": options.on_duplicate.as_str(),
            "columns": map.targets.iter().map(|t| match t {
                Some(Target::Field(i)) => def.fields[*i].name.clone(),
                Some(Target::Company(i)) => format!("company:{}", def.fields[*i].name),
                None => String::new(),
            }).collect::<Vec<_>>(),
        })
        .to_string();
        let mut counts = Counts::default();
        let mut committed_row = 1u64;
        let mut batches = 0u64;
        let mut resumed_after = None;
        let mut restarted = false;
        let previous = if options.dry_run {
            None
        } else {
            State::load(&state_path)
        };
        match previous {
            Some(st) if st.file == file_id && st.options == fingerprint => {
                let (row, c, len) = match &st.pending {
                    Some(p) if self.committed(&def, accounts.as_deref(), p.probe).await? => {
                        (p.through_row, p.counts.clone(), p.errors_len)
                    }
                    _ => (st.committed_row, st.counts.clone(), st.errors_len),
                };
                committed_row = row;
                counts = c;
                batches = st.batches;
                resumed_after = Some(row);
                if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&errors_path) {
                    f.set_len(len).map_err(io_error)?;
                }
            }
            Some(_) => {
                restarted = true;
                let _ = std::fs::remove_file(&state_path);
            }
            None => {}
        }
        if resumed_after.is_none() {
            let _ = std::fs::remove_file(&errors_path);
        }
        let mut errors = ErrorFile {
            path: errors_path.clone(),
            headers: headers.clone(),
            locale: actor.locale,
            writer: None,
        };

        let mut run = Run {
            crm: self,
            actor,
            schema: schema.clone(),
            object: def.clone(),
            map,
            headers,
            options,
            company_field,
            accounts,
            account_ids: HashMap::new(),
            ext_field,
            email_field,
            mobile_field,
            dry_keys: HashSet::new(),
            dry_accounts: HashSet::new(),
            memo: Default::default(),
            phases: Default::default(),
        };
        if let Some(accounts) = run.accounts.clone() {
            run.account_ids = self.account_index(actor, &accounts).await?;
        }

        progress(&Event::Started {
            unknown_columns: run.map.unknown.clone(),
            twice_columns: run.map.twice.clone(),
            resumed_after,
            restarted,
        });
        let batch_size = options.batch_size.clamp(1, MAX_BATCH);
        let mut processed_here = 0u64;
        let mut last_row = committed_row;
        let mut stopped = false;
        let run_counts_start = counts.rows();
        let mut incoming = RowReader {
            object: def.clone(),
            targets: run.map.targets.clone(),
            ctx: self.parse_context(),
            ext_field,
            email_field,
            mobile_field,
            on_duplicate: options.on_duplicate,
            planner: Some((actor.clone(), self.access(actor, &def))),
        }
        .spawn(rows, batch_size, committed_row);
        loop {
            // Waiting for the reader is what reading costs the import.
            let t = Instant::now();
            let next = incoming.recv().await;
            run.time(t, |p| &mut p.read);
            let Some(next) = next else { break };
            let ReadBatch {
                rows: rows_in,
                through,
                fraction_before,
                fraction,
            } = next.map_err(|reason| ImportError::Stopped {
                row: committed_row,
                cause: ServiceError::Internal(reason),
            })?;
            let n_rows = rows_in.len() as u64;
            let batch = match run.batch(rows_in).await {
                Ok(b) => b,
                Err(cause) => {
                    return Err(ImportError::Stopped {
                        row: committed_row,
                        cause,
                    });
                }
            };
            let Batch {
                tx,
                counts: delta,
                errors: row_errors,
                probe,
                new_accounts,
                keys,
            } = batch;
            let stop = |cause: ServiceError| ImportError::Stopped {
                row: committed_row,
                cause,
            };
            let t = Instant::now();
            let before_len = errors.len();
            errors.write(&row_errors).map_err(stop)?;
            let mut after = counts.clone();
            after.add(&delta);
            if options.dry_run {
                tx.rollback().await.map_err(|e| stop(e.into()))?;
                run.dry_keys.extend(keys);
                run.dry_accounts.extend(new_accounts.into_keys());
            } else {
                let mut st = State {
                    version: 1,
                    file: file_id.clone(),
                    options: fingerprint.clone(),
                    committed_row,
                    counts: counts.clone(),
                    errors_len: before_len,
                    batches,
                    pending: Some(Pending {
                        through_row: through,
                        probe,
                        counts: after.clone(),
                        errors_len: errors.len(),
                    }),
                };
                st.save(&state_path).map_err(stop)?;
                tx.commit().await.map_err(|e| stop(e.into()))?;
                run.account_ids.extend(new_accounts);
                st.committed_row = through;
                st.counts = after.clone();
                st.errors_len = errors.len();
                st.batches = batches + 1;
                st.pending = None;
                st.save(&state_path).map_err(|e| ImportError::Stopped {
                    row: through,
                    cause: e,
                })?;
            }
            run.time(t, |p| &mut p.commit);
            // After the first batch the file says how much is left: a bulk load builds its
            // plain indexes at the end.
            let f = fraction;
            if processed_here == 0 && !options.dry_run && f > fraction_before && f < 1.0 {
                let rest = n_rows as f64 * (1.0 - f) / (f - fraction_before);
                *deferred = run
                    .defer_indexes(rest)
                    .await
                    .map_err(|cause| ImportError::Stopped { row: through, cause })?;
            }
            counts = after;
            committed_row = through;
            last_row = through;
            batches += 1;
            processed_here += n_rows;
            let elapsed = started.elapsed();
            progress(&Event::Batch(Progress {
                rows: counts.rows(),
                fraction,
                elapsed,
                rate: processed_here as f64 / elapsed.as_secs_f64().max(1e-9),
            }));
            if options.stop_after_batches.is_some_and(|n| batches >= n) {
                stopped = true;
                break;
            }
        }
        let _ = run_counts_start;
        // The indexes a bulk load left out, and the writer as usual again: the commit, past
        // the usual checkpoint interval, copies the load's log into the database file —
        // both part of the import's time.
        let sorting_in_files = *deferred;
        let finished = async {
            if *deferred {
                // The load's log into the file first: each build reads the whole table.
                let t = Instant::now();
                self.db().checkpoint().await?;
                run.time(t, |p| &mut p.commit);
                self.db().sort_in_files(true).await?;
            }
            let mut tx = self.db().begin().await?;
            if *deferred {
                let t = Instant::now();
                ddl::rebuild_indexes(&mut tx, &def).await?;
                run.time(t, |p| &mut p.indexes);
            }
            let t = Instant::now();
            tx.bulk_load(false).await?;
            tx.commit().await?;
            run.time(t, |p| &mut p.commit);
            Ok::<_, StorageError>(())
        }
        .await;
        let finished = match finished {
            Ok(()) if sorting_in_files => self.db().sort_in_files(false).await,
            Err(e) if sorting_in_files => {
                let _ = self.db().sort_in_files(false).await;
                Err(e)
            }
            done => done,
        };
        finished.map_err(|e| ImportError::Stopped {
            row: committed_row,
            cause: e.into(),
        })?;
        *deferred = false;
        if !options.dry_run && !stopped {
            let _ = std::fs::remove_file(&state_path);
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = processed_here as f64 / seconds.max(1e-9);
        let report = ImportReport {
            object: def.name.clone(),
            counts: counts.clone(),
            dry_run: options.dry_run,
            format: format.to_string(),
            encoding: encoding.map(str::to_string),
            seconds,
            rate,
            errors_path: (counts.errors > 0).then_some(errors_path),
            unknown_columns: run.map.unknown.clone(),
            twice_columns: run.map.twice.clone(),
            resumed_after,
            restarted,
            stopped,
            batches,
            last_row,
            phases: run.phases.lock().map(|p| p.clone()).unwrap_or_default(),
        };
        if !options.dry_run {
            let file_name = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let detail = json!({
                "file": file_name, "format": report.format, "encoding": report.encoding,
                "on_duplicate": options.on_duplicate.as_str(), "rows": counts.rows(),
                "created": counts.created, "updated": counts.updated, "skipped": counts.skipped,
                "errors": counts.errors, "accounts": counts.accounts, "resumed_after": resumed_after,
                "finished": !stopped, "seconds": (seconds * 1000.0).round() / 1000.0,
            });
            let mut tx = self.db().begin().await?;
            crate::audit::record(
                &mut tx,
                Some(actor),
                "record.import",
                Some(&def.name),
                None,
                detail,
                self.now(),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Whether the record a pending batch created first is there (the batch committed).
    async fn committed(
        &self,
        object: &ObjectDef,
        accounts: Option<&ObjectDef>,
        probe: Option<Uuid>,
    ) -> Result<bool, ImportError> {
        let Some(id) = probe else { return Ok(false) };
        let mut tx = self.db().begin().await?;
        let mut found = store::get_many_in(&mut tx, object, &[id]).await?;
        if let (true, Some(a)) = (found.is_empty(), accounts) {
            found = store::get_many_in(&mut tx, a, &[id]).await?;
        }
        tx.rollback().await?;
        Ok(!found.is_empty())
    }

    /// Every account the actor may read, by company key (the oldest wins a tie).
    async fn account_index(
        &self,
        actor: &Actor,
        accounts: &ObjectDef,
    ) -> Result<HashMap<String, Uuid>, ServiceError> {
        let mut out = HashMap::new();
        let access = self.access(actor, accounts);
        if !access.may(Operation::Read) {
            return Ok(out);
        }
        let name = accounts
            .fields
            .iter()
            .position(|f| f.name == accounts.name_field)
            .unwrap_or(0);
        let mut q = ListQuery {
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        loop {
            let page = self.list(actor, &accounts.name, &q).await?;
            for r in &page.records {
                if let (Value::Text(n), Some(id)) = (&r.values[name], r.id()) {
                    out.entry(mapping::company_key(n)).or_insert(id);
                }
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        Ok(out)
    }
}

//! Connections: the one place that knows which engine is behind a URL. SQLite-only
//! settings (WAL, busy timeout, foreign keys, one writer) live here with the SQLite code.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::ColumnKind;
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Postgres, Row, Sqlite, Transaction};
use uuid::Uuid;

use crate::sql::{Arg, Sql, datetime_text, scaled};
use crate::{Result, StorageError};

/// The SQLite page cache of each connection, in KiB, and of the writer during a bulk load.
const CACHE_KIB: u32 = 65_536;
const BULK_CACHE_KIB: u32 = 524_288;
/// Write-ahead log pages (8 KiB each) after which a commit checkpoints them into the
/// database file: usually 128 MB, during a bulk load 1 GB. Bulk writes dirty the same
/// index pages again and again, and a checkpoint copies each page once however many
/// commits changed it; after the load the log is cut back to the usual size.
const CHECKPOINT_PAGES: u32 = 16_384;
const BULK_CHECKPOINT_PAGES: u32 = 131_072;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub enum Database {
    /// One writer connection (SQLite allows one writer at a time; queuing in-process
    /// avoids busy errors) and a pool of readers.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        path: PathBuf,
    },
    Postgres(PgPool),
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Database {
    /// Opens the database named by `url`, or the embedded SQLite file in `data_dir` when
    /// there is none. Any scheme but `sqlite:` and `postgres:` is refused.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> Result<Database> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                std::fs::create_dir_all(data_dir)?;
                Self::open_sqlite(&data_dir.join("guanxi.db")).await
            }
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let options =
                    PgConnectOptions::from_str(u).map_err(|_| StorageError::UnsupportedUrl(redact(u)))?;
                // Statements are prepared once per connection; a generic plan made while a
                // table was small (a seq scan) would be reused as it grows. Plan each run.
                let options = options.options([("plan_cache_mode", "force_custom_plan")]);
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Ok(Database::Postgres(pool))
            }
            Some(u) => {
                let path = u.strip_prefix("sqlite://").or_else(|| u.strip_prefix("sqlite:"));
                match path {
                    Some(p) if !p.is_empty() && !p.starts_with(":memory:") => {
                        let path = PathBuf::from(p.split('?').next().unwrap_or(p));
                        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                            std::fs::create_dir_all(parent)?;
                        }
                        Self::open_sqlite(&path).await
                    }
                    _ => Err(StorageError::UnsupportedUrl(redact(u))),
                }
            }
        }
    }

    async fn open_sqlite(path: &Path) -> Result<Database> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .page_size(8192)
            // Checkpoint less often than the default (4 MB): see `CHECKPOINT_PAGES`.
            .pragma("wal_autocheckpoint", CHECKPOINT_PAGES.to_string())
            // A log that grew during a bulk load is cut back when it next starts over.
            .pragma(
                "journal_size_limit",
                (u64::from(CHECKPOINT_PAGES) * 8192).to_string(),
            )
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{CACHE_KIB}"))
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(base.clone().create_if_missing(true))
            .await?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get().max(4) as u32);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true))
            .await?;
        Ok(Database::Sqlite {
            write,
            read,
            path: path.to_path_buf(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite { .. } => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Where the data lives, for messages (passwords hidden).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Database::Postgres(_) => "postgres".into(),
        }
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`)
    /// so that two writers never deadlock upgrading a read lock.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Database::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Database::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn fetch(&self, sql: Sql, kinds: &[ColumnKind]) -> Result<Vec<Vec<Arg>>> {
        match self {
            Database::Sqlite { read, .. } => {
                let rows = bind_sqlite(sqlx::query(&sql.text), sql.args)
                    .fetch_all(read)
                    .await?;
                rows.iter().map(|r| decode_sqlite(r, kinds)).collect()
            }
            Database::Postgres(pool) => {
                let rows = bind_pg(sqlx::query(&sql.text), sql.args)
                    .fetch_all(pool)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(|r| decode_pg(r, kinds)).collect()
            }
        }
    }

    /// Runs one statement in its own transaction.
    pub async fn execute(&self, sql: Sql) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = tx.execute(sql).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Copies the write-ahead log into the database file now, outside any transaction
    /// (SQLite; nothing on PostgreSQL) — as far as readers let it.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Database::Sqlite { write, .. } = self {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(write)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    /// Has the SQLite writer keep its temporary data in files (`true`) or in memory, as
    /// usual. Only with files does SQLite sort on worker threads — an index build sorts
    /// about twice as fast. Set outside any transaction (SQLite refuses it inside one).
    pub async fn sort_in_files(&self, files: bool) -> Result<()> {
        if let Database::Sqlite { write, .. } = self {
            let store = if files { "FILE" } else { "MEMORY" };
            sqlx::query(&format!("PRAGMA temp_store = {store}"))
                .execute(write)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Database::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    pub async fn execute(&mut self, sql: Sql) -> Result<u64> {
        match self {
            Tx::Sqlite(tx) => Ok(bind_sqlite(sqlx::query(&sql.text), sql.args)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?
                .rows_affected()),
            Tx::Postgres(tx) => Ok(bind_pg(sqlx::query(&sql.text), sql.args)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?
                .rows_affected()),
        }
    }

    pub async fn fetch(&mut self, sql: Sql, kinds: &[ColumnKind]) -> Result<Vec<Vec<Arg>>> {
        match self {
            Tx::Sqlite(tx) => {
                let rows = bind_sqlite(sqlx::query(&sql.text), sql.args)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(|r| decode_sqlite(r, kinds)).collect()
            }
            Tx::Postgres(tx) => {
                let rows = bind_pg(sqlx::query(&sql.text), sql.args)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(|r| decode_pg(r, kinds)).collect()
            }
        }
    }

    /// Sets the SQLite write connection up for a bulk load (`true`: a 512 MB page cache,
    /// a checkpoint every 1 GB of log) or back as usual (64 MB, 128 MB). An import's
    /// batches touch index pages all over the file: with the usual cache they are read
    /// back again and again, and with the usual checkpoints copied into the file again
    /// and again. The settings outlive the transaction (they belong to the connection).
    /// Nothing on PostgreSQL.
    pub async fn bulk_load(&mut self, bulk: bool) -> Result<()> {
        if let Tx::Sqlite(tx) = self {
            let (kib, pages) = if bulk {
                (BULK_CACHE_KIB, BULK_CHECKPOINT_PAGES)
            } else {
                (CACHE_KIB, CHECKPOINT_PAGES)
            };
            for pragma in [
                format!("PRAGMA cache_size = -{kib}"),
                format!("PRAGMA wal_autocheckpoint = {pages}"),
            ] {
                sqlx::query(&pragma).execute(&mut **tx).await.map_err(map_err)?;
            }
        }
        Ok(())
    }

    /// Runs the statements `build` gives until it gives none, building each while the
    /// engine runs the one before: SQLite works on a thread of its own, PostgreSQL on its
    /// server, so a bulk write keeps both this thread and the engine busy.
    pub async fn execute_built(&mut self, mut build: impl FnMut(Dialect) -> Option<Sql>) -> Result<()> {
        let dialect = self.dialect();
        let mut next = build(dialect);
        while let Some(sql) = next {
            // Polled in order: the statement is handed to the engine first.
            let (done, following) = tokio::join!(biased; self.execute(sql), async { build(dialect) });
            done?;
            next = following;
        }
        Ok(())
    }

    /// Runs statements without arguments, one by one (DDL).
    pub async fn execute_plain(&mut self, statements: &[String]) -> Result<()> {
        for s in statements {
            let sql = Sql::with(self.dialect(), s);
            self.execute(sql).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// Unique violations become `StorageError::Unique` naming the column (from our index
/// names `ux_{table}_{column}` on PostgreSQL, from the message on SQLite).
fn map_err(e: sqlx::Error) -> StorageError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let field = match db.constraint() {
            Some(c) => c.strip_prefix("ux_").unwrap_or(c).to_string(),
            None => db
                .message()
                .rsplit(": ")
                .next()
                .and_then(|cols| cols.split(',').next())
                .map(|c| c.trim().to_string())
                .unwrap_or_default(),
        };
        return StorageError::Unique { field };
    }
    StorageError::Sql(e)
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

fn bind_sqlite(mut q: SqliteQuery<'_>, args: Vec<Arg>) -> SqliteQuery<'_> {
    for arg in args {
        q = match arg {
            Arg::Null(_) => q.bind(None::<String>),
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::Bool(b) => q.bind(b),
            Arg::Decimal(d, s) => q.bind(scaled(&d, s)),
            Arg::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
            Arg::DateTime(d) => q.bind(datetime_text(&d)),
            // 16-byte blobs: a third of the text form in every index entry, same order.
            Arg::Uuid(u) => q.bind(u.as_bytes().to_vec()),
        };
    }
    q
}

fn bind_pg(mut q: PgQuery<'_>, args: Vec<Arg>) -> PgQuery<'_> {
    for arg in args {
        q = match arg {
            Arg::Null(kind) => match kind {
                ColumnKind::Text => q.bind(None::<String>),
                ColumnKind::Int => q.bind(None::<i64>),
                ColumnKind::Bool => q.bind(None::<bool>),
                ColumnKind::Decimal(_) => q.bind(None::<Decimal>),
                ColumnKind::Date => q.bind(None::<NaiveDate>),
                ColumnKind::DateTime => q.bind(None::<DateTime<Utc>>),
                ColumnKind::Uuid => q.bind(None::<Uuid>),
            },
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::Bool(b) => q.bind(b),
            Arg::Decimal(d, _) => q.bind(d),
            Arg::Date(d) => q.bind(d),
            Arg::DateTime(d) => q.bind(d),
            Arg::Uuid(u) => q.bind(u),
        };
    }
    q
}

fn corrupt(what: &str, value: &str) -> StorageError {
    StorageError::Corrupt(format!("{what}: {value:?}"))
}

fn decode_sqlite(row: &SqliteRow, kinds: &[ColumnKind]) -> Result<Vec<Arg>> {
    let mut out = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let arg = match kind {
            ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map(Arg::Text),
            ColumnKind::Int => row.try_get::<Option<i64>, _>(i)?.map(Arg::Int),
            ColumnKind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Arg::Bool),
            ColumnKind::Decimal(s) => row
                .try_get::<Option<i64>, _>(i)?
                .map(|v| Arg::Decimal(Decimal::new(v, *s), *s)),
            ColumnKind::Date => match row.try_get::<Option<String>, _>(i)? {
                None => None,
                Some(t) => Some(Arg::Date(
                    NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| corrupt("date", &t))?,
                )),
            },
            ColumnKind::DateTime => match row.try_get::<Option<String>, _>(i)? {
                None => None,
                Some(t) => Some(Arg::DateTime(
                    DateTime::parse_from_rfc3339(&t)
                        .map_err(|_| corrupt("datetime", &t))?
                        .with_timezone(&Utc),
                )),
            },
            ColumnKind::Uuid => match row.try_get::<Option<Vec<u8>>, _>(i)? {
                None => None,
                Some(b) => Some(Arg::Uuid(
                    Uuid::from_slice(&b).map_err(|_| corrupt("uuid", &format!("{b:?}")))?,
                )),
            },
        };
        out.push(arg.unwrap_or(Arg::Null(*kind)));
    }
    Ok(out)
}

fn decode_pg(row: &PgRow, kinds: &[ColumnKind]) -> Result<Vec<Arg>> {
    let mut out = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let arg = match kind {
            ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map(Arg::Text),
            ColumnKind::Int => row.try_get::<Option<i64>, _>(i)?.map(Arg::Int),
            ColumnKind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Arg::Bool),
            ColumnKind::Decimal(s) => row.try_get::<Option<Decimal>, _>(i)?.map(|d| Arg::Decimal(d, *s)),
            ColumnKind::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map(Arg::Date),
            ColumnKind::DateTime => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(Arg::DateTime),
            ColumnKind::Uuid => row.try_get::<Option<Uuid>, _>(i)?.map(Arg::Uuid),
        };
        out.push(arg.unwrap_or(Arg::Null(*kind)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "mysql://root@localhost/crm",
            "sqlite::memory:",
            "http://x",
            "guanxi.db",
        ] {
            let e = Database::connect(Some(url), dir.path()).await;
            assert!(matches!(e, Err(StorageError::UnsupportedUrl(_))), "{url}");
        }
    }

    /// Bulk inserts skip SQLite's statement journal (`INSERT OR FAIL`): a clash still fails
    /// the write with the column named, and the rolled-back transaction leaves nothing.
    #[tokio::test]
    async fn a_bulk_insert_that_clashes_is_refused_and_rolled_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(None, dir.path()).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.execute_plain(&[
            "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT NOT NULL)".into(),
            "CREATE UNIQUE INDEX ux_t_code ON t (code)".into(),
        ])
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let rows = |codes: &[&str]| -> Vec<Vec<Arg>> {
            codes.iter().map(|c| vec![Arg::Text(c.to_string())]).collect()
        };
        let mut tx = db.begin().await.unwrap();
        let e = crate::system::insert_rows(&mut tx, "t", &["code"], rows(&["a", "b", "a", "c"]))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StorageError::Unique { field } if field.contains("code")),
            "{e:?}"
        );
        tx.rollback().await.unwrap();
        let count = || async {
            let rows = db
                .fetch(
                    Sql::with(Dialect::Sqlite, "SELECT count(*) FROM t"),
                    &[ColumnKind::Int],
                )
                .await
                .unwrap();
            crate::sql::first_int(&rows)
        };
        assert_eq!(count().await, Some(0));
        // And a clean batch goes in whole.
        let mut tx = db.begin().await.unwrap();
        crate::system::insert_rows(&mut tx, "t", &["code"], rows(&["a", "b", "c"]))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(count().await, Some(3));
    }

    #[test]
    fn passwords_are_redacted_from_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
    }
}

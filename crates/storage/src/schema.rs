//! Tables and columns generated from metadata: each object a real table, each field a
//! real column, indexes for indexed fields. Additive only: columns are never dropped here.

use std::collections::HashSet;

use guanxi_core::{ColumnKind, FieldDef, ObjectDef};

use crate::Result;
use crate::db::{Dialect, Tx};
use crate::sql::{Arg, Sql, first_int};

pub fn column_type(dialect: Dialect, kind: ColumnKind) -> String {
    match (dialect, kind) {
        (Dialect::Sqlite, ColumnKind::Int | ColumnKind::Bool | ColumnKind::Decimal(_)) => "INTEGER".into(),
        (Dialect::Sqlite, ColumnKind::Uuid) => "BLOB".into(),
        (Dialect::Sqlite, _) => "TEXT".into(),
        (Dialect::Postgres, ColumnKind::Text) => "TEXT COLLATE \"C\"".into(),
        (Dialect::Postgres, ColumnKind::Int) => "BIGINT".into(),
        (Dialect::Postgres, ColumnKind::Bool) => "BOOLEAN".into(),
        (Dialect::Postgres, ColumnKind::Decimal(s)) => {
            format!("NUMERIC({}, {s})", guanxi_core::metadata::DECIMAL_PRECISION)
        }
        (Dialect::Postgres, ColumnKind::Date) => "DATE".into(),
        (Dialect::Postgres, ColumnKind::DateTime) => "TIMESTAMPTZ".into(),
        (Dialect::Postgres, ColumnKind::Uuid) => "UUID".into(),
    }
}

/// The columns a field occupies: its own, and a currency column for money.
pub fn field_columns(field: &FieldDef) -> Vec<(String, ColumnKind)> {
    let mut cols = vec![(field.column.clone(), field.column_kind())];
    if let Some(c) = field.currency_column() {
        cols.push((c, ColumnKind::Text));
    }
    cols
}

/// Every column of the object's table, in field order.
pub fn columns(object: &ObjectDef) -> Vec<(String, ColumnKind)> {
    object.fields.iter().flat_map(field_columns).collect()
}

/// Index names stay within PostgreSQL's 63 bytes and are unique per schema.
pub fn index_name(prefix: &str, table: &str, column: &str) -> String {
    let name = format!("{prefix}_{table}_{column}");
    if name.len() <= 63 {
        return name;
    }
    let mut hash: u32 = 2166136261;
    for b in name.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(16777619);
    }
    let short: String = name.chars().take(50).collect();
    format!("{short}_{hash:08x}")
}

async fn existing_columns(tx: &mut Tx, table: &str) -> Result<HashSet<String>> {
    let sql = match tx.dialect() {
        Dialect::Sqlite => {
            let mut s = Sql::with(Dialect::Sqlite, "SELECT name FROM pragma_table_info(");
            s.bind(Arg::Text(table.into())).push(")");
            s
        }
        Dialect::Postgres => {
            let mut s = Sql::with(
                Dialect::Postgres,
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ",
            );
            s.bind(Arg::Text(table.into()));
            s
        }
    };
    let rows = tx.fetch(sql, &[ColumnKind::Text]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().and_then(|a| a.as_text().map(str::to_string)))
        .collect())
}

/// Creates the object's table, adds missing columns and indexes. Idempotent.
pub async fn ensure_table(tx: &mut Tx, object: &ObjectDef) -> Result<()> {
    let dialect = tx.dialect();
    let table = &object.table;
    let existing = existing_columns(tx, table).await?;
    let mut statements = Vec::new();
    let cols = columns(object);
    if existing.is_empty() {
        let mut s = Sql::new(dialect);
        s.push("CREATE TABLE ").ident(table).push(" (");
        for (i, (name, kind)) in cols.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.ident(name).push(" ").push(&column_type(dialect, *kind));
            match name.as_str() {
                "id" => {
                    s.push(" PRIMARY KEY NOT NULL");
                }
                "created_at" | "updated_at" | "version" => {
                    s.push(" NOT NULL");
                }
                _ => {}
            }
        }
        s.push(")");
        statements.push(s.text);
    } else {
        for (name, kind) in cols.iter().filter(|(n, _)| !existing.contains(n)) {
            let mut s = Sql::new(dialect);
            s.push("ALTER TABLE ")
                .ident(table)
                .push(" ADD COLUMN ")
                .ident(name)
                .push(" ");
            s.push(&column_type(dialect, *kind));
            statements.push(s.text);
        }
    }
    for field in &object.fields {
        statements.extend(index_statements(dialect, object, field));
    }
    tx.execute_plain(&statements).await
}

/// The plain sort indexes of `object` but those on the `keep` columns: what a bulk load may
/// drop first and build once at the end. Unique indexes stay (they guard values). A
/// million inserts at random places in an index cost far more than building it from the
/// sorted rows afterwards.
pub fn deferrable_indexes(object: &ObjectDef, keep: &[&str]) -> Vec<String> {
    object
        .fields
        .iter()
        .filter(|f| f.indexed && !f.unique && !f.external_id && f.name != "id")
        .filter(|f| !keep.contains(&f.column.as_str()))
        .map(|f| index_name(owner_prefix(object, f), &object.table, &f.column))
        .collect()
}

/// Drops the named indexes (those `deferrable_indexes` gave).
pub async fn drop_indexes(tx: &mut Tx, names: &[String]) -> Result<()> {
    let dialect = tx.dialect();
    let statements: Vec<String> = names
        .iter()
        .map(|n| {
            let mut s = Sql::new(dialect);
            s.push("DROP INDEX IF EXISTS ").ident(n);
            s.text
        })
        .collect();
    tx.execute_plain(&statements).await
}

/// The page cache while indexes are built: the size of the runs their keys are sorted in.
const SORT_RUN_KIB: u32 = 16_384;

/// Builds the object's missing indexes (those a bulk load dropped) and, on SQLite, gives
/// the planner sampled statistics for the table at once; the periodic refresh makes them
/// exact later.
pub async fn rebuild_indexes(tx: &mut Tx, object: &ObjectDef) -> Result<()> {
    let sqlite = tx.dialect() == Dialect::Sqlite;
    let mut cache = None;
    // Each CREATE INDEX sorts its keys in runs the size of the page cache: with the large
    // cache of a bulk load that is one run sorted on one core, while 16 MB runs are sorted
    // by worker threads on every core and merged — about twice as fast. SQLite has worker
    // threads only while temporary data goes to files (`Database::sort_in_files`); kept in
    // memory, small runs are slower than one big one, and nothing changes. (Both settings
    // are the connection's, put back after.)
    let in_files = sqlite && {
        let rows = tx
            .fetch(
                Sql::with(Dialect::Sqlite, "PRAGMA temp_store"),
                &[ColumnKind::Int],
            )
            .await?;
        first_int(&rows) != Some(2)
    };
    if in_files {
        let rows = tx
            .fetch(
                Sql::with(Dialect::Sqlite, "PRAGMA cache_size"),
                &[ColumnKind::Int],
            )
            .await?;
        cache = first_int(&rows);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        tx.execute_plain(&[
            format!("PRAGMA threads = {cores}"),
            format!("PRAGMA cache_size = -{SORT_RUN_KIB}"),
        ])
        .await?;
    }
    let built = ensure_table(tx, object).await;
    if let Some(pages) = cache {
        tx.execute_plain(&[
            "PRAGMA threads = 0".into(),
            format!("PRAGMA cache_size = {pages}"),
        ])
        .await?;
    }
    built?;
    if sqlite {
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("ANALYZE ").ident(&object.table);
        tx.execute_plain(&[
            "PRAGMA analysis_limit = 1000".into(),
            s.text,
            "PRAGMA analysis_limit = 0".into(),
        ])
        .await?;
    }
    Ok(())
}

/// Live and binned rows in the object's table.
pub async fn count_rows(tx: &mut Tx, object: &ObjectDef) -> Result<i64> {
    let mut s = tx.sql();
    s.push("SELECT COUNT(*) FROM ").ident(&object.table);
    let rows = tx.fetch(s, &[ColumnKind::Int]).await?;
    Ok(first_int(&rows).unwrap_or(0))
}

/// The index a sorted list of `object` by `field` walks, if there is one.
pub fn sort_index(object: &ObjectDef, field: &FieldDef) -> Option<String> {
    if field.name == "id" {
        Some(format!("sqlite_autoindex_{}_1", object.table))
    } else if field.unique || field.external_id {
        Some(index_name("ux", &object.table, &field.column))
    } else if field.indexed {
        Some(index_name(
            owner_prefix(object, field),
            &object.table,
            &field.column,
        ))
    } else {
        None
    }
}

/// Objects with owners keep the owner in each sort index ("ixo"): a rep's list walks the
/// index in order and skips records of other owners without reading them.
fn owner_prefix(object: &ObjectDef, field: &FieldDef) -> &'static str {
    if field.name != "owner" && object.field("owner").is_some() {
        "ixo"
    } else {
        "ix"
    }
}

/// Index DDL for one field (empty when it has none).
pub fn index_statements(dialect: Dialect, object: &ObjectDef, field: &FieldDef) -> Vec<String> {
    let table = object.table.as_str();
    let mut out = Vec::new();
    if field.name == "id" {
        return out;
    }
    if field.unique || field.external_id {
        let mut s = Sql::new(dialect);
        s.push("CREATE UNIQUE INDEX IF NOT EXISTS ")
            .ident(&index_name("ux", table, &field.column));
        s.push(" ON ")
            .ident(table)
            .push(" (")
            .ident(&field.column)
            .push(")");
        out.push(s.text);
    } else if field.indexed {
        let prefix = owner_prefix(object, field);
        if prefix == "ixo" {
            // Databases made before sort indexes carried the owner.
            let mut s = Sql::new(dialect);
            s.push("DROP INDEX IF EXISTS ")
                .ident(&index_name("ix", table, &field.column));
            out.push(s.text);
        }
        // Sort key then id: the order of keyset pages. NULLs first on both engines (SQLite's
        // natural order), so that an index scan serves ORDER BY on PostgreSQL too.
        let mut s = Sql::new(dialect);
        s.push("CREATE INDEX IF NOT EXISTS ")
            .ident(&index_name(prefix, table, &field.column));
        s.push(" ON ").ident(table).push(" (").ident(&field.column);
        if dialect == Dialect::Postgres {
            s.push(" NULLS FIRST");
        }
        s.push(", ").ident("id");
        if prefix == "ixo" {
            s.push(", ").ident("owner");
        }
        s.push(") WHERE ").ident("deleted_at").push(" IS NULL");
        out.push(s.text);
    }
    out
}

/// Keeps SQLite's planner statistics fresh: `ANALYZE` on each given table that has no
/// statistics yet (once it has 1,000 rows) or whose row count moved by a fifth since the
/// last time. Returns the tables analysed. PostgreSQL's autovacuum does this itself.
pub async fn refresh_statistics(db: &crate::Database, tables: &[String]) -> Result<Vec<String>> {
    if db.dialect() != Dialect::Sqlite {
        return Ok(Vec::new());
    }
    let mut done = Vec::new();
    for table in tables {
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("SELECT COUNT(*) FROM ").ident(table);
        let rows = db.fetch(s, &[ColumnKind::Int]).await?;
        let now = first_int(&rows).unwrap_or(0);
        let key = format!("stats:{table}");
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("SELECT value FROM gx_settings WHERE key = ")
            .bind(Arg::Text(key.clone()));
        let before: Option<i64> = db
            .fetch(s, &[ColumnKind::Text])
            .await?
            .first()
            .and_then(|r| r.first())
            .and_then(|a| a.as_text().and_then(|t| t.parse().ok()));
        let stale = match before {
            None => now >= 1000,
            Some(b) => (now - b).abs() * 5 > b.max(1000),
        };
        if !stale {
            continue;
        }
        let mut tx = db.begin().await?;
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("ANALYZE ").ident(table);
        tx.execute(s).await?;
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("INSERT INTO gx_settings (key, value) VALUES (")
            .bind(Arg::Text(key))
            .push(", ");
        s.bind(Arg::Text(now.to_string()))
            .push(") ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        tx.execute(s).await?;
        tx.commit().await?;
        done.push(table.clone());
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_index_names_are_shortened_stably() {
        let long = index_name("ix", &"t".repeat(40), &"c".repeat(40));
        assert!(long.len() <= 63);
        assert_eq!(long, index_name("ix", &"t".repeat(40), &"c".repeat(40)));
        assert_eq!(index_name("ix", "contacts", "email"), "ix_contacts_email");
    }
}

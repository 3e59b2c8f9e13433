//! SQL for record tables: insert, update, soft delete and restore, keyset-paged lists.
//! Builders return `Sql`; callers run it on a transaction (writes) or the pool (reads).

use guanxi_core::metadata::FieldType;
use guanxi_core::query::{Cond, Cursor, Expr, Op, Sort};
use guanxi_core::values::{Record, Value};
use guanxi_core::{ColumnKind, FieldDef, ObjectDef};
use uuid::Uuid;

use crate::db::{Database, Dialect, Tx};
use crate::schema::{columns, index_name};
use crate::sql::{Arg, Sql, first_int, like_escape};
use crate::{Result, StorageError};

/// The arguments a field's value binds to (two for money: amount and currency).
pub fn field_args(field: &FieldDef, value: &Value) -> Vec<Arg> {
    let kind = field.column_kind();
    match value {
        Value::Null => {
            let mut v = vec![Arg::Null(kind)];
            if field.field_type == FieldType::Money {
                v.push(Arg::Null(ColumnKind::Text));
            }
            v
        }
        Value::Money { amount, currency } => {
            vec![Arg::Decimal(*amount, field.scale()), Arg::Text(currency.clone())]
        }
        other => vec![value_arg(field, other)],
    }
}

/// One comparable argument for a field (money compares by amount).
fn value_arg(field: &FieldDef, value: &Value) -> Arg {
    match value {
        Value::Null => Arg::Null(field.column_kind()),
        Value::Text(s) => Arg::Text(s.clone()),
        Value::Int(i) => Arg::Int(*i),
        Value::Decimal(d) => Arg::Decimal(*d, field.scale()),
        Value::Money { amount, .. } => Arg::Decimal(*amount, field.scale()),
        Value::Bool(b) => Arg::Bool(*b),
        Value::Date(d) => Arg::Date(*d),
        Value::DateTime(d) => Arg::DateTime(*d),
        Value::Uuid(u) => Arg::Uuid(*u),
        Value::List(items) => Arg::Text(serde_json::to_string(items).unwrap_or_default()),
    }
}

/// Column kinds of a full row, for decoding.
pub fn row_kinds(object: &ObjectDef) -> Vec<ColumnKind> {
    columns(object).into_iter().map(|(_, k)| k).collect()
}

fn push_select(s: &mut Sql, object: &ObjectDef) {
    push_columns(s, object, "");
    s.push(" FROM ").ident(&object.table);
}

/// `SELECT` and every column, each prefixed with `qualifier` (e.g. `t.`) if given.
fn push_columns(s: &mut Sql, object: &ObjectDef, qualifier: &str) {
    s.push("SELECT ");
    for (i, (name, _)) in columns(object).iter().enumerate() {
        if i > 0 {
            s.push(", ");
        }
        s.push(qualifier).ident(name);
    }
}

/// Turns a decoded row back into a record.
pub fn decode(object: &ObjectDef, row: Vec<Arg>) -> Result<Record> {
    let mut args = row.into_iter();
    let mut values = Vec::with_capacity(object.fields.len());
    for field in &object.fields {
        let arg = args
            .next()
            .ok_or_else(|| StorageError::Corrupt("short row".into()))?;
        let value = match (field.field_type, arg) {
            (_, Arg::Null(_)) => {
                if field.field_type == FieldType::Money {
                    args.next();
                }
                Value::Null
            }
            (FieldType::Money, Arg::Decimal(amount, _)) => {
                let currency = args
                    .next()
                    .and_then(|a| a.as_text().map(str::to_string))
                    .unwrap_or_default();
                Value::Money { amount, currency }
            }
            (FieldType::MultiPicklist | FieldType::Tags, Arg::Text(s)) => Value::List(
                serde_json::from_str(&s).map_err(|_| StorageError::Corrupt(format!("list {s:?}")))?,
            ),
            (_, Arg::Text(s)) => Value::Text(s),
            (_, Arg::Int(i)) => Value::Int(i),
            (_, Arg::Bool(b)) => Value::Bool(b),
            (_, Arg::Decimal(d, _)) => Value::Decimal(d),
            (_, Arg::Date(d)) => Value::Date(d),
            (_, Arg::DateTime(d)) => Value::DateTime(d),
            (_, Arg::Uuid(u)) => Value::Uuid(u),
        };
        values.push(value);
    }
    Ok(Record { values })
}

/// Multi-row INSERTs of whole records, in chunks that stay under the engines' bind limits.
pub async fn insert(tx: &mut Tx, object: &ObjectDef, records: &[&Record]) -> Result<()> {
    let cols = columns(object);
    let per_chunk = (30_000 / cols.len().max(1)).clamp(1, 500);
    let mut chunks = records.chunks(per_chunk);
    tx.execute_built(|dialect| {
        let chunk = chunks.next()?;
        let mut s = Sql::new(dialect);
        s.insert_into(&object.table).push(" (");
        for (i, (name, _)) in cols.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.ident(name);
        }
        s.push(") VALUES ");
        for (r, record) in chunk.iter().enumerate() {
            if r > 0 {
                s.push(", ");
            }
            s.push("(");
            let args = object
                .fields
                .iter()
                .zip(&record.values)
                .flat_map(|(f, v)| field_args(f, v));
            s.bind_list(args);
            s.push(")");
        }
        Some(s)
    })
    .await
}

/// Updates the given fields if the record is live and still at `expected_version`;
/// returns whether it was.
pub async fn update(
    tx: &mut Tx,
    object: &ObjectDef,
    id: Uuid,
    expected_version: i64,
    changes: &[(&FieldDef, &Value)],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE ").ident(&object.table).push(" SET ");
    for (field, value) in changes {
        let args = field_args(field, value);
        for ((name, _), arg) in crate::schema::field_columns(field).into_iter().zip(args) {
            s.ident(&name).push(" = ").bind(arg).push(", ");
        }
    }
    push_bump(&mut s, now, id, expected_version);
    s.push(" AND ").ident("deleted_at").push(" IS NULL");
    Ok(tx.execute(s).await? == 1)
}

/// `"updated_at" = now, "version" = "version" + 1 WHERE "id" = id AND "version" = expected`:
/// every write moves the version on, and only from the version the writer read.
fn push_bump(s: &mut Sql, now: chrono::DateTime<chrono::Utc>, id: Uuid, expected_version: i64) {
    s.ident("updated_at")
        .push(" = ")
        .bind(Arg::DateTime(now))
        .push(", ");
    s.ident("version")
        .push(" = ")
        .ident("version")
        .push(" + 1 WHERE ")
        .ident("id")
        .push(" = ");
    s.bind(Arg::Uuid(id))
        .push(" AND ")
        .ident("version")
        .push(" = ")
        .bind(Arg::Int(expected_version));
}

/// Moves a live record at `expected_version` to the recycle bin (`deleted` = true) or
/// brings a binned one back; returns whether it happened.
pub async fn set_deleted(
    tx: &mut Tx,
    object: &ObjectDef,
    id: Uuid,
    expected_version: i64,
    deleted: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let mut s = tx.sql();
    s.push("UPDATE ")
        .ident(&object.table)
        .push(" SET ")
        .ident("deleted_at")
        .push(" = ");
    s.bind(if deleted {
        Arg::DateTime(now)
    } else {
        Arg::Null(ColumnKind::DateTime)
    });
    s.push(", ");
    push_bump(&mut s, now, id, expected_version);
    s.push(" AND ")
        .ident("deleted_at")
        .push(if deleted { " IS NULL" } else { " IS NOT NULL" });
    Ok(tx.execute(s).await? == 1)
}

/// SELECT of one record by id, live or binned.
pub fn get_sql(dialect: Dialect, object: &ObjectDef, id: Uuid) -> Sql {
    let mut s = Sql::new(dialect);
    push_select(&mut s, object);
    s.push(" WHERE ").ident("id").push(" = ").bind(Arg::Uuid(id));
    s
}

pub async fn get_in(tx: &mut Tx, object: &ObjectDef, id: Uuid) -> Result<Option<Record>> {
    let sql = get_sql(tx.dialect(), object, id);
    let rows = tx.fetch(sql, &row_kinds(object)).await?;
    rows.into_iter().next().map(|r| decode(object, r)).transpose()
}

/// Records (live or binned) whose `field` has one of `values`: (value, id, deleted).
pub async fn find_by(
    tx: &mut Tx,
    object: &ObjectDef,
    field: &FieldDef,
    values: &[Value],
) -> Result<Vec<(Arg, Uuid, bool)>> {
    find(tx, object, field, values, false).await
}

/// Live records whose `field` has one of `values`: (value, id, false). Unlike `find_by`
/// this walks the partial (live-only) index an indexed, non-unique field has.
pub async fn find_live_by(
    tx: &mut Tx,
    object: &ObjectDef,
    field: &FieldDef,
    values: &[Value],
) -> Result<Vec<(Arg, Uuid, bool)>> {
    find(tx, object, field, values, true).await
}

async fn find(
    tx: &mut Tx,
    object: &ObjectDef,
    field: &FieldDef,
    values: &[Value],
    live: bool,
) -> Result<Vec<(Arg, Uuid, bool)>> {
    let mut out = Vec::new();
    for chunk in values.chunks(500) {
        let mut s = tx.sql();
        s.push("SELECT ")
            .ident(&field.column)
            .push(", ")
            .ident("id")
            .push(", ")
            .ident("deleted_at");
        s.push(" FROM ")
            .ident(&object.table)
            .push(" WHERE ")
            .ident(&field.column)
            .push(" IN (");
        s.bind_list(chunk.iter().map(|v| value_arg(field, v))).push(")");
        if live {
            s.push(" AND ").ident("deleted_at").push(" IS NULL");
        }
        let rows = tx
            .fetch(s, &[field.column_kind(), ColumnKind::Uuid, ColumnKind::DateTime])
            .await?;
        for row in rows {
            if let [value, Arg::Uuid(id), deleted] = &row[..] {
                out.push((value.clone(), *id, !deleted.is_null()));
            }
        }
    }
    Ok(out)
}

/// Every live record's id with its values in `fields` (text fields: email, phone), in
/// table order — what an import keeps in memory while a bulk load has dropped the
/// fields' indexes.
pub async fn live_values(
    tx: &mut Tx,
    object: &ObjectDef,
    fields: &[&FieldDef],
) -> Result<Vec<(Uuid, Vec<Option<String>>)>> {
    let mut s = tx.sql();
    s.push("SELECT ").ident("id");
    for f in fields {
        s.push(", ").ident(&f.column);
    }
    s.push(" FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident("deleted_at")
        .push(" IS NULL");
    let kinds: Vec<ColumnKind> = std::iter::once(ColumnKind::Uuid)
        .chain(fields.iter().map(|f| f.column_kind()))
        .collect();
    Ok(tx
        .fetch(s, &kinds)
        .await?
        .into_iter()
        .filter_map(|row| {
            let mut it = row.into_iter();
            let id = it.next()?.as_uuid()?;
            Some((id, it.map(|a| a.as_text().map(str::to_string)).collect()))
        })
        .collect())
}

/// Which of `ids` are live records of `object`.
pub async fn live_ids(tx: &mut Tx, table: &str, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        s.push("SELECT ")
            .ident("id")
            .push(" FROM ")
            .ident(table)
            .push(" WHERE ")
            .ident("id")
            .push(" IN (");
        s.bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(") AND ")
            .ident("deleted_at")
            .push(" IS NULL");
        for row in tx.fetch(s, &[ColumnKind::Uuid]).await? {
            if let Some(id) = row.first().and_then(Arg::as_uuid) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// Which field a unique violation is about, from the index name or SQLite's message.
pub fn unique_field(object: &ObjectDef, err: &StorageError) -> Option<String> {
    let StorageError::Unique { field: reported } = err else {
        return None;
    };
    object
        .fields
        .iter()
        .find(|f| {
            let ux = index_name("ux", &object.table, &f.column);
            reported == &ux
                || ux.strip_prefix("ux_") == Some(reported.as_str())
                || reported == &format!("{}.{}", object.table, f.column)
        })
        .map(|f| f.name.clone())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    /// Live records only.
    Live,
    /// The recycle bin.
    Deleted,
}

/// A keyset-paged list: `limit` rows after `cursor` in `sort` order.
/// What page of a list to read.
#[derive(Clone, Copy, Debug)]
pub struct ListSpec<'a> {
    pub filter: Option<&'a Expr<Cond>>,
    pub sort: &'a Sort,
    pub cursor: Option<&'a Cursor>,
    pub limit: usize,
    pub bin: Bin,
    /// An index the engine must walk (see `sort_index_for`).
    pub index: Option<&'a str>,
}

pub fn list_sql(dialect: Dialect, object: &ObjectDef, spec: &ListSpec<'_>) -> Sql {
    let mut s = Sql::new(dialect);
    push_list(&mut s, object, spec);
    s
}

/// A list whose records may come from any of several branches (a restricted reader's
/// owners and manual shares, their sharing criteria): each branch pages its keys (sort
/// value and id) on its own, with its own index — the owner branch never leaves the sort
/// index, which holds the owner — and the union of keys, sorted and cut to the page,
/// fetches the rows. One scan testing every alternative on every row reads many times
/// the rows an unrestricted list does when visibility is narrow.
pub fn union_list_sql(dialect: Dialect, object: &ObjectDef, branches: &[ListSpec<'_>]) -> Sql {
    let mut s = Sql::new(dialect);
    let Some(first) = branches.first() else {
        return s;
    };
    let (sort, limit) = (first.sort, first.limit);
    push_columns(&mut s, object, "t.");
    s.push(" FROM (SELECT * FROM (");
    for (i, b) in branches.iter().enumerate() {
        if i > 0 {
            s.push(" UNION ");
        }
        s.push("SELECT * FROM (");
        push_list_as(&mut s, object, b, true);
        s.push(&format!(") AS b{i}"));
    }
    s.push(") AS u");
    push_order(&mut s, sort, "", Some(limit));
    s.push(") AS k JOIN ")
        .ident(&object.table)
        .push(" AS t ON t.")
        .ident("id")
        .push(" = k.")
        .ident("id");
    push_order(&mut s, sort, "k.", None);
    s
}

/// Live records matching `filter`, counted (and `sum` summed, per currency for money) by
/// the value of `group`, and by the value of `by` too when given (a weight the caller
/// multiplies each sum by, exactly, in decimal). Returns the statement and its column
/// kinds: group value, currency (money only), `by` value (if asked), count, sum (if asked).
pub fn totals_sql(
    dialect: Dialect,
    object: &ObjectDef,
    filter: &Expr<Cond>,
    group: &FieldDef,
    sum: Option<&FieldDef>,
    by: Option<&FieldDef>,
) -> (Sql, Vec<ColumnKind>) {
    let mut s = Sql::new(dialect);
    let mut kinds = vec![group.column_kind()];
    let currency = sum.and_then(FieldDef::currency_column);
    let mut keys = vec![group.column.clone()];
    s.push("SELECT ").ident(&group.column);
    if let Some(c) = &currency {
        s.push(", ").ident(c);
        kinds.push(ColumnKind::Text);
        keys.push(c.clone());
    }
    if let Some(b) = by {
        s.push(", ").ident(&b.column);
        kinds.push(b.column_kind());
        keys.push(b.column.clone());
    }
    s.push(", COUNT(*)");
    kinds.push(ColumnKind::Int);
    if let Some(f) = sum {
        s.push(", ");
        if f.column_kind() == ColumnKind::Int {
            s.push("CAST(SUM(").ident(&f.column).push(") AS BIGINT)");
        } else {
            s.push("SUM(").ident(&f.column).push(")");
        }
        kinds.push(f.column_kind());
    }
    s.push(" FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident("deleted_at")
        .push(" IS NULL AND ");
    push_expr(&mut s, filter);
    s.push(" GROUP BY ");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            s.push(", ");
        }
        s.ident(k);
    }
    (s, kinds)
}

/// Over the live records matching `filter` whose `to` time is after their `from` time:
/// how many, and the seconds between the two summed (columns: count, seconds).
pub fn span_sql(dialect: Dialect, object: &ObjectDef, filter: &Expr<Cond>, from: &str, to: &str) -> Sql {
    let mut s = Sql::new(dialect);
    s.push("SELECT COUNT(*), ");
    match dialect {
        Dialect::Sqlite => {
            s.push("CAST(SUM((julianday(")
                .ident(to)
                .push(") - julianday(")
                .ident(from);
            s.push(")) * 86400) AS INTEGER)");
        }
        Dialect::Postgres => {
            s.push("CAST(SUM(EXTRACT(EPOCH FROM (")
                .ident(to)
                .push(" - ")
                .ident(from);
            s.push("))) AS BIGINT)");
        }
    }
    s.push(" FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident("deleted_at")
        .push(" IS NULL AND ")
        .ident(to)
        .push(" > ")
        .ident(from)
        .push(" AND ");
    push_expr(&mut s, filter);
    s
}

/// How many live records match `filter`.
pub fn count_sql(dialect: Dialect, object: &ObjectDef, filter: &Expr<Cond>) -> Sql {
    let mut s = Sql::new(dialect);
    s.push("SELECT COUNT(*) FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident("deleted_at")
        .push(" IS NULL AND ");
    push_expr(&mut s, filter);
    s
}

fn push_order(s: &mut Sql, sort: &Sort, qualifier: &str, limit: Option<usize>) {
    let dir = if sort.descending { " DESC" } else { " ASC" };
    s.push(" ORDER BY ");
    if sort.field.name != "id" {
        s.push(qualifier).ident(&sort.field.column).push(dir);
        if s.dialect == Dialect::Postgres {
            s.push(if sort.descending {
                " NULLS LAST"
            } else {
                " NULLS FIRST"
            });
        }
        s.push(", ");
    }
    s.push(qualifier).ident("id").push(dir);
    if let Some(n) = limit {
        s.push(" LIMIT ").push(&n.to_string());
    }
}

fn push_list(s: &mut Sql, object: &ObjectDef, spec: &ListSpec<'_>) {
    push_list_as(s, object, spec, false);
}

/// One page of one list; with `keys_only`, just the sort value and id of each record.
fn push_list_as(s: &mut Sql, object: &ObjectDef, spec: &ListSpec<'_>, keys_only: bool) {
    let ListSpec {
        filter,
        sort,
        cursor,
        limit,
        bin,
        index,
    } = *spec;
    if keys_only {
        s.push("SELECT ");
        if sort.field.name != "id" {
            s.ident(&sort.field.column).push(", ");
        }
        s.ident("id").push(" FROM ").ident(&object.table);
    } else {
        push_select(s, object);
    }
    if let Some(index) = index {
        s.push(" INDEXED BY ").ident(index);
    }
    s.push(" WHERE ").ident("deleted_at").push(if bin == Bin::Live {
        " IS NULL"
    } else {
        " IS NOT NULL"
    });
    if let Some(f) = filter {
        s.push(" AND ");
        push_expr(s, f);
    }
    let col = sort.field.column.clone();
    let by_id = sort.field.name == "id";
    if let Some(c) = cursor {
        s.push(" AND ");
        let (gt, lt) = if sort.descending { ("<", ">") } else { (">", "<") };
        let _ = lt;
        if by_id {
            s.ident("id").push(&format!(" {gt} ")).bind(Arg::Uuid(c.id));
        } else {
            let v = value_arg(&sort.field, &c.value);
            // NULLs sort first ascending (last descending), as in the indexes.
            match (v.is_null(), sort.descending) {
                (true, false) => {
                    s.push("((")
                        .ident(&col)
                        .push(" IS NULL AND ")
                        .ident("id")
                        .push(" > ")
                        .bind(Arg::Uuid(c.id));
                    s.push(") OR ").ident(&col).push(" IS NOT NULL)");
                }
                (true, true) => {
                    s.push("(")
                        .ident(&col)
                        .push(" IS NULL AND ")
                        .ident("id")
                        .push(" < ")
                        .bind(Arg::Uuid(c.id));
                    s.push(")");
                }
                (false, false) => {
                    s.push("((")
                        .ident(&col)
                        .push(", ")
                        .ident("id")
                        .push(") > (")
                        .bind(v)
                        .push(", ");
                    s.bind(Arg::Uuid(c.id)).push("))");
                }
                (false, true) => {
                    s.push("((")
                        .ident(&col)
                        .push(", ")
                        .ident("id")
                        .push(") < (")
                        .bind(v)
                        .push(", ");
                    s.bind(Arg::Uuid(c.id))
                        .push(") OR ")
                        .ident(&col)
                        .push(" IS NULL)");
                }
            }
        }
    }
    push_order(s, sort, "", Some(limit));
}

/// The smallest text above every text starting with `prefix`, when case plays no part.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    if prefix.is_empty() || prefix.chars().any(|c| c.to_lowercase().ne(c.to_uppercase())) {
        return None;
    }
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

/// On SQLite, which keeps no usable statistics, decides whether a filtered, sorted page
/// should walk the sort field's index (filter not selective: the first matches come
/// soon) rather than collect every match and sort it. Equality filters on indexed
/// fields are counted up to a cap; PostgreSQL's planner makes this choice itself.
pub async fn sort_index_for(
    db: &crate::Database,
    object: &ObjectDef,
    filter: Option<&Expr<Cond>>,
    sort: &Sort,
    walk_when_unfiltered: bool,
) -> Result<Option<String>> {
    const SELECTIVE: i64 = 2000;
    if db.dialect() != Dialect::Sqlite {
        return Ok(None);
    }
    let Some(index) = crate::schema::sort_index(object, &sort.field) else {
        return Ok(None);
    };
    let conds: Vec<&Cond> = match filter {
        Some(Expr::Cond(c)) => vec![c],
        Some(Expr::And(items)) => items
            .iter()
            .filter_map(|e| match e {
                Expr::Cond(c) => Some(c),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    // Count the matches of every equality filter on an indexed field together (capped):
    // each alone may be unselective while their conjunction is selective.
    let selective: Vec<&Cond> = conds
        .into_iter()
        .filter(|c| match c {
            Cond::Compare {
                field, op: Op::Eq, ..
            }
            | Cond::In { field, .. } => field.indexed && field.name != sort.field.name,
            _ => false,
        })
        .collect();
    if selective.is_empty() {
        return Ok(match walk_when_unfiltered {
            true => present(db, index).await?,
            false => None,
        });
    }
    let mut s = Sql::new(Dialect::Sqlite);
    s.push("SELECT COUNT(*) FROM (SELECT 1 FROM ")
        .ident(&object.table)
        .push(" WHERE ");
    s.ident("deleted_at").push(" IS NULL");
    for cond in selective {
        s.push(" AND ");
        push_cond(&mut s, cond);
    }
    s.push(" LIMIT ").push(&(SELECTIVE + 1).to_string()).push(")");
    let n = first_int(&db.fetch(s, &[ColumnKind::Int]).await?).unwrap_or(0);
    match n > SELECTIVE {
        true => present(db, index).await,
        false => Ok(None),
    }
}

/// The index, if it is there: a bulk import drops plain sort indexes while it runs (and
/// builds them again at the end), and `INDEXED BY` a missing index is an error.
async fn present(db: &crate::Database, index: String) -> Result<Option<String>> {
    let mut s = Sql::new(Dialect::Sqlite);
    s.push("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ")
        .bind(Arg::Text(index.clone()));
    let found = first_int(&db.fetch(s, &[ColumnKind::Int]).await?).unwrap_or(0) > 0;
    Ok(found.then_some(index))
}

fn push_expr(s: &mut Sql, expr: &Expr<Cond>) {
    match expr {
        Expr::And(items) | Expr::Or(items) if items.is_empty() => {
            s.push(if matches!(expr, Expr::And(_)) {
                "1 = 1"
            } else {
                "1 = 0"
            });
        }
        Expr::And(items) | Expr::Or(items) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            s.push("(");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push(joiner);
                }
                push_expr(s, item);
            }
            s.push(")");
        }
        Expr::Not(inner) => {
            s.push("NOT (");
            push_expr(s, inner);
            s.push(")");
        }
        Expr::Cond(c) => push_cond(s, c),
    }
}

fn push_cond(s: &mut Sql, cond: &Cond) {
    let like = if s.dialect == Dialect::Postgres {
        " ILIKE "
    } else {
        " LIKE "
    };
    match cond {
        Cond::Compare { field, op, value } => {
            let arg = value_arg(field, value);
            if *op == Op::Ne {
                // "not equal" includes records where the field is empty, as users expect.
                s.push("(")
                    .ident(&field.column)
                    .push(" IS NULL OR ")
                    .ident(&field.column)
                    .push(" <> ");
                s.bind(arg).push(")");
                return;
            }
            let sym = match op {
                Op::Eq => " = ",
                Op::Lt => " < ",
                Op::Lte => " <= ",
                Op::Gt => " > ",
                Op::Gte => " >= ",
                _ => " = ",
            };
            s.ident(&field.column).push(sym).bind(arg);
        }
        Cond::In { field, values } => {
            s.ident(&field.column)
                .push(" IN (")
                .bind_list(values.iter().map(|v| value_arg(field, v)))
                .push(")");
        }
        Cond::Between { field, low, high } => {
            s.ident(&field.column)
                .push(" BETWEEN ")
                .bind(value_arg(field, low))
                .push(" AND ");
            s.bind(value_arg(field, high));
        }
        Cond::Like {
            field,
            pattern,
            prefix,
        } => {
            let p = format!("{}{}%", if *prefix { "" } else { "%" }, like_escape(pattern));
            s.ident(&field.column)
                .push(like)
                .bind(Arg::Text(p))
                .push(" ESCAPE '\\'");
            // A prefix without upper/lower case (Chinese, digits) is also a range, which an
            // index serves; case-insensitive LIKE alone never uses one.
            if let Some(upper) = prefix_upper_bound(pattern).filter(|_| *prefix) {
                s.push(" AND ")
                    .ident(&field.column)
                    .push(" >= ")
                    .bind(Arg::Text(pattern.clone()));
                s.push(" AND ")
                    .ident(&field.column)
                    .push(" < ")
                    .bind(Arg::Text(upper));
            }
        }
        Cond::ListContains { field, item } => {
            let quoted = serde_json::to_string(item).unwrap_or_default();
            let p = format!("%{}%", like_escape(&quoted));
            s.ident(&field.column)
                .push(like)
                .bind(Arg::Text(p))
                .push(" ESCAPE '\\'");
        }
        Cond::IsNull { field, is_null } => {
            s.ident(&field.column)
                .push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        Cond::Shared { object, grantees } => {
            s.ident("id")
                .push(" IN (SELECT record_id FROM gx_record_shares WHERE object = ")
                .bind(Arg::Text(object.clone()))
                .push(" AND grantee_id IN (")
                .bind_list(grantees.iter().map(|g| Arg::Uuid(*g)))
                .push("))");
        }
    }
}

/// Records of `object` with these ids (live or binned), for one batch of writes.
pub async fn get_many_in(tx: &mut Tx, object: &ObjectDef, ids: &[Uuid]) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(ids.len());
    let kinds = row_kinds(object);
    for chunk in ids.chunks(500) {
        let mut s = tx.sql();
        push_select(&mut s, object);
        s.push(" WHERE ")
            .ident("id")
            .push(" IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(")");
        for row in tx.fetch(s, &kinds).await? {
            out.push(decode(object, row)?);
        }
    }
    Ok(out)
}

/// Live records of `object` whose lookup `field` points at `id` (a quote's lines), in
/// the transaction.
pub async fn live_children(tx: &mut Tx, object: &ObjectDef, field: &str, id: Uuid) -> Result<Vec<Record>> {
    let Some(f) = object.field(field) else {
        return Ok(Vec::new());
    };
    let mut s = tx.sql();
    push_select(&mut s, object);
    s.push(" WHERE ")
        .ident(&f.column)
        .push(" = ")
        .bind(Arg::Uuid(id))
        .push(" AND ")
        .ident("deleted_at")
        .push(" IS NULL ORDER BY ")
        .ident("id");
    tx.fetch(s, &row_kinds(object))
        .await?
        .into_iter()
        .map(|r| decode(object, r))
        .collect()
}

/// Records of `object` with these ids (live or binned), read outside any transaction.
pub async fn get_many(db: &Database, object: &ObjectDef, ids: &[Uuid]) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(ids.len());
    let kinds = row_kinds(object);
    for chunk in ids.chunks(500) {
        let mut s = db.sql();
        push_select(&mut s, object);
        s.push(" WHERE ")
            .ident("id")
            .push(" IN (")
            .bind_list(chunk.iter().map(|u| Arg::Uuid(*u)))
            .push(")");
        for row in db.fetch(s, &kinds).await? {
            out.push(decode(object, row)?);
        }
    }
    Ok(out)
}

/// Live records of `object` in id order after `after`, `limit` at a time: a walk over a
/// whole table (the search index's rebuild) that never holds more than one page.
pub async fn live_page(
    db: &Database,
    object: &ObjectDef,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Record>> {
    let mut s = db.sql();
    push_select(&mut s, object);
    s.push(" WHERE ").ident("deleted_at").push(" IS NULL");
    if let Some(after) = after {
        s.push(" AND ").ident("id").push(" > ").bind(Arg::Uuid(after));
    }
    s.push(" ORDER BY ")
        .ident("id")
        .push(" LIMIT ")
        .bind(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    db.fetch(s, &row_kinds(object))
        .await?
        .into_iter()
        .map(|r| decode(object, r))
        .collect()
}

/// Distinct values of the text field `field` among live records of `object` whose
/// lookup `by` is `id` and whose `when.0` equals `when.1` — e.g. the types of the
/// completed activities on one opportunity.
pub async fn distinct_texts_where(
    tx: &mut Tx,
    object: &ObjectDef,
    field: &str,
    by: (&str, Uuid),
    when: (&str, &str),
) -> Result<Vec<String>> {
    let mut s = tx.sql();
    s.push("SELECT DISTINCT ")
        .ident(field)
        .push(" FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident(by.0)
        .push(" = ")
        .bind(Arg::Uuid(by.1))
        .push(" AND ")
        .ident(when.0)
        .push(" = ")
        .bind(Arg::Text(when.1.into()))
        .push(" AND ")
        .ident("deleted_at")
        .push(" IS NULL");
    let rows = tx.fetch(s, &[ColumnKind::Text]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().and_then(|a| a.as_text().map(str::to_string)))
        .collect())
}

/// How many live records of `object` have the text `value` in `field`.
pub async fn count_with(tx: &mut Tx, object: &ObjectDef, field: &str, value: &str) -> Result<i64> {
    let s = holders_count(tx.dialect(), object, field, Arg::Text(value.into()), None);
    Ok(first_int(&tx.fetch(s, &[ColumnKind::Int]).await?).unwrap_or(0))
}

/// How many live records of `object` hold `value` in `field`, counted no further than
/// `cap`: a walk of the field's index that stops there, however common the value.
pub async fn count_holding(
    db: &Database,
    object: &ObjectDef,
    field: &FieldDef,
    value: &Value,
    cap: usize,
) -> Result<usize> {
    let (Some((column, _)), Some(arg)) = (
        crate::schema::field_columns(field).into_iter().next(),
        field_args(field, value).into_iter().next(),
    ) else {
        return Ok(0);
    };
    let s = holders_count(db.dialect(), object, &column, arg, Some(cap));
    Ok(first_int(&db.fetch(s, &[ColumnKind::Int]).await?).unwrap_or(0) as usize)
}

/// `SELECT COUNT(*)` of the live rows holding `value` in `column`, of at most `cap` of them.
fn holders_count(dialect: Dialect, object: &ObjectDef, column: &str, value: Arg, cap: Option<usize>) -> Sql {
    let mut s = Sql::new(dialect);
    s.push("SELECT COUNT(*) FROM (SELECT 1 FROM ")
        .ident(&object.table)
        .push(" WHERE ")
        .ident(column)
        .push(" = ")
        .bind(value)
        .push(" AND ")
        .ident("deleted_at")
        .push(" IS NULL");
    if let Some(cap) = cap {
        s.push(" LIMIT ").push(&cap.to_string());
    }
    s.push(") AS held");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caseless_prefixes_become_ranges() {
        assert_eq!(prefix_upper_bound("王").as_deref(), Some("玌"));
        assert_eq!(prefix_upper_bound("+86138").as_deref(), Some("+86139"));
        assert_eq!(prefix_upper_bound("Wang"), None);
        assert_eq!(prefix_upper_bound(""), None);
    }
}

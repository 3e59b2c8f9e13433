//! Dynamic SQL for metadata-driven tables in both dialects. Identifiers come only from
//! metadata and are always quoted; values are always bound, never spliced.

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::ColumnKind;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::Dialect;

/// A value bound to a statement, or read back from a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Null(ColumnKind),
    Text(String),
    Int(i64),
    Bool(bool),
    /// Exact decimal and the scale of its column.
    Decimal(Decimal, u32),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Uuid(Uuid),
}

impl Arg {
    pub fn opt_text(s: Option<String>) -> Arg {
        s.map_or(Arg::Null(ColumnKind::Text), Arg::Text)
    }
    pub fn opt_uuid(u: Option<Uuid>) -> Arg {
        u.map_or(Arg::Null(ColumnKind::Uuid), Arg::Uuid)
    }
    pub fn opt_datetime(d: Option<DateTime<Utc>>) -> Arg {
        d.map_or(Arg::Null(ColumnKind::DateTime), Arg::DateTime)
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Arg::Null(_))
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Arg::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self {
            Arg::Uuid(u) => Some(*u),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Arg::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Arg::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_datetime(&self) -> Option<DateTime<Utc>> {
        match self {
            Arg::DateTime(d) => Some(*d),
            _ => None,
        }
    }
}

/// A statement under construction: text with placeholders in the dialect's style, and its arguments.
#[derive(Clone, Debug)]
pub struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::with_capacity(256),
            args: Vec::new(),
        }
    }

    pub fn with(dialect: Dialect, text: &str) -> Self {
        let mut s = Sql::new(dialect);
        s.push(text);
        s
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// `INSERT INTO "table"` for a multi-row insert whose failure fails its whole
    /// transaction. On SQLite it is `INSERT OR FAIL`: the default (ABORT) keeps a statement
    /// journal of every page the statement touches so it can undo just that statement — a
    /// copy a bulk write pays for on each page and never uses, because a failed write
    /// rolls its transaction back anyway.
    pub fn insert_into(&mut self, table: &str) -> &mut Self {
        self.push(match self.dialect {
            Dialect::Sqlite => "INSERT OR FAIL INTO ",
            Dialect::Postgres => "INSERT INTO ",
        })
        .ident(table)
    }

    /// A quoted identifier. Names come from metadata (validated API names), never from input.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        self.text.push('"');
        self.text.push_str(&name.replace('"', "\"\""));
        self.text.push('"');
        self
    }

    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
        }
        self
    }

    /// Binds a list separated by commas.
    pub fn bind_list(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(arg);
        }
        self
    }
}

/// Fixed-width UTC text for SQLite, so that text order is time order:
/// `2026-12-06T01:02:03.456789Z`. Written field by field rather than through a format
/// string that is parsed again for each value — a bulk write formats four per record, and
/// all of a batch's records carry the same time: the last one written is kept per thread.
pub(crate) fn datetime_text(d: &DateTime<Utc>) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(DateTime<Utc>, String)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((at, text)) if at == d => text.clone(),
        _ => {
            let text = format_datetime(d);
            *last = Some((*d, text.clone()));
            text
        }
    })
}

fn format_datetime(d: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let nanos = d.nanosecond();
    if nanos >= 1_000_000_000 || !(0..=9999).contains(&d.year()) {
        // A leap second, or a year of other than four digits: as chrono writes it.
        return d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        nanos / 1000
    )
}

/// SQLite keeps decimals as integers scaled by 10^scale: exact, ordered and indexable.
pub(crate) fn scaled(d: &Decimal, scale: u32) -> Option<i64> {
    let mut d = *d;
    d.rescale(scale);
    i64::try_from(d.mantissa()).ok()
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
/// The integer in the first column of the first row: a `COUNT`, a `MAX`, a `RETURNING`.
pub fn first_int(rows: &[Vec<Arg>]) -> Option<i64> {
    rows.first().and_then(|r| r.first()).and_then(Arg::as_int)
}

pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_are_fixed_width_text_in_time_order() {
        use chrono::TimeZone;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for (time, text) in [
            ("2026-12-06T01:02:03.456789123Z", "2026-12-06T01:02:03.456789Z"),
            ("2026-01-09T00:00:00Z", "2026-01-09T00:00:00.000000Z"),
            ("0999-03-04T05:06:07.000001Z", "0999-03-04T05:06:07.000001Z"),
        ] {
            assert_eq!(datetime_text(&at(time)), text);
            assert_eq!(
                datetime_text(&at(time)),
                at(time).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            );
        }
        let earlier = Utc.with_ymd_and_hms(2026, 9, 30, 23, 59, 59).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        assert!(datetime_text(&earlier) < datetime_text(&later));
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut s = Sql::new(Dialect::Postgres);
        s.push("SELECT * FROM ")
            .ident("cases")
            .push(" WHERE ")
            .ident("a")
            .push(" = ")
            .bind(Arg::Int(1));
        s.push(" AND b IN (")
            .bind_list([Arg::Int(2), Arg::Int(3)])
            .push(")");
        assert_eq!(
            s.text,
            "SELECT * FROM \"cases\" WHERE \"a\" = $1 AND b IN ($2, $3)"
        );
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("x = ").bind(Arg::Int(1)).push(", ").ident("we\"ird");
        assert_eq!(s.text, "x = ?, \"we\"\"ird\"");
    }

    #[test]
    fn decimals_scale_exactly() {
        assert_eq!(scaled(&Decimal::new(12345, 2), 2), Some(12345));
        assert_eq!(scaled(&Decimal::new(5, 0), 2), Some(500));
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}

//! Exports of a list — the same records, in the same order, with the same permission
//! narrowing and hidden fields as the list itself — to CSV or XLSX. Cells that a
//! spreadsheet would run as a formula are neutralised; every export is audited.

use guanxi_core::metadata::FieldType;
use guanxi_core::values::{self, Value};
use guanxi_core::{FieldDef, FieldError, Locale, Msg, ObjectDef};
use serde_json::json;

use crate::records::{ListQuery, MAX_PAGE};
use crate::{Actor, Crm, ServiceError};

/// Most rows one export may hold; larger ones must be narrowed by a filter.
pub const MAX_EXPORT: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// CSV in GB18030, as older Excel in China reads without asking.
    CsvGb18030,
    Xlsx,
    /// vCard 4.0, contacts only.
    Vcard,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "vcf" | "vcard" => Some(Format::Vcard),
            _ => None,
        }
    }

    /// A text encoding for CSV: UTF-8 (the default, with a BOM) or GB18030. `Err` names
    /// which of the two parameters is wrong.
    pub fn with_encoding(self, encoding: Option<&str>) -> Result<Format, &'static str> {
        match (self, encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref()) {
            (f, None | Some("" | "utf-8" | "utf8")) => Ok(f),
            (Format::Csv, Some("gb18030" | "gbk" | "gb2312")) => Ok(Format::CsvGb18030),
            (Format::Csv, Some(_)) => Err("encoding"),
            _ => Err("format"),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvGb18030 => "csv",
            Format::Xlsx => "xlsx",
            Format::Vcard => "vcf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::CsvGb18030 => "text/csv; charset=gb18030",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Vcard => "text/vcard; charset=utf-8",
        }
    }
}

/// A finished export file.
#[derive(Debug)]
pub struct Export {
    pub format: Format,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub rows: usize,
}

/// Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) gets a leading apostrophe, so it stays text.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// One cell: numbers stay numbers; everything else is text, neutralised.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Empty,
    Number(f64, String),
    Text(String),
}

fn cell(field: &FieldDef, value: &Value, locale: Locale) -> Cell {
    let number = |text: String| match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Cell::Number(n, text),
        _ => Cell::Text(neutralise(&text).into_owned()),
    };
    match value {
        Value::Null => Cell::Empty,
        Value::Int(i) => Cell::Number(*i as f64, i.to_string()),
        Value::Decimal(d) => number(d.to_string()),
        Value::Money { amount, .. } => number(amount.to_string()),
        Value::Text(s) if matches!(field.field_type, FieldType::Picklist) => {
            Cell::Text(neutralise(field.option_label(s, locale)).into_owned())
        }
        Value::List(items) => {
            let shown: Vec<&str> = items.iter().map(|s| field.option_label(s, locale)).collect();
            Cell::Text(neutralise(&shown.join("; ")).into_owned())
        }
        Value::Bool(b) => Cell::Text(b.to_string()),
        other => match values::to_json(field, other) {
            serde_json::Value::String(s) => Cell::Text(neutralise(&s).into_owned()),
            j => Cell::Text(neutralise(&j.to_string()).into_owned()),
        },
    }
}

/// The columns of an export: `fields` if given, else every visible field but the
/// bookkeeping ones (version, deleted_at, created_by). Money gets a currency column.
fn columns(visible: &ObjectDef, fields: Option<&[String]>) -> Result<Vec<FieldDef>, ServiceError> {
    match fields {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|n| {
                visible.field(n).cloned().ok_or_else(|| {
                    ServiceError::Validation(vec![
                        FieldError::new("fields", Msg::UnknownField).with("field", n),
                    ])
                })
            })
            .collect(),
        _ => Ok(visible
            .fields
            .iter()
            .filter(|f| !matches!(f.name.as_str(), "version" | "deleted_at" | "created_by"))
            .cloned()
            .collect()),
    }
}

fn csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn write_csv(header: &[String], rows: &[Vec<Cell>]) -> Vec<u8> {
    // A byte-order mark, so that Excel opens UTF-8 Chinese text as such.
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, cells: Vec<&str>| {
        for (i, c) in cells.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(out, c);
        }
        out.push_str("\r\n");
    };
    line(&mut out, header.iter().map(String::as_str).collect());
    for row in rows {
        let cells = row
            .iter()
            .map(|c| match c {
                Cell::Empty => "",
                Cell::Number(_, text) => text.as_str(),
                Cell::Text(t) => t.as_str(),
            })
            .collect();
        line(&mut out, cells);
    }
    out.into_bytes()
}

fn write_xlsx(sheet: &str, header: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, ServiceError> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let internal = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let name: String = sheet
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if !name.is_empty() {
        ws.set_name(name).map_err(internal)?;
    }
    let bold = Style::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Number(n, _) => {
                    ws.write_number(r, c, *n).map_err(internal)?;
                }
                Cell::Text(t) => {
                    ws.write_string(r, c, t).map_err(internal)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    book.save_to_buffer().map_err(internal)
}

impl Crm {
    /// Exports what the list `q` shows the actor, at most `MAX_EXPORT` rows, with headers
    /// and picklist labels in `locale`. Audited (who, what object, which filter, how many rows).
    pub async fn export(
        &self,
        actor: &Actor,
        object: &str,
        q: &ListQuery,
        fields: Option<&[String]>,
        format: Format,
        locale: Locale,
    ) -> Result<Export, ServiceError> {
        let schema = self.schema();
        let def = schema.object(object).cloned().ok_or(ServiceError::NotFound)?;
        if format == Format::Vcard && def.name != "contact" {
            return Err(ServiceError::field("format", Msg::InvalidFormat));
        }
        let mut cards = Vec::new();
        let visible = self.visible_object(actor, &def);
        let cols = columns(&visible, fields)?;
        let index: Vec<usize> = cols
            .iter()
            .filter_map(|c| def.fields.iter().position(|f| f.name == c.name))
            .collect();
        let mut header = Vec::new();
        for c in &cols {
            header.push(c.label.get(locale).to_string());
            if c.field_type == FieldType::Money {
                header.push(format!(
                    "{} ({})",
                    c.label.get(locale),
                    Msg::Currency.text(locale)
                ));
            }
        }
        let mut rows = Vec::new();
        let mut page_query = ListQuery {
            limit: Some(MAX_PAGE),
            cursor: None,
            ..q.clone()
        };
        loop {
            let page = self.list(actor, object, &page_query).await?;
            if format == Format::Vcard {
                cards.extend(self.cards(actor, &def, &page.records).await?);
            }
            for r in &page.records {
                let mut row = Vec::with_capacity(header.len());
                for (c, i) in cols.iter().zip(&index) {
                    let v = &r.values[*i];
                    row.push(cell(c, v, locale));
                    if c.field_type == FieldType::Money {
                        row.push(match v {
                            Value::Money { currency, .. } => Cell::Text(currency.clone()),
                            _ => Cell::Empty,
                        });
                    }
                }
                rows.push(row);
            }
            if rows.len() > MAX_EXPORT {
                return Err(ServiceError::Validation(vec![
                    FieldError::new("filter", Msg::ExportTooLarge).with("max", MAX_EXPORT),
                ]));
            }
            match page.next_cursor {
                Some(c) => page_query.cursor = Some(c),
                None => break,
            }
        }
        let bytes = match format {
            Format::Csv => write_csv(&header, &rows),
            Format::CsvGb18030 => {
                // Every Unicode character has a GB18030 form: nothing is lost. No BOM.
                let utf8 = write_csv(&header, &rows);
                let text = String::from_utf8_lossy(&utf8);
                let (bytes, _, _) = encoding_rs::GB18030.encode(text.trim_start_matches('\u{feff}'));
                bytes.into_owned()
            }
            Format::Xlsx => write_xlsx(def.plural_label.get(locale), &header, &rows)?,
            Format::Vcard => guanxi_core::vcard::write(&cards).into_bytes(),
        };
        let now = self.now();
        let filename = format!(
            "{}-{}.{}",
            def.plural,
            now.format("%Y%m%d-%H%M%S"),
            format.extension()
        );
        let detail = json!({
            "format": format.extension(), "filter": q.filter, "sort": q.sort, "deleted": q.deleted,
            "fields": cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), "rows": rows.len(),
        });
        let mut tx = self.db().begin().await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "record.export",
            Some(&def.name),
            None,
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Export {
            format,
            filename,
            rows: rows.len(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_stay_text() {
        for bad in ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=x", "\r=x"] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        for fine in ["张伟", "1+1", "a=b", ""] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_starts_with_a_bom() {
        let rows = vec![vec![
            Cell::Text("a,b".into()),
            Cell::Text("say \"hi\"".into()),
            Cell::Number(-5.0, "-5".into()),
            Cell::Empty,
        ]];
        let out = String::from_utf8(write_csv(&vec!["x".to_string(); 4], &rows)).unwrap();
        assert_eq!(out, "\u{feff}x,x,x,x\r\n\"a,b\",\"say \"\"hi\"\"\",-5,\r\n");
    }
}

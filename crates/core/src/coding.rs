//! Coding rules: numbers a field gets by itself on create, such as customer codes
//! `KH-{yyyy}-{seq:5}` → `KH-2026-00001`. The date parts come from the creation date; the
//! sequence counts per everything before it, so `{yyyy}` restarts the count each year.

use chrono::{Datelike, NaiveDate};

use crate::Msg;

/// A checked pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

/// The tokens a pattern may hold, besides literal text.
const TOKENS: [&str; 4] = ["{yyyy}", "{yy}", "{mm}", "{dd}"];

impl Pattern {
    /// A pattern with exactly one `{seq:N}` (N from 1 to 12) and otherwise only the date
    /// tokens `{yyyy}` `{yy}` `{mm}` `{dd}` and literal text.
    pub fn parse(text: &str) -> Result<Pattern, Msg> {
        let text = text.trim();
        let mut rest = text;
        let mut seqs = 0;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or(Msg::CodingBadPattern)? + open;
            let token = &rest[open..=close];
            if let Some(width) = token.strip_prefix("{seq:").and_then(|t| t.strip_suffix('}')) {
                let width: u32 = width.parse().map_err(|_| Msg::CodingBadPattern)?;
                if !(1..=12).contains(&width) {
                    return Err(Msg::CodingBadPattern);
                }
                seqs += 1;
            } else if !TOKENS.contains(&token) {
                return Err(Msg::CodingBadPattern);
            }
            rest = &rest[close + 1..];
        }
        if seqs != 1 || text.contains('}') && text.matches('}').count() != text.matches('{').count() {
            return Err(Msg::CodingBadPattern);
        }
        Ok(Pattern {
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn dated(&self, day: NaiveDate) -> String {
        self.text
            .replace("{yyyy}", &format!("{:04}", day.year()))
            .replace("{yy}", &format!("{:02}", day.year() % 100))
            .replace("{mm}", &format!("{:02}", day.month()))
            .replace("{dd}", &format!("{:02}", day.day()))
    }

    /// What the count runs over: the pattern as dated on `day`, up to the sequence.
    pub fn counter(&self, day: NaiveDate) -> String {
        let dated = self.dated(day);
        let at = dated.find("{seq:").unwrap_or(dated.len());
        dated[..at].to_string()
    }

    /// The code for the `n`th record counted under `counter(day)`.
    pub fn render(&self, day: NaiveDate, n: u64) -> String {
        let dated = self.dated(day);
        let Some(open) = dated.find("{seq:") else {
            return dated;
        };
        let close = dated[open..].find('}').map_or(dated.len(), |c| c + open);
        let width: usize = dated[open + 5..close].parse().unwrap_or(1);
        format!("{}{:0width$}{}", &dated[..open], n, &dated[close + 1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_render_dates_and_a_zero_padded_count() {
        let p = Pattern::parse("KH-{yyyy}-{seq:5}").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(p.render(day, 1), "KH-2026-00001");
        assert_eq!(
            p.render(day, 123456),
            "KH-2026-123456",
            "a count past the width grows"
        );
        assert_eq!(p.counter(day), "KH-2026-");
        let p = Pattern::parse("{yy}{mm}{dd}-{seq:3}-SH").unwrap();
        assert_eq!(p.render(day, 7), "261123-007-SH");
        assert_eq!(p.counter(day), "261123-");
    }

    #[test]
    fn a_pattern_needs_one_sequence_and_known_tokens() {
        for bad in [
            "KH-{yyyy}",
            "{seq:5}{seq:2}",
            "{seq:0}",
            "{seq:13}",
            "{month}-{seq:3}",
            "KH-{seq:3",
            "{seq:x}",
        ] {
            assert_eq!(Pattern::parse(bad), Err(Msg::CodingBadPattern), "{bad}");
        }
        assert!(Pattern::parse("C{seq:12}").is_ok());
    }
}

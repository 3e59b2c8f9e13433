//! iCalendar (RFC 5545) for calendar feeds: activities as events (timed, in UTC, which
//! every client shows in its own zone) or all-day items (a task due on a day), with
//! reminders as alarms. Text is escaped and lines folded at 75 octets without splitting a
//! character, as the RFC asks.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One event of a feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub category: Option<String>,
    pub when: When,
    pub cancelled: bool,
    /// Minutes before the start an alarm goes off.
    pub reminder_minutes: Option<i64>,
    pub updated: DateTime<Utc>,
    /// Who organises it (its owner), if known.
    pub organizer: Option<Attendee>,
    pub attendees: Vec<Attendee>,
}

/// A person taking part in an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Attendee {
    /// The user or contact.
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// `needs_action`, `accepted`, `tentative` or `declined`.
    pub response: String,
    pub optional: bool,
}

impl Attendee {
    /// The person as a calendar address: their email, else a URN of their id.
    fn address(&self) -> String {
        match self.email.as_deref().filter(|e| e.contains('@')) {
            Some(e) => format!("mailto:{e}"),
            None => format!("urn:uuid:{}", self.id),
        }
    }

    /// `CN` as a parameter value: quoted, without the characters a quoted value cannot hold.
    fn common_name(&self) -> String {
        let clean: String = self
            .name
            .chars()
            .filter(|c| *c != '"' && !c.is_control())
            .collect();
        format!("\"{clean}\"")
    }

    fn partstat(&self) -> &'static str {
        match self.response.as_str() {
            "accepted" => "ACCEPTED",
            "tentative" => "TENTATIVE",
            "declined" => "DECLINED",
            _ => "NEEDS-ACTION",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum When {
    Timed {
        start: DateTime<Utc>,
        end: Option<DateTime<Utc>>,
    },
    AllDay(NaiveDate),
}

/// Escapes a TEXT value (§3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (§3.1) on character boundaries.
fn line(out: &mut String, content: &str) {
    let mut used = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: &DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A whole calendar: `name` as clients show it, `zone` (IANA) as the one its owner uses.
pub fn calendar(name: &str, zone: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Guanxi//Guanxi CRM//ZH");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    line(&mut out, &format!("X-WR-TIMEZONE:{}", escape(zone)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@guanxi", e.id));
        line(&mut out, &format!("DTSTAMP:{}", stamp(&now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", stamp(&e.updated)));
        match &e.when {
            When::Timed { start, end } => {
                line(&mut out, &format!("DTSTART:{}", stamp(start)));
                if let Some(end) = end.filter(|end| end > start) {
                    line(&mut out, &format!("DTEND:{}", stamp(&end)));
                }
            }
            When::AllDay(day) => {
                line(&mut out, &format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
                line(
                    &mut out,
                    &format!(
                        "DTEND;VALUE=DATE:{}",
                        (*day + chrono::Duration::days(1)).format("%Y%m%d")
                    ),
                );
            }
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(d) = e.description.as_deref().filter(|d| !d.is_empty()) {
            line(&mut out, &format!("DESCRIPTION:{}", escape(d)));
        }
        if let Some(l) = e.location.as_deref().filter(|l| !l.is_empty()) {
            line(&mut out, &format!("LOCATION:{}", escape(l)));
        }
        if let Some(c) = e.category.as_deref().filter(|c| !c.is_empty()) {
            line(&mut out, &format!("CATEGORIES:{}", escape(c)));
        }
        line(
            &mut out,
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        if let Some(o) = &e.organizer {
            line(
                &mut out,
                &format!("ORGANIZER;CN={}:{}", o.common_name(), o.address()),
            );
        }
        for a in &e.attendees {
            let role = if a.optional {
                "OPT-PARTICIPANT"
            } else {
                "REQ-PARTICIPANT"
            };
            line(
                &mut out,
                &format!(
                    "ATTENDEE;CN={};ROLE={role};PARTSTAT={}:{}",
                    a.common_name(),
                    a.partstat(),
                    a.address()
                ),
            );
        }
        if let Some(m) = e.reminder_minutes.filter(|m| *m >= 0) {
            line(&mut out, "BEGIN:VALARM");
            line(&mut out, "ACTION:DISPLAY");
            line(&mut out, &format!("DESCRIPTION:{}", escape(&e.summary)));
            line(&mut out, &format!("TRIGGER:-PT{m}M"));
            line(&mut out, "END:VALARM");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "拜访华通精密机械".repeat(6)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(
            unfolded.trim_end(),
            format!("SUMMARY:{}", "拜访华通精密机械".repeat(6))
        );
    }

    #[test]
    fn timed_events_are_in_utc_and_all_day_ones_take_their_day() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T00:00:00Z")
            .unwrap()
            .to_utc();
        let start = DateTime::parse_from_rfc3339("2026-12-07T09:30:00+08:00")
            .unwrap()
            .to_utc();
        let text = calendar(
            "日历",
            "Asia/Shanghai",
            &[
                Event {
                    id: Uuid::nil(),
                    summary: "拜访".into(),
                    description: None,
                    location: Some("上海".into()),
                    category: None,
                    when: When::Timed { start, end: None },
                    cancelled: false,
                    reminder_minutes: Some(15),
                    updated: now,
                    organizer: Some(Attendee {
                        id: Uuid::from_u128(7),
                        name: "王\"芳".into(),
                        email: Some("wang@example.com".into()),
                        response: "accepted".into(),
                        optional: false,
                    }),
                    attendees: vec![Attendee {
                        id: Uuid::from_u128(8),
                        name: "张伟; 采购".into(),
                        email: None,
                        response: "tentative".into(),
                        optional: true,
                    }],
                },
                Event {
                    id: Uuid::from_u128(1),
                    summary: "报价".into(),
                    description: None,
                    location: None,
                    category: None,
                    when: When::AllDay(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
                    cancelled: true,
                    reminder_minutes: None,
                    updated: now,
                    organizer: None,
                    attendees: Vec::new(),
                },
            ],
            now,
        );
        assert!(text.contains("DTSTART:20261207T013000Z\r\n"), "{text}");
        assert!(text.contains("TRIGGER:-PT15M\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101\r\n"));
        assert!(text.contains("STATUS:CANCELLED"));
        assert!(
            text.contains("ORGANIZER;CN=\"王芳\":mailto:wang@example.com\r\n"),
            "{text}"
        );
        // Long lines fold; unfolded, the attendee reads whole.
        assert!(
            text.replace("\r\n ", "").contains(
                "ATTENDEE;CN=\"张伟; 采购\";ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:urn:uuid:00000000-0000-0000-0000-000000000008\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }
}

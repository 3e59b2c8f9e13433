//! Service levels in business time: a calendar of working hours per weekday in one time
//! zone, public holidays and the weekend days worked in exchange (调休); what a response
//! or resolution target comes to on it — when it is due, how much of it is used, whether
//! it is about to be or has been breached — with the clock stopped while a case waits on
//! the customer; and which of a policy's targets applies to a case.
//!
//! This module computes; it reads nothing, not even the clock: "now" is always given.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{FieldError, Msg};

/// How far ahead a target is looked for: a calendar with no working day in ten years
/// has none at all.
const MAX_DAYS: u32 = 3660;
const DAY_MINUTES: u32 = 24 * 60;

/// Working time within one day, in minutes after local midnight (`to` may be 1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: u32,
    pub to: u32,
}

/// Where business time is counted: working hours per weekday in a time zone, days off
/// (public holidays) and days worked although their weekday is not (调休), which work the
/// hours of `makeup`.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    pub time_zone: Tz,
    /// Monday first.
    pub week: [Vec<Span>; 7],
    pub makeup: Vec<Span>,
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// A stretch of time the clock stood still (waiting on the customer); open while it lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

/// One target of one case: first response or resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    pub started: DateTime<Utc>,
    /// Business time allowed.
    pub target: TimeDelta,
    pub pauses: Vec<Pause>,
    /// When the target was met (the first response sent, the case resolved).
    pub stopped: Option<DateTime<Utc>>,
}

/// Where a timer stands at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running {
        due: DateTime<Utc>,
        remaining: TimeDelta,
    },
    /// Running, with no more business time left than the warning allows.
    Warning {
        due: DateTime<Utc>,
        remaining: TimeDelta,
    },
    /// Stopped while the case waits on the customer; `remaining` is kept for later.
    Paused {
        remaining: TimeDelta,
    },
    /// Past the target and not met; `overdue` in business time.
    Breached {
        due: Option<DateTime<Utc>>,
        overdue: TimeDelta,
    },
    Met {
        at: DateTime<Utc>,
        late: bool,
    },
}

impl Calendar {
    /// Working hours `week` (Monday first) in `time_zone`; make-up days work Monday's hours.
    pub fn new(time_zone: Tz, week: [Vec<Span>; 7]) -> Calendar {
        let makeup = week[0].clone();
        Calendar {
            time_zone,
            week,
            makeup,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
        }
    }

    /// Mainland China: Monday to Friday 09:00–12:00 and 13:00–18:00 Beijing time, with the
    /// public holidays and 调休 days announced so far (`data/holidays-cn.txt`).
    /// Read from the shipped file once: every policy starts from it.
    pub fn china_mainland() -> Calendar {
        static CHINA: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(|| {
            let day = vec![Span { from: 540, to: 720 }, Span { from: 780, to: 1080 }];
            let mut week: [Vec<Span>; 7] = Default::default();
            for d in week.iter_mut().take(5) {
                *d = day.clone();
            }
            let mut calendar = Calendar::new(chrono_tz::Asia::Shanghai, week);
            // The shipped file is checked by a test; a bad line could only come from an edit.
            if let Ok((off, work)) = parse_days(include_str!("../data/holidays-cn.txt"), "days") {
                calendar.holidays = off;
                calendar.workdays = work;
            }
            calendar
        });
        CHINA.clone()
    }

    /// The working spans of a local day.
    pub fn spans(&self, day: NaiveDate) -> &[Span] {
        if self.holidays.contains(&day) {
            &[]
        } else if self.workdays.contains(&day) {
            &self.makeup
        } else {
            &self.week[day.weekday().num_days_from_monday() as usize]
        }
    }

    /// Whether `day` is worked at all.
    pub fn works(&self, day: NaiveDate) -> bool {
        !self.spans(day).is_empty()
    }

    /// The working stretches of a local day as instants.
    fn stretches(&self, day: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.spans(day)
            .iter()
            .map(move |s| {
                (
                    instant(self.time_zone, day, s.from),
                    instant(self.time_zone, day, s.to),
                )
            })
            .filter(|(a, b)| a < b)
    }

    fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// The instant `amount` of business time after `start`; `None` if the calendar has no
    /// working time within ten years. A target used up exactly at the end of a working
    /// span is due then, not when the next one begins.
    pub fn add(&self, start: DateTime<Utc>, amount: TimeDelta) -> Option<DateTime<Utc>> {
        if amount <= TimeDelta::zero() {
            return Some(start);
        }
        let mut left = amount;
        let mut day = self.local_day(start);
        for _ in 0..MAX_DAYS {
            for (a, b) in self.stretches(day) {
                let a = a.max(start);
                if a >= b {
                    continue;
                }
                if b - a >= left {
                    return Some(a + left);
                }
                left -= b - a;
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// Business time between two instants (zero if `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if to <= from {
            return total;
        }
        let last = self.local_day(to);
        let mut day = self.local_day(from);
        while day <= last {
            for (a, b) in self.stretches(day) {
                let (a, b) = (a.max(from), b.min(to));
                if a < b {
                    total += b - a;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

/// The instant of `minute` after local midnight of `day`. A time the clocks skip (the
/// spring change) is taken as the moment they jump to; one they repeat, the first time.
fn instant(tz: Tz, day: NaiveDate, minute: u32) -> DateTime<Utc> {
    let (day, minute) = match minute >= DAY_MINUTES {
        true => (day.succ_opt().unwrap_or(day), minute - DAY_MINUTES),
        false => (day, minute),
    };
    let mut local = day.and_hms_opt(minute / 60, minute % 60, 0).unwrap_or_default();
    for _ in 0..16 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.to_utc(),
            LocalResult::None => local += TimeDelta::minutes(15),
        }
    }
    Utc.from_utc_datetime(&local)
}

impl Timer {
    pub fn new(started: DateTime<Utc>, target: TimeDelta) -> Timer {
        Timer {
            started,
            target,
            pauses: Vec::new(),
            stopped: None,
        }
    }

    /// Whether the clock stands still now (an open pause).
    pub fn paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// The stretches the clock ran, from the start to `end` (`None`: without end).
    fn running(&self, end: Option<DateTime<Utc>>) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let mut pauses: Vec<Pause> = self.pauses.clone();
        pauses.sort_by_key(|p| p.from);
        let mut out = Vec::new();
        let mut from = Some(self.started);
        for p in pauses {
            let Some(f) = from else { break };
            if end.is_some_and(|e| e <= f) {
                break;
            }
            if p.from > f {
                out.push((f, Some(end.map_or(p.from, |e| e.min(p.from)))));
            }
            from = p.to.map(|t| t.max(f));
        }
        if let Some(f) = from
            && end.is_none_or(|e| e > f)
        {
            out.push((f, end));
        }
        out
    }

    /// Business time the clock ran up to `now` (or until it stopped).
    pub fn elapsed(&self, calendar: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        let end = self.stopped.map_or(now, |s| s.min(now));
        self.running(Some(end))
            .into_iter()
            .map(|(a, b)| calendar.between(a, b.unwrap_or(end)))
            .sum()
    }

    /// When the target falls due, counting the pauses so far; `None` while paused (the
    /// due time moves with the pause) or if the calendar has no working time.
    pub fn due(&self, calendar: &Calendar) -> Option<DateTime<Utc>> {
        if self.paused() {
            return None;
        }
        let mut left = self.target;
        for (a, b) in self.running(None) {
            let due = calendar.add(a, left)?;
            match b {
                Some(b) if due > b => left -= calendar.between(a, b),
                _ => return Some(due),
            }
        }
        None
    }

    /// Where the timer stands at `now`; `warning` is how little business time left warns.
    pub fn status(&self, calendar: &Calendar, now: DateTime<Utc>, warning: TimeDelta) -> Status {
        let elapsed = self.elapsed(calendar, now);
        let remaining = self.target - elapsed;
        if let Some(at) = self.stopped.filter(|s| *s <= now) {
            return Status::Met {
                at,
                late: remaining < TimeDelta::zero(),
            };
        }
        if remaining <= TimeDelta::zero() {
            return Status::Breached {
                due: self.due(calendar),
                overdue: -remaining,
            };
        }
        match self.due(calendar) {
            None => Status::Paused { remaining },
            Some(due) if remaining <= warning => Status::Warning { due, remaining },
            Some(due) => Status::Running { due, remaining },
        }
    }
}

/// One row of an SLA policy: the targets for cases of a tier, type and priority (each
/// `None` for any), in minutes of business time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub tier: Option<String>,
    pub case_type: Option<String>,
    pub priority: Option<String>,
    pub first_response: Option<u32>,
    pub resolution: Option<u32>,
    /// Warn when this share of a target (percent) is used.
    pub warn_at: u8,
}

impl Target {
    /// How little time left warns, for a target of `minutes`.
    pub fn warning(&self, minutes: u32) -> TimeDelta {
        let left = u64::from(minutes) * u64::from(100 - self.warn_at.min(100)) / 100;
        TimeDelta::minutes(left as i64)
    }

    fn fits(&self, tier: Option<&str>, case_type: &str, priority: &str) -> Option<usize> {
        let mut specific = 0;
        for (want, have) in [
            (&self.tier, tier),
            (&self.case_type, Some(case_type)),
            (&self.priority, Some(priority)),
        ] {
            if let Some(w) = want {
                if Some(w.as_str()) != have {
                    return None;
                }
                specific += 1;
            }
        }
        Some(specific)
    }
}

/// The target for a case: of the rows it fits, the one naming most of tier, type and
/// priority; between equally specific rows, the first.
pub fn target_for<'a>(
    targets: &'a [Target],
    tier: Option<&str>,
    case_type: &str,
    priority: &str,
) -> Option<&'a Target> {
    let mut best: Option<(usize, &Target)> = None;
    for t in targets {
        if let Some(n) = t.fits(tier, case_type, priority)
            && best.is_none_or(|(b, _)| n > b)
        {
            best = Some((n, t));
        }
    }
    best.map(|(_, t)| t)
}

/// The weekdays as a policy names them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// The longest target: a year of business time, in minutes.
pub const MAX_TARGET_MINUTES: u64 = 525_600;

/// A company's service levels: the calendar business time is counted on and the targets
/// by tier, case type and priority. Read from and written as JSON:
///
/// ```json
/// {"time_zone": "Asia/Shanghai",
///  "hours": {"monday": "09:00-12:00, 13:00-18:00", …, "saturday": "", "sunday": ""},
///  "china_holidays": true,
///  "days": "off 2027-01-01 元旦\nwork 2027-01-04 元旦调休",
///  "targets": [{"type": "complaint", "priority": "high", "first_response": 60,
///               "resolution": 480, "warn_at": 80}]}
/// ```
///
/// `china_holidays` adds mainland China's public holidays and 调休 days as shipped;
/// `days` adds (or, for a day the shipped list has the other way, overrides) its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub calendar: Calendar,
    pub targets: Vec<Target>,
    /// At a breach, the case also goes to its owner's manager (`reassign_at_breach`).
    pub reassign: bool,
}

impl Policy {
    /// The policy a JSON object describes; every bad member is named (`hours.monday`,
    /// `targets[2].resolution`, `days` with its line). Tier, type and priority values are
    /// the caller's to check against its picklists.
    pub fn from_json(input: &serde_json::Value) -> Result<Policy, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = |k: &str| input.get(k).and_then(serde_json::Value::as_str).map(str::trim);
        let time_zone = match text("time_zone").unwrap_or("Asia/Shanghai").parse::<Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                errors.push(FieldError::new("time_zone", Msg::UnknownTimeZone));
                chrono_tz::Asia::Shanghai
            }
        };
        let china = Calendar::china_mainland();
        let mut week = china.week.clone();
        if let Some(hours) = input.get("hours") {
            for (i, day) in WEEKDAYS.iter().enumerate() {
                let Some(v) = hours.get(*day) else { continue };
                let field = format!("hours.{day}");
                match v.as_str().map(|t| parse_hours(t, &field)) {
                    Some(Ok(spans)) => week[i] = spans,
                    Some(Err(e)) => errors.push(e),
                    None => errors.push(FieldError::new(&field, Msg::InvalidWorkingHours).with("value", v)),
                }
            }
        }
        let mut calendar = Calendar::new(time_zone, week);
        if input
            .get("china_holidays")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true)
        {
            calendar.holidays = china.holidays;
            calendar.workdays = china.workdays;
        }
        match parse_days(text("days").unwrap_or(""), "days") {
            Ok((off, work)) => {
                for d in off {
                    calendar.workdays.remove(&d);
                    calendar.holidays.insert(d);
                }
                for d in work {
                    calendar.holidays.remove(&d);
                    calendar.workdays.insert(d);
                }
            }
            Err(e) => errors.push(e),
        }
        let mut targets = Vec::new();
        let rows = match input.get("targets") {
            None => &[][..],
            Some(serde_json::Value::Array(rows)) => &rows[..],
            Some(_) => {
                errors.push(FieldError::new("targets", Msg::InvalidJson).with("reason", "a list"));
                &[][..]
            }
        };
        for (n, row) in rows.iter().enumerate() {
            let name = |k: &str| format!("targets[{n}].{k}");
            let word = |k: &str| {
                row.get(k)
                    .and_then(serde_json::Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let mut minutes = |k: &str| match row.get(k) {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => match v.as_u64().filter(|m| (1..=MAX_TARGET_MINUTES).contains(m)) {
                    Some(m) => Some(m as u32),
                    None => {
                        errors.push(
                            FieldError::new(&name(k), Msg::SlaMinutesOutOfRange)
                                .with("min", 1)
                                .with("max", MAX_TARGET_MINUTES),
                        );
                        None
                    }
                },
            };
            let (first_response, resolution) = (minutes("first_response"), minutes("resolution"));
            let warn_at = match row.get("warn_at") {
                None | Some(serde_json::Value::Null) => 80,
                Some(v) => match v.as_u64().filter(|w| (1..=99).contains(w)) {
                    Some(w) => w as u8,
                    None => {
                        errors.push(
                            FieldError::new(&name("warn_at"), Msg::SlaWarnOutOfRange)
                                .with("min", 1)
                                .with("max", 99),
                        );
                        80
                    }
                },
            };
            if first_response.is_none()
                && resolution.is_none()
                && !errors.iter().any(|e| e.field.starts_with(&name("")))
            {
                errors.push(FieldError::new(&name("resolution"), Msg::SlaTargetNeeded));
            }
            targets.push(Target {
                tier: word("tier"),
                case_type: word("type"),
                priority: word("priority"),
                first_response,
                resolution,
                warn_at,
            });
        }
        match errors.is_empty() {
            true => Ok(Policy {
                calendar,
                targets,
                reassign: input
                    .get("reassign_at_breach")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
            }),
            false => Err(errors),
        }
    }
}

/// Working hours as written: `09:00-12:00, 13:00-18:00`; empty for a day off. Spans in
/// order and apart; `24:00` ends a day. A bad text names `field`.
pub fn parse_hours(text: &str, field: &str) -> Result<Vec<Span>, FieldError> {
    let bad = || FieldError::new(field, Msg::InvalidWorkingHours).with("value", text.trim());
    let mut out: Vec<Span> = Vec::new();
    for part in text
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part.split_once(['-', '–', '~']).ok_or_else(bad)?;
        let (from, to) = (minute_of(a).ok_or_else(bad)?, minute_of(b).ok_or_else(bad)?);
        if from >= to || out.last().is_some_and(|l| l.to > from) {
            return Err(bad());
        }
        out.push(Span { from, to });
    }
    Ok(out)
}

fn minute_of(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once([':', '：'])?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    if m.to_string().len() > 2 || m > 59 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Days off and days worked, one a line: `off 2026-02-15..2026-02-23 春节`,
/// `work 2026-02-14 春节调休`; `#` starts a comment. A bad line names `field` and its
/// number. A day both off and worked is refused.
pub fn parse_days(text: &str, field: &str) -> Result<(BTreeSet<NaiveDate>, BTreeSet<NaiveDate>), FieldError> {
    let mut off = BTreeSet::new();
    let mut work = BTreeSet::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            FieldError::new(field, Msg::InvalidCalendarDay)
                .with("line", n + 1)
                .with("value", line)
        };
        let mut words = line.split_whitespace();
        let (kind, days) = (words.next().ok_or_else(bad)?, words.next().ok_or_else(bad)?);
        let (first, last) = match days.split_once("..") {
            Some((a, b)) => (day_of(a).ok_or_else(bad)?, day_of(b).ok_or_else(bad)?),
            None => {
                let d = day_of(days).ok_or_else(bad)?;
                (d, d)
            }
        };
        if last < first || (last - first).num_days() > 366 {
            return Err(bad());
        }
        let into = match kind {
            "off" => &mut off,
            "work" => &mut work,
            _ => return Err(bad()),
        };
        let mut d = first;
        while d <= last {
            into.insert(d);
            d = d.succ_opt().ok_or_else(bad)?;
        }
    }
    if let Some(both) = off.intersection(&work).next() {
        return Err(FieldError::new(field, Msg::InvalidCalendarDay)
            .with("line", 0)
            .with("value", both));
    }
    Ok((off, work))
}

fn day_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> Calendar {
        Calendar::china_mainland()
    }

    /// Beijing local time.
    fn bj(text: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&local)
            .single()
            .unwrap()
            .to_utc()
    }

    fn hours(h: i64) -> TimeDelta {
        TimeDelta::hours(h)
    }

    #[test]
    fn within_a_day_the_lunch_break_does_not_count() {
        let c = china();
        // Tuesday 2026-11-24.
        assert_eq!(
            c.add(bj("2026-11-24 10:00"), hours(4)),
            Some(bj("2026-11-24 15:00"))
        );
        assert_eq!(
            c.between(bj("2026-11-24 11:00"), bj("2026-11-24 14:00")),
            hours(2)
        );
    }

    #[test]
    fn the_night_does_not_count() {
        let c = china();
        assert_eq!(
            c.add(bj("2026-11-24 17:00"), hours(2)),
            Some(bj("2026-11-25 10:00"))
        );
        // Used up at the end of the day: due then, not next morning.
        assert_eq!(
            c.add(bj("2026-11-24 17:00"), hours(1)),
            Some(bj("2026-11-24 18:00"))
        );
        // A case opened at night starts counting in the morning.
        assert_eq!(
            c.add(bj("2026-11-24 22:30"), TimeDelta::minutes(30)),
            Some(bj("2026-11-25 09:30"))
        );
    }

    #[test]
    fn the_weekend_does_not_count() {
        let c = china();
        // Friday 2026-11-27 17:30 + 1h → Monday 09:30.
        assert_eq!(
            c.add(bj("2026-11-27 17:30"), hours(1)),
            Some(bj("2026-11-30 09:30"))
        );
        assert_eq!(
            c.add(bj("2026-11-28 10:00"), TimeDelta::minutes(30)),
            Some(bj("2026-11-30 09:30"))
        );
        assert_eq!(
            c.between(bj("2026-11-27 17:00"), bj("2026-11-30 10:00")),
            hours(2)
        );
    }

    #[test]
    fn public_holidays_do_not_count() {
        let c = china();
        // Wednesday 2026-09-30 17:00 + 2h: 国庆节 is 10-01..10-07; Thursday 10-08 is worked.
        assert_eq!(
            c.add(bj("2026-09-30 17:00"), hours(2)),
            Some(bj("2026-10-08 10:00"))
        );
        assert!(
            !c.works(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()),
            "a Monday off"
        );
    }

    #[test]
    fn make_up_working_days_count_although_they_are_weekends() {
        let c = china();
        // Friday 2026-02-13 17:00 + 2h: Saturday 02-14 is worked (春节调休).
        assert_eq!(
            c.add(bj("2026-02-13 17:00"), hours(2)),
            Some(bj("2026-02-14 10:00"))
        );
        // Saturday 02-14 17:00 + 2h: 春节 02-15..02-23 off; Tuesday 02-24 is the next day.
        assert_eq!(
            c.add(bj("2026-02-14 17:00"), hours(2)),
            Some(bj("2026-02-24 10:00"))
        );
        // Saturday 02-28 and Sunday 2026-01-04 are worked too; an ordinary Saturday is not.
        for d in [
            (2026, 2, 28),
            (2026, 1, 4),
            (2026, 5, 9),
            (2026, 9, 20),
            (2026, 10, 10),
        ] {
            assert!(c.works(NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap()), "{d:?}");
        }
        assert!(!c.works(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()));
    }

    #[test]
    fn adding_then_measuring_gives_the_same_business_time() {
        let c = china();
        let starts = [
            "2026-02-13 11:17",
            "2026-09-30 23:59",
            "2026-12-31 18:00",
            "2025-01-26 08:00",
        ];
        for s in starts {
            for minutes in [1, 59, 60, 179, 480, 1441, 9000] {
                let start = bj(s);
                let due = c.add(start, TimeDelta::minutes(minutes)).unwrap();
                assert_eq!(
                    c.between(start, due),
                    TimeDelta::minutes(minutes),
                    "{s} + {minutes}m"
                );
            }
        }
    }

    #[test]
    fn business_time_is_real_time_across_a_clock_change() {
        // Round the clock in Berlin: the day the clocks go forward has 23 hours.
        let all = vec![Span { from: 0, to: 1440 }];
        let week: [Vec<Span>; 7] = std::array::from_fn(|_| all.clone());
        let c = Calendar::new(chrono_tz::Europe::Berlin, week);
        let berlin = |t: &str| {
            let local = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
            chrono_tz::Europe::Berlin
                .from_local_datetime(&local)
                .single()
                .unwrap()
                .to_utc()
        };
        let (sat, sun) = (berlin("2026-03-28 12:00"), berlin("2026-03-29 12:00"));
        assert_eq!(c.between(sat, sun), hours(23));
        assert_eq!(c.add(sat, hours(23)), Some(sun));
    }

    #[test]
    fn a_calendar_without_working_time_never_falls_due() {
        let c = Calendar::new(chrono_tz::Asia::Shanghai, Default::default());
        assert_eq!(c.add(bj("2026-11-24 10:00"), hours(1)), None);
        assert_eq!(
            c.between(bj("2026-11-24 10:00"), bj("2026-12-24 10:00")),
            TimeDelta::zero()
        );
    }

    #[test]
    fn waiting_on_the_customer_stops_the_clock() {
        let c = china();
        // Monday 2026-11-23 09:00, 8 working hours to resolve.
        let mut t = Timer::new(bj("2026-11-23 09:00"), hours(8));
        assert_eq!(t.due(&c), Some(bj("2026-11-23 18:00")));
        // Waiting on the customer from 11:00 (2h used) …
        t.pauses.push(Pause {
            from: bj("2026-11-23 11:00"),
            to: None,
        });
        let later = bj("2026-11-24 09:30");
        assert_eq!(t.due(&c), None, "no due time while paused");
        assert_eq!(
            t.status(&c, later, hours(1)),
            Status::Paused { remaining: hours(6) }
        );
        // … until Tuesday 10:00: 6h left, Tuesday 10–12 and 13–17.
        t.pauses[0].to = Some(bj("2026-11-24 10:00"));
        assert_eq!(t.due(&c), Some(bj("2026-11-24 17:00")));
        assert_eq!(t.elapsed(&c, bj("2026-11-24 12:00")), hours(4));
        // A second pause over lunch and into the afternoon moves it again.
        t.pauses.push(Pause {
            from: bj("2026-11-24 11:00"),
            to: Some(bj("2026-11-24 14:00")),
        });
        // Monday 9–11, Tuesday 10–11 and 14–18: 7h by Wednesday morning, due at 10:00.
        assert_eq!(t.due(&c), Some(bj("2026-11-25 10:00")));
        assert_eq!(t.elapsed(&c, bj("2026-11-25 09:00")), hours(7));
    }

    #[test]
    fn a_pause_across_a_holiday_and_a_make_up_day() {
        let c = china();
        // Thursday 2026-02-12 09:00, 16h; paused Friday 02-13 09:00 (8h used) to Saturday
        // 02-14 12:00 (调休, so 3h of it would have counted). 8h left from 02-14 12:00:
        // 13–18 that Saturday (5h), then after 春节, Tuesday 02-24 09:00–12:00.
        let mut t = Timer::new(bj("2026-02-12 09:00"), hours(16));
        t.pauses.push(Pause {
            from: bj("2026-02-13 09:00"),
            to: Some(bj("2026-02-14 12:00")),
        });
        assert_eq!(t.due(&c), Some(bj("2026-02-24 12:00")));
    }

    #[test]
    fn warning_breach_and_met_on_time_or_late() {
        let c = china();
        let t = Timer::new(bj("2026-11-23 09:00"), hours(4));
        let warn = TimeDelta::minutes(48);
        assert_eq!(
            t.status(&c, bj("2026-11-23 10:00"), warn),
            Status::Running {
                due: bj("2026-11-23 14:00"),
                remaining: hours(3)
            }
        );
        assert_eq!(
            t.status(&c, bj("2026-11-23 13:30"), warn),
            Status::Warning {
                due: bj("2026-11-23 14:00"),
                remaining: TimeDelta::minutes(30)
            }
        );
        assert_eq!(
            t.status(&c, bj("2026-11-23 16:00"), warn),
            Status::Breached {
                due: Some(bj("2026-11-23 14:00")),
                overdue: hours(2)
            }
        );
        let mut met = t.clone();
        met.stopped = Some(bj("2026-11-23 13:00"));
        assert_eq!(
            met.status(&c, bj("2026-11-30 10:00"), warn),
            Status::Met {
                at: bj("2026-11-23 13:00"),
                late: false
            }
        );
        met.stopped = Some(bj("2026-11-24 09:30"));
        assert_eq!(
            met.status(&c, bj("2026-11-30 10:00"), warn),
            Status::Met {
                at: bj("2026-11-24 09:30"),
                late: true
            }
        );
    }

    #[test]
    fn the_most_specific_target_applies() {
        let row = |tier: Option<&str>, ty: Option<&str>, pr: Option<&str>, res: u32| Target {
            tier: tier.map(str::to_string),
            case_type: ty.map(str::to_string),
            priority: pr.map(str::to_string),
            first_response: Some(res / 4),
            resolution: Some(res),
            warn_at: 80,
        };
        let rows = vec![
            row(None, None, None, 2400),
            row(Some("vip"), None, None, 960),
            row(None, Some("complaint"), None, 480),
            row(Some("vip"), Some("complaint"), None, 240),
            row(Some("vip"), Some("complaint"), Some("high"), 120),
        ];
        let res = |tier, ty, pr| target_for(&rows, tier, ty, pr).and_then(|t| t.resolution);
        assert_eq!(res(Some("vip"), "complaint", "high"), Some(120));
        assert_eq!(res(Some("vip"), "complaint", "low"), Some(240));
        assert_eq!(res(Some("b"), "complaint", "low"), Some(480));
        assert_eq!(res(Some("vip"), "inquiry", "low"), Some(960));
        assert_eq!(res(None, "inquiry", "low"), Some(2400));
        assert_eq!(target_for(&rows[1..2], Some("a"), "inquiry", "low"), None);
        assert_eq!(rows[0].warning(600), TimeDelta::minutes(120));
    }

    #[test]
    fn a_policy_is_read_from_json_with_every_bad_member_named() {
        let p = Policy::from_json(&serde_json::json!({
            "hours": {"saturday": "09:00-12:00"},
            "days": "off 2026-11-27 公司年会\nwork 2026-10-05",
            "targets": [{"type": "complaint", "first_response": 60, "resolution": 480},
                        {"resolution": 2400, "warn_at": 90}]
        }))
        .unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(p.calendar.works(day(2026, 11, 28)), "Saturday mornings worked");
        assert!(!p.calendar.works(day(2026, 11, 27)), "the company's own day off");
        assert!(
            p.calendar.works(day(2026, 10, 5)),
            "its own day overrides the shipped one"
        );
        assert!(!p.calendar.works(day(2026, 10, 6)), "the shipped holidays kept");
        assert_eq!(p.targets.len(), 2);
        assert_eq!(
            (p.targets[0].case_type.as_deref(), p.targets[0].warn_at),
            (Some("complaint"), 80)
        );
        let errors = Policy::from_json(&serde_json::json!({
            "time_zone": "Mars/Olympus",
            "hours": {"monday": "9-18"},
            "days": "off 2026-13-01",
            "targets": [{"resolution": 0}, {"type": "inquiry"}, {"resolution": 60, "warn_at": 100}]
        }))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "time_zone",
                "hours.monday",
                "days",
                "targets[0].resolution",
                "targets[1].resolution",
                "targets[2].warn_at"
            ]
        );
        let without = Policy::from_json(&serde_json::json!({"china_holidays": false})).unwrap();
        assert!(
            without.calendar.works(day(2026, 10, 8))
                && !without.calendar.holidays.contains(&day(2026, 10, 1))
        );
    }

    #[test]
    fn working_hours_are_read_as_written_and_bad_ones_named() {
        assert_eq!(
            parse_hours("09:00-12:00, 13:30-18:00", "monday").unwrap(),
            vec![Span { from: 540, to: 720 }, Span { from: 810, to: 1080 }]
        );
        assert_eq!(
            parse_hours("00:00-24:00", "sunday").unwrap(),
            vec![Span { from: 0, to: 1440 }]
        );
        assert_eq!(parse_hours("  ", "saturday").unwrap(), vec![]);
        for bad in [
            "9-18",
            "18:00-09:00",
            "09:00-13:00, 12:00-18:00",
            "09:00-24:30",
            "09:60-10:00",
        ] {
            let e = parse_hours(bad, "monday").unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.msg),
                ("monday", Msg::InvalidWorkingHours),
                "{bad}"
            );
        }
    }

    #[test]
    fn holiday_lists_are_read_line_by_line_and_bad_lines_named() {
        let (off, work) = parse_days(
            "# 2027\noff 2027-01-01..2027-01-03 元旦\nwork 2027-01-04\n",
            "days",
        )
        .unwrap();
        assert_eq!(off.len(), 3);
        assert_eq!(work.len(), 1);
        let e = parse_days("off 2027-01-01\nholiday 2027-01-02\n", "days").unwrap_err();
        assert_eq!(e.msg, Msg::InvalidCalendarDay);
        assert!(e.args.contains(&("line".to_string(), "2".to_string())), "{e:?}");
        assert!(parse_days("off 2027-01-03..2027-01-01", "days").is_err());
        assert!(parse_days("off 2027-01-01\nwork 2027-01-01", "days").is_err());
    }

    #[test]
    fn the_shipped_mainland_calendar_reads_whole() {
        let (off, work) = parse_days(include_str!("../data/holidays-cn.txt"), "days").unwrap();
        let c = china();
        assert_eq!((c.holidays.len(), c.workdays.len()), (off.len(), work.len()));
        // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; six weekend days worked.
        let year = |set: &BTreeSet<NaiveDate>, y| set.iter().filter(|d| d.year() == y).count();
        assert_eq!(year(&off, 2026), 33);
        assert_eq!(year(&work, 2026), 6);
        for d in &work {
            assert!(d.weekday().num_days_from_monday() >= 5, "{d} is a weekend day");
        }
    }
}

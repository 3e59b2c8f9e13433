//! Channel preferences of a contact and the one decision built on them: may we contact
//! this person on this channel at this moment? Preferred channels in order, the time
//! windows they welcome contact in, how often each channel may be used, channels they
//! refuse, and their consent per channel (the latest word counts). Pure: the caller
//! supplies the local time and how often the channel was used in the period.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::{FieldError, Msg};

/// How often a channel may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    /// The start of the period `at` falls in (weeks start on Monday).
    pub fn start(self, at: NaiveDateTime) -> NaiveDateTime {
        let day = at.date();
        let first = match self {
            Period::Day => day,
            Period::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Period::Month => NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day),
        };
        first.and_time(NaiveTime::MIN)
    }
}

/// When contact is welcome: on these weekdays (1 = Monday … 7 = Sunday), from–to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub days: Vec<u8>,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Window {
    fn contains(&self, at: NaiveDateTime) -> bool {
        let day = at.weekday().number_from_monday() as u8;
        self.days.contains(&day) && at.time() >= self.from && at.time() < self.to
    }
}

/// At most `max` contacts on `channel` per `period`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub channel: String,
    pub max: u32,
    pub period: Period,
}

/// A contact's channel preferences. Empty means no restriction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Channels the person prefers, most preferred first.
    #[serde(default)]
    pub preferred: Vec<String>,
    /// When they welcome contact (any time if empty), in `time_zone`.
    #[serde(default)]
    pub windows: Vec<Window>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// Channels they do not want to be contacted on at all.
    #[serde(default)]
    pub do_not_contact: Vec<String>,
}

/// One word of consent (or its withdrawal) on a channel, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub channel: String,
    pub granted: bool,
    pub source: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Why contact is not possible now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The channel is on the do-not-contact list (or the record says it opted out).
    DoNotContact,
    /// Their latest word on the channel withdrew consent.
    ConsentWithdrawn,
    /// Not within a window they welcome contact in.
    OutsideWindow,
    /// The channel was used `count` times this period; `max` allowed.
    LimitReached { max: u32, count: u32, period: Period },
}

impl Refusal {
    pub fn msg(&self) -> Msg {
        match self {
            Refusal::DoNotContact => Msg::ChannelDoNotContact,
            Refusal::ConsentWithdrawn => Msg::ChannelConsentWithdrawn,
            Refusal::OutsideWindow => Msg::ChannelOutsideWindow,
            Refusal::LimitReached { .. } => Msg::ChannelLimitReached,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::DoNotContact => "do_not_contact",
            Refusal::ConsentWithdrawn => "consent_withdrawn",
            Refusal::OutsideWindow => "outside_window",
            Refusal::LimitReached { .. } => "limit_reached",
        }
    }
}

/// Everything that stands against contacting on `channel` at local time `at`; empty: go
/// ahead. `consents` in any order (the latest per channel counts); `used` is how often the
/// channel was used in the limit's current period; `opted_out` is what the record itself
/// says (e.g. a contact's email opt-out).
pub fn decide(
    prefs: &Preferences,
    consents: &[Consent],
    channel: &str,
    at: NaiveDateTime,
    used: u32,
    opted_out: bool,
) -> Vec<Refusal> {
    let mut out = Vec::new();
    if opted_out || prefs.do_not_contact.iter().any(|c| c == channel) {
        out.push(Refusal::DoNotContact);
    }
    let latest = consents
        .iter()
        .filter(|c| c.channel == channel)
        .max_by_key(|c| c.at);
    if latest.is_some_and(|c| !c.granted) {
        out.push(Refusal::ConsentWithdrawn);
    }
    if !prefs.windows.is_empty() && !prefs.windows.iter().any(|w| w.contains(at)) {
        out.push(Refusal::OutsideWindow);
    }
    if let Some(limit) = prefs.limits.iter().find(|l| l.channel == channel)
        && used >= limit.max
    {
        out.push(Refusal::LimitReached {
            max: limit.max,
            count: used,
            period: limit.period,
        });
    }
    out
}

/// Checks preferences against the known channels; each problem names its place
/// (`preferred[1]`, `windows[0].to`, `limits[2].max`…).
pub fn check(prefs: &Preferences, channels: &[&str]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let known = |c: &str| channels.contains(&c);
    for (list, name) in [
        (&prefs.preferred, "preferred"),
        (&prefs.do_not_contact, "do_not_contact"),
    ] {
        for (i, c) in list.iter().enumerate() {
            if !known(c) {
                errors.push(FieldError::new(&format!("{name}[{i}]"), Msg::NotInPicklist));
            } else if list[..i].contains(c) {
                errors.push(FieldError::new(&format!("{name}[{i}]"), Msg::NotUnique));
            }
        }
    }
    for (i, w) in prefs.windows.iter().enumerate() {
        if w.days.is_empty() || w.days.iter().any(|d| !(1..=7).contains(d)) {
            errors.push(FieldError::new(
                &format!("windows[{i}].days"),
                Msg::ChannelBadDays,
            ));
        }
        if w.from >= w.to {
            errors.push(FieldError::new(
                &format!("windows[{i}].to"),
                Msg::ChannelBadWindow,
            ));
        }
    }
    for (i, l) in prefs.limits.iter().enumerate() {
        if !known(&l.channel) {
            errors.push(FieldError::new(
                &format!("limits[{i}].channel"),
                Msg::NotInPicklist,
            ));
        } else if prefs.limits[..i].iter().any(|o| o.channel == l.channel) {
            errors.push(FieldError::new(&format!("limits[{i}].channel"), Msg::NotUnique));
        }
        if l.max == 0 {
            errors.push(FieldError::new(&format!("limits[{i}].max"), Msg::ChannelBadLimit));
        }
    }
    errors
}

/// Weekday numbers as people write them: 1 = Monday … 7 = Sunday.
pub fn weekday_number(d: Weekday) -> u8 {
    d.number_from_monday() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn office_hours() -> Preferences {
        Preferences {
            preferred: vec!["wechat".into(), "phone".into()],
            windows: vec![Window {
                days: vec![1, 2, 3, 4, 5],
                from: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                to: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            }],
            time_zone: None,
            limits: vec![Limit {
                channel: "phone".into(),
                max: 2,
                period: Period::Week,
            }],
            do_not_contact: vec!["sms".into()],
        }
    }

    #[test]
    fn contact_is_welcome_inside_a_window_and_under_the_limit() {
        let p = office_hours();
        // 2026-11-23 is a Monday.
        assert_eq!(decide(&p, &[], "phone", at("2026-11-23 10:00"), 1, false), vec![]);
        assert_eq!(
            decide(&p, &[], "phone", at("2026-11-23 18:00"), 0, false),
            vec![Refusal::OutsideWindow],
            "the window ends before 18:00"
        );
        assert_eq!(
            decide(&p, &[], "phone", at("2026-11-28 10:00"), 0, false),
            vec![Refusal::OutsideWindow],
            "Saturday"
        );
        assert_eq!(
            decide(&p, &[], "phone", at("2026-11-23 10:00"), 2, false),
            vec![Refusal::LimitReached {
                max: 2,
                count: 2,
                period: Period::Week
            }]
        );
        assert_eq!(
            decide(&p, &[], "sms", at("2026-11-23 10:00"), 0, false),
            vec![Refusal::DoNotContact]
        );
        assert_eq!(
            decide(&p, &[], "email", at("2026-11-23 10:00"), 0, true),
            vec![Refusal::DoNotContact],
            "the record's own opt-out"
        );
    }

    #[test]
    fn the_latest_word_on_consent_counts() {
        let p = Preferences::default();
        let word = |granted: bool, day: u32| Consent {
            channel: "email".into(),
            granted,
            source: "web form".into(),
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, day)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap()
                .and_utc(),
        };
        let t = at("2026-11-23 10:00");
        assert_eq!(
            decide(&p, &[word(true, 1), word(false, 5)], "email", t, 0, false),
            vec![Refusal::ConsentWithdrawn]
        );
        assert_eq!(
            decide(&p, &[word(false, 1), word(true, 5)], "email", t, 0, false),
            vec![]
        );
        assert_eq!(
            decide(&p, &[word(false, 1)], "phone", t, 0, false),
            vec![],
            "per channel"
        );
    }

    #[test]
    fn periods_start_on_the_day_the_monday_and_the_first() {
        let t = at("2026-11-26 15:30");
        assert_eq!(Period::Day.start(t), at("2026-11-26 00:00"));
        assert_eq!(Period::Week.start(t), at("2026-11-23 00:00"));
        assert_eq!(Period::Month.start(t), at("2026-11-01 00:00"));
        assert_eq!(Period::Week.start(at("2026-11-23 00:00")), at("2026-11-23 00:00"));
    }

    #[test]
    fn preferences_are_checked_against_the_channels_and_name_the_place() {
        let mut p = office_hours();
        p.preferred.push("pigeon".into());
        p.preferred.push("wechat".into());
        p.windows[0].days.push(8);
        p.limits[0].max = 0;
        let errors: Vec<String> = check(&p, &["phone", "wechat", "sms", "email"])
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            errors,
            vec!["preferred[2]", "preferred[3]", "windows[0].days", "limits[0].max"]
        );
    }
}

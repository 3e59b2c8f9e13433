//! The calendar of activities: a day, a week (Monday first, as in China) or a month of the
//! activities the viewer owns, or their team's. It reads through the same list service as
//! every list, so a user sees exactly the activities they may read; it never writes (new
//! activities go to the record form) and never decides access itself.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use guanxi_core::values::{Record, Value};
use guanxi_core::{Locale, Msg, ObjectDef, Schema};
use guanxi_services::calendar::CAP;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::pages::{field_value, layout, t};
use super::{Viewer, failure, html, signed_in};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum View {
    Day,
    Week,
    Month,
}

impl View {
    fn parse(s: &str) -> Option<View> {
        match s {
            "day" => Some(View::Day),
            "week" => Some(View::Week),
            "month" => Some(View::Month),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Day => "day",
            View::Week => "week",
            View::Month => "month",
        }
    }

    fn label(self) -> Msg {
        match self {
            View::Day => Msg::UiCalDay,
            View::Week => Msg::UiCalWeek,
            View::Month => Msg::UiCalMonth,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CalendarParams {
    pub view: Option<String>,
    pub date: Option<String>,
    pub who: Option<String>,
}

/// The parameters as the page uses them, with what was wrong with each (the page falls
/// back to the default for a bad one and says so beside its control).
struct Wanted {
    view: View,
    date: NaiveDate,
    team: bool,
    bad_view: bool,
    bad_date: bool,
    bad_who: bool,
    /// The date as typed, kept in its input when it is wrong.
    typed_date: String,
}

fn wanted(params: &CalendarParams, today: NaiveDate) -> Wanted {
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (view, bad_view) = match given(&params.view) {
        None => (View::Week, false),
        Some(s) => View::parse(&s).map_or((View::Week, true), |v| (v, false)),
    };
    let typed_date = given(&params.date).unwrap_or_default();
    let (date, bad_date) = match given(&params.date) {
        None => (today, false),
        Some(s) => parse_day(&s).map_or((today, true), |d| (d, false)),
    };
    let (team, bad_who) = match given(&params.who).as_deref() {
        None | Some("mine") => (false, false),
        Some("team") => (true, false),
        Some(_) => (false, true),
    };
    Wanted {
        view,
        date,
        team,
        bad_view,
        bad_date,
        bad_who,
        typed_date,
    }
}

/// A date exactly as `YYYY-MM-DD`, in years the page can move around in safely.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let shape = s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-');
    (shape && (1900..=9998).contains(&d.year())).then_some(d)
}

/// The Monday of the week `day` is in.
fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The days a view shows, first day and the day after the last: for a month, whole weeks
/// from the Monday on or before the 1st to the Sunday on or after its last day.
fn shown_days(view: View, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    match view {
        View::Day => (day, day + Duration::days(1)),
        View::Week => {
            let first = week_start(day);
            (first, first + Duration::days(7))
        }
        View::Month => {
            let first = month_start(day);
            let next = first + Months::new(1);
            let last = next - Duration::days(1);
            (week_start(first), week_start(last) + Duration::days(7))
        }
    }
}

/// Where the previous (`forward: false`) or next period starts.
fn step(view: View, day: NaiveDate, forward: bool) -> NaiveDate {
    match (view, forward) {
        (View::Day, true) => day + Duration::days(1),
        (View::Day, false) => day - Duration::days(1),
        (View::Week, true) => week_start(day) + Duration::days(7),
        (View::Week, false) => week_start(day) - Duration::days(7),
        (View::Month, true) => month_start(day) + Months::new(1),
        (View::Month, false) => month_start(day) - Months::new(1),
    }
}

/// Midnight starting `day` where the viewer is, as the query language reads a date-time.
fn midnight(day: NaiveDate, offset: Tz) -> String {
    let naive = day.and_time(NaiveTime::MIN);
    // Where a clock change skips midnight, the day starts at the first time that exists.
    match offset.from_local_datetime(&naive).earliest().or_else(|| {
        offset
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
    }) {
        Some(dt) => dt.to_rfc3339(),
        None => format!("{}Z", naive.format("%Y-%m-%dT%H:%M:%S")),
    }
}

/// One activity as the calendar places it.
struct Item {
    id: Uuid,
    subject: String,
    kind: String,
    owner: Option<Uuid>,
    start: Option<DateTime<Tz>>,
    end: Option<DateTime<Tz>>,
    due: Option<NaiveDate>,
}

impl Item {
    fn from_record(full: &ObjectDef, r: &Record, offset: Tz, locale: Locale) -> Option<Item> {
        let text = |name: &str| match field_value(full, r, name) {
            Value::Text(s) => s.clone(),
            _ => String::new(),
        };
        let at = |name: &str| match field_value(full, r, name) {
            Value::DateTime(dt) => Some(dt.with_timezone(&offset)),
            _ => None,
        };
        let kind = full
            .field("type")
            .map(|f| {
                let v = text("type");
                if v.is_empty() {
                    v
                } else {
                    f.option_label(&v, locale).to_string()
                }
            })
            .unwrap_or_default();
        Some(Item {
            id: r.id()?,
            subject: text("subject"),
            kind,
            owner: match field_value(full, r, "owner") {
                Value::Uuid(u) => Some(*u),
                _ => None,
            },
            start: at("starts_at"),
            end: at("ends_at"),
            due: match field_value(full, r, "due_date") {
                Value::Date(d) => Some(*d),
                _ => None,
            },
        })
    }
}

/// How an activity shows on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum When {
    /// A task due that day, without a time.
    AllDay,
    /// Started on an earlier day; ends that day (at this time) or later.
    Continued { until: Option<NaiveTime> },
    /// Starts that day; ends the same day at this time, if it does.
    Timed {
        start: NaiveTime,
        end: Option<NaiveTime>,
    },
}

/// The activities of each shown day (`first` up to, not including, `end`), in the order
/// the day shows them: all-day items, those continuing from before, then by time.
fn place(items: &[Item], first: NaiveDate, end: NaiveDate) -> BTreeMap<NaiveDate, Vec<(When, &Item)>> {
    let mut days: BTreeMap<NaiveDate, Vec<(When, &Item)>> = BTreeMap::new();
    for item in items {
        match (item.start, item.due) {
            (Some(start), _) => {
                let start_day = start.date_naive();
                // An end at midnight belongs to the day before; an end before the start is ignored.
                let end_at = item.end.filter(|e| *e > start);
                let last_day = end_at.map_or(start_day, |e| (e - Duration::nanoseconds(1)).date_naive());
                let mut day = start_day.max(first);
                while day <= last_day && day < end {
                    let when = if day == start_day {
                        When::Timed {
                            start: start.time(),
                            end: end_at.filter(|_| last_day == start_day).map(|e| e.time()),
                        }
                    } else {
                        When::Continued {
                            until: end_at.filter(|_| day == last_day).map(|e| e.time()),
                        }
                    };
                    days.entry(day).or_default().push((when, item));
                    day += Duration::days(1);
                }
            }
            (None, Some(due)) if due >= first && due < end => {
                days.entry(due).or_default().push((When::AllDay, item));
            }
            _ => {}
        }
    }
    for list in days.values_mut() {
        list.sort_by(|a, b| {
            let rank = |w: &When| match w {
                When::AllDay => (0, None),
                When::Continued { .. } => (1, None),
                When::Timed { start, .. } => (2, Some(*start)),
            };
            rank(&a.0)
                .cmp(&rank(&b.0))
                .then_with(|| a.1.subject.cmp(&b.1.subject))
                .then_with(|| a.1.id.cmp(&b.1.id))
        });
    }
    days
}

/// The activities of the shown days (`first` up to, not including, `end`) where the viewer
/// is, read as the calendar feeds read them; and whether there were more than a page shows.
async fn read(
    crm: &Crm,
    v: &Viewer,
    owners: &[Uuid],
    (first, end): (NaiveDate, NaiveDate),
    offset: Tz,
) -> Result<(Vec<Record>, bool), ServiceError> {
    let (from, until) = (midnight(first, offset), midnight(end, offset));
    crm.activities_between(&v.actor, owners, (&from, &until), (first, end))
        .await
}

pub(super) async fn calendar(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(params): Query<CalendarParams>,
) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let schema = crm.schema();
    let Some(full) = schema.object("activity").cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    // Days begin and end on the viewer's clock.
    let offset = v.tz;
    let today = crm.now().with_timezone(&offset).date_naive();
    let w = wanted(&params, today);
    let owners = if w.team {
        crm.team_mates(&v.actor)
    } else {
        vec![v.actor.user_id]
    };
    let range = shown_days(w.view, w.date);
    let (records, capped) = match read(&crm, &v, &owners, range, offset).await {
        Ok(x) => x,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let items: Vec<Item> = records
        .iter()
        .filter_map(|r| Item::from_record(&full, r, offset, v.locale))
        .collect();
    let names: HashMap<Uuid, String> = if w.team {
        match guanxi_storage::system::users(crm.db()).await {
            Ok(us) => us.into_iter().map(|u| (u.id, u.name)).collect(),
            Err(e) => return failure(e.into(), v.locale, Some(&v)),
        }
    } else {
        HashMap::new()
    };
    let status = if w.bad_view || w.bad_date || w.bad_who {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let cal = Cal {
        v: &v,
        w: &w,
        today,
        range,
        days: place(&items, range.0, range.1),
        names: &names,
        capped,
    };
    html(status, page(&cal, &schema))
}

/// What the page draws.
struct Cal<'a> {
    v: &'a Viewer,
    w: &'a Wanted,
    today: NaiveDate,
    range: (NaiveDate, NaiveDate),
    days: BTreeMap<NaiveDate, Vec<(When, &'a Item)>>,
    names: &'a HashMap<Uuid, String>,
    capped: bool,
}

fn weekday_name(locale: Locale, day: Weekday) -> &'static str {
    let msg = match day {
        Weekday::Mon => Msg::UiCalMonday,
        Weekday::Tue => Msg::UiCalTuesday,
        Weekday::Wed => Msg::UiCalWednesday,
        Weekday::Thu => Msg::UiCalThursday,
        Weekday::Fri => Msg::UiCalFriday,
        Weekday::Sat => Msg::UiCalSaturday,
        Weekday::Sun => Msg::UiCalSunday,
    };
    t(locale, msg)
}

fn month_name(locale: Locale, month: u32) -> &'static str {
    const MONTHS: [Msg; 12] = [
        Msg::UiCalJanuary,
        Msg::UiCalFebruary,
        Msg::UiCalMarch,
        Msg::UiCalApril,
        Msg::UiCalMay,
        Msg::UiCalJune,
        Msg::UiCalJuly,
        Msg::UiCalAugust,
        Msg::UiCalSeptember,
        Msg::UiCalOctober,
        Msg::UiCalNovember,
        Msg::UiCalDecember,
    ];
    let i = usize::try_from(month.saturating_sub(1)).unwrap_or(0);
    MONTHS.get(i).map_or("", |m| t(locale, *m))
}

/// A day as a heading says it: `2026年11月23日 星期一` / `Monday, 23 November 2026`.
fn day_title(locale: Locale, day: NaiveDate) -> String {
    Msg::UiCalDayTitle.format(
        locale,
        &[
            ("weekday", weekday_name(locale, day.weekday())),
            ("day", &day.day().to_string()),
            ("month", &day.month().to_string()),
            ("month_name", month_name(locale, day.month())),
            ("year", &day.year().to_string()),
        ],
    )
}

/// The period a view shows, for its heading.
fn period_title(locale: Locale, view: View, day: NaiveDate) -> String {
    match view {
        View::Day => day_title(locale, day),
        View::Week => {
            let first = week_start(day);
            Msg::UiCalWeekTitle.format(
                locale,
                &[
                    ("start", &first.to_string()),
                    ("end", &(first + Duration::days(6)).to_string()),
                ],
            )
        }
        View::Month => Msg::UiCalMonthTitle.format(
            locale,
            &[
                ("month", &day.month().to_string()),
                ("month_name", month_name(locale, day.month())),
                ("year", &day.year().to_string()),
            ],
        ),
    }
}

fn href(view: View, day: NaiveDate, team: bool) -> String {
    format!(
        "/calendar?view={}&date={day}&who={}",
        view.as_str(),
        if team { "team" } else { "mine" }
    )
}

fn page(cal: &Cal, schema: &Schema) -> Markup {
    let (v, w) = (cal.v, cal.w);
    let locale = v.locale;
    let heading = period_title(locale, w.view, w.date);
    let title = format!("{} · {heading}", t(locale, Msg::UiCalendar));
    let here = href(w.view, w.date, w.team);
    let (prev, next) = match w.view {
        View::Day => (Msg::UiCalPrevDay, Msg::UiCalNextDay),
        View::Week => (Msg::UiCalPrevWeek, Msg::UiCalNextWeek),
        View::Month => (Msg::UiCalPrevMonth, Msg::UiCalNextMonth),
    };
    let content = html! {
        div.titlebar {
            h1 #cal-title { (heading) }
            div.actions {
                a href="/calendar/feeds" { (t(locale, Msg::UiCalendarFeeds)) }
                a.button href="/o/activities/new" { (t(locale, Msg::UiCalNewActivity)) }
            }
        }
        div.cal-bar {
            nav.cal-nav aria-label=(t(locale, Msg::UiCalPeriod)) {
                ul {
                    li { a href=(href(w.view, step(w.view, w.date, false), w.team)) rel="prev" { "← " (t(locale, prev)) } }
                    li { a href=(href(w.view, cal.today, w.team)) { (t(locale, Msg::UiCalToday)) } }
                    li { a href=(href(w.view, step(w.view, w.date, true), w.team)) rel="next" { (t(locale, next)) " →" } }
                }
            }
            div.cal-switch {
                nav.cal-nav aria-label=(t(locale, Msg::UiCalViewLabel)) aria-describedby=[w.bad_view.then_some("view-error")] {
                    ul {
                        @for view in [View::Day, View::Week, View::Month] {
                            li { a href=(href(view, w.date, w.team)) aria-current=[(view == w.view && !w.bad_view).then_some("page")] { (t(locale, view.label())) } }
                        }
                    }
                }
                @if w.bad_view { p.error #view-error role="alert" { (t(locale, Msg::UiCalBadView)) } }
            }
            div.cal-switch {
                nav.cal-nav aria-label=(t(locale, Msg::UiCalWhose)) aria-describedby=[w.bad_who.then_some("who-error")] {
                    ul {
                        li { a href=(href(w.view, w.date, false)) aria-current=[(!w.team && !w.bad_who).then_some("page")] { (t(locale, Msg::UiCalMine)) } }
                        li { a href=(href(w.view, w.date, true)) aria-current=[w.team.then_some("page")] { (t(locale, Msg::UiCalTeam)) } }
                    }
                }
                @if w.bad_who { p.error #who-error role="alert" { (t(locale, Msg::UiCalBadWho)) } }
            }
            form.cal-date method="get" action="/calendar" {
                input type="hidden" name="view" value=(w.view.as_str());
                input type="hidden" name="who" value=(if w.team { "team" } else { "mine" });
                div.field {
                    label for="cal-date" { (t(locale, Msg::UiCalDate)) }
                    input #cal-date type="date" name="date"
                        value=(if w.bad_date { w.typed_date.clone() } else { w.date.to_string() })
                        aria-invalid=[w.bad_date.then_some("true")]
                        aria-describedby=[w.bad_date.then_some("date-error")];
                    @if w.bad_date { p.error #date-error role="alert" { (t(locale, Msg::UiCalBadDate)) } }
                }
                button.primary type="submit" { (t(locale, Msg::UiCalGo)) }
            }
        }
        @if cal.capped {
            p.notice role="status" { (Msg::UiCalCapped.format(locale, &[("count", &CAP.to_string())])) }
        }
        @match w.view {
            View::Month => (month(cal)),
            View::Week => (week(cal)),
            View::Day => (day(cal)),
        }
    };
    layout(locale, Some(v), Some(schema), None, &here, &title, content)
}

/// One activity as a line: its time, type and subject as the link; its owner on a team
/// calendar.
fn entry(cal: &Cal, when: When, item: &Item) -> Markup {
    let locale = cal.v.locale;
    let hm = |x: NaiveTime| x.format("%H:%M").to_string();
    html! {
        li.cal-item {
            a href={ "/o/activities/" (item.id) } {
                @match when {
                    When::AllDay => span.cal-time { (t(locale, Msg::UiCalAllDay)) },
                    When::Continued { until } => span.cal-time {
                        "(" (t(locale, Msg::UiCalContinued)) @if let Some(u) = until { " → " (hm(u)) } ")"
                    },
                    When::Timed { start, end } => {
                        @let at = item.start.map(|s| s.to_rfc3339()).unwrap_or_default();
                        time.cal-time datetime=(at) { (hm(start)) @if let Some(e) = end { "–" (hm(e)) } }
                    },
                }
                " "
                @if !item.kind.is_empty() { span.cal-type { (item.kind) } " " }
                span.cal-subject { @if item.subject.is_empty() { "—" } @else { (item.subject) } }
            }
            @if cal.w.team {
                @if let Some(name) = item.owner.and_then(|o| cal.names.get(&o)) {
                    " " span.cal-owner { (name) }
                }
            }
        }
    }
}

fn entries(cal: &Cal, day: NaiveDate) -> Markup {
    let list = cal.days.get(&day).map(Vec::as_slice).unwrap_or_default();
    html! {
        @if list.is_empty() {
            p.hint.cal-none { (t(cal.v.locale, Msg::UiCalNothing)) }
        } @else {
            ul.cal-items {
                @for (when, item) in list { (entry(cal, *when, item)) }
            }
        }
    }
}

/// A link to one day's own page; `label` names the day in full where the text is short.
fn day_link(cal: &Cal, day: NaiveDate, text: &str, label: Option<String>) -> Markup {
    html! {
        a.cal-daylink href=(href(View::Day, day, cal.w.team))
            aria-label=[label]
            aria-current=[(day == cal.today).then_some("date")] { (text) }
    }
}

fn month(cal: &Cal) -> Markup {
    let locale = cal.v.locale;
    let (first, end) = cal.range;
    let this_month = cal.w.date.month();
    let weeks: Vec<NaiveDate> = first.iter_weeks().take_while(|d| *d < end).collect();
    html! {
        table.cal-month aria-labelledby="cal-title" {
            thead {
                tr {
                    @for d in first.iter_days().take(7) {
                        th scope="col" { (weekday_name(locale, d.weekday())) }
                    }
                }
            }
            tbody {
                @for monday in &weeks {
                    tr {
                        @for d in monday.iter_days().take(7) {
                            @let out = d.month() != this_month;
                            @let empty = cal.days.get(&d).is_none_or(Vec::is_empty);
                            td.cal-day.cal-out[out].cal-today[d == cal.today].cal-empty[empty] {
                                div.cal-dayhead {
                                    (day_link(cal, d, &d.day().to_string(), Some(day_title(locale, d))))
                                    span.cal-wd { (weekday_name(locale, d.weekday())) }
                                }
                                @if !empty { (entries(cal, d)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn week(cal: &Cal) -> Markup {
    let locale = cal.v.locale;
    let (first, _) = cal.range;
    html! {
        div.cal-week {
            @for d in first.iter_days().take(7) {
                section.cal-col.cal-today[d == cal.today] aria-labelledby={ "day-" (d) } {
                    h2 id={ "day-" (d) } {
                        (day_link(cal, d, &format!("{} {}", weekday_name(locale, d.weekday()), d.format("%m-%d")), None))
                    }
                    (entries(cal, d))
                }
            }
        }
    }
}

fn day(cal: &Cal) -> Markup {
    let d = cal.w.date;
    html! {
        section.cal-dayview aria-labelledby="cal-title" {
            (entries(cal, d))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap()
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(
            week_start(d("2026-11-23")),
            d("2026-11-23"),
            "a Monday is its own start"
        );
        assert_eq!(
            week_start(d("2026-11-29")),
            d("2026-11-23"),
            "Sunday ends the week"
        );
        assert_eq!(week_start(d("2026-11-25")), d("2026-11-23"));
        assert_eq!(week_start(d("2027-01-01")), d("2026-12-28"), "across a year end");
        assert_eq!(
            shown_days(View::Week, d("2026-11-26")),
            (d("2026-11-23"), d("2026-11-30"))
        );
        assert_eq!(
            shown_days(View::Day, d("2026-12-31")),
            (d("2026-12-31"), d("2027-01-01"))
        );
    }

    #[test]
    fn a_month_grid_runs_from_the_monday_before_the_first_to_the_sunday_after_the_last() {
        // November 2026 starts on a Sunday: the grid starts six days earlier.
        assert_eq!(
            shown_days(View::Month, d("2026-11-15")),
            (d("2026-10-26"), d("2026-12-07"))
        );
        // February 2021 starts on a Monday and has 28 days: exactly four weeks.
        assert_eq!(
            shown_days(View::Month, d("2021-02-10")),
            (d("2021-02-01"), d("2021-03-01"))
        );
        // Leap February 2028: the 29th is a Tuesday, so the grid ends Sunday 5 March.
        assert_eq!(
            shown_days(View::Month, d("2028-02-29")),
            (d("2028-01-31"), d("2028-03-06"))
        );
        // Non-leap February 2026 ends on a Saturday.
        assert_eq!(
            shown_days(View::Month, d("2026-02-01")),
            (d("2026-01-26"), d("2026-03-02"))
        );
        for day in ["2026-11-15", "2021-02-10", "2028-02-29", "2026-03-31"] {
            let (first, end) = shown_days(View::Month, d(day));
            assert_eq!(first.weekday(), Weekday::Mon);
            assert_eq!((end - first).num_days() % 7, 0, "whole weeks");
        }
    }

    #[test]
    fn previous_and_next_move_by_the_view() {
        assert_eq!(step(View::Day, d("2026-03-01"), false), d("2026-02-28"));
        assert_eq!(step(View::Day, d("2028-02-28"), true), d("2028-02-29"));
        assert_eq!(step(View::Week, d("2026-11-25"), false), d("2026-11-16"));
        assert_eq!(step(View::Week, d("2026-11-25"), true), d("2026-11-30"));
        assert_eq!(step(View::Month, d("2026-03-31"), false), d("2026-02-01"));
        assert_eq!(step(View::Month, d("2026-12-15"), true), d("2027-01-01"));
    }

    #[test]
    fn only_real_dates_in_the_exact_shape_are_read() {
        assert_eq!(parse_day("2028-02-29"), Some(d("2028-02-29")));
        for bad in [
            "2026-13-40",
            "2026-02-29",
            "26-11-23",
            "2026-1-5",
            "2026/11/23",
            "",
            "x",
            "99999-01-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    fn item(subject: &str, start: Option<&str>, end: Option<&str>, due: Option<&str>) -> Item {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Shanghai)
        };
        Item {
            id: Uuid::now_v7(),
            subject: subject.into(),
            kind: String::new(),
            owner: None,
            start: start.map(at),
            end: end.map(at),
            due: due.map(d),
        }
    }

    #[test]
    fn activities_land_on_their_days_in_time_order_and_span_to_their_end() {
        let items = [
            item("late", Some("2026-11-24T15:00:00+08:00"), None, None),
            item(
                "early",
                Some("2026-11-24T09:00:00+08:00"),
                Some("2026-11-24T10:00:00+08:00"),
                None,
            ),
            item("task", None, None, Some("2026-11-24")),
            item(
                "trip",
                Some("2026-11-22T20:00:00+08:00"),
                Some("2026-11-25T12:00:00+08:00"),
                None,
            ),
            item(
                "to midnight",
                Some("2026-11-26T22:00:00+08:00"),
                Some("2026-11-27T00:00:00+08:00"),
                None,
            ),
            item("elsewhere", None, None, Some("2026-12-24")),
        ];
        let days = place(&items, d("2026-11-23"), d("2026-11-30"));
        let on = |day: &str| -> Vec<&str> {
            days.get(&d(day))
                .map(|l| l.iter().map(|(_, i)| i.subject.as_str()).collect())
                .unwrap_or_default()
        };
        assert_eq!(on("2026-11-24"), ["task", "trip", "early", "late"]);
        assert_eq!(on("2026-11-23"), ["trip"], "began before the week, still running");
        assert_eq!(on("2026-11-25"), ["trip"]);
        assert_eq!(on("2026-11-26"), ["to midnight"]);
        assert!(
            on("2026-11-27").is_empty(),
            "an end at midnight stays on the day before"
        );
        assert!(!days.contains_key(&d("2026-11-22")), "outside the shown days");
        let trip_end = days[&d("2026-11-25")][0].0;
        assert_eq!(
            trip_end,
            When::Continued {
                until: NaiveTime::from_hms_opt(12, 0, 0)
            }
        );
    }
}

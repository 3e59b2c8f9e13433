//! A contact's channel preferences and consent on its record page: what they prefer,
//! when and how often they welcome contact, where not at all, their consent log, and for
//! each channel whether they may be contacted right now — with the forms to change it.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveTime;
use guanxi_core::channels::{Limit, Period, Preferences, Window};
use guanxi_core::{FieldDef, FieldError, Locale, Msg};
use guanxi_services::channels::ChannelView;
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::t;
use super::{Viewer, failure, posted_record};

/// The card's data for a contact the viewer may read.
pub(super) async fn card(crm: &Crm, v: &Viewer, contact: Uuid) -> Result<ChannelView, ServiceError> {
    crm.channel_view(&v.actor, contact, crm.now()).await
}

fn channel_field(crm: &Crm) -> Option<FieldDef> {
    crm.schema()
        .object("activity")
        .and_then(|a| a.field("channel").cloned())
}

fn label(field: Option<&FieldDef>, value: &str, locale: Locale) -> String {
    field.map_or_else(
        || value.to_string(),
        |f| f.option_label(value, locale).to_string(),
    )
}

fn windows_text(w: &[Window]) -> String {
    w.iter()
        .map(|w| {
            let days = w.days.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
            format!("{days} {}-{}", w.from.format("%H:%M"), w.to.format("%H:%M"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn limits_text(l: &[Limit]) -> String {
    l.iter()
        .map(|l| {
            let period = match l.period {
                Period::Day => "day",
                Period::Week => "week",
                Period::Month => "month",
            };
            format!("{} {}/{period}", l.channel, l.max)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1-5 09:00-18:00` or `1,3,5 9:00-12:00`: days, then a time range.
fn parse_window(line: &str) -> Option<Window> {
    let (days, hours) = line.trim().split_once(char::is_whitespace)?;
    let mut list = Vec::new();
    for part in days.split([',', '，']) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u8, u8) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                list.extend(a..=b);
            }
            None => list.push(part.trim().parse().ok()?),
        }
    }
    let (from, to) = hours.trim().split_once(['-', '–', '~'])?;
    let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
    Some(Window {
        days: list,
        from: time(from)?,
        to: time(to)?,
    })
}

/// `phone 2/week`.
fn parse_limit(line: &str) -> Option<Limit> {
    let (channel, rest) = line.trim().split_once(char::is_whitespace)?;
    let (max, period) = rest.trim().split_once('/')?;
    let period = match period.trim() {
        "day" | "天" | "日" => Period::Day,
        "week" | "周" | "週" => Period::Week,
        "month" | "月" => Period::Month,
        _ => return None,
    };
    Some(Limit {
        channel: channel.to_string(),
        max: max.trim().parse().ok()?,
        period,
    })
}

/// Lines of a textarea, each parsed; a line that does not parse is an error of `field`
/// naming its number.
fn lines<T>(text: &str, field: &str, parse: fn(&str) -> Option<T>, errors: &mut Vec<FieldError>) -> Vec<T> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match parse(line) {
            Some(x) => out.push(x),
            None => errors.push(FieldError::new(field, Msg::UiLineError).with("line", i + 1)),
        }
    }
    out
}

/// The card on a contact's page.
pub(super) fn render(
    crm: &Crm,
    v: &Viewer,
    contact: Uuid,
    card: &ChannelView,
    errors: &[FieldError],
) -> Markup {
    let locale = v.locale;
    let field = channel_field(crm);
    let field = field.as_ref();
    let name = |c: &str| label(field, c, locale);
    let prefs = &card.prefs;
    let error_of = |f: &str| {
        let found: Vec<String> = errors
            .iter()
            .filter(|e| {
                e.field == f || e.field.starts_with(&format!("{f}[")) || e.field.starts_with(&format!("{f}."))
            })
            .map(|e| match e.msg {
                Msg::UiLineError => Msg::UiLineError.format(
                    locale,
                    &[
                        (
                            "line",
                            e.args
                                .iter()
                                .find(|(k, _)| k == "line")
                                .map_or("", |(_, v)| v.as_str()),
                        ),
                        ("reason", t(locale, Msg::UiBadLine)),
                    ],
                ),
                _ => e.message(locale),
            })
            .collect();
        (!found.is_empty()).then(|| found.join(" "))
    };
    let action = format!("/o/contacts/{contact}/channels");
    let channels: Vec<String> = crm.channels();
    html! {
        section.card.channels aria-labelledby="channels" {
            h2 #channels { (t(locale, Msg::UiChannels)) }
            dl.fields {
                dt { (t(locale, Msg::UiMayContactNow)) }
                dd {
                    ul.plain {
                        @for d in &card.now {
                            li {
                                strong { (name(&d.channel)) } ": "
                                @if d.allowed() {
                                    span.ok { "✓ " (t(locale, Msg::UiAllowed)) }
                                } @else {
                                    span.no {
                                        "✗ "
                                        (d.refusals.iter().map(|r| guanxi_services::channels::refusal_json(r, locale)["message"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join(" "))
                                    }
                                }
                            }
                        }
                    }
                }
                dt { (t(locale, Msg::UiPreferredChannels)) }
                dd { @if prefs.preferred.is_empty() { (t(locale, Msg::UiNone)) } @else { (prefs.preferred.iter().map(|c| name(c)).collect::<Vec<_>>().join(" › ")) } }
                dt { (t(locale, Msg::UiContactWindows)) }
                dd { @if prefs.windows.is_empty() { (t(locale, Msg::UiAnyTime)) } @else { (windows_text(&prefs.windows).replace('\n', "; ")) } @if let Some(z) = &prefs.time_zone { " (" (z) ")" } }
                dt { (t(locale, Msg::UiChannelLimits)) }
                dd { @if prefs.limits.is_empty() { (t(locale, Msg::UiNoLimits)) } @else { (limits_text(&prefs.limits).replace('\n', "; ")) } }
                dt { (t(locale, Msg::UiDoNotContact)) }
                dd { @if prefs.do_not_contact.is_empty() { (t(locale, Msg::UiNone)) } @else { (prefs.do_not_contact.iter().map(|c| name(c)).collect::<Vec<_>>().join(", ")) } }
                dt { (t(locale, Msg::UiConsents)) }
                dd {
                    @if card.consents.is_empty() { (t(locale, Msg::UiNone)) }
                    ul.plain {
                        @for c in card.consents.iter().take(10) {
                            li {
                                (v.fmt().datetime(&c.at)) " · " (name(&c.channel)) " · "
                                (t(locale, if c.granted { Msg::UiConsentGranted } else { Msg::UiConsentWithdrawn }))
                                " · " (c.source)
                            }
                        }
                    }
                }
            }
            details open[!errors.is_empty()] {
                summary { (t(locale, Msg::UiEdit)) }
                form.record-form method="post" action=(action) novalidate {
                    input type="hidden" name="csrf" value=(v.csrf);
                    @let preferred_error = error_of("preferred");
                    div.field {
                        label for="ch-preferred" { (t(locale, Msg::UiPreferredChannels)) }
                        input #ch-preferred type="text" name="preferred" value=(prefs.preferred.join(", "))
                            aria-invalid=[preferred_error.as_ref().map(|_| "true")] aria-describedby="ch-preferred-hint";
                        p.hint #ch-preferred-hint { @if let Some(e) = &preferred_error { span.error { (e) } " " } (channels.join(", ")) }
                    }
                    @for (key, msg, hint, text) in [
                        ("windows", Msg::UiContactWindows, Msg::UiContactWindowsHint, windows_text(&prefs.windows)),
                        ("limits", Msg::UiChannelLimits, Msg::UiChannelLimitsHint, limits_text(&prefs.limits)),
                    ] {
                        @let err = error_of(key);
                        div.field {
                            label for={ "ch-" (key) } { (t(locale, msg)) }
                            textarea id={ "ch-" (key) } name=(key) rows="3" aria-invalid=[err.as_ref().map(|_| "true")]
                                aria-describedby={ "ch-" (key) "-hint" } { (text) }
                            @if let Some(e) = err { p.error id={ "ch-" (key) "-hint" } { (e) } }
                            @else { p.hint id={ "ch-" (key) "-hint" } { (t(locale, hint)) } }
                        }
                    }
                    @let zone_error = error_of("time_zone");
                    div.field {
                        label for="ch-zone" { (t(locale, Msg::UiTimeZone)) }
                        input #ch-zone type="text" name="time_zone" value=(prefs.time_zone.clone().unwrap_or_default())
                            placeholder="Asia/Shanghai" aria-invalid=[zone_error.as_ref().map(|_| "true")];
                        @if let Some(e) = zone_error { p.error { (e) } }
                    }
                    fieldset.field {
                        legend { (t(locale, Msg::UiDoNotContact)) }
                        @for c in &channels {
                            label.check {
                                input type="checkbox" name={ "dnc." (c) } value="true" checked[prefs.do_not_contact.contains(c)];
                                " " (name(c))
                            }
                        }
                    }
                    div.actions { button.primary type="submit" { (t(locale, Msg::UiSave)) } }
                }
                form.inline method="post" action={ "/o/contacts/" (contact) "/consents" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    div.field {
                        label for="consent-channel" { (t(locale, Msg::UiRecordConsent)) }
                        select #consent-channel name="channel" { @for c in &channels { option value=(c) { (name(c)) } } }
                    }
                    div.field {
                        label for="consent-granted" { (t(locale, Msg::UiConsents)) }
                        select #consent-granted name="granted" {
                            option value="true" { (t(locale, Msg::UiConsentGranted)) }
                            option value="false" { (t(locale, Msg::UiConsentWithdrawn)) }
                        }
                    }
                    @let source_error = error_of("source");
                    div.field {
                        label for="consent-source" { (t(locale, Msg::UiConsentSource)) }
                        input #consent-source type="text" name="source" maxlength="200" required
                            aria-invalid=[source_error.as_ref().map(|_| "true")];
                        @if let Some(e) = source_error { p.error { (e) } }
                    }
                    button.primary type="submit" { (t(locale, Msg::UiSave)) }
                }
            }
        }
    }
}

/// `POST /o/contacts/{id}/channels`: the edit form.
pub(super) async fn save(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if object.name != "contact" {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    }
    let text = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut errors = Vec::new();
    let prefs = Preferences {
        preferred: text("preferred")
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        windows: lines(text("windows"), "windows", parse_window, &mut errors),
        time_zone: Some(text("time_zone").trim().to_string()).filter(|z| !z.is_empty()),
        limits: lines(text("limits"), "limits", parse_limit, &mut errors),
        do_not_contact: crm
            .channels()
            .into_iter()
            .filter(|c| form.contains_key(&format!("dnc.{c}")))
            .collect(),
    };
    let result = if errors.is_empty() {
        let input = serde_json::to_value(&prefs).unwrap_or_default();
        crm.set_channel_preferences(&v.actor, id, input).await.map(|_| ())
    } else {
        Err(ServiceError::Validation(errors))
    };
    answer(&crm, &v, id, result).await
}

/// `POST /o/contacts/{id}/consents`.
pub(super) async fn consent(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if object.name != "contact" {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    }
    let text = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let result = crm
        .record_consent(
            &v.actor,
            id,
            text("channel"),
            text("granted") == "true",
            text("source"),
        )
        .await
        .map(|_| ());
    answer(&crm, &v, id, result).await
}

/// Back to the contact's card when saved; the page with the problems beside their inputs
/// otherwise.
async fn answer(crm: &Crm, v: &Viewer, id: Uuid, result: Result<(), ServiceError>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/o/contacts/{id}#channels")).into_response(),
        Err(ServiceError::Validation(errors)) => {
            let mut res = super::record::page_with_channel_errors(crm, v, id, errors).await;
            if res.status() == StatusCode::OK {
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            res
        }
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_limits_read_as_people_write_them() {
        let w = parse_window("1-5 09:00-18:00").unwrap();
        assert_eq!(w.days, vec![1, 2, 3, 4, 5]);
        assert_eq!(windows_text(std::slice::from_ref(&w)), "1,2,3,4,5 09:00-18:00");
        assert_eq!(parse_window("6,7 10:00~12:30").unwrap().days, vec![6, 7]);
        assert!(parse_window("weekdays 9-5").is_none());
        let l = parse_limit("phone 2/week").unwrap();
        assert_eq!((l.channel.as_str(), l.max, l.period), ("phone", 2, Period::Week));
        assert_eq!(parse_limit("wechat 1/天").unwrap().period, Period::Day);
        assert!(parse_limit("phone twice").is_none());
        let mut errors = Vec::new();
        let parsed = lines("phone 2/week\n\nsms lots\n", "limits", parse_limit, &mut errors);
        assert_eq!(parsed.len(), 1);
        assert_eq!(errors[0].field, "limits");
        assert_eq!(errors[0].args, vec![("line".to_string(), "3".to_string())]);
    }
}

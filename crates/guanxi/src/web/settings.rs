//! The signed-in user's own settings: language, time zone, the currency new amounts are
//! entered in, and their password.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};

use super::pages::{layout, t};
use super::{Viewer, failure, html, signed_in};

/// Zones offered first; any other IANA name can be typed.
const ZONES: [&str; 22] = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Urumqi",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

const CURRENCIES: [&str; 10] = [
    "CNY", "HKD", "MOP", "TWD", "USD", "EUR", "GBP", "JPY", "SGD", "KRW",
];

/// What went wrong, or what was done.
#[derive(Default)]
struct Shown {
    errors: Vec<FieldError>,
    notice: Option<Msg>,
}

pub(super) async fn page(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    html(StatusCode::OK, render(&v, &current(&v), &Shown::default()))
}

fn current(v: &Viewer) -> HashMap<String, String> {
    HashMap::from([
        ("locale".to_string(), v.actor.locale.tag().to_string()),
        ("time_zone".to_string(), v.actor.time_zone.clone()),
        ("currency".to_string(), v.actor.currency.clone()),
    ])
}

pub(super) async fn save(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match crm
        .update_settings(&v.actor, get("locale"), get("time_zone"), get("currency"))
        .await
    {
        Ok(()) => {
            // The page follows at once: the new language (also for this browser) and zone.
            let mut actor = v.actor.clone();
            actor.locale = Locale::from_tag(get("locale")).unwrap_or(actor.locale);
            actor.time_zone = get("time_zone").trim().to_string();
            actor.currency = get("currency").trim().to_ascii_uppercase();
            let now = Viewer {
                locale: actor.locale,
                tz: actor.time_zone.parse().unwrap_or(v.tz),
                actor,
                session: v.session,
                csrf: v.csrf.clone(),
                unread: v.unread,
            };
            let shown = Shown {
                notice: Some(Msg::UiSettingsSaved),
                ..Shown::default()
            };
            let mut res = html(StatusCode::OK, render(&now, &current(&now), &shown));
            super::remember_language(&mut res, now.locale);
            res
        }
        Err(ServiceError::Validation(errors)) => {
            let shown = Shown { errors, notice: None };
            html(StatusCode::UNPROCESSABLE_ENTITY, render(&v, &form, &shown))
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn password(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match crm
        .change_password(
            &v.actor,
            get("current"),
            get("new"),
            get("repeat"),
            Some(v.session),
        )
        .await
    {
        Ok(()) => {
            let shown = Shown {
                notice: Some(Msg::UiPasswordChanged),
                ..Shown::default()
            };
            html(StatusCode::OK, render(&v, &current(&v), &shown))
        }
        Err(ServiceError::Validation(errors)) => {
            // Passwords are never echoed back.
            let shown = Shown {
                errors,
                ..Shown::default()
            };
            html(StatusCode::UNPROCESSABLE_ENTITY, render(&v, &current(&v), &shown))
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn render(v: &Viewer, values: &HashMap<String, String>, shown: &Shown) -> Markup {
    let locale = v.locale;
    let title = t(locale, Msg::UiSettings);
    let value = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let error = |k: &str| {
        shown
            .errors
            .iter()
            .find(|e| e.field == k)
            .map(|e| e.message(locale))
    };
    let zone = value("time_zone");
    let currency = value("currency");
    let field = |name: &str, label: Msg, control: Markup, hint: Option<Msg>| {
        let err = error(name);
        html! {
            div.field {
                label for={ "s-" (name) } { (t(locale, label)) }
                (control)
                @if let Some(e) = err {
                    p.error id={ "s-" (name) "-error" } { (e) }
                } @else if let Some(h) = hint {
                    p.hint { (t(locale, h)) }
                }
            }
        }
    };
    let invalid = |name: &str| error(name).map(|_| "true");
    let described = |name: &str| error(name).map(|_| format!("s-{name}-error"));
    let content = html! {
        h1 { (title) }
        @if let Some(n) = shown.notice {
            p.status role="status" { (t(locale, n)) }
        }
        form.card.record-form method="post" action="/settings" novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            (field("locale", Msg::UiLanguage, html! {
                select #s-locale name="locale" aria-invalid=[invalid("locale")] aria-describedby=[described("locale")] {
                    @for (l, name) in super::pages::LANGS {
                        option value=(l.tag()) selected[value("locale") == l.tag()] { (name) }
                    }
                }
            }, None))
            (field("time_zone", Msg::UiTimeZone, html! {
                input #s-time_zone type="text" name="time_zone" value=(zone) list="zones" autocomplete="off"
                    aria-invalid=[invalid("time_zone")] aria-describedby=[described("time_zone")];
                datalist #zones { @for z in ZONES { option value=(z) {} } }
            }, Some(Msg::UiTimeZoneHint)))
            (field("currency", Msg::UiDefaultCurrency, html! {
                input #s-currency type="text" name="currency" value=(currency) list="currencies" maxlength="3"
                    autocomplete="off" aria-invalid=[invalid("currency")] aria-describedby=[described("currency")];
                datalist #currencies { @for c in CURRENCIES { option value=(c) {} } }
            }, None))
            div.actions { button.primary type="submit" { (t(locale, Msg::UiSave)) } }
        }
        h2 { (t(locale, Msg::UiChangePassword)) }
        form.card.record-form method="post" action="/settings/password" novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            @for (name, label, auto) in [
                ("current", Msg::UiCurrentPassword, "current-password"),
                ("new", Msg::UiNewPassword, "new-password"),
                ("repeat", Msg::UiRepeatPassword, "new-password"),
            ] {
                (field(name, label, html! {
                    input id={ "s-" (name) } type="password" name=(name) autocomplete=(auto)
                        aria-invalid=[invalid(name)] aria-describedby=[described(name)];
                }, None))
            }
            div.actions { button.primary type="submit" { (t(locale, Msg::UiChangePassword)) } }
        }
    };
    layout(locale, Some(v), None, None, "/settings", title, content)
}

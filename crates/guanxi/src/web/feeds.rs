//! Calendar feeds in the browser: the public feed address (`/ical/{secret}.ics`, read by
//! calendar apps without signing in), and the page where a user makes a feed link for
//! their activities or their team's — shown once — and revokes old ones.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::Msg;
use guanxi_services::calendar::{Feed, Scope, parse_scope};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{layout, t};
use super::{Viewer, failure, html, signed_in, signed_in_form};

const HERE: &str = "/calendar/feeds";

/// `GET /ical/{secret}.ics`: the feed, or 404 for an unknown or revoked link.
pub(super) async fn public(State(crm): State<Crm>, Path(file): Path<String>) -> Response {
    let Some(secret) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match crm.calendar_feed(secret).await {
        Ok(text) => crate::api::calendar::ics(text),
        Err(ServiceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn scope_label(scope: Scope) -> Msg {
    match scope {
        Scope::Mine => Msg::UiFeedMine,
        Scope::Team => Msg::UiFeedTeam,
    }
}

fn page(v: &Viewer, feeds: &[Feed], made: Option<&str>) -> Markup {
    let l = v.locale;
    let title = t(l, Msg::UiCalendarFeeds);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiCalendarFeedsHint)) }
        @if let Some(url) = made {
            div.card role="status" {
                p { (t(l, Msg::UiFeedCreated)) }
                p { code.feed-url { (url) } }
            }
        }
        @if !feeds.is_empty() {
            table.data {
                tbody {
                    @for f in feeds {
                        tr {
                            td { (t(l, scope_label(f.scope))) }
                            td { time datetime=(f.created_at.to_rfc3339()) { (v.fmt().datetime(&f.created_at)) } }
                            td {
                                form method="post" action={ (HERE) "/" (f.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    button.secondary type="submit" { (t(l, Msg::UiFeedRevoke)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.card.row-form method="post" action=(HERE) {
            input type="hidden" name="csrf" value=(v.csrf);
            div.field {
                label for="scope" { (t(l, Msg::UiCalendarFeeds)) }
                select #scope name="scope" {
                    option value="mine" { (t(l, Msg::UiFeedMine)) }
                    option value="team" { (t(l, Msg::UiFeedTeam)) }
                }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiFeedCreate)) } }
        }
    };
    layout(l, Some(v), None, None, HERE, title, content)
}

pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crm.calendar_feeds(&v.actor).await {
        Ok(feeds) => html(StatusCode::OK, page(&v, &feeds, None)),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn create(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let v = match signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let scope = parse_scope(form.get("scope").map(String::as_str)).unwrap_or(Scope::Mine);
    let made = match crm.create_calendar_feed(&v.actor, scope).await {
        Ok((_, secret)) => crate::api::calendar::feed_url(&headers, &secret),
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    match crm.calendar_feeds(&v.actor).await {
        Ok(feeds) => html(StatusCode::OK, page(&v, &feeds, Some(&made))),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn revoke(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let v = match signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.revoke_calendar_feed(&v.actor, id).await {
        Ok(()) => Redirect::to(HERE).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! The knowledge base as readers see it (`/kb`): published articles found with the
//! Chinese-aware search, each with "was this helpful?". Anyone sees the public articles in
//! their language; a signed-in colleague also sees the internal ones, in any language.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::Msg;
use guanxi_core::access::UserKind;
use guanxi_services::knowledge::{ARTICLE, Published};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::pages::{self, t};
use super::{Viewer, html};

const HERE: &str = "/kb";
const SHOWN: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Params {
    q: Option<String>,
    thanks: Option<String>,
}

/// The signed-in colleague reading, if any (customers read as anyone does).
async fn colleague(crm: &Crm, headers: &HeaderMap) -> Option<Viewer> {
    match super::viewer(crm, headers).await {
        Ok(Some(v)) if v.actor.kind == UserKind::Internal => Some(v),
        _ => None,
    }
}

fn frame(crm: &Crm, v: Option<&Viewer>, headers: &HeaderMap, title: &str, content: Markup) -> Markup {
    let locale = v.map_or_else(|| super::page_locale(headers, None), |v| v.locale);
    let schema = crm.schema();
    pages::layout(locale, v, v.map(|_| schema.as_ref()), None, HERE, title, content)
}

fn label(crm: &Crm, field: &str, value: &str, locale: guanxi_core::Locale) -> String {
    crm.schema()
        .object(ARTICLE)
        .and_then(|o| o.field(field).map(|f| f.option_label(value, locale).to_string()))
        .unwrap_or_else(|| value.to_string())
}

pub(super) async fn index(State(crm): State<Crm>, headers: HeaderMap, Query(p): Query<Params>) -> Response {
    let v = colleague(&crm, &headers).await;
    let locale = v
        .as_ref()
        .map_or_else(|| super::page_locale(&headers, None), |v| v.locale);
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    let found = match (&v, q.is_empty()) {
        (Some(v), false) => crm.find_articles(&v.actor, q, SHOWN).await,
        (Some(_), true) | (None, _) => {
            crm.public_articles(Some(q).filter(|q| !q.is_empty()), locale.tag(), SHOWN)
                .await
        }
    };
    let (articles, error) = match found {
        Ok(a) => (a, None),
        Err(ServiceError::Validation(e)) => (Vec::new(), e.into_iter().next()),
        Err(e) => return super::failure(e, locale, v.as_ref()),
    };
    let content = html! {
        h1 { (t(locale, Msg::UiKnowledgeBase)) }
        form.filter method="get" action=(HERE) role="search" {
            div.field {
                label for="kb-q" { (t(locale, Msg::UiKnowledgeSearch)) }
                input id="kb-q" type="search" name="q" value=(q) maxlength="200"
                    aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| "kb-q-error")];
                @if let Some(e) = &error { p.error id="kb-q-error" { (e.message(locale)) } }
            }
            button.primary type="submit" { (t(locale, Msg::UiSearch)) }
        }
        @if articles.is_empty() {
            p.hint { (t(locale, Msg::UiKnowledgeNone)) }
        } @else {
            ul.articles {
                @for a in &articles {
                    li {
                        a href={ (HERE) "/" (a.id) } { (a.title) }
                        @if a.visibility != "public" { " " span.tag { (label(&crm, "visibility", &a.visibility, locale)) } }
                        @if !a.category.is_empty() { " " span.hint { (label(&crm, "category", &a.category, locale)) } }
                        @if !a.summary.is_empty() { p { (a.summary) } }
                    }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(
        status,
        frame(
            &crm,
            v.as_ref(),
            &headers,
            t(locale, Msg::UiKnowledgeBase),
            content,
        ),
    )
}

fn article_page(
    crm: &Crm,
    v: Option<&Viewer>,
    headers: &HeaderMap,
    a: &Published,
    notice: Option<Msg>,
) -> Markup {
    let locale = v.map_or_else(|| super::page_locale(headers, None), |v| v.locale);
    let when = a
        .published_at
        .map(|t| {
            t.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    let content = html! {
        p { a href=(HERE) { "← " (t(locale, Msg::UiKnowledgeBase)) } }
        article.card.kb-article {
            h1 { (a.title) }
            p.hint {
                (Msg::UiArticleVersion.format(locale, &[("version", &a.revision.to_string()), ("date", &when)]))
                @if a.visibility != "public" { " · " span.tag { (label(crm, "visibility", &a.visibility, locale)) } }
            }
            @if !a.summary.is_empty() { p.summary { strong { (a.summary) } } }
            @for para in a.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
                p {
                    @for (i, line) in para.lines().enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                }
            }
        }
        section.card.kb-feedback aria-labelledby="kb-helpful" {
            h2 #kb-helpful { (t(locale, Msg::UiArticleHelpful)) }
            @if let Some(m) = notice {
                p.notice role="status" { (t(locale, m)) }
            } @else {
                form.inline method="post" action={ (HERE) "/" (a.id) "/feedback" } {
                    @if let Some(v) = v { input type="hidden" name="csrf" value=(v.csrf); }
                    button.secondary type="submit" name="helpful" value="yes" { (t(locale, Msg::UiYes)) }
                    " "
                    button.secondary type="submit" name="helpful" value="no" { (t(locale, Msg::UiNo)) }
                }
            }
            p.hint { (Msg::UiArticleHelpfulCounts.format(locale, &[("yes", &a.helpful_yes.to_string()), ("no", &a.helpful_no.to_string())])) }
        }
    };
    frame(crm, v, headers, &a.title, content)
}

async fn read(crm: &Crm, v: Option<&Viewer>, id: Uuid) -> Result<Published, ServiceError> {
    match v {
        Some(v) => crm.read_article(&v.actor, id).await,
        None => crm.public_article(id).await,
    }
}

pub(super) async fn show(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    let v = colleague(&crm, &headers).await;
    let locale = v
        .as_ref()
        .map_or_else(|| super::page_locale(&headers, None), |v| v.locale);
    let Ok(id) = Uuid::parse_str(&id) else {
        return super::failure(ServiceError::NotFound, locale, v.as_ref());
    };
    match read(&crm, v.as_ref(), id).await {
        Ok(a) => {
            let notice = p.thanks.is_some().then_some(Msg::UiArticleThanks);
            html(
                StatusCode::OK,
                article_page(&crm, v.as_ref(), &headers, &a, notice),
            )
        }
        Err(e) => super::failure(e, locale, v.as_ref()),
    }
}

pub(super) async fn feedback(
    State(crm): State<Crm>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let v = colleague(&crm, &headers).await;
    let locale = v
        .as_ref()
        .map_or_else(|| super::page_locale(&headers, None), |v| v.locale);
    // A colleague's vote carries their session's CSRF token.
    if let Some(v) = &v
        && !super::csrf_ok(v, &form)
    {
        return super::csrf_refused(v);
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return super::failure(ServiceError::NotFound, locale, v.as_ref());
    };
    let helpful = match form.get("helpful").map(String::as_str) {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return super::failure(
                ServiceError::field("helpful", Msg::NotInPicklist),
                locale,
                v.as_ref(),
            );
        }
    };
    let address = peer.ip().to_string();
    match crm
        .article_feedback(v.as_ref().map(|v| &v.actor), id, helpful, &address)
        .await
    {
        Ok(_) => Redirect::to(&format!("{HERE}/{id}?thanks=1")).into_response(),
        Err(ServiceError::TooManyAttempts { .. }) => match read(&crm, v.as_ref(), id).await {
            Ok(a) => html(
                StatusCode::TOO_MANY_REQUESTS,
                article_page(&crm, v.as_ref(), &headers, &a, Some(Msg::UiArticleAlreadyRated)),
            ),
            Err(e) => super::failure(e, locale, v.as_ref()),
        },
        Err(e) => super::failure(e, locale, v.as_ref()),
    }
}

//! The search page (`/search?q=`): works without JavaScript; the header's search box
//! submits to it, and app.js shows the same service's answers as the user types.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::{FieldError, Msg};
use guanxi_services::search::SearchResult;
use guanxi_services::{Crm, ServiceError};
use maud::html;
use serde::Deserialize;

use super::pages::{self, t};
use super::{failure, html as page, signed_in};

/// Results on the page (the box shows fewer).
const PAGE_LIMIT: usize = 50;

#[derive(Debug, Deserialize)]
pub(super) struct SearchPageParams {
    q: Option<String>,
    object: Option<String>,
}

pub(super) async fn search_page(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Query(params): Query<SearchPageParams>,
) -> Response {
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let locale = v.locale;
    let q = params.q.unwrap_or_default();
    let object = params.object.filter(|o| !o.trim().is_empty());
    let (results, error): (Vec<SearchResult>, Option<FieldError>) = if q.trim().is_empty() {
        (Vec::new(), None)
    } else {
        match crm
            .search(&v.actor, &q, object.as_deref(), Some(PAGE_LIMIT))
            .await
        {
            Ok(r) => (r, None),
            Err(ServiceError::Validation(mut errors)) if !errors.is_empty() => {
                (Vec::new(), Some(errors.remove(0)))
            }
            Err(e) => return failure(e, locale, Some(&v)),
        }
    };
    let accounts: Vec<uuid::Uuid> = results
        .iter()
        .filter(|r| r.object == "accounts")
        .map(|r| r.id)
        .collect();
    let tiers = super::tier_labels(&crm, &v, &accounts).await;
    let schema = crm.schema();
    let title = if q.trim().is_empty() {
        t(locale, Msg::UiSearch).to_string()
    } else {
        Msg::UiSearchResults.format(locale, &[("q", q.trim())])
    };
    let content = html! {
        h1 { (title) }
        form.search-page role="search" method="get" action="/search" {
            div.field {
                label for="search-q" { (t(locale, Msg::UiSearch)) }
                input #search-q type="search" name="q" value=(q) maxlength="200"
                    placeholder=(t(locale, Msg::UiSearchPlaceholder))
                    aria-describedby=(if error.is_some() { "search-error" } else { "search-hint" })
                    aria-invalid=[error.as_ref().map(|_| "true")];
                @if let Some(e) = &error {
                    p.error #search-error role="alert" { (e.message(locale)) }
                } @else {
                    p.hint #search-hint { (t(locale, Msg::UiSearchHint)) }
                }
            }
            @if let Some(o) = &object {
                input type="hidden" name="object" value=(o);
            }
            button.primary type="submit" { (t(locale, Msg::UiSearch)) }
        }
        @if !q.trim().is_empty() && error.is_none() {
            @if results.is_empty() {
                p.empty { (Msg::UiSearchNothing.format(locale, &[("q", q.trim())])) }
            } @else {
                ol.search-results-page {
                    @for r in &results {
                        li {
                            a href={ "/o/" (r.object) "/" (r.id) } { (r.name) }
                            @if let Some(tier) = tiers.get(&r.id) { " " span.tier { (tier) } }
                            " "
                            span.kind {
                                (schema.by_plural(&r.object).map(|o| o.label.get(locale).to_string()).unwrap_or_else(|| r.object.clone()))
                            }
                            @if let Some(s) = &r.secondary {
                                " "
                                span.secondary { (s) }
                            }
                        }
                    }
                }
            }
        }
    };
    let here = format!("/search?q={}", pages::enc(&q));
    page(
        StatusCode::OK,
        pages::layout(locale, Some(&v), Some(&schema), None, &here, &title, content),
    )
}

//! Product ratings in the portal community (`/portal/community/products`): the products
//! customers may rate, and for each its average, its reviews and the customer's own
//! rating form (rating again changes their review).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg};
use guanxi_services::reviews::{ProductRatings, REVIEW};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{field_value, t};
use super::portal::{customer, form_json, frame, posted, shown};
use super::{Viewer, failure, html};

const HERE: &str = "/portal/community/products";
type FormMap = std::collections::HashMap<String, String>;

/// "★★★★☆" for four stars.
pub(super) fn stars(n: i64) -> String {
    let n = n.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// The average in stars and words, for the community's product page and the staff's.
pub(super) fn rating_summary(v: &Viewer, r: &ProductRatings) -> Markup {
    html! {
        p.rating-summary {
            @if let Some(avg) = r.average {
                span.stars aria-hidden="true" { (stars(avg.round().try_into().unwrap_or(0))) } " "
            }
            (summary(v, r))
        }
    }
}

/// "4.33 of 5 from 3 reviews", or that there are none yet.
fn summary(v: &Viewer, r: &ProductRatings) -> String {
    match r.average {
        Some(avg) => Msg::UiRatingSummary.format(
            v.locale,
            &[
                ("average", &avg.normalize().to_string()),
                ("count", &r.count.to_string()),
            ],
        ),
        None => t(v.locale, Msg::UiNoReviews).to_string(),
    }
}

fn rating_of(crm: &Crm, r: &Record) -> i64 {
    crm.schema()
        .object(REVIEW)
        .and_then(|o| match field_value(o, r, "rating") {
            Value::Int(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0)
}

pub(super) async fn index(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let products = match crm.rateable_products(&v.actor).await {
        Ok(p) => p,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let content = html! {
        p { a href="/portal/community" { "← " (t(l, Msg::UiCommunity)) } }
        h1 { (t(l, Msg::UiCommunityProducts)) }
        @if products.is_empty() { p.hint { (t(l, Msg::UiPortalNone)) } }
        ul.articles {
            @for p in &products {
                @if let Some(id) = p.id() {
                    li {
                        a href={ (HERE) "/" (id) } { (shown(&crm, &v, "product", p, "name")) }
                        @let spec = shown(&crm, &v, "product", p, "specification");
                        @if !spec.is_empty() { " " span.hint { (spec) } }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        frame(Some(&v), l, t(l, Msg::UiCommunityProducts), content),
    )
}

fn product_page(crm: &Crm, v: &Viewer, r: &ProductRatings, form: &FormMap, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let id = r.product.id().unwrap_or_default();
    let mine = |k: &str| {
        form.get(k).cloned().unwrap_or_else(|| match &r.mine {
            Some(m) if k == "rating" => rating_of(crm, m).to_string(),
            Some(m) => shown(crm, v, REVIEW, m, k),
            None => String::new(),
        })
    };
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let field_label = |k: &str| {
        crm.schema()
            .object(REVIEW)
            .and_then(|o| o.field(k).map(|f| f.label.get(l).to_string()))
            .unwrap_or_else(|| k.to_string())
    };
    let chosen = mine("rating");
    let name = shown(crm, v, "product", &r.product, "name");
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiCommunityProducts)) } }
        h1 { (name) }
        (rating_summary(v, r))
        section.card aria-labelledby="rate" {
            h2 #rate { (t(l, if r.mine.is_some() { Msg::UiYourReview } else { Msg::UiRateProduct })) }
            @for e in errors.iter().filter(|e| !["rating", "title", "body"].contains(&e.field.as_str())) {
                p.error role="alert" { (e.message(l)) }
            }
            form.admin-form method="post" action={ (HERE) "/" (id) "/rate" } novalidate {
                input type="hidden" name="csrf" value=(v.csrf);
                fieldset.stars-choice aria-describedby=[error("rating").map(|_| "rating-error")] {
                    legend { (t(l, Msg::UiStars)) }
                    @for n in (1..=5).rev() {
                        @let key = format!("rating-{n}");
                        input id=(key) type="radio" name="rating" value=(n) checked[chosen == n.to_string()];
                        label for=(key) { (stars(n)) span.visually-hidden { " " (n) } }
                    }
                    @if let Some(e) = error("rating") { p.error #rating-error { (e.message(l)) } }
                }
                div.field {
                    label for="review-title" { (field_label("title")) }
                    input #review-title type="text" name="title" maxlength="120" value=(mine("title"))
                        aria-invalid=[error("title").map(|_| "true")] aria-describedby=[error("title").map(|_| "review-title-error")];
                    @if let Some(e) = error("title") { p.error #review-title-error { (e.message(l)) } }
                }
                div.field.wide {
                    label for="review-body" { (field_label("body")) }
                    textarea #review-body name="body" rows="4" { (mine("body")) }
                }
                div.actions { button.primary type="submit" { (t(l, Msg::UiWebFormSend)) } }
            }
        }
        section.card aria-labelledby="reviews" {
            h2 #reviews { (t(l, Msg::UiProductRatings)) }
            @if r.reviews.is_empty() { p.hint { (t(l, Msg::UiNoReviews)) } }
            ol.messages {
                @for rev in &r.reviews {
                    li.from-customer {
                        p.hint {
                            span.stars aria-label=(rating_of(crm, rev).to_string()) { (stars(rating_of(crm, rev))) }
                            " " (shown(crm, v, REVIEW, rev, "author_name")) " · " (shown(crm, v, REVIEW, rev, "created_at"))
                        }
                        p { strong { (shown(crm, v, REVIEW, rev, "title")) } }
                        p { (shown(crm, v, REVIEW, rev, "body")) }
                    }
                }
            }
        }
    };
    frame(Some(v), l, &name, content)
}

pub(super) async fn product(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.product_ratings(&v.actor, id).await {
        Ok(r) => html(StatusCode::OK, product_page(&crm, &v, &r, &FormMap::new(), &[])),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

pub(super) async fn rate(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let input = form_json(&form, &["rating", "title", "body"]);
    match crm.rate_product(&v.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("{HERE}/{id}")).into_response(),
        Err(ServiceError::Validation(errors)) => match crm.product_ratings(&v.actor, id).await {
            Ok(r) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                product_page(&crm, &v, &r, &form, &errors),
            ),
            Err(e) => failure(e, v.locale, Some(&v)),
        },
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

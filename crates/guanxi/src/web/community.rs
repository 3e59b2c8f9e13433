//! The customer community in the portal (`/portal/community`): posts the customer may
//! see, found by the search; asking and sharing; replying, recommending (one vote each),
//! following, accepting an answer. Colleagues moderate on the staff pages and turn an
//! accepted answer into a knowledge article from the post's page.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg};
use guanxi_services::community::{POST, REPLY, Thread};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::pages::{field_value, t};
use super::portal::{customer, form_json, frame, posted, reply_form, shown};
use super::{Viewer, failure, html};

const HERE: &str = "/portal/community";
type FormMap = std::collections::HashMap<String, String>;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Params {
    q: Option<String>,
}

fn choices(crm: &Crm, v: &Viewer, field: &str) -> (String, Vec<(String, String)>) {
    let f = crm.schema().object(POST).and_then(|o| o.field(field).cloned());
    let label = f
        .as_ref()
        .map_or_else(|| field.to_string(), |f| f.label.get(v.locale).to_string());
    let options = f
        .iter()
        .flat_map(|f| f.options.iter().filter(|o| o.active))
        .map(|o| (o.value.clone(), o.label.get(v.locale).to_string()))
        .collect();
    (label, options)
}

pub(super) async fn index(State(crm): State<Crm>, headers: HeaderMap, Query(p): Query<Params>) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    let (posts, error) = match crm.community_posts(&v.actor, Some(q)).await {
        Ok(p) => (p, None),
        Err(ServiceError::Validation(e)) => (Vec::new(), e.into_iter().next()),
        Err(e) => return failure(e, l, Some(&v)),
    };
    let content = html! {
        p { a href="/portal" { "← " (t(l, Msg::UiPortal)) } }
        h1 { (t(l, Msg::UiCommunity)) }
        p {
            a.button.primary href={ (HERE) "/new" } { (t(l, Msg::UiCommunityNewPost)) }
            " " a href={ (HERE) "/products" } { (t(l, Msg::UiCommunityProducts)) " · " (t(l, Msg::UiProductRatings)) }
        }
        form.filter method="get" action=(HERE) role="search" {
            div.field {
                label for="community-q" { (t(l, Msg::UiSearch)) }
                input #community-q type="search" name="q" value=(q) maxlength="200"
                    aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| "community-q-error")];
                @if let Some(e) = &error { p.error #community-q-error { (e.message(l)) } }
            }
            button.primary type="submit" { (t(l, Msg::UiSearch)) }
        }
        @if posts.is_empty() { p.hint { (t(l, Msg::UiPortalNone)) } }
        ul.articles {
            @for p in &posts {
                @if let Some(id) = p.id() {
                    li {
                        a href={ (HERE) "/" (id) } { (shown(&crm, &v, POST, p, "title")) }
                        " " span.tag { (shown(&crm, &v, POST, p, "kind")) }
                        " " span.hint { (shown(&crm, &v, POST, p, "author_name")) " · " (Msg::UiCommunityVotes.format(l, &[("n", &shown(&crm, &v, POST, p, "votes"))])) }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        frame(Some(&v), l, t(l, Msg::UiCommunity), content),
    )
}

fn new_page(crm: &Crm, v: &Viewer, form: &FormMap, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let value = |k: &str| form.get(k).cloned().unwrap_or_default();
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let label = |k: &str| {
        crm.schema()
            .object(POST)
            .and_then(|o| o.field(k).map(|f| f.label.get(l).to_string()))
            .unwrap_or_default()
    };
    let select = |k: &str| {
        let (label, options) = choices(crm, v, k);
        html! {
            div.field {
                label for=(k) { (label) }
                select id=(k) name=(k) {
                    @for (val, text) in &options { option value=(val) selected[value(k) == *val] { (text) } }
                }
            }
        }
    };
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiCommunity)) } }
        h1 { (t(l, Msg::UiCommunityNewPost)) }
        @if !errors.is_empty() { p.error role="alert" { (t(l, Msg::UiFixErrors)) } }
        form.card.admin-form.web-form method="post" action=(HERE) novalidate {
            input type="hidden" name="csrf" value=(v.csrf);
            (select("kind"))
            (select("visibility"))
            @for (k, long) in [("title", false), ("body", true)] {
                div.field.wide {
                    label for=(k) { (label(k)) " *" }
                    @if long {
                        textarea id=(k) name=(k) rows="6" aria-invalid=[error(k).map(|_| "true")] aria-describedby=[error(k).map(|_| format!("{k}-error"))] { (value(k)) }
                    } @else {
                        input id=(k) name=(k) type="text" maxlength="200" value=(value(k)) aria-invalid=[error(k).map(|_| "true")] aria-describedby=[error(k).map(|_| format!("{k}-error"))];
                    }
                    @if let Some(e) = error(k) { p.error id={ (k) "-error" } { (e.message(l)) } }
                }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiWebFormSend)) } }
        }
    };
    frame(Some(v), l, t(l, Msg::UiCommunityNewPost), content)
}

pub(super) async fn new_post(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    match customer(&crm, &headers).await {
        Ok(v) => html(StatusCode::OK, new_page(&crm, &v, &FormMap::new(), &[])),
        Err(r) => r,
    }
}

pub(super) async fn create(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let input = form_json(&form, &["title", "body", "kind", "visibility"]);
    match crm.post_to_community(&v.actor, &input).await {
        Ok(r) => Redirect::to(&format!("{HERE}/{}", r.id().unwrap_or_default())).into_response(),
        Err(ServiceError::Validation(errors)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(&crm, &v, &form, &errors),
        ),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn vote_button(v: &Viewer, action: &str, votes: &str) -> Markup {
    let l = v.locale;
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(v.csrf);
            button.secondary type="submit" { (t(l, Msg::UiCommunityRecommend)) " · " (votes) }
        }
    }
}

fn thread_page(crm: &Crm, v: &Viewer, thread: &Thread, reply: &str, errors: &[FieldError]) -> Markup {
    let l = v.locale;
    let p = &thread.post;
    let id = p.id().unwrap_or_default();
    let schema = crm.schema();
    let accepted = schema
        .object(POST)
        .and_then(|o| match field_value(o, p, "accepted_reply") {
            Value::Uuid(r) => Some(*r),
            _ => None,
        });
    let from_staff = |r: &Record| {
        schema
            .object(REPLY)
            .is_some_and(|o| matches!(field_value(o, r, "from_staff"), Value::Bool(true)))
    };
    let votes = |object: &str, r: &Record| {
        let n = shown(crm, v, object, r, "votes");
        if n.is_empty() { "0".to_string() } else { n }
    };
    let error = errors.iter().find(|e| e.field == "body");
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiCommunity)) } }
        article.card {
            h1 { (shown(crm, v, POST, p, "title")) }
            p.hint { span.tag { (shown(crm, v, POST, p, "kind")) } " " (shown(crm, v, POST, p, "author_name")) " · " (shown(crm, v, POST, p, "created_at")) }
            @if let Some(Value::Uuid(product)) = schema.object(POST).map(|o| field_value(o, p, "product")) {
                p { a href={ (HERE) "/products/" (product) } { (t(l, Msg::UiProductRatings)) } }
            }
            p { (shown(crm, v, POST, p, "body")) }
            div.actions {
                (vote_button(v, &format!("{HERE}/{id}/vote"), &votes(POST, p)))
                form.inline method="post" action={ (HERE) "/" (id) "/follow" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    input type="hidden" name="on" value=(if thread.following { "0" } else { "1" });
                    button.secondary type="submit" { (t(l, if thread.following { Msg::UiCommunityUnfollow } else { Msg::UiCommunityFollow })) }
                }
            }
        }
        section.card aria-labelledby="replies" {
            h2 #replies { (t(l, Msg::UiCommunityReplies)) }
            ol.messages {
                @for r in &thread.replies {
                    @let rid = r.id().unwrap_or_default();
                    li class=(if from_staff(r) { "from-us" } else { "from-customer" }) {
                        p.hint {
                            (shown(crm, v, REPLY, r, "author_name"))
                            @if from_staff(r) { " · " span.tag { (t(l, Msg::UiPortalFromUs)) } }
                            @if accepted == Some(rid) { " · " span.tag.accepted { (t(l, Msg::UiCommunityAccepted)) } }
                        }
                        p { (shown(crm, v, REPLY, r, "body")) }
                        div.actions {
                            (vote_button(v, &format!("{HERE}/replies/{rid}/vote"), &votes(REPLY, r)))
                            @if thread.may_accept && accepted != Some(rid) {
                                form.inline method="post" action={ (HERE) "/" (id) "/accept" } {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    input type="hidden" name="reply" value=(rid);
                                    button.secondary type="submit" { (t(l, Msg::UiCommunityAccept)) }
                                }
                            }
                        }
                    }
                }
            }
            (reply_form(v, &format!("{HERE}/{id}/reply"), reply, error))
        }
    };
    frame(Some(v), l, &shown(crm, v, POST, p, "title"), content)
}

pub(super) async fn thread(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let v = match customer(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = Uuid::parse_str(&id).ok() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.community_thread(&v.actor, id).await {
        Ok(t) => html(StatusCode::OK, thread_page(&crm, &v, &t, "", &[])),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// After an action on a post: back to it, or it with the problem beside the reply box.
async fn back(crm: &Crm, v: &Viewer, id: Uuid, reply: &str, done: Result<(), ServiceError>) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("{HERE}/{id}")).into_response(),
        Err(ServiceError::Validation(errors)) => match crm.community_thread(&v.actor, id).await {
            Ok(t) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                thread_page(crm, v, &t, reply, &errors),
            ),
            Err(e) => failure(e, v.locale, Some(v)),
        },
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

pub(super) async fn act(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = Uuid::parse_str(&id).ok() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let done = match action.as_str() {
        "reply" => crm
            .reply_in_community(&v.actor, id, get("body"))
            .await
            .map(|_| ()),
        "vote" => crm.vote_in_community(&v.actor, POST, id).await.map(|_| ()),
        "follow" => crm.follow_in_community(&v.actor, id, get("on") == "1").await,
        "accept" => match Uuid::parse_str(get("reply")) {
            Ok(r) => crm.accept_in_community(&v.actor, id, r).await.map(|_| ()),
            Err(_) => Err(ServiceError::field("reply", Msg::Required)),
        },
        _ => Err(ServiceError::NotFound),
    };
    back(&crm, &v, id, get("body"), done).await
}

pub(super) async fn vote_reply(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match posted(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = Uuid::parse_str(&id).ok() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.vote_in_community(&v.actor, REPLY, id).await {
        Ok(_) => {
            let back = headers
                .get(axum::http::header::REFERER)
                .and_then(|r| r.to_str().ok())
                .and_then(|r| r.find(HERE).map(|i| r[i..].to_string()))
                .unwrap_or_else(|| HERE.to_string());
            Redirect::to(&back).into_response()
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// A colleague turns a post's accepted answer into a draft knowledge article.
pub(super) async fn to_article(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = Uuid::parse_str(&id).ok() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.answer_to_article(&v.actor, id).await {
        Ok(a) => Redirect::to(&format!("/o/articles/{}", a.id().unwrap_or_default())).into_response(),
        Err(ServiceError::Validation(errors)) => {
            let text: Vec<String> = errors.iter().map(|e| e.message(v.locale)).collect();
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                super::pages::notice(&v, &text.join(" "), &format!("/o/community_posts/{id}")),
            )
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

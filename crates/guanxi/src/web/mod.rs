//! The web UI: server-rendered pages (maud templates compiled into the binary), no
//! JavaScript build step. Pages call the same services as the API, so the same
//! permissions, validation and audit apply. Every string comes from the catalogue.

mod admin;
mod attendees;
mod board;
mod calendar;
mod channels;
mod community;
mod conflicts;
mod duplicates;
mod edit;
mod feeds;
mod files;
mod forecasts;
mod forms;
mod imports;
mod jobs;
mod kb;
mod leads;
mod list;
mod lookup;
mod pages;
mod portal;
mod privacy;
mod process;
mod quality;
mod queues;
mod quotes;
mod record;
mod registration;
mod reviews;
mod search;
mod service;
mod service_metrics;
mod settings;
mod survey;

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use guanxi_core::Locale;
use guanxi_services::records::ListQuery;
use guanxi_services::{Actor, Crm, ServiceError};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

use crate::api::{cookie, request_locale, session_cookie, session_set_cookie};

const LANG_COOKIE: &str = "gx_lang";

/// The pages, merged into the application router.
pub(crate) use files::file_response;

/// Routes that take uploads beyond the form-size limit (imports, attached files).
pub(crate) fn upload_router() -> Router<Crm> {
    imports::upload_router().merge(files::upload_router())
}

pub fn router() -> Router<Crm> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(sign_in_page).post(sign_in))
        .route("/forms/lead", get(forms::show_lead).post(forms::submit_lead))
        .route("/forms/lead/thanks", get(forms::lead_thanks))
        .route("/forms/case", get(forms::show_case).post(forms::submit_case))
        .route("/forms/case/thanks", get(forms::case_thanks))
        .route("/survey/thanks", get(survey::thanks))
        .route("/kb", get(kb::index))
        .route("/files/{id}", get(files::download))
        .route(queues::HERE, get(queues::show))
        .route("/queues/{id}/take", post(queues::take))
        .route(jobs::HERE, get(jobs::list))
        .route("/jobs/{id}", get(jobs::sheet))
        .route("/jobs/{id}/start", post(jobs::start))
        .route("/jobs/{id}/parts", post(jobs::add_part))
        .route("/jobs/{id}/complete", post(jobs::complete))
        .route("/jobs/{id}/signature.png", get(jobs::signature))
        .route(portal::HERE, get(portal::home))
        .route("/portal/cases/new", get(portal::new_case))
        .route("/portal/cases", post(portal::open_case))
        .route("/portal/cases/{id}", get(portal::case))
        .route("/portal/cases/{id}/reply", post(portal::reply))
        .route(
            "/portal/invite/{secret}",
            get(portal::invitation).post(portal::accept),
        )
        .route("/o/contacts/{id}/portal-invite", post(portal::invite))
        .route("/portal/community", get(community::index).post(community::create))
        .route(
            registration::HERE,
            get(registration::show).post(registration::submit),
        )
        .route("/portal/register/thanks", get(registration::thanks))
        .route("/portal/community/new", get(community::new_post))
        .route("/portal/community/products", get(reviews::index))
        .route("/portal/community/products/{id}", get(reviews::product))
        .route("/portal/community/products/{id}/rate", post(reviews::rate))
        .route("/portal/community/{id}", get(community::thread))
        .route("/portal/community/{id}/{action}", post(community::act))
        .route("/portal/community/replies/{id}/vote", post(community::vote_reply))
        .route("/o/community_posts/{id}/to-article", post(community::to_article))
        .route("/kb/{id}", get(kb::show))
        .route("/kb/{id}/feedback", post(kb::feedback))
        .route("/survey/{token}", get(survey::show).post(survey::answer))
        .route("/logout", post(sign_out))
        .route("/lang/{tag}", get(set_language))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/calendar", get(calendar::calendar))
        .route("/calendar/feeds", get(feeds::list).post(feeds::create))
        .route("/calendar/feeds/{id}/revoke", post(feeds::revoke))
        .route("/ical/{file}", get(feeds::public))
        .route("/forecasts", get(forecasts::forecast))
        .route(service_metrics::HERE, get(service_metrics::show))
        .route("/forecasts/quota", post(forecasts::set_quota))
        .route("/search", get(search::search_page))
        .route("/o/{plural}", get(list::list))
        .route("/o/{plural}/bulk", post(list::bulk))
        .route("/o/{plural}/views", post(list::save_view))
        .route("/o/{plural}/views/{id}/delete", post(list::delete_view))
        .route("/o/{plural}/board", get(board::board))
        .route("/o/{plural}/import", get(imports::form))
        .route("/imports", get(imports::list))
        .route("/imports/{id}", get(imports::show))
        .route("/imports/{id}/errors.csv", get(imports::errors))
        .route("/imports/{id}/resume", post(imports::resume))
        .route("/o/{plural}/bin", get(record::bin))
        .route("/o/{plural}/duplicates", get(duplicates::groups))
        .route(
            "/o/{plural}/merge",
            get(duplicates::merge_form).post(duplicates::merge),
        )
        .route("/merges/{id}/undo", post(duplicates::undo))
        .route("/o/{plural}/lookup", get(lookup::suggest))
        .route("/o/{plural}/{id}/quick", post(record::quick))
        .route("/o/{plural}/{id}/channels", post(channels::save))
        .route("/o/{plural}/{id}/consents", post(channels::consent))
        .route("/o/{plural}/{id}/restore", post(record::restore))
        .route("/o/{plural}/{id}/convert", get(leads::form).post(leads::convert))
        .route("/o/{plural}/{id}/lines", post(quotes::act))
        .route("/o/{plural}/{id}/print", get(quotes::print))
        .route("/o/{plural}/{id}/resolve", post(conflicts::resolve))
        .route("/o/{plural}/{id}/attendees", post(attendees::act))
        .route("/approvals", get(quotes::approvals))
        .route("/notifications", get(quotes::notifications))
        .route("/notifications/read", post(quotes::read))
        .route("/o/{plural}/{id}/personal-data", get(privacy::download))
        .route("/o/{plural}/{id}/erase", post(privacy::erase))
        .route("/o/{plural}/new", get(new_form).post(create))
        .route("/o/{plural}/{id}", get(record::record))
        .route("/o/{plural}/{id}/edit", get(edit_form).post(update))
        .route("/o/{plural}/{id}/delete", post(delete))
        .route("/o/{plural}/{id}/set", post(edit::set_field))
        .route("/o/{plural}/{id}/cell/{field}", get(edit::cell_form))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/settings/password", post(settings::password))
        .merge(admin::router())
}

/// The signed-in user of a page, with the session and its CSRF token.
pub(crate) struct Viewer {
    pub actor: Actor,
    pub session: Uuid,
    pub csrf: String,
    pub locale: Locale,
    /// The user's time zone: times are shown and entered in it.
    pub tz: chrono_tz::Tz,
    /// How many of the user's notifications are unread.
    pub unread: i64,
}

impl Viewer {
    /// How values read for this viewer.
    pub fn fmt(&self) -> pages::Fmt {
        pages::Fmt {
            locale: self.locale,
            tz: self.tz,
        }
    }
}

/// The page language: the one picked in this browser, else the user's, else the browser's.
fn page_locale(headers: &HeaderMap, user: Option<Locale>) -> Locale {
    cookie(headers, LANG_COOKIE)
        .and_then(|t| Locale::from_tag(&t))
        .or(user)
        .or_else(|| request_locale(headers))
        .unwrap_or_default()
}

async fn viewer(crm: &Crm, headers: &HeaderMap) -> Result<Option<Viewer>, ServiceError> {
    let Some(secret) = session_cookie(headers) else {
        return Ok(None);
    };
    let Some((actor, session, csrf)) = crm.authenticate_session(&secret).await? else {
        return Ok(None);
    };
    let unread = crm.unread_notifications(&actor).await?;
    Ok(Some(Viewer {
        locale: page_locale(headers, Some(actor.locale)),
        tz: actor.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
        actor,
        session,
        csrf,
        unread,
    }))
}

fn html(status: StatusCode, body: maud::Markup) -> Response {
    let mut res = (status, axum::response::Html(body.into_string())).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A page that needs a signed-in user: the page, or the way to the sign-in form.
async fn signed_in(crm: &Crm, headers: &HeaderMap) -> Result<Viewer, Response> {
    match viewer(crm, headers).await {
        // Portal users (customers) have the portal; the staff pages are not theirs.
        Ok(Some(v)) if v.actor.kind == guanxi_core::access::UserKind::Portal => Err(html(
            StatusCode::FORBIDDEN,
            pages::message(v.locale, None, guanxi_core::Msg::UiPortalOnly),
        )),
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(failure(e, page_locale(headers, None), None)),
    }
}

/// Anyone signed in — a colleague, a partner or a customer in the portal — or the way to
/// sign in (notifications and downloads serve them all).
async fn anyone(crm: &Crm, headers: &HeaderMap) -> Result<Viewer, Response> {
    match viewer(crm, headers).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(failure(e, page_locale(headers, None), None)),
    }
}

/// A service error as a page.
fn failure(e: ServiceError, locale: Locale, viewer: Option<&Viewer>) -> Response {
    let (status, msg) = match &e {
        ServiceError::NotFound => (StatusCode::NOT_FOUND, guanxi_core::Msg::DetailNotFound),
        ServiceError::Forbidden(m) => (StatusCode::FORBIDDEN, *m),
        ServiceError::MissingScope(_) => (StatusCode::FORBIDDEN, guanxi_core::Msg::DetailNoPermission),
        _ => {
            tracing::error!(error = %e, "page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                guanxi_core::Msg::DetailInternal,
            )
        }
    };
    html(status, pages::message(locale, viewer, msg))
}

/// My day: today's and overdue planned activities, my open opportunities, my overdue cases.
async fn home(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    use guanxi_core::Msg;
    // A customer's home is their portal.
    if let Ok(Some(v)) = viewer(&crm, &headers).await
        && v.actor.kind == guanxi_core::access::UserKind::Portal
    {
        return Redirect::to(portal::HERE).into_response();
    }
    let v = match signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // "Today" on the user's clock.
    let now = crm.now();
    let today = now.with_timezone(&v.tz).date_naive();
    let me = v.actor.user_id;
    let day_end = local_datetime(&format!("{today}T23:59:59"), v.tz)
        .map(|d| guanxi_core::values::format_datetime(&d))
        .unwrap_or_else(|| format!("{today}T23:59:59Z"));
    let now_text = guanxi_core::values::format_datetime(&now);
    let wanted: [(Msg, &str, String, &str); 3] = [
        (
            Msg::UiMyActivities,
            "activity",
            format!(
                "owner eq '{me}' and status eq 'planned' and (starts_at lte '{day_end}' or due_date lte '{today}')"
            ),
            "starts_at",
        ),
        (
            Msg::UiMyOpportunities,
            "opportunity",
            format!("owner eq '{me}' and not stage in ('closed_won', 'closed_lost')"),
            "close_date",
        ),
        (
            Msg::UiMyOverdueCases,
            "case",
            format!(
                "owner eq '{me}' and due_at lt '{now_text}' and status in ('new', 'in_progress', 'waiting_customer', 'escalated')"
            ),
            "due_at",
        ),
    ];
    let schema = crm.schema();
    let mut sections = Vec::new();
    for (heading, name, filter, sort) in wanted {
        let Some(full) = schema.object(name).cloned() else {
            continue;
        };
        let q = ListQuery {
            filter: Some(filter.clone()),
            sort: Some(sort.into()),
            cursor: None,
            limit: Some(10),
            deleted: false,
            few: false,
        };
        match crm.list(&v.actor, name, &q).await {
            Ok(page) => {
                let visible = crm.visible_object(&v.actor, &full);
                let field = full.field("owner").cloned();
                if let Some(field) = field {
                    sections.push((
                        heading,
                        Related {
                            object: visible,
                            full,
                            field,
                            filter,
                            page,
                        },
                        sort,
                    ));
                }
            }
            // A role without these objects, or a field hidden from it: that part is left out.
            Err(ServiceError::Forbidden(_) | ServiceError::Validation(_)) => {}
            Err(e) => return failure(e, v.locale, Some(&v)),
        }
    }
    html(StatusCode::OK, pages::home(&v, &schema, &sections))
}

async fn stylesheet() -> Response {
    asset(include_str!("app.css"), "text/css; charset=utf-8")
}

/// The page script: small progressive enhancements (drag and drop on boards, editing a
/// cell in place); every page works without it.
async fn script() -> Response {
    asset(include_str!("app.js"), "text/javascript; charset=utf-8")
}

/// What the assets' addresses carry so that a new build's are fetched at once while a
/// browser keeps the current ones as long as it likes: a hash of their text.
pub(crate) fn asset_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in include_str!("app.css")
            .bytes()
            .chain(include_str!("app.js").bytes())
        {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    })
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}

async fn sign_in_page(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    if let Ok(Some(v)) = viewer(&crm, &headers).await {
        let to = if v.actor.kind == guanxi_core::access::UserKind::Portal {
            portal::HERE
        } else {
            "/"
        };
        return Redirect::to(to).into_response();
    }
    let locale = page_locale(&headers, None);
    html(
        StatusCode::OK,
        pages::sign_in(locale, "", None, crm.mail().is_some()),
    )
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    email: String,
    password: String,
}

async fn sign_in(State(crm): State<Crm>, req: Request) -> Response {
    let headers = req.headers().clone();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let locale = page_locale(&headers, None);
    let Ok(Form(form)) = Form::<SignInForm>::from_request(req, &()).await else {
        let page = pages::sign_in(
            locale,
            "",
            Some(guanxi_core::Msg::SignInFailed.text(locale).to_string()),
            crm.mail().is_some(),
        );
        return html(StatusCode::BAD_REQUEST, page);
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match crm.sign_in(&form.email, &form.password, ip, agent).await {
        Ok(s) => {
            // Customers land in their portal.
            let to = if s.actor.kind == guanxi_core::access::UserKind::Portal {
                portal::HERE
            } else {
                "/"
            };
            let mut res = Redirect::to(to).into_response();
            let max_age = guanxi_services::sessions::SESSION_HOURS * 3600;
            if let Some(c) = session_set_cookie(&headers, &s.secret, max_age) {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            let (status, msg) = match e {
                ServiceError::TooManyAttempts { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    guanxi_core::Msg::DetailTooManyAttempts
                        .format(locale, &[("seconds", &retry_after.to_string())]),
                ),
                ServiceError::SignInFailed => (
                    StatusCode::UNAUTHORIZED,
                    guanxi_core::Msg::SignInFailed.text(locale).to_string(),
                ),
                other => return failure(other, locale, None),
            };
            html(
                status,
                pages::sign_in(locale, &form.email, Some(msg), crm.mail().is_some()),
            )
        }
    }
}

async fn sign_out(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    // Anyone signed in signs out here, customers too.
    let v = match viewer(&crm, &headers).await {
        Ok(Some(v)) if csrf_ok(&v, &form) => v,
        Ok(Some(v)) => return csrf_refused(&v),
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return failure(e, page_locale(&headers, None), None),
    };
    if let Err(e) = crm.sign_out(&v.actor, Some(v.session)).await {
        return failure(e, v.locale, None);
    }
    let mut res = Redirect::to("/login").into_response();
    if let Some(c) = session_set_cookie(&headers, "", 0) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Picks the page language for this browser and goes back where the user was.
async fn set_language(Path(tag): Path<String>, Query(q): Query<Back>) -> Response {
    let back = edit::safe_back(q.back.as_ref(), "/");
    let mut res = Redirect::to(&back).into_response();
    if let Some(locale) = Locale::from_tag(&tag) {
        remember_language(&mut res, locale);
    }
    res
}

/// Makes this browser's pages come in `locale` from now on.
fn remember_language(res: &mut Response, locale: Locale) {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        locale.tag()
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
}

use axum::extract::FromRequest;

/// Names for the ids a record page shows: users (owner, created by) and the records its
/// lookups point at — only those the viewer may read; others stay unnamed.
async fn names_for(
    crm: &Crm,
    actor: &Actor,
    object: &guanxi_core::ObjectDef,
    visible: &guanxi_core::ObjectDef,
    record: &guanxi_core::values::Record,
) -> Result<std::collections::HashMap<Uuid, String>, ServiceError> {
    use guanxi_core::metadata::FieldType;
    use guanxi_core::values::Value;
    let mut names = std::collections::HashMap::new();
    let users = guanxi_storage::system::users(crm.db()).await?;
    for (f, v) in object.fields.iter().zip(&record.values) {
        let (Value::Uuid(id), Some(shown)) = (v, visible.field(&f.name)) else {
            continue;
        };
        match shown.field_type {
            FieldType::User => {
                if let Some(u) = users.iter().find(|u| u.id == *id) {
                    names.insert(*id, u.name.clone());
                }
            }
            FieldType::Lookup => {
                let schema = crm.schema();
                let Some(target) = shown.target.as_deref().and_then(|t| schema.object(t)) else {
                    continue;
                };
                match crm.get(actor, &target.name, *id, false).await {
                    Ok(r) => {
                        let i = target.fields.iter().position(|x| x.name == target.name_field);
                        if let Some(Value::Text(n)) = i.and_then(|i| r.values.get(i)) {
                            names.insert(*id, n.clone());
                        }
                    }
                    Err(ServiceError::NotFound | ServiceError::Forbidden(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// The tiers (labelled) of the accounts among `ids` the viewer may read: shown beside a
/// customer's name wherever it appears.
pub(crate) async fn tier_labels(
    crm: &Crm,
    v: &Viewer,
    ids: &[Uuid],
) -> std::collections::HashMap<Uuid, String> {
    if ids.is_empty() {
        return std::collections::HashMap::new();
    }
    let schema = crm.schema();
    let Some(field) = schema.object("account").and_then(|a| a.field("tier").cloned()) else {
        return std::collections::HashMap::new();
    };
    crm.tiers_of(&v.actor, ids)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(id, t)| (id, field.option_label(&t, v.locale).to_string()))
        .collect()
}

/// The fields a user fills in on a form: visible, writable, not read-only for them.
pub(crate) fn editable_fields(
    crm: &Crm,
    actor: &Actor,
    object: &guanxi_core::ObjectDef,
) -> Vec<guanxi_core::FieldDef> {
    let access = crm.access(actor, object);
    object
        .fields
        .iter()
        .filter(|f| f.writable())
        .filter(|f| access.field_level(&f.name) == guanxi_core::access::FieldLevel::Editable)
        .cloned()
        .collect()
}

/// A submitted form as the write path's input: empty inputs are empty fields; money is
/// amount plus currency; lists are comma-separated.
fn form_input(
    v: &Viewer,
    fields: &[guanxi_core::FieldDef],
    form: &std::collections::HashMap<String, String>,
    creating: bool,
) -> serde_json::Map<String, serde_json::Value> {
    use guanxi_core::metadata::FieldType;
    use serde_json::Value as Json;
    let mut out = serde_json::Map::new();
    for f in fields {
        let key = match f.field_type {
            FieldType::Money => format!("{}.amount", f.name),
            _ => f.name.clone(),
        };
        // A field the form did not carry is left as it is.
        if !form.contains_key(&key) {
            continue;
        }
        let text = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        let value = match f.field_type {
            FieldType::Money => {
                let amount = text(&format!("{}.amount", f.name));
                if amount.is_empty() {
                    Json::Null
                } else {
                    let mut currency = text(&format!("{}.currency", f.name)).to_ascii_uppercase();
                    if currency.is_empty() {
                        currency.clone_from(&v.actor.currency);
                    }
                    serde_json::json!({"amount": amount, "currency": currency})
                }
            }
            FieldType::MultiPicklist | FieldType::Tags => {
                let items: Vec<Json> = text(&f.name)
                    .split([',', '，', '、'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Json::String(s.to_string()))
                    .collect();
                if items.is_empty() {
                    Json::Null
                } else {
                    Json::Array(items)
                }
            }
            // A time without an offset (what datetime-local sends) is on the user's clock.
            FieldType::Datetime => {
                let t = text(&f.name);
                match local_datetime(&t, v.tz) {
                    _ if t.is_empty() => Json::Null,
                    Some(utc) => Json::String(guanxi_core::values::format_datetime(&utc)),
                    None => Json::String(t),
                }
            }
            _ => {
                let t = text(&f.name);
                if t.is_empty() { Json::Null } else { Json::String(t) }
            }
        };
        if !(creating && value.is_null()) {
            out.insert(f.name.clone(), value);
        }
    }
    out
}

/// The answer to a change without the session's CSRF token.
fn csrf_refused(v: &Viewer) -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message(v.locale, Some(v), guanxi_core::Msg::CsrfMissing),
    )
}

fn csrf_ok(v: &Viewer, form: &std::collections::HashMap<String, String>) -> bool {
    form.get("csrf")
        .is_some_and(|c| guanxi_services::sessions::same_secret(&v.csrf, c))
}

/// A page about an object: the signed-in viewer and the object of the path's plural.
async fn object_page(
    crm: &Crm,
    headers: &HeaderMap,
    plural: &str,
) -> Result<(Viewer, std::sync::Arc<guanxi_core::ObjectDef>), Response> {
    let v = signed_in(crm, headers).await?;
    match crm.schema().by_plural(plural).cloned() {
        Some(o) => Ok((v, o)),
        None => Err(failure(ServiceError::NotFound, v.locale, Some(&v))),
    }
}

/// A page about one record: the viewer, the object and the path's record id.
async fn record_page(
    crm: &Crm,
    headers: &HeaderMap,
    plural: &str,
    id: &str,
) -> Result<(Viewer, std::sync::Arc<guanxi_core::ObjectDef>, Uuid), Response> {
    let (v, object) = object_page(crm, headers, plural).await?;
    match Uuid::parse_str(id) {
        Ok(id) => Ok((v, object, id)),
        Err(_) => Err(failure(ServiceError::NotFound, v.locale, Some(&v))),
    }
}

/// A submitted form of the signed-in user, carrying their session's CSRF token.
async fn signed_in_form(
    crm: &Crm,
    headers: &HeaderMap,
    form: &std::collections::HashMap<String, String>,
) -> Result<Viewer, Response> {
    let v = signed_in(crm, headers).await?;
    if csrf_ok(&v, form) {
        Ok(v)
    } else {
        Err(csrf_refused(&v))
    }
}

/// A submitted form's target: the signed-in viewer, the object and the record id (if the
/// path has one) — or the answer when the session, the CSRF token or the id is wrong.
async fn posted(
    crm: &Crm,
    headers: &HeaderMap,
    plural: &str,
    form: &std::collections::HashMap<String, String>,
    id: Option<&str>,
) -> Result<(Viewer, std::sync::Arc<guanxi_core::ObjectDef>, Option<Uuid>), Response> {
    let v = signed_in_form(crm, headers, form).await?;
    let Some(object) = crm.schema().by_plural(plural).cloned() else {
        return Err(failure(ServiceError::NotFound, v.locale, Some(&v)));
    };
    let id = match id.map(Uuid::parse_str) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return Err(failure(ServiceError::NotFound, v.locale, Some(&v))),
    };
    Ok((v, object, id))
}

/// A form posted about one record: the viewer (token checked), the object and the id.
async fn posted_record(
    crm: &Crm,
    headers: &HeaderMap,
    plural: &str,
    form: &std::collections::HashMap<String, String>,
    id: &str,
) -> Result<(Viewer, std::sync::Arc<guanxi_core::ObjectDef>, Uuid), Response> {
    let (v, object, id) = posted(crm, headers, plural, form, Some(id)).await?;
    Ok((v, object, id.unwrap_or_default()))
}

/// A form posted about one record of one of `objects` (anything else is not found).
async fn posted_record_of(
    crm: &Crm,
    headers: &HeaderMap,
    (plural, id): (&str, &str),
    form: &std::collections::HashMap<String, String>,
    objects: &[&str],
) -> Result<(Viewer, std::sync::Arc<guanxi_core::ObjectDef>, Uuid), Response> {
    let (v, object, id) = posted_record(crm, headers, plural, form, id).await?;
    if !objects.contains(&object.name.as_str()) {
        return Err(failure(ServiceError::NotFound, v.locale, Some(&v)));
    }
    Ok((v, object, id))
}

/// The record form as an answer, with the users it offers as owners.
#[allow(clippy::too_many_arguments)]
async fn form_page(
    crm: &Crm,
    v: &Viewer,
    object: &guanxi_core::ObjectDef,
    fields: &[guanxi_core::FieldDef],
    id: Option<Uuid>,
    values: &std::collections::HashMap<String, String>,
    errors: &[guanxi_core::FieldError],
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let users = user_choices(crm).await;
    let values = &lookup::named(crm, v, fields, values).await;
    let layout = match crm.layout(object).await {
        Ok(l) => l,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    let page = pages::form(
        v,
        &crm.schema(),
        object,
        fields,
        id,
        values,
        errors,
        notice,
        &users,
        &layout,
    );
    html(status, page)
}

async fn user_choices(crm: &Crm) -> Vec<(Uuid, String)> {
    guanxi_storage::system::users(crm.db())
        .await
        .map(|us| {
            us.into_iter()
                .filter(|u| u.active && u.kind == "internal")
                .map(|u| (u.id, u.name))
                .collect()
        })
        .unwrap_or_default()
}

/// A new record's form; `?{lookup}={id}` fills a lookup in (a case's "add cost" link).
async fn new_form(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Query(given): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let (v, object) = match object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let fields = editable_fields(&crm, &v.actor, &object);
    let mut values = std::collections::HashMap::from([("owner".to_string(), v.actor.user_id.to_string())]);
    for f in fields
        .iter()
        .filter(|f| f.field_type == guanxi_core::metadata::FieldType::Lookup)
    {
        if let Some(id) = given.get(&f.name).and_then(|s| Uuid::parse_str(s.trim()).ok()) {
            values.insert(f.name.clone(), id.to_string());
        }
    }
    for f in fields
        .iter()
        .filter(|f| f.field_type == guanxi_core::metadata::FieldType::Money)
    {
        values.insert(format!("{}.currency", f.name), v.actor.currency.clone());
    }
    form_page(
        &crm,
        &v,
        &object,
        &fields,
        None,
        &values,
        &[],
        None,
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let (v, object) = match posted(&crm, &headers, &plural, &form, None).await {
        Ok((v, o, _)) => (v, o),
        Err(r) => return r,
    };
    let fields = editable_fields(&crm, &v.actor, &object);
    let mut input = form_input(&v, &fields, &form, true);
    let unresolved = lookup::resolve(&crm, &v, &fields, &form, &mut input).await;
    if !unresolved.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(&crm, &v, &object, &fields, None, &form, &unresolved, None, status).await;
    }
    match crm.create_checked(&v.actor, &object.name, input).await {
        // A warning rule's look-alikes show on the record page ("possible duplicates").
        Ok((r, _)) => {
            Redirect::to(&format!("/o/{}/{}", object.plural, r.id().unwrap_or_default())).into_response()
        }
        Err(ServiceError::Duplicate(matches)) => {
            let notice = duplicates::blocked_notice(&matches, v.locale);
            let status = StatusCode::CONFLICT;
            form_page(
                &crm,
                &v,
                &object,
                &fields,
                None,
                &form,
                &[],
                Some(&notice),
                status,
            )
            .await
        }
        Err(ServiceError::Validation(errors)) => {
            form_page(
                &crm,
                &v,
                &object,
                &fields,
                None,
                &form,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `2026-11-23T09:30` (seconds optional, no offset) on the wall clock of `tz`, as a
/// moment; `None` for any other text (which the write path then judges).
fn local_datetime(text: &str, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    // In a gap (clocks jumping forward) no such wall time exists: take the later side.
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// A record's current values as form text, times on the viewer's clock.
fn form_values(
    v: &Viewer,
    object: &guanxi_core::ObjectDef,
    record: &guanxi_core::values::Record,
) -> std::collections::HashMap<String, String> {
    use guanxi_core::values::Value;
    let mut out = std::collections::HashMap::new();
    for (f, value) in object.fields.iter().zip(&record.values) {
        let text = match value {
            Value::Null => continue,
            Value::Money { amount, currency } => {
                out.insert(format!("{}.currency", f.name), currency.clone());
                out.insert(format!("{}.amount", f.name), amount.to_string());
                continue;
            }
            Value::List(items) => items.join(", "),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(d) => d.with_timezone(&v.tz).format("%Y-%m-%dT%H:%M").to_string(),
            Value::Uuid(u) => u.to_string(),
        };
        out.insert(f.name.clone(), text);
    }
    out.insert("version".into(), record.version().to_string());
    out
}

async fn edit_form(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    let (v, object, id) = match record_page(&crm, &headers, &plural, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let record = match crm.get(&v.actor, &object.name, id, false).await {
        Ok(r) => r,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let fields = editable_fields(&crm, &v.actor, &object);
    let values = form_values(&v, &object, &record);
    form_page(
        &crm,
        &v,
        &object,
        &fields,
        Some(id),
        &values,
        &[],
        None,
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let version = form
        .get("version")
        .and_then(|x| x.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let fields = editable_fields(&crm, &v.actor, &object);
    let mut patch = form_input(&v, &fields, &form, false);
    let unresolved = lookup::resolve(&crm, &v, &fields, &form, &mut patch).await;
    if !unresolved.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(
            &crm,
            &v,
            &object,
            &fields,
            Some(id),
            &form,
            &unresolved,
            None,
            status,
        )
        .await;
    }
    match crm.update(&v.actor, &object.name, id, version, patch).await {
        Ok(_) => Redirect::to(&format!("/o/{}/{id}", object.plural)).into_response(),
        Err(ServiceError::Validation(errors)) => {
            form_page(
                &crm,
                &v,
                &object,
                &fields,
                Some(id),
                &form,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ServiceError::Conflict { current }) => {
            // Someone saved meanwhile: show their version, say so, keep nothing silently.
            let Ok(record) = crm.get(&v.actor, &object.name, id, false).await else {
                return failure(ServiceError::NotFound, v.locale, Some(&v));
            };
            let values = form_values(&v, &object, &record);
            form_page(
                &crm,
                &v,
                &object,
                &fields,
                Some(id),
                &values,
                &[],
                Some(&guanxi_core::Msg::UiConflict.format(v.locale, &[("current", &current.to_string())])),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

async fn delete(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match crm.delete(&v.actor, &object.name, id, None).await {
        Ok(_) => Redirect::to(&format!("/o/{}", object.plural)).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// One related list on a record page: records of `object` whose `field` points here.
pub(crate) struct Related {
    /// What the viewer sees of the object (columns) and the object (value positions).
    pub object: guanxi_core::ObjectDef,
    pub full: std::sync::Arc<guanxi_core::ObjectDef>,
    pub field: guanxi_core::FieldDef,
    pub filter: String,
    pub page: guanxi_services::records::Page,
}

/// Every list of records pointing at this one (contacts and opportunities of an account,
/// activities of a contact…), newest first, ten each — those the viewer may read.
async fn related_lists(
    crm: &Crm,
    actor: &Actor,
    object: &guanxi_core::ObjectDef,
    id: Uuid,
) -> Result<Vec<Related>, ServiceError> {
    let schema = crm.schema();
    let mut wanted = Vec::new();
    for other in schema.objects() {
        let visible = crm.visible_object(actor, other);
        for field in visible.fields.iter().filter(|f| {
            f.field_type == guanxi_core::metadata::FieldType::Lookup
                && f.target.as_deref() == Some(&object.name)
        }) {
            wanted.push((other.clone(), visible.clone(), field.clone()));
        }
    }
    // The lists are independent reads: run them together on the reader pool.
    let pages = futures_util::future::join_all(wanted.iter().map(|(other, _, field)| {
        let q = ListQuery {
            filter: Some(format!("{} eq '{id}'", field.name)),
            sort: Some("-created_at".into()),
            cursor: None,
            // Activities make the record's timeline: more of them.
            limit: Some(if other.name == "activity" {
                record::ACTIVITIES
            } else {
                10
            }),
            deleted: false,
            few: false,
        };
        async move { crm.list(actor, &other.name, &q).await }
    }))
    .await;
    let mut out = Vec::new();
    for ((full, visible, field), page) in wanted.into_iter().zip(pages) {
        match page {
            Ok(page) => out.push(Related {
                filter: format!("{} eq '{id}'", field.name),
                object: visible,
                full,
                field,
                page,
            }),
            Err(ServiceError::Forbidden(_) | ServiceError::Validation(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

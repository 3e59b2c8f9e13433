//! The technician's job sheets (`/jobs`), made for a phone on site: today's and upcoming
//! visits, and for each the customer, address and problem, "arrived", the parts used, what
//! was done and the customer's signature drawn on the screen.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg};
use guanxi_services::field_service::{JobSheet, WORK_ORDER};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{self, display, field_value, t};
use super::{Viewer, failure, html};

pub(super) const HERE: &str = "/jobs";
type FormMap = std::collections::HashMap<String, String>;

fn shown(crm: &Crm, v: &Viewer, object: &str, r: &Record, field: &str) -> String {
    let schema = crm.schema();
    schema
        .object(object)
        .and_then(|o| {
            o.field(field)
                .map(|f| display(f, field_value(o, r, field), v.fmt()))
        })
        .unwrap_or_default()
}

fn frame(crm: &Crm, v: &Viewer, title: &str, content: Markup) -> Markup {
    pages::layout(
        v.locale,
        Some(v),
        Some(&crm.schema()),
        Some(WORK_ORDER),
        HERE,
        title,
        content,
    )
}

pub(super) async fn list(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let jobs = match crm.my_jobs(&v.actor).await {
        Ok(j) => j,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let accounts: Vec<Uuid> = jobs
        .iter()
        .filter_map(|j| {
            let o = crm.schema().object(WORK_ORDER).cloned()?;
            match field_value(&o, j, "account") {
                guanxi_core::values::Value::Uuid(a) => Some(*a),
                _ => None,
            }
        })
        .collect();
    let names = crm
        .names_of(&v.actor, "account", &accounts)
        .await
        .unwrap_or_default();
    let content = html! {
        h1 { (t(l, Msg::UiMyJobs)) }
        @if jobs.is_empty() {
            p.hint { (t(l, Msg::UiNoJobs)) }
        } @else {
            ul.jobs {
                @for j in &jobs {
                    @if let Some(id) = j.id() {
                        li.card {
                            p.hint { (shown(&crm, &v, WORK_ORDER, j, "scheduled_start")) " · " span.tag { (shown(&crm, &v, WORK_ORDER, j, "status")) } }
                            a href={ (HERE) "/" (id) } { strong { (shown(&crm, &v, WORK_ORDER, j, "subject")) } }
                            @if let Some(o) = crm.schema().object(WORK_ORDER) {
                                @if let guanxi_core::values::Value::Uuid(a) = field_value(o, j, "account") {
                                    @if let Some(n) = names.get(a) { p { (n) } }
                                }
                            }
                            p.hint { (shown(&crm, &v, WORK_ORDER, j, "address")) }
                        }
                    }
                }
            }
        }
    };
    html(StatusCode::OK, frame(&crm, &v, t(l, Msg::UiMyJobs), content))
}

async fn products(crm: &Crm, v: &Viewer) -> Vec<(Uuid, String)> {
    let q = guanxi_services::records::ListQuery {
        sort: Some("name".into()),
        limit: Some(200),
        ..Default::default()
    };
    let Ok(page) = crm.list(&v.actor, "product", &q).await else {
        return Vec::new();
    };
    page.records
        .iter()
        .filter_map(|r| Some((r.id()?, shown(crm, v, "product", r, "name"))))
        .collect()
}

async fn sheet_page(
    crm: &Crm,
    v: &Viewer,
    sheet: &JobSheet,
    form: &FormMap,
    errors: &[FieldError],
) -> Markup {
    let l = v.locale;
    let w = &sheet.work_order;
    let id = w.id().unwrap_or_default();
    let status = crm
        .schema()
        .object(WORK_ORDER)
        .map(|o| guanxi_core::values::field_text(o, w, "status").unwrap_or_default())
        .unwrap_or_default();
    let error = |k: &str| errors.iter().find(|e| e.field == k);
    let value = |k: &str| form.get(k).cloned().unwrap_or_default();
    let parts = products(crm, v).await;
    // The customer and contact by name (those the viewer may read).
    let mut names = std::collections::HashMap::new();
    if let Some(o) = crm.schema().object(WORK_ORDER) {
        for (f, target) in [("account", "account"), ("contact", "contact")] {
            if let guanxi_core::values::Value::Uuid(x) = field_value(o, w, f) {
                names.extend(crm.names_of(&v.actor, target, &[*x]).await.unwrap_or_default());
            }
        }
    }
    let named = |f: &str| -> String {
        crm.schema()
            .object(WORK_ORDER)
            .and_then(|o| match field_value(o, w, f) {
                guanxi_core::values::Value::Uuid(x) => names.get(x).cloned(),
                _ => None,
            })
            .unwrap_or_else(|| shown(crm, v, WORK_ORDER, w, f))
    };
    let base = format!("{HERE}/{id}");
    let content = html! {
        p { a href=(HERE) { "← " (t(l, Msg::UiMyJobs)) } }
        h1 { (shown(crm, v, WORK_ORDER, w, "subject")) }
        p { span.tag { (shown(crm, v, WORK_ORDER, w, "status")) } " " (shown(crm, v, WORK_ORDER, w, "scheduled_start")) }
        @if !errors.is_empty() { p.error role="alert" { (t(l, Msg::UiFixErrors)) } }
        section.card aria-labelledby="job-where" {
            h2 #job-where { (t(l, Msg::UiJobCustomer)) }
            dl.fields {
                @for f in ["account", "contact", "address", "instructions"] {
                    @let text = named(f);
                    @if !text.is_empty() {
                        dt { (crm.schema().object(WORK_ORDER).and_then(|o| o.field(f).map(|d| d.label.get(l).to_string())).unwrap_or_default()) }
                        dd { (text) }
                    }
                }
                @if let Some(c) = &sheet.case {
                    dt { (t(l, Msg::UiJobProblem)) }
                    dd { (shown(crm, v, "case", c, "subject")) br; (shown(crm, v, "case", c, "description")) }
                }
            }
            @if status == "scheduled" {
                form method="post" action={ (base) "/start" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.primary type="submit" { (t(l, Msg::UiJobArrived)) }
                }
            }
        }
        section.card aria-labelledby="job-parts" {
            h2 #job-parts { (t(l, Msg::UiJobParts)) }
            @if sheet.parts.is_empty() { p.hint { (t(l, Msg::UiPortalNone)) } }
            ul {
                @for p in &sheet.parts {
                    li { (shown(crm, v, "service_cost", p, "description")) " × " (shown(crm, v, "service_cost", p, "quantity")) " · " (shown(crm, v, "service_cost", p, "amount")) }
                }
            }
            @if status != "completed" && status != "cancelled" {
                form.admin-form method="post" action={ (base) "/parts" } novalidate {
                    input type="hidden" name="csrf" value=(v.csrf);
                    div.field {
                        label for="part" { (t(l, Msg::UiJobPart)) }
                        select #part name="part" aria-invalid=[error("part").map(|_| "true")] aria-describedby=[error("part").map(|_| "part-error")] {
                            option value="" { "—" }
                            @for (pid, name) in &parts { option value=(pid) selected[value("part") == pid.to_string()] { (name) } }
                        }
                        @if let Some(e) = error("part") { p.error #part-error { (e.message(l)) } }
                    }
                    div.field {
                        label for="quantity" { (t(l, Msg::UiJobQuantity)) }
                        input #quantity name="quantity" type="text" inputmode="decimal" size="6" value=(if value("quantity").is_empty() { "1".to_string() } else { value("quantity") })
                            aria-invalid=[error("quantity").map(|_| "true")] aria-describedby=[error("quantity").map(|_| "quantity-error")];
                        @if let Some(e) = error("quantity") { p.error #quantity-error { (e.message(l)) } }
                    }
                    div.actions { button.secondary type="submit" { (t(l, Msg::UiJobAddPart)) } }
                }
            }
        }
        section.card aria-labelledby="job-signoff" {
            h2 #job-signoff { (t(l, Msg::UiJobSignOff)) }
            @if status == "completed" {
                dl.fields {
                    dt { (t(l, Msg::UiJobWorkDone)) } dd { (shown(crm, v, WORK_ORDER, w, "work_done")) }
                    dt { (t(l, Msg::UiJobSignedBy)) } dd { (shown(crm, v, WORK_ORDER, w, "signed_by")) " · " (shown(crm, v, WORK_ORDER, w, "signed_at")) }
                }
                @if sheet.signed { img.signature src={ (base) "/signature.png" } alt=(t(l, Msg::UiJobSignature)); }
            } @else if status != "cancelled" {
                form.admin-form.signoff method="post" action={ (base) "/complete" } novalidate data-signoff {
                    input type="hidden" name="csrf" value=(v.csrf);
                    div.field.wide {
                        label for="work_done" { (t(l, Msg::UiJobWorkDone)) " *" }
                        textarea #work_done name="work_done" rows="4" aria-invalid=[error("work_done").map(|_| "true")] aria-describedby=[error("work_done").map(|_| "work_done-error")] { (value("work_done")) }
                        @if let Some(e) = error("work_done") { p.error #work_done-error { (e.message(l)) } }
                    }
                    div.field.wide {
                        label for="signed_by" { (t(l, Msg::UiJobSignedBy)) " *" }
                        input #signed_by name="signed_by" type="text" maxlength="100" value=(value("signed_by"))
                            aria-invalid=[error("signed_by").map(|_| "true")] aria-describedby=[error("signed_by").map(|_| "signed_by-error")];
                        @if let Some(e) = error("signed_by") { p.error #signed_by-error { (e.message(l)) } }
                    }
                    div.field.wide {
                        label for="signature-pad" { (t(l, Msg::UiJobSignature)) " *" }
                        canvas #signature-pad.signature-pad width="600" height="220" data-signature="signature" role="img" aria-label=(t(l, Msg::UiJobSignHere)) {}
                        input type="hidden" name="signature" value="";
                        button.linkish type="button" data-signature-clear="signature-pad" { (t(l, Msg::UiJobClearSignature)) }
                        @if let Some(e) = error("signature") { p.error #signature-error role="alert" { (e.message(l)) } }
                    }
                    div.actions { button.primary type="submit" { (t(l, Msg::UiJobComplete)) } }
                }
            }
        }
    };
    frame(crm, v, &shown(crm, v, WORK_ORDER, w, "subject"), content)
}

async fn respond_sheet(
    crm: &Crm,
    v: &Viewer,
    id: Uuid,
    form: &FormMap,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    match crm.job_sheet(&v.actor, id).await {
        Ok(sheet) => html(status, sheet_page(crm, v, &sheet, form, errors).await),
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

pub(super) async fn sheet(State(crm): State<Crm>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    respond_sheet(&crm, &v, id, &FormMap::new(), &[], StatusCode::OK).await
}

/// A job sheet's form post: the viewer (CSRF checked) and the work order.
async fn posted(
    crm: &Crm,
    headers: &HeaderMap,
    id: &str,
    form: &FormMap,
) -> Result<(Viewer, Uuid), Response> {
    let v = super::signed_in_form(crm, headers, form).await?;
    match Uuid::parse_str(id) {
        Ok(id) => Ok((v, id)),
        Err(_) => Err(failure(ServiceError::NotFound, v.locale, Some(&v))),
    }
}

/// After an action: back to the sheet, or the sheet with the problems beside their inputs.
async fn after(crm: &Crm, v: &Viewer, id: Uuid, form: &FormMap, done: Result<(), ServiceError>) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("{HERE}/{id}")).into_response(),
        Err(ServiceError::Validation(errors)) => {
            respond_sheet(crm, v, id, form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(e, v.locale, Some(v)),
    }
}

pub(super) async fn start(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let (v, id) = match posted(&crm, &headers, &id, &form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = crm.start_job(&v.actor, id).await.map(|_| ());
    after(&crm, &v, id, &form, done).await
}

pub(super) async fn add_part(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let (v, id) = match posted(&crm, &headers, &id, &form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = match form.get("part").and_then(|p| Uuid::parse_str(p).ok()) {
        Some(part) => crm
            .add_part(
                &v.actor,
                id,
                part,
                form.get("quantity").map(String::as_str).unwrap_or(""),
            )
            .await
            .map(|_| ()),
        None => Err(ServiceError::field("part", Msg::Required)),
    };
    after(&crm, &v, id, &form, done).await
}

pub(super) async fn complete(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FormMap>,
) -> Response {
    let (v, id) = match posted(&crm, &headers, &id, &form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let done = crm
        .complete_job(&v.actor, id, get("work_done"), get("signed_by"), get("signature"))
        .await
        .map(|_| ());
    after(&crm, &v, id, &form, done).await
}

pub(super) async fn signature(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let v = match super::signed_in(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.job_signature(&v.actor, id).await {
        Ok(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            png,
        )
            .into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

//! Duplicates in the browser: an object's groups of look-alikes, the "possible
//! duplicates" card of a record page, the merge page (which record is kept, whose value
//! each field keeps) and the merge's result with its Undo. Works without JavaScript; the
//! services decide everything.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Locale, Msg, ObjectDef};
use guanxi_services::dedupe::{Match, kind_of};
use guanxi_services::merge::{default_choice, mergeable};
use guanxi_services::{Crm, ServiceError};
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{self, display, t};
use super::{Viewer, failure, html, posted};

/// A look-alike's reasons that count for it, as one line.
pub(super) fn reasons(m: &Match, locale: Locale) -> String {
    m.reasons
        .iter()
        .filter(|r| r.points > 0)
        .map(|r| r.render(locale))
        .collect::<Vec<_>>()
        .join("；")
}

/// The "possible duplicates" card of a contact, account or lead page (nothing when there
/// are none), and the latest merge into the record with its Undo button.
pub(super) async fn card(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
) -> Result<Option<Markup>, ServiceError> {
    if kind_of(object).is_none() {
        return Ok(None);
    }
    let l = v.locale;
    let matches = crm.duplicates_of(&v.actor, &object.name, id).await?;
    let merges = crm.merges_into(&v.actor, &object.name, id).await?;
    let last = merges.into_iter().find(|m| m.undone_at.is_none());
    if matches.is_empty() && last.is_none() {
        return Ok(None);
    }
    let base = format!("/o/{}", object.plural);
    let ids: Vec<String> = std::iter::once(id)
        .chain(matches.iter().map(|m| m.id))
        .map(|i| i.to_string())
        .collect();
    Ok(Some(html! {
        @if let Some(m) = &last {
            section.card.merged aria-labelledby="merged" {
                h2 #merged { (t(l, Msg::UiMerge)) }
                p { (Msg::UiMerged.format(l, &[("count", &m.merged.len().to_string()), ("moved", &m.references.len().to_string())])) }
                form method="post" action={ "/merges/" (m.id) "/undo" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.secondary type="submit" { (t(l, Msg::UiUndoMerge)) }
                }
            }
        }
        @if !matches.is_empty() {
            section.card.duplicates aria-labelledby="duplicates" {
                h2 #duplicates { (t(l, Msg::UiPossibleDuplicates)) }
                ul {
                    @for m in &matches {
                        li {
                            a href={ (base) "/" (m.id) } { (if m.name.is_empty() { "—" } else { &m.name }) }
                            " · " (t(l, Msg::UiDupScore)) " " (m.score)
                            br;
                            small.hint { (reasons(m, l)) }
                        }
                    }
                }
                p { a.button href={ (base) "/merge?ids=" (ids.join(",")) } { (t(l, Msg::UiMerge)) } }
            }
        }
    }))
}

/// `GET /o/{plural}/duplicates`: the object's groups of look-alikes, each with a Merge link.
pub(super) async fn groups(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
) -> Response {
    let (v, object) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let groups = match crm.duplicate_groups(&v.actor, &object.name, None).await {
        Ok(g) => g,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let l = v.locale;
    let base = format!("/o/{}", object.plural);
    let title = format!("{} · {}", object.plural_label.get(l), t(l, Msg::UiDuplicates));
    let content = html! {
        p { a href=(base) { "← " (object.plural_label.get(l)) } }
        h1 { (title) }
        @if groups.is_empty() {
            p.empty { (t(l, Msg::UiNoDuplicates)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiDupGroup)) }
                    th scope="col" { (object.field(&object.name_field).map_or("", |f| f.label.get(l))) }
                    th scope="col" { (t(l, Msg::UiDupScore)) }
                    th scope="col" { (t(l, Msg::UiDupReasons)) }
                } }
                @for (n, g) in groups.iter().enumerate() {
                    tbody {
                        @for (i, m) in g.members.iter().enumerate() {
                            tr {
                                td data-label=(t(l, Msg::UiDupGroup)) {
                                    @if i == 0 {
                                        (n + 1) " "
                                        a href={ (base) "/merge?ids=" (g.members.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(",")) } { (t(l, Msg::UiMerge)) }
                                    }
                                }
                                td { a href={ (base) "/" (m.id) } { (if m.name.is_empty() { "—" } else { &m.name }) } }
                                td data-label=(t(l, Msg::UiDupScore)) { (m.score) }
                                td data-label=(t(l, Msg::UiDupReasons)) { (reasons(m, l)) }
                            }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(
            l,
            Some(&v),
            Some(&crm.schema()),
            Some(&object.name),
            &format!("{base}/duplicates"),
            &title,
            content,
        ),
    )
}

fn query_ids(raw: Option<&str>) -> Vec<Uuid> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "ids")
        .flat_map(|(_, v)| {
            v.split(',')
                .filter_map(|s| Uuid::parse_str(s.trim()).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The merge page: the records side by side, a radio per record for which is kept and,
/// per field where they differ, a radio per value (preselected: the record kept's, else
/// the latest non-empty one).
#[allow(clippy::too_many_arguments)]
async fn merge_page(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    ids: &[Uuid],
    chosen: &HashMap<String, String>,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = v.locale;
    let mut records: Vec<Record> = Vec::new();
    for id in ids {
        match crm.get(&v.actor, &object.name, *id, false).await {
            Ok(r) => records.push(r),
            Err(e) => return failure(e, l, Some(v)),
        }
    }
    let visible = crm.visible_object(&v.actor, object);
    let base = format!("/o/{}", object.plural);
    let title = format!("{} · {}", object.plural_label.get(l), t(l, Msg::UiMerge));
    let survivor = chosen
        .get("survivor")
        .and_then(|s| Uuid::parse_str(s).ok())
        .filter(|s| ids.contains(s))
        .or(ids.first().copied())
        .unwrap_or_default();
    let kept = records.iter().find(|r| r.id() == Some(survivor)).cloned();
    let others: Vec<Record> = records
        .iter()
        .filter(|r| r.id() != Some(survivor))
        .cloned()
        .collect();
    let name = |r: &Record| {
        visible
            .field(&visible.name_field)
            .map(|f| display(f, pages::field_value(object, r, &f.name), v.fmt()))
            .unwrap_or_default()
    };
    let fields: Vec<(usize, &guanxi_core::FieldDef)> = mergeable(object)
        .filter(|(_, f)| visible.field(&f.name).is_some())
        .filter(|(i, _)| records.iter().any(|r| r.values[*i] != records[0].values[*i]))
        .collect();
    let error_of = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message(l));
    let content = html! {
        @if kind_of(object).is_some() {
            p { a href={ (base) "/duplicates" } { "← " (t(l, Msg::UiDuplicates)) } }
        } @else {
            p { a href=(base) { "← " (object.plural_label.get(l)) } }
        }
        h1 { (title) }
        p.hint { (t(l, Msg::UiMergeHint)) }
        @for e in errors.iter().filter(|e| !e.field.starts_with("fields.")) {
            p.error role="alert" id={ "merge-" (e.field) "-error" } { (e.message(l)) }
        }
        form.card.merge method="post" action={ (base) "/merge" } {
            input type="hidden" name="csrf" value=(v.csrf);
            input type="hidden" name="ids" value=(ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
            fieldset {
                legend { (t(l, Msg::UiMergeKeep)) }
                @for r in &records {
                    @let id = r.id().unwrap_or_default();
                    label.choice {
                        input type="radio" name="survivor" value=(id) checked[id == survivor];
                        " " (name(r)) " "
                        a href={ (base) "/" (id) } { "↗" }
                    }
                }
            }
            @for (i, f) in &fields {
                @let key = format!("field.{}", f.name);
                @let default = kept.as_ref().map(|k| default_choice(*i, k, &others)).unwrap_or(survivor);
                @let picked = chosen.get(&key).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or(default);
                @let err = error_of(&format!("fields.{}", f.name));
                fieldset aria-invalid=[err.as_ref().map(|_| "true")] {
                    legend { (f.label.get(l)) }
                    @for r in &records {
                        @let id = r.id().unwrap_or_default();
                        @let shown = display(f, &r.values[*i], v.fmt());
                        label.choice {
                            input type="radio" name=(key) value=(id) checked[id == picked];
                            " " (if shown.is_empty() { "—".to_string() } else { shown })
                        }
                    }
                    @if let Some(e) = err { p.error id={ "merge-" (f.name) "-error" } { (e) } }
                }
            }
            div.actions { button.primary type="submit" { (t(l, Msg::UiMerge)) } }
        }
    };
    html(
        status,
        pages::layout(
            l,
            Some(v),
            Some(&crm.schema()),
            Some(&object.name),
            &format!("{base}/merge"),
            &title,
            content,
        ),
    )
}

/// `GET /o/{plural}/merge?ids=a,b`.
pub(super) async fn merge_form(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (v, object) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ids = query_ids(raw.as_deref());
    let errors = if ids.len() < 2 {
        vec![FieldError::new("merged", Msg::MergeNothingToMerge)]
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    merge_page(&crm, &v, &object, &ids, &HashMap::new(), &errors, status).await
}

/// `POST /o/{plural}/merge`: merges, then opens the record kept (which shows the merge
/// and its Undo).
pub(super) async fn merge(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object) = match posted(&crm, &headers, &plural, &form, None).await {
        Ok((v, o, _)) => (v, o),
        Err(r) => return r,
    };
    let ids = query_ids(
        form.get("ids")
            .map(|s| format!("ids={}", pages::enc(s)))
            .as_deref(),
    );
    let survivor = form
        .get("survivor")
        .and_then(|s| Uuid::parse_str(s).ok())
        .or(ids.first().copied())
        .unwrap_or_default();
    let merged: Vec<Uuid> = ids.iter().copied().filter(|i| *i != survivor).collect();
    let fields: BTreeMap<String, Uuid> = form
        .iter()
        .filter_map(|(k, val)| Some((k.strip_prefix("field.")?.to_string(), Uuid::parse_str(val).ok()?)))
        .collect();
    match crm
        .merge(&v.actor, &object.name, survivor, &merged, &fields)
        .await
    {
        Ok(_) => Redirect::to(&format!("/o/{}/{survivor}", object.plural)).into_response(),
        Err(ServiceError::Validation(errors)) => {
            merge_page(
                &crm,
                &v,
                &object,
                &ids,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// `POST /merges/{id}/undo`: undoes the merge and opens the record that was kept.
pub(super) async fn undo(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let v = match super::signed_in_form(&crm, &headers, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    match crm.undo_merge(&v.actor, id).await {
        Ok(m) => {
            let plural = crm
                .schema()
                .object(&m.object)
                .map(|o| o.plural.clone())
                .unwrap_or_default();
            Redirect::to(&format!("/o/{plural}/{}", m.survivor)).into_response()
        }
        Err(ServiceError::UndoRefused(msg, args)) => {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, val)| (k.as_str(), val.as_str())).collect();
            html(
                StatusCode::CONFLICT,
                pages::notice(&v, &msg.format(v.locale, &args), "/"),
            )
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

/// The look-alikes a blocking rule found, as the notice of the refused form.
pub(super) fn blocked_notice(matches: &[Match], locale: Locale) -> String {
    let names: Vec<String> = matches
        .iter()
        .map(|m| format!("{} ({})", if m.name.is_empty() { "—" } else { &m.name }, m.score))
        .collect();
    format!(
        "{} {}",
        Msg::DetailDuplicateBlocked.format(locale, &[("count", &matches.len().to_string())]),
        names.join("、")
    )
}

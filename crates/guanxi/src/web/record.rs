//! The record page: fields by page layout, quick actions (log a call, add a note, create
//! a task or a meeting), one timeline of the record's interactions and field changes,
//! related lists — and the recycle bin the record goes to when deleted.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_core::metadata::FieldType;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldDef, FieldError, Msg, ObjectDef};
use guanxi_services::records::ListQuery;
use guanxi_services::{Crm, ServiceError};
use guanxi_storage::system::HistoryRow;
use maud::{Markup, html};
use uuid::Uuid;

use super::pages::{self, display, field_value, t};
use super::{Related, Viewer, failure, html, posted_record};

/// Interactions on a record page's timeline, at most.
const TIMELINE: usize = 200;
/// Activities read for the timeline.
pub(super) const ACTIVITIES: usize = 100;

/// One line of the timeline: an activity linked to the record, or a change to it.
pub(super) enum Entry<'a> {
    Activity(&'a Related, &'a Record),
    Change(&'a HistoryRow),
}

impl Entry<'_> {
    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            Entry::Activity(r, a) => {
                let when = |name: &str| match field_value(&r.full, a, name) {
                    Value::DateTime(d) => Some(*d),
                    _ => None,
                };
                when("starts_at")
                    .or_else(|| when("created_at"))
                    .unwrap_or_default()
            }
            Entry::Change(h) => h.at,
        }
    }
}

/// A quick action whose form came back with problems: which one, what was typed, why.
#[derive(Default)]
pub(super) struct Quick {
    kind: String,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
}

pub(super) async fn record(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    match super::record_page(&crm, &headers, &plural, &id).await {
        Ok((v, object, id)) => page(&crm, &v, &object, id, None, &[], None).await,
        Err(r) => r,
    }
}

/// The record page as an answer (with a quick action's problems, if any).
/// A contact's page again, with the problems of its channel preferences form.
pub(super) async fn page_with_channel_errors(
    crm: &Crm,
    v: &Viewer,
    id: Uuid,
    errors: Vec<FieldError>,
) -> Response {
    match crm.schema().object("contact").cloned() {
        Some(object) => page(crm, v, &object, id, None, &errors, None).await,
        None => failure(ServiceError::NotFound, v.locale, Some(v)),
    }
}

/// The record page with the problems of one of its cards' forms (privacy, channels) or
/// the outcome of an erasure.
pub(super) async fn page_with(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    errors: &[FieldError],
    erased: Option<&guanxi_services::privacy::Erasure>,
) -> Response {
    page(crm, v, object, id, None, errors, erased).await
}

/// The record's page again with the problems of a form on it beside their inputs: 422,
/// unless the page itself cannot be shown (then its own answer).
pub(super) async fn refused(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    errors: &[FieldError],
) -> Response {
    let mut res = page_with(crm, v, object, id, errors, None).await;
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

async fn page(
    crm: &Crm,
    v: &Viewer,
    object: &ObjectDef,
    id: Uuid,
    quick: Option<Quick>,
    channel_errors: &[FieldError],
    erased: Option<&guanxi_services::privacy::Erasure>,
) -> Response {
    let record = match crm.get(&v.actor, &object.name, id, false).await {
        Ok(r) => r,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    let visible = crm.visible_object(&v.actor, object);
    let (history, names, related, layout) = tokio::join!(
        crm.history(&v.actor, &object.name, id),
        super::names_for(crm, &v.actor, object, &visible, &record),
        super::related_lists(crm, &v.actor, object, id),
        crm.layout(object),
    );
    let (history, names, related, layout) = match (history, names, related, layout) {
        (Ok(h), Ok(n), Ok(r), Ok(l)) => (h, n, r, l),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return failure(e, v.locale, Some(v));
        }
    };
    // Activities make the timeline; the other related lists stay lists.
    let (activities, others): (Vec<Related>, Vec<Related>) =
        related.into_iter().partition(|r| r.object.name == "activity");
    let mut entries: Vec<Entry<'_>> = activities
        .iter()
        .flat_map(|r| r.page.records.iter().map(move |a| Entry::Activity(r, a)))
        .collect();
    // An activity linked twice (say to the contact and its account) is one interaction.
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| match e {
        Entry::Activity(_, a) => seen.insert(a.id()),
        Entry::Change(_) => true,
    });
    entries.extend(history.iter().map(Entry::Change));
    entries.sort_by_key(|e| std::cmp::Reverse(e.at()));
    entries.truncate(TIMELINE);
    // Quick actions where activities can point at this kind of record.
    let linkable = !activities.is_empty();
    // An account's or a contact's whole picture, at a glance.
    let glance = match object.name.as_str() {
        "account" | "contact" => match crm.customer_360(&v.actor, &object.name, id).await {
            Ok(view) => {
                let basis = match object.name.as_str() {
                    "account" => match crm.tier_basis(object, &record.values).await {
                        Ok(b) => b,
                        Err(e) => return failure(e, v.locale, Some(v)),
                    },
                    _ => None,
                };
                Some(at_a_glance(crm, v, &view, basis.as_ref()))
            }
            Err(e) => return failure(e, v.locale, Some(v)),
        },
        _ => None,
    };
    // An opportunity's sales process: where it is, and what moving on needs.
    let guidance = match object.name.as_str() {
        guanxi_core::process::OBJECT => match crm.stage_guidance(&v.actor, id, v.locale).await {
            Ok(g) => Some(super::process::card(v, &g, crm.now())),
            // No process applies, or (partner users) the processes are not theirs to read.
            Err(ServiceError::NotFound | ServiceError::Validation(_) | ServiceError::Forbidden(_)) => None,
            Err(e) => return failure(e, v.locale, Some(v)),
        },
        _ => None,
    };
    // A contact's channel preferences and consent.
    let channels = match object.name.as_str() {
        "contact" => match super::channels::card(crm, v, id).await {
            Ok(card) => Some(super::channels::render(crm, v, id, &card, channel_errors)),
            Err(e) => return failure(e, v.locale, Some(v)),
        },
        _ => None,
    };
    // How trustworthy the record's data is (administrators).
    let quality = if v.actor.administers() {
        match crm.record_quality(&v.actor, &object.name, id).await {
            Ok(q) => Some(super::quality::card(v, object, &q)),
            Err(e) => return failure(e, v.locale, Some(v)),
        }
    } else {
        None
    };
    // Contacts, accounts and leads: look-alikes, and the last merge into the record.
    let duplicates = match super::duplicates::card(crm, v, object, id).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    let conversion = super::leads::card(v, object, &record, &names);
    // A quote's or an order's lines, totals, approval and next steps.
    let quote = match super::quotes::card(crm, v, object, &record, channel_errors).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // Open channel conflicts on the customer or the deal; resolving one (administrators).
    let conflicts = match super::conflicts::card(crm, v, object, &record, channel_errors).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // A case's service levels: time left, stopped, overdue or met.
    let service = match super::service::card(crm, v, object, &record).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // How a case's service went: time, cost, the customer's survey.
    let service_quality = match super::service::quality_card(crm, v, object, &record).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // Knowledge that may answer a case.
    let suggestions = match super::service::suggestions_card(crm, v, object, &record).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // An activity's attendees and the viewer's reply.
    let attendees = match super::attendees::card(crm, v, object, &record, channel_errors).await {
        Ok(card) => card,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    // The cards show the lines and the attendees; their related lists would say it twice.
    let mut others = others;
    if quote.is_some() {
        others.retain(|r| !r.object.name.ends_with("_line"));
    }
    if attendees.is_some() {
        others.retain(|r| r.object.name != guanxi_services::attendees::OBJECT);
    }
    // A deal's or a quote's conflicts show as the warning card, not as rows of parties.
    others.retain(|r| {
        r.object.name != guanxi_core::conflict::PARTY || object.name == guanxi_core::conflict::OBJECT
    });
    // Customers show their tier: the account's own, and beside every account it points at.
    let customers: Vec<Uuid> = object
        .fields
        .iter()
        .zip(&record.values)
        .filter_map(|(f, value)| match value {
            Value::Uuid(id) if f.target.as_deref() == Some("account") => Some(*id),
            _ => None,
        })
        .chain(record.id().filter(|_| object.name == "account"))
        .collect();
    let tiers = super::tier_labels(crm, v, &customers).await;
    // Files: for what the viewer may read (they may attach to what they may edit).
    let files = match crm.files_of(object, &record).await {
        Ok(f) => f,
        Err(e) => return failure(e, v.locale, Some(v)),
    };
    let files = super::files::card(
        v,
        &format!("/o/{}/{id}/files", object.plural),
        &files,
        channel_errors,
    );
    // A product's rating by the community's customers.
    let ratings = match object.name.as_str() {
        "product" if v.actor.kind == guanxi_core::access::UserKind::Internal => {
            match crm.product_ratings(&v.actor, id).await {
                Ok(r) => Some(r),
                Err(e) => return failure(e, v.locale, Some(v)),
            }
        }
        _ => None,
    };
    let extra = html! {
        @if let Some(card) = &conflicts { (card) }
        @if let Some(card) = &service { (card) }
        @if let Some(card) = &service_quality { (card) }
        @if let Some(card) = &suggestions { (card) }
        @if let Some(card) = &attendees { (card) }
        @if let Some(card) = &quote { (card) }
        @if let Some(card) = &conversion { (card) }
        @if let Some(card) = &duplicates { (card) }
        @if linkable {
            (quick_actions(crm, v, object, id, quick.as_ref()))
        }
        @if let Some(card) = &guidance { (card) }
        @if let Some(card) = &glance { (card) }
        @if let Some(card) = &channels { (card) }
        (files)
        @if let Some(r) = &ratings {
            section.card aria-labelledby="ratings" {
                h2 #ratings { (super::pages::t(v.locale, guanxi_core::Msg::UiProductRatings)) }
                (super::reviews::rating_summary(v, r))
                @if !r.reviews.is_empty() {
                    p { a href={ "/o/product_reviews?filter=" (super::pages::enc(&format!("product eq '{id}'"))) } { (super::pages::t(v.locale, guanxi_core::Msg::UiProductRatings)) " (" (r.reviews.len()) ")" } }
                }
            }
        }
        @if object.name == guanxi_services::community::POST {
            section.card aria-labelledby="community-article" {
                h2 #community-article { (super::pages::t(v.locale, guanxi_core::Msg::UiKnowledgeBase)) }
                form method="post" action={ "/o/community_posts/" (id) "/to-article" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.secondary type="submit" { (super::pages::t(v.locale, guanxi_core::Msg::UiCommunityToArticle)) }
                }
            }
        }
        @if object.name == "contact" {
            section.card aria-labelledby="portal-access" {
                h2 #portal-access { (super::pages::t(v.locale, guanxi_core::Msg::UiPortal)) }
                form method="post" action={ "/o/contacts/" (id) "/portal-invite" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.secondary type="submit" { (super::pages::t(v.locale, guanxi_core::Msg::UiInviteToPortal)) }
                }
            }
        }
        @if let Some(card) = &quality { (card) }
        @if super::privacy::offered(v, object) {
            (super::privacy::card(v, object, id, channel_errors, erased))
        }
        (timeline(v, &visible, &entries, crm.now()))
    };
    html(
        StatusCode::OK,
        pages::record(
            v,
            &crm.schema(),
            object,
            &visible,
            &record,
            &names,
            &tiers,
            &others,
            &layout,
            extra,
        ),
    )
}

/// Won business, open opportunities and cases, last and next contact, and how the
/// customer's interactions felt.
fn at_a_glance(
    crm: &Crm,
    v: &Viewer,
    view: &guanxi_services::customer::View360,
    basis: Option<&guanxi_services::tiers::TierBasis>,
) -> Markup {
    let locale = v.locale;
    let schema = crm.schema();
    let money =
        |amount: rust_decimal::Decimal, currency: &str| super::pages::money_text(amount, currency, v.fmt());
    let won: Vec<String> = view.lifetime_value.iter().map(|(c, a)| money(*a, c)).collect();
    let open_total: Vec<String> = schema
        .object("opportunity")
        .map(|o| {
            let mut sums: Vec<(String, rust_decimal::Decimal)> = Vec::new();
            for r in &view.open_opportunities {
                if let Value::Money { amount, currency } = field_value(o, r, "amount") {
                    match sums.iter_mut().find(|(c, _)| c == currency) {
                        Some((_, s)) => *s += *amount,
                        None => sums.push((currency.clone(), *amount)),
                    }
                }
            }
            sums.iter().map(|(c, a)| money(*a, c)).collect()
        })
        .unwrap_or_default();
    let experience = schema
        .object("activity")
        .and_then(|a| a.field("experience").cloned());
    let mut felt: Vec<(String, usize)> = Vec::new();
    if let (Some(activity), Some(f)) = (schema.object("activity"), &experience) {
        for i in view.timeline.iter().filter(|i| i.object == "activity") {
            if let Value::Text(x) = field_value(activity, &i.record, "experience") {
                let label = f.option_label(x, locale).to_string();
                match felt.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, n)) => *n += 1,
                    None => felt.push((label, 1)),
                }
            }
        }
    }
    let when = |d: &Option<chrono::DateTime<chrono::Utc>>| {
        d.as_ref()
            .map_or_else(|| "—".to_string(), |d| v.fmt().datetime(d))
    };
    let tier = basis.map(|b| tier_line(crm, v, b));
    html! {
        section.card.glance aria-labelledby="glance" {
            h2 #glance { (t(locale, Msg::Ui360)) }
            dl.fields {
                @if let Some((label, line)) = &tier {
                    dt { (label) }
                    dd.tier-basis { (line) }
                }
                dt { (t(locale, Msg::UiLifetimeValue)) }
                dd { @if won.is_empty() { "—" } @else { (won.join(" · ")) } }
                dt { (t(locale, Msg::UiOpenOpportunities)) }
                dd { (view.open_opportunities.len()) @if !open_total.is_empty() { " · " (open_total.join(" · ")) } }
                dt { (t(locale, Msg::UiOpenCases)) }
                dd { (view.open_cases.len()) }
                dt { (t(locale, Msg::UiLastContact)) }
                dd { (when(&view.last_contact)) }
                dt { (t(locale, Msg::UiNextContact)) }
                dd { (when(&view.next_contact)) }
                @if !felt.is_empty() {
                    dt { (t(locale, Msg::UiExperiences)) }
                    dd { (felt.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(" · ")) }
                }
            }
        }
    }
}

/// An account's tier and why it has it (by hand, which rule, or none fitted).
fn tier_line(crm: &Crm, v: &Viewer, b: &guanxi_services::tiers::TierBasis) -> (String, String) {
    use guanxi_core::tiers::Basis;
    let l = v.locale;
    let field = crm
        .schema()
        .object("account")
        .and_then(|a| a.field("tier").cloned());
    let label = field
        .as_ref()
        .map_or_else(|| "tier".to_string(), |f| f.label.get(l).to_string());
    let tier = match (&b.tier, &field) {
        (Some(t), Some(f)) => f.option_label(t, l).to_string(),
        _ => "—".to_string(),
    };
    let why = match (b.basis, &b.rule) {
        (Basis::Manual, _) => t(l, Msg::UiTierByHand).to_string(),
        (Basis::Rule(i), Some(rule)) => {
            let mut conditions = Vec::new();
            if let Some(m) = rule.min_revenue {
                let amount = super::pages::money_text(m, &b.currency, v.fmt());
                conditions.push(Msg::UiTierRevenueAtLeast.format(l, &[("amount", &amount)]));
            }
            if rule.contract {
                conditions.push(t(l, Msg::UiTierContract).to_string());
            }
            Msg::UiTierByRule.format(
                l,
                &[
                    ("n", &(i + 1).to_string()),
                    ("conditions", &conditions.join(t(l, Msg::UiTierAnd))),
                ],
            )
        }
        _ => t(l, Msg::UiTierNoRule).to_string(),
    };
    (label, format!("{tier} · {why}"))
}

/// Every interaction and change, newest first: what is still ahead apart from the past.
fn timeline(
    v: &Viewer,
    object: &ObjectDef,
    entries: &[Entry<'_>],
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let locale = v.locale;
    // Ahead: soonest first; past: newest first.
    let ahead = entries.iter().take_while(|e| e.at() > now).count();
    let upcoming: Vec<&Entry<'_>> = entries[..ahead].iter().rev().collect();
    let past: Vec<&Entry<'_>> = entries[ahead..].iter().collect();
    html! {
        section.card aria-labelledby="timeline" {
            h2 #timeline { (t(locale, Msg::UiTimeline)) }
            @if entries.is_empty() {
                p.hint { (t(locale, Msg::UiNothingYet)) }
            }
            @for (heading, part) in [(Msg::UiUpcoming, &upcoming), (Msg::UiPast, &past)] {
                @if !part.is_empty() && !upcoming.is_empty() { h3.timeline-part { (t(locale, heading)) } }
                @if !part.is_empty() {
                ol.timeline {
                    @for e in part.iter() {
                        @let at = e.at();
                        li class=(match e { Entry::Activity(..) => "t-activity", Entry::Change(_) => "t-change" }) {
                            time datetime=(guanxi_core::values::format_datetime(&at)) { (v.fmt().datetime(&at)) }
                            @match e {
                                Entry::Activity(r, a) => (activity_line(v, r, a)),
                                Entry::Change(h) => (pages::history_line(object, h, locale)),
                            }
                        }
                    }
                }
                }
            }
        }
    }
}

fn activity_line(v: &Viewer, r: &Related, a: &Record) -> Markup {
    let shown = |name: &str| {
        r.object
            .field(name)
            .map(|f| display(f, field_value(&r.full, a, name), v.fmt()))
            .filter(|s| !s.is_empty())
    };
    let facts: Vec<String> = ["status", "direction", "outcome", "location"]
        .iter()
        .filter_map(|n| shown(n))
        .collect();
    html! {
        @if let Some(kind) = shown("type") { span.tag { (kind) } " " }
        a href={ "/o/" (r.object.plural) "/" (a.id().unwrap_or_default()) } {
            (shown("subject").unwrap_or_else(|| "—".into()))
        }
        @if !facts.is_empty() { " · " (facts.join(" · ")) }
        @if let Some(text) = shown("description") {
            p.hint { (text.chars().take(280).collect::<String>()) @if text.chars().count() > 280 { "…" } }
        }
    }
}

/// The four quick actions: small forms that create an activity linked to this record.
fn quick_actions(crm: &Crm, v: &Viewer, object: &ObjectDef, id: Uuid, quick: Option<&Quick>) -> Markup {
    let locale = v.locale;
    let Some(activity) = crm.schema().object("activity").cloned() else {
        return html! {};
    };
    let writable = super::editable_fields(crm, &v.actor, &activity);
    let field = |name: &str| writable.iter().find(|f| f.name == name);
    let action = format!("/o/{}/{id}/quick", object.plural);
    let kinds: [(&str, Msg, &[&str]); 4] = [
        ("call", Msg::UiLogCall, &["subject", "outcome", "description"]),
        ("note", Msg::UiAddNote, &["description"]),
        ("task", Msg::UiNewTask, &["subject", "due_date", "priority"]),
        (
            "meeting",
            Msg::UiNewMeeting,
            &["subject", "starts_at", "ends_at", "location"],
        ),
    ];
    html! {
        section.card.quick aria-labelledby="quick" {
            h2 #quick { (t(locale, Msg::UiQuickActions)) }
            @for (kind, label, names) in kinds {
                @let open = quick.is_some_and(|q| q.kind == kind);
                @let value = |k: &str| quick.filter(|_| open).and_then(|q| q.values.get(k)).map(String::as_str).unwrap_or("");
                details open[open] {
                    summary { (t(locale, label)) }
                    form.record-form method="post" action=(action) novalidate {
                        input type="hidden" name="csrf" value=(v.csrf);
                        input type="hidden" name="kind" value=(kind);
                        @for name in names.iter() {
                            @if let Some(f) = field(name) {
                                @let input_id = format!("q-{kind}-{name}");
                                @let err = quick.filter(|_| open).and_then(|q| q.errors.iter().find(|e| e.field == *name));
                                @let err_id = format!("{input_id}-error");
                                div.field {
                                    label for=(input_id) { (f.label.get(locale)) @if (*name == "subject" && kind != "call") || (*name == "description" && kind == "note") { " *" } }
                                    (pages::form_input_markup(f, &input_id, value, err.map(|_| err_id.as_str()), err.is_some(), locale))
                                    @if let Some(e) = err { p.error id=(err_id) { (e.message(locale)) } }
                                }
                            }
                        }
                        @if let Some(q) = quick.filter(|_| open) {
                            @for e in q.errors.iter().filter(|e| !names.contains(&e.field.as_str())) {
                                p.error role="alert" { (e.field) ": " (e.message(locale)) }
                            }
                        }
                        div.actions { button.primary type="submit" { (t(locale, Msg::UiSave)) } }
                    }
                }
            }
        }
    }
}

/// `POST /o/{plural}/{id}/quick`: creates the activity of a quick action, linked to the
/// record (and to the account of a contact or opportunity, so it shows there too).
pub(super) async fn quick(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let schema = crm.schema();
    let Some(activity) = schema.object("activity").cloned() else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    let Some(link) = activity
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::Lookup && f.target.as_deref() == Some(&object.name))
    else {
        return failure(ServiceError::NotFound, v.locale, Some(&v));
    };
    // The record must be readable to be linked (the write path checks lookups too).
    let record = match crm.get(&v.actor, &object.name, id, false).await {
        Ok(r) => r,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let kind = form.get("kind").cloned().unwrap_or_default();
    let (status, defaults): (&str, &[&str]) = match kind.as_str() {
        "call" => ("completed", &["subject", "outcome", "description"]),
        "note" => ("completed", &["description"]),
        "task" => ("planned", &["subject", "due_date", "priority"]),
        "meeting" => ("planned", &["subject", "starts_at", "ends_at", "location"]),
        _ => return failure(ServiceError::NotFound, v.locale, Some(&v)),
    };
    let fields: Vec<FieldDef> = super::editable_fields(&crm, &v.actor, &activity)
        .into_iter()
        .filter(|f| defaults.contains(&f.name.as_str()))
        .collect();
    let mut input = super::form_input(&v, &fields, &form, true);
    let typed = |k: &str| form.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let now = guanxi_core::values::format_datetime(&crm.now());
    input.insert("type".into(), kind.clone().into());
    input.insert("status".into(), status.into());
    input.insert(link.name.clone(), id.to_string().into());
    match kind.as_str() {
        "call" => {
            input.insert("channel".into(), "phone".into());
            input.insert("direction".into(), "outbound".into());
            input.insert("starts_at".into(), now.clone().into());
            if typed("subject").is_none() {
                input.insert("subject".into(), t(v.locale, Msg::UiCallDefaultSubject).into());
            }
        }
        "note" => {
            input.insert("starts_at".into(), now.into());
            // A note's subject is its first line, shortened.
            let first = typed("description").and_then(|d| d.lines().next()).unwrap_or("");
            let subject: String = first.chars().take(60).collect();
            if !subject.is_empty() {
                input.insert("subject".into(), subject.into());
            }
        }
        _ => {}
    }
    // Linked to the account of a contact or an opportunity too, so it shows there.
    if link.name != "account"
        && activity.field("account").is_some()
        && let Value::Uuid(account) = field_value(&object, &record, "account")
        && object
            .field("account")
            .is_some_and(|f| f.target.as_deref() == Some("account"))
    {
        input.insert("account".into(), account.to_string().into());
    }
    if kind == "note" && typed("description").is_none() {
        let quick = Quick {
            kind,
            values: form,
            errors: vec![FieldError::new("description", Msg::Required)],
        };
        return with_status(
            page(&crm, &v, &object, id, Some(quick), &[], None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match crm.create(&v.actor, "activity", input).await {
        Ok(_) => Redirect::to(&format!("/o/{}/{id}#timeline", object.plural)).into_response(),
        Err(ServiceError::Validation(errors)) => {
            let quick = Quick {
                kind,
                values: form,
                errors,
            };
            with_status(
                page(&crm, &v, &object, id, Some(quick), &[], None).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

fn with_status(mut res: Response, status: StatusCode) -> Response {
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

/// `GET /o/{plural}/bin`: the object's deleted records the user may restore.
pub(super) async fn bin(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path(plural): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (v, full) = match super::object_page(&crm, &headers, &plural).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let cursor = url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "cursor")
        .map(|(_, c)| c.into_owned());
    // Newest records first (ids are time-ordered).
    let q = ListQuery {
        filter: None,
        sort: Some("-id".into()),
        cursor: cursor.clone(),
        limit: Some(50),
        deleted: true,
        few: false,
    };
    let page = match crm.list(&v.actor, &full.name, &q).await {
        Ok(p) => p,
        Err(e) => return failure(e, v.locale, Some(&v)),
    };
    let visible = crm.visible_object(&v.actor, &full);
    let locale = v.locale;
    let base = format!("/o/{}", full.plural);
    let title = format!(
        "{} · {}",
        visible.plural_label.get(locale),
        t(locale, Msg::UiRecycleBin)
    );
    let name_field = visible.field(&visible.name_field);
    let content = html! {
        p { a href=(base) { "← " (visible.plural_label.get(locale)) } }
        h1 { (title) }
        p.hint { (t(locale, Msg::UiBinHint)) }
        @if page.records.is_empty() {
            p.empty { (t(locale, Msg::UiNoRecords)) }
        } @else {
            table.records {
                thead { tr {
                    th scope="col" { (name_field.map_or("", |f| f.label.get(locale))) }
                    th scope="col" { (t(locale, Msg::UiDeletedAt)) }
                    th scope="col" { span.vh { (t(locale, Msg::UiRestore)) } }
                } }
                tbody {
                    @for r in &page.records {
                        @let id = r.id().unwrap_or_default();
                        @let name = name_field.map(|f| display(f, field_value(&full, r, &f.name), v.fmt())).unwrap_or_default();
                        tr {
                            td data-label=(name_field.map_or("", |f| f.label.get(locale))) { (if name.is_empty() { "—" } else { &name }) }
                            td data-label=(t(locale, Msg::UiDeletedAt)) {
                                @if let Value::DateTime(d) = field_value(&full, r, "deleted_at") { (v.fmt().datetime(d)) }
                            }
                            td {
                                form method="post" action={ (base) "/" (id) "/restore" } {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    button.primary type="submit" aria-label={ (t(locale, Msg::UiRestore)) " " (name) } { (t(locale, Msg::UiRestore)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if cursor.is_some() { a href={ (base) "/bin" } { (t(locale, Msg::UiFirstPage)) } }
            @if let Some(c) = &page.next_cursor {
                a rel="next" href={ (base) "/bin?cursor=" (pages::enc(c)) } { (t(locale, Msg::UiNextPage)) }
            }
        }
    };
    html(
        StatusCode::OK,
        pages::layout(
            locale,
            Some(&v),
            Some(&crm.schema()),
            Some(&full.name),
            &format!("{base}/bin"),
            &title,
            content,
        ),
    )
}

/// `POST /o/{plural}/{id}/restore`: brings a deleted record back and opens it.
pub(super) async fn restore(
    State(crm): State<Crm>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (v, object, id) = match posted_record(&crm, &headers, &plural, &form, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match crm.restore(&v.actor, &object.name, id).await {
        Ok(_) => Redirect::to(&format!("/o/{}/{id}", object.plural)).into_response(),
        Err(e) => failure(e, v.locale, Some(&v)),
    }
}

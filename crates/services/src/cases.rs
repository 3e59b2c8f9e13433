//! Service cases as they arrive and as they close: the public case form (`web_case`)
//! takes a visitor's problem, finds them among the contacts by email or mobile to link the
//! case to them and their company, and keeps what they said about themselves either way;
//! a complaint is resolved or closed only with its root cause and closing summary.

use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use serde_json::{Map, Value as Json, json};

use crate::records::{ListQuery, Planned};
use crate::web_forms::{Submission, filled};
use crate::{Actor, Crm, ServiceError};

pub const CASE: &str = "case";

/// The case form's inputs and the case fields they fill.
pub const CASE_FORM_FIELDS: [(&str, &str); 8] = [
    ("name", "supplied_name"),
    ("company", "supplied_company"),
    ("email", "supplied_email"),
    ("mobile", "supplied_phone"),
    ("phone", "supplied_phone"),
    ("type", "type"),
    ("subject", "subject"),
    ("description", "description"),
];

impl Crm {
    /// A case from the public case form at `address` (screened as `screen_submission`
    /// says): new, from the web, linked to the contact whose email or mobile the visitor
    /// gave (and that contact's company) when exactly one has it. Owned by whom the
    /// assignment rules say, else by the first administrator. Problems name the form's
    /// inputs, not the case's fields.
    pub async fn web_case(
        &self,
        address: Option<&str>,
        input: &Map<String, Json>,
    ) -> Result<Submission, ServiceError> {
        if !self.screen_submission(CASE, address, input)? {
            return Ok(Submission::Discarded);
        }
        let mut case = Map::new();
        for (from, to) in CASE_FORM_FIELDS {
            if filled(input, from)
                && !case.contains_key(to)
                && let Some(v) = input.get(from)
            {
                case.insert(to.to_string(), v.clone());
            }
        }
        case.insert("status".into(), json!("new"));
        case.insert("origin".into(), json!("web"));
        let actor = self.form_writer().await?;
        if let Some(contact) = self.contact_reached_by(&actor, input).await? {
            let (_, def) = self.object("contact")?;
            case.insert("contact".into(), json!(contact.id()));
            let account = def.fields.iter().position(|f| f.name == "account");
            if let Some(Value::Uuid(account)) = account.and_then(|i| contact.values.get(i)) {
                case.insert("account".into(), json!(account));
            }
        }
        match crate::assignment::with_rules(self.create(&actor, CASE, case)).await {
            Ok(record) => Ok(Submission::Created(record)),
            Err(ServiceError::Validation(errors)) => Err(ServiceError::Validation(
                errors.into_iter().map(as_input).collect(),
            )),
            Err(e) => Err(e),
        }
    }

    /// The one live contact with the email (else the mobile) a visitor gave; none when
    /// nobody or several have it.
    async fn contact_reached_by(
        &self,
        actor: &Actor,
        input: &Map<String, Json>,
    ) -> Result<Option<Record>, ServiceError> {
        let text = |k: &str| {
            input
                .get(k)
                .and_then(Json::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let region = self.parse_context().default_region;
        let asks = [
            text("email")
                .and_then(guanxi_core::normalize::email)
                .map(|e| ("email", e)),
            text("mobile")
                .or_else(|| text("phone"))
                .and_then(|p| guanxi_core::normalize::phone(p, region))
                .map(|p| ("mobile", p)),
        ];
        for (field, value) in asks.into_iter().flatten() {
            let q = ListQuery {
                filter: Some(format!("{field} eq {}", guanxi_core::query::quote(&value))),
                limit: Some(2),
                few: true,
                ..Default::default()
            };
            let mut found = self.list(actor, "contact", &q).await?.records;
            if found.len() == 1 {
                return Ok(found.pop());
            }
        }
        Ok(None)
    }
}

/// The statuses the service rules act on: a new case has had no first response, one
/// waiting on the customer has its clocks stopped, an escalated one was taken up the
/// hierarchy; resolved and closed cases have ended (no longer timed, surveyed).
pub(crate) const NEW: &str = "new";
pub(crate) const WAITING: &str = "waiting_customer";
pub(crate) const ESCALATED: &str = "escalated";
pub(crate) const ENDED: [&str; 2] = ["resolved", "closed"];

impl Crm {
    /// The write path's step for cases: a complaint resolved or closed (or whose root cause
    /// or summary is cleared once it is) must have its root cause and closing summary,
    /// each missing one named.
    pub(crate) fn close_complaints(object: &ObjectDef, plans: &mut [Result<Planned, crate::ServiceError>]) {
        if object.name != CASE {
            return;
        }
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        let (Some(status), Some(kind), Some(cause), Some(summary)) =
            (at("status"), at("type"), at("root_cause"), at("closing_summary"))
        else {
            return;
        };
        let text = |v: &Value| match v {
            Value::Text(t) => t.trim().to_string(),
            _ => String::new(),
        };
        for plan in plans.iter_mut() {
            let Ok(p) = &*plan else { continue };
            // An edit of an ended complaint that leaves these alone is not held up by them
            // (complaints closed before the rule keep being editable).
            if let Planned::Update { changes, .. } = p
                && !changes.iter().any(|(i, _)| [status, cause, summary].contains(i))
            {
                continue;
            }
            let Some(after) = p.after() else { continue };
            let v = &after.values;
            if text(&v[kind]) != "complaint" || !ENDED.contains(&text(&v[status]).as_str()) {
                continue;
            }
            let mut errors = Vec::new();
            if text(&v[cause]).is_empty() {
                errors.push(FieldError::new("root_cause", Msg::ComplaintNeedsRootCause));
            }
            if text(&v[summary]).is_empty() {
                errors.push(FieldError::new("closing_summary", Msg::ComplaintNeedsSummary));
            }
            if !errors.is_empty() {
                *plan = Err(ServiceError::Validation(errors));
            }
        }
    }
}

/// A case field's problem, named after the form input that filled it.
fn as_input(mut e: FieldError) -> FieldError {
    if let Some((from, _)) = CASE_FORM_FIELDS
        .iter()
        .find(|(from, to)| *to == e.field && *from != "phone")
    {
        e.field = (*from).to_string();
    }
    e
}

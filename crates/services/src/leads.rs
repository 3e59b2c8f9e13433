//! Lead conversion: a qualified lead becomes an account, a contact and (if wanted) an
//! opportunity — but first the customer base is searched for the company and the person,
//! so a lead from a customer we already know links to their records instead of copying
//! them. Everything is written in one transaction through the write path (permissions,
//! validation rules, sales processes, history, search), and the lead keeps links to what
//! it became and is read-only from then on.

use std::collections::HashSet;

use chrono::Duration;
use guanxi_core::access::Operation;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::dedupe::Match;
use crate::records::{Change, Planned, plan_create};
use crate::web_forms::{Submission, filled};
use crate::{Actor, Crm, ServiceError};

pub const LEAD: &str = "lead";
pub const CONVERTED: &str = "converted";
/// The lead's fields conversion fills, and only conversion.
pub const CONVERTED_FIELDS: [&str; 4] = [
    "converted_account",
    "converted_contact",
    "converted_opportunity",
    "converted_at",
];

tokio::task_local! {
    /// Set while a conversion writes: the lead guard lets its changes through.
    static CONVERTING: bool;
}

/// What a visitor may fill in on the public form; anything else posted is ignored.
pub const WEB_FORM_FIELDS: [&str; 12] = [
    "name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "province",
    "city",
    "industry",
    "product_interest",
    "description",
    "campaign",
];

/// What to link the lead to: the best existing match (if any scores at the duplicate
/// threshold, else a new record), always a new record, or a record the user chose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Auto,
    New,
    Existing(Uuid),
}

impl Link {
    /// `auto`, `new` or a record id; anything else names `field`.
    pub fn parse(text: Option<&str>, field: &str) -> Result<Link, FieldError> {
        match text.map(str::trim) {
            None | Some("") | Some("auto") => Ok(Link::Auto),
            Some("new") => Ok(Link::New),
            Some(t) => Uuid::parse_str(t)
                .map(Link::Existing)
                .map_err(|_| FieldError::new(field, Msg::InvalidLink)),
        }
    }
}

/// How to convert: the account and contact to link or create, and the opportunity's
/// fields (`None`: no opportunity). Unset opportunity fields take the lead's values.
#[derive(Clone, Debug, Default)]
pub struct Conversion {
    pub account: Link,
    pub contact: Link,
    pub opportunity: Option<Map<String, Json>>,
}

impl Conversion {
    /// A conversion from the account and contact choices as typed (`auto`, `new` or an
    /// id) and the opportunity to open; each bad choice is named.
    pub fn from_choices(
        account: Option<&str>,
        contact: Option<&str>,
        opportunity: Option<Map<String, Json>>,
    ) -> Result<Conversion, Vec<FieldError>> {
        match (Link::parse(account, "account"), Link::parse(contact, "contact")) {
            (Ok(account), Ok(contact)) => Ok(Conversion {
                account,
                contact,
                opportunity,
            }),
            (a, c) => Err([a.err(), c.err()].into_iter().flatten().collect()),
        }
    }
}

/// What conversion would link to, before it is done: the look-alikes of the lead's
/// company among accounts and of the person among contacts, best first, and the ones
/// `Link::Auto` would take.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    #[serde(skip)]
    pub lead: Record,
    #[serde(skip)]
    pub accounts: Vec<Match>,
    #[serde(skip)]
    pub contacts: Vec<Match>,
    /// The account and contact the lead's data would make (write-path input).
    #[serde(skip)]
    pub account_input: Option<Map<String, Json>>,
    #[serde(skip)]
    pub contact_input: Map<String, Json>,
    pub account: Option<Uuid>,
    pub contact: Option<Uuid>,
    pub opportunity: Map<String, Json>,
}

/// What a conversion made or linked.
#[derive(Clone, Debug)]
pub struct Converted {
    pub lead: Record,
    pub account: Option<(Record, bool)>,
    pub contact: (Record, bool),
    pub opportunity: Option<Record>,
}

fn text_of(object: &ObjectDef, r: &Record, name: &str) -> Option<String> {
    match r.get(object, name) {
        Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.clone()),
        _ => None,
    }
}

/// A lead field's value as write-path input (what the API would take).
fn input_of(object: &ObjectDef, r: &Record, name: &str) -> Option<Json> {
    let json = r.to_json(object);
    json.get(name).filter(|v| !v.is_null()).cloned()
}

fn copy(into: &mut Map<String, Json>, lead_def: &ObjectDef, lead: &Record, pairs: &[(&str, &str)]) {
    for (from, to) in pairs {
        if let Some(v) = input_of(lead_def, lead, from) {
            into.insert((*to).to_string(), v);
        }
    }
}

/// Field errors of one created record, named under `prefix` (`account.name`).
fn under(prefix: &str, e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Validation(errors) => ServiceError::Validation(
            errors
                .into_iter()
                .map(|mut fe| {
                    fe.field = format!("{prefix}.{}", fe.field);
                    fe
                })
                .collect(),
        ),
        other => other,
    }
}

impl Crm {
    /// A lead from the public web form at `address` (screened as `screen_submission`
    /// says), written as a new website lead — owned by whom the assignment rules say,
    /// else by the first administrator, on whose behalf the form writes.
    pub async fn web_lead(
        &self,
        address: Option<&str>,
        input: &Map<String, Json>,
    ) -> Result<Submission, ServiceError> {
        if !self.screen_submission("lead", address, input)? {
            return Ok(Submission::Discarded);
        }
        let lead: Map<String, Json> = WEB_FORM_FIELDS
            .iter()
            .filter(|k| filled(input, k))
            .filter_map(|k| input.get(*k).map(|v| ((*k).to_string(), v.clone())))
            .collect();
        Ok(Submission::Created(self.website_lead(lead).await?))
    }

    /// Writes a new website lead from what a visitor gave, as the public forms write —
    /// owned by whom the assignment rules say, else the first administrator.
    pub(crate) async fn website_lead(&self, mut lead: Map<String, Json>) -> Result<Record, ServiceError> {
        lead.insert("status".into(), json!("new"));
        lead.insert("source".into(), json!("website"));
        let actor = self.form_writer().await?;
        crate::assignment::with_rules(self.create(&actor, LEAD, lead)).await
    }

    /// Whether the current write is a conversion's.
    pub(crate) fn converting() -> bool {
        CONVERTING.try_with(|c| *c).unwrap_or(false)
    }

    /// The write path's guard for leads: a converted lead is read-only, and only a
    /// conversion marks a lead converted or fills its conversion links.
    pub(crate) fn guard_leads(object: &ObjectDef, plans: &mut [Result<Planned, ServiceError>]) {
        if object.name != LEAD || Self::converting() {
            return;
        }
        let index = |name: &str| object.fields.iter().position(|f| f.name == name);
        let Some(status) = index("status") else { return };
        let converted = Value::Text(CONVERTED.into());
        let links: Vec<usize> = CONVERTED_FIELDS.iter().filter_map(|n| index(n)).collect();
        for plan in plans.iter_mut() {
            let refused = match &*plan {
                Ok(Planned::Update { before, .. }) if before.values[status] == converted => {
                    Some(FieldError::new("status", Msg::LeadConvertedReadOnly))
                }
                Ok(Planned::Update { changes, .. }) => changes.iter().find_map(|(i, v)| {
                    if *i == status && *v == converted {
                        Some(FieldError::new("status", Msg::LeadConvertOnly))
                    } else if links.contains(i) {
                        Some(FieldError::new(&object.fields[*i].name, Msg::LeadConvertOnly))
                    } else {
                        None
                    }
                }),
                Ok(Planned::Insert(r)) => {
                    if r.values[status] == converted {
                        Some(FieldError::new("status", Msg::LeadConvertOnly))
                    } else {
                        links
                            .iter()
                            .find(|i| !r.values[**i].is_null())
                            .map(|i| FieldError::new(&object.fields[*i].name, Msg::LeadConvertOnly))
                    }
                }
                _ => None,
            };
            if let Some(e) = refused {
                *plan = Err(ServiceError::Validation(vec![e]));
            }
        }
    }

    /// The account and contact a lead's data would make, as write-path input.
    fn conversion_inputs(
        &self,
        lead_def: &ObjectDef,
        lead: &Record,
    ) -> (Option<Map<String, Json>>, Map<String, Json>) {
        let account = text_of(lead_def, lead, "company").map(|company| {
            let mut a = Map::new();
            a.insert("name".into(), json!(company));
            copy(
                &mut a,
                lead_def,
                lead,
                &[
                    ("website", "website"),
                    ("industry", "industry"),
                    ("region", "region"),
                    ("province", "province"),
                    ("city", "city"),
                    ("address", "address"),
                    ("source", "source"),
                ],
            );
            a
        });
        let mut c = Map::new();
        copy(
            &mut c,
            lead_def,
            lead,
            &[
                ("name", "name"),
                ("title", "title"),
                ("mobile", "mobile"),
                ("phone", "phone"),
                ("email", "email"),
                ("province", "province"),
                ("city", "city"),
                ("address", "address"),
                ("source", "source"),
            ],
        );
        (account, c)
    }

    /// Look-alikes of a would-be record among those the actor may read, at the object's
    /// duplicate threshold (whether or not the rule is switched on for creates).
    async fn look_alikes(
        &self,
        actor: &Actor,
        object: &str,
        input: &Map<String, Json>,
    ) -> Result<Vec<Match>, ServiceError> {
        let (_, def) = self.object(object)?;
        let access = self.access(actor, &def);
        if !access.may(Operation::Read) {
            return Ok(Vec::new());
        }
        let threshold = self.duplicate_rule(&def.name).await?.threshold;
        // Plan as its owner would (permissions to create are checked when it is written).
        match plan_create(&def, input, actor, self.now(), &self.parse_context(), &access) {
            Ok(Planned::Insert(planned)) => self.matches_for(actor, &def, &planned, threshold).await,
            _ => Ok(Vec::new()),
        }
    }

    /// What converting the lead would link to, and the opportunity it would open.
    pub async fn conversion_plan(&self, actor: &Actor, id: Uuid) -> Result<Plan, ServiceError> {
        let lead = self.get(actor, LEAD, id, false).await?;
        let (_, lead_def) = self.object(LEAD)?;
        if text_of(&lead_def, &lead, "status").as_deref() == Some(CONVERTED) {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "status",
                Msg::LeadConvertedReadOnly,
            )]));
        }
        let (account_input, contact_input) = self.conversion_inputs(&lead_def, &lead);
        let started = std::time::Instant::now();
        let accounts = match &account_input {
            Some(a) => self.look_alikes(actor, "account", a).await?,
            None => Vec::new(),
        };
        let accounts_took = started.elapsed();
        let account = accounts.first().map(|m| m.id);
        let mut person = contact_input.clone();
        if let Some(a) = account {
            // Colleagues at the matched company count as evidence for the person.
            person.insert("account".into(), json!(a));
        }
        let contacts = self.look_alikes(actor, "contact", &person).await?;
        let contact = contacts.first().map(|m| m.id);
        tracing::debug!(
            lead = %id,
            accounts = ?accounts_took,
            contacts = ?(started.elapsed() - accounts_took),
            "conversion look-alikes"
        );
        let mut opportunity = self.opportunity_defaults(&lead_def, &lead);
        if let Some(stage) = self.first_stage(None).await? {
            opportunity.insert("stage".into(), json!(stage));
        }
        Ok(Plan {
            lead,
            accounts,
            contacts,
            account_input,
            contact_input,
            account,
            contact,
            opportunity,
        })
    }

    /// The opportunity a conversion opens unless told otherwise: named after the company
    /// (or person), the lead's budget and source, closing in 90 days, at the first stage
    /// of the default sales process (the write path fills that in).
    fn opportunity_defaults(&self, lead_def: &ObjectDef, lead: &Record) -> Map<String, Json> {
        let mut o = Map::new();
        let who = text_of(lead_def, lead, "company")
            .or_else(|| text_of(lead_def, lead, "name"))
            .unwrap_or_default();
        o.insert("name".into(), json!(who));
        copy(
            &mut o,
            lead_def,
            lead,
            &[("budget", "amount"), ("source", "source")],
        );
        let close = (self.now() + Duration::days(90)).date_naive();
        o.insert("close_date".into(), json!(close.to_string()));
        o
    }

    /// Where a new opportunity starts: the first stage of the process named (else the
    /// default one), or without processes the stage picklist's first value. An unknown
    /// process is left for the write path to name.
    async fn first_stage(&self, process: Option<&str>) -> Result<Option<String>, ServiceError> {
        let processes = self.active_processes().await?;
        if let Ok(Some(p)) = guanxi_core::process::chosen(&processes, process) {
            return Ok(p.first().map(|s| s.stage.clone()));
        }
        let (_, o) = self.object(guanxi_core::process::OBJECT)?;
        Ok(o.field(guanxi_core::process::STAGE)
            .and_then(|f| f.options.iter().find(|o| o.active))
            .map(|o| o.value.clone()))
    }

    /// Converts the lead in one transaction: links to (or creates) its account and
    /// contact, opens the opportunity if asked, and marks the lead converted with links to
    /// all three. Problems name their place (`account`, `contact.email`,
    /// `opportunity.close_date`); nothing is written unless everything is.
    pub async fn convert_lead(
        &self,
        actor: &Actor,
        id: Uuid,
        how: Conversion,
    ) -> Result<Converted, ServiceError> {
        let plan = self.conversion_plan(actor, id).await?;
        let (_, lead_def) = self.object(LEAD)?;
        let lead = plan.lead.clone();
        let (account_input, contact_input) = (plan.account_input.clone(), plan.contact_input.clone());
        let schema = self.schema();
        let now = self.now();
        CONVERTING
            .scope(true, async move {
                let mut tx = self.db().begin().await?;
                let object = |name: &str| self.object(name).map(|(_, o)| o);
                let (account_def, contact_def, opp_def) =
                    (object("account")?, object("contact")?, object("opportunity")?);
                let mut written = HashSet::new();
                // The account.
                let account_choice = match &how.account {
                    Link::Existing(a) => Some(Ok(*a)),
                    Link::Auto if plan.account.is_some() => plan.account.map(Ok),
                    _ => account_input.clone().map(Err),
                };
                let account: Option<(Record, bool)> = match account_choice {
                    None => None,
                    Some(Ok(a)) => {
                        let r = self
                            .readable_with(&self.access(actor, &account_def), &account_def, a)
                            .await
                            .map_err(|e| under("account", e))?;
                        Some((r, false))
                    }
                    Some(Err(input)) => {
                        let r = self
                            .write_one(
                                &mut tx,
                                actor,
                                &schema,
                                &account_def,
                                Change::Create(input),
                                now,
                                &written,
                            )
                            .await
                            .map_err(|e| under("account", e))?;
                        written.extend(r.id());
                        Some((r, true))
                    }
                };
                let account_id = account.as_ref().and_then(|(r, _)| r.id());
                // The contact, at the account.
                let contact_choice = match &how.contact {
                    Link::Existing(c) => Ok(*c),
                    Link::Auto if plan.contact.is_some() => Ok(plan.contact.unwrap_or_default()),
                    _ => Err(()),
                };
                let contact = match contact_choice {
                    Ok(c) => {
                        let r = self
                            .readable_with(&self.access(actor, &contact_def), &contact_def, c)
                            .await
                            .map_err(|e| under("contact", e))?;
                        (r, false)
                    }
                    Err(()) => {
                        let mut input = contact_input.clone();
                        if let Some(a) = account_id {
                            input.insert("account".into(), json!(a));
                        }
                        let r = self
                            .write_one(
                                &mut tx,
                                actor,
                                &schema,
                                &contact_def,
                                Change::Create(input),
                                now,
                                &written,
                            )
                            .await
                            .map_err(|e| under("contact", e))?;
                        written.extend(r.id());
                        (r, true)
                    }
                };
                // The opportunity.
                let opportunity = match &how.opportunity {
                    None => None,
                    Some(given) => {
                        let mut input = plan.opportunity.clone();
                        // The plan's stage is the default process's first: a process the
                        // user names starts at its own first stage.
                        if given.contains_key("process") && !given.contains_key("stage") {
                            input.remove("stage");
                        }
                        for (k, v) in given {
                            input.insert(k.clone(), v.clone());
                        }
                        if !input.contains_key("stage") {
                            let process = input.get("process").and_then(Json::as_str).map(str::to_string);
                            if let Some(stage) = self.first_stage(process.as_deref()).await? {
                                input.insert("stage".into(), json!(stage));
                            }
                        }
                        if let Some(a) = account_id {
                            input.entry("account").or_insert(json!(a));
                        }
                        input.entry("contact").or_insert(json!(contact.0.id()));
                        let r = self
                            .write_one(
                                &mut tx,
                                actor,
                                &schema,
                                &opp_def,
                                Change::Create(input),
                                now,
                                &written,
                            )
                            .await
                            .map_err(|e| under("opportunity", e))?;
                        Some(r)
                    }
                };
                // The lead, marked converted with its links.
                let mut patch = Map::new();
                patch.insert("status".into(), json!(CONVERTED));
                patch.insert("converted_account".into(), json!(account_id));
                patch.insert("converted_contact".into(), json!(contact.0.id()));
                patch.insert(
                    "converted_opportunity".into(),
                    json!(opportunity.as_ref().and_then(|o| o.id())),
                );
                patch.insert(
                    "converted_at".into(),
                    json!(guanxi_core::values::format_datetime(&now)),
                );
                let lead = self
                    .write_one(
                        &mut tx,
                        actor,
                        &schema,
                        &lead_def,
                        Change::Update {
                            id,
                            version: Some(lead.version()),
                            patch,
                        },
                        now,
                        &written,
                    )
                    .await?;
                crate::audit::record(
                    &mut tx,
                    Some(actor),
                    "lead.convert",
                    Some(LEAD),
                    Some(id),
                    json!({"account": account_id, "account_created": account.as_ref().is_some_and(|a| a.1),
                           "contact": contact.0.id(), "contact_created": contact.1,
                           "opportunity": opportunity.as_ref().and_then(|o| o.id())}),
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(Converted {
                    lead,
                    account,
                    contact,
                    opportunity,
                })
            })
            .await
    }

    /// One change through the write path inside `tx`; its error if it was refused.
    #[allow(clippy::too_many_arguments)]
    async fn write_one(
        &self,
        tx: &mut guanxi_storage::Tx,
        actor: &Actor,
        schema: &guanxi_core::Schema,
        object: &std::sync::Arc<ObjectDef>,
        change: Change,
        now: chrono::DateTime<chrono::Utc>,
        pending: &HashSet<Uuid>,
    ) -> Result<Record, ServiceError> {
        let plans = self
            .validate_in(
                tx,
                actor,
                schema,
                object,
                std::slice::from_ref(&change),
                now,
                pending,
            )
            .await?;
        let mut results = self.write_planned(tx, actor, object, plans, now).await?;
        match results.pop() {
            Some(r) => r.map(|(record, _)| record),
            None => Err(ServiceError::Internal("no result for a change".into())),
        }
    }
}

//! One customer, one view: an account or a contact with everything around it — its
//! contacts and relationships, one timeline of every interaction (activities on every
//! channel, service cases), open opportunities and cases, lifetime value so far, the last
//! and the next contact. Every part is read through the same permission checks as lists,
//! so the view holds exactly what the asker may see.

use chrono::{DateTime, Utc};
use guanxi_core::values::{Record, Value};
use guanxi_core::{Msg, ObjectDef};
use rust_decimal::Decimal;

use crate::records::{ListQuery, Page};
use crate::{Actor, Crm, ServiceError};

/// Timeline entries at most.
pub const TIMELINE: usize = 200;
const OPEN_CASE: &str = "('new', 'in_progress', 'waiting_customer', 'escalated')";
const CLOSED_STAGES: &str = "('closed_won', 'closed_lost')";

/// One interaction on the timeline.
#[derive(Clone, Debug)]
pub struct Interaction {
    /// `activity` or `case`.
    pub object: &'static str,
    pub record: Record,
    pub at: DateTime<Utc>,
}

/// An account's or a contact's whole picture.
#[derive(Debug)]
pub struct View360 {
    pub object: std::sync::Arc<ObjectDef>,
    pub record: Record,
    /// Contacts: of the account; for a contact, its colleagues at the same account.
    pub contacts: Vec<Record>,
    /// A contact's manager and direct reports (`reports_to`).
    pub reports_to: Option<Record>,
    pub direct_reports: Vec<Record>,
    pub timeline: Vec<Interaction>,
    pub open_opportunities: Vec<Record>,
    pub open_cases: Vec<Record>,
    /// Won business so far, per currency.
    pub lifetime_value: Vec<(String, Decimal)>,
    pub last_contact: Option<DateTime<Utc>>,
    pub next_contact: Option<DateTime<Utc>>,
}

fn value<'a>(object: &ObjectDef, record: &'a Record, name: &str) -> &'a Value {
    object
        .fields
        .iter()
        .position(|f| f.name == name)
        .and_then(|i| record.values.get(i))
        .unwrap_or(&Value::Null)
}

fn moment(object: &ObjectDef, record: &Record, names: &[&str]) -> Option<DateTime<Utc>> {
    names.iter().find_map(|n| match value(object, record, n) {
        Value::DateTime(d) => Some(*d),
        Value::Date(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        _ => None,
    })
}

impl Crm {
    async fn some(
        &self,
        actor: &Actor,
        object: &str,
        filter: String,
        sort: &str,
        limit: usize,
    ) -> Result<Page, ServiceError> {
        let q = ListQuery {
            filter: Some(filter),
            sort: Some(sort.into()),
            cursor: None,
            limit: Some(limit),
            deleted: false,
            few: false,
        };
        match self.list(actor, object, &q).await {
            // An object this role may not read is simply not part of their view.
            Err(ServiceError::Forbidden(_)) => Ok(Page {
                records: Vec::new(),
                next_cursor: None,
            }),
            other => other,
        }
    }

    /// The 360° view of an account or a contact the actor may read.
    pub async fn customer_360(
        &self,
        actor: &Actor,
        object: &str,
        id: uuid::Uuid,
    ) -> Result<View360, ServiceError> {
        let (_, object) = self.object(object)?;
        if !matches!(object.name.as_str(), "account" | "contact") {
            return Err(ServiceError::NotFound);
        }
        let record = self.get(actor, &object.name, id, false).await?;
        let is_account = object.name == "account";
        // The account the contacts and the business belong to.
        let account = if is_account {
            Some(id)
        } else {
            match value(&object, &record, "account") {
                Value::Uuid(a) => Some(*a),
                _ => None,
            }
        };
        let link = if is_account { "account" } else { "contact" };
        let (contacts, reports_to, direct_reports) = if is_account {
            let page = self
                .some(actor, "contact", format!("account eq '{id}'"), "name", 100)
                .await?;
            (page.records, None, Vec::new())
        } else {
            let colleagues = match account {
                Some(a) => {
                    self.some(
                        actor,
                        "contact",
                        format!("account eq '{a}' and id ne '{id}'"),
                        "name",
                        100,
                    )
                    .await?
                    .records
                }
                None => Vec::new(),
            };
            let manager = match value(&object, &record, "reports_to") {
                Value::Uuid(m) => match self.get(actor, "contact", *m, false).await {
                    Ok(r) => Some(r),
                    Err(ServiceError::NotFound | ServiceError::Forbidden(_)) => None,
                    Err(e) => return Err(e),
                },
                _ => None,
            };
            let reports = self
                .some(actor, "contact", format!("reports_to eq '{id}'"), "name", 100)
                .await?
                .records;
            (colleagues, manager, reports)
        };
        let (_, activity) = self.object("activity")?;
        let (_, case) = self.object("case")?;
        let (activities, cases, opportunities, open_cases) = tokio::join!(
            self.some(
                actor,
                "activity",
                format!("{link} eq '{id}'"),
                "-created_at",
                TIMELINE
            ),
            self.some(
                actor,
                "case",
                format!("{link} eq '{id}'"),
                "-created_at",
                TIMELINE
            ),
            self.some(
                actor,
                "opportunity",
                format!("{link} eq '{id}' and not stage in {CLOSED_STAGES}"),
                "close_date",
                100
            ),
            self.some(
                actor,
                "case",
                format!("{link} eq '{id}' and status in {OPEN_CASE}"),
                "-created_at",
                100
            ),
        );
        let now = self.now();
        let mut timeline: Vec<Interaction> = Vec::new();
        let mut last_contact: Option<DateTime<Utc>> = None;
        let mut next_contact: Option<DateTime<Utc>> = None;
        for a in activities?.records {
            let at = moment(&activity, &a, &["starts_at", "due_date", "created_at"]).unwrap_or(now);
            let status = value(&activity, &a, "status");
            let planned = *status == Value::Text("planned".into());
            if planned && at >= now {
                next_contact = Some(next_contact.map_or(at, |n| n.min(at)));
            } else if *status == Value::Text("completed".into()) && at <= now {
                last_contact = Some(last_contact.map_or(at, |l| l.max(at)));
            }
            timeline.push(Interaction {
                object: "activity",
                record: a,
                at,
            });
        }
        for c in cases?.records {
            let at = moment(&case, &c, &["created_at"]).unwrap_or(now);
            timeline.push(Interaction {
                object: "case",
                record: c,
                at,
            });
        }
        timeline.sort_by_key(|i| std::cmp::Reverse(i.at));
        timeline.truncate(TIMELINE);
        let lifetime_value = match self
            .totals(
                actor,
                "opportunity",
                Some(&format!("{link} eq '{id}' and stage eq 'closed_won'")),
                "stage",
                Some("amount"),
                None,
            )
            .await
        {
            Ok(totals) => totals
                .into_iter()
                .filter_map(|t| Some((t.currency.unwrap_or_default(), t.sum?)))
                .collect(),
            Err(ServiceError::Forbidden(_)) => Vec::new(),
            Err(ServiceError::Validation(_)) => {
                return Err(ServiceError::Internal(
                    Msg::DetailInternal.text(actor.locale).into(),
                ));
            }
            Err(e) => return Err(e),
        };
        Ok(View360 {
            object,
            record,
            contacts,
            reports_to,
            direct_reports,
            timeline,
            open_opportunities: opportunities?.records,
            open_cases: open_cases?.records,
            lifetime_value,
            last_contact,
            next_contact,
        })
    }
}

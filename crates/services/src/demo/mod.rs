//! Demo data: a believable company generated from a seed (see `generate`), loaded
//! through the one write path like any other data.

pub mod generate;

use chrono::Utc;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::records::MAX_BULK;
use crate::{Actor, Crm, ServiceError};
use generate::Generator;

/// How much to generate.
#[derive(Clone, Debug)]
pub struct Size {
    pub accounts: usize,
    pub contacts_per_account: usize,
    pub leads: usize,
    pub opportunities_per_account: usize,
    pub activities_per_contact: usize,
    pub cases: usize,
}

impl Size {
    /// What `guanxi demo` loads: enough to look around, small enough to load in a second or two.
    pub fn small() -> Size {
        Size {
            accounts: 60,
            contacts_per_account: 4,
            leads: 80,
            opportunities_per_account: 2,
            activities_per_contact: 3,
            cases: 60,
        }
    }

    /// A benchmark dataset with `contacts` contacts (ten per account) and no other records.
    pub fn contacts(contacts: usize) -> Size {
        Size {
            accounts: contacts.div_ceil(10),
            contacts_per_account: 10,
            leads: 0,
            opportunities_per_account: 0,
            activities_per_contact: 0,
            cases: 0,
        }
    }
}

/// What was loaded.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub accounts: usize,
    pub contacts: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub products: usize,
    pub activities: usize,
    pub cases: usize,
    pub rejected: usize,
}

async fn load_many(
    crm: &Crm,
    actor: &Actor,
    object: &str,
    inputs: Vec<Map<String, Json>>,
    rejected: &mut usize,
) -> Result<Vec<Uuid>, ServiceError> {
    let mut ids = Vec::with_capacity(inputs.len());
    let mut inputs = inputs.into_iter().peekable();
    while inputs.peek().is_some() {
        let chunk: Vec<_> = inputs.by_ref().take(MAX_BULK / 2).collect();
        for r in crm.bulk(actor, object, chunk, None).await? {
            match r {
                Ok((record, _)) => ids.extend(record.id()),
                Err(e) => {
                    *rejected += 1;
                    tracing::warn!(object, error = %e, "demo record rejected");
                }
            }
        }
    }
    Ok(ids)
}

/// Loads the demo company unless the database already has accounts.
pub async fn load_if_empty(
    crm: &Crm,
    actor: &Actor,
    size: &Size,
    seed: u64,
) -> Result<Option<Summary>, ServiceError> {
    let existing = crm
        .list(
            actor,
            "account",
            &crate::records::ListQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
    if !existing.records.is_empty() {
        return Ok(None);
    }
    load(crm, actor, size, seed).await.map(Some)
}

/// Generates and loads a dataset of the given size.
pub async fn load(crm: &Crm, actor: &Actor, size: &Size, seed: u64) -> Result<Summary, ServiceError> {
    let mut g = Generator::new(seed);
    let mut s = Summary::default();
    let now = Utc::now();
    let today = now.date_naive();
    let products: Vec<_> = (0..Generator::products_len()).map(|i| g.product(i)).collect();
    let product_ids = load_many(crm, actor, "product", products, &mut s.rejected).await?;
    s.products = product_ids.len();
    let accounts: Vec<_> = (0..size.accounts).map(|i| g.account(i)).collect();
    let account_ids = load_many(crm, actor, "account", accounts, &mut s.rejected).await?;
    s.accounts = account_ids.len();

    let mut contacts = Vec::new();
    let mut contact_accounts = Vec::new();
    let mut n = 0;
    for account in &account_ids {
        for _ in 0..size.contacts_per_account {
            contacts.push(g.contact(n, Some(*account)));
            contact_accounts.push(*account);
            n += 1;
        }
    }
    let contact_ids = load_many(crm, actor, "contact", contacts, &mut s.rejected).await?;
    s.contacts = contact_ids.len();

    let leads: Vec<_> = (0..size.leads).map(|i| g.lead(i)).collect();
    s.leads = load_many(crm, actor, "lead", leads, &mut s.rejected).await?.len();

    let mut opportunities = Vec::new();
    let mut opportunity_accounts = Vec::new();
    let mut n = 0;
    for (a, account) in account_ids.iter().enumerate() {
        let contact = contact_ids.get(a * size.contacts_per_account.max(1)).copied();
        for _ in 0..size.opportunities_per_account {
            opportunities.push(g.opportunity(n, *account, contact, today));
            opportunity_accounts.push(*account);
            n += 1;
        }
    }
    let opportunity_ids = load_many(crm, actor, "opportunity", opportunities, &mut s.rejected).await?;
    s.opportunities = opportunity_ids.len();

    let mut activities = Vec::new();
    let mut n = 0;
    for (c, contact) in contact_ids.iter().enumerate() {
        let account = contact_accounts.get(c).copied();
        let opportunity = opportunity_accounts
            .iter()
            .position(|a| Some(*a) == account)
            .and_then(|i| opportunity_ids.get(i))
            .copied();
        for _ in 0..size.activities_per_contact {
            activities.push(g.activity(n, account, Some(*contact), opportunity, now));
            n += 1;
        }
    }
    s.activities = load_many(crm, actor, "activity", activities, &mut s.rejected)
        .await?
        .len();

    let cases: Vec<_> = (0..size.cases)
        .map(|i| {
            let c = if contact_ids.is_empty() {
                None
            } else {
                Some(i * 7 % contact_ids.len())
            };
            let contact = c.and_then(|c| contact_ids.get(c)).copied();
            let account = c.and_then(|c| contact_accounts.get(c)).copied();
            let product = if product_ids.is_empty() {
                None
            } else {
                product_ids.get(i % product_ids.len()).copied()
            };
            g.case(i, account, contact, product, now)
        })
        .collect();
    s.cases = load_many(crm, actor, "case", cases, &mut s.rejected).await?.len();
    Ok(s)
}

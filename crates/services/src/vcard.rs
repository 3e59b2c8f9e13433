//! Contacts as vCards and back. Export goes through the list (what the user sees, hidden
//! fields blank); import goes through the one write path, linking each card's
//! organisation to the account of that name (created once if there is none) and updating
//! the contact a card's UID names when the importer may edit it.

use std::collections::HashMap;

use guanxi_core::values::{Record, Value};
use guanxi_core::vcard::{self, Card};
use guanxi_core::{FieldError, Msg, ObjectDef};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::records::{Change, ItemResult, ListQuery};
use crate::{Actor, Crm, ServiceError};

/// Cards in one import at most.
pub const MAX_CARDS: usize = 10_000;

fn text(object: &ObjectDef, r: &Record, name: &str) -> Option<String> {
    let i = object.fields.iter().position(|f| f.name == name)?;
    match r.values.get(i)? {
        Value::Text(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl Crm {
    /// Contacts as cards; their accounts' names as organisations where the actor may read
    /// the account.
    pub(crate) async fn cards(
        &self,
        actor: &Actor,
        contact: &ObjectDef,
        records: &[Record],
    ) -> Result<Vec<Card>, ServiceError> {
        let pos = |n: &str| contact.fields.iter().position(|f| f.name == n);
        let accounts: Vec<Uuid> = records
            .iter()
            .filter_map(|r| match pos("account").and_then(|i| r.values.get(i)) {
                Some(Value::Uuid(a)) => Some(*a),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let names = self.names_of(actor, "account", &accounts).await?;
        Ok(records
            .iter()
            .map(|r| {
                let name = text(contact, r, "name").unwrap_or_default();
                let (family, given) = vcard::split_name(&name);
                let account = match pos("account").and_then(|i| r.values.get(i)) {
                    Some(Value::Uuid(a)) => names.get(a).cloned(),
                    _ => None,
                };
                Card {
                    uid: r.id().map(|id| format!("urn:uuid:{id}")),
                    full_name: name,
                    family,
                    given,
                    nickname: text(contact, r, "english_name"),
                    org: account,
                    department: text(contact, r, "department"),
                    title: text(contact, r, "title"),
                    mobile: text(contact, r, "mobile"),
                    phone: text(contact, r, "phone"),
                    email: text(contact, r, "email"),
                    wechat: text(contact, r, "wechat"),
                    street: text(contact, r, "address"),
                    city: text(contact, r, "city"),
                    region: text(contact, r, "province"),
                    birthday: match pos("birthday").and_then(|i| r.values.get(i)) {
                        Some(Value::Date(d)) => Some(*d),
                        _ => None,
                    },
                    note: text(contact, r, "description"),
                }
            })
            .collect())
    }

    /// Imports a vCard stream as contacts: one result per card, in order. A card whose
    /// UID is a contact the actor may read updates it; the others are created. Problems
    /// of one card leave the others alone.
    pub async fn import_vcards(&self, actor: &Actor, text: &str) -> Result<Vec<ItemResult>, ServiceError> {
        let cards = vcard::parse(text).map_err(|e| {
            ServiceError::Validation(vec![
                FieldError::new("vcard", Msg::InvalidVcard)
                    .with("line", e.line)
                    .with("reason", e.reason),
            ])
        })?;
        if cards.len() > MAX_CARDS {
            return Err(ServiceError::TooMany { max: MAX_CARDS });
        }
        let (_, contact) = self.object("contact")?;
        let (_, account) = self.object("account")?;
        // Each organisation once: the readable account of that name, else a new one.
        let mut orgs: HashMap<String, Option<Uuid>> = HashMap::new();
        for org in cards.iter().filter_map(|c| c.org.clone()) {
            if orgs.contains_key(&org) {
                continue;
            }
            let q = ListQuery {
                filter: Some(format!(
                    "{} eq {}",
                    account.name_field,
                    guanxi_core::query::quote(&org)
                )),
                sort: None,
                cursor: None,
                limit: Some(1),
                deleted: false,
                few: false,
            };
            let found = match self.list(actor, "account", &q).await {
                Ok(page) => page.records.first().and_then(Record::id),
                Err(ServiceError::Forbidden(_)) => None,
                Err(e) => return Err(e),
            };
            let id = match found {
                Some(id) => Some(id),
                None => {
                    let mut input = Map::new();
                    input.insert(account.name_field.clone(), Json::String(org.clone()));
                    self.create(actor, "account", input)
                        .await
                        .ok()
                        .and_then(|r| r.id())
                }
            };
            orgs.insert(org, id);
        }
        let mut changes = Vec::with_capacity(cards.len());
        for card in &cards {
            let mut input = Map::new();
            let mut put = |name: &str, value: Option<String>| {
                if let Some(v) = value
                    && contact.field(name).is_some()
                {
                    input.insert(name.to_string(), Json::String(v));
                }
            };
            let name = if card.full_name.is_empty() {
                format!("{}{}", card.family, card.given)
            } else {
                card.full_name.clone()
            };
            put("name", Some(name).filter(|n| !n.is_empty()));
            put("english_name", card.nickname.clone());
            put("title", card.title.clone());
            put("department", card.department.clone());
            put("mobile", card.mobile.clone());
            put("phone", card.phone.clone());
            put("email", card.email.clone());
            put("wechat", card.wechat.clone());
            put("address", card.street.clone());
            put("city", card.city.clone());
            put("province", card.region.clone());
            put(
                "birthday",
                card.birthday.map(|b| b.format("%Y-%m-%d").to_string()),
            );
            put("description", card.note.clone());
            if let Some(Some(a)) = card.org.as_ref().and_then(|o| orgs.get(o)) {
                input.insert("account".into(), Json::String(a.to_string()));
            }
            let existing = card
                .uid
                .as_deref()
                .and_then(|u| u.strip_prefix("urn:uuid:"))
                .and_then(|u| Uuid::parse_str(u).ok());
            let existing = match existing {
                Some(id) => self.get(actor, "contact", id, false).await.ok().map(|_| id),
                None => None,
            };
            changes.push(match existing {
                Some(id) => Change::Update {
                    id,
                    version: None,
                    patch: input,
                },
                None => Change::Create(input),
            });
        }
        self.apply(actor, "contact", changes).await
    }
}

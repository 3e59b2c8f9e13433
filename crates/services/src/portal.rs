//! The customer portal: contacts invited by a colleague choose a password through a
//! link that works once, then sign in as portal users. A portal user sees only their own
//! company's cases, orders and quotes (never drafts of quotes), opens cases, reads the
//! agents' replies (never their internal notes) and answers — an answer to a case waiting
//! on the customer starts its clock again, one to a resolved case reopens it. Portal users
//! have no rights on the staff API at all: everything they see goes through here, read as
//! the system and narrowed to their company.

use chrono::{DateTime, Duration, Utc};
use guanxi_core::access::UserKind;
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_storage::system::UserRow;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::cases::CASE;
use crate::identity::{MIN_PASSWORD, hash_password, random_secret, token_hash};
use crate::records::ListQuery;
use crate::sessions::NewSession;
use crate::{Actor, Crm, ServiceError};

pub const MESSAGE: &str = "case_message";
/// How long an invitation holds.
pub const INVITATION_DAYS: i64 = 14;
/// Cases, orders or quotes shown at most.
const SHOWN: usize = 200;
/// Quotes a customer sees: those sent to them and after.
const QUOTES_SHOWN: &str = "status in ('presented', 'accepted', 'denied', 'ordered')";
/// Orders a customer sees: all but drafts.
const ORDERS_SHOWN: &str = "not status eq 'draft'";

/// An invitation as the colleague who made it sees it: the link to pass on, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub user: Uuid,
    pub email: String,
    pub path: String,
    pub expires_at: DateTime<Utc>,
    /// Whether it was mailed to them (a mail server is configured).
    pub mailed: bool,
}

/// Who a portal user is: their contact and company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalScope {
    pub contact: Uuid,
    pub contact_name: String,
    pub account: Uuid,
    pub account_name: String,
}

/// A case as its customer sees it, with the conversation.
#[derive(Clone, Debug)]
pub struct PortalCase {
    pub case: Record,
    /// Oldest first; agents' internal notes left out.
    pub messages: Vec<Record>,
    /// Files on the case (the customer's and the agents'), oldest first.
    pub files: Vec<guanxi_storage::files::FileRow>,
}

/// The language a contact is written to in, when one is chosen for them.
pub(crate) fn contact_locale(contact_def: &guanxi_core::ObjectDef, contact: &Record) -> Option<Locale> {
    Locale::from_tag(guanxi_core::values::field(contact_def, contact, "language").text())
}

/// A text field's value, empty when unset.
fn text_of(object: &guanxi_core::ObjectDef, r: &Record, field: &str) -> String {
    guanxi_core::values::field(object, r, field).text().to_string()
}

impl Crm {
    fn system(&self) -> Actor {
        Actor::system(Locale::default())
    }

    /// Invites a contact to the portal (a colleague who may edit the contact; audited):
    /// makes their portal user the first time, and an invitation link valid for
    /// `INVITATION_DAYS` that lets them choose a password — mailed to them when a mail
    /// server is configured. The contact needs an email and a company.
    pub async fn invite_to_portal(
        &self,
        actor: &Actor,
        contact_id: Uuid,
    ) -> Result<Invitation, ServiceError> {
        if actor.kind != UserKind::Internal {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let (_, contact_def) = self.object("contact")?;
        let contact = self.get(actor, "contact", contact_id, false).await?;
        let access = self.access(actor, &contact_def);
        self.editable_with(&access, &contact_def, &contact).await?;
        let invited = self
            .invite_contact(Some(actor), &contact_def, &contact, actor.locale, "portal.invite")
            .await?;
        Ok(invited)
    }

    /// The invitation itself (see `invite_to_portal`, `register_for_portal`): in one
    /// transaction the portal user (made the first time), the invitation, its mail and the
    /// audit entry (`action`, by `by` or the visitor).
    async fn invite_contact(
        &self,
        by: Option<&Actor>,
        contact_def: &guanxi_core::ObjectDef,
        contact: &Record,
        locale: Locale,
        action: &str,
    ) -> Result<Invitation, ServiceError> {
        let contact_id = contact.id().ok_or(ServiceError::NotFound)?;
        // They read the mail and the portal in their language, when we know it.
        let locale = contact_locale(contact_def, contact).unwrap_or(locale);
        let email = text_of(contact_def, contact, "email");
        let mut errors = Vec::new();
        if email.is_empty() {
            errors.push(FieldError::new("email", Msg::PortalNeedsEmail));
        }
        if guanxi_core::values::field_id(contact_def, contact, "account").is_none() {
            errors.push(FieldError::new("account", Msg::PortalNeedsCompany));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let name = text_of(contact_def, contact, "name");
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let user = match guanxi_storage::portal::user_of(&mut tx, contact_id).await? {
            Some(u) => u,
            None => {
                if guanxi_storage::system::user_by_email(self.db(), &email)
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::field("email", Msg::EmailTaken));
                }
                let row = UserRow {
                    id: Uuid::now_v7(),
                    email: email.clone(),
                    name: name.clone(),
                    password_hash: None,
                    locale: locale.tag().into(),
                    time_zone: by.map_or_else(|| "Asia/Shanghai".into(), |a| a.time_zone.clone()),
                    is_admin: false,
                    active: true,
                    created_at: now,
                    updated_at: now,
                    role_id: None,
                    kind: UserKind::Portal.as_str().into(),
                    partner_account_id: None,
                    currency: by.map_or_else(|| "CNY".into(), |a| a.currency.clone()),
                };
                guanxi_storage::system::insert_user(&mut tx, &row).await?;
                guanxi_storage::portal::link_contact(&mut tx, row.id, contact_id, now).await?;
                row.id
            }
        };
        let secret = random_secret(32);
        let expires_at = now + Duration::days(INVITATION_DAYS);
        guanxi_storage::portal::invite(&mut tx, &token_hash(&secret), user, now, expires_at).await?;
        let path = format!("/portal/invite/{secret}");
        let link = self.public_link(&path);
        let mail = crate::mail::OutgoingMail {
            to: email.clone(),
            subject: Msg::MailPortalInviteSubject.text(locale).to_string(),
            body: Msg::MailPortalInviteBody.format(
                locale,
                &[
                    ("name", &name),
                    ("link", &link),
                    ("days", &INVITATION_DAYS.to_string()),
                ],
            ),
        };
        let mailed = self.queue_mail(&mut tx, "portal.invitation", mail, now).await?;
        crate::audit::record(
            &mut tx,
            by,
            action,
            Some("contact"),
            Some(contact_id),
            json!({"user": user, "email": email, "expires_at": expires_at, "mailed": mailed}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.reload_policy().await?;
        Ok(Invitation {
            user,
            email,
            path,
            expires_at,
            mailed,
        })
    }

    /// Someone asks for access to the portal on `/portal/register` (screened like the
    /// public forms; only with a mail server, for the mailbox is what proves who they
    /// are). A contact of a company we know by that email gets an invitation by mail —
    /// also when they had access and forgot their password; anyone else becomes a lead
    /// for the team to look at. The answer is the same either way, so the form tells
    /// nobody whose addresses we know.
    pub async fn register_for_portal(
        &self,
        address: Option<&str>,
        input: &Map<String, Json>,
        locale: Locale,
    ) -> Result<(), ServiceError> {
        if self.mail().is_none() {
            return Err(ServiceError::Forbidden(Msg::PortalRegistrationOff));
        }
        if !self.screen_submission("portal-registration", address, input)? {
            return Ok(());
        }
        let text = |k: &str| input.get(k).and_then(Json::as_str).map(str::trim).unwrap_or("");
        let mut errors = Vec::new();
        if text("name").is_empty() {
            errors.push(FieldError::new("name", Msg::Required));
        }
        let email = guanxi_core::normalize::email(text("email"));
        if email.is_none() {
            errors.push(FieldError::new("email", Msg::InvalidEmail));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let email = email.unwrap_or_default();
        let (_, contact_def) = self.object("contact")?;
        let q = ListQuery {
            filter: Some(format!("email eq {}", guanxi_core::query::quote(&email))),
            limit: Some(3),
            ..Default::default()
        };
        let known: Vec<Record> = self
            .list(&self.system(), "contact", &q)
            .await?
            .records
            .into_iter()
            .filter(|c| guanxi_core::values::field_id(&contact_def, c, "account").is_some())
            .collect();
        if let [contact] = known.as_slice() {
            match self
                .invite_contact(None, &contact_def, contact, locale, "portal.self_registration")
                .await
            {
                // The address is a colleague's: nothing to send, nothing to say.
                Ok(_) | Err(ServiceError::Validation(_)) => {}
                Err(e) => return Err(e),
            }
            return Ok(());
        }
        let mut lead = Map::new();
        for k in ["name", "company", "email", "mobile"] {
            if !text(k).is_empty() {
                lead.insert(k.into(), json!(text(k)));
            }
        }
        lead.insert(
            "description".into(),
            json!(Msg::PortalRegistrationLead.text(locale)),
        );
        self.website_lead(lead).await?;
        Ok(())
    }

    /// The portal user an invitation is for, if it still holds: `NotFound` for a secret
    /// not ours, `Gone` once used or expired.
    pub async fn invitation_for(&self, secret: &str) -> Result<UserRow, ServiceError> {
        let mut tx = self.db().begin().await?;
        let found = guanxi_storage::portal::invitation(&mut tx, &token_hash(secret)).await?;
        tx.commit().await?;
        let (user, expires_at, used_at) = found.ok_or(ServiceError::NotFound)?;
        if used_at.is_some() {
            return Err(ServiceError::Gone(Msg::PortalInvitationUsed));
        }
        if expires_at <= self.now() {
            return Err(ServiceError::Gone(Msg::PortalInvitationExpired));
        }
        guanxi_storage::system::user_by_id(self.db(), user)
            .await?
            .filter(|u| u.active)
            .ok_or(ServiceError::NotFound)
    }

    /// Accepts an invitation: the portal user's password is set, the invitation used up,
    /// and they are signed in.
    pub async fn accept_invitation(
        &self,
        secret: &str,
        password: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<NewSession, ServiceError> {
        let user = self.invitation_for(secret).await?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(ServiceError::Validation(vec![
                FieldError::new("password", Msg::PasswordTooShort).with("min", MIN_PASSWORD),
            ]));
        }
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !guanxi_storage::portal::use_invitation(&mut tx, &token_hash(secret), now).await? {
            return Err(ServiceError::Gone(Msg::PortalInvitationUsed));
        }
        guanxi_storage::system::set_password_hash(&mut tx, user.id, &hash, now).await?;
        let actor = Actor::for_user(&user);
        crate::audit::record(
            &mut tx,
            Some(&actor),
            "portal.invitation.accepted",
            None,
            Some(user.id),
            json!({}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.open_session(&user, ip, user_agent).await
    }

    /// The contact and company of a portal user; `Forbidden` for anyone else, or when
    /// their contact or its company is gone.
    pub async fn portal_scope(&self, actor: &Actor) -> Result<PortalScope, ServiceError> {
        let no = || ServiceError::Forbidden(Msg::DetailPortalNoCompany);
        if actor.kind != UserKind::Portal {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        let contact_id = guanxi_storage::portal::contact_of(self.db(), actor.user_id)
            .await?
            .ok_or_else(no)?;
        let (_, contact_def) = self.object("contact")?;
        let contact = match self.get(&self.system(), "contact", contact_id, false).await {
            Ok(c) => c,
            Err(ServiceError::NotFound) => return Err(no()),
            Err(e) => return Err(e),
        };
        let account = guanxi_core::values::field_id(&contact_def, &contact, "account").ok_or_else(no)?;
        let account_name = self
            .names_of(&self.system(), "account", &[account])
            .await?
            .remove(&account)
            .ok_or_else(no)?;
        Ok(PortalScope {
            contact: contact_id,
            contact_name: text_of(&contact_def, &contact, "name"),
            account,
            account_name,
        })
    }

    /// Records of `object` (cases, orders, quotes) of the portal user's company, newest
    /// first, narrowed by `more` (a filter).
    async fn company_records(
        &self,
        scope: &PortalScope,
        object: &str,
        more: Option<&str>,
    ) -> Result<Vec<Record>, ServiceError> {
        let mut filter = format!("account eq '{}'", scope.account);
        if let Some(m) = more {
            filter = format!("{filter} and {m}");
        }
        let q = ListQuery {
            filter: Some(filter),
            sort: Some("-created_at".into()),
            limit: Some(SHOWN),
            ..Default::default()
        };
        Ok(self.list(&self.system(), object, &q).await?.records)
    }

    /// The portal user's company's cases.
    pub async fn portal_cases(&self, actor: &Actor) -> Result<Vec<Record>, ServiceError> {
        let scope = self.portal_scope(actor).await?;
        self.company_records(&scope, CASE, None).await
    }

    /// The company's orders (not drafts) and quotes (those sent to the customer).
    pub async fn portal_deals(&self, actor: &Actor, object: &str) -> Result<Vec<Record>, ServiceError> {
        let scope = self.portal_scope(actor).await?;
        let shown = match object {
            "order" => ORDERS_SHOWN,
            "quote" => QUOTES_SHOWN,
            _ => return Err(ServiceError::NotFound),
        };
        self.company_records(&scope, object, Some(shown)).await
    }

    /// One of the company's cases with its conversation; `NotFound` for anyone else's.
    pub async fn portal_case(&self, actor: &Actor, id: Uuid) -> Result<PortalCase, ServiceError> {
        let scope = self.portal_scope(actor).await?;
        let (_, case_def) = self.object(CASE)?;
        let case = self.get(&self.system(), CASE, id, false).await?;
        if guanxi_core::values::field_id(&case_def, &case, "account") != Some(scope.account) {
            return Err(ServiceError::NotFound);
        }
        let q = ListQuery {
            // (`not internal eq true` would also drop messages whose flag is unset.)
            filter: Some(format!(
                "case eq '{id}' and (internal is_null or internal eq false)"
            )),
            sort: Some("created_at".into()),
            limit: Some(crate::records::MAX_PAGE),
            ..Default::default()
        };
        let messages = self.list(&self.system(), MESSAGE, &q).await?.records;
        let files = guanxi_storage::files::files(self.db(), CASE, id).await?;
        Ok(PortalCase {
            case,
            messages,
            files,
        })
    }

    /// A case the portal user opens for their company: theirs, from the portal, owned as
    /// the assignment rules for cases say.
    pub async fn portal_open_case(
        &self,
        actor: &Actor,
        input: &Map<String, Json>,
    ) -> Result<Record, ServiceError> {
        let scope = self.portal_scope(actor).await?;
        let mut case = Map::new();
        for k in ["subject", "description", "type", "product"] {
            if let Some(v) = input
                .get(k)
                .filter(|v| !matches!(v, Json::String(s) if s.trim().is_empty()))
            {
                case.insert(k.into(), v.clone());
            }
        }
        if !case.contains_key("subject") {
            return Err(ServiceError::field("subject", Msg::Required));
        }
        case.insert("status".into(), json!("new"));
        case.insert("origin".into(), json!("portal"));
        case.insert("contact".into(), json!(scope.contact));
        case.insert("account".into(), json!(scope.account));
        case.insert("supplied_name".into(), json!(scope.contact_name));
        case.insert("supplied_email".into(), json!(actor.email));
        let writer = self.form_writer().await?;
        crate::assignment::with_rules(self.create(&writer, CASE, case)).await
    }

    /// The customer answers on one of their company's cases. An answer to a case waiting
    /// on them starts its clock again; one to a resolved case reopens it; a closed case
    /// takes no more answers (they open a new one).
    pub async fn portal_reply(&self, actor: &Actor, id: Uuid, body: &str) -> Result<(), ServiceError> {
        let scope = self.portal_scope(actor).await?;
        let seen = self.portal_case(actor, id).await?;
        let (_, case_def) = self.object(CASE)?;
        let body = body.trim();
        if body.is_empty() {
            return Err(ServiceError::field("body", Msg::Required));
        }
        let status = text_of(&case_def, &seen.case, "status");
        if status == "closed" {
            return Err(ServiceError::field("body", Msg::PortalCaseClosed));
        }
        let system = self.system();
        let mut message = Map::new();
        message.insert("case".into(), json!(id));
        message.insert("body".into(), json!(body));
        message.insert("from_customer".into(), json!(true));
        message.insert("author_name".into(), json!(scope.contact_name));
        // Written by the system on the customer's behalf, owned by the user public forms
        // write as (a message needs an owner among the colleagues).
        let writer = self.form_writer().await?;
        message.insert("owner".into(), json!(writer.user_id));
        self.create(&system, MESSAGE, message).await?;
        if matches!(status.as_str(), "waiting_customer" | "resolved") {
            let mut patch = Map::new();
            patch.insert("status".into(), json!("in_progress"));
            self.update(&system, CASE, id, seen.case.version(), patch).await?;
        }
        Ok(())
    }
}

impl Crm {
    /// The write path's step for case messages: only the portal writes a customer's
    /// message, and nobody rewrites one afterwards — what the customer said stays theirs.
    pub(crate) fn guard_case_messages(
        actor: &Actor,
        object: &guanxi_core::ObjectDef,
        plans: &mut [Result<crate::records::Planned, ServiceError>],
    ) {
        use crate::records::Planned;
        if object.name != MESSAGE || actor.email == "system" {
            return;
        }
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        let (Some(from), Some(body), Some(author)) = (at("from_customer"), at("body"), at("author_name"))
        else {
            return;
        };
        let customers = |v: &[Value]| matches!(v[from], Value::Bool(true));
        for plan in plans.iter_mut() {
            let refused = match plan {
                Ok(Planned::Insert(r)) if customers(&r.values) => Some("from_customer"),
                Ok(Planned::Update { before, changes }) => {
                    let touched = |i: usize| changes.iter().any(|(c, v)| *c == i && before.values[i] != *v);
                    if touched(from) {
                        Some("from_customer")
                    } else if customers(&before.values) && (touched(body) || touched(author)) {
                        Some(if touched(body) { "body" } else { "author_name" })
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(field) = refused {
                *plan = Err(ServiceError::field(field, Msg::ComputedField));
            }
        }
    }
}

//! How service went, case by case and overall. The write path keeps each case's course
//! (reopened, waited on the customer, escalated; resolved at the first contact; targets
//! met) and its service costs' customer and product; a case that ends gets a satisfaction
//! survey (CSAT 1–5 and NPS 0–10) behind a signed link that works once; and the metrics —
//! first-contact resolution, reopen rate, SLA attainment, satisfaction, cost per case,
//! customer and product — are counted from what the actor may read.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::cases::{CASE, ENDED, ESCALATED, WAITING};
use crate::records::{Change, Planned};
use crate::{Actor, Crm, ServiceError};

pub const COST: &str = "service_cost";
/// Fields the write path keeps: set on a new case (a history brought over from another
/// system), never changed by hand afterwards.
const KEPT: [&str; 11] = [
    "reopen_count",
    "wait_count",
    "escalation_count",
    "first_contact_resolution",
    "first_response_met",
    "resolution_met",
    "survey_sent_at",
    "survey_answered_at",
    "csat",
    "nps",
    "survey_comment",
];
/// The organisation's key for survey links (made on first use).
const SURVEY_KEY: &str = "survey_key";
/// Bytes of the link's signature (128 bits).
const TAG: usize = 16;

/// The case fields this module keeps, by position.
struct Fields {
    status: usize,
    closed_at: usize,
    due: usize,
    first_due: usize,
    first_at: usize,
    reopens: usize,
    waits: usize,
    escalations: usize,
    fcr: usize,
    first_met: usize,
    resolution_met: usize,
    sent: usize,
    answered: usize,
    csat: usize,
    nps: usize,
    comment: usize,
}

impl Fields {
    fn of(o: &ObjectDef) -> Option<Fields> {
        let at = |n: &str| o.fields.iter().position(|f| f.name == n);
        Some(Fields {
            status: at("status")?,
            closed_at: at("closed_at")?,
            due: at("due_at")?,
            first_due: at("first_response_due")?,
            first_at: at("first_response_at")?,
            reopens: at("reopen_count")?,
            waits: at("wait_count")?,
            escalations: at("escalation_count")?,
            fcr: at("first_contact_resolution")?,
            first_met: at("first_response_met")?,
            resolution_met: at("resolution_met")?,
            sent: at("survey_sent_at")?,
            answered: at("survey_answered_at")?,
            csat: at("csat")?,
            nps: at("nps")?,
            comment: at("survey_comment")?,
        })
    }
}

/// Whether a target due at `due` was met at `at` (none without a target).
fn met(at: &Value, due: &Value) -> Value {
    match (at.datetime(), due.datetime()) {
        (Some(a), Some(d)) => Value::Bool(a <= d),
        _ => Value::Null,
    }
}

/// Sets `field` in an update's changes unless the writer set it themselves.
fn set(changes: &mut Vec<(usize, Value)>, field: usize, value: Value, theirs: &[usize]) {
    if theirs.contains(&field) {
        return;
    }
    match changes.iter_mut().find(|(i, _)| *i == field) {
        Some(c) => c.1 = value,
        None => changes.push((field, value)),
    }
}

impl Crm {
    /// The write path's step for cases, after their service levels: keeps each case's
    /// course (see the module) as its status moves. Kept fields are the write path's
    /// alone once a case exists; a new one may bring them (history from another system).
    pub(crate) fn keep_case_course(
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) {
        if object.name != CASE {
            return;
        }
        let Some(f) = Fields::of(object) else { return };
        for plan in plans.iter_mut() {
            match plan {
                Ok(Planned::Insert(r)) => {
                    let v = &mut r.values;
                    if ENDED.contains(&v[f.status].text()) {
                        if v[f.closed_at].is_null() {
                            v[f.closed_at] = Value::DateTime(now);
                        }
                        if v[f.fcr].is_null() {
                            let direct = [f.reopens, f.waits, f.escalations]
                                .iter()
                                .all(|i| v[*i].count() == 0);
                            v[f.fcr] = Value::Bool(direct);
                        }
                        if v[f.resolution_met].is_null() {
                            v[f.resolution_met] = met(&v[f.closed_at], &v[f.due]);
                        }
                    }
                    if v[f.first_met].is_null() {
                        v[f.first_met] = met(&v[f.first_at], &v[f.first_due]);
                    }
                }
                Ok(Planned::Update { before, changes }) => {
                    let theirs: Vec<usize> = changes.iter().map(|(i, _)| *i).collect();
                    if let Some(e) = crate::records::kept_changed(actor, object, before, changes, &KEPT) {
                        *plan = Err(ServiceError::Validation(vec![e]));
                        continue;
                    }
                    let after = |i: usize, changes: &[(usize, Value)]| {
                        crate::records::after_change(before, changes, i)
                    };
                    // The first response, when this write records it.
                    if before.values[f.first_at].is_null() && !after(f.first_at, changes).is_null() {
                        let on_time = met(&after(f.first_at, changes), &after(f.first_due, changes));
                        set(changes, f.first_met, on_time, &theirs);
                    }
                    let (was, to) = (
                        before.values[f.status].text().to_string(),
                        after(f.status, changes).text().to_string(),
                    );
                    if was == to {
                        continue;
                    }
                    let bump = |i: usize, changes: &mut Vec<(usize, Value)>| {
                        let n = before.values[i].count() + 1;
                        set(changes, i, Value::Int(n), &theirs);
                    };
                    if to == WAITING {
                        bump(f.waits, changes);
                    }
                    if to == ESCALATED {
                        bump(f.escalations, changes);
                    }
                    let (ended, ends) = (ENDED.contains(&was.as_str()), ENDED.contains(&to.as_str()));
                    if ends && !ended {
                        if !theirs.contains(&f.closed_at) || after(f.closed_at, changes).is_null() {
                            set(changes, f.closed_at, Value::DateTime(now), &[]);
                        }
                        let direct = [f.reopens, f.waits, f.escalations]
                            .iter()
                            .all(|i| after(*i, changes).count() == 0);
                        set(changes, f.fcr, Value::Bool(direct), &theirs);
                        let on_time = met(&after(f.closed_at, changes), &after(f.due, changes));
                        set(changes, f.resolution_met, on_time, &theirs);
                        // The customer is asked how it went, once per ending.
                        if before.values[f.sent].is_null() {
                            set(changes, f.sent, Value::DateTime(now), &theirs);
                        }
                    } else if ended && !ends {
                        bump(f.reopens, changes);
                        for i in [f.closed_at, f.fcr, f.resolution_met] {
                            set(changes, i, Value::Null, &theirs);
                        }
                        // An unanswered survey's link dies; the next ending sends another.
                        if before.values[f.answered].is_null() {
                            set(changes, f.sent, Value::Null, &theirs);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The write path's step for service costs: each carries its case's customer and
    /// product, so costs add up per customer and per product.
    pub(crate) async fn cost_cases(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
    ) -> Result<(), ServiceError> {
        if object.name != COST {
            return Ok(());
        }
        let at = |n: &str| object.fields.iter().position(|f| f.name == n);
        let (Some(case_at), Some(account_at), Some(product_at)) =
            (at("case"), at("account"), at("serviced_product"))
        else {
            return Ok(());
        };
        let schema = self.schema();
        let Some(case) = schema.object(CASE) else {
            return Ok(());
        };
        let of_case = |n: &str| case.fields.iter().position(|f| f.name == n);
        let (Some(c_account), Some(c_product)) = (of_case("account"), of_case("product")) else {
            return Ok(());
        };
        let ids: Vec<Uuid> = plans
            .iter()
            .flatten()
            .filter_map(|p| p.after())
            .filter_map(|r| match r.values[case_at] {
                Value::Uuid(id) => Some(id),
                _ => None,
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let cases: HashMap<Uuid, Record> = guanxi_storage::records::get_many_in(tx, case, &ids)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id()?, r)))
            .collect();
        for plan in plans.iter_mut() {
            let Ok(p) = plan else { continue };
            let Some(after) = p.after() else { continue };
            let Value::Uuid(id) = after.values[case_at] else {
                continue;
            };
            // An unknown case is the reference check's to name.
            let Some(c) = cases.get(&id) else { continue };
            let (account, product) = (c.values[c_account].clone(), c.values[c_product].clone());
            let mut errors = Vec::new();
            for (i, wanted, name) in [
                (account_at, &account, "account"),
                (product_at, &product, "serviced_product"),
            ] {
                let given = &after.values[i];
                let before = match &*p {
                    Planned::Update { before, .. } => before.values[i].clone(),
                    _ => Value::Null,
                };
                if !given.is_null() && given != wanted && *given != before {
                    errors.push(FieldError::new(name, Msg::ComputedField));
                }
            }
            if !errors.is_empty() {
                *plan = Err(ServiceError::Validation(errors));
                continue;
            }
            match p {
                Planned::Insert(r) => {
                    r.values[account_at] = account;
                    r.values[product_at] = product;
                }
                Planned::Update { before, changes } => {
                    for (i, v) in [(account_at, account), (product_at, product)] {
                        changes.retain(|(c, _)| *c != i);
                        if before.values[i] != v {
                            changes.push((i, v));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

// Satisfaction surveys ---------------------------------------------------------------------

/// A case's survey as its agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyLink {
    /// `/survey/{token}`: for the customer, once.
    pub path: String,
    pub sent_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer, once given.
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub comment: Option<String>,
}

/// What a survey page shows the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyCase {
    pub subject: String,
    pub answered: bool,
}

/// A survey answer: satisfaction 1–5, likelihood to recommend 0–10, a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurveyAnswer {
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub comment: String,
}

impl SurveyAnswer {
    /// Reads an answer as sent (form or JSON), each bad member named.
    pub fn from_input(input: &Map<String, Json>) -> Result<SurveyAnswer, ServiceError> {
        let mut errors = Vec::new();
        let mut score = |k: &str, lo: i64, hi: i64| -> Option<i64> {
            let v = input.get(k)?;
            let n = match v {
                Json::Number(n) => n.as_i64(),
                Json::String(s) if s.trim().is_empty() => return None,
                Json::String(s) => s.trim().parse::<i64>().ok(),
                Json::Null => return None,
                _ => None,
            };
            match n {
                Some(n) if (lo..=hi).contains(&n) => Some(n),
                _ => {
                    errors.push(
                        FieldError::new(k, Msg::SurveyScoreOutOfRange)
                            .with("min", lo)
                            .with("max", hi),
                    );
                    None
                }
            }
        };
        let csat = score("csat", 1, 5);
        let nps = score("nps", 0, 10);
        if csat.is_none() && !errors.iter().any(|e| e.field == "csat") {
            errors.push(FieldError::new("csat", Msg::Required));
        }
        let comment = input
            .get("comment")
            .and_then(Json::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string();
        if comment.chars().count() > 2000 {
            errors.push(FieldError::new("comment", Msg::TooLong).with("max", 2000));
        }
        if errors.is_empty() {
            Ok(SurveyAnswer { csat, nps, comment })
        } else {
            Err(ServiceError::Validation(errors))
        }
    }
}

type Signer = Hmac<Sha256>;

/// The token of a case's survey sent at `sent`: the case and the moment, signed.
/// Where the customer answers the survey of `case` sent at `sent`.
fn survey_path(key: &[u8], case: Uuid, sent: DateTime<Utc>) -> Option<String> {
    token(key, case, sent).map(|t| format!("/survey/{t}"))
}

fn token(key: &[u8], case: Uuid, sent: DateTime<Utc>) -> Option<String> {
    let mut payload = case.as_bytes().to_vec();
    payload.extend_from_slice(&sent.timestamp_millis().to_be_bytes());
    // HMAC takes keys of any length: this fails for none.
    let mut mac = Signer::new_from_slice(key).ok()?;
    mac.update(&payload);
    let tag = mac.finalize().into_bytes();
    Some(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(&tag[..TAG])
    ))
}

/// The case and moment a token names, if its signature is ours.
fn read_token(key: &[u8], token: &str) -> Option<(Uuid, i64)> {
    let (payload, tag) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if payload.len() != 24 || tag.len() != TAG {
        return None;
    }
    let mut mac = Signer::new_from_slice(key).ok()?;
    mac.update(&payload);
    mac.verify_truncated_left(&tag).ok()?;
    let case = Uuid::from_slice(&payload[..16]).ok()?;
    let millis = i64::from_be_bytes(payload[16..].try_into().ok()?);
    Some((case, millis))
}

impl Crm {
    /// The organisation's survey key, made the first time one is needed.
    async fn survey_key(&self) -> Result<Vec<u8>, ServiceError> {
        let mut tx = self.db().begin().await?;
        let key = Self::survey_key_in(&mut tx).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// `survey_key` inside a transaction the caller commits (a write that mails a survey).
    async fn survey_key_in(tx: &mut Tx) -> Result<Vec<u8>, ServiceError> {
        let key = match guanxi_storage::system::setting_in(tx, SURVEY_KEY).await? {
            Some(k) => k,
            None => {
                let mut fresh = [0u8; 32];
                OsRng.fill_bytes(&mut fresh);
                guanxi_storage::system::put_setting_if_absent(tx, SURVEY_KEY, &URL_SAFE_NO_PAD.encode(fresh))
                    .await?;
                guanxi_storage::system::setting_in(tx, SURVEY_KEY)
                    .await?
                    .unwrap_or_default()
            }
        };
        URL_SAFE_NO_PAD
            .decode(key)
            .map_err(|e| ServiceError::Internal(format!("survey key unreadable: {e}")))
    }

    /// The write path's last step for cases: when a case ends and its survey goes out, the
    /// link is mailed to the case's contact (with a mail server, and when they have an
    /// email) in the same transaction.
    pub(crate) async fn mail_surveys(
        &self,
        tx: &mut Tx,
        object: &ObjectDef,
        plans: &[Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != CASE || self.mail().is_none() {
            return Ok(());
        }
        let Some(f) = Fields::of(object) else {
            return Ok(());
        };
        let schema = self.schema();
        let Some(contact_def) = schema.object("contact") else {
            return Ok(());
        };
        let mut key = None;
        for plan in plans {
            let Ok(Planned::Update { before, changes }) = plan else {
                continue;
            };
            let sent = crate::records::after_change(before, changes, f.sent);
            let (Some(sent), true) = (sent.datetime(), before.values[f.sent].is_null()) else {
                continue;
            };
            let Some(id) = before.id() else { continue };
            let contact = object
                .fields
                .iter()
                .position(|x| x.name == "contact")
                .and_then(|i| match crate::records::after_change(before, changes, i) {
                    Value::Uuid(u) => Some(u),
                    _ => None,
                });
            let Some(contact) = contact else { continue };
            let Some(person) = guanxi_storage::records::get_in(tx, contact_def, contact).await? else {
                continue;
            };
            let email = guanxi_core::values::field(contact_def, &person, "email")
                .text()
                .to_string();
            if email.is_empty() {
                continue;
            }
            if key.is_none() {
                key = Some(Self::survey_key_in(tx).await?);
            }
            let Some(path) = key.as_deref().and_then(|k| survey_path(k, id, sent)) else {
                continue;
            };
            let subject_at = object.fields.iter().position(|x| x.name == "subject");
            let subject = subject_at
                .map(|i| {
                    crate::records::after_change(before, changes, i)
                        .text()
                        .to_string()
                })
                .unwrap_or_default();
            let name = guanxi_core::values::field(contact_def, &person, "name")
                .text()
                .to_string();
            let locale = crate::portal::contact_locale(contact_def, &person).unwrap_or_default();
            let mail = crate::mail::OutgoingMail {
                to: email,
                subject: Msg::MailSurveySubject.format(locale, &[("subject", &subject)]),
                body: Msg::MailSurveyBody.format(
                    locale,
                    &[
                        ("name", &name),
                        ("subject", &subject),
                        ("link", &self.public_link(&path)),
                    ],
                ),
            };
            self.queue_mail(tx, "case.survey", mail, now).await?;
        }
        Ok(())
    }

    /// The survey of a case the actor may read, once it was sent.
    pub async fn survey_link(
        &self,
        actor: &Actor,
        case_id: Uuid,
    ) -> Result<Option<SurveyLink>, ServiceError> {
        let record = self.get(actor, CASE, case_id, false).await?;
        let (_, object) = self.object(CASE)?;
        let Some(f) = Fields::of(&object) else {
            return Ok(None);
        };
        let Some(sent) = record.values[f.sent].datetime() else {
            return Ok(None);
        };
        let key = self.survey_key().await?;
        Ok(Some(SurveyLink {
            path: survey_path(&key, case_id, sent)
                .ok_or_else(|| ServiceError::Internal("survey key unusable".into()))?,
            sent_at: sent,
            answered_at: record.values[f.answered].datetime(),
            csat: Some(record.values[f.csat].count()).filter(|_| !record.values[f.csat].is_null()),
            nps: Some(record.values[f.nps].count()).filter(|_| !record.values[f.nps].is_null()),
            comment: Some(record.values[f.comment].text().to_string()).filter(|c| !c.is_empty()),
        }))
    }

    /// The case a survey token is for, read as the system: `NotFound` for a token that is
    /// not ours or whose survey was withdrawn (the case reopened before an answer).
    async fn surveyed(&self, token_text: &str) -> Result<(Record, Fields, usize), ServiceError> {
        let key = self.survey_key().await?;
        let (case_id, millis) = read_token(&key, token_text).ok_or(ServiceError::NotFound)?;
        let system = Actor::system(guanxi_core::Locale::default());
        let record = self.get(&system, CASE, case_id, false).await?;
        let (_, object) = self.object(CASE)?;
        let f = Fields::of(&object).ok_or(ServiceError::NotFound)?;
        let subject = object
            .fields
            .iter()
            .position(|x| x.name == "subject")
            .ok_or(ServiceError::NotFound)?;
        match record.values[f.sent].datetime() {
            Some(sent) if sent.timestamp_millis() == millis => Ok((record, f, subject)),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// What the survey page of a token shows.
    pub async fn survey_case(&self, token_text: &str) -> Result<SurveyCase, ServiceError> {
        let (record, f, subject) = self.surveyed(token_text).await?;
        Ok(SurveyCase {
            subject: record.values[subject].text().to_string(),
            answered: !record.values[f.answered].is_null(),
        })
    }

    /// Records the customer's answer on the case, once: a second answer through the same
    /// link is refused (`SurveyAnswered`), as is a link not ours (`NotFound`).
    pub async fn answer_survey(&self, token_text: &str, answer: &SurveyAnswer) -> Result<(), ServiceError> {
        let (record, f, _) = self.surveyed(token_text).await?;
        if !record.values[f.answered].is_null() {
            return Err(ServiceError::Gone(Msg::SurveyAnswered));
        }
        let id = record.id().ok_or(ServiceError::NotFound)?;
        let now = self.now();
        let mut patch = Map::new();
        patch.insert("survey_answered_at".into(), json!(now));
        patch.insert("csat".into(), json!(answer.csat));
        patch.insert("nps".into(), json!(answer.nps));
        let comment = (!answer.comment.is_empty()).then(|| answer.comment.clone());
        patch.insert("survey_comment".into(), json!(comment));
        let system = Actor::system(guanxi_core::Locale::default());
        let schema = self.schema();
        let (_, object) = self.object(CASE)?;
        let mut tx = self.db().begin().await?;
        let change = Change::Update {
            id,
            version: Some(record.version()),
            patch,
        };
        let written = self
            .apply_in(&mut tx, &system, &schema, &object, &[change], now)
            .await?;
        match written.into_iter().next() {
            Some(Ok(_)) => {
                tx.commit().await?;
                Ok(())
            }
            // Someone answered (or the case changed) meanwhile: as if answered.
            Some(Err(ServiceError::Conflict { .. })) => Err(ServiceError::Gone(Msg::SurveyAnswered)),
            Some(Err(e)) => Err(e),
            None => Err(ServiceError::NotFound),
        }
    }
}

// Metrics ----------------------------------------------------------------------------------

/// A share: how many of how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    pub of: i64,
    pub yes: i64,
}

impl serde::Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Share", 3)?;
        out.serialize_field("of", &self.of)?;
        out.serialize_field("yes", &self.yes)?;
        out.serialize_field("percent", &self.percent())?;
        out.end()
    }
}

impl Share {
    /// The share in percent, one decimal; none of none is none.
    pub fn percent(&self) -> Option<Decimal> {
        (self.of > 0).then(|| (Decimal::from(self.yes * 100) / Decimal::from(self.of)).round_dp(1))
    }
}

/// A sum of money in one currency.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Amount {
    pub currency: String,
    pub amount: Decimal,
}

/// Costs of one kind (labour, parts, travel, other) in one currency.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KindCost {
    pub kind: String,
    pub currency: String,
    pub amount: Decimal,
}

/// Cost of one customer's or product's service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CostLine {
    pub id: Uuid,
    pub name: String,
    pub costs: Vec<Amount>,
}

/// The service metrics of a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Metrics {
    /// Cases resolved or closed in the period.
    pub ended: i64,
    /// Of them, resolved at the first contact.
    pub first_contact_resolution: Share,
    /// Of them, reopened at least once.
    pub reopened: Share,
    /// First responses given in the period on time (of those with a target).
    pub first_response_on_time: Share,
    /// Cases ended in the period on time (of those with a target).
    pub resolution_on_time: Share,
    /// Surveys sent in the period, and answered.
    pub surveys: Share,
    /// Answers in the period: average satisfaction (1–5) and how many gave 4 or 5.
    pub csat_average: Option<Decimal>,
    pub csat_satisfied: Share,
    /// Net promoter score: promoters (9–10) less detractors (0–6), in percent of answers.
    pub nps: Option<Decimal>,
    pub nps_answers: i64,
    /// Service costs dated in the period, by kind, and their total; minutes logged.
    pub cost_by_kind: Vec<KindCost>,
    pub cost_total: Vec<Amount>,
    pub minutes: i64,
    /// Cases with costs, and the average cost of one.
    pub cases_costed: i64,
    pub cost_per_case: Vec<Amount>,
    /// The customers and products whose service cost most (up to ten each).
    pub by_customer: Vec<CostLine>,
    pub by_product: Vec<CostLine>,
}

/// The days a metrics period covers (both included), as asked (`YYYY-MM-DD`), else the 30
/// days up to `today`; each bad end named.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let mut errors = Vec::new();
    let mut day = |k: &str, v: Option<&str>| match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match v.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(k, Msg::NotDate).with("value", v));
                None
            }
        },
    };
    let to = day("to", to).unwrap_or(today);
    let from = day("from", from).unwrap_or_else(|| to - chrono::Days::new(29));
    if errors.is_empty() && from > to {
        errors.push(FieldError::new("from", Msg::PeriodBackwards));
    }
    if errors.is_empty() {
        Ok((from, to))
    } else {
        Err(ServiceError::Validation(errors))
    }
}

/// Midnight starting `day` in Beijing (the company's days), as an instant.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// Adds `amount` to the sum in its currency.
fn add_to(sums: &mut Vec<Amount>, currency: &str, amount: Decimal) {
    match sums.iter_mut().find(|s| s.currency == currency) {
        Some(s) => s.amount += amount,
        None => sums.push(Amount {
            currency: currency.to_string(),
            amount,
        }),
    }
}

/// What the service costs matching a filter add up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    pub by_kind: Vec<KindCost>,
    /// One sum per currency.
    pub total: Vec<Amount>,
    pub minutes: i64,
}

impl Crm {
    /// What the service costs matching `filter` that the actor may read add up to; `None`
    /// when they may not read costs.
    async fn costs_where(&self, actor: &Actor, filter: &str) -> Result<Option<Spent>, ServiceError> {
        let costs = match self
            .totals(actor, COST, Some(filter), "kind", Some("amount"), None)
            .await
        {
            Ok(t) => t,
            Err(ServiceError::Forbidden(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut spent = Spent::default();
        for t in costs {
            let (Some(currency), Some(amount)) = (t.currency, t.sum) else {
                continue;
            };
            add_to(&mut spent.total, &currency, amount);
            spent.by_kind.push(KindCost {
                kind: t.key.unwrap_or_default(),
                currency,
                amount,
            });
        }
        spent.minutes = self
            .totals(actor, COST, Some(filter), "kind", Some("minutes"), None)
            .await?
            .iter()
            .filter_map(|t| t.sum)
            .filter_map(|d| rust_decimal::prelude::ToPrimitive::to_i64(&d))
            .sum();
        Ok(Some(spent))
    }

    /// What serving one case cost so far (as `costs_where`).
    pub async fn case_costs(&self, actor: &Actor, case: Uuid) -> Result<Option<Spent>, ServiceError> {
        self.costs_where(actor, &format!("case eq '{case}'")).await
    }

    /// The service metrics of the days `from` to `to` (both included, Beijing days) over
    /// what the actor may read.
    pub async fn service_metrics(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Metrics, ServiceError> {
        let (from, to) = (day_start(from), day_start(to + chrono::Days::new(1)));
        let (a, b) = (
            guanxi_core::values::format_datetime(&from),
            guanxi_core::values::format_datetime(&to),
        );
        let span = |field: &str| format!("{field} gte '{a}' and {field} lt '{b}'");
        let mut m = Metrics::default();
        // Counts by a field's value among cases matching `filter`.
        let by = |filter: String, group: &'static str| async move {
            let totals = self.totals(actor, CASE, Some(&filter), group, None, None).await?;
            Ok::<_, ServiceError>(
                totals
                    .into_iter()
                    .map(|t| (t.key.unwrap_or_default(), t.count))
                    .collect::<Vec<(String, i64)>>(),
            )
        };
        let share = |rows: &[(String, i64)]| Share {
            of: rows.iter().filter(|(k, _)| !k.is_empty()).map(|(_, n)| n).sum(),
            yes: rows.iter().filter(|(k, _)| k == "true").map(|(_, n)| n).sum(),
        };
        let ended = span("closed_at");
        let fcr = by(ended.clone(), "first_contact_resolution").await?;
        m.ended = fcr.iter().map(|(_, n)| n).sum();
        m.first_contact_resolution = Share {
            of: m.ended,
            yes: share(&fcr).yes,
        };
        let reopened = by(format!("{ended} and reopen_count gt 0"), "status").await?;
        m.reopened = Share {
            of: m.ended,
            yes: reopened.iter().map(|(_, n)| n).sum(),
        };
        m.first_response_on_time = share(&by(span("first_response_at"), "first_response_met").await?);
        m.resolution_on_time = share(&by(ended, "resolution_met").await?);
        let sent: i64 = by(span("survey_sent_at"), "status")
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let answered_in_sent: i64 = by(
            format!("{} and not survey_answered_at is_null", span("survey_sent_at")),
            "status",
        )
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
        m.surveys = Share {
            of: sent,
            yes: answered_in_sent,
        };
        let answered = span("survey_answered_at");
        let csat: Vec<(i64, i64)> = by(format!("{answered} and not csat is_null"), "csat")
            .await?
            .into_iter()
            .filter_map(|(k, n)| Some((k.parse().ok()?, n)))
            .collect();
        let answers: i64 = csat.iter().map(|(_, n)| n).sum();
        if answers > 0 {
            let total: i64 = csat.iter().map(|(k, n)| k * n).sum();
            m.csat_average = Some((Decimal::from(total) / Decimal::from(answers)).round_dp(2));
        }
        m.csat_satisfied = Share {
            of: answers,
            yes: csat.iter().filter(|(k, _)| *k >= 4).map(|(_, n)| n).sum(),
        };
        let nps: Vec<(i64, i64)> = by(format!("{answered} and not nps is_null"), "nps")
            .await?
            .into_iter()
            .filter_map(|(k, n)| Some((k.parse().ok()?, n)))
            .collect();
        m.nps_answers = nps.iter().map(|(_, n)| n).sum();
        if m.nps_answers > 0 {
            let promoters: i64 = nps.iter().filter(|(k, _)| *k >= 9).map(|(_, n)| n).sum();
            let detractors: i64 = nps.iter().filter(|(k, _)| *k <= 6).map(|(_, n)| n).sum();
            m.nps = Some(
                (Decimal::from((promoters - detractors) * 100) / Decimal::from(m.nps_answers)).round_dp(1),
            );
        }
        self.cost_metrics(actor, &from, &to, &mut m).await?;
        Ok(m)
    }

    async fn cost_metrics(
        &self,
        actor: &Actor,
        from: &DateTime<Utc>,
        to: &DateTime<Utc>,
        m: &mut Metrics,
    ) -> Result<(), ServiceError> {
        // Costs are dated by day; the period's days, in Beijing as the company's.
        let day = |t: &DateTime<Utc>| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let filter = format!("spent_on gte '{}' and spent_on lt '{}'", day(from), day(to));
        // Not allowed to read costs: no cost figures.
        let Some(spent) = self.costs_where(actor, &filter).await? else {
            return Ok(());
        };
        m.cost_by_kind = spent.by_kind;
        m.cost_total = spent.total;
        m.minutes = spent.minutes;
        let per_case = self
            .totals(actor, COST, Some(&filter), "case", Some("amount"), None)
            .await?;
        let cases: std::collections::HashSet<&String> =
            per_case.iter().filter_map(|t| t.key.as_ref()).collect();
        m.cases_costed = cases.len() as i64;
        if m.cases_costed > 0 {
            m.cost_per_case = m
                .cost_total
                .iter()
                .map(|a| Amount {
                    currency: a.currency.clone(),
                    amount: (a.amount / Decimal::from(m.cases_costed)).round_dp(2),
                })
                .collect();
        }
        for (group, target, out) in [
            ("account", "account", &mut m.by_customer),
            ("serviced_product", "product", &mut m.by_product),
        ] {
            let mut lines: HashMap<Uuid, Vec<Amount>> = HashMap::new();
            for t in self
                .totals(actor, COST, Some(&filter), group, Some("amount"), None)
                .await?
            {
                let (Some(id), Some(currency), Some(amount)) =
                    (t.key.and_then(|k| k.parse::<Uuid>().ok()), t.currency, t.sum)
                else {
                    continue;
                };
                add_to(lines.entry(id).or_default(), &currency, amount);
            }
            let mut ranked: Vec<(Uuid, Vec<Amount>)> = lines.into_iter().collect();
            // Largest first by the sum in the first currency (mixed currencies are rare).
            ranked.sort_by(|a, b| {
                let top = |x: &[Amount]| x.iter().map(|a| a.amount).max().unwrap_or_default();
                top(&b.1).cmp(&top(&a.1)).then(a.0.cmp(&b.0))
            });
            ranked.truncate(10);
            let ids: Vec<Uuid> = ranked.iter().map(|(id, _)| *id).collect();
            let names = self.names_of(actor, target, &ids).await?;
            for (id, costs) in ranked {
                out.push(CostLine {
                    id,
                    name: names.get(&id).cloned().unwrap_or_default(),
                    costs,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_token_names_its_case_and_moment_and_nothing_else_passes() {
        let key = b"0123456789abcdef0123456789abcdef";
        let case = Uuid::now_v7();
        let sent: DateTime<Utc> = "2026-12-06T08:00:00.123Z".parse().unwrap();
        let t = token(key, case, sent).unwrap();
        assert_eq!(read_token(key, &t), Some((case, sent.timestamp_millis())));
        // Another key, a changed payload, a cut signature: refused.
        assert_eq!(read_token(b"another key", &t), None);
        let (payload, tag) = t.split_once('.').unwrap();
        let other = token(key, Uuid::now_v7(), sent).unwrap();
        let (other_payload, _) = other.split_once('.').unwrap();
        assert_eq!(read_token(key, &format!("{other_payload}.{tag}")), None);
        assert_eq!(
            read_token(key, &format!("{payload}.{}", &tag[..tag.len() - 2])),
            None
        );
        assert_eq!(read_token(key, "garbage"), None);
    }

    #[test]
    fn survey_answers_are_read_with_each_problem_named() {
        let input = |j: Json| j.as_object().unwrap().clone();
        assert_eq!(
            SurveyAnswer::from_input(&input(json!({"csat": "5", "nps": 9, "comment": " 很好 "}))).unwrap(),
            SurveyAnswer {
                csat: Some(5),
                nps: Some(9),
                comment: "很好".into()
            }
        );
        let Err(ServiceError::Validation(e)) =
            SurveyAnswer::from_input(&input(json!({"csat": "6", "nps": "11"})))
        else {
            panic!("refused")
        };
        assert_eq!(
            e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["csat", "nps"]
        );
        let Err(ServiceError::Validation(e)) = SurveyAnswer::from_input(&input(json!({"nps": 3}))) else {
            panic!("refused")
        };
        assert_eq!((e[0].field.as_str(), e[0].msg), ("csat", Msg::Required));
    }

    #[test]
    fn shares_are_percent_to_one_decimal() {
        assert_eq!(Share { of: 3, yes: 2 }.percent(), Some(Decimal::new(667, 1)));
        assert_eq!(Share { of: 0, yes: 0 }.percent(), None);
    }
}

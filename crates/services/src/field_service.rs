//! Field service: work orders send a technician to a case's customer. A work order takes
//! its customer, contact and address from the case; the technician's job sheet (on a
//! phone) marks the arrival, records the parts used (as service costs of the case, priced
//! from the catalogue) and what was done, and completes the job with the customer's
//! signature — kept beside the record, not in it. A work order is completed only so.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use guanxi_core::values::{Record, Value};
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use rust_decimal::Decimal;
use serde_json::{Map, json};
use uuid::Uuid;

use crate::cases::CASE;
use crate::records::{Change, ListQuery, Planned};
use crate::{Actor, Crm, ServiceError};

pub const WORK_ORDER: &str = "work_order";
const SCHEDULED: &str = "scheduled";
const ON_SITE: &str = "in_progress";
const COMPLETED: &str = "completed";
/// Fields the job sheet keeps; nobody types them.
const KEPT: [&str; 4] = ["started_at", "completed_at", "signed_by", "signed_at"];
/// The largest signature image taken (bytes of PNG).
pub const MAX_SIGNATURE: usize = 300_000;
const PNG_PREFIX: &str = "data:image/png;base64,";
const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

fn at(o: &ObjectDef, name: &str) -> Option<usize> {
    o.fields.iter().position(|f| f.name == name)
}

/// A technician's view of a job: the work order, its case, the parts used so far.
#[derive(Clone, Debug)]
pub struct JobSheet {
    pub work_order: Record,
    pub case: Option<Record>,
    pub parts: Vec<Record>,
    pub signed: bool,
}

/// The PNG bytes of a signature drawn on the job sheet (a data URL), or what is wrong.
pub fn signature_png(data_url: &str) -> Result<Vec<u8>, FieldError> {
    let bad = || FieldError::new("signature", Msg::WorkOrderBadSignature);
    let encoded = data_url.trim().strip_prefix(PNG_PREFIX).ok_or_else(bad)?;
    if encoded.len() > MAX_SIGNATURE * 4 / 3 + 4 {
        return Err(
            FieldError::new("signature", Msg::WorkOrderSignatureTooLarge).with("max", MAX_SIGNATURE / 1000)
        );
    }
    let png = STANDARD.decode(encoded).map_err(|_| bad())?;
    if !png.starts_with(&PNG_MAGIC) {
        return Err(bad());
    }
    Ok(png)
}

impl Crm {
    /// The write path's step for work orders: the case's customer, contact and address
    /// (and its subject when none is given); a schedule that ends after it starts; the
    /// arrival time when the job starts; completion only with what was done and the
    /// customer's signature.
    pub(crate) async fn plan_work_orders(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        object: &ObjectDef,
        plans: &mut [Result<Planned, ServiceError>],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if object.name != WORK_ORDER || !plans.iter().any(|p| p.is_ok()) {
            return Ok(());
        }
        let schema = self.schema();
        let (Some(case_def), Some(account_def)) = (schema.object(CASE), schema.object("account")) else {
            return Ok(());
        };
        let f = |n: &str| at(object, n);
        let (Some(case_at), Some(status), Some(subject), Some(start), Some(end), Some(address)) = (
            f("case"),
            f("status"),
            f("subject"),
            f("scheduled_start"),
            f("scheduled_end"),
            f("address"),
        ) else {
            return Ok(());
        };
        let (
            Some(account_at),
            Some(contact_at),
            Some(work_done),
            Some(started),
            Some(completed),
            Some(signed_at),
        ) = (
            f("account"),
            f("contact"),
            f("work_done"),
            f("started_at"),
            f("completed_at"),
            f("signed_at"),
        )
        else {
            return Ok(());
        };
        // The cases (and their customers) the new work orders are for.
        let ids: Vec<Uuid> = plans
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Planned::Insert(r) => match r.values[case_at] {
                    Value::Uuid(id) => Some(id),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let cases = guanxi_storage::records::get_many_in(tx, case_def, &ids).await?;
        let account_ids: Vec<Uuid> = cases
            .iter()
            .filter_map(|c| match at(case_def, "account").map(|i| &c.values[i]) {
                Some(Value::Uuid(a)) => Some(*a),
                _ => None,
            })
            .collect();
        let accounts = guanxi_storage::records::get_many_in(tx, account_def, &account_ids).await?;
        let place = |account: &Record| -> String {
            ["province", "city", "district", "address"]
                .iter()
                .filter_map(|n| at(account_def, n).map(|i| account.values[i].text().trim().to_string()))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        for plan in plans.iter_mut() {
            let refusal: Option<FieldError> = match plan {
                Ok(Planned::Insert(r)) => {
                    let v = &mut r.values;
                    if let Some(i) = KEPT
                        .iter()
                        .filter_map(|k| at(object, k))
                        .find(|i| !v[*i].is_null())
                    {
                        Some(FieldError::new(&object.fields[i].name, Msg::ComputedField))
                    } else {
                        if v[status].is_null() {
                            v[status] = Value::Text(SCHEDULED.into());
                        }
                        if let Value::Uuid(case_id) = v[case_at]
                            && let Some(c) = cases.iter().find(|c| c.id() == Some(case_id))
                        {
                            let of_case = |n: &str| at(case_def, n).map(|i| c.values[i].clone());
                            if v[subject].is_null() {
                                v[subject] = of_case("subject").unwrap_or(Value::Null);
                            }
                            v[account_at] = of_case("account").unwrap_or(Value::Null);
                            v[contact_at] = of_case("contact").unwrap_or(Value::Null);
                            if v[address].is_null()
                                && let Value::Uuid(a) = v[account_at]
                                && let Some(acc) = accounts.iter().find(|x| x.id() == Some(a))
                            {
                                let p = place(acc);
                                if !p.is_empty() {
                                    v[address] = Value::Text(p);
                                }
                            }
                        }
                        if v[status].text() == COMPLETED {
                            Some(FieldError::new("signature", Msg::WorkOrderNeedsSignature))
                        } else {
                            None
                        }
                    }
                }
                Ok(Planned::Update { before, changes }) => {
                    let theirs: Vec<usize> = changes.iter().map(|(i, _)| *i).collect();
                    if let Some(e) = crate::records::kept_changed(actor, object, before, changes, &KEPT) {
                        Some(e)
                    } else if changes
                        .iter()
                        .any(|(i, v)| *i == case_at && *v != before.values[case_at])
                    {
                        Some(FieldError::new("case", Msg::ReadOnlyField))
                    } else {
                        let after = |i: usize, changes: &[(usize, Value)]| {
                            crate::records::after_change(before, changes, i)
                        };
                        let (was, to) = (
                            before.values[status].text().to_string(),
                            after(status, changes).text().to_string(),
                        );
                        if was != to
                            && to == ON_SITE
                            && before.values[started].is_null()
                            && !theirs.contains(&started)
                        {
                            changes.push((started, Value::DateTime(now)));
                        }
                        if was != to && to == COMPLETED {
                            if after(work_done, changes).text().trim().is_empty() {
                                Some(FieldError::new("work_done", Msg::Required))
                            } else if after(signed_at, changes).is_null() {
                                Some(FieldError::new("signature", Msg::WorkOrderNeedsSignature))
                            } else {
                                if !theirs.contains(&completed) {
                                    changes.push((completed, Value::DateTime(now)));
                                }
                                None
                            }
                        } else if was == COMPLETED && to != COMPLETED {
                            Some(FieldError::new("status", Msg::WorkOrderCompleted))
                        } else {
                            None
                        }
                    }
                }
                _ => None,
            };
            // Whatever the writer did, a schedule ends after it starts.
            let refusal = refusal.or_else(|| {
                let after = plan.as_ref().ok().and_then(Planned::after)?;
                match (after.values[start].datetime(), after.values[end].datetime()) {
                    (Some(s), Some(e)) if e < s => {
                        Some(FieldError::new("scheduled_end", Msg::WorkOrderEndsBeforeStart))
                    }
                    _ => None,
                }
            });
            if let Some(e) = refusal {
                *plan = Err(ServiceError::Validation(vec![e]));
            }
        }
        Ok(())
    }

    /// The technician's open jobs (scheduled or on site), soonest first.
    pub async fn my_jobs(&self, actor: &Actor) -> Result<Vec<Record>, ServiceError> {
        let q = ListQuery {
            filter: Some(format!(
                "technician eq '{}' and status in ('{SCHEDULED}', '{ON_SITE}')",
                actor.user_id
            )),
            sort: Some("scheduled_start".into()),
            limit: Some(100),
            ..Default::default()
        };
        Ok(self.list(actor, WORK_ORDER, &q).await?.records)
    }

    /// A job as its technician (or anyone who may read the work order) sees it.
    pub async fn job_sheet(&self, actor: &Actor, id: Uuid) -> Result<JobSheet, ServiceError> {
        let work_order = self.get(actor, WORK_ORDER, id, false).await?;
        let (_, def) = self.object(WORK_ORDER)?;
        let case = match at(&def, "case").map(|i| &work_order.values[i]) {
            Some(Value::Uuid(c)) => match self.get(actor, CASE, *c, false).await {
                Ok(r) => Some(r),
                Err(ServiceError::NotFound) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        let q = ListQuery {
            filter: Some(format!("work_order eq '{id}' and kind eq 'parts'")),
            sort: Some("created_at".into()),
            limit: Some(200),
            ..Default::default()
        };
        let parts = match self.list(actor, crate::service_quality::COST, &q).await {
            Ok(p) => p.records,
            Err(ServiceError::Forbidden(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let signed = guanxi_storage::portal::signature(self.db(), id).await?.is_some();
        Ok(JobSheet {
            work_order,
            case,
            parts,
            signed,
        })
    }

    /// The technician arrives: the job is on site from now.
    pub async fn start_job(&self, actor: &Actor, id: Uuid) -> Result<Record, ServiceError> {
        let current = self.get(actor, WORK_ORDER, id, false).await?;
        let mut patch = Map::new();
        patch.insert("status".into(), json!(ON_SITE));
        self.update(actor, WORK_ORDER, id, current.version(), patch).await
    }

    /// A part used on the job: a parts cost of the case, priced from the catalogue.
    pub async fn add_part(
        &self,
        actor: &Actor,
        id: Uuid,
        part: Uuid,
        quantity: &str,
    ) -> Result<Record, ServiceError> {
        let sheet = self.job_sheet(actor, id).await?;
        let (_, def) = self.object(WORK_ORDER)?;
        let case = match at(&def, "case").map(|i| &sheet.work_order.values[i]) {
            Some(Value::Uuid(c)) => *c,
            _ => return Err(ServiceError::NotFound),
        };
        let mut errors = Vec::new();
        let qty = match quantity.trim().replace([',', '，'], "").parse::<Decimal>() {
            Ok(q) if q > Decimal::ZERO => Some(q),
            _ => {
                errors.push(FieldError::new("quantity", Msg::MustBePositive));
                None
            }
        };
        let (_, product_def) = self.object("product")?;
        let product = match self.get(actor, "product", part, false).await {
            Ok(p) => Some(p),
            Err(ServiceError::NotFound) => {
                errors.push(FieldError::new("part", Msg::LookupNotFound));
                None
            }
            Err(e) => return Err(e),
        };
        let price =
            product
                .as_ref()
                .and_then(|p| match at(&product_def, "list_price").map(|i| &p.values[i]) {
                    Some(Value::Money { amount, currency }) => Some((*amount, currency.clone())),
                    _ => None,
                });
        if product.is_some() && price.is_none() {
            errors.push(FieldError::new("part", Msg::PartHasNoPrice));
        }
        let (Some(qty), Some((unit, currency)), Some(product)) = (qty, price, product) else {
            return Err(ServiceError::Validation(errors));
        };
        let name = at(&product_def, "name")
            .map(|i| product.values[i].text().to_string())
            .unwrap_or_default();
        let today = self.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let mut cost = Map::new();
        cost.insert("case".into(), json!(case));
        cost.insert("work_order".into(), json!(id));
        cost.insert("kind".into(), json!("parts"));
        cost.insert("part".into(), json!(part));
        cost.insert("quantity".into(), json!(qty.to_string()));
        cost.insert("description".into(), json!(name));
        cost.insert("spent_on".into(), json!(today));
        cost.insert(
            "amount".into(),
            json!({"amount": (unit * qty).round_dp(2).to_string(), "currency": currency}),
        );
        self.create(actor, crate::service_quality::COST, cost).await
    }

    /// Completes a job: what was done, and the customer's signature (a PNG drawn on the
    /// sheet) with their name — one transaction; audited as the technician.
    pub async fn complete_job(
        &self,
        actor: &Actor,
        id: Uuid,
        work_done: &str,
        signed_by: &str,
        signature: &str,
    ) -> Result<Record, ServiceError> {
        let current = self.get(actor, WORK_ORDER, id, false).await?;
        let (schema, def) = self.object(WORK_ORDER)?;
        let access = self.access(actor, &def);
        self.editable_with(&access, &def, &current).await?;
        let mut errors = Vec::new();
        if work_done.trim().is_empty() {
            errors.push(FieldError::new("work_done", Msg::Required));
        }
        if signed_by.trim().is_empty() {
            errors.push(FieldError::new("signed_by", Msg::Required));
        }
        let png = match signature_png(signature) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let png = STANDARD.encode(png.unwrap_or_default());
        let now = self.now();
        let mut patch = Map::new();
        patch.insert("status".into(), json!(COMPLETED));
        patch.insert("work_done".into(), json!(work_done.trim()));
        patch.insert("signed_by".into(), json!(signed_by.trim()));
        patch.insert("signed_at".into(), json!(now));
        if at(&def, "started_at").is_some_and(|i| current.values[i].is_null()) {
            patch.insert("started_at".into(), json!(now));
        }
        let system = Actor::system(actor.locale);
        let mut tx = self.db().begin().await?;
        let change = Change::Update {
            id,
            version: Some(current.version()),
            patch,
        };
        let written = self
            .apply_in(&mut tx, &system, &schema, &def, &[change], now)
            .await?;
        let record = match written.into_iter().next() {
            Some(Ok((r, _))) => r,
            Some(Err(e)) => return Err(e),
            None => return Err(ServiceError::NotFound),
        };
        guanxi_storage::portal::put_signature(&mut tx, id, &png, signed_by.trim(), now).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "field_service.completed",
            Some(WORK_ORDER),
            Some(id),
            json!({"signed_by": signed_by.trim()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The customer's signature on a work order the actor may read (PNG bytes).
    pub async fn job_signature(&self, actor: &Actor, id: Uuid) -> Result<Vec<u8>, ServiceError> {
        self.get(actor, WORK_ORDER, id, false).await?;
        let png = guanxi_storage::portal::signature(self.db(), id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        STANDARD
            .decode(png)
            .map_err(|e| ServiceError::Internal(format!("stored signature unreadable: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_a_png_drawn_on_the_sheet_and_nothing_else() {
        let png = [PNG_MAGIC.to_vec(), vec![0u8; 32]].concat();
        let url = format!("{PNG_PREFIX}{}", STANDARD.encode(&png));
        assert_eq!(signature_png(&url).unwrap(), png);
        for bad in [
            "".to_string(),
            "data:image/jpeg;base64,AAAA".to_string(),
            format!("{PNG_PREFIX}not base64!"),
            format!("{PNG_PREFIX}{}", STANDARD.encode(b"GIF89a not a png")),
        ] {
            assert_eq!(
                signature_png(&bad).unwrap_err().msg,
                Msg::WorkOrderBadSignature,
                "{bad}"
            );
        }
        let huge = format!("{PNG_PREFIX}{}", "A".repeat(MAX_SIGNATURE * 2));
        assert_eq!(
            signature_png(&huge).unwrap_err().msg,
            Msg::WorkOrderSignatureTooLarge
        );
    }
}

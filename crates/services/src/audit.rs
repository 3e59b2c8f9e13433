//! The audit trail: who did what, when and from where — sign-ins, tokens, metadata and
//! permission changes, deletes and restores, exports and merges as they arrive. Entries are
//! written in the same transaction as the action and never change (the table refuses
//! updates and deletes).

use chrono::{DateTime, Utc};
use guanxi_core::Msg;
use guanxi_storage::Tx;
use guanxi_storage::system::{self, AuditQuery, AuditRow};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::identity::Scope;
use crate::{Actor, Crm, ServiceError};

pub const MAX_PAGE: usize = 1000;

/// Appends one entry; `by` is `None` for the command line and start-up.
pub(crate) async fn record(
    tx: &mut Tx,
    by: Option<&Actor>,
    action: &str,
    object: Option<&str>,
    record_id: Option<Uuid>,
    detail: Json,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    system::insert_audit(tx, &[entry(by, action, object, record_id, detail, at)]).await?;
    Ok(())
}

/// Appends an entry about an email with no signed-in user behind it (sign-in failures).
pub(crate) async fn record_for_email(
    tx: &mut Tx,
    email: &str,
    ip: Option<String>,
    action: &str,
    detail: Json,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut row = entry(None, action, None, None, detail, at);
    row.actor_email = Some(email.to_string());
    row.ip = ip;
    system::insert_audit(tx, &[row]).await?;
    Ok(())
}

pub(crate) fn entry(
    by: Option<&Actor>,
    action: &str,
    object: Option<&str>,
    record_id: Option<Uuid>,
    detail: Json,
    at: DateTime<Utc>,
) -> AuditRow {
    AuditRow {
        id: Uuid::now_v7(),
        at,
        // The command line acts as a nil user: no user row behind it.
        actor: by.map(|a| a.user_id).filter(|u| !u.is_nil()),
        actor_email: Some(by.map_or_else(|| "cli".to_string(), |a| a.email.clone())),
        ip: by.and_then(|a| a.ip.clone()),
        action: action.into(),
        object: object.map(str::to_string),
        record_id,
        detail: detail.to_string(),
    }
}

impl Crm {
    /// Reads the audit trail, newest first. Administrators only, with the admin scope.
    pub async fn audit(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditRow>, ServiceError> {
        if !actor.is_admin {
            return Err(ServiceError::Forbidden(Msg::DetailAdminOnly));
        }
        actor.require(Scope::Admin)?;
        let mut q = query.clone();
        q.limit = q.limit.clamp(1, MAX_PAGE);
        Ok(system::audit(self.db(), &q).await?)
    }
}

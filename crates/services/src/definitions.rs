//! Named pieces of administrator configuration stored as JSON definitions (validation
//! rules, coding rules): saved and deleted the same way — administrators only, one
//! transaction with its audit entry.

use guanxi_core::Msg;
use guanxi_storage::system::{self, Definition};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// Refuses anyone but an internal administrator with the admin scope.
pub(crate) fn admin_only(actor: &Actor) -> Result<(), ServiceError> {
    if actor.administers() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(Msg::DetailAdminOnly))
    }
}

impl Crm {
    /// Stores a definition with its audit entry (`action`, the definition as detail).
    pub(crate) async fn save_definition(
        &self,
        actor: &Actor,
        table: &str,
        d: &Definition,
        action: &str,
        detail: Json,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        system::put_definition(&mut tx, table, d, now).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            action,
            d.object.as_deref(),
            Some(d.id),
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a definition with its audit entry; `NotFound` if there is none.
    pub(crate) async fn drop_definition(
        &self,
        actor: &Actor,
        table: &str,
        id: Uuid,
        action: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !system::delete_definition(&mut tx, table, id).await? {
            return Err(ServiceError::NotFound);
        }
        crate::audit::record(&mut tx, Some(actor), action, None, Some(id), Json::Null, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

//! Named pieces of administrator configuration stored as JSON definitions (validation
//! rules, coding rules): saved and deleted the same way — administrators only, one
//! transaction with its audit entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use guanxi_core::Msg;
use guanxi_storage::system::{self, Definition};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// Definition tables kept in memory, read once and again only after a change: this
/// node's own saves forget them when they commit, another node's are noticed by
/// `Crm::refresh_definitions` through the stored definition version.
#[derive(Default)]
pub(crate) struct Cache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    tables: HashMap<&'static str, Arc<Vec<Definition>>>,
    /// Counts forgettings: a read that began before one must not store what it read,
    /// which may be older than the change that was just committed.
    generation: u64,
    /// The stored definition version last seen.
    version: String,
}

impl Cache {
    fn state(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The definitions of `table` in memory, else the generation to read them at.
    fn known(&self, table: &str) -> Result<Arc<Vec<Definition>>, u64> {
        let state = self.state();
        match state.tables.get(table) {
            Some(found) => Ok(found.clone()),
            None => Err(state.generation),
        }
    }

    /// Keeps what was read unless something was forgotten since the read began.
    fn keep(&self, table: &'static str, generation: u64, read: Arc<Vec<Definition>>) -> Arc<Vec<Definition>> {
        let mut state = self.state();
        if state.generation == generation {
            state.tables.insert(table, read.clone());
        }
        read
    }

    fn forget(&self) {
        let mut state = self.state();
        state.tables.clear();
        state.generation += 1;
    }
}

/// Refuses anyone but an internal administrator with the admin scope.
pub(crate) fn admin_only(actor: &Actor) -> Result<(), ServiceError> {
    if actor.administers() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(Msg::DetailAdminOnly))
    }
}

impl Crm {
    /// The definitions of `table`, from memory when they were read since the last change.
    /// Not for checks before a save (names taken, one rule per object): those read the
    /// table itself, as another node may have just written it.
    pub(crate) async fn definitions(
        &self,
        table: &'static str,
    ) -> Result<Arc<Vec<Definition>>, ServiceError> {
        let generation = match self.definitions.known(table) {
            Ok(found) => return Ok(found),
            Err(generation) => generation,
        };
        let read = Arc::new(system::definitions(self.db(), table).await?);
        Ok(self.definitions.keep(table, generation, read))
    }

    /// `definitions` for a write path: what is not in memory is read in its transaction,
    /// which must not wait for a second connection while it holds one (a full pool of
    /// such writers would wait forever). Only for transactions that write no definitions.
    pub(crate) async fn definitions_in(
        &self,
        tx: &mut guanxi_storage::Tx,
        table: &'static str,
    ) -> Result<Arc<Vec<Definition>>, ServiceError> {
        let generation = match self.definitions.known(table) {
            Ok(found) => return Ok(found),
            Err(generation) => generation,
        };
        let read = Arc::new(system::definitions_in(tx, table).await?);
        Ok(self.definitions.keep(table, generation, read))
    }

    /// Forgets the definitions in memory if another node changed any; cheap when none did.
    pub async fn refresh_definitions(&self) -> Result<bool, ServiceError> {
        let stored = system::definition_version(self.db()).await?;
        if self.definitions.state().version == stored {
            return Ok(false);
        }
        self.definitions.forget();
        self.definitions.state().version = stored;
        Ok(true)
    }

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
        self.definitions.forget();
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
        self.definitions.forget();
        Ok(())
    }
}

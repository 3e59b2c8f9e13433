//! Saved list views: a named choice of columns, filter and sort on one object. Anyone may
//! keep personal views; sharing a view with everyone is for administrators. A view stores
//! the query text, so it always answers with what its user may see today.

use guanxi_core::{FieldError, Msg};
use guanxi_storage::views::{self as store, ViewRow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

pub const MAX_NAME: usize = 100;

/// What a view shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSpec {
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedView {
    pub id: Uuid,
    pub object: String,
    pub owner_id: Uuid,
    pub name: String,
    pub shared: bool,
    pub spec: ViewSpec,
}

fn from_row(r: ViewRow) -> SavedView {
    SavedView {
        spec: serde_json::from_str(&r.definition).unwrap_or_default(),
        id: r.id,
        object: r.object,
        owner_id: r.owner_id,
        name: r.name,
        shared: r.shared,
    }
}

impl Crm {
    /// The views of an object the actor may use: their own and the shared ones.
    pub async fn views(&self, actor: &Actor, object: &str) -> Result<Vec<SavedView>, ServiceError> {
        let (_, object) = self.object(object)?;
        let rows = store::views_for(self.db(), &object.name, actor.user_id).await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// One view the actor may use.
    pub async fn view(&self, actor: &Actor, id: Uuid) -> Result<SavedView, ServiceError> {
        match store::view(self.db(), id).await? {
            Some(r) if r.owner_id == actor.user_id || r.shared => Ok(from_row(r)),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// Saves a new view (`id: None`) or changes one of the actor's own (administrators may
    /// change shared ones). Columns, filter and sort are checked against what the actor sees.
    pub async fn save_view(
        &self,
        actor: &Actor,
        object: &str,
        id: Option<Uuid>,
        name: &str,
        shared: bool,
        spec: ViewSpec,
    ) -> Result<SavedView, ServiceError> {
        let (_, full) = self.object(object)?;
        let access = self.access(actor, &full);
        let visible = access.visible_object(&full);
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", Msg::Required));
        } else if name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", Msg::TooLong).with("max", MAX_NAME));
        }
        for c in &spec.columns {
            if visible.field(c).is_none() {
                errors.push(FieldError::new("columns", Msg::UnknownField).with("field", c));
            }
        }
        if let Err(ServiceError::Validation(mut e)) = self.typed_filter(&visible, spec.filter.as_deref()) {
            errors.append(&mut e);
        }
        if let Some(sort) = spec.sort.as_deref().map(str::trim).filter(|s| !s.is_empty())
            && guanxi_core::query::parse_sort(sort, &visible).is_err()
        {
            errors.push(FieldError::new("sort", Msg::InvalidSort));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        if shared && !actor.is_admin {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        // A changed view keeps its owner (an administrator may change a shared one).
        let (id, owner_id) = match id {
            None => (Uuid::now_v7(), actor.user_id),
            Some(id) => {
                let current = store::view(self.db(), id).await?.ok_or(ServiceError::NotFound)?;
                let may = current.owner_id == actor.user_id || (current.shared && actor.is_admin);
                if !may || current.object != full.name {
                    return Err(ServiceError::NotFound);
                }
                (id, current.owner_id)
            }
        };
        let row = ViewRow {
            id,
            object: full.name.clone(),
            owner_id,
            name: name.to_string(),
            shared,
            definition: serde_json::to_string(&spec).map_err(|e| ServiceError::Internal(e.to_string()))?,
            updated_at: self.now(),
        };
        let mut tx = self.db().begin().await?;
        store::put_view(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(from_row(row))
    }

    /// Deletes one of the actor's views (administrators: any shared view too).
    pub async fn delete_view(&self, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
        match store::view(self.db(), id).await? {
            Some(r) if r.owner_id == actor.user_id || (r.shared && actor.is_admin) => {}
            _ => return Err(ServiceError::NotFound),
        }
        let mut tx = self.db().begin().await?;
        store::delete_view(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }
}

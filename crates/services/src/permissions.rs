//! Roles, the role hierarchy, sharing defaults and object permissions: loading the facts
//! for `guanxi_core::access::Access` (the one decision), and their administration, which
//! is audited. Administrators bypass record access entirely.

use guanxi_core::access::{Access, ObjectPermissions, Sharing, roles_below};
use guanxi_core::{FieldError, Msg};
use guanxi_storage::system::{self, RoleRow};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::{Actor, Crm, ServiceError};

/// What an object's access looks like to an administrator.
#[derive(Clone, Debug)]
pub struct ObjectAccess {
    pub sharing: Sharing,
    /// Role id → permissions, for roles that have their own.
    pub roles: Vec<(Uuid, ObjectPermissions)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleInput {
    name: String,
    parent: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessInput {
    sharing: Option<String>,
    #[serde(default)]
    roles: std::collections::BTreeMap<String, ObjectPermissions>,
}

fn admin_only(actor: &Actor) -> Result<(), ServiceError> {
    if actor.is_admin && actor.scopes.admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(Msg::DetailAdminOnly))
    }
}

impl Crm {
    /// The facts the access decision needs for `actor` on `object`.
    pub async fn access(&self, actor: &Actor, object: &str) -> Result<Access, ServiceError> {
        if actor.is_admin {
            return Ok(Access::administrator(actor.user_id));
        }
        let sharing = system::object_sharing(self.db(), object)
            .await?
            .and_then(|s| Sharing::parse(&s))
            .unwrap_or(Sharing::PublicReadWrite);
        let mut permissions = ObjectPermissions::STANDARD;
        let mut below = std::collections::HashSet::new();
        if let Some(role) = actor.role_id {
            if let Some(p) = system::role_permissions(self.db(), role, object).await? {
                permissions = ObjectPermissions::from_array(p);
            }
            // The hierarchy matters for reading private records and, whatever the sharing,
            // for editing and deleting what the people below own.
            if !permissions.modify_all {
                let roles: Vec<(Uuid, Option<Uuid>)> = system::roles(self.db())
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r.parent_id))
                    .collect();
                let lower = roles_below(&roles, role);
                if !lower.is_empty() {
                    below = system::user_roles(self.db())
                        .await?
                        .into_iter()
                        .filter(|(_, r)| r.is_some_and(|r| lower.contains(&r)))
                        .map(|(u, _)| u)
                        .collect();
                }
            }
        }
        Ok(Access {
            admin: false,
            permissions,
            sharing,
            me: actor.user_id,
            below,
        })
    }

    pub async fn roles(&self, actor: &Actor) -> Result<Vec<RoleRow>, ServiceError> {
        admin_only(actor)?;
        Ok(system::roles(self.db()).await?)
    }

    /// Adds a role, under `parent` if given. Audited.
    pub async fn add_role(&self, actor: &Actor, input: Json) -> Result<RoleRow, ServiceError> {
        admin_only(actor)?;
        let input: RoleInput = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new("role", Msg::InvalidJson).with("reason", e)])
        })?;
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::Validation(vec![
                FieldError::new("name", Msg::TooLong).with("max", 100),
            ]));
        }
        let existing = system::roles(self.db()).await?;
        if existing.iter().any(|r| r.name == name) {
            return Err(ServiceError::field("name", Msg::NameTaken));
        }
        if let Some(p) = input.parent
            && !existing.iter().any(|r| r.id == p)
        {
            return Err(ServiceError::field("parent", Msg::LookupNotFound));
        }
        let role = RoleRow {
            id: Uuid::now_v7(),
            name,
            parent_id: input.parent,
        };
        let now = self.now();
        let mut tx = self.db().begin().await?;
        system::insert_role(&mut tx, &role, now).await?;
        let detail = json!({"role": role.id, "name": role.name, "parent": role.parent_id});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "permission.role.create",
            None,
            None,
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Puts a user in a role (or none). Audited.
    pub async fn set_user_role(
        &self,
        actor: &Actor,
        user: Uuid,
        role: Option<Uuid>,
    ) -> Result<(), ServiceError> {
        admin_only(actor)?;
        if let Some(r) = role
            && !system::roles(self.db()).await?.iter().any(|x| x.id == r)
        {
            return Err(ServiceError::field("role", Msg::LookupNotFound));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if !system::set_user_role(&mut tx, user, role, now).await? {
            return Err(ServiceError::NotFound);
        }
        let detail = json!({"user": user, "role": role});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "permission.user.role",
            None,
            None,
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn object_access(&self, actor: &Actor, object: &str) -> Result<ObjectAccess, ServiceError> {
        admin_only(actor)?;
        self.schema().object(object).ok_or(ServiceError::NotFound)?;
        let sharing = system::object_sharing(self.db(), object)
            .await?
            .and_then(|s| Sharing::parse(&s))
            .unwrap_or(Sharing::PublicReadWrite);
        let mut roles = Vec::new();
        for r in system::roles(self.db()).await? {
            if let Some(p) = system::role_permissions(self.db(), r.id, object).await? {
                roles.push((r.id, ObjectPermissions::from_array(p)));
            }
        }
        Ok(ObjectAccess { sharing, roles })
    }

    /// Sets an object's sharing default and/or roles' permissions on it. Audited.
    pub async fn set_object_access(
        &self,
        actor: &Actor,
        object: &str,
        input: Json,
    ) -> Result<ObjectAccess, ServiceError> {
        admin_only(actor)?;
        self.schema().object(object).ok_or(ServiceError::NotFound)?;
        let audit_detail = input.clone();
        let input: AccessInput = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![
                FieldError::new("access", Msg::InvalidJson).with("reason", e),
            ])
        })?;
        let sharing = match input.sharing.as_deref() {
            None => None,
            Some(s) => Some(Sharing::parse(s).ok_or_else(|| {
                ServiceError::Validation(vec![
                    FieldError::new("sharing", Msg::NotInPicklist).with("value", s),
                ])
            })?),
        };
        let known = system::roles(self.db()).await?;
        let mut roles = Vec::new();
        for (id, p) in input.roles {
            let role = Uuid::parse_str(&id)
                .ok()
                .filter(|r| known.iter().any(|k| k.id == *r))
                .ok_or_else(|| ServiceError::field(&format!("roles.{id}"), Msg::LookupNotFound))?;
            roles.push((role, p));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if let Some(s) = sharing {
            system::set_object_sharing(&mut tx, object, s.as_str()).await?;
        }
        for (role, p) in &roles {
            system::set_role_permissions(&mut tx, *role, object, p.to_array()).await?;
        }
        crate::audit::record(
            &mut tx,
            Some(actor),
            "permission.object",
            Some(object),
            None,
            audit_detail,
            now,
        )
        .await?;
        tx.commit().await?;
        self.object_access(actor, object).await
    }
}

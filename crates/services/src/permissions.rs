//! Roles, teams, sharing defaults, object and field permissions, sharing rules,
//! territories, partner users and records shared by hand: loading the facts for
//! `guanxi_core::access` (the one decision) and their administration. Every change is
//! audited and bumps the permission version, so that every node reloads the policy (this
//! one at once, others within the refresh interval). Administrators bypass record access.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use guanxi_core::access::{
    self, Access, FieldLevel, Group, Level, ObjectPermissions, Policy, RuleSource, Sharing, SharingRule,
    Team, Territory, UserFacts, UserKind,
};
use guanxi_core::query::FilterError;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::Tx;
use guanxi_storage::system::{self, Definition, RoleRow, ShareRow};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::definitions::admin_only;
use crate::{Actor, Crm, ServiceError};

/// What an object's access looks like to an administrator.
#[derive(Clone, Debug)]
pub struct ObjectAccess {
    pub sharing: Sharing,
    /// Role id → permissions, for roles that have their own.
    pub roles: Vec<(Uuid, ObjectPermissions)>,
    /// Role id → field → level, for fields not editable.
    pub fields: Vec<(Uuid, BTreeMap<String, FieldLevel>)>,
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
    roles: BTreeMap<String, ObjectPermissions>,
    #[serde(default)]
    fields: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamInput {
    name: Option<String>,
    members: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleInput {
    object: String,
    name: String,
    owners: Option<Json>,
    criteria: Option<String>,
    to: Json,
    level: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TerritoryInput {
    name: Option<String>,
    criteria: Option<String>,
    members: Option<Vec<Uuid>>,
    level: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareInput {
    user: Option<Uuid>,
    team: Option<Uuid>,
    partner: Option<Uuid>,
    level: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserAccessInput {
    #[serde(default, deserialize_with = "some")]
    role: Option<Option<Uuid>>,
    kind: Option<String>,
    #[serde(default, deserialize_with = "some")]
    partner_account: Option<Option<Uuid>>,
}

/// Tells an absent key (`None`) from an explicit null (`Some(None)`).
fn some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn invalid_json(what: &str, e: serde_json::Error) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(what, Msg::InvalidJson).with("reason", e)])
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, input: Json) -> Result<T, ServiceError> {
    serde_json::from_value(input).map_err(|e| invalid_json(what, e))
}

fn name_of(field: &str, name: &str) -> Result<String, ServiceError> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(ServiceError::field(field, Msg::Required));
    }
    if name.chars().count() > 100 {
        return Err(ServiceError::Validation(vec![
            FieldError::new(field, Msg::TooLong).with("max", 100),
        ]));
    }
    Ok(name)
}

fn grant_level(field: &str, s: &str) -> Result<Level, ServiceError> {
    Level::parse_grant(s).ok_or_else(|| ServiceError::field(field, Msg::InvalidGrantLevel))
}

fn criteria_error(e: FilterError) -> ServiceError {
    let field = match &e.field {
        Some(f) => format!("criteria.{f}"),
        None => "criteria".to_string(),
    };
    ServiceError::Validation(vec![FieldError {
        field,
        msg: e.msg,
        args: e.args,
    }])
}

impl Crm {
    /// The permission settings in force on this node.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => p.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// Loads every permission setting (after a change here, or another node's).
    pub(crate) async fn reload_policy(&self) -> Result<(), ServiceError> {
        let db = self.db();
        // The version first: a change committed while loading makes the next refresh reload.
        let version = system::permission_version(db).await?;
        let mut p = Policy {
            roles: system::roles(db)
                .await?
                .into_iter()
                .map(|r| (r.id, r.parent_id))
                .collect(),
            ..Policy::default()
        };
        for (id, role, kind, partner) in system::user_facts(db).await? {
            let kind = UserKind::parse(&kind).unwrap_or(UserKind::Portal);
            p.users.insert(id, UserFacts { role, kind, partner });
        }
        for (object, sharing) in system::all_object_sharing(db).await? {
            if let Some(s) = Sharing::parse(&sharing) {
                p.sharing.insert(object, s);
            }
        }
        for (role, object, perms) in system::all_role_permissions(db).await? {
            p.permissions
                .insert((role, object), ObjectPermissions::from_array(perms));
        }
        for (role, object, field, level) in system::field_permissions(db).await? {
            let level = match level.as_str() {
                "hidden" => FieldLevel::Hidden,
                "read_only" => FieldLevel::ReadOnly,
                _ => continue,
            };
            p.fields.entry((role, object)).or_default().insert(field, level);
        }
        p.teams = definitions(db, "gx_teams").await?;
        p.rules = definitions(db, "gx_sharing_rules").await?;
        p.territories = definitions(db, "gx_territories").await?;
        p.queues = definitions(db, crate::queues::TABLE).await?;
        let policy = Arc::new(p);
        match self.policy.write() {
            Ok(mut g) => *g = (version, policy),
            Err(poisoned) => *poisoned.into_inner() = (version, policy),
        }
        Ok(())
    }

    /// Reloads the policy if another node changed it; cheap when nothing changed.
    pub async fn refresh_policy(&self) -> Result<bool, ServiceError> {
        let stored = system::permission_version(self.db()).await?;
        let known = self.policy.read().map(|p| p.0.clone()).unwrap_or_default();
        if stored == known {
            return Ok(false);
        }
        self.reload_policy().await?;
        Ok(true)
    }

    /// Everything `actor` may do with `object`'s records. Costs no query.
    pub fn access(&self, actor: &Actor, object: &ObjectDef) -> Access {
        self.policy()
            .access(&actor.subject(), object, &self.parse_context())
    }

    /// `object` as `actor` sees it: fields hidden from them are not there.
    pub fn visible_object(&self, actor: &Actor, object: &ObjectDef) -> ObjectDef {
        self.access(actor, object).visible_object(object)
    }

    /// The level a record is shared at by hand with the actor, their teams or partner.
    pub(crate) async fn manual_level(
        &self,
        tx: Option<&mut Tx>,
        access: &Access,
        object: &ObjectDef,
        id: Uuid,
    ) -> Result<Option<Level>, ServiceError> {
        if access.admin || access.grantees.is_empty() {
            return Ok(None);
        }
        let levels = system::share_levels(self.db(), tx, &object.name, id, &access.grantees).await?;
        Ok(levels.iter().filter_map(|l| Level::parse_grant(l)).max())
    }

    /// How far the actor reaches a stored record, manual shares included when needed for `op`
    /// (read inside `tx` when the caller writes in one).
    pub(crate) async fn record_level(
        &self,
        tx: Option<&mut Tx>,
        access: &Access,
        object: &ObjectDef,
        record: &Record,
        op: access::Operation,
    ) -> Result<Option<Level>, ServiceError> {
        let level = access.level(object, record, None);
        if access.allows(op, level) || !access.may(op) {
            return Ok(level);
        }
        let Some(id) = record.id() else { return Ok(level) };
        let manual = self.manual_level(tx, access, object, id).await?;
        Ok(level.max(manual))
    }

    /// Writes the audit entry, bumps the permission version, commits and reloads.
    async fn commit_change(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: &str,
        object: Option<&str>,
        record: Option<Uuid>,
        detail: Json,
    ) -> Result<(), ServiceError> {
        crate::audit::record(&mut tx, Some(actor), action, object, record, detail, self.now()).await?;
        system::bump_permission_version(&mut tx).await?;
        tx.commit().await?;
        self.reload_policy().await
    }

    pub async fn roles(&self, actor: &Actor) -> Result<Vec<RoleRow>, ServiceError> {
        admin_only(actor)?;
        Ok(system::roles(self.db()).await?)
    }

    /// Adds a role, under `parent` if given. Audited.
    pub async fn add_role(&self, actor: &Actor, input: Json) -> Result<RoleRow, ServiceError> {
        admin_only(actor)?;
        let input: RoleInput = parse("role", input)?;
        let name = name_of("name", &input.name)?;
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
        let mut tx = self.db().begin().await?;
        system::insert_role(&mut tx, &role, self.now()).await?;
        let detail = json!({"role": role.id, "name": role.name, "parent": role.parent_id});
        self.commit_change(tx, actor, "permission.role.create", None, None, detail)
            .await?;
        Ok(role)
    }

    /// Puts a user in a role (or none). Audited.
    pub async fn set_user_role(
        &self,
        actor: &Actor,
        user: Uuid,
        role: Option<Uuid>,
    ) -> Result<(), ServiceError> {
        self.set_user_access(actor, user, json!({ "role": role })).await
    }

    /// Changes a user's role, kind (internal / partner / portal) and partner account. Audited.
    pub async fn set_user_access(&self, actor: &Actor, user: Uuid, input: Json) -> Result<(), ServiceError> {
        admin_only(actor)?;
        let detail = input.clone();
        let input: UserAccessInput = parse("user", input)?;
        let stored = system::user_by_id(self.db(), user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(Some(r)) = input.role
            && !system::roles(self.db()).await?.iter().any(|x| x.id == r)
        {
            return Err(ServiceError::field("role", Msg::LookupNotFound));
        }
        let kind = match input.kind.as_deref() {
            None => UserKind::parse(&stored.kind).unwrap_or(UserKind::Portal),
            Some(k) => UserKind::parse(k).ok_or_else(|| ServiceError::field("kind", Msg::InvalidUserKind))?,
        };
        let partner = match input.partner_account {
            Some(p) => p,
            None if kind == UserKind::Partner => stored.partner_account_id,
            None => None,
        };
        if kind != UserKind::Internal && stored.is_admin {
            return Err(ServiceError::field("kind", Msg::ExternalNotAdmin));
        }
        if kind == UserKind::Partner {
            let Some(p) = partner else {
                return Err(ServiceError::field(
                    "partner_account",
                    Msg::PartnerAccountRequired,
                ));
            };
            let schema = self.schema();
            let accounts = schema.object("account").ok_or(ServiceError::NotFound)?;
            let mut tx = self.db().begin().await?;
            let live = guanxi_storage::records::live_ids(&mut tx, &accounts.table, &[p]).await?;
            tx.rollback().await?;
            if live.is_empty() {
                return Err(ServiceError::field(
                    "partner_account",
                    Msg::PartnerAccountRequired,
                ));
            }
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if let Some(role) = input.role {
            system::set_user_role(&mut tx, user, role, now).await?;
        }
        system::set_user_kind(
            &mut tx,
            user,
            kind.as_str(),
            partner.filter(|_| kind == UserKind::Partner),
            now,
        )
        .await?;
        let mut detail = detail;
        let mut action = "permission.user.access";
        if let Json::Object(m) = &mut detail {
            if m.keys().all(|k| k == "role") {
                action = "permission.user.role";
            }
            m.insert("user".into(), json!(user));
        }
        self.commit_change(tx, actor, action, None, None, detail).await
    }

    pub async fn object_access(&self, actor: &Actor, object: &str) -> Result<ObjectAccess, ServiceError> {
        admin_only(actor)?;
        self.schema().object(object).ok_or(ServiceError::NotFound)?;
        let policy = self.policy();
        let sharing = policy
            .sharing
            .get(object)
            .copied()
            .unwrap_or(Sharing::PublicReadWrite);
        let mut roles = Vec::new();
        let mut fields = Vec::new();
        for (id, _) in &policy.roles {
            if let Some(p) = policy.permissions.get(&(*id, object.to_string())) {
                roles.push((*id, *p));
            }
            if let Some(f) = policy.fields.get(&(*id, object.to_string())) {
                fields.push((*id, f.clone()));
            }
        }
        Ok(ObjectAccess {
            sharing,
            roles,
            fields,
        })
    }

    /// Sets an object's sharing default, roles' permissions and field access on it. Audited.
    pub async fn set_object_access(
        &self,
        actor: &Actor,
        object: &str,
        input: Json,
    ) -> Result<ObjectAccess, ServiceError> {
        admin_only(actor)?;
        let def = self
            .schema()
            .object(object)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        let audit_detail = input.clone();
        let input: AccessInput = parse("access", input)?;
        let sharing = match input.sharing.as_deref() {
            None => None,
            Some(s) => Some(Sharing::parse(s).ok_or_else(|| {
                ServiceError::Validation(vec![
                    FieldError::new("sharing", Msg::NotInPicklist).with("value", s),
                ])
            })?),
        };
        let known = system::roles(self.db()).await?;
        let role_id = |key: &str, id: &str| {
            Uuid::parse_str(id)
                .ok()
                .filter(|r| known.iter().any(|k| k.id == *r))
                .ok_or_else(|| ServiceError::field(&format!("{key}.{id}"), Msg::LookupNotFound))
        };
        let mut roles = Vec::new();
        for (id, p) in input.roles {
            roles.push((role_id("roles", &id)?, p));
        }
        let mut fields = Vec::new();
        for (id, levels) in input.fields {
            let role = role_id("fields", &id)?;
            for (name, level) in levels {
                let at = format!("fields.{id}.{name}");
                let field = def
                    .field(&name)
                    .ok_or_else(|| ServiceError::field(&at, Msg::UnknownField))?;
                let level = match level.as_str() {
                    "hidden" | "read_only" => Some(level),
                    "editable" => None,
                    _ => return Err(ServiceError::field(&at, Msg::InvalidFieldLevel)),
                };
                if field.system && level.is_some() {
                    return Err(ServiceError::field(&at, Msg::SystemFieldAccess));
                }
                fields.push((role, name, level));
            }
        }
        let mut tx = self.db().begin().await?;
        if let Some(s) = sharing {
            system::set_object_sharing(&mut tx, object, s.as_str()).await?;
        }
        for (role, p) in &roles {
            system::set_role_permissions(&mut tx, *role, object, p.to_array()).await?;
        }
        for (role, field, level) in &fields {
            system::set_field_permission(&mut tx, *role, object, field, level.as_deref()).await?;
        }
        self.commit_change(tx, actor, "permission.object", Some(object), None, audit_detail)
            .await?;
        self.object_access(actor, object).await
    }

    // ---- teams ----

    pub async fn teams(&self, actor: &Actor) -> Result<Vec<Team>, ServiceError> {
        admin_only(actor)?;
        Ok(self.policy().teams.clone())
    }

    pub(crate) async fn check_users(&self, field: &str, users: &[Uuid]) -> Result<(), ServiceError> {
        let policy = self.policy();
        let mut known: HashSet<Uuid> = policy.users.keys().copied().collect();
        if users.iter().any(|u| !known.contains(u)) {
            // Users created on another node in the last seconds.
            known = system::user_facts(self.db())
                .await?
                .into_iter()
                .map(|u| u.0)
                .collect();
        }
        match users.iter().position(|u| !known.contains(u)) {
            Some(i) => Err(ServiceError::field(&format!("{field}[{i}]"), Msg::UserNotFound)),
            None => Ok(()),
        }
    }

    /// Creates a team (`id: None`) or changes one. Audited.
    pub async fn put_team(&self, actor: &Actor, id: Option<Uuid>, input: Json) -> Result<Team, ServiceError> {
        admin_only(actor)?;
        let input: TeamInput = parse("team", input)?;
        let policy = self.policy();
        let before = match id {
            None => None,
            Some(id) => Some(
                policy
                    .teams
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
                    .ok_or(ServiceError::NotFound)?,
            ),
        };
        let (name, members) = self
            .name_and_members(
                input.name,
                input.members,
                before.as_ref().map(|b| (&b.name, &b.members)),
                |name| policy.teams.iter().any(|t| t.name == name && Some(t.id) != id),
            )
            .await?;
        let team = Team {
            id: id.unwrap_or_else(Uuid::now_v7),
            name,
            members,
        };
        self.put_definition(
            actor,
            "gx_teams",
            "permission.team",
            team.id,
            &team.name,
            None,
            &team,
        )
        .await?;
        Ok(team)
    }

    /// The name and members of a team or territory being created or changed: the given
    /// ones, else those stored; members must be active users, the name free (`taken`).
    async fn name_and_members(
        &self,
        name: Option<String>,
        members: Option<Vec<Uuid>>,
        before: Option<(&String, &Vec<Uuid>)>,
        taken: impl Fn(&str) -> bool,
    ) -> Result<(String, Vec<Uuid>), ServiceError> {
        let name = match (name, before) {
            (Some(n), _) => name_of("name", &n)?,
            (None, Some((b, _))) => b.clone(),
            (None, None) => return Err(ServiceError::field("name", Msg::Required)),
        };
        if taken(&name) {
            return Err(ServiceError::field("name", Msg::NameTaken));
        }
        let mut members = members
            .or_else(|| before.map(|(_, m)| m.clone()))
            .unwrap_or_default();
        members.sort();
        members.dedup();
        self.check_users("members", &members).await?;
        Ok((name, members))
    }

    // ---- sharing rules ----

    fn group(&self, field: &str, input: &Json) -> Result<Group, ServiceError> {
        let group: Group = serde_json::from_value(input.clone())
            .map_err(|_| ServiceError::field(field, Msg::InvalidGroup))?;
        let policy = self.policy();
        let exists = match &group {
            Group::Role(r) | Group::RoleAndBelow(r) => policy.roles.iter().any(|(id, _)| id == r),
            Group::Team(t) => policy.teams.iter().any(|x| x.id == *t),
        };
        if exists {
            Ok(group)
        } else {
            Err(ServiceError::field(field, Msg::InvalidGroup))
        }
    }

    pub async fn sharing_rules(
        &self,
        actor: &Actor,
        object: Option<&str>,
    ) -> Result<Vec<SharingRule>, ServiceError> {
        admin_only(actor)?;
        Ok(self
            .policy()
            .rules
            .iter()
            .filter(|r| object.is_none_or(|o| r.object == o))
            .cloned()
            .collect())
    }

    /// Adds a sharing rule: records owned by a group, or matching criteria, shared with a
    /// group at read or edit level. Audited.
    pub async fn add_sharing_rule(&self, actor: &Actor, input: Json) -> Result<SharingRule, ServiceError> {
        admin_only(actor)?;
        let input: RuleInput = parse("rule", input)?;
        let schema = self.schema();
        let object = schema
            .named(&input.object)
            .ok_or_else(|| ServiceError::field("object", Msg::LookupNotFound))?;
        let name = name_of("name", &input.name)?;
        let source = match (&input.owners, &input.criteria) {
            (Some(g), None) => RuleSource::Owners(self.group("owners", g)?),
            (None, Some(c)) => {
                access::parse_criteria(c, object, &self.parse_context()).map_err(criteria_error)?;
                RuleSource::Criteria(c.trim().to_string())
            }
            _ => return Err(ServiceError::field("criteria", Msg::InvalidGroup)),
        };
        let rule = SharingRule {
            id: Uuid::now_v7(),
            object: object.name.clone(),
            name,
            source,
            to: self.group("to", &input.to)?,
            level: grant_level("level", &input.level)?,
        };
        self.put_definition(
            actor,
            "gx_sharing_rules",
            "permission.sharing_rule",
            rule.id,
            &rule.name,
            Some(&rule.object),
            &rule,
        )
        .await?;
        Ok(rule)
    }

    // ---- territories ----

    pub async fn territories(&self, actor: &Actor) -> Result<Vec<Territory>, ServiceError> {
        admin_only(actor)?;
        Ok(self.policy().territories.clone())
    }

    /// Creates a territory (`id: None`) or changes one. Its criteria must fit at least one
    /// object; it shares the records of every object they fit. Audited.
    pub async fn put_territory(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        input: Json,
    ) -> Result<Territory, ServiceError> {
        admin_only(actor)?;
        let input: TerritoryInput = parse("territory", input)?;
        let policy = self.policy();
        let before = match id {
            None => None,
            Some(id) => Some(
                policy
                    .territories
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
                    .ok_or(ServiceError::NotFound)?,
            ),
        };
        let criteria = match (&input.criteria, &before) {
            (Some(c), _) => c.trim().to_string(),
            (None, Some(b)) => b.criteria.clone(),
            (None, None) => return Err(ServiceError::field("criteria", Msg::Required)),
        };
        let schema = self.schema();
        let ctx = self.parse_context();
        let fits = schema
            .objects()
            .iter()
            .map(|o| access::parse_criteria(&criteria, o, &ctx))
            .collect::<Vec<_>>();
        if !fits.iter().any(Result::is_ok) {
            let account = schema.object("account").ok_or(ServiceError::NotFound)?;
            access::parse_criteria(&criteria, account, &ctx).map_err(criteria_error)?;
        }
        let level = match (&input.level, &before) {
            (Some(l), _) => grant_level("level", l)?,
            (None, Some(b)) => b.level,
            (None, None) => Level::Read,
        };
        let (name, members) = self
            .name_and_members(
                input.name,
                input.members,
                before.as_ref().map(|b| (&b.name, &b.members)),
                |name| {
                    policy
                        .territories
                        .iter()
                        .any(|t| t.name == name && Some(t.id) != id)
                },
            )
            .await?;
        let territory = Territory {
            id: id.unwrap_or_else(Uuid::now_v7),
            name,
            criteria,
            members,
            level,
        };
        self.put_definition(
            actor,
            "gx_territories",
            "permission.territory",
            territory.id,
            &territory.name,
            None,
            &territory,
        )
        .await?;
        Ok(territory)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn put_definition<T: serde::Serialize>(
        &self,
        actor: &Actor,
        table: &str,
        action: &str,
        id: Uuid,
        name: &str,
        object: Option<&str>,
        value: &T,
    ) -> Result<(), ServiceError> {
        let definition = serde_json::to_value(value).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let row = Definition {
            id,
            name: name.to_string(),
            object: object.map(str::to_string),
            definition: definition.to_string(),
        };
        let mut tx = self.db().begin().await?;
        match system::put_definition(&mut tx, table, &row, self.now()).await {
            Err(guanxi_storage::StorageError::Unique { .. }) => {
                return Err(ServiceError::field("name", Msg::NameTaken));
            }
            other => other?,
        }
        self.commit_change(tx, actor, action, object, Some(id), definition)
            .await
    }

    /// Deletes a team, sharing rule or territory (`kind`: team | sharing_rule | territory).
    /// Deleting a team also ends what was shared with it by hand. Audited.
    pub async fn delete_permission_item(
        &self,
        actor: &Actor,
        kind: &str,
        id: Uuid,
    ) -> Result<(), ServiceError> {
        admin_only(actor)?;
        let table = match kind {
            "team" => "gx_teams",
            "sharing_rule" => "gx_sharing_rules",
            "territory" => "gx_territories",
            _ => return Err(ServiceError::NotFound),
        };
        if kind == "team" {
            let policy = self.policy();
            let used = policy
                .rules
                .iter()
                .any(|r| r.to == Group::Team(id) || r.source == RuleSource::Owners(Group::Team(id)))
                || policy.queues.iter().any(|q| q.teams.contains(&id));
            if used {
                return Err(ServiceError::field("team", Msg::InvalidGroup));
            }
        }
        let mut tx = self.db().begin().await?;
        if !system::delete_definition(&mut tx, table, id).await? {
            return Err(ServiceError::NotFound);
        }
        if kind == "team" {
            system::delete_shares_with(&mut tx, id).await?;
        }
        let action = format!("permission.{kind}.delete");
        self.commit_change(tx, actor, &action, None, Some(id), json!({ "id": id }))
            .await
    }

    // ---- records shared by hand ----

    /// A record the actor holds full access to (owner, above the owner, modify all):
    /// only they may share it.
    async fn shareable(&self, actor: &Actor, object: &str, id: Uuid) -> Result<Arc<ObjectDef>, ServiceError> {
        let object = self
            .schema()
            .object(object)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        let access = self.access(actor, &object);
        let record = self.readable_with(&access, &object, id).await?;
        if record.is_deleted() {
            return Err(ServiceError::NotFound);
        }
        if access.level(&object, &record, None) != Some(Level::Full) {
            return Err(ServiceError::Forbidden(Msg::DetailNoPermission));
        }
        Ok(object)
    }

    /// Who a record is shared with by hand (for those who may share it).
    pub async fn shares(&self, actor: &Actor, object: &str, id: Uuid) -> Result<Vec<ShareRow>, ServiceError> {
        let object = self.shareable(actor, object, id).await?;
        Ok(system::shares_of(self.db(), &object.name, id).await?)
    }

    /// Shares a record with a user, a team or a partner account, at read or edit level. Audited.
    pub async fn share(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        input: Json,
    ) -> Result<ShareRow, ServiceError> {
        let object = self.shareable(actor, object, id).await?;
        let input: ShareInput = parse("share", input)?;
        let level = grant_level("level", &input.level)?;
        let policy = self.policy();
        let (grantee, kind) = match (input.user, input.team, input.partner) {
            (Some(u), None, None) => {
                self.check_users("user", &[u]).await?;
                (u, "user")
            }
            (None, Some(t), None) => {
                if !policy.teams.iter().any(|x| x.id == t) {
                    return Err(ServiceError::field("team", Msg::LookupNotFound));
                }
                (t, "team")
            }
            (None, None, Some(p)) => {
                if !policy.users.values().any(|f| f.partner == Some(p)) {
                    return Err(ServiceError::field("partner", Msg::PartnerAccountRequired));
                }
                (p, "partner")
            }
            _ => return Err(ServiceError::field("user", Msg::InvalidGroup)),
        };
        let row = ShareRow {
            object: object.name.clone(),
            record_id: id,
            grantee_id: grantee,
            grantee_kind: kind.into(),
            level: level.as_str().into(),
            created_by: Some(actor.user_id),
            created_at: self.now(),
        };
        let mut tx = self.db().begin().await?;
        system::put_share(&mut tx, &row).await?;
        let detail = json!({"grantee": grantee, "grantee_kind": kind, "level": level.as_str()});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "record.share",
            Some(&object.name),
            Some(id),
            detail,
            row.created_at,
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Ends a manual share. Audited.
    pub async fn unshare(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        grantee: Uuid,
    ) -> Result<(), ServiceError> {
        let object = self.shareable(actor, object, id).await?;
        let mut tx = self.db().begin().await?;
        if !system::delete_share(&mut tx, &object.name, id, grantee).await? {
            return Err(ServiceError::NotFound);
        }
        let detail = json!({ "grantee": grantee });
        crate::audit::record(
            &mut tx,
            Some(actor),
            "record.unshare",
            Some(&object.name),
            Some(id),
            detail,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The people whose work `actor` follows as "my team": themself, the members of every
    /// team they belong to and the users whose role sits below theirs. Needs no
    /// administrator (it only names colleagues, and costs no query); what of their records
    /// the actor may read is still decided record by record. The actor comes first.
    pub fn team_mates(&self, actor: &Actor) -> Vec<Uuid> {
        let policy = self.policy();
        let me = actor.user_id;
        let mut seen: HashSet<Uuid> = [me].into_iter().collect();
        let mut out = vec![me];
        let mut mates: Vec<Uuid> = policy
            .teams
            .iter()
            .filter(|t| t.members.contains(&me))
            .flat_map(|t| t.members.iter().copied())
            .collect();
        if let Some(role) = actor.role_id {
            let lower = access::roles_below(&policy.roles, role);
            mates.extend(
                policy
                    .users
                    .iter()
                    .filter(|(_, f)| f.role.is_some_and(|r| lower.contains(&r)))
                    .map(|(u, _)| *u),
            );
        }
        mates.sort();
        for u in mates {
            if seen.insert(u) {
                out.push(u);
            }
        }
        out
    }
}

async fn definitions<T: serde::de::DeserializeOwned>(
    db: &guanxi_storage::Database,
    table: &str,
) -> Result<Vec<T>, ServiceError> {
    let mut out = Vec::new();
    for d in system::definitions(db, table).await? {
        match serde_json::from_str(&d.definition) {
            Ok(v) => out.push(v),
            Err(e) => {
                tracing::warn!(table, id = %d.id, error = %e, "unreadable permission definition skipped")
            }
        }
    }
    Ok(out)
}

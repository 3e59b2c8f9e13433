//! Who may do what to which record: the one decision every read and write path asks.
//! Object permissions come from the actor's role; record access from the object's
//! organisation-wide default (sharing), ownership, the role hierarchy (a manager reaches
//! what the people below them own), sharing rules (by owner or by criteria), territories
//! and records shared by hand. Field-level security hides fields or makes them read-only
//! per role. Pure: the caller loads the facts (`Policy`) and the record.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ObjectDef;
use crate::query::{self, Cond, Expr, FilterError, Op};
use crate::values::{ParseContext, Record, Value, sys};

/// Organisation-wide default for an object's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// Only the owner, those above the owner in the hierarchy, and "view all" roles.
    Private,
    /// Everyone with read permission reads every record; editing as for private.
    PublicRead,
    /// Everyone with the permissions reads and edits every record.
    PublicReadWrite,
}

impl Sharing {
    pub fn parse(s: &str) -> Option<Sharing> {
        match s {
            "private" => Some(Sharing::Private),
            "public_read" => Some(Sharing::PublicRead),
            "public_read_write" => Some(Sharing::PublicReadWrite),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sharing::Private => "private",
            Sharing::PublicRead => "public_read",
            Sharing::PublicReadWrite => "public_read_write",
        }
    }
}

/// What a role may do with an object at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPermissions {
    pub read: bool,
    pub create: bool,
    pub edit: bool,
    pub delete: bool,
    /// Read every record, whatever the sharing.
    pub view_all: bool,
    /// Read, edit and delete every record, whatever the sharing.
    pub modify_all: bool,
}

impl ObjectPermissions {
    /// What users get where nothing else was configured: work with records, not all of them.
    pub const STANDARD: ObjectPermissions = ObjectPermissions {
        read: true,
        create: true,
        edit: true,
        delete: true,
        view_all: false,
        modify_all: false,
    };
    pub const ALL: ObjectPermissions = ObjectPermissions {
        read: true,
        create: true,
        edit: true,
        delete: true,
        view_all: true,
        modify_all: true,
    };

    pub fn from_array(a: [bool; 6]) -> ObjectPermissions {
        ObjectPermissions {
            read: a[0],
            create: a[1],
            edit: a[2],
            delete: a[3],
            view_all: a[4],
            modify_all: a[5],
        }
    }

    pub fn to_array(self) -> [bool; 6] {
        [
            self.read,
            self.create,
            self.edit,
            self.delete,
            self.view_all,
            self.modify_all,
        ]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Read,
    Create,
    Edit,
    Delete,
}

impl ObjectPermissions {
    pub const NONE: ObjectPermissions = ObjectPermissions {
        read: false,
        create: false,
        edit: false,
        delete: false,
        view_all: false,
        modify_all: false,
    };
}

/// How far access to one record goes. Ordered: each level includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Read,
    Edit,
    /// Edit, delete, restore and share: owners, those above them, "modify all".
    Full,
}

impl Level {
    /// The levels a rule or a share may grant (full access stays with ownership).
    pub fn parse_grant(s: &str) -> Option<Level> {
        match s {
            "read" => Some(Level::Read),
            "edit" => Some(Level::Edit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Edit => "edit",
            Level::Full => "full",
        }
    }
}

/// Internal staff, partner users (distributors, resellers) and portal users (customers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    #[default]
    Internal,
    Partner,
    Portal,
}

impl UserKind {
    pub fn parse(s: &str) -> Option<UserKind> {
        match s {
            "internal" => Some(UserKind::Internal),
            "partner" => Some(UserKind::Partner),
            "portal" => Some(UserKind::Portal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Internal => "internal",
            UserKind::Partner => "partner",
            UserKind::Portal => "portal",
        }
    }
}

/// What a role sees of one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldLevel {
    /// Never shown, never writable, unknown in filters and sorts.
    Hidden,
    ReadOnly,
    Editable,
}

/// A set of users named in a sharing rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Role(Uuid),
    /// The role and every role below it.
    RoleAndBelow(Uuid),
    Team(Uuid),
}

/// Which records a sharing rule shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// Records owned by members of the group.
    Owners(Group),
    /// Records matching a filter (the API's filter language), e.g. `region eq '华东'`.
    Criteria(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingRule {
    pub id: Uuid,
    pub object: String,
    pub name: String,
    pub source: RuleSource,
    pub to: Group,
    pub level: Level,
}

/// A sales territory: records matching its criteria (e.g. `region in ('华东', '华南')`),
/// on every object the criteria fit, are shared with its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Territory {
    pub id: Uuid,
    pub name: String,
    pub criteria: String,
    pub members: Vec<Uuid>,
    pub level: Level,
}

/// A work queue (e.g. the repair desk): the records whose `queue` field holds its value
/// are shared with its members, who may also take them (become their owner) — handing a
/// record to someone else stays with who holds it fully.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: Uuid,
    pub object: String,
    /// The value of the object's `queue` picklist that puts a record in this queue.
    pub value: String,
    pub members: Vec<Uuid>,
    /// Teams whose members work the queue too (as they are at the time).
    #[serde(default)]
    pub teams: Vec<Uuid>,
    pub level: Level,
}

/// The field that puts a record in a queue.
pub const QUEUE_FIELD: &str = "queue";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub members: Vec<Uuid>,
}

/// The facts about one user that access depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserFacts {
    pub role: Option<Uuid>,
    pub kind: UserKind,
    /// For partner users: the partner account (an account record) they work for.
    pub partner: Option<Uuid>,
}

/// The company's catalogue: products and their prices, read by partners who quote them.
pub const CATALOGUE: [&str; 3] = ["product", "price_book", "price_book_entry"];

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub user: Uuid,
    pub admin: bool,
    pub facts: UserFacts,
}

/// Every permission setting of the organisation, loaded at once and shared: deciding for
/// a request costs no query.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub roles: Vec<(Uuid, Option<Uuid>)>,
    /// Active users.
    pub users: HashMap<Uuid, UserFacts>,
    pub teams: Vec<Team>,
    pub sharing: HashMap<String, Sharing>,
    /// (role, object) → permissions, where set.
    pub permissions: HashMap<(Uuid, String), ObjectPermissions>,
    /// (role, object) → field → level, where set.
    pub fields: HashMap<(Uuid, String), BTreeMap<String, FieldLevel>>,
    pub rules: Vec<SharingRule>,
    pub territories: Vec<Territory>,
    pub queues: Vec<Queue>,
}

/// The operators sharing criteria may use: those whose result the core computes exactly
/// as the database does.
pub fn check_criteria(expr: &Expr<Cond>) -> Result<(), FilterError> {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().try_for_each(check_criteria),
        Expr::Not(inner) => check_criteria(inner),
        Expr::Cond(Cond::Like { field, prefix, .. }) => Err(FilterError {
            field: Some(field.name.clone()),
            msg: crate::Msg::CriteriaOperator,
            args: vec![(
                "operator".into(),
                if *prefix { "starts_with" } else { "contains" }.into(),
            )],
        }),
        Expr::Cond(Cond::ListContains { field, .. }) => Err(FilterError {
            field: Some(field.name.clone()),
            msg: crate::Msg::CriteriaOperator,
            args: vec![("operator".into(), "contains".into())],
        }),
        Expr::Cond(_) => Ok(()),
    }
}

/// Parses and types sharing criteria against an object.
pub fn parse_criteria(text: &str, object: &ObjectDef, ctx: &ParseContext) -> Result<Expr<Cond>, FilterError> {
    let expr = query::type_filter(query::parse_filter(text)?, object, ctx)?;
    check_criteria(&expr)?;
    Ok(expr)
}

impl Policy {
    /// Users in a group.
    pub fn members(&self, group: &Group) -> HashSet<Uuid> {
        match group {
            Group::Team(t) => self
                .teams
                .iter()
                .filter(|x| x.id == *t)
                .flat_map(|x| x.members.iter().copied())
                .filter(|u| self.users.contains_key(u))
                .collect(),
            Group::Role(r) => self.users_in_roles(&[*r].into_iter().collect()),
            Group::RoleAndBelow(r) => {
                let mut roles = roles_below(&self.roles, *r);
                roles.insert(*r);
                self.users_in_roles(&roles)
            }
        }
    }

    /// The roles above `user`'s, nearest first (a cycle is cut where it closes).
    pub fn roles_above(&self, user: Uuid) -> Vec<Uuid> {
        let parents: HashMap<Uuid, Option<Uuid>> = self.roles.iter().copied().collect();
        let mut out = Vec::new();
        let mut at = self.users.get(&user).and_then(|f| f.role);
        let start = at;
        while let Some(r) = at.and_then(|r| parents.get(&r).copied().flatten()) {
            if Some(r) == start || out.contains(&r) {
                break;
            }
            out.push(r);
            at = Some(r);
        }
        out
    }

    /// Whether `manager` holds a role above `user`'s in the hierarchy.
    pub fn is_above(&self, manager: Uuid, user: Uuid) -> bool {
        let Some(role) = self.users.get(&manager).and_then(|f| f.role) else {
            return false;
        };
        self.roles_above(user).contains(&role)
    }

    /// `user`'s managers: the staff in the nearest role above theirs that has any.
    pub fn managers_of(&self, user: Uuid) -> Vec<Uuid> {
        for role in self.roles_above(user) {
            let mut found: Vec<Uuid> = self
                .users
                .iter()
                .filter(|(u, f)| f.role == Some(role) && f.kind == UserKind::Internal && **u != user)
                .map(|(u, _)| *u)
                .collect();
            if !found.is_empty() {
                found.sort();
                return found;
            }
        }
        Vec::new()
    }

    fn users_in_roles(&self, roles: &HashSet<Uuid>) -> HashSet<Uuid> {
        self.users
            .iter()
            .filter(|(_, f)| f.role.is_some_and(|r| roles.contains(&r)))
            .map(|(u, _)| *u)
            .collect()
    }

    fn in_group(&self, who: &Subject, role: Option<Uuid>, group: &Group) -> bool {
        match group {
            Group::Team(t) => self
                .teams
                .iter()
                .any(|x| x.id == *t && x.members.contains(&who.user)),
            Group::Role(r) => role == Some(*r),
            Group::RoleAndBelow(r) => {
                role.is_some_and(|mine| mine == *r || roles_below(&self.roles, *r).contains(&mine))
            }
        }
    }

    /// The queue that `value` of `object`'s queue field stands for, if it has workers set.
    pub fn queue(&self, object: &str, value: &str) -> Option<&Queue> {
        self.queues
            .iter()
            .find(|q| q.object == object && q.value == value)
    }

    /// Whether `user` works the queue: named in it, or in one of its teams.
    pub fn works_in(&self, queue: &Queue, user: Uuid) -> bool {
        queue.members.contains(&user)
            || self
                .teams
                .iter()
                .any(|t| queue.teams.contains(&t.id) && t.members.contains(&user))
    }

    /// Everyone who works the queue (its members, then its teams'), each once.
    pub fn queue_workers(&self, queue: &Queue) -> Vec<Uuid> {
        let mut out = queue.members.clone();
        for t in self.teams.iter().filter(|t| queue.teams.contains(&t.id)) {
            for u in &t.members {
                if !out.contains(u) {
                    out.push(*u);
                }
            }
        }
        out
    }

    /// Everything `who` may do with `object`'s records, ready to decide record by record.
    pub fn access(&self, who: &Subject, object: &ObjectDef, ctx: &ParseContext) -> Access {
        if who.admin && who.facts.kind == UserKind::Internal {
            return Access::administrator(who.user);
        }
        let facts = who.facts;
        let role = facts.role;
        let external = facts.kind != UserKind::Internal;
        let mut access = Access {
            admin: false,
            permissions: ObjectPermissions::STANDARD,
            sharing: if external {
                Sharing::Private
            } else {
                self.sharing
                    .get(&object.name)
                    .copied()
                    .unwrap_or(Sharing::PublicReadWrite)
            },
            me: who.user,
            below: HashSet::new(),
            shared_owners: HashMap::new(),
            criteria: Vec::new(),
            grantees: vec![who.user],
            fields: HashMap::new(),
            queues: Vec::new(),
        };
        if facts.kind == UserKind::Portal {
            // Portal users work through the portal, never the staff API.
            access.permissions = ObjectPermissions::NONE;
            return access;
        }
        if let Some(r) = role {
            if let Some(p) = self.permissions.get(&(r, object.name.clone())) {
                access.permissions = *p;
            }
            if let Some(f) = self.fields.get(&(r, object.name.clone())) {
                access.fields = f
                    .iter()
                    .filter(|(name, l)| {
                        **l != FieldLevel::Editable && object.field(name).is_some_and(|d| !d.system)
                    })
                    .map(|(n, l)| (n.clone(), *l))
                    .collect();
            }
            let lower = roles_below(&self.roles, r);
            access.below = self
                .users
                .iter()
                .filter(|(u, f)| **u != who.user && f.role.is_some_and(|x| lower.contains(&x)))
                .map(|(u, _)| *u)
                .collect();
        }
        if external {
            // Nobody outside the company sees everything.
            access.permissions.view_all = false;
            access.permissions.modify_all = false;
            // Partners quote from the catalogue: they read it, they do not change it.
            if CATALOGUE.contains(&object.name.as_str()) {
                access.sharing = Sharing::PublicRead;
                access.permissions = ObjectPermissions {
                    read: access.permissions.read,
                    ..ObjectPermissions::NONE
                };
            }
            if let Some(p) = facts.partner {
                access.grantees.push(p);
                // A partner user reads their own company's account (their deals name it).
                if object.name == "account"
                    && let Ok(expr) = parse_criteria(&format!("id eq '{p}'"), object, ctx)
                {
                    access.criteria.push((expr, Level::Read));
                }
                for (u, f) in &self.users {
                    if *u != who.user && f.partner == Some(p) && f.kind == UserKind::Partner {
                        access.grant_owner(*u, Level::Read);
                    }
                }
            }
        }
        for team in &self.teams {
            if team.members.contains(&who.user) {
                access.grantees.push(team.id);
            }
        }
        for rule in self.rules.iter().filter(|r| r.object == object.name) {
            if !self.in_group(who, role, &rule.to) {
                continue;
            }
            match &rule.source {
                RuleSource::Owners(g) => {
                    for u in self.members(g) {
                        if u != who.user {
                            access.grant_owner(u, rule.level);
                        }
                    }
                }
                RuleSource::Criteria(text) => {
                    // A rule whose fields were since removed or hidden shares nothing.
                    if let Ok(expr) = parse_criteria(text, object, ctx) {
                        access.criteria.push((expr, rule.level));
                    }
                }
            }
        }
        for t in self.territories.iter().filter(|t| t.members.contains(&who.user)) {
            if let Ok(expr) = parse_criteria(&t.criteria, object, ctx) {
                access.criteria.push((expr, t.level));
            }
        }
        for q in self
            .queues
            .iter()
            .filter(|q| q.object == object.name && self.works_in(q, who.user))
        {
            if let Ok(expr) = parse_criteria(
                &format!("{QUEUE_FIELD} eq {}", crate::query::quote(&q.value)),
                object,
                ctx,
            ) {
                access.criteria.push((expr, q.level));
                access.queues.push(q.value.clone());
            }
        }
        access
    }
}

/// Everything known about one actor and one object, ready to decide.
#[derive(Clone, Debug)]
pub struct Access {
    pub admin: bool,
    pub permissions: ObjectPermissions,
    pub sharing: Sharing,
    pub me: Uuid,
    /// Users whose role sits below the actor's role: their records are fully reachable.
    pub below: HashSet<Uuid>,
    /// Owners whose records are shared with the actor by rules (or partner colleagues).
    pub shared_owners: HashMap<Uuid, Level>,
    /// Records matching these are shared with the actor (criteria rules, territories).
    pub criteria: Vec<(Expr<Cond>, Level)>,
    /// Whom records may be shared with by hand so that the actor sees them: the actor,
    /// their teams, their partner account.
    pub grantees: Vec<Uuid>,
    /// Fields hidden or read-only for the actor (editable ones are not listed).
    pub fields: HashMap<String, FieldLevel>,
    /// The queues (their values) of this object the actor works in.
    pub queues: Vec<String>,
}

/// Which records a list may show when not all: records owned by `owners`, matching any of
/// `criteria`, or shared by hand with one of `grantees`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    pub owners: Vec<Uuid>,
    pub criteria: Vec<Expr<Cond>>,
    pub grantees: Vec<Uuid>,
}

impl Access {
    pub fn administrator(me: Uuid) -> Access {
        Access {
            admin: true,
            permissions: ObjectPermissions::ALL,
            sharing: Sharing::PublicReadWrite,
            me,
            below: HashSet::new(),
            shared_owners: HashMap::new(),
            criteria: Vec::new(),
            grantees: vec![me],
            fields: HashMap::new(),
            queues: Vec::new(),
        }
    }

    /// Is the record in one of the actor's queues (so they may take it)?
    pub fn in_my_queue(&self, object: &ObjectDef, record: &Record) -> bool {
        object
            .fields
            .iter()
            .position(|f| f.name == QUEUE_FIELD)
            .and_then(|i| record.values.get(i))
            .is_some_and(|v| matches!(v, Value::Text(q) if self.queues.contains(q)))
    }

    fn grant_owner(&mut self, owner: Uuid, level: Level) {
        let l = self.shared_owners.entry(owner).or_insert(level);
        *l = (*l).max(level);
    }

    /// May the actor do this with the object at all?
    pub fn may(&self, op: Operation) -> bool {
        let p = &self.permissions;
        self.admin
            || p.modify_all
            || match op {
                Operation::Read => p.read || p.view_all,
                Operation::Create => p.create,
                Operation::Edit => p.edit,
                Operation::Delete => p.delete,
            }
    }

    /// The records a list may show: `None` when every record is readable.
    pub fn scope(&self) -> Option<Scope> {
        let p = &self.permissions;
        if self.admin || p.view_all || p.modify_all || self.sharing != Sharing::Private {
            return None;
        }
        let mut owners: Vec<Uuid> = self
            .below
            .iter()
            .chain(self.shared_owners.keys())
            .copied()
            .collect();
        owners.push(self.me);
        owners.sort();
        owners.dedup();
        Some(Scope {
            owners,
            criteria: self.criteria.iter().map(|(e, _)| e.clone()).collect(),
            grantees: self.grantees.clone(),
        })
    }

    /// How far the actor reaches this record, from everything but manual shares, which the
    /// caller passes in (`manual`) when the rest is not enough.
    pub fn level(&self, object: &ObjectDef, record: &Record, manual: Option<Level>) -> Option<Level> {
        if self.admin || self.permissions.modify_all {
            return Some(Level::Full);
        }
        let owner = match record.values.get(sys::OWNER) {
            Some(Value::Uuid(u)) => Some(*u),
            _ => None,
        };
        if owner.is_some_and(|o| o == self.me || self.below.contains(&o)) {
            return Some(Level::Full);
        }
        let mut best = manual;
        let mut raise = |l: Level| best = Some(best.map_or(l, |b| b.max(l)));
        if self.permissions.view_all {
            raise(Level::Read);
        }
        match self.sharing {
            Sharing::Private => {}
            Sharing::PublicRead => raise(Level::Read),
            Sharing::PublicReadWrite => raise(Level::Edit),
        }
        if let Some(l) = owner.and_then(|o| self.shared_owners.get(&o)) {
            raise(*l);
        }
        for (expr, l) in &self.criteria {
            if eval(expr, object, record) == Some(true) {
                raise(*l);
            }
        }
        best
    }

    /// Is `level` enough for `op`, given the object permissions?
    pub fn allows(&self, op: Operation, level: Option<Level>) -> bool {
        self.may(op)
            && match op {
                Operation::Read | Operation::Create => level.is_some(),
                Operation::Edit => level >= Some(Level::Edit),
                Operation::Delete => level == Some(Level::Full),
            }
    }

    pub fn field_level(&self, field: &str) -> FieldLevel {
        self.fields.get(field).copied().unwrap_or(FieldLevel::Editable)
    }

    pub fn hidden(&self, field: &str) -> bool {
        self.field_level(field) == FieldLevel::Hidden
    }

    /// The object as the actor sees it: hidden fields removed.
    pub fn visible_object(&self, object: &ObjectDef) -> ObjectDef {
        let mut o = object.clone();
        o.fields.retain(|f| !self.hidden(&f.name));
        o
    }

    /// Blanks the values of hidden fields, so that no output can show them.
    pub fn redact(&self, object: &ObjectDef, record: &mut Record) {
        if self.fields.is_empty() {
            return;
        }
        for (f, v) in object.fields.iter().zip(record.values.iter_mut()) {
            if self.hidden(&f.name) {
                *v = Value::Null;
            }
        }
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        (Value::Money { amount: x, .. }, Value::Money { amount: y, .. })
        | (Value::Money { amount: x, .. }, Value::Decimal(y))
        | (Value::Decimal(x), Value::Money { amount: y, .. }) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Uuid(x), Value::Uuid(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Evaluates criteria on a record as SQL would: `None` is SQL's unknown (a comparison
/// with an empty field), which excludes the record like false does.
pub fn eval(expr: &Expr<Cond>, object: &ObjectDef, record: &Record) -> Option<bool> {
    match expr {
        Expr::And(items) => {
            let mut out = Some(true);
            for e in items {
                match eval(e, object, record) {
                    Some(false) => return Some(false),
                    None => out = None,
                    Some(true) => {}
                }
            }
            out
        }
        Expr::Or(items) => {
            let mut out = Some(false);
            for e in items {
                match eval(e, object, record) {
                    Some(true) => return Some(true),
                    None => out = None,
                    Some(false) => {}
                }
            }
            out
        }
        Expr::Not(inner) => eval(inner, object, record).map(|b| !b),
        Expr::Cond(c) => eval_cond(c, object, record),
    }
}

fn eval_cond(cond: &Cond, object: &ObjectDef, record: &Record) -> Option<bool> {
    let value = |name: &str| {
        object
            .fields
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| record.values.get(i))
            .unwrap_or(&Value::Null)
    };
    match cond {
        Cond::Compare {
            field,
            op,
            value: want,
        } => {
            let have = value(&field.name);
            if *op == Op::Ne {
                // As stored lists render it: an empty field is "not equal".
                return Some(have.is_null() || compare(have, want) != Some(Ordering::Equal));
            }
            let ord = compare(have, want)?;
            Some(match op {
                Op::Eq => ord == Ordering::Equal,
                Op::Lt => ord == Ordering::Less,
                Op::Lte => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                Op::Gte => ord != Ordering::Less,
                _ => return None,
            })
        }
        Cond::In { field, values } => {
            let have = value(&field.name);
            if have.is_null() {
                return None;
            }
            Some(values.iter().any(|v| compare(have, v) == Some(Ordering::Equal)))
        }
        Cond::Between { field, low, high } => {
            let have = value(&field.name);
            Some(compare(have, low)? != Ordering::Less && compare(have, high)? != Ordering::Greater)
        }
        Cond::IsNull { field, is_null } => Some(value(&field.name).is_null() == *is_null),
        // Not allowed in criteria (`check_criteria`); manual shares are decided apart.
        Cond::Like { .. } | Cond::ListContains { .. } | Cond::Shared { .. } => None,
    }
}

/// Roles strictly below `role` in the hierarchy (cycles are cut, not followed).
pub fn roles_below(parents: &[(Uuid, Option<Uuid>)], role: Uuid) -> HashSet<Uuid> {
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, parent) in parents {
        if let Some(p) = parent {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut out = HashSet::new();
    let mut stack = vec![role];
    while let Some(r) = stack.pop() {
        for c in children.get(&r).into_iter().flatten() {
            if *c != role && out.insert(*c) {
                stack.push(*c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::now_v7()).collect()
    }

    #[test]
    fn the_hierarchy_reaches_down_not_up_and_survives_cycles() {
        let r = ids(5); // 0 ceo > 1 manager > 2 rep, 3 rep; 4 support (separate)
        let parents = vec![
            (r[0], None),
            (r[1], Some(r[0])),
            (r[2], Some(r[1])),
            (r[3], Some(r[1])),
            (r[4], None),
        ];
        assert_eq!(
            roles_below(&parents, r[0]),
            [r[1], r[2], r[3]].into_iter().collect()
        );
        assert_eq!(roles_below(&parents, r[1]), [r[2], r[3]].into_iter().collect());
        assert!(roles_below(&parents, r[2]).is_empty());
        let cycle = vec![(r[0], Some(r[1])), (r[1], Some(r[0]))];
        assert_eq!(roles_below(&cycle, r[0]), [r[1]].into_iter().collect());
    }

    struct World {
        policy: Policy,
        account: ObjectDef,
        ctx: ParseContext,
    }

    fn world() -> World {
        let account = crate::builtin::standard_objects()
            .into_iter()
            .find(|o| o.name == "account")
            .unwrap();
        World {
            policy: Policy::default(),
            account,
            ctx: ParseContext::default(),
        }
    }

    fn account(w: &World, owner: Uuid, region: &str) -> Record {
        let mut values = vec![Value::Null; w.account.fields.len()];
        values[sys::OWNER] = Value::Uuid(owner);
        let i = w.account.fields.iter().position(|f| f.name == "region").unwrap();
        values[i] = Value::Text(region.into());
        Record { values }
    }

    fn user(w: &mut World, role: Option<Uuid>, kind: UserKind, partner: Option<Uuid>) -> Subject {
        let id = Uuid::now_v7();
        let facts = UserFacts { role, kind, partner };
        w.policy.users.insert(id, facts);
        Subject {
            user: id,
            admin: false,
            facts,
        }
    }

    fn level(w: &World, who: &Subject, r: &Record) -> Option<Level> {
        w.policy
            .access(who, &w.account, &w.ctx)
            .level(&w.account, r, None)
    }

    #[test]
    fn private_records_are_for_owners_and_those_above() {
        let mut w = world();
        let r = ids(2); // 0 manager > 1 rep
        w.policy.roles = vec![(r[0], None), (r[1], Some(r[0]))];
        w.policy.sharing.insert("account".into(), Sharing::Private);
        let manager = user(&mut w, Some(r[0]), UserKind::Internal, None);
        let rep = user(&mut w, Some(r[1]), UserKind::Internal, None);
        let other = user(&mut w, None, UserKind::Internal, None);
        let reps = account(&w, rep.user, "east");
        assert_eq!(level(&w, &rep, &reps), Some(Level::Full));
        assert_eq!(level(&w, &manager, &reps), Some(Level::Full));
        assert_eq!(level(&w, &other, &reps), None);
        let managers = account(&w, manager.user, "east");
        assert_eq!(
            level(&w, &rep, &managers),
            None,
            "the hierarchy reaches down, not up"
        );

        w.policy.sharing.insert("account".into(), Sharing::PublicRead);
        assert_eq!(level(&w, &other, &reps), Some(Level::Read));
        w.policy
            .sharing
            .insert("account".into(), Sharing::PublicReadWrite);
        let a = w.policy.access(&other, &w.account, &w.ctx);
        let l = a.level(&w.account, &reps, None);
        assert!(a.allows(Operation::Edit, l) && !a.allows(Operation::Delete, l));
        assert!(a.scope().is_none());

        w.policy
            .permissions
            .insert((r[1], "account".into()), ObjectPermissions::NONE);
        let a = w.policy.access(&rep, &w.account, &w.ctx);
        assert!(!a.allows(Operation::Read, a.level(&w.account, &reps, None)));
    }

    #[test]
    fn sharing_rules_by_owner_and_by_criteria_and_territories_widen_private_access() {
        let mut w = world();
        let r = ids(2); // sales east, service (no hierarchy between them)
        w.policy.roles = vec![(r[0], None), (r[1], None)];
        w.policy.sharing.insert("account".into(), Sharing::Private);
        let seller = user(&mut w, Some(r[0]), UserKind::Internal, None);
        let agent = user(&mut w, Some(r[1]), UserKind::Internal, None);
        let roamer = user(&mut w, None, UserKind::Internal, None);
        let east = account(&w, seller.user, "east");
        let north = account(&w, seller.user, "north");
        assert_eq!(level(&w, &agent, &east), None);

        w.policy.rules.push(SharingRule {
            id: Uuid::now_v7(),
            object: "account".into(),
            name: "east to service".into(),
            source: RuleSource::Criteria("region eq '华东'".into()),
            to: Group::Role(r[1]),
            level: Level::Read,
        });
        assert_eq!(level(&w, &agent, &east), Some(Level::Read));
        assert_eq!(level(&w, &agent, &north), None);

        w.policy.teams.push(Team {
            id: Uuid::now_v7(),
            name: "key accounts".into(),
            members: vec![agent.user],
        });
        let team = w.policy.teams[0].id;
        w.policy.rules.push(SharingRule {
            id: Uuid::now_v7(),
            object: "account".into(),
            name: "sales to key accounts".into(),
            source: RuleSource::Owners(Group::RoleAndBelow(r[0])),
            to: Group::Team(team),
            level: Level::Edit,
        });
        assert_eq!(
            level(&w, &agent, &east),
            Some(Level::Edit),
            "the widest grant wins"
        );
        assert_eq!(level(&w, &agent, &north), Some(Level::Edit));
        let a = w.policy.access(&agent, &w.account, &w.ctx);
        assert!(!a.allows(Operation::Delete, a.level(&w.account, &north, None)));
        let scope = a.scope().unwrap();
        assert!(scope.owners.contains(&seller.user) && scope.grantees.contains(&team));

        assert_eq!(level(&w, &roamer, &north), None);
        w.policy.territories.push(Territory {
            id: Uuid::now_v7(),
            name: "华北".into(),
            criteria: "region in ('north', 'northeast')".into(),
            members: vec![roamer.user],
            level: Level::Read,
        });
        assert_eq!(level(&w, &roamer, &north), Some(Level::Read));
        assert_eq!(level(&w, &roamer, &east), None);
        let a = w.policy.access(&roamer, &w.account, &w.ctx);
        assert_eq!(
            a.level(&w.account, &east, Some(Level::Edit)),
            Some(Level::Edit),
            "a record shared by hand"
        );
    }

    #[test]
    fn partner_users_see_their_own_company_and_never_another_partner() {
        let mut w = world();
        w.policy
            .sharing
            .insert("account".into(), Sharing::PublicReadWrite);
        let (p1, p2) = (Uuid::now_v7(), Uuid::now_v7());
        let a1 = user(&mut w, None, UserKind::Partner, Some(p1));
        let a1b = user(&mut w, None, UserKind::Partner, Some(p1));
        let b = user(&mut w, None, UserKind::Partner, Some(p2));
        let staff = user(&mut w, None, UserKind::Internal, None);
        let staffs = account(&w, staff.user, "east");
        let a1s = account(&w, a1.user, "east");
        assert_eq!(
            level(&w, &a1, &staffs),
            None,
            "public defaults are for staff only"
        );
        assert_eq!(level(&w, &a1b, &a1s), Some(Level::Read));
        assert_eq!(level(&w, &b, &a1s), None);
        assert_eq!(level(&w, &staff, &a1s), Some(Level::Edit));
        let access = w.policy.access(&a1, &w.account, &w.ctx);
        assert!(access.scope().unwrap().grantees.contains(&p1));
        w.policy
            .permissions
            .insert((Uuid::nil(), "account".into()), ObjectPermissions::ALL);
        let mut admin_partner = b;
        admin_partner.admin = true;
        assert_eq!(
            level(&w, &admin_partner, &a1s),
            None,
            "an external user is never an administrator"
        );
        let portal = user(&mut w, None, UserKind::Portal, None);
        assert!(!w.policy.access(&portal, &w.account, &w.ctx).may(Operation::Read));
    }

    #[test]
    fn hidden_fields_are_blanked_and_removed_from_the_visible_object() {
        let mut w = world();
        let role = Uuid::now_v7();
        w.policy.roles = vec![(role, None)];
        let mut levels = BTreeMap::new();
        levels.insert("region".to_string(), FieldLevel::Hidden);
        levels.insert("industry".to_string(), FieldLevel::ReadOnly);
        levels.insert("owner".to_string(), FieldLevel::Hidden);
        w.policy.fields.insert((role, "account".into()), levels);
        let rep = user(&mut w, Some(role), UserKind::Internal, None);
        let a = w.policy.access(&rep, &w.account, &w.ctx);
        assert!(
            a.hidden("region") && !a.hidden("owner"),
            "system fields stay visible"
        );
        assert_eq!(a.field_level("industry"), FieldLevel::ReadOnly);
        let mut r = account(&w, rep.user, "east");
        a.redact(&w.account, &mut r);
        assert!(r.values.iter().all(|v| *v != Value::Text("east".into())));
        assert!(a.visible_object(&w.account).field("region").is_none());
    }

    #[test]
    fn criteria_follow_sql_three_valued_logic() {
        let w = world();
        let eval_on = |filter: &str, region: Option<&str>| {
            let expr = parse_criteria(filter, &w.account, &w.ctx).unwrap();
            let mut r = account(&w, Uuid::nil(), "x");
            let i = w.account.fields.iter().position(|f| f.name == "region").unwrap();
            r.values[i] = region.map_or(Value::Null, |s| Value::Text(s.into()));
            eval(&expr, &w.account, &r)
        };
        assert_eq!(eval_on("region eq 'east'", None), None);
        assert_eq!(eval_on("not region eq 'east'", None), None);
        assert_eq!(
            eval_on("region ne 'east'", None),
            Some(true),
            "as lists render ne"
        );
        assert_eq!(
            eval_on("region eq 'east' or region is_null true", None),
            Some(true)
        );
        assert_eq!(eval_on("region in ('east', 'north')", Some("north")), Some(true));
        assert_eq!(eval_on("region eq 'east' and region eq 'north'", None), None);
        assert!(parse_criteria("name contains '华'", &w.account, &w.ctx).is_err());
    }

    #[test]
    fn managers_are_the_nearest_role_above_with_people_in_it() {
        let (ceo, vp, mgr, rep) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let (u_ceo, u_rep, u_peer) = (Uuid::from_u128(11), Uuid::from_u128(14), Uuid::from_u128(15));
        let mut p = Policy {
            // The manager's role is empty: approvals go up to the CEO; `vp` closes a cycle.
            roles: vec![(ceo, None), (vp, None), (mgr, Some(ceo)), (rep, Some(mgr))],
            ..Policy::default()
        };
        let staff = |role| UserFacts {
            role: Some(role),
            kind: UserKind::Internal,
            partner: None,
        };
        p.users.insert(u_ceo, staff(ceo));
        p.users.insert(u_rep, staff(rep));
        p.users.insert(u_peer, staff(rep));
        assert_eq!(p.roles_above(u_rep), vec![mgr, ceo]);
        assert_eq!(p.managers_of(u_rep), vec![u_ceo]);
        assert!(p.is_above(u_ceo, u_rep));
        assert!(!p.is_above(u_peer, u_rep), "a peer is not above");
        assert!(!p.is_above(u_rep, u_ceo));
        assert!(p.managers_of(u_ceo).is_empty());
        p.roles = vec![(mgr, Some(rep)), (rep, Some(mgr))];
        assert_eq!(p.roles_above(u_rep), vec![mgr], "a cycle ends");
    }
}

//! Who may do what to which record: the one decision every read and write path asks.
//! Object permissions come from the actor's role; record access from the object's
//! organisation-wide default (sharing), ownership and the role hierarchy (a manager
//! reaches what the people below them own). Pure: the caller loads the facts.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// Everything known about one actor and one object, ready to decide.
#[derive(Clone, Debug)]
pub struct Access {
    pub admin: bool,
    pub permissions: ObjectPermissions,
    pub sharing: Sharing,
    pub me: Uuid,
    /// Users whose role sits below the actor's role.
    pub below: HashSet<Uuid>,
}

impl Access {
    pub fn administrator(me: Uuid) -> Access {
        Access {
            admin: true,
            permissions: ObjectPermissions::ALL,
            sharing: Sharing::PublicReadWrite,
            me,
            below: HashSet::new(),
        }
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

    fn reaches(&self, owner: Option<Uuid>) -> bool {
        owner.is_some_and(|o| o == self.me || self.below.contains(&o))
    }

    /// Owners whose records a list may show: `None` when every record is readable.
    pub fn readable_owners(&self) -> Option<Vec<Uuid>> {
        let p = &self.permissions;
        if self.admin || p.view_all || p.modify_all || self.sharing != Sharing::Private {
            return None;
        }
        let mut owners: Vec<Uuid> = self.below.iter().copied().collect();
        owners.push(self.me);
        owners.sort();
        Some(owners)
    }

    pub fn can_read(&self, owner: Option<Uuid>) -> bool {
        self.may(Operation::Read) && self.readable_owners().is_none_or(|_| self.reaches(owner))
    }

    pub fn can_edit(&self, owner: Option<Uuid>) -> bool {
        self.may(Operation::Edit)
            && (self.admin
                || self.permissions.modify_all
                || self.sharing == Sharing::PublicReadWrite
                || self.reaches(owner))
    }

    /// Deleting (and restoring) is for the owner, those above, and "modify all".
    pub fn can_delete(&self, owner: Option<Uuid>) -> bool {
        self.may(Operation::Delete) && (self.admin || self.permissions.modify_all || self.reaches(owner))
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

    #[test]
    fn private_records_are_for_owners_and_those_above() {
        let u = ids(3);
        let manager = Access {
            admin: false,
            permissions: ObjectPermissions::STANDARD,
            sharing: Sharing::Private,
            me: u[0],
            below: [u[1]].into_iter().collect(),
        };
        assert!(
            manager.can_read(Some(u[0])) && manager.can_read(Some(u[1])) && !manager.can_read(Some(u[2]))
        );
        assert!(manager.can_edit(Some(u[1])) && !manager.can_edit(Some(u[2])));
        assert!(!manager.can_read(None));
        let public_read = Access {
            sharing: Sharing::PublicRead,
            ..manager.clone()
        };
        assert!(public_read.can_read(Some(u[2])) && !public_read.can_edit(Some(u[2])));
        let public_rw = Access {
            sharing: Sharing::PublicReadWrite,
            ..manager.clone()
        };
        assert!(public_rw.can_edit(Some(u[2])) && !public_rw.can_delete(Some(u[2])));
        let no_read = Access {
            permissions: ObjectPermissions {
                read: false,
                ..ObjectPermissions::STANDARD
            },
            ..public_rw
        };
        assert!(!no_read.can_read(Some(u[0])));
        let view_all = Access {
            permissions: ObjectPermissions {
                view_all: true,
                ..ObjectPermissions::STANDARD
            },
            ..manager
        };
        assert!(view_all.can_read(Some(u[2])) && !view_all.can_edit(Some(u[2])));
        assert!(Access::administrator(u[2]).can_delete(Some(u[0])));
    }
}

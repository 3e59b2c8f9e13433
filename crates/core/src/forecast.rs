//! Sales forecasts: what each rep's opportunities closing in a period add up to in each
//! forecast category, against their quota, rolled up through the role hierarchy so that a
//! manager's line is their team's — every role below theirs included.
//!
//! This module computes; it reads nothing. The caller gives the sums per user and
//! category, the quotas, the users' roles and the role tree.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::process::Forecast;
use crate::{FieldError, Msg};

/// A forecast period: a calendar month (`2026-11`) or quarter (`2026-Q4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub year: i32,
    /// 1–12 for a month; `None` for a quarter.
    pub month: Option<u32>,
    /// 1–4 for a quarter.
    pub quarter: Option<u32>,
}

impl Period {
    /// `2026-11` or `2026-Q4` (`q` in any case); anything else names `field`.
    pub fn parse(text: &str, field: &str) -> Result<Period, FieldError> {
        let bad = || FieldError::new(field, Msg::InvalidPeriod).with("value", text);
        let (y, rest) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(1900..=9999).contains(&year) {
            return Err(bad());
        }
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            let quarter: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&quarter) {
                return Err(bad());
            }
            return Ok(Period {
                year,
                month: None,
                quarter: Some(quarter),
            });
        }
        let month: u32 = rest.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || rest.len() != 2 {
            return Err(bad());
        }
        Ok(Period {
            year,
            month: Some(month),
            quarter: None,
        })
    }

    /// The quarter a day falls in.
    pub fn quarter_of(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            month: None,
            quarter: Some((day.month() - 1) / 3 + 1),
        }
    }

    /// First day in, first day after.
    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        let (first, months) = match (self.month, self.quarter) {
            (Some(m), _) => (m, 1),
            (None, Some(q)) => ((q - 1) * 3 + 1, 3),
            (None, None) => (1, 12),
        };
        let start = NaiveDate::from_ymd_opt(self.year, first, 1).unwrap_or_default();
        let end = start
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(start);
        (start, end)
    }

    /// The months a quarter is made of (a month: itself).
    pub fn months(&self) -> Vec<Period> {
        match (self.month, self.quarter) {
            (Some(_), _) => vec![*self],
            (None, Some(q)) => ((q - 1) * 3 + 1..=q * 3)
                .map(|m| Period {
                    year: self.year,
                    month: Some(m),
                    quarter: None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.month, self.quarter) {
            (Some(m), _) => write!(f, "{}-{m:02}", self.year),
            (None, Some(q)) => write!(f, "{}-Q{q}", self.year),
            _ => write!(f, "{}", self.year),
        }
    }
}

/// Money in the forecast's currency by category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub pipeline: Decimal,
    pub best_case: Decimal,
    pub commit: Decimal,
    pub closed: Decimal,
    pub quota: Option<Decimal>,
}

impl Figures {
    pub fn add(&mut self, category: Forecast, amount: Decimal) {
        match category {
            Forecast::Pipeline => self.pipeline += amount,
            Forecast::BestCase => self.best_case += amount,
            Forecast::Commit => self.commit += amount,
            Forecast::Closed => self.closed += amount,
            Forecast::Omitted => {}
        }
    }

    /// Adds another line's figures (quotas too) into these.
    pub fn absorb(&mut self, other: &Figures) {
        self.pipeline += other.pipeline;
        self.best_case += other.best_case;
        self.commit += other.commit;
        self.closed += other.closed;
        self.quota = match (self.quota, other.quota) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// What the period is expected to bring: closed plus committed.
    pub fn forecast(&self) -> Decimal {
        self.closed + self.commit
    }

    /// Closed against quota, in percent (one decimal).
    pub fn attainment(&self) -> Option<Decimal> {
        match self.quota {
            Some(q) if q > Decimal::ZERO => Some((self.closed * Decimal::ONE_HUNDRED / q).round_dp(1)),
            _ => None,
        }
    }
}

/// One role of the hierarchy with its people and the roll-up of everything below.
#[derive(Clone, Debug, Serialize)]
pub struct RoleLine {
    pub role: Option<Uuid>,
    pub depth: usize,
    /// This role's own users, with their own figures.
    pub users: Vec<(Uuid, Figures)>,
    /// Everyone in this role and every role below it.
    pub total: Figures,
}

/// Rolls users' figures up the role tree. `roles` are (role, parent); `user_roles` says
/// each user's role (users without a role make a line of their own at the end). Lines
/// come top-down, children after their parent, each with its depth; only roles in
/// `visible` (and their descendants) start a tree — a manager sees their branch.
pub fn roll_up(
    roles: &[(Uuid, Option<Uuid>)],
    user_roles: &HashMap<Uuid, Option<Uuid>>,
    figures: &HashMap<Uuid, Figures>,
    top: Option<&HashSet<Uuid>>,
) -> Vec<RoleLine> {
    let mut children: BTreeMap<Option<Uuid>, Vec<Uuid>> = BTreeMap::new();
    let known: HashSet<Uuid> = roles.iter().map(|r| r.0).collect();
    for (id, parent) in roles {
        // A parent that no longer exists makes its child a top role.
        let p = parent.filter(|p| known.contains(p));
        children.entry(p).or_default().push(*id);
    }
    let mut users_of: HashMap<Option<Uuid>, Vec<Uuid>> = HashMap::new();
    let mut everyone: Vec<Uuid> = user_roles.keys().copied().collect();
    everyone.sort();
    for u in everyone {
        let role = user_roles
            .get(&u)
            .copied()
            .flatten()
            .filter(|r| known.contains(r));
        users_of.entry(role).or_default().push(u);
    }
    let starts: Vec<Uuid> = match top {
        Some(t) => {
            let mut s: Vec<Uuid> = t.iter().copied().filter(|r| known.contains(r)).collect();
            s.sort();
            s
        }
        None => children.get(&None).cloned().unwrap_or_default(),
    };
    let mut out = Vec::new();
    let mut on_path = HashSet::new();
    for r in starts {
        walk(r, 0, &children, &users_of, figures, &mut out, &mut on_path);
    }
    if top.is_none()
        && let Some(loose) = users_of.get(&None)
    {
        let users: Vec<(Uuid, Figures)> = loose
            .iter()
            .map(|u| (*u, figures.get(u).cloned().unwrap_or_default()))
            .collect();
        let mut total = Figures::default();
        for (_, f) in &users {
            total.absorb(f);
        }
        out.push(RoleLine {
            role: None,
            depth: 0,
            users,
            total,
        });
    }
    out
}

fn walk(
    role: Uuid,
    depth: usize,
    children: &BTreeMap<Option<Uuid>, Vec<Uuid>>,
    users_of: &HashMap<Option<Uuid>, Vec<Uuid>>,
    figures: &HashMap<Uuid, Figures>,
    out: &mut Vec<RoleLine>,
    on_path: &mut HashSet<Uuid>,
) -> Figures {
    // A cycle in the hierarchy is cut, not followed.
    if !on_path.insert(role) {
        return Figures::default();
    }
    let users: Vec<(Uuid, Figures)> = users_of
        .get(&Some(role))
        .into_iter()
        .flatten()
        .map(|u| (*u, figures.get(u).cloned().unwrap_or_default()))
        .collect();
    let mut total = Figures::default();
    for (_, f) in &users {
        total.absorb(f);
    }
    let at = out.len();
    out.push(RoleLine {
        role: Some(role),
        depth,
        users,
        total: Figures::default(),
    });
    for child in children.get(&Some(role)).into_iter().flatten() {
        let sub = walk(*child, depth + 1, children, users_of, figures, out, on_path);
        total.absorb(&sub);
    }
    on_path.remove(&role);
    out[at].total = total.clone();
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_months_or_quarters() {
        let q = Period::parse("2026-q4", "period").unwrap();
        assert_eq!(q.to_string(), "2026-Q4");
        assert_eq!(
            q.range(),
            (
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            )
        );
        assert_eq!(q.months().len(), 3);
        let m = Period::parse("2026-02", "period").unwrap();
        assert_eq!(m.range().1, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        for bad in ["2026", "2026-13", "2026-Q5", "2026-1", "soon", "2026-Q0"] {
            assert!(Period::parse(bad, "period").is_err(), "{bad}");
        }
        assert_eq!(
            Period::quarter_of(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()).to_string(),
            "2026-Q4"
        );
    }

    #[test]
    fn a_managers_line_is_the_whole_branch_below() {
        let (vp, east, north) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let roles = vec![(vp, None), (east, Some(vp)), (north, Some(vp))];
        let (boss, a, b, c) = (
            Uuid::from_u128(10),
            Uuid::from_u128(11),
            Uuid::from_u128(12),
            Uuid::from_u128(13),
        );
        let user_roles: HashMap<Uuid, Option<Uuid>> = [
            (boss, Some(vp)),
            (a, Some(east)),
            (b, Some(east)),
            (c, Some(north)),
        ]
        .into();
        let fig = |closed: &str, commit: &str, quota: Option<&str>| Figures {
            closed: d(closed),
            commit: d(commit),
            quota: quota.map(d),
            ..Default::default()
        };
        let figures: HashMap<Uuid, Figures> = [
            (a, fig("100", "50", Some("200"))),
            (b, fig("30", "0", Some("100"))),
            (c, fig("10", "90", None)),
        ]
        .into();
        let lines = roll_up(&roles, &user_roles, &figures, None);
        let vp_line = &lines[0];
        assert_eq!((vp_line.role, vp_line.depth), (Some(vp), 0));
        assert_eq!(vp_line.total.closed, d("140"));
        assert_eq!(vp_line.total.forecast(), d("280"));
        assert_eq!(vp_line.total.quota, Some(d("300")));
        let east_line = lines.iter().find(|l| l.role == Some(east)).unwrap();
        assert_eq!(east_line.depth, 1);
        assert_eq!(east_line.total.closed, d("130"));
        assert_eq!(east_line.total.attainment(), Some(d("43.3")));
        // A manager sees their own branch only.
        let mine = roll_up(&roles, &user_roles, &figures, Some(&[east].into()));
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].users.len(), 2);
    }
}

//! Sales processes: administrators define several pipelines (project sales, channel sales,
//! retail…), each an ordered list of opportunity stages with a default probability, a
//! forecast category, and the criteria to enter and to leave each stage. An opportunity
//! follows the process it belongs to: it moves forward one stage at a time unless its
//! user may skip stages, it leaves a stage only when that stage's exit criteria hold
//! (fields filled, activities done, checklist ticked) and enters one only when its entry
//! fields are filled. Every refusal names what is missing, beside its field.
//!
//! This module decides; it reads nothing. The write path gives it the record before and
//! after, whether the user may skip, and which activity types are done.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::metadata::{FieldType, Label};
use crate::values::{Record, Value};
use crate::{FieldError, Msg, ObjectDef};

/// The object processes apply to, and its fields they read and set.
pub const OBJECT: &str = "opportunity";
pub const STAGE: &str = "stage";
pub const PROCESS: &str = "process";
pub const CHECKLIST: &str = "checklist";
pub const PROBABILITY: &str = "probability";
pub const FORECAST: &str = "forecast_category";
pub const STAGE_ENTERED: &str = "stage_entered_at";
/// The object whose completed records of a type satisfy a stage's required activities.
pub const ACTIVITY: &str = "activity";

/// The forecast category a stage counts in (as Salesforce names them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forecast {
    Pipeline,
    BestCase,
    Commit,
    Closed,
    Omitted,
}

impl Forecast {
    pub fn as_str(self) -> &'static str {
        match self {
            Forecast::Pipeline => "pipeline",
            Forecast::BestCase => "best_case",
            Forecast::Commit => "commit",
            Forecast::Closed => "closed",
            Forecast::Omitted => "omitted",
        }
    }
}

/// Whether a stage is still open, or closes the opportunity as won or lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Open,
    Won,
    Lost,
}

/// A step to tick while in a stage (e.g. "budget confirmed").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub key: String,
    pub label: Label,
}

/// One stage of a process: a value of the opportunity's stage picklist, and its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub stage: String,
    /// Default probability (0–100) an opportunity takes on entering the stage.
    pub probability: Decimal,
    pub forecast: Forecast,
    #[serde(default)]
    pub outcome: Outcome,
    /// Fields that must be filled to enter the stage and while in it.
    #[serde(default)]
    pub entry_fields: Vec<String>,
    /// Fields that must be filled before the opportunity moves on from the stage.
    #[serde(default)]
    pub exit_fields: Vec<String>,
    /// Activity types (values of the activity's type) of which one must be completed on
    /// the opportunity before it moves on.
    #[serde(default)]
    pub exit_activities: Vec<String>,
    /// Items to tick (the opportunity's checklist) before it moves on.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// What to do in this stage, shown to the rep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Label>,
}

/// A sales process as administrators define it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Key stored on each opportunity (`project`, `channel`, `retail`).
    pub name: String,
    pub label: Label,
    pub stages: Vec<Stage>,
    /// Roles whose users may skip stages and reopen closed opportunities (administrators
    /// always may).
    #[serde(default)]
    pub may_skip: Vec<Uuid>,
    /// The process new opportunities follow when they name none.
    #[serde(default)]
    pub default: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

fn label_errors(at: &str, label: &Label, errors: &mut Vec<FieldError>) {
    for (key, text) in [
        ("en", &label.en),
        ("zh-CN", &label.zh_cn),
        ("zh-TW", &label.zh_tw),
    ] {
        if text.trim().is_empty() {
            errors.push(FieldError::new(&format!("{at}.{key}"), Msg::Required));
        }
    }
}

/// Checks a process against the opportunity and activity objects; each problem names its
/// place in the definition (`stages[2].entry_fields[0]`, `label.zh-CN`…).
pub fn validate(
    process: &Process,
    object: &ObjectDef,
    activity: Option<&ObjectDef>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if !is_key(&process.name) {
        errors.push(FieldError::new("name", Msg::ProcessBadName));
    }
    label_errors("label", &process.label, &mut errors);
    let stage_field = object.field(STAGE);
    let activity_type = activity.and_then(|a| a.field("type"));
    if process.stages.is_empty() {
        errors.push(FieldError::new("stages", Msg::Required));
    }
    if !process.stages.iter().any(|s| s.outcome == Outcome::Open) {
        errors.push(FieldError::new("stages", Msg::ProcessNeedsOpenStage));
    }
    let mut seen = std::collections::HashSet::new();
    let mut keys = std::collections::HashSet::new();
    for (i, s) in process.stages.iter().enumerate() {
        let at = format!("stages[{i}]");
        if !stage_field.is_some_and(|f| f.has_option(&s.stage)) {
            errors.push(FieldError::new(&format!("{at}.stage"), Msg::NotInPicklist).with("value", &s.stage));
        } else if !seen.insert(s.stage.as_str()) {
            errors.push(FieldError::new(&format!("{at}.stage"), Msg::ProcessRepeatedStage));
        }
        if s.probability < Decimal::ZERO || s.probability > Decimal::from(100) {
            errors.push(FieldError::new(
                &format!("{at}.probability"),
                Msg::ProcessBadProbability,
            ));
        }
        let fits = match s.outcome {
            Outcome::Open => !matches!(s.forecast, Forecast::Closed),
            Outcome::Won => s.forecast == Forecast::Closed,
            Outcome::Lost => s.forecast == Forecast::Omitted,
        };
        if !fits {
            errors.push(FieldError::new(
                &format!("{at}.forecast"),
                Msg::ProcessBadForecast,
            ));
        }
        for (list, names) in [("entry_fields", &s.entry_fields), ("exit_fields", &s.exit_fields)] {
            for (j, name) in names.iter().enumerate() {
                let usable = object
                    .field(name)
                    .is_some_and(|f| !f.system && f.field_type != FieldType::Id);
                if !usable {
                    errors.push(FieldError::new(&format!("{at}.{list}[{j}]"), Msg::UnknownField));
                }
            }
        }
        for (j, kind) in s.exit_activities.iter().enumerate() {
            if !activity_type.is_some_and(|f| f.has_option(kind)) {
                errors.push(
                    FieldError::new(&format!("{at}.exit_activities[{j}]"), Msg::NotInPicklist)
                        .with("value", kind),
                );
            }
        }
        for (j, item) in s.checklist.iter().enumerate() {
            if !is_key(&item.key) {
                errors.push(FieldError::new(
                    &format!("{at}.checklist[{j}].key"),
                    Msg::ProcessBadName,
                ));
            } else if !keys.insert(item.key.as_str()) {
                errors.push(FieldError::new(
                    &format!("{at}.checklist[{j}].key"),
                    Msg::ProcessRepeatedStage,
                ));
            }
            label_errors(&format!("{at}.checklist[{j}].label"), &item.label, &mut errors);
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

impl Process {
    pub fn position(&self, stage: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.stage == stage)
    }

    pub fn stage(&self, stage: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// The first open stage: where new opportunities start.
    pub fn first(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.outcome == Outcome::Open)
    }

    /// Whether this actor may skip stages and reopen closed opportunities.
    pub fn lets_skip(&self, admin: bool, role: Option<Uuid>) -> bool {
        admin || role.is_some_and(|r| self.may_skip.contains(&r))
    }

    /// The stage an opportunity at position `at` moves to next, going forward: the next
    /// open stage, else the first won stage after it.
    pub fn next_after(&self, at: usize) -> Option<&Stage> {
        let later = self.stages.iter().skip(at + 1);
        later
            .clone()
            .find(|s| s.outcome == Outcome::Open)
            .or_else(|| later.clone().find(|s| s.outcome == Outcome::Won))
    }

    /// Open stages strictly between two positions (the ones a move from `from` to `to`
    /// jumps over). Lost stages are never in the way.
    fn skipped(&self, from: usize, to: usize) -> Vec<&Stage> {
        self.stages
            .iter()
            .enumerate()
            .filter(|(i, s)| *i > from && *i < to && s.outcome == Outcome::Open)
            .map(|(_, s)| s)
            .collect()
    }
}

/// What the write path knows besides the records.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub may_skip: bool,
    /// Activity types completed on the opportunity.
    pub done_activities: &'a [String],
}

/// One requirement of a stage change, met or not (for guidance and for refusals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// `field`, `activity` or `checklist`.
    pub kind: &'static str,
    /// The field name, activity type or checklist key.
    pub name: String,
    pub met: bool,
    /// Before leaving the current stage (`exit`) or to enter the next (`entry`).
    pub when: &'static str,
}

fn text<'a>(object: &ObjectDef, record: &'a Record, name: &str) -> Option<&'a str> {
    match record.get(object, name) {
        Some(Value::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

fn filled(object: &ObjectDef, record: &Record, name: &str) -> bool {
    record.get(object, name).is_some_and(|v| match v {
        Value::Null => false,
        Value::Text(t) => !t.trim().is_empty(),
        Value::List(l) => !l.is_empty(),
        _ => true,
    })
}

fn ticked(object: &ObjectDef, record: &Record) -> Vec<String> {
    match record.get(object, CHECKLIST) {
        Some(Value::List(l)) => l.clone(),
        Some(Value::Text(t)) => t.split(',').map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// What leaving `from` forward and entering `to` require, each marked met or not.
pub fn requirements(
    object: &ObjectDef,
    record: &Record,
    from: Option<&Stage>,
    to: Option<&Stage>,
    done_activities: &[String],
) -> Vec<Requirement> {
    let mut out = Vec::new();
    if let Some(from) = from {
        for f in &from.exit_fields {
            out.push(Requirement {
                kind: "field",
                name: f.clone(),
                met: filled(object, record, f),
                when: "exit",
            });
        }
        for a in &from.exit_activities {
            out.push(Requirement {
                kind: "activity",
                name: a.clone(),
                met: done_activities.contains(a),
                when: "exit",
            });
        }
        let ticked = ticked(object, record);
        for item in &from.checklist {
            out.push(Requirement {
                kind: "checklist",
                name: item.key.clone(),
                met: ticked.contains(&item.key),
                when: "exit",
            });
        }
    }
    if let Some(to) = to {
        for f in &to.entry_fields {
            if !out.iter().any(|r| r.kind == "field" && &r.name == f) {
                out.push(Requirement {
                    kind: "field",
                    name: f.clone(),
                    met: filled(object, record, f),
                    when: "entry",
                });
            }
        }
    }
    out
}

fn stage_params(e: FieldError, prefix: &str, label: &Label) -> FieldError {
    e.with(&format!("{prefix}_en"), &label.en)
        .with(&format!("{prefix}_zh_cn"), &label.zh_cn)
        .with(&format!("{prefix}_zh_tw"), &label.zh_tw)
}

/// The three-language label of a picklist value (the value itself if it has none).
fn option_label(field: Option<&crate::FieldDef>, value: &str) -> Label {
    field
        .and_then(|f| f.options.iter().find(|o| o.value == value))
        .map(|o| o.label.clone())
        .unwrap_or_else(|| Label::new(value, value, value))
}

/// The refusals a requirement list turns into, each beside its field.
fn refusals(
    object: &ObjectDef,
    activity: Option<&ObjectDef>,
    from: Option<&Stage>,
    to: Option<&Stage>,
    reqs: &[Requirement],
) -> Vec<FieldError> {
    let stage_label = |s: Option<&Stage>| {
        option_label(
            object.field(STAGE),
            s.map(|s| s.stage.as_str()).unwrap_or_default(),
        )
    };
    reqs.iter()
        .filter(|r| !r.met)
        .map(|r| {
            let (stage, exit) = if r.when == "exit" {
                (from, true)
            } else {
                (to, false)
            };
            let stage = stage_label(stage);
            match r.kind {
                "field" => {
                    let msg = if exit {
                        Msg::StageExitField
                    } else {
                        Msg::StageEntryField
                    };
                    stage_params(FieldError::new(&r.name, msg), "stage", &stage)
                }
                "activity" => {
                    let label = option_label(activity.and_then(|a| a.field("type")), &r.name);
                    let e = stage_params(FieldError::new(STAGE, Msg::StageExitActivity), "stage", &stage);
                    stage_params(e, "activity", &label)
                }
                _ => {
                    let label = from
                        .and_then(|s| s.checklist.iter().find(|i| i.key == r.name))
                        .map(|i| i.label.clone())
                        .unwrap_or_else(|| Label::new(&r.name, &r.name, &r.name));
                    let e = stage_params(
                        FieldError::new(CHECKLIST, Msg::StageExitChecklist),
                        "stage",
                        &stage,
                    );
                    stage_params(e, "item", &label)
                }
            }
        })
        .collect()
}

/// What a write does to an opportunity under its process.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Allowed; `entered` is the stage it enters, if it changes stage (the write path then
    /// sets probability, forecast category and the time the stage was entered).
    Allowed {
        entered: Option<Stage>,
    },
    Refused(Vec<FieldError>),
}

/// Decides a write of an opportunity (`before` none when created) under `process`.
pub fn decide(
    process: &Process,
    object: &ObjectDef,
    activity: Option<&ObjectDef>,
    before: Option<&Record>,
    after: &Record,
    facts: Facts<'_>,
) -> Verdict {
    let Some(stage) = text(object, after, STAGE) else {
        // The stage field is required; its own check says so.
        return Verdict::Allowed { entered: None };
    };
    let Some(to) = process.position(stage) else {
        let e = FieldError::new(STAGE, Msg::StageNotInProcess);
        return Verdict::Refused(vec![stage_params(e, "process", &process.label)]);
    };
    let target = &process.stages[to];
    let ticked = ticked(object, after);
    let known: Vec<&str> = process
        .stages
        .iter()
        .flat_map(|s| s.checklist.iter().map(|i| i.key.as_str()))
        .collect();
    if let Some(bad) = ticked.iter().find(|k| !known.contains(&k.as_str())) {
        return Verdict::Refused(vec![
            FieldError::new(CHECKLIST, Msg::NotInPicklist).with("value", bad),
        ]);
    }
    // Where it was, if it was in this process.
    let from = before
        .filter(|b| text(object, b, PROCESS) == Some(process.name.as_str()))
        .and_then(|b| text(object, b, STAGE).and_then(|s| process.position(s)));
    let mut errors = Vec::new();
    let entered = match from {
        Some(i) if i == to => {
            // Staying: the stage's entry fields stay required.
            let reqs = requirements(object, after, None, Some(target), &[]);
            errors.extend(refusals(object, activity, None, Some(target), &reqs));
            None
        }
        None => {
            // A new opportunity, or one moved into this process: it starts at the first
            // open stage, unless its user may skip.
            let first = process.first().map(|s| s.stage.as_str());
            if first != Some(stage) && !facts.may_skip {
                let e = FieldError::new(STAGE, Msg::StageSkip);
                let label = option_label(object.field(STAGE), first.unwrap_or(stage));
                errors.push(stage_params(e, "stage", &label));
            }
            let reqs = requirements(object, after, None, Some(target), &[]);
            errors.extend(refusals(object, activity, None, Some(target), &reqs));
            Some(target.clone())
        }
        Some(i) => {
            let current = &process.stages[i];
            if current.outcome != Outcome::Open && !facts.may_skip {
                errors.push(FieldError::new(STAGE, Msg::StageReopen));
            }
            let forward = current.outcome == Outcome::Open && target.outcome != Outcome::Lost && to > i;
            if forward {
                let skipped = process.skipped(i, to);
                if let Some(next) = skipped.first().filter(|_| !facts.may_skip) {
                    let label = option_label(object.field(STAGE), &next.stage);
                    errors.push(stage_params(
                        FieldError::new(STAGE, Msg::StageSkip),
                        "stage",
                        &label,
                    ));
                }
                let reqs = requirements(object, after, Some(current), Some(target), facts.done_activities);
                errors.extend(refusals(object, activity, Some(current), Some(target), &reqs));
            } else {
                let reqs = requirements(object, after, None, Some(target), &[]);
                errors.extend(refusals(object, activity, None, Some(target), &reqs));
            }
            Some(target.clone())
        }
    };
    if errors.is_empty() {
        Verdict::Allowed { entered }
    } else {
        Verdict::Refused(errors)
    }
}

/// The process an opportunity follows: the one it names, else the default one, else the
/// first active one. `Err` names an unknown process.
pub fn chosen<'a>(processes: &'a [Process], named: Option<&str>) -> Result<Option<&'a Process>, FieldError> {
    let active = || processes.iter().filter(|p| p.active);
    match named {
        Some(name) => active()
            .find(|p| p.name == name)
            .map(Some)
            .ok_or_else(|| FieldError::new(PROCESS, Msg::UnknownProcess).with("value", name)),
        None => Ok(active().find(|p| p.default).or_else(|| active().next())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::standard_objects;
    use crate::values::sys;

    fn objects() -> (ObjectDef, ObjectDef) {
        let all = standard_objects();
        let o = all.iter().find(|o| o.name == OBJECT).cloned().unwrap();
        let a = all.iter().find(|o| o.name == ACTIVITY).cloned().unwrap();
        (o, a)
    }

    fn label(s: &str) -> Label {
        Label::new(s, s, s)
    }

    fn stage(value: &str, p: i64, forecast: Forecast, outcome: Outcome) -> Stage {
        Stage {
            stage: value.into(),
            probability: Decimal::from(p),
            forecast,
            outcome,
            entry_fields: vec![],
            exit_fields: vec![],
            exit_activities: vec![],
            checklist: vec![],
            guidance: None,
        }
    }

    fn project() -> Process {
        let mut qualification = stage("qualification", 20, Forecast::Pipeline, Outcome::Open);
        qualification.exit_activities = vec!["visit".into()];
        qualification.checklist = vec![ChecklistItem {
            key: "budget_confirmed".into(),
            label: label("Budget confirmed"),
        }];
        let mut proposal = stage("proposal", 50, Forecast::BestCase, Outcome::Open);
        proposal.entry_fields = vec!["amount".into()];
        let mut lost = stage("closed_lost", 0, Forecast::Omitted, Outcome::Lost);
        lost.entry_fields = vec!["loss_reason".into()];
        Process {
            id: None,
            name: "project".into(),
            label: label("Project sales"),
            stages: vec![
                stage("prospecting", 10, Forecast::Pipeline, Outcome::Open),
                qualification,
                proposal,
                stage("negotiation", 80, Forecast::Commit, Outcome::Open),
                stage("closed_won", 100, Forecast::Closed, Outcome::Won),
                lost,
            ],
            may_skip: vec![],
            default: true,
            active: true,
        }
    }

    fn record(o: &ObjectDef, pairs: &[(&str, Value)]) -> Record {
        let mut r = Record {
            values: vec![Value::Null; o.fields.len()],
        };
        r.values[sys::ID] = Value::Uuid(Uuid::nil());
        for (name, v) in pairs {
            let i = o.fields.iter().position(|f| f.name == *name).unwrap();
            r.values[i] = v.clone();
        }
        r
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn facts(done: &[String]) -> Facts<'_> {
        Facts {
            may_skip: false,
            done_activities: done,
        }
    }

    fn refused_fields(v: Verdict) -> Vec<(String, Msg)> {
        match v {
            Verdict::Refused(e) => e.into_iter().map(|e| (e.field, e.msg)).collect(),
            Verdict::Allowed { .. } => vec![],
        }
    }

    #[test]
    fn the_standard_processes_validate_and_bad_ones_name_their_faults() {
        let (o, a) = objects();
        assert_eq!(validate(&project(), &o, Some(&a)), Ok(()));
        let mut bad = project();
        bad.name = "Project Sales".into();
        bad.stages[0].stage = "nowhere".into();
        bad.stages[1].exit_activities = vec!["dance".into()];
        bad.stages[2].entry_fields = vec!["id".into(), "nope".into()];
        bad.stages[4].forecast = Forecast::Pipeline;
        bad.stages[3].probability = Decimal::from(120);
        let at: Vec<String> = validate(&bad, &o, Some(&a))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            at,
            [
                "name",
                "stages[0].stage",
                "stages[1].exit_activities[0]",
                "stages[2].entry_fields[0]",
                "stages[2].entry_fields[1]",
                "stages[3].probability",
                "stages[4].forecast"
            ]
        );
    }

    #[test]
    fn a_new_opportunity_starts_at_the_first_stage_unless_its_user_may_skip() {
        let (o, a) = objects();
        let p = project();
        let later = record(&o, &[("process", t("project")), ("stage", t("negotiation"))]);
        assert_eq!(
            refused_fields(decide(&p, &o, Some(&a), None, &later, facts(&[]))),
            [("stage".to_string(), Msg::StageSkip)]
        );
        let skipper = Facts {
            may_skip: true,
            done_activities: &[],
        };
        assert!(
            matches!(decide(&p, &o, Some(&a), None, &later, skipper), Verdict::Allowed { entered: Some(s) } if s.stage == "negotiation")
        );
        let first = record(&o, &[("process", t("project")), ("stage", t("prospecting"))]);
        assert!(matches!(
            decide(&p, &o, Some(&a), None, &first, facts(&[])),
            Verdict::Allowed { entered: Some(_) }
        ));
    }

    #[test]
    fn leaving_a_stage_needs_its_activities_and_checklist_and_entering_needs_its_fields() {
        let (o, a) = objects();
        let p = project();
        let before = record(&o, &[("process", t("project")), ("stage", t("qualification"))]);
        let after = record(&o, &[("process", t("project")), ("stage", t("proposal"))]);
        assert_eq!(
            refused_fields(decide(&p, &o, Some(&a), Some(&before), &after, facts(&[]))),
            [
                ("stage".to_string(), Msg::StageExitActivity),
                ("checklist".to_string(), Msg::StageExitChecklist),
                ("amount".to_string(), Msg::StageEntryField)
            ]
        );
        let ready = record(
            &o,
            &[
                ("process", t("project")),
                ("stage", t("proposal")),
                ("checklist", Value::List(vec!["budget_confirmed".into()])),
                (
                    "amount",
                    Value::Money {
                        amount: Decimal::from(5),
                        currency: "CNY".into(),
                    },
                ),
            ],
        );
        let visits = ["visit".to_string()];
        assert!(matches!(
            decide(&p, &o, Some(&a), Some(&before), &ready, facts(&visits)),
            Verdict::Allowed { entered: Some(s) } if s.probability == Decimal::from(50)
        ));
    }

    #[test]
    fn skipping_ahead_is_refused_but_going_back_and_losing_are_not() {
        let (o, a) = objects();
        let p = project();
        let at = |s: &str| record(&o, &[("process", t("project")), ("stage", t(s))]);
        let step = |from: &str, to: &Record| decide(&p, &o, Some(&a), Some(&at(from)), to, facts(&[]));
        assert_eq!(
            refused_fields(step("prospecting", &at("negotiation"))),
            [("stage".to_string(), Msg::StageSkip)]
        );
        assert!(matches!(
            step("negotiation", &at("prospecting")),
            Verdict::Allowed { .. }
        ));
        // Lost from anywhere, with its reason.
        assert_eq!(
            refused_fields(step("prospecting", &at("closed_lost"))),
            [("loss_reason".to_string(), Msg::StageEntryField)]
        );
        let mut lost = at("closed_lost");
        let i = o.fields.iter().position(|f| f.name == "loss_reason").unwrap();
        lost.values[i] = t("price");
        assert!(matches!(step("prospecting", &lost), Verdict::Allowed { .. }));
        // Won straight after the last open stage is not a skip.
        assert!(matches!(
            step("negotiation", &at("closed_won")),
            Verdict::Allowed { .. }
        ));
        // A closed opportunity is reopened only by someone who may skip.
        assert_eq!(
            refused_fields(step("closed_won", &at("negotiation"))),
            [("stage".to_string(), Msg::StageReopen)]
        );
    }

    #[test]
    fn a_stage_outside_the_process_or_an_unknown_checklist_item_is_refused() {
        let (o, a) = objects();
        let mut p = project();
        p.stages.remove(3);
        let before = record(&o, &[("process", t("project")), ("stage", t("proposal"))]);
        let after = record(&o, &[("process", t("project")), ("stage", t("negotiation"))]);
        assert_eq!(
            refused_fields(decide(&p, &o, Some(&a), Some(&before), &after, facts(&[]))),
            [("stage".to_string(), Msg::StageNotInProcess)]
        );
        let odd = record(
            &o,
            &[
                ("process", t("project")),
                ("stage", t("prospecting")),
                ("checklist", Value::List(vec!["made_up".into()])),
            ],
        );
        assert_eq!(
            refused_fields(decide(&p, &o, Some(&a), None, &odd, facts(&[]))),
            [("checklist".to_string(), Msg::NotInPicklist)]
        );
    }

    #[test]
    fn the_chosen_process_is_the_named_one_else_the_default() {
        let mut other = project();
        other.name = "retail".into();
        other.default = false;
        let all = vec![other, project()];
        assert_eq!(
            chosen(&all, None).unwrap().map(|p| p.name.as_str()),
            Some("project")
        );
        assert_eq!(
            chosen(&all, Some("retail")).unwrap().map(|p| p.name.as_str()),
            Some("retail")
        );
        assert_eq!(chosen(&all, Some("nope")).unwrap_err().msg, Msg::UnknownProcess);
        assert_eq!(chosen(&[], None).unwrap(), None);
    }
}

//! Metadata administration: loading the schema (standard objects from code, custom ones
//! from storage, administrators' changes to fields on top) and adding custom fields and
//! objects, which become real columns and tables in the same transaction that records
//! their definition. Changing a field never changes its type or column, and never drops
//! a picklist value records may hold: a value is retired instead.

use guanxi_core::metadata::{
    FieldDef, FieldType, Label, MAX_LONG_TEXT_LENGTH, MAX_TEXT_LENGTH, ObjectDef, PicklistOption, Schema,
    is_reserved_name, is_valid_api_name, system_fields,
};
use guanxi_core::{FieldError, Msg};
use guanxi_storage::{schema as ddl, system};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Actor, Crm, ServiceError};

/// Path words under /api/v1 that can never be an object's plural name.
pub const RESERVED_PLURALS: &[&str] = &[
    "metadata",
    "openapi",
    "search",
    "me",
    "changes",
    "users",
    "tokens",
    "auth",
    "admin",
    "bulk",
    "recycle_bin",
];

/// A label given as one text (used for every language) or per language.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum LabelInput {
    One(String),
    Each(Label),
}

impl LabelInput {
    pub(crate) fn into_label(self) -> Label {
        match self {
            LabelInput::One(s) => Label::new(&s, &s, &s),
            LabelInput::Each(l) => l,
        }
    }
}

/// One entry of the full option list an administrator sends when changing a picklist.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum OptionChange {
    Value(String),
    Full {
        value: String,
        label: Option<LabelInput>,
        active: Option<bool>,
    },
}

/// An administrator's change to a standard field, stored over its built-in definition.
#[derive(Debug, Serialize, Deserialize)]
struct FieldChange {
    label: Label,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<PicklistOption>,
}

/// Installs a stored change over a standard field. Options the change does not list (a
/// value a later release added to the built-in list) stay, after the listed ones.
fn apply_change(field: &mut FieldDef, change: FieldChange) {
    field.label = change.label;
    if matches!(field.field_type, FieldType::Picklist | FieldType::MultiPicklist)
        && !change.options.is_empty()
    {
        let builtin = std::mem::replace(&mut field.options, change.options);
        for o in builtin {
            if !field.has_option(&o.value) {
                field.options.push(o);
            }
        }
    }
}

/// A label as given, trimmed; an empty language is an error at `{path}.{language}`.
pub(crate) fn checked_label(input: LabelInput, path: &str, errors: &mut Vec<FieldError>) -> Label {
    let one = matches!(input, LabelInput::One(_));
    let label = input.into_label();
    let label = Label::new(label.en.trim(), label.zh_cn.trim(), label.zh_tw.trim());
    let empty: Vec<&str> = [
        ("en", &label.en),
        ("zh-CN", &label.zh_cn),
        ("zh-TW", &label.zh_tw),
    ]
    .into_iter()
    .filter(|(_, text)| text.is_empty())
    .map(|(tag, _)| tag)
    .collect();
    if one && !empty.is_empty() {
        errors.push(FieldError::new(path, Msg::Required));
    } else {
        for tag in empty {
            errors.push(FieldError::new(&format!("{path}.{tag}"), Msg::Required));
        }
    }
    label
}

/// The same value syntax adding a field uses: non-empty, lower-case, at most 100 characters.
fn valid_option_value(value: &str) -> bool {
    !value.is_empty() && value.chars().count() <= 100 && value == value.to_lowercase()
}

/// Checks a full new option list against the field's current one: every stored value
/// stays (retired, not removed), new values are well formed and unique.
fn changed_options(current: &FieldDef, items: &[Json], errors: &mut Vec<FieldError>) -> Vec<PicklistOption> {
    if items.is_empty() || items.len() > 1000 {
        errors.push(bad("options", Msg::FieldPicklistOptions));
    }
    let mut out: Vec<PicklistOption> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("options[{i}]");
        let (value, label, active) = match serde_json::from_value::<OptionChange>(item.clone()) {
            Ok(OptionChange::Value(v)) => (v, None, None),
            Ok(OptionChange::Full { value, label, active }) => (value, label, active),
            Err(e) => {
                errors.push(invalid(&path, &e.to_string()));
                continue;
            }
        };
        let value = value.trim().to_string();
        if !valid_option_value(&value) || out.iter().any(|o| o.value == value) {
            errors.push(bad(&format!("{path}.value"), Msg::FieldBadOption).with("value", &value));
            continue;
        }
        let label = match (label, current.options.iter().find(|o| o.value == value)) {
            (Some(l), _) => checked_label(l, &format!("{path}.label"), errors),
            (None, Some(existing)) => existing.label.clone(),
            (None, None) => Label::new(&value, &value, &value),
        };
        out.push(PicklistOption {
            value,
            label,
            active: active.unwrap_or(true),
        });
    }
    for kept in &current.options {
        if !out.iter().any(|o| o.value == kept.value) {
            errors.push(bad("options", Msg::FieldOptionRemoved).with("value", &kept.value));
        }
    }
    // A required picklist with every value retired would refuse every new record; an
    // optional one may be retired whole (the last queue closed, say).
    if current.required && !out.is_empty() && !out.iter().any(|o| o.active) {
        errors.push(bad("options", Msg::FieldNoActiveOption));
    }
    out
}

/// The field `current` becomes under an administrator's change (`label`, `options`).
fn changed_field(current: &FieldDef, input: Json) -> Result<FieldDef, Vec<FieldError>> {
    let Json::Object(input) = input else {
        return Err(vec![invalid("field", "expected a JSON object")]);
    };
    let mut errors = Vec::new();
    let mut field = current.clone();
    for (key, value) in input {
        match key.as_str() {
            "label" => match serde_json::from_value::<LabelInput>(value) {
                Ok(l) => field.label = checked_label(l, "label", &mut errors),
                Err(e) => errors.push(invalid("label", &e.to_string())),
            },
            "options" if !matches!(current.field_type, FieldType::Picklist | FieldType::MultiPicklist) => {
                errors.push(bad("options", Msg::FieldOptionsNotAllowed));
            }
            "options" => match value {
                Json::Array(items) => field.options = changed_options(current, &items, &mut errors),
                _ => errors.push(bad("options", Msg::FieldPicklistOptions)),
            },
            other => errors.push(FieldError::new(other, Msg::FieldNotChangeable)),
        }
    }
    if errors.is_empty() { Ok(field) } else { Err(errors) }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OptionInput {
    Value(String),
    Full {
        value: String,
        label: Option<LabelInput>,
    },
}

/// What an administrator sends to add a field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub label: Option<LabelInput>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub external_id: bool,
    #[serde(default)]
    pub indexed: bool,
    pub max_length: Option<u32>,
    pub scale: Option<u32>,
    #[serde(default)]
    pub options: Vec<OptionInput>,
    pub target: Option<String>,
}

/// What an administrator sends to add an object.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectInput {
    pub name: String,
    pub plural: String,
    pub label: Option<LabelInput>,
    pub plural_label: Option<LabelInput>,
    #[serde(default)]
    pub fields: Vec<FieldInput>,
}

#[derive(Serialize, Deserialize)]
struct StoredObject {
    name: String,
    plural: String,
    label: Label,
    plural_label: Label,
    name_field: String,
}

fn invalid(field: &str, reason: &str) -> FieldError {
    FieldError::new(field, Msg::InvalidFieldDefinition).with("reason", reason)
}

fn bad(field: &str, msg: Msg) -> FieldError {
    FieldError::new(field, msg)
}

/// Turns a field request into a definition, checking it against the schema.
fn build_field(
    object: &ObjectDef,
    schema: &Schema,
    input: FieldInput,
    prefix: &str,
) -> Result<FieldDef, Vec<FieldError>> {
    let mut errors = Vec::new();
    let p = |f: &str| format!("{prefix}{f}");
    if !is_valid_api_name(&input.name) {
        errors.push(FieldError::new(&p("name"), Msg::InvalidName));
    } else if is_reserved_name(&input.name) || object.field(&input.name).is_some() {
        errors.push(FieldError::new(&p("name"), Msg::NameTaken));
    }
    let t = input.field_type;
    if !FieldType::USER_CREATABLE.contains(&t) {
        errors.push(bad(&p("type"), Msg::FieldTypeNotCreatable));
    }
    let mut field = FieldDef::new(
        &input.name,
        t,
        input.label.map_or_else(
            || Label::new(&input.name, &input.name, &input.name),
            LabelInput::into_label,
        ),
    );
    field.custom = true;
    field.column = format!("cf_{}", input.name);
    field.required = input.required;
    field.unique = input.unique || input.external_id;
    field.external_id = input.external_id;
    field.indexed = input.indexed || field.unique;
    if field.indexed && !t.sortable() {
        errors.push(bad(&p("indexed"), Msg::FieldNotIndexable));
    }
    if field.unique
        && !matches!(
            t,
            FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Integer | FieldType::Url
        )
    {
        errors.push(bad(&p("unique"), Msg::FieldUniqueTypes));
    }
    if let Some(max) = input.max_length {
        let limit = match t {
            FieldType::Text => MAX_TEXT_LENGTH,
            FieldType::LongText => MAX_LONG_TEXT_LENGTH,
            _ => 0,
        };
        if max == 0 || max > limit {
            errors.push(bad(&p("max_length"), Msg::FieldMaxLengthRange).with("max", limit));
        }
        field.max_length = Some(max);
    }
    if let Some(scale) = input.scale {
        if !matches!(t, FieldType::Decimal | FieldType::Money | FieldType::Percent) || scale > 8 {
            errors.push(bad(&p("scale"), Msg::FieldScaleNotAllowed));
        }
        field.scale = Some(scale);
    }
    if matches!(t, FieldType::Picklist | FieldType::MultiPicklist) {
        if input.options.is_empty() || input.options.len() > 1000 {
            errors.push(bad(&p("options"), Msg::FieldPicklistOptions));
        }
        for o in input.options {
            let (value, label) = match o {
                OptionInput::Value(v) => (v.trim().to_string(), None),
                OptionInput::Full { value, label } => (value.trim().to_string(), label),
            };
            if value.is_empty()
                || value.chars().count() > 100
                || field.has_option(&value)
                || value != value.to_lowercase()
            {
                errors.push(bad(&p("options"), Msg::FieldBadOption).with("value", &value));
                continue;
            }
            let label = label.map_or_else(|| Label::new(&value, &value, &value), LabelInput::into_label);
            field.options.push(PicklistOption::new(&value, label));
        }
    } else if !input.options.is_empty() {
        errors.push(bad(&p("options"), Msg::FieldOptionsNotAllowed));
    }
    if t == FieldType::Lookup {
        match input.target.as_deref() {
            Some(target) if schema.object(target).is_some() || target == object.name => {
                field.target = Some(target.into());
                field.indexed = true;
            }
            _ => errors.push(bad(&p("target"), Msg::FieldLookupTarget)),
        }
    } else if input.target.is_some() {
        errors.push(bad(&p("target"), Msg::FieldTargetNotAllowed));
    }
    if errors.is_empty() { Ok(field) } else { Err(errors) }
}

fn check_admin(actor: &Actor) -> Result<(), ServiceError> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(Msg::DetailAdminOnly))
    }
}

impl Crm {
    /// The values of a picklist field of `object` — retired ones too (stored records may
    /// hold them), unless `active_only`; none when there is no such field.
    pub fn picklist_values(&self, object: &str, field: &str, active_only: bool) -> Vec<String> {
        self.schema()
            .object(object)
            .and_then(|o| o.field(field).cloned())
            .map(|f| {
                f.options
                    .iter()
                    .filter(|o| o.active || !active_only)
                    .map(|o| o.value.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reads metadata from storage and installs it as the current schema.
    pub async fn reload_schema(&self) -> Result<(), ServiceError> {
        let version = system::meta_version(self.db()).await?;
        let (objects, fields) = system::custom_definitions(self.db()).await?;
        let mut schema = Schema::new(guanxi_core::builtin::standard_objects());
        for def in objects {
            let stored: StoredObject = serde_json::from_str(&def)
                .map_err(|e| ServiceError::Internal(format!("stored object definition unreadable: {e}")))?;
            schema.insert(ObjectDef {
                table: format!("co_{}", stored.plural),
                name: stored.name,
                plural: stored.plural,
                label: stored.label,
                plural_label: stored.plural_label,
                custom: true,
                name_field: stored.name_field,
                fields: system_fields(),
            });
        }
        for (object, def) in fields {
            let mut field: FieldDef = serde_json::from_str(&def)
                .map_err(|e| ServiceError::Internal(format!("stored field definition unreadable: {e}")))?;
            field.column = format!("cf_{}", field.name);
            field.custom = true;
            if let Some(o) = schema.object(&object) {
                let mut o = o.as_ref().clone();
                o.fields.push(field);
                schema.insert(o);
            }
        }
        for (object, name, def) in system::field_changes(self.db()).await? {
            let change: FieldChange = serde_json::from_str(&def)
                .map_err(|e| ServiceError::Internal(format!("stored field change unreadable: {e}")))?;
            if let Some(o) = schema.object(&object) {
                let mut o = o.as_ref().clone();
                if let Some(f) = o
                    .fields
                    .iter_mut()
                    .find(|f| f.name == name && !f.system && !f.custom)
                {
                    apply_change(f, change);
                    schema.insert(o);
                }
            }
        }
        self.set_schema(schema, version);
        Ok(())
    }

    /// Adds a custom field: its definition, column and index in one transaction.
    pub async fn add_field(
        &self,
        actor: &Actor,
        object: &str,
        input: Json,
    ) -> Result<FieldDef, ServiceError> {
        check_admin(actor)?;
        let schema = self.schema();
        let current = schema
            .object(object)
            .ok_or(ServiceError::NotFound)?
            .as_ref()
            .clone();
        let input: FieldInput = serde_json::from_value(input)
            .map_err(|e| ServiceError::Validation(vec![invalid("field", &e.to_string())]))?;
        let field = build_field(&current, &schema, input, "").map_err(ServiceError::Validation)?;
        let mut updated = current.clone();
        updated.fields.push(field.clone());
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let def = serde_json::to_string(&field).map_err(|e| ServiceError::Internal(e.to_string()))?;
        system::insert_custom_field(&mut tx, &updated.name, &field.name, &def, actor.user_id, now).await?;
        let detail = serde_json::json!({"field": field});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "metadata.field.create",
            Some(&updated.name),
            None,
            detail,
            now,
        )
        .await?;
        ddl::ensure_table(&mut tx, &updated).await?;
        system::bump_meta_version(&mut tx).await?;
        tx.commit().await?;
        self.reload_schema().await?;
        Ok(field)
    }

    /// Changes an existing field's labels and, for picklists, its values (order, labels,
    /// new values, retired ones). Standard fields keep the change beside their built-in
    /// definition; custom fields get their stored definition rewritten. One transaction
    /// with the audit entry; every node reloads.
    pub async fn update_field(
        &self,
        actor: &Actor,
        object: &str,
        field: &str,
        input: Json,
    ) -> Result<FieldDef, ServiceError> {
        check_admin(actor)?;
        // Check "no value removed" against what is stored now, not what this node loaded
        // up to two seconds ago (another node may have just added a value).
        self.refresh_schema().await?;
        let schema = self.schema();
        let current = schema
            .object(object)
            .and_then(|o| o.field(field))
            .ok_or(ServiceError::NotFound)?
            .clone();
        let object = schema.object(object).map(|o| o.name.clone()).unwrap_or_default();
        if current.system {
            return Err(ServiceError::field("field", Msg::FieldNotChangeable));
        }
        let changed = changed_field(&current, input).map_err(ServiceError::Validation)?;
        if changed == current {
            return Ok(current);
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if current.custom {
            let def = serde_json::to_string(&changed).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if !system::update_custom_field(&mut tx, &object, &changed.name, &def).await? {
                return Err(ServiceError::Internal(format!(
                    "custom field {object}.{field} has no stored definition"
                )));
            }
        } else {
            let change = FieldChange {
                label: changed.label.clone(),
                options: changed.options.clone(),
            };
            let def = serde_json::to_string(&change).map_err(|e| ServiceError::Internal(e.to_string()))?;
            system::put_field_change(&mut tx, &object, &changed.name, &def, Some(actor.user_id), now).await?;
        }
        let summary = |f: &FieldDef| serde_json::json!({"label": f.label, "options": f.options});
        let detail = serde_json::json!({"field": changed.name, "before": summary(&current), "after": summary(&changed)});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "metadata.field.update",
            Some(&object),
            None,
            detail,
            now,
        )
        .await?;
        system::bump_meta_version(&mut tx).await?;
        tx.commit().await?;
        self.reload_schema().await?;
        Ok(self
            .schema()
            .object(&object)
            .and_then(|o| o.field(field))
            .cloned()
            .unwrap_or(changed))
    }

    /// Adds a custom object (a new table) with a `name` field and any fields given.
    pub async fn add_object(&self, actor: &Actor, input: Json) -> Result<ObjectDef, ServiceError> {
        check_admin(actor)?;
        let schema = self.schema();
        let input: ObjectInput = serde_json::from_value(input)
            .map_err(|e| ServiceError::Validation(vec![invalid("object", &e.to_string())]))?;
        let mut errors = Vec::new();
        for (key, value) in [("name", &input.name), ("plural", &input.plural)] {
            if !is_valid_api_name(value) {
                errors.push(FieldError::new(key, Msg::InvalidName));
            } else if RESERVED_PLURALS.contains(&value.as_str())
                || schema
                    .objects()
                    .iter()
                    .any(|o| &o.name == value || &o.plural == value)
                || (key == "plural" && input.name == input.plural)
            {
                errors.push(FieldError::new(key, Msg::NameTaken));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let name = input.name.clone();
        let label = input
            .label
            .map_or_else(|| Label::new(&name, &name, &name), LabelInput::into_label);
        let plural_label = input
            .plural_label
            .map_or_else(|| label.clone(), LabelInput::into_label);
        let mut object = ObjectDef {
            name: name.clone(),
            plural: input.plural.clone(),
            label: label.clone(),
            plural_label: plural_label.clone(),
            custom: true,
            name_field: "name".into(),
            fields: system_fields(),
            table: format!("co_{}", input.plural),
        };
        let inputs = input.fields;
        let mut with_self = schema.as_ref().clone();
        with_self.insert(object.clone());
        if !inputs.iter().any(|f| f.name == "name") {
            let name_field = FieldInput {
                name: "name".into(),
                field_type: FieldType::Text,
                label: Some(LabelInput::Each(Label::new("Name", "名称", "名稱"))),
                required: true,
                unique: false,
                external_id: false,
                indexed: true,
                max_length: Some(200),
                scale: None,
                options: Vec::new(),
                target: None,
            };
            let field = build_field(&object, &with_self, name_field, "").map_err(ServiceError::Validation)?;
            object.fields.push(field);
        }
        let mut errors = Vec::new();
        for (i, f) in inputs.into_iter().enumerate() {
            match build_field(&object, &with_self, f, &format!("fields[{i}].")) {
                Ok(field) => object.fields.push(field),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let stored = StoredObject {
            name,
            plural: object.plural.clone(),
            label,
            plural_label,
            name_field: "name".into(),
        };
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let def = serde_json::to_string(&stored).map_err(|e| ServiceError::Internal(e.to_string()))?;
        system::insert_custom_object(&mut tx, &object.name, &def, actor.user_id, now).await?;
        let detail = serde_json::json!({"object": &stored, "fields": object.fields.iter().filter(|f| f.custom).collect::<Vec<_>>()});
        crate::audit::record(
            &mut tx,
            Some(actor),
            "metadata.object.create",
            Some(&object.name),
            None,
            detail,
            now,
        )
        .await?;
        for f in object.fields.iter().filter(|f| f.custom) {
            let fdef = serde_json::to_string(f).map_err(|e| ServiceError::Internal(e.to_string()))?;
            system::insert_custom_field(&mut tx, &object.name, &f.name, &fdef, actor.user_id, now).await?;
        }
        ddl::ensure_table(&mut tx, &object).await?;
        system::bump_meta_version(&mut tx).await?;
        tx.commit().await?;
        self.reload_schema().await?;
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(values: &[&str]) -> FieldDef {
        let mut f = FieldDef::new("stage", FieldType::Picklist, Label::new("Stage", "阶段", "階段"));
        f.options = values
            .iter()
            .map(|v| PicklistOption::new(v, Label::new(v, v, v)))
            .collect();
        f
    }

    #[test]
    fn a_stored_change_keeps_values_a_later_release_adds_after_its_own() {
        let mut f = stage(&["a", "b", "new_in_release"]);
        let mut retired = PicklistOption::new("a", Label::new("A", "甲", "甲"));
        retired.active = false;
        let change = FieldChange {
            label: Label::new("Phase", "阶段", "階段"),
            options: vec![PicklistOption::new("b", Label::new("b", "b", "b")), retired],
        };
        apply_change(&mut f, change);
        let values: Vec<(&str, bool)> = f.options.iter().map(|o| (o.value.as_str(), o.active)).collect();
        assert_eq!(values, [("b", true), ("a", false), ("new_in_release", true)]);
        assert_eq!(f.label.en, "Phase");
    }

    #[test]
    fn a_change_names_each_problem_by_its_path() {
        let f = stage(&["a", "b"]);
        let paths = |input: Json| -> Vec<String> {
            changed_field(&f, input)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(paths(serde_json::json!({"options": ["b"]})), ["options"]);
        assert_eq!(
            paths(serde_json::json!({"options": ["a", "b", "B", "b"]})),
            ["options[2].value", "options[3].value"]
        );
        assert_eq!(
            paths(serde_json::json!({"label": {"en": "", "zh-CN": "阶段", "zh-TW": "階段"}})),
            ["label.en"]
        );
        assert_eq!(paths(serde_json::json!({"name": "phase"})), ["name"]);
        let ok = changed_field(
            &f,
            serde_json::json!({"options": ["b", {"value": "a", "active": false}, "c"]}),
        )
        .unwrap_or_else(|_| stage(&[]));
        let values: Vec<(&str, bool, &str)> = ok
            .options
            .iter()
            .map(|o| (o.value.as_str(), o.active, o.label.en.as_str()))
            .collect();
        assert_eq!(values, [("b", true, "b"), ("a", false, "a"), ("c", true, "c")]);
    }
}

//! Object and field metadata: what every record table looks like.
//! Standard objects ship in code (see `builtin`); custom ones are read from storage.
//! This module only describes; it never touches a database.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// A text in the three languages of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(rename = "zh-TW")]
    pub zh_tw: String,
}

impl Label {
    pub fn new(en: &str, zh_cn: &str, zh_tw: &str) -> Self {
        Label {
            en: en.into(),
            zh_cn: zh_cn.into(),
            zh_tw: zh_tw.into(),
        }
    }

    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::ZhCn => &self.zh_cn,
            Locale::ZhTw => &self.zh_tw,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Integer,
    Decimal,
    Money,
    Percent,
    Date,
    Datetime,
    Boolean,
    Picklist,
    MultiPicklist,
    Email,
    Phone,
    Url,
    Lookup,
    User,
    Tags,
    /// Record identifiers (`id`); never user-supplied.
    Id,
}

impl FieldType {
    pub const USER_CREATABLE: [FieldType; 17] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Integer,
        FieldType::Decimal,
        FieldType::Money,
        FieldType::Percent,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Boolean,
        FieldType::Picklist,
        FieldType::MultiPicklist,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Url,
        FieldType::Lookup,
        FieldType::User,
        FieldType::Tags,
    ];

    /// How the value is held in a column, independent of the SQL dialect.
    pub fn column_kind(self, scale: u32) -> ColumnKind {
        match self {
            FieldType::Text
            | FieldType::LongText
            | FieldType::Picklist
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url => ColumnKind::Text,
            FieldType::MultiPicklist | FieldType::Tags => ColumnKind::Text,
            FieldType::Integer => ColumnKind::Int,
            FieldType::Decimal | FieldType::Money | FieldType::Percent => ColumnKind::Decimal(scale),
            FieldType::Date => ColumnKind::Date,
            FieldType::Datetime => ColumnKind::DateTime,
            FieldType::Boolean => ColumnKind::Bool,
            FieldType::Lookup | FieldType::User | FieldType::Id => ColumnKind::Uuid,
        }
    }

    pub fn default_scale(self) -> u32 {
        match self {
            FieldType::Money | FieldType::Percent => 2,
            FieldType::Decimal => 4,
            _ => 0,
        }
    }

    /// Types whose values order meaningfully and so may carry an index for sorting.
    pub fn sortable(self) -> bool {
        !matches!(
            self,
            FieldType::LongText | FieldType::MultiPicklist | FieldType::Tags
        )
    }

    pub fn is_list(self) -> bool {
        matches!(self, FieldType::MultiPicklist | FieldType::Tags)
    }
}

/// Storage shape of a column; the storage crate maps it to SQL per dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Int,
    Bool,
    /// Exact decimal with this many fractional digits.
    Decimal(u32),
    Date,
    DateTime,
    Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistOption {
    pub value: String,
    pub label: Label,
    /// Offered for new input. A retired value (`false`) stays readable and labelled on
    /// the records that hold it; it is never removed, so stored data keeps its meaning.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

impl PicklistOption {
    pub fn new(value: &str, label: Label) -> Self {
        PicklistOption {
            value: value.into(),
            label,
            active: true,
        }
    }
}

/// Largest number of significant digits a decimal field holds, on every backend.
pub const DECIMAL_PRECISION: u32 = 18;
pub const MAX_TEXT_LENGTH: u32 = 255;
pub const MAX_LONG_TEXT_LENGTH: u32 = 32_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub label: Label,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    /// Usable as the key of a bulk upsert; implies `unique`.
    #[serde(default)]
    pub external_id: bool,
    /// Has a database index, so it may be used to sort lists.
    #[serde(default)]
    pub indexed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PicklistOption>,
    /// Target object of a lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default)]
    pub custom: bool,
    /// Maintained by the system (id, timestamps, version); never written by callers.
    #[serde(default)]
    pub system: bool,
    /// Column name in the record table.
    #[serde(skip)]
    pub column: String,
}

impl FieldDef {
    pub fn new(name: &str, field_type: FieldType, label: Label) -> Self {
        FieldDef {
            name: name.into(),
            label,
            field_type,
            required: false,
            unique: false,
            external_id: false,
            indexed: false,
            max_length: None,
            scale: None,
            options: Vec::new(),
            target: None,
            custom: false,
            system: false,
            column: name.into(),
        }
    }

    pub fn scale(&self) -> u32 {
        self.scale.unwrap_or_else(|| self.field_type.default_scale())
    }

    pub fn column_kind(&self) -> ColumnKind {
        self.field_type.column_kind(self.scale())
    }

    pub fn max_length(&self) -> u32 {
        self.max_length.unwrap_or(match self.field_type {
            FieldType::LongText => MAX_LONG_TEXT_LENGTH,
            FieldType::Url | FieldType::Email => 320,
            _ => MAX_TEXT_LENGTH,
        })
    }

    /// The column holding a money field's currency code.
    pub fn currency_column(&self) -> Option<String> {
        (self.field_type == FieldType::Money).then(|| format!("{}_currency", self.column))
    }

    pub fn has_option(&self, value: &str) -> bool {
        self.options.iter().any(|o| o.value == value)
    }

    /// The options offered for new input, in order (retired ones left out).
    pub fn active_options(&self) -> impl Iterator<Item = &PicklistOption> {
        self.options.iter().filter(|o| o.active)
    }

    /// How a stored picklist value reads in `locale`: its option's label, else the value.
    pub fn option_label<'a>(&'a self, value: &'a str, locale: crate::Locale) -> &'a str {
        self.options
            .iter()
            .find(|o| o.value == value)
            .map_or(value, |o| o.label.get(locale))
    }

    pub fn writable(&self) -> bool {
        !self.system || self.name == "owner"
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectDef {
    /// Singular API name (`contact`).
    pub name: String,
    /// Plural API name, the collection path (`contacts`).
    pub plural: String,
    pub label: Label,
    pub plural_label: Label,
    #[serde(default)]
    pub custom: bool,
    /// Field shown as the record's title.
    pub name_field: String,
    pub fields: Vec<FieldDef>,
    #[serde(skip)]
    pub table: String,
}

impl ObjectDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Fields a caller may set.
    pub fn writable_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.writable())
    }
}

/// The system fields every record has, in this order, before the object's own fields.
pub fn system_fields() -> Vec<FieldDef> {
    let mut id = FieldDef::new("id", FieldType::Id, Label::new("ID", "ID", "ID"));
    id.system = true;
    id.indexed = true;
    id.unique = true;
    let mut created_at = FieldDef::new(
        "created_at",
        FieldType::Datetime,
        Label::new("Created", "创建时间", "建立時間"),
    );
    created_at.system = true;
    created_at.indexed = true;
    let mut updated_at = FieldDef::new(
        "updated_at",
        FieldType::Datetime,
        Label::new("Last modified", "最后修改时间", "最後修改時間"),
    );
    updated_at.system = true;
    updated_at.indexed = true;
    let mut created_by = FieldDef::new(
        "created_by",
        FieldType::User,
        Label::new("Created by", "创建人", "建立者"),
    );
    created_by.system = true;
    let mut owner = FieldDef::new("owner", FieldType::User, Label::new("Owner", "负责人", "負責人"));
    owner.system = true;
    owner.indexed = true;
    let mut version = FieldDef::new(
        "version",
        FieldType::Integer,
        Label::new("Version", "版本", "版本"),
    );
    version.system = true;
    let mut deleted_at = FieldDef::new(
        "deleted_at",
        FieldType::Datetime,
        Label::new("Deleted", "删除时间", "刪除時間"),
    );
    deleted_at.system = true;
    vec![id, created_at, updated_at, created_by, owner, version, deleted_at]
}

/// All objects known at one moment. Cheap to share; replaced whole when metadata changes.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    objects: Vec<Arc<ObjectDef>>,
    by_name: HashMap<String, usize>,
    by_plural: HashMap<String, usize>,
}

impl Schema {
    pub fn new(objects: Vec<ObjectDef>) -> Self {
        let mut schema = Schema::default();
        for object in objects {
            schema.insert(object);
        }
        schema
    }

    pub fn insert(&mut self, object: ObjectDef) {
        if let Some(&i) = self.by_name.get(&object.name) {
            self.by_plural.remove(&self.objects[i].plural);
            self.by_plural.insert(object.plural.clone(), i);
            self.objects[i] = Arc::new(object);
            return;
        }
        let i = self.objects.len();
        self.by_name.insert(object.name.clone(), i);
        self.by_plural.insert(object.plural.clone(), i);
        self.objects.push(Arc::new(object));
    }

    pub fn object(&self, name: &str) -> Option<&Arc<ObjectDef>> {
        self.by_name.get(name).map(|&i| &self.objects[i])
    }

    pub fn by_plural(&self, plural: &str) -> Option<&Arc<ObjectDef>> {
        self.by_plural.get(plural).map(|&i| &self.objects[i])
    }

    /// An object by its name or, failing that, its plural (what paths and inputs give).
    pub fn named(&self, name_or_plural: &str) -> Option<&Arc<ObjectDef>> {
        self.object(name_or_plural)
            .or_else(|| self.by_plural(name_or_plural))
    }

    pub fn objects(&self) -> &[Arc<ObjectDef>] {
        &self.objects
    }
}

/// API names: lower-case ASCII letters, digits and underscores, starting with a letter.
pub fn is_valid_api_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 40
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !name.ends_with('_')
        && !name.contains("__")
}

/// Names that are not allowed for custom fields: system fields, and words the
/// API or SQL gives a meaning of their own.
pub fn is_reserved_name(name: &str) -> bool {
    system_fields().iter().any(|f| f.name == name)
        || matches!(
            name,
            "select"
                | "from"
                | "where"
                | "order"
                | "group"
                | "table"
                | "cursor"
                | "limit"
                | "filter"
                | "sort"
                | "fields"
                | "and"
                | "or"
                | "not"
                | "null"
                | "true"
                | "false"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_are_snake_case_ascii() {
        assert!(is_valid_api_name("contract_value"));
        assert!(is_valid_api_name("a1"));
        assert!(!is_valid_api_name("1a"));
        assert!(!is_valid_api_name("Name"));
        assert!(!is_valid_api_name("客户"));
        assert!(!is_valid_api_name("a-b"));
        assert!(!is_valid_api_name("a__b"));
        assert!(!is_valid_api_name(""));
        assert!(!is_valid_api_name(&"a".repeat(41)));
    }

    #[test]
    fn options_stored_before_retiring_existed_read_as_active() {
        let o: PicklistOption =
            serde_json::from_str(r#"{"value":"a","label":{"en":"A","zh-CN":"甲","zh-TW":"甲"}}"#).unwrap();
        assert_eq!(o.value, "a");
        assert!(o.active);
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["active"], serde_json::json!(true));
    }

    #[test]
    fn system_fields_are_reserved() {
        assert!(is_reserved_name("owner"));
        assert!(is_reserved_name("version"));
        assert!(!is_reserved_name("region"));
    }
}

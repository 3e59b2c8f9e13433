//! Page layouts: how a record page and its form group an object's fields into titled
//! sections, in order. One per object, set by administrators. What is read always fits
//! the metadata as it is now (fields gone are dropped, new ones appended), so a layout
//! never hides a field and never breaks a page; who may see a field is not decided here.

use std::collections::HashSet;

use guanxi_core::metadata::{FieldDef, Label, ObjectDef};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_storage::system;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::metadata::LabelInput;
use crate::{Actor, Crm, ServiceError};

/// Fields no page shows (the record's id, version and deletion time): never in a layout.
pub const NOT_SHOWN: [&str; 3] = ["id", "version", "deleted_at"];

/// System fields the default layout puts in its own last section.
const SYSTEM_SECTION: [&str; 4] = ["owner", "created_by", "created_at", "updated_at"];

pub const MAX_LABEL: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub sections: Vec<Section>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub label: Label,
    /// Field names, in the order the page shows them.
    pub fields: Vec<String>,
}

/// What an administrator sends: sections with a label (one text, or one per language)
/// and field names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutInput {
    sections: Vec<SectionInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionInput {
    label: LabelInput,
    #[serde(default)]
    fields: Vec<String>,
}

fn catalogue_label(msg: Msg) -> Label {
    Label::new(
        msg.text(Locale::En),
        msg.text(Locale::ZhCn),
        msg.text(Locale::ZhTw),
    )
}

/// The fields a layout can place.
pub fn placeable(object: &ObjectDef) -> impl Iterator<Item = &FieldDef> {
    object
        .fields
        .iter()
        .filter(|f| !NOT_SHOWN.contains(&f.name.as_str()))
}

impl Layout {
    /// Without a saved layout: the object's own fields, then owner and timestamps.
    pub fn default_for(object: &ObjectDef) -> Layout {
        let details = object
            .fields
            .iter()
            .filter(|f| !f.system)
            .map(|f| f.name.clone())
            .collect();
        let system = SYSTEM_SECTION
            .iter()
            .filter(|n| object.field(n).is_some())
            .map(|n| n.to_string())
            .collect();
        Layout {
            sections: vec![
                Section {
                    label: catalogue_label(Msg::UiDetails),
                    fields: details,
                },
                Section {
                    label: catalogue_label(Msg::UiSystemInfo),
                    fields: system,
                },
            ],
        }
    }

    /// The layout fitted to the object as it is now: fields that no longer exist are
    /// dropped, each field is placed once, and fields it does not place are appended to
    /// its last section.
    pub fn fitted(mut self, object: &ObjectDef) -> Layout {
        let mut seen = HashSet::new();
        for s in &mut self.sections {
            s.fields.retain(|f| {
                object.field(f).is_some() && !NOT_SHOWN.contains(&f.as_str()) && seen.insert(f.clone())
            });
        }
        let missing: Vec<String> = placeable(object)
            .filter(|f| !seen.contains(&f.name))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            match self.sections.last_mut() {
                Some(last) => last.fields.extend(missing),
                None => self.sections.push(Section {
                    label: catalogue_label(Msg::UiDetails),
                    fields: missing,
                }),
            }
        }
        self
    }
}

/// Checks a layout against the object: at least one section, every label given, every
/// field an existing one a page shows, and no field twice.
fn check(object: &ObjectDef, input: LayoutInput) -> Result<Layout, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.sections.is_empty() {
        errors.push(FieldError::new("sections", Msg::LayoutNoSections));
    }
    let mut seen = HashSet::new();
    let mut sections = Vec::new();
    for (i, s) in input.sections.into_iter().enumerate() {
        let mut label = s.label.into_label();
        for text in [&mut label.en, &mut label.zh_cn, &mut label.zh_tw] {
            *text = text.trim().to_string();
        }
        let at = format!("sections[{i}].label");
        if [&label.en, &label.zh_cn, &label.zh_tw]
            .iter()
            .any(|t| t.is_empty())
        {
            errors.push(FieldError::new(&at, Msg::Required));
        } else if [&label.en, &label.zh_cn, &label.zh_tw]
            .iter()
            .any(|t| t.chars().count() > MAX_LABEL)
        {
            errors.push(FieldError::new(&at, Msg::TooLong).with("max", MAX_LABEL));
        }
        let mut fields = Vec::new();
        for (j, name) in s.fields.into_iter().enumerate() {
            let name = name.trim().to_string();
            let at = format!("sections[{i}].fields[{j}]");
            let msg = if object.field(&name).is_none() {
                Some(Msg::LayoutUnknownField)
            } else if NOT_SHOWN.contains(&name.as_str()) {
                Some(Msg::LayoutFieldNotShown)
            } else if !seen.insert(name.clone()) {
                Some(Msg::LayoutFieldTwice)
            } else {
                None
            };
            match msg {
                Some(m) => errors.push(FieldError::new(&at, m).with("field", &name)),
                None => fields.push(name),
            }
        }
        sections.push(Section { label, fields });
    }
    if errors.is_empty() {
        Ok(Layout { sections })
    } else {
        Err(errors)
    }
}

impl Crm {
    /// The layout of an object's pages: the saved one fitted to the object, else the default.
    pub async fn layout(&self, object: &ObjectDef) -> Result<Layout, ServiceError> {
        let saved = system::layout(self.db(), &object.name).await?;
        let layout = match saved.map(|s| serde_json::from_str::<Layout>(&s)) {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                tracing::warn!(object = %object.name, error = %e, "unreadable page layout; the default is used");
                Layout::default_for(object)
            }
            None => Layout::default_for(object),
        };
        Ok(layout.fitted(object))
    }

    /// Saves an object's layout (administrators). Audited as `layout.update`. Layouts are
    /// read from the database on each page, so no cache needs telling.
    pub async fn set_layout(&self, actor: &Actor, object: &str, input: Json) -> Result<Layout, ServiceError> {
        if !actor.administers() {
            return Err(ServiceError::Forbidden(Msg::DetailAdminOnly));
        }
        let def = self
            .schema()
            .object(object)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        let input: LayoutInput = serde_json::from_value(input).map_err(|e| {
            ServiceError::Validation(vec![
                FieldError::new("layout", Msg::InvalidJson).with("reason", e),
            ])
        })?;
        let layout = check(&def, input).map_err(ServiceError::Validation)?;
        let definition = serde_json::to_string(&layout).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.now();
        let by = Some(actor.user_id).filter(|u| !u.is_nil());
        let mut tx = self.db().begin().await?;
        system::put_layout(&mut tx, &def.name, &definition, by, now).await?;
        crate::audit::record(
            &mut tx,
            Some(actor),
            "layout.update",
            Some(&def.name),
            None,
            json!({ "layout": &layout }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(layout.fitted(&def))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> ObjectDef {
        guanxi_core::builtin::standard_objects()
            .into_iter()
            .find(|o| o.name == "contact")
            .unwrap()
    }

    #[test]
    fn the_default_places_every_shown_field_once_with_system_fields_last() {
        let o = contact();
        let l = Layout::default_for(&o);
        assert_eq!(l.sections.len(), 2);
        assert_eq!(l.sections[0].fields[0], "name");
        assert_eq!(l.sections[1].fields, SYSTEM_SECTION);
        let placed: usize = l.sections.iter().map(|s| s.fields.len()).sum();
        assert_eq!(placed, placeable(&o).count());
        assert_eq!(l.clone().fitted(&o), l);
    }

    #[test]
    fn fitting_drops_gone_and_repeated_fields_and_appends_missing_ones() {
        let o = contact();
        let saved = Layout {
            sections: vec![Section {
                label: Label::new("A", "甲", "甲"),
                fields: vec!["city".into(), "gone".into(), "city".into(), "id".into()],
            }],
        };
        let l = saved.fitted(&o);
        assert_eq!(l.sections.len(), 1);
        assert_eq!(l.sections[0].fields[0], "city");
        assert_eq!(l.sections[0].fields.iter().filter(|f| *f == "city").count(), 1);
        assert!(!l.sections[0].fields.iter().any(|f| f == "gone" || f == "id"));
        assert!(l.sections[0].fields.iter().any(|f| f == "name"));
    }

    #[test]
    fn checking_names_each_bad_field_by_its_place() {
        let o = contact();
        let input: LayoutInput = serde_json::from_value(json!({"sections": [
            {"label": "Main", "fields": ["name", "nope", "name", "version"]},
            {"label": {"en": "", "zh-CN": "其他", "zh-TW": "其他"}, "fields": []}
        ]}))
        .unwrap();
        let errors = check(&o, input).unwrap_err();
        let at: Vec<(&str, Msg)> = errors.iter().map(|e| (e.field.as_str(), e.msg)).collect();
        assert_eq!(
            at,
            [
                ("sections[0].fields[1]", Msg::LayoutUnknownField),
                ("sections[0].fields[2]", Msg::LayoutFieldTwice),
                ("sections[0].fields[3]", Msg::LayoutFieldNotShown),
                ("sections[1].label", Msg::Required),
            ]
        );
        let none: LayoutInput = serde_json::from_value(json!({"sections": []})).unwrap();
        assert_eq!(check(&o, none).unwrap_err()[0].msg, Msg::LayoutNoSections);
    }
}

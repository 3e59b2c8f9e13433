//! Files attached to records: colleagues attach them to what they may edit and read those
//! of what they may read; customers attach them to their company's cases in the portal and
//! read the files of those cases. Each upload is checked (a name, not empty, at most
//! `MAX_FILE_BYTES`, at most `MAX_FILES` per record) and audited.

use base64::Engine;
use guanxi_core::access::UserKind;
use guanxi_core::values::Record;
use guanxi_core::{FieldError, Msg, ObjectDef};
use guanxi_storage::files::{self, FileRow};
use serde_json::json;
use uuid::Uuid;

use crate::cases::CASE;
use crate::{Actor, Crm, ServiceError};

/// The largest file one may attach (10 MiB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// How many files one record may hold.
pub const MAX_FILES: i64 = 50;

/// The name a file is kept under: its last path part, without control characters, at most
/// 200 characters; `None` when nothing is left.
fn file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').trim().to_string();
    (!clean.is_empty()).then_some(clean)
}

/// A media type as the uploader declared it when well formed (`type/subtype`), else
/// `application/octet-stream`.
fn media_type(declared: &str) -> String {
    let t = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ok = t.len() <= 100
        && t.split_once('/').is_some_and(|(a, b)| {
            let part = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
            };
            part(a) && part(b)
        });
    if ok { t } else { "application/octet-stream".into() }
}

impl Crm {
    async fn store_file(
        &self,
        by: &Actor,
        object: &str,
        record: Uuid,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<FileRow, ServiceError> {
        let mut errors = Vec::new();
        let name = file_name(name);
        if name.is_none() {
            errors.push(FieldError::new("file", Msg::FileNoName));
        }
        if bytes.is_empty() {
            errors.push(FieldError::new("file", Msg::FileEmpty));
        } else if bytes.len() > MAX_FILE_BYTES {
            errors
                .push(FieldError::new("file", Msg::FileTooLarge).with("max", MAX_FILE_BYTES / (1024 * 1024)));
        }
        if !errors.is_empty() {
            errors.truncate(1);
            return Err(ServiceError::Validation(errors));
        }
        let now = self.now();
        let row = FileRow {
            id: Uuid::now_v7(),
            object: object.into(),
            record_id: record,
            name: name.unwrap_or_default(),
            content_type: media_type(content_type),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            uploaded_by: by.email.clone(),
            created_at: now,
        };
        let mut tx = self.db().begin().await?;
        if files::count(&mut tx, object, record).await? >= MAX_FILES {
            return Err(ServiceError::Validation(vec![
                FieldError::new("file", Msg::FileTooMany).with("max", MAX_FILES),
            ]));
        }
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        files::put_file(&mut tx, &row, &data).await?;
        let detail = json!({"file": row.id, "name": row.name, "size": row.size,
                            "sha256": crate::identity::sha256_hex(bytes)});
        crate::audit::record(
            &mut tx,
            Some(by),
            "file.attach",
            Some(object),
            Some(record),
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A colleague attaches a file to a record they may edit.
    pub async fn attach_file(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<FileRow, ServiceError> {
        let (_, def) = self.object(object)?;
        let access = self.access(actor, &def);
        let record = self.readable_with(&access, &def, id).await?;
        self.editable_with(&access, &def, &record).await?;
        self.store_file(actor, &def.name, id, name, content_type, bytes)
            .await
    }

    /// A customer attaches a file to one of their company's cases (not a closed one).
    pub async fn portal_attach(
        &self,
        actor: &Actor,
        case: Uuid,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<FileRow, ServiceError> {
        let seen = self.portal_case(actor, case).await?;
        let (_, def) = self.object(CASE)?;
        if guanxi_core::values::field(&def, &seen.case, "status").text() == "closed" {
            return Err(ServiceError::field("file", Msg::PortalCaseClosed));
        }
        self.store_file(actor, CASE, case, name, content_type, bytes)
            .await
    }

    /// The files of a record the actor may read (a customer: of their company's case).
    pub async fn record_files(
        &self,
        actor: &Actor,
        object: &str,
        id: Uuid,
    ) -> Result<Vec<FileRow>, ServiceError> {
        let (_, def) = self.object(object)?;
        if actor.kind == UserKind::Portal {
            if def.name != CASE {
                return Err(ServiceError::NotFound);
            }
            self.portal_case(actor, id).await?;
        } else {
            self.get(actor, &def.name, id, false).await?;
        }
        Ok(files::files(self.db(), &def.name, id).await?)
    }

    /// The files of a record the caller has just read (so may see them).
    pub async fn files_of(&self, object: &ObjectDef, record: &Record) -> Result<Vec<FileRow>, ServiceError> {
        match record.id() {
            Some(id) => Ok(files::files(self.db(), &object.name, id).await?),
            None => Ok(Vec::new()),
        }
    }

    /// A file and its content, for whoever may read its record.
    pub async fn file_content(&self, actor: &Actor, id: Uuid) -> Result<(FileRow, Vec<u8>), ServiceError> {
        let (row, data) = files::file(self.db(), id).await?.ok_or(ServiceError::NotFound)?;
        // Reading the record's files checks the reader may see the record.
        match self.record_files(actor, &row.object, row.record_id).await {
            Ok(_) => {}
            Err(ServiceError::Forbidden(_)) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e),
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_bytes())
            .map_err(|e| ServiceError::Internal(format!("file {id} unreadable: {e}")))?;
        Ok((row, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::{file_name, media_type};

    #[test]
    fn a_files_name_is_its_last_path_part_without_control_characters() {
        assert_eq!(
            file_name("C:\\Users\\wang\\报修照片.jpg").as_deref(),
            Some("报修照片.jpg")
        );
        assert_eq!(file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(file_name("a\u{0}b\n.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(file_name("  ").as_deref(), None);
        assert_eq!(file_name("dir/").as_deref(), None);
        assert_eq!(file_name("..").as_deref(), None);
    }

    #[test]
    fn only_a_well_formed_media_type_is_kept() {
        assert_eq!(media_type("image/JPEG"), "image/jpeg");
        assert_eq!(media_type("text/plain; charset=utf-8"), "text/plain");
        assert_eq!(media_type("text/html\r\nX-Evil: 1"), "application/octet-stream");
        assert_eq!(media_type(""), "application/octet-stream");
    }
}

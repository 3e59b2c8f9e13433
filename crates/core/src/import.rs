//! The pure half of importing a spreadsheet: which column feeds which field (by API name,
//! by label in any language, by common synonyms, or by a mapping the user gives), and how
//! company names compare. No IO: the services read files and write records.

use crate::metadata::{FieldType, ObjectDef};

/// Where one column of the file goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Into the field with this index in `ObjectDef::fields`.
    Field(usize),
    /// A company (account) by name, into the lookup field with this index: an existing
    /// account of that name is linked, else one is created.
    Company(usize),
}

/// The columns of a file, mapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// One entry per column of the file; `None`: ignored.
    pub targets: Vec<Option<Target>>,
    /// Headers that match no field (reported once, then ignored).
    pub unknown: Vec<String>,
    /// Headers that map to a field an earlier column already feeds (ignored).
    pub twice: Vec<String>,
}

impl ColumnMap {
    /// The column feeding field index `i`, if any.
    pub fn column_of(&self, i: usize) -> Option<usize> {
        self.targets.iter().position(|t| match t {
            Some(Target::Field(f) | Target::Company(f)) => *f == i,
            None => false,
        })
    }
}

/// What a mapping file says about one header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapped {
    /// A field's API name (or `company`).
    To(String),
    /// Leave this column out.
    Ignore,
}

/// Full-width ASCII forms (Ａ, １, （, ，) and the ideographic space as their plain forms.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A header as it is compared: width-folded, lower-case, without spaces, `_`, `-`, `*`
/// (a required-column mark in many templates) or a trailing colon.
pub fn header_key(s: &str) -> String {
    fold_width(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | ':' | '：' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A company name as it is compared: trimmed, width-folded, inner runs of spaces as one,
/// Latin letters case-insensitive. `（北京）华通科技` and `(北京)华通科技 ` are one company.
pub fn company_key(s: &str) -> String {
    fold_width(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Common headers of contact lists, Chinese and English, and the field they mean.
/// `company` stands for the account lookup.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "姓名",
            "名字",
            "联系人",
            "聯絡人",
            "联系人姓名",
            "name",
            "fullname",
            "contact",
        ],
    ),
    (
        "mobile",
        &[
            "手机",
            "手机号",
            "手机号码",
            "手機",
            "手機號碼",
            "移动电话",
            "行動電話",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
        ],
    ),
    (
        "phone",
        &[
            "电话",
            "座机",
            "办公电话",
            "電話",
            "辦公電話",
            "固定电话",
            "phone",
            "telephone",
            "tel",
            "officephone",
            "workphone",
        ],
    ),
    (
        "email",
        &[
            "邮箱",
            "电子邮件",
            "电子邮箱",
            "邮件",
            "電子郵件",
            "郵箱",
            "email",
            "e-mail",
            "mail",
            "emailaddress",
        ],
    ),
    (
        "company",
        &[
            "公司",
            "单位",
            "公司名称",
            "客户",
            "客户名称",
            "所属公司",
            "工作单位",
            "公司名稱",
            "客戶",
            "客戶名稱",
            "company",
            "companyname",
            "organization",
            "organisation",
            "account",
            "accountname",
        ],
    ),
    ("city", &["城市", "所在城市", "city"]),
    (
        "title",
        &["职位", "职务", "職位", "職稱", "title", "jobtitle", "position"],
    ),
    ("department", &["部门", "部門", "department", "dept"]),
    ("province", &["省份", "省", "province", "state"]),
    ("wechat", &["微信", "微信号", "微信號", "wechat", "weixin"]),
    (
        "description",
        &["备注", "備註", "说明", "notes", "note", "remarks", "description"],
    ),
    ("external_id", &["外部编号", "外部編號", "编号", "externalid"]),
    ("address", &["地址", "通讯地址", "address"]),
    ("birthday", &["生日", "出生日期", "birthday", "dateofbirth"]),
    ("english_name", &["英文名", "englishname"]),
    ("tags", &["标签", "標籤", "tags"]),
];

/// The field a header names on `object`, by API name, then label in any language, then
/// synonym. System fields other than the owner are never targets.
fn by_header(object: &ObjectDef, key: &str) -> Option<Target> {
    let writable = |i: usize| object.fields[i].writable();
    let named = |name: &str| {
        object
            .fields
            .iter()
            .position(|f| header_key(&f.name) == header_key(name))
            .filter(|i| writable(*i))
    };
    if let Some(i) = named(key) {
        return Some(target(object, i));
    }
    let labelled = object.fields.iter().position(|f| {
        [&f.label.en, &f.label.zh_cn, &f.label.zh_tw]
            .iter()
            .any(|l| header_key(l) == key)
    });
    if let Some(i) = labelled.filter(|i| writable(*i)) {
        return Some(target(object, i));
    }
    let (name, _) = SYNONYMS
        .iter()
        .find(|(_, words)| words.iter().any(|w| header_key(w) == key))?;
    to_field(object, name)
}

/// `name` (an API name, or `company`) as a target on `object`.
fn to_field(object: &ObjectDef, name: &str) -> Option<Target> {
    // In a list of accounts the company is the account itself.
    if header_key(name) == "company" && object.name == "account" {
        return to_field(object, &object.name_field);
    }
    if header_key(name) == "company" && object.field("company").is_none() {
        return company_lookup(object).map(Target::Company);
    }
    let i = object
        .fields
        .iter()
        .position(|f| f.name == name.trim())
        .filter(|i| object.fields[*i].writable())?;
    Some(target(object, i))
}

/// The lookup to accounts that a company column fills: the field named `account`, else the
/// only lookup to accounts.
fn company_lookup(object: &ObjectDef) -> Option<usize> {
    let lookups: Vec<usize> = object
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.field_type == FieldType::Lookup && f.target.as_deref() == Some("account"))
        .map(|(i, _)| i)
        .collect();
    lookups
        .iter()
        .copied()
        .find(|i| object.fields[*i].name == "account")
        .or_else(|| (lookups.len() == 1).then(|| lookups[0]))
}

fn target(object: &ObjectDef, i: usize) -> Target {
    let f = &object.fields[i];
    if f.field_type == FieldType::Lookup && f.target.as_deref() == Some("account") {
        Target::Company(i)
    } else {
        Target::Field(i)
    }
}

/// Error of a mapping: the header or field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingError {
    /// The mapping names a field the object does not have (or one that cannot be written).
    UnknownField(String),
}

/// Maps the headers of a file onto `object`. `overrides` (from a mapping file, header →
/// field) win over everything else; the first column to claim a field keeps it.
pub fn map_headers(
    object: &ObjectDef,
    headers: &[String],
    overrides: &[(String, Mapped)],
) -> Result<ColumnMap, MappingError> {
    let mut map = ColumnMap::default();
    let mut taken: Vec<usize> = Vec::new();
    for header in headers {
        let key = header_key(header);
        let given = overrides.iter().rev().find(|(h, _)| header_key(h) == key);
        let t = match given {
            Some((_, Mapped::Ignore)) => {
                map.targets.push(None);
                continue;
            }
            Some((_, Mapped::To(field))) => {
                Some(to_field(object, field).ok_or_else(|| MappingError::UnknownField(field.clone()))?)
            }
            None if key.is_empty() => None,
            None => by_header(object, &key),
        };
        match t {
            Some(Target::Field(i) | Target::Company(i)) if taken.contains(&i) => {
                map.twice.push(header.clone());
                map.targets.push(None);
            }
            Some(t) => {
                let (Target::Field(i) | Target::Company(i)) = t;
                taken.push(i);
                map.targets.push(Some(t));
            }
            None => {
                if !key.is_empty() {
                    map.unknown.push(header.clone());
                }
                map.targets.push(None);
            }
        }
    }
    Ok(map)
}

/// Reads a mapping file: either TOML-like `"header" = "field"` pairs (an optional
/// `[columns]` or `[mapping]` table heading is allowed) or plain `header = field` lines.
/// `#` starts a comment; a field of `""` or `-` leaves the column out. Returns the line
/// number of the first line that is neither.
pub fn parse_mapping(text: &str) -> Result<Vec<(String, Mapped)>, usize> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            continue;
        }
        let Some((header, field)) = split_pair(line) else {
            return Err(n + 1);
        };
        let header = unquote(header);
        let field = unquote(strip_comment(field));
        if header.is_empty() {
            return Err(n + 1);
        }
        let mapped = if field.is_empty() || field == "-" {
            Mapped::Ignore
        } else {
            Mapped::To(field)
        };
        out.push((header, mapped));
    }
    Ok(out)
}

/// Splits at the first `=` (or `→`/`:` for hand-written lists) outside quotes.
fn split_pair(line: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=' | '→') => return Some((&line[..i], &line[i + c.len_utf8()..])),
            _ => {}
        }
    }
    None
}

fn strip_comment(s: &str) -> &str {
    let s = s.trim();
    if s.starts_with('"') || s.starts_with('\'') {
        return s
            .char_indices()
            .skip(1)
            .find(|(_, c)| s.starts_with(*c))
            .map_or(s, |(i, _)| &s[..=i]);
    }
    s.split(" #").next().unwrap_or(s)
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let inner = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(s);
    inner.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schema;

    fn contact() -> std::sync::Arc<ObjectDef> {
        let schema = Schema::new(crate::builtin::standard_objects());
        schema.object("contact").cloned().unwrap()
    }

    fn names(object: &ObjectDef, map: &ColumnMap) -> Vec<String> {
        map.targets
            .iter()
            .map(|t| match t {
                Some(Target::Field(i)) => object.fields[*i].name.clone(),
                Some(Target::Company(i)) => format!("company->{}", object.fields[*i].name),
                None => "-".into(),
            })
            .collect()
    }

    #[test]
    fn chinese_and_english_headers_find_their_fields() {
        let c = contact();
        let headers: Vec<String> = [
            "姓名",
            "手机号",
            "座机",
            "电子邮件",
            "公司名称",
            "城市",
            "职务",
            "部门",
            "省份",
            "微信",
            "备注",
            "外部编号",
            "不知道",
        ]
        .map(String::from)
        .to_vec();
        let map = map_headers(&c, &headers, &[]).unwrap();
        assert_eq!(
            names(&c, &map),
            [
                "name",
                "mobile",
                "phone",
                "email",
                "company->account",
                "city",
                "title",
                "department",
                "province",
                "wechat",
                "description",
                "external_id",
                "-"
            ]
        );
        assert_eq!(map.unknown, ["不知道"]);
        let headers: Vec<String> = [
            "Name ",
            " E-mail",
            "MOBILE",
            "Company",
            "External ID",
            "Ｃｉｔｙ",
            "*Title",
        ]
        .map(String::from)
        .to_vec();
        let map = map_headers(&c, &headers, &[]).unwrap();
        assert_eq!(
            names(&c, &map),
            [
                "name",
                "email",
                "mobile",
                "company->account",
                "external_id",
                "city",
                "title"
            ]
        );
    }

    #[test]
    fn labels_in_traditional_chinese_and_api_names_map_too() {
        let c = contact();
        let headers: Vec<String> = ["手機", "職稱", "english_name", "所屬客戶"]
            .map(String::from)
            .to_vec();
        let map = map_headers(&c, &headers, &[]).unwrap();
        assert_eq!(
            names(&c, &map),
            ["mobile", "title", "english_name", "company->account"]
        );
    }

    #[test]
    fn a_second_column_for_one_field_is_ignored_and_reported() {
        let c = contact();
        let headers: Vec<String> = ["手机", "Mobile"].map(String::from).to_vec();
        let map = map_headers(&c, &headers, &[]).unwrap();
        assert_eq!(names(&c, &map), ["mobile", "-"]);
        assert_eq!(map.twice, ["Mobile"]);
    }

    #[test]
    fn a_mapping_file_wins_and_can_leave_columns_out() {
        let c = contact();
        let text = "# ours\n[columns]\n\"客户姓名\" = \"name\"\n手机 号码 = mobile\n备注 = -\n'单位' = 'company' # employer\n";
        let overrides = parse_mapping(text).unwrap();
        let headers: Vec<String> = ["客户姓名", "手机号码", "备注", "单位"]
            .map(String::from)
            .to_vec();
        let map = map_headers(&c, &headers, &overrides).unwrap();
        assert_eq!(names(&c, &map), ["name", "mobile", "-", "company->account"]);
        assert!(map.unknown.is_empty());
        assert_eq!(parse_mapping("just words"), Err(1));
        let bad = parse_mapping("x = nonsense").unwrap();
        assert_eq!(
            map_headers(&c, &["x".to_string()], &bad),
            Err(MappingError::UnknownField("nonsense".into()))
        );
    }

    #[test]
    fn company_names_compare_across_width_case_and_spacing() {
        assert_eq!(company_key("  （北京）华通科技  "), company_key("(北京)华通科技"));
        assert_eq!(company_key("ACME  Trading"), company_key("acme trading"));
        assert_eq!(company_key("ＡＣＭＥ\u{3000}Ｔｒａｄｉｎｇ"), "acme trading");
        assert_ne!(company_key("华通"), company_key("华通科技"));
    }

    #[test]
    fn in_a_list_of_accounts_the_company_is_the_name() {
        let schema = Schema::new(crate::builtin::standard_objects());
        let a = schema.object("account").cloned().unwrap();
        let map = map_headers(&a, &["公司名称".to_string(), "上级客户".to_string()], &[]).unwrap();
        assert_eq!(names(&a, &map), ["name", "company->parent_account"]);
    }

    #[test]
    fn header_keys_ignore_marks_and_width() {
        assert_eq!(header_key("\u{feff}*姓名："), "姓名");
        assert_eq!(header_key("External_ID"), "externalid");
        assert_eq!(header_key("Ｅｍａｉｌ"), "email");
    }
}

//! The message catalogue: every user-facing string, in zh-CN, zh-TW and en.
//! A message is a `Msg`; the exhaustive match below makes a missing translation a
//! compile error. Placeholders are `{name}`, filled by `Msg::format`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhCn, Locale::ZhTw, Locale::En];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::ZhTw => "zh-TW",
            Locale::En => "en",
        }
    }

    /// Reads one language tag (`zh-Hant-TW`, `en-GB`, `zh`); `None` if we do not speak it.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        let mut parts = tag.split(['-', '_']);
        match parts.next()? {
            "en" => Some(Locale::En),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                if rest.iter().any(|p| matches!(*p, "tw" | "hk" | "mo" | "hant")) {
                    Some(Locale::ZhTw)
                } else {
                    Some(Locale::ZhCn)
                }
            }
            _ => None,
        }
    }

    /// Picks the best locale from an `Accept-Language` header, by quality value.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(locale) = Locale::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    // field validation
    Required,
    TooLong,
    NotText,
    NotInteger,
    NotNumber,
    NumberTooLarge,
    TooManyDecimals,
    NotDate,
    NotDatetime,
    NotBoolean,
    NotList,
    NotInPicklist,
    InvalidEmail,
    InvalidPhone,
    InvalidUrl,
    InvalidId,
    InvalidCurrency,
    UnknownField,
    ReadOnlyField,
    NotUnique,
    LookupNotFound,
    UserNotFound,
    // problems
    TitleValidation,
    TitleNotFound,
    DetailNotFound,
    TitleUnauthorized,
    DetailUnauthorized,
    TitleForbidden,
    DetailAdminOnly,
    TitleConflict,
    DetailVersionConflict,
    TitlePreconditionRequired,
    DetailPreconditionRequired,
    TitleBadRequest,
    TitleInternal,
    DetailInternal,
    TitlePayloadTooLarge,
    DetailTooManyRecords,
    DetailNotDeleted,
    DetailInRecycleBin,
    InvalidFilter,
    InvalidSort,
    InvalidCursor,
    InvalidLimit,
    InvalidJson,
    InvalidName,
    NameTaken,
    InvalidFieldDefinition,
    FilterUnterminated,
    FilterUnexpectedChar,
    FilterTooDeep,
    FilterMissingParen,
    FilterExpectedField,
    FilterUnknownOperator,
    FilterExpectedOperator,
    FilterTooManyConditions,
    FilterBadList,
    FilterExpectedValue,
    FilterTooLong,
    FilterTrailing,
    FilterUnknownField,
    FilterOperatorNotForField,
    FilterNullCompare,
    FilterListNotAllowed,
    FilterEmptyValue,
    FilterIsNullBool,
    FilterInList,
    FilterBetween,
    FilterNeedsText,
    FieldTypeNotCreatable,
    FieldNotIndexable,
    FieldUniqueTypes,
    FieldMaxLengthRange,
    FieldScaleNotAllowed,
    FieldPicklistOptions,
    FieldBadOption,
    FieldOptionsNotAllowed,
    FieldLookupTarget,
    FieldTargetNotAllowed,
    AdminScopeForAdmins,
    InvalidScopes,
    DetailMissingScope,
    TokenNotFound,
    TokenRevoked,
    SignInFailed,
    TitleTooManyRequests,
    DetailTooManyAttempts,
    CsrfMissing,
    DetailNoPermission,
    CriteriaOperator,
    InvalidGrantLevel,
    InvalidFieldLevel,
    SystemFieldAccess,
    InvalidUserKind,
    PartnerAccountRequired,
    ExternalNotAdmin,
    InvalidGroup,
    ExportTooLarge,
    InvalidFormat,
    Currency,
    UiBoard,
    UiListView,
    UiGroupBy,
    UiNoValue,
    UiRecordCount,
    UiMoveTo,
    UiBoardHint,
    UiMoreInColumn,
    UiConflict,
    UiMoveConflict,
    UiNotSaved,
    UiSavedValue,
    UiEditField,
    UiBack,
    UiColumns,
    UiViews,
    UiAllRecords,
    UiSaveView,
    UiViewName,
    UiSharedView,
    UiDeleteView,
    UiSelectAll,
    UiSelectRecord,
    UiWithSelected,
    UiChangeOwner,
    UiSetField,
    UiField,
    UiValue,
    UiApplyToSelected,
    UiBulkDone,
    UiBulkFailed,
    UiNothingSelected,
    UiBulkDeleteConfirm,
    UiSignIn,
    UiSignOut,
    UiEmail,
    UiPassword,
    UiSignInTitle,
    UiFilter,
    UiFilterHint,
    UiApply,
    UiClear,
    UiNextPage,
    UiFirstPage,
    UiNoRecords,
    UiHistory,
    UiNoHistory,
    UiDetails,
    UiLanguage,
    UiSkipToContent,
    UiModules,
    UiBackToList,
    UiCreated,
    UiUpdated,
    UiDeleted,
    UiRestored,
    UiSortBy,
    UiSessionExpired,
    UiNew,
    UiEdit,
    UiSave,
    UiCancel,
    UiDelete,
    UiYes,
    UiNo,
    UiFixErrors,
    UiListHint,
    UiCurrency,
    UiViewAll,
    UiMyDay,
    UiMyActivities,
    UiMyOpportunities,
    UiMyOverdueCases,
    UiExport,
    // cli and start-up
    UnsupportedDatabase,
    AdminCreated,
    AdminPasswordGenerated,
    DemoReady,
    TokenCreated,
    UserCreated,
    EmailTaken,
    UnknownEmail,
    PasswordTooShort,
    // setup (administration) pages
    UiSetup,
    UiSetupIntro,
    UiObjectsAndFields,
    UiUsers,
    UiRoles,
    UiTeams,
    UiSharingRules,
    UiApiTokens,
    UiAuditLog,
    UiPageLayout,
    UiSystemInfo,
    UiApiName,
    UiPluralName,
    UiLabel,
    UiLabelIn,
    UiPluralLabelIn,
    UiLabelsHint,
    UiApiNameHint,
    UiType,
    UiRequired,
    UiIndexed,
    UiCustom,
    UiStandard,
    UiFields,
    UiAddField,
    UiAddObject,
    UiPicklistValues,
    UiPicklistHint,
    UiLookupTarget,
    UiLayoutText,
    UiLayoutHint,
    UiAvailableFields,
    UiLine,
    UiSaved,
    UiName,
    UiRole,
    UiKind,
    UiKindInternal,
    UiKindPartner,
    UiKindPortal,
    UiActive,
    UiAdministrator,
    UiPartnerAccount,
    UiAddUser,
    UiNoRole,
    UiParentRole,
    UiAddRole,
    UiObjectAccess,
    UiDefaultSharing,
    UiSharingPrivate,
    UiSharingPublicRead,
    UiSharingPublicReadWrite,
    UiPermRead,
    UiPermCreate,
    UiPermEdit,
    UiPermDelete,
    UiPermViewAll,
    UiPermModifyAll,
    UiPermHint,
    UiPermFor,
    UiMembers,
    UiAddTeam,
    UiObject,
    UiRecordOwners,
    UiCriteria,
    UiShareWith,
    UiAccessLevel,
    UiLevelRead,
    UiLevelEdit,
    UiGroupRole,
    UiGroupRoleAndBelow,
    UiGroupTeam,
    UiAddSharingRule,
    UiPrefix,
    UiScopes,
    UiCreatedAt,
    UiLastUsed,
    UiExpires,
    UiRevoked,
    UiRevoke,
    UiExpiresInDays,
    UiCreateToken,
    UiTokenShownOnce,
    UiTokenCreated,
    UiAction,
    UiActorEmail,
    UiSince,
    UiUntil,
    UiTime,
    UiRecord,
    UiNothingYet,
    UiAdd,
    UiChange,
    UiIpAddress,
    LayoutNoSections,
    LayoutUnknownField,
    LayoutFieldTwice,
    LayoutFieldNotShown,
    LayoutLineNoSection,
    LayoutBadHeading,
}

impl Msg {
    fn texts(self) -> (&'static str, &'static str, &'static str) {
        use Msg::*;
        // (en, zh-CN, zh-TW)
        match self {
            Required => ("This field is required.", "此字段为必填项。", "此欄位為必填。"),
            TooLong => (
                "Must be at most {max} characters.",
                "最多 {max} 个字符。",
                "最多 {max} 個字元。",
            ),
            NotText => ("Must be text.", "必须是文本。", "必須是文字。"),
            NotInteger => ("Must be a whole number.", "必须是整数。", "必須是整數。"),
            NotNumber => ("Must be a number.", "必须是数字。", "必須是數字。"),
            NumberTooLarge => ("The number is too large.", "数值过大。", "數值過大。"),
            TooManyDecimals => (
                "At most {scale} decimal places.",
                "最多 {scale} 位小数。",
                "最多 {scale} 位小數。",
            ),
            NotDate => (
                "Must be a date like 2026-01-31.",
                "日期格式应为 2026-01-31。",
                "日期格式應為 2026-01-31。",
            ),
            NotDatetime => (
                "Must be a date and time like 2026-01-31T09:30:00+08:00.",
                "时间格式应为 2026-01-31T09:30:00+08:00。",
                "時間格式應為 2026-01-31T09:30:00+08:00。",
            ),
            NotBoolean => (
                "Must be true or false.",
                "必须是 true 或 false。",
                "必須是 true 或 false。",
            ),
            NotList => ("Must be a list of texts.", "必须是文本列表。", "必須是文字清單。"),
            NotInPicklist => (
                "'{value}' is not one of the allowed values.",
                "“{value}”不是允许的选项。",
                "「{value}」不是允許的選項。",
            ),
            InvalidEmail => (
                "Not a valid email address.",
                "邮箱地址无效。",
                "電子郵件地址無效。",
            ),
            InvalidPhone => ("Not a valid phone number.", "电话号码无效。", "電話號碼無效。"),
            InvalidUrl => ("Not a valid web address.", "网址无效。", "網址無效。"),
            InvalidId => ("Not a valid record ID.", "记录 ID 无效。", "記錄 ID 無效。"),
            InvalidCurrency => (
                "Not a valid currency code (e.g. CNY).",
                "币种代码无效（例如 CNY）。",
                "幣別代碼無效（例如 CNY）。",
            ),
            UnknownField => (
                "There is no field by this name.",
                "没有这个字段。",
                "沒有這個欄位。",
            ),
            ReadOnlyField => (
                "This field cannot be changed.",
                "此字段不可修改。",
                "此欄位不可修改。",
            ),
            NotUnique => (
                "Another record already has this value.",
                "已有其他记录使用此值。",
                "已有其他記錄使用此值。",
            ),
            LookupNotFound => (
                "The linked record does not exist.",
                "关联的记录不存在。",
                "關聯的記錄不存在。",
            ),
            UserNotFound => ("There is no such user.", "没有这个用户。", "沒有這個使用者。"),
            TitleValidation => ("Invalid input", "输入有误", "輸入有誤"),
            TitleNotFound => ("Not found", "未找到", "找不到"),
            DetailNotFound => ("No such record.", "记录不存在。", "記錄不存在。"),
            TitleUnauthorized => ("Sign-in required", "需要登录", "需要登入"),
            DetailUnauthorized => (
                "A valid API token is required (Authorization: Bearer ...).",
                "需要有效的 API 令牌（Authorization: Bearer ...）。",
                "需要有效的 API 權杖（Authorization: Bearer ...）。",
            ),
            TitleForbidden => ("Not allowed", "无权操作", "無權操作"),
            DetailAdminOnly => (
                "Only administrators may do this.",
                "只有管理员可以执行此操作。",
                "只有管理員可以執行此操作。",
            ),
            TitleConflict => ("Conflict", "冲突", "衝突"),
            DetailVersionConflict => (
                "The record was changed by someone else (now version {current}). Reload it and try again.",
                "记录已被他人修改（当前版本 {current}），请刷新后重试。",
                "記錄已被他人修改（目前版本 {current}），請重新整理後再試。",
            ),
            TitlePreconditionRequired => ("Version required", "需要版本号", "需要版本號"),
            DetailPreconditionRequired => (
                "Send the version you read in an If-Match header (or a \"version\" field) so that no change is overwritten.",
                "请在 If-Match 请求头（或 \"version\" 字段）中提供读取到的版本，以免覆盖他人的修改。",
                "請在 If-Match 標頭（或 \"version\" 欄位）中提供讀取到的版本，以免覆寫他人的修改。",
            ),
            TitleBadRequest => ("Bad request", "请求有误", "請求有誤"),
            TitleInternal => ("Internal error", "内部错误", "內部錯誤"),
            DetailInternal => (
                "Something went wrong on our side. Nothing was changed.",
                "服务器出错，未做任何修改。",
                "伺服器發生錯誤，未做任何修改。",
            ),
            TitlePayloadTooLarge => ("Too large", "请求过大", "請求過大"),
            DetailTooManyRecords => (
                "At most {max} records per call.",
                "每次最多 {max} 条记录。",
                "每次最多 {max} 筆記錄。",
            ),
            DetailNotDeleted => (
                "The record is not in the recycle bin.",
                "记录不在回收站中。",
                "記錄不在資源回收筒中。",
            ),
            DetailInRecycleBin => (
                "The matching record is in the recycle bin; restore it first.",
                "匹配的记录在回收站中，请先恢复。",
                "符合的記錄在資源回收筒中，請先還原。",
            ),
            InvalidFilter => (
                "Invalid filter: {reason}",
                "筛选条件有误：{reason}",
                "篩選條件有誤：{reason}",
            ),
            InvalidSort => (
                "Lists can be sorted only by an indexed field.",
                "只能按已建索引的字段排序。",
                "只能依已建索引的欄位排序。",
            ),
            InvalidCursor => (
                "The cursor is not valid for this list.",
                "分页游标无效。",
                "分頁游標無效。",
            ),
            InvalidLimit => (
                "Must be between 1 and {max}.",
                "必须在 1 到 {max} 之间。",
                "必須介於 1 到 {max}。",
            ),
            InvalidJson => (
                "The body is not valid JSON: {reason}",
                "请求体不是有效的 JSON：{reason}",
                "請求內容不是有效的 JSON：{reason}",
            ),
            InvalidName => (
                "Use lower-case letters, digits and underscores, starting with a letter (at most 40).",
                "只能使用小写字母、数字和下划线，以字母开头（最多 40 个字符）。",
                "只能使用小寫字母、數字和底線，以字母開頭（最多 40 個字元）。",
            ),
            NameTaken => (
                "This name is already in use.",
                "此名称已被使用。",
                "此名稱已被使用。",
            ),
            InvalidFieldDefinition => (
                "Invalid field definition: {reason}",
                "字段定义有误：{reason}",
                "欄位定義有誤：{reason}",
            ),
            FilterUnterminated => (
                "Text in quotes is not closed.",
                "引号中的文本没有结束。",
                "引號中的文字沒有結束。",
            ),
            FilterUnexpectedChar => (
                "Unexpected character '{char}'.",
                "意外的字符“{char}”。",
                "意外的字元「{char}」。",
            ),
            FilterTooDeep => ("Too many nested parentheses.", "括号嵌套过深。", "括號巢狀過深。"),
            FilterMissingParen => ("A ')' is missing.", "缺少“)”。", "缺少「)」。"),
            FilterExpectedField => (
                "A field name is expected here.",
                "此处应为字段名。",
                "此處應為欄位名稱。",
            ),
            FilterUnknownOperator => (
                "Unknown operator '{op}' (use eq, ne, lt, lte, gt, gte, in, contains, starts_with, is_null, between).",
                "未知的运算符“{op}”（可用 eq、ne、lt、lte、gt、gte、in、contains、starts_with、is_null、between）。",
                "未知的運算子「{op}」（可用 eq、ne、lt、lte、gt、gte、in、contains、starts_with、is_null、between）。",
            ),
            FilterExpectedOperator => (
                "An operator is expected after the field name.",
                "字段名后应为运算符。",
                "欄位名稱後應為運算子。",
            ),
            FilterTooManyConditions => (
                "At most {max} conditions.",
                "最多 {max} 个条件。",
                "最多 {max} 個條件。",
            ),
            FilterBadList => (
                "A list is written ('a', 'b').",
                "列表的写法为 ('a', 'b')。",
                "清單的寫法為 ('a', 'b')。",
            ),
            FilterExpectedValue => (
                "A value is expected here (quote text: 'like this').",
                "此处应为值（文本请加引号：'像这样'）。",
                "此處應為值（文字請加引號：'像這樣'）。",
            ),
            FilterTooLong => (
                "The filter is longer than {max} characters.",
                "筛选条件超过 {max} 个字符。",
                "篩選條件超過 {max} 個字元。",
            ),
            FilterTrailing => (
                "Unexpected text after a condition (missing 'and' or 'or'?).",
                "条件后有多余内容（是否缺少 and 或 or？）。",
                "條件後有多餘內容（是否缺少 and 或 or？）。",
            ),
            FilterUnknownField => (
                "There is no field '{field}'.",
                "没有字段“{field}”。",
                "沒有欄位「{field}」。",
            ),
            FilterOperatorNotForField => (
                "The operator '{op}' does not apply to this field.",
                "运算符“{op}”不适用于此字段。",
                "運算子「{op}」不適用於此欄位。",
            ),
            FilterNullCompare => (
                "Use is_null to find empty values.",
                "查找空值请用 is_null。",
                "尋找空值請用 is_null。",
            ),
            FilterListNotAllowed => (
                "A list is allowed only after 'in' and 'between'.",
                "只有 in 和 between 后可以使用列表。",
                "只有 in 和 between 後可以使用清單。",
            ),
            FilterEmptyValue => ("The value is empty.", "值为空。", "值為空。"),
            FilterIsNullBool => (
                "is_null takes true or false.",
                "is_null 只接受 true 或 false。",
                "is_null 只接受 true 或 false。",
            ),
            FilterInList => (
                "'in' takes a list: ('a', 'b').",
                "in 需要一个列表：('a', 'b')。",
                "in 需要一個清單：('a', 'b')。",
            ),
            FilterBetween => (
                "'between' takes two values: (low, high).",
                "between 需要两个值：(下限, 上限)。",
                "between 需要兩個值：(下限, 上限)。",
            ),
            FilterNeedsText => (
                "'{op}' takes a text value.",
                "{op} 需要一个文本值。",
                "{op} 需要一個文字值。",
            ),
            FieldTypeNotCreatable => (
                "Fields of this type cannot be created.",
                "不能创建此类型的字段。",
                "不能建立此類型的欄位。",
            ),
            FieldNotIndexable => (
                "Fields of this type cannot be indexed.",
                "此类型的字段不能建索引。",
                "此類型的欄位不能建索引。",
            ),
            FieldUniqueTypes => (
                "Only text, email, phone, URL and integer fields can be unique.",
                "只有文本、邮箱、电话、网址和整数字段可以设为唯一。",
                "只有文字、電子郵件、電話、網址和整數欄位可以設為唯一。",
            ),
            FieldMaxLengthRange => (
                "Must be between 1 and {max} for this type.",
                "此类型须在 1 到 {max} 之间。",
                "此類型須介於 1 到 {max}。",
            ),
            FieldScaleNotAllowed => (
                "Only decimal, money and percent fields take a scale (0 to 8).",
                "只有小数、金额和百分比字段可以设置小数位（0 到 8）。",
                "只有小數、金額和百分比欄位可以設定小數位（0 到 8）。",
            ),
            FieldPicklistOptions => (
                "A picklist needs 1 to 1000 options.",
                "选项列表需要 1 到 1000 个选项。",
                "選項清單需要 1 到 1000 個選項。",
            ),
            FieldBadOption => (
                "Option '{value}' must be non-empty, lower-case, unique and at most 100 characters.",
                "选项“{value}”须非空、小写、不重复且最多 100 个字符。",
                "選項「{value}」須非空、小寫、不重複且最多 100 個字元。",
            ),
            FieldOptionsNotAllowed => (
                "Only picklists have options.",
                "只有选项列表字段有选项。",
                "只有選項清單欄位有選項。",
            ),
            FieldLookupTarget => (
                "A lookup needs the name of an existing object.",
                "关联字段需要指定一个已有对象。",
                "關聯欄位需要指定一個既有物件。",
            ),
            FieldTargetNotAllowed => (
                "Only lookups have a target.",
                "只有关联字段有目标对象。",
                "只有關聯欄位有目標物件。",
            ),
            AdminScopeForAdmins => (
                "Only administrators can have tokens with the admin scope.",
                "只有管理员的令牌才能带 admin 权限范围。",
                "只有管理員的權杖才能帶 admin 權限範圍。",
            ),
            InvalidScopes => (
                "Unknown scope '{scope}': use read, write and admin, separated by commas.",
                "未知的权限范围“{scope}”：请使用 read、write、admin，以逗号分隔。",
                "未知的權限範圍「{scope}」：請使用 read、write、admin，以逗號分隔。",
            ),
            DetailMissingScope => (
                "This API token does not have the '{scope}' scope.",
                "此 API 令牌没有“{scope}”权限范围。",
                "此 API 權杖沒有「{scope}」權限範圍。",
            ),
            TokenNotFound => (
                "This user has no live token with that id.",
                "该用户没有此 ID 的有效令牌。",
                "該使用者沒有此 ID 的有效權杖。",
            ),
            TokenRevoked => ("Token {id} revoked.", "令牌 {id} 已吊销。", "權杖 {id} 已撤銷。"),
            SignInFailed => (
                "Wrong email or password.",
                "邮箱或密码错误。",
                "電子郵件或密碼錯誤。",
            ),
            TitleTooManyRequests => ("Too many attempts", "尝试次数过多", "嘗試次數過多"),
            DetailTooManyAttempts => (
                "Too many sign-in attempts. Try again in {seconds} seconds.",
                "登录尝试次数过多，请在 {seconds} 秒后重试。",
                "登入嘗試次數過多，請在 {seconds} 秒後重試。",
            ),
            CsrfMissing => (
                "This change needs the X-CSRF-Token header of your session; reload the page and try again.",
                "此操作需要会话的 X-CSRF-Token 请求头，请刷新页面后重试。",
                "此操作需要工作階段的 X-CSRF-Token 標頭，請重新整理頁面後再試。",
            ),
            DetailNoPermission => (
                "Your role does not allow this on these records.",
                "您的角色无权对这些记录执行此操作。",
                "您的角色無權對這些記錄執行此操作。",
            ),
            CriteriaOperator => (
                "Sharing criteria may use eq, ne, lt, lte, gt, gte, in, between and is_null, not {operator}.",
                "共享条件只能使用 eq、ne、lt、lte、gt、gte、in、between 和 is_null，不能使用 {operator}。",
                "共用條件只能使用 eq、ne、lt、lte、gt、gte、in、between 和 is_null，不能使用 {operator}。",
            ),
            InvalidGrantLevel => (
                "Access level must be read or edit.",
                "访问级别必须是 read（只读）或 edit（读写）。",
                "存取層級必須是 read（唯讀）或 edit（讀寫）。",
            ),
            InvalidFieldLevel => (
                "Field access must be hidden, read_only or editable.",
                "字段访问权限必须是 hidden（隐藏）、read_only（只读）或 editable（可编辑）。",
                "欄位存取權限必須是 hidden（隱藏）、read_only（唯讀）或 editable（可編輯）。",
            ),
            SystemFieldAccess => (
                "System fields cannot be hidden or made read-only.",
                "系统字段不能隐藏或设为只读。",
                "系統欄位不能隱藏或設為唯讀。",
            ),
            InvalidUserKind => (
                "User kind must be internal, partner or portal.",
                "用户类型必须是 internal（内部）、partner（合作伙伴）或 portal（门户）。",
                "使用者類型必須是 internal（內部）、partner（合作夥伴）或 portal（入口網站）。",
            ),
            PartnerAccountRequired => (
                "A partner user needs a partner account (an existing account record).",
                "合作伙伴用户需要指定合作伙伴客户（已存在的客户记录）。",
                "合作夥伴使用者需要指定合作夥伴客戶（已存在的客戶記錄）。",
            ),
            ExternalNotAdmin => (
                "Only internal users can be administrators.",
                "只有内部用户可以成为管理员。",
                "只有內部使用者可以成為管理員。",
            ),
            InvalidGroup => (
                "Name exactly one of role, role_and_below or team, with an existing id.",
                "请指定 role、role_and_below 或 team 中的一项，并给出存在的 ID。",
                "請指定 role、role_and_below 或 team 其中一項，並提供存在的 ID。",
            ),
            ExportTooLarge => (
                "An export holds at most {max} rows: narrow the filter.",
                "一次导出最多 {max} 行，请缩小筛选范围。",
                "一次匯出最多 {max} 列，請縮小篩選範圍。",
            ),
            InvalidFormat => (
                "Format must be csv or xlsx.",
                "格式必须是 csv 或 xlsx。",
                "格式必須是 csv 或 xlsx。",
            ),
            Currency => ("currency", "币种", "幣別"),
            UiBoard => ("Board", "看板", "看板"),
            UiListView => ("List", "列表", "列表"),
            UiGroupBy => ("Columns by", "分栏字段", "分欄欄位"),
            UiNoValue => ("No value", "未填写", "未填寫"),
            UiRecordCount => ("{count} records", "{count} 条", "{count} 筆"),
            UiMoveTo => ("Move to {value}", "移到“{value}”", "移到「{value}」"),
            UiBoardHint => (
                "Drag a card to another column, or use its arrow buttons.",
                "拖动卡片到其他列，或使用卡片上的箭头按钮。",
                "拖曳卡片到其他欄，或使用卡片上的箭頭按鈕。",
            ),
            UiMoreInColumn => (
                "{count} more in this column",
                "此列还有 {count} 条",
                "此欄還有 {count} 筆",
            ),
            UiConflict => (
                "Someone else changed this record meanwhile (now version {current}). Nothing of yours was saved; what is shown is what is stored now.",
                "该记录已被他人修改（当前版本 {current}）。您的修改未保存；页面显示的是当前保存的内容。",
                "該記錄已被他人修改（目前版本 {current}）。您的修改未儲存；頁面顯示的是目前儲存的內容。",
            ),
            UiMoveConflict => (
                "“{name}” was changed by someone else meanwhile; it stays where it was. Reload the board to see the change.",
                "“{name}”已被他人修改，卡片已退回原处。请刷新看板查看变更。",
                "「{name}」已被他人修改，卡片已退回原處。請重新整理看板查看變更。",
            ),
            UiNotSaved => ("Not saved: {reason}", "未保存：{reason}", "未儲存：{reason}"),
            UiSavedValue => ("Saved.", "已保存。", "已儲存。"),
            UiEditField => ("Edit {field}", "编辑{field}", "編輯{field}"),
            UiBack => ("Back", "返回", "返回"),
            UiColumns => ("Columns", "显示列", "顯示欄"),
            UiViews => ("Views", "视图", "檢視"),
            UiAllRecords => ("All records", "全部记录", "全部記錄"),
            UiSaveView => ("Save as a view", "保存为视图", "儲存為檢視"),
            UiViewName => ("View name", "视图名称", "檢視名稱"),
            UiSharedView => ("Shared with everyone", "共享给所有人", "與所有人共用"),
            UiDeleteView => ("Delete this view", "删除此视图", "刪除此檢視"),
            UiSelectAll => ("Select all", "全选", "全選"),
            UiSelectRecord => ("Select {name}", "选择 {name}", "選擇 {name}"),
            UiWithSelected => ("With the selected records", "对所选记录", "對所選記錄"),
            UiChangeOwner => ("Change owner to", "更改负责人为", "變更負責人為"),
            UiSetField => ("Set a field", "设置字段", "設定欄位"),
            UiField => ("Field", "字段", "欄位"),
            UiValue => ("Value", "值", "值"),
            UiApplyToSelected => ("Apply to selected", "应用到所选", "套用到所選"),
            UiBulkDone => (
                "{count} records changed.",
                "已修改 {count} 条记录。",
                "已修改 {count} 筆記錄。",
            ),
            UiBulkFailed => (
                "{count} records were not changed:",
                "{count} 条记录未修改：",
                "{count} 筆記錄未修改：",
            ),
            UiNothingSelected => (
                "Select at least one record.",
                "请至少选择一条记录。",
                "請至少選擇一筆記錄。",
            ),
            UiBulkDeleteConfirm => (
                "Delete the selected records (they go to the recycle bin)",
                "删除所选记录（移入回收站）",
                "刪除所選記錄（移至資源回收筒）",
            ),
            UiSignIn => ("Sign in", "登录", "登入"),
            UiSignOut => ("Sign out", "退出登录", "登出"),
            UiEmail => ("Email", "邮箱", "電子郵件"),
            UiPassword => ("Password", "密码", "密碼"),
            UiSignInTitle => ("Sign in to Guanxi", "登录关系 CRM", "登入關係 CRM"),
            UiFilter => ("Filter", "筛选", "篩選"),
            UiFilterHint => (
                "e.g. city eq '上海' and name starts_with '张'",
                "例如：city eq '上海' and name starts_with '张'",
                "例如：city eq '上海' and name starts_with '張'",
            ),
            UiApply => ("Apply", "应用", "套用"),
            UiClear => ("Clear", "清除", "清除"),
            UiNextPage => ("Next page", "下一页", "下一頁"),
            UiFirstPage => ("First page", "第一页", "第一頁"),
            UiNoRecords => (
                "No records match.",
                "没有符合条件的记录。",
                "沒有符合條件的記錄。",
            ),
            UiHistory => ("History", "历史记录", "歷史記錄"),
            UiNoHistory => ("No changes recorded yet.", "尚无变更记录。", "尚無變更記錄。"),
            UiDetails => ("Details", "详细信息", "詳細資料"),
            UiLanguage => ("Language", "语言", "語言"),
            UiSkipToContent => ("Skip to content", "跳到正文", "跳至內容"),
            UiModules => ("Modules", "模块", "模組"),
            UiBackToList => ("Back to the list", "返回列表", "返回列表"),
            UiCreated => ("created", "创建", "建立"),
            UiUpdated => ("changed {field}", "修改了{field}", "修改了{field}"),
            UiDeleted => ("moved to the recycle bin", "移入回收站", "移至資源回收筒"),
            UiRestored => ("restored", "已恢复", "已還原"),
            UiSortBy => ("Sort by {field}", "按{field}排序", "依{field}排序"),
            UiSessionExpired => ("Please sign in.", "请先登录。", "請先登入。"),
            UiNew => ("New", "新建", "新增"),
            UiEdit => ("Edit", "编辑", "編輯"),
            UiSave => ("Save", "保存", "儲存"),
            UiCancel => ("Cancel", "取消", "取消"),
            UiDelete => ("Delete", "删除", "刪除"),
            UiYes => ("Yes", "是", "是"),
            UiNo => ("No", "否", "否"),
            UiFixErrors => (
                "Nothing was saved: please correct the fields marked below.",
                "未保存：请修改下方标出的字段。",
                "未儲存：請修改下方標出的欄位。",
            ),
            UiListHint => (
                "Separate several values with commas.",
                "多个值请用逗号分隔。",
                "多個值請以逗號分隔。",
            ),
            UiCurrency => ("Currency", "币种", "幣別"),
            UiViewAll => ("View all", "查看全部", "檢視全部"),
            UiMyDay => ("My day", "我的一天", "我的一天"),
            UiMyActivities => (
                "Today's and overdue tasks and meetings",
                "今天及逾期的任务和会议",
                "今天及逾期的任務和會議",
            ),
            UiMyOpportunities => ("My open opportunities", "我的进行中商机", "我的進行中商機"),
            UiMyOverdueCases => ("My overdue cases", "我的逾期工单", "我的逾期工單"),
            UiExport => ("Export", "导出", "匯出"),
            UnsupportedDatabase => (
                "Unsupported database URL '{url}': use sqlite://PATH or postgres://USER@HOST/DB.",
                "不支持的数据库地址“{url}”：请使用 sqlite://路径 或 postgres://用户@主机/数据库。",
                "不支援的資料庫位址「{url}」：請使用 sqlite://路徑 或 postgres://使用者@主機/資料庫。",
            ),
            AdminCreated => (
                "Administrator {email} created.",
                "已创建管理员 {email}。",
                "已建立管理員 {email}。",
            ),
            AdminPasswordGenerated => (
                "Generated password (shown once): {password}",
                "生成的密码（仅显示一次）：{password}",
                "產生的密碼（僅顯示一次）：{password}",
            ),
            DemoReady => (
                "Guanxi demo is running at {url}\nSign in as {email} with password {password}\nAPI token: {token}\nData directory: {dir}",
                "Guanxi 演示已启动：{url}\n登录账号 {email}，密码 {password}\nAPI 令牌：{token}\n数据目录：{dir}",
                "Guanxi 示範已啟動：{url}\n登入帳號 {email}，密碼 {password}\nAPI 權杖：{token}\n資料目錄：{dir}",
            ),
            TokenCreated => ("{token}", "{token}", "{token}"),
            UserCreated => (
                "User {email} created.",
                "已创建用户 {email}。",
                "已建立使用者 {email}。",
            ),
            EmailTaken => (
                "A user with this email already exists.",
                "该邮箱已有用户。",
                "該電子郵件已有使用者。",
            ),
            UnknownEmail => (
                "No user has the email {email}.",
                "没有邮箱为 {email} 的用户。",
                "沒有電子郵件為 {email} 的使用者。",
            ),
            PasswordTooShort => (
                "The password must have at least {min} characters.",
                "密码至少需要 {min} 个字符。",
                "密碼至少需要 {min} 個字元。",
            ),
            UiSetup => ("Setup", "设置", "設定"),
            UiSetupIntro => (
                "Set up what Guanxi records and who may do what. Every change here is checked and audited as through the API.",
                "在这里设置关系 CRM 记录的内容以及谁能做什么。这里的每项更改都与 API 一样经过校验并记入审计日志。",
                "在這裡設定關係 CRM 記錄的內容以及誰能做什麼。這裡的每項變更都與 API 一樣經過驗證並記入稽核日誌。",
            ),
            UiObjectsAndFields => ("Objects and fields", "对象和字段", "物件與欄位"),
            UiUsers => ("Users", "用户", "使用者"),
            UiRoles => ("Roles and permissions", "角色和权限", "角色與權限"),
            UiTeams => ("Teams", "团队", "團隊"),
            UiSharingRules => ("Sharing rules", "共享规则", "共用規則"),
            UiApiTokens => ("API tokens", "API 令牌", "API 權杖"),
            UiAuditLog => ("Audit log", "审计日志", "稽核日誌"),
            UiPageLayout => ("Page layout", "页面布局", "頁面配置"),
            UiSystemInfo => ("System information", "系统信息", "系統資訊"),
            UiApiName => ("API name", "API 名称", "API 名稱"),
            UiPluralName => ("Plural API name", "复数 API 名称", "複數 API 名稱"),
            UiLabel => ("Label", "标签", "標籤"),
            UiLabelIn => ("Label ({language})", "标签（{language}）", "標籤（{language}）"),
            UiPluralLabelIn => (
                "Plural label ({language})",
                "复数标签（{language}）",
                "複數標籤（{language}）",
            ),
            UiLabelsHint => (
                "Labels left empty take the one given, or the API name.",
                "留空的标签取已填写的标签，否则取 API 名称。",
                "留空的標籤取已填寫的標籤，否則取 API 名稱。",
            ),
            UiApiNameHint => (
                "Lower-case letters, digits and _; starts with a letter; cannot change later.",
                "小写字母、数字和下划线，以字母开头；创建后不能修改。",
                "小寫字母、數字和底線，以字母開頭；建立後不能修改。",
            ),
            UiType => ("Type", "类型", "類型"),
            UiRequired => ("Required", "必填", "必填"),
            UiIndexed => (
                "Indexed (lists can sort by it)",
                "建索引（列表可按其排序）",
                "建立索引（清單可依其排序）",
            ),
            UiCustom => ("Custom", "自定义", "自訂"),
            UiStandard => ("Standard", "标准", "標準"),
            UiFields => ("Fields", "字段", "欄位"),
            UiAddField => ("Add a custom field", "添加自定义字段", "新增自訂欄位"),
            UiAddObject => ("Add a custom object", "添加自定义对象", "新增自訂物件"),
            UiPicklistValues => ("Picklist values", "选项值", "選項值"),
            UiPicklistHint => (
                "For picklists, one value per line: value | English | 简体 | 繁體 (labels optional). Values are lower case.",
                "选项字段每行一个值：值 | English | 简体 | 繁體（标签可省略）。值须为小写。",
                "選項欄位每行一個值：值 | English | 简体 | 繁體（標籤可省略）。值須為小寫。",
            ),
            UiLookupTarget => (
                "Lookup target (for lookups)",
                "查找目标（查找字段用）",
                "查閱目標（查閱欄位用）",
            ),
            UiLayoutText => ("Sections and their fields", "分区及其字段", "區段及其欄位"),
            UiLayoutHint => (
                "A line \"## English | 简体 | 繁體\" (or \"## one label\") starts a section; each line after it is a field's API name, in the order shown. Fields left out go to the last section.",
                "以“## English | 简体 | 繁體”（或“## 一个标签”）开头的行开始一个分区；其后每行一个字段的 API 名称，按显示顺序排列。未列出的字段放在最后一个分区。",
                "以「## English | 简体 | 繁體」（或「## 一個標籤」）開頭的行開始一個區段；其後每行一個欄位的 API 名稱，依顯示順序排列。未列出的欄位放在最後一個區段。",
            ),
            UiAvailableFields => ("Fields of this object", "此对象的字段", "此物件的欄位"),
            UiLine => (
                "Line {line}: {message}",
                "第 {line} 行：{message}",
                "第 {line} 行：{message}",
            ),
            UiSaved => ("Saved.", "已保存。", "已儲存。"),
            UiName => ("Name", "名称", "名稱"),
            UiRole => ("Role", "角色", "角色"),
            UiKind => ("User kind", "用户类型", "使用者類型"),
            UiKindInternal => ("Staff", "内部员工", "內部員工"),
            UiKindPartner => ("Partner user", "合作伙伴用户", "合作夥伴使用者"),
            UiKindPortal => ("Portal customer", "门户客户", "入口網站客戶"),
            UiActive => ("Active", "启用", "啟用"),
            UiAdministrator => ("Administrator", "管理员", "管理員"),
            UiPartnerAccount => (
                "Partner account id (partner users)",
                "合作伙伴客户 ID（合作伙伴用户）",
                "合作夥伴客戶 ID（合作夥伴使用者）",
            ),
            UiAddUser => ("Add a user", "添加用户", "新增使用者"),
            UiNoRole => ("No role", "无角色", "無角色"),
            UiParentRole => ("Reports to (parent role)", "上级角色", "上級角色"),
            UiAddRole => ("Add a role", "添加角色", "新增角色"),
            UiObjectAccess => ("Object permissions", "对象权限", "物件權限"),
            UiDefaultSharing => ("Default sharing", "默认共享", "預設共用"),
            UiSharingPrivate => (
                "Private: owners and those above them",
                "私有：负责人及其上级",
                "私人：負責人及其上級",
            ),
            UiSharingPublicRead => ("Public read only", "公开只读", "公開唯讀"),
            UiSharingPublicReadWrite => ("Public read and write", "公开读写", "公開讀寫"),
            UiPermRead => ("Read", "读取", "讀取"),
            UiPermCreate => ("Create", "创建", "建立"),
            UiPermEdit => ("Edit", "编辑", "編輯"),
            UiPermDelete => ("Delete", "删除", "刪除"),
            UiPermViewAll => ("View all", "查看全部", "檢視全部"),
            UiPermModifyAll => ("Modify all", "修改全部", "修改全部"),
            UiPermHint => (
                "A role without settings of its own may read, create, edit and delete. Administrators may do everything.",
                "没有单独设置的角色可以读取、创建、编辑和删除。管理员可以执行一切操作。",
                "沒有單獨設定的角色可以讀取、建立、編輯和刪除。管理員可以執行一切操作。",
            ),
            UiPermFor => (
                "{role}: {permission}",
                "{role}：{permission}",
                "{role}：{permission}",
            ),
            UiMembers => ("Members", "成员", "成員"),
            UiAddTeam => ("Add a team", "添加团队", "新增團隊"),
            UiObject => ("Object", "对象", "物件"),
            UiRecordOwners => ("Records owned by", "负责人属于", "負責人屬於"),
            UiCriteria => (
                "Or records matching (filter)",
                "或符合条件的记录（筛选条件）",
                "或符合條件的記錄（篩選條件）",
            ),
            UiShareWith => ("Shared with", "共享给", "共用給"),
            UiAccessLevel => ("Access", "访问级别", "存取層級"),
            UiLevelRead => ("Read only", "只读", "唯讀"),
            UiLevelEdit => ("Read and write", "读写", "讀寫"),
            UiGroupRole => ("Role: {name}", "角色：{name}", "角色：{name}"),
            UiGroupRoleAndBelow => (
                "Role and below: {name}",
                "角色及下级：{name}",
                "角色及下級：{name}",
            ),
            UiGroupTeam => ("Team: {name}", "团队：{name}", "團隊：{name}"),
            UiAddSharingRule => ("Add a sharing rule", "添加共享规则", "新增共用規則"),
            UiPrefix => ("Starts with", "前缀", "前綴"),
            UiScopes => ("Scopes", "权限范围", "權限範圍"),
            UiCreatedAt => ("Created", "创建时间", "建立時間"),
            UiLastUsed => ("Last used", "最近使用", "最近使用"),
            UiExpires => ("Expires", "过期时间", "到期時間"),
            UiRevoked => ("Revoked", "已撤销", "已撤銷"),
            UiRevoke => ("Revoke", "撤销", "撤銷"),
            UiExpiresInDays => (
                "Expires after (days; empty: never)",
                "有效天数（留空：永不过期）",
                "有效天數（留空：永不過期）",
            ),
            UiCreateToken => ("Create a token", "创建令牌", "建立權杖"),
            UiTokenShownOnce => (
                "Copy this token now: it will not be shown again. Send it as \"Authorization: Bearer …\".",
                "请立即复制此令牌：它不会再次显示。使用方式为“Authorization: Bearer …”。",
                "請立即複製此權杖：它不會再次顯示。使用方式為「Authorization: Bearer …」。",
            ),
            UiTokenCreated => ("Token created", "令牌已创建", "權杖已建立"),
            UiAction => ("Action", "操作", "操作"),
            UiActorEmail => ("By (email)", "操作人（邮箱）", "操作者（電子郵件）"),
            UiSince => ("From (date)", "开始日期", "開始日期"),
            UiUntil => ("To (date, inclusive)", "结束日期（含）", "結束日期（含）"),
            UiTime => ("Time", "时间", "時間"),
            UiRecord => ("Record", "记录", "記錄"),
            UiNothingYet => ("Nothing here yet.", "暂无内容。", "尚無內容。"),
            UiAdd => ("Add", "添加", "新增"),
            UiChange => ("Change", "修改", "修改"),
            UiIpAddress => ("From address", "来源地址", "來源位址"),
            LayoutNoSections => (
                "A layout needs at least one section.",
                "布局至少需要一个分区。",
                "配置至少需要一個區段。",
            ),
            LayoutUnknownField => (
                "There is no field '{field}' on this object.",
                "此对象没有字段“{field}”。",
                "此物件沒有欄位「{field}」。",
            ),
            LayoutFieldTwice => (
                "The field '{field}' is placed twice.",
                "字段“{field}”出现了两次。",
                "欄位「{field}」出現了兩次。",
            ),
            LayoutFieldNotShown => (
                "The field '{field}' is never shown on a page.",
                "字段“{field}”从不在页面上显示。",
                "欄位「{field}」從不在頁面上顯示。",
            ),
            LayoutLineNoSection => (
                "Start a section with a line \"## label\" before listing fields.",
                "请先用“## 标签”行开始一个分区，再列出字段。",
                "請先用「## 標籤」行開始一個區段，再列出欄位。",
            ),
            LayoutBadHeading => (
                "Give one label, or three: English | 简体 | 繁體.",
                "请给出一个标签，或三个：English | 简体 | 繁體。",
                "請給出一個標籤，或三個：English | 简体 | 繁體。",
            ),
        }
    }

    pub fn text(self, locale: Locale) -> &'static str {
        let (en, cn, tw) = self.texts();
        match locale {
            Locale::En => en,
            Locale::ZhCn => cn,
            Locale::ZhTw => tw,
        }
    }

    /// The message with `{name}` placeholders filled in.
    pub fn format(self, locale: Locale, args: &[(&str, &str)]) -> String {
        let mut out = self.text(locale).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_locale_we_speak() {
        assert_eq!(Locale::from_accept_language("en-US,en;q=0.9"), Some(Locale::En));
        assert_eq!(
            Locale::from_accept_language("zh-TW,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhTw)
        );
        assert_eq!(Locale::from_accept_language("zh-Hant-HK"), Some(Locale::ZhTw));
        assert_eq!(
            Locale::from_accept_language("fr-FR,zh-CN;q=0.5,en;q=0.4"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("fr, de"), None);
        assert_eq!(Locale::from_accept_language("en;q=0, zh"), Some(Locale::ZhCn));
    }

    #[test]
    fn placeholders_are_filled_in_every_locale() {
        for locale in Locale::ALL {
            let s = Msg::TooLong.format(locale, &[("max", "40")]);
            assert!(s.contains("40") && !s.contains("{max}"), "{s}");
        }
    }
}

//! The standard objects every Guanxi company starts with. Their tables are created
//! (and new standard fields added) by the storage layer at start-up from this description.

use crate::access::QUEUE_FIELD;
use crate::metadata::{FieldDef, FieldType, Label, ObjectDef, PicklistOption, system_fields};

fn l(en: &str, zh_cn: &str, zh_tw: &str) -> Label {
    Label::new(en, zh_cn, zh_tw)
}

fn field(name: &str, t: FieldType, label: Label) -> FieldDef {
    FieldDef::new(name, t, label)
}

fn text(name: &str, max: u32, label: Label) -> FieldDef {
    let mut f = field(name, FieldType::Text, label);
    f.max_length = Some(max);
    f
}

fn picklist(name: &str, label: Label, options: &[(&str, &str, &str, &str)]) -> FieldDef {
    field(name, FieldType::Picklist, label).with_options(options)
}

fn lookup(name: &str, target: &str, label: Label) -> FieldDef {
    let mut f = field(name, FieldType::Lookup, label);
    f.target = Some(target.into());
    f.indexed = true;
    f
}

trait Flags {
    fn with_options(self, options: &[(&str, &str, &str, &str)]) -> Self;
    fn retiring(self, options: &[(&str, &str, &str, &str)]) -> Self;
    fn required(self) -> Self;
    fn indexed(self) -> Self;
    fn unique(self) -> Self;
}

impl Flags for FieldDef {
    fn with_options(mut self, options: &[(&str, &str, &str, &str)]) -> Self {
        self.options = options
            .iter()
            .map(|(v, en, cn, tw)| PicklistOption::new(v, l(en, cn, tw)))
            .collect();
        self
    }
    fn retiring(mut self, options: &[(&str, &str, &str, &str)]) -> Self {
        self.options.extend(options.iter().map(|(v, en, cn, tw)| {
            let mut o = PicklistOption::new(v, l(en, cn, tw));
            o.active = false;
            o
        }));
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn indexed(mut self) -> Self {
        self.indexed = true;
        self
    }
    fn unique(mut self) -> Self {
        self.unique = true;
        self.indexed = true;
        self
    }
}

fn external_id() -> FieldDef {
    let mut f = text("external_id", 100, l("External ID", "外部编号", "外部編號"));
    f.external_id = true;
    f.unique = true;
    f.indexed = true;
    f
}

fn tags() -> FieldDef {
    field("tags", FieldType::Tags, l("Tags", "标签", "標籤"))
}

fn description() -> FieldDef {
    field(
        "description",
        FieldType::LongText,
        l("Description", "描述", "描述"),
    )
}

fn object(
    name: &str,
    plural: &str,
    label: Label,
    plural_label: Label,
    name_field: &str,
    fields: Vec<FieldDef>,
) -> ObjectDef {
    let mut all = system_fields();
    all.extend(fields);
    ObjectDef {
        name: name.into(),
        plural: plural.into(),
        label,
        plural_label,
        custom: false,
        name_field: name_field.into(),
        fields: all,
        table: plural.into(),
    }
}

const INDUSTRIES: &[(&str, &str, &str, &str)] = &[
    ("manufacturing", "Manufacturing", "制造业", "製造業"),
    ("equipment", "Equipment", "装备制造", "裝備製造"),
    ("electronics", "Electronics", "电子", "電子"),
    ("medical_devices", "Medical devices", "医疗器械", "醫療器材"),
    ("distribution", "Distribution", "分销", "分銷"),
    ("retail", "Retail", "零售", "零售"),
    ("foreign_trade", "Foreign trade", "外贸", "外貿"),
    (
        "professional_services",
        "Professional services",
        "专业服务",
        "專業服務",
    ),
    ("training", "Training and education", "培训教育", "培訓教育"),
    ("finance", "Finance", "金融", "金融"),
    ("it_services", "IT services", "IT 服务", "IT 服務"),
    ("agency", "Agency", "代理与广告", "代理與廣告"),
    ("other", "Other", "其他", "其他"),
];

const REGIONS: &[(&str, &str, &str, &str)] = &[
    ("east", "East China", "华东", "華東"),
    ("north", "North China", "华北", "華北"),
    ("south", "South China", "华南", "華南"),
    ("central", "Central China", "华中", "華中"),
    ("southwest", "Southwest China", "西南", "西南"),
    ("northwest", "Northwest China", "西北", "西北"),
    ("northeast", "Northeast China", "东北", "東北"),
    ("overseas", "Overseas", "海外", "海外"),
];

const SOURCES: &[(&str, &str, &str, &str)] = &[
    ("website", "Website", "官网", "官網"),
    ("referral", "Referral", "客户推荐", "客戶推薦"),
    ("trade_show", "Trade show", "展会", "展會"),
    ("cold_call", "Cold call", "电话开发", "電話開發"),
    ("advertising", "Advertising", "广告", "廣告"),
    ("partner", "Partner", "合作伙伴", "合作夥伴"),
    ("social_media", "Social media", "社交媒体", "社群媒體"),
    ("other", "Other", "其他", "其他"),
];

const CHANNELS: &[(&str, &str, &str, &str)] = &[
    ("phone", "Phone", "电话", "電話"),
    ("email", "Email", "邮件", "郵件"),
    ("wechat", "WeChat", "微信", "微信"),
    ("in_person", "In person", "面谈", "面談"),
    ("video", "Video call", "视频会议", "視訊會議"),
    ("sms", "SMS", "短信", "簡訊"),
    ("letter", "Letter", "信函", "信函"),
    ("fax", "Fax", "传真", "傳真"),
    ("web", "Web", "网站", "網站"),
    ("portal", "Customer portal", "客户门户", "客戶入口網站"),
    ("social", "Social media", "社交媒体", "社群媒體"),
    ("other", "Other", "其他", "其他"),
];

fn account() -> ObjectDef {
    let mut revenue = field(
        "annual_revenue",
        FieldType::Money,
        l("Annual revenue", "年营业额", "年營業額"),
    );
    revenue.scale = Some(2);
    object(
        "account",
        "accounts",
        l("Account", "客户", "客戶"),
        l("Accounts", "客户", "客戶"),
        "name",
        vec![
            text("name", 200, l("Account name", "客户名称", "客戶名稱"))
                .required()
                .indexed(),
            text("legal_name", 200, l("Legal name", "工商注册名称", "登記名稱")),
            text("code", 40, l("Account code", "客户编号", "客戶編號")).unique(),
            picklist(
                "type",
                l("Type", "客户类型", "客戶類型"),
                &[
                    ("prospect", "Prospect", "潜在客户", "潛在客戶"),
                    ("customer", "Customer", "成交客户", "成交客戶"),
                    ("partner", "Partner", "合作伙伴", "合作夥伴"),
                    ("distributor", "Distributor", "经销商", "經銷商"),
                    ("competitor", "Competitor", "竞争对手", "競爭對手"),
                    ("other", "Other", "其他", "其他"),
                ],
            )
            .indexed(),
            picklist("industry", l("Industry", "行业", "行業"), INDUSTRIES).indexed(),
            picklist(
                "partner_type",
                l("Partner type", "渠道类型", "管道類型"),
                &[
                    ("distributor", "Distributor", "分销商", "分銷商"),
                    ("reseller", "Reseller", "经销商", "經銷商"),
                    ("agent", "Agent", "代理商", "代理商"),
                ],
            ),
            // The tier in force: by the tier rules from what the customer bought and its
            // contract, unless one is chosen by hand (see `tiers`).
            picklist("tier", l("Tier", "客户等级", "客戶等級"), ACCOUNT_TIERS).indexed(),
            picklist(
                "tier_override",
                l("Tier chosen by hand", "手动指定等级", "手動指定等級"),
                ACCOUNT_TIERS,
            ),
            money(
                "revenue_12m",
                l("Revenue, last 12 months", "近12个月成交额", "近12個月成交額"),
            ),
            field(
                "contract_end",
                FieldType::Date,
                l("Service contract until", "服务合同到期日", "服務合約到期日"),
            ),
            picklist("region", l("Region", "大区", "大區"), REGIONS).indexed(),
            text("country", 60, l("Country", "国家", "國家")),
            text("province", 40, l("Province", "省份", "省份")).indexed(),
            text("city", 40, l("City", "城市", "城市")).indexed(),
            text("district", 40, l("District", "区县", "區縣")),
            text("address", 300, l("Address", "详细地址", "詳細地址")),
            text("postal_code", 12, l("Postal code", "邮政编码", "郵遞區號")),
            field("phone", FieldType::Phone, l("Phone", "电话", "電話")).indexed(),
            field("fax", FieldType::Phone, l("Fax", "传真", "傳真")),
            field("email", FieldType::Email, l("Email", "邮箱", "電子郵件")),
            field("website", FieldType::Url, l("Website", "网站", "網站")),
            field(
                "employees",
                FieldType::Integer,
                l("Employees", "员工人数", "員工人數"),
            ),
            revenue,
            picklist("source", l("Source", "客户来源", "客戶來源"), SOURCES),
            lookup(
                "parent_account",
                "account",
                l("Parent account", "上级客户", "上級客戶"),
            ),
            description(),
            tags(),
            external_id(),
        ],
    )
}

fn contact() -> ObjectDef {
    object(
        "contact",
        "contacts",
        l("Contact", "联系人", "聯絡人"),
        l("Contacts", "联系人", "聯絡人"),
        "name",
        vec![
            text("name", 100, l("Name", "姓名", "姓名")).required().indexed(),
            text("english_name", 100, l("English name", "英文名", "英文名")),
            picklist(
                "salutation",
                l("Salutation", "称谓", "稱謂"),
                &[
                    ("mr", "Mr.", "先生", "先生"),
                    ("ms", "Ms.", "女士", "女士"),
                    ("dr", "Dr.", "博士", "博士"),
                    ("prof", "Prof.", "教授", "教授"),
                ],
            ),
            text("title", 100, l("Title", "职务", "職稱")),
            text("department", 100, l("Department", "部门", "部門")),
            lookup("account", "account", l("Account", "所属客户", "所屬客戶")),
            lookup("reports_to", "contact", l("Reports to", "直属上级", "直屬上級")),
            field("mobile", FieldType::Phone, l("Mobile", "手机", "手機")).indexed(),
            field("phone", FieldType::Phone, l("Phone", "电话", "電話")),
            field("email", FieldType::Email, l("Email", "邮箱", "電子郵件")).indexed(),
            text("wechat", 60, l("WeChat ID", "微信号", "微信號")),
            // What we write to them in (mail, the portal); unset: Simplified Chinese.
            picklist(
                "language",
                l("Language", "沟通语言", "溝通語言"),
                &[
                    ("zh-cn", "Simplified Chinese", "简体中文", "簡體中文"),
                    ("zh-tw", "Traditional Chinese", "繁体中文", "繁體中文"),
                    ("en", "English", "英语", "英語"),
                ],
            ),
            field("birthday", FieldType::Date, l("Birthday", "生日", "生日")),
            text("province", 40, l("Province", "省份", "省份")),
            text("city", 40, l("City", "城市", "城市")).indexed(),
            text("address", 300, l("Address", "地址", "地址")),
            picklist("source", l("Source", "来源", "來源"), SOURCES),
            field(
                "email_opt_out",
                FieldType::Boolean,
                l("Email opt-out", "拒收邮件", "拒收郵件"),
            ),
            description(),
            tags(),
            external_id(),
        ],
    )
}

fn lead() -> ObjectDef {
    let mut budget = field("budget", FieldType::Money, l("Budget", "预算", "預算"));
    budget.scale = Some(2);
    object(
        "lead",
        "leads",
        l("Lead", "线索", "線索"),
        l("Leads", "线索", "線索"),
        "name",
        vec![
            text("name", 100, l("Name", "姓名", "姓名")).required().indexed(),
            text("company", 200, l("Company", "公司", "公司")).indexed(),
            text("title", 100, l("Title", "职务", "職稱")),
            field("mobile", FieldType::Phone, l("Mobile", "手机", "手機")).indexed(),
            field("phone", FieldType::Phone, l("Phone", "电话", "電話")),
            field("email", FieldType::Email, l("Email", "邮箱", "電子郵件")).indexed(),
            field("website", FieldType::Url, l("Website", "网站", "網站")),
            picklist("industry", l("Industry", "行业", "行業"), INDUSTRIES),
            picklist("region", l("Region", "大区", "大區"), REGIONS),
            text("province", 40, l("Province", "省份", "省份")),
            text("city", 40, l("City", "城市", "城市")),
            text("address", 300, l("Address", "地址", "地址")),
            picklist("source", l("Source", "线索来源", "線索來源"), SOURCES).indexed(),
            lookup("partner", "account", l("Partner", "渠道伙伴", "管道夥伴")),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("new", "New", "新线索", "新線索"),
                    ("working", "Working", "跟进中", "跟進中"),
                    ("nurturing", "Nurturing", "培育中", "培育中"),
                    ("qualified", "Qualified", "已确认", "已確認"),
                    ("unqualified", "Unqualified", "无效", "無效"),
                    ("converted", "Converted", "已转化", "已轉化"),
                ],
            )
            .required()
            .indexed(),
            picklist(
                "rating",
                l("Rating", "热度", "熱度"),
                &[
                    ("hot", "Hot", "热", "熱"),
                    ("warm", "Warm", "温", "溫"),
                    ("cold", "Cold", "冷", "冷"),
                ],
            ),
            budget,
            text("campaign", 100, l("Campaign", "营销活动", "行銷活動")).indexed(),
            picklist(
                "product_interest",
                l("Product interest", "意向产品线", "意向產品線"),
                PRODUCT_FAMILIES,
            ),
            lookup(
                "converted_account",
                "account",
                l("Converted to account", "转化后的客户", "轉化後的客戶"),
            ),
            lookup(
                "converted_contact",
                "contact",
                l("Converted to contact", "转化后的联系人", "轉化後的聯絡人"),
            ),
            lookup(
                "converted_opportunity",
                "opportunity",
                l("Converted to opportunity", "转化后的商机", "轉化後的商機"),
            ),
            field(
                "converted_at",
                FieldType::Datetime,
                l("Converted at", "转化时间", "轉化時間"),
            ),
            description(),
            tags(),
            external_id(),
        ],
    )
}

const PRODUCT_FAMILIES: &[(&str, &str, &str, &str)] = &[
    ("hardware", "Hardware", "硬件", "硬體"),
    ("software", "Software", "软件", "軟體"),
    ("service", "Service", "服务", "服務"),
    ("consumables", "Consumables", "耗材", "耗材"),
    ("spare_parts", "Spare parts", "备件", "備件"),
    ("subscription", "Subscription", "订阅", "訂閱"),
];

fn opportunity() -> ObjectDef {
    let mut amount = field("amount", FieldType::Money, l("Amount", "金额", "金額")).indexed();
    amount.scale = Some(2);
    let probability = field(
        "probability",
        FieldType::Percent,
        l("Probability", "赢率", "贏率"),
    );
    object(
        "opportunity",
        "opportunities",
        l("Opportunity", "商机", "商機"),
        l("Opportunities", "商机", "商機"),
        "name",
        vec![
            text("name", 200, l("Opportunity name", "商机名称", "商機名稱"))
                .required()
                .indexed(),
            lookup("account", "account", l("Account", "客户", "客戶")),
            lookup(
                "contact",
                "contact",
                l("Primary contact", "主要联系人", "主要聯絡人"),
            ),
            amount,
            picklist(
                "stage",
                l("Stage", "销售阶段", "銷售階段"),
                &[
                    ("prospecting", "Prospecting", "初步接洽", "初步接洽"),
                    ("qualification", "Qualification", "需求确认", "需求確認"),
                    ("proposal", "Proposal", "方案报价", "方案報價"),
                    ("negotiation", "Negotiation", "商务谈判", "商務談判"),
                    ("closed_won", "Closed won", "赢单", "贏單"),
                    ("closed_lost", "Closed lost", "输单", "輸單"),
                ],
            )
            .required()
            .indexed(),
            field(
                "close_date",
                FieldType::Date,
                l("Close date", "预计成交日期", "預計成交日期"),
            )
            .required()
            .indexed(),
            probability,
            text("process", 60, l("Sales process", "销售流程", "銷售流程")).indexed(),
            picklist(
                "channel",
                l("Sales channel", "销售渠道", "銷售管道"),
                SALES_CHANNELS,
            )
            .indexed(),
            lookup("partner", "account", l("Partner", "渠道伙伴", "管道夥伴")),
            picklist(
                "forecast_category",
                l("Forecast category", "预测类别", "預測類別"),
                &[
                    ("pipeline", "Pipeline", "管道", "管道"),
                    ("best_case", "Best case", "乐观", "樂觀"),
                    ("commit", "Commit", "承诺", "承諾"),
                    ("closed", "Closed", "已成交", "已成交"),
                    ("omitted", "Omitted", "不计入", "不計入"),
                ],
            )
            .indexed(),
            field(
                "stage_entered_at",
                FieldType::Datetime,
                l("In stage since", "进入阶段时间", "進入階段時間"),
            ),
            field(
                "checklist",
                FieldType::Tags,
                l("Stage checklist", "阶段检查项", "階段檢查項"),
            ),
            picklist(
                "type",
                l("Type", "商机类型", "商機類型"),
                &[
                    ("new_business", "New business", "新客户", "新客戶"),
                    ("existing_business", "Existing business", "老客户", "老客戶"),
                    ("renewal", "Renewal", "续约", "續約"),
                ],
            ),
            picklist("source", l("Source", "来源", "來源"), SOURCES),
            text("next_step", 255, l("Next step", "下一步", "下一步")),
            picklist(
                "loss_reason",
                l("Loss reason", "输单原因", "輸單原因"),
                &[
                    ("price", "Price", "价格", "價格"),
                    ("competitor", "Competitor", "竞争对手", "競爭對手"),
                    ("no_budget", "No budget", "无预算", "無預算"),
                    ("no_decision", "No decision", "未决策", "未決策"),
                    ("product_fit", "Product fit", "产品不匹配", "產品不符"),
                    ("other", "Other", "其他", "其他"),
                ],
            ),
            picklist(
                "win_reason",
                l("Win reason", "赢单原因", "贏單原因"),
                &[
                    ("price", "Price", "价格", "價格"),
                    ("product_fit", "Product fit", "产品契合", "產品契合"),
                    ("relationship", "Relationship", "客户关系", "客戶關係"),
                    ("service", "Service", "服务", "服務"),
                    ("delivery", "Delivery time", "交期", "交期"),
                    ("other", "Other", "其他", "其他"),
                ],
            ),
            description(),
            tags(),
            external_id(),
        ],
    )
}

fn activity() -> ObjectDef {
    object(
        "activity",
        "activities",
        l("Activity", "活动", "活動"),
        l("Activities", "活动", "活動"),
        "subject",
        vec![
            text("subject", 255, l("Subject", "主题", "主旨")).required(),
            picklist(
                "type",
                l("Type", "活动类型", "活動類型"),
                &[
                    ("call", "Call", "电话", "電話"),
                    ("email", "Email", "邮件", "郵件"),
                    ("meeting", "Meeting", "会议", "會議"),
                    ("visit", "Visit", "拜访", "拜訪"),
                    ("task", "Task", "任务", "任務"),
                    ("note", "Note", "备注", "備註"),
                ],
            )
            .required()
            .indexed(),
            picklist("channel", l("Channel", "渠道", "管道"), CHANNELS).indexed(),
            picklist(
                "direction",
                l("Direction", "方向", "方向"),
                &[
                    ("inbound", "Inbound", "呼入", "來電"),
                    ("outbound", "Outbound", "呼出", "去電"),
                    ("internal", "Internal", "内部", "內部"),
                ],
            ),
            picklist(
                "outcome",
                l("Outcome", "结果", "結果"),
                &[
                    ("completed", "Completed", "已完成", "已完成"),
                    ("no_answer", "No answer", "未接通", "未接通"),
                    ("left_message", "Left message", "已留言", "已留言"),
                    ("interested", "Interested", "有意向", "有意向"),
                    ("not_interested", "Not interested", "无意向", "無意向"),
                    ("follow_up", "Needs follow-up", "需跟进", "需跟進"),
                ],
            ),
            picklist(
                "experience",
                l("Customer experience", "客户体验", "客戶體驗"),
                &[
                    ("positive", "Positive", "正面", "正面"),
                    ("neutral", "Neutral", "中性", "中性"),
                    ("negative", "Negative", "负面", "負面"),
                ],
            ),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("planned", "Planned", "计划中", "計劃中"),
                    ("completed", "Completed", "已完成", "已完成"),
                    ("cancelled", "Cancelled", "已取消", "已取消"),
                ],
            )
            .indexed(),
            picklist(
                "priority",
                l("Priority", "优先级", "優先順序"),
                &[
                    ("high", "High", "高", "高"),
                    ("normal", "Normal", "普通", "普通"),
                    ("low", "Low", "低", "低"),
                ],
            ),
            field(
                "starts_at",
                FieldType::Datetime,
                l("Start", "开始时间", "開始時間"),
            )
            .indexed(),
            field("ends_at", FieldType::Datetime, l("End", "结束时间", "結束時間")),
            field("due_date", FieldType::Date, l("Due date", "截止日期", "截止日期")).indexed(),
            field(
                "duration_minutes",
                FieldType::Integer,
                l("Duration (minutes)", "时长（分钟）", "時長（分鐘）"),
            ),
            field(
                "reminder_minutes",
                FieldType::Integer,
                l(
                    "Reminder (minutes before)",
                    "提前提醒（分钟）",
                    "提前提醒（分鐘）",
                ),
            ),
            lookup("account", "account", l("Account", "客户", "客戶")),
            lookup("contact", "contact", l("Contact", "联系人", "聯絡人")),
            lookup("lead", "lead", l("Lead", "线索", "線索")),
            lookup("opportunity", "opportunity", l("Opportunity", "商机", "商機")),
            lookup("case", "case", l("Case", "工单", "工單")),
            text("location", 255, l("Location", "地点", "地點")),
            description(),
            tags(),
            external_id(),
        ],
    )
}

fn case() -> ObjectDef {
    object(
        "case",
        "cases",
        l("Case", "工单", "工單"),
        l("Cases", "工单", "工單"),
        "subject",
        vec![
            text("subject", 255, l("Subject", "主题", "主旨")).required(),
            lookup("account", "account", l("Account", "客户", "客戶")),
            lookup("contact", "contact", l("Contact", "联系人", "聯絡人")),
            lookup("product", "product", l("Product", "产品", "產品")),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("new", "New", "新建", "新建"),
                    ("in_progress", "In progress", "处理中", "處理中"),
                    (
                        "waiting_customer",
                        "Waiting on customer",
                        "待客户回复",
                        "待客戶回覆",
                    ),
                    ("escalated", "Escalated", "已升级", "已升級"),
                    ("resolved", "Resolved", "已解决", "已解決"),
                    ("closed", "Closed", "已关闭", "已關閉"),
                ],
            )
            .required()
            .indexed(),
            picklist(
                "priority",
                l("Priority", "优先级", "優先順序"),
                &[
                    ("urgent", "Urgent", "紧急", "緊急"),
                    ("high", "High", "高", "高"),
                    ("medium", "Medium", "中", "中"),
                    ("low", "Low", "低", "低"),
                ],
            )
            .indexed(),
            picklist(
                "type",
                l("Type", "类型", "類型"),
                &[
                    ("inquiry", "Inquiry", "查询", "查詢"),
                    ("consultation", "Consultation", "咨询", "諮詢"),
                    ("repair", "Repair", "报修", "報修"),
                    ("complaint", "Complaint", "投诉", "投訴"),
                    ("return", "Return", "退换货", "退換貨"),
                    ("feature_request", "Suggestion", "建议", "建議"),
                ],
            )
            // Types of earlier versions: still read and labelled on the cases that hold
            // them, no longer offered.
            .retiring(&[
                ("question", "Question", "问题", "問題"),
                ("problem", "Problem", "故障", "故障"),
            ]),
            picklist("origin", l("Origin", "来源渠道", "來源管道"), CHANNELS),
            // Values are the queues administrators set up (Setup → Queues).
            picklist(QUEUE_FIELD, l("Queue", "队列", "佇列"), &[]).indexed(),
            field("due_at", FieldType::Datetime, l("Due", "截止时间", "截止時間")).indexed(),
            // Set by the service level policy (business time), see `sla`.
            field(
                "first_response_due",
                FieldType::Datetime,
                l("First response due", "首次响应时限", "首次回應時限"),
            )
            .indexed(),
            field(
                "first_response_at",
                FieldType::Datetime,
                l("First response", "首次响应时间", "首次回應時間"),
            ),
            field(
                "sla_paused_at",
                FieldType::Datetime,
                l("Waiting since", "等待客户起始", "等待客戶起始"),
            ),
            // The due time last warned of and escalated at: once per due time, however
            // many nodes sweep; a due time moved by a pause is warned of again.
            field(
                "sla_warned_for",
                FieldType::Datetime,
                l("Warned of due", "已预警时限", "已預警時限"),
            ),
            field(
                "sla_escalated_for",
                FieldType::Datetime,
                l("Escalated at due", "已升级时限", "已升級時限"),
            ),
            field(
                "closed_at",
                FieldType::Datetime,
                l("Closed", "关闭时间", "關閉時間"),
            ),
            description(),
            field(
                "resolution",
                FieldType::LongText,
                l("Resolution", "解决方案", "解決方案"),
            ),
            // A complaint is resolved only with its root cause and closing summary.
            picklist(
                "root_cause",
                l("Root cause", "根本原因", "根本原因"),
                &[
                    ("product_defect", "Product defect", "产品缺陷", "產品缺陷"),
                    ("service_error", "Service error", "服务失误", "服務失誤"),
                    ("delivery", "Delivery or logistics", "交付或物流", "交付或物流"),
                    ("billing", "Billing", "账单计费", "帳單計費"),
                    (
                        "expectation",
                        "Expectation or misunderstanding",
                        "期望不符或误解",
                        "期望不符或誤解",
                    ),
                    ("third_party", "Third party", "第三方原因", "第三方原因"),
                    ("other", "Other", "其他", "其他"),
                ],
            )
            .indexed(),
            field(
                "closing_summary",
                FieldType::LongText,
                l("Closing summary", "结案总结", "結案總結"),
            ),
            // How the case went, kept by the write path for the service metrics: each
            // return from resolved or closed, each wait on the customer, each escalation;
            // resolved at the first contact (none of these); targets met.
            field(
                "reopen_count",
                FieldType::Integer,
                l("Reopened", "重开次数", "重開次數"),
            ),
            field(
                "wait_count",
                FieldType::Integer,
                l("Waits on customer", "等待客户次数", "等待客戶次數"),
            ),
            field(
                "escalation_count",
                FieldType::Integer,
                l("Escalations", "升级次数", "升級次數"),
            ),
            field(
                "first_contact_resolution",
                FieldType::Boolean,
                l("Resolved at first contact", "首次接触解决", "首次接觸解決"),
            )
            .indexed(),
            field(
                "first_response_met",
                FieldType::Boolean,
                l("First response on time", "首次响应达标", "首次回應達標"),
            ),
            field(
                "resolution_met",
                FieldType::Boolean,
                l("Resolved on time", "解决时限达标", "解決時限達標"),
            ),
            // The satisfaction survey sent when the case ends, and its answer.
            field(
                "survey_sent_at",
                FieldType::Datetime,
                l("Survey sent", "满意度调查发送时间", "滿意度調查發送時間"),
            ),
            field(
                "survey_answered_at",
                FieldType::Datetime,
                l("Survey answered", "满意度调查回复时间", "滿意度調查回覆時間"),
            )
            .indexed(),
            field(
                "csat",
                FieldType::Integer,
                l("Satisfaction (1–5)", "满意度（1–5）", "滿意度（1–5）"),
            ),
            field(
                "nps",
                FieldType::Integer,
                l(
                    "Likelihood to recommend (0–10)",
                    "推荐意愿（0–10）",
                    "推薦意願（0–10）",
                ),
            ),
            field(
                "survey_comment",
                FieldType::LongText,
                l("Survey comment", "客户评价", "客戶評價"),
            ),
            // What a web form's visitor said about themselves, kept whether or not they
            // were found among the contacts.
            text("supplied_name", 100, l("Name given", "提交人", "提交人")),
            text(
                "supplied_company",
                200,
                l("Company given", "提交单位", "提交單位"),
            ),
            field(
                "supplied_email",
                FieldType::Email,
                l("Email given", "提交邮箱", "提交電子郵件"),
            ),
            field(
                "supplied_phone",
                FieldType::Phone,
                l("Phone given", "提交电话", "提交電話"),
            ),
            tags(),
            external_id(),
        ],
    )
}

fn product() -> ObjectDef {
    let mut price = field(
        "list_price",
        FieldType::Money,
        l("List price", "标准价格", "標準價格"),
    );
    price.scale = Some(2);
    object(
        "product",
        "products",
        l("Product", "产品", "產品"),
        l("Products", "产品", "產品"),
        "name",
        vec![
            text("name", 200, l("Product name", "产品名称", "產品名稱"))
                .required()
                .indexed(),
            text("code", 60, l("Product code", "产品编码", "產品編碼")).unique(),
            picklist(
                "family",
                l("Product family", "产品线", "產品線"),
                PRODUCT_FAMILIES,
            )
            .indexed(),
            picklist("unit", l("Unit", "单位", "單位"), UNITS),
            price,
            field("tax_rate", FieldType::Percent, l("Tax rate", "税率", "稅率")),
            field("active", FieldType::Boolean, l("Active", "启用", "啟用")),
            text("specification", 300, l("Specification", "规格型号", "規格型號")),
            description(),
            tags(),
            external_id(),
        ],
    )
}

/// Where a sale is made: the channels price books are kept for and conflicts are
/// looked for between.
pub const SALES_CHANNELS: &[(&str, &str, &str, &str)] = &[
    ("direct", "Direct sales", "直销", "直銷"),
    ("partner", "Partner", "渠道伙伴", "渠道夥伴"),
    ("online", "Web / e-shop", "官网/电商", "官網/電商"),
    ("retail", "Retail", "零售", "零售"),
];

/// A sales channel as the reader's language names it.
pub fn sales_channel_label(value: &str, locale: crate::Locale) -> Option<&'static str> {
    SALES_CHANNELS
        .iter()
        .find(|(v, ..)| *v == value)
        .map(|(_, en, cn, tw)| match locale {
            crate::Locale::En => *en,
            crate::Locale::ZhTw => *tw,
            _ => *cn,
        })
}

const UNITS: &[(&str, &str, &str, &str)] = &[
    ("piece", "Piece", "个", "個"),
    ("set", "Set", "套", "套"),
    ("box", "Box", "箱", "箱"),
    ("kg", "Kilogram", "千克", "公斤"),
    ("meter", "Meter", "米", "公尺"),
    ("hour", "Hour", "小时", "小時"),
    ("year", "Year", "年", "年"),
];

const ACCOUNT_TIERS: &[(&str, &str, &str, &str)] = &[
    ("strategic", "Strategic", "战略客户", "戰略客戶"),
    ("key", "Key", "重点客户", "重點客戶"),
    ("standard", "Standard", "普通客户", "普通客戶"),
    ("small", "Small", "小微客户", "小微客戶"),
];

fn money(name: &str, label: Label) -> FieldDef {
    let mut f = field(name, FieldType::Money, label);
    f.scale = Some(2);
    f
}

fn quantity() -> FieldDef {
    let mut f = field("quantity", FieldType::Decimal, l("Quantity", "数量", "數量"));
    f.scale = Some(4);
    f.required = true;
    f
}

fn price_book() -> ObjectDef {
    object(
        "price_book",
        "price_books",
        l("Price book", "价格表", "價目表"),
        l("Price books", "价格表", "價目表"),
        "name",
        vec![
            text("name", 200, l("Price book name", "价格表名称", "價目表名稱"))
                .required()
                .indexed(),
            text("currency", 3, l("Currency", "币种", "幣別")).required(),
            picklist(
                "channel",
                l("Sales channel", "销售渠道", "銷售管道"),
                SALES_CHANNELS,
            )
            .indexed(),
            picklist(
                "segment",
                l("Customer tier", "客户等级", "客戶等級"),
                ACCOUNT_TIERS,
            ),
            field(
                "prices_include_tax",
                FieldType::Boolean,
                l("Prices include tax", "含税价", "含稅價"),
            ),
            field("active", FieldType::Boolean, l("Active", "启用", "啟用")),
            field(
                "valid_from",
                FieldType::Date,
                l("Valid from", "生效日期", "生效日期"),
            ),
            field("valid_to", FieldType::Date, l("Valid to", "失效日期", "失效日期")),
            description(),
            external_id(),
        ],
    )
}

fn price_book_entry() -> ObjectDef {
    object(
        "price_book_entry",
        "price_book_entries",
        l("Price book entry", "价格条目", "價目條目"),
        l("Price book entries", "价格条目", "價目條目"),
        "product",
        vec![
            lookup("price_book", "price_book", l("Price book", "价格表", "價目表")).required(),
            lookup("product", "product", l("Product", "产品", "產品")).required(),
            money("unit_price", l("Unit price", "单价", "單價")).required(),
            field("active", FieldType::Boolean, l("Active", "启用", "啟用")),
            external_id(),
        ],
    )
}

/// The status of a quote (and the only ones approval and ordering set).
const QUOTE_STATUSES: &[(&str, &str, &str, &str)] = &[
    ("draft", "Draft", "草稿", "草稿"),
    ("in_review", "In review", "审批中", "審批中"),
    ("approved", "Approved", "已批准", "已核准"),
    ("rejected", "Rejected", "已驳回", "已駁回"),
    ("presented", "Presented", "已报送客户", "已報送客戶"),
    ("accepted", "Accepted", "客户已接受", "客戶已接受"),
    ("denied", "Denied", "客户已拒绝", "客戶已拒絕"),
    ("ordered", "Ordered", "已下单", "已下單"),
];

/// What a quote and an order both carry: the customer, the prices' source and the totals
/// their lines add up to.
fn deal_fields(fields: &mut Vec<FieldDef>) {
    fields.extend([
        lookup("account", "account", l("Account", "客户", "客戶")),
        lookup("contact", "contact", l("Contact", "联系人", "聯絡人")),
        lookup("opportunity", "opportunity", l("Opportunity", "商机", "商機")),
        lookup("price_book", "price_book", l("Price book", "价格表", "價目表")),
        text("currency", 3, l("Currency", "币种", "幣別")),
        picklist(
            "channel",
            l("Sales channel", "销售渠道", "銷售管道"),
            SALES_CHANNELS,
        )
        .indexed(),
        lookup("partner", "account", l("Partner", "渠道伙伴", "管道夥伴")),
        field(
            "prices_include_tax",
            FieldType::Boolean,
            l("Prices include tax", "含税价", "含稅價"),
        ),
        money("subtotal", l("Subtotal", "小计", "小計")),
        money("discount_amount", l("Discount", "折扣金额", "折扣金額")),
        money("tax_amount", l("Tax", "税额", "稅額")),
        money("total", l("Total", "总计", "總計")).indexed(),
        field(
            "max_discount",
            FieldType::Percent,
            l("Largest discount", "最大折扣率", "最大折扣率"),
        ),
    ]);
}

fn quote() -> ObjectDef {
    let mut fields = vec![
        text("name", 200, l("Quote name", "报价单名称", "報價單名稱"))
            .required()
            .indexed(),
        text("number", 40, l("Quote number", "报价单号", "報價單號")).unique(),
        picklist("status", l("Status", "状态", "狀態"), QUOTE_STATUSES).indexed(),
        field(
            "valid_until",
            FieldType::Date,
            l("Valid until", "有效期至", "有效期至"),
        ),
    ];
    deal_fields(&mut fields);
    fields.extend([
        field(
            "submitted_at",
            FieldType::Datetime,
            l("Submitted for approval", "提交审批时间", "提交審批時間"),
        ),
        field(
            "approved_by",
            FieldType::User,
            l("Decided by", "审批人", "審批人"),
        ),
        field(
            "approved_at",
            FieldType::Datetime,
            l("Decided at", "审批时间", "審批時間"),
        ),
        field(
            "approval_comment",
            FieldType::LongText,
            l("Approval comment", "审批意见", "審批意見"),
        ),
        field("terms", FieldType::LongText, l("Terms", "条款", "條款")),
        description(),
        tags(),
        external_id(),
    ]);
    object(
        "quote",
        "quotes",
        l("Quote", "报价单", "報價單"),
        l("Quotes", "报价单", "報價單"),
        "name",
        fields,
    )
}

/// The fields of a quote's and an order's lines.
fn line_fields(parent: FieldDef) -> Vec<FieldDef> {
    vec![
        parent.required(),
        lookup("product", "product", l("Product", "产品", "產品")).required(),
        text("name", 200, l("Item", "品名", "品名")),
        field("position", FieldType::Integer, l("Line", "行号", "行號")),
        quantity(),
        picklist("unit", l("Unit", "单位", "單位"), UNITS),
        money("list_price", l("List price", "目录价", "目錄價")),
        money("unit_price", l("Unit price", "单价", "單價")),
        field("discount", FieldType::Percent, l("Discount", "折扣", "折扣")),
        field("tax_rate", FieldType::Percent, l("Tax rate", "税率", "稅率")),
        money("amount", l("Amount", "金额", "金額")),
        money("tax_amount", l("Tax", "税额", "稅額")),
        money("total", l("Total", "价税合计", "價稅合計")),
        field(
            "effective_discount",
            FieldType::Percent,
            l("Discount from list", "相对目录价折扣", "相對目錄價折扣"),
        ),
        text("line_description", 500, l("Line note", "备注", "備註")),
    ]
}

fn quote_line() -> ObjectDef {
    object(
        "quote_line",
        "quote_lines",
        l("Quote line", "报价明细", "報價明細"),
        l("Quote lines", "报价明细", "報價明細"),
        "name",
        line_fields(lookup("quote", "quote", l("Quote", "报价单", "報價單"))),
    )
}

fn order() -> ObjectDef {
    let mut fields = vec![
        text("name", 200, l("Order name", "订单名称", "訂單名稱"))
            .required()
            .indexed(),
        text("number", 40, l("Order number", "订单号", "訂單號")).unique(),
        picklist(
            "status",
            l("Status", "状态", "狀態"),
            &[
                ("draft", "Draft", "草稿", "草稿"),
                ("confirmed", "Confirmed", "已确认", "已確認"),
                ("fulfilled", "Fulfilled", "已交付", "已交付"),
                ("cancelled", "Cancelled", "已取消", "已取消"),
            ],
        )
        .indexed(),
        field(
            "order_date",
            FieldType::Date,
            l("Order date", "下单日期", "下單日期"),
        )
        .indexed(),
        lookup("quote", "quote", l("Quote", "报价单", "報價單")),
    ];
    deal_fields(&mut fields);
    fields.extend([
        field("terms", FieldType::LongText, l("Terms", "条款", "條款")),
        description(),
        tags(),
        external_id(),
    ]);
    object(
        "order",
        "orders",
        l("Order", "订单", "訂單"),
        l("Orders", "订单", "訂單"),
        "name",
        fields,
    )
}

fn order_line() -> ObjectDef {
    object(
        "order_line",
        "order_lines",
        l("Order line", "订单明细", "訂單明細"),
        l("Order lines", "订单明细", "訂單明細"),
        "name",
        line_fields(lookup("order", "order", l("Order", "订单", "訂單"))),
    )
}

fn activity_attendee() -> ObjectDef {
    object(
        "activity_attendee",
        "activity_attendees",
        l("Attendee", "参与人", "參與人"),
        l("Attendees", "参与人", "參與人"),
        "name",
        vec![
            text("name", 200, l("Name", "姓名", "姓名")),
            lookup("activity", "activity", l("Activity", "活动", "活動")).required(),
            field("user", FieldType::User, l("Colleague", "同事", "同事")).indexed(),
            lookup("contact", "contact", l("Contact", "联系人", "聯絡人")),
            picklist(
                "response",
                l("Response", "答复", "答覆"),
                &[
                    ("needs_action", "Awaiting reply", "待回复", "待回覆"),
                    ("accepted", "Accepted", "接受", "接受"),
                    ("tentative", "Tentative", "暂定", "暫定"),
                    ("declined", "Declined", "拒绝", "拒絕"),
                ],
            ),
            field(
                "optional",
                FieldType::Boolean,
                l("Optional", "可选参加", "可選參加"),
            ),
        ],
    )
}

/// A knowledge base article: written, reviewed, published (see `knowledge`). Readers see
/// the published version (`published_title`, `published_body`) while the next one is
/// drafted in `title` and `body`.
fn article() -> ObjectDef {
    object(
        "article",
        "articles",
        l("Article", "知识文章", "知識文章"),
        l("Knowledge base", "知识库", "知識庫"),
        "title",
        vec![
            text("title", 255, l("Title", "标题", "標題")).required(),
            text("summary", 500, l("Summary", "摘要", "摘要")),
            field("body", FieldType::LongText, l("Body", "正文", "內文")),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("draft", "Draft", "草稿", "草稿"),
                    ("in_review", "In review", "审核中", "審核中"),
                    ("published", "Published", "已发布", "已發布"),
                    ("archived", "Archived", "已归档", "已歸檔"),
                ],
            )
            .indexed(),
            picklist(
                "visibility",
                l("Visibility", "可见范围", "可見範圍"),
                &[
                    ("internal", "Internal", "仅内部", "僅內部"),
                    ("public", "Public", "对外公开", "對外公開"),
                ],
            )
            .indexed(),
            picklist(
                "language",
                l("Language", "语言", "語言"),
                &[
                    ("zh-cn", "Simplified Chinese", "简体中文", "簡體中文"),
                    ("zh-tw", "Traditional Chinese", "繁体中文", "繁體中文"),
                    ("en", "English", "英文", "英文"),
                ],
            )
            .indexed(),
            picklist(
                "category",
                l("Category", "分类", "分類"),
                &[
                    ("how_to", "How to", "使用指南", "使用指南"),
                    ("troubleshooting", "Troubleshooting", "故障排除", "故障排除"),
                    ("maintenance", "Maintenance", "维护保养", "維護保養"),
                    ("billing", "Billing and invoices", "账单发票", "帳單發票"),
                    ("policy", "Policies and warranty", "政策与保修", "政策與保固"),
                    ("faq", "FAQ", "常见问题", "常見問題"),
                ],
            )
            .indexed(),
            lookup("product", "product", l("Product", "产品", "產品")),
            lookup("translation_of", "article", l("Translation of", "译自", "譯自")),
            field(
                "review_comment",
                FieldType::LongText,
                l("Review comment", "审核意见", "審核意見"),
            ),
            // Kept by the publishing flow (status, visibility and language default to a
            // draft, internal, in its writer's language).
            field("revision", FieldType::Integer, l("Version", "版本", "版本")),
            field(
                "published_at",
                FieldType::Datetime,
                l("Published", "发布时间", "發布時間"),
            )
            .indexed(),
            text(
                "published_title",
                255,
                l("Published title", "已发布标题", "已發布標題"),
            ),
            field(
                "published_body",
                FieldType::LongText,
                l("Published body", "已发布正文", "已發布內文"),
            ),
            field(
                "helpful_yes",
                FieldType::Integer,
                l("Found helpful", "有帮助", "有幫助"),
            ),
            field(
                "helpful_no",
                FieldType::Integer,
                l("Found unhelpful", "没帮助", "沒幫助"),
            ),
            tags(),
            external_id(),
        ],
    )
}

/// A message on a case: the customer's (from the portal) or an agent's; an agent's
/// internal note is never shown to the customer.
fn case_message() -> ObjectDef {
    object(
        "case_message",
        "case_messages",
        l("Case message", "工单留言", "工單留言"),
        l("Case messages", "工单留言", "工單留言"),
        "body",
        vec![
            lookup("case", "case", l("Case", "工单", "工單")).required(),
            field("body", FieldType::LongText, l("Message", "留言", "留言")).required(),
            field(
                "from_customer",
                FieldType::Boolean,
                l("From the customer", "客户留言", "客戶留言"),
            ),
            field(
                "internal",
                FieldType::Boolean,
                l("Internal note", "内部备注", "內部備註"),
            ),
            text("author_name", 100, l("Written by", "留言人", "留言人")),
        ],
    )
}

/// A technician's visit for a case (field service): scheduled, done on site, signed off
/// by the customer (see `field_service`).
fn work_order() -> ObjectDef {
    object(
        "work_order",
        "work_orders",
        l("Work order", "派工单", "派工單"),
        l("Work orders", "派工单", "派工單"),
        "subject",
        vec![
            text("subject", 255, l("Subject", "主题", "主旨")),
            lookup("case", "case", l("Case", "工单", "工單")).required(),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("scheduled", "Scheduled", "已排程", "已排程"),
                    ("in_progress", "On site", "现场处理中", "現場處理中"),
                    ("completed", "Completed", "已完工", "已完工"),
                    ("cancelled", "Cancelled", "已取消", "已取消"),
                ],
            )
            .indexed(),
            field(
                "technician",
                FieldType::User,
                l("Technician", "服务工程师", "服務工程師"),
            )
            .indexed(),
            field(
                "scheduled_start",
                FieldType::Datetime,
                l("Scheduled from", "预约开始", "預約開始"),
            )
            .indexed(),
            field(
                "scheduled_end",
                FieldType::Datetime,
                l("Scheduled until", "预约结束", "預約結束"),
            ),
            text("address", 300, l("Address", "服务地址", "服務地址")),
            field(
                "instructions",
                FieldType::LongText,
                l("Instructions", "派工说明", "派工說明"),
            ),
            field(
                "work_done",
                FieldType::LongText,
                l("Work done", "处理记录", "處理記錄"),
            ),
            // Copied from the case.
            lookup("account", "account", l("Account", "客户", "客戶")),
            lookup("contact", "contact", l("Contact", "联系人", "聯絡人")),
            // Kept by the job sheet.
            field(
                "started_at",
                FieldType::Datetime,
                l("Arrived", "到场时间", "到場時間"),
            ),
            field(
                "completed_at",
                FieldType::Datetime,
                l("Completed", "完工时间", "完工時間"),
            ),
            text("signed_by", 100, l("Signed off by", "客户签字人", "客戶簽名人")),
            // The signature itself is kept beside the record (gx_signatures), not in it:
            // an image is neither searched nor kept in field history.
            field(
                "signed_at",
                FieldType::Datetime,
                l("Signed at", "签字时间", "簽名時間"),
            ),
        ],
    )
}

/// A customers' community post: a question, an experience or an idea about a product
/// (see `community`). Public posts are for every portal user; a company post only for
/// its author's company (and staff).
fn community_post() -> ObjectDef {
    object(
        "community_post",
        "community_posts",
        l("Community post", "社区帖子", "社群貼文"),
        l("Community", "客户社区", "客戶社群"),
        "title",
        vec![
            text("title", 200, l("Title", "标题", "標題")).required(),
            field("body", FieldType::LongText, l("Post", "内容", "內容")).required(),
            picklist(
                "kind",
                l("Kind", "类型", "類型"),
                &[
                    ("question", "Question", "提问", "提問"),
                    ("experience", "Experience", "经验分享", "經驗分享"),
                    ("idea", "Idea", "产品建议", "產品建議"),
                ],
            )
            .indexed(),
            picklist(
                "visibility",
                l("Visible to", "可见范围", "可見範圍"),
                &[
                    ("public", "Every customer", "所有客户", "所有客戶"),
                    ("company", "My company only", "仅本公司", "僅本公司"),
                ],
            )
            .indexed(),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("open", "Open", "待回答", "待回答"),
                    ("answered", "Answered", "已解答", "已解答"),
                    ("hidden", "Hidden by a moderator", "已屏蔽", "已隱藏"),
                ],
            )
            .indexed(),
            lookup("product", "product", l("Product", "产品", "產品")),
            field(
                "author_user",
                FieldType::User,
                l("Written by", "发帖人账号", "發文人帳號"),
            ),
            text("author_name", 100, l("Author", "作者", "作者")),
            lookup(
                "author_account",
                "account",
                l("Author's company", "作者公司", "作者公司"),
            ),
            field("votes", FieldType::Integer, l("Votes", "赞同数", "贊同數")),
            lookup(
                "accepted_reply",
                "community_reply",
                l("Accepted answer", "采纳的回答", "採納的回答"),
            ),
            lookup(
                "article",
                "article",
                l("Knowledge article", "知识文章", "知識文章"),
            ),
            tags(),
        ],
    )
}

/// A reply to a community post, by a customer or a colleague.
fn community_reply() -> ObjectDef {
    object(
        "community_reply",
        "community_replies",
        l("Community reply", "社区回复", "社群回覆"),
        l("Community replies", "社区回复", "社群回覆"),
        "body",
        vec![
            lookup("post", "community_post", l("Post", "帖子", "貼文")).required(),
            field("body", FieldType::LongText, l("Reply", "回复", "回覆")).required(),
            field(
                "author_user",
                FieldType::User,
                l("Written by", "回复人账号", "回覆人帳號"),
            ),
            text("author_name", 100, l("Author", "作者", "作者")),
            lookup(
                "author_account",
                "account",
                l("Author's company", "作者公司", "作者公司"),
            ),
            field(
                "from_staff",
                FieldType::Boolean,
                l("From our team", "官方回复", "官方回覆"),
            ),
            field(
                "hidden",
                FieldType::Boolean,
                l("Hidden by a moderator", "已屏蔽", "已隱藏"),
            ),
            field("votes", FieldType::Integer, l("Votes", "赞同数", "贊同數")),
        ],
    )
}

/// A customer's rating (1–5 stars) and review of a product, written in the community;
/// one per person and product, moderators may hide it.
fn product_review() -> ObjectDef {
    object(
        "product_review",
        "product_reviews",
        l("Product review", "产品评价", "產品評價"),
        l("Product reviews", "产品评价", "產品評價"),
        "title",
        vec![
            lookup("product", "product", l("Product", "产品", "產品"))
                .required()
                .indexed(),
            field("rating", FieldType::Integer, l("Stars", "星级", "星級")).required(),
            text("title", 120, l("Headline", "标题", "標題")).required(),
            field("body", FieldType::LongText, l("Review", "评价内容", "評價內容")),
            field(
                "author_user",
                FieldType::User,
                l("Written by", "评价人账号", "評價人帳號"),
            )
            .indexed(),
            text("author_name", 100, l("Author", "作者", "作者")),
            lookup(
                "author_account",
                "account",
                l("Author's company", "作者公司", "作者公司"),
            ),
            field(
                "hidden",
                FieldType::Boolean,
                l("Hidden by a moderator", "已屏蔽", "已隱藏"),
            ),
        ],
    )
}

/// What serving a case cost: time, parts, travel.
fn service_cost() -> ObjectDef {
    object(
        "service_cost",
        "service_costs",
        l("Service cost", "服务成本", "服務成本"),
        l("Service costs", "服务成本", "服務成本"),
        "description",
        vec![
            lookup("case", "case", l("Case", "工单", "工單")).required(),
            picklist(
                "kind",
                l("Kind", "类别", "類別"),
                &[
                    ("labour", "Labour", "人工", "人工"),
                    ("parts", "Parts", "备件", "備件"),
                    ("travel", "Travel", "差旅", "差旅"),
                    ("other", "Other", "其他", "其他"),
                ],
            )
            .required()
            .indexed(),
            text("description", 200, l("Description", "说明", "說明")),
            field("spent_on", FieldType::Date, l("Date", "日期", "日期")).indexed(),
            field(
                "technician",
                FieldType::User,
                l("Technician", "服务人员", "服務人員"),
            )
            .indexed(),
            field(
                "minutes",
                FieldType::Integer,
                l("Time spent (min)", "耗时（分钟）", "耗時（分鐘）"),
            ),
            lookup("work_order", "work_order", l("Work order", "派工单", "派工單")),
            lookup("part", "product", l("Part", "备件", "備件")),
            FieldDef {
                required: false,
                ..quantity()
            },
            money("amount", l("Cost", "成本金额", "成本金額")).required(),
            // Copied from the case, so costs add up per customer and per product.
            lookup("account", "account", l("Account", "客户", "客戶")),
            lookup(
                "serviced_product",
                "product",
                l("Serviced product", "服务产品", "服務產品"),
            ),
        ],
    )
}

fn channel_conflict() -> ObjectDef {
    object(
        "channel_conflict",
        "channel_conflicts",
        l("Channel conflict", "渠道冲突", "管道衝突"),
        l("Channel conflicts", "渠道冲突", "管道衝突"),
        "name",
        vec![
            text("name", 300, l("Conflict", "冲突", "衝突")).required(),
            lookup("account", "account", l("Customer", "客户", "客戶")),
            picklist(
                "kind",
                l("Kind", "类型", "類型"),
                &[
                    ("channels", "Several channels", "多渠道跟进", "多管道跟進"),
                    ("price", "Price difference", "跨渠道价差", "跨管道價差"),
                ],
            )
            .indexed(),
            picklist(
                "status",
                l("Status", "状态", "狀態"),
                &[
                    ("open", "Open", "待处理", "待處理"),
                    ("resolved", "Resolved", "已处理", "已處理"),
                ],
            )
            .indexed(),
            field(
                "channels",
                FieldType::MultiPicklist,
                l("Channels", "涉及渠道", "涉及管道"),
            )
            .with_options(SALES_CHANNELS),
            lookup("product", "product", l("Product", "产品", "產品")),
            money("low_price", l("Lowest price", "最低报价", "最低報價")),
            money("high_price", l("Highest price", "最高报价", "最高報價")),
            field(
                "price_spread",
                FieldType::Percent,
                l("Price spread", "价差", "價差"),
            ),
            field(
                "detected_at",
                FieldType::Datetime,
                l("Detected", "发现时间", "發現時間"),
            )
            .indexed(),
            picklist(
                "decision",
                l("Decision", "处理决定", "處理決定"),
                &[
                    (
                        "direct_keeps",
                        "The direct team keeps it",
                        "由直销跟进",
                        "由直銷跟進",
                    ),
                    (
                        "partner_keeps",
                        "The partner keeps it",
                        "由渠道伙伴跟进",
                        "由管道夥伴跟進",
                    ),
                    ("shared", "Worked together", "共同跟进", "共同跟進"),
                    ("price_aligned", "Prices aligned", "价格已统一", "價格已統一"),
                    ("not_a_conflict", "Not a conflict", "非冲突", "非衝突"),
                ],
            ),
            field(
                "resolution",
                FieldType::LongText,
                l("Resolution", "处理说明", "處理說明"),
            ),
            field(
                "resolved_by",
                FieldType::User,
                l("Resolved by", "处理人", "處理人"),
            ),
            field(
                "resolved_at",
                FieldType::Datetime,
                l("Resolved at", "处理时间", "處理時間"),
            ),
        ],
    )
}

fn conflict_party() -> ObjectDef {
    object(
        "conflict_party",
        "conflict_parties",
        l("Conflict party", "冲突涉及记录", "衝突涉及記錄"),
        l("Conflict parties", "冲突涉及记录", "衝突涉及記錄"),
        "name",
        vec![
            text("name", 300, l("Record", "记录", "記錄")),
            lookup("conflict", "channel_conflict", l("Conflict", "冲突", "衝突")).required(),
            lookup("opportunity", "opportunity", l("Opportunity", "商机", "商機")),
            lookup("quote", "quote", l("Quote", "报价单", "報價單")),
            lookup("account", "account", l("Account", "客户", "客戶")),
            picklist(
                "channel",
                l("Sales channel", "销售渠道", "銷售管道"),
                SALES_CHANNELS,
            ),
            lookup("partner", "account", l("Partner", "渠道伙伴", "管道夥伴")),
            money("price", l("Net unit price", "折后单价", "折後單價")),
        ],
    )
}

/// Objects that live inside another (a quote's lines, a price book's prices): reached
/// from their parent's page, not from the navigation.
const DETAIL_OBJECTS: [&str; 9] = [
    "community_reply",
    "product_review",
    "case_message",
    "service_cost",
    "price_book_entry",
    "quote_line",
    "order_line",
    "conflict_party",
    "activity_attendee",
];

/// Whether an object has its own entry in the navigation.
pub fn in_navigation(name: &str) -> bool {
    !DETAIL_OBJECTS.contains(&name)
}

/// The standard objects, in dependency order (lookup targets first where possible).
pub fn standard_objects() -> Vec<ObjectDef> {
    vec![
        account(),
        contact(),
        lead(),
        opportunity(),
        product(),
        case(),
        activity(),
        price_book(),
        price_book_entry(),
        quote(),
        quote_line(),
        order(),
        order_line(),
        channel_conflict(),
        conflict_party(),
        activity_attendee(),
        work_order(),
        service_cost(),
        case_message(),
        article(),
        community_post(),
        community_reply(),
        product_review(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::is_valid_api_name;

    #[test]
    fn standard_objects_are_well_formed() {
        let objects = standard_objects();
        let names: Vec<_> = objects.iter().map(|o| o.name.as_str()).collect();
        for o in &objects {
            assert!(is_valid_api_name(&o.name), "{}", o.name);
            assert!(o.field(&o.name_field).is_some(), "{} has its name field", o.name);
            let mut seen = std::collections::HashSet::new();
            for f in &o.fields {
                assert!(seen.insert(&f.name), "{}.{} is unique", o.name, f.name);
                assert!(is_valid_api_name(&f.name), "{}.{}", o.name, f.name);
                if let Some(t) = &f.target {
                    assert!(
                        names.contains(&t.as_str()),
                        "{}.{} targets a known object",
                        o.name,
                        f.name
                    );
                }
                // Queues are what administrators set up; every other picklist ships values.
                if matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist)
                    && f.name != QUEUE_FIELD
                {
                    assert!(!f.options.is_empty(), "{}.{} has options", o.name, f.name);
                }
            }
        }
    }
}

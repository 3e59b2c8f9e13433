//! Demo data: a believable company generated from a seed (see `generate`), loaded
//! through the one write path like any other data.

pub mod generate;

use chrono::Utc;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::records::MAX_BULK;
use crate::{Actor, Crm, ServiceError};
use generate::Generator;

/// How much to generate.
#[derive(Clone, Debug)]
pub struct Size {
    pub accounts: usize,
    pub contacts_per_account: usize,
    pub leads: usize,
    pub opportunities_per_account: usize,
    pub activities_per_contact: usize,
    pub cases: usize,
}

impl Size {
    /// What `guanxi demo` loads: enough to look around, small enough to load in a second or two.
    pub fn small() -> Size {
        Size {
            accounts: 60,
            contacts_per_account: 4,
            leads: 80,
            opportunities_per_account: 2,
            activities_per_contact: 3,
            cases: 60,
        }
    }

    /// A benchmark dataset with `contacts` contacts (ten per account) and no other records.
    pub fn contacts(contacts: usize) -> Size {
        Size {
            accounts: contacts.div_ceil(10),
            contacts_per_account: 10,
            leads: 0,
            opportunities_per_account: 0,
            activities_per_contact: 0,
            cases: 0,
        }
    }
}

/// What was loaded.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub accounts: usize,
    pub contacts: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub products: usize,
    pub price_books: usize,
    pub quotes: usize,
    pub activities: usize,
    pub cases: usize,
    pub service_costs: usize,
    pub articles: usize,
    pub rejected: usize,
}

async fn load_many(
    crm: &Crm,
    actor: &Actor,
    object: &str,
    inputs: Vec<Map<String, Json>>,
    rejected: &mut usize,
) -> Result<Vec<Uuid>, ServiceError> {
    let mut ids = Vec::with_capacity(inputs.len());
    let mut inputs = inputs.into_iter().peekable();
    while inputs.peek().is_some() {
        let chunk: Vec<_> = inputs.by_ref().take(MAX_BULK / 2).collect();
        for r in crm.bulk(actor, object, chunk, None).await? {
            match r {
                Ok((record, _)) => ids.extend(record.id()),
                Err(e) => {
                    *rejected += 1;
                    tracing::warn!(object, error = %e, "demo record rejected");
                }
            }
        }
    }
    Ok(ids)
}

fn label(en: &str, zh_cn: &str, zh_tw: &str) -> Json {
    json!({"en": en, "zh-CN": zh_cn, "zh-TW": zh_tw})
}

/// The demo company's three ways of selling (the generator's `PROCESSES` places deals in
/// their stages): project sales with site visits and a technical proposal, channel sales
/// through registered partner deals, and short retail deals.
pub fn sales_processes() -> Vec<Json> {
    let won = json!({"stage": "closed_won", "probability": 100, "forecast": "closed", "outcome": "won",
        "guidance": label("Hand over to delivery and ask for a reference.", "移交交付团队，并邀请客户做案例推荐。", "移交交付團隊，並邀請客戶做案例推薦。")});
    let lost = json!({"stage": "closed_lost", "probability": 0, "forecast": "omitted", "outcome": "lost",
        "entry_fields": ["loss_reason"],
        "guidance": label("Record why, and plan when to call again.", "记录输单原因，并安排回访时间。", "記錄輸單原因，並安排回訪時間。")});
    vec![
        json!({
            "name": "project", "default": true,
            "label": label("Project sales", "项目销售", "專案銷售"),
            "stages": [
                {"stage": "prospecting", "probability": 10, "forecast": "pipeline",
                 "guidance": label("Find the decision makers and the project's timetable.", "找到决策人，了解项目时间表。", "找到決策者，了解專案時間表。")},
                {"stage": "qualification", "probability": 20, "forecast": "pipeline",
                 "exit_activities": ["visit"],
                 "checklist": [{"key": "budget_confirmed", "label": label("Budget confirmed", "预算已确认", "預算已確認")}],
                 "guidance": label("Visit the site; confirm the budget, the need and the timeline.", "上门拜访，确认预算、需求和时间。", "登門拜訪，確認預算、需求和時程。")},
                {"stage": "proposal", "probability": 50, "forecast": "best_case", "entry_fields": ["amount"],
                 "guidance": label("Send the solution and the quotation; arrange a technical exchange.", "提交方案和报价，安排技术交流。", "提交方案和報價，安排技術交流。")},
                {"stage": "negotiation", "probability": 70, "forecast": "commit", "entry_fields": ["amount"],
                 "guidance": label("Agree price and terms; take the contract through review.", "谈定价格和条款，推动合同评审。", "談定價格和條款，推動合約審查。")},
                won.clone(), lost.clone()
            ]
        }),
        json!({
            "name": "channel",
            "label": label("Channel sales", "渠道销售", "通路銷售"),
            "stages": [
                {"stage": "prospecting", "probability": 10, "forecast": "pipeline",
                 "guidance": label("The partner registers the deal; check it against other channels.", "渠道伙伴报备商机，核对是否与其他渠道冲突。", "通路夥伴報備商機，核對是否與其他通路衝突。")},
                {"stage": "qualification", "probability": 25, "forecast": "pipeline",
                 "checklist": [{"key": "registration_approved", "label": label("Deal registration approved", "报备已批准", "報備已核准")}],
                 "guidance": label("Approve the registration and agree who leads the deal.", "批准报备，明确由谁主导。", "核准報備，明確由誰主導。")},
                {"stage": "proposal", "probability": 60, "forecast": "best_case", "entry_fields": ["amount"],
                 "guidance": label("The partner quotes from the partner price book.", "渠道伙伴按渠道价目表报价。", "通路夥伴依通路價目表報價。")},
                won.clone(), lost.clone()
            ]
        }),
        json!({
            "name": "retail",
            "label": label("Retail", "零售", "零售"),
            "stages": [
                {"stage": "prospecting", "probability": 30, "forecast": "pipeline",
                 "guidance": label("Answer within the day and send the catalogue.", "当天回复，并发送产品目录。", "當天回覆，並寄送產品目錄。")},
                {"stage": "proposal", "probability": 60, "forecast": "commit", "entry_fields": ["amount"],
                 "guidance": label("Quote from the retail price book and follow up in three days.", "按零售价目表报价，三天内跟进。", "依零售價目表報價，三天內跟進。")},
                won, lost
            ]
        }),
    ]
}

/// Defines the demo sales processes unless some are defined already.
async fn define_processes(crm: &Crm, actor: &Actor) -> Result<(), ServiceError> {
    if !crm.sales_processes(actor).await?.is_empty() {
        return Ok(());
    }
    for p in sales_processes() {
        crm.save_sales_process(actor, None, p).await?;
    }
    Ok(())
}

/// Loads the demo company unless the database already has accounts.
pub async fn load_if_empty(
    crm: &Crm,
    actor: &Actor,
    size: &Size,
    seed: u64,
) -> Result<Option<Summary>, ServiceError> {
    let existing = crm
        .list(
            actor,
            "account",
            &crate::records::ListQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
    if !existing.records.is_empty() {
        return Ok(None);
    }
    load(crm, actor, size, seed).await.map(Some)
}

/// Generates and loads a dataset of the given size.
pub async fn load(crm: &Crm, actor: &Actor, size: &Size, seed: u64) -> Result<Summary, ServiceError> {
    let mut g = Generator::new(seed);
    let mut s = Summary::default();
    let now = Utc::now();
    let today = now.date_naive();
    let products: Vec<_> = (0..Generator::products_len()).map(|i| g.product(i)).collect();
    let product_ids = load_many(crm, actor, "product", products.clone(), &mut s.rejected).await?;
    s.products = product_ids.len();
    let books = load_price_books(crm, actor, &products, &product_ids, &mut s).await?;
    let accounts: Vec<_> = (0..size.accounts).map(|i| g.account(i)).collect();
    let account_ids = load_many(crm, actor, "account", accounts, &mut s.rejected).await?;
    s.accounts = account_ids.len();

    let mut contacts = Vec::new();
    let mut contact_accounts = Vec::new();
    let mut n = 0;
    for account in &account_ids {
        for _ in 0..size.contacts_per_account {
            contacts.push(g.contact(n, Some(*account)));
            contact_accounts.push(*account);
            n += 1;
        }
    }
    let contact_ids = load_many(crm, actor, "contact", contacts, &mut s.rejected).await?;
    s.contacts = contact_ids.len();

    let leads: Vec<_> = (0..size.leads).map(|i| g.lead(i)).collect();
    s.leads = load_many(crm, actor, "lead", leads, &mut s.rejected).await?.len();

    define_processes(crm, actor).await?;
    // The distributors and agents the channel sales process sells through.
    let partners = load_many(crm, actor, "account", partner_accounts(), &mut s.rejected).await?;
    let mut opportunities = Vec::new();
    let mut opportunity_accounts = Vec::new();
    let mut opportunity_contacts = Vec::new();
    let mut n = 0;
    for (a, account) in account_ids.iter().enumerate() {
        let contact = contact_ids.get(a * size.contacts_per_account.max(1)).copied();
        for _ in 0..size.opportunities_per_account {
            let mut o = g.opportunity(n, *account, contact, today);
            // Channel sales go through a partner; the rest is the company's own.
            if o.get("process").and_then(Json::as_str) == Some("channel") && !partners.is_empty() {
                o.insert("channel".into(), json!("partner"));
                o.insert("partner".into(), json!(partners[n % partners.len()]));
            }
            opportunities.push(o);
            opportunity_accounts.push(*account);
            opportunity_contacts.push(contact);
            n += 1;
        }
    }
    let opportunity_ids = load_many(crm, actor, "opportunity", opportunities, &mut s.rejected).await?;
    s.opportunities = opportunity_ids.len();
    let deals: Vec<Deal> = opportunity_ids
        .iter()
        .zip(opportunity_accounts.iter().zip(&opportunity_contacts))
        .take(QUOTES)
        .map(|(o, (a, c))| Deal {
            opportunity: *o,
            account: *a,
            contact: *c,
        })
        .collect();
    s.quotes = load_quotes(crm, actor, &books, &deals, &mut s.rejected).await?;

    let mut activities = Vec::new();
    let mut n = 0;
    for (c, contact) in contact_ids.iter().enumerate() {
        let account = contact_accounts.get(c).copied();
        let opportunity = opportunity_accounts
            .iter()
            .position(|a| Some(*a) == account)
            .and_then(|i| opportunity_ids.get(i))
            .copied();
        for _ in 0..size.activities_per_contact {
            activities.push(g.activity(n, account, Some(*contact), opportunity, now));
            n += 1;
        }
    }
    s.activities = load_many(crm, actor, "activity", activities, &mut s.rejected)
        .await?
        .len();

    // Two queues the colleagues work: repairs and returns go to the repair desk, the rest
    // to the hotline.
    let staff: Vec<Uuid> = crm
        .policy()
        .users
        .iter()
        .filter(|(_, f)| f.kind == guanxi_core::access::UserKind::Internal)
        .map(|(u, _)| *u)
        .collect();
    for (value, en, zh_cn, zh_tw) in [
        ("hotline", "Hotline", "客服热线", "客服熱線"),
        ("repairs", "Repair desk", "维修组", "維修組"),
    ] {
        let label = serde_json::json!({"en": en, "zh-CN": zh_cn, "zh-TW": zh_tw});
        crm.put_queue(
            actor,
            value,
            serde_json::json!({"label": label, "members": staff}),
        )
        .await?;
    }
    let cases: Vec<_> = (0..size.cases)
        .map(|i| {
            let c = if contact_ids.is_empty() {
                None
            } else {
                Some(i * 7 % contact_ids.len())
            };
            let contact = c.and_then(|c| contact_ids.get(c)).copied();
            let account = c.and_then(|c| contact_accounts.get(c)).copied();
            let product = if product_ids.is_empty() {
                None
            } else {
                product_ids.get(i % product_ids.len()).copied()
            };
            let mut case = g.case(i, account, contact, product, now);
            let queue = match case.get("type").and_then(Json::as_str) {
                Some("repair" | "return") => "repairs",
                _ => "hotline",
            };
            case.insert("queue".into(), Json::from(queue));
            case
        })
        .collect();
    // Ended cases have their service costs, dated the day they ended.
    let ended: Vec<Option<String>> = cases
        .iter()
        .map(|c| {
            let done = matches!(
                c.get("status").and_then(Json::as_str),
                Some("resolved" | "closed")
            );
            c.get("closed_at")
                .and_then(Json::as_str)
                .filter(|_| done)
                .map(|t| t.chars().take(10).collect())
        })
        .collect();
    let case_ids = load_many(crm, actor, "case", cases, &mut s.rejected).await?;
    s.cases = case_ids.len();
    if case_ids.len() == ended.len() {
        let costs: Vec<_> = case_ids
            .iter()
            .zip(&ended)
            .enumerate()
            .filter_map(|(i, (id, day))| day.as_ref().map(|d| g.service_costs(i, *id, d, &product_ids)))
            .flatten()
            .collect();
        s.service_costs = load_many(crm, actor, "service_cost", costs, &mut s.rejected)
            .await?
            .len();
    }
    s.articles = load_articles(crm, actor).await?;
    // The demo opens with its channel conflicts already found.
    crm.settle_conflict_checks().await?;
    Ok(s)
}

/// The demo company's knowledge base: answers to the cases it sees most, published
/// through review, mostly public; one kept internal, one in English and one in traditional
/// Chinese for the Hong Kong and Taiwan customers.
async fn load_articles(crm: &Crm, actor: &Actor) -> Result<usize, ServiceError> {
    let articles = [
        (
            "主轴异响排查步骤",
            "troubleshooting",
            "public",
            "zh-cn",
            "主轴高速运转时异响，多由轴承磨损或动平衡失效引起。",
            "1. 停机后手动盘车，感受是否有卡滞。\n2. 检查主轴轴承润滑，按保养手册补充润滑脂。\n3. 用振动仪测量，振动值超标时联系售后更换轴承并做动平衡。",
        ),
        (
            "激光切割功率下降的常见原因",
            "troubleshooting",
            "public",
            "zh-cn",
            "切不透、切口挂渣时先查保护镜片和光路。",
            "保护镜片污染是最常见原因：取下镜片检查，有烧蚀点需更换。\n\n其次检查光路是否偏移，按说明书校准；仍无改善请报修。",
        ),
        (
            "MES 登录提示服务器错误 500",
            "troubleshooting",
            "public",
            "zh-cn",
            "多名用户同时登录报错时，多为数据库连接池耗尽。",
            "请管理员在服务器上查看连接池使用率，适当调大上限并重启服务；升级到最新补丁可避免此问题。",
        ),
        (
            "加工中心日常保养周期",
            "maintenance",
            "public",
            "zh-cn",
            "每日、每周、每季度的保养项目一览。",
            "每日：清理切屑，检查润滑油位。\n每周：清洗过滤网，检查气压。\n每季度：检查导轨精度，更换冷却液。",
        ),
        (
            "增值税专用发票开具与重开",
            "billing",
            "public",
            "zh-cn",
            "发票抬头或税号有误时如何重开。",
            "请提供正确的开票信息（名称、税号、地址电话、开户行及账号），我们作废原发票后 3 个工作日内重新开具寄出。",
        ),
        (
            "大客户折扣审批与退换货例外处理",
            "policy",
            "internal",
            "zh-cn",
            "仅限内部：超出标准政策时的审批路径。",
            "折扣超过 15% 需区域经理审批；超过 30 天的退货需售后总监批准，并在工单中记录根本原因。",
        ),
        (
            "Daily maintenance of machining centres",
            "maintenance",
            "public",
            "en",
            "What to check every day, week and quarter.",
            "Daily: clear chips, check the lubricant level.\nWeekly: clean the filters, check the air pressure.\nQuarterly: check the guideway accuracy and replace the coolant.",
        ),
        (
            "加工中心日常保養週期",
            "maintenance",
            "public",
            "zh-tw",
            "每日、每週、每季的保養項目一覽。",
            "每日：清理切屑，檢查潤滑油位。\n每週：清洗過濾網，檢查氣壓。\n每季：檢查導軌精度，更換冷卻液。",
        ),
    ];
    let mut made = 0;
    for (title, category, visibility, language, summary, body) in articles {
        let input = json!({"title": title, "category": category, "visibility": visibility, "language": language,
                           "summary": summary, "body": body});
        let Some(input) = input.as_object().cloned() else {
            continue;
        };
        let mut r = crm.create(actor, crate::knowledge::ARTICLE, input).await?;
        for status in ["in_review", "published"] {
            let Some(id) = r.id() else { break };
            let mut patch = Map::new();
            patch.insert("status".into(), json!(status));
            r = crm
                .update(actor, crate::knowledge::ARTICLE, id, r.version(), patch)
                .await?;
        }
        made += 1;
    }
    Ok(made)
}

/// The demo company's partners: a distributor and an agent.
fn partner_accounts() -> Vec<Map<String, Json>> {
    [
        ("苏州恒通分销有限公司", "distributor", "east", "苏州"),
        ("北辰科技代理（北京）有限公司", "agent", "north", "北京"),
    ]
    .into_iter()
    .filter_map(|(name, kind, region, city)| {
        json!({"name": name, "type": "distributor", "partner_type": kind, "region": region, "city": city,
               "tags": ["渠道伙伴"]})
        .as_object()
        .cloned()
    })
    .collect()
}

/// How many of the first opportunities get a quote.
const QUOTES: usize = 24;

/// One of the demo's price books.
struct DemoBook {
    name: &'static str,
    channel: Option<&'static str>,
    tier: Option<&'static str>,
    /// Its prices as a share of the list price, in percent.
    share: i64,
    with_tax: bool,
}

const fn book(
    name: &'static str,
    channel: Option<&'static str>,
    tier: Option<&'static str>,
    share: i64,
    with_tax: bool,
) -> DemoBook {
    DemoBook {
        name,
        channel,
        tier,
        share,
        with_tax,
    }
}

/// The demo's price books: for everyone, for distributors, for key and strategic customers.
const PRICE_BOOKS: [DemoBook; 4] = [
    book("标准价格表", None, None, 100, true),
    book("渠道价格表（经销商）", Some("partner"), None, 82, false),
    book("重点客户价格表", None, Some("key"), 93, true),
    book("战略客户价格表", None, Some("strategic"), 88, true),
];

/// The standard price book and the products priced in it: (product, list price).
struct Books {
    standard: Option<Uuid>,
    priced: Vec<(Uuid, rust_decimal::Decimal)>,
}

struct Deal {
    opportunity: Uuid,
    account: Uuid,
    contact: Option<Uuid>,
}

/// Price books for the general public, distributors, key and strategic customers, with a
/// price for every active product of the catalogue.
async fn load_price_books(
    crm: &Crm,
    actor: &Actor,
    products: &[Map<String, Json>],
    ids: &[Uuid],
    s: &mut Summary,
) -> Result<Books, ServiceError> {
    use std::str::FromStr;
    let active: Vec<(Uuid, rust_decimal::Decimal)> = products
        .iter()
        .zip(ids)
        .filter(|(p, _)| p.get("active") == Some(&Json::Bool(true)))
        .filter_map(|(p, id)| {
            let price = p.get("list_price")?.as_str()?;
            Some((*id, rust_decimal::Decimal::from_str(price).ok()?))
        })
        .collect();
    let mut books = Books {
        standard: None,
        priced: active.clone(),
    };
    for DemoBook {
        name,
        channel,
        tier,
        share,
        with_tax,
    } in PRICE_BOOKS
    {
        let book = json!({"name": name, "currency": "CNY", "channel": channel, "segment": tier,
                          "active": true, "prices_include_tax": with_tax});
        let Some(book) = load_many(
            crm,
            actor,
            "price_book",
            vec![book.as_object().cloned().unwrap_or_default()],
            &mut s.rejected,
        )
        .await?
        .pop() else {
            continue;
        };
        s.price_books += 1;
        if channel.is_none() && tier.is_none() {
            books.standard = Some(book);
        }
        let entries = active
            .iter()
            .map(|(product, list)| {
                let price = (*list * rust_decimal::Decimal::new(share, 2)).round_dp(2);
                json!({"price_book": book, "product": product, "unit_price": price.to_string(), "active": true})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        load_many(crm, actor, "price_book_entry", entries, &mut s.rejected).await?;
    }
    Ok(books)
}

/// Quotes for the first opportunities: one to three lines each with the discounts reps
/// give; some presented, some accepted and ordered, one discounted beyond the approval
/// threshold and waiting as a draft.
async fn load_quotes(
    crm: &Crm,
    actor: &Actor,
    books: &Books,
    deals: &[Deal],
    rejected: &mut usize,
) -> Result<usize, ServiceError> {
    if books.priced.is_empty() {
        return Ok(0);
    }
    let mut made = 0;
    for (i, d) in deals.iter().enumerate() {
        let quote = json!({"name": format!("报价 {}", i + 1), "opportunity": d.opportunity, "account": d.account,
                           "contact": d.contact, "terms": "报价有效期 30 天；合同签订后 30 日内交货；运费由卖方承担。"});
        let Some(id) = load_many(
            crm,
            actor,
            "quote",
            vec![quote.as_object().cloned().unwrap_or_default()],
            rejected,
        )
        .await?
        .pop() else {
            continue;
        };
        made += 1;
        let lines: Vec<Map<String, Json>> = (0..1 + i % 3)
            .map(|k| {
                let (product, _) = books.priced[(i * 5 + k * 3) % books.priced.len()];
                let discount = [0, 5, 10, 0, 8, 12][(i + k) % 6];
                json!({"quote": id, "product": product, "quantity": 1 + (i + k) % 4, "discount": discount})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let written = load_many(crm, actor, "quote_line", lines, rejected).await?;
        if written.is_empty() {
            continue;
        }
        let status = match i % 6 {
            1 | 4 => Some("presented"),
            2 => Some("accepted"),
            _ => None,
        };
        if let Some(status) = status {
            let change = crate::records::Change::Update {
                id,
                version: None,
                patch: json!({"status": status}).as_object().cloned().unwrap_or_default(),
            };
            for r in crm.apply(actor, "quote", vec![change]).await? {
                if let Err(e) = r {
                    *rejected += 1;
                    tracing::warn!(error = %e, "demo quote status rejected");
                }
            }
        }
        if i % 12 == 2 {
            crm.order_quote(actor, id).await?;
        }
    }
    // One quote discounted beyond the approval threshold, waiting to be submitted.
    if let (Some(d), Some((product, _))) = (deals.first(), books.priced.first()) {
        let quote = json!({"name": "大客户特价报价", "opportunity": d.opportunity, "account": d.account, "price_book": books.standard});
        if let Some(id) = load_many(
            crm,
            actor,
            "quote",
            vec![quote.as_object().cloned().unwrap_or_default()],
            rejected,
        )
        .await?
        .pop()
        {
            made += 1;
            let line = json!({"quote": id, "product": product, "quantity": 2, "discount": 22});
            load_many(
                crm,
                actor,
                "quote_line",
                vec![line.as_object().cloned().unwrap_or_default()],
                rejected,
            )
            .await?;
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_core::process::Process;

    #[test]
    fn the_generator_places_deals_in_the_stages_the_demo_processes_define() {
        let defined: Vec<Process> = sales_processes()
            .into_iter()
            .map(|p| serde_json::from_value(p).expect("a process"))
            .collect();
        assert_eq!(defined.len(), generate::PROCESSES.len());
        for ((name, stages), _) in generate::PROCESSES {
            let p = defined.iter().find(|p| p.name == *name).expect("defined");
            let generated: Vec<(&str, rust_decimal::Decimal)> =
                stages.iter().map(|((s, pr), _)| (*s, (*pr).into())).collect();
            let defined: Vec<(&str, rust_decimal::Decimal)> = p
                .stages
                .iter()
                .map(|s| (s.stage.as_str(), s.probability))
                .collect();
            assert_eq!(generated, defined, "{name}");
        }
    }
}

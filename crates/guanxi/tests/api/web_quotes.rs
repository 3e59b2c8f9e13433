//! The quote editor, approvals and the printable quote in the browser, without
//! JavaScript: a rep builds a quote on its page (problems beside their inputs), submits
//! its discount for approval, the manager approves it from their approvals, and the quote
//! prints in Chinese and English before becoming an order.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

#[tokio::test]
async fn a_rep_builds_a_quote_its_manager_approves_it_and_it_prints_in_chinese_and_english() {
    let app = TestApp::spawn().await;
    let c = crate::quotes::catalogue(&app).await;
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/quote-settings",
            Some(json!({"company_name": "苏州关系智能装备有限公司"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let director = app.add_role("销售总监", None).await;
    let reps = app.add_role("销售代表", Some(&director)).await;
    app.person("boss", Some(&director)).await;
    let (rep_id, rep_token) = app.person("rep", Some(&reps)).await;
    let account = app
        .create(
            "accounts",
            json!({"name": "华通机电", "tier": "key", "owner": rep_id}),
        )
        .await["id"]
        .clone();
    let r = app
        .request_as(
            &rep_token,
            Method::POST,
            "/api/v1/quotes",
            Some(json!({"name": "产线改造报价", "account": account, "terms": "货到付款\n含运输"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.id();
    let page_path = format!("/o/quotes/{id}");
    let lines_path = format!("/o/quotes/{id}/lines");

    let mut rep = Browser::signed_in(&app, "rep@example.org", "secret-password").await;
    let (status, _, page) = rep.get(&page_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("报价明细"), "the editor is on the quote's page");
    assert!(
        page.contains(&format!("value=\"{}\"", c.server)),
        "the book's products are offered"
    );
    let token = csrf(&page);

    // No product chosen, or a bad quantity: named beside the input; nothing is added.
    let (status, _, page) = rep
        .post(
            &lines_path,
            &[("csrf", &token), ("action", "add"), ("quantity", "2")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"new-product-error\""), "{page}");
    let (status, _, page) = rep
        .post(
            &lines_path,
            &[
                ("csrf", &token),
                ("action", "add"),
                ("product", &c.server),
                ("quantity", "两台"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"new-quantity-error\""), "{page}");

    let (status, to, _) = rep
        .post(
            &lines_path,
            &[
                ("csrf", &token),
                ("action", "add"),
                ("product", &c.server),
                ("quantity", "2"),
                ("discount", "20%"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, page_path.as_str()));
    let (_, _, page) = rep.get(&page_path).await;
    // 2 × 10,000 less 20 % = 16,000, plus 13 % tax.
    assert!(page.contains("¥18,080.00"), "the total");
    assert!(page.contains("需要审批"), "the discount needs approval");
    assert!(
        !page.contains("→ 已报送客户"),
        "not to the customer before approval"
    );

    // A line's discount beyond 100 % is named beside that line's input.
    let lines = app
        .list_all("quote_lines", &format!("filter=quote%20eq%20'{id}'"))
        .await;
    let line = lines[0]["id"].as_str().unwrap();
    let version = lines[0]["version"].to_string();
    let (status, _, page) = rep
        .post(
            &lines_path,
            &[
                ("csrf", &token),
                ("action", "save"),
                ("line", line),
                ("version", &version),
                ("quantity", "2"),
                ("discount", "150"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"line-{line}-discount-error\"")),
        "{page}"
    );

    let (status, _, _) = rep
        .post(
            &lines_path,
            &[
                ("csrf", &token),
                ("action", "submit"),
                ("comment", "年度框架客户"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = rep.get(&page_path).await;
    assert!(page.contains("等待 boss 审批"), "who decides");

    // The manager sees it waiting, is told, and approves it.
    let mut boss = Browser::signed_in(&app, "boss@example.org", "secret-password").await;
    let (_, _, approvals) = boss.get("/approvals").await;
    assert!(approvals.contains("产线改造报价"), "{approvals}");
    assert!(approvals.contains("class=\"badge\""), "an unread notification");
    let (_, _, notices) = boss.get("/notifications").await;
    assert!(notices.contains("请您审批报价单"), "{notices}");
    let (_, _, page) = boss.get(&page_path).await;
    let boss_token = csrf(&page);
    let (status, _, _) = boss
        .post(
            &lines_path,
            &[("csrf", &boss_token), ("action", "approve"), ("comment", "同意")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = rep.get(&page_path).await;
    assert!(page.contains("boss 于"), "who approved, and when");

    // The printable quote, in Chinese (with the amount in capital numerals) and English.
    let (status, _, zh) = rep.get(&format!("/o/quotes/{id}/print?lang=zh-CN")).await;
    assert_eq!(status, 200);
    assert!(zh.contains("<h1>报价单</h1>"), "{zh}");
    assert!(zh.contains("苏州关系智能装备有限公司"));
    assert!(zh.contains("华通机电"));
    assert!(zh.contains("壹万捌仟零捌拾元整"), "{zh}");
    assert!(zh.contains("以上价格不含税"));
    let (_, _, en) = rep.get(&format!("/o/quotes/{id}/print?lang=en")).await;
    assert!(en.contains("<h1>Quotation</h1>"));
    assert!(en.contains("CN¥18,080.00"));
    assert!(en.contains("Unit price"));
    assert!(!en.contains("元整"), "no capital numerals in English");

    // Ordered: the order page lists the copied line.
    let (status, to, _) = rep
        .post(&lines_path, &[("csrf", &token), ("action", "order")])
        .await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/o/orders/"), "{to}");
    let (status, _, order) = rep.get(&to).await;
    assert_eq!(status, 200);
    assert!(order.contains("工控服务器"));
    assert!(order.contains("¥18,080.00"));
}

//! Products, price books, quotes and orders: lines priced from the right price book and
//! added up in decimal money, discounts beyond the company's threshold approved by a
//! manager above the quote's owner, and a quote becoming an order.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn amount(v: &Value) -> String {
    v["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("no amount in {v}"))
        .to_string()
}

async fn product(app: &TestApp, name: &str, code: &str, list: &str, tax: &str) -> String {
    app.create(
        "products",
        json!({"name": name, "code": code, "unit": "set", "tax_rate": tax, "active": true,
               "list_price": {"amount": list, "currency": "CNY"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn book(app: &TestApp, body: Value) -> String {
    app.create("price_books", body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn price(app: &TestApp, book: &str, product: &str, price: &str) {
    app.create(
        "price_book_entries",
        json!({"price_book": book, "product": product, "unit_price": price, "active": true}),
    )
    .await;
}

async fn line_as(app: &TestApp, token: &str, quote: &str, body: Value) -> crate::helpers::Resp {
    let mut body = body;
    body["quote"] = json!(quote);
    app.request_as(token, Method::POST, "/api/v1/quote_lines", Some(body), &[])
        .await
}

async fn quote(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/quotes/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Three price books for three kinds of customer, two products.
pub(crate) struct Catalogue {
    pub(crate) server: String,
    pub(crate) install: String,
    pub(crate) general: String,
    pub(crate) partner: String,
    pub(crate) key: String,
}

pub(crate) async fn catalogue(app: &TestApp) -> Catalogue {
    let server = product(app, "工控服务器", "SRV-1", "12000", "13").await;
    let install = product(app, "安装调试", "SVC-1", "800", "6").await;
    let general = book(
        app,
        json!({"name": "标准价格表", "currency": "cny", "active": true, "prices_include_tax": true}),
    )
    .await;
    let partner = book(
        app,
        json!({"name": "渠道价格表", "currency": "CNY", "channel": "partner", "active": true}),
    )
    .await;
    let key = book(
        app,
        json!({"name": "重点客户价格表", "currency": "CNY", "segment": "key", "active": true}),
    )
    .await;
    price(app, &general, &server, "11300").await;
    price(app, &general, &install, "1060").await;
    price(app, &partner, &server, "9000").await;
    price(app, &partner, &install, "650").await;
    price(app, &key, &server, "10000").await;
    price(app, &key, &install, "700").await;
    Catalogue {
        server,
        install,
        general,
        partner,
        key,
    }
}

#[tokio::test]
async fn a_quote_takes_the_price_book_of_its_channel_and_customer_tier() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    // A book's currency is a code, kept in capitals.
    let b = app.get(&format!("/api/v1/price_books/{}", c.general)).await;
    assert_eq!(b.body["currency"], "CNY");
    let key_account = app
        .create("accounts", json!({"name": "华通机电", "tier": "key"}))
        .await["id"]
        .clone();
    let small_account = app
        .create("accounts", json!({"name": "小张五金", "tier": "small"}))
        .await["id"]
        .clone();

    let q = app
        .create("quotes", json!({"name": "产线改造", "account": key_account}))
        .await;
    assert_eq!(q["price_book"], json!(c.key), "the key account's book");
    assert_eq!(q["status"], "draft");
    assert_eq!(q["currency"], "CNY");
    assert!(
        q["number"].as_str().unwrap().starts_with("BJ-"),
        "numbered: {}",
        q["number"]
    );
    assert_eq!(amount(&q["total"]), "0.00");

    let q = app
        .create(
            "quotes",
            json!({"name": "渠道报价", "account": key_account, "channel": "partner"}),
        )
        .await;
    assert_eq!(
        q["price_book"],
        json!(c.partner),
        "a channel's book before a tier's"
    );
    let q = app
        .create("quotes", json!({"name": "零星采购", "account": small_account}))
        .await;
    assert_eq!(q["price_book"], json!(c.general), "the general book otherwise");
    assert_eq!(q["prices_include_tax"], true, "as its book says");

    // A book in another currency than the quote asks for is refused, naming the currency.
    let r = app
        .post(
            "/api/v1/quotes",
            json!({"name": "美元报价", "price_book": c.general, "currency": "USD"}),
        )
        .await;
    r.assert_problem(422, "currency");
    // No book in that currency: the quote has none, and lines need a unit price.
    let usd = app
        .create("quotes", json!({"name": "美元报价", "currency": "USD"}))
        .await;
    assert!(usd["price_book"].is_null());
    let usd_id = usd["id"].as_str().unwrap();
    let r = line_as(
        &app,
        &app.token,
        usd_id,
        json!({"product": c.server, "quantity": 1}),
    )
    .await;
    r.assert_problem(422, "unit_price");
    let r = line_as(
        &app,
        &app.token,
        usd_id,
        json!({"product": c.server, "quantity": 1, "unit_price": "1500"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["unit_price"]["currency"], "USD", "in the quote's currency");
    assert!(r.body["list_price"].is_null());

    // One product, one price per book.
    let r = app
        .post(
            "/api/v1/price_book_entries",
            json!({"price_book": c.key, "product": c.server, "unit_price": "1"}),
        )
        .await;
    r.assert_problem(422, "product");
}

#[tokio::test]
async fn lines_are_priced_and_added_up_in_decimal_money() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let account = app
        .create("accounts", json!({"name": "华通机电", "tier": "key"}))
        .await["id"]
        .clone();
    let q = app
        .create("quotes", json!({"name": "产线改造", "account": account}))
        .await;
    let id = q["id"].as_str().unwrap().to_string();

    // 3 servers at the key book's 10,000 less 10 %: tax on top at the product's 13 %.
    let first = line_as(
        &app,
        &app.token,
        &id,
        json!({"product": c.server, "quantity": 3, "discount": "10"}),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let l = &first.body;
    assert_eq!(l["name"], "工控服务器", "named after its product");
    assert_eq!(l["unit"], "set");
    assert_eq!(amount(&l["list_price"]), "10000.00");
    assert_eq!(amount(&l["unit_price"]), "10000.00");
    assert_eq!(l["tax_rate"], "13.00");
    assert_eq!(amount(&l["amount"]), "27000.00");
    assert_eq!(amount(&l["tax_amount"]), "3510.00");
    assert_eq!(amount(&l["total"]), "30510.00");
    assert_eq!(l["effective_discount"], "10.00");
    assert_eq!(l["position"], 1);

    // Installation sold below its list price of 700: a discount from list all the same.
    let second = line_as(
        &app,
        &app.token,
        &id,
        json!({"product": c.install, "quantity": "2.5", "unit_price": "595"}),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["position"], 2);
    assert_eq!(amount(&second.body["amount"]), "1487.50");
    assert_eq!(amount(&second.body["tax_amount"]), "89.25");
    assert_eq!(second.body["effective_discount"], "15.00");

    let q = quote(&app, &id).await;
    assert_eq!(amount(&q["subtotal"]), "31487.50");
    assert_eq!(amount(&q["discount_amount"]), "3000.00");
    assert_eq!(amount(&q["tax_amount"]), "3599.25");
    assert_eq!(amount(&q["total"]), "32086.75");
    assert_eq!(q["max_discount"], "15.00");

    // The system's figures are not the user's to set.
    let r = app
        .patch(
            &format!("/api/v1/quotes/{id}"),
            json!({"total": "1"}),
            &q["version"].to_string(),
        )
        .await;
    r.assert_problem(422, "total");
    let line_id = second.body["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/quote_lines/{line_id}"),
            json!({"amount": "1"}),
            &second.body["version"].to_string(),
        )
        .await;
    r.assert_problem(422, "amount");
    for (field, value) in [
        ("quantity", json!(0)),
        ("discount", json!("120")),
        ("unit_price", json!("-5")),
    ] {
        let r = line_as(
            &app,
            &app.token,
            &id,
            json!({"product": c.install, "quantity": 1, field: value}),
        )
        .await;
        r.assert_problem(422, field);
    }
    // A product missing from the quote's book cannot be quoted from it.
    let other = product(&app, "触摸屏", "HMI-1", "3000", "13").await;
    line_as(&app, &app.token, &id, json!({"product": other, "quantity": 1}))
        .await
        .assert_problem(422, "product");

    // Changing a line or removing one adds the quote up again.
    let r = app
        .patch(
            &format!("/api/v1/quote_lines/{line_id}"),
            json!({"quantity": "1"}),
            &second.body["version"].to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(amount(&quote(&app, &id).await["total"]), "31140.70");
    let first_id = first.body["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/quote_lines/{first_id}"))
            .await
            .status,
        200
    );
    let q = quote(&app, &id).await;
    assert_eq!(amount(&q["total"]), "630.70");
    assert_eq!(q["max_discount"], "15.00");

    // The price book cannot change under existing lines.
    let r = app
        .patch(
            &format!("/api/v1/quotes/{id}"),
            json!({"price_book": c.general}),
            &q["version"].to_string(),
        )
        .await;
    r.assert_problem(422, "price_book");

    // In a book whose prices hold tax, the tax is inside the amount.
    let small = app
        .create("accounts", json!({"name": "小张五金", "tier": "small"}))
        .await["id"]
        .clone();
    let retail = app
        .create("quotes", json!({"name": "零售", "account": small}))
        .await;
    let rid = retail["id"].as_str().unwrap();
    let r = line_as(&app, &app.token, rid, json!({"product": c.server, "quantity": 1})).await;
    assert_eq!(amount(&r.body["amount"]), "11300.00");
    assert_eq!(amount(&r.body["tax_amount"]), "1300.00");
    assert_eq!(amount(&r.body["total"]), "11300.00");
    let retail = quote(&app, rid).await;
    assert_eq!(amount(&retail["total"]), "11300.00");
    assert_eq!(amount(&retail["tax_amount"]), "1300.00");
}

#[tokio::test]
async fn a_discount_beyond_the_threshold_needs_a_managers_approval() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let director = app.add_role("销售总监", None).await;
    let reps = app.add_role("销售代表", Some(&director)).await;
    let (boss_id, boss) = app.person("boss", Some(&director)).await;
    let (rep_id, rep) = app.person("rep", Some(&reps)).await;
    let (_, peer) = app.person("peer", Some(&reps)).await;
    let account = app
        .create(
            "accounts",
            json!({"name": "华通机电", "tier": "key", "owner": rep_id}),
        )
        .await["id"]
        .clone();
    let r = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/quotes",
            Some(json!({"name": "产线改造", "account": account})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.id();
    let path = |p: &str| format!("/api/v1/quotes/{id}{p}");
    let line = line_as(
        &app,
        &rep,
        &id,
        json!({"product": c.server, "quantity": 2, "discount": "20"}),
    )
    .await;
    assert_eq!(line.status, 201, "{}", line.body);

    let approval = app
        .request_as(&rep, Method::GET, &path("/approval"), None, &[])
        .await;
    assert_eq!(approval.body["needs_approval"], true, "{}", approval.body);
    assert_eq!(approval.body["threshold"], "15");
    assert_eq!(approval.body["approvers"][0]["id"], json!(boss_id));

    // Past the threshold, the quote cannot reach the customer, nor approve itself.
    let q = quote(&app, &id).await;
    for status in ["presented", "approved", "accepted"] {
        let r = app
            .request_as(
                &rep,
                Method::PATCH,
                &path(""),
                Some(json!({"status": status})),
                &[("If-Match", &q["version"].to_string())],
            )
            .await;
        r.assert_problem(422, "status");
    }
    let r = app
        .request_as(&rep, Method::POST, &path("/order"), None, &[])
        .await;
    r.assert_problem(422, "status");

    let r = app
        .request_as(
            &rep,
            Method::POST,
            &path("/submit"),
            Some(json!({"comment": "战略客户"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "in_review");
    // While in review, the lines stay as submitted.
    line_as(&app, &rep, &id, json!({"product": c.install, "quantity": 1}))
        .await
        .assert_problem(422, "quote");

    // The manager is told; the quote waits in their approvals.
    let n = app
        .request_as(
            &boss,
            Method::GET,
            "/api/v1/me/notifications?unread=true",
            None,
            &[],
        )
        .await;
    assert_eq!(n.body["unread"], 1, "{}", n.body);
    assert!(
        n.body["data"][0]["text"].as_str().unwrap().contains("产线改造"),
        "{}",
        n.body
    );
    let waiting = app
        .request_as(&boss, Method::GET, "/api/v1/approvals", None, &[])
        .await;
    assert_eq!(waiting.body["data"][0]["id"], json!(id), "{}", waiting.body);
    let none = app
        .request_as(&peer, Method::GET, "/api/v1/approvals", None, &[])
        .await;
    assert_eq!(none.body["data"], json!([]));

    // Neither a peer nor the owner decides; a rejection says why.
    let r = app
        .request_as(&peer, Method::POST, &path("/approve"), None, &[])
        .await;
    r.assert_problem_status(403);
    let r = app
        .request_as(&rep, Method::POST, &path("/approve"), None, &[])
        .await;
    r.assert_problem_status(403);
    let r = app
        .request_as(
            &boss,
            Method::POST,
            &path("/reject"),
            Some(json!({"comment": " "})),
            &[],
        )
        .await;
    r.assert_problem(422, "comment");
    let r = app
        .request_as(
            &boss,
            Method::POST,
            &path("/reject"),
            Some(json!({"comment": "折扣最多18%"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(r.body["approval_comment"], "折扣最多18%");
    let n = app
        .request_as(&rep, Method::GET, "/api/v1/me/notifications", None, &[])
        .await;
    assert!(
        n.body["data"][0]["text"]
            .as_str()
            .unwrap()
            .contains("折扣最多18%"),
        "{}",
        n.body
    );

    // Rejected: the rep may change the lines and submit again.
    let r = app
        .request_as(
            &rep,
            Method::PATCH,
            &format!("/api/v1/quote_lines/{}", line.body["id"].as_str().unwrap()),
            Some(json!({"discount": "18"})),
            &[("If-Match", &line.body["version"].to_string())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(&rep, Method::POST, &path("/submit"), None, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(
            &boss,
            Method::POST,
            &path("/approve"),
            Some(json!({"comment": "同意"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["approved_by"], json!(boss_id));
    let approval = app
        .request_as(&rep, Method::GET, &path("/approval"), None, &[])
        .await;
    assert_eq!(approval.body["decided_by"]["name"], "boss");

    // Approved: presented to the customer, accepted, ordered.
    for status in ["presented", "accepted"] {
        let q = quote(&app, &id).await;
        let r = app
            .request_as(
                &rep,
                Method::PATCH,
                &path(""),
                Some(json!({"status": status})),
                &[("If-Match", &q["version"].to_string())],
            )
            .await;
        assert_eq!(r.status, 200, "{status}: {}", r.body);
    }
    let q = quote(&app, &id).await;
    let r = app
        .request_as(&rep, Method::POST, &path("/order"), None, &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order = r.body;
    assert_eq!(order["quote"], json!(id));
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["account"], account);
    assert!(order["number"].as_str().unwrap().starts_with("DD-"));
    assert_eq!(amount(&order["total"]), amount(&q["total"]));
    assert_eq!(order["max_discount"], q["max_discount"]);
    let lines = app
        .list_all(
            "order_lines",
            &format!("filter=order%20eq%20'{}'", order["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(lines.len(), 1);
    assert_eq!(amount(&lines[0]["list_price"]), "10000.00");
    assert_eq!(lines[0]["discount"], "18.00");
    assert_eq!(quote(&app, &id).await["status"], "ordered");
    // An order made from a quote keeps its lines; the quote is done.
    let r = app
        .request_as(
            &rep,
            Method::PATCH,
            &format!("/api/v1/order_lines/{}", lines[0]["id"].as_str().unwrap()),
            Some(json!({"quantity": 5})),
            &[("If-Match", &lines[0]["version"].to_string())],
        )
        .await;
    r.assert_problem(422, "order");
    let r = app
        .request_as(&rep, Method::POST, &path("/order"), None, &[])
        .await;
    r.assert_problem(422, "status");

    let actions = app.audit_actions().await;
    for a in ["quote.submit", "quote.reject", "quote.approve", "quote.order"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}

#[tokio::test]
async fn within_the_threshold_a_quote_needs_no_approval_and_admins_set_the_threshold() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let q = app
        .create("quotes", json!({"name": "小额", "price_book": c.key}))
        .await;
    let id = q["id"].as_str().unwrap().to_string();
    let r = line_as(
        &app,
        &app.token,
        &id,
        json!({"product": c.server, "quantity": 1, "discount": "20"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Only administrators move the threshold, to a percent.
    let r = app
        .request_as(
            &app.user_token,
            Method::PUT,
            "/api/v1/admin/quote-settings",
            Some(json!({"discount_threshold": "30"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/quote-settings",
            Some(json!({"discount_threshold": "120"})),
            &[],
        )
        .await;
    r.assert_problem(422, "discount_threshold");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/quote-settings",
            Some(json!({"discount_threshold": 25})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/admin/quote-settings").await.body["discount_threshold"],
        "25"
    );

    let r = app.post(&format!("/api/v1/quotes/{id}/submit"), json!({})).await;
    r.assert_problem(422, "status");
    let q = quote(&app, &id).await;
    let r = app
        .patch(
            &format!("/api/v1/quotes/{id}"),
            json!({"status": "presented"}),
            &q["version"].to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Presented, its lines are fixed until it goes back to draft.
    line_as(
        &app,
        &app.token,
        &id,
        json!({"product": c.install, "quantity": 1}),
    )
    .await
    .assert_problem(422, "quote");
    assert!(app.audit_actions().await.iter().any(|a| a == "quote.settings"));
}

#[tokio::test]
async fn the_demo_company_quotes_from_its_price_books_and_some_quotes_became_orders() {
    let app = TestApp::spawn().await;
    let admin = app.crm.actor_for_email("admin@example.com").await.expect("admin");
    let summary = guanxi_services::demo::load(&app.crm, &admin, &guanxi_services::demo::Size::small(), 2026)
        .await
        .expect("demo");
    assert_eq!(summary.rejected, 0, "{summary:?}");
    assert_eq!(summary.price_books, 4);
    let quotes = app.list_all("quotes", "limit=200").await;
    assert_eq!(quotes.len(), summary.quotes);
    assert!(quotes.len() > 20);
    for q in &quotes {
        assert!(!q["price_book"].is_null(), "every quote prices from a book: {q}");
        let total: f64 = amount(&q["total"]).parse().unwrap();
        assert!(total > 0.0, "{q}");
    }
    let statuses: std::collections::HashSet<&str> =
        quotes.iter().filter_map(|q| q["status"].as_str()).collect();
    for s in ["draft", "presented", "ordered"] {
        assert!(statuses.contains(s), "{s} among {statuses:?}");
    }
    let orders = app.list_all("orders", "limit=200").await;
    assert!(!orders.is_empty());
    assert!(orders.iter().all(|o| !o["quote"].is_null()));
    // Channel sales go through the demo's partners; where the direct team works the same
    // customer, a conflict waits to be resolved.
    let partner_deals = app
        .list_all("opportunities", "filter=channel%20eq%20'partner'")
        .await;
    assert!(!partner_deals.is_empty());
    assert!(partner_deals.iter().all(|o| !o["partner"].is_null()));
    let open = app
        .list_all("channel_conflicts", "filter=status%20eq%20'open'")
        .await;
    assert!(!open.is_empty(), "the demo shows channel conflicts");
    // The special price waits for approval.
    let special = quotes
        .iter()
        .find(|q| q["name"] == "大客户特价报价")
        .expect("special price");
    let approval = app
        .get(&format!(
            "/api/v1/quotes/{}/approval",
            special["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(approval.body["needs_approval"], true, "{}", approval.body);
}

#[tokio::test]
async fn search_finds_a_product_not_every_quote_line_named_after_it() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let q = app
        .create("quotes", json!({"name": "产线改造", "price_book": c.key}))
        .await;
    let id = q["id"].as_str().unwrap();
    let r = line_as(&app, &app.token, id, json!({"product": c.server, "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Asked for by name, lines are found (once the indexer has them).
    let mut lines = Vec::new();
    for _ in 0..200 {
        lines = crate::search::results(&app, &app.token, "工控服务器", "&object=quote_lines").await;
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(lines.len(), 1, "{lines:?}");
    // Searched for across objects, the product is, not every line named after it.
    let found = crate::search::results(&app, &app.token, "工控服务器", "").await;
    let objects: Vec<&str> = found.iter().filter_map(|f| f["object"].as_str()).collect();
    assert_eq!(objects, vec!["products"], "{found:?}");
}

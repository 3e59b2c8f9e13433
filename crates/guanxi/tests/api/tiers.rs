//! Customer tiers: administrators grade customers by what they bought in the last twelve
//! months and by their service contracts; a tier chosen by hand stands; the tier follows
//! every write and the hourly regrade, and the service levels read it.

use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A day relative to today in Beijing, as the API writes dates.
fn day(offset: i64) -> String {
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let d = if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    d.unwrap().to_string()
}

fn amount(v: &Value) -> f64 {
    v["amount"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or(f64::NAN)
}

async fn won(app: &TestApp, account: &Value, amount: &str, currency: &str, closed: i64) {
    app.create(
        "opportunities",
        json!({"name": format!("成交 {amount}"), "stage": "closed_won", "account": account["id"],
               "close_date": day(closed), "amount": {"amount": amount, "currency": currency}}),
    )
    .await;
}

async fn account(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/accounts/{}", id.as_str().unwrap()))
        .await
        .body
}

#[tokio::test]
async fn customers_are_graded_into_tiers_by_revenue_contracts_and_by_hand() {
    let app = TestApp::spawn().await;
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/admin/tier-rules",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.get("/api/v1/admin/tier-rules").await.body, json!({}));

    // Each bad member of the rules is named; nothing is stored.
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/tier-rules",
            Some(
                json!({"rules": [{"tier": "gold", "min_revenue": 1}, {"tier": "key"},
                                  {"tier": "key", "min_revenue": "很多"}],
                        "otherwise": "bronze"}),
            ),
            &[],
        )
        .await;
    r.assert_problem_status(422);
    assert_eq!(
        r.fields_at_fault(),
        [
            "rules[0].tier",
            "rules[1].tier",
            "rules[2].min_revenue",
            "otherwise"
        ]
    );
    assert_eq!(app.get("/api/v1/admin/tier-rules").await.body, json!({}));

    // Without rules the tier is whatever people set.
    let big = app
        .create(
            "accounts",
            json!({"name": "华东重工", "tier": "small", "contract_end": day(200)}),
        )
        .await;
    won(&app, &big, "1200000", "CNY", -30).await;
    let middling = app.create("accounts", json!({"name": "苏州精密"})).await;
    won(&app, &middling, "400000", "CNY", -30).await;
    // Won more than a year ago, in another currency, or lost: not counted.
    won(&app, &middling, "900000", "CNY", -400).await;
    won(&app, &middling, "900000", "USD", -10).await;
    app.create(
        "opportunities",
        json!({"name": "丢单", "stage": "closed_lost", "account": middling["id"], "close_date": day(-5),
               "amount": {"amount": "900000", "currency": "CNY"}}),
    )
    .await;
    let modest = app.create("accounts", json!({"name": "宁波小五金"})).await;
    won(&app, &modest, "30000", "CNY", -100).await;
    won(&app, &modest, "30000", "CNY", 0).await;
    let quiet = app.create("accounts", json!({"name": "无锡初创"})).await;
    let contracted = app
        .create("accounts", json!({"name": "常州维保", "contract_end": day(0)}))
        .await;
    let chosen = app
        .create(
            "accounts",
            json!({"name": "集团总部", "tier_override": "strategic"}),
        )
        .await;
    assert_eq!(chosen["tier"], "strategic", "a tier chosen by hand is the tier");
    assert_eq!(account(&app, &big["id"]).await["tier"], "small");

    let rules = json!({
        "currency": "CNY",
        "rules": [
            {"tier": "strategic", "min_revenue": "1000000", "contract": true},
            {"tier": "key", "min_revenue": 300000},
            {"tier": "key", "contract": true},
            {"tier": "standard", "min_revenue": "50000"},
        ],
        "otherwise": "small",
    });
    let r = app
        .request(Method::PUT, "/api/v1/admin/tier-rules", Some(rules.clone()), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["regraded"]["accounts"], 6);
    assert_eq!(r.body["regraded"]["changed"], 5, "all but the one chosen by hand");
    assert_eq!(
        app.get("/api/v1/admin/tier-rules").await.body["rules"][1]["min_revenue"],
        "300000"
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "customer.tier_rules.set")
    );

    let graded = account(&app, &big["id"]).await;
    assert_eq!(graded["tier"], "strategic");
    assert_eq!(amount(&graded["revenue_12m"]), 1_200_000.0);
    assert_eq!(graded["revenue_12m"]["currency"], "CNY");
    let graded = account(&app, &middling["id"]).await;
    assert_eq!(
        (graded["tier"].as_str(), amount(&graded["revenue_12m"])),
        (Some("key"), 400_000.0)
    );
    let graded = account(&app, &modest["id"]).await;
    assert_eq!(
        (graded["tier"].as_str(), amount(&graded["revenue_12m"])),
        (Some("standard"), 60_000.0)
    );
    let graded = account(&app, &quiet["id"]).await;
    assert_eq!(
        (graded["tier"].as_str(), &graded["revenue_12m"]),
        (Some("small"), &Value::Null)
    );
    assert_eq!(
        account(&app, &contracted["id"]).await["tier"],
        "key",
        "a contract ending today is in force"
    );
    assert_eq!(account(&app, &chosen["id"]).await["tier"], "strategic");
    // Nothing moved: a second regrade changes nothing.
    let r = app.post("/api/v1/admin/tier-rules/regrade", json!({})).await;
    assert_eq!(r.body, json!({"accounts": 6, "changed": 0}));

    // Revenue is counted, not typed.
    let path = format!("/api/v1/accounts/{}", quiet["id"].as_str().unwrap());
    let r = app
        .patch(
            &path,
            json!({"revenue_12m": {"amount": "5000000", "currency": "CNY"}}),
            &app.get(&path).await.etag(),
        )
        .await;
    r.assert_problem(422, "revenue_12m");
    // Setting the tier itself to one the rules would not give is choosing it by hand; it
    // survives the regrade, and clearing the choice hands the account back to the rules.
    let r = app
        .patch(&path, json!({"tier": "key"}), &app.get(&path).await.etag())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["tier"].as_str(), r.body["tier_override"].as_str()),
        (Some("key"), Some("key"))
    );
    app.post("/api/v1/admin/tier-rules/regrade", json!({})).await;
    assert_eq!(account(&app, &quiet["id"]).await["tier"], "key");
    let r = app
        .patch(
            &path,
            json!({"tier_override": null}),
            &app.get(&path).await.etag(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tier"], "small");
    // A contract that ended yesterday grades at once.
    let cpath = format!("/api/v1/accounts/{}", contracted["id"].as_str().unwrap());
    let r = app
        .patch(
            &cpath,
            json!({"contract_end": day(-1)}),
            &app.get(&cpath).await.etag(),
        )
        .await;
    assert_eq!(r.body["tier"], "small");

    // New business counts at the next regrade; the customer's next case is timed by its tier.
    won(&app, &quiet, "500000", "CNY", 0).await;
    let r = app.post("/api/v1/admin/tier-rules/regrade", json!({})).await;
    assert_eq!(r.body, json!({"accounts": 6, "changed": 1}));
    let graded = account(&app, &quiet["id"]).await;
    assert_eq!(
        (graded["tier"].as_str(), amount(&graded["revenue_12m"])),
        (Some("key"), 500_000.0)
    );
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/sla-policy",
            Some(json!({"targets": [{"resolution": 2400}, {"tier": "key", "resolution": 240}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let case = app
        .create(
            "cases",
            json!({"subject": "设备报修", "status": "new", "type": "repair", "account": quiet["id"]}),
        )
        .await;
    let created: chrono::DateTime<Utc> = case["created_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<Utc> = case["due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due - created <= chrono::TimeDelta::days(3),
        "four business hours, not forty"
    );

    // The account's page says why it has its tier.
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = desk
        .get(&format!("/o/accounts/{}", middling["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("tier-basis"), "{page}");
    assert!(page.contains("300,000"), "{page}");
    let (_, _, page) = desk
        .get(&format!("/o/accounts/{}", chosen["id"].as_str().unwrap()))
        .await;
    assert!(
        page.contains("手动指定") || page.contains("chosen by hand"),
        "{page}"
    );
}

#[tokio::test]
async fn earlier_case_types_stay_readable_but_are_no_longer_offered() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/cases",
            json!({"subject": "老类型", "status": "new", "type": "problem"}),
        )
        .await;
    r.assert_problem(422, "type");
    let meta = app.get("/api/v1/metadata/objects/case").await.body;
    let types = meta["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "type")
        .unwrap()["options"]
        .clone();
    let offered: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["active"] != false)
        .filter_map(|o| o["value"].as_str())
        .collect();
    assert_eq!(
        offered,
        [
            "inquiry",
            "consultation",
            "repair",
            "complaint",
            "return",
            "feature_request"
        ]
    );
}

#[tokio::test]
async fn administrators_set_tier_rules_on_a_setup_page_and_regrade_at_will() {
    let app = TestApp::spawn().await;
    let big = app.create("accounts", json!({"name": "华东重工"})).await;
    won(&app, &big, "800000", "CNY", -3).await;
    app.create("accounts", json!({"name": "无锡初创"})).await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/admin/customer-tiers").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("客户分级") || page.contains("Customer tiers"),
        "{page}"
    );
    let token = crate::web::csrf(&page);
    let form = |least: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("currency", "CNY".to_string()),
            ("time_zone", "".to_string()),
            // Row 0 left empty: dropped; row 1 is the first rule sent.
            ("rules[0].tier", "".to_string()),
            ("rules[0].min_revenue", "".to_string()),
            ("rules[1].tier", "key".to_string()),
            ("rules[1].min_revenue", least.to_string()),
            ("rules[2].tier", "standard".to_string()),
            ("rules[2].contract", "on".to_string()),
            ("otherwise", "small".to_string()),
        ]
    };
    let bad = form("五十万");
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = b.post("/admin/customer-tiers", &refs).await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="tier-1-min_revenue-error""#),
        "on the row it is about: {page}"
    );
    assert!(page.contains(r#"value="五十万""#), "what was typed stays");
    assert_eq!(app.get("/api/v1/admin/tier-rules").await.body, json!({}));

    let good = form("500000");
    let refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to, _) = b.post("/admin/customer-tiers", &refs).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/admin/customer-tiers?changed=2&accounts=2")
    );
    let stored = app.get("/api/v1/admin/tier-rules").await.body;
    assert_eq!(
        stored["rules"],
        json!([{"tier": "key", "min_revenue": "500000", "contract": false},
               {"tier": "standard", "min_revenue": null, "contract": true}])
    );
    assert_eq!(account(&app, &big["id"]).await["tier"], "key");
    let (_, _, page) = b.get(&to).await;
    assert!(
        page.contains("2 of 2") || page.contains("2 个客户中 2 个"),
        "{page}"
    );
    // The account list shows each customer's tier beside its name on its cases.
    app.create(
        "cases",
        json!({"subject": "报修", "status": "new", "type": "repair", "account": big["id"]}),
    )
    .await;
    let (_, _, page) = b.get("/o/cases").await;
    assert!(page.contains(r#"<span class="tier">"#), "{page}");

    let token = crate::web::csrf(&page);
    let (status, to, _) = b
        .post("/admin/customer-tiers/regrade", &[("csrf", token.as_str())])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/admin/customer-tiers?changed=0&accounts=2")
    );
}

#[tokio::test]
async fn a_customers_tier_shows_beside_it_in_search_results() {
    let app = TestApp::spawn().await;
    let account = app
        .create(
            "accounts",
            json!({"name": "杭州远景制冷设备有限公司", "tier": "strategic"}),
        )
        .await;
    app.create("contacts", json!({"name": "远景客服", "account": account["id"]}))
        .await;
    app.crm.refresh_search().await.unwrap();
    let r = app
        .request(
            Method::GET,
            "/api/v1/search?q=远景",
            None,
            &[("Accept-Language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let found = r.body["data"].as_array().unwrap();
    let company = found
        .iter()
        .find(|x| x["object"] == "accounts")
        .expect("the account");
    assert_eq!(company["tier"], "strategic");
    assert_eq!(company["tier_label"], "战略客户");
    let person = found
        .iter()
        .find(|x| x["object"] == "contacts")
        .expect("the contact");
    assert_eq!(person["tier"], Value::Null, "only customers have tiers");

    let mut browser = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = browser.get("/search?q=%E8%BF%9C%E6%99%AF").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<span class="tier">战略客户</span>"#), "{page}");
    app.stop().await;
}

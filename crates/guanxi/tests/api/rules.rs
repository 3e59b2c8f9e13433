//! Validation rules administrators add per object hold on every write: the API, bulk,
//! the web forms — each failure beside its field, in the reader's language.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn rules_hold_on_every_write_and_name_their_field_in_the_readers_language() {
    let app = TestApp::spawn().await;
    let add = |body: serde_json::Value| {
        let app = &app;
        async move { app.post("/api/v1/admin/validation-rules", body).await }
    };
    let msg = |en: &str, cn: &str, tw: &str| json!({"en": en, "zh-CN": cn, "zh-TW": tw});
    let r = add(json!({"object": "opportunities", "name": "输单需写原因", "kind": "required_if", "field": "loss_reason",
        "when": "stage eq 'closed_lost'", "message": msg("Say why it was lost.", "输单请填写原因。", "輸單請填寫原因。")}))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rule_id = r.body["id"].as_str().unwrap().to_string();
    let r = add(json!({"object": "opportunity", "name": "赢率 0–100", "kind": "range", "field": "probability",
        "min": "0", "max": "100", "message": msg("0 to 100.", "赢率应在 0 到 100 之间。", "贏率應在 0 到 100 之間。")}))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = add(json!({"object": "account", "name": "客户编号格式", "kind": "pattern", "field": "code",
        "pattern": "KH-\\d{6}", "message": msg("Like KH-000001.", "客户编号格式如 KH-000001。", "客戶編號格式如 KH-000001。")}))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // A lost opportunity without a reason is refused, naming the field, in the caller's language.
    let lost = json!({"name": "丢了", "stage": "closed_lost", "close_date": "2026-12-31"});
    let r = app.post("/api/v1/opportunities", lost.clone()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "loss_reason");
    let r = app
        .request(
            Method::POST,
            "/api/v1/opportunities",
            Some(lost.clone()),
            &[("Accept-Language", "zh-CN")],
        )
        .await;
    assert!(r.body.to_string().contains("输单请填写原因"), "{}", r.body);
    let mut with_reason = lost.clone();
    with_reason["loss_reason"] = json!("price");
    assert_eq!(app.post("/api/v1/opportunities", with_reason).await.status, 201);

    // On update the record as it would be written counts; bulk refuses only the bad ones.
    let open = app
        .create(
            "opportunities",
            json!({"name": "还在谈", "stage": "proposal", "close_date": "2026-12-31"}),
        )
        .await;
    let r = app
        .patch(
            &format!("/api/v1/opportunities/{}", open["id"].as_str().unwrap()),
            json!({"stage": "closed_lost"}),
            "1",
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("loss_reason"))
    );
    let r = app
        .post(
            "/api/v1/opportunities/bulk",
            json!({"records": [
            {"name": "好的", "stage": "proposal", "close_date": "2026-12-31", "probability": 40},
            {"name": "坏的", "stage": "proposal", "close_date": "2026-12-31", "probability": 140}]}),
        )
        .await;
    assert_eq!(
        (r.body["created"].as_i64(), r.body["failed"].as_i64()),
        (Some(1), Some(1)),
        "{}",
        r.body
    );
    let r = app
        .post("/api/v1/accounts", json!({"name": "格式测试", "code": "KH-12"}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("code"))
    );

    // Bad rules are refused naming the place; only administrators manage rules.
    let r = add(
        json!({"object": "account", "name": "坏", "kind": "pattern", "field": "nope", "pattern": "(",
        "message": msg("x", "", "x")}),
    )
    .await;
    assert_eq!(r.status, 422);
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["field", "message.zh-CN", "pattern"]);
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/admin/validation-rules",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.get("/api/v1/admin/validation-rules?object=opportunities")
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Deleted, the rule no longer applies; both changes are audited.
    assert_eq!(
        app.delete(&format!("/api/v1/admin/validation-rules/{rule_id}"))
            .await
            .status,
        204
    );
    assert_eq!(app.post("/api/v1/opportunities", lost).await.status, 201);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"metadata.validation_rule.add".to_string()));
    assert!(actions.contains(&"metadata.validation_rule.delete".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn administrators_manage_rules_on_a_setup_page_and_forms_show_them_beside_the_field() {
    let app = TestApp::spawn().await;
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get("/admin/validation-rules").await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&page);
    let base = [
        ("csrf", token.as_str()),
        ("object", "account"),
        ("name", "客户编号格式"),
        ("kind", "pattern"),
        ("field", "code"),
        ("message_en", "Like KH-000001."),
        ("message_zh_cn", "客户编号格式如 KH-000001。"),
        ("message_zh_tw", ""),
    ];
    let mut bad = base.to_vec();
    bad.push(("pattern", "KH-(\\d{6}"));
    let (status, _, page) = b.post("/admin/validation-rules", &bad).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"vrule-pattern-error\"") && page.contains("客户编号格式"),
        "error beside the pattern, input kept"
    );
    assert!(
        app.get("/api/v1/admin/validation-rules").await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mut good = base.to_vec();
    good.push(("pattern", "KH-\\d{6}"));
    let (status, to, _) = b.post("/admin/validation-rules", &good).await;
    assert_eq!((status, to.as_str()), (303, "/admin/validation-rules"));
    let (_, _, page) = b.get("/admin/validation-rules").await;
    assert!(page.contains("code ~ /KH-\\d{6}/"));

    // The record form shows the rule's message beside the field; nothing is saved.
    let (_, _, form) = b.get("/o/accounts/new").await;
    let token = crate::web::csrf(&form);
    let (status, _, page) = b
        .post(
            "/o/accounts/new",
            &[("csrf", &token), ("name", "格式不对的客户"), ("code", "12345")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"e-code\"") && page.contains("客户编号格式如 KH-000001。"));
    assert!(app.list_all("accounts", "").await.is_empty());

    let id = app.get("/api/v1/admin/validation-rules").await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, _) = b
        .post(
            &format!("/admin/validation-rules/{id}/delete"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = b
        .post(
            "/o/accounts/new",
            &[("csrf", &token), ("name", "格式不对的客户"), ("code", "12345")],
        )
        .await;
    assert_eq!(status, 303, "without the rule it saves");
    app.stop().await;
}

#[tokio::test]
async fn coding_rules_number_new_records_uniquely_even_when_written_at_once() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/admin/coding-rules",
            json!({"object": "accounts", "field": "code", "pattern": "KH-{yyyy}-{seq:5}"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The company calendar (UTC+8 by default) dates the codes.
    let year = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y")
        .to_string();

    // Forty creates at the same moment, some alone, some in a bulk: forty distinct codes.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (url, token) = (app.url.clone(), app.token.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/api/v1/accounts"))
                .bearer_auth(token)
                .json(&json!({"name": format!("并发客户{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let bulk: Vec<serde_json::Value> = (0..10).map(|i| json!({"name": format!("批量客户{i}")})).collect();
    let r = app.post("/api/v1/accounts/bulk", json!({"records": bulk})).await;
    assert_eq!(r.body["created"], 10, "{}", r.body);
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let mut codes: Vec<String> = app
        .list_all("accounts", "")
        .await
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("KH-{year}-{n:05}")).collect();
    assert_eq!(codes, expected, "one number each, none skipped");

    // A code given by hand is kept; a refused create burns no number.
    let r = app
        .post("/api/v1/accounts", json!({"name": "手填编号", "code": "VIP-1"}))
        .await;
    assert_eq!(r.body["code"], "VIP-1");
    let r = app.post("/api/v1/accounts", json!({"name": ""})).await;
    assert_eq!(r.status, 422);
    let r = app.post("/api/v1/accounts", json!({"name": "第四十一个"})).await;
    assert_eq!(r.body["code"], format!("KH-{year}-00041"));

    // Bad rules name what is wrong.
    let r = app
        .post(
            "/api/v1/admin/coding-rules",
            json!({"object": "accounts", "field": "code", "pattern": "KH-{yyyy}"}),
        )
        .await;
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        (r.status.as_u16(), fields),
        (422, vec!["field", "pattern"]),
        "taken field and no {{seq}}"
    );
    let r = app
        .post(
            "/api/v1/admin/coding-rules",
            json!({"object": "accounts", "field": "annual_revenue", "pattern": "{seq:3}"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("field"))
    );
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/admin/coding-rules",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    app.stop().await;
}

#[tokio::test]
async fn administrators_set_coding_rules_on_a_setup_page() {
    let app = TestApp::spawn().await;
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get("/admin/coding-rules").await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&page);
    let (status, _, page) = b
        .post(
            "/admin/coding-rules",
            &[
                ("csrf", &token),
                ("object", "account"),
                ("field", "code"),
                ("pattern", "KH-{yyyy}"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"coding-pattern-error\"") && page.contains("value=\"KH-{yyyy}\""),
        "error beside, input kept"
    );
    let (status, to, _) = b
        .post(
            "/admin/coding-rules",
            &[
                ("csrf", &token),
                ("object", "account"),
                ("field", "code"),
                ("pattern", "KH-{seq:4}"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/coding-rules"));
    let (_, _, page) = b.get("/admin/coding-rules").await;
    assert!(page.contains("KH-{seq:4}"));
    let created = app
        .create("accounts", json!({"name": "编号来自页面的规则"}))
        .await;
    assert_eq!(created["code"], "KH-0001");
    let (status, _, _) = b
        .post(
            "/admin/coding-rules",
            &[("object", "account"), ("field", "name"), ("pattern", "{seq:2}")],
        )
        .await;
    assert_eq!(status, 403, "no CSRF token");
    app.stop().await;
}

//! Service cases as customers raise them: the public case form links a known customer's
//! request to their contact and company, keeps what an unknown visitor said, follows the
//! assignment rules, and keeps robots and floods out like the lead form.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_public_case_form_links_known_customers_and_keeps_what_visitors_say() {
    let app = TestApp::spawn().await;
    let account = app
        .create("accounts", json!({"name": "宁波海川模具有限公司"}))
        .await;
    let contact = app
        .create(
            "contacts",
            json!({"name": "孙丽", "account": account["id"], "email": "sun.li@haichuan.cn",
                   "mobile": "13655556666"}),
        )
        .await;
    let agent = app.add_user("complaints@example.com", "投诉专员").await;
    let r = app
        .post(
            "/api/v1/admin/assignment-rules",
            json!({"name": "投诉", "object": "case", "order": 1,
                   "criteria": "type eq 'complaint'", "users": [agent]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let mut visitor = crate::web::Browser::new(&app);
    let (status, _, page) = visitor.get("/forms/case").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("联系客服") && page.contains(r#"name="website_url""#) && page.contains("投诉"),
        "{page}"
    );

    // 1. A customer we know, by an email typed in another case: linked to them and their
    //    company, and assigned by the rule for complaints.
    let (status, to, _) = visitor
        .post(
            "/forms/case",
            &[
                ("name", "孙丽"),
                ("email", "Sun.Li@HAICHUAN.cn"),
                ("type", "complaint"),
                ("subject", "模具交付延迟"),
                ("description", "订单 SO-1024 已延迟两周"),
                ("website_url", ""),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/case/thanks"));
    let cases = app.list_all("cases", "").await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["contact"], contact["id"]);
    assert_eq!(case["account"], account["id"]);
    assert_eq!(
        (&case["status"], &case["origin"], &case["type"]),
        (&json!("new"), &json!("web"), &json!("complaint"))
    );
    assert_eq!(case["supplied_email"], "sun.li@haichuan.cn");
    assert_eq!(case["owner"], json!(agent));
    // It is on the customer's timeline and among their open cases.
    let view = app
        .get(&format!(
            "/api/v1/accounts/{}/360",
            account["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert!(
        view.body["open_cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case["id"]),
        "{}",
        view.body
    );

    // 2. Someone we do not know, by phone: no contact, what they said kept.
    let (status, _, _) = visitor
        .post(
            "/forms/case",
            &[
                ("name", "王强"),
                ("company", "某电子厂"),
                ("mobile", "137 0000 0001"),
                ("subject", "设备报警代码 E42"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let unknown = app.list_all("cases", "filter=supplied_name%20eq%20'王强'").await;
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["contact"], Value::Null);
    assert_eq!(unknown[0]["supplied_phone"], "+8613700000001");
    assert_eq!(unknown[0]["supplied_company"], "某电子厂");

    // 3. No subject: said beside its input, the rest kept on the page.
    let (status, _, page) = visitor
        .post("/forms/case", &[("email", "a@b.cn"), ("description", "急")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="subject-error""#), "{page}");
    assert!(page.contains(r#"value="a@b.cn""#), "{page}");

    // 4. A robot: thanked, not stored.
    let (status, to, _) = visitor
        .post(
            "/forms/case",
            &[
                ("subject", "Buy now"),
                ("email", "spam@example.com"),
                ("website_url", "x"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/case/thanks"));
    assert_eq!(app.list_all("cases", "").await.len(), 2);

    // 5. A website's script posts JSON; a bad email is named as the form's input.
    let r = app
        .client
        .post(format!("{}/forms/case", app.url))
        .json(&json!({"subject": "Login fails", "email": "not-an-email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "email", "{body}");

    // 6. The limit counts per form: five cases from one address, the sixth refused —
    //    and the lead form is still open to them.
    let (status, _, page) = visitor
        .post("/forms/case", &[("subject", "第六"), ("mobile", "13700000006")])
        .await;
    assert_eq!(status, 429, "{page}");
    assert_eq!(app.list_all("cases", "").await.len(), 2);
    let (status, _, _) = visitor
        .post("/forms/lead", &[("name", "第七"), ("mobile", "13700000007")])
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = visitor.get("/forms/case/thanks").await;
    assert_eq!(status, 200);
    assert!(page.contains("服务团队已收到"), "{page}");
    app.stop().await;
}

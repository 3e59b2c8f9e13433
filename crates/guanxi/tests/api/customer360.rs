//! One customer, one view: an account's or a contact's contacts and relationships, every
//! interaction, open business and cases, lifetime value, last and next contact — only
//! what the asker may see.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_360_view_gathers_everything_around_an_account_and_a_contact() {
    let app = TestApp::spawn().await;
    let account = app.create("accounts", json!({"name": "华东精密机械"})).await;
    let a = account["id"].as_str().unwrap().to_string();
    let boss = app
        .create("contacts", json!({"name": "周总", "account": a}))
        .await;
    let boss_id = boss["id"].as_str().unwrap().to_string();
    let buyer = app
        .create(
            "contacts",
            json!({"name": "采购小李", "account": a, "reports_to": boss_id}),
        )
        .await;
    let buyer_id = buyer["id"].as_str().unwrap().to_string();
    for (name, stage, amount, currency) in [
        ("2025 框架协议", "closed_won", "800000", "CNY"),
        ("备件补货", "closed_won", "50000.50", "CNY"),
        ("海外子公司", "closed_won", "10000", "USD"),
        ("二期扩产", "proposal", "1500000", "CNY"),
        ("失败的试点", "closed_lost", "90000", "CNY"),
    ] {
        app.create(
            "opportunities",
            json!({"name": name, "stage": stage, "account": a, "contact": buyer_id, "close_date": "2026-12-31",
                   "amount": {"amount": amount, "currency": currency}}),
        )
        .await;
    }
    for (subject, channel, status, at, experience) in [
        (
            "微信确认交期",
            "wechat",
            "completed",
            "2026-11-20T02:00:00Z",
            "positive",
        ),
        (
            "投诉交货延迟",
            "phone",
            "completed",
            "2026-11-10T02:00:00Z",
            "negative",
        ),
        (
            "年度回访",
            "in_person",
            "planned",
            "2099-03-01T02:00:00Z",
            "neutral",
        ),
    ] {
        app.create(
            "activities",
            json!({"subject": subject, "type": "call", "channel": channel, "status": status, "starts_at": at,
                   "experience": experience, "account": a, "contact": buyer_id, "direction": "inbound"}),
        )
        .await;
    }
    app.create(
        "cases",
        json!({"subject": "主轴异响", "status": "in_progress", "account": a, "contact": buyer_id}),
    )
    .await;
    app.create(
        "cases",
        json!({"subject": "说明书缺页", "status": "closed", "account": a, "contact": buyer_id}),
    )
    .await;

    let r = app.get(&format!("/api/v1/accounts/{a}/360")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = &r.body;
    assert_eq!(v["record"]["name"], "华东精密机械");
    let names: Vec<&str> = v["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["周总", "采购小李"]);
    let subjects: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects[0], "年度回访",
        "newest (the planned one) first: {subjects:?}"
    );
    assert!(
        subjects.contains(&"主轴异响") && subjects.contains(&"说明书缺页"),
        "cases are interactions too"
    );
    let complaint = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"] == "投诉交货延迟")
        .unwrap();
    assert_eq!(
        (
            complaint["kind"].as_str(),
            complaint["channel"].as_str(),
            complaint["experience"].as_str()
        ),
        (Some("activity"), Some("phone"), Some("negative"))
    );
    let open: Vec<&str> = v["open_opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(open, ["二期扩产"]);
    assert_eq!(v["open_cases"].as_array().unwrap().len(), 1);
    let mut ltv: Vec<(String, String)> = v["lifetime_value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["currency"].as_str().unwrap().into(),
                x["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    ltv.sort();
    assert_eq!(
        ltv,
        [
            ("CNY".into(), "850000.50".into()),
            ("USD".into(), "10000.00".into())
        ]
    );
    assert_eq!(v["last_contact"], "2026-11-20T02:00:00.000000Z");
    assert_eq!(v["next_contact"], "2099-03-01T02:00:00.000000Z");

    let r = app.get(&format!("/api/v1/contacts/{buyer_id}/360")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reports_to"]["name"], "周总");
    let colleagues: Vec<&str> = r.body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        colleagues,
        ["周总"],
        "colleagues at the same account, not the contact itself"
    );
    let r = app.get(&format!("/api/v1/contacts/{boss_id}/360")).await;
    assert_eq!(r.body["direct_reports"][0]["name"], "采购小李");

    // The account's page shows it at a glance.
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (_, _, page) = b.get(&format!("/o/accounts/{a}")).await;
    let glance = &page[page.find("id=\"glance\"").expect("the at-a-glance card")..];
    assert!(
        glance.contains("¥850,000.50 · US$10,000.00"),
        "won so far per currency"
    );
    assert!(glance.contains("¥1,500,000.00") && glance.contains("正面 1") && glance.contains("负面 1"));

    // Only accounts and contacts have a 360° view.
    let opp = app.list_all("opportunities", "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get(&format!("/api/v1/opportunities/{opp}/360")).await.status,
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn the_360_view_holds_only_what_the_asker_may_see() {
    let app = TestApp::spawn().await;
    let account = app.create("accounts", json!({"name": "保密客户"})).await;
    let a = account["id"].as_str().unwrap().to_string();
    app.create(
        "opportunities",
        json!({"name": "秘密大单", "stage": "closed_won", "account": a,
        "close_date": "2026-12-31", "amount": {"amount": "999", "currency": "CNY"}}),
    )
    .await;
    for object in ["opportunities", "accounts"] {
        let r = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/access/{object}"),
                Some(json!({"sharing": "private"})),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/accounts/{a}/360"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "an account they cannot read has no view for them");
    // Shared with them, the account shows — but not the opportunity they still cannot read.
    let me = app
        .request_as(&app.user_token, Method::GET, "/api/v1/me", None, &[])
        .await
        .body["id"]
        .as_str()
        .expect("who am I")
        .to_string();
    {
        let r = app
            .post(
                &format!("/api/v1/accounts/{a}/shares"),
                json!({"user": me, "level": "read"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app
            .request_as(
                &app.user_token,
                Method::GET,
                &format!("/api/v1/accounts/{a}/360"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["lifetime_value"],
            json!([]),
            "won business they cannot see is not counted"
        );
        assert!(!r.body.to_string().contains("秘密大单"));
    }
    app.stop().await;
}

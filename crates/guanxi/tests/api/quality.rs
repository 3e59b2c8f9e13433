//! Data quality for administrators: every record scores out of 100 — completeness of the
//! fields that matter, validity of what is stored by today's checks and rules, and
//! looking like no other record — with the reasons; every object gets a report.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn contacts(app: &TestApp) -> (String, String) {
    let account = app.create("accounts", json!({"name": "华通科技有限公司"})).await;
    let full = app
        .create(
            "contacts",
            json!({"name": "张伟", "account": account["id"], "title": "采购经理", "mobile": "13800138000",
                   "email": "zw@huatong.cn", "city": "杭州"}),
        )
        .await;
    let sparse = app
        .create("contacts", json!({"name": "李娜", "title": "销售"}))
        .await;
    (
        full["id"].as_str().unwrap().to_string(),
        sparse["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn each_record_scores_its_completeness_and_validity_with_reasons() {
    let app = TestApp::spawn().await;
    let (full, sparse) = contacts(&app).await;

    let q = app.get(&format!("/api/v1/contacts/{full}/quality")).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["score"], 100, "{}", q.body);
    assert_eq!(q.body["missing"], json!([]));

    let q = app.get(&format!("/api/v1/contacts/{sparse}/quality")).await.body;
    assert_eq!(q["missing"], json!(["account", "mobile", "email", "city"]), "{q}");
    // 2 of 6 fields filled (50 × 1/3), every checked value valid (30), no duplicate (20).
    assert_eq!(q["score"], 67, "{q}");

    // A rule added today makes stored data invalid today, and says why.
    let r = app
        .post(
            "/api/v1/admin/validation-rules",
            json!({"object": "contacts", "name": "职务须为中文", "kind": "pattern", "field": "title",
                   "pattern": "^[A-Za-z ]+$",
                   "message": {"en": "Titles in English.", "zh-CN": "职务请用英文。", "zh-TW": "職稱請用英文。"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q = app
        .request(
            Method::GET,
            &format!("/api/v1/contacts/{sparse}/quality"),
            None,
            &[("Accept-Language", "en")],
        )
        .await
        .body;
    assert_eq!(q["invalid"][0]["field"], "title", "{q}");
    assert_eq!(q["invalid"][0]["detail"], "Titles in English.");
    assert!(q["score"].as_u64().unwrap() < 67, "{q}");

    // Administrators only.
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/contacts/{full}/quality"),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(403);
    app.stop().await;
}

#[tokio::test]
async fn an_object_report_shows_fill_rates_invalid_values_and_the_records_most_in_need() {
    let app = TestApp::spawn().await;
    let (full, sparse) = contacts(&app).await;
    let r = app.get("/api/v1/admin/data-quality/contacts").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let q = &r.body;
    assert_eq!(q["records"], 2);
    assert_eq!(q["fill_rates"]["name"], 1.0);
    assert_eq!(q["fill_rates"]["email"], 0.5);
    assert_eq!(q["bands"], json!([0, 1, 1]));
    assert_eq!(q["worst"][0]["id"], sparse.as_str(), "worst first: {q}");
    assert_eq!(q["worst"][1]["id"], full.as_str());
    assert_eq!(q["score"], 84, "mean of 100 and 67: {q}");

    // The administrator chooses what makes a contact complete.
    let put = |fields: Value| {
        let app = &app;
        async move {
            app.request(
                Method::PUT,
                "/api/v1/admin/data-quality/contacts",
                Some(json!({ "fields": fields })),
                &[],
            )
            .await
        }
    };
    put(json!(["name", "nonsense"]))
        .await
        .assert_problem(422, "fields");
    put(json!([])).await.assert_problem(422, "fields");
    let r = put(json!(["name", "title"])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let q = app.get(&format!("/api/v1/contacts/{sparse}/quality")).await.body;
    assert_eq!(q["score"], 100, "complete by the new measure: {q}");
    let report = app.get("/api/v1/admin/data-quality/contacts").await.body;
    assert_eq!(report["completeness_fields"], json!(["name", "title"]));
    assert!(app.audit_actions().await.contains(&"quality.fields".to_string()));

    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/admin/data-quality/contacts",
            None,
            &[],
        )
        .await;
    r.assert_problem_status(403);
    app.stop().await;
}

#[tokio::test]
async fn administrators_see_quality_on_record_pages_and_in_setup() {
    let app = TestApp::spawn().await;
    let (_, sparse) = contacts(&app).await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get(&format!("/o/contacts/{sparse}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"quality\""), "{page}");
    assert!(page.contains("67 / 100"), "{page}");

    let (status, _, page) = b.get("/admin/data-quality/contacts").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("/o/contacts/{sparse}")), "{page}");
    let token = crate::web::csrf(&page);
    let (status, _, page) = b
        .post(
            "/admin/data-quality/contacts",
            &[("csrf", &token), ("fields", "name, nonsense")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("quality-fields-error"), "{page}");
    let (status, _, _) = b
        .post(
            "/admin/data-quality/contacts",
            &[("csrf", &token), ("fields", "name，title")],
        )
        .await;
    assert!(status == 200 || status == 303, "{status}");
    let report: Value = app.get("/api/v1/admin/data-quality/contacts").await.body;
    assert_eq!(report["completeness_fields"], json!(["name", "title"]));

    // Representatives see neither.
    let (own, mut rep) = crate::web::rep_with_own_contact(&app).await;
    let (_, _, page) = rep.get(&format!("/o/contacts/{own}")).await;
    assert!(!page.contains("id=\"quality\""));
    let (status, _, _) = rep.get("/admin/data-quality/contacts").await;
    assert_eq!(status, 403);
    app.stop().await;
}

#[tokio::test]
async fn looking_like_another_record_costs_both_their_share() {
    let app = TestApp::spawn().await;
    let (full, _) = contacts(&app).await;
    let twin = app
        .create(
            "contacts",
            json!({"name": "張偉", "mobile": "+86 138 0013 8000", "email": "ZW@huatong.cn"}),
        )
        .await;
    let q = app.get(&format!("/api/v1/contacts/{full}/quality")).await.body;
    assert!(q["duplicate_score"].as_u64().unwrap() >= 50, "{q}");
    assert!(q["score"].as_u64().unwrap() < 100, "{q}");
    let report = app.get("/api/v1/admin/data-quality/contacts").await.body;
    assert_eq!(report["records_with_duplicates"], 2, "{report}");
    // Not a duplicate any more once merged away: the survivor scores whole again.
    let r = app
        .post(
            "/api/v1/contacts/merge",
            json!({"survivor": full, "merged": [twin["id"]]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q = app.get(&format!("/api/v1/contacts/{full}/quality")).await.body;
    assert_eq!(q["duplicate_score"], 0, "{q}");
    assert_eq!(q["score"], 100, "{q}");
    app.stop().await;
}

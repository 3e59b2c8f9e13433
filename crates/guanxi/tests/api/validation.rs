//! Bad input gets a problem+json naming the field, and nothing is stored.

use serde_json::json;

use crate::helpers::TestApp;

async fn count(app: &TestApp, plural: &str) -> usize {
    app.list_all(plural, "limit=1000").await.len()
}

#[tokio::test]
async fn invalid_input_names_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    app.create("contacts", json!({"name": "已存在", "external_id": "ERP-1"}))
        .await;
    let cases = [
        (json!({"name": "A", "email": "not-an-email"}), "email"),
        (json!({"name": "A", "mobile": "12345"}), "mobile"),
        (json!({"name": "A", "birthday": "yesterday"}), "birthday"),
        (json!({"name": "A", "salutation": "sir"}), "salutation"),
        (json!({"name": "A", "account": "not-a-uuid"}), "account"),
        (
            json!({"name": "A", "account": uuid::Uuid::now_v7().to_string()}),
            "account",
        ),
        (
            json!({"name": "A", "owner": uuid::Uuid::now_v7().to_string()}),
            "owner",
        ),
        (json!({"name": "A", "email_opt_out": "perhaps"}), "email_opt_out"),
        (
            json!({"name": "A", "favourite_colour": "blue"}),
            "favourite_colour",
        ),
        (json!({"name": "A", "version": 3}), "version"),
        (
            json!({"name": "A", "created_at": "2020-01-01T00:00:00Z"}),
            "created_at",
        ),
        (json!({"name": "A", "external_id": "ERP-1"}), "external_id"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"title": "没有姓名"}), "name"),
        (json!({"name": "A", "tags": [{"nested": true}]}), "tags"),
    ];
    for (body, field) in cases {
        app.post("/api/v1/contacts", body.clone())
            .await
            .assert_problem(422, field);
    }
    assert_eq!(count(&app, "contacts").await, 1, "nothing was stored");
    app.post(
        "/api/v1/opportunities",
        json!({"name": "X", "stage": "proposal", "close_date": "2026-01-01", "amount": "1.005"}),
    )
    .await
    .assert_problem(422, "amount");
    app.post("/api/v1/opportunities", json!({"name": "X", "stage": "proposal", "close_date": "2026-01-01", "amount": {"amount": 1, "currency": "RMB1"}}))
        .await
        .assert_problem(422, "amount");
    let all_missing = app.post("/api/v1/opportunities", json!({})).await;
    all_missing.assert_problem(422, "name");
    for f in ["stage", "close_date"] {
        assert!(
            all_missing.fields_at_fault().contains(&f.to_string()),
            "{}",
            all_missing.body
        );
    }
    assert_eq!(count(&app, "opportunities").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_update_changes_nothing() {
    let app = TestApp::spawn().await;
    let c = app
        .create("contacts", json!({"name": "郑凯", "email": "zheng@example.com"}))
        .await;
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
    app.patch(&path, json!({"title": "经理", "email": "broken@"}), "\"1\"")
        .await
        .assert_problem(422, "email");
    app.patch(&path, json!({"name": null}), "\"1\"")
        .await
        .assert_problem(422, "name");
    app.patch(&path, json!({"id": uuid::Uuid::now_v7().to_string()}), "\"1\"")
        .await
        .assert_problem(422, "id");
    let now = app.get(&path).await;
    assert_eq!(now.body, c, "nothing changed, not even the version");
    let h = app.get(&format!("{path}/history")).await;
    assert_eq!(
        h.body["data"].as_array().unwrap().len(),
        1,
        "only the creation is in the history"
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_bodies_are_bad_requests() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(format!("{}/api/v1/contacts", app.url))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "body");
    app.post("/api/v1/contacts", json!(["not", "an", "object"]))
        .await
        .assert_problem(400, "body");
    app.stop().await;
}

#[tokio::test]
async fn messages_follow_the_callers_language() {
    let app = TestApp::spawn().await;
    let body = || Some(json!({"name": "A", "email": "x"}));
    let post = reqwest::Method::POST;
    let en = app
        .request(
            post.clone(),
            "/api/v1/contacts",
            body(),
            &[("Accept-Language", "en-US,en;q=0.9")],
        )
        .await;
    assert_eq!(en.body["errors"][0]["detail"], "Not a valid email address.");
    let tw = app
        .request(
            post.clone(),
            "/api/v1/contacts",
            body(),
            &[("Accept-Language", "zh-TW")],
        )
        .await;
    assert_eq!(tw.body["errors"][0]["detail"], "電子郵件地址無效。");
    let cn = app
        .request(post, "/api/v1/contacts", body(), &[("Accept-Language", "zh-CN")])
        .await;
    assert_eq!(cn.body["errors"][0]["detail"], "邮箱地址无效。");
    assert_eq!(cn.body["errors"][0]["code"], "invalid_email");
    app.stop().await;
}

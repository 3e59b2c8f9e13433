//! Optimistic concurrency, the recycle bin and restarts.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_stale_update_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let c = app
        .create("contacts", json!({"name": "孙丽", "title": "销售"}))
        .await;
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
    let first = app.patch(&path, json!({"title": "销售经理"}), "\"1\"").await;
    assert_eq!(first.status, 200);
    // A second client still holding version 1:
    let stale = app
        .patch(&path, json!({"title": "销售总监", "name": "孙丽丽"}), "\"1\"")
        .await;
    stale.assert_problem_status(412);
    let stale_body = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"title": "x", "version": 1})),
            &[],
        )
        .await;
    stale_body.assert_problem_status(409);
    let now = app.get(&path).await;
    assert_eq!(now.body["title"], "销售经理");
    assert_eq!(now.body["name"], "孙丽");
    assert_eq!(now.body["version"], 2);
    // No version at all is refused too: nothing may be overwritten blindly.
    app.request(reqwest::Method::PATCH, &path, Some(json!({"title": "x"})), &[])
        .await
        .assert_problem(428, "If-Match");
    // A stale delete is refused; a current one works.
    app.request(reqwest::Method::DELETE, &path, None, &[("If-Match", "\"1\"")])
        .await
        .assert_problem_status(412);
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, None, &[("If-Match", "W/\"2\"")])
            .await
            .status,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unchanged_update_keeps_the_version() {
    let app = TestApp::spawn().await;
    let c = app
        .create("contacts", json!({"name": "周杰", "email": "zhou@example.com"}))
        .await;
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
    let r = app
        .patch(&path, json!({"email": "ZHOU@example.com"}), "\"1\"")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], 1);
    app.stop().await;
}

#[tokio::test]
async fn restore_only_what_is_in_the_bin_and_binned_records_cannot_be_edited() {
    let app = TestApp::spawn().await;
    let c = app
        .create("leads", json!({"name": "吴磊", "status": "new"}))
        .await;
    let id = c["id"].as_str().unwrap();
    app.post(&format!("/api/v1/leads/{id}/restore"), json!({}))
        .await
        .assert_problem_status(409);
    assert_eq!(app.delete(&format!("/api/v1/leads/{id}")).await.status, 200);
    app.delete(&format!("/api/v1/leads/{id}"))
        .await
        .assert_problem_status(404);
    app.patch(
        &format!("/api/v1/leads/{id}"),
        json!({"status": "working"}),
        "\"2\"",
    )
    .await
    .assert_problem_status(404);
    let missing = uuid::Uuid::now_v7();
    app.post(&format!("/api/v1/leads/{missing}/restore"), json!({}))
        .await
        .assert_problem_status(404);
    app.get("/api/v1/leads/not-a-uuid")
        .await
        .assert_problem_status(404);
    app.get("/api/v1/unicorns").await.assert_problem_status(404);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_data_and_migrations_run_again_cleanly() {
    let app = TestApp::spawn().await;
    let c = app
        .create("accounts", json!({"name": "重启测试有限公司", "city": "成都"}))
        .await;
    let id = c["id"].as_str().unwrap().to_string();
    let field = app
        .post(
            "/api/v1/metadata/objects/accounts/fields",
            json!({"name": "credit_limit", "type": "money"}),
        )
        .await;
    assert_eq!(field.status, 201, "{}", field.body);
    app.patch(
        &format!("/api/v1/accounts/{id}"),
        json!({"credit_limit": "500000"}),
        "\"1\"",
    )
    .await;
    let app = app.restart().await;
    let r = app.get(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "重启测试有限公司");
    assert_eq!(
        r.body["credit_limit"],
        json!({"amount": "500000.00", "currency": "CNY"})
    );
    let again = guanxi_storage::migrations::migrate(app.crm.db(), &guanxi_core::builtin::standard_objects())
        .await
        .unwrap();
    assert!(again.applied.is_empty(), "nothing left to apply: {again:?}");
    app.stop().await;
}

#[tokio::test]
async fn planner_statistics_are_refreshed_when_the_data_has_grown() {
    let app = TestApp::spawn().await;
    let records: Vec<_> = (0..1200)
        .map(|i| json!({"name": format!("统计{i}"), "city": "上海"}))
        .collect();
    assert_eq!(
        app.post("/api/v1/contacts/bulk", json!({"records": records}))
            .await
            .body["created"],
        1200
    );
    let first = app.crm.refresh_statistics().await.unwrap();
    let again = app.crm.refresh_statistics().await.unwrap();
    if app.database.is_none() {
        assert_eq!(first, ["contacts"], "SQLite: the grown table is analysed");
    } else {
        assert!(first.is_empty(), "PostgreSQL analyses by itself");
    }
    assert!(again.is_empty(), "nothing changed since");
    app.stop().await;
}

//! Authentication: every API route but health and the OpenAPI document needs a token.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_api_requires_a_valid_token() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/contacts",
        "/api/v1/me",
        "/api/v1/metadata/objects",
        "/api/v1/unicorns",
        &format!("/api/v1/contacts/{}", uuid::Uuid::now_v7()),
    ] {
        app.request_as("", reqwest::Method::GET, path, None, &[])
            .await
            .assert_problem_status(401);
        app.request_as("gx_not-a-real-token", reqwest::Method::GET, path, None, &[])
            .await
            .assert_problem_status(401);
    }
    app.request_as(
        "",
        reqwest::Method::POST,
        "/api/v1/contacts",
        Some(json!({"name": "x"})),
        &[],
    )
    .await
    .assert_problem_status(401);
    let open = app
        .request_as("", reqwest::Method::GET, "/healthz", None, &[])
        .await;
    assert_eq!(
        (open.status.as_u16(), open.body.clone()),
        (200, json!({"status": "ok"}))
    );
    assert_eq!(
        app.request_as("", reqwest::Method::GET, "/api/v1/openapi.json", None, &[])
            .await
            .status,
        200
    );
    let me = app
        .request_as(&app.user_token, reqwest::Method::GET, "/api/v1/me", None, &[])
        .await;
    assert_eq!(me.body["email"], "rep@example.com");
    assert_eq!(me.body["is_admin"], false);
    app.stop().await;
}

#[tokio::test]
async fn expired_tokens_and_inactive_users_are_refused() {
    let app = TestApp::spawn().await;
    let token = app
        .crm
        .create_token("rep@example.com", "short", Some(0))
        .await
        .unwrap();
    app.request_as(&token, reqwest::Method::GET, "/api/v1/me", None, &[])
        .await
        .assert_problem_status(401);
    assert!(
        app.crm
            .create_token("nobody@example.com", "x", None)
            .await
            .is_err()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_acting_user_is_recorded_as_creator_and_default_owner() {
    let app = TestApp::spawn().await;
    let me = app
        .request_as(&app.user_token, reqwest::Method::GET, "/api/v1/me", None, &[])
        .await;
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "归属测试"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["created_by"], me.body["id"]);
    assert_eq!(r.body["owner"], me.body["id"]);
    app.stop().await;
}

//! Saved list views over the API: personal unless an administrator shares them, checked
//! against what the caller sees, and usable by export.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn views_are_saved_listed_replaced_and_deleted_and_export_follows_them() {
    let app = TestApp::spawn().await;
    for (name, city) in [("张伟", "上海"), ("孙悦", "北京"), ("王芳", "上海")] {
        app.create(
            "contacts",
            json!({"name": name, "city": city, "email": format!("{}@example.com", name.len())}),
        )
        .await;
    }
    let r = app
        .post(
            "/api/v1/contacts/views",
            json!({"name": "上海客户", "columns": ["name", "city"], "filter": "city eq '上海'", "sort": "-name"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["shared"], false);

    // Export follows the view: its filter, sort and columns.
    let r = app
        .request(
            Method::GET,
            &format!("/api/v1/contacts/export?view={id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    let csv = r
        .body
        .as_str()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with("王芳") && lines[2].starts_with("张伟"),
        "{csv}"
    );
    assert!(!csv.contains("@example.com"), "only the view's columns");

    // Bad input names its field; nothing is stored.
    let r = app
        .post(
            "/api/v1/contacts/views",
            json!({"name": "坏", "columns": ["name", 7], "filter": "colour eq 1"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "columns[1]");
    let r = app
        .post(
            "/api/v1/contacts/views",
            json!({"name": "坏", "columns": ["colour"]}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "columns");

    // Another (non-admin) user neither sees nor changes it, and may not share views.
    let r = app
        .request_as(&app.user_token, Method::GET, "/api/v1/contacts/views", None, &[])
        .await;
    assert_eq!(r.body["data"], json!([]));
    let r = app
        .request_as(
            &app.user_token,
            Method::DELETE,
            &format!("/api/v1/contacts/views/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            "/api/v1/contacts/views",
            Some(json!({"name": "共享", "shared": true})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403);

    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/contacts/views/{id}"),
            Some(json!({"name": "上海客户（共享）", "shared": true, "filter": "city eq '上海'"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(&app.user_token, Method::GET, "/api/v1/contacts/views", None, &[])
        .await;
    assert_eq!(r.body["data"][0]["name"], "上海客户（共享）");
    assert_eq!(
        app.get("/api/v1/accounts/views").await.body["data"],
        json!([]),
        "views are per object"
    );

    let r = app.delete(&format!("/api/v1/contacts/views/{id}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/api/v1/contacts/views").await.body["data"], json!([]));
    app.stop().await;
}

//! Custom fields and objects behave exactly like standard ones.

use serde_json::json;

use crate::helpers::{TestApp, enc};

#[tokio::test]
async fn a_custom_field_is_a_real_filterable_sortable_column() {
    let app = TestApp::spawn().await;
    let f = app
        .post(
            "/api/v1/metadata/objects/contacts/fields",
            json!({"name": "loyalty_level", "type": "picklist", "indexed": true,
                   "label": {"en": "Loyalty", "zh-CN": "忠诚度", "zh-TW": "忠誠度"},
                   "options": ["gold", {"value": "silver", "label": {"en": "Silver", "zh-CN": "银卡", "zh-TW": "銀卡"}}]}),
        )
        .await;
    assert_eq!(f.status, 201, "{}", f.body);
    let f = app
        .post(
            "/api/v1/metadata/objects/contacts/fields",
            json!({"name": "points", "type": "integer", "indexed": true}),
        )
        .await;
    assert_eq!(f.status, 201, "{}", f.body);
    let meta = app.get("/api/v1/metadata/objects/contacts").await;
    assert!(
        meta.body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "loyalty_level" && f["custom"] == true)
    );

    app.create(
        "contacts",
        json!({"name": "甲", "loyalty_level": "gold", "points": 30}),
    )
    .await;
    app.create(
        "contacts",
        json!({"name": "乙", "loyalty_level": "银卡", "points": 10}),
    )
    .await;
    app.create("contacts", json!({"name": "丙", "points": 20})).await;
    app.post(
        "/api/v1/contacts",
        json!({"name": "丁", "loyalty_level": "bronze"}),
    )
    .await
    .assert_problem(422, "loyalty_level");
    let rows = app
        .list_all(
            "contacts",
            &format!("filter={}&sort=-points", enc("loyalty_level is_null false")),
        )
        .await;
    let names: Vec<_> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["甲", "乙"]);
    assert_eq!(rows[1]["loyalty_level"], "silver");
    app.stop().await;
}

#[tokio::test]
async fn a_custom_object_gets_its_own_table_and_api() {
    let app = TestApp::spawn().await;
    let acc = app
        .create("accounts", json!({"name": "深圳创新电子有限公司"}))
        .await;
    let o = app
        .post(
            "/api/v1/metadata/objects",
            json!({"name": "project", "plural": "projects",
            "label": {"en": "Project", "zh-CN": "项目", "zh-TW": "專案"},
            "fields": [
                {"name": "budget", "type": "money", "indexed": true},
                {"name": "account", "type": "lookup", "target": "account"},
                {"name": "code", "type": "text", "external_id": true},
                {"name": "starts_on", "type": "date", "required": true}
            ]}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let p = app
        .create("projects", json!({"name": "产线改造", "budget": 880000, "account": acc["id"], "code": "PRJ-1", "starts_on": "2026-12-01"}))
        .await;
    assert_eq!(p["budget"], json!({"amount": "880000.00", "currency": "CNY"}));
    let id = p["id"].as_str().unwrap();
    let u = app
        .patch(
            &format!("/api/v1/projects/{id}"),
            json!({"budget": {"amount": "90000", "currency": "USD"}}),
            "\"1\"",
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    app.post(
        "/api/v1/projects",
        json!({"name": "X", "starts_on": "2026-01-01", "account": uuid::Uuid::now_v7().to_string()}),
    )
    .await
    .assert_problem(422, "account");
    app.post("/api/v1/projects", json!({"name": "X"}))
        .await
        .assert_problem(422, "starts_on");
    let listed = app
        .list_all(
            "projects",
            &format!("filter={}&sort=-budget", enc("budget gt 1000")),
        )
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(app.delete(&format!("/api/v1/projects/{id}")).await.status, 200);
    assert_eq!(
        app.post(&format!("/api/v1/projects/{id}/restore"), json!({}))
            .await
            .status,
        200
    );
    let bulk = app
        .post(
            "/api/v1/projects/bulk",
            json!({"upsert_on": "code", "records": [
                {"code": "PRJ-1", "name": "产线改造二期"},
                {"code": "PRJ-2", "name": "仓库升级", "starts_on": "2027-01-01"}
            ]}),
        )
        .await;
    assert_eq!(bulk.body["updated"], 1, "{}", bulk.body);
    assert_eq!(bulk.body["created"], 1, "{}", bulk.body);
    let app = app.restart().await;
    assert_eq!(
        app.get(&format!("/api/v1/projects/{id}")).await.body["name"],
        "产线改造二期"
    );
    let doc = app.get("/api/v1/openapi.json").await;
    assert!(doc.body["paths"]["/api/v1/projects/{id}"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn metadata_changes_are_for_administrators_and_checked() {
    let app = TestApp::spawn().await;
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::POST,
            "/api/v1/metadata/objects/contacts/fields",
            Some(json!({"name": "x1", "type": "text"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    let bad = [
        (json!({"name": "Bad Name", "type": "text"}), "name"),
        (json!({"name": "email", "type": "text"}), "name"),
        (json!({"name": "owner", "type": "text"}), "name"),
        (
            json!({"name": "ok_name", "type": "text", "max_length": 100000}),
            "max_length",
        ),
        (json!({"name": "ok_name", "type": "picklist"}), "options"),
        (
            json!({"name": "ok_name", "type": "lookup", "target": "unicorn"}),
            "target",
        ),
        (
            json!({"name": "ok_name", "type": "tags", "indexed": true}),
            "indexed",
        ),
        (json!({"name": "ok_name", "type": "text", "scale": 2}), "scale"),
        (json!({"name": "ok_name", "type": "wibble"}), "field"),
    ];
    for (body, field) in bad {
        app.post("/api/v1/metadata/objects/contacts/fields", body.clone())
            .await
            .assert_problem(422, field);
    }
    for (body, field) in [
        (json!({"name": "contact", "plural": "contacts2"}), "name"),
        (json!({"name": "thing", "plural": "metadata"}), "plural"),
        (json!({"name": "thing", "plural": "Things"}), "plural"),
        (
            json!({"name": "thing", "plural": "things", "fields": [{"name": "n", "type": "lookup"}]}),
            "fields[0].target",
        ),
    ] {
        app.post("/api/v1/metadata/objects", body.clone())
            .await
            .assert_problem(422, field);
    }
    assert_eq!(
        app.get("/api/v1/things").await.status,
        404,
        "nothing half-created"
    );
    app.stop().await;
}

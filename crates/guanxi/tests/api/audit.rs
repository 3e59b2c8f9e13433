//! Token scopes and revocation, security headers, and the append-only audit trail.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, enc};

async fn token(app: &TestApp, email: &str, scopes: &str) -> String {
    let scopes = guanxi_services::identity::Scopes::parse(scopes).unwrap();
    let new = guanxi_services::identity::NewToken {
        email,
        name: "scoped",
        expires_days: None,
        scopes: Some(scopes),
    };
    app.crm.issue_token(new, None).await.unwrap().1
}

#[tokio::test]
async fn tokens_do_only_what_their_scopes_allow() {
    let app = TestApp::spawn().await;
    let read = token(&app, "admin@example.com", "read").await;
    assert_eq!(
        app.request_as(&read, Method::GET, "/api/v1/contacts", None, &[])
            .await
            .status,
        200
    );
    let denied = app
        .request_as(
            &read,
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "x"})),
            &[],
        )
        .await;
    denied.assert_problem_status(403);
    assert!(
        denied.body["detail"].as_str().unwrap().contains("write"),
        "{}",
        denied.body
    );
    let rw = token(&app, "admin@example.com", "read,write").await;
    assert_eq!(
        app.request_as(
            &rw,
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "x"})),
            &[]
        )
        .await
        .status,
        201
    );
    let field = json!({"name": "x1", "type": "text"});
    app.request_as(
        &rw,
        Method::POST,
        "/api/v1/metadata/objects/contacts/fields",
        Some(field.clone()),
        &[],
    )
    .await
    .assert_problem_status(403);
    app.request_as(&rw, Method::GET, "/api/v1/audit", None, &[])
        .await
        .assert_problem_status(403);
    let admin = token(&app, "admin@example.com", "read,write,admin").await;
    assert_eq!(
        app.request_as(
            &admin,
            Method::POST,
            "/api/v1/metadata/objects/contacts/fields",
            Some(field),
            &[]
        )
        .await
        .status,
        201
    );
    // Only administrators may hold the admin scope.
    let new = guanxi_services::identity::NewToken {
        email: "rep@example.com",
        name: "x",
        expires_days: None,
        scopes: Some(guanxi_services::identity::Scopes::parse("admin").unwrap()),
    };
    assert!(app.crm.issue_token(new, None).await.is_err());
    app.stop().await;
}

#[tokio::test]
async fn users_list_and_revoke_their_own_tokens() {
    let app = TestApp::spawn().await;
    let spare = token(&app, "rep@example.com", "read,write").await;
    let list = app
        .request_as(&app.user_token, Method::GET, "/api/v1/me/tokens", None, &[])
        .await;
    assert_eq!(list.status, 200);
    let tokens = list.body["data"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t.get("token_hash").is_none() && t["prefix"].as_str().unwrap().starts_with("gx_"))
    );
    let spare_id = tokens
        .iter()
        .find(|t| spare.starts_with(t["prefix"].as_str().unwrap()) && t["name"] == "scoped")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Someone else's token is not found.
    app.request(
        Method::DELETE,
        &format!("/api/v1/me/tokens/{spare_id}"),
        None,
        &[],
    )
    .await
    .assert_problem_status(404);
    assert_eq!(
        app.request_as(&spare, Method::GET, "/api/v1/me", None, &[])
            .await
            .status,
        200
    );
    let r = app
        .request_as(
            &app.user_token,
            Method::DELETE,
            &format!("/api/v1/me/tokens/{spare_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    app.request_as(&spare, Method::GET, "/api/v1/me", None, &[])
        .await
        .assert_problem_status(401);
    app.request_as(
        &app.user_token,
        Method::DELETE,
        &format!("/api/v1/me/tokens/{spare_id}"),
        None,
        &[],
    )
    .await
    .assert_problem_status(404);
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_security_headers() {
    let app = TestApp::spawn().await;
    for (token, path) in [
        ("", "/healthz"),
        ("", "/api/v1/contacts"),
        (app.token.as_str(), "/api/v1/contacts"),
    ] {
        let r = app.request_as(token, Method::GET, path, None, &[]).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
    }
    app.stop().await;
}

fn actions(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn audited_actions_are_recorded_with_who_and_where() {
    let app = TestApp::spawn().await;
    let f = app
        .post(
            "/api/v1/metadata/objects/accounts/fields",
            json!({"name": "credit_code", "type": "text"}),
        )
        .await;
    assert_eq!(f.status, 201);
    let o = app
        .post(
            "/api/v1/metadata/objects",
            json!({"name": "project", "plural": "projects"}),
        )
        .await;
    assert_eq!(o.status, 201);
    let c = app.create("contacts", json!({"name": "审计测试"})).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/contacts/{id}")).await.status, 200);
    assert_eq!(
        app.post(&format!("/api/v1/contacts/{id}/restore"), json!({}))
            .await
            .status,
        200
    );

    let all = app.get("/api/v1/audit?limit=1000").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let seen = actions(&all.body);
    for a in [
        "user.create",
        "token.create",
        "metadata.field.create",
        "metadata.object.create",
        "record.delete",
        "record.restore",
    ] {
        assert!(seen.iter().any(|s| s == a), "{a} in {seen:?}");
    }
    let me = app.get("/api/v1/me").await.body;
    let field = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "metadata.field.create")
        .unwrap();
    assert_eq!(field["actor"], me["id"]);
    assert_eq!(field["actor_email"], "admin@example.com");
    assert_eq!(field["ip"], "127.0.0.1");
    assert_eq!(field["object"], "account");
    assert_eq!(field["detail"]["field"]["name"], "credit_code");
    // Created from the command line / start-up: no user, no address.
    let user = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "user.create")
        .unwrap();
    assert_eq!(
        (user["actor"].clone(), user["actor_email"].clone()),
        (Value::Null, json!("cli"))
    );

    let deletes = app
        .get(&format!("/api/v1/audit?action=record.delete&record_id={id}"))
        .await;
    assert_eq!(actions(&deletes.body), ["record.delete"]);
    assert_eq!(deletes.body["data"][0]["object"], "contact");

    // Newest first, paged by cursor, nothing lost or repeated.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(&format!("/api/v1/audit?limit=2&cursor={cursor}")).await;
        paged.extend(r.body["data"].as_array().unwrap().iter().map(|e| e["id"].clone()));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let ids: Vec<Value> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(paged, ids);
    let since = app
        .get(&format!("/api/v1/audit?since={}", enc("2100-01-01T00:00:00Z")))
        .await;
    assert_eq!(since.body["data"], json!([]));

    app.get("/api/v1/audit?actor=nope")
        .await
        .assert_problem(422, "actor");
    app.get("/api/v1/audit?since=yesterday")
        .await
        .assert_problem(422, "since");
    app.get("/api/v1/audit?limit=0")
        .await
        .assert_problem(422, "limit");
    app.request_as(&app.user_token, Method::GET, "/api/v1/audit", None, &[])
        .await
        .assert_problem_status(403);
    app.stop().await;
}

#[tokio::test]
async fn the_audit_trail_cannot_be_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let db = app.crm.db();
    for statement in ["UPDATE gx_audit SET action = 'nothing'", "DELETE FROM gx_audit"] {
        let r = db
            .execute(guanxi_storage::Sql::with(db.dialect(), statement))
            .await;
        assert!(r.is_err(), "{statement} is refused");
    }
    assert!(
        actions(&app.get("/api/v1/audit").await.body)
            .iter()
            .any(|a| a == "user.create")
    );
    app.stop().await;
}

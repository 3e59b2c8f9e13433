//! Browser sessions: sign-in, cookies, CSRF, lockout, sign-out here and everywhere.

use reqwest::Method;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp};

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Resp {
    app.request_as(
        "",
        Method::POST,
        "/api/v1/auth/session",
        Some(json!({"email": email, "password": password})),
        &[],
    )
    .await
}

/// The cookie pair (`gx_session=…`) a sign-in set.
fn cookie(r: &Resp) -> String {
    let set = r.headers[SET_COOKIE].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

async fn with_cookie(
    app: &TestApp,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    csrf: Option<&str>,
) -> Resp {
    let mut headers = vec![(COOKIE.as_str(), cookie)];
    if let Some(c) = csrf {
        headers.push(("X-CSRF-Token", c));
    }
    app.request_as("", method, path, body, &headers).await
}

#[tokio::test]
async fn a_password_sign_in_opens_a_cookie_session_guarded_by_csrf() {
    let app = TestApp::spawn().await;
    let r = sign_in(&app, "Rep@Example.com", "rep-password").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let set = r.headers[SET_COOKIE].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP on loopback: no Secure flag");
    assert_eq!(r.body["user"]["email"], "rep@example.com");
    let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
    let c = cookie(&r);

    let me = with_cookie(&app, &c, Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(me.body["email"], "rep@example.com");
    let body = Some(json!({"name": "会话创建"}));
    with_cookie(&app, &c, Method::POST, "/api/v1/contacts", body.clone(), None)
        .await
        .assert_problem_status(403);
    with_cookie(
        &app,
        &c,
        Method::POST,
        "/api/v1/contacts",
        body.clone(),
        Some("wrong"),
    )
    .await
    .assert_problem_status(403);
    assert_eq!(
        with_cookie(&app, &c, Method::POST, "/api/v1/contacts", body, Some(&csrf))
            .await
            .status,
        201
    );

    // Behind an HTTPS proxy the cookie is Secure.
    let https = app
        .request_as(
            "",
            Method::POST,
            "/api/v1/auth/session",
            Some(json!({"email": "rep@example.com", "password": "rep-password"})),
            &[("X-Forwarded-Proto", "https")],
        )
        .await;
    assert!(https.headers[SET_COOKIE].to_str().unwrap().contains("; Secure"));

    // Signing out ends this session only; the other one lives on until "everywhere".
    let other = cookie(&https);
    let out = with_cookie(
        &app,
        &c,
        Method::DELETE,
        "/api/v1/auth/session",
        None,
        Some(&csrf),
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.headers[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    with_cookie(&app, &c, Method::GET, "/api/v1/me", None, None)
        .await
        .assert_problem_status(401);
    assert_eq!(
        with_cookie(&app, &other, Method::GET, "/api/v1/me", None, None)
            .await
            .status,
        200
    );
    let everywhere = app
        .request_as(
            &app.user_token,
            Method::DELETE,
            "/api/v1/auth/sessions",
            None,
            &[],
        )
        .await;
    assert_eq!(everywhere.body["sessions_ended"], 1, "{}", everywhere.body);
    with_cookie(&app, &other, Method::GET, "/api/v1/me", None, None)
        .await
        .assert_problem_status(401);
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer_and_lock_the_account() {
    let app = TestApp::spawn().await;
    let unknown = sign_in(&app, "nobody@example.com", "whatever1").await;
    unknown.assert_problem_status(401);
    let wrong = sign_in(&app, "rep@example.com", "wrong-password").await;
    wrong.assert_problem_status(401);
    assert_eq!(
        unknown.body["detail"], wrong.body["detail"],
        "no hint which emails exist"
    );
    for _ in 0..4 {
        sign_in(&app, "rep@example.com", "wrong-password")
            .await
            .assert_problem_status(401);
    }
    // Five failures: locked, even with the right password.
    let locked = sign_in(&app, "rep@example.com", "rep-password").await;
    locked.assert_problem_status(429);
    assert!(
        locked.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    // Other accounts are not affected.
    assert_eq!(
        sign_in(&app, "admin@example.com", "admin-password").await.status,
        201
    );

    let audit = app.get("/api/v1/audit?limit=100").await;
    let entries = audit.body["data"].as_array().unwrap();
    let count = |action: &str, email: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["actor_email"] == email)
            .count()
    };
    assert_eq!(count("auth.signin.failed", "rep@example.com"), 5);
    assert_eq!(count("auth.signin.failed", "nobody@example.com"), 1);
    assert_eq!(count("auth.signin.locked", "rep@example.com"), 1);
    assert_eq!(count("auth.signin", "admin@example.com"), 1);
    let failed = entries
        .iter()
        .find(|e| e["action"] == "auth.signin.failed")
        .unwrap();
    assert_eq!(failed["ip"], "127.0.0.1");
    assert!(
        failed["detail"].get("password").is_none(),
        "passwords are never recorded"
    );
    app.stop().await;
}

#[tokio::test]
async fn expired_sessions_and_deactivated_users_are_refused() {
    let app = TestApp::spawn().await;
    let r = sign_in(&app, "rep@example.com", "rep-password").await;
    let c = cookie(&r);
    assert_eq!(
        with_cookie(&app, &c, Method::GET, "/api/v1/me", None, None)
            .await
            .status,
        200
    );
    let db = app.crm.db();
    let past = guanxi_storage::Arg::DateTime(chrono::Utc::now() - chrono::Duration::minutes(1));
    let mut s = guanxi_storage::Sql::with(db.dialect(), "UPDATE gx_sessions SET expires_at = ");
    s.bind(past);
    db.execute(s).await.unwrap();
    with_cookie(&app, &c, Method::GET, "/api/v1/me", None, None)
        .await
        .assert_problem_status(401);
    app.request_as(
        "",
        Method::POST,
        "/api/v1/auth/session",
        Some(json!({"email": "x"})),
        &[],
    )
    .await
    .assert_problem(400, "body");
    app.stop().await;
}

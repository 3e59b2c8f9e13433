//! A user's own settings: time zone (times shown and entered on their clock), currency
//! for new amounts, language, and changing the password.

use serde_json::json;

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

async fn signed_in(app: &TestApp, email: &str, password: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(status, 303, "sign-in of {email}");
    let (_, _, page) = b.get("/settings").await;
    let token = csrf(&page);
    (b, token)
}

#[tokio::test]
async fn times_are_shown_and_entered_in_the_users_time_zone_and_amounts_in_their_currency() {
    let app = TestApp::spawn().await;
    let activity = app
        .create(
            "activities",
            json!({"subject": "季度复盘", "type": "meeting", "starts_at": "2026-11-23T02:00:00Z"}),
        )
        .await;
    let id = activity["id"].as_str().unwrap();
    let (mut b, token) = signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = b.get(&format!("/o/activities/{id}")).await;
    assert!(page.contains("2026-11-23 10:00"), "Shanghai by default");

    // Bad values are refused beside their fields and nothing is stored.
    let (status, _, page) = b
        .post(
            "/settings",
            &[
                ("csrf", &token),
                ("locale", "zh-CN"),
                ("time_zone", "Mars/Olympus"),
                ("currency", "yuan"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"s-time_zone-error\"") && page.contains("id=\"s-currency-error\""));
    let (_, _, page) = b.get(&format!("/o/activities/{id}")).await;
    assert!(page.contains("2026-11-23 10:00"), "unchanged");

    let (status, _, page) = b
        .post(
            "/settings",
            &[
                ("csrf", &token),
                ("locale", "en"),
                ("time_zone", "America/New_York"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Your settings are saved."),
        "the page follows the new language"
    );
    let (_, _, page) = b.get(&format!("/o/activities/{id}")).await;
    assert!(page.contains("2026-11-22 21:00"), "New York's clock");
    let (_, _, page) = b.get(&format!("/o/activities/{id}/edit")).await;
    assert!(
        page.contains("value=\"2026-11-22T21:00\""),
        "the form shows the same clock"
    );

    // A time typed on the form is on the user's clock.
    let (status, to, _) = b
        .post(
            "/o/activities/new",
            &[
                ("csrf", &token),
                ("subject", "客户拜访"),
                ("type", "visit"),
                ("starts_at", "2026-11-23T09:30"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let created = app
        .get(&format!("/api/v1/activities/{}", to.rsplit('/').next().unwrap()))
        .await
        .body;
    assert_eq!(
        created["starts_at"].as_str().unwrap(),
        "2026-11-23T14:30:00.000000Z"
    );

    // New amounts start in the user's currency; amounts read with the English symbols.
    let (_, _, page) = b.get("/o/opportunities/new").await;
    assert!(page.contains("name=\"amount.currency\" value=\"USD\""));
    let opp = app
        .create(
            "opportunities",
            json!({"name": "Harbour deal", "stage": "proposal", "close_date": "2026-12-01",
                   "amount": {"amount": "1200", "currency": "CNY"}}),
        )
        .await;
    let (_, _, page) = b
        .get(&format!("/o/opportunities/{}", opp["id"].as_str().unwrap()))
        .await;
    assert!(page.contains("CN¥1,200"), "CN¥ in English, ¥ in Chinese");
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let (mut b, token) = signed_in(&app, "admin@example.com", "admin-password").await;
    let (mut other, _) = signed_in(&app, "admin@example.com", "admin-password").await;

    let (status, _, page) = b
        .post(
            "/settings/password",
            &[
                ("csrf", &token),
                ("current", "not-my-password"),
                ("new", "new-password-1"),
                ("repeat", "new-password-1"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"s-current-error\"") && !page.contains("new-password-1"),
        "never echoed"
    );
    let (status, _, page) = b
        .post(
            "/settings/password",
            &[
                ("csrf", &token),
                ("current", "admin-password"),
                ("new", "new-password-1"),
                ("repeat", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"s-repeat-error\""));
    let (status, _, _) = b
        .post(
            "/settings/password",
            &[
                ("current", "admin-password"),
                ("new", "new-password-1"),
                ("repeat", "new-password-1"),
            ],
        )
        .await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, _, _) = other.get("/").await;
    assert_eq!(status, 200, "nothing changed yet");

    let (status, _, _) = b
        .post(
            "/settings/password",
            &[
                ("csrf", &token),
                ("current", "admin-password"),
                ("new", "new-password-1"),
                ("repeat", "new-password-1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = b.get("/").await;
    assert_eq!(status, 200, "this session goes on");
    let (status, to, _) = other.get("/").await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/login"),
        "the other session is over"
    );
    let mut again = Browser::new(&app);
    let (status, _, _) = again
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "admin-password")],
        )
        .await;
    assert_eq!(status, 401, "the old password is gone");
    let (status, _, _) = again
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "new-password-1")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(app.audit_actions().await.contains(&"user.password".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn portal_users_are_kept_out_of_the_staff_pages() {
    let app = TestApp::spawn().await;
    let user = app
        .crm
        .create_user(guanxi_services::identity::NewUser {
            email: "customer@example.org".into(),
            name: "客户甲".into(),
            password: Some("customer-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap();
    let r = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
            Some(json!({"kind": "portal"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    app.create("contacts", json!({"name": "内部联系人"})).await;
    let mut b = Browser::new(&app);
    let (status, _, _) = b
        .post(
            "/login",
            &[
                ("email", "customer@example.org"),
                ("password", "customer-password"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    // Their home is the portal.
    let (status, to, _) = b.get("/").await;
    assert_eq!((status, to.as_str()), (303, "/portal"));
    for path in ["/o/contacts", "/calendar", "/settings", "/o/opportunities/board"] {
        let (status, _, page) = b.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(
            page.contains("客户门户") && !page.contains("内部联系人"),
            "{path}"
        );
    }
    app.stop().await;
}

//! Channel preferences and consent of a contact, and the one question built on them: may
//! we contact this person on this channel now?

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn contact(app: &TestApp) -> String {
    app.create(
        "contacts",
        json!({"name": "林晓", "email": "lin@example.com", "mobile": "13800138000"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn ask(app: &TestApp, id: &str, channel: &str, at: &str) -> serde_json::Value {
    let r = app
        .get(&format!(
            "/api/v1/contacts/{id}/may-contact?channel={channel}&at={}",
            at.replace('+', "%2B")
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn codes(answer: &serde_json::Value) -> Vec<String> {
    answer["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn preferences_windows_limits_and_do_not_contact_decide_whether_we_may_contact() {
    let app = TestApp::spawn().await;
    let id = contact(&app).await;
    // No preferences: any channel, any time.
    assert_eq!(
        ask(&app, &id, "phone", "2026-11-28T23:00:00+08:00").await["allowed"],
        true
    );

    let prefs = json!({
        "preferred": ["wechat", "phone"],
        "windows": [{"days": [1, 2, 3, 4, 5], "from": "09:00:00", "to": "18:00:00"}],
        "time_zone": "Asia/Shanghai",
        "limits": [{"channel": "phone", "max": 2, "period": "week"}],
        "do_not_contact": ["sms"],
    });
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/contacts/{id}/channel-preferences"),
            Some(prefs.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}/channel-preferences"))
            .await
            .body,
        prefs
    );

    // Monday 10:00 in Shanghai is welcome; 19:00 and Saturday are not; SMS never.
    assert_eq!(
        ask(&app, &id, "phone", "2026-11-23T10:00:00+08:00").await["allowed"],
        true
    );
    assert_eq!(
        codes(&ask(&app, &id, "phone", "2026-11-23T19:00:00+08:00").await),
        ["outside_window"]
    );
    assert_eq!(
        codes(&ask(&app, &id, "phone", "2026-11-28T10:00:00+08:00").await),
        ["outside_window"]
    );
    assert_eq!(
        codes(&ask(&app, &id, "sms", "2026-11-23T10:00:00+08:00").await),
        ["do_not_contact"]
    );

    // Two outbound calls this week use up the phone; an inbound one and last week's do not count.
    for (at, direction) in [
        ("2026-11-23T02:00:00Z", "outbound"),
        ("2026-11-24T02:00:00Z", "outbound"),
        ("2026-11-24T03:00:00Z", "inbound"),
        ("2026-11-20T02:00:00Z", "outbound"),
    ] {
        app.create(
            "activities",
            json!({"subject": "回访", "type": "call", "channel": "phone", "direction": direction,
                   "status": "completed", "contact": id, "starts_at": at}),
        )
        .await;
    }
    let answer = ask(&app, &id, "phone", "2026-11-25T10:00:00+08:00").await;
    assert_eq!(codes(&answer), ["limit_reached"]);
    assert_eq!(answer["used_this_period"], 2);
    assert!(
        answer["refusals"][0]["message"].as_str().unwrap().contains('2'),
        "{answer}"
    );
    assert_eq!(
        ask(&app, &id, "phone", "2026-11-30T10:00:00+08:00").await["allowed"],
        true,
        "a new week"
    );

    // The record's own email opt-out counts too.
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"email_opt_out": true}),
            "1",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        codes(&ask(&app, &id, "email", "2026-11-23T10:00:00+08:00").await),
        ["do_not_contact"]
    );
    app.stop().await;
}

#[tokio::test]
async fn consent_is_recorded_with_its_source_and_the_latest_word_counts() {
    let app = TestApp::spawn().await;
    let id = contact(&app).await;
    let consent =
        |granted: bool, source: &str| json!({"channel": "wechat", "granted": granted, "source": source});
    let r = app
        .post(
            &format!("/api/v1/contacts/{id}/consents"),
            consent(true, "展会登记表"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        ask(&app, &id, "wechat", "2026-11-23T10:00:00+08:00").await["allowed"],
        true
    );
    let r = app
        .post(
            &format!("/api/v1/contacts/{id}/consents"),
            consent(false, "客户来电要求"),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        codes(&ask(&app, &id, "wechat", "2026-11-23T10:00:00+08:00").await),
        ["consent_withdrawn"]
    );
    let log = app.get(&format!("/api/v1/contacts/{id}/consents")).await.body;
    assert_eq!(log["data"][0]["source"], "客户来电要求");
    assert_eq!(log["data"][1]["granted"], true);
    assert!(
        app.audit_actions()
            .await
            .contains(&"contact.consent.withdraw".to_string())
    );

    // Bad input names its field; nothing is recorded.
    let r = app
        .post(
            &format!("/api/v1/contacts/{id}/consents"),
            json!({"channel": "pigeon", "granted": true, "source": ""}),
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["channel", "source"]);
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/contacts/{id}/channel-preferences"),
            Some(json!({"preferred": ["wechat", "pigeon"], "windows": [{"days": [0], "from": "18:00:00", "to": "09:00:00"}],
                        "time_zone": "Mars/Olympus"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["preferred[1]", "windows[0].days", "windows[0].to", "time_zone"]
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}/consents")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = app
        .get(&format!("/api/v1/contacts/{id}/may-contact?channel=pigeon"))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("channel"))
    );

    // Only contacts have channel preferences.
    let account = app.create("accounts", json!({"name": "某公司"})).await;
    let r = app
        .get(&format!(
            "/api/v1/accounts/{}/channel-preferences",
            account["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn preferences_follow_the_contacts_permissions() {
    let app = TestApp::spawn().await;
    app.request(
        Method::PUT,
        "/api/v1/admin/access/contacts",
        Some(json!({"sharing": "private"})),
        &[],
    )
    .await;
    let id = contact(&app).await;
    // The non-admin user neither reads nor changes an unshared contact's preferences.
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/contacts/{id}/channel-preferences"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            &format!("/api/v1/contacts/{id}/consents"),
            Some(json!({"channel": "email", "granted": false, "source": "x"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    app.stop().await;
}

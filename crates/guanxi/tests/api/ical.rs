//! Calendar feeds: a user's activities as iCalendar, read by a real parser (Python's
//! `icalendar`, installed by `.ci/run`) with correct times in any zone; at a secret link a
//! calendar app reads without signing in, which its owner can revoke.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn through_icalendar(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("feed.ics");
    std::fs::write(&input, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ical_read.py");
    let run = std::process::Command::new("python3")
        .args([script, input.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "icalendar could not read the feed (is it installed? `python3 -m pip install icalendar`): {}\n{text}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

#[tokio::test]
async fn a_users_activities_read_by_a_real_icalendar_parser_at_their_true_times() {
    let app = TestApp::spawn().await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    // 09:30 in Shanghai is 01:30 UTC.
    let visit = app
        .create(
            "activities",
            json!({"subject": "拜访华通, 讨论; 报价", "type": "visit", "status": "planned",
                   "starts_at": format!("{soon}T09:30:00+08:00"), "ends_at": format!("{soon}T11:00:00+08:00"),
                   "location": "上海市浦东新区张江高科技园区", "reminder_minutes": 30,
                   "description": format!("议程：\n{}", "带上样品，确认交期；".repeat(12))}),
        )
        .await;
    let task = app
        .create(
            "activities",
            json!({"subject": "发送报价单", "type": "task", "status": "planned", "due_date": soon.to_string()}),
        )
        .await;
    // Another user's activity is not in my feed.
    app.request_as(
        &app.user_token,
        Method::POST,
        "/api/v1/activities",
        Some(
            json!({"subject": "别人的会议", "type": "meeting", "status": "planned",
                    "starts_at": format!("{soon}T10:00:00+08:00")}),
        ),
        &[],
    )
    .await;

    let r = app
        .client
        .get(format!("{}/api/v1/me/calendar.ics", app.url))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = r.text().await.unwrap();
    let cal = through_icalendar(&text);
    let events = cal["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{cal}");
    let v = events
        .iter()
        .find(|e| e["uid"] == format!("{}@guanxi", visit["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(v["start"], format!("{soon}T01:30:00+00:00"));
    assert_eq!(v["end"], format!("{soon}T03:00:00+00:00"));
    assert_eq!(v["summary"], "拜访：拜访华通, 讨论; 报价");
    assert_eq!(v["location"], "上海市浦东新区张江高科技园区");
    assert_eq!(
        v["description"],
        format!("议程：\n{}", "带上样品，确认交期；".repeat(12))
    );
    assert_eq!(v["alarms"], json!([30]));
    let t = events
        .iter()
        .find(|e| e["uid"] == format!("{}@guanxi", task["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(t["start"], soon.to_string());
    assert_eq!(t["status"], "CONFIRMED");
    app.request(Method::GET, "/api/v1/me/calendar.ics?scope=everyone", None, &[])
        .await
        .assert_problem(422, "scope");
    app.stop().await;
}

#[tokio::test]
async fn a_secret_feed_link_works_without_signing_in_until_revoked() {
    let app = TestApp::spawn().await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    app.create(
        "activities",
        json!({"subject": "季度复盘", "type": "meeting", "status": "planned",
               "starts_at": format!("{soon}T14:00:00+08:00")}),
    )
    .await;
    let r = app
        .post("/api/v1/me/calendar-feeds", json!({"scope": "mine"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.body["url"].as_str().unwrap().to_string();
    assert!(url.contains("/ical/") && url.ends_with(".ics"), "{url}");
    let path = &url[url.find("/ical/").unwrap()..];
    let anonymous = reqwest::Client::new();
    let r = anonymous.get(format!("{}{path}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cal = through_icalendar(&r.text().await.unwrap());
    assert_eq!(cal["events"][0]["summary"], "会议：季度复盘");
    // The secret itself is not listed again, and a wrong one finds nothing.
    let list = app.get("/api/v1/me/calendar-feeds").await;
    assert!(!list.body.to_string().contains(&path[6..path.len() - 4]));
    let r = anonymous
        .get(format!("{}/ical/not-a-feed.ics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Revoked: the link answers 404; other users cannot revoke it.
    let id = list.body["data"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .request_as(
            &app.user_token,
            Method::DELETE,
            &format!("/api/v1/me/calendar-feeds/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.delete(&format!("/api/v1/me/calendar-feeds/{id}"))
            .await
            .status,
        204
    );
    let r = anonymous.get(format!("{}{path}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // The page makes a link (shown once) and revokes it.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/calendar/feeds").await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&page);
    let (status, _, page) = b
        .post("/calendar/feeds", &[("csrf", &token), ("scope", "team")])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("/ical/") && page.contains("只显示这一次"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn an_invited_colleague_has_the_meeting_in_their_feed_with_its_organizer_and_attendees() {
    let app = TestApp::spawn().await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let (_, colleague) = app.person("lina", None).await;
    let account = app.create("accounts", json!({"name": "华通机电"})).await;
    let buyer = app
        .create(
            "contacts",
            json!({"name": "张伟", "account": account["id"], "email": "zhang.wei@huatong.example"}),
        )
        .await;
    let meeting = app
        .create(
            "activities",
            json!({"subject": "技术交流会", "type": "meeting", "status": "planned", "account": account["id"],
                   "starts_at": format!("{soon}T14:00:00+08:00"), "ends_at": format!("{soon}T15:00:00+08:00")}),
        )
        .await;
    let users = app.get("/api/v1/admin/users").await.body;
    let lina = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "lina@example.org")
        .unwrap()["id"]
        .clone();
    let invite = |who: Value| {
        let mut body = who;
        body["activity"] = meeting["id"].clone();
        body
    };
    let r = app
        .post("/api/v1/activity_attendees", invite(json!({"user": lina})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["name"], "lina", "named after the colleague");
    assert_eq!(r.body["response"], "needs_action");
    let r = app
        .post(
            "/api/v1/activity_attendees",
            invite(json!({"contact": buyer["id"], "optional": true})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // One person once; a colleague or a contact, not both, not neither.
    app.post("/api/v1/activity_attendees", invite(json!({"user": lina})))
        .await
        .assert_problem(422, "user");
    app.post("/api/v1/activity_attendees", invite(json!({})))
        .await
        .assert_problem(422, "user");
    app.post(
        "/api/v1/activity_attendees",
        invite(json!({"user": lina, "contact": buyer["id"]})),
    )
    .await
    .assert_problem(422, "user");

    // The colleague replies; the meeting is in their own feed, read by a real parser.
    let mine = app
        .request_as(
            &colleague,
            Method::GET,
            &format!(
                "/api/v1/activity_attendees?filter={}",
                crate::helpers::enc(&format!("user eq '{}'", lina.as_str().unwrap()))
            ),
            None,
            &[],
        )
        .await;
    let attendee = &mine.body["data"][0];
    let r = app
        .request_as(
            &colleague,
            Method::PATCH,
            &format!("/api/v1/activity_attendees/{}", attendee["id"].as_str().unwrap()),
            Some(json!({"response": "accepted"})),
            &[("If-Match", &attendee["version"].to_string())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(&colleague, Method::GET, "/api/v1/me/calendar.ics", None, &[])
        .await;
    assert_eq!(r.status, 200);
    let feed = through_icalendar(r.body.as_str().unwrap());
    let event = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"].as_str().unwrap().contains("技术交流会"))
        .unwrap_or_else(|| panic!("the invited colleague's feed has the meeting: {feed}"));
    assert_eq!(event["organizer"]["address"], "mailto:admin@example.com");
    let attendees = event["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 2, "{event}");
    let by_address = |a: &str| {
        attendees
            .iter()
            .find(|x| x["address"] == a)
            .unwrap_or_else(|| panic!("{a}: {event}"))
    };
    assert_eq!(by_address("mailto:lina@example.org")["reply"], "ACCEPTED");
    let zhang = by_address("mailto:zhang.wei@huatong.example");
    assert_eq!(zhang["name"], "张伟");
    assert_eq!(zhang["role"], "OPT-PARTICIPANT");
    assert_eq!(zhang["reply"], "NEEDS-ACTION");

    // Erasing the contact leaves no copy of their name on the attendee row.
    let r = app
        .post(
            &format!("/api/v1/contacts/{}/erase", buyer["id"].as_str().unwrap()),
            json!({"confirm": true}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let rows = app
        .list_all(
            "activity_attendees",
            &format!(
                "filter={}",
                crate::helpers::enc(&format!("contact eq '{}'", buyer["id"].as_str().unwrap()))
            ),
        )
        .await;
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0]["name"], "张伟", "{rows:?}");

    // Declined, it leaves their calendar.
    let r = app
        .request_as(
            &colleague,
            Method::PATCH,
            &format!("/api/v1/activity_attendees/{}", attendee["id"].as_str().unwrap()),
            Some(json!({"response": "declined"})),
            &[(
                "If-Match",
                &(attendee["version"].as_i64().unwrap() + 1).to_string(),
            )],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(&colleague, Method::GET, "/api/v1/me/calendar.ics", None, &[])
        .await;
    assert!(!r.body.as_str().unwrap().contains("技术交流会"));
}

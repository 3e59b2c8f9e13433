//! Privacy requests: a person may ask for everything we hold about them, and may ask us
//! to erase it. Erasure leaves no trace of them in the record, its history, their
//! activities' notes, consents or exports — while the company's counts and amounts stay.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A contact with a history, consents, channel preferences, an activity and a case.
async fn person(app: &TestApp) -> (String, String) {
    let account = app.create("accounts", json!({"name": "华通科技有限公司"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = app
        .create(
            "contacts",
            json!({"name": "张伟", "email": "zhang.wei@huatong.cn", "mobile": "13800138000",
                   "wechat": "zw_huatong", "birthday": "1985-04-12", "city": "杭州", "title": "采购经理",
                   "account": account, "salutation": "mr"}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"title": "采购总监", "address": "杭州市西湖区文三路 90 号"}),
            &format!("\"{}\"", c["version"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/contacts/{id}/consents"),
            json!({"channel": "email", "granted": true, "source": "展会登记表"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/contacts/{id}/channel-preferences"),
            Some(json!({"preferred": ["wechat", "phone"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.create(
        "activities",
        json!({"subject": "给张伟打电话", "type": "call", "channel": "phone", "direction": "outbound",
               "status": "completed", "description": "张伟说下周签约，手机 13800138000", "account": account, "contact": id}),
    )
    .await;
    app.create(
        "cases",
        json!({"subject": "主轴异响", "status": "in_progress", "account": account, "contact": id}),
    )
    .await;
    (account, id)
}

#[tokio::test]
async fn a_person_gets_everything_held_about_them_as_one_json_document() {
    let app = TestApp::spawn().await;
    let (_, id) = person(&app).await;

    // Only administrators answer privacy requests.
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/contacts/{id}/personal-data"),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(403);

    let r = app.get(&format!("/api/v1/contacts/{id}/personal-data")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.body;
    assert_eq!(d["subject"]["object"], "contacts");
    assert_eq!(d["record"]["name"], "张伟");
    assert_eq!(d["record"]["email"], "zhang.wei@huatong.cn");
    let history = d["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|h| h["field"] == "title" && h["old"] == "采购经理" && h["new"] == "采购总监"),
        "{history:?}"
    );
    assert_eq!(d["consents"][0]["source"], "展会登记表");
    assert_eq!(d["channel_preferences"]["preferred"][0], "wechat");
    assert_eq!(d["related"]["activities"][0]["record"]["subject"], "给张伟打电话");
    assert_eq!(d["related"]["activities"][0]["via"], "contact");
    assert_eq!(d["related"]["cases"][0]["record"]["subject"], "主轴异响");
    assert!(
        d["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "privacy.export"),
        "the export itself is on record: {}",
        d["audit"]
    );

    // Accounts are not people; unknown ids are not found.
    let account = app.create("accounts", json!({"name": "某公司"})).await;
    let r = app
        .get(&format!(
            "/api/v1/accounts/{}/personal-data",
            account["id"].as_str().unwrap()
        ))
        .await;
    r.assert_problem_status(404);
    let r = app
        .get("/api/v1/contacts/0190e3c2-0000-7000-8000-000000000000/personal-data")
        .await;
    r.assert_problem_status(404);
    app.stop().await;
}

#[tokio::test]
async fn erasing_a_person_leaves_no_trace_in_record_history_activities_consents_or_exports() {
    let app = TestApp::spawn().await;
    let (account, id) = person(&app).await;
    crate::search::until_found(&app, &app.token, "张伟", "张伟").await;

    // Erasure must be confirmed, and is for administrators only.
    let r = app.post(&format!("/api/v1/contacts/{id}/erase"), json!({})).await;
    r.assert_problem(422, "confirm");
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            &format!("/api/v1/contacts/{id}/erase"),
            Some(json!({"confirm": true})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}")).await.body["name"],
        "张伟",
        "refused requests change nothing"
    );

    // A scan of their business card, attached to their record.
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/contacts/{id}/files?name=card.png", app.url))
        .bearer_auth(&app.token)
        .header("Content-Type", "image/png")
        .body(vec![137u8, 80, 78, 71])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/contacts/{id}/erase"),
            Some(json!({"confirm": true})),
            &[("Accept-Language", "en")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let files = app.get(&format!("/api/v1/contacts/{id}/files")).await;
    assert_eq!(files.body["data"], json!([]), "their files went with them");
    assert_eq!(r.body["consents_removed"], 1);
    assert_eq!(r.body["activities_scrubbed"], 1);
    let fields: Vec<&str> = r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "name", "email", "mobile", "wechat", "birthday", "address", "title",
    ] {
        assert!(fields.contains(&f), "{f} erased: {fields:?}");
    }

    // Search forgets them at once: by name, pinyin, phone tail, email, WeChat id.
    for q in ["张伟", "zhangwei", "8000", "zhang.wei@huatong.cn", "zw_huatong"] {
        let found = crate::search::results(&app, &app.token, q, "").await;
        assert!(
            found.iter().all(|r| r["id"] != id.as_str()),
            "{q} still finds the erased person: {found:?}"
        );
    }

    // The record stays, anonymised: links and picklists kept, personal values gone.
    let c = app.get(&format!("/api/v1/contacts/{id}")).await.body;
    assert_eq!(c["name"], "Erased person");
    assert_eq!(c["account"], account.as_str(), "the account still counts them");
    assert_eq!(c["salutation"], "mr");
    for f in [
        "email", "mobile", "wechat", "birthday", "address", "title", "city",
    ] {
        assert_eq!(c[f], Value::Null, "{f}: {c}");
    }

    let traces = [
        "张伟",
        "zhang.wei",
        "13800138000",
        "138 0013",
        "zw_huatong",
        "文三路",
        "采购",
        "1985-04-12",
    ];
    let assert_clean = |what: &str, text: &str| {
        for t in traces {
            assert!(!text.contains(t), "{what} still holds {t:?}: {text}");
        }
    };
    let history = app.get(&format!("/api/v1/contacts/{id}/history")).await;
    assert_eq!(history.status, 200);
    assert_clean("history", &history.body.to_string());
    let data = app.get(&format!("/api/v1/contacts/{id}/personal-data")).await;
    assert_clean("personal data", &data.body.to_string());
    assert_eq!(data.body["consents"], json!([]));
    assert_eq!(data.body["channel_preferences"], Value::Null);

    // The call happened and still counts; what was said in it is gone.
    let activities = app
        .list_all("activities", &format!("filter=contact eq '{id}'"))
        .await;
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0]["type"], "call");
    assert_eq!(activities[0]["direction"], "outbound");
    assert_eq!(activities[0]["description"], Value::Null);
    let activity_history = app
        .get(&format!(
            "/api/v1/activities/{}/history",
            activities[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_clean("activity", &activities[0].to_string());
    assert_clean("activity history", &activity_history.body.to_string());

    for path in [
        "/api/v1/contacts/export?format=csv",
        "/api/v1/activities/export?format=csv",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_clean(path, &r.body.to_string());
    }
    let audit = app.get("/api/v1/audit?action=privacy.erase").await;
    assert_eq!(audit.body["data"][0]["record_id"], id.as_str(), "{}", audit.body);
    assert_clean("audit", &audit.body.to_string());

    // The customer's picture still counts the person and the case.
    let v = app.get(&format!("/api/v1/accounts/{account}/360")).await.body;
    assert_eq!(v["contacts"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["open_cases"].as_array().unwrap().len(), 1, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn leads_and_people_in_the_recycle_bin_can_be_erased_too() {
    let app = TestApp::spawn().await;
    let lead = app
        .create(
            "leads",
            json!({"name": "李娜", "company": "远景贸易", "email": "li.na@yuanjing.cn", "status": "new", "source": "website"}),
        )
        .await;
    let lead_id = lead["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/leads/{lead_id}/erase"),
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let l = app.get(&format!("/api/v1/leads/{lead_id}")).await.body;
    assert_ne!(l["name"], "李娜");
    assert_eq!(l["email"], Value::Null);
    assert_eq!(l["status"], "new", "the funnel still counts the lead");
    assert_eq!(l["source"], "website");

    let c = app
        .create(
            "contacts",
            json!({"name": "王芳", "email": "wang.fang@example.com"}),
        )
        .await;
    let cid = c["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/contacts/{cid}")).await.status, 200);
    let r = app
        .post(&format!("/api/v1/contacts/{cid}/erase"), json!({"confirm": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let binned = app.list_all("contacts", "deleted=true").await;
    let erased = binned.iter().find(|r| r["id"] == cid).expect("still in the bin");
    assert_eq!(erased["email"], Value::Null);
    assert_ne!(erased["name"], "王芳");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "privacy.erase")
            .count()
            == 2
    );
    app.stop().await;
}

#[tokio::test]
async fn administrators_download_and_erase_a_person_from_the_record_page() {
    let app = TestApp::spawn().await;
    let (_, id) = person(&app).await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/o/contacts/{id}/personal-data")),
        "{page}"
    );
    let token = crate::web::csrf(&page);

    let (status, _, json_text) = b.get(&format!("/o/contacts/{id}/personal-data")).await;
    assert_eq!(status, 200);
    let data: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(data["record"]["name"], "张伟");

    // Without the box ticked: the problem beside the box, nothing erased.
    let (status, _, page) = b
        .post(&format!("/o/contacts/{id}/erase"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"erase-error\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}")).await.body["name"],
        "张伟"
    );

    let (status, _, page) = b
        .post(
            &format!("/o/contacts/{id}/erase"),
            &[("csrf", &token), ("confirm", "true")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("role=\"status\""), "the outcome is shown: {page}");
    assert!(!page.contains("张伟") && !page.contains("zhang.wei"), "{page}");
    assert_ne!(
        app.get(&format!("/api/v1/contacts/{id}")).await.body["name"],
        "张伟"
    );

    // A rep sees no privacy card on their own contact and cannot download it.
    let (own, mut rep) = crate::web::rep_with_own_contact(&app).await;
    let (status, _, page) = rep.get(&format!("/o/contacts/{own}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("personal-data"), "{page}");
    let (status, _, _) = rep.get(&format!("/o/contacts/{own}/personal-data")).await;
    assert_eq!(status, 403);
    app.stop().await;
}

#[tokio::test]
async fn erasing_a_person_forgets_the_merges_that_hold_their_earlier_values() {
    let app = TestApp::spawn().await;
    let keep = app
        .create(
            "contacts",
            json!({"name": "赵敏", "email": "zhao.min@example.com"}),
        )
        .await;
    let gone = app
        .create(
            "contacts",
            json!({"name": "趙敏", "mobile": "13900139000", "email": "ZHAO.MIN@example.com"}),
        )
        .await;
    let (keep, gone) = (keep["id"].as_str().unwrap(), gone["id"].as_str().unwrap());
    let r = app
        .post(
            "/api/v1/contacts/merge",
            json!({"survivor": keep, "merged": [gone], "fields": {"mobile": gone}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(app.get(&format!("/api/v1/merges/{merge}")).await.status, 200);

    let r = app
        .post(
            &format!("/api/v1/contacts/{keep}/erase"),
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get(&format!("/api/v1/merges/{merge}")).await;
    r.assert_problem_status(404);
    assert!(!r.body.to_string().contains("13900139000"));
    app.stop().await;
}

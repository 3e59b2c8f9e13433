//! The record page: one timeline of interactions and changes, quick actions that log a
//! call, a note, a task or a meeting, and the recycle bin a deleted record can be
//! restored from.

use serde_json::json;

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

async fn admin(app: &TestApp) -> (Browser, String) {
    let mut b = Browser::new(app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (_, _, page) = b.get("/").await;
    let token = csrf(&page);
    (b, token)
}

#[tokio::test]
async fn the_timeline_merges_interactions_and_changes_newest_first() {
    let app = TestApp::spawn().await;
    let account = app.create("accounts", json!({"name": "杭州西湖茶业"})).await;
    let account_id = account["id"].as_str().unwrap();
    let contact = app
        .create("contacts", json!({"name": "龙井", "account": account_id}))
        .await;
    let id = contact["id"].as_str().unwrap();
    app.create(
        "activities",
        json!({"subject": "新茶品鉴会邀约", "type": "call", "contact": id, "status": "completed",
               "outcome": "interested", "starts_at": "2020-03-01T02:00:00Z", "description": "客户对明前茶有兴趣"}),
    )
    .await;
    for (subject, at) in [
        ("年会邀请", "2099-01-10T02:00:00Z"),
        ("续约洽谈", "2098-06-01T02:00:00Z"),
    ] {
        app.create(
            "activities",
            json!({"subject": subject, "type": "meeting", "contact": id, "status": "planned", "starts_at": at}),
        )
        .await;
    }
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"title": "采购经理"}),
            "1",
        )
        .await;
    assert_eq!(r.status, 200);
    let (mut b, _) = admin(&app).await;
    let (status, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert_eq!(status, 200);
    let timeline = &page[page.find("id=\"timeline\"").unwrap()..];
    let call = timeline
        .find("新茶品鉴会邀约")
        .expect("the call is on the timeline");
    let change = timeline.find("采购经理").expect("the title change is on it");
    assert!(change < call, "the change (now) comes before the call (2020)");
    let (upcoming, past) = (timeline.find("即将进行").unwrap(), timeline.find("过往").unwrap());
    let (soon, later) = (
        timeline.find("续约洽谈").unwrap(),
        timeline.find("年会邀请").unwrap(),
    );
    assert!(
        upcoming < soon && soon < later && later < past && past < change,
        "what is ahead first, soonest first"
    );
    assert!(
        timeline.contains("有意向") && timeline.contains("客户对明前茶有兴趣"),
        "outcome and notes"
    );
    assert_eq!(
        page.matches("新茶品鉴会邀约").count(),
        1,
        "activities are not listed twice"
    );
    app.stop().await;
}

#[tokio::test]
async fn quick_actions_log_a_call_and_a_note_linked_to_the_record_and_its_account() {
    let app = TestApp::spawn().await;
    let account = app.create("accounts", json!({"name": "苏州园林设计院"})).await;
    let account_id = account["id"].as_str().unwrap().to_string();
    let contact = app
        .create("contacts", json!({"name": "拙政", "account": account_id}))
        .await;
    let id = contact["id"].as_str().unwrap();
    let (mut b, token) = admin(&app).await;
    let (_, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert!(
        page.contains("记录通话")
            && page.contains("添加备注")
            && page.contains("创建任务")
            && page.contains("安排会议")
    );

    let (status, to, _) = b
        .post(
            &format!("/o/contacts/{id}/quick"),
            &[
                ("csrf", &token),
                ("kind", "call"),
                ("subject", "报价跟进"),
                ("outcome", "follow_up"),
                ("description", "下周再联系"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/o/contacts/{id}#timeline").as_str())
    );
    let calls = app
        .list_all("activities", &format!("filter=contact%20eq%20'{id}'"))
        .await;
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        (
            call["type"].as_str(),
            call["status"].as_str(),
            call["outcome"].as_str(),
            call["account"].as_str()
        ),
        (
            Some("call"),
            Some("completed"),
            Some("follow_up"),
            Some(account_id.as_str())
        ),
        "a completed call, linked to the contact's account too"
    );
    assert!(call["starts_at"].is_string());
    let (_, _, page) = b.get(&format!("/o/accounts/{account_id}")).await;
    assert!(page.contains("报价跟进"), "the account's timeline shows it");

    // A note needs its text; the error is beside the field and nothing is created.
    let (status, _, page) = b
        .post(
            &format!("/o/contacts/{id}/quick"),
            &[("csrf", &token), ("kind", "note"), ("description", "  ")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"q-note-description-error\"") && page.contains("<details open"));
    // A meeting with a time that is not one is refused the same way.
    let (status, _, page) = b
        .post(
            &format!("/o/contacts/{id}/quick"),
            &[
                ("csrf", &token),
                ("kind", "meeting"),
                ("subject", "现场勘察"),
                ("starts_at", "明天上午"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"q-meeting-starts_at-error\"") && page.contains("现场勘察"),
        "what was typed stays"
    );
    assert_eq!(
        app.list_all("activities", "").await.len(),
        1,
        "nothing else saved"
    );

    let (status, _, _) = b
        .post(
            &format!("/o/contacts/{id}/quick"),
            &[
                ("csrf", &token),
                ("kind", "note"),
                ("description", "喜欢苏式点心\n第二行"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = b
        .post(
            &format!("/o/contacts/{id}/quick"),
            &[("kind", "note"), ("description", "没有令牌")],
        )
        .await;
    assert_eq!(status, 403);
    let notes = app.list_all("activities", "filter=type%20eq%20'note'").await;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["subject"], "喜欢苏式点心",
        "a note's subject is its first line"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_record_waits_in_the_recycle_bin_and_comes_back_when_restored() {
    let app = TestApp::spawn().await;
    let c = app.create("contacts", json!({"name": "回收站里的人"})).await;
    let id = c["id"].as_str().unwrap();
    let (mut b, token) = admin(&app).await;
    let (status, _, _) = b
        .post(&format!("/o/contacts/{id}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = b.get(&format!("/o/contacts/{id}")).await;
    assert_eq!(status, 404);
    let (status, _, page) = b.get("/o/contacts/bin").await;
    assert_eq!(status, 200);
    assert!(page.contains("回收站里的人") && page.contains(&format!("/o/contacts/{id}/restore")));
    let (_, _, list) = b.get("/o/contacts").await;
    assert!(list.contains("/o/contacts/bin") && !list.contains("回收站里的人"));

    let (status, _, _) = b.post(&format!("/o/contacts/{id}/restore"), &[]).await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, to, _) = b
        .post(&format!("/o/contacts/{id}/restore"), &[("csrf", &token)])
        .await;
    assert_eq!((status, to.as_str()), (303, format!("/o/contacts/{id}").as_str()));
    let (status, _, page) = b.get(&to).await;
    assert_eq!(status, 200);
    assert!(page.contains("回收站里的人"));
    let (_, _, page) = b.get("/o/contacts/bin").await;
    assert!(!page.contains("回收站里的人"));
    app.stop().await;
}

#[tokio::test]
async fn lookups_are_typed_as_names_suggested_as_you_type_and_resolved_to_the_one_record() {
    let app = TestApp::spawn().await;
    let huatong = app.create("accounts", json!({"name": "上海华通"})).await;
    let huatong_id = huatong["id"].as_str().unwrap().to_string();
    let twin_a = app
        .create("accounts", json!({"name": "重名公司", "city": "北京"}))
        .await;
    app.create("accounts", json!({"name": "重名公司", "city": "天津"}))
        .await;
    let (mut b, token) = admin(&app).await;

    let (_, _, form) = b.get("/o/contacts/new").await;
    assert!(form.contains("data-lookup=\"account\"") && form.contains("name=\"account.id\""));
    let (status, _, found) = b.get("/o/account/lookup?q=%E4%B8%8A%E6%B5%B7").await;
    assert_eq!(status, 200);
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found, json!([{"id": huatong_id, "name": "上海华通"}]));

    // A name typed by hand finds its one record.
    let (status, to, _) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "陈华"),
                ("account", "上海华通"),
                ("account.id", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let id = to.rsplit('/').next().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}")).await.body["account"],
        huatong_id.as_str()
    );
    let (_, _, edit) = b.get(&format!("/o/contacts/{id}/edit")).await;
    assert!(
        edit.contains("value=\"上海华通\"") && edit.contains(&format!("value=\"{huatong_id}\"")),
        "the form shows the name"
    );
    let (_, _, list) = b.get("/o/contacts?col=name&col=account").await;
    assert!(list.contains("上海华通"), "a lookup column shows the name");

    // Two records of one name: the error asks to pick; the picked id settles it.
    let (status, _, page) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "王重"),
                ("account", "重名公司"),
                ("account.id", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"e-account\"") && page.contains("有多条记录叫这个名字"),
        "{page}"
    );
    let twin = twin_a["id"].as_str().unwrap();
    let (status, _, _) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "王重"),
                ("account", "重名公司"),
                ("account.id", twin),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "无名"),
                ("account", "不存在的公司"),
                ("account.id", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("关联的记录不存在"));
    assert_eq!(
        app.list_all("contacts", "").await.len(),
        2,
        "nothing saved from refused forms"
    );

    // A rep is offered only the accounts they may read.
    app.request(
        reqwest::Method::PUT,
        "/api/v1/admin/access/accounts",
        Some(json!({"sharing": "private"})),
        &[],
    )
    .await;
    app.crm
        .create_user(guanxi_services::identity::NewUser {
            email: "rep.l@example.org".into(),
            name: "Rep L".into(),
            password: Some("rep-l-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap();
    let mut rep = Browser::new(&app);
    rep.post(
        "/login",
        &[("email", "rep.l@example.org"), ("password", "rep-l-password")],
    )
    .await;
    let (_, _, found) = rep.get("/o/accounts/lookup?q=%E4%B8%8A%E6%B5%B7").await;
    assert_eq!(found, "[]");
    app.stop().await;
}

#[tokio::test]
async fn a_contacts_page_shows_and_changes_its_channel_preferences_and_consent() {
    let app = TestApp::spawn().await;
    let c = app.create("contacts", json!({"name": "偏好测试"})).await;
    let id = c["id"].as_str().unwrap();
    let (mut b, token) = admin(&app).await;
    let (_, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert!(page.contains("id=\"channels\"") && page.contains("联系偏好") && page.contains("可以联系"));

    // A line that does not read is refused beside its field, by number; nothing is saved.
    let (status, _, page) = b
        .post(
            &format!("/o/contacts/{id}/channels"),
            &[
                ("csrf", &token),
                ("preferred", "wechat, phone"),
                ("windows", "1-5 09:00-18:00\nweekends"),
                ("limits", "phone 2/week"),
                ("time_zone", ""),
                ("dnc.sms", "true"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("第 2 行") && page.contains("aria-invalid=\"true\""),
        "the line is named"
    );
    assert!(
        app.get(&format!("/api/v1/contacts/{id}/channel-preferences"))
            .await
            .body["preferred"]
            == json!([])
    );

    let (status, to, _) = b
        .post(
            &format!("/o/contacts/{id}/channels"),
            &[
                ("csrf", &token),
                ("preferred", "wechat, phone"),
                ("windows", "1-5 09:00-18:00"),
                ("limits", "phone 2/week"),
                ("time_zone", "Asia/Shanghai"),
                ("dnc.sms", "true"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/o/contacts/{id}#channels").as_str())
    );
    let stored = app
        .get(&format!("/api/v1/contacts/{id}/channel-preferences"))
        .await
        .body;
    assert_eq!(stored["preferred"], json!(["wechat", "phone"]));
    assert_eq!(stored["do_not_contact"], json!(["sms"]));
    assert_eq!(
        stored["limits"],
        json!([{"channel": "phone", "max": 2, "period": "week"}])
    );

    let (status, _, _) = b
        .post(
            &format!("/o/contacts/{id}/consents"),
            &[
                ("csrf", &token),
                ("channel", "wechat"),
                ("granted", "false"),
                ("source", "电话中口头撤回"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    let card = &page[page.find("id=\"channels\"").unwrap()..];
    assert!(card.contains("微信 › 电话") && card.contains("电话中口头撤回") && card.contains("已撤回"));
    assert!(
        card.contains("对方已撤回此渠道的同意"),
        "the now-check says why not on WeChat"
    );
    let (status, _, page) = b
        .post(
            &format!("/o/contacts/{id}/consents"),
            &[
                ("csrf", &token),
                ("channel", "wechat"),
                ("granted", "true"),
                ("source", ""),
            ],
        )
        .await;
    assert_eq!(status, 422, "a consent needs its source");
    assert!(page.contains("id=\"consent-source\"") && page.contains("aria-invalid=\"true\""));
    let (status, _, _) = b
        .post(
            &format!("/o/contacts/{id}/consents"),
            &[("channel", "wechat"), ("granted", "true"), ("source", "x")],
        )
        .await;
    assert_eq!(status, 403, "no CSRF token");
    app.stop().await;
}

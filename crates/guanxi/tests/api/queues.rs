//! Case queues: a queue's members see every case in it, even where cases are private, and
//! take the ones they will handle; nobody else does. Assignment rules route new cases into
//! a queue and hand them round its members. Administrators set queues up over the API and
//! on a setup page, with problems named per input.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn private_cases(app: &TestApp) {
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/cases",
            Some(json!({"sharing": "private"})),
            &[],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
}

async fn repairs_queue(app: &TestApp, members: &[&str]) -> Value {
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(
                json!({"label": {"en": "Repairs", "zh-CN": "维修组", "zh-TW": "維修組"},
                        "members": members}),
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn ids(cases: &[Value]) -> Vec<&str> {
    cases.iter().filter_map(|c| c["id"].as_str()).collect()
}

#[tokio::test]
async fn a_queues_members_see_its_cases_and_take_them_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    private_cases(&app).await;
    let (wang, wang_token) = app.person("wang", None).await;
    let (li, li_token) = app.person("li", None).await;
    let (_, outsider_token) = app.person("zhao", None).await;
    let queue = repairs_queue(&app, &[&wang, &li]).await;
    assert_eq!(queue["value"], "repairs");
    assert_eq!(queue["label"]["zh-CN"], "维修组");
    assert_eq!(queue["level"], "edit");
    assert_eq!(queue["active"], true);
    // The queue is a value of the case's queue field, labelled in three languages.
    let field = app.get("/api/v1/metadata/objects/case").await;
    let options = field.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "queue")
        .unwrap()["options"]
        .clone();
    assert_eq!(options[0]["value"], "repairs", "{options}");

    let case = app
        .create(
            "cases",
            json!({"subject": "注塑机液压泄漏", "status": "new", "queue": "repairs", "priority": "high"}),
        )
        .await;
    let id = case["id"].as_str().unwrap();
    let elsewhere = app
        .create("cases", json!({"subject": "发票抬头有误", "status": "new"}))
        .await;

    // Members read the queue's cases (not others'); an outsider reads neither.
    for token in [&wang_token, &li_token] {
        let r = app
            .request_as(token, Method::GET, "/api/v1/cases", None, &[])
            .await;
        assert_eq!(ids(r.body["data"].as_array().unwrap()), vec![id], "{}", r.body);
        let r = app
            .request_as(token, Method::GET, "/api/v1/queues", None, &[])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let queues = r.body["data"].as_array().unwrap();
        assert_eq!(queues.len(), 1);
        assert_eq!(queues[0]["label"]["en"], "Repairs");
        assert_eq!(ids(queues[0]["cases"].as_array().unwrap()), vec![id]);
    }
    let r = app
        .request_as(&outsider_token, Method::GET, "/api/v1/cases", None, &[])
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0, "{}", r.body);
    let r = app
        .request_as(&outsider_token, Method::GET, "/api/v1/queues", None, &[])
        .await;
    assert_eq!(r.body["data"], json!([]));
    let r = app
        .request_as(
            &outsider_token,
            Method::POST,
            &format!("/api/v1/cases/{id}/take"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Members edit the queue's cases but may not hand them to someone else…
    let r = app
        .request_as(
            &wang_token,
            Method::PATCH,
            &format!("/api/v1/cases/{id}"),
            Some(json!({"status": "in_progress"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(
            &wang_token,
            Method::PATCH,
            &format!("/api/v1/cases/{id}"),
            Some(json!({"owner": li})),
            &[("If-Match", "\"2\"")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // …they take them: with the version they saw, only if nobody changed the case since.
    let r = app
        .request_as(
            &li_token,
            Method::POST,
            &format!("/api/v1/cases/{id}/take"),
            None,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = app
        .request_as(
            &li_token,
            Method::POST,
            &format!("/api/v1/cases/{id}/take"),
            None,
            &[("If-Match", "\"2\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["owner"], li.as_str());
    // The case not in a queue is not theirs to take.
    let r = app
        .request_as(
            &li_token,
            Method::POST,
            &format!("/api/v1/cases/{}/take", elsewhere["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // The owner's colleague in the queue still sees it; the history names who took it.
    let r = app
        .request_as(&wang_token, Method::GET, "/api/v1/queues", None, &[])
        .await;
    assert_eq!(r.body["data"][0]["cases"][0]["owner"], li.as_str());

    // An ended case leaves the queue's work list.
    let r = app
        .request_as(
            &li_token,
            Method::PATCH,
            &format!("/api/v1/cases/{id}"),
            Some(json!({"status": "resolved"})),
            &[("If-Match", "\"3\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(&wang_token, Method::GET, "/api/v1/queues", None, &[])
        .await;
    assert_eq!(r.body["data"][0]["cases"], json!([]));

    // A retired queue takes no new cases; its members keep seeing the ones it holds.
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    let r = app
        .post(
            "/api/v1/cases",
            json!({"subject": "新报修", "status": "new", "queue": "repairs"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app
        .request_as(
            &wang_token,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn queue_set_up_is_checked_and_for_administrators_only() {
    let app = TestApp::spawn().await;
    let (agent, agent_token) = app.person("agent", None).await;
    let problem = |r: &crate::helpers::Resp| -> Vec<String> {
        r.body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    for (value, body, field) in [
        ("Repairs", json!({"label": "Repairs"}), "value"),
        ("2nd_line", json!({"label": "Second line"}), "value"),
        ("repairs", json!({"members": []}), "label"),
        ("repairs", json!({"label": "Repairs", "level": "full"}), "level"),
        (
            "repairs",
            json!({"label": "Repairs", "members": ["0190e000-0000-7000-8000-000000000000"]}),
            "members[0]",
        ),
    ] {
        let r = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/queues/{value}"),
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(r.status, 422, "{value} {body}: {}", r.body);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{}",
            r.body
        );
        assert_eq!(problem(&r), vec![field.to_string()], "{}", r.body);
    }
    // Nothing of the refused queues was stored.
    assert_eq!(app.get("/api/v1/admin/queues").await.body["data"], json!([]));
    // Portal and partner users do not work queues.
    let account = app.create("accounts", json!({"name": "渠道伙伴"})).await;
    app.make_partner(&agent, account["id"].as_str().unwrap()).await;
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(json!({"label": "Repairs", "members": [agent]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(problem(&r), vec!["members[0]".to_string()]);
    let r = app
        .request_as(
            &agent_token,
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(json!({"label": "Repairs"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn assignment_rules_route_new_cases_into_a_queue_and_round_its_members() {
    let app = TestApp::spawn().await;
    let wang = app.add_user("wang@example.com", "王工").await;
    let li = app.add_user("li@example.com", "李工").await;
    repairs_queue(&app, &[&wang, &li]).await;
    let r = app
        .post(
            "/api/v1/admin/assignment-rules",
            json!({"name": "报修", "object": "case", "criteria": "type eq 'repair'", "queue": "nowhere"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "queue", "{}", r.body);
    let r = app
        .post(
            "/api/v1/admin/assignment-rules",
            json!({"name": "报修", "object": "case", "criteria": "type eq 'repair'", "queue": "repairs"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let mut visitor = crate::web::Browser::new(&app);
    for (i, subject) in ["空压机异响", "冷却塔漏水", "请开发票"].iter().enumerate() {
        let email = format!("c{i}@example.cn");
        let kind = if i < 2 { "repair" } else { "inquiry" };
        let (status, _, page) = visitor
            .post(
                "/forms/case",
                &[
                    ("name", "客户"),
                    ("email", email.as_str()),
                    ("type", kind),
                    ("subject", subject),
                    ("description", "详情"),
                    ("website_url", ""),
                ],
            )
            .await;
        assert_eq!(status, 303, "{page}");
    }
    let cases = app.list_all("cases", "&sort=created_at").await;
    let routed: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| {
            (
                c["queue"].as_str().unwrap_or("-"),
                c["owner"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(routed[0].0, "repairs");
    assert_eq!(routed[1].0, "repairs");
    assert_eq!(routed[2].0, "-", "an inquiry is not routed");
    let mut owners = vec![routed[0].1, routed[1].1];
    owners.sort();
    let mut members = vec![wang.as_str(), li.as_str()];
    members.sort();
    assert_eq!(owners, members, "the members took turns");
    app.stop().await;
}

#[tokio::test]
async fn agents_take_cases_from_their_queues_page_and_administrators_set_queues_up_on_a_page() {
    let app = TestApp::spawn().await;
    let mut admin = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = admin.get("/admin/queues").await;
    assert_eq!(status, 200);
    let csrf = crate::web::csrf(&page);
    // A bad key and no name: each problem beside its input, nothing stored.
    let (status, _, page) = admin
        .post(
            "/admin/queues",
            &[
                ("csrf", csrf.as_str()),
                ("value", "Repairs Desk"),
                ("level", "edit"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="queue-value-error""#), "{page}");
    assert!(page.contains(r#"id="queue-label_en-error""#), "{page}");
    assert_eq!(app.get("/api/v1/admin/queues").await.body["data"], json!([]));

    let agent = app.add_user("agent@example.com", "客服小周").await;
    let member = format!("member.{agent}");
    let (status, to, page) = admin
        .post(
            "/admin/queues",
            &[
                ("csrf", csrf.as_str()),
                ("value", "hotline"),
                ("label_en", "Hotline"),
                ("label_zh_cn", "热线"),
                ("label_zh_tw", "熱線"),
                ("level", "edit"),
                ("active", "on"),
                (member.as_str(), "on"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/queues"), "{page}");
    let (_, _, page) = admin.get("/admin/queues").await;
    assert!(page.contains("热线") && page.contains("客服小周"), "{page}");

    let case = app
        .create(
            "cases",
            json!({"subject": "热线来电：设备报警", "status": "new", "queue": "hotline"}),
        )
        .await;
    let id = case["id"].as_str().unwrap();
    let mut agent = crate::web::Browser::signed_in(&app, "agent@example.com", "secret-password").await;
    let (status, _, page) = agent.get("/queues").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("热线") && page.contains("热线来电：设备报警"),
        "{page}"
    );
    assert!(page.contains(&format!("/queues/{id}/take")), "{page}");
    let csrf = crate::web::csrf(&page);
    let (status, to, _) = agent
        .post(
            &format!("/queues/{id}/take"),
            &[("csrf", csrf.as_str()), ("version", "1")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, format!("/o/cases/{id}").as_str()));
    let taken = app.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        taken.body["owner"],
        app.crm
            .actor_for_email("agent@example.com")
            .await
            .unwrap()
            .user_id
            .to_string()
    );
    // Theirs now: no "Take" beside it.
    let (_, _, page) = agent.get("/queues").await;
    assert!(!page.contains(&format!("/queues/{id}/take")), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_team_can_work_a_queue_and_is_not_deleted_while_it_does() {
    let app = TestApp::spawn().await;
    private_cases(&app).await;
    let (zhou, zhou_token) = app.person("zhou", None).await;
    let team = app
        .post(
            "/api/v1/admin/teams",
            json!({"name": "维修二组", "members": [zhou]}),
        )
        .await
        .id();
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(json!({"label": "维修组", "teams": ["0190e000-0000-7000-8000-000000000000"]})),
            &[],
        )
        .await;
    r.assert_problem(422, "teams[0]");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/queues/repairs",
            Some(json!({"label": "维修组", "teams": [team]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["teams"], json!([team]));
    let case = app
        .create(
            "cases",
            json!({"subject": "冷水机组报警", "status": "new", "queue": "repairs"}),
        )
        .await;
    let id = case["id"].as_str().unwrap();
    let r = app
        .request_as(&zhou_token, Method::GET, "/api/v1/queues", None, &[])
        .await;
    assert_eq!(
        ids(r.body["data"][0]["cases"].as_array().unwrap()),
        vec![id],
        "{}",
        r.body
    );
    let r = app
        .request_as(
            &zhou_token,
            Method::POST,
            &format!("/api/v1/cases/{id}/take"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["owner"], zhou.as_str());
    // The team works the queue: it stays until the queue no longer names it.
    let r = app
        .request(Method::DELETE, &format!("/api/v1/admin/teams/{team}"), None, &[])
        .await;
    r.assert_problem(422, "team");
    app.stop().await;
}

//! Service cases as customers raise them: the public case form links a known customer's
//! request to their contact and company, keeps what an unknown visitor said, follows the
//! assignment rules, and keeps robots and floods out like the lead form.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_public_case_form_links_known_customers_and_keeps_what_visitors_say() {
    let app = TestApp::spawn().await;
    let account = app
        .create("accounts", json!({"name": "宁波海川模具有限公司"}))
        .await;
    let contact = app
        .create(
            "contacts",
            json!({"name": "孙丽", "account": account["id"], "email": "sun.li@haichuan.cn",
                   "mobile": "13655556666"}),
        )
        .await;
    let agent = app.add_user("complaints@example.com", "投诉专员").await;
    let r = app
        .post(
            "/api/v1/admin/assignment-rules",
            json!({"name": "投诉", "object": "case", "order": 1,
                   "criteria": "type eq 'complaint'", "users": [agent]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let mut visitor = crate::web::Browser::new(&app);
    let (status, _, page) = visitor.get("/forms/case").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("联系客服") && page.contains(r#"name="website_url""#) && page.contains("投诉"),
        "{page}"
    );

    // 1. A customer we know, by an email typed in another case: linked to them and their
    //    company, and assigned by the rule for complaints.
    let (status, to, _) = visitor
        .post(
            "/forms/case",
            &[
                ("name", "孙丽"),
                ("email", "Sun.Li@HAICHUAN.cn"),
                ("type", "complaint"),
                ("subject", "模具交付延迟"),
                ("description", "订单 SO-1024 已延迟两周"),
                ("website_url", ""),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/case/thanks"));
    let cases = app.list_all("cases", "").await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["contact"], contact["id"]);
    assert_eq!(case["account"], account["id"]);
    assert_eq!(
        (&case["status"], &case["origin"], &case["type"]),
        (&json!("new"), &json!("web"), &json!("complaint"))
    );
    assert_eq!(case["supplied_email"], "sun.li@haichuan.cn");
    assert_eq!(case["owner"], json!(agent));
    // It is on the customer's timeline and among their open cases.
    let view = app
        .get(&format!(
            "/api/v1/accounts/{}/360",
            account["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert!(
        view.body["open_cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case["id"]),
        "{}",
        view.body
    );

    // 2. Someone we do not know, by phone: no contact, what they said kept.
    let (status, _, _) = visitor
        .post(
            "/forms/case",
            &[
                ("name", "王强"),
                ("company", "某电子厂"),
                ("mobile", "137 0000 0001"),
                ("subject", "设备报警代码 E42"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let unknown = app.list_all("cases", "filter=supplied_name%20eq%20'王强'").await;
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["contact"], Value::Null);
    assert_eq!(unknown[0]["supplied_phone"], "+8613700000001");
    assert_eq!(unknown[0]["supplied_company"], "某电子厂");

    // 3. No subject: said beside its input, the rest kept on the page.
    let (status, _, page) = visitor
        .post("/forms/case", &[("email", "a@b.cn"), ("description", "急")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="subject-error""#), "{page}");
    assert!(page.contains(r#"value="a@b.cn""#), "{page}");

    // 4. A robot: thanked, not stored.
    let (status, to, _) = visitor
        .post(
            "/forms/case",
            &[
                ("subject", "Buy now"),
                ("email", "spam@example.com"),
                ("website_url", "x"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/case/thanks"));
    assert_eq!(app.list_all("cases", "").await.len(), 2);

    // 5. A website's script posts JSON; a bad email is named as the form's input.
    let r = app
        .client
        .post(format!("{}/forms/case", app.url))
        .json(&json!({"subject": "Login fails", "email": "not-an-email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "email", "{body}");

    // 6. The limit counts per form: five cases from one address, the sixth refused —
    //    and the lead form is still open to them.
    let (status, _, page) = visitor
        .post("/forms/case", &[("subject", "第六"), ("mobile", "13700000006")])
        .await;
    assert_eq!(status, 429, "{page}");
    assert_eq!(app.list_all("cases", "").await.len(), 2);
    let (status, _, _) = visitor
        .post("/forms/lead", &[("name", "第七"), ("mobile", "13700000007")])
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = visitor.get("/forms/case/thanks").await;
    assert_eq!(status, 200);
    assert!(page.contains("服务团队已收到"), "{page}");
    app.stop().await;
}

fn at(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn cases_are_timed_in_business_hours_by_the_service_level_policy() {
    use chrono::TimeDelta;
    use guanxi_core::sla::Policy;
    let app = TestApp::spawn().await;
    // No policy yet: cases are not timed.
    let untimed = app
        .create("cases", json!({"subject": "无策略", "status": "new"}))
        .await;
    assert_eq!(
        (&untimed["due_at"], &untimed["first_response_due"]),
        (&Value::Null, &Value::Null)
    );

    let put = |body: Value| app.request(reqwest::Method::PUT, "/api/v1/admin/sla-policy", Some(body), &[]);
    // Every bad member named; nothing stored.
    let r = put(json!({"hours": {"monday": "9-18"},
                       "targets": [{"type": "grumble", "resolution": 60}, {"priority": "high"}]}))
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.fields_at_fault();
    fields.sort();
    assert_eq!(
        fields,
        ["hours.monday", "targets[0].type", "targets[1].resolution"]
    );
    assert_eq!(app.get("/api/v1/admin/sla-policy").await.body, json!({}));
    // Only administrators.
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::GET,
            "/api/v1/admin/sla-policy",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403);

    let policy = json!({
        "days": "off 2026-12-31 年终盘点",
        "targets": [
            {"resolution": 2400},
            {"type": "complaint", "first_response": 60, "resolution": 480},
            {"tier": "key", "type": "complaint", "first_response": 30, "resolution": 240}
        ]
    });
    let r = put(policy.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "service.sla_policy.set")
    );
    let calendar = Policy::from_json(&policy).unwrap().calendar;
    let plus = |from: &Value, minutes: i64| calendar.add(at(from), TimeDelta::minutes(minutes)).unwrap();

    // A complaint: an hour to answer, a working day to resolve — in business time.
    let case = app
        .create(
            "cases",
            json!({"subject": "交付延迟", "status": "new", "type": "complaint"}),
        )
        .await;
    assert_eq!(at(&case["first_response_due"]), plus(&case["created_at"], 60));
    assert_eq!(at(&case["due_at"]), plus(&case["created_at"], 480));
    // A key customer's complaint has the stricter targets; anything else the default.
    let key = app
        .create("accounts", json!({"name": "重点客户甲", "tier": "key"}))
        .await;
    let strict = app
        .create(
            "cases",
            json!({"subject": "再次延迟", "status": "new", "type": "complaint", "account": key["id"]}),
        )
        .await;
    assert_eq!(at(&strict["due_at"]), plus(&strict["created_at"], 240));
    let question = app
        .create(
            "cases",
            json!({"subject": "发票", "status": "new", "type": "inquiry"}),
        )
        .await;
    assert_eq!(at(&question["due_at"]), plus(&question["created_at"], 2400));
    assert_eq!(question["first_response_due"], Value::Null);

    // Taking it up is the first response.
    let id = case["id"].as_str().unwrap();
    let path = format!("/api/v1/cases/{id}");
    let taken = app
        .patch(
            &path,
            json!({"status": "in_progress"}),
            &app.get(&path).await.etag(),
        )
        .await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    assert_eq!(taken.body["first_response_at"], taken.body["updated_at"]);
    // Waiting on the customer stops the clock; when they answer it runs on from what
    // was left.
    let waiting = app
        .patch(&path, json!({"status": "waiting_customer"}), &taken.etag())
        .await;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert_eq!(waiting.body["sla_paused_at"], waiting.body["updated_at"]);
    let back = app
        .patch(&path, json!({"status": "in_progress"}), &waiting.etag())
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.body["sla_paused_at"], Value::Null);
    let left = calendar.between(at(&waiting.body["sla_paused_at"]), at(&waiting.body["due_at"]));
    assert_eq!(
        at(&back.body["due_at"]),
        calendar.add(at(&back.body["updated_at"]), left).unwrap()
    );
    app.stop().await;
}

#[tokio::test]
async fn administrators_set_service_levels_on_a_setup_page_with_problems_beside_their_inputs() {
    let app = TestApp::spawn().await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/admin/service-levels").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"value="09:00-12:00, 13:00-18:00""#),
        "the usual hours offered: {page}"
    );
    let token = crate::web::csrf(&page);
    let form = |first_type: &'static str, resolution: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("time_zone", "Asia/Shanghai".to_string()),
            ("hours.monday", "08:30-12:00, 13:00-17:30".to_string()),
            ("hours.saturday", "".to_string()),
            ("china_holidays", "on".to_string()),
            ("days", "off 2026-12-31 年终盘点".to_string()),
            // Row 0 left empty: removed. Row 1 is the first target sent.
            ("targets[0].resolution", "".to_string()),
            ("targets[1].type", first_type.to_string()),
            ("targets[1].first_response", "60".to_string()),
            ("targets[1].resolution", resolution.to_string()),
            ("targets[2].resolution", "2400".to_string()),
        ]
    };
    let bad = form("complaint", "ten");
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = b.post("/admin/service-levels", &refs).await;
    assert_eq!(status, 422);
    // The problem is on the row it is about, not on the first row sent.
    assert!(page.contains(r#"id="sla-1-resolution-error""#), "{page}");
    assert!(
        page.contains(r#"value="08:30-12:00, 13:00-17:30""#),
        "what was typed stays"
    );
    assert_eq!(app.get("/api/v1/admin/sla-policy").await.body, json!({}));

    let good = form("complaint", "480");
    let refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to, _) = b.post("/admin/service-levels", &refs).await;
    assert_eq!((status, to.as_str()), (303, "/admin/service-levels"));
    let stored = app.get("/api/v1/admin/sla-policy").await.body;
    assert_eq!(stored["hours"]["monday"], "08:30-12:00, 13:00-17:30");
    assert_eq!(
        stored["targets"],
        json!([{"type": "complaint", "first_response": 60, "resolution": 480}, {"resolution": 2400}])
    );
    let (_, _, page) = b.get("/admin/service-levels").await;
    assert!(page.contains(r#"id="sla-0-resolution" name="targets[0].resolution" type="text" inputmode="numeric" size="6" value="480""#), "{page}");
    // A complaint is now timed.
    let case = app
        .create(
            "cases",
            json!({"subject": "投诉", "status": "new", "type": "complaint"}),
        )
        .await;
    assert_ne!(case["first_response_due"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn a_case_near_its_target_warns_its_owner_and_past_it_is_escalated_to_their_manager() {
    use chrono::TimeDelta;
    use guanxi_core::sla::Policy;
    let app = TestApp::spawn().await;
    let lead_role = app.add_role("客服主管", None).await;
    let agent_role = app.add_role("客服专员", Some(&lead_role)).await;
    let (_, manager_token) = app.person("zhuguan", Some(&lead_role)).await;
    let (agent, agent_token) = app.person("zhuanyuan", Some(&agent_role)).await;
    let policy =
        json!({"targets": [{"type": "complaint", "first_response": 60, "resolution": 480, "warn_at": 80}]});
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/sla-policy",
            Some(policy.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let calendar = Policy::from_json(&policy).unwrap().calendar;
    let case = app
        .create(
            "cases",
            json!({"subject": "交付延迟", "status": "new", "type": "complaint", "owner": agent}),
        )
        .await;
    let created = at(&case["created_at"]);
    let due = at(&case["first_response_due"]);
    let notices = |token: String| {
        let app = &app;
        async move {
            let r = app
                .request_as(
                    &token,
                    reqwest::Method::GET,
                    "/api/v1/me/notifications",
                    None,
                    &[],
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["data"].as_array().cloned().unwrap_or_default()
        }
    };
    let sweep = |minutes: i64| {
        let now = calendar.add(created, TimeDelta::minutes(minutes)).unwrap();
        app.crm.sweep_service_levels(now)
    };

    // Half the hour used: nothing yet.
    assert_eq!(
        sweep(30).await.unwrap(),
        guanxi_services::service_levels::Sweep::default()
    );
    // 50 of 60 minutes used (warning at 80 %): the owner is warned, once.
    let s = sweep(50).await.unwrap();
    assert_eq!((s.warned, s.escalated), (1, 0));
    assert_eq!(sweep(51).await.unwrap().warned, 0, "warned once per due time");
    let told = notices(agent_token.clone()).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "case.first_response.warning");
    assert!(told[0]["text"].as_str().unwrap().contains("交付延迟"), "{told:?}");
    assert!(notices(manager_token.clone()).await.is_empty());

    // Past it with no response: escalated, the owner and their manager told, once.
    let s = sweep(61).await.unwrap();
    assert_eq!((s.warned, s.escalated), (0, 1));
    assert_eq!(sweep(62).await.unwrap().escalated, 0);
    let id = case["id"].as_str().unwrap();
    let now = app.get(&format!("/api/v1/cases/{id}")).await.body;
    assert_eq!(now["status"], "escalated");
    assert_eq!(at(&now["sla_escalated_for"]), due);
    assert_eq!(now["first_response_at"], Value::Null, "escalating is no response");
    let boss = notices(manager_token).await;
    assert_eq!(boss.len(), 1, "{boss:?}");
    assert_eq!(boss[0]["kind"], "case.first_response.breached");
    assert_eq!(notices(agent_token).await.len(), 2);

    // The case's page shows where its targets stand: by now (real time) the first response
    // is still to come or, past its due time, overdue; the resolution is running.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get(&format!("/o/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="service-levels""#), "{page}");
    let first = page.split("<dd class=\"").nth(1).unwrap_or_default();
    assert!(
        ["running", "warn", "overdue"]
            .iter()
            .any(|c| first.starts_with(c)),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_complaint_is_resolved_only_with_its_root_cause_and_closing_summary() {
    let app = TestApp::spawn().await;
    let complaint = app
        .create(
            "cases",
            json!({"subject": "包装破损", "status": "in_progress", "type": "complaint"}),
        )
        .await;
    let path = format!("/api/v1/cases/{}", complaint["id"].as_str().unwrap());
    let etag = app.get(&path).await.etag();
    let r = app.patch(&path, json!({"status": "resolved"}), &etag).await;
    r.assert_problem_status(422);
    let mut fields = r.fields_at_fault();
    fields.sort();
    assert_eq!(fields, ["closing_summary", "root_cause"]);
    let r = app
        .patch(
            &path,
            json!({"status": "closed", "root_cause": "delivery"}),
            &etag,
        )
        .await;
    assert_eq!(r.fields_at_fault(), ["closing_summary"]);
    assert_eq!(
        app.get(&path).await.body["status"],
        "in_progress",
        "nothing written"
    );
    let r = app
        .patch(
            &path,
            json!({"status": "resolved", "root_cause": "delivery", "closing_summary": "物流更换包装，补发新品"}),
            &etag,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Once resolved, the summary cannot be taken away; other edits go through.
    let r = app.patch(&path, json!({"closing_summary": ""}), &r.etag()).await;
    assert_eq!(r.fields_at_fault(), ["closing_summary"]);
    let r = app
        .patch(&path, json!({"tags": ["物流"]}), &app.get(&path).await.etag())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Other cases close as before; a complaint created closed needs both too.
    let question = app
        .create(
            "cases",
            json!({"subject": "发票抬头", "status": "new", "type": "inquiry"}),
        )
        .await;
    let qpath = format!("/api/v1/cases/{}", question["id"].as_str().unwrap());
    let r = app
        .patch(&qpath, json!({"status": "closed"}), &app.get(&qpath).await.etag())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            "/api/v1/cases",
            json!({"subject": "旧投诉", "status": "closed", "type": "complaint"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn people_move_cases_only_as_the_lifecycle_administrators_set_allows() {
    let app = TestApp::spawn().await;
    // Until one is enforced, any move goes; the usual lifecycle is offered to start from.
    let usual = app.get("/api/v1/admin/case-lifecycle").await.body;
    assert_eq!(usual["enforced"], false);
    assert_eq!(usual["transitions"]["closed"], json!([]));
    let case = app
        .create("cases", json!({"subject": "生命周期", "status": "in_progress"}))
        .await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let r = app
        .patch(&path, json!({"status": "new"}), &app.get(&path).await.etag())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Set on the setup page: enforced, from new only to in progress, in progress only to
    // resolved, resolved to closed; closed final.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/admin/case-lifecycle").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="t.new""#), "{page}");
    let token = crate::web::csrf(&page);
    let (status, to, _) = b
        .post(
            "/admin/case-lifecycle",
            &[
                ("csrf", token.as_str()),
                ("enforced", "on"),
                ("t.new", "in_progress"),
                ("t.in_progress", "resolved"),
                ("t.resolved", "closed"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/case-lifecycle"));
    let set = app.get("/api/v1/admin/case-lifecycle").await.body;
    assert_eq!(set["transitions"]["new"], json!(["in_progress"]));
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "service.case_lifecycle.set")
    );

    let r = app
        .patch(&path, json!({"status": "resolved"}), &app.get(&path).await.etag())
        .await;
    r.assert_problem(422, "status");
    assert!(
        r.body["errors"][0]["detail"].as_str().unwrap().contains("处理中"),
        "names what it may become: {}",
        r.body
    );
    for step in ["in_progress", "resolved", "closed"] {
        let r = app
            .patch(&path, json!({"status": step}), &app.get(&path).await.etag())
            .await;
        assert_eq!(r.status, 200, "{step}: {}", r.body);
    }
    let r = app
        .patch(
            &path,
            json!({"status": "in_progress"}),
            &app.get(&path).await.etag(),
        )
        .await;
    r.assert_problem(422, "status");
    // An edit that leaves the status alone is no move.
    let r = app
        .patch(
            &path,
            json!({"description": "补充说明"}),
            &app.get(&path).await.etag(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The system's own moves follow the service rules, not the lifecycle.
    let system = guanxi_services::Actor::system(guanxi_core::Locale::En);
    let current = app.get(&path).await.body;
    let id = current["id"].as_str().unwrap().parse().unwrap();
    let version = current["version"].as_i64().unwrap();
    let patch = json!({"status": "escalated"}).as_object().unwrap().clone();
    app.crm
        .update(&system, "case", id, version, patch)
        .await
        .expect("system moves it");
    // A status that is not a case status is named.
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/case-lifecycle",
            Some(json!({"enforced": true, "transitions": {"limbo": ["new"]}})),
            &[],
        )
        .await;
    r.assert_problem(422, "transitions.limbo");
}

#[tokio::test]
async fn a_policy_may_hand_a_breached_case_to_the_owners_manager() {
    use chrono::TimeDelta;
    use guanxi_core::sla::Policy;
    let app = TestApp::spawn().await;
    let lead_role = app.add_role("客服主管", None).await;
    let agent_role = app.add_role("客服专员", Some(&lead_role)).await;
    let (manager, _) = app.person("zhuguan", Some(&lead_role)).await;
    let (agent, _) = app.person("zhuanyuan", Some(&agent_role)).await;
    let policy = json!({"targets": [{"resolution": 120}], "reassign_at_breach": true});
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/sla-policy",
            Some(policy.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reassign_at_breach"], true);
    let calendar = Policy::from_json(&policy).unwrap().calendar;
    let case = app
        .create(
            "cases",
            json!({"subject": "设备停机", "status": "in_progress", "owner": agent}),
        )
        .await;
    let past = calendar
        .add(at(&case["created_at"]), TimeDelta::minutes(121))
        .unwrap();
    let s = app.crm.sweep_service_levels(past).await.unwrap();
    assert_eq!(s.escalated, 1);
    let now = app
        .get(&format!("/api/v1/cases/{}", case["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(
        (now["status"].as_str(), now["owner"].as_str()),
        (Some("escalated"), Some(manager.as_str()))
    );
    // The setup page shows the choice.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = b.get("/admin/service-levels").await;
    assert!(
        page.contains(r#"name="reassign_at_breach" value="on" checked"#),
        "{page}"
    );
}

//! Leads: converting a lead searches the customer base first and links to the company and
//! person we already know instead of copying them; the rest is created, all or nothing;
//! the converted lead keeps its links and is read-only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn convert(app: &TestApp, lead: &str, body: Value) -> crate::helpers::Resp {
    app.post(&format!("/api/v1/leads/{lead}/convert"), body).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_lead_from_a_known_customer_links_to_its_account_and_contact() {
    let app = TestApp::spawn().await;
    let account = app
        .create(
            "accounts",
            json!({"name": "华通精密机械有限公司", "city": "上海"}),
        )
        .await;
    let contact = app
        .create(
            "contacts",
            json!({"name": "张伟", "mobile": "13800138000", "account": id(&account)}),
        )
        .await;
    // The lead spells the company without its legal suffix and the phone with dashes.
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "张伟", "company": "华通精密机械", "mobile": "138-0013-8000",
                   "email": "zhang.wei@huatong.cn", "source": "website",
                   "budget": {"amount": "50000", "currency": "CNY"}}),
        )
        .await;
    let plan = app.get(&format!("/api/v1/leads/{}/conversion", id(&lead))).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(plan.body["account"], account["id"]);
    assert_eq!(plan.body["contact"], contact["id"]);
    // Each look-alike says why.
    assert!(!plan.body["contacts"][0]["reasons"].as_array().unwrap().is_empty());

    let r = convert(&app, &id(&lead), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["account_created"], false);
    assert_eq!(r.body["contact_created"], false);
    let opp = &r.body["opportunity"];
    assert_eq!(opp["account"], account["id"]);
    assert_eq!(opp["contact"], contact["id"]);
    assert_eq!(opp["name"], "华通精密机械");
    assert_eq!(opp["amount"]["currency"], "CNY");
    assert_eq!(opp["source"], "website");
    let converted = &r.body["lead"];
    assert_eq!(converted["status"], "converted");
    assert_eq!(converted["converted_account"], account["id"]);
    assert_eq!(converted["converted_contact"], contact["id"]);
    assert_eq!(converted["converted_opportunity"], opp["id"]);
    assert!(converted["converted_at"].is_string());
    // No copies.
    assert_eq!(app.list_all("accounts", "").await.len(), 1);
    assert_eq!(app.list_all("contacts", "").await.len(), 1);

    // A converted lead is read-only and converts once.
    let r = app
        .patch(
            &format!("/api/v1/leads/{}", id(&lead)),
            json!({"title": "总经理"}),
            &converted["version"].to_string(),
        )
        .await;
    r.assert_problem(422, "status");
    convert(&app, &id(&lead), json!({}))
        .await
        .assert_problem(422, "status");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "lead.convert"), "{actions:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_namesake_at_another_company_is_not_taken_for_the_known_person() {
    let app = TestApp::spawn().await;
    let known = app
        .create("accounts", json!({"name": "华通精密机械有限公司"}))
        .await;
    app.create(
        "contacts",
        json!({"name": "张伟", "mobile": "13800138000", "account": id(&known)}),
    )
    .await;
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "张伟", "company": "深圳新科电子有限公司", "mobile": "13912345678", "city": "深圳"}),
        )
        .await;
    let plan = app.get(&format!("/api/v1/leads/{}/conversion", id(&lead))).await;
    assert!(plan.body["account"].is_null(), "{}", plan.body);
    assert!(plan.body["contact"].is_null(), "{}", plan.body);
    let r = convert(&app, &id(&lead), json!({"opportunity": false})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["account_created"], true);
    assert_eq!(r.body["contact_created"], true);
    assert!(r.body["opportunity"].is_null());
    assert_eq!(r.body["account"]["name"], "深圳新科电子有限公司");
    assert_eq!(r.body["account"]["city"], "深圳");
    assert_eq!(r.body["contact"]["account"], r.body["account"]["id"]);
    assert_eq!(r.body["contact"]["mobile"], "+8613912345678");
    assert_eq!(app.list_all("contacts", "").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_user_may_choose_a_new_record_or_another_one_and_a_failure_writes_nothing() {
    let app = TestApp::spawn().await;
    let account = app
        .create("accounts", json!({"name": "华通精密机械有限公司"}))
        .await;
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "王芳", "company": "华通精密机械"}),
        )
        .await;
    // A bad choice and a bad opportunity are named; nothing is written.
    let r = convert(&app, &id(&lead), json!({"account": "somewhere"})).await;
    r.assert_problem(422, "account");
    let r = convert(
        &app,
        &id(&lead),
        json!({"account": "new", "opportunity": {"close_date": "not a date"}}),
    )
    .await;
    r.assert_problem(422, "opportunity.close_date");
    assert_eq!(app.list_all("accounts", "").await.len(), 1);
    assert_eq!(app.list_all("contacts", "").await.len(), 0);
    let unchanged = app.get(&format!("/api/v1/leads/{}", id(&lead))).await;
    assert_eq!(unchanged.body["status"], lead["status"]);
    assert!(unchanged.body["converted_account"].is_null());

    // "new" makes a second account even though one looks alike.
    let r = convert(
        &app,
        &id(&lead),
        json!({"account": "new", "opportunity": {"name": "华通二厂", "close_date": "2027-06-30"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["account_created"], true);
    assert_ne!(r.body["account"]["id"], account["id"]);
    assert_eq!(r.body["opportunity"]["name"], "华通二厂");
    assert_eq!(r.body["opportunity"]["close_date"], "2027-06-30");
    app.stop().await;
}

#[tokio::test]
async fn only_conversion_marks_a_lead_converted() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/api/v1/leads", json!({"name": "李雷", "status": "converted"}))
        .await;
    r.assert_problem(422, "status");
    let lead = app
        .create("leads", json!({"status": "new", "name": "李雷"}))
        .await;
    let account = app.create("accounts", json!({"name": "某公司"})).await;
    let r = app
        .patch(
            &format!("/api/v1/leads/{}", id(&lead)),
            json!({"converted_account": id(&account)}),
            &lead["version"].to_string(),
        )
        .await;
    r.assert_problem(422, "converted_account");
    // Conversion is for leads only.
    let r = app
        .request_as(
            &app.token,
            Method::POST,
            &format!("/api/v1/accounts/{}/convert", id(&account)),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_opportunity_starts_at_the_first_stage_of_the_default_process() {
    let app = TestApp::spawn().await;
    for p in guanxi_services::demo::sales_processes() {
        assert_eq!(app.post("/api/v1/sales-processes", p).await.status, 201);
    }
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "陈静", "company": "杭州云帆科技", "budget": {"amount": "80000", "currency": "CNY"}}),
        )
        .await;
    let r = convert(&app, &id(&lead), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let opp = &r.body["opportunity"];
    assert_eq!(opp["process"], "project");
    assert_eq!(opp["stage"], "prospecting");
    assert_eq!(opp["forecast_category"], "pipeline");
    // Or in the process the rep picks.
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "周敏", "company": "苏州门店"}),
        )
        .await;
    let r = convert(&app, &id(&lead), json!({"opportunity": {"process": "retail"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["opportunity"]["process"], "retail");
    assert_eq!(r.body["opportunity"]["stage"], "prospecting");
    app.stop().await;
}

#[tokio::test]
async fn a_rep_converts_a_lead_in_the_browser_choosing_what_to_link() {
    let app = TestApp::spawn().await;
    let account = app
        .create("accounts", json!({"name": "华通精密机械有限公司"}))
        .await;
    let lead = app
        .create(
            "leads",
            json!({"status": "qualified", "name": "赵敏", "company": "华通精密机械（上海）", "mobile": "13700001111"}),
        )
        .await;
    let lead_id = id(&lead);
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get(&format!("/o/leads/{lead_id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("/o/leads/{lead_id}/convert")), "{page}");
    let (status, _, page) = b.get(&format!("/o/leads/{lead_id}/convert")).await;
    assert_eq!(status, 200);
    // The known account is offered, chosen, with its score; a new one is the other choice.
    let offered = format!(
        r#"id="account-{}" name="account" value="{}" checked"#,
        id(&account),
        id(&account)
    );
    assert!(page.contains(&offered), "{page}");
    assert!(page.contains("新建：华通精密机械（上海）"), "{page}");
    let token = crate::web::csrf(&page);
    let account_id = id(&account);
    let mut form = vec![
        ("csrf", token.as_str()),
        ("account", account_id.as_str()),
        ("contact", "new"),
        ("opportunity", "on"),
        ("opp_name", "华通 视觉检测"),
        ("opp_amount", "120000"),
        ("opp_close_date", "明年"),
    ];
    let (status, _, page) = b.post(&format!("/o/leads/{lead_id}/convert"), &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="opp_close_date-error""#), "{page}");
    assert_eq!(app.list_all("contacts", "").await.len(), 0);
    form.pop();
    form.push(("opp_close_date", "2027-03-31"));
    let (status, to, _) = b.post(&format!("/o/leads/{lead_id}/convert"), &form).await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/o/opportunities/"), "{to}");
    let (_, _, page) = b.get(&to).await;
    assert!(page.contains("华通 视觉检测"), "{page}");
    let (_, _, page) = b.get(&format!("/o/leads/{lead_id}")).await;
    assert!(
        page.contains("已转化") && page.contains("华通精密机械有限公司"),
        "{page}"
    );
    assert!(!page.contains(&format!("/o/leads/{lead_id}/convert")), "{page}");
    app.stop().await;
}

async fn user(app: &TestApp, email: &str, name: &str) -> String {
    app.add_user(email, name).await
}

async fn owner_of(app: &TestApp, body: Value) -> String {
    let r = app.post("/api/v1/leads?assign=true", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["owner"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn assignment_rules_route_new_leads_by_criteria_in_order_and_in_turn() {
    let app = TestApp::spawn().await;
    let east = user(&app, "east@example.com", "华东销售").await;
    let (b, c) = (
        user(&app, "b@example.com", "软件一").await,
        user(&app, "c@example.com", "软件二").await,
    );
    let d = user(&app, "d@example.com", "值班").await;
    let team = app
        .post("/api/v1/admin/teams", json!({"name": "线索池", "members": [d]}))
        .await
        .id();
    for rule in [
        json!({"name": "华东制造业", "object": "lead", "order": 1,
               "criteria": "region eq 'east' and industry eq 'manufacturing'", "users": [east]}),
        json!({"name": "软件意向", "object": "lead", "order": 2,
               "criteria": "product_interest eq 'software'", "users": [b, c]}),
        json!({"name": "其余", "object": "lead", "order": 3, "team": team}),
    ] {
        let r = app.post("/api/v1/admin/assignment-rules", rule).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let lead = |extra: Value| {
        let mut l = json!({"name": "客户", "status": "new"});
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        l
    };
    // The first rule that matches decides.
    assert_eq!(
        owner_of(
            &app,
            lead(json!({"region": "east", "industry": "manufacturing", "product_interest": "software"}))
        )
        .await,
        east
    );
    // In turn among the rule's users.
    let turns = [
        owner_of(&app, lead(json!({"product_interest": "software"}))).await,
        owner_of(&app, lead(json!({"product_interest": "software"}))).await,
        owner_of(&app, lead(json!({"product_interest": "software"}))).await,
    ];
    assert_eq!(turns, [b.clone(), c.clone(), b.clone()]);
    // The catch-all hands the rest to the team.
    assert_eq!(owner_of(&app, lead(json!({"region": "north"}))).await, d);
    // An owner given is kept; without ?assign the creator owns it.
    assert_eq!(
        owner_of(&app, lead(json!({"owner": c, "product_interest": "software"}))).await,
        c
    );
    let mine = app
        .create("leads", lead(json!({"product_interest": "software"})))
        .await;
    let me = app
        .crm
        .actor_for_email("admin@example.com")
        .await
        .unwrap()
        .user_id
        .to_string();
    assert_eq!(mine["owner"], me);

    // Imports follow the rules too.
    let file = app.dir.path().join("leads.csv");
    std::fs::write(&file, "姓名,状态,大区,行业\n周杰,new,east,manufacturing\n").unwrap();
    let admin = app.crm.actor_for_email("admin@example.com").await.unwrap();
    let report = app
        .crm
        .import(
            &admin,
            "leads",
            &file,
            &guanxi_services::import::ImportOptions::default(),
            &mut |_: &guanxi_services::import::Event| {},
        )
        .await
        .map_err(|e| e.message(guanxi_core::Locale::En))
        .unwrap();
    assert_eq!(report.counts.created, 1, "{report:?}");
    let imported = app.list_all("leads", "filter=name%20eq%20'周杰'").await;
    assert_eq!(imported[0]["owner"], east);
    app.stop().await;
}

#[tokio::test]
async fn assignment_rules_are_checked_and_only_administrators_set_them() {
    let app = TestApp::spawn().await;
    let rep = app.crm.actor_for_email("rep@example.com").await.unwrap().user_id;
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            "/api/v1/admin/assignment-rules",
            Some(json!({"name": "x", "object": "lead", "users": [rep]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    let post = |body: Value| app.post("/api/v1/admin/assignment-rules", body);
    post(json!({"name": "x", "object": "lead", "criteria": "wibble eq 1", "users": [rep]}))
        .await
        .assert_problem(422, "criteria.wibble");
    post(json!({"name": "x", "object": "lead", "users": [uuid::Uuid::now_v7()]}))
        .await
        .assert_problem(422, "users[0]");
    post(json!({"name": "x", "object": "lead"}))
        .await
        .assert_problem(422, "users");
    post(json!({"name": "x", "object": "nothing", "users": [rep]}))
        .await
        .assert_problem(422, "object");
    let r = post(json!({"name": "x", "object": "lead", "users": [rep]})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    post(json!({"name": "x", "object": "lead", "users": [rep]}))
        .await
        .assert_problem(422, "name");
    let id = r.id();
    let r = app
        .request_as(
            &app.token,
            Method::PUT,
            &format!("/api/v1/admin/assignment-rules/{id}"),
            Some(json!({"name": "x", "object": "lead", "users": [rep], "active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // An inactive rule assigns nothing.
    let r = app
        .post(
            "/api/v1/leads?assign=true",
            json!({"name": "无人", "status": "new"}),
        )
        .await;
    assert_ne!(r.body["owner"], json!(rep.to_string()));
    assert_eq!(
        app.delete(&format!("/api/v1/admin/assignment-rules/{id}"))
            .await
            .status,
        204
    );
    let actions = app.audit_actions().await;
    assert!(
        actions.iter().any(|a| a == "metadata.assignment_rule.add"),
        "{actions:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn administrators_set_assignment_rules_in_setup() {
    let app = TestApp::spawn().await;
    let east = user(&app, "east@example.com", "华东销售").await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/admin/assignment-rules").await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&page);
    let mut form = vec![
        ("csrf", token.as_str()),
        ("name", "华东"),
        ("object", "lead"),
        ("order", "1"),
        ("criteria", "regoin eq 'east'"),
        ("users", east.as_str()),
        ("active", "on"),
    ];
    let (status, _, page) = b.post("/admin/assignment-rules", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="rule-criteria-error""#), "{page}");
    assert!(page.contains("regoin eq"), "the input is kept: {page}");
    form.retain(|(k, _)| *k != "criteria");
    form.push(("criteria", "region eq 'east'"));
    let (status, to, _) = b.post("/admin/assignment-rules", &form).await;
    assert_eq!((status, to.as_str()), (303, "/admin/assignment-rules"));
    let (_, _, page) = b.get("/admin/assignment-rules").await;
    assert!(
        page.contains("region eq &#39;east&#39;") || page.contains("region eq 'east'"),
        "{page}"
    );
    assert!(page.contains("华东销售"), "{page}");
    assert_eq!(
        owner_of(&app, json!({"name": "客户", "status": "new", "region": "east"})).await,
        east
    );
    let rules = app.get("/api/v1/admin/assignment-rules").await.body["data"].clone();
    let id = rules[0]["id"].as_str().unwrap().to_string();
    let (status, _, _) = b
        .post(
            &format!("/admin/assignment-rules/{id}/delete"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.get("/api/v1/admin/assignment-rules").await.body["data"],
        json!([])
    );
    app.stop().await;
}

#[tokio::test]
async fn the_public_lead_form_takes_leads_and_keeps_robots_and_floods_out() {
    let app = TestApp::spawn().await;
    let mut visitor = crate::web::Browser::new(&app);
    let (status, _, page) = visitor.get("/forms/lead?campaign=expo-2026").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("联系我们") && page.contains(r#"name="website_url""#),
        "{page}"
    );
    assert!(page.contains(r#"name="campaign" value="expo-2026""#), "{page}");

    // 1. A person.
    let (status, to, _) = visitor
        .post(
            "/forms/lead",
            &[
                ("name", "孙丽"),
                ("company", "宁波海川模具有限公司"),
                ("mobile", "13655556666"),
                ("product_interest", "software"),
                ("description", "想了解 MES 方案"),
                ("campaign", "expo-2026"),
                ("website_url", ""),
                ("submit", "提交"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/lead/thanks"));
    let leads = app.list_all("leads", "").await;
    assert_eq!(leads.len(), 1);
    let lead = &leads[0];
    assert_eq!(lead["source"], "website");
    assert_eq!(lead["status"], "new");
    assert_eq!(lead["campaign"], "expo-2026");
    assert_eq!(lead["product_interest"], "software");
    assert_eq!(lead["mobile"], "+8613655556666");

    // 2. A robot fills the hidden field: thanked, not stored.
    let (status, to, _) = visitor
        .post(
            "/forms/lead",
            &[
                ("name", "Buy now"),
                ("email", "spam@example.com"),
                ("website_url", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/forms/lead/thanks"));
    assert_eq!(app.list_all("leads", "").await.len(), 1);

    // 3. No way to reach them: said beside the email input, the rest kept.
    let (status, _, page) = visitor
        .post("/forms/lead", &[("name", "无名"), ("company", "某厂")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="email-error""#) && page.contains("请留下手机、电话或邮箱"),
        "{page}"
    );
    assert!(page.contains(r#"value="某厂""#), "{page}");

    // 4 and 5. A website's script posts JSON; problems name the field.
    let post_json = |body: Value| {
        app.client
            .post(format!("{}/forms/lead", app.url))
            .header("Accept-Language", "en")
            .json(&body)
            .send()
    };
    let r = post_json(json!({"name": "Li Lei", "email": "li.lei@example.com"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = post_json(json!({"name": "Han Meimei", "email": "not-an-email"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "email", "{body}");
    assert_eq!(app.list_all("leads", "").await.len(), 2);

    // 6. The sixth submission from one address within ten minutes is refused.
    let (status, _, page) = visitor
        .post("/forms/lead", &[("name", "第六"), ("mobile", "13700000006")])
        .await;
    assert_eq!(status, 429, "{page}");
    assert_eq!(app.list_all("leads", "").await.len(), 2);
    let (status, _, page) = visitor.get("/forms/lead/thanks").await;
    assert_eq!(status, 200);
    assert!(page.contains("我们已收到"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_name_hundreds_share_is_no_evidence_but_the_mobile_still_finds_the_person() {
    let app = TestApp::spawn().await;
    let records: Vec<Value> = (0..205)
        .map(|i| json!({"name": "张伟", "mobile": format!("1380000{i:04}")}))
        .collect();
    let r = app
        .post("/api/v1/contacts/bulk", json!({"records": records}))
        .await;
    assert_eq!(r.body["created"], 205, "{}", r.body);
    let known = app
        .list_all("contacts", "filter=mobile%20eq%20'+8613800000150'")
        .await;
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "张伟", "mobile": "13800000150"}),
        )
        .await;
    let plan = app.get(&format!("/api/v1/leads/{}/conversion", id(&lead))).await;
    assert_eq!(plan.body["contact"], known[0]["id"], "{}", plan.body);
    assert_eq!(
        plan.body["contacts"].as_array().unwrap().len(),
        1,
        "{}",
        plan.body
    );
    let stranger = app
        .create(
            "leads",
            json!({"status": "new", "name": "张伟", "mobile": "13999999999"}),
        )
        .await;
    let plan = app
        .get(&format!("/api/v1/leads/{}/conversion", id(&stranger)))
        .await;
    assert!(plan.body["contact"].is_null(), "{}", plan.body);
    app.stop().await;
}

#[tokio::test]
async fn an_opportunity_in_a_chosen_process_starts_at_that_process_first_stage() {
    let app = TestApp::spawn().await;
    for p in guanxi_services::demo::sales_processes() {
        assert_eq!(app.post("/api/v1/sales-processes", p).await.status, 201);
    }
    // Renewals skip prospecting: they start at qualification.
    let renewal = json!({
        "name": "renewal", "label": {"en": "Renewals", "zh-CN": "续约", "zh-TW": "續約"},
        "stages": [
            {"stage": "qualification", "probability": 60, "forecast": "commit"},
            {"stage": "closed_won", "probability": 100, "forecast": "closed", "outcome": "won"},
            {"stage": "closed_lost", "probability": 0, "forecast": "omitted", "outcome": "lost"}
        ]
    });
    assert_eq!(app.post("/api/v1/sales-processes", renewal).await.status, 201);
    let lead = app
        .create(
            "leads",
            json!({"status": "new", "name": "钱进", "company": "常州老客户"}),
        )
        .await;
    let r = convert(&app, &id(&lead), json!({"opportunity": {"process": "renewal"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["opportunity"]["process"], "renewal");
    assert_eq!(r.body["opportunity"]["stage"], "qualification");
    app.stop().await;
}

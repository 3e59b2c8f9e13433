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

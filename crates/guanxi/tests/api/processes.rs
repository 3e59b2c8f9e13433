//! Sales processes: an opportunity moves only as its process allows — each entry and
//! exit criterion refuses the move naming what is missing — and the stage it enters
//! sets its probability and forecast category. Reps read the guidance for their stage.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn percent(v: &Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN)
}

fn l(s: &str) -> Value {
    json!({"en": s, "zh-CN": s, "zh-TW": s})
}

fn project_sales() -> Value {
    json!({
        "name": "project", "label": {"en": "Project sales", "zh-CN": "项目销售", "zh-TW": "專案銷售"}, "default": true,
        "stages": [
            {"stage": "prospecting", "probability": 10, "forecast": "pipeline"},
            {"stage": "qualification", "probability": 20, "forecast": "pipeline",
             "exit_activities": ["visit"],
             "checklist": [{"key": "budget_confirmed", "label": {"en": "Budget confirmed", "zh-CN": "预算已确认", "zh-TW": "預算已確認"}}],
             "guidance": l("Visit the customer and confirm the budget.")},
            {"stage": "proposal", "probability": 50, "forecast": "best_case", "entry_fields": ["amount"]},
            {"stage": "negotiation", "probability": 80, "forecast": "commit", "exit_fields": ["contact"]},
            {"stage": "closed_won", "probability": 100, "forecast": "closed", "outcome": "won"},
            {"stage": "closed_lost", "probability": 0, "forecast": "omitted", "outcome": "lost", "entry_fields": ["loss_reason"]}
        ]
    })
}

async fn move_to(app: &TestApp, token: &str, id: &str, body: Value) -> crate::helpers::Resp {
    let current = app
        .request_as(
            token,
            Method::GET,
            &format!("/api/v1/opportunities/{id}"),
            None,
            &[],
        )
        .await;
    let version = current.body["version"].to_string();
    app.request_as(
        token,
        Method::PATCH,
        &format!("/api/v1/opportunities/{id}"),
        Some(body),
        &[("If-Match", &version), ("Accept-Language", "zh-CN")],
    )
    .await
}

#[tokio::test]
async fn an_opportunity_moves_only_as_its_process_allows_and_each_refusal_names_what_is_missing() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v1/sales-processes", project_sales()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rep = app.user_token.clone();

    // A rep starts at the first stage: creating at a later one is skipping.
    let r = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/opportunities",
            Some(json!({"name": "华通 ERP 项目", "stage": "negotiation", "close_date": "2026-12-31"})),
            &[],
        )
        .await;
    r.assert_problem(422, "stage");
    let r = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/opportunities",
            Some(json!({"name": "华通 ERP 项目", "stage": "prospecting", "close_date": "2026-12-31"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let opp = r.body.clone();
    let id = opp["id"].as_str().unwrap().to_string();
    // The process and the stage's probability and forecast category are filled in.
    assert_eq!(opp["process"], "project");
    assert_eq!(percent(&opp["probability"]), 10.0);
    assert_eq!(opp["forecast_category"], "pipeline");
    assert!(opp["stage_entered_at"].is_string(), "{opp}");

    // Skipping a stage is refused, naming the next one.
    let r = move_to(&app, &rep, &id, json!({"stage": "proposal"})).await;
    r.assert_problem(422, "stage");
    assert!(r.body.to_string().contains("需求确认"), "{}", r.body);
    assert_eq!(
        move_to(&app, &rep, &id, json!({"stage": "qualification"}))
            .await
            .status,
        200
    );

    // Leaving qualification needs a completed visit and the ticked checklist; entering
    // proposal needs an amount. All three are named at once.
    let r = move_to(&app, &rep, &id, json!({"stage": "proposal"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut at_fault = r.fields_at_fault();
    at_fault.sort();
    assert_eq!(at_fault, ["amount", "checklist", "stage"]);
    let text = r.body.to_string();
    assert!(text.contains("拜访") && text.contains("预算已确认"), "{text}");

    // A planned visit is not enough; a completed one is.
    let visit = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/activities",
            Some(json!({"subject": "拜访华通", "type": "visit", "status": "planned", "opportunity": id})),
            &[],
        )
        .await;
    assert_eq!(visit.status, 201, "{}", visit.body);
    let r = move_to(
        &app,
        &rep,
        &id,
        json!({"stage": "proposal", "amount": "800000", "checklist": ["budget_confirmed"]}),
    )
    .await;
    assert_eq!(r.fields_at_fault(), ["stage"], "{}", r.body);
    let visit_id = visit.body["id"].as_str().unwrap();
    let r = app
        .request_as(
            &rep,
            Method::PATCH,
            &format!("/api/v1/activities/{visit_id}"),
            Some(json!({"status": "completed"})),
            &[("If-Match", "1")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = move_to(
        &app,
        &rep,
        &id,
        json!({"stage": "proposal", "amount": "800000", "checklist": ["budget_confirmed"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(percent(&r.body["probability"]), 50.0);
    assert_eq!(r.body["forecast_category"], "best_case");

    // While in proposal its entry field stays required.
    let r = move_to(&app, &rep, &id, json!({"amount": null})).await;
    r.assert_problem(422, "amount");

    // An exit field; then won. A probability the same write sets is kept.
    assert_eq!(
        move_to(&app, &rep, &id, json!({"stage": "negotiation"}))
            .await
            .status,
        200
    );
    let r = move_to(&app, &rep, &id, json!({"stage": "closed_won"})).await;
    r.assert_problem(422, "contact");
    let contact = app.create("contacts", json!({"name": "王磊"})).await;
    let r = move_to(
        &app,
        &rep,
        &id,
        json!({"stage": "closed_won", "contact": contact["id"], "probability": 95}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(percent(&r.body["probability"]), 95.0);
    assert_eq!(r.body["forecast_category"], "closed");

    // A closed opportunity is reopened only by someone who may skip (the administrator).
    let r = move_to(&app, &rep, &id, json!({"stage": "negotiation"})).await;
    r.assert_problem(422, "stage");
    assert_eq!(
        move_to(&app, &app.token, &id, json!({"stage": "negotiation"}))
            .await
            .status,
        200
    );

    // Lost from any open stage, with its reason.
    let r = move_to(&app, &rep, &id, json!({"stage": "closed_lost"})).await;
    r.assert_problem(422, "loss_reason");
    let r = move_to(
        &app,
        &rep,
        &id,
        json!({"stage": "closed_lost", "loss_reason": "price"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A process that does not exist is named as such.
    let r = app
        .post(
            "/api/v1/opportunities",
            json!({"name": "x", "stage": "prospecting", "close_date": "2026-12-31", "process": "nope"}),
        )
        .await;
    r.assert_problem(422, "process");
    app.stop().await;
}

#[tokio::test]
async fn guidance_shows_the_path_what_moving_on_needs_and_the_stage_history() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post("/api/v1/sales-processes", project_sales()).await.status,
        201
    );
    let opp = app
        .create(
            "opportunities",
            json!({"name": "上海宏达 MES", "stage": "prospecting", "close_date": "2026-12-31"}),
        )
        .await;
    let id = opp["id"].as_str().unwrap().to_string();
    assert_eq!(
        move_to(&app, &app.token, &id, json!({"stage": "qualification"}))
            .await
            .status,
        200
    );
    let r = app
        .request(
            Method::GET,
            &format!("/api/v1/opportunities/{id}/guidance"),
            None,
            &[("Accept-Language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let g = r.body;
    assert_eq!(g["process_label"], "项目销售");
    let states: Vec<&str> = g["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "current", "todo", "todo", "todo", "todo"]);
    assert_eq!(g["next"]["stage"], "proposal");
    let reqs: Vec<(String, bool)> = g["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap().to_string(),
                r["met"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reqs,
        [
            ("拜访".to_string(), false),
            ("预算已确认".to_string(), false),
            ("金额".to_string(), false)
        ]
    );
    assert_eq!(g["guidance"], "Visit the customer and confirm the budget.");
    let history: Vec<&str> = g["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["stage"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["prospecting", "qualification"]);
    assert!(g["history"][0]["left_at"].is_string() && g["history"][1]["left_at"].is_null());

    // Guidance is for opportunities only.
    let account = app.create("accounts", json!({"name": "宏达"})).await;
    let r = app
        .get(&format!(
            "/api/v1/accounts/{}/guidance",
            account["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn administrators_define_processes_with_checked_definitions_and_audit() {
    let app = TestApp::spawn().await;
    // Only administrators define processes; reps read them.
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            "/api/v1/sales-processes",
            Some(project_sales()),
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    let mut bad = project_sales();
    bad["stages"][0]["stage"] = json!("nowhere");
    bad["stages"][2]["entry_fields"] = json!(["no_such_field"]);
    let r = app.post("/api/v1/sales-processes", bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.fields_at_fault(),
        ["stages[0].stage", "stages[2].entry_fields[0]"]
    );
    let first = app.post("/api/v1/sales-processes", project_sales()).await;
    assert_eq!(first.status, 201);
    let first_id = first.id();
    // Names are unique; a new default takes the flag.
    app.post("/api/v1/sales-processes", project_sales())
        .await
        .assert_problem(422, "name");
    let mut retail = project_sales();
    retail["name"] = json!("retail");
    let r = app.post("/api/v1/sales-processes", retail).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .request_as(&app.user_token, Method::GET, "/api/v1/sales-processes", None, &[])
        .await;
    assert_eq!(r.status, 200);
    let defaults: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["retail"]);

    // A process opportunities follow cannot be deleted.
    app.create(
        "opportunities",
        json!({"name": "a", "stage": "prospecting", "close_date": "2026-12-31", "process": "project"}),
    )
    .await;
    app.delete(&format!("/api/v1/sales-processes/{first_id}"))
        .await
        .assert_problem(422, "name");
    let actions = app.audit_actions().await;
    assert!(
        actions.iter().any(|a| a == "metadata.sales_process.add"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "metadata.sales_process.update"),
        "{actions:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_any_process_opportunities_move_freely() {
    let app = TestApp::spawn().await;
    let opp = app
        .create(
            "opportunities",
            json!({"name": "自由", "stage": "negotiation", "close_date": "2026-12-31"}),
        )
        .await;
    assert!(opp["process"].is_null());
    let id = opp["id"].as_str().unwrap().to_string();
    assert_eq!(
        move_to(
            &app,
            &app.user_token.clone(),
            &id,
            json!({"stage": "prospecting"})
        )
        .await
        .status,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn the_opportunity_page_shows_the_path_and_what_the_next_stage_needs() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post("/api/v1/sales-processes", project_sales()).await.status,
        201
    );
    let opp = app
        .create(
            "opportunities",
            json!({"name": "深圳新科 CRM", "stage": "prospecting", "close_date": "2026-12-31"}),
        )
        .await;
    let id = opp["id"].as_str().unwrap().to_string();
    assert_eq!(
        move_to(&app, &app.token, &id, json!({"stage": "qualification"}))
            .await
            .status,
        200
    );
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get(&format!("/o/opportunities/{id}")).await;
    assert_eq!(status, 200);
    // The path, with the current stage marked for screen readers too.
    assert!(page.contains("项目销售"), "{page}");
    let current = page.find(r#"aria-current="step""#).expect("current stage");
    let marked: String = page[current..].chars().take(40).collect();
    assert!(marked.contains("需求确认"), "{marked}");
    // What moving on to proposal needs, each missing.
    assert!(page.contains("推进到“方案报价”需要"), "{page}");
    for needed in ["拜访", "预算已确认", "金额"] {
        assert!(page.contains(needed), "{needed}");
    }
    assert!(page.contains("Visit the customer and confirm the budget."));
    // Percentages read as people write them.
    assert!(page.contains("20%") && !page.contains("20.00%"), "{page}");
    app.stop().await;
}

fn retail_sales() -> Value {
    json!({
        "name": "retail", "label": {"en": "Retail", "zh-CN": "零售", "zh-TW": "零售"},
        "stages": [
            {"stage": "prospecting", "probability": 30, "forecast": "pipeline"},
            {"stage": "closed_won", "probability": 100, "forecast": "closed", "outcome": "won"},
            {"stage": "closed_lost", "probability": 0, "forecast": "omitted", "outcome": "lost"}
        ]
    })
}

fn number(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a decimal: {v}"))
}

fn column<'a>(pipeline: &'a Value, stage: &str) -> &'a Value {
    pipeline["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["stage"] == stage)
        .unwrap_or_else(|| panic!("no column {stage}: {pipeline}"))
}

fn amount<'a>(amounts: &'a Value, currency: &str) -> &'a Value {
    amounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["currency"] == currency)
        .unwrap_or_else(|| panic!("no {currency}: {amounts}"))
}

#[tokio::test]
async fn the_pipeline_of_a_process_shows_its_stages_with_exact_weighted_amounts() {
    let app = TestApp::spawn().await;
    // An opportunity from before processes existed counts in the default process.
    app.create(
        "opportunities",
        json!({"name": "旧商机", "stage": "proposal", "close_date": "2026-12-31",
               "amount": {"amount": "100.00", "currency": "CNY"}}),
    )
    .await;
    assert_eq!(
        app.post("/api/v1/sales-processes", project_sales()).await.status,
        201
    );
    assert_eq!(
        app.post("/api/v1/sales-processes", retail_sales()).await.status,
        201
    );
    let opp = |name: &str, process: &str, stage: &str, amount: &str, currency: &str| {
        json!({"name": name, "process": process, "stage": stage, "close_date": "2026-12-31",
               "amount": {"amount": amount, "currency": currency}})
    };
    app.create(
        "opportunities",
        opp("华通", "project", "prospecting", "1000.00", "CNY"),
    )
    .await;
    // A rep's own probability weighs instead of the stage's.
    let mut own = opp("新科", "project", "prospecting", "333.33", "CNY");
    own["probability"] = json!("33.33");
    app.create("opportunities", own).await;
    app.create(
        "opportunities",
        opp("Acme", "project", "qualification", "500.00", "USD"),
    )
    .await;
    app.create(
        "opportunities",
        opp("门店", "retail", "prospecting", "200.00", "CNY"),
    )
    .await;

    let r = app.get("/api/v1/pipeline").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body;
    assert_eq!(p["process"], "project");
    let stages: Vec<&str> = p["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "prospecting",
            "qualification",
            "proposal",
            "negotiation",
            "closed_won",
            "closed_lost"
        ]
    );
    let prospecting = column(p, "prospecting");
    assert_eq!(prospecting["count"], 2);
    let cny = amount(&prospecting["amounts"], "CNY");
    assert_eq!(number(&cny["sum"]), "1333.33".parse().unwrap());
    // 1000.00 × 10% + 333.33 × 33.33% = 100 + 111.098889, rounded once at the end.
    assert_eq!(number(&cny["weighted"]), "211.10".parse().unwrap());
    let usd = amount(&column(p, "qualification")["amounts"], "USD");
    assert_eq!(number(&usd["weighted"]), "100.00".parse().unwrap());
    // The old opportunity, without a probability of its own, weighs at its stage's 50%.
    let proposal = column(p, "proposal");
    assert_eq!(proposal["count"], 1);
    assert_eq!(
        number(&amount(&proposal["amounts"], "CNY")["weighted"]),
        "50.00".parse().unwrap()
    );
    assert_eq!(p["open_count"], 4);
    let open = amount(&p["open"], "CNY");
    assert_eq!(number(&open["sum"]), "1433.33".parse().unwrap());
    assert_eq!(number(&open["weighted"]), "261.10".parse().unwrap());

    // Another process shows only its own stages and opportunities.
    let r = app.get("/api/v1/pipeline?process=retail").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["columns"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["open_count"], 1);
    assert_eq!(
        number(&amount(&column(&r.body, "prospecting")["amounts"], "CNY")["weighted"]),
        "60.00".parse().unwrap()
    );
    // A filter narrows; a bad process or filter is named.
    let r = app.get("/api/v1/pipeline?filter=amount%20gt%20400").await;
    assert_eq!(r.body["open_count"], 2, "{}", r.body);
    app.get("/api/v1/pipeline?process=nowhere")
        .await
        .assert_problem(422, "process");
    app.get("/api/v1/pipeline?filter=amount%20wibble%201")
        .await
        .assert_problem(422, "filter.amount");
    app.stop().await;
}

#[tokio::test]
async fn velocity_is_open_deals_times_win_rate_times_average_won_over_the_cycle() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/pipeline").await.assert_problem_status(404);
    assert_eq!(
        app.post("/api/v1/sales-processes", project_sales()).await.status,
        201
    );
    let now = chrono::Utc::now();
    let ten_days_on = (now + chrono::Duration::days(10)).to_rfc3339();
    let close = |name: &str, stage: &str, amount: &str, extra: Value| {
        let mut body = json!({"name": name, "stage": stage, "close_date": "2026-12-31",
               "amount": {"amount": amount, "currency": "CNY"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Administrators may skip stages: these deals close straight away, ten days after
    // they were made (the time they entered the closing stage is given).
    for (name, amount) in [("赢一", "1000.00"), ("赢二", "3000.00")] {
        app.create(
            "opportunities",
            close(
                name,
                "closed_won",
                amount,
                json!({"win_reason": "price", "stage_entered_at": ten_days_on}),
            ),
        )
        .await;
    }
    app.create(
        "opportunities",
        close(
            "输一",
            "closed_lost",
            "500.00",
            json!({"loss_reason": "competitor", "stage_entered_at": ten_days_on}),
        ),
    )
    .await;
    for (name, amount) in [("开一", "100.00"), ("开二", "200.00")] {
        app.create("opportunities", close(name, "prospecting", amount, json!({})))
            .await;
    }
    let r = app.get("/api/v1/pipeline/velocity?days=30").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = &r.body;
    assert_eq!(
        (v["won"].as_i64(), v["lost"].as_i64(), v["open_count"].as_i64()),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(number(&v["win_rate"]), "66.7".parse().unwrap());
    assert_eq!(number(&v["average_cycle_days"]), "10.0".parse().unwrap());
    let cny = &v["currencies"][0];
    assert_eq!(cny["currency"], "CNY");
    assert_eq!(number(&cny["average_won"]), "2000.00".parse().unwrap());
    // 2 open × 2/3 × 2000 ÷ 10 days.
    assert_eq!(number(&cny["per_day"]), "266.67".parse().unwrap());
    assert_eq!(v["win_reasons"][0]["reason"], "price");
    assert_eq!(v["win_reasons"][0]["count"], 2);
    assert_eq!(v["loss_reasons"][0]["reason"], "competitor");
    for bad in ["0", "731", "soon"] {
        app.get(&format!("/api/v1/pipeline/velocity?days={bad}"))
            .await
            .assert_problem(422, "days");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_board_shows_one_process_at_a_time_with_weighted_totals() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post("/api/v1/sales-processes", project_sales()).await.status,
        201
    );
    assert_eq!(
        app.post("/api/v1/sales-processes", retail_sales()).await.status,
        201
    );
    for (name, process) in [("华通 ERP 项目", "project"), ("门店补货", "retail")] {
        app.create(
            "opportunities",
            json!({"name": name, "process": process, "stage": "prospecting", "close_date": "2026-12-31",
                   "amount": {"amount": "1000.00", "currency": "CNY"}}),
        )
        .await;
    }
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get("/o/opportunities/board").await;
    assert_eq!(status, 200);
    assert!(page.contains("项目销售") && page.contains("在途商机"), "{page}");
    assert!(
        page.contains("华通 ERP 项目") && !page.contains("门店补货"),
        "{page}"
    );
    assert!(page.contains("加权金额"), "{page}");
    assert!(page.contains("商务谈判"), "project stages: {page}");
    let (status, _, page) = b.get("/o/opportunities/board?process=retail").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("门店补货") && !page.contains("华通 ERP 项目"),
        "{page}"
    );
    // Retail has no negotiation stage: no column for it.
    assert!(!page.contains("商务谈判"), "{page}");
    assert!(page.contains("已在此阶段 0 天"), "{page}");
    let (status, _, page) = b.get("/o/opportunities/board?process=nowhere").await;
    assert_eq!(status, 422);
    assert!(page.contains("没有名为“nowhere”的有效销售流程"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn every_demo_deal_follows_one_of_the_demo_companys_three_processes() {
    let app = TestApp::spawn().await;
    let admin = app.crm.actor_for_email("admin@example.com").await.expect("admin");
    let summary = guanxi_services::demo::load(&app.crm, &admin, &guanxi_services::demo::Size::small(), 2026)
        .await
        .expect("demo");
    assert_eq!(summary.rejected, 0, "{summary:?}");
    let mut counted = 0;
    for (process, stages) in [("project", 6), ("channel", 5), ("retail", 4)] {
        let r = app.get(&format!("/api/v1/pipeline?process={process}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let columns = r.body["columns"].as_array().unwrap();
        // Only the process's own stages: no deal sits in a stage its process lacks.
        assert_eq!(columns.len(), stages, "{process}: {}", r.body);
        assert!(columns.iter().all(|c| c["in_process"] == true));
        counted += columns.iter().map(|c| c["count"].as_i64().unwrap()).sum::<i64>();
    }
    assert_eq!(counted, summary.opportunities as i64);
    // Closed deals carry their reasons, so velocity has something to say.
    let r = app.get("/api/v1/pipeline/velocity?days=730").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["won"].as_i64().unwrap() > 0, "{}", r.body);
    assert!(r.body["win_reasons"].as_array().unwrap().len() > 1, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn administrators_build_a_process_in_setup_and_each_problem_shows_beside_its_input() {
    let app = TestApp::spawn().await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/admin/sales-processes").await;
    assert_eq!(status, 200);
    assert!(page.contains("尚无销售流程"), "{page}");
    let (status, _, page) = b.get("/admin/sales-processes/new").await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&page);
    // One row per stage value: prospecting is row 0, closed_won 4, closed_lost 5.
    assert!(page.contains(r#"name="s5_entry""#), "{page}");
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &token),
        ("name", "retail"),
        ("label_en", "Retail"),
        ("label_zh_cn", "零售"),
        ("label_zh_tw", "零售"),
        ("active", "on"),
        ("s0_use", "on"),
        ("s0_order", "1"),
        ("s0_probability", "30"),
        ("s0_forecast", "pipeline"),
        ("s0_outcome", "open"),
        ("s0_exit", "amount"),
        ("s0_exit", "contact"),
        ("s0_activities", "call"),
        ("s0_checklist", "quoted | Catalogue sent | 已发目录 | 已寄目錄"),
        ("s0_guidance_zh_cn", "当天回复客户。"),
        ("s4_use", "on"),
        ("s4_order", "2"),
        ("s4_probability", "100"),
        ("s4_forecast", "closed"),
        ("s4_outcome", "won"),
        ("s5_use", "on"),
        ("s5_order", "3"),
        ("s5_probability", "0"),
        ("s5_forecast", "omitted"),
        ("s5_outcome", "lost"),
        ("s5_entry", "loss_reason"),
    ];
    // A probability that is not a number is named beside its input; nothing is saved.
    let mut bad = form.clone();
    bad.retain(|(k, _)| *k != "s4_probability");
    bad.push(("s4_probability", "很多"));
    let (status, _, page) = b.post("/admin/sales-processes", &bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="stage-4-s4_probability-error""#), "{page}");
    // So is a probability the service refuses, and a bad key.
    let mut bad = form.clone();
    bad.retain(|(k, _)| *k != "s4_probability" && *k != "name");
    bad.push(("s4_probability", "150"));
    bad.push(("name", "Retail Sales"));
    let (status, _, page) = b.post("/admin/sales-processes", &bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="stage-4-s4_probability-error""#), "{page}");
    assert!(page.contains(r#"id="process-name-error""#), "{page}");
    assert!(
        page.contains("很多") || page.contains("150"),
        "the input is kept: {page}"
    );
    assert_eq!(app.get("/api/v1/sales-processes").await.body["data"], json!([]));

    let (status, to, _) = b.post("/admin/sales-processes", &form).await;
    assert_eq!(status, 303);
    assert!(to.ends_with("?saved=1"), "{to}");
    let saved = app.get("/api/v1/sales-processes").await.body["data"][0].clone();
    assert_eq!(saved["name"], "retail");
    let stages: Vec<&str> = saved["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["prospecting", "closed_won", "closed_lost"]);
    assert_eq!(saved["stages"][0]["exit_fields"], json!(["amount", "contact"]));
    assert_eq!(saved["stages"][0]["exit_activities"], json!(["call"]));
    assert_eq!(saved["stages"][0]["checklist"][0]["label"]["zh-TW"], "已寄目錄");
    // A guidance typed in one language serves all three until translated.
    assert_eq!(saved["stages"][0]["guidance"]["en"], "当天回复客户。");
    assert_eq!(saved["stages"][2]["entry_fields"], json!(["loss_reason"]));

    // The edit page shows what is stored; changing the order moves the stage.
    let (status, _, page) = b.get(&to).await;
    assert_eq!(status, 200);
    assert!(page.contains("已保存"), "{page}");
    assert!(page.contains("已发目录"), "{page}");
    let id = saved["id"].as_str().unwrap();
    form.retain(|(k, _)| *k != "s5_order");
    form.push(("s5_order", "2"));
    form.retain(|(k, _)| *k != "s4_order");
    form.push(("s4_order", "3"));
    let path = format!("/admin/sales-processes/{id}");
    let (status, _, _) = b.post(&path, &form).await;
    assert_eq!(status, 303);
    let saved = app.get(&format!("/api/v1/sales-processes/{id}")).await.body;
    assert_eq!(saved["stages"][1]["stage"], "closed_lost");
    let (_, _, page) = b.get("/admin/sales-processes").await;
    assert!(page.contains("初步接洽 → 输单 → 赢单"), "{page}");

    // Deleting it from setup.
    let (status, to, _) = b.post(&format!("{path}/delete"), &[("csrf", &token)]).await;
    assert_eq!((status, to.as_str()), (303, "/admin/sales-processes"));
    assert_eq!(app.get("/api/v1/sales-processes").await.body["data"], json!([]));
    app.stop().await;
}

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
    app.stop().await;
}

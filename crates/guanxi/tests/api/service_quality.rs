//! How service went: each case's course (reopened, waited, escalated, resolved at the
//! first contact, on time), its costs, the customer's satisfaction survey behind a link
//! that cannot be forged or used twice, and the metrics counted from them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp};

async fn case(app: &TestApp, body: Value) -> Value {
    app.create("cases", body).await
}

/// Moves a case to `status` (with more fields), answering the case as it is then.
async fn move_to(app: &TestApp, id: &Value, patch: Value) -> Resp {
    let path = format!("/api/v1/cases/{}", id.as_str().unwrap());
    let etag = app.get(&path).await.etag();
    app.patch(&path, patch, &etag).await
}

async fn survey_path(app: &TestApp, id: &Value) -> Resp {
    app.get(&format!("/api/v1/cases/{}/survey", id.as_str().unwrap()))
        .await
}

async fn answer(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", app.url))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, to, r.text().await.unwrap())
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("{}{path}", app.url)).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_case_that_ends_gets_a_survey_that_cannot_be_forged_or_used_twice() {
    let app = TestApp::spawn().await;
    let c = case(
        &app,
        json!({"subject": "打印机卡纸", "status": "new", "type": "repair"}),
    )
    .await;
    assert_eq!(
        survey_path(&app, &c["id"]).await.status,
        404,
        "no survey before it ends"
    );
    let r = move_to(
        &app,
        &c["id"],
        json!({"status": "resolved", "resolution": "更换搓纸轮"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["closed_at"], r.body["updated_at"]);
    assert_eq!(r.body["first_contact_resolution"], true);
    assert_eq!(r.body["survey_sent_at"], r.body["updated_at"]);
    let s = survey_path(&app, &c["id"]).await;
    assert_eq!(s.status, 200, "{}", s.body);
    let link = s.body["path"].as_str().unwrap().to_string();
    assert!(link.starts_with("/survey/"));
    assert_eq!(s.body["answered_at"], Value::Null);

    // Only cases have surveys.
    let r = app
        .get(&format!("/api/v1/accounts/{}/survey", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.status, 404);

    // Forged links find nothing: a changed signature, another case's payload, noise.
    let token = link.trim_start_matches("/survey/");
    let (payload, tag) = token.split_once('.').unwrap();
    let flipped: String = tag
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if i == 0 {
                if ch == 'A' { 'B' } else { 'A' }
            } else {
                ch
            }
        })
        .collect();
    let other = case(&app, json!({"subject": "另一个", "status": "resolved"})).await;
    assert_eq!(
        survey_path(&app, &other["id"]).await.status,
        404,
        "created ended: no survey sent"
    );
    for forged in [
        format!("/survey/{payload}.{flipped}"),
        format!("/survey/{}.{tag}", &payload[..payload.len() - 2]),
        "/survey/not-a-token".to_string(),
    ] {
        assert_eq!(page(&app, &forged).await.0, 404, "{forged}");
        let (status, _, _) = answer(&app, &forged, &[("csat", "5"), ("nps", "10")]).await;
        assert_eq!(status, 404, "{forged}");
    }

    let (status, body) = page(&app, &link).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("打印机卡纸") && body.contains(r#"name="csat""#),
        "{body}"
    );
    // A score off the scale is named beside its question; nothing is stored.
    let (status, _, body) = answer(&app, &link, &[("csat", "7"), ("nps", "9")]).await;
    assert_eq!(status, 422);
    assert!(body.contains(r#"id="csat-error""#), "{body}");
    assert_eq!(survey_path(&app, &c["id"]).await.body["answered_at"], Value::Null);
    let (status, to, _) = answer(
        &app,
        &link,
        &[("csat", "5"), ("nps", "9"), ("comment", "工程师很专业")],
    )
    .await;
    assert_eq!((status, to.as_str()), (303, "/survey/thanks"));
    let s = survey_path(&app, &c["id"]).await.body;
    assert_eq!((s["csat"].as_i64(), s["nps"].as_i64()), (Some(5), Some(9)));
    assert_eq!(s["comment"], "工程师很专业");
    assert!(s["answered_at"].is_string());
    // Used: the same link cannot answer again, by form or by JSON.
    let (status, _, body) = answer(&app, &link, &[("csat", "1"), ("nps", "0")]).await;
    assert_eq!(status, 410);
    assert!(
        body.contains("已经填写过") || body.contains("answered already"),
        "{body}"
    );
    assert_eq!(page(&app, &link).await.0, 410);
    let r = reqwest::Client::new()
        .post(format!("{}{link}", app.url))
        .json(&json!({"csat": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 410);
    assert_eq!(survey_path(&app, &c["id"]).await.body["csat"], 5);
    // Nor can anyone type the answer or the course in.
    let r = move_to(&app, &c["id"], json!({"csat": 1})).await;
    r.assert_problem(422, "csat");
    let r = move_to(
        &app,
        &c["id"],
        json!({"reopen_count": 0, "first_contact_resolution": false}),
    )
    .await;
    assert_eq!(r.status, 422);

    // Reopened: counted; the answered survey stays. Ended again: not resolved at first contact.
    let r = move_to(&app, &c["id"], json!({"status": "in_progress"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reopen_count"], 1);
    assert_eq!(
        (&r.body["closed_at"], &r.body["first_contact_resolution"]),
        (&Value::Null, &Value::Null)
    );
    let r = move_to(&app, &c["id"], json!({"status": "closed"})).await;
    assert_eq!(r.body["first_contact_resolution"], false);
    assert_eq!(survey_path(&app, &c["id"]).await.body["csat"], 5);

    // A case reopened before its survey was answered withdraws that link; ending again
    // sends a new one.
    let d = case(
        &app,
        json!({"subject": "发票", "status": "new", "type": "inquiry"}),
    )
    .await;
    move_to(&app, &d["id"], json!({"status": "resolved"})).await;
    let first = survey_path(&app, &d["id"]).await.body["path"]
        .as_str()
        .unwrap()
        .to_string();
    move_to(&app, &d["id"], json!({"status": "in_progress"})).await;
    assert_eq!(survey_path(&app, &d["id"]).await.status, 404);
    assert_eq!(page(&app, &first).await.0, 404);
    move_to(&app, &d["id"], json!({"status": "resolved"})).await;
    let second = survey_path(&app, &d["id"]).await.body["path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    assert_eq!(page(&app, &second).await.0, 200);

    // The case's page shows the link until the answer, then the answer.
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, body) = desk.get(&format!("/o/cases/{}", d["id"].as_str().unwrap())).await;
    assert!(body.contains(&second), "{body}");
    let (_, _, body) = desk.get(&format!("/o/cases/{}", c["id"].as_str().unwrap())).await;
    assert!(
        body.contains("5/5") && body.contains("9/10") && body.contains("工程师很专业"),
        "{body}"
    );
}

fn amount(v: &Value) -> f64 {
    v.as_str()
        .or_else(|| v["amount"].as_str())
        .and_then(|a| a.parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test]
async fn service_metrics_count_first_contact_resolution_reopens_service_levels_satisfaction_and_cost() {
    let app = TestApp::spawn().await;
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/sla-policy",
            Some(json!({"hours": {"monday": "00:00-24:00", "tuesday": "00:00-24:00", "wednesday": "00:00-24:00",
                                   "thursday": "00:00-24:00", "friday": "00:00-24:00", "saturday": "00:00-24:00",
                                   "sunday": "00:00-24:00"},
                        "china_holidays": false,
                        "targets": [{"first_response": 600, "resolution": 6000}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let small = app.create("accounts", json!({"name": "小五金厂"})).await;
    let press = app.create("products", json!({"name": "液压机 HP-200"})).await;
    let part = app.create("products", json!({"name": "密封圈"})).await;

    // A: answered and resolved at once.
    let a = case(
        &app,
        json!({"subject": "A", "status": "new", "account": small["id"]}),
    )
    .await;
    let r = move_to(&app, &a["id"], json!({"status": "in_progress"})).await;
    assert_eq!(r.body["first_response_met"], true);
    move_to(&app, &a["id"], json!({"status": "resolved"})).await;
    // B: waited on the customer before it was resolved.
    let b = case(
        &app,
        json!({"subject": "B", "status": "new", "account": acme["id"], "product": press["id"]}),
    )
    .await;
    for s in ["waiting_customer", "in_progress", "resolved"] {
        move_to(&app, &b["id"], json!({"status": s})).await;
    }
    let r = app
        .get(&format!("/api/v1/cases/{}", b["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (
            r.body["wait_count"].as_i64(),
            r.body["first_contact_resolution"].as_bool()
        ),
        (Some(1), Some(false))
    );
    // C: escalated straight from new (no answer yet), then resolved (the first response),
    // reopened and closed.
    let c = case(
        &app,
        json!({"subject": "C", "status": "new", "account": acme["id"]}),
    )
    .await;
    for s in ["escalated", "resolved", "in_progress", "closed"] {
        move_to(&app, &c["id"], json!({"status": s})).await;
    }
    let r = app
        .get(&format!("/api/v1/cases/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (
            r.body["escalation_count"].as_i64(),
            r.body["reopen_count"].as_i64()
        ),
        (Some(1), Some(1))
    );
    // D: still open.
    case(&app, json!({"subject": "D", "status": "new"})).await;

    for (id, csat, nps) in [(&a["id"], "5", "10"), (&b["id"], "2", "3")] {
        let link = survey_path(&app, id).await.body["path"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, _) = answer(&app, &link, &[("csat", csat), ("nps", nps)]).await;
        assert_eq!(status, 303);
    }

    // Costs carry their case's customer and product; another customer is refused.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string();
    let cost = |case: &Value, kind: &str, amount: &str, extra: Value| {
        let mut body = json!({"case": case["id"], "kind": kind, "spent_on": today,
                              "amount": {"amount": amount, "currency": "CNY"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let labour = app
        .create(
            "service_costs",
            cost(&a, "labour", "300", json!({"minutes": 90, "description": "上门"})),
        )
        .await;
    assert_eq!(labour["account"], small["id"]);
    let parts = app
        .create(
            "service_costs",
            cost(&b, "parts", "1200", json!({"part": part["id"], "quantity": "2"})),
        )
        .await;
    assert_eq!(
        (&parts["account"], &parts["serviced_product"]),
        (&acme["id"], &press["id"])
    );
    app.create("service_costs", cost(&b, "travel", "200", json!({})))
        .await;
    let r = app
        .post(
            "/api/v1/service_costs",
            cost(&b, "other", "10", json!({"account": small["id"]})),
        )
        .await;
    r.assert_problem(422, "account");

    let m = app.get("/api/v1/service/metrics").await;
    assert_eq!(m.status, 200, "{}", m.body);
    let m = m.body;
    assert_eq!(m["ended"], 3);
    assert_eq!(
        m["first_contact_resolution"],
        json!({"of": 3, "yes": 1, "percent": "33.3"})
    );
    assert_eq!(m["reopened"], json!({"of": 3, "yes": 1, "percent": "33.3"}));
    assert_eq!(m["first_response_on_time"]["of"], 3, "{m}");
    assert_eq!(m["first_response_on_time"]["yes"], 3, "{m}");
    assert_eq!(m["resolution_on_time"]["yes"], 3);
    assert_eq!(
        (m["surveys"]["of"].as_i64(), m["surveys"]["yes"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(amount(&m["csat_average"]), 3.5);
    assert_eq!(m["csat_satisfied"]["yes"], 1);
    assert_eq!(amount(&m["nps"]), 0.0);
    assert_eq!(m["nps_answers"], 2);
    assert_eq!(amount(&m["cost_total"][0]), 1700.0);
    assert_eq!(m["cases_costed"], 2);
    assert_eq!(amount(&m["cost_per_case"][0]), 850.0);
    assert_eq!(m["minutes"], 90);
    assert_eq!(m["by_customer"][0]["name"], "华通机械");
    assert_eq!(amount(&m["by_customer"][0]["costs"][0]), 1400.0);
    assert_eq!(m["by_product"][0]["name"], "液压机 HP-200");
    // A period that ended before these cases: nothing.
    let m = app
        .get("/api/v1/service/metrics?from=2020-01-01&to=2020-01-31")
        .await
        .body;
    assert_eq!((m["ended"].as_i64(), &m["cost_total"]), (Some(0), &json!([])));
    let r = app.get("/api/v1/service/metrics?from=2026-13-01").await;
    r.assert_problem(422, "from");
    let r = app
        .get("/api/v1/service/metrics?from=2026-12-01&to=2026-11-01")
        .await;
    r.assert_problem(422, "from");

    // The same figures on the service page; a bad period named beside its input.
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, body) = desk.get("/service").await;
    assert_eq!(status, 200);
    assert!(body.contains("33.3 %") && body.contains("华通机械"), "{body}");
    let (status, _, body) = desk.get("/service?from=someday").await;
    assert_eq!(status, 422);
    assert!(body.contains(r#"id="from-error""#), "{body}");
    // The case's page sums its time and cost and offers to add more.
    let (_, _, body) = desk.get(&format!("/o/cases/{}", a["id"].as_str().unwrap())).await;
    assert!(
        body.contains(&format!(
            "/o/service_costs/new?case={}",
            a["id"].as_str().unwrap()
        )),
        "{body}"
    );
    assert!(body.contains("300.00"), "{body}");
    let (status, _, body) = desk
        .get(&format!(
            "/o/service_costs/new?case={}",
            a["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"value="A""#), "the case is filled in: {body}");
}

#[tokio::test]
async fn the_demo_company_has_a_service_record_to_measure() {
    let app = TestApp::spawn().await;
    let admin = app.crm.actor_for_email("admin@example.com").await.expect("admin");
    let summary = guanxi_services::demo::load(&app.crm, &admin, &guanxi_services::demo::Size::small(), 2026)
        .await
        .expect("demo");
    assert_eq!(summary.rejected, 0, "{summary:?}");
    assert!(summary.service_costs > 0, "{summary:?}");
    let m = app.get("/api/v1/service/metrics?from=2024-01-01").await.body;
    let ended = m["ended"].as_i64().unwrap();
    assert!(ended > 10, "{m}");
    let fcr = m["first_contact_resolution"]["yes"].as_i64().unwrap();
    assert!(
        0 < fcr && fcr < ended,
        "some but not all resolved at first contact: {m}"
    );
    assert!(m["nps_answers"].as_i64().unwrap() > 0, "{m}");
    assert!(m["csat_average"].is_string(), "{m}");
    assert!(!m["by_customer"].as_array().unwrap().is_empty(), "{m}");
}

#[tokio::test]
async fn a_case_raised_twice_is_merged_into_one_with_everything_on_it_and_can_be_undone() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let first = case(
        &app,
        json!({"subject": "液压机漏油", "status": "new", "account": acme["id"]}),
    )
    .await;
    let again = case(
        &app,
        json!({"subject": "液压机漏油（电话再次报修）", "status": "new", "account": acme["id"],
               "description": "油管接头处滴油，已停机"}),
    )
    .await;
    let call = app
        .create(
            "activities",
            json!({"subject": "客户来电催修", "type": "call", "case": again["id"], "status": "completed"}),
        )
        .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let cost = app
        .create(
            "service_costs",
            json!({"case": again["id"], "kind": "travel", "spent_on": today, "amount": {"amount": "300", "currency": "CNY"}}),
        )
        .await;

    // Picked on the list, merged on the merge page.
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, list) = desk.get("/o/cases").await;
    assert!(
        list.contains(r#"value="merge""#),
        "the list offers merging cases: {list}"
    );
    let token = crate::web::csrf(&list);
    let picked = [
        format!("{}:{}", first["id"].as_str().unwrap(), first["version"]),
        format!("{}:{}", again["id"].as_str().unwrap(), again["version"]),
    ];
    let (status, to, _) = desk
        .post(
            "/o/cases/bulk",
            &[
                ("csrf", token.as_str()),
                ("action", "merge"),
                ("ids", &picked[0]),
                ("ids", &picked[1]),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/o/cases/merge?ids="), "{to}");
    let (status, _, page) = desk.get(&to).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("油管接头处滴油"), "{page}");

    let r = app
        .post(
            "/api/v1/cases/merge",
            json!({"survivor": first["id"], "merged": [again["id"]], "fields": {"description": again["id"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge_id = r.body["id"].as_str().unwrap().to_string();
    let kept = app
        .get(&format!("/api/v1/cases/{}", first["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(kept["description"], "油管接头处滴油，已停机");
    let moved = app
        .get(&format!("/api/v1/activities/{}", call["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(moved["case"], first["id"]);
    let moved = app
        .get(&format!("/api/v1/service_costs/{}", cost["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(moved["case"], first["id"]);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{}", again["id"].as_str().unwrap()))
            .await
            .status,
        404,
        "the duplicate is in the recycle bin"
    );
    let r = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let back = app
        .get(&format!("/api/v1/service_costs/{}", cost["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(back["case"], again["id"]);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{}", again["id"].as_str().unwrap()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_technician_completes_a_visit_on_the_job_sheet_with_the_customers_signature() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let acme = app
        .create(
            "accounts",
            json!({"name": "华通机械", "city": "苏州", "district": "工业园区", "address": "星湖街 328 号"}),
        )
        .await;
    let sun = app
        .create("contacts", json!({"name": "孙丽", "account": acme["id"]}))
        .await;
    let c = case(
        &app,
        json!({"subject": "液压机漏油", "status": "in_progress", "account": acme["id"], "contact": sun["id"],
               "description": "油管接头处滴油"}),
    )
    .await;
    let rep = json!(app.crm.actor_for_email("rep@example.com").await.unwrap().user_id);
    let r = app
        .post(
            "/api/v1/work_orders",
            json!({"case": c["id"], "technician": rep, "scheduled_start": "2026-12-08T01:00:00Z", "scheduled_end": "2026-12-07T01:00:00Z"}),
        )
        .await;
    r.assert_problem(422, "scheduled_end");
    let wo = app
        .create(
            "work_orders",
            json!({"case": c["id"], "technician": rep, "scheduled_start": "2026-12-08T01:00:00Z",
                   "scheduled_end": "2026-12-08T03:00:00Z", "instructions": "带密封圈"}),
        )
        .await;
    assert_eq!(
        (
            wo["subject"].as_str(),
            wo["status"].as_str(),
            &wo["account"],
            &wo["contact"]
        ),
        (Some("液压机漏油"), Some("scheduled"), &acme["id"], &sun["id"])
    );
    assert_eq!(wo["address"], "苏州 工业园区 星湖街 328 号");
    let wo_id = wo["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/work_orders/{wo_id}");
    // Completed only on the job sheet, with a signature; the sheet's fields are not typed.
    let r = app
        .patch(
            &path,
            json!({"status": "completed", "work_done": "更换密封圈"}),
            &app.get(&path).await.etag(),
        )
        .await;
    r.assert_problem(422, "signature");
    let r = app
        .patch(&path, json!({"signed_by": "孙丽"}), &app.get(&path).await.etag())
        .await;
    r.assert_problem(422, "signed_by");

    let part = app
        .create(
            "products",
            json!({"name": "密封圈 DN25", "list_price": {"amount": "120", "currency": "CNY"}}),
        )
        .await;
    let unpriced = app.create("products", json!({"name": "无价格配件"})).await;

    // The technician's phone: their jobs, the sheet, arrival, parts, sign-off.
    let mut tech = crate::web::Browser::signed_in(&app, "rep@example.com", "rep-password").await;
    let (status, _, page) = tech.get("/jobs").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("液压机漏油") && page.contains("星湖街 328 号"),
        "{page}"
    );
    let (status, _, page) = tech.get(&format!("/jobs/{wo_id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("油管接头处滴油") && page.contains("带密封圈"),
        "{page}"
    );
    let token = crate::web::csrf(&page);
    let (status, _, _) = tech
        .post(&format!("/jobs/{wo_id}/start"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    let stored = app.get(&path).await.body;
    assert_eq!(stored["status"], "in_progress");
    assert!(stored["started_at"].is_string());

    let parts = format!("/jobs/{wo_id}/parts");
    let (status, _, page) = tech
        .post(
            &parts,
            &[
                ("csrf", &token),
                ("part", part["id"].as_str().unwrap()),
                ("quantity", "零"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="quantity-error""#), "{page}");
    let (status, _, page) = tech
        .post(
            &parts,
            &[
                ("csrf", &token),
                ("part", unpriced["id"].as_str().unwrap()),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="part-error""#), "{page}");
    let (status, _, _) = tech
        .post(
            &parts,
            &[
                ("csrf", &token),
                ("part", part["id"].as_str().unwrap()),
                ("quantity", "2"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let costs = app
        .list_all("service_costs", &format!("filter=work_order%20eq%20'{wo_id}'"))
        .await;
    assert_eq!(costs.len(), 1);
    assert_eq!(
        (&costs[0]["case"], costs[0]["kind"].as_str()),
        (&c["id"], Some("parts"))
    );
    assert_eq!(costs[0]["amount"]["amount"], "240.00");

    let complete = format!("/jobs/{wo_id}/complete");
    let (status, _, page) = tech
        .post(
            &complete,
            &[
                ("csrf", &token),
                ("work_done", "更换密封圈，试压正常"),
                ("signed_by", "孙丽"),
                ("signature", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="signature-error""#) && page.contains("更换密封圈，试压正常"),
        "{page}"
    );
    let png: Vec<u8> = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[7u8; 64][..],
    ]
    .concat();
    let drawn = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    );
    let (status, to, _) = tech
        .post(
            &complete,
            &[
                ("csrf", &token),
                ("work_done", "更换密封圈，试压正常"),
                ("signed_by", "孙丽"),
                ("signature", &drawn),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, format!("/jobs/{wo_id}").as_str()));
    let stored = app.get(&path).await.body;
    assert_eq!(
        (stored["status"].as_str(), stored["signed_by"].as_str()),
        (Some("completed"), Some("孙丽"))
    );
    assert!(stored["completed_at"].is_string() && stored["signed_at"].is_string());
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "field_service.completed")
    );
    let r = reqwest::Client::new()
        .get(format!("{}/jobs/{wo_id}/signature.png", app.url))
        .header("cookie", tech.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    // Done is done.
    let r = app
        .patch(
            &path,
            json!({"status": "scheduled"}),
            &app.get(&path).await.etag(),
        )
        .await;
    r.assert_problem(422, "status");
    let (_, _, page) = tech.get("/jobs").await;
    assert!(
        !page.contains("液压机漏油"),
        "a completed job leaves the list: {page}"
    );
}

//! Forecasts: per rep and period, each forecast category summed in one currency against
//! quota, rolled up through the role hierarchy; quotas per month or quarter.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn deal(
    app: &TestApp,
    owner: &str,
    close: &str,
    amount: &str,
    currency: &str,
    stage: &str,
    category: Option<&str>,
) {
    let mut body = json!({"name": "商机", "owner": owner, "close_date": close, "stage": stage,
                          "amount": {"amount": amount, "currency": currency}});
    if let Some(c) = category {
        body["forecast_category"] = json!(c);
    }
    app.create("opportunities", body).await;
}

fn num(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_f64())
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

fn line<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no line {name}: {f}"))
}

#[tokio::test]
async fn a_forecast_rolls_each_category_up_the_hierarchy_against_quota() {
    let app = TestApp::spawn().await;
    let vp = app.add_role("销售副总", None).await;
    let east = app.add_role("华东区", Some(&vp)).await;
    let north = app.add_role("华北区", Some(&vp)).await;
    let (e1, e1_token) = app.person("华东一", Some(&east)).await;
    let (e2, _) = app.person("华东二", Some(&east)).await;
    let (n1, _) = app.person("华北一", Some(&north)).await;
    deal(
        &app,
        &e1,
        "2027-01-15",
        "100",
        "CNY",
        "closed_won",
        Some("closed"),
    )
    .await;
    deal(
        &app,
        &e1,
        "2027-03-31",
        "50",
        "CNY",
        "negotiation",
        Some("commit"),
    )
    .await;
    deal(
        &app,
        &e2,
        "2027-02-01",
        "30",
        "CNY",
        "proposal",
        Some("best_case"),
    )
    .await;
    deal(
        &app,
        &e2,
        "2027-02-02",
        "20",
        "CNY",
        "prospecting",
        Some("pipeline"),
    )
    .await;
    deal(
        &app,
        &e2,
        "2027-02-03",
        "999",
        "CNY",
        "closed_lost",
        Some("omitted"),
    )
    .await;
    deal(&app, &n1, "2027-01-20", "10", "CNY", "closed_won", Some("closed")).await;
    // Without a category (no sales process): a won deal counts as closed.
    deal(&app, &n1, "2027-01-21", "5", "CNY", "closed_won", None).await;
    // Another currency is named, not converted; another quarter is left out.
    deal(
        &app,
        &n1,
        "2027-01-22",
        "70",
        "USD",
        "proposal",
        Some("best_case"),
    )
    .await;
    deal(
        &app,
        &e1,
        "2027-04-01",
        "500",
        "CNY",
        "negotiation",
        Some("commit"),
    )
    .await;

    // A quarter's quota, or the sum of its months'.
    for (user, period, amount) in [
        (&e1, "2027-Q1", "200"),
        (&e2, "2027-01", "40"),
        (&e2, "2027-02", "60"),
    ] {
        let r = app
            .request(
                Method::PUT,
                "/api/v1/quotas",
                Some(json!({"user": user, "period": period, "amount": amount, "currency": "CNY"})),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let r = app.get("/api/v1/forecasts?period=2027-Q1&currency=CNY").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let f = &r.body;
    assert_eq!(f["other_currencies"], 1);
    let top = line(f, "销售副总");
    assert_eq!(top["depth"], 0);
    assert_eq!(num(&top["total"]["closed"]), 115.0);
    assert_eq!(num(&top["total"]["commit"]), 50.0);
    assert_eq!(num(&top["total"]["best_case"]), 30.0);
    assert_eq!(num(&top["total"]["pipeline"]), 20.0);
    assert_eq!(num(&top["forecast"]), 165.0);
    assert_eq!(num(&top["total"]["quota"]), 300.0);
    let e = line(f, "华东区");
    assert_eq!(e["depth"], 1);
    assert_eq!(num(&e["total"]["closed"]), 100.0);
    assert_eq!(num(&e["attainment"]), 33.3);
    let people = e["people"].as_array().unwrap();
    let two = people.iter().find(|p| p["name"] == "华东二").unwrap();
    assert_eq!(num(&two["quota"]), 100.0);
    // A month: its own quota only.
    let r = app.get("/api/v1/forecasts?period=2027-01&currency=CNY").await;
    let two = line(&r.body, "华东区")["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "华东二")
        .cloned()
        .unwrap();
    assert_eq!(num(&two["quota"]), 40.0);

    // A rep in a role sees their branch only.
    let r = app
        .request_as(
            &e1_token,
            Method::GET,
            "/api/v1/forecasts?period=2027-Q1&currency=CNY",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<&str> = r.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["华东区"]);
    // Their own line, not their peer's.
    let own = &r.body["lines"][0];
    assert_eq!(own["people"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["people"][0]["name"], "华东一");
    assert_eq!(num(&own["total"]["closed"]), 100.0);
    assert_eq!(num(&own["total"]["quota"]), 200.0);
    // Only administrators set quotas; bad input is named.
    let r = app
        .request_as(
            &e1_token,
            Method::PUT,
            "/api/v1/quotas",
            Some(json!({"user": e1, "period": "2027-Q1", "amount": "1"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    app.get("/api/v1/forecasts?period=2027-Q5")
        .await
        .assert_problem(422, "period");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/quotas",
            Some(json!({"user": e1, "period": "2027-Q1", "amount": "-5"})),
            &[],
        )
        .await;
    r.assert_problem(422, "amount");

    // The page: the hierarchy with attainment; an administrator sets a quota in place.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = b.get("/forecasts?period=2027-Q1&currency=CNY").await;
    assert_eq!(status, 200);
    assert!(page.contains("华东区") && page.contains("33.3%"), "{page}");
    let token = crate::web::csrf(&page);
    let (status, _, _) = b
        .post(
            "/forecasts/quota",
            &[
                ("csrf", &token),
                ("user", &n1),
                ("period", "2027-Q1"),
                ("currency", "CNY"),
                ("amount", "30"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let r = app.get("/api/v1/forecasts?period=2027-Q1&currency=CNY").await;
    assert_eq!(num(&line(&r.body, "华北区")["attainment"]), 50.0);
    let (status, _, page) = b
        .post(
            "/forecasts/quota",
            &[
                ("csrf", &token),
                ("user", &n1),
                ("period", "2027-Q1"),
                ("currency", "CNY"),
                ("amount", "很多"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("role=\"alert\""), "{page}");
    app.stop().await;
}

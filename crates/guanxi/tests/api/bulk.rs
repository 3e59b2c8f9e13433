//! Bulk create and upsert by external id, with a result per record.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn bulk_create_reports_each_record_and_stores_the_valid_ones() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/contacts/bulk",
            json!({"records": [
                {"name": "一号", "mobile": "13800000001"},
                {"name": "二号", "email": "bad"},
                {"name": "三号", "external_id": "X-3"},
                {"name": "四号", "external_id": "X-3"},
                {"email": "no-name@example.com"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    assert_eq!(r.body["failed"], 3);
    let results = r.body["results"].as_array().unwrap();
    let status: Vec<_> = results.iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["created", "error", "created", "error", "error"]);
    assert_eq!(results[1]["problem"]["errors"][0]["field"], "email");
    assert_eq!(results[3]["problem"]["errors"][0]["field"], "external_id");
    assert_eq!(results[4]["problem"]["errors"][0]["field"], "name");
    assert_eq!(app.list_all("contacts", "").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_big_bulk_create_answers_each_record_in_its_place_with_ids_in_sending_order() {
    // Thousands at once (many 500-row INSERTs, built while the one before runs): the
    // answers, the errors and the ids follow the order the records were sent in.
    let app = TestApp::spawn().await;
    let records: Vec<Value> = (0..6000)
        .map(|i| match i {
            1234 | 4321 => json!({"name": format!("坏{i}"), "email": "not an email"}),
            _ => json!({"name": format!("批{i:04}"), "mobile": format!("138{i:08}")}),
        })
        .collect();
    let r = app
        .post("/api/v1/contacts/bulk", json!({"records": records}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["created"].clone(), r.body["failed"].clone()),
        (json!(5998), json!(2))
    );
    let results = r.body["results"].as_array().unwrap();
    let failed: Vec<usize> = (0..results.len())
        .filter(|i| results[*i]["status"] == "error")
        .collect();
    assert_eq!(failed, [1234, 4321]);
    assert_eq!(results[4321]["problem"]["errors"][0]["field"], "email");
    let ids: Vec<&str> = results.iter().filter_map(|x| x["id"].as_str()).collect();
    assert_eq!(ids.len(), 5998);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend in sending order");
    let last = app
        .get(&format!(
            "/api/v1/contacts/{}",
            results[5999]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (last.body["name"].as_str(), last.body["mobile"].as_str()),
        (Some("批5999"), Some("+8613800005999"))
    );
    app.stop().await;
}

#[tokio::test]
async fn upsert_by_external_id_updates_matches_and_creates_the_rest() {
    let app = TestApp::spawn().await;
    let first: Vec<Value> = (0..250)
        .map(|i| json!({"external_id": format!("ERP-{i}"), "name": format!("客户{i}"), "city": "上海"}))
        .collect();
    let r = app
        .post(
            "/api/v1/contacts/bulk",
            json!({"upsert_on": "external_id", "records": first}),
        )
        .await;
    assert_eq!(r.body["created"], 250, "{}", r.body);
    let second: Vec<Value> = (200..300)
        .map(|i| json!({"external_id": format!("ERP-{i}"), "name": format!("客户{i}"), "city": "北京"}))
        .collect();
    let r = app
        .post(
            "/api/v1/contacts/bulk",
            json!({"upsert_on": "external_id", "records": second}),
        )
        .await;
    assert_eq!(
        (r.body["created"].clone(), r.body["updated"].clone()),
        (json!(50), json!(50)),
        "{}",
        r.body
    );
    let beijing = app
        .list_all(
            "contacts",
            "filter=city%20eq%20%27%E5%8C%97%E4%BA%AC%27&limit=1000",
        )
        .await;
    assert_eq!(beijing.len(), 100);
    let updated = beijing.iter().find(|c| c["external_id"] == "ERP-210").unwrap();
    assert_eq!(updated["version"], 2);
    app.post(
        "/api/v1/contacts/bulk",
        json!({"upsert_on": "name", "records": []}),
    )
    .await
    .assert_problem(422, "upsert_on");
    app.post(
        "/api/v1/contacts/bulk",
        json!({"upsert_on": "external_id", "records": [{"name": "无编号"}]}),
    )
    .await
    .body["results"][0]["problem"]["errors"][0]["field"]
        .as_str()
        .map(|f| assert_eq!(f, "external_id"))
        .expect("a per-record problem");
    app.stop().await;
}

#[tokio::test]
async fn bulk_calls_are_limited_to_ten_thousand_records() {
    let app = TestApp::spawn().await;
    let records: Vec<Value> = (0..10_001).map(|i| json!({"name": format!("c{i}")})).collect();
    app.post("/api/v1/contacts/bulk", json!({"records": records}))
        .await
        .assert_problem(413, "records");
    let records: Vec<Value> = (0..10_000)
        .map(|i| json!({"name": format!("c{i}"), "external_id": format!("E{i}")}))
        .collect();
    let r = app
        .post("/api/v1/contacts/bulk", json!({"records": records}))
        .await;
    assert_eq!(r.body["created"], 10_000);
    app.post("/api/v1/contacts/bulk", json!({"records": [], "extra": 1}))
        .await
        .assert_problem(422, "extra");
    app.stop().await;
}

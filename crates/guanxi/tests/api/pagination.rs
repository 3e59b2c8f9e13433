//! Keyset pagination: pages neither skip nor repeat records, even while others insert.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{TestApp, enc};

async fn walk_while_inserting(app: &TestApp, query: &str) {
    let mut originals = HashSet::new();
    for i in 0..60 {
        let r = app.create("contacts", json!({"name": format!("客户{:03}", (i * 37) % 60), "city": if i % 2 == 0 { "上海" } else { "北京" }})).await;
        originals.insert(r["id"].as_str().unwrap().to_string());
    }
    // Another client inserts all the time the pages are read, at every position of the order.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, url, token, stop) = (
            app.client.clone(),
            app.url.clone(),
            app.token.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 150 {
                let name = format!("客户{:03}-c{n}", n * 13 % 70);
                let city = if n.is_multiple_of(2) { "上海" } else { "北京" };
                let r = client
                    .post(format!("{url}/api/v1/contacts"))
                    .bearer_auth(&token)
                    .json(&json!({"name": name, "city": city}))
                    .send()
                    .await;
                assert!(r.is_ok_and(|r| r.status() == 201), "concurrent insert");
                n += 1;
            }
            n
        })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page = 0;
    loop {
        let mut path = format!("/api/v1/contacts?{query}&limit=7");
        if let Some(c) = &cursor {
            path = format!("{path}&cursor={c}");
        }
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_string()),
        );
        // Someone else inserts records that sort before, among and after the pages read so far.
        for name in ["客户000", "客户030", "客户999", "啊"] {
            app.create(
                "contacts",
                json!({"name": format!("{name}-{page}"), "city": "上海"}),
            )
            .await;
        }
        page += 1;
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(page < 100, "pagination terminates");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let concurrent = writer.await.unwrap();
    assert!(concurrent > 0, "the other client did insert meanwhile");
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "{query}: no record is served twice");
    let missing: Vec<_> = originals.iter().filter(|id| !unique.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{query}: every record present from the start is served; missing {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_by_id_neither_skip_nor_repeat_under_concurrent_inserts() {
    let app = TestApp::spawn().await;
    walk_while_inserting(&app, "").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_by_a_field_neither_skip_nor_repeat_under_concurrent_inserts() {
    let app = TestApp::spawn().await;
    walk_while_inserting(&app, "sort=name").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_descending_with_a_filter_neither_skip_nor_repeat() {
    let app = TestApp::spawn().await;
    walk_while_inserting(
        &app,
        &format!("sort=-name&filter={}", enc("city in ('上海', '北京')")),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_cursor_belongs_to_its_sort() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.create("contacts", json!({"name": format!("n{i}")})).await;
    }
    let r = app.get("/api/v1/contacts?sort=name&limit=1").await;
    let c = r.body["next_cursor"].as_str().unwrap().to_string();
    app.get(&format!("/api/v1/contacts?sort=-name&limit=1&cursor={c}"))
        .await
        .assert_problem(422, "cursor");
    app.stop().await;
}

#[tokio::test]
async fn large_unselective_filters_page_correctly_in_every_sort() {
    // Over 2,000 matches make SQLite walk the sort index (see storage::records::sort_index_for).
    let app = TestApp::spawn().await;
    let records: Vec<_> = (0..2300)
        .map(|i| json!({"name": format!("客户{:05}", (i * 7919) % 2300), "city": if i % 10 == 0 { "北京" } else { "上海" },
                        "external_id": format!("E{i:05}")}))
        .collect();
    let r = app
        .post("/api/v1/contacts/bulk", json!({"records": records}))
        .await;
    assert_eq!(r.body["created"], 2300, "{}", r.body);
    for sort in ["name", "-name", "id", "-id", "external_id", "-created_at"] {
        let query = format!("filter={}&sort={sort}&limit=500", enc("city eq '上海'"));
        let rows = app.list_all("contacts", &query).await;
        assert_eq!(rows.len(), 2070, "{sort}");
        let key = sort.trim_start_matches('-');
        let mut expected: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r[key].as_str().unwrap_or("").to_string(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got = expected.clone();
        expected.sort();
        if sort.starts_with('-') {
            expected.reverse();
        }
        assert_eq!(got, expected, "{sort}: pages come in order");
    }
    app.stop().await;
}

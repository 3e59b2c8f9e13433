//! The knowledge base: articles go from draft through review to published (publishers
//! only), readers see the published version while the next is drafted, internal articles
//! stay inside, public ones are found by anyone in their language, cases suggest them, and
//! readers say whether they helped.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp};

async fn as_rep(app: &TestApp, method: Method, path: &str, body: Option<Value>, etag: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = etag.map(|e| vec![("If-Match", e)]).unwrap_or_default();
    app.request_as(&app.user_token, method, path, body, &headers)
        .await
}

/// Moves an article (as the admin) with the version it is at.
async fn set(app: &TestApp, id: &str, patch: Value) -> Resp {
    let path = format!("/api/v1/articles/{id}");
    let etag = app.get(&path).await.etag();
    app.patch(&path, patch, &etag).await
}

async fn publish(app: &TestApp, id: &str) {
    assert_eq!(set(app, id, json!({"status": "in_review"})).await.status, 200);
    let r = set(app, id, json!({"status": "published"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn articles_are_reviewed_before_they_are_published_and_readers_see_the_published_version() {
    let app = TestApp::spawn().await;
    // Born drafts; the flow's fields are not typed in.
    let r = app
        .post(
            "/api/v1/articles",
            json!({"title": "打印机卡纸怎么办", "status": "published"}),
        )
        .await;
    r.assert_problem(422, "status");
    let r = app
        .post(
            "/api/v1/articles",
            json!({"title": "打印机卡纸怎么办", "revision": 3}),
        )
        .await;
    r.assert_problem(422, "revision");
    let paper = app
        .create(
            "articles",
            json!({"title": "打印机卡纸怎么办", "summary": "三步取出卡纸", "visibility": "public",
                   "category": "troubleshooting", "body": "关闭电源。\n\n打开后盖，取出卡住的纸张。"}),
        )
        .await;
    assert_eq!(
        (
            paper["status"].as_str(),
            paper["visibility"].as_str(),
            paper["language"].as_str()
        ),
        (Some("draft"), Some("public"), Some("zh-cn")),
        "a draft, in its writer's language"
    );
    let paper_id = paper["id"].as_str().unwrap().to_string();
    let r = set(&app, &paper_id, json!({"status": "published"})).await;
    r.assert_problem(422, "status");

    // A colleague writes an internal article and sends it for review; only a publisher
    // publishes it, and one who sends it back says why.
    let r = as_rep(
        &app,
        Method::POST,
        "/api/v1/articles",
        Some(
            json!({"title": "大客户报价审批流程", "body": "折扣超过 15% 需经理审批。", "language": "zh-CN"}),
        ),
        None,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["visibility"], "internal");
    let internal_id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/articles/{internal_id}");
    let etag = r.etag();
    let r = as_rep(
        &app,
        Method::PATCH,
        &path,
        Some(json!({"status": "in_review"})),
        Some(&etag),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = as_rep(
        &app,
        Method::PATCH,
        &path,
        Some(json!({"status": "published"})),
        Some(&r.etag()),
    )
    .await;
    r.assert_problem(422, "status");
    let r = set(&app, &internal_id, json!({"status": "draft"})).await;
    r.assert_problem(422, "review_comment");
    let r = set(
        &app,
        &internal_id,
        json!({"status": "draft", "review_comment": "请补充审批时限"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    set(
        &app,
        &internal_id,
        json!({"body": "折扣超过 15% 需经理在 1 个工作日内审批。"}),
    )
    .await;
    publish(&app, &internal_id).await;
    let r = app.get(&path).await.body;
    assert_eq!(
        (r["revision"].as_i64(), r["status"].as_str()),
        (Some(1), Some("published"))
    );
    assert_eq!(r["published_body"], "折扣超过 15% 需经理在 1 个工作日内审批。");
    assert_eq!(r["review_comment"], Value::Null);

    publish(&app, &paper_id).await;
    // Each step of the flow is in the article's history, with who took it.
    let h = app
        .get(&format!("/api/v1/articles/{internal_id}/history"))
        .await
        .body;
    let moves: Vec<&str> = h["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "status")
        .filter_map(|e| e["new_value"].as_str())
        .collect();
    assert_eq!(moves.len(), 4, "review, back to draft, review, published: {h}");

    // Anyone sees public articles in their language; internal ones only colleagues.
    let mut visitor = crate::web::Browser::new(&app);
    visitor.get("/lang/zh-CN").await;
    let (status, _, page) = visitor.get("/kb").await;
    assert_eq!(status, 200);
    assert!(page.contains("打印机卡纸怎么办"), "{page}");
    assert!(
        !page.contains("大客户报价审批流程"),
        "internal articles stay inside: {page}"
    );
    let (status, _, _) = visitor.get(&format!("/kb/{internal_id}")).await;
    assert_eq!(status, 404);
    let (status, _, page) = visitor.get(&format!("/kb/{paper_id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("取出卡住的纸张") && page.contains("第 1 版"),
        "{page}"
    );
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = desk.get(&format!("/kb/{internal_id}")).await;
    assert_eq!(status, 200, "{page}");
    // Another language's readers do not get it.
    let mut english = crate::web::Browser::new(&app);
    english.get("/lang/en").await;
    let (_, _, page) = english.get("/kb").await;
    assert!(!page.contains("打印机卡纸怎么办"), "{page}");

    // Editing a published article drafts its next version; readers keep the published one
    // and a word only the draft has finds nothing for them.
    let r = set(
        &app,
        &paper_id,
        json!({"body": "关闭电源。\n\n打开前盖，轻轻抽出纸张。"}),
    )
    .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["revision"].as_i64()),
        (Some("draft"), Some(1))
    );
    app.crm.refresh_search().await.unwrap();
    let (_, _, page) = visitor.get(&format!("/kb/{paper_id}")).await;
    assert!(
        page.contains("取出卡住的纸张") && !page.contains("前盖"),
        "{page}"
    );
    let (_, _, page) = visitor.get("/kb?q=%E5%89%8D%E7%9B%96").await; // 前盖
    assert!(!page.contains("打印机卡纸怎么办"), "{page}");
    let (_, _, page) = visitor.get("/kb?q=%E5%8D%A1%E7%BA%B8").await; // 卡纸
    assert!(page.contains("打印机卡纸怎么办"), "{page}");
    publish(&app, &paper_id).await;
    let (_, _, page) = visitor.get(&format!("/kb/{paper_id}")).await;
    assert!(page.contains("前盖") && page.contains("第 2 版"), "{page}");

    // Was it helpful? Once a day per reader; an internal article is not rated from outside.
    let (status, to, _) = visitor
        .post(&format!("/kb/{paper_id}/feedback"), &[("helpful", "yes")])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/kb/{paper_id}?thanks=1").as_str())
    );
    let (status, _, _) = visitor
        .post(&format!("/kb/{paper_id}/feedback"), &[("helpful", "yes")])
        .await;
    assert_eq!(status, 429);
    let stored = app.get(&format!("/api/v1/articles/{paper_id}")).await.body;
    assert_eq!(
        (stored["helpful_yes"].as_i64(), stored["helpful_no"].as_i64()),
        (Some(1), None)
    );
    let (status, _, _) = visitor
        .post(&format!("/kb/{internal_id}/feedback"), &[("helpful", "no")])
        .await;
    assert_eq!(status, 404);
    let r = set(&app, &paper_id, json!({"helpful_yes": 100})).await;
    r.assert_problem(422, "helpful_yes");

    // A case suggests what may answer it.
    let case = app
        .create(
            "cases",
            json!({"subject": "打印机又卡纸了", "status": "new", "type": "repair"}),
        )
        .await;
    app.crm.refresh_search().await.unwrap();
    let (_, _, page) = desk
        .get(&format!("/o/cases/{}", case["id"].as_str().unwrap()))
        .await;
    assert!(page.contains(&format!("/kb/{paper_id}")), "{page}");

    // Archived: no longer shown, and only publishers archive.
    let r = as_rep(
        &app,
        Method::PATCH,
        &format!("/api/v1/articles/{paper_id}"),
        Some(json!({"status": "archived"})),
        Some(&app.get(&format!("/api/v1/articles/{paper_id}")).await.etag()),
    )
    .await;
    r.assert_problem(422, "status");
    assert_eq!(
        set(&app, &paper_id, json!({"status": "archived"})).await.status,
        200
    );
    let (status, _, _) = visitor.get(&format!("/kb/{paper_id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_demo_company_answers_its_common_cases_from_its_knowledge_base() {
    let app = TestApp::spawn().await;
    let admin = app.crm.actor_for_email("admin@example.com").await.expect("admin");
    let summary = guanxi_services::demo::load(&app.crm, &admin, &guanxi_services::demo::Size::small(), 2026)
        .await
        .expect("demo");
    assert_eq!((summary.rejected, summary.articles), (0, 8), "{summary:?}");
    let published = app.list_all("articles", "filter=status%20eq%20'published'").await;
    assert_eq!(published.len(), 8);
    assert!(
        published
            .iter()
            .all(|a| a["revision"] == 1 && a["published_body"] == a["body"])
    );
    let mut visitor = crate::web::Browser::new(&app);
    visitor.get("/lang/zh-CN").await;
    let (_, _, page) = visitor.get("/kb").await;
    assert!(
        page.contains("主轴异响排查步骤") && !page.contains("大客户折扣审批"),
        "{page}"
    );
    let mut hk = crate::web::Browser::new(&app);
    hk.get("/lang/zh-TW").await;
    let (_, _, page) = hk.get("/kb").await;
    assert!(
        page.contains("加工中心日常保養週期") && !page.contains("主轴异响"),
        "{page}"
    );
    // Demo cases about what the articles cover are offered them (the seed is fixed).
    app.crm.refresh_search().await.unwrap();
    let filter = crate::helpers::enc(
        "subject in ('设备异响，需上门检修', '激光功率下降', '系统登录报错 500', '咨询设备保养周期', '发票抬头有误')",
    );
    let cases = app.list_all("cases", &format!("filter={filter}")).await;
    assert!(!cases.is_empty());
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    for c in &cases {
        let (_, _, page) = desk.get(&format!("/o/cases/{}", c["id"].as_str().unwrap())).await;
        assert!(page.contains("suggested-articles"), "{}: {page}", c["subject"]);
    }
}

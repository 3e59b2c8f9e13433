//! The list and board pages: columns, saved views, a cell edited in place, bulk actions,
//! and the kanban board's totals and moves — as a browser posts them, with and without
//! the page script.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

async fn signed_in_admin(app: &TestApp) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "admin-password")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = b.get("/").await;
    let token = csrf(&page);
    (b, token)
}

async fn opportunity(app: &TestApp, name: &str, stage: &str, amount: &str, currency: &str) -> Value {
    app.create(
        "opportunities",
        json!({"name": name, "stage": stage, "close_date": "2026-12-31",
               "amount": {"amount": amount, "currency": currency}}),
    )
    .await
}

#[tokio::test]
async fn the_board_shows_every_stage_with_counts_and_sums_and_moves_cards_at_the_version_seen() {
    let app = TestApp::spawn().await;
    let a = opportunity(&app, "华东区年度框架", "proposal", "1200000", "CNY").await;
    opportunity(&app, "华南渠道扩展", "proposal", "300000.50", "CNY").await;
    opportunity(&app, "香港分销", "proposal", "5000", "USD").await;
    opportunity(&app, "成都试点", "prospecting", "80000", "CNY").await;
    let (mut b, token) = signed_in_admin(&app).await;

    let (status, _, page) = b.get("/o/opportunities/board").await;
    assert_eq!(status, 200);
    for stage in ["初步接洽", "需求确认", "方案报价", "商务谈判", "赢单", "输单"] {
        assert!(page.contains(stage), "a column for {stage}");
    }
    assert!(
        page.contains("3 条") && page.contains("¥1,500,000.50") && page.contains("US$5,000"),
        "the proposal column counts three and sums per currency: {page}"
    );
    assert!(page.contains("1 条") && page.contains("¥80,000"));
    assert!(page.contains("draggable=\"true\"") && page.contains("/static/app.js"));

    // The arrow button (a plain form) moves the card and comes back to the board.
    let id = a["id"].as_str().unwrap();
    let (status, to, _) = b
        .post(
            &format!("/o/opportunities/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "stage"),
                ("version", "1"),
                ("stage", "negotiation"),
                ("back", "/o/opportunities/board?field=stage"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/o/opportunities/board?field=stage"));
    let now = app.get(&format!("/api/v1/opportunities/{id}")).await.body;
    assert_eq!(
        (now["stage"].as_str(), now["version"].as_i64()),
        (Some("negotiation"), Some(2))
    );

    // The board was drawn at version 1: a drop posted with it is refused, nothing changes.
    let (status, _, body) = b
        .post_accepting(
            &format!("/o/opportunities/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "stage"),
                ("version", "1"),
                ("stage", "closed_won"),
                ("board", "1"),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(
        answer["message"].as_str().unwrap().contains("华东区年度框架"),
        "{answer}"
    );
    let now = app.get(&format!("/api/v1/opportunities/{id}")).await.body;
    assert_eq!(now["stage"], "negotiation", "no silent overwrite");

    // At the current version the drop is saved; the answer carries the new version.
    let (status, _, body) = b
        .post_accepting(
            &format!("/o/opportunities/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "stage"),
                ("version", "2"),
                ("stage", "closed_won"),
                ("board", "1"),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (answer["version"].as_i64(), answer["display"].as_str()),
        (Some(3), Some("赢单"))
    );

    // A stage that does not exist is refused with the field's message.
    let (status, _, body) = b
        .post_accepting(
            &format!("/o/opportunities/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "stage"),
                ("version", "3"),
                ("stage", "lost_in_space"),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["field"], "stage");

    // Without the session's CSRF token nothing moves.
    let (status, _, _) = b
        .post(
            &format!("/o/opportunities/{id}/set"),
            &[("field", "stage"), ("version", "3"), ("stage", "proposal")],
        )
        .await;
    assert_eq!(status, 403);

    // The board by another picklist, and a filter narrowing every column's totals.
    let (status, _, page) = b
        .get("/o/opportunities/board?field=stage&filter=name%20starts_with%20'%E5%8D%8E'")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("¥300,000.50") && !page.contains("US$5,000"),
        "{page}"
    );
    let (status, _, page) = b.get("/o/opportunities/board?filter=colour%20eq%201").await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"filter-error\""));
    app.stop().await;
}

#[tokio::test]
async fn a_cell_is_edited_in_place_with_its_own_input_and_errors_beside_it() {
    let app = TestApp::spawn().await;
    let c = app
        .create(
            "contacts",
            json!({"name": "欧阳娜娜", "email": "nana@example.com", "city": "杭州"}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let (mut b, token) = signed_in_admin(&app).await;
    let (_, _, page) = b.get("/o/contacts?col=name&col=email&col=city").await;
    assert!(
        page.contains(&format!("/o/contacts/{id}/edit#f-email")),
        "a pencil per editable cell"
    );

    let (status, _, fragment) = b.get(&format!("/o/contacts/{id}/cell/email")).await;
    assert_eq!(status, 200);
    assert!(fragment.contains("type=\"email\"") && fragment.contains("nana@example.com"));
    assert!(fragment.contains("name=\"version\" value=\"1\"") && !fragment.contains("<html"));

    let (status, _, body) = b
        .post_accepting(
            &format!("/o/contacts/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "email"),
                ("version", "1"),
                ("email", "nana@@example"),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 422);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["field"], "email");
    let stored = app.get(&format!("/api/v1/contacts/{id}")).await.body;
    assert_eq!(
        (stored["email"].as_str(), stored["version"].as_i64()),
        (Some("nana@example.com"), Some(1))
    );

    let (status, _, body) = b
        .post_accepting(
            &format!("/o/contacts/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "city"),
                ("version", "1"),
                ("city", "  宁波 "),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["display"], "宁波");

    // Fields the user may not write have no editor.
    let (status, _, _) = b.get(&format!("/o/contacts/{id}/cell/created_at")).await;
    assert_eq!(status, 404);
    let (status, _, body) = b
        .post_accepting(
            &format!("/o/contacts/{id}/set"),
            &[
                ("csrf", &token),
                ("field", "created_at"),
                ("version", "2"),
                ("created_at", "2020-01-01T00:00:00Z"),
            ],
            "application/json",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn bulk_actions_change_owner_set_a_field_and_delete_reporting_records_changed_meanwhile() {
    let app = TestApp::spawn().await;
    let rep = app
        .crm
        .create_user(guanxi_services::identity::NewUser {
            email: "rep.c@example.org".into(),
            name: "Rep C".into(),
            password: Some("rep-c-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["甲", "乙", "丙"] {
        ids.push(
            app.create("contacts", json!({"name": name})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (mut b, token) = signed_in_admin(&app).await;
    let (_, _, page) = b.get("/o/contacts").await;
    assert!(page.contains("select-all") && page.contains(&format!("value=\"{}:1\"", ids[0])));

    let sel = |i: usize, v: i64| format!("{}:{v}", ids[i]);
    let rep_id = rep.id.to_string();
    let (status, to, _) = b
        .post(
            "/o/contacts/bulk",
            &[
                ("csrf", &token),
                ("ids", &sel(0, 1)),
                ("ids", &sel(1, 1)),
                ("action", "owner"),
                ("owner", &rep_id),
                ("back", "/o/contacts"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/o/contacts"));
    for id in &ids[..2] {
        assert_eq!(
            app.get(&format!("/api/v1/contacts/{id}")).await.body["owner"],
            rep_id.as_str()
        );
    }

    // 甲 is at version 2 now: a selection made before is reported, 丙 is done.
    let (status, _, page) = b
        .post(
            "/o/contacts/bulk",
            &[
                ("csrf", &token),
                ("ids", &sel(0, 1)),
                ("ids", &sel(2, 1)),
                ("action", "set"),
                ("field", "city"),
                ("value", "苏州"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("已修改 1 条记录") && page.contains("1 条记录未修改") && page.contains(&ids[0]),
        "{page}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", ids[2])).await.body["city"],
        "苏州"
    );
    assert!(app.get(&format!("/api/v1/contacts/{}", ids[0])).await.body["city"].is_null());

    let (status, _, page) = b
        .post("/o/contacts/bulk", &[("csrf", &token), ("action", "delete")])
        .await;
    assert_eq!(status, 422, "nothing selected: {page}");
    let (status, _, _) = b
        .post("/o/contacts/bulk", &[("ids", &sel(2, 2)), ("action", "delete")])
        .await;
    assert_eq!(status, 403, "no CSRF token, nothing deleted");
    let (status, _, _) = b
        .post(
            "/o/contacts/bulk",
            &[
                ("csrf", &token),
                ("ids", &sel(1, 2)),
                ("ids", &sel(2, 2)),
                ("action", "delete"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let left: Vec<String> = app
        .list_all("contacts", "")
        .await
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec![ids[0].clone()]);
    app.stop().await;
}

#[tokio::test]
async fn saved_views_keep_columns_filter_and_sort_personal_unless_shared_by_an_admin() {
    let app = TestApp::spawn().await;
    for (name, city) in [("张伟", "上海"), ("孙悦", "北京"), ("王芳", "上海")] {
        app.create(
            "contacts",
            json!({"name": name, "city": city, "email": format!("{}@example.com", city.len())}),
        )
        .await;
    }
    let (mut b, token) = signed_in_admin(&app).await;
    let (status, to, _) = b
        .post(
            "/o/contacts/views",
            &[
                ("csrf", &token),
                ("name", "上海客户"),
                ("filter", "city eq '上海'"),
                ("sort", "-name"),
                ("columns", "name,city"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/o/contacts?view="), "{to}");
    let (status, _, page) = b.get(&to).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("上海客户") && page.contains("张伟") && page.contains("王芳") && !page.contains("孙悦"),
        "{page}"
    );
    assert!(
        page.find("王芳").unwrap() < page.find("张伟").unwrap(),
        "sorted by name, descending"
    );
    assert_eq!(
        page.matches("<th scope=\"col\">").count(),
        2,
        "only the view's columns: name and city"
    );

    // A bad filter is refused and nothing is saved.
    let (status, _, page) = b
        .post(
            "/o/contacts/views",
            &[("csrf", &token), ("name", "坏视图"), ("filter", "colour eq 1")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("colour"));
    let (status, _, _) = b
        .post(
            "/o/contacts/views",
            &[("csrf", &token), ("name", ""), ("filter", "")],
        )
        .await;
    assert_eq!(status, 422, "a view needs a name");

    // Another user neither sees nor opens a personal view; a non-admin cannot share one.
    app.crm
        .create_user(guanxi_services::identity::NewUser {
            email: "rep.d@example.org".into(),
            name: "Rep D".into(),
            password: Some("rep-d-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap();
    let mut other = Browser::new(&app);
    other
        .post(
            "/login",
            &[("email", "rep.d@example.org"), ("password", "rep-d-password")],
        )
        .await;
    let (_, _, page) = other.get("/o/contacts").await;
    assert!(!page.contains("上海客户"));
    let (status, _, _) = other.get(&to).await;
    assert_eq!(status, 404);
    let other_token = csrf(&page);
    let (status, _, _) = other
        .post(
            "/o/contacts/views",
            &[("csrf", &other_token), ("name", "我的共享"), ("shared", "true")],
        )
        .await;
    assert_eq!(status, 403);

    // Shared by the admin, everyone has it.
    let (status, shared_to, _) = b
        .post(
            "/o/contacts/views",
            &[
                ("csrf", &token),
                ("name", "北京客户"),
                ("filter", "city eq '北京'"),
                ("shared", "true"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = other.get("/o/contacts").await;
    assert!(page.contains("北京客户"));
    let (status, _, _) = other.get(&shared_to).await;
    assert_eq!(status, 200);

    // Deleting a view takes it off the list.
    let view_id = to.split("view=").nth(1).unwrap();
    let (status, _, _) = b
        .post(
            &format!("/o/contacts/views/{view_id}/delete"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = b.get(&to).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn assets_are_addressed_by_their_content_so_browsers_keep_them_until_they_change() {
    let app = TestApp::spawn().await;
    let (mut b, _) = signed_in_admin(&app).await;
    let (_, _, page) = b.get("/").await;
    let at = page
        .find("/static/app.js?v=")
        .expect("a versioned script address");
    let src: String = page[at..].chars().take_while(|c| *c != '"').collect();
    assert_eq!(src.len(), "/static/app.js?v=".len() + 16);
    assert!(
        page.contains(&src.replace("app.js", "app.css")),
        "one version for both"
    );
    let res = reqwest::get(format!("{}{src}", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"].to_str().unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    app.stop().await;
}

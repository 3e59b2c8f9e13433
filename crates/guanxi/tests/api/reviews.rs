//! The community around products: customers rate a product once each (rating again
//! changes their review), read everyone's reviews and the average; our team hides what
//! breaks the rules, and a hidden review stops counting. Whoever follows a post hears of
//! its replies — customers in the portal, while they may still see it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::portal::customer_of;
use crate::web::csrf;

async fn rate(
    b: &mut crate::web::Browser,
    path: &str,
    token: &str,
    stars: &str,
    title: &str,
) -> (u16, String, String) {
    b.post(
        &format!("{path}/rate"),
        &[
            ("csrf", token),
            ("rating", stars),
            ("title", title),
            ("body", "详细说明"),
        ],
    )
    .await
}

#[tokio::test]
async fn customers_rate_products_once_each_and_hidden_reviews_stop_counting() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let other = app.create("accounts", json!({"name": "东方电气"})).await;
    let press = app
        .create("products", json!({"name": "HT-200 液压机", "active": true}))
        .await;
    let old = app
        .create("products", json!({"name": "HT-100 旧款", "active": false}))
        .await;
    let press_id = press["id"].as_str().unwrap();
    let mut sun = customer_of(&app, &acme, "孙丽", "sun@huatong.cn").await;
    let mut wang = customer_of(&app, &other, "王强", "wang@dongfang.cn").await;

    let (status, _, page) = sun.get("/portal/community/products").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("HT-200 液压机") && !page.contains("HT-100 旧款"),
        "{page}"
    );
    let (status, _, _) = sun
        .get(&format!(
            "/portal/community/products/{}",
            old["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404, "a product taken out of the catalogue is not rated");

    let path = format!("/portal/community/products/{press_id}");
    let (_, _, page) = sun.get(&path).await;
    assert!(page.contains("暂无评价"), "{page}");
    let token = csrf(&page);
    // Six stars and no headline: both named beside their inputs, nothing stored.
    let (status, _, page) = sun
        .post(
            &format!("{path}/rate"),
            &[("csrf", &token), ("rating", "6"), ("title", " "), ("body", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="rating-error""#) && page.contains(r#"id="review-title-error""#),
        "{page}"
    );
    assert!(app.list_all("product_reviews", "").await.is_empty());

    let (status, to, _) = rate(&mut sun, &path, &token, "5", "压力稳定").await;
    assert_eq!((status, to.as_str()), (303, path.as_str()));
    let (_, _, page) = wang.get(&path).await;
    let (status, _, _) = rate(&mut wang, &path, &csrf(&page), "4", "噪音稍大").await;
    assert_eq!(status, 303);
    // Sun rates again: her review changes, no second one.
    let (status, _, _) = rate(&mut sun, &path, &token, "3", "冬天启动慢").await;
    assert_eq!(status, 303);
    let reviews = app.list_all("product_reviews", "").await;
    assert_eq!(reviews.len(), 2, "one review per person and product");
    let (_, _, page) = wang.get(&path).await;
    assert!(page.contains("3.5 分（满分 5 分），共 2 条评价"), "{page}");
    assert!(
        page.contains("冬天启动慢") && !page.contains("压力稳定"),
        "{page}"
    );
    assert!(page.contains("孙丽") && page.contains("噪音稍大"), "{page}");

    // Reviews are the customers': our team neither writes them nor changes their stars…
    let r = app
        .post(
            "/api/v1/product_reviews",
            json!({"product": press_id, "rating": 5, "title": "刷好评", "author_name": "x"}),
        )
        .await;
    r.assert_problem(422, "author_user");
    let wangs = reviews.iter().find(|r| r["author_name"] == "王强").unwrap();
    let wang_review = wangs["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/product_reviews/{wang_review}"),
            json!({"rating": 5}),
            &format!("\"{}\"", wangs["version"]),
        )
        .await;
    r.assert_problem(422, "rating");
    // …they hide one, which then no longer counts nor shows to customers.
    let r = app
        .patch(
            &format!("/api/v1/product_reviews/{wang_review}"),
            json!({"hidden": true}),
            &format!("\"{}\"", wangs["version"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, _, page) = sun.get(&path).await;
    assert!(
        page.contains("3 分（满分 5 分），共 1 条评价") && !page.contains("噪音稍大"),
        "{page}"
    );
    // Colleagues see the rating on the product's page.
    let mut desk = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = desk.get(&format!("/o/products/{press_id}")).await;
    assert!(page.contains("共 1 条评价"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn followers_hear_of_replies_and_nobody_hears_of_their_own() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let other = app.create("accounts", json!({"name": "东方电气"})).await;
    let mut sun = customer_of(&app, &acme, "孙丽", "sun@huatong.cn").await;
    let mut wang = customer_of(&app, &other, "王强", "wang@dongfang.cn").await;
    let (_, _, page) = sun.get("/portal/community/new").await;
    let token = csrf(&page);
    let (status, public_path, _) = sun
        .post(
            "/portal/community",
            &[
                ("csrf", &token),
                ("kind", "question"),
                ("visibility", "public"),
                ("title", "液压油多久换一次"),
                ("body", "说明书写的不清楚"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let post_id = public_path.trim_start_matches("/portal/community/").to_string();

    // Wang follows and answers: Sun (the author follows her question) is told, he is not.
    let (_, _, page) = wang.get(&public_path).await;
    let wang_token = csrf(&page);
    wang.post(
        &format!("{public_path}/follow"),
        &[("csrf", &wang_token), ("on", "1")],
    )
    .await;
    let (status, _, _) = wang
        .post(
            &format!("{public_path}/reply"),
            &[("csrf", &wang_token), ("body", "我们每 2000 小时换一次")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = sun.get("/notifications").await;
    assert_eq!(status, 200);
    assert!(page.contains("王强 回复了“液压油多久换一次”"), "{page}");
    assert!(
        page.contains(&format!(r#"href="/portal/community/{post_id}""#)),
        "{page}"
    );
    assert!(!page.contains("/o/"), "no staff links for a customer: {page}");
    let (_, _, page) = wang.get("/notifications").await;
    assert!(!page.contains("回复了"), "{page}");

    // Our team's answer through the API reaches both followers.
    let r = app
        .post(
            "/api/v1/community_replies",
            json!({"post": post_id, "body": "建议每年更换"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, _, page) = wang.get("/notifications").await;
    assert!(
        page.contains("admin@example.com 回复了“液压油多久换一次”"),
        "{page}"
    );
    let (_, _, page) = sun.get("/portal").await;
    assert!(
        page.contains(r#"href="/notifications""#),
        "the portal's header leads to them: {page}"
    );

    // Once the post is for Sun's company only, Wang hears no more of it.
    let post = app.get(&format!("/api/v1/community_posts/{post_id}")).await;
    let r = app
        .patch(
            &format!("/api/v1/community_posts/{post_id}"),
            json!({"visibility": "company"}),
            &format!("\"{}\"", post.body["version"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            "/api/v1/community_replies",
            json!({"post": post_id, "body": "补充：高温环境需缩短周期"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wang_notes = app
        .crm
        .notifications(&app.crm.actor_for_email("wang@dongfang.cn").await.unwrap(), false)
        .await
        .unwrap();
    assert_eq!(wang_notes.len(), 1, "{wang_notes:?}");
    let sun_notes = app
        .crm
        .notifications(&app.crm.actor_for_email("sun@huatong.cn").await.unwrap(), false)
        .await
        .unwrap();
    assert_eq!(sun_notes.len(), 3, "{sun_notes:?}");
    // Marking them read works for customers too.
    let (_, _, page) = sun.get("/notifications").await;
    let (status, _, _) = sun.post("/notifications/read", &[("csrf", &csrf(&page))]).await;
    assert_eq!(status, 303);
    let r = app
        .request(Method::GET, "/api/v1/community_posts", None, &[])
        .await;
    assert_eq!(r.status, 200);
    app.stop().await;
}

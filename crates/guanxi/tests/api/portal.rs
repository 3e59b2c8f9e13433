//! The customer portal: an invited contact chooses a password once, then sees only their
//! own company's cases, orders and quotes, opens cases and answers the agents — never
//! another customer's data, an internal note or a staff page.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

#[tokio::test]
async fn a_portal_user_sees_and_works_only_on_their_own_companys_cases_orders_and_quotes() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let other = app.create("accounts", json!({"name": "东方电气"})).await;
    let sun = app
        .create(
            "contacts",
            json!({"name": "孙丽", "account": acme["id"], "email": "sun@huatong.cn"}),
        )
        .await;
    app.create(
        "contacts",
        json!({"name": "王强", "account": other["id"], "email": "wang@dongfang.cn"}),
    )
    .await;
    let nomail = app
        .create("contacts", json!({"name": "无邮箱", "account": acme["id"]}))
        .await;
    let lonely = app
        .create("contacts", json!({"name": "散客", "email": "walkin@example.com"}))
        .await;

    let ours = app
        .create(
            "cases",
            json!({"subject": "液压机漏油", "status": "waiting_customer", "account": acme["id"], "contact": sun["id"]}),
        )
        .await;
    let theirs = app
        .create(
            "cases",
            json!({"subject": "东方的工单", "status": "new", "account": other["id"]}),
        )
        .await;
    for (name, account, status) in [
        ("华通三月订单", &acme, "confirmed"),
        ("华通草稿订单", &acme, "draft"),
        ("东方四月订单", &other, "confirmed"),
    ] {
        let r = app
            .post(
                "/api/v1/orders",
                json!({"name": name, "account": account["id"], "status": status, "currency": "CNY"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    app.create(
        "quotes",
        json!({"name": "华通内部草稿报价", "account": acme["id"], "currency": "CNY"}),
    )
    .await;

    // A contact needs an email and a company to be invited.
    let r = app
        .post(
            &format!("/api/v1/contacts/{}/portal-invitation", id(&nomail)),
            json!({}),
        )
        .await;
    r.assert_problem(422, "email");
    let r = app
        .post(
            &format!("/api/v1/contacts/{}/portal-invitation", id(&lonely)),
            json!({}),
        )
        .await;
    r.assert_problem(422, "account");
    let r = app
        .post(
            &format!("/api/v1/contacts/{}/portal-invitation", id(&sun)),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let link = r.body["path"].as_str().unwrap().to_string();
    assert!(app.audit_actions().await.iter().any(|a| a == "portal.invite"));

    // The invitation: a short password is refused beside its input; then signed in.
    let mut customer = Browser::new(&app);
    let (status, _, page) = customer.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("sun@huatong.cn"), "{page}");
    let (status, _, page) = customer.post(&link, &[("password", "short")]).await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="password-error""#), "{page}");
    let (status, to, page) = customer.post(&link, &[("password", "huatong-2026")]).await;
    assert_eq!((status, to.as_str()), (303, "/portal"), "{page}");
    // Used: the link does not work again, even for someone else.
    let mut stranger = Browser::new(&app);
    let (status, _, _) = stranger.post(&link, &[("password", "another-password")]).await;
    assert_eq!(status, 410);
    let (status, _, _) = stranger.get("/portal/invite/made-up-secret").await;
    assert_eq!(status, 404);

    // Their company's cases, orders and sent quotes only.
    let (status, _, page) = customer.get("/portal").await;
    assert_eq!(status, 200);
    assert!(page.contains("孙丽") && page.contains("华通机械"), "{page}");
    assert!(
        page.contains("液压机漏油") && page.contains("华通三月订单"),
        "{page}"
    );
    for hidden in ["东方的工单", "东方四月订单", "华通草稿订单", "华通内部草稿报价"]
    {
        assert!(!page.contains(hidden), "{hidden} must not show: {page}");
    }
    let (status, _, _) = customer.get(&format!("/portal/cases/{}", id(&theirs))).await;
    assert_eq!(status, 404, "another company's case is not found");
    // No staff pages, no staff API.
    let (status, _, _) = customer.get("/o/cases").await;
    assert_eq!(status, 403);
    let (status, to, _) = customer.get("/").await;
    assert_eq!((status, to.as_str()), (303, "/portal"));

    // The agents answer (an internal note stays inside); the customer's reply starts the
    // clock again.
    for (body, internal) in [("请拍一张漏油位置的照片", false), ("客户上次已换过密封圈", true)]
    {
        let r = app
            .post(
                "/api/v1/case_messages",
                json!({"case": ours["id"], "body": body, "internal": internal}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (status, _, page) = customer.get(&format!("/portal/cases/{}", id(&ours))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("请拍一张漏油位置的照片") && !page.contains("客户上次已换过密封圈"),
        "{page}"
    );
    let token = csrf(&page);
    let path = format!("/portal/cases/{}/reply", id(&ours));
    let (status, _, page) = customer.post(&path, &[("csrf", &token), ("body", "  ")]).await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="body-error""#), "{page}");
    let (status, _, page) = customer
        .post(&path, &[("csrf", &token), ("body", "照片已上传到网盘")])
        .await;
    assert_eq!(status, 303, "{page}");
    let case = app.get(&format!("/api/v1/cases/{}", id(&ours))).await.body;
    assert_eq!(case["status"], "in_progress");
    let (_, _, page) = customer.get(&format!("/portal/cases/{}", id(&ours))).await;
    assert!(
        page.contains("照片已上传到网盘"),
        "the customer sees their own reply: {page}"
    );
    let messages = app
        .list_all("case_messages", &format!("filter=case%20eq%20'{}'", id(&ours)))
        .await;
    let reply = messages
        .iter()
        .find(|m| m["body"] == "照片已上传到网盘")
        .expect("reply stored");
    assert_eq!(
        (reply["from_customer"].as_bool(), reply["author_name"].as_str()),
        (Some(true), Some("孙丽"))
    );
    // Nobody else writes or rewrites what the customer said.
    let r = app
        .post(
            "/api/v1/case_messages",
            json!({"case": ours["id"], "body": "冒充客户", "from_customer": true}),
        )
        .await;
    r.assert_problem(422, "from_customer");
    let r = app
        .patch(
            &format!("/api/v1/case_messages/{}", reply["id"].as_str().unwrap()),
            json!({"body": "改过的话"}),
            &format!("\"{}\"", reply["version"]),
        )
        .await;
    r.assert_problem(422, "body");
    // Without the session's token a post is refused.
    let (status, _, _) = customer.post(&path, &[("csrf", "forged"), ("body", "x")]).await;
    assert_eq!(status, 403);

    // A new case from the portal is the contact's and their company's.
    let (_, _, page) = customer.get("/portal/cases/new").await;
    let token = csrf(&page);
    let (status, _, page) = customer
        .post(
            "/portal/cases",
            &[("csrf", &token), ("subject", ""), ("description", "没有主题")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="subject-error""#) && page.contains("没有主题"),
        "{page}"
    );
    let (status, to, _) = customer
        .post(
            "/portal/cases",
            &[
                ("csrf", &token),
                ("subject", "申请上门保养"),
                ("type", "repair"),
                ("description", "下周二可以吗"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let new_id = to.trim_start_matches("/portal/cases/").to_string();
    let case = app.get(&format!("/api/v1/cases/{new_id}")).await.body;
    assert_eq!(
        (
            &case["contact"],
            &case["account"],
            case["origin"].as_str(),
            case["type"].as_str()
        ),
        (&sun["id"], &acme["id"], Some("portal"), Some("repair"))
    );

    // Signing in later lands in the portal.
    let mut again = Browser::new(&app);
    let (_, _, page) = again.get("/login").await;
    let _ = page;
    let (status, to, _) = again
        .post(
            "/login",
            &[("email", "sun@huatong.cn"), ("password", "huatong-2026")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/portal"));
}

/// A signed-in portal user for a new contact of `account`.
pub(crate) async fn customer_of(app: &TestApp, account: &Value, name: &str, email: &str) -> Browser {
    let contact = app
        .create(
            "contacts",
            json!({"name": name, "account": account["id"], "email": email}),
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/contacts/{}/portal-invitation", id(&contact)),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post(
            r.body["path"].as_str().unwrap(),
            &[("password", "community-2026")],
        )
        .await;
    assert_eq!(status, 303);
    b
}

#[tokio::test]
async fn customers_help_each_other_in_the_community_and_company_posts_stay_in_the_company() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let other = app.create("accounts", json!({"name": "东方电气"})).await;
    let mut sun = customer_of(&app, &acme, "孙丽", "sun@huatong.cn").await;
    let mut wang = customer_of(&app, &other, "王强", "wang@dongfang.cn").await;

    // Sun asks in public, and posts something for her company only.
    let (_, _, page) = sun.get("/portal/community/new").await;
    let token = csrf(&page);
    let (status, _, page) = sun
        .post(
            "/portal/community",
            &[
                ("csrf", &token),
                ("kind", "question"),
                ("visibility", "public"),
                ("title", ""),
                ("body", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="title-error""#), "{page}");
    let (status, public_path, _) = sun
        .post(
            "/portal/community",
            &[
                ("csrf", &token),
                ("kind", "question"),
                ("visibility", "public"),
                ("title", "液压机冬季启动慢怎么办"),
                ("body", "早上开机油温低，压力上不去"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, private_path, _) = sun
        .post(
            "/portal/community",
            &[
                ("csrf", &token),
                ("kind", "experience"),
                ("visibility", "company"),
                ("title", "华通内部：设备保养排班"),
                ("body", "每周五下午停机保养"),
            ],
        )
        .await;
    let post_id = public_path.trim_start_matches("/portal/community/").to_string();
    let stored = app.get(&format!("/api/v1/community_posts/{post_id}")).await.body;
    assert_eq!(
        (stored["author_name"].as_str(), &stored["author_account"]),
        (Some("孙丽"), &acme["id"])
    );

    // Wang sees the public post, never the company one — in the list, by link or search.
    let (_, _, page) = wang.get("/portal/community").await;
    assert!(
        page.contains("液压机冬季启动慢怎么办") && !page.contains("华通内部"),
        "{page}"
    );
    let (status, _, _) = wang.get(&private_path).await;
    assert_eq!(status, 404);
    app.crm.refresh_search().await.unwrap();
    let (_, _, page) = wang.get("/portal/community?q=%E4%BF%9D%E5%85%BB").await; // 保养
    assert!(!page.contains("华通内部"), "{page}");
    let (_, _, page) = wang.get(&public_path).await;
    let wang_token = csrf(&page);
    let (status, _, _) = wang
        .post(
            &format!("{private_path}/reply"),
            &[("csrf", &wang_token), ("body", "偷看")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = wang
        .post(&format!("{private_path}/vote"), &[("csrf", &wang_token)])
        .await;
    assert_eq!(status, 404);

    // Wang answers and recommends the question (once, however often he asks).
    let (status, _, _) = wang
        .post(
            &format!("{public_path}/reply"),
            &[("csrf", &wang_token), ("body", "先空载运行十分钟预热液压油")],
        )
        .await;
    assert_eq!(status, 303);
    for _ in 0..2 {
        wang.post(&format!("{public_path}/vote"), &[("csrf", &wang_token)])
            .await;
    }
    assert_eq!(
        app.get(&format!("/api/v1/community_posts/{post_id}")).await.body["votes"],
        1
    );
    // Only the author (or our team) accepts an answer.
    let replies = app
        .list_all("community_replies", &format!("filter=post%20eq%20'{post_id}'"))
        .await;
    let reply_id = replies[0]["id"].as_str().unwrap().to_string();
    let (status, _, _) = wang
        .post(
            &format!("{public_path}/accept"),
            &[("csrf", &wang_token), ("reply", &reply_id)],
        )
        .await;
    assert_eq!(status, 403);
    let (_, _, page) = sun.get(&public_path).await;
    assert!(
        page.contains("先空载运行十分钟预热液压油") && page.contains("采纳为答案"),
        "{page}"
    );
    let sun_token = csrf(&page);
    let (status, _, _) = sun
        .post(
            &format!("{public_path}/accept"),
            &[("csrf", &sun_token), ("reply", &reply_id)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = sun
        .post(
            &format!("{public_path}/follow"),
            &[("csrf", &sun_token), ("on", "1")],
        )
        .await;
    assert_eq!(status, 303);
    let post = app.get(&format!("/api/v1/community_posts/{post_id}")).await.body;
    assert_eq!(
        (post["status"].as_str(), post["accepted_reply"].as_str()),
        (Some("answered"), Some(reply_id.as_str()))
    );
    // Counts and authors are the community's.
    let r = app
        .patch(
            &format!("/api/v1/community_posts/{post_id}"),
            json!({"votes": 99}),
            &format!("\"{}\"", post["version"]),
        )
        .await;
    r.assert_problem(422, "votes");

    // Our team moderates: a hidden reply disappears for customers; the accepted answer
    // becomes a draft knowledge article.
    let r = app
        .post(
            "/api/v1/community_replies",
            json!({"post": post_id, "body": "广告：低价液压油"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["from_staff"], true);
    let spam = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/community_replies/{spam}"),
            json!({"hidden": true}),
            &r.etag(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, _, page) = wang.get(&public_path).await;
    assert!(!page.contains("低价液压油"), "{page}");
    let mut desk = Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = desk.get(&format!("/o/community_posts/{post_id}")).await;
    let token = csrf(&page);
    let (status, to, _) = desk
        .post(
            &format!("/o/community_posts/{post_id}/to-article"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 303);
    let article = app
        .get(&format!("/api/v1{}", to.trim_start_matches("/o")))
        .await
        .body;
    assert_eq!(
        (article["status"].as_str(), article["visibility"].as_str()),
        (Some("draft"), Some("public"))
    );
    assert!(
        article["body"]
            .as_str()
            .unwrap()
            .contains("先空载运行十分钟预热液压油"),
        "{article}"
    );
    let (status, _, _) = desk
        .post(
            &format!("/o/community_posts/{post_id}/to-article"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 422, "one article per post");
    // A hidden post is gone for customers.
    let post = app.get(&format!("/api/v1/community_posts/{post_id}")).await;
    app.patch(
        &format!("/api/v1/community_posts/{post_id}"),
        json!({"status": "hidden"}),
        &post.etag(),
    )
    .await;
    let (status, _, _) = wang.get(&public_path).await;
    assert_eq!(status, 404);
}

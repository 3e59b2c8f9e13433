//! Partners and channel conflicts: partner users register deals for their own company;
//! one customer (with its look-alikes) worked through conflicting channels, or quoted one
//! product at prices too far apart across channels, raises a conflict that the staff
//! involved and their managers are told of and an administrator resolves; deals in one
//! lane never conflict; partners never see other channels' deals or the conflicts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A partner company (an account) and one of its users: (account id, user id, token).
async fn partner(app: &TestApp, company: &str, user: &str) -> (String, String, String) {
    let account = app
        .create(
            "accounts",
            json!({"name": company, "type": "distributor", "partner_type": "distributor"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (id, token) = app.person(user, None).await;
    app.make_partner(&id, &account).await;
    (account, id, token)
}

async fn create_as(app: &TestApp, token: &str, plural: &str, body: Value) -> Value {
    let r = app
        .request_as(token, Method::POST, &format!("/api/v1/{plural}"), Some(body), &[])
        .await;
    assert_eq!(r.status, 201, "{plural}: {}", r.body);
    r.body
}

/// The open conflicts once the conflict worker has checked every customer queued so far.
async fn conflicts(app: &TestApp, filter: &str) -> Vec<Value> {
    app.crm.settle_conflict_checks().await.expect("conflict checks");
    app.list_all(
        "channel_conflicts",
        &format!("filter={}", crate::helpers::enc(filter)),
    )
    .await
}

/// A rep's deal on 华通机电 and a distributor's deal on its own record of the same company
/// (华通机电有限公司): the customer and the rep's deal.
async fn deals_through_both_channels(app: &TestApp) -> (Value, Value) {
    let (_, rep) = app.person("rep", None).await;
    let (_, _, dist_user) = partner(app, "苏州恒通分销", "dist").await;
    let customer = create_as(app, &rep, "accounts", json!({"name": "华通机电"})).await;
    let direct = create_as(
        app,
        &rep,
        "opportunities",
        json!({"name": "产线改造", "account": customer["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
    )
    .await;
    let theirs = create_as(app, &dist_user, "accounts", json!({"name": "华通机电有限公司"})).await;
    create_as(
        app,
        &dist_user,
        "opportunities",
        json!({"name": "恒通报备", "account": theirs["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
    )
    .await;
    (customer, direct)
}

async fn unread(app: &TestApp, token: &str) -> Vec<String> {
    app.crm.settle_conflict_checks().await.expect("conflict checks");
    let r = app
        .request_as(
            token,
            Method::GET,
            "/api/v1/me/notifications?unread=true",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_partner_deal_on_a_customer_the_direct_team_works_raises_a_conflict_an_admin_resolves() {
    let app = TestApp::spawn().await;
    let director = app.add_role("销售总监", None).await;
    let reps = app.add_role("销售代表", Some(&director)).await;
    let (_, boss) = app.person("boss", Some(&director)).await;
    let (rep_id, rep) = app.person("rep", Some(&reps)).await;
    let (dist, _, dist_user) = partner(&app, "苏州恒通分销", "dist").await;
    let (other, _, other_user) = partner(&app, "北辰代理", "other").await;
    let customer = create_as(
        &app,
        &rep,
        "accounts",
        json!({"name": "华通机电", "city": "苏州"}),
    )
    .await;
    let direct = create_as(
        &app,
        &rep,
        "opportunities",
        json!({"name": "产线改造", "account": customer["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
    )
    .await;
    assert_eq!(direct["channel"], "direct", "the company's own deal");
    assert!(conflicts(&app, "status eq 'open'").await.is_empty());

    // The distributor registers the same customer (its own record of it) and a deal.
    let theirs = create_as(
        &app,
        &dist_user,
        "accounts",
        json!({"name": "华通机电有限公司", "city": "苏州"}),
    )
    .await;
    let r = app
        .request_as(
            &dist_user,
            Method::POST,
            "/api/v1/opportunities",
            Some(
                json!({"name": "恒通报备：华通产线", "account": theirs["id"], "stage": "prospecting",
                        "close_date": "2027-03-31", "partner": other}),
            ),
            &[],
        )
        .await;
    r.assert_problem(422, "partner");
    let registered = create_as(
        &app,
        &dist_user,
        "opportunities",
        json!({"name": "恒通报备：华通产线", "account": theirs["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
    )
    .await;
    assert_eq!(registered["channel"], "partner");
    assert_eq!(registered["partner"], json!(dist), "the partner's own company");

    let open = conflicts(&app, "status eq 'open'").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let c = &open[0];
    assert_eq!(c["kind"], "channels");
    assert_eq!(c["channels"], json!(["direct", "partner"]));
    let parties = app
        .list_all(
            "conflict_parties",
            &format!(
                "filter={}",
                crate::helpers::enc(&format!("conflict eq '{}'", c["id"].as_str().unwrap()))
            ),
        )
        .await;
    let mut involved: Vec<&str> = parties.iter().filter_map(|p| p["opportunity"].as_str()).collect();
    involved.sort();
    let mut expected = vec![direct["id"].as_str().unwrap(), registered["id"].as_str().unwrap()];
    expected.sort();
    assert_eq!(involved, expected);

    // The rep and the rep's manager are told; the partner is not.
    assert!(
        unread(&app, &rep)
            .await
            .iter()
            .any(|t| t.contains("渠道冲突") && t.contains("直销"))
    );
    assert_eq!(unread(&app, &boss).await.len(), 1);
    assert!(unread(&app, &dist_user).await.is_empty());

    // Partners see neither the direct deal nor the conflict, nor another partner's deals.
    let r = app
        .request_as(
            &dist_user,
            Method::GET,
            &format!("/api/v1/opportunities/{}", direct["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(404);
    let r = app
        .request_as(&dist_user, Method::GET, "/api/v1/channel_conflicts", None, &[])
        .await;
    assert_eq!(r.body["data"], json!([]), "{}", r.body);
    let r = app
        .request_as(
            &other_user,
            Method::GET,
            &format!("/api/v1/opportunities/{}", registered["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(404);
    // Nor do they write conflicts themselves.
    let r = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/channel_conflicts",
            Some(json!({"name": "x"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);

    // Another direct deal on the customer joins the open conflict; it raises no second one.
    create_as(
        &app,
        &rep,
        "opportunities",
        json!({"name": "备件年单", "account": customer["id"], "stage": "prospecting", "close_date": "2027-06-30"}),
    )
    .await;
    assert_eq!(conflicts(&app, "status eq 'open'").await.len(), 1);

    // Only administrators resolve, with a known decision.
    let path = format!("/api/v1/channel_conflicts/{}/resolve", c["id"].as_str().unwrap());
    let r = app
        .request_as(
            &rep,
            Method::POST,
            &path,
            Some(json!({"decision": "direct_keeps"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    app.post(&path, json!({"decision": "bogus"}))
        .await
        .assert_problem(422, "decision");
    app.post(&path, json!({})).await.assert_problem(422, "decision");
    let r = app
        .post(
            &path,
            json!({"decision": "partner_keeps", "resolution": "恒通先报备，直销协助"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    assert!(!r.body["resolved_by"].is_null());
    app.post(&path, json!({"decision": "shared"}))
        .await
        .assert_problem(422, "status");
    assert!(app.audit_actions().await.iter().any(|a| a == "conflict.resolve"));
    assert!(
        unread(&app, &rep)
            .await
            .iter()
            .any(|t| t.contains("由渠道伙伴跟进"))
    );
    let _ = rep_id;
}

#[tokio::test]
async fn deals_within_one_channel_never_conflict_and_admins_choose_which_channels_do() {
    let app = TestApp::spawn().await;
    let (_, rep) = app.person("rep", None).await;
    let (_, _, dist_user) = partner(&app, "苏州恒通分销", "dist").await;
    let customer = app.create("accounts", json!({"name": "小张五金"})).await;
    for name in ["五金一期", "五金二期"] {
        create_as(
            &app,
            &rep,
            "opportunities",
            json!({"name": name, "account": customer["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
        )
        .await;
    }
    // The same partner twice on its own customer: one lane.
    let theirs = create_as(&app, &dist_user, "accounts", json!({"name": "恒通自有客户"})).await;
    for name in ["恒通一", "恒通二"] {
        create_as(
            &app,
            &dist_user,
            "opportunities",
            json!({"name": name, "account": theirs["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
        )
        .await;
    }
    assert!(conflicts(&app, "status eq 'open'").await.is_empty());

    // Rules: only administrators, only known channels, never a channel with itself.
    let r = app
        .request_as(
            &rep,
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"enabled": false})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"pairs": [["direct", "telepathy"]]})),
            &[],
        )
        .await;
    r.assert_problem(422, "pairs[0]");
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"price_tolerance": "-1"})),
            &[],
        )
        .await;
    r.assert_problem(422, "price_tolerance");
    // Retail and direct do not conflict by default; once the rules say so, they do.
    create_as(
        &app,
        &rep,
        "opportunities",
        json!({"name": "门店零售", "account": customer["id"], "stage": "prospecting", "close_date": "2027-03-31", "channel": "retail"}),
    )
    .await;
    assert!(conflicts(&app, "status eq 'open'").await.is_empty());
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"pairs": [["direct", "partner"], ["direct", "retail"]]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/admin/conflict-rules").await.body["pairs"],
        json!([["direct", "partner"], ["direct", "retail"]])
    );
    create_as(
        &app,
        &rep,
        "opportunities",
        json!({"name": "五金三期", "account": customer["id"], "stage": "prospecting", "close_date": "2027-03-31"}),
    )
    .await;
    let open = conflicts(&app, "status eq 'open'").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["channels"], json!(["direct", "retail"]));
    assert!(app.audit_actions().await.iter().any(|a| a == "conflict.rules"));
}

#[tokio::test]
async fn one_product_quoted_too_far_apart_across_channels_is_a_price_conflict() {
    let app = TestApp::spawn().await;
    let c = crate::quotes::catalogue(&app).await;
    // Channel conflicts aside, only prices here.
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"pairs": []})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, rep) = app.person("rep", None).await;
    let (_, _, dist_user) = partner(&app, "苏州恒通分销", "dist").await;
    let customer = create_as(&app, &rep, "accounts", json!({"name": "华通机电", "tier": "key"})).await;
    let theirs = create_as(&app, &dist_user, "accounts", json!({"name": "华通机电有限公司"})).await;

    // Direct: the key customers' book, 10,000 less 10 % = 9,000 net.
    let direct = create_as(
        &app,
        &rep,
        "quotes",
        json!({"name": "直销报价", "account": customer["id"]}),
    )
    .await;
    assert_eq!(direct["price_book"], json!(c.key));
    create_as(
        &app,
        &rep,
        "quote_lines",
        json!({"quote": direct["id"], "product": c.server, "quantity": 2, "discount": "10"}),
    )
    .await;
    // A second direct quote at another price is the direct team's own business.
    let again = create_as(
        &app,
        &rep,
        "quotes",
        json!({"name": "直销二次报价", "account": customer["id"]}),
    )
    .await;
    create_as(
        &app,
        &rep,
        "quote_lines",
        json!({"quote": again["id"], "product": c.server, "quantity": 1, "discount": "30"}),
    )
    .await;
    assert!(conflicts(&app, "kind eq 'price'").await.is_empty(), "one lane");

    // The partner quotes from the partner book (read-only to it): 9,000 — the same as
    // the direct team's best, so within tolerance.
    let theirs_quote = create_as(
        &app,
        &dist_user,
        "quotes",
        json!({"name": "恒通报价", "account": theirs["id"]}),
    )
    .await;
    assert_eq!(theirs_quote["price_book"], json!(c.partner));
    assert_eq!(theirs_quote["channel"], "partner");
    let line = create_as(
        &app,
        &dist_user,
        "quote_lines",
        json!({"quote": theirs_quote["id"], "product": c.server, "quantity": 1}),
    )
    .await;
    let r = app
        .request_as(
            &dist_user,
            Method::POST,
            "/api/v1/price_books",
            Some(json!({"name": "自定价", "currency": "CNY"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);
    // 7,000 (direct, 30 % off) against 9,000: 28.57 % apart.
    let open = conflicts(&app, "kind eq 'price'").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let p = &open[0];
    assert_eq!(p["product"], json!(c.server));
    assert_eq!(p["low_price"]["amount"], "7000.00");
    assert_eq!(p["high_price"]["amount"], "9000.00");
    assert_eq!(p["price_spread"], "28.57");

    // Wider tolerance: a new gap within it raises nothing.
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/conflict-rules",
            Some(json!({"price_tolerance": 30})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let install = create_as(
        &app,
        &dist_user,
        "quote_lines",
        json!({"quote": theirs_quote["id"], "product": c.install, "quantity": 1, "unit_price": "600"}),
    )
    .await;
    create_as(
        &app,
        &rep,
        "quote_lines",
        json!({"quote": direct["id"], "product": c.install, "quantity": 1}),
    )
    .await;
    assert_eq!(
        conflicts(&app, "kind eq 'price'").await.len(),
        1,
        "700 against 600 is within 30 %"
    );
    let _ = (line, install);
}

#[tokio::test]
async fn the_conflict_shows_on_the_customer_and_the_deal_and_is_resolved_and_ruled_in_setup() {
    let app = TestApp::spawn().await;
    let (customer, direct) = deals_through_both_channels(&app).await;
    let conflict = conflicts(&app, "status eq 'open'").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut b = crate::web::Browser::signed_in(&app, "rep@example.org", "secret-password").await;
    for path in [
        format!("/o/opportunities/{}", direct["id"].as_str().unwrap()),
        format!("/o/accounts/{}", customer["id"].as_str().unwrap()),
    ] {
        let (status, _, page) = b.get(&path).await;
        assert_eq!(status, 200);
        assert!(page.contains("未处理的渠道冲突"), "{path}");
        assert!(
            !page.contains("冲突涉及记录"),
            "the card, not rows of parties: {path}"
        );
        assert!(
            page.contains(&format!("/o/channel_conflicts/{conflict}")),
            "{path}"
        );
    }
    // The list of conflicts is the object's list.
    let (status, _, list) = b.get("/o/channel_conflicts").await;
    assert_eq!(status, 200);
    assert!(list.contains("华通机电"), "{list}");

    let mut admin = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let path = format!("/o/channel_conflicts/{conflict}");
    let (_, _, page) = admin.get(&path).await;
    assert!(page.contains("处理冲突"), "the resolve form");
    assert!(page.contains("冲突涉及记录"), "what is involved, listed");
    let token = crate::web::csrf(&page);
    let (status, _, page) = admin
        .post(&format!("{path}/resolve"), &[("csrf", &token), ("decision", "")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"conflict-decision-error\""), "{page}");
    let (status, _, _) = admin
        .post(
            &format!("{path}/resolve"),
            &[
                ("csrf", &token),
                ("decision", "shared"),
                ("resolution", "共同跟进，恒通负责安装"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = admin.get(&path).await;
    assert!(!page.contains("id=\"conflict-decision\""), "resolved: no form");
    assert!(page.contains("共同跟进，恒通负责安装"));

    // The rules in setup: a bad tolerance is named beside its input.
    let (status, _, page) = admin.get("/admin/conflict-rules").await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"direct:partner\" checked"), "{page}");
    let token = crate::web::csrf(&page);
    let (status, _, page) = admin
        .post(
            "/admin/conflict-rules",
            &[
                ("csrf", &token),
                ("enabled", "on"),
                ("pairs", "direct:partner"),
                ("price_tolerance", "很多"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("rules-price_tolerance-error"), "{page}");
    let (status, _, _) = admin
        .post(
            "/admin/conflict-rules",
            &[
                ("csrf", &token),
                ("enabled", "on"),
                ("pairs", "direct:partner"),
                ("price_tolerance", "8"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let rules = app.get("/api/v1/admin/conflict-rules").await.body;
    assert_eq!(rules["pairs"], json!([["direct", "partner"]]));
    assert_eq!(rules["partners_conflict"], false, "unticked");
    assert_eq!(rules["price_tolerance"], "8");
}

#[tokio::test]
async fn the_conflict_worker_checks_customers_after_the_write_without_being_asked() {
    let app = TestApp::spawn().await;
    deals_through_both_channels(&app).await;
    // No settling here: the server's own worker, woken by the commit, finds it.
    for _ in 0..100 {
        if !app.list_all("channel_conflicts", "").await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the worker did not raise the conflict within 5 s");
}

//! Sharing beyond ownership, field-level security, partner and portal users: what a
//! user relies on when the company opens its data to other departments and to partners.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn set_access(app: &TestApp, object: &str, body: Value) {
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/admin/access/{object}"),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

async fn account_owned_by(app: &TestApp, owner: &str, name: &str, region: &str) -> String {
    let r = app
        .create(
            "accounts",
            json!({"name": name, "region": region, "owner": owner, "annual_revenue": {"amount": "1000000", "currency": "CNY"}}),
        )
        .await;
    r["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn criteria_rules_and_territories_share_matching_records_and_follow_their_changes() {
    let app = TestApp::spawn().await;
    let sales = app.add_role("Sales", None).await;
    let service = app.add_role("Service", None).await;
    let (seller, _) = app.person("seller", Some(&sales)).await;
    let (_, agent) = app.person("agent", Some(&service)).await;
    let (roamer_id, roamer) = app.person("roamer", None).await;
    for object in ["accounts", "leads"] {
        set_access(&app, object, json!({"sharing": "private"})).await;
    }
    let east = account_owned_by(&app, &seller, "华东精密机械有限公司", "华东").await;
    let north = account_owned_by(&app, &seller, "北方重工", "华北").await;
    let as_agent = |path: String| {
        let (app, agent) = (&app, agent.clone());
        async move { app.request_as(&agent, Method::GET, &path, None, &[]).await }
    };
    as_agent(format!("/api/v1/accounts/{east}"))
        .await
        .assert_problem_status(404);

    let rule = app
        .post(
            "/api/v1/admin/sharing-rules",
            json!({"object": "accounts", "name": "华东 to service", "criteria": "region eq '华东'",
                   "to": {"role": service}, "level": "read"}),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.body);
    assert_eq!(rule.body["object"], "account");
    assert_eq!(as_agent(format!("/api/v1/accounts/{east}")).await.status, 200);
    as_agent(format!("/api/v1/accounts/{north}"))
        .await
        .assert_problem_status(404);
    assert_eq!(
        ids(&as_agent("/api/v1/accounts".into()).await.body),
        vec![east.clone()]
    );
    // Read is not edit.
    app.request_as(
        &agent,
        Method::PATCH,
        &format!("/api/v1/accounts/{east}"),
        Some(json!({"name": "改名", "version": 1})),
        &[],
    )
    .await
    .assert_problem_status(403);
    // The owner moves the account out of the region: it leaves the agent's view at once.
    let r = app
        .patch(
            &format!("/api/v1/accounts/{east}"),
            json!({"region": "华南"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    as_agent(format!("/api/v1/accounts/{east}"))
        .await
        .assert_problem_status(404);
    assert!(ids(&as_agent("/api/v1/accounts".into()).await.body).is_empty());

    // A territory shares by region across every object whose fields fit: accounts and leads.
    let lead = app
        .create(
            "leads",
            json!({"name": "王磊", "status": "new", "region": "north", "owner": seller}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = app
        .post(
            "/api/v1/admin/territories",
            json!({"name": "华北大区", "criteria": "region in ('华北', '东北')", "members": [roamer_id], "level": "edit"}),
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.body);
    let seen = app
        .request_as(&roamer, Method::GET, "/api/v1/accounts", None, &[])
        .await;
    assert_eq!(ids(&seen.body), vec![north.clone()]);
    let seen = app
        .request_as(&roamer, Method::GET, "/api/v1/leads", None, &[])
        .await;
    assert_eq!(ids(&seen.body), vec![lead.clone()]);
    let edited = app
        .request_as(
            &roamer,
            Method::PATCH,
            &format!("/api/v1/leads/{lead}"),
            Some(json!({"company": "北方重工", "version": 1})),
            &[],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    app.request_as(
        &roamer,
        Method::DELETE,
        &format!("/api/v1/leads/{lead}"),
        None,
        &[],
    )
    .await
    .assert_problem_status(403);
    // Taking the member out ends it.
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/admin/territories/{}", t.id()),
            Some(json!({"members": []})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.request_as(&roamer, Method::GET, &format!("/api/v1/leads/{lead}"), None, &[])
        .await
        .assert_problem_status(404);

    // Deleting the rule ends what it shared.
    let r = app
        .patch(
            &format!("/api/v1/accounts/{east}"),
            json!({"region": "华东"}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(as_agent(format!("/api/v1/accounts/{east}")).await.status, 200);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/admin/sharing-rules/{}", rule.id()),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    as_agent(format!("/api/v1/accounts/{east}"))
        .await
        .assert_problem_status(404);

    let audited = app.audit_actions().await;
    for a in [
        "permission.sharing_rule",
        "permission.territory",
        "permission.sharing_rule.delete",
    ] {
        assert!(audited.iter().any(|x| x == a), "{a} in {audited:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_sharing_settings_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let r = app.add_role("Sales", None).await;
    let post = |body: Value| app.post("/api/v1/admin/sharing-rules", body);
    post(json!({"object": "accounts", "name": "x", "criteria": "name contains '华'", "to": {"role": r}, "level": "read"}))
        .await
        .assert_problem(422, "criteria.name");
    post(json!({"object": "accounts", "name": "x", "criteria": "colour eq 'red'", "to": {"role": r}, "level": "read"}))
        .await
        .assert_problem(422, "criteria.colour");
    post(json!({"object": "accounts", "name": "x", "criteria": "region eq '华东'", "to": {"team": uuid::Uuid::now_v7()}, "level": "read"}))
        .await
        .assert_problem(422, "to");
    post(json!({"object": "accounts", "name": "x", "criteria": "region eq '华东'", "to": {"role": r}, "level": "delete"}))
        .await
        .assert_problem(422, "level");
    post(json!({"object": "unicorns", "name": "x", "criteria": "region eq '华东'", "to": {"role": r}, "level": "read"}))
        .await
        .assert_problem(422, "object");
    app.post(
        "/api/v1/admin/territories",
        json!({"name": "t", "criteria": "nothing eq 1"}),
    )
    .await
    .assert_problem(422, "criteria.nothing");
    app.post(
        "/api/v1/admin/teams",
        json!({"name": "t", "members": [uuid::Uuid::now_v7()]}),
    )
    .await
    .assert_problem(422, "members[0]");
    assert_eq!(
        app.post("/api/v1/admin/teams", json!({"name": "t"})).await.status,
        201
    );
    app.post("/api/v1/admin/teams", json!({"name": "t"}))
        .await
        .assert_problem(422, "name");
    set_access(&app, "accounts", json!({})).await;
    for (fields, at) in [
        (
            json!({r.clone(): {"region": "secret"}}),
            format!("fields.{r}.region"),
        ),
        (
            json!({r.clone(): {"owner": "hidden"}}),
            format!("fields.{r}.owner"),
        ),
        (
            json!({r.clone(): {"colour": "hidden"}}),
            format!("fields.{r}.colour"),
        ),
    ] {
        app.request(
            Method::PUT,
            "/api/v1/admin/access/accounts",
            Some(json!({ "fields": fields })),
            &[],
        )
        .await
        .assert_problem(422, &at);
    }
    // Nothing of the refused settings was stored.
    assert_eq!(
        app.get("/api/v1/admin/sharing-rules").await.body["data"],
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/admin/access/accounts").await.body["fields"],
        json!({})
    );
    app.stop().await;
}

#[tokio::test]
async fn records_shared_by_hand_reach_users_and_teams_until_unshared() {
    let app = TestApp::spawn().await;
    set_access(&app, "opportunities", json!({"sharing": "private"})).await;
    let (owner_id, owner) = app.person("owner", None).await;
    let (friend_id, friend) = app.person("friend", None).await;
    let (_, stranger) = app.person("stranger", None).await;
    let r = app
        .request_as(
            &owner,
            Method::POST,
            "/api/v1/opportunities",
            Some(json!({"name": "苏州工业园区项目", "stage": "proposal", "close_date": "2026-12-31"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let opp = r.id();
    let path = format!("/api/v1/opportunities/{opp}");
    app.request_as(&friend, Method::GET, &path, None, &[])
        .await
        .assert_problem_status(404);
    // Only who holds full access may share: a stranger cannot even see it.
    app.request_as(
        &stranger,
        Method::POST,
        &format!("{path}/shares"),
        Some(json!({"user": friend_id, "level": "read"})),
        &[],
    )
    .await
    .assert_problem_status(404);
    let shared = app
        .request_as(
            &owner,
            Method::POST,
            &format!("{path}/shares"),
            Some(json!({"user": friend_id, "level": "read"})),
            &[],
        )
        .await;
    assert_eq!(shared.status, 201, "{}", shared.body);
    assert_eq!(
        app.request_as(&friend, Method::GET, &path, None, &[])
            .await
            .status,
        200
    );
    let listed = app
        .request_as(&friend, Method::GET, "/api/v1/opportunities", None, &[])
        .await;
    assert_eq!(ids(&listed.body), vec![opp.clone()]);
    app.request_as(
        &friend,
        Method::PATCH,
        &path,
        Some(json!({"amount": {"amount": "1", "currency": "CNY"}, "version": 1})),
        &[],
    )
    .await
    .assert_problem_status(403);
    // A reader may not pass it on.
    app.request_as(
        &friend,
        Method::POST,
        &format!("{path}/shares"),
        Some(json!({"user": owner_id, "level": "edit"})),
        &[],
    )
    .await
    .assert_problem_status(403);

    // Shared with a team at edit level: members edit, never delete.
    let team = app
        .post(
            "/api/v1/admin/teams",
            json!({"name": "项目组", "members": [friend_id]}),
        )
        .await
        .id();
    let r = app
        .request_as(
            &owner,
            Method::POST,
            &format!("{path}/shares"),
            Some(json!({"team": team, "level": "edit"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .request_as(
            &friend,
            Method::PATCH,
            &path,
            Some(json!({"probability": 60, "version": 1})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.request_as(&friend, Method::DELETE, &path, None, &[])
        .await
        .assert_problem_status(403);
    // Nor may they take the record over: transferring is for who holds it fully.
    app.request_as(
        &friend,
        Method::PATCH,
        &path,
        Some(json!({"owner": friend_id, "version": 2})),
        &[],
    )
    .await
    .assert_problem_status(403);
    let r = app
        .request_as(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"owner": owner_id, "version": 2})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "naming the same owner is no transfer: {}", r.body);
    let shares = app
        .request_as(&owner, Method::GET, &format!("{path}/shares"), None, &[])
        .await;
    assert_eq!(
        shares.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        shares.body
    );

    // Unsharing both ends it.
    for grantee in [&friend_id, &team] {
        let r = app
            .request_as(
                &owner,
                Method::DELETE,
                &format!("{path}/shares/{grantee}"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    app.request_as(&friend, Method::GET, &path, None, &[])
        .await
        .assert_problem_status(404);
    app.request_as(
        &owner,
        Method::DELETE,
        &format!("{path}/shares/{friend_id}"),
        None,
        &[],
    )
    .await
    .assert_problem_status(404);
    app.request_as(
        &owner,
        Method::POST,
        &format!("{path}/shares"),
        Some(json!({"user": friend_id, "level": "own"})),
        &[],
    )
    .await
    .assert_problem(422, "level");
    let audited = app.audit_actions().await;
    assert_eq!(audited.iter().filter(|a| *a == "record.share").count(), 2);
    assert_eq!(audited.iter().filter(|a| *a == "record.unshare").count(), 2);
    app.stop().await;
}

#[tokio::test]
async fn hidden_fields_never_appear_and_read_only_fields_refuse_changes() {
    let app = TestApp::spawn().await;
    let rep_role = app.add_role("Rep", None).await;
    let (rep_id, rep) = app.person("rep", Some(&rep_role)).await;
    set_access(
        &app,
        "accounts",
        json!({"fields": {rep_role.clone(): {"annual_revenue": "hidden", "tier": "read_only"}}}),
    )
    .await;
    let acc = account_owned_by(&app, &rep_id, "上海申通贸易有限公司", "华东").await;
    let path = format!("/api/v1/accounts/{acc}");
    let as_rep = |method: Method, p: String, body: Option<Value>| {
        let rep = rep.clone();
        let app = &app;
        async move { app.request_as(&rep, method, &p, body, &[]).await }
    };

    let got = as_rep(Method::GET, path.clone(), None).await;
    assert_eq!(got.status, 200);
    assert!(got.body.get("annual_revenue").is_none(), "{}", got.body);
    assert!(got.body.get("tier").is_some());
    let listed = as_rep(Method::GET, "/api/v1/accounts".into(), None).await;
    assert!(listed.body["data"][0].get("annual_revenue").is_none());
    assert!(!listed.body.to_string().contains("1000000"));
    for query in [
        "filter=annual_revenue%20gt%200",
        "sort=-annual_revenue",
        "fields=name,annual_revenue",
    ] {
        let r = as_rep(Method::GET, format!("/api/v1/accounts?{query}"), None).await;
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert!(
            r.body["errors"][0]["field"]
                .as_str()
                .unwrap()
                .contains("annual_revenue")
                || r.body["errors"][0]["field"] == "sort"
                || r.body["errors"][0]["field"] == "fields",
            "{}",
            r.body
        );
    }
    let meta = as_rep(Method::GET, "/api/v1/metadata/objects/account".into(), None).await;
    assert!(
        !meta.body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "annual_revenue")
    );
    as_rep(
        Method::PATCH,
        path.clone(),
        Some(json!({"annual_revenue": {"amount": "1", "currency": "CNY"}, "version": 1})),
    )
    .await
    .assert_problem(422, "annual_revenue");
    as_rep(
        Method::PATCH,
        path.clone(),
        Some(json!({"tier": "key", "version": 1})),
    )
    .await
    .assert_problem(422, "tier");
    let created = as_rep(
        Method::POST,
        "/api/v1/accounts".into(),
        Some(json!({"name": "x", "annual_revenue": {"amount": "5", "currency": "CNY"}})),
    )
    .await;
    created.assert_problem(422, "annual_revenue");
    // An edit the rep may make comes back without the hidden field, too.
    let edited = as_rep(
        Method::PATCH,
        path.clone(),
        Some(json!({"city": "上海", "version": 1})),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(edited.body.get("annual_revenue").is_none());
    // The administrator changes the revenue: the rep's history does not show it.
    let r = app
        .patch(
            &path,
            json!({"annual_revenue": {"amount": "2000000", "currency": "CNY"}}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let history = as_rep(Method::GET, format!("{path}/history"), None).await;
    assert_eq!(history.status, 200);
    assert!(
        !history.body.to_string().contains("annual_revenue"),
        "{}",
        history.body
    );
    assert!(history.body.to_string().contains("city"));
    // The administrator still sees everything.
    assert_eq!(
        app.get(&path).await.body["annual_revenue"]["amount"],
        "2000000.00"
    );
    app.stop().await;
}

#[tokio::test]
async fn partner_users_see_their_company_and_what_is_shared_with_it_never_another_partner() {
    let app = TestApp::spawn().await;
    set_access(&app, "leads", json!({"sharing": "public_read_write"})).await;
    let admin_id = app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dist_a = account_owned_by(&app, &admin_id, "华强经销商", "华南").await;
    let dist_b = account_owned_by(&app, &admin_id, "北辰代理", "华北").await;
    let (a1_id, a1) = app.person("a1", None).await;
    let (a2_id, a2) = app.person("a2", None).await;
    let (b1_id, b1) = app.person("b1", None).await;
    let (_, staff) = app.person("staff", None).await;
    for (id, account) in [(&a1_id, &dist_a), (&a2_id, &dist_a), (&b1_id, &dist_b)] {
        app.make_partner(id, account).await;
    }
    let users = app.get("/api/v1/admin/users").await;
    assert!(
        users.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["kind"] == "partner" && u["partner_account"] == dist_a.as_str())
    );

    let company_lead = app
        .create("leads", json!({"name": "内部线索", "status": "new"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .request_as(
            &a1,
            Method::POST,
            "/api/v1/leads",
            Some(json!({"name": "深圳客户", "status": "new"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let a_lead = r.id();
    let r = app
        .request_as(
            &b1,
            Method::POST,
            "/api/v1/leads",
            Some(json!({"name": "天津客户", "status": "new"})),
            &[],
        )
        .await;
    let b_lead = r.id();

    let list = |token: String| {
        let app = &app;
        async move {
            let mut v = ids(&app
                .request_as(&token, Method::GET, "/api/v1/leads", None, &[])
                .await
                .body);
            v.sort();
            v
        }
    };
    // The company-wide default (public read/write) is for staff only.
    assert_eq!(list(a1.clone()).await, vec![a_lead.clone()]);
    assert_eq!(
        list(a2.clone()).await,
        vec![a_lead.clone()],
        "a colleague at the same partner reads it"
    );
    assert_eq!(list(b1.clone()).await, vec![b_lead.clone()]);
    assert_eq!(list(staff.clone()).await.len(), 3);
    app.request_as(&b1, Method::GET, &format!("/api/v1/leads/{a_lead}"), None, &[])
        .await
        .assert_problem_status(404);
    app.request_as(
        &a2,
        Method::PATCH,
        &format!("/api/v1/leads/{a_lead}"),
        Some(json!({"company": "x", "version": 1})),
        &[],
    )
    .await
    .assert_problem_status(403);
    app.request_as(
        &a1,
        Method::GET,
        &format!("/api/v1/leads/{company_lead}"),
        None,
        &[],
    )
    .await
    .assert_problem_status(404);

    // The company shares a lead with partner A: both its users work it, B still does not see it.
    let r = app
        .post(
            &format!("/api/v1/leads/{company_lead}/shares"),
            json!({"partner": dist_a, "level": "edit"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut want = vec![a_lead.clone(), company_lead.clone()];
    want.sort();
    assert_eq!(list(a2.clone()).await, want);
    let r = app
        .request_as(
            &a2,
            Method::PATCH,
            &format!("/api/v1/leads/{company_lead}"),
            Some(json!({"company": "华强", "version": 1})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(list(b1.clone()).await, vec![b_lead.clone()]);

    // Partners are never administrators, and a partner user needs a live partner account.
    app.request_as(&a1, Method::GET, "/api/v1/audit", None, &[])
        .await
        .assert_problem_status(403);
    app.request(
        Method::PATCH,
        &format!("/api/v1/admin/users/{b1_id}"),
        Some(json!({"kind": "partner", "partner_account": uuid::Uuid::now_v7()})),
        &[],
    )
    .await
    .assert_problem(422, "partner_account");
    app.request(
        Method::PATCH,
        &format!("/api/v1/admin/users/{admin_id}"),
        Some(json!({"kind": "partner", "partner_account": dist_a})),
        &[],
    )
    .await
    .assert_problem(422, "kind");
    app.request(
        Method::PATCH,
        &format!("/api/v1/admin/users/{b1_id}"),
        Some(json!({"kind": "supplier"})),
        &[],
    )
    .await
    .assert_problem(422, "kind");

    // Portal users (customers) have no business in the staff API's records.
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/admin/users/{b1_id}"),
            Some(json!({"kind": "portal"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    app.request_as(&b1, Method::GET, "/api/v1/leads", None, &[])
        .await
        .assert_problem_status(403);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "permission.user.access")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_upsert_key_held_by_a_record_out_of_sight_reads_as_taken() {
    let app = TestApp::spawn().await;
    set_access(&app, "contacts", json!({"sharing": "private"})).await;
    let (_, rep) = app.person("rep", None).await;
    app.create("contacts", json!({"name": "张伟", "external_id": "ERP-1"}))
        .await;
    let r = app
        .request_as(
            &rep,
            Method::POST,
            "/api/v1/contacts/bulk",
            Some(json!({"upsert_on": "external_id", "records": [{"external_id": "ERP-1", "name": "李娜"}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["results"][0]["problem"]["errors"][0]["field"], "external_id",
        "{}",
        r.body
    );
    assert_eq!(app.list_all("contacts", "").await[0]["name"], "张伟");
    app.stop().await;
}

#[tokio::test]
async fn a_lookup_may_only_point_at_a_record_its_writer_can_read() {
    let app = TestApp::spawn().await;
    set_access(&app, "accounts", json!({"sharing": "private"})).await;
    let (rep_id, rep) = app.person("rep", None).await;
    let admin_id = app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = account_owned_by(&app, &admin_id, "杭州娃哈哈", "华东").await;
    let contact = json!({"name": "宗馥莉", "account": theirs});
    app.request_as(&rep, Method::POST, "/api/v1/contacts", Some(contact.clone()), &[])
        .await
        .assert_problem(422, "account");
    let r = app
        .post(
            &format!("/api/v1/accounts/{theirs}/shares"),
            json!({"user": rep_id, "level": "read"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .request_as(&rep, Method::POST, "/api/v1/contacts", Some(contact), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn a_restricted_reader_pages_through_every_visible_record_once_in_order() {
    let app = TestApp::spawn().await;
    set_access(&app, "accounts", json!({"sharing": "private"})).await;
    let sales = app.add_role("Sales", None).await;
    let (rep_id, rep) = app.person("rep", Some(&sales)).await;
    let (other_id, _) = app.person("other", None).await;
    let r = app
        .post(
            "/api/v1/admin/sharing-rules",
            json!({"object": "accounts", "name": "华南", "criteria": "region eq '华南'", "to": {"role": sales}, "level": "read"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let mut want = Vec::new();
    for i in 0..7 {
        // Own, matching the rule, shared by hand, and one of each also matching another way.
        let (owner, region) = match i % 4 {
            0 => (&rep_id, "华东"),
            1 => (&other_id, "华南"),
            2 => (&other_id, "华北"),
            _ => (&rep_id, "华南"),
        };
        let id = account_owned_by(&app, owner, &format!("客户{}", 7 - i), region).await;
        if i % 4 == 2 || i == 1 {
            let r = app
                .post(
                    &format!("/api/v1/accounts/{id}/shares"),
                    json!({"user": rep_id, "level": "read"}),
                )
                .await;
            assert_eq!(r.status, 201);
        }
        want.push(id);
    }
    account_owned_by(&app, &other_id, "看不见的客户", "西北").await;
    for sort in ["name", "-name", "-created_at", "id"] {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = app
                .request_as(
                    &rep,
                    Method::GET,
                    &format!("/api/v1/accounts?sort={sort}&limit=2&cursor={cursor}"),
                    None,
                    &[],
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            for rec in r.body["data"].as_array().unwrap() {
                seen.push((
                    rec["id"].as_str().unwrap().into(),
                    rec["name"].as_str().unwrap().into(),
                ));
            }
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        let mut ids: Vec<String> = seen.iter().map(|(i, _)| i.clone()).collect();
        assert_eq!(ids.len(), 7, "{sort}: {seen:?}");
        ids.sort();
        let mut expected = want.clone();
        expected.sort();
        assert_eq!(ids, expected, "{sort}");
        let names: Vec<&String> = seen.iter().map(|(_, n)| n).collect();
        let mut ordered = names.clone();
        match sort {
            "name" => ordered.sort(),
            "-name" => ordered.sort_by(|a, b| b.cmp(a)),
            _ => {}
        }
        assert_eq!(names, ordered, "{sort}");
    }
    app.stop().await;
}

#[tokio::test]
async fn many_edits_at_once_of_records_shared_by_hand_all_go_through() {
    // Each edit checks the manual share inside its own transaction: reading it through a
    // second pooled connection would let a burst of such writers starve the pool.
    let app = TestApp::spawn().await;
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/contacts",
            Some(json!({"sharing": "private"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = app
        .request_as(&app.user_token, Method::GET, "/api/v1/me", None, &[])
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for i in 0..40 {
        let id = app
            .create("contacts", json!({"name": format!("共享联系人{i}")}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(
                &format!("/api/v1/contacts/{id}/shares"),
                json!({"user": me, "level": "edit"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(id);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (url, token, id) = (app.url.clone(), app.user_token.clone(), id.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .patch(format!("{url}/api/v1/contacts/{id}"))
                    .bearer_auth(token)
                    .header("If-Match", "1")
                    .json(&json!({"city": "厦门"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(
        app.list_all("contacts", "filter=city%20eq%20'%E5%8E%A6%E9%97%A8'")
            .await
            .len(),
        40
    );
    app.stop().await;
}

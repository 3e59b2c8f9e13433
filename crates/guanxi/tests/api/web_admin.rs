//! The setup pages in a browser without JavaScript: administrators only, every change
//! through the same services (and audit) as the admin API, errors beside the inputs,
//! page layouts that change record pages, API tokens shown once, CSRF on every form.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

const ADMIN: (&str, &str) = ("admin@example.com", "admin-password");
const REP: (&str, &str) = ("rep@example.com", "rep-password");

async fn signed_in(app: &TestApp, (email, password): (&str, &str)) -> Browser {
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(status, 303, "{email} signs in");
    b
}

/// The session's CSRF token, read from any page.
async fn token_of(b: &mut Browser) -> String {
    let (_, _, page) = b.get("/").await;
    csrf(&page)
}

async fn field_names(app: &TestApp, object: &str) -> Vec<String> {
    let r = app.get(&format!("/api/v1/metadata/objects/{object}")).await;
    r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

fn data(r: &crate::helpers::Resp) -> Vec<Value> {
    r.body["data"].as_array().cloned().unwrap_or_default()
}

fn id_named(list: &[Value], key: &str, value: &str) -> String {
    list.iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {list:?}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn only_administrators_reach_the_setup_pages() {
    let app = TestApp::spawn().await;
    let mut anonymous = Browser::new(&app);
    let (status, to, _) = anonymous.get("/admin").await;
    assert_eq!((status, to.as_str()), (303, "/login"));

    let mut rep = signed_in(&app, REP).await;
    let (_, _, home) = rep.get("/").await;
    assert!(!home.contains("href=\"/admin\""), "no Setup link for a rep");
    let token = csrf(&home);
    for path in [
        "/admin",
        "/admin/objects",
        "/admin/objects/contact",
        "/admin/objects/contacts/layout",
        "/admin/users",
        "/admin/roles",
        "/admin/access/contact",
        "/admin/teams",
        "/admin/sharing-rules",
        "/admin/tokens",
        "/admin/audit",
        "/admin/sales-processes",
        "/admin/sales-processes/new",
        "/admin/assignment-rules",
    ] {
        let (status, _, page) = rep.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(page.contains("只有管理员可以执行此操作"), "{path}: {page}");
    }
    let (status, _, _) = rep
        .post(
            "/admin/objects/contact/fields",
            &[("csrf", &token), ("name", "secret_note"), ("type", "text")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = rep
        .post("/admin/roles", &[("csrf", &token), ("name", "Boss")])
        .await;
    assert_eq!(status, 403);
    assert!(
        !field_names(&app, "contact")
            .await
            .contains(&"secret_note".to_string())
    );
    assert!(data(&app.get("/api/v1/admin/roles").await).is_empty());

    let mut admin = signed_in(&app, ADMIN).await;
    let (_, _, home) = admin.get("/").await;
    assert!(home.contains("<a href=\"/admin\">设置</a>"), "{home}");
    let (status, _, index) = admin.get("/admin").await;
    assert_eq!(status, 200);
    for area in ["/admin/objects", "/admin/users", "/admin/audit", "/admin/tokens"] {
        assert!(index.contains(&format!("href=\"{area}\"")), "{area}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_administrator_adds_a_picklist_field_that_then_shows_on_the_record_form() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, ADMIN).await;
    let (status, _, page) = b.get("/admin/objects/contact").await;
    assert_eq!(status, 200);
    assert!(page.contains("<label for=\"field-name\">"), "labelled inputs");
    let token = csrf(&page);
    let before = field_names(&app, "contact").await;

    let (status, _, page) = b
        .post(
            "/admin/objects/contact/fields",
            &[
                ("csrf", &token),
                ("name", "Bad Name"),
                ("type", "picklist"),
                ("label_zh_cn", "客户等级"),
                ("options", "gold"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(
            "id=\"field-name\" type=\"text\" name=\"name\" value=\"Bad Name\" aria-invalid=\"true\" \
             aria-describedby=\"field-name-error\""
        ),
        "the name input is marked and tied to its error: {page}"
    );
    assert!(page.contains("<p class=\"error\" id=\"field-name-error\">"));
    assert!(page.contains("value=\"客户等级\""), "what was typed stays");
    assert_eq!(field_names(&app, "contact").await, before, "nothing added");

    let (status, to, _) = b
        .post(
            "/admin/objects/contact/fields",
            &[
                ("csrf", &token),
                ("name", "tier"),
                ("type", "picklist"),
                ("label_en", "Tier"),
                ("label_zh_cn", "客户等级"),
                ("label_zh_tw", "客戶等級"),
                ("indexed", "on"),
                (
                    "options",
                    "gold | Gold | 金牌 | 金牌\nsilver | Silver | 银牌 | 銀牌\n",
                ),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/objects/contact"));
    let (_, _, page) = b.get(&to).await;
    assert!(page.contains("<code>tier</code>") && page.contains("客户等级"));

    let (_, _, form) = b.get("/o/contacts/new").await;
    assert!(form.contains("<label for=\"f-tier\">客户等级</label>"), "{form}");
    assert!(form.contains("<option value=\"gold\">金牌</option>"));
    assert!(form.contains("<option value=\"silver\">银牌</option>"));
    let (status, to, _) = b
        .post(
            "/o/contacts/new",
            &[("csrf", &token), ("name", "王强"), ("tier", "silver")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, record) = b.get(&to).await;
    assert!(record.contains("<dt>客户等级</dt><dd>银牌</dd>"), "{record}");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"metadata.field.create".to_string()));

    // A custom object: a taken plural is refused beside its input; then it is added.
    let (status, _, page) = b
        .post(
            "/admin/objects",
            &[("csrf", &token), ("name", "project"), ("plural", "contacts")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"object-plural-error\""), "{page}");
    assert!(page.contains("value=\"project\""));
    let (status, to, _) = b
        .post(
            "/admin/objects",
            &[
                ("csrf", &token),
                ("name", "project"),
                ("plural", "projects"),
                ("label_zh_cn", "项目"),
                ("plural_label_en", "Projects"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/objects/project"));
    let (_, _, list) = b.get("/o/projects").await;
    assert!(
        list.contains("<h1>Projects</h1>"),
        "the list of the new object: {list}"
    );
    let meta = app.get("/api/v1/metadata/objects/project").await;
    assert_eq!(
        meta.body["label"]["en"], "项目",
        "an empty label takes the one given"
    );
    assert_eq!(meta.body["plural_label"]["en"], "Projects");
    app.stop().await;
}

#[tokio::test]
async fn a_saved_layout_orders_the_record_page_and_form_and_is_audited() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, ADMIN).await;
    let (status, _, page) = b.get("/admin/objects/contact/layout").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("## Details | 详细信息 | 詳細資料\nname\n"),
        "the default layout in the line format: {page}"
    );
    let token = csrf(&page);
    let path = "/admin/objects/contact/layout";

    let (status, _, page) = b
        .post(path, &[("csrf", &token), ("layout", "mobile\n## 联系\n")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("第 1 行"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    let (status, _, page) = b
        .post(
            path,
            &[
                ("csrf", &token),
                ("layout", "## Reach | 联系方式 | 聯絡方式\nmobile\nfax_number\n"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("第 3 行") && page.contains("fax_number"),
        "the line and the field: {page}"
    );
    let stored = app.get("/api/v1/admin/layouts/contact").await;
    assert_eq!(
        stored.body["sections"][0]["label"]["en"], "Details",
        "nothing saved"
    );

    let layout = "## Reach | 联系方式 | 聯絡方式\nmobile\nname\n\n## Where | 地址信息 | 地址資訊\ncity\n";
    let (status, to, _) = b.post(path, &[("csrf", &token), ("layout", layout)]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/admin/objects/contact/layout?saved=1")
    );
    let (_, _, page) = b.get(&to).await;
    assert!(page.contains("已保存") && page.contains("## Reach | 联系方式 | 聯絡方式\nmobile\nname\n"));

    let id = app
        .create(
            "contacts",
            json!({"name": "张伟", "mobile": "13800138000", "city": "上海", "title": "经理"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    let reach = page
        .find("<h2 id=\"section-0\">联系方式</h2>")
        .expect("first section");
    let place = page.find(">地址信息</h2>").expect("second section");
    assert!(!page.contains(">详细信息</h2>"), "the default heading is gone");
    let mobile = page.find("<dt>手机</dt>").unwrap();
    let name = page.find("<dt>姓名</dt>").unwrap();
    let city = page.find("<dt>城市</dt>").unwrap();
    let title = page.find("<dt>职务</dt>").unwrap();
    assert!(reach < mobile && mobile < name && name < place && place < city);
    assert!(city < title, "fields left out come last, in the last section");

    let (_, _, form) = b.get("/o/contacts/new").await;
    let reach = form.find("<legend>联系方式</legend>").expect("{form}");
    let place = form.find("<legend>地址信息</legend>").unwrap();
    let mobile = form.find("id=\"f-mobile\"").unwrap();
    let name = form.find("id=\"f-name\"").unwrap();
    let city = form.find("id=\"f-city\"").unwrap();
    assert!(reach < mobile && mobile < name && name < place && place < city);

    // A field hidden from a role stays hidden, wherever the layout puts it.
    let role = app.post("/api/v1/admin/roles", json!({"name": "Rep"})).await.id();
    let users = data(&app.get("/api/v1/admin/users").await);
    let rep = id_named(&users, "email", "rep@example.com");
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/admin/users/{rep}"),
            Some(json!({ "role": role })),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/contacts",
            Some(json!({"fields": {role.clone(): {"mobile": "hidden"}}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut rep = signed_in(&app, REP).await;
    let (status, _, page) = rep.get(&format!("/o/contacts/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(">联系方式</h2>") && page.contains("<dt>姓名</dt>"));
    assert!(!page.contains("手机") && !page.contains("13800138000"));

    let (status, _, audit) = b.get("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(audit.contains("<code>layout.update</code>"), "{audit}");
    let (_, _, filtered) = b.get("/admin/audit?action=layout.update").await;
    assert!(filtered.contains("<code>layout.update</code>"));
    assert!(!filtered.contains("<code>user.create</code>"));
    let (status, _, bad) = b.get("/admin/audit?actor=nobody%40example.com").await;
    assert_eq!(status, 422);
    assert!(bad.contains("id=\"audit-actor-error\""));
    app.stop().await;
}

#[tokio::test]
async fn the_layout_api_names_the_field_it_refuses() {
    let app = TestApp::spawn().await;
    let put = |body: Value| app.request(Method::PUT, "/api/v1/admin/layouts/contacts", Some(body), &[]);
    let r = put(json!({"sections": [{"label": "Main", "fields": ["name", "nope"]}]})).await;
    r.assert_problem(422, "sections[0].fields[1]");
    assert!(r.body["detail"].as_str().unwrap().contains("nope"), "{}", r.body);
    let r = put(json!({"sections": [{"label": "Main", "fields": ["name", "name"]}]})).await;
    r.assert_problem(422, "sections[0].fields[1]");
    put(json!({"sections": []})).await.assert_problem(422, "sections");
    put(json!({"sections": [{"label": " ", "fields": []}]}))
        .await
        .assert_problem(422, "sections[0].label");

    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/admin/layouts/contacts",
            None,
            &[],
        )
        .await;
    r.assert_problem_status(403);
    app.get("/api/v1/admin/layouts/nothing")
        .await
        .assert_problem_status(404);

    let r = put(
        json!({"sections": [{"label": {"en": "Top", "zh-CN": "顶部", "zh-TW": "頂部"}, "fields": ["city"]}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fields = r.body["sections"][0]["fields"].as_array().unwrap().clone();
    assert_eq!(fields[0], "city");
    assert!(fields.contains(&json!("name")), "fields left out are appended");
    assert!(!fields.contains(&json!("id")) && !fields.contains(&json!("version")));
    let got = app.get("/api/v1/admin/layouts/contact").await;
    assert_eq!(got.body["sections"], r.body["sections"]);
    assert_eq!(got.body["object"], "contact");
    // What GET answers can be sent back as it is.
    let again = put(got.body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(app.audit_actions().await.contains(&"layout.update".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn a_token_created_on_the_page_is_shown_once_works_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, ADMIN).await;
    let (status, _, page) = b.get("/admin/tokens").await;
    assert_eq!(status, 200);
    let token = csrf(&page);
    let (status, _, page) = b
        .post(
            "/admin/tokens",
            &[
                ("csrf", &token),
                ("name", "部署"),
                ("expires_days", "soon"),
                ("scope.read", "on"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"token-expires_days-error\""));
    let (status, _, page) = b
        .post(
            "/admin/tokens",
            &[
                ("csrf", &token),
                ("name", "部署脚本"),
                ("expires_days", "30"),
                ("scope.read", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("不会再次显示"), "{page}");
    let at = page.find("value=\"gx_").expect("the token") + "value=\"".len();
    let secret = page[at..].split('"').next().unwrap().to_string();

    let me = app
        .request_as(&secret, Method::GET, "/api/v1/me", None, &[])
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "admin@example.com");
    let write = app
        .request_as(
            &secret,
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "x"})),
            &[],
        )
        .await;
    write.assert_problem_status(403);

    let (_, _, list) = b.get("/admin/tokens").await;
    assert!(!list.contains(&secret), "never shown again");
    assert!(list.contains("部署脚本") && list.contains(&secret[..10]));
    assert!(
        list.contains("data-label=\"最近使用\"><time"),
        "its last use is shown"
    );

    let mine = data(&app.get("/api/v1/me/tokens").await);
    let id = id_named(&mine, "name", "部署脚本");
    let revoke = format!("/admin/tokens/{id}/revoke");
    assert!(list.contains(&format!("action=\"{revoke}\"")));
    let (status, _, _) = b.post(&revoke, &[]).await;
    assert_eq!(status, 403, "not without the CSRF token");
    let still = app
        .request_as(&secret, Method::GET, "/api/v1/me", None, &[])
        .await;
    assert_eq!(still.status, 200);
    let (status, to, _) = b.post(&revoke, &[("csrf", &token)]).await;
    assert_eq!((status, to.as_str()), (303, "/admin/tokens"));
    let gone = app
        .request_as(&secret, Method::GET, "/api/v1/me", None, &[])
        .await;
    assert_eq!(gone.status, 401);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"token.create".to_string()) && actions.contains(&"token.revoke".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn every_setup_form_is_refused_without_the_csrf_token() {
    let app = TestApp::spawn().await;
    let role = app.post("/api/v1/admin/roles", json!({"name": "Rep"})).await.id();
    let team = app
        .post("/api/v1/admin/teams", json!({"name": "East", "members": []}))
        .await
        .id();
    let rule = app
        .post(
            "/api/v1/admin/sharing-rules",
            json!({"object": "contact", "name": "r", "owners": {"role": role}, "to": {"role": role}, "level": "read"}),
        )
        .await
        .id();
    let users = data(&app.get("/api/v1/admin/users").await);
    let rep = id_named(&users, "email", "rep@example.com");
    let tokens = data(&app.get("/api/v1/me/tokens").await);
    let token_id = id_named(&tokens, "name", "tests");
    let mut b = signed_in(&app, ADMIN).await;
    let real = token_of(&mut b).await;
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/objects".into(),
            vec![("name", "gadget"), ("plural", "gadgets")],
        ),
        (
            "/admin/objects/contact/fields".into(),
            vec![("name", "x1"), ("type", "text")],
        ),
        (
            "/admin/objects/contact/layout".into(),
            vec![("layout", "## A\ncity\n")],
        ),
        (
            "/admin/users".into(),
            vec![
                ("name", "N"),
                ("email", "n@example.com"),
                ("password", "long-password"),
            ],
        ),
        (
            format!("/admin/users/{rep}"),
            vec![("role", ""), ("kind", "portal")],
        ),
        ("/admin/roles".into(), vec![("name", "Boss")]),
        ("/admin/access/contact".into(), vec![("sharing", "private")]),
        ("/admin/teams".into(), vec![("name", "West")]),
        (format!("/admin/teams/{team}/delete"), vec![]),
        (
            "/admin/sharing-rules".into(),
            vec![
                ("object", "contact"),
                ("name", "s"),
                ("to", "team:x"),
                ("level", "read"),
            ],
        ),
        (format!("/admin/sharing-rules/{rule}/delete"), vec![]),
        ("/admin/tokens".into(), vec![("name", "t"), ("scope.read", "on")]),
        (format!("/admin/tokens/{token_id}/revoke"), vec![]),
    ];
    for (path, fields) in &posts {
        let (status, _, page) = b.post(path, fields).await;
        assert_eq!(status, 403, "{path} without a token");
        assert!(page.contains("CSRF"), "{path}: {page}");
        let mut forged = fields.clone();
        forged.push(("csrf", "forged"));
        let (status, _, _) = b.post(path, &forged).await;
        assert_eq!(status, 403, "{path} with a forged token");
    }
    // Nothing changed.
    assert!(!field_names(&app, "contact").await.contains(&"x1".to_string()));
    assert!(app.get("/api/v1/metadata/objects/gadget").await.status == 404);
    assert_eq!(data(&app.get("/api/v1/admin/roles").await).len(), 1);
    assert_eq!(data(&app.get("/api/v1/admin/teams").await).len(), 1);
    assert_eq!(data(&app.get("/api/v1/admin/sharing-rules").await).len(), 1);
    assert_eq!(app.get("/api/v1/me").await.status, 200, "the token is live");
    let access = app.get("/api/v1/admin/access/contacts").await;
    assert_eq!(access.body["sharing"], "public_read_write");
    let users = data(&app.get("/api/v1/admin/users").await);
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| u["kind"] == "internal"));
    let layout = app.get("/api/v1/admin/layouts/contact").await;
    assert_eq!(layout.body["sections"][0]["label"]["en"], "Details");
    // The real token still works, so the refusals were about the token.
    let (status, _, _) = b.post("/admin/roles", &[("csrf", &real), ("name", "Boss")]).await;
    assert_eq!(status, 303);
    app.stop().await;
}

#[tokio::test]
async fn roles_users_permissions_teams_and_rules_are_set_up_through_forms() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, ADMIN).await;
    let token = token_of(&mut b).await;

    // Roles, as a hierarchy.
    let (status, _, _) = b
        .post("/admin/roles", &[("csrf", &token), ("name", "销售总监")])
        .await;
    assert_eq!(status, 303);
    let roles = data(&app.get("/api/v1/admin/roles").await);
    let director = id_named(&roles, "name", "销售总监");
    let (status, _, _) = b
        .post(
            "/admin/roles",
            &[("csrf", &token), ("name", "华东销售"), ("parent", &director)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = b
        .post("/admin/roles", &[("csrf", &token), ("name", "销售总监")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"role-name-error\""), "{page}");
    let (_, _, page) = b.get("/admin/roles").await;
    assert!(
        page.contains("<li>销售总监<ul class=\"tree\"><li>华东销售</li></ul></li>"),
        "the hierarchy as nested lists: {page}"
    );
    let roles = data(&app.get("/api/v1/admin/roles").await);
    let east = id_named(&roles, "name", "华东销售");

    // A user, with a role; a short password is refused and nothing is created.
    let new_user = |password: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("name", "王芳".to_string()),
            ("email", "wang@example.com".to_string()),
            ("password", password.to_string()),
            ("locale", "zh-TW".to_string()),
            ("role", east.clone()),
        ]
    };
    let short = new_user("short");
    let short: Vec<(&str, &str)> = short.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = b.post("/admin/users", &short).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"new-user-password-error\""), "{page}");
    assert!(page.contains("value=\"wang@example.com\""));
    assert_eq!(data(&app.get("/api/v1/admin/users").await).len(), 2);
    let good = new_user("wang-password-1");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to, _) = b.post("/admin/users", &good).await;
    assert_eq!((status, to.as_str()), (303, "/admin/users"));
    let users = data(&app.get("/api/v1/admin/users").await);
    let wang = users.iter().find(|u| u["email"] == "wang@example.com").unwrap();
    assert_eq!(wang["role"], json!(east));
    assert_eq!(wang["locale"], "zh-TW");
    let wang_id = wang["id"].as_str().unwrap().to_string();
    signed_in(&app, ("wang@example.com", "wang-password-1")).await;
    let created = app.get("/api/v1/audit?action=user.create&limit=1").await;
    assert_eq!(data(&created)[0]["actor_email"], "admin@example.com");

    // Her kind and role change through the same service as PATCH /admin/users/{id}.
    let change = format!("/admin/users/{wang_id}");
    let (status, _, page) = b
        .post(&change, &[("csrf", &token), ("role", &east), ("kind", "partner")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"user-{wang_id}-partner_account-error\"")),
        "{page}"
    );
    let (status, _, _) = b
        .post(&change, &[("csrf", &token), ("role", ""), ("kind", "portal")])
        .await;
    assert_eq!(status, 303);
    let users = data(&app.get("/api/v1/admin/users").await);
    let wang = users.iter().find(|u| u["email"] == "wang@example.com").unwrap();
    assert_eq!(
        (wang["kind"].clone(), wang["role"].clone()),
        (json!("portal"), Value::Null)
    );
    let (status, _, _) = b
        .post(
            &change,
            &[("csrf", &token), ("role", &east), ("kind", "internal")],
        )
        .await;
    assert_eq!(status, 303);

    // Object permissions: only the boxes changed become settings of their own.
    let (status, _, page) = b.get("/admin/access/contact").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("name=\"{east}.view_all\"")));
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), token.clone()),
        ("sharing".into(), "private".into()),
        (format!("{east}.read"), "on".into()),
    ];
    for p in ["read", "create", "edit", "delete"] {
        form.push((format!("{director}.{p}"), "on".into()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, to, _) = b.post("/admin/access/contact", &form).await;
    assert_eq!((status, to.as_str()), (303, "/admin/access/contact?saved=1"));
    let access = app.get("/api/v1/admin/access/contacts").await;
    assert_eq!(access.body["sharing"], "private");
    assert_eq!(
        access.body["roles"][&east],
        json!({"read": true, "create": false, "edit": false, "delete": false, "view_all": false, "modify_all": false})
    );
    assert!(
        access.body["roles"].get(&director).is_none(),
        "unchanged: still the default"
    );

    // A team, a sharing rule naming it, and deleting both.
    let member = format!("member.{wang_id}");
    let (status, _, _) = b
        .post(
            "/admin/teams",
            &[("csrf", &token), ("name", "华东团队"), (&member, "on")],
        )
        .await;
    assert_eq!(status, 303);
    let teams = data(&app.get("/api/v1/admin/teams").await);
    let team = id_named(&teams, "name", "华东团队");
    assert_eq!(teams[0]["members"], json!([wang_id]));
    let to_team = format!("team:{team}");
    let owners = format!("role_and_below:{director}");
    let (status, _, _) = b
        .post(
            "/admin/sharing-rules",
            &[
                ("csrf", &token),
                ("object", "contact"),
                ("name", "总监的客户给华东团队"),
                ("owners", &owners),
                ("to", &to_team),
                ("level", "read"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let rules = data(&app.get("/api/v1/admin/sharing-rules").await);
    let rule = id_named(&rules, "name", "总监的客户给华东团队");
    assert_eq!(rules[0]["to"], json!({"team": team}));
    let (_, _, page) = b.get("/admin/sharing-rules").await;
    assert!(page.contains("角色及下级：销售总监") && page.contains("团队：华东团队"));
    let (status, _, page) = b
        .post(&format!("/admin/teams/{team}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 422, "a team a rule names stays");
    assert!(page.contains("role=\"alert\""));
    let (status, _, _) = b
        .post(
            &format!("/admin/sharing-rules/{rule}/delete"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = b
        .post(&format!("/admin/teams/{team}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    assert!(data(&app.get("/api/v1/admin/teams").await).is_empty());
    assert!(data(&app.get("/api/v1/admin/sharing-rules").await).is_empty());
    app.stop().await;
}

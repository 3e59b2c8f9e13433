//! Search over HTTP: every matching rule as a relevance test (what comes first), the
//! permission and field-level filters, freshness from the change feed (polled with a
//! generous deadline, never a timing assertion), deletes, rebuilds and bad input.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, enc};

/// The names found for `q` (best first), as the holder of `token` sees them.
async fn names(app: &TestApp, token: &str, q: &str, extra: &str) -> Vec<String> {
    results(app, token, q, extra)
        .await
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub(crate) async fn results(app: &TestApp, token: &str, q: &str, extra: &str) -> Vec<Value> {
    let r = app
        .request_as(
            token,
            Method::GET,
            &format!("/api/v1/search?q={}{extra}", enc(q)),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{q}: {}", r.body);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

/// Waits (generously) until searching `q` finds `name`, as the indexer catches up.
pub(crate) async fn until_found(app: &TestApp, token: &str, q: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if names(app, token, q, "").await.iter().any(|n| n == name) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} never found by {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_gone(app: &TestApp, q: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if !names(app, &app.token, q, "").await.iter().any(|n| n == name) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} still found by {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[track_caller]
fn first(found: &[String], name: &str, q: &str) {
    assert_eq!(found.first().map(String::as_str), Some(name), "{q}: {found:?}");
}

#[tokio::test]
async fn search_finds_chinese_names_by_characters_pinyin_initials_and_every_reading() {
    let app = TestApp::spawn().await;
    for name in ["张伟", "张敏", "王伟", "曾小红", "单田芳", "区志强", "Zhang Wei"] {
        app.create("contacts", json!({"name": name})).await;
    }
    until_found(&app, &app.token, "区志强", "区志强").await;
    let t = &app.token;
    // The exact name first; the traditional spelling is the same name.
    for q in ["张伟", "張偉", "zhangwei", "ZhangWei", "zw"] {
        let found = names(&app, t, q, "").await;
        assert!(found.iter().take(2).any(|n| n == "张伟"), "{q}: {found:?}");
        assert!(!found.iter().any(|n| n == "单田芳"), "{q}: {found:?}");
    }
    first(&names(&app, t, "张伟", "").await, "张伟", "张伟");
    first(&names(&app, t, "張偉", "").await, "张伟", "張偉");
    // Polyphonic surnames: every reading finds the name.
    for (q, name) in [
        ("zengxiaohong", "曾小红"),
        ("cengxiaohong", "曾小红"),
        ("zxh", "曾小红"),
        ("shantianfang", "单田芳"),
        ("dantianfang", "单田芳"),
        ("ouzhiqiang", "区志强"),
        ("quzhiqiang", "区志强"),
    ] {
        first(&names(&app, t, q, "").await, name, q);
    }
    // As the user types: the beginning of a name or of its pinyin.
    let found = names(&app, t, "张", "").await;
    assert!(
        found.contains(&"张伟".to_string()) && found.contains(&"张敏".to_string()),
        "{found:?}"
    );
    assert!(!found.contains(&"王伟".to_string()), "{found:?}");
    let found = names(&app, t, "zhangw", "").await;
    assert!(found.contains(&"张伟".to_string()), "{found:?}");
    let found = names(&app, t, "cengxiao", "").await;
    first(&found, "曾小红", "cengxiao");
    app.stop().await;
}

#[tokio::test]
async fn search_finds_companies_with_or_without_legal_form_city_or_script() {
    let app = TestApp::spawn().await;
    for name in [
        "北京华通科技有限公司",
        "华通物流股份有限公司",
        "深圳市宏达电子有限责任公司",
        "Acme Trading Co., Ltd.",
        "华为技术有限公司",
    ] {
        app.create("accounts", json!({"name": name})).await;
    }
    until_found(&app, &app.token, "Acme", "Acme Trading Co., Ltd.").await;
    let t = &app.token;
    for q in [
        "华通科技",
        "華通科技",
        "北京华通科技有限公司",
        "华通科技有限责任公司",
        "华通科技股份有限公司",
        "huatongkeji",
    ] {
        first(&names(&app, t, q, "").await, "北京华通科技有限公司", q);
    }
    for q in ["宏达电子", "宏達電子有限公司", "深圳宏达电子"] {
        first(&names(&app, t, q, "").await, "深圳市宏达电子有限责任公司", q);
    }
    for q in ["Acme Trading", "acme trading co ltd", "ACME"] {
        first(&names(&app, t, q, "").await, "Acme Trading Co., Ltd.", q);
    }
    // Chinese words inside a name are found (jieba segmentation).
    let found = names(&app, t, "物流", "").await;
    first(&found, "华通物流股份有限公司", "物流");
    let found = names(&app, t, "华通", "").await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(!found.contains(&"华为技术有限公司".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn search_finds_phones_in_any_format_and_by_their_tail_and_emails() {
    let app = TestApp::spawn().await;
    app.create(
        "contacts",
        json!({"name": "李强", "mobile": "138 1234 5678", "email": "Qiang.Li@HuaTong.com"}),
    )
    .await;
    app.create(
        "contacts",
        json!({"name": "刘洋", "phone": "021-6543 2100", "mobile": "139 0000 1111", "email": "yang.liu@example.com"}),
    )
    .await;
    until_found(&app, &app.token, "刘洋", "刘洋").await;
    let t = &app.token;
    for q in [
        "13812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "(0086) 13812345678",
        "5678",
        "45678",
        "12345678",
        "1381234",
        "qiang.li@huatong.com",
        "QIANG.LI@HUATONG.COM",
        "qiang.li",
        "qiang.l",
    ] {
        first(&names(&app, t, q, "").await, "李强", q);
    }
    for q in [
        "021 6543 2100",
        "65432100",
        "2100",
        "+86 21 6543 2100",
        "yang.liu@example.com",
    ] {
        first(&names(&app, t, q, "").await, "刘洋", q);
    }
    assert!(names(&app, t, "9999", "").await.is_empty());
    // The second line shows an email or phone.
    let r = results(&app, t, "李强", "").await;
    assert_eq!(r[0]["object"], "contacts");
    assert!(
        r[0]["secondary"]
            .as_str()
            .unwrap()
            .contains("qiang.li@huatong.com"),
        "{r:?}"
    );
    assert!(r[0]["score"].as_f64().unwrap() > 0.0);
    app.stop().await;
}

#[tokio::test]
async fn search_forgives_one_typo_in_long_latin_words_and_completes_words() {
    let app = TestApp::spawn().await;
    app.create(
        "contacts",
        json!({"name": "Jonathan Miller", "title": "Purchasing manager"}),
    )
    .await;
    app.create("contacts", json!({"name": "Jon Mill"})).await;
    until_found(&app, &app.token, "Jonathan", "Jonathan Miller").await;
    let t = &app.token;
    for q in [
        "Jonathon",
        "jonahtan",
        "Jonathan Miler",
        "Jonat",
        "purchasing",
        "purchasnig",
    ] {
        first(&names(&app, t, q, "").await, "Jonathan Miller", q);
    }
    // Short words are not fuzzy: "Jon" is not "Jan".
    assert!(names(&app, t, "Jan", "").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn search_covers_every_object_and_can_be_narrowed_to_one() {
    let app = TestApp::spawn().await;
    let o = app
        .post(
            "/api/v1/metadata/objects",
            json!({"name": "project", "plural": "projects",
            "label": {"en": "Project", "zh-CN": "项目", "zh-TW": "專案"},
            "fields": [{"name": "contact_email", "type": "email"}]}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let acc = app.create("accounts", json!({"name": "云杉软件有限公司"})).await;
    app.create(
        "projects",
        json!({"name": "云杉二期", "contact_email": "pm@yunshan.cn"}),
    )
    .await;
    app.create("contacts", json!({"name": "周云杉", "account": acc["id"]}))
        .await;
    app.create(
        "leads",
        json!({"name": "赵敏", "company": "云杉软件", "status": "new"}),
    )
    .await;
    until_found(&app, &app.token, "云杉二期", "云杉二期").await;
    until_found(&app, &app.token, "赵敏", "赵敏").await;
    let t = &app.token;
    let all = results(&app, t, "云杉", "&limit=50").await;
    let objects: Vec<&str> = all.iter().filter_map(|r| r["object"].as_str()).collect();
    for o in ["accounts", "projects", "contacts", "leads"] {
        assert!(objects.contains(&o), "{o} in {all:?}");
    }
    first(
        &names(&app, t, "pm@yunshan.cn", "").await,
        "云杉二期",
        "custom email field",
    );
    let only = results(&app, t, "云杉", "&object=projects").await;
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(only[0]["object"], "projects");
    let only = results(&app, t, "云杉", "&object=contact").await;
    assert_eq!(only.len(), 1, "the singular name works too: {only:?}");
    // A contact's second line names its account.
    assert_eq!(only[0]["secondary"], "云杉软件有限公司");
    let limited = results(&app, t, "云杉", "&limit=2").await;
    assert_eq!(limited.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn search_shows_only_records_and_fields_the_searcher_may_read() {
    let app = TestApp::spawn().await;
    let (role, me) = app.rep_with_private_contacts_and_hidden_email().await;
    app.create(
        "contacts",
        json!({"name": "孙丽 (mine)", "email": "sun.li@secret.cn", "mobile": "137 1111 2222", "owner": me}),
    )
    .await;
    app.create(
        "contacts",
        json!({"name": "孙丽 (not mine)", "email": "sun.li2@secret.cn"}),
    )
    .await;
    until_found(&app, &app.token, "孙丽", "孙丽 (not mine)").await;
    until_found(&app, &app.token, "孙丽", "孙丽 (mine)").await;
    let u = &app.user_token;
    let found = results(&app, u, "孙丽", "").await;
    assert_eq!(found.len(), 1, "the rep finds only what they may read: {found:?}");
    assert_eq!(found[0]["name"], "孙丽 (mine)");
    assert!(
        !found[0].to_string().contains("secret.cn"),
        "a hidden field is not shown: {found:?}"
    );
    assert_eq!(found[0]["secondary"], "+8613711112222");
    assert!(
        names(&app, u, "sunli", "")
            .await
            .iter()
            .all(|n| n == "孙丽 (mine)")
    );
    // The administrator finds both.
    assert_eq!(results(&app, &app.token, "孙丽", "").await.len(), 2);
    // An object the rep may not read at all is refused when asked for by name.
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/leads",
            Some(json!({"roles": {role.clone(): {"read": false, "create": false, "edit": false, "delete": false}}})),
            &[],
        )
        .await;
    if r.status == 200 {
        let r = app
            .request_as(u, Method::GET, "/api/v1/search?q=x&object=leads", None, &[])
            .await;
        r.assert_problem_status(403);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_write_is_found_soon_after_and_a_delete_removes_it() {
    let app = TestApp::spawn().await;
    let c = app
        .create("contacts", json!({"name": "欧阳娜娜", "mobile": "186 2345 6789"}))
        .await;
    let id = c["id"].as_str().unwrap();
    until_found(&app, &app.token, "ouyang", "欧阳娜娜").await;
    // An update re-indexes the record from its current row: the old name is gone.
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"name": "欧阳静"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    until_found(&app, &app.token, "欧阳静", "欧阳静").await;
    until_gone(&app, "娜娜", "欧阳娜娜").await;
    // Deleted (to the recycle bin): not found; restored: found again.
    let r = app.delete(&format!("/api/v1/contacts/{id}")).await;
    assert!(r.status.is_success(), "{}", r.body);
    until_gone(&app, "6789", "欧阳静").await;
    app.crm.refresh_search().await.unwrap();
    assert!(names(&app, &app.token, "欧阳静", "").await.is_empty());
    let r = app
        .post(&format!("/api/v1/contacts/{id}/restore"), json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    until_found(&app, &app.token, "6789", "欧阳静").await;
    app.stop().await;
}

#[tokio::test]
async fn the_index_survives_a_restart_and_a_rebuild() {
    let app = TestApp::spawn().await;
    app.create("contacts", json!({"name": "马云飞"})).await;
    until_found(&app, &app.token, "myf", "马云飞").await;
    let app = app.restart().await;
    until_found(&app, &app.token, "马云飞", "马云飞").await;
    app.create("contacts", json!({"name": "马化腾飞"})).await;
    let n = app.crm.rebuild_search().await.unwrap();
    assert!(n >= 2, "{n}");
    until_found(&app, &app.token, "myf", "马云飞").await;
    until_found(&app, &app.token, "马化腾飞", "马化腾飞").await;
    app.stop().await;
}

#[tokio::test]
async fn bad_search_input_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        (&*format!("q={}", "长".repeat(201)), "q"),
        ("q=x&object=nothings", "object"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=51", "limit"),
        ("q=x&limit=many", "limit"),
    ] {
        app.get(&format!("/api/v1/search?{query}"))
            .await
            .assert_problem(422, field);
    }
    let r = app
        .request_as("", Method::GET, "/api/v1/search?q=x", None, &[])
        .await;
    assert_eq!(r.status, 401);
    app.stop().await;
}

#[tokio::test]
async fn search_rebuild_on_the_command_line() {
    let app = TestApp::spawn().await;
    let run = |dir: &std::path::Path, database: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_guanxi"));
        c.args(["search", "rebuild", "--data-dir"])
            .arg(dir)
            .env_remove("GUANXI_DATABASE_URL")
            .env("LANG", "en_US.UTF-8");
        if let Some(d) = database {
            c.args(["--database", d]);
        }
        c.output().expect("run guanxi")
    };
    // The running server holds the index: the command says so rather than corrupting it.
    let out = run(app.dir.path(), app.database.as_deref());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another process"), "{err}");
    app.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Search index rebuilt: 0 records"), "{said}");
    assert!(dir.path().join("search").is_dir());
}

#[tokio::test]
async fn the_search_page_works_without_javascript_and_every_staff_page_has_the_box() {
    use crate::web::Browser;
    let app = TestApp::spawn().await;
    app.create("contacts", json!({"name": "诸葛亮", "email": "kongming@shu.cn"}))
        .await;
    app.create("contacts", json!({"name": "<b>司马懿</b>"})).await;
    until_found(&app, &app.token, "诸葛亮", "诸葛亮").await;
    until_found(&app, &app.token, "司马懿", "<b>司马懿</b>").await;
    let mut b = Browser::new(&app);
    let (status, to, _) = b.get("/search?q=zgl").await;
    assert_eq!((status, to.as_str()), (303, "/login"), "the page needs a session");
    let (status, _, _) = b
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "admin-password")],
        )
        .await;
    assert_eq!(status, 303);
    for path in ["/", "/o/contacts", "/calendar", "/settings"] {
        let (status, _, page) = b.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("role=\"search\"") && page.contains("action=\"/search\""),
            "{path} has the search box"
        );
    }
    let (status, _, page) = b.get("/search?q=zgl").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("诸葛亮") && page.contains("kongming@shu.cn"),
        "{page}"
    );
    assert!(page.contains("/o/contacts/"), "results link to their records");
    assert!(page.contains("“zgl”的搜索结果"), "{page}");
    let (_, _, page) = b.get("/search?q=%E5%8F%B8%E9%A9%AC").await;
    assert!(
        page.contains("&lt;b&gt;司马懿&lt;/b&gt;"),
        "names are escaped: {page}"
    );
    assert!(!page.contains("<b>司马懿"));
    let (_, _, page) = b.get("/search?q=nobody-by-this-name").await;
    assert!(page.contains("没有找到"), "{page}");
    let (status, _, page) = b.get("/search").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"search-hint\""),
        "an empty query shows the hint"
    );
    let long = "长".repeat(201);
    let (status, _, page) = b.get(&format!("/search?q={}", crate::helpers::enc(&long))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"search-error\"") && page.contains("aria-invalid=\"true\""),
        "{page}"
    );
    app.stop().await;
}

/// The feed's pitfall: with concurrent transactions a lower sequence number can commit
/// after a higher one was read. Simulated by writing the events by hand, out of order.
#[tokio::test]
async fn an_event_that_commits_late_with_a_lower_sequence_number_is_not_skipped() {
    use guanxi_storage::{Arg, Sql};
    let app = TestApp::spawn().await;
    let a = app.create("contacts", json!({"name": "先到"})).await;
    let b = app.create("contacts", json!({"name": "后到"})).await;
    until_found(&app, &app.token, "后到", "后到").await;
    let db = app.crm.db();
    let last = guanxi_storage::system::last_seq(db).await.unwrap();
    let event = |seq: i64, id: &str| {
        let mut s = Sql::new(db.dialect());
        s.push("INSERT INTO gx_changes (seq, id, object, record_id, operation, actor, fields, at) ");
        if db.dialect() == guanxi_storage::Dialect::Postgres {
            s.push("OVERRIDING SYSTEM VALUE ");
        }
        s.push("VALUES (")
            .bind(Arg::Int(seq))
            .push(", ")
            .bind(Arg::Uuid(uuid::Uuid::now_v7()))
            .push(", 'contact', ")
            .bind(Arg::Uuid(id.parse().unwrap()))
            .push(", 'update', ")
            .bind(Arg::Uuid(uuid::Uuid::nil()))
            .push(", '[\"name\"]', ")
            .bind(Arg::DateTime(chrono::Utc::now()))
            .push(")");
        s
    };
    // B's row changes in a transaction that has taken its number but not committed yet…
    let mut rename = Sql::new(db.dialect());
    rename
        .push("UPDATE contacts SET name = ")
        .bind(Arg::Text("晚到的名字".into()))
        .push(" WHERE id = ")
        .bind(Arg::Uuid(b["id"].as_str().unwrap().parse().unwrap()));
    // …while a later number commits and is read.
    db.execute(event(last + 10, a["id"].as_str().unwrap()))
        .await
        .unwrap();
    app.crm.follow_feed().await.unwrap();
    db.execute(rename).await.unwrap();
    db.execute(event(last + 5, b["id"].as_str().unwrap()))
        .await
        .unwrap();
    until_found(&app, &app.token, "晚到的名字", "晚到的名字").await;
    app.stop().await;
}

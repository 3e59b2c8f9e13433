//! Duplicate detection and merge: groups with score and reasons, hard negatives (one
//! switchboard number behind colleagues; two people called 张伟 at different companies),
//! rules that warn or block on create, the CLI's CSV contract, merge and its undo.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The people of the scenarios: `[张伟 twice as one person, two colleagues, another 张伟]`.
async fn people(app: &TestApp) -> (Value, Value, Value, Value, Value, Value) {
    let huatong = app
        .create(
            "accounts",
            json!({"name": "北京华通科技有限公司", "phone": "010 6552 9988"}),
        )
        .await;
    let yuanda = app.create("accounts", json!({"name": "远大机械有限公司"})).await;
    let zhang = app
        .create(
            "contacts",
            json!({"name": "张伟", "account": huatong["id"], "email": "Zhang.Wei@huatong.cn",
                   "mobile": "13800138000", "phone": "010 6552 9988", "external_id": "C-1"}),
        )
        .await;
    let zhang2 = app
        .create(
            "contacts",
            json!({"name": "Zhang Wei", "account": huatong["id"], "email": "zhang.wei@HUATONG.cn",
                   "phone": "+86 10 6552 9988"}),
        )
        .await;
    let colleague = app
        .create(
            "contacts",
            json!({"name": "李娜", "account": huatong["id"], "phone": "010-6552-9988"}),
        )
        .await;
    let other = app
        .create(
            "contacts",
            json!({"name": "张伟", "account": yuanda["id"], "mobile": "13900139000"}),
        )
        .await;
    (huatong, yuanda, zhang, zhang2, colleague, other)
}

#[tokio::test]
async fn duplicates_are_grouped_with_score_and_reasons_and_hard_negatives_stay_apart() {
    let app = TestApp::spawn().await;
    let (_, _, zhang, zhang2, colleague, other) = people(&app).await;
    let r = app.get("/api/v1/contacts/duplicates").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let groups = r.body["data"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{}", r.body);
    let members = groups[0]["members"].as_array().unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&zhang["id"].as_str().unwrap()) && ids.contains(&zhang2["id"].as_str().unwrap()));
    assert!(members[0]["score"].as_u64().unwrap() >= 90);
    let codes: Vec<&str> = members[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"same_email") && codes.contains(&"similar_name"),
        "{codes:?}"
    );

    // One record's look-alikes: the colleague behind the switchboard and the other 张伟 are not.
    let r = app
        .get(&format!(
            "/api/v1/contacts/{}/duplicates",
            zhang["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let found: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, vec![zhang2["id"].as_str().unwrap()], "{}", r.body);
    for nobody in [&colleague, &other] {
        let r = app
            .get(&format!(
                "/api/v1/contacts/{}/duplicates",
                nobody["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(r.body["data"], json!([]), "{}", r.body);
    }

    // Accounts across suffix, place and bracket variants.
    app.create("accounts", json!({"name": "华通科技（北京）"})).await;
    let r = app.get("/api/v1/accounts/duplicates").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "{}", r.body);

    // Bad input names the field; objects without duplicate detection are refused.
    app.get("/api/v1/contacts/duplicates?threshold=0")
        .await
        .assert_problem(400, "threshold");
    app.get("/api/v1/opportunities/duplicates")
        .await
        .assert_problem(422, "object");
    app.stop().await;
}

#[tokio::test]
async fn duplicates_only_among_records_the_actor_may_read() {
    let app = TestApp::spawn().await;
    people(&app).await;
    // The rep owns nothing and, under private sharing, sees none of the admin's contacts.
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/access/contacts",
            Some(json!({"sharing": "private"})),
            &[],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::GET,
            "/api/v1/contacts/duplicates",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn a_rule_changed_on_one_node_is_in_force_on_another_after_its_refresh() {
    use guanxi_services::dedupe::Action;
    let app = TestApp::spawn().await;
    // A second node on the same database, which has read the rule already.
    let other = guanxi_services::Crm::open(
        app.crm.db().clone(),
        std::sync::Arc::new(guanxi_services::clock::SystemClock),
    )
    .await
    .unwrap();
    other.refresh_definitions().await.unwrap();
    assert_eq!(
        other.duplicate_rule("contact").await.unwrap().action,
        Action::Warn
    );
    assert!(!other.refresh_definitions().await.unwrap(), "nothing changed yet");

    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/duplicate-rules/contacts",
            Some(json!({"action": "block"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The node that saved it blocks at once; the other one once it looks again.
    assert_eq!(
        app.crm.duplicate_rule("contact").await.unwrap().action,
        Action::Block
    );
    assert!(
        other.refresh_definitions().await.unwrap(),
        "the change is noticed"
    );
    assert_eq!(
        other.duplicate_rule("contact").await.unwrap().action,
        Action::Block
    );
    app.stop().await;
}

#[tokio::test]
async fn duplicate_rules_warn_or_block_on_create() {
    let app = TestApp::spawn().await;
    people(&app).await;
    // Default: warn. The record is created and the look-alike named.
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"name": "張偉", "email": "zhang.wei@huatong.cn"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        r.body["possible_duplicates"].as_array().unwrap().len() >= 2,
        "{}",
        r.body
    );

    // Bad rules name the field.
    let put = |body: Value| {
        app.request(
            reqwest::Method::PUT,
            "/api/v1/admin/duplicate-rules/contacts",
            Some(body),
            &[],
        )
    };
    put(json!({"action": "shout"}))
        .await
        .assert_problem(422, "action");
    put(json!({"threshold": 101}))
        .await
        .assert_problem(422, "threshold");
    let r = put(json!({"action": "block", "threshold": 60, "enabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rules = app.get("/api/v1/admin/duplicate-rules").await;
    assert!(
        rules.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["object"] == "contact" && r["action"] == "block")
    );
    // A non-administrator may not read or change them.
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::GET,
            "/api/v1/admin/duplicate-rules",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let before = app.list_all("contacts", "limit=1000").await.len();
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"name": "Wei Zhang", "mobile": "+86 138 0013 8000"}),
        )
        .await;
    r.assert_problem_status(409);
    let dups = r.body["duplicates"].as_array().unwrap();
    assert!(!dups.is_empty(), "{}", r.body);
    assert!(
        dups[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "same_mobile")
    );
    assert_eq!(
        app.list_all("contacts", "limit=1000").await.len(),
        before,
        "nothing written"
    );
    // Someone else entirely is created.
    app.create("contacts", json!({"name": "王芳", "mobile": "13700137000"}))
        .await;
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "metadata.duplicate_rule.set")
    );
    app.stop().await;
}

#[tokio::test]
async fn cli_duplicates_prints_one_csv_row_per_record_with_duplicates() {
    let app = TestApp::spawn().await;
    let (_, _, zhang, zhang2, _, _) = people(&app).await;
    let dir = app.dir.path().to_path_buf();
    let database = app.database.clone();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guanxi"));
    cmd.args(["duplicates", "contacts", "--format", "csv", "--data-dir"])
        .arg(&dir)
        .env_remove("GUANXI_DATABASE_URL")
        .env("LANG", "en_US.UTF-8");
    if let Some(url) = &database {
        cmd.args(["--database", url]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("group,id,external_id,name,score,reasons"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in &rows {
        assert_eq!(row.len(), 6, "{text}");
        assert_eq!(row[0], "1");
        assert!(row[4].parse::<u8>().unwrap() >= 90);
        assert!(row[5].split(';').any(|c| c == "same_email"), "{text}");
    }
    let ids: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    assert!(ids.contains(&zhang["id"].as_str().unwrap()) && ids.contains(&zhang2["id"].as_str().unwrap()));
    let first = rows
        .iter()
        .find(|r| r[1] == zhang["id"].as_str().unwrap())
        .unwrap();
    assert_eq!((first[2], first[3]), ("C-1", "张伟"));

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guanxi"));
    cmd.args(["duplicates", "opportunities", "--data-dir"])
        .arg(&dir)
        .env_remove("GUANXI_DATABASE_URL")
        .env("LANG", "en_US.UTF-8");
    if let Some(url) = &database {
        cmd.args(["--database", url]);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("contacts, accounts and leads"));
    // The server ran all along: the command reads a live database (and the data dir lives
    // as long as the app).
    app.stop().await;
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn merge_moves_every_related_record_and_can_be_undone() {
    let app = TestApp::spawn().await;
    let (huatong, _, zhang, zhang2, _, _) = people(&app).await;
    let (keep, gone) = (id(&zhang), id(&zhang2));
    // The one to merge away has history, a title the survivor lacks, related records of
    // three objects, consent, channel preferences and a manual share.
    let r = app
        .patch(
            &format!("/api/v1/contacts/{gone}"),
            json!({"title": "采购经理"}),
            &zhang2["version"].to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let activity = app
        .create(
            "activities",
            json!({"subject": "回访", "type": "call", "contact": gone, "account": huatong["id"]}),
        )
        .await;
    let opportunity = app
        .create(
            "opportunities",
            json!({"name": "数控机床", "stage": "proposal", "close_date": "2026-12-31", "contact": gone}),
        )
        .await;
    let case = app
        .create(
            "cases",
            json!({"subject": "主轴异响", "status": "in_progress", "contact": gone}),
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/contacts/{gone}/consents"),
            json!({"channel": "wechat", "granted": true, "source": "展会"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/contacts/{gone}/channel-preferences"),
            Some(json!({"preferred": ["wechat"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = app
        .request_as(&app.user_token, reqwest::Method::GET, "/api/v1/me", None, &[])
        .await;
    let rep = me.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/contacts/{gone}/shares"),
            json!({"user": rep, "level": "read"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Bad input names the member at fault.
    let merge = |body: Value| app.post("/api/v1/contacts/merge", body);
    merge(json!({"survivor": keep, "merged": []}))
        .await
        .assert_problem(422, "merged");
    merge(json!({"survivor": keep, "merged": [keep]}))
        .await
        .assert_problem(422, "merged");
    merge(json!({"survivor": "x", "merged": [gone]}))
        .await
        .assert_problem(422, "survivor");
    merge(json!({"survivor": keep, "merged": [gone], "fields": {"nope": keep}}))
        .await
        .assert_problem(422, "fields.nope");
    merge(json!({"survivor": keep, "merged": [gone], "fields": {"email": uuid::Uuid::now_v7()}}))
        .await
        .assert_problem(422, "fields.email");
    // Someone who cannot read them cannot merge them.
    let r = app
        .request_as(
            &app.user_token,
            reqwest::Method::POST,
            "/api/v1/contacts/merge",
            Some(json!({"survivor": keep, "merged": [gone]})),
            &[],
        )
        .await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.body);

    let r = merge(json!({"survivor": keep, "merged": [gone], "fields": {"email": gone}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge_id = id(&r.body);
    assert_eq!(r.body["references"].as_array().unwrap().len(), 3, "{}", r.body);

    let kept = app.get(&format!("/api/v1/contacts/{keep}")).await.body;
    assert_eq!(kept["title"], "采购经理", "the empty title took the other's");
    assert_eq!(kept["email"], zhang2["email"], "the chosen value survived");
    app.get(&format!("/api/v1/contacts/{gone}"))
        .await
        .assert_problem_status(404);
    let binned = app.get(&format!("/api/v1/contacts/{gone}?deleted=true")).await;
    assert_eq!(binned.status, 200);
    assert_eq!(
        binned.body["merged_into"]["survivor"],
        json!(keep),
        "remembers where it went"
    );
    for (plural, rec) in [
        ("activities", &activity),
        ("opportunities", &opportunity),
        ("cases", &case),
    ] {
        let r = app.get(&format!("/api/v1/{plural}/{}", id(rec))).await;
        assert_eq!(r.body["contact"], json!(keep), "{plural}: {}", r.body);
    }
    let consents = app.get(&format!("/api/v1/contacts/{keep}/consents")).await.body;
    assert!(consents.to_string().contains("展会"), "{consents}");
    let prefs = app
        .get(&format!("/api/v1/contacts/{keep}/channel-preferences"))
        .await;
    assert!(prefs.body.to_string().contains("wechat"), "{}", prefs.body);
    let shares = app.get(&format!("/api/v1/contacts/{keep}/shares")).await.body;
    assert!(shares.to_string().contains(&rep), "{shares}");
    let history = app.get(&format!("/api/v1/contacts/{keep}/history")).await.body;
    assert!(
        history.to_string().contains("采购经理"),
        "the merged record's history moved: {history}"
    );
    let record = app.get(&format!("/api/v1/merges/{merge_id}")).await;
    assert_eq!(record.status, 200, "{}", record.body);
    assert_eq!(record.body["merged"], json!([gone]));
    assert!(app.audit_actions().await.iter().any(|a| a == "record.merge"));

    // Undo: everything back where it was.
    let r = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let back = app.get(&format!("/api/v1/contacts/{keep}")).await.body;
    assert_eq!(back["title"], Value::Null);
    assert_eq!(back["email"], zhang["email"]);
    assert_eq!(app.get(&format!("/api/v1/contacts/{gone}")).await.status, 200);
    for (plural, rec) in [
        ("activities", &activity),
        ("opportunities", &opportunity),
        ("cases", &case),
    ] {
        let r = app.get(&format!("/api/v1/{plural}/{}", id(rec))).await;
        assert_eq!(r.body["contact"], json!(gone), "{plural}: {}", r.body);
    }
    let consents = app.get(&format!("/api/v1/contacts/{gone}/consents")).await.body;
    assert!(consents.to_string().contains("展会"), "{consents}");
    let shares = app.get(&format!("/api/v1/contacts/{gone}/shares")).await.body;
    assert!(shares.to_string().contains(&rep), "{shares}");
    let history = app.get(&format!("/api/v1/contacts/{gone}/history")).await.body;
    assert!(history.to_string().contains("采购经理"), "{history}");
    assert!(app.audit_actions().await.iter().any(|a| a == "record.merge.undo"));
    let again = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    again.assert_problem_status(409);

    // Merge again, then someone edits the survivor: undo is refused and says so.
    let r = merge(json!({"survivor": keep, "merged": [gone]})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge_id = id(&r.body);
    let current = app.get(&format!("/api/v1/contacts/{keep}")).await;
    let r = app
        .patch(
            &format!("/api/v1/contacts/{keep}"),
            json!({"department": "采购部"}),
            &current.etag(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/merges/{merge_id}/undo"),
            Some(json!({})),
            &[("Accept-Language", "en")],
        )
        .await;
    r.assert_problem_status(409);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("changed after the merge"),
        "{}",
        r.body
    );
    app.get(&format!("/api/v1/contacts/{gone}"))
        .await
        .assert_problem_status(404);
    app.stop().await;
}

#[tokio::test]
async fn duplicates_pages_merge_and_undo_in_the_browser() {
    let app = TestApp::spawn().await;
    let (_, _, zhang, zhang2, _, _) = people(&app).await;
    let (keep, gone) = (id(&zhang), id(&zhang2));
    let mut b = crate::web::Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get("/o/contacts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/o/contacts/duplicates\""),
        "reachable from the list"
    );
    let (status, _, page) = b.get("/o/contacts/duplicates").await;
    assert_eq!(status, 200);
    assert!(page.contains(&keep) && page.contains(&gone) && page.contains("/o/contacts/merge?ids="));
    // The record page names its look-alike and offers the merge.
    let (status, _, page) = b.get(&format!("/o/contacts/{keep}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"duplicates\"") && page.contains(&format!("/o/contacts/{gone}")),
        "possible duplicates card"
    );
    let (status, _, page) = b.get(&format!("/o/contacts/merge?ids={keep},{gone}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"survivor\"") && page.contains("name=\"field.name\""));
    let token = crate::web::csrf(&page);
    let ids = format!("{keep},{gone}");
    let (status, _, _) = b
        .post(
            "/o/contacts/merge",
            &[("ids", &ids), ("survivor", &keep), ("field.name", &gone)],
        )
        .await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, to, _) = b
        .post(
            "/o/contacts/merge",
            &[
                ("csrf", &token),
                ("ids", &ids),
                ("survivor", &keep),
                ("field.name", &gone),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/o/contacts/{keep}").as_str())
    );
    app.get(&format!("/api/v1/contacts/{gone}"))
        .await
        .assert_problem_status(404);
    let (_, _, page) = b.get(&format!("/o/contacts/{keep}")).await;
    let at = page
        .find("action=\"/merges/")
        .expect("the merge result offers Undo")
        + "action=\"".len();
    let undo = page[at..].split('"').next().unwrap().to_string();
    let (status, to, _) = b.post(&undo, &[("csrf", &token)]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/o/contacts/{keep}").as_str())
    );
    assert_eq!(app.get(&format!("/api/v1/contacts/{gone}")).await.status, 200);

    // Duplicate rules: errors beside the input; a blocking rule refuses the form.
    let (status, _, page) = b.get("/admin/duplicate-rules").await;
    assert_eq!(status, 200);
    assert!(page.contains("action=\"/admin/duplicate-rules/contact\""));
    let (status, _, page) = b
        .post(
            "/admin/duplicate-rules/contact",
            &[
                ("csrf", &token),
                ("enabled", "on"),
                ("action", "block"),
                ("threshold", "0"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"dup-contact-threshold-error\""),
        "error beside the input"
    );
    let (status, to, _) = b
        .post(
            "/admin/duplicate-rules/contact",
            &[
                ("csrf", &token),
                ("enabled", "on"),
                ("action", "block"),
                ("threshold", "50"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/duplicate-rules"));
    let (status, _, page) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "张伟"),
                ("email", "ZHANG.WEI@huatong.cn"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("value=\"张伟\""), "input kept");
    app.stop().await;
}

#[tokio::test]
async fn merging_accounts_moves_custom_lookups_and_unique_values_and_undo_gives_them_back() {
    let app = TestApp::spawn().await;
    let o = app
        .post(
            "/api/v1/metadata/objects",
            json!({"name": "project", "plural": "projects",
                   "label": {"en": "Project", "zh-CN": "项目", "zh-TW": "專案"},
                   "fields": [{"name": "account", "type": "lookup", "target": "account"}]}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let keep = app
        .create("accounts", json!({"name": "北京华通科技有限公司"}))
        .await;
    let gone = app
        .create(
            "accounts",
            json!({"name": "华通科技（北京）", "external_id": "ERP-7", "website": "https://www.huatong.cn"}),
        )
        .await;
    let contact = app
        .create("contacts", json!({"name": "李娜", "account": gone["id"]}))
        .await;
    let project = app
        .create("projects", json!({"name": "产线改造", "account": gone["id"]}))
        .await;
    let r = app
        .post(
            "/api/v1/accounts/merge",
            json!({"survivor": keep["id"], "merged": [gone["id"]], "fields": {"external_id": gone["id"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge_id = id(&r.body);
    let kept = app.get(&format!("/api/v1/accounts/{}", id(&keep))).await.body;
    assert_eq!(
        kept["external_id"], "ERP-7",
        "a unique value moves with the choice"
    );
    assert_eq!(
        kept["website"], gone["website"],
        "an empty field takes the other's"
    );
    for (plural, rec) in [("contacts", &contact), ("projects", &project)] {
        let r = app.get(&format!("/api/v1/{plural}/{}", id(rec))).await;
        assert_eq!(r.body["account"], keep["id"], "{plural}: {}", r.body);
    }
    let r = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let back = app.get(&format!("/api/v1/accounts/{}", id(&gone))).await.body;
    assert_eq!(back["external_id"], "ERP-7");
    assert_eq!(
        app.get(&format!("/api/v1/accounts/{}", id(&keep))).await.body["external_id"],
        Value::Null
    );
    for (plural, rec) in [("contacts", &contact), ("projects", &project)] {
        let r = app.get(&format!("/api/v1/{plural}/{}", id(rec))).await;
        assert_eq!(r.body["account"], gone["id"], "{plural}: {}", r.body);
    }
    // A reference moved by the merge and changed since blocks the undo.
    let r = app
        .post(
            "/api/v1/accounts/merge",
            json!({"survivor": keep["id"], "merged": [gone["id"]]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let merge_id = id(&r.body);
    let other = app.create("accounts", json!({"name": "远大机械"})).await;
    let c = app.get(&format!("/api/v1/contacts/{}", id(&contact))).await;
    let r = app
        .patch(
            &format!("/api/v1/contacts/{}", id(&contact)),
            json!({"account": other["id"]}),
            &c.etag(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    r.assert_problem_status(409);
    assert!(
        r.body["detail"].as_str().unwrap().contains(&id(&contact)),
        "{}",
        r.body
    );
    app.get(&format!("/api/v1/accounts/{}", id(&gone)))
        .await
        .assert_problem_status(404);
    app.stop().await;
}

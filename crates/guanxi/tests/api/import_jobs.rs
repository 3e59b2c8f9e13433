//! Imports from the API and the browser: the file is uploaded, the import runs in the
//! background through the same importer as `guanxi import`, and its progress, counts and
//! failed rows can be followed; an import whose server stopped can be resumed.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A GB18030 file as Excel in China saves it, with a malformed row in the middle.
fn gb18030_file() -> Vec<u8> {
    let text = "姓名,手机,邮箱,公司\r\n张伟,13800138000,zw@huatong.cn,华通科技\r\n李娜,138 0013 8001,这不是邮箱,华通科技\r\n王芳,13800138002,wf@yuanjing.cn,远景贸易\r\n";
    let (bytes, _, bad) = encoding_rs::GB18030.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

async fn upload(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/contacts/imports?{query}", app.url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The import once it has stopped running (generous deadline: a busy CI machine).
async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let r = app.get(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body["status"] != "running" {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish");
}

#[tokio::test]
async fn a_file_uploaded_over_the_api_is_imported_in_the_background_with_its_failed_rows_reported() {
    let app = TestApp::spawn().await;
    let (status, job) = upload(&app, &app.token, "file_name=客户名单.csv", gb18030_file()).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["status"], "running");
    assert_eq!(job["file_name"], "客户名单.csv");
    let id = job["id"].as_str().unwrap();

    let done = finished(&app, id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["counts"]["created"], 2, "{done}");
    assert_eq!(done["counts"]["errors"], 1);
    assert_eq!(
        done["counts"]["accounts"], 2,
        "companies become accounts once each"
    );
    assert_eq!(done["fraction"], 1.0);
    let errors_url = done["errors_url"].as_str().unwrap();
    let r = app.get(errors_url).await;
    assert_eq!(r.status, 200);
    let text = r.body.as_str().unwrap().to_string();
    assert!(
        text.contains("\n3,邮箱,"),
        "row 3's email, in the importer's language: {text}"
    );
    let names: Vec<String> = app
        .list_all("contacts", "sort=name")
        .await
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"张伟".to_string()) && names.contains(&"王芳".to_string()));
    assert!(
        !names.contains(&"李娜".to_string()),
        "the bad row is not half-written"
    );

    // A dry run writes nothing.
    let (status, job) = upload(&app, &app.token, "dry_run=true", gb18030_file()).await;
    assert_eq!(status, 202);
    let done = finished(&app, job["id"].as_str().unwrap()).await;
    assert_eq!(done["dry_run"], true);
    assert_eq!(done["counts"]["skipped"], 2, "both already there: {done}");
    assert_eq!(app.list_all("contacts", "").await.len(), 2);

    // The list of imports, and who sees which.
    let r = app.get("/api/v1/imports").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/imports/{id}"),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(404);
    let r = app
        .request_as(&app.user_token, Method::GET, "/api/v1/imports", None, &[])
        .await;
    assert_eq!(r.body["data"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn bad_uploads_are_refused_by_name_and_start_nothing() {
    let app = TestApp::spawn().await;
    let (status, body) = upload(&app, &app.token, "on_duplicate=overwrite", gb18030_file()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "on_duplicate");
    let (status, body) = upload(&app, &app.token, "", Vec::new()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "file");
    let res = app
        .client
        .post(format!("{}/api/v1/nothings/imports", app.url))
        .bearer_auth(&app.token)
        .body("a,b\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // A file that is not a table: the import fails and says why.
    let (status, job) = upload(&app, &app.token, "", b"\x00\x01\x02".to_vec()).await;
    assert_eq!(status, 202);
    let done = finished(&app, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(done["message"].as_str().is_some_and(|m| !m.is_empty()), "{done}");
    assert_eq!(
        app.get("/api/v1/imports").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn an_import_whose_server_stopped_shows_as_interrupted_and_resumes() {
    let app = TestApp::spawn().await;
    // What a server that stopped mid-import leaves: the file, and a row that stopped moving.
    let id = uuid::Uuid::now_v7();
    let dir = app.crm.files_dir().unwrap().join("imports").join(id.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("upload"), gb18030_file()).unwrap();
    let admin = app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    guanxi_storage::imports::insert(
        app.crm.db(),
        &guanxi_storage::imports::ImportRow {
            id,
            object: "contacts".into(),
            file_name: "名单.csv".into(),
            status: "running".into(),
            detail: json!({"dry_run": false, "on_duplicate": "skip", "counts": {"created": 0, "updated": 0,
                "skipped": 0, "errors": 0, "accounts": 0}, "rows": 0, "fraction": 0.4, "rate": 0.0,
                "seconds": 0.0, "message": null, "unknown_columns": [], "resumed_after": null, "has_errors": false})
            .to_string(),
            created_by: admin,
            created_at: long_ago,
            updated_at: long_ago,
        },
    )
    .await
    .unwrap();
    let r = app.get(&format!("/api/v1/imports/{id}")).await;
    assert_eq!(r.body["status"], "interrupted", "{}", r.body);

    // Only the user who started it resumes it.
    let r = app
        .request_as(
            &app.user_token,
            Method::POST,
            &format!("/api/v1/imports/{id}/resume"),
            None,
            &[],
        )
        .await;
    r.assert_problem_status(404);
    let r = app.post(&format!("/api/v1/imports/{id}/resume"), json!({})).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let done = finished(&app, &id.to_string()).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["counts"]["created"], 2);
    // A finished import is not resumed again.
    let r = app.post(&format!("/api/v1/imports/{id}/resume"), json!({})).await;
    r.assert_problem(422, "status");
    app.stop().await;
}

#[tokio::test]
async fn a_user_imports_from_the_list_page_and_follows_the_progress() {
    let app = TestApp::spawn().await;
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, list) = b.get("/o/contacts").await;
    assert!(list.contains("/o/contacts/import"), "the list offers an import");
    let (status, _, form) = b.get("/o/contacts/import").await;
    assert_eq!(status, 200);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    let token = crate::web::csrf(&form);

    let send = |fields: Vec<(&'static str, String)>, file: Option<(&'static str, Vec<u8>)>| {
        let cookie = b.cookies.join("; ");
        let url = format!("{}/o/contacts/import", app.url);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (kind, body) =
                crate::web::multipart(&f, file.as_ref().map(|(n, b)| (*n, "text/csv", b.as_slice())));
            let res = client
                .post(url)
                .header("content-type", kind)
                .header("cookie", cookie)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (status, location, res.text().await.unwrap())
        }
    };

    // No token: refused, nothing kept. No file: the problem beside the file input.
    let (status, _, _) = send(vec![], Some(("a.csv", gb18030_file()))).await;
    assert_eq!(status, 403);
    let (status, _, page) = send(vec![("csrf", token.clone())], None).await;
    assert_eq!(status, 422);
    assert!(page.contains("import-file-error"), "{page}");

    let (status, location, _) = send(
        vec![("csrf", token.clone()), ("on_duplicate", "skip".into())],
        Some(("名单.csv", gb18030_file())),
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with("/imports/"), "{location}");
    let id = location.trim_start_matches("/imports/");
    finished(&app, id).await;
    let (status, _, page) = b.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("<progress"), "{page}");
    assert!(
        !page.contains("data-running"),
        "a finished import stops reloading"
    );
    assert!(page.contains(&format!("/imports/{id}/errors.csv")), "{page}");
    let (status, _, errors) = b.get(&format!("/imports/{id}/errors.csv")).await;
    assert_eq!(status, 200);
    assert!(errors.contains("\n3,邮箱,"), "{errors}");
    let (_, _, all) = b.get("/imports").await;
    assert!(all.contains("名单.csv"), "{all}");
    app.stop().await;
}

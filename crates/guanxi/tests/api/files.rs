//! Files attached to records: colleagues attach them to what they may edit and download
//! them byte for byte; whoever may not read the record neither lists nor downloads them;
//! customers attach files to their own case in the portal and see the agents' there, and
//! another company's customer gets nothing. Bad uploads are named and store nothing.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("Content-Type", kind)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn colleagues_attach_files_to_records_and_download_them_as_they_were() {
    let app = TestApp::spawn().await;
    app.request(
        Method::PUT,
        "/api/v1/admin/access/cases",
        Some(json!({"sharing": "private"})),
        &[],
    )
    .await;
    let case = app
        .create("cases", json!({"subject": "压缩机异响", "status": "new"}))
        .await;
    let id = case["id"].as_str().unwrap();
    let photo: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let (status, file) = upload(
        &app,
        &app.token,
        &format!("/api/v1/cases/{id}/files?name=%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg"),
        "image/jpeg",
        photo.clone(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["name"], "现场照片.jpg");
    assert_eq!(file["size"], 300_000);
    assert_eq!(file["content_type"], "image/jpeg");
    let listed = app.get(&format!("/api/v1/cases/{id}/files")).await;
    assert_eq!(listed.body["data"][0]["id"], file["id"], "{}", listed.body);
    let res = reqwest::Client::new()
        .get(format!("{}{}", app.url, file["url"].as_str().unwrap()))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E7%8E%B0"),
        "{disposition}"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), photo, "the same bytes");
    assert!(app.audit_actions().await.iter().any(|a| a == "file.attach"));

    // Bad uploads: each named, nothing stored.
    for (path, kind, bytes, field) in [
        (
            format!("/api/v1/cases/{id}/files"),
            "text/plain",
            b"x".to_vec(),
            "name",
        ),
        (
            format!("/api/v1/cases/{id}/files?name=empty.txt"),
            "text/plain",
            Vec::new(),
            "file",
        ),
        (
            format!("/api/v1/cases/{id}/files?name=big.bin"),
            "application/octet-stream",
            vec![0u8; 10 * 1024 * 1024 + 1],
            "file",
        ),
    ] {
        let (status, problem) = upload(&app, &app.token, &path, kind, bytes).await;
        assert_eq!(status, 422, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}/files")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A colleague who may not read the case sees none of it.
    let (status, _) = upload(
        &app,
        &app.user_token,
        &format!("/api/v1/cases/{id}/files?name=x.txt"),
        "text/plain",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status, 404);
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/cases/{id}/files"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            file["url"].as_str().unwrap(),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);

    // On the record page: the file, and the form; a refused upload shows beside the input.
    let mut b = crate::web::Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = b.get(&format!("/o/cases/{id}")).await;
    assert!(
        page.contains("现场照片.jpg") && page.contains(&format!("/o/cases/{id}/files")),
        "{page}"
    );
    let csrf = crate::web::csrf(&page);
    let (status, _, page) = b
        .post_file(
            &format!("/o/cases/{id}/files"),
            &[("csrf", &csrf)],
            Some(("空.txt", "text/plain", b"")),
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="attach-file-error""#), "{page}");
    let (status, to, _) = b
        .post_file(
            &format!("/o/cases/{id}/files"),
            &[("csrf", &csrf)],
            Some(("报价.pdf", "application/pdf", b"%PDF-1.4")),
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/o/cases/{id}#files").as_str())
    );
    let (status, _, _) = b
        .post_file(
            &format!("/o/cases/{id}/files"),
            &[("csrf", "forged")],
            Some(("x.txt", "text/plain", b"x")),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}/files")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn customers_attach_files_to_their_own_case_in_the_portal_only() {
    let app = TestApp::spawn().await;
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let other = app.create("accounts", json!({"name": "东方电气"})).await;
    let mut sun = crate::portal::customer_of(&app, &acme, "孙丽", "sun@huatong.cn").await;
    let mut wang = crate::portal::customer_of(&app, &other, "王强", "wang@dongfang.cn").await;
    let case = app
        .create(
            "cases",
            json!({"subject": "主轴过热", "status": "new", "account": acme["id"]}),
        )
        .await;
    let id = case["id"].as_str().unwrap();
    let (status, _, page) = sun.get(&format!("/portal/cases/{id}")).await;
    assert_eq!(status, 200);
    let csrf = crate::web::csrf(&page);
    let (status, to, _) = sun
        .post_file(
            &format!("/portal/cases/{id}/files"),
            &[("csrf", &csrf)],
            Some(("铭牌.png", "image/png", b"\x89PNG\r\n")),
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/portal/cases/{id}#files").as_str())
    );
    let files = app.get(&format!("/api/v1/cases/{id}/files")).await.body["data"].clone();
    assert_eq!(files[0]["uploaded_by"], "sun@huatong.cn", "{files}");
    let url = format!("/files/{}", files[0]["id"].as_str().unwrap());
    let res = sun.fetch(&url).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n");
    // Another company's customer neither sees the file nor attaches to the case.
    assert_eq!(wang.fetch(&url).await.status(), 404);
    let (_, _, page) = wang.get("/portal").await;
    let csrf = crate::web::csrf(&page);
    let (status, _, _) = wang
        .post_file(
            &format!("/portal/cases/{id}/files"),
            &[("csrf", &csrf)],
            Some(("x.txt", "text/plain", b"x")),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}/files")).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn merging_two_cases_moves_the_files_to_the_kept_one_and_undoing_moves_them_back() {
    let app = TestApp::spawn().await;
    let keep = app
        .create(
            "cases",
            json!({"subject": "电话报修：空调不制冷", "status": "new"}),
        )
        .await;
    let gone = app
        .create(
            "cases",
            json!({"subject": "网页报修：空调不制冷", "status": "new"}),
        )
        .await;
    let (keep, gone) = (keep["id"].as_str().unwrap(), gone["id"].as_str().unwrap());
    let (status, _) = upload(
        &app,
        &app.token,
        &format!("/api/v1/cases/{gone}/files?name=photo.jpg"),
        "image/jpeg",
        vec![1, 2, 3],
    )
    .await;
    assert_eq!(status, 201);
    let r = app
        .post("/api/v1/cases/merge", json!({"survivor": keep, "merged": [gone]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let files = |id: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/cases/{id}/files")).await.body["data"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(files(keep.to_string()).await, 1, "the file moved with the case");
    let merge_id = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/api/v1/merges/{merge_id}/undo"), json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(files(keep.to_string()).await, 0);
    assert_eq!(
        files(gone.to_string()).await,
        1,
        "back on the case it was attached to, which the undo restored"
    );
    app.stop().await;
}

//! The OpenAPI document covers every object and validates as OpenAPI 3.1.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_openapi_document_covers_every_object_and_is_valid() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    for plural in [
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "activities",
        "cases",
        "products",
    ] {
        for suffix in ["", "/{id}", "/{id}/restore", "/{id}/history", "/bulk"] {
            assert!(
                doc.body["paths"][format!("/api/v1/{plural}{suffix}")].is_object(),
                "{plural}{suffix}"
            );
        }
    }
    // Every documented operation is routed: its method is allowed on its path.
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{name}", "contacts")
            .replace("{field}", "name");
        for method in ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .filter(|m| item.get(*m).is_some())
        {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method, "post" | "put" | "patch").then(|| serde_json::json!({}));
            let r = app.request(m, &concrete, body, &[("If-Match", "\"1\"")]).await;
            assert!(r.status != 405, "{method} {path}: {}", r.status);
        }
    }
    if std::env::var("GUANXI_OPENAPI_VALIDATE").as_deref() == Ok("1") {
        let file = app.dir.path().join("openapi.json");
        std::fs::write(&file, doc.body.to_string()).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-m")
            .arg("openapi_spec_validator")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    app.stop().await;
}

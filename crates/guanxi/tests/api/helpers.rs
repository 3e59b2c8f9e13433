//! A small typed client over a real server on a random loopback port, with its own
//! database: a fresh SQLite file, or a fresh schema in the PostgreSQL named by
//! GUANXI_TEST_DATABASE_URL.

use guanxi::startup::{self, Running};
use guanxi_services::Crm;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub url: String,
    pub token: String,
    pub user_token: String,
    pub client: reqwest::Client,
    pub crm: Crm,
    running: Option<Running>,
    pub dir: tempfile::TempDir,
    pub database: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    pub fn content_type(&self) -> String {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// Field names a problem+json response blames.
    pub fn fields_at_fault(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_problem(&self, status: u16, field: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.content_type(), "application/problem+json", "{}", self.body);
        assert_eq!(self.body["status"], json!(status));
        assert!(
            self.fields_at_fault().iter().any(|f| f == field),
            "expected {field} to be named: {}",
            self.body
        );
    }

    #[track_caller]
    pub fn assert_problem_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.content_type(), "application/problem+json", "{}", self.body);
        assert_eq!(self.body["status"], json!(status));
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.body
        );
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_string()
    }
}

/// A database for one test: `None` means a SQLite file in the test's directory.
async fn test_database() -> Option<String> {
    let base = std::env::var("GUANXI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = guanxi_storage::Database::connect(Some(&base), std::path::Path::new("."))
        .await
        .expect("connect to GUANXI_TEST_DATABASE_URL");
    let sql = guanxi_storage::Sql::with(admin.dialect(), &format!("CREATE SCHEMA \"{schema}\""));
    admin.execute(sql).await.expect("create test schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|crm| crm).await
    }

    /// `spawn`, with the service changed before it serves (mail settings, say).
    pub async fn spawn_with(configure: impl FnOnce(Crm) -> Crm) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = test_database().await;
        let crm = startup::open(database.as_deref(), dir.path())
            .await
            .expect("open database");
        crm.ensure_first_admin(Some("admin@example.com"), Some("admin-password"))
            .await
            .expect("admin");
        let token = crm
            .create_token("admin@example.com", "tests", None)
            .await
            .expect("token");
        crm.create_user(guanxi_services::identity::NewUser {
            email: "rep@example.com".into(),
            name: "李娜".into(),
            password: Some("rep-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .expect("rep");
        let user_token = crm
            .create_token("rep@example.com", "tests", None)
            .await
            .expect("token");
        Self::serve(configure(crm), dir, database, token, user_token).await
    }

    async fn serve(
        crm: Crm,
        dir: tempfile::TempDir,
        database: Option<String>,
        token: String,
        user_token: String,
    ) -> TestApp {
        let listener = startup::bind("127.0.0.1:0").await.expect("bind");
        let running = startup::spawn(crm.clone(), listener).expect("serve");
        let url = running.url();
        let client = reqwest::Client::new();
        // Poll readiness rather than sleeping.
        for _ in 0..100 {
            if client
                .get(format!("{url}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        TestApp {
            url,
            token,
            user_token,
            client,
            crm,
            running: Some(running),
            dir,
            database,
        }
    }

    /// Stops the server and starts a new one on the same database (migrations run again).
    pub async fn restart(mut self) -> TestApp {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        let crm = startup::open(self.database.as_deref(), self.dir.path())
            .await
            .expect("reopen database");
        assert!(
            crm.ensure_first_admin(Some("other@example.com"), None)
                .await
                .expect("admin check")
                .is_none()
        );
        let TestApp {
            dir,
            database,
            token,
            user_token,
            ..
        } = self;
        Self::serve(crm, dir, database, token, user_token).await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.request_as(&self.token, method, path, body, headers).await
    }

    pub async fn request_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value, if_match: &str) -> Resp {
        self.request(Method::PATCH, path, Some(body), &[("If-Match", if_match)])
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request(Method::DELETE, path, None, &[]).await
    }

    /// Creates a record and returns it, failing the test if that is refused.
    /// A staff user (no administrator) who signs in with `secret-password`; its id.
    pub async fn add_user(&self, email: &str, name: &str) -> String {
        self.crm
            .create_user(guanxi_services::identity::NewUser {
                email: email.into(),
                name: name.into(),
                password: Some("secret-password".into()),
                is_admin: false,
                locale: guanxi_core::Locale::ZhCn,
            })
            .await
            .expect("user")
            .id
            .to_string()
    }

    /// A role in the hierarchy (below `parent`, if given); its id.
    pub async fn add_role(&self, name: &str, parent: Option<&str>) -> String {
        let r = self
            .post("/api/v1/admin/roles", json!({"name": name, "parent": parent}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.id()
    }

    /// A staff user `{name}@example.org` (in `role`, if given) with an API token; returns
    /// (id, token).
    pub async fn person(&self, name: &str, role: Option<&str>) -> (String, String) {
        let email = format!("{name}@example.org");
        let id = self.add_user(&email, name).await;
        if let Some(role) = role {
            let r = self
                .request(
                    Method::PATCH,
                    &format!("/api/v1/admin/users/{id}"),
                    Some(json!({ "role": role })),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        }
        let token = self.crm.create_token(&email, "test", None).await.unwrap();
        (id, token)
    }

    /// Makes user `id` a partner user of the partner company `account`.
    pub async fn make_partner(&self, id: &str, account: &str) {
        let r = self
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/users/{id}"),
                Some(json!({"kind": "partner", "partner_account": account})),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }

    pub async fn create(&self, plural: &str, body: Value) -> Value {
        let r = self.post(&format!("/api/v1/{plural}"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// Every record of a list, following cursors.
    pub async fn list_all(&self, plural: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/{plural}?{query}");
            if let Some(c) = &cursor {
                path = format!("{path}&cursor={c}");
            }
            let r = self.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            out.extend(r.body["data"].as_array().cloned().unwrap_or_default());
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// Gives the representative a role "Rep" under which contacts are private and their
    /// email hidden; returns (role id, the representative's user id).
    pub async fn rep_with_private_contacts_and_hidden_email(&self) -> (String, String) {
        let role = self
            .post("/api/v1/admin/roles", json!({"name": "Rep"}))
            .await
            .id();
        let me = self
            .request_as(&self.user_token, Method::GET, "/api/v1/me", None, &[])
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = self
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/users/{me}"),
                Some(json!({"role": role})),
                &[],
            )
            .await;
        assert_eq!(r.status, 204);
        let r = self
            .request(
                Method::PUT,
                "/api/v1/admin/access/contacts",
                Some(json!({"sharing": "private", "fields": {role.clone(): {"email": "hidden"}}})),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        (role, me)
    }

    /// The actions in the audit trail, newest first (up to 1,000), as the administrator reads it.
    pub async fn audit_actions(&self) -> Vec<String> {
        let r = self.get("/api/v1/audit?limit=1000").await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// URL-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

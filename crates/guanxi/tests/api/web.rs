//! The web pages over HTTP as a browser without JavaScript sees them: sign-in, lists with
//! filters and sorting, record pages, languages, sign-out — with the API's permissions.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

/// A multipart/form-data body by hand: text fields, then the file (name, type, bytes).
pub(crate) fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----guanxi-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some((name, kind, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    pub(crate) cookies: Vec<String>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url.clone(),
            cookies: Vec::new(),
        }
    }

    /// A browser signed in as `email`.
    pub(crate) async fn signed_in(app: &TestApp, email: &str, password: &str) -> Browser {
        let mut b = Browser::new(app);
        let (status, _, _) = b
            .post("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(status, 303, "signed in as {email}");
        b
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            self.cookies.retain(|k| !k.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> (u16, String, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookies.join("; "))
            .header("Accept-Language", "zh-CN")
            .send()
            .await
            .unwrap();
        self.answer(res).await
    }

    /// A form with a file, as a browser sends it (multipart).
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> (u16, String, String) {
        let (kind, body) = multipart(fields, file);
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookies.join("; "))
            .header("Content-Type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        self.answer(res).await
    }

    /// Status, redirect target and page of an answer, its cookies kept.
    async fn answer(&mut self, res: reqwest::Response) -> (u16, String, String) {
        self.keep(&res);
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, location, res.text().await.unwrap())
    }

    /// The raw answer to a GET (for downloads).
    pub(crate) async fn fetch(&mut self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookies.join("; "))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        self.post_accepting(path, form, "text/html").await
    }

    /// A form posted the way the page script posts it (`accept` application/json).
    pub(crate) async fn post_accepting(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> (u16, String, String) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookies.join("; "))
            .header("Accept", accept)
            .form(form)
            .send()
            .await
            .unwrap();
        self.answer(res).await
    }
}

pub(crate) fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_user_signs_in_lists_filters_opens_a_record_switches_language_and_signs_out() {
    let app = TestApp::spawn().await;
    for (name, city) in [
        ("张伟", "上海"),
        ("李娜", "北京"),
        ("<script>alert(1)</script>", "上海"),
    ] {
        app.create(
            "contacts",
            json!({"name": name, "city": city, "mobile": "138 0013 8000"}),
        )
        .await;
    }
    let mut b = Browser::new(&app);
    let (status, to, _) = b.get("/o/contacts").await;
    assert_eq!((status, to.as_str()), (303, "/login"), "pages need a session");
    let (status, _, page) = b.get("/login").await;
    assert_eq!(status, 200);
    assert!(page.contains("登录") && page.contains("<label for=\"email\">"));

    let (status, _, page) = b
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        page.contains("role=\"alert\"") && page.contains("admin@example.com"),
        "{page}"
    );
    let (status, to, _) = b
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "admin-password")],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/"));
    assert!(b.cookies.iter().any(|c| c.starts_with("gx_session=")));

    // The home page is the user's day: open opportunities, not the closed ones.
    for (name, stage) in [("苏州工业园区项目", "proposal"), ("已赢的项目", "closed_won")] {
        app.create(
            "opportunities",
            json!({"name": name, "stage": stage, "close_date": "2026-12-31"}),
        )
        .await;
    }
    let (status, _, page) = b.get("/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("我的一天") && page.contains("我的进行中商机"),
        "{page}"
    );
    assert!(page.contains("苏州工业园区项目") && !page.contains("已赢的项目"));

    let (status, _, page) = b.get("/o/contacts").await;
    assert_eq!(status, 200);
    assert!(page.contains("张伟") && page.contains("李娜"));
    assert!(!page.contains("<script>alert(1)"), "values are escaped");
    assert!(page.contains("&lt;script&gt;"));
    let (_, _, page) = b
        .get("/o/contacts?filter=city%20eq%20%27%E5%8C%97%E4%BA%AC%27")
        .await;
    assert!(
        page.contains("李娜") && !page.contains("张伟"),
        "filtered by city"
    );
    let (status, _, page) = b.get("/o/contacts?filter=colour%20eq%201").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"filter-error\"") && page.contains("colour"),
        "the error beside the filter"
    );
    let (_, _, page) = b.get("/o/contacts?sort=-name").await;
    assert!(page.find("李娜").unwrap() < page.find("张伟").unwrap() || page.contains("▼"));

    let id = app
        .list_all("contacts", "&filter=name%20eq%20%27%E5%BC%A0%E4%BC%9F%27")
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>张伟</h1>") && page.contains("+8613800138000"),
        "{page}"
    );
    assert!(page.contains("时间线"));

    let (status, to, _) = b.get(&format!("/lang/zh-TW?back=/o/contacts/{id}")).await;
    assert_eq!((status, to.as_str()), (303, format!("/o/contacts/{id}").as_str()));
    let (_, _, page) = b.get(&format!("/o/contacts/{id}")).await;
    assert!(page.contains("lang=\"zh-TW\"") && page.contains("時間軸"));
    b.get("/lang/en?back=//evil.example").await;
    let (_, _, page) = b.get("/o/contacts").await;
    assert!(page.contains("Contacts") && page.contains("Sign out"));

    // Signing out needs the session's CSRF token.
    let (status, _, _) = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(status, 403);
    let token = csrf(&page);
    let (status, to, _) = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!((status, to.as_str()), (303, "/login"));
    let (status, to, _) = b.get("/o/contacts").await;
    assert_eq!((status, to.as_str()), (303, "/login"));
    app.stop().await;
}

#[tokio::test]
async fn a_rep_cannot_open_a_record_of_another_rep_in_the_browser() {
    let app = TestApp::spawn().await;
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/contacts",
            Some(json!({"sharing": "private"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    app.crm
        .create_user(guanxi_services::identity::NewUser {
            email: "rep.a@example.org".into(),
            name: "Rep A".into(),
            password: Some("rep-a-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::En,
        })
        .await
        .unwrap();
    let theirs = app.create("contacts", json!({"name": "别人的客户"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = Browser::new(&app);
    let (status, _, _) = b
        .post(
            "/login",
            &[("email", "rep.a@example.org"), ("password", "rep-a-password")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = b.get(&format!("/o/contacts/{theirs}")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("别人的客户"));
    let (_, _, page) = b.get("/o/contacts").await;
    assert!(!page.contains("别人的客户"));
    app.stop().await;
}

fn input_value(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page.find(&key).unwrap() + key.len();
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn forms_create_and_edit_with_errors_beside_fields_and_nothing_half_saved() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    b.post(
        "/login",
        &[("email", "admin@example.com"), ("password", "admin-password")],
    )
    .await;
    let (status, _, page) = b.get("/o/contacts/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("<label for=\"f-name\">"), "labelled inputs");
    let token = csrf(&page);

    let (status, _, page) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "欧阳娜娜"),
                ("mobile", "139-1234 5678"),
                ("email", "not-an-email"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"e-email\""),
        "the error beside the email field: {page}"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("value=\"欧阳娜娜\""), "what was typed stays");
    assert!(app.list_all("contacts", "").await.is_empty(), "nothing saved");

    let (status, _, _) = b
        .post("/o/contacts/new", &[("csrf", "forged"), ("name", "x")])
        .await;
    assert_eq!(status, 403);

    let (status, to, _) = b
        .post(
            "/o/contacts/new",
            &[
                ("csrf", &token),
                ("name", "欧阳娜娜"),
                ("mobile", "139-1234 5678"),
                ("tags", "vip, 华东"),
            ],
        )
        .await;
    assert_eq!(status, 303, "created");
    let (_, _, page) = b.get(&to).await;
    assert!(
        page.contains("+8613912345678") && page.contains("vip, 华东"),
        "{page}"
    );

    // Two people edit at once: the second save shows a conflict and the current values.
    let (_, _, form1) = b.get(&format!("{to}/edit")).await;
    let version = input_value(&form1, "version");
    let (status, back, _) = b
        .post(
            &format!("{to}/edit"),
            &[
                ("csrf", &token),
                ("version", &version),
                ("name", "欧阳娜娜"),
                ("city", "杭州"),
            ],
        )
        .await;
    assert_eq!((status, back.as_str()), (303, to.as_str()));
    let (status, _, page) = b
        .post(
            &format!("{to}/edit"),
            &[
                ("csrf", &token),
                ("version", &version),
                ("name", "覆盖"),
                ("city", "上海"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        page.contains("value=\"杭州\""),
        "the stored value, not a silent overwrite"
    );
    let stored = &app.list_all("contacts", "").await[0];
    assert_eq!(stored["city"], "杭州");
    assert_eq!(stored["name"], "欧阳娜娜");

    let (status, back, _) = b.post(&format!("{to}/delete"), &[("csrf", &token)]).await;
    assert_eq!((status, back.as_str()), (303, "/o/contacts"));
    assert!(app.list_all("contacts", "").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn pages_show_what_the_role_sees_related_lists_and_export_links() {
    let app = TestApp::spawn().await;
    let role = app.post("/api/v1/admin/roles", json!({"name": "Rep"})).await.id();
    let user = app
        .crm
        .create_user(guanxi_services::identity::NewUser {
            email: "rep.b@example.org".into(),
            name: "Rep B".into(),
            password: Some("rep-b-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap();
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
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
    let account = app.create("accounts", json!({"name": "杭州娃哈哈集团"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.create(
        "contacts",
        json!({"name": "宗馥莉", "mobile": "13800138000", "email": "fuli@example.com", "account": account}),
    )
    .await;
    let mut b = Browser::new(&app);
    b.post(
        "/login",
        &[("email", "rep.b@example.org"), ("password", "rep-b-password")],
    )
    .await;
    let (_, _, page) = b.get("/o/contacts").await;
    assert!(
        page.contains("fuli@example.com"),
        "the email column still shows the email"
    );
    assert!(
        !page.contains("13800138000") && !page.contains("手机"),
        "the hidden mobile is nowhere"
    );
    assert!(
        page.contains("/api/v1/contacts/export?fields=") && page.contains("&amp;format=xlsx"),
        "export links of what the list shows"
    );
    let (status, _, csv) = b.get("/api/v1/contacts/export?format=csv").await;
    assert_eq!(status, 200, "the session exports what it sees: {csv}");
    assert!(csv.contains("宗馥莉") && !csv.contains("13800138000"));
    let (_, _, page) = b.get(&format!("/o/accounts/{account}")).await;
    assert!(page.contains("宗馥莉"), "the account's contacts are listed on it");
    assert!(!page.contains("13800138000"));
    app.stop().await;
}

/// The representative signed in, and a contact of their own (id).
pub(crate) async fn rep_with_own_contact(app: &TestApp) -> (String, Browser) {
    let own = app
        .request_as(
            &app.user_token,
            reqwest::Method::POST,
            "/api/v1/contacts",
            Some(serde_json::json!({"name": "客户甲"})),
            &[],
        )
        .await
        .id();
    (
        own,
        Browser::signed_in(app, "rep@example.com", "rep-password").await,
    )
}

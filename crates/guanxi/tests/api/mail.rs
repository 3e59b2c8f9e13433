//! Outgoing mail and portal self-registration, against a local SMTP server (a stand-in
//! for the company's mail service that speaks the protocol and keeps what it receives):
//! an invitation is mailed when a colleague invites a contact; a customer we know who
//! registers gets a link by mail to choose a password and then signs in; anyone else
//! becomes a lead and nobody learns which addresses we know; a server that refuses mail
//! is tried again later, and administrators see each message's outcome.

use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::TestApp;
use crate::web::Browser;

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The text of the message body, decoded (base64 or quoted-printable).
    pub fn text(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        let head = head.to_ascii_lowercase();
        if head.contains("content-transfer-encoding: base64") {
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(clean).unwrap()).unwrap()
        } else if head.contains("content-transfer-encoding: quoted-printable") {
            let joined = body.replace("=\r\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        } else {
            body.to_string()
        }
    }

    /// The path of the first link to this installation in the message.
    pub fn link(&self) -> String {
        let text = self.text();
        let at = text.find("http://guanxi.test").expect("a link");
        text[at + "http://guanxi.test".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }
}

/// A mail server on loopback: accepts every message (or, while `refusing`, answers each
/// with a temporary failure) and keeps what it accepted.
#[derive(Clone)]
pub struct SmtpStandIn {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub refusing: Arc<Mutex<bool>>,
}

impl SmtpStandIn {
    pub async fn start() -> SmtpStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let refusing: Arc<Mutex<bool>> = Arc::default();
        let (kept, refuse) = (received.clone(), refusing.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (kept, refuse) = (kept.clone(), refuse.clone());
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 stand-in ESMTP\r\n").await;
                    let mut to = Vec::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let command = line.trim_end().to_ascii_uppercase();
                        let answer: &[u8] = if command.starts_with("EHLO") {
                            b"250-stand-in\r\n250 8BITMIME\r\n"
                        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
                            b"250 ok\r\n"
                        } else if command.starts_with("MAIL FROM") {
                            to.clear();
                            if *refuse.lock().unwrap() {
                                b"451 try again later\r\n"
                            } else {
                                b"250 ok\r\n"
                            }
                        } else if command.starts_with("RCPT TO") {
                            let addr = line.trim_end()[8..].trim().trim_matches(['<', '>']).to_string();
                            to.push(addr);
                            b"250 ok\r\n"
                        } else if command == "DATA" {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            }
                            kept.lock().unwrap().push(Received { to: to.clone(), data });
                            b"250 queued\r\n"
                        } else if command.starts_with("RSET") {
                            b"250 ok\r\n"
                        } else if command.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"502 not here\r\n"
                        };
                        if write.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpStandIn {
            url,
            received,
            refusing,
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// An app that mails through `smtp`, its links under http://guanxi.test.
async fn mailing(smtp: &SmtpStandIn) -> TestApp {
    let settings =
        guanxi::mail::settings(&smtp.url, "Guanxi 客服 <service@acme.test>", "http://guanxi.test").unwrap();
    TestApp::spawn_with(|crm| crm.with_mail(settings)).await
}

/// A colleague invites `contact` to the portal.
async fn invite(app: &TestApp, contact: &serde_json::Value) -> crate::helpers::Resp {
    let id = contact["id"].as_str().unwrap();
    app.post(&format!("/api/v1/contacts/{id}/portal-invitation"), json!({}))
        .await
}

/// 华通机械 and its contact 孙丽 (sun@huatong.cn).
async fn customer(app: &TestApp) -> (serde_json::Value, serde_json::Value) {
    let acme = app.create("accounts", json!({"name": "华通机械"})).await;
    let sun = app
        .create(
            "contacts",
            json!({"name": "孙丽", "account": acme["id"], "email": "sun@huatong.cn"}),
        )
        .await;
    (acme, sun)
}

#[tokio::test]
async fn an_invitation_is_mailed_and_a_known_customer_registers_with_their_email() {
    let smtp = SmtpStandIn::start().await;
    let app = mailing(&smtp).await;
    let (_, sun) = customer(&app).await;
    let r = invite(&app, &sun).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["mailed"], true);
    app.crm.send_due_mail().await.unwrap();
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, vec!["sun@huatong.cn".to_string()]);
    assert!(sent[0].data.contains("service@acme.test"), "{}", sent[0].data);
    let text = sent[0].text();
    assert!(text.contains("孙丽") && text.contains("14"), "{text}");
    assert_eq!(sent[0].link(), r.body["path"].as_str().unwrap());

    // A customer whose email we know registers: the link comes by mail and lets them in.
    let mut visitor = Browser::new(&app);
    let (status, _, page) = visitor.get("/login").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"href="/portal/register""#), "{page}");
    let (status, _, page) = visitor.get("/portal/register").await;
    assert_eq!(status, 200);
    assert!(page.contains("website_url"), "{page}");
    let (status, _, page) = visitor
        .post(
            "/portal/register",
            &[("name", ""), ("email", "不是邮箱"), ("website_url", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"id="register-name-error""#) && page.contains(r#"id="register-email-error""#),
        "{page}"
    );
    let (status, to, _) = visitor
        .post(
            "/portal/register",
            &[
                ("name", "孙丽"),
                ("company", "华通"),
                ("email", "SUN@huatong.cn"),
                ("website_url", ""),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/portal/register/thanks"));
    app.crm.send_due_mail().await.unwrap();
    let sent = smtp.messages();
    assert_eq!(sent.len(), 2, "the second invitation");
    let path = sent[1].link();
    assert!(path.starts_with("/portal/invite/"), "{path}");
    let (status, to, _) = visitor.post(&path, &[("password", "huatong-2026")]).await;
    assert_eq!((status, to.as_str()), (303, "/portal"));
    let (_, _, page) = visitor.get("/portal").await;
    assert!(page.contains("孙丽") && page.contains("华通机械"), "{page}");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "portal.self_registration")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_stranger_who_registers_becomes_a_lead_and_learns_nothing() {
    let smtp = SmtpStandIn::start().await;
    let app = mailing(&smtp).await;
    app.add_user("staff@acme.test", "同事").await;
    let mut visitor = Browser::new(&app);
    let (status, to, _) = visitor
        .post(
            "/portal/register",
            &[
                ("name", "周杰"),
                ("company", "新客户有限公司"),
                ("email", "zhou@new.cn"),
                ("mobile", "13900001111"),
                ("website_url", ""),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/portal/register/thanks"),
        "the same answer as for a customer"
    );
    // A colleague's address gets nothing either, and no portal user.
    let (status, to, _) = visitor
        .post(
            "/portal/register",
            &[
                ("name", "冒充"),
                ("email", "staff@acme.test"),
                ("website_url", ""),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/portal/register/thanks"));
    // A robot filling the hidden field is answered alike and leaves nothing.
    visitor
        .post(
            "/portal/register",
            &[
                ("name", "bot"),
                ("email", "bot@spam.cn"),
                ("website_url", "http://x"),
            ],
        )
        .await;
    app.crm.send_due_mail().await.unwrap();
    assert!(
        smtp.messages().is_empty(),
        "nothing is mailed to addresses we do not know"
    );
    let leads = app.list_all("leads", "").await;
    let names: Vec<&str> = leads.iter().filter_map(|l| l["name"].as_str()).collect();
    assert!(names.contains(&"周杰") && !names.contains(&"bot"), "{names:?}");
    let zhou = leads.iter().find(|l| l["name"] == "周杰").unwrap();
    assert_eq!(
        (zhou["company"].as_str(), zhou["mobile"].as_str()),
        (Some("新客户有限公司"), Some("+8613900001111"))
    );
    app.stop().await;
}

#[tokio::test]
async fn mail_the_server_refuses_is_tried_again_and_administrators_see_how_it_went() {
    let smtp = SmtpStandIn::start().await;
    let app = mailing(&smtp).await;
    let (_, sun) = customer(&app).await;
    *smtp.refusing.lock().unwrap() = true;
    let r = invite(&app, &sun).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.crm.send_due_mail().await.unwrap(), 0);
    let mut admin = Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = admin.get("/admin/mail").await;
    assert_eq!(status, 200);
    assert!(page.contains("sun@huatong.cn") && page.contains("451"), "{page}");
    assert!(page.contains(&smtp.url) && !page.contains("password"), "{page}");
    // Not again before its pause is over; then it goes.
    *smtp.refusing.lock().unwrap() = false;
    assert_eq!(app.crm.send_due_mail().await.unwrap(), 0, "waits its turn");
    assert!(smtp.messages().is_empty());
    let rows = app
        .crm
        .outbox(&app.crm.actor_for_email("admin@example.com").await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].next_attempt_at > rows[0].created_at);
    app.stop().await;
}

#[tokio::test]
async fn without_a_mail_server_nothing_is_queued_and_registration_is_closed() {
    let app = TestApp::spawn().await;
    let (_, sun) = customer(&app).await;
    let r = invite(&app, &sun).await;
    assert_eq!(r.body["mailed"], false);
    let mut visitor = Browser::new(&app);
    let (_, _, page) = visitor.get("/login").await;
    assert!(!page.contains("/portal/register"), "{page}");
    let (status, _, _) = visitor.get("/portal/register").await;
    assert_eq!(status, 403);
    let mut admin = Browser::signed_in(&app, "admin@example.com", "admin-password").await;
    let (_, _, page) = admin.get("/admin/mail").await;
    assert!(page.contains("GUANXI_SMTP_URL"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_customer_is_asked_by_mail_how_their_case_went_when_it_ends() {
    let smtp = SmtpStandIn::start().await;
    let app = mailing(&smtp).await;
    let (acme, sun) = customer(&app).await;
    let nobody = app
        .create("contacts", json!({"name": "无邮箱", "account": acme["id"]}))
        .await;
    let case = app
        .create(
            "cases",
            json!({"subject": "主轴异响", "status": "new", "contact": sun["id"], "account": acme["id"]}),
        )
        .await;
    let quiet = app
        .create(
            "cases",
            json!({"subject": "电话咨询", "status": "new", "contact": nobody["id"]}),
        )
        .await;
    for c in [&case, &quiet] {
        let r = app
            .patch(
                &format!("/api/v1/cases/{}", c["id"].as_str().unwrap()),
                json!({"status": "resolved"}),
                &format!("\"{}\"", c["version"]),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    app.crm.send_due_mail().await.unwrap();
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "only the contact with an email is asked");
    assert_eq!(sent[0].to, vec!["sun@huatong.cn".to_string()]);
    assert!(sent[0].text().contains("主轴异响"), "{}", sent[0].text());
    let link = sent[0].link();
    let survey = app
        .get(&format!("/api/v1/cases/{}/survey", case["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        link,
        survey.body["path"].as_str().unwrap(),
        "the same signed link agents see"
    );
    let mut customer = Browser::new(&app);
    let (status, _, page) = customer.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("主轴异响"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn customers_are_written_to_in_their_language() {
    let smtp = SmtpStandIn::start().await;
    let app = mailing(&smtp).await;
    let acme = app.create("accounts", json!({"name": "台中精機"})).await;
    let lin = app
        .create(
            "contacts",
            json!({"name": "林志明", "account": acme["id"], "email": "lin@taichung.tw", "language": "zh-tw"}),
        )
        .await;
    let anna = app
        .create(
            "contacts",
            json!({"name": "Anna Weber", "account": acme["id"], "email": "anna@example.de", "language": "en"}),
        )
        .await;
    let r = invite(&app, &lin).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let case = app
        .create(
            "cases",
            json!({"subject": "Spindle noise", "status": "new", "contact": anna["id"]}),
        )
        .await;
    let r = app
        .patch(
            &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()),
            json!({"status": "closed"}),
            &format!("\"{}\"", case["version"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.crm.send_due_mail().await.unwrap();
    let sent = smtp.messages();
    let to = |who: &str| {
        sent.iter()
            .find(|m| m.to == vec![who.to_string()])
            .expect(who)
            .text()
    };
    assert!(
        to("lin@taichung.tw").contains("請透過以下連結設定"),
        "{}",
        to("lin@taichung.tw")
    );
    assert!(
        to("anna@example.de").contains("Two questions"),
        "{}",
        to("anna@example.de")
    );
    // The portal speaks their language too.
    let mut visitor = Browser::new(&app);
    let path = sent
        .iter()
        .find(|m| m.to == vec!["lin@taichung.tw".to_string()])
        .unwrap()
        .link();
    let (status, _, _) = visitor.post(&path, &[("password", "taichung-2026")]).await;
    assert_eq!(status, 303);
    let (_, _, page) = visitor.get("/portal").await;
    assert!(page.contains(r#"lang="zh-TW""#), "{page}");
    app.stop().await;
}

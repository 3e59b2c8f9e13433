//! Exports: the list a user sees, as a real CSV or XLSX file, with nothing a spreadsheet
//! would execute and nothing the user may not see; every export in the audit trail.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn download(app: &TestApp, token: &str, path: &str, lang: &str) -> (u16, String, Vec<u8>) {
    let res = app
        .client
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_csv_export_is_the_list_the_user_sees_with_formulas_neutralised() {
    let app = TestApp::spawn().await;
    let (_, me) = app.rep_with_private_contacts_and_hidden_email().await;
    for (name, title) in [
        ("张伟", "=HYPERLINK(\"http://evil.example\",\"点我\")"),
        ("李娜", "@SUM(A1:A9)"),
        ("王芳, \"小王\"", "-2+3"),
    ] {
        // Created by the administrator for the rep: the rep may not write the hidden email.
        let r = app
            .post(
                "/api/v1/contacts",
                json!({"name": name, "title": title, "email": "secret@example.com", "mobile": "138 0013 8000", "owner": me}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    app.create("contacts", json!({"name": "别人的联系人"})).await;

    let (status, kind, bytes) = download(
        &app,
        &app.user_token,
        "/api/v1/contacts/export?format=csv&sort=name&fields=name,title,mobile",
        "zh-CN",
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(kind.starts_with("text/csv"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    let mut reader = csv_lines(&text[3..]);
    assert_eq!(reader.remove(0), vec!["姓名", "职务", "手机"]);
    assert_eq!(reader.len(), 3, "only the rep's own contacts: {text}");
    let titles: Vec<&str> = reader.iter().map(|r| r[1].as_str()).collect();
    assert!(titles.iter().all(|t| t.starts_with('\'')), "{titles:?}");
    assert!(
        reader.iter().any(|r| r[0] == "王芳, \"小王\""),
        "quoted round trip: {text}"
    );
    assert!(reader.iter().all(|r| r[2] == "'+8613800138000"), "{text}");
    assert!(!text.contains("secret@example.com") && !text.contains("别人"));

    // The hidden field cannot be asked for, and bad formats are refused by name.
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/contacts/export?fields=email",
            None,
            &[],
        )
        .await;
    r.assert_problem(422, "fields");
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            "/api/v1/contacts/export?format=pdf",
            None,
            &[],
        )
        .await;
    r.assert_problem(422, "format");

    let audit = app.get("/api/v1/audit?action=record.export").await;
    let entry = &audit.body["data"][0];
    assert_eq!(entry["object"], "contact", "{}", audit.body);
    assert_eq!(entry["actor"], me.as_str());
    assert_eq!(entry["detail"]["rows"], 3, "{}", entry);
    assert_eq!(entry["detail"]["format"], "csv");
    app.stop().await;
}

/// Splits CSV text into rows of fields (quotes and doubled quotes handled).
fn csv_lines(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn an_xlsx_export_opens_as_a_workbook_with_numbers_as_numbers() {
    let app = TestApp::spawn().await;
    for (name, amount, stage) in [
        ("苏州项目", "1250000.50", "proposal"),
        ("=cmd|' /C calc'!A0", "-3", "closed_won"),
    ] {
        let r = app
            .post(
                "/api/v1/opportunities",
                json!({"name": name, "amount": {"amount": amount, "currency": "CNY"}, "stage": stage, "close_date": "2026-12-31"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (status, kind, bytes) = download(
        &app,
        &app.token,
        "/api/v1/opportunities/export?format=xlsx&sort=-amount&fields=name,amount,stage",
        "en",
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(
        rows[0],
        vec![
            Data::String("Opportunity name".into()),
            Data::String("Amount".into()),
            Data::String("Amount (currency)".into()),
            Data::String("Stage".into())
        ]
    );
    assert_eq!(rows[1][0], Data::String("苏州项目".into()));
    assert_eq!(rows[1][1], Data::Float(1250000.5));
    assert_eq!(rows[1][2], Data::String("CNY".into()));
    assert_eq!(rows[1][3], Data::String("Proposal".into()), "picklists as labels");
    assert_eq!(rows[2][0], Data::String("'=cmd|' /C calc'!A0".into()));
    assert_eq!(rows[2][1], Data::Float(-3.0), "a negative amount stays a number");
    assert_eq!(rows.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn csv_exports_in_gb18030_on_request_for_spreadsheets_that_expect_it() {
    let app = TestApp::spawn().await;
    app.create("contacts", json!({"name": "欧阳娜娜", "city": "杭州"}))
        .await;
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/contacts/export?format=csv&encoding=gb18030&fields=name,city",
            app.url
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=gb18030");
    let bytes = res.bytes().await.unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    let (text, _, malformed) = encoding_rs::GB18030.decode(&bytes);
    assert!(!malformed && !text.starts_with('\u{feff}'));
    assert!(text.contains("欧阳娜娜,杭州"), "{text}");
    let r = app
        .get("/api/v1/contacts/export?format=xlsx&encoding=gb18030")
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("format"))
    );
    let r = app
        .get("/api/v1/contacts/export?format=csv&encoding=latin1")
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("encoding"))
    );
    app.stop().await;
}

//! vCard 4.0 export and import of contacts, checked with a real parser (Python's
//! `vobject`, installed by `.ci/run`): what Guanxi writes, vobject reads; what vobject
//! writes back, Guanxi reads — and a round trip changes nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Runs the vobject script on a vCard text: what it parsed, and its own serialisation.
fn through_vobject(text: &str) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.vcf"), dir.path().join("out.vcf"));
    std::fs::write(&input, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/vcard_roundtrip.py");
    let run = std::process::Command::new("python3")
        .args([script, input.to_str().unwrap(), output.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "vobject could not read the export (is it installed? `python3 -m pip install vobject`): {}",
        String::from_utf8_lossy(&run.stderr)
    );
    (
        serde_json::from_slice(&run.stdout).unwrap(),
        std::fs::read_to_string(output).unwrap(),
    )
}

async fn export(app: &TestApp) -> String {
    let r = app
        .request(
            Method::GET,
            "/api/v1/contacts/export?format=vcf&sort=name",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/vcard; charset=utf-8");
    r.body.as_str().unwrap().to_string()
}

#[tokio::test]
async fn contacts_export_as_vcards_a_real_parser_reads_and_import_round_trips() {
    let app = TestApp::spawn().await;
    let account = app
        .create("accounts", json!({"name": "杭州娃哈哈集团有限公司"}))
        .await;
    let a = app
        .create(
            "contacts",
            json!({"name": "欧阳娜娜", "account": account["id"], "title": "采购经理", "department": "采购部",
                   "mobile": "139-1234 5678", "email": "nana@example.com", "city": "杭州", "province": "浙江",
                   "address": "西湖区文三路 100 号", "birthday": "1990-05-01",
                   "description": "喜欢龙井茶; 不喝咖啡, 周末勿扰\n第二行"}),
        )
        .await;
    app.create(
        "contacts",
        json!({"name": "John Smith", "phone": "+1 (415) 555-0100"}),
    )
    .await;

    let text = export(&app).await;
    let (parsed, rewritten) = through_vobject(&text);
    assert_eq!(parsed.as_array().unwrap().len(), 2);
    let nana = parsed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["fn"] == "欧阳娜娜")
        .unwrap();
    assert_eq!(nana["version"], "4.0");
    assert_eq!(
        (nana["family"].as_str(), nana["given"].as_str()),
        (Some("欧阳"), Some("娜娜"))
    );
    assert_eq!(nana["org"], json!(["杭州娃哈哈集团有限公司", "采购部"]));
    assert_eq!(nana["uid"], format!("urn:uuid:{}", a["id"].as_str().unwrap()));
    assert_eq!(nana["tel"], json!(["tel:+8613912345678"]));
    assert_eq!(nana["email"], json!(["nana@example.com"]));
    assert_eq!(
        nana["note"], "喜欢龙井茶; 不喝咖啡, 周末勿扰\n第二行",
        "escapes survive"
    );
    assert_eq!(nana["adr"][0]["city"], "杭州");
    assert_eq!(nana["bday"], "19900501");

    // What vobject writes back, Guanxi reads: the UIDs name the same contacts, so nothing
    // is duplicated and nothing changes.
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/v1/contacts/vcard", app.url))
        .bearer_auth(&app.token)
        .header("content-type", "text/vcard")
        .body(rewritten.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        (answer["created"].as_i64(), answer["failed"].as_i64()),
        (Some(0), Some(0)),
        "{answer}"
    );
    assert_eq!(app.list_all("contacts", "").await.len(), 2);
    let again = app
        .get(&format!("/api/v1/contacts/{}", a["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(again["mobile"], "+8613912345678");
    assert_eq!(again["description"], "喜欢龙井茶; 不喝咖啡, 周末勿扰\n第二行");

    // Into an empty Guanxi the same cards create the contacts and their account.
    let other = TestApp::spawn().await;
    let res = client
        .post(format!("{}/api/v1/contacts/vcard", other.url))
        .bearer_auth(&other.token)
        .body(rewritten)
        .send()
        .await
        .unwrap();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["created"], 2, "{answer}");
    let nana = &other
        .list_all(
            "contacts",
            "filter=name%20eq%20'%E6%AC%A7%E9%98%B3%E5%A8%9C%E5%A8%9C'",
        )
        .await[0];
    let accounts = other.list_all("accounts", "").await;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["name"], "杭州娃哈哈集团有限公司");
    assert_eq!(nana["account"], accounts[0]["id"]);
    assert_eq!(
        (nana["title"].as_str(), nana["birthday"].as_str()),
        (Some("采购经理"), Some("1990-05-01"))
    );
    other.stop().await;

    // A broken stream is refused naming the line; other objects have no vCards.
    let res = client
        .post(format!("{}/api/v1/contacts/vcard", app.url))
        .bearer_auth(&app.token)
        .body("BEGIN:VCARD\nFN:x\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "vcard");
    let r = app.get("/api/v1/accounts/export?format=vcf").await;
    assert_eq!(r.status, 422);
    app.stop().await;
}

#[tokio::test]
async fn every_card_names_its_organisation_however_many_accounts_there_are() {
    let app = TestApp::spawn().await;
    let accounts: Vec<Value> = (0..150).map(|i| json!({"name": format!("公司{i:03}")})).collect();
    let r = app
        .post("/api/v1/accounts/bulk", json!({"records": accounts}))
        .await;
    assert_eq!(r.body["created"], 150, "{}", r.body);
    let contacts: Vec<Value> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"name": format!("联系人{i:03}"), "account": a["id"]}))
        .collect();
    let r = app
        .post("/api/v1/contacts/bulk", json!({"records": contacts}))
        .await;
    assert_eq!(r.body["created"], 150, "{}", r.body);
    let text = export(&app).await;
    assert_eq!(text.matches("BEGIN:VCARD").count(), 150);
    assert_eq!(
        text.matches("ORG:公司").count(),
        150,
        "names looked up past the first chunk of ids"
    );
    app.stop().await;
}

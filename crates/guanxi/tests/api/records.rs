//! CRUD for every standard object, the way an integrator uses the API.

use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn bodies(app: &TestApp) -> Vec<(&'static str, Value, Value)> {
    let account = app
        .create(
            "accounts",
            json!({"name": "苏州华通精密机械有限公司", "industry": "manufacturing", "region": "east", "province": "江苏",
                   "city": "苏州", "phone": "0512-6288 1234", "website": "huatong.cn", "annual_revenue": "52000000", "tags": ["重点"]}),
        )
        .await;
    let acc = account["id"].clone();
    let contact = app
        .create(
            "contacts",
            json!({"name": "王芳", "account": acc, "mobile": "13912345678"}),
        )
        .await;
    let con = contact["id"].clone();
    vec![
        (
            "accounts",
            json!({"name": "杭州云帆科技有限公司", "type": "prospect", "tier": "key", "employees": 120}),
            json!({"tier": "strategic"}),
        ),
        (
            "contacts",
            json!({"name": "张伟", "account": acc, "reports_to": con, "title": "采购经理", "mobile": "+86 138-0013-8000",
                   "email": "Zhang.Wei@HuaTong.cn", "birthday": "1985/3/8", "tags": "VIP；华东"}),
            json!({"title": "采购总监"}),
        ),
        (
            "leads",
            json!({"name": "陈静", "company": "宁波海曙外贸有限公司", "status": "new", "mobile": "13700001111", "budget": 300000}),
            json!({"status": "working"}),
        ),
        (
            "opportunities",
            json!({"name": "华通 - 五轴加工中心", "account": acc, "contact": con, "amount": {"amount": "1250000", "currency": "CNY"},
                   "stage": "proposal", "close_date": "2026-12-31", "probability": "50%"}),
            json!({"stage": "negotiation", "probability": 70}),
        ),
        (
            "activities",
            json!({"subject": "电话回访：确认报价细节", "type": "call", "channel": "phone", "direction": "outbound",
                   "outcome": "interested", "starts_at": "2026-11-20 10:00", "duration_minutes": 15, "contact": con, "account": acc}),
            json!({"outcome": "follow_up"}),
        ),
        (
            "cases",
            json!({"subject": "设备异响，需上门检修", "status": "new", "priority": "high", "type": "complaint", "origin": "phone",
                   "account": acc, "contact": con}),
            json!({"status": "in_progress"}),
        ),
        (
            "products",
            json!({"name": "五轴加工中心 VMC-850", "code": "P-0001", "family": "hardware", "unit": "set",
                   "list_price": "1280000.00", "tax_rate": "13", "active": true}),
            json!({"active": false}),
        ),
    ]
}

#[tokio::test]
async fn every_standard_object_supports_create_read_update_delete_restore() {
    let app = TestApp::spawn().await;
    for (plural, create, patch) in bodies(&app).await {
        let created = app.post(&format!("/api/v1/{plural}"), create.clone()).await;
        assert_eq!(created.status, 201, "{plural}: {}", created.body);
        assert_eq!(created.etag(), "\"1\"");
        let id = created.id();
        assert_eq!(
            created.headers["location"],
            format!("/api/v1/{plural}/{id}").as_str()
        );
        assert_eq!(created.body["version"], 1);
        assert!(created.body["created_at"].is_string() && created.body["owner"].is_string());

        let read = app.get(&format!("/api/v1/{plural}/{id}")).await;
        assert_eq!(read.status, 200, "{plural}");
        assert_eq!(
            read.body, created.body,
            "{plural}: what was created is what is read"
        );

        let updated = app
            .patch(&format!("/api/v1/{plural}/{id}"), patch.clone(), "\"1\"")
            .await;
        assert_eq!(updated.status, 200, "{plural}: {}", updated.body);
        assert_eq!(updated.body["version"], 2);
        assert_eq!(updated.etag(), "\"2\"");
        for (k, v) in patch.as_object().unwrap() {
            let shown = &updated.body[k];
            assert!(
                shown == v || shown.as_str().is_some_and(|s| s.starts_with(&v.to_string())),
                "{plural}.{k}: {shown} vs {v}"
            );
        }
        assert_eq!(
            app.get(&format!("/api/v1/{plural}/{id}")).await.body,
            updated.body
        );

        let listed = app.list_all(plural, "limit=100").await;
        assert!(
            listed.iter().any(|r| r["id"] == id.as_str()),
            "{plural} lists the record"
        );

        let deleted = app.delete(&format!("/api/v1/{plural}/{id}")).await;
        assert_eq!(deleted.status, 200, "{plural}: {}", deleted.body);
        assert!(deleted.body["deleted_at"].is_string());
        app.get(&format!("/api/v1/{plural}/{id}"))
            .await
            .assert_problem_status(404);
        assert!(
            !app.list_all(plural, "limit=100")
                .await
                .iter()
                .any(|r| r["id"] == id.as_str())
        );
        let bin = app.list_all(plural, "deleted=true").await;
        assert!(
            bin.iter().any(|r| r["id"] == id.as_str()),
            "{plural}: the recycle bin holds it"
        );
        assert_eq!(
            app.get(&format!("/api/v1/{plural}/{id}?deleted=true"))
                .await
                .status,
            200
        );

        let restored = app
            .post(&format!("/api/v1/{plural}/{id}/restore"), json!({}))
            .await;
        assert_eq!(restored.status, 200, "{plural}: {}", restored.body);
        assert!(restored.body["deleted_at"].is_null());
        assert_eq!(restored.body["version"], 4);
        assert_eq!(app.get(&format!("/api/v1/{plural}/{id}")).await.status, 200);
    }
    app.stop().await;
}

#[tokio::test]
async fn values_are_normalised_on_the_way_in() {
    let app = TestApp::spawn().await;
    let c = app
        .create(
            "contacts",
            json!({"name": "  赵敏  ", "mobile": "(+86) 139 1234 5678", "phone": "010-6552 8888", "email": " Zhao.Min@Example.COM ",
                   "birthday": "1990年2月3日", "tags": ["vip", "VIP", " 华南 "], "salutation": "女士"}),
        )
        .await;
    assert_eq!(c["name"], "赵敏");
    assert_eq!(c["mobile"], "+8613912345678");
    assert_eq!(c["phone"], "+861065528888");
    assert_eq!(c["email"], "zhao.min@example.com");
    assert_eq!(c["birthday"], "1990-02-03");
    assert_eq!(c["tags"], json!(["vip", "华南"]));
    assert_eq!(c["salutation"], "ms");
    let o = app
        .create(
            "opportunities",
            json!({"name": "X", "stage": "赢单", "close_date": "2026-01-31", "amount": "¥1,234.5"}),
        )
        .await;
    assert_eq!(o["stage"], "closed_won");
    assert_eq!(o["amount"], json!({"amount": "1234.50", "currency": "CNY"}));
    app.stop().await;
}

#[tokio::test]
async fn field_selection_and_history() {
    let app = TestApp::spawn().await;
    let c = app
        .create("contacts", json!({"name": "刘洋", "email": "liu@example.com"}))
        .await;
    let id = c["id"].as_str().unwrap();
    let r = app.get(&format!("/api/v1/contacts/{id}?fields=name,email")).await;
    let mut keys: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["email", "id", "name", "version"]);
    app.get(&format!("/api/v1/contacts/{id}?fields=nope"))
        .await
        .assert_problem(422, "fields");

    app.patch(
        &format!("/api/v1/contacts/{id}"),
        json!({"email": "liu.yang@example.com", "title": "经理"}),
        "\"1\"",
    )
    .await;
    let h = app.get(&format!("/api/v1/contacts/{id}/history")).await;
    assert_eq!(h.status, 200);
    let entries = h.body["data"].as_array().unwrap();
    let email = entries
        .iter()
        .find(|e| e["field"] == "email")
        .expect("email change recorded");
    assert_eq!(email["old_value"], "liu@example.com");
    assert_eq!(email["new_value"], "liu.yang@example.com");
    assert!(entries.iter().any(|e| e["operation"] == "create"));

    // The change feed has one event per write, naming the changed fields.
    let events = guanxi_storage::system::changes_for(app.crm.db(), "contact", id.parse().unwrap())
        .await
        .unwrap();
    let ops: Vec<_> = events.iter().map(|(_, e)| e.operation.as_str()).collect();
    assert_eq!(ops, ["create", "update"]);
    let fields: Vec<String> = serde_json::from_str(&events[1].1.fields).unwrap();
    assert_eq!(fields, ["email", "title"]);
    app.stop().await;
}

//! Administrators change existing fields — labels in three languages, picklist values
//! added, relabelled, reordered and retired — on standard and custom objects, over the
//! API and on the setup page; records keeping a retired value still read and show it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, enc};
use crate::web::{Browser, csrf};

const STAGE: &str = "/api/v1/metadata/objects/opportunity/fields/stage";

async fn patch_field(app: &TestApp, path: &str, body: Value) -> crate::helpers::Resp {
    app.request(Method::PATCH, path, Some(body), &[]).await
}

async fn field(app: &TestApp, object: &str, name: &str) -> Value {
    let r = app.get(&format!("/api/v1/metadata/objects/{object}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no field {name} on {object}"))
}

fn values(field: &Value) -> Vec<String> {
    field["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap().to_string())
        .collect()
}

fn option<'a>(field: &'a Value, value: &str) -> &'a Value {
    field["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["value"] == value)
        .unwrap_or_else(|| panic!("no option {value} in {field}"))
}

async fn admin_browser(app: &TestApp) -> (Browser, String) {
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post(
            "/login",
            &[("email", "admin@example.com"), ("password", "admin-password")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = b.get("/").await;
    let token = csrf(&page);
    (b, token)
}

const STAGES: [&str; 6] = [
    "prospecting",
    "qualification",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
];

#[tokio::test]
async fn a_new_stage_joins_the_standard_opportunity_stages_in_order_and_survives_a_restart() {
    let app = TestApp::spawn().await;
    let before = field(&app, "opportunity", "stage").await;
    assert_eq!(values(&before), STAGES);
    assert!(
        before["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["active"] == true),
        "metadata shows `active` on every option: {before}"
    );

    // The full list: existing values by name (their labels stay), the new one in place.
    let mut options: Vec<Value> = STAGES[..4].iter().map(|v| json!(v)).collect();
    options.push(json!({"value": "contract_approval",
        "label": {"en": "Contract approval", "zh-CN": "合同审批", "zh-TW": "合約審批"}}));
    options.extend(STAGES[4..].iter().map(|v| json!(v)));
    let r = patch_field(&app, STAGE, json!({"options": options})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "stage");
    assert_eq!(r.body["type"], "picklist");
    assert_eq!(r.body["options"][4]["value"], "contract_approval");
    assert_eq!(r.body["options"][4]["active"], true);
    assert_eq!(r.body["options"][0]["label"]["zh-CN"], "初步接洽", "labels kept");

    // Records take it (by value or by label), filters find it.
    let o = app
        .create(
            "opportunities",
            json!({"name": "苏州工厂改造", "stage": "合同审批", "close_date": "2026-10-01"}),
        )
        .await;
    assert_eq!(o["stage"], "contract_approval");
    let found = app
        .list_all(
            "opportunities",
            &format!("filter={}", enc("stage eq 'contract_approval'")),
        )
        .await;
    assert_eq!(found.len(), 1);

    let after = field(&app, "opportunity", "stage").await;
    assert_eq!(
        values(&after),
        [
            "prospecting",
            "qualification",
            "proposal",
            "negotiation",
            "contract_approval",
            "closed_won",
            "closed_lost"
        ]
    );

    // The board shows the new stage as a column between negotiation and won.
    let (mut b, _) = admin_browser(&app).await;
    let (status, _, board) = b.get("/o/opportunities/board").await;
    assert_eq!(status, 200);
    let at = |s: &str| board.find(s).unwrap_or_else(|| panic!("{s} on the board"));
    // (“赢单” also starts the label of the win-reason field in the board's field picker.)
    assert!(at("商务谈判") < at("合同审批") && board[at("合同审批")..].contains("赢单"));

    // The audit trail says who changed what, before and after.
    let r = app.get("/api/v1/audit?action=metadata.field.update").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let entry = &r.body["data"][0];
    assert_eq!(entry["object"], "opportunity");
    assert_eq!(entry["actor_email"], "admin@example.com");
    assert_eq!(entry["detail"]["field"], "stage");
    assert_eq!(entry["detail"]["before"]["options"].as_array().unwrap().len(), 6);
    assert_eq!(entry["detail"]["after"]["options"].as_array().unwrap().len(), 7);

    // Stored, not just in memory: a restart reads the change back.
    let app = app.restart().await;
    let again = field(&app, "opportunity", "stage").await;
    assert_eq!(again, after);
    let r = app
        .get(&format!("/api/v1/opportunities/{}", o["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.body["stage"], "contract_approval");
    app.stop().await;
}

#[tokio::test]
async fn relabelling_a_standard_field_changes_the_record_form() {
    let app = TestApp::spawn().await;
    let r = patch_field(
        &app,
        "/api/v1/metadata/objects/opportunities/fields/next_step",
        json!({"label": {"en": "Next action", "zh-CN": "下一步行动", "zh-TW": "下一步行動"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["label"]["zh-CN"], "下一步行动");

    let (mut b, _) = admin_browser(&app).await;
    let (status, _, form) = b.get("/o/opportunities/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("下一步行动"), "the zh-CN form shows the new label");

    // An empty language is refused by name and nothing changes.
    let r = patch_field(
        &app,
        "/api/v1/metadata/objects/opportunity/fields/next_step",
        json!({"label": {"en": "Next", "zh-CN": "下一步", "zh-TW": "  "}}),
    )
    .await;
    r.assert_problem(422, "label.zh-TW");
    let f = field(&app, "opportunity", "next_step").await;
    assert_eq!(f["label"]["en"], "Next action");
    app.stop().await;
}

#[tokio::test]
async fn a_retired_value_is_refused_for_new_records_but_kept_and_shown_by_those_holding_it() {
    let app = TestApp::spawn().await;
    let kept = app
        .create(
            "opportunities",
            json!({"name": "广交会老客户", "stage": "proposal", "source": "trade_show",
                   "close_date": "2026-09-30"}),
        )
        .await;
    let id = kept["id"].as_str().unwrap().to_string();
    let sources = field(&app, "opportunity", "source").await;
    let options: Vec<Value> = values(&sources)
        .iter()
        .map(|v| json!({"value": v, "active": v != "trade_show"}))
        .collect();
    let r = patch_field(
        &app,
        "/api/v1/metadata/objects/opportunity/fields/source",
        json!({"options": options}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let source = field(&app, "opportunity", "source").await;
    assert_eq!(option(&source, "trade_show")["active"], false);
    assert_eq!(option(&source, "trade_show")["label"]["zh-CN"], "展会");
    assert_eq!(values(&source), values(&sources), "order and values unchanged");

    // New input: refused, by value and by label, naming the field.
    for input in ["trade_show", "展会"] {
        let r = app
            .post(
                "/api/v1/opportunities",
                json!({"name": "新展会线索", "stage": "proposal", "source": input,
                       "close_date": "2026-09-30"}),
            )
            .await;
        r.assert_problem(422, "source");
        assert_eq!(r.body["errors"][0]["code"], "not_in_picklist", "{}", r.body);
    }
    // Another record may not be switched to it either.
    let other = app
        .create(
            "opportunities",
            json!({"name": "官网询盘", "stage": "proposal", "source": "website", "close_date": "2026-09-30"}),
        )
        .await;
    let r = app
        .patch(
            &format!("/api/v1/opportunities/{}", other["id"].as_str().unwrap()),
            json!({"source": "trade_show"}),
            "\"1\"",
        )
        .await;
    r.assert_problem(422, "source");

    // The record holding it still updates other fields, and may send it back unchanged.
    let r = app
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({"next_step": "寄样品"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["source"], "trade_show");
    let r = app
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({"source": "trade_show", "next_step": "报价"}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let found = app
        .list_all(
            "opportunities",
            &format!("filter={}", enc("source eq 'trade_show'")),
        )
        .await;
    assert_eq!(found.len(), 1, "filters still find retired values");

    // Pages: the record shows its label; the new form no longer offers it; the record's
    // own edit form keeps it (selected), so saving that form does not fail.
    let (mut b, token) = admin_browser(&app).await;
    let (_, _, page) = b.get(&format!("/o/opportunities/{id}")).await;
    assert!(page.contains("展会"), "the retired value is still labelled");
    let (_, _, new_form) = b.get("/o/opportunities/new").await;
    assert!(!new_form.contains("value=\"trade_show\""));
    assert!(new_form.contains("value=\"website\""));
    let (_, _, edit) = b.get(&format!("/o/opportunities/{id}/edit")).await;
    assert!(
        edit.contains("value=\"trade_show\" selected"),
        "the record's own value stays selectable"
    );
    let (status, _, _) = b
        .post(
            &format!("/o/opportunities/{id}/edit"),
            &[
                ("csrf", &token),
                ("version", "3"),
                ("name", "广交会老客户"),
                ("stage", "negotiation"),
                ("source", "trade_show"),
                ("close_date", "2026-09-30"),
            ],
        )
        .await;
    assert_eq!(status, 303, "the edit form saves with the retired value kept");
    let r = app.get(&format!("/api/v1/opportunities/{id}")).await;
    assert_eq!(
        (&r.body["stage"], &r.body["source"]),
        (&json!("negotiation"), &json!("trade_show"))
    );
    app.stop().await;
}

#[tokio::test]
async fn values_are_never_removed_and_names_types_and_system_fields_never_change() {
    let app = TestApp::spawn().await;
    let all = |v: &[&str]| json!({"options": v});

    let r = patch_field(&app, STAGE, all(&STAGES[..5])).await;
    r.assert_problem(422, "options");
    assert!(
        r.body.to_string().contains("closed_lost"),
        "names the value: {}",
        r.body
    );
    assert_eq!(r.body["errors"][0]["code"], "field_option_removed");

    let mut bad = STAGES.to_vec();
    bad.push("Needs Review");
    let r = patch_field(&app, STAGE, all(&bad)).await;
    r.assert_problem(422, "options[6].value");
    let mut twice = STAGES.to_vec();
    twice.push("proposal");
    patch_field(&app, STAGE, all(&twice))
        .await
        .assert_problem(422, "options[6].value");
    let retired: Vec<Value> = STAGES
        .iter()
        .map(|v| json!({"value": v, "active": false}))
        .collect();
    patch_field(&app, STAGE, json!({"options": retired}))
        .await
        .assert_problem(422, "options");
    patch_field(&app, STAGE, json!({"options": [{"label": "x"}]}))
        .await
        .assert_problem(422, "options[0]");

    patch_field(
        &app,
        "/api/v1/metadata/objects/opportunity/fields/owner",
        json!({"label": "Sales rep"}),
    )
    .await
    .assert_problem(422, "field");
    patch_field(&app, STAGE, json!({"type": "text"}))
        .await
        .assert_problem(422, "type");
    patch_field(
        &app,
        "/api/v1/metadata/objects/opportunity/fields/name",
        json!({"options": ["a"]}),
    )
    .await
    .assert_problem(422, "options");

    let r = patch_field(
        &app,
        "/api/v1/metadata/objects/nothing/fields/stage",
        json!({"label": "x"}),
    )
    .await;
    r.assert_problem_status(404);
    patch_field(
        &app,
        "/api/v1/metadata/objects/opportunity/fields/nothing",
        json!({"label": "x"}),
    )
    .await
    .assert_problem_status(404);

    let r = app
        .request_as(
            &app.user_token,
            Method::PATCH,
            STAGE,
            Some(json!({"label": "阶段"})),
            &[],
        )
        .await;
    r.assert_problem_status(403);

    // Nothing of that was saved or audited.
    assert_eq!(values(&field(&app, "opportunity", "stage").await), STAGES);
    assert_eq!(
        field(&app, "opportunity", "stage").await["label"]["zh-CN"],
        "销售阶段"
    );
    assert!(
        !app.audit_actions()
            .await
            .contains(&"metadata.field.update".to_string())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_custom_picklist_is_relabelled_extended_and_retired_and_keeps_that_after_a_restart() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/metadata/objects/account/fields",
            json!({"name": "loyalty", "type": "picklist", "label": "Loyalty",
                   "options": ["gold", "silver"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let a = app
        .create("accounts", json!({"name": "华为", "loyalty": "silver"}))
        .await;
    let path = "/api/v1/metadata/objects/accounts/fields/loyalty";
    let r = patch_field(
        &app,
        path,
        json!({"label": {"en": "Loyalty", "zh-CN": "忠诚度", "zh-TW": "忠誠度"},
               "options": [
                   {"value": "platinum", "label": {"en": "Platinum", "zh-CN": "白金", "zh-TW": "白金"}},
                   {"value": "gold", "label": {"en": "Gold", "zh-CN": "金牌", "zh-TW": "金牌"}},
                   {"value": "silver", "active": false}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["custom"], true);

    let app = app.restart().await;
    let loyalty = field(&app, "account", "loyalty").await;
    assert_eq!(loyalty["label"]["zh-CN"], "忠诚度");
    assert_eq!(values(&loyalty), ["platinum", "gold", "silver"]);
    assert_eq!(option(&loyalty, "silver")["active"], false);
    assert_eq!(option(&loyalty, "silver")["label"]["en"], "silver", "label kept");
    app.create("accounts", json!({"name": "中兴", "loyalty": "白金"}))
        .await;
    app.post("/api/v1/accounts", json!({"name": "联想", "loyalty": "silver"}))
        .await
        .assert_problem(422, "loyalty");
    let r = app
        .get(&format!("/api/v1/accounts/{}", a["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.body["loyalty"], "silver");
    app.stop().await;
}

#[tokio::test]
async fn the_setup_page_edits_labels_and_values_with_errors_beside_them() {
    let app = TestApp::spawn().await;
    let (mut b, token) = admin_browser(&app).await;
    let (status, _, object) = b.get("/admin/objects/opportunity").await;
    assert_eq!(status, 200);
    assert!(object.contains("href=\"/admin/objects/opportunity/fields/stage\""));
    assert!(
        !object.contains("href=\"/admin/objects/opportunity/fields/owner\""),
        "no Edit link for system fields"
    );

    let page_path = "/admin/objects/opportunity/fields/stage";
    let (status, _, page) = b.get(page_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("closed_lost | Closed lost | 输单 | 輸單"), "{page}");
    assert!(page.contains("value=\"销售阶段\""));
    assert!(page.contains("停用"), "the hint explains the retired marker");

    // A line left out: refused beside the values, what was typed kept, nothing saved.
    let short = "prospecting | Prospecting | 初步接洽 | 初步接洽\n\
                 qualification\nproposal\nnegotiation\n合同审批 | Contract approval | 合同审批 | 合約審批\nclosed_won";
    let (status, _, page) = b
        .post(
            page_path,
            &[
                ("csrf", &token),
                ("label_en", "Stage"),
                ("label_zh_cn", "商机阶段"),
                ("label_zh_tw", "商機階段"),
                ("options", short),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("aria-describedby=\"field-options-hint field-options-error\""));
    assert!(page.contains("id=\"field-options-error\"") && page.contains("closed_lost"));
    assert!(page.contains("value=\"商机阶段\"") && page.contains("合同审批 | Contract approval"));
    let stage = field(&app, "opportunity", "stage").await;
    assert_eq!(stage["label"]["zh-CN"], "销售阶段");
    assert_eq!(values(&stage), STAGES);

    // A bad value names its line; an empty label is flagged beside its own input.
    let (status, _, page) = b
        .post(
            page_path,
            &[
                ("csrf", &token),
                ("label_en", "Stage"),
                ("label_zh_cn", ""),
                ("label_zh_tw", "銷售階段"),
                ("options", "prospecting\n\nBad Value\nqualification"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"field-label_zh_cn-error\""), "{page}");
    assert!(page.contains("第 3 行") || page.contains("Line 3"), "{page}");

    // Without the CSRF token: refused.
    let (status, _, _) = b
        .post(page_path, &[("label_en", "Stage"), ("options", short)])
        .await;
    assert_eq!(status, 403);

    // A good change: a new stage, a retired one, new labels.
    let good = format!("{short}\nclosed_lost | Closed lost | 输单 | 輸單 | 停用");
    let (status, to, _) = b
        .post(
            page_path,
            &[
                ("csrf", &token),
                ("label_en", "Stage"),
                ("label_zh_cn", "商机阶段"),
                ("label_zh_tw", "商機階段"),
                ("options", &good),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/admin/objects/opportunity/fields/stage?saved=1")
    );
    let stage = field(&app, "opportunity", "stage").await;
    assert_eq!(stage["label"]["zh-CN"], "商机阶段");
    assert_eq!(option(&stage, "合同审批")["label"]["zh-TW"], "合約審批");
    assert_eq!(option(&stage, "closed_lost")["active"], false);
    let (_, _, page) = b.get(&to).await;
    assert!(
        page.contains("closed_lost | Closed lost | 输单 | 輸單 | 停用"),
        "{page}"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"metadata.field.update".to_string())
    );
    app.stop().await;
}

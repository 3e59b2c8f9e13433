//! Imports of real files — every encoding Excel writes, and XLSX — through the command line
//! as a user runs it and through the service: headers in Chinese, companies linked or
//! created once, bad rows reported while the rest import, dry runs, upserts, duplicates,
//! and an interrupted import resumed without duplicating rows.

use std::path::{Path, PathBuf};
use std::process::Command;

use guanxi_core::import::Mapped;
use guanxi_services::import::{Event, ImportOptions, ImportReport, OnDuplicate};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const HEADER: &str = "姓名,手机,邮箱,公司,城市,职位\n";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice(text.as_bytes());
    b
}

async fn import(app: &TestApp, file: &Path, options: ImportOptions) -> ImportReport {
    let actor = app.crm.actor_for_email("admin@example.com").await.unwrap();
    app.crm
        .import(&actor, "contacts", file, &options, &mut |_: &Event| {})
        .await
        .map_err(|e| e.message(guanxi_core::Locale::En))
        .unwrap()
}

async fn contacts(app: &TestApp) -> Vec<Value> {
    app.list_all("contacts", "limit=1000&sort=name").await
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list:?}"))
}

/// The error file as rows of cells (after the BOM).
fn error_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "the error file starts with a BOM"
    );
    let mut r = csv_rows(std::str::from_utf8(&bytes[3..]).unwrap());
    r.remove(0);
    r
}

/// A tiny CSV reader for checking our own output (quotes, doubled quotes, CRLF).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

fn guanxi(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guanxi"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("GUANXI_DATABASE_URL")
        .env("GUANXI_ADMIN_PASSWORD", "admin-password")
        .env("LANG", "en_US.UTF-8")
        .output()
        .expect("run guanxi")
}

#[tokio::test]
async fn the_command_line_imports_a_chinese_file_and_reports_the_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = format!(
        "{HEADER}张伟,138 0013 8000,Zhang.Wei@Example.com,华通科技,上海,\"采购\n经理\"\n\
         李娜,13900139000,not-an-email,华通科技,北京,\n\
         王芳,13700137000,wang@example.com,（北京）远景 ,北京,\"说 \"\"你好\"\"\"\n\
         赵强,13600136000,,华通科技,深圳,\n"
    );
    let file = write(dir.path(), "联系人.csv", &bom(&text));
    let out = guanxi(&data, &["import", "contacts", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("3 created, 0 updated, 0 skipped, 1 errors"),
        "{stdout}"
    );
    assert!(stdout.contains("2 accounts created"), "{stdout}");
    let errors = error_rows(&dir.path().join("联系人.csv.errors.csv"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0][0], "3", "row number as in the file (header is row 1)");
    assert_eq!(errors[0][1], "邮箱");
    assert!(errors[0][2].contains("email"), "{errors:?}");
    assert_eq!(
        errors[0][3..5],
        ["李娜", "13900139000"],
        "the row's own cells follow"
    );
    assert!(!dir.path().join("联系人.csv.import-state").exists());

    let crm = guanxi::startup::open(None, &data).await.unwrap();
    let admin = crm.command_line_importer(guanxi_core::Locale::En).await.unwrap();
    let q = guanxi_services::records::ListQuery {
        limit: Some(100),
        sort: Some("name".into()),
        ..Default::default()
    };
    let people = crm.list(&admin, "contact", &q).await.unwrap().records;
    let schema = crm.schema();
    let contact = schema.object("contact").unwrap();
    let value = |r: &guanxi_core::values::Record, f: &str| {
        let i = contact.fields.iter().position(|x| x.name == f).unwrap();
        guanxi_core::values::to_json(&contact.fields[i], &r.values[i])
    };
    assert_eq!(people.len(), 3);
    let zhang = people.iter().find(|r| value(r, "name") == "张伟").unwrap();
    assert_eq!(value(zhang, "mobile"), "+8613800138000");
    assert_eq!(value(zhang, "email"), "zhang.wei@example.com");
    assert_eq!(value(zhang, "title"), "采购 经理", "a text field keeps one line");
    let zhao = people.iter().find(|r| value(r, "name") == "赵强").unwrap();
    assert_eq!(
        value(zhang, "account"),
        value(zhao, "account"),
        "one account per company"
    );
    let accounts = crm.list(&admin, "account", &q).await.unwrap().records;
    assert_eq!(accounts.len(), 2);
    crm.db().close().await;

    // No name column: refused before anything is written.
    let file = write(dir.path(), "no-name.csv", &bom("手机,邮箱\n13500135000,a@b.cn\n"));
    let out = guanxi(&data, &["import", "contacts", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Nothing was imported") && err.contains("手机"),
        "{err}"
    );
    let out = guanxi(&data, &["import", "contacts", "/nonexistent/file.csv"]);
    assert!(!out.status.success(), "an unreadable file fails");
    let out = guanxi(&data, &["export", "contacts", "--fields", "name"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        4,
        "header + 3"
    );
}

#[tokio::test]
async fn every_encoding_excel_writes_imports_the_same() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = [("陈静", "13800000001", "上海"), ("刘洋", "13800000002", "廣州")];
    let text = |sep: &str| {
        let mut t = format!("姓名{sep}手机号{sep}城市\r\n");
        for (n, m, c) in rows {
            t.push_str(&format!("{n}{sep}{m}{sep}{c}\r\n"));
        }
        t
    };
    let mut files = vec![];
    files.push(write(dir.path(), "utf8.csv", text(",").as_bytes()));
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text("\t").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    files.push(write(dir.path(), "unicode.txt", &utf16));
    let mut utf16be = vec![0xFE, 0xFF];
    for u in text(";").encode_utf16() {
        utf16be.extend_from_slice(&u.to_be_bytes());
    }
    files.push(write(dir.path(), "utf16be.csv", &utf16be));
    let plain = text(",");
    let (gb, _, bad) = encoding_rs::GB18030.encode(&plain);
    assert!(!bad);
    assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
    files.push(write(dir.path(), "gbk.csv", &gb));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["姓名", "手机号", "城市"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (n, m, c)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *n).unwrap();
        // Excel users type phone numbers as numbers.
        sheet.write_number(r, 1, m.parse::<f64>().unwrap()).unwrap();
        sheet.write_string(r, 2, *c).unwrap();
    }
    files.push(write(dir.path(), "book.xlsx", &book.save_to_buffer().unwrap()));

    for file in &files {
        let report = import(
            &app,
            file,
            ImportOptions {
                on_duplicate: OnDuplicate::Create,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(report.counts.created, 2, "{file:?}: {report:?}");
        assert_eq!(report.counts.errors, 0, "{file:?}");
    }
    let all = contacts(&app).await;
    assert_eq!(all.len(), 2 * files.len());
    for c in &all {
        let (_, m, city) = rows.iter().find(|(n, _, _)| c["name"] == *n).unwrap();
        assert_eq!(c["mobile"], format!("+86{m}"), "{c}");
        assert_eq!(c["city"], *city, "{c}");
    }
}

#[tokio::test]
async fn a_company_column_links_existing_accounts_and_creates_each_new_one_once() {
    let app = TestApp::spawn().await;
    let existing = app.create("accounts", json!({"name": "ACME Trading"})).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "c.csv",
        "联系人,公司名称\n甲,ａｃｍｅ  trading\n乙,新公司\n丙, 新公司 \n丁,ＮＥＷ Co\n戊,new co\n己,\n"
            .as_bytes(),
    );
    let report = import(&app, &file, ImportOptions::default()).await;
    assert_eq!(report.counts.created, 6);
    assert_eq!(report.counts.accounts, 2, "{report:?}");
    let all = contacts(&app).await;
    assert_eq!(by_name(&all, "甲")["account"], existing["id"]);
    assert_eq!(by_name(&all, "乙")["account"], by_name(&all, "丙")["account"]);
    assert_eq!(by_name(&all, "丁")["account"], by_name(&all, "戊")["account"]);
    assert_ne!(by_name(&all, "乙")["account"], by_name(&all, "丁")["account"]);
    assert!(by_name(&all, "己")["account"].is_null());
    let accounts = app.list_all("accounts", "limit=100").await;
    assert_eq!(accounts.len(), 3);
    assert!(accounts.iter().any(|a| a["name"] == "新公司"));

    // A company nobody imported keeps no account: a failing row leaves nothing behind.
    let file = write(
        dir.path(),
        "d.csv",
        "姓名,公司,邮箱\n庚,孤儿公司,broken\n辛,新公司,x@y.cn\n".as_bytes(),
    );
    let report = import(&app, &file, ImportOptions::default()).await;
    assert_eq!((report.counts.created, report.counts.errors), (1, 1));
    assert_eq!(report.counts.accounts, 0);
    let accounts = app.list_all("accounts", "limit=100").await;
    assert!(!accounts.iter().any(|a| a["name"] == "孤儿公司"), "{accounts:?}");
}

#[tokio::test]
async fn a_dry_run_counts_and_reports_but_writes_nothing() {
    let app = TestApp::spawn().await;
    app.create("contacts", json!({"name": "老客户", "email": "old@example.com"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "c.csv",
        &bom(&format!(
            "{HEADER}张三,13800000011,old@example.com,某公司,,\n李四,12,,某公司,,\n王五,13800000012,,某公司,,\n王五,13800000012,,,,\n"
        )),
    );
    let before = app.audit_actions().await.len();
    let report = import(
        &app,
        &file,
        ImportOptions {
            dry_run: true,
            batch_size: 2,
            ..Default::default()
        },
    )
    .await;
    assert!(report.dry_run);
    assert_eq!(
        (report.counts.created, report.counts.skipped, report.counts.errors),
        (1, 2, 1),
        "{report:?}"
    );
    assert_eq!(report.counts.accounts, 1);
    let errors = error_rows(report.errors_path.as_ref().unwrap());
    assert_eq!(errors[0][..2], ["3".to_string(), "手机".to_string()]);
    assert_eq!(contacts(&app).await.len(), 1, "nothing written");
    assert!(app.list_all("accounts", "limit=10").await.is_empty());
    assert_eq!(app.audit_actions().await.len(), before);
    assert!(!dir.path().join("c.csv.import-state").exists());
}

#[tokio::test]
async fn an_external_id_column_updates_its_record_instead_of_creating() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        dir.path(),
        "a.csv",
        "外部编号,姓名,职位,城市\nERP-1,张伟,工程师,上海\nERP-2,李娜,,北京\n".as_bytes(),
    );
    let r = import(&app, &first, ImportOptions::default()).await;
    assert_eq!(r.counts.created, 2);
    let second = write(
        dir.path(),
        "b.csv",
        "External ID,Name,Title\nERP-1,张伟,总工程师\nERP-3,王芳,\nERP-3,王芳,经理\n".as_bytes(),
    );
    let r = import(&app, &second, ImportOptions::default()).await;
    assert_eq!((r.counts.created, r.counts.updated), (1, 2), "{r:?}");
    let all = contacts(&app).await;
    assert_eq!(all.len(), 3);
    let zhang = by_name(&all, "张伟");
    assert_eq!(zhang["title"], "总工程师");
    assert_eq!(zhang["city"], "上海", "an empty cell never clears a value");
    assert_eq!(
        by_name(&all, "王芳")["title"],
        "经理",
        "the later row updates the earlier"
    );
    let audit = app.audit_actions().await;
    assert_eq!(audit.iter().filter(|a| *a == "record.import").count(), 2);
}

#[tokio::test]
async fn duplicates_are_skipped_merged_or_created_as_asked() {
    let app = TestApp::spawn().await;
    let old = app
        .create(
            "contacts",
            json!({"name": "张伟", "email": "zw@example.com", "city": "上海"}),
        )
        .await;
    let other = app
        .create("contacts", json!({"name": "李娜", "mobile": "13900139000"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "dup.csv",
        "姓名,邮箱,手机,城市,职位\n张伟(新),ZW@Example.com,,北京,经理\n李娜,,139 0013 9000,广州,\n\
         新人,new@example.com,,杭州,\n新人副本,NEW@example.com,,,主管\n"
            .as_bytes(),
    );
    let r = import(&app, &file, ImportOptions::default()).await;
    assert_eq!((r.counts.created, r.counts.skipped), (1, 3), "{r:?}");
    let all = contacts(&app).await;
    assert_eq!(all.len(), 3);
    assert_eq!(by_name(&all, "张伟")["city"], "上海", "skip leaves it alone");

    let r = import(
        &app,
        &file,
        ImportOptions {
            on_duplicate: OnDuplicate::Merge,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.counts.created, 0, "{r:?}");
    let all = contacts(&app).await;
    assert_eq!(all.len(), 3);
    let zhang = by_name(&all, "张伟");
    assert_eq!(zhang["id"], old["id"]);
    assert_eq!(zhang["city"], "上海", "merge never overwrites");
    assert_eq!(zhang["title"], "经理", "merge fills an empty field");
    assert_eq!(by_name(&all, "李娜")["city"], "广州");
    assert_eq!(by_name(&all, "李娜")["id"], other["id"]);
    assert_eq!(
        by_name(&all, "新人")["title"],
        "主管",
        "a later row in the file merges into the earlier"
    );
    let history = app
        .get(&format!(
            "/api/v1/contacts/{}/history",
            old["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        history.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["field"] == "title"),
        "the merge went through the write path: {}",
        history.body
    );

    let r = import(
        &app,
        &file,
        ImportOptions {
            on_duplicate: OnDuplicate::Create,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.counts.created, 4);
    assert_eq!(contacts(&app).await.len(), 7);
}

#[tokio::test]
async fn an_interrupted_import_resumes_without_duplicating_rows() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // No email or mobile: nothing but the checkpoint keeps these rows from repeating.
    let mut text = String::from("姓名,公司,城市\n");
    for i in 0..10 {
        text.push_str(&format!("客户{i:02},公司{},苏州\n", i % 3));
    }
    text.push_str("坏行,公司0,\"");
    text.push_str(&"长".repeat(50));
    text.push_str("\"\n");
    let file = write(dir.path(), "big.csv", text.as_bytes());
    let options = ImportOptions {
        batch_size: 3,
        ..Default::default()
    };
    let r = import(
        &app,
        &file,
        ImportOptions {
            stop_after_batches: Some(2),
            ..options.clone()
        },
    )
    .await;
    assert!(r.stopped);
    assert_eq!(r.counts.created, 6);
    assert_eq!(r.last_row, 7);
    assert!(dir.path().join("big.csv.import-state").exists());
    assert_eq!(contacts(&app).await.len(), 6);

    let r = import(&app, &file, options.clone()).await;
    assert_eq!(r.resumed_after, Some(7));
    assert!(!r.stopped);
    assert_eq!((r.counts.created, r.counts.errors), (10, 1), "{r:?}");
    assert_eq!(r.counts.accounts, 3);
    let all = contacts(&app).await;
    assert_eq!(all.len(), 10, "no row twice");
    assert_eq!(app.list_all("accounts", "limit=100").await.len(), 3);
    assert!(!dir.path().join("big.csv.import-state").exists());
    assert_eq!(error_rows(r.errors_path.as_ref().unwrap()).len(), 1);

    // A checkpoint for a file that changed since is not trusted: start over.
    let r = import(
        &app,
        &file,
        ImportOptions {
            stop_after_batches: Some(1),
            on_duplicate: OnDuplicate::Create,
            ..options.clone()
        },
    )
    .await;
    assert_eq!(r.counts.created, 3);
    text.push_str("新行,公司9,苏州\n");
    std::fs::write(&file, text.as_bytes()).unwrap();
    let r = import(
        &app,
        &file,
        ImportOptions {
            on_duplicate: OnDuplicate::Create,
            ..options.clone()
        },
    )
    .await;
    assert!(r.restarted && r.resumed_after.is_none(), "{r:?}");
    assert_eq!(r.counts.created, 11);
}

#[tokio::test]
async fn a_checkpoint_written_just_before_a_commit_is_resolved_by_the_database() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("姓名\n");
    for i in 0..6 {
        text.push_str(&format!("人{i}\n"));
    }
    let file = write(dir.path(), "p.csv", text.as_bytes());
    let options = ImportOptions {
        batch_size: 2,
        ..Default::default()
    };
    let r = import(
        &app,
        &file,
        ImportOptions {
            stop_after_batches: Some(2),
            ..options.clone()
        },
    )
    .await;
    assert_eq!(r.counts.created, 4);
    // Make the checkpoint say what it says between writing the pending batch and its
    // commit: batch 2 pending, its first record as the probe. The probe is there, so the
    // batch committed and rows 4–5 must not be written again.
    let state_path = dir.path().join("p.csv.import-state");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let all = contacts(&app).await;
    let probe = by_name(&all, "人2")["id"].clone();
    let committed = state["counts"].clone();
    state["pending"] = json!({
        "through_row": 5, "probe": probe, "counts": committed, "errors_len": 0,
    });
    state["committed_row"] = json!(3);
    state["counts"]["created"] = json!(2);
    std::fs::write(&state_path, state.to_string()).unwrap();
    let r = import(&app, &file, options.clone()).await;
    assert_eq!(r.resumed_after, Some(5));
    assert_eq!(r.counts.created, 6);
    assert_eq!(contacts(&app).await.len(), 6);
}

#[tokio::test]
async fn a_mapping_file_names_the_columns_the_headers_do_not() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "m.csv",
        "客户姓名,联络手机,备注,内部代码\n周杰,13800000021,VIP,K-1\n".as_bytes(),
    );
    let mapping = write(
        dir.path(),
        "map.toml",
        "[columns]\n\"客户姓名\" = \"name\"\n联络手机 = mobile\n备注 = \"\"\n".as_bytes(),
    );
    let actor = app.crm.actor_for_email("admin@example.com").await.unwrap();
    let mut started = None;
    let r = app
        .crm
        .import(
            &actor,
            "contacts",
            &file,
            &ImportOptions {
                mapping: guanxi_services::import::read_mapping(&mapping).unwrap(),
                ..Default::default()
            },
            &mut |e: &Event| {
                if let Event::Started { unknown_columns, .. } = e {
                    started = Some(unknown_columns.clone());
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(r.counts.created, 1);
    assert_eq!(started.unwrap(), ["内部代码"], "reported once, then ignored");
    let all = contacts(&app).await;
    assert_eq!(all[0]["mobile"], "+8613800000021");
    assert!(all[0]["description"].is_null());
    assert_eq!(
        guanxi_core::import::parse_mapping("备注 = -").unwrap()[0].1,
        Mapped::Ignore
    );
}

#[tokio::test]
async fn two_rows_matching_one_record_by_different_keys_both_merge() {
    let app = TestApp::spawn().await;
    let r = app
        .create(
            "contacts",
            json!({"name": "王强", "email": "wq@example.com", "mobile": "13811112222"}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "two.csv",
        "姓名,邮箱,手机,城市,职位\n王强,WQ@example.com,,北京,\n王强,,138-1111-2222,上海,经理\n".as_bytes(),
    );
    let report = import(
        &app,
        &file,
        ImportOptions {
            on_duplicate: OnDuplicate::Merge,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        (report.counts.updated, report.counts.errors),
        (2, 0),
        "{report:?}"
    );
    let all = contacts(&app).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], r["id"]);
    assert_eq!(
        (all[0]["city"].as_str(), all[0]["title"].as_str()),
        (Some("北京"), Some("经理"))
    );
}

/// The plain sort indexes of the contacts table that are there (SQLite).
async fn sort_indexes(app: &TestApp) -> Vec<String> {
    let sql = guanxi_storage::Sql::with(
        guanxi_storage::Dialect::Sqlite,
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' AND name LIKE 'ixo_%' ORDER BY name",
    );
    let rows = app
        .crm
        .db()
        .fetch(sql, &[guanxi_core::ColumnKind::Text])
        .await
        .unwrap();
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().and_then(|a| a.as_text().map(str::to_string)))
        .collect()
}

#[tokio::test]
async fn a_bulk_load_builds_its_sort_indexes_once_at_the_end_and_lists_work_meanwhile() {
    let app = TestApp::spawn().await;
    let sqlite = app.crm.db().dialect() == guanxi_storage::Dialect::Sqlite;
    let before = if sqlite {
        sort_indexes(&app).await
    } else {
        Vec::new()
    };
    for name in ["丙", "甲", "乙"] {
        app.create("contacts", json!({"name": name})).await;
    }
    if sqlite {
        assert!(before.contains(&"ixo_contacts_name".to_string()), "{before:?}");
        // While a bulk load has the name index out, a list sorted by name still answers.
        let mut tx = app.crm.db().begin().await.unwrap();
        guanxi_storage::schema::drop_indexes(&mut tx, &["ixo_contacts_name".to_string()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let names: Vec<Value> = contacts(&app).await.iter().map(|c| c["name"].clone()).collect();
        assert_eq!(names.len(), 3);
    }

    // Twelve rows, three at a time, and a bulk load from the first row on; rows 5 and 11
    // repeat an email (matched through what the load keeps in memory), row 8 is bad.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(HEADER);
    for i in 0..12 {
        let email = match i {
            5 => "p1@example.com".to_string(),
            11 => "p2@example.com".to_string(),
            _ => format!("p{i}@example.com"),
        };
        let mobile = if i == 8 { "12" } else { "" };
        text.push_str(&format!("批量{i:02},{mobile},{email},公司{},苏州,经理\n", i % 4));
    }
    let file = write(dir.path(), "bulk.csv", &bom(&text));
    let options = ImportOptions {
        batch_size: 3,
        bulk_rows: 1.0,
        ..Default::default()
    };
    // Stopped after two batches, it has built its indexes again all the same.
    let r = import(
        &app,
        &file,
        ImportOptions {
            stop_after_batches: Some(2),
            ..options.clone()
        },
    )
    .await;
    assert!(r.stopped);
    if sqlite {
        assert_eq!(sort_indexes(&app).await, before, "{r:?}");
        assert!(r.phases.indexes > std::time::Duration::ZERO);
    }
    let r = import(&app, &file, options).await;
    assert_eq!(r.resumed_after, Some(7));
    assert_eq!(
        (
            r.counts.created,
            r.counts.skipped,
            r.counts.errors,
            r.counts.accounts
        ),
        (9, 2, 1, 4),
        "{r:?}"
    );
    if sqlite {
        assert_eq!(sort_indexes(&app).await, before);
        // The builds sorted with temporary files; the writer keeps them in memory again.
        let mut tx = app.crm.db().begin().await.unwrap();
        let sql = guanxi_storage::Sql::with(guanxi_storage::Dialect::Sqlite, "PRAGMA temp_store");
        let rows = tx.fetch(sql, &[guanxi_core::ColumnKind::Int]).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(rows[0][0].as_int(), Some(2), "temp_store = MEMORY");
        // Were the process killed mid-load, opening the database builds them again.
        let mut tx = app.crm.db().begin().await.unwrap();
        guanxi_storage::schema::drop_indexes(&mut tx, &["ixo_contacts_city".to_string()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_ne!(sort_indexes(&app).await, before);
        guanxi_services::Crm::open(
            app.crm.db().clone(),
            std::sync::Arc::new(guanxi_services::clock::SystemClock),
        )
        .await
        .unwrap();
        assert_eq!(sort_indexes(&app).await, before);
    }
    let all = contacts(&app).await;
    assert_eq!(all.len(), 12);
    let names: Vec<&str> = all.iter().filter_map(|c| c["name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed in name order");
}

/// A bulk load on SQLite drops the email and mobile indexes with the others and matches
/// from memory: that memory must know the records stored before the load, the rows it
/// wrote, and what colleagues create and change while it runs — the same answers as the
/// indexes give (PostgreSQL, which keeps them, runs the same rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_matches_duplicates_stored_before_written_by_it_and_changed_meanwhile() {
    let app = TestApp::spawn().await;
    let admin = app.crm.actor_for_email("admin@example.com").await.unwrap();
    app.create("contacts", json!({"name": "早有", "email": "pre@example.com"}))
        .await;
    let moved = app
        .create("contacts", json!({"name": "改邮", "email": "c-old@example.com"}))
        .await;
    let moved_id: uuid::Uuid = moved["id"].as_str().unwrap().parse().unwrap();

    let rows = [
        ("新0", "", "n0@example.com"),
        ("新1", "", "n1@example.com"),
        ("新2", "", "n2@example.com"),
        // Batch 2, after a colleague added 中途 and moved 改邮 to another address.
        ("重早有", "", "pre@example.com"),
        ("重中途", "", "mid@example.com"),
        ("旧址", "", "c-old@example.com"),
        // Batch 3.
        ("重改邮", "", "c-new@example.com"),
        ("重新1", "", "N1@Example.com"),
        ("新8", "13900000008", "n8@example.com"),
        // Batch 4.
        ("新9", "", "n9@example.com"),
        ("重新8", "139 0000 0008", "n10@example.com"),
        ("新11", "", "n11@example.com"),
    ];
    let mut text = String::from(HEADER);
    for (name, mobile, email) in rows {
        text.push_str(&format!("{name},{mobile},{email},,苏州,经理\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "meanwhile.csv", &bom(&text));
    let options = ImportOptions {
        batch_size: 3,
        bulk_rows: 1.0,
        ..Default::default()
    };
    let crm = app.crm.clone();
    let mut colleague = move |e: &Event| {
        let Event::Batch(p) = e else { return };
        if p.rows != 3 {
            return;
        }
        let crm = crm.clone();
        let admin = admin.clone();
        tokio::task::block_in_place(move || {
            tokio::runtime::Handle::current().block_on(async move {
                let input = json!({"name": "中途", "email": "mid@example.com"});
                crm.create(&admin, "contact", input.as_object().unwrap().clone())
                    .await
                    .unwrap();
                let patch = json!({"email": "c-new@example.com"});
                crm.update(&admin, "contact", moved_id, 1, patch.as_object().unwrap().clone())
                    .await
                    .unwrap();
            })
        });
    };
    let actor = app.crm.actor_for_email("admin@example.com").await.unwrap();
    let r = app
        .crm
        .import(&actor, "contacts", &file, &options, &mut colleague)
        .await
        .map_err(|e| e.message(guanxi_core::Locale::En))
        .unwrap();
    assert_eq!(
        (r.counts.created, r.counts.skipped, r.counts.errors),
        (7, 5, 0),
        "{r:?}"
    );
    let all = contacts(&app).await;
    let mut names: Vec<&str> = all.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    let mut expected = vec![
        "早有", "改邮", "中途", "新0", "新1", "新2", "旧址", "新8", "新9", "新11",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(by_name(&all, "改邮")["email"], "c-new@example.com");
}

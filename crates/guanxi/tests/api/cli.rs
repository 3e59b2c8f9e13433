//! The command line, run as a user runs it.

use std::process::Command;

fn guanxi(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guanxi"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("GUANXI_DATABASE_URL")
        .env("LANG", "en_US.UTF-8")
        .output()
        .expect("run guanxi")
}

#[test]
fn unsupported_database_urls_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://root@localhost/crm", "redis://x", "crm.db"] {
        let out = guanxi(dir.path(), &["migrate", "--database", url]);
        assert!(!out.status.success(), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("Unsupported database URL") && err.contains("sqlite://"),
            "{url}: {err}"
        );
    }
    assert!(
        !dir.path().join("guanxi.db").exists(),
        "no empty database was created"
    );
}

#[test]
fn migrate_user_add_and_token_create() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = guanxi(dir.path(), &["migrate"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = guanxi(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Wang.Fang@Example.com",
            "--name",
            "王芳",
            "--password",
            "long-enough",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = guanxi(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "wang.fang@example.com",
            "--password",
            "long-enough",
        ],
    );
    assert!(!out.status.success(), "the same email twice is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = guanxi(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "short@example.com",
            "--password",
            "short",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));
    let out = guanxi(
        dir.path(),
        &[
            "token",
            "create",
            "--email",
            "wang.fang@example.com",
            "--name",
            "erp",
            "--expires-days",
            "30",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        token.starts_with("gx_") && token.len() > 40 && !token.contains('\n'),
        "{token}"
    );
    let out = guanxi(dir.path(), &["token", "list", "--email", "wang.fang@example.com"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("erp") && listed.contains("read,write") && !listed.contains(&token),
        "{listed}"
    );
    let id = listed.split('\t').next().unwrap().to_string();
    let out = guanxi(
        dir.path(),
        &["token", "revoke", "--email", "wang.fang@example.com", "--id", &id],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = guanxi(
        dir.path(),
        &["token", "revoke", "--email", "wang.fang@example.com", "--id", &id],
    );
    assert!(!out.status.success(), "a revoked token cannot be revoked again");
    let out = guanxi(
        dir.path(),
        &[
            "token",
            "create",
            "--email",
            "wang.fang@example.com",
            "--scopes",
            "read,root",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("root"));
    let out = guanxi(
        dir.path(),
        &[
            "token",
            "create",
            "--email",
            "wang.fang@example.com",
            "--scopes",
            "admin",
        ],
    );
    assert!(!out.status.success(), "only administrators get the admin scope");
    let out = guanxi(dir.path(), &["token", "create", "--email", "nobody@example.com"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody@example.com"));
}

#[test]
fn a_config_file_with_unknown_keys_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("guanxi.toml");
    std::fs::write(&file, "adress = \"127.0.0.1:1\"\n").unwrap();
    let out = guanxi(dir.path(), &["migrate", "--config", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("adress"));
}

#[test]
fn export_writes_a_file_of_every_record_or_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = guanxi(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = dir.path().join("products.csv");
    let out = guanxi(
        dir.path(),
        &[
            "export",
            "products",
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with('\u{feff}'), "{text}");
    assert!(
        text.contains("Product name") || text.contains("产品名称"),
        "a header row: {text}"
    );
    let out = guanxi(dir.path(), &["export", "unicorns"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("objects"));
    let out = guanxi(dir.path(), &["export", "contacts", "--filter", "colour eq 'red'"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
    let out = guanxi(dir.path(), &["export", "contacts", "--format", "pdf"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("format"));
}

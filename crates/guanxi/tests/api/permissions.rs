//! The permission matrix: roles × objects × ownership/sharing situations × operations,
//! each case asserted over HTTP against a small model of the rules written out here,
//! independently of the code.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const PEOPLE: [&str; 5] = ["ceo", "manager", "rep_a", "rep_b", "support"];
/// Records owned by support and shared: by hand with rep_b (read), by hand with the team
/// of rep_a (edit), and by a criteria rule with the Rep role (read).
const SHARED: [&str; 3] = ["shared_rep_b", "shared_team", "rule_rep"];

#[derive(Clone, Copy)]
struct Perms {
    read: bool,
    edit: bool,
    delete: bool,
    view_all: bool,
    modify_all: bool,
}

const STANDARD: Perms = Perms {
    read: true,
    edit: true,
    delete: true,
    view_all: false,
    modify_all: false,
};

/// The rules, as a user would state them.
struct Model {
    sharing: HashMap<&'static str, &'static str>,
    perms: HashMap<(&'static str, &'static str), Perms>,
}

impl Model {
    fn role(person: &str) -> &'static str {
        match person {
            "ceo" => "CEO",
            "manager" => "Manager",
            "rep_a" | "rep_b" => "Rep",
            _ => "Support",
        }
    }

    /// Does `actor` reach records owned by `owner` through ownership or the hierarchy?
    fn reaches(actor: &str, owner: &str) -> bool {
        actor == owner
            || match actor {
                "ceo" => matches!(owner, "manager" | "rep_a" | "rep_b"),
                "manager" => matches!(owner, "rep_a" | "rep_b"),
                _ => false,
            }
    }

    fn perms(&self, actor: &str, object: &str) -> Perms {
        self.perms
            .get(&(Self::role(actor), object))
            .copied()
            .unwrap_or(STANDARD)
    }

    /// Who owns a record in a situation: a person, or support for the shared ones.
    fn owner(situation: &str) -> &str {
        if SHARED.contains(&situation) {
            "support"
        } else {
            situation
        }
    }

    /// What sharing grants beyond ownership: 1 read, 2 edit.
    fn grant(actor: &str, object: &str, situation: &str) -> u8 {
        let manual = match (situation, actor) {
            ("shared_rep_b", "rep_b") => 1,
            ("shared_team", "rep_a") => 2,
            ("rule_rep", "rep_a" | "rep_b") => 1,
            _ => 0,
        };
        // An owner rule: contacts owned by Support (and below) are shared with Manager to read.
        let by_owner =
            u8::from(object == "contacts" && actor == "manager" && Self::owner(situation) == "support");
        manual.max(by_owner)
    }

    fn readable(&self, actor: &str, object: &str, situation: &str) -> bool {
        let p = self.perms(actor, object);
        p.modify_all
            || p.view_all
            || self.sharing[object] != "private"
            || Self::reaches(actor, Self::owner(situation))
            || Self::grant(actor, object, situation) > 0
    }

    fn expected(&self, actor: &str, object: &str, situation: &str, op: &str) -> u16 {
        if actor == "admin" {
            return 200;
        }
        let p = self.perms(actor, object);
        if !(p.read || p.view_all || p.modify_all) {
            return 403;
        }
        if !self.readable(actor, object, situation) {
            return 404;
        }
        let owner = Self::owner(situation);
        let allowed = match op {
            "list" | "get" => true,
            "update" => {
                p.edit
                    && (p.modify_all
                        || self.sharing[object] == "public_read_write"
                        || Self::reaches(actor, owner)
                        || Self::grant(actor, object, situation) >= 2)
            }
            // Sharing never grants deleting: that stays with owners, those above, modify all.
            _ => p.delete && (p.modify_all || Self::reaches(actor, owner)),
        };
        if allowed { 200 } else { 403 }
    }
}

fn body_for(object: &str, tag: &str) -> Value {
    match object {
        "accounts" | "contacts" | "products" => json!({"name": tag}),
        "leads" => json!({"name": tag, "status": "new"}),
        "opportunities" => json!({"name": tag, "stage": "proposal", "close_date": "2026-12-31"}),
        _ => json!({"subject": tag, "status": "new"}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_permission_matrix_holds_for_every_role_object_owner_and_operation() {
    let app = TestApp::spawn().await;
    // Roles: CEO > Manager > Rep; Support beside them.
    let mut roles: HashMap<&str, String> = HashMap::new();
    for (name, parent) in [
        ("CEO", None),
        ("Manager", Some("CEO")),
        ("Rep", Some("Manager")),
        ("Support", None),
    ] {
        let parent = parent.map(|p: &str| roles[p].clone());
        let r = app
            .post("/api/v1/admin/roles", json!({"name": name, "parent": parent}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        roles.insert(name, r.body["id"].as_str().unwrap().to_string());
    }
    let roles: HashMap<&str, Value> = roles.into_iter().map(|(k, v)| (k, json!(v))).collect();
    let mut ids = HashMap::new();
    let mut tokens = HashMap::new();
    for person in PEOPLE {
        let email = format!("{person}@example.com");
        let u = app
            .crm
            .create_user(guanxi_services::identity::NewUser {
                email: email.clone(),
                name: person.into(),
                password: None,
                is_admin: false,
                locale: guanxi_core::Locale::En,
            })
            .await
            .unwrap();
        let r = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/users/{}", u.id),
                Some(json!({"role": roles[Model::role(person)]})),
                &[],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        ids.insert(person, u.id.to_string());
        tokens.insert(
            person,
            app.crm.create_token(&email, "matrix", None).await.unwrap(),
        );
    }
    tokens.insert("admin", app.token.clone());

    let sharing: HashMap<&str, &str> = [
        ("contacts", "private"),
        ("accounts", "public_read"),
        ("leads", "public_read_write"),
        ("opportunities", "private"),
        ("cases", "private"),
    ]
    .into_iter()
    .collect();
    let mut perms = HashMap::new();
    perms.insert(
        ("Support", "opportunities"),
        Perms {
            read: false,
            edit: false,
            delete: false,
            view_all: false,
            modify_all: false,
        },
    );
    perms.insert(
        ("Support", "cases"),
        Perms {
            read: true,
            edit: true,
            delete: false,
            view_all: true,
            modify_all: false,
        },
    );
    perms.insert(
        ("Manager", "leads"),
        Perms {
            read: true,
            edit: true,
            delete: true,
            view_all: false,
            modify_all: true,
        },
    );
    perms.insert(
        ("Rep", "accounts"),
        Perms {
            read: true,
            edit: false,
            delete: false,
            view_all: false,
            modify_all: false,
        },
    );
    let model = Model {
        sharing: sharing.clone(),
        perms: perms.clone(),
    };
    for (object, s) in &sharing {
        let mut role_perms = serde_json::Map::new();
        for ((role, o), p) in &perms {
            if o == object {
                role_perms.insert(
                    roles[role].as_str().unwrap().to_string(),
                    json!({"read": p.read, "create": true, "edit": p.edit, "delete": p.delete, "view_all": p.view_all, "modify_all": p.modify_all}),
                );
            }
        }
        let r = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/access/{object}"),
                Some(json!({"sharing": s, "roles": role_perms})),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["sharing"], *s);
    }

    // Sharing: a team, an owner rule, a criteria rule per object.
    let team = app
        .post(
            "/api/v1/admin/teams",
            json!({"name": "Key accounts", "members": [ids["rep_a"]]}),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.body);
    let team = team.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/admin/sharing-rules",
            json!({"object": "contact", "name": "Support's contacts to managers",
                   "owners": {"role_and_below": roles["Support"]}, "to": {"role": roles["Manager"]}, "level": "read"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for object in sharing.keys() {
        let field = if *object == "cases" { "subject" } else { "name" };
        let r = app
            .post(
                "/api/v1/admin/sharing-rules",
                json!({"object": object, "name": format!("{object} rule"),
                       "criteria": format!("{field} eq '{object}-rule_rep'"), "to": {"role": roles["Rep"]}, "level": "read"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // One record per object and situation, created by the administrator on the owner's behalf.
    let situations: Vec<&str> = PEOPLE.iter().chain(SHARED.iter()).copied().collect();
    let mut records = HashMap::new();
    for object in sharing.keys() {
        for situation in &situations {
            let mut body = body_for(object, &format!("{object}-{situation}"));
            body["owner"] = json!(ids[Model::owner(situation)]);
            let r = app.create(object, body).await;
            let id = r["id"].as_str().unwrap().to_string();
            let share = match *situation {
                "shared_rep_b" => Some(json!({"user": ids["rep_b"], "level": "read"})),
                "shared_team" => Some(json!({"team": team, "level": "edit"})),
                _ => None,
            };
            if let Some(share) = share {
                let r = app.post(&format!("/api/v1/{object}/{id}/shares"), share).await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
            records.insert((*object, *situation), id);
        }
    }

    let mut cases = 0;
    let mut failures = Vec::new();
    for actor in PEOPLE.iter().copied().chain(["admin"]) {
        let token = tokens[actor].clone();
        for object in sharing.keys().copied() {
            let listed = app
                .request_as(
                    &token,
                    Method::GET,
                    &format!("/api/v1/{object}?limit=1000"),
                    None,
                    &[],
                )
                .await;
            for owner in situations.iter().copied() {
                let id = &records[&(object, owner)];
                let path = format!("/api/v1/{object}/{id}");
                let mut check = |op: &str, got: u16| {
                    cases += 1;
                    let want = model.expected(actor, object, owner, op);
                    if got != want {
                        failures.push(format!(
                            "{actor} {op} {object} of {owner}: got {got}, want {want}"
                        ));
                    }
                };
                let in_list = listed.status == 200
                    && listed.body["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["id"] == id.as_str());
                check(
                    "list",
                    if listed.status == 403 {
                        403
                    } else if in_list {
                        200
                    } else {
                        404
                    },
                );
                check(
                    "get",
                    app.request_as(&token, Method::GET, &path, None, &[])
                        .await
                        .status
                        .as_u16(),
                );
                let version = app.get(&path).await.body["version"].to_string();
                // Records shared by criteria keep the value the rule matches.
                let name = if owner == "rule_rep" {
                    format!("{object}-{owner}")
                } else {
                    format!("{object}-{owner}-{actor}")
                };
                let patch = if object == "cases" {
                    json!({ "subject": name })
                } else {
                    json!({ "name": name })
                };
                let updated = app
                    .request_as(
                        &token,
                        Method::PATCH,
                        &path,
                        Some(patch),
                        &[("If-Match", &version)],
                    )
                    .await;
                check("update", updated.status.as_u16());
                let deleted = app.request_as(&token, Method::DELETE, &path, None, &[]).await;
                check("delete", deleted.status.as_u16());
                if deleted.status == 200 {
                    assert_eq!(app.post(&format!("{path}/restore"), json!({})).await.status, 200);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, 6 * 5 * 8 * 4, "cases checked");

    // Changing someone's records' access is administration, and is audited.
    let rep = tokens["rep_a"].clone();
    app.request_as(&rep, Method::GET, "/api/v1/admin/roles", None, &[])
        .await
        .assert_problem_status(403);
    let actions = app.audit_actions().await;
    for a in [
        "permission.role.create",
        "permission.user.role",
        "permission.object",
        "permission.team",
        "permission.sharing_rule",
        "record.share",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
    app.stop().await;
}

#[tokio::test]
async fn object_permissions_gate_creation_and_bad_access_settings_are_refused() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v1/admin/roles", json!({"name": "Intern"})).await;
    let role = r.body["id"].as_str().unwrap().to_string();
    let me = app
        .request_as(&app.user_token, Method::GET, "/api/v1/me", None, &[])
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.request(
            Method::PATCH,
            &format!("/api/v1/admin/users/{me}"),
            Some(json!({"role": role})),
            &[]
        )
        .await
        .status,
        204
    );
    let no_create = json!({"roles": {role.clone(): {"read": true, "create": false, "edit": true, "delete": true, "view_all": false, "modify_all": false}}});
    assert_eq!(
        app.request(Method::PUT, "/api/v1/admin/access/products", Some(no_create), &[])
            .await
            .status,
        200
    );
    app.request_as(
        &app.user_token,
        Method::POST,
        "/api/v1/products",
        Some(json!({"name": "x"})),
        &[],
    )
    .await
    .assert_problem_status(403);
    let bulk = app
        .request_as(
            &app.user_token,
            Method::POST,
            "/api/v1/products/bulk",
            Some(json!({"records": [{"name": "y"}]})),
            &[],
        )
        .await;
    assert_eq!(bulk.body["results"][0]["problem"]["status"], 403);
    assert_eq!(
        app.request_as(
            &app.user_token,
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "z"})),
            &[]
        )
        .await
        .status,
        201
    );

    app.request(
        Method::PUT,
        "/api/v1/admin/access/contacts",
        Some(json!({"sharing": "secret"})),
        &[],
    )
    .await
    .assert_problem(422, "sharing");
    let unknown_role = uuid::Uuid::now_v7();
    app.request(Method::PUT, "/api/v1/admin/access/contacts", Some(json!({"roles": {unknown_role.to_string(): {"read": true, "create": true, "edit": true, "delete": true, "view_all": false, "modify_all": false}}})), &[])
        .await
        .assert_problem(422, &format!("roles.{unknown_role}"));
    app.request(Method::PUT, "/api/v1/admin/access/unicorns", Some(json!({})), &[])
        .await
        .assert_problem_status(404);
    app.post("/api/v1/admin/roles", json!({"name": "Intern"}))
        .await
        .assert_problem(422, "name");
    app.post(
        "/api/v1/admin/roles",
        json!({"name": "Orphan", "parent": uuid::Uuid::now_v7()}),
    )
    .await
    .assert_problem(422, "parent");
    app.request(
        Method::PATCH,
        &format!("/api/v1/admin/users/{me}"),
        Some(json!({"role": uuid::Uuid::now_v7()})),
        &[],
    )
    .await
    .assert_problem(422, "role");
    app.stop().await;
}

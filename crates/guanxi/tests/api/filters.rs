//! Every filter operator, alone and combined, as list users write them.

use serde_json::json;

use crate::helpers::{TestApp, enc};

async fn names(app: &TestApp, filter: &str) -> Vec<String> {
    let mut names: Vec<String> = app
        .list_all("accounts", &format!("filter={}&limit=3", enc(filter)))
        .await
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_operator_filters_as_documented() {
    let app = TestApp::spawn().await;
    for (name, city, employees, revenue, industry, tags, website) in [
        (
            "A 上海华通",
            Some("上海"),
            Some(50),
            Some("1000000.00"),
            Some("manufacturing"),
            json!(["vip"]),
            Some("a.cn"),
        ),
        (
            "B 北京远景",
            Some("北京"),
            Some(500),
            Some("25000000.00"),
            Some("it_services"),
            json!(["vip", "华北"]),
            None,
        ),
        (
            "C 深圳创新",
            Some("深圳"),
            Some(5),
            None,
            Some("electronics"),
            json!(null),
            Some("c.cn"),
        ),
        (
            "D 上海东方",
            Some("上海"),
            None,
            Some("300.50"),
            None,
            json!(["华东"]),
            None,
        ),
        (
            "E Evergreen Trading",
            None,
            Some(120),
            Some("7000000.00"),
            Some("foreign_trade"),
            json!(null),
            Some("e.com"),
        ),
    ] {
        app.create(
            "accounts",
            json!({"name": name, "city": city, "employees": employees, "annual_revenue": revenue,
                   "industry": industry, "tags": tags, "website": website}),
        )
        .await;
    }
    let cases: &[(&str, &[&str])] = &[
        ("city eq '上海'", &["A 上海华通", "D 上海东方"]),
        (
            "city ne '上海'",
            &["B 北京远景", "C 深圳创新", "E Evergreen Trading"],
        ),
        ("employees lt 50", &["C 深圳创新"]),
        ("employees lte 50", &["A 上海华通", "C 深圳创新"]),
        ("employees gt 120", &["B 北京远景"]),
        ("employees gte 120", &["B 北京远景", "E Evergreen Trading"]),
        (
            "employees between (10, 200)",
            &["A 上海华通", "E Evergreen Trading"],
        ),
        (
            "annual_revenue gt 5000000",
            &["B 北京远景", "E Evergreen Trading"],
        ),
        (
            "annual_revenue between ('300.5', 1000000)",
            &["A 上海华通", "D 上海东方"],
        ),
        (
            "industry in ('manufacturing', 'electronics')",
            &["A 上海华通", "C 深圳创新"],
        ),
        ("industry in ('制造业')", &["A 上海华通"]),
        ("name contains '上海'", &["A 上海华通", "D 上海东方"]),
        ("name contains 'trading'", &["E Evergreen Trading"]),
        ("name starts_with 'B'", &["B 北京远景"]),
        ("name starts-with 'e evergreen'", &["E Evergreen Trading"]),
        ("name contains '%'", &[]),
        ("city is_null", &["E Evergreen Trading"]),
        (
            "city is_null false",
            &["A 上海华通", "B 北京远景", "C 深圳创新", "D 上海东方"],
        ),
        ("tags contains 'VIP'", &["A 上海华通", "B 北京远景"]),
        ("tags contains '华东'", &["D 上海东方"]),
        ("tags is_null", &["C 深圳创新", "E Evergreen Trading"]),
        ("website eq 'c.cn'", &["C 深圳创新"]),
        ("city eq '上海' and employees gt 10", &["A 上海华通"]),
        ("city eq '北京' or employees lt 10", &["B 北京远景", "C 深圳创新"]),
        (
            "(city eq '上海' or city eq '深圳') and not industry is_null",
            &["A 上海华通", "C 深圳创新"],
        ),
        ("not (city eq '上海')", &["B 北京远景", "C 深圳创新"]),
        (
            "created_at gt '2000-01-01T00:00:00Z' and city eq '深圳'",
            &["C 深圳创新"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(names(&app, filter).await, expected.to_vec(), "filter: {filter}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_filters_name_the_field_at_fault() {
    let app = TestApp::spawn().await;
    for (filter, field) in [
        ("nope eq 1", "filter.nope"),
        ("employees eq 'many'", "filter.employees"),
        ("employees contains '1'", "filter.employees"),
        ("industry eq 'farming'", "filter.industry"),
        ("city eq", "filter.city"),
        ("city eq 'x' and", "filter"),
        ("city eq 'unterminated", "filter"),
    ] {
        app.get(&format!("/api/v1/accounts?filter={}", enc(filter)))
            .await
            .assert_problem(422, field);
    }
    app.get("/api/v1/accounts?sort=description")
        .await
        .assert_problem(422, "sort");
    app.get("/api/v1/accounts?limit=0")
        .await
        .assert_problem(422, "limit");
    app.get("/api/v1/accounts?limit=abc")
        .await
        .assert_problem(422, "limit");
    app.get("/api/v1/accounts?cursor=bogus")
        .await
        .assert_problem(422, "cursor");
    app.stop().await;
}

#[tokio::test]
async fn lists_sort_on_indexed_fields_with_nulls_first() {
    let app = TestApp::spawn().await;
    for (name, amount) in [
        ("甲", Some("300")),
        ("乙", None),
        ("丙", Some("100")),
        ("丁", Some("200")),
    ] {
        app.create(
            "opportunities",
            json!({"name": name, "stage": "proposal", "close_date": "2026-12-01", "amount": amount}),
        )
        .await;
    }
    let order = |rows: Vec<serde_json::Value>| {
        rows.iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(app.list_all("opportunities", "sort=amount&limit=2").await),
        ["乙", "丙", "丁", "甲"]
    );
    assert_eq!(
        order(app.list_all("opportunities", "sort=-amount&limit=2").await),
        ["甲", "丁", "丙", "乙"]
    );
    app.stop().await;
}

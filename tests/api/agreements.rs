//! Collective wage agreements: lifecycle rules, the minimum-wage rule, overlaps, and coverage.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_body, spawn_app, uscc};

async fn firm(
    app: &TestApp,
    token: &str,
    org: &str,
    n: u32,
    industry: &str,
    founded: &str,
) -> String {
    let body = json!({"org_id": org, "name": format!("企业{n}"), "uscc": uscc(&format!("91370811MA{n:07}")),
                      "ownership": "private", "industry": industry, "union_founded_on": founded});
    json_body(
        app.post_as("/api/v1/enterprises", token, &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn open(
    app: &TestApp,
    token: &str,
    org: &str,
    scope: &str,
    mode: &str,
    text_type: &str,
    firms: &[&str],
) -> Value {
    let body = json!({"org_id": org, "title": "协议", "scope": scope, "mode": mode, "text_type": text_type, "enterprise_ids": firms});
    json_body(
        app.post_as("/api/v1/wage-agreements", token, &body).await,
        StatusCode::CREATED,
    )
    .await
}

fn terms(signed: &str, from: &str, to: &str, min_fen: i64) -> Value {
    json!({"signed_on": signed, "effective_from": from, "effective_to": to, "wage_rise_bp": 500, "minimum_wage_fen": min_fen, "workers_covered": 100})
}

async fn sign(app: &TestApp, token: &str, agreement: &Value, body: &Value) -> reqwest::Response {
    app.post_as(
        &format!(
            "/api/v1/wage-agreements/{}/sign",
            agreement["id"].as_str().unwrap()
        ),
        token,
        body,
    )
    .await
}

async fn signed(
    app: &TestApp,
    token: &str,
    agreement: &Value,
    signed_on: &str,
    from: &str,
    to: &str,
) -> Value {
    json_body(
        sign(app, token, agreement, &terms(signed_on, from, to, 250_000)).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn lifecycle_minimum_wage_and_overlaps() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let e1 = firm(&app, &a.operator, &a.org_id, 1, "C", "2015-01-01").await;
    let e2 = firm(&app, &a.operator, &a.org_id, 2, "C", "2015-01-01").await;
    let res = app
        .post_as(
            "/api/v1/minimum-wages",
            &a.admin,
            &json!({"org_id": a.org_id, "effective_from": "2020-01-01", "monthly_fen": 210_000}),
        )
        .await;
    json_body(res, StatusCode::CREATED).await;
    assert_problem(
        app.post_as(
            "/api/v1/minimum-wages",
            &a.operator,
            &json!({"org_id": a.org_id, "effective_from": "2021-01-01", "monthly_fen": 1}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // A single-enterprise agreement covers exactly one enterprise.
    let body = json!({"org_id": a.org_id, "title": "x", "scope": "enterprise", "mode": "single_enterprise", "text_type": "wage_special", "enterprise_ids": [e1, e2]});
    assert_problem(
        app.post_as("/api/v1/wage-agreements", &a.operator, &body)
            .await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    let agreement = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "wage_special",
        &[&e1],
    )
    .await;
    assert_eq!(agreement["status"], "negotiating");
    let id = agreement["id"].as_str().unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/wage-agreements/{id}/rounds"),
            &a.operator,
            &json!({"held_on": "2019-12-10", "parties": "企业方、工会方", "outcome": "达成一致"}),
        )
        .await;
    assert_eq!(
        json_body(res, StatusCode::CREATED).await["rounds"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_problem(
        app.post_as(
            &format!("/api/v1/wage-agreements/{id}/file"),
            &a.operator,
            &json!({"filed_on": "2020-01-10", "filing_number": "1"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // The minimum-wage rule, the three-year limit, and dates in order.
    let res = sign(
        &app,
        &a.operator,
        &agreement,
        &terms("2020-01-01", "2020-01-01", "2022-12-31", 200_000),
    )
    .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "below_statutory_minimum");
    let res = sign(
        &app,
        &a.operator,
        &agreement,
        &terms("2020-01-01", "2020-01-01", "2023-01-01", 250_000),
    )
    .await;
    assert_eq!(
        assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await["errors"][0]["code"],
        "term_too_long"
    );
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/wage-agreements/{id}/sign"),
            &a.operator,
        )
        .header("if-match", "\"9\"")
        .json(&terms("2020-01-01", "2020-01-01", "2022-12-31", 210_000))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let done = signed(
        &app,
        &a.operator,
        &agreement,
        "2020-01-01",
        "2020-01-01",
        "2022-12-31",
    )
    .await;
    assert_eq!(done["status"], "expired", "its term ended before today");
    assert_problem(
        sign(
            &app,
            &a.operator,
            &agreement,
            &terms("2020-01-01", "2020-01-01", "2022-12-31", 250_000),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/wage-agreements/{id}/rounds"),
            &a.operator,
            &json!({"held_on": "2020-02-01", "parties": "x", "outcome": "y"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // Overlap: same text type, same enterprise, overlapping term → refused; another type is fine.
    let overlapping = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "wage_special",
        &[&e1],
    )
    .await;
    assert_problem(
        sign(
            &app,
            &a.operator,
            &overlapping,
            &terms("2022-06-01", "2022-06-01", "2024-05-31", 250_000),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let regional = open(
        &app,
        &a.operator,
        &a.org_id,
        "regional",
        "regional",
        "wage_special",
        &[&e1, &e2],
    )
    .await;
    assert_problem(
        sign(
            &app,
            &a.operator,
            &regional,
            &terms("2021-06-01", "2021-06-01", "2022-05-31", 250_000),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let women = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "women_rights",
        &[&e1],
    )
    .await;
    signed(
        &app,
        &a.operator,
        &women,
        "2022-06-01",
        "2022-06-01",
        "2024-05-31",
    )
    .await;
    let after = signed(
        &app,
        &a.operator,
        &overlapping,
        "2023-01-01",
        "2023-01-01",
        "2025-12-31",
    )
    .await;
    assert_eq!(after["status"], "expired");

    // Current agreement: file, then terminate within its term; the expiring worklist finds it.
    let today = chrono::Utc::now().date_naive();
    let current = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "comprehensive",
        &[&e2],
    )
    .await;
    let from = (today - chrono::Days::new(300)).to_string();
    let to = (today + chrono::Days::new(20)).to_string();
    let signed_now = signed(&app, &a.operator, &current, &from, &from, &to).await;
    assert_eq!(signed_now["status"], "signed");
    let cid = current["id"].as_str().unwrap();
    let filed = json_body(
        app.post_as(
            &format!("/api/v1/wage-agreements/{cid}/file"),
            &a.operator,
            &json!({"filed_on": from, "filing_number": "济人社备〔2026〕1号"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filed["status"], "filed");
    let soon = json_body(
        app.get_as(
            "/api/v1/wage-agreements?expiring_within_days=30&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(soon["total"], 1);
    assert_eq!(soon["items"][0]["id"], cid);
    let expired = json_body(
        app.get_as(
            "/api/v1/wage-agreements?status=expired&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(expired["total"], 3);
    let res = app
        .post_as(
            &format!("/api/v1/wage-agreements/{cid}/terminate"),
            &a.operator,
            &json!({"terminated_on": "1999-01-01", "reason": "企业关闭"}),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let ended = json_body(
        app.post_as(
            &format!("/api/v1/wage-agreements/{cid}/terminate"),
            &a.operator,
            &json!({"terminated_on": today.to_string(), "reason": "企业关闭"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ended["status"], "terminated");
    assert_eq!(ended["termination_reason"], "企业关闭");

    let events = json_body(
        app.get_as(
            &format!("/api/v1/audit-events?resource_type=wage_agreement&resource_id={cid}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "wage_agreement.terminate",
            "wage_agreement.file",
            "wage_agreement.sign",
            "wage_agreement.create"
        ]
    );

    // Another county sees none of it.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let standards = json_body(
        app.get_as(
            &format!("/api/v1/minimum-wages?org_id={}&count=true", a.org_id),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            standards["total"].as_u64(),
            standards["items"][0]["monthly_fen"].as_i64()
        ),
        (Some(1), Some(210_000))
    );
    let none = json_body(
        app.get_as("/api/v1/minimum-wages?count=true", &b.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["total"], 0);
    assert_problem(
        app.get_as(&format!("/api/v1/wage-agreements/{cid}"), &b.admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list = json_body(
        app.get_as("/api/v1/wage-agreements?count=true", &b.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 0);
    let body = json!({"org_id": b.org_id, "title": "x", "scope": "enterprise", "mode": "single_enterprise", "text_type": "other", "enterprise_ids": [e1]});
    assert_problem(
        app.post_as("/api/v1/wage-agreements", &b.operator, &body)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn coverage_counts_what_is_in_force_on_the_day() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let e1 = firm(&app, &a.operator, &a.org_id, 1, "C", "2015-01-01").await; // covered directly
    let e2 = firm(&app, &a.operator, &a.org_id, 2, "E", "2015-01-01").await; // through a regional agreement
    let e3 = firm(&app, &b.operator, &b.org_id, 3, "E", "2015-01-01").await; // through the same regional agreement
    let e4 = firm(&app, &a.operator, &a.org_id, 4, "C", "2015-01-01").await; // only an expired agreement
    let e5 = firm(&app, &b.operator, &b.org_id, 5, "C", "2015-01-01").await; // only one signed after the day
    let e6 = firm(&app, &b.operator, &b.org_id, 6, "C", "2021-01-01").await; // union founded after the day
    let e7 = firm(&app, &b.operator, &b.org_id, 7, "C", "2015-01-01").await; // terminated before the day

    let x = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "wage_special",
        &[&e1],
    )
    .await;
    signed(
        &app,
        &a.operator,
        &x,
        "2020-01-01",
        "2020-01-01",
        "2022-12-31",
    )
    .await;
    let x = open(
        &app,
        &admin,
        &root,
        "regional",
        "regional",
        "wage_special",
        &[&e2, &e3],
    )
    .await;
    signed(&app, &admin, &x, "2020-06-01", "2020-06-01", "2023-05-31").await;
    let x = open(
        &app,
        &a.operator,
        &a.org_id,
        "enterprise",
        "single_enterprise",
        "wage_special",
        &[&e4],
    )
    .await;
    signed(
        &app,
        &a.operator,
        &x,
        "2017-01-01",
        "2017-01-01",
        "2019-12-31",
    )
    .await;
    let x = open(
        &app,
        &b.operator,
        &b.org_id,
        "enterprise",
        "single_enterprise",
        "wage_special",
        &[&e5],
    )
    .await;
    signed(
        &app,
        &b.operator,
        &x,
        "2021-03-01",
        "2020-12-01",
        "2023-11-30",
    )
    .await;
    let x = open(
        &app,
        &b.operator,
        &b.org_id,
        "enterprise",
        "delegated",
        "wage_special",
        &[&e7],
    )
    .await;
    signed(
        &app,
        &b.operator,
        &x,
        "2020-01-01",
        "2020-01-01",
        "2022-12-31",
    )
    .await;
    let xid = x["id"].as_str().unwrap();
    json_body(
        app.post_as(
            &format!("/api/v1/wage-agreements/{xid}/terminate"),
            &b.operator,
            &json!({"terminated_on": "2020-10-01", "reason": "企业重组"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let _ = e6;

    let day = "as_of=2020-12-31";
    let report = json_body(
        app.get_as(
            &format!("/api/v1/stats/wage-agreement-coverage?{day}&group_by=county"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        report["total"],
        json!({"unionised": 6, "covered": 3, "rate_bp": 5000})
    );
    let group = |key: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            group(&a.org_id)["unionised"].as_u64(),
            group(&a.org_id)["covered"].as_u64(),
            group(&a.org_id)["rate_bp"].as_u64()
        ),
        (Some(3), Some(2), Some(6667))
    );
    assert_eq!(group(&a.org_id)["label"], "任城区总工会");
    assert_eq!(
        (
            group(&b.org_id)["unionised"].as_u64(),
            group(&b.org_id)["covered"].as_u64()
        ),
        (Some(3), Some(1))
    );

    // A county sees its own figure (coverage through the city's regional agreement included).
    let mine = json_body(
        app.get_as(
            &format!("/api/v1/stats/wage-agreement-coverage?{day}"),
            &a.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        mine["total"],
        json!({"unionised": 3, "covered": 2, "rate_bp": 6667})
    );

    let by_mode = json_body(
        app.get_as(
            &format!("/api/v1/stats/wage-agreement-coverage?{day}&group_by=mode"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let covered_by = |key: &str| {
        by_mode["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .map(|g| g["covered"].as_u64().unwrap())
    };
    assert_eq!(
        (
            covered_by("single_enterprise"),
            covered_by("regional"),
            covered_by("none"),
            covered_by("delegated")
        ),
        (Some(1), Some(2), None, None)
    );
    // The uncovered are counted on their own, and the groups add up to the total.
    assert_eq!(by_mode["uncovered"], 3);
    let covered: u64 = by_mode["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["covered"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(covered), by_mode["total"]["covered"].as_u64());
    let by_industry = json_body(
        app.get_as(
            &format!("/api/v1/stats/wage-agreement-coverage?{day}&group_by=industry"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let e_group = by_industry["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "E")
        .cloned()
        .unwrap();
    assert_eq!(
        (e_group["covered"].as_u64(), e_group["label"].as_str()),
        (Some(2), Some("建筑业"))
    );

    // The enterprises behind the numbers.
    let ids = |page: &Value| {
        let mut v: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    let uncovered = json_body(
        app.get_as(
            &format!("/api/v1/stats/wage-agreement-coverage/enterprises?{day}&covered=false"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&uncovered), sorted(vec![&e4, &e5, &e7]));
    let covered_a = json_body(app.get_as(&format!("/api/v1/stats/wage-agreement-coverage/enterprises?{day}&covered=true&group_by=county&group={}", a.org_id), &admin).await, StatusCode::OK).await;
    assert_eq!(ids(&covered_a), sorted(vec![&e1, &e2]));
    let regional = json_body(app.get_as(&format!("/api/v1/stats/wage-agreement-coverage/enterprises?{day}&group_by=mode&group=regional"), &admin).await, StatusCode::OK).await;
    assert_eq!(ids(&regional), sorted(vec![&e2, &e3]));
    let never = json_body(
        app.get_as(
            "/api/v1/stats/wage-agreement-coverage/enterprises?never_covered=true",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&never), vec![e6.clone()]);
    let res = app
        .get_as(
            "/api/v1/stats/wage-agreement-coverage/enterprises?group=C",
            &admin,
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;

    // On a later day the picture changes: e5's agreement now counts, e1's has expired.
    let later = json_body(
        app.get_as(
            "/api/v1/stats/wage-agreement-coverage?as_of=2023-01-15",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        later["total"],
        json!({"unionised": 7, "covered": 3, "rate_bp": 4286})
    );

    // The table as XLSX.
    let res = app
        .authed(
            Method::GET,
            &format!(
                "/api/v1/stats/wage-agreement-coverage/export?{day}&group_by=county&format=xlsx"
            ),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec()))
            .unwrap();
    use calamine::Reader;
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 4);
    assert_eq!(
        range.get((3, 4)),
        Some(&calamine::Data::String("50.00%".into()))
    );
}

/// The seed's figure: 96.9% of unionised enterprises covered, in a city built for the test.
#[tokio::test]
async fn a_city_at_exactly_ninety_six_point_nine_percent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;

    // 1000 enterprises by spreadsheet import: 600 in one county, 400 in the other.
    let mut ids = Vec::new();
    for (county, range) in [(&a, 0..600u32), (&b, 600..1000u32)] {
        let mut csv = String::from("企业名称,统一社会信用代码,所有制类型,行业门类,建会日期\n");
        for n in range {
            csv.push_str(&format!(
                "企业{n},{},私营,C,2015-01-01\n",
                uscc(&format!("91370811MA{n:07}"))
            ));
        }
        let res = app
            .authed(
                Method::POST,
                "/api/v1/imports/enterprises",
                &county.operator,
            )
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        let report = app.import_report(res, &county.operator).await;
        assert_eq!(report["rejected"], 0, "{report}");
        ids.extend(
            report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(ids.len(), 1000);
    // One regional agreement covering 969 of them: all but the last 10 of the first county and
    // the last 21 of the second.
    let covered: Vec<&str> = ids[..590]
        .iter()
        .chain(&ids[600..979])
        .map(String::as_str)
        .collect();
    assert_eq!(covered.len(), 969);
    let agreement = open(
        &app,
        &admin,
        &root,
        "regional",
        "regional",
        "wage_special",
        &covered,
    )
    .await;
    signed(
        &app,
        &admin,
        &agreement,
        "2017-01-01",
        "2017-01-01",
        "2019-12-31",
    )
    .await;

    let report = json_body(
        app.get_as(
            "/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31&group_by=county",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        report["total"],
        json!({"unionised": 1000, "covered": 969, "rate_bp": 9690}),
        "96.9%"
    );
    let group = |key: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(group(&a.org_id)["rate_bp"], 9833);
    assert_eq!(group(&b.org_id)["rate_bp"], 9475);
    let county = json_body(
        app.get_as(
            "/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31",
            &b.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        county["total"],
        json!({"unionised": 400, "covered": 379, "rate_bp": 9475})
    );
}

#[tokio::test]
async fn agreements_import_from_a_spreadsheet_with_a_per_row_report() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    for n in 1..=3 {
        firm(&app, &a.operator, &a.org_id, n, "C", "2015-01-01").await;
    }
    json_body(
        app.post_as(
            "/api/v1/minimum-wages",
            &a.admin,
            &json!({"org_id": a.org_id, "effective_from": "2020-01-01", "monthly_fen": 210_000}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let code = |n: u32| uscc(&format!("91370811MA{n:07}"));
    let csv = format!(
        "协议名称,协议范围,协商模式,文本类型,覆盖企业,签订日期,生效日期,截止日期,工资增幅(%),最低工资(元),覆盖职工人数,备案日期,备案号\n\
         企业1工资专项集体合同,单个企业,企业单独协商,工资专项,{e1},2020-01-01,2020-01-01,2022-12-31,5.5,2300,120,2020-01-20,济人社备〔2020〕1号\n\
         区域性协议,区域性,区域性协商,综合性,{e2}、{e3},,,,,,,,\n\
         低于最低工资,单个企业,企业单独协商,女职工权益保护,{e2},2020-01-01,2020-01-01,2022-12-31,3,2000,10,,\n\
         不存在的企业,单个企业,企业单独协商,工资专项,91350100M000100Y43,2020-01-01,2020-01-01,2022-12-31,3,2300,10,,\n\
         重叠,单个企业,企业单独协商,工资专项,{e1},2021-01-01,2021-01-01,2023-12-31,3,2300,10,,\n\
         期限过长,单个企业,企业单独协商,劳动安全卫生,{e3},2020-01-01,2020-01-01,2023-06-30,3,2300,10,,\n",
        e1 = code(1),
        e2 = code(2),
        e3 = code(3),
    );
    let upload = || {
        app.authed(Method::POST, "/api/v1/imports/wage-agreements", &a.operator)
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
    };
    let report = app
        .import_report(upload().await.unwrap(), &a.operator)
        .await;
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(4)),
        "{report}"
    );
    let errors = |row: u64| {
        let r = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["row"] == row)
            .unwrap();
        r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors(4),
        vec![(
            "最低工资(元)".to_owned(),
            "below_statutory_minimum".to_owned()
        )]
    );
    assert_eq!(
        errors(5),
        vec![("覆盖企业".to_owned(), "not_found".to_owned())]
    );
    assert_eq!(errors(6), vec![(String::new(), "conflict".to_owned())]);
    assert_eq!(
        errors(7),
        vec![("截止日期".to_owned(), "term_too_long".to_owned())]
    );

    let first = report["rows"][0]["id"].as_str().unwrap();
    let agreement = json_body(
        app.get_as(&format!("/api/v1/wage-agreements/{first}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            agreement["status"].as_str(),
            agreement["wage_rise_bp"].as_i64(),
            agreement["minimum_wage_fen"].as_i64()
        ),
        (Some("expired"), Some(550), Some(230_000))
    );
    assert_eq!(agreement["filing_number"], "济人社备〔2020〕1号");
    let regional = report["rows"][1]["id"].as_str().unwrap();
    let regional = json_body(
        app.get_as(&format!("/api/v1/wage-agreements/{regional}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            regional["status"].as_str(),
            regional["enterprise_ids"].as_array().map(Vec::len)
        ),
        (Some("negotiating"), Some(2))
    );

    // The same file again: the recorded agreements are skipped, nothing is created twice.
    let again = app
        .import_report(upload().await.unwrap(), &a.operator)
        .await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["skipped"].as_u64(),
            again["rejected"].as_u64()
        ),
        (Some(0), Some(2), Some(4))
    );
    let all = json_body(
        app.get_as("/api/v1/wage-agreements?count=true", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 2);

    let res = app
        .get_as(
            "/api/v1/imports/wage-agreements/template?format=csv",
            &a.operator,
        )
        .await;
    let text = res.text().await.unwrap();
    assert!(
        text.contains("协议名称,协议范围,协商模式,文本类型,行业门类,覆盖企业"),
        "{text}"
    );
}

/// The overlap rule holds under concurrency: agreements signed at the same moment for the same
/// enterprises cannot both pass the check (it runs in the signing transaction, under the
/// enterprises' locks).
#[tokio::test]
async fn concurrent_signings_of_overlapping_agreements_let_exactly_one_through() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let e1 = firm(&app, &a.operator, &a.org_id, 1, "C", "2015-01-01").await;
    let e2 = firm(&app, &a.operator, &a.org_id, 2, "C", "2015-01-01").await;
    let mut agreements = Vec::new();
    for _ in 0..6 {
        agreements.push(
            open(
                &app,
                &a.operator,
                &a.org_id,
                "regional",
                "regional",
                "wage_special",
                &[&e1, &e2],
            )
            .await,
        );
    }
    let mut racing = Vec::new();
    for (n, agreement) in agreements.iter().enumerate() {
        // Different but overlapping terms.
        let from = format!("2020-0{}-01", 1 + n % 6);
        let request = app
            .authed(
                Method::POST,
                &format!(
                    "/api/v1/wage-agreements/{}/sign",
                    agreement["id"].as_str().unwrap()
                ),
                &a.operator,
            )
            .json(&terms("2020-01-01", &from, "2022-06-30", 250_000));
        racing.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status())
        }));
    }
    let mut statuses = Vec::new();
    for task in racing {
        statuses.push(task.await.unwrap().unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 5), "{statuses:?}");
    let mut signed = 0;
    for agreement in &agreements {
        let now = json_body(
            app.get_as(
                &format!(
                    "/api/v1/wage-agreements/{}",
                    agreement["id"].as_str().unwrap()
                ),
                &a.operator,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        // (A term in the past reads as `expired` once signed.)
        if now["status"] != "negotiating" {
            assert!(now["signed_on"].is_string(), "{now}");
            signed += 1;
        }
    }
    assert_eq!(signed, 1);
}

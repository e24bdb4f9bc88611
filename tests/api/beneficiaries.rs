//! The hardship archive: eligibility on its boundaries, overrides, the lifecycle and the
//! four-eyes rule, one live archive per worker, members' personal data, worklists, counts,
//! tenancy.

use chrono::Datelike;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    County, PASSWORD, TestApp, assert_problem, json_body, nth_id_number, spawn_app,
};

const STANDARD: i64 = 80_000; // 800 yuan per person per month

async fn setup() -> (TestApp, String, County, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let year = chrono::Utc::now().year();
    let res = app
        .post_as(
            "/api/v1/living-standards",
            &a.admin,
            &json!({"org_id": a.org_id, "year": year, "monthly_fen": STANDARD}),
        )
        .await;
    json_body(res, StatusCode::CREATED).await;
    // A second staff member for four-eyes verification.
    app.create_user(&a.admin, &a.org_id, "370811.approver", &["approver"])
        .await;
    let approver = app.login("370811.approver", PASSWORD).await.access;
    (app, admin, a, approver)
}

/// A household of 3 whose disposable income per person per month is exactly `per_capita`.
fn household(org: &str, head: &str, per_capita: i64) -> Value {
    json!({
        "org_id": org, "head_worker_id": head, "household_size": 3,
        "annual_income_fen": per_capita * 36 + 120_000, "rigid_expenses_fen": 120_000,
        "causes": ["illness"], "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}
    })
}

async fn head(app: &TestApp, county: &County, n: u32) -> String {
    app.create_worker(
        &county.operator,
        &county.org_id,
        &format!("户主{n}"),
        &nth_id_number(n),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_as("/api/v1/beneficiaries", token, body).await
}

#[tokio::test]
async fn eligibility_on_its_boundaries_and_overrides() {
    let (app, admin, a, _) = setup().await;
    let cases = [
        (STANDARD - 1, "deep"),
        (STANDARD, "relative"),
        (STANDARD + 1, "relative"),
        (2 * STANDARD - 1, "relative"),
    ];
    for (n, (per_capita, expected)) in cases.iter().enumerate() {
        let w = head(&app, &a, n as u32).await;
        let b = json_body(
            create(&app, &a.operator, &household(&a.org_id, &w, *per_capita)).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(b["category"], *expected, "per capita {per_capita}");
        assert_eq!(b["eligibility"]["computed_category"], *expected);
        assert_eq!(b["eligibility"]["per_capita_monthly_fen"], *per_capita);
        assert!(
            b["eligibility"]["rule"]
                .as_str()
                .unwrap()
                .starts_with(expected)
        );
        assert_eq!(b["status"], "temporary");
    }

    // At twice the standard: not eligible without an override, which needs a written reason.
    let w = head(&app, &a, 10).await;
    let problem = assert_problem(
        create(&app, &a.operator, &household(&a.org_id, &w, 2 * STANDARD)).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "category_override");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not eligible")
    );
    let mut body = household(&a.org_id, &w, 2 * STANDARD);
    body["category_override"] = json!({"category": "relative", "reason": "短"});
    let problem = assert_problem(
        create(&app, &a.operator, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "category_override.reason");
    body["category_override"] =
        json!({"category": "relative", "reason": "户主突发重病，收入骤降，需临时帮扶"});
    let b = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    assert_eq!(
        (
            b["category"].as_str(),
            b["eligibility"]["computed_category"].as_str()
        ),
        (Some("relative"), Some("not_eligible"))
    );
    let events = json_body(
        app.get_as(
            "/api/v1/audit-events?action=beneficiary.create&limit=1",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        events["items"][0]["changes"]["override_reason"],
        "户主突发重病，收入骤降，需临时帮扶"
    );

    // Sudden hardship: accident costs above 80% of income.
    let w = head(&app, &a, 11).await;
    let mut body = household(&a.org_id, &w, 3 * STANDARD);
    let income = body["annual_income_fen"].as_i64().unwrap();
    body["accident_costs_fen"] = json!(income * 8 / 10);
    assert_problem(
        create(&app, &a.operator, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    body["accident_costs_fen"] = json!(income * 8 / 10 + 1);
    body["causes"] = json!(["disaster_accident"]);
    assert_eq!(
        json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await["category"],
        "sudden"
    );

    // Migrant workers need a year of employment on record.
    let w = head(&app, &a, 12).await;
    let mut body = household(&a.org_id, &w, STANDARD / 2);
    body["migrant_worker"] = json!(true);
    body["employment_started_on"] =
        json!((chrono::Utc::now().date_naive() - chrono::Days::new(100)).to_string());
    assert_problem(
        create(&app, &a.operator, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    body["employment_started_on"] = json!("2020-01-01");
    assert_eq!(
        json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await["category"],
        "deep"
    );

    // Without a standard for the county and year, nothing can be assessed.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let year = chrono::Utc::now().year();
    let mine = json_body(
        app.get_as(
            &format!("/api/v1/living-standards?year={year}&count=true"),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            mine["total"].as_u64(),
            mine["items"][0]["monthly_fen"].as_i64()
        ),
        (Some(1), Some(STANDARD))
    );
    let theirs = json_body(
        app.get_as("/api/v1/living-standards?count=true", &b.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["total"], 0);
    let duplicate = json!({"org_id": a.org_id, "year": year, "monthly_fen": 1});
    assert_problem(
        app.post_as("/api/v1/living-standards", &a.admin, &duplicate)
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/living-standards", &b.admin, &duplicate)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // County B keeps no living standard: an archive there cannot be assessed, and says why.
    let w = head(&app, &b, 20).await;
    let problem = assert_problem(
        create(&app, &b.operator, &household(&b.org_id, &w, 1)).await,
        StatusCode::CONFLICT,
        "living_standard_missing",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/living-standards")
    );
}

#[tokio::test]
async fn lifecycle_four_eyes_reverification_and_reopening() {
    let (app, _admin, a, approver) = setup().await;
    let w = head(&app, &a, 1).await;
    let b = json_body(
        create(&app, &a.operator, &household(&a.org_id, &w, STANDARD / 2)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = b["id"].as_str().unwrap().to_owned();
    let path = |op: &str| format!("/api/v1/beneficiaries/{id}/{op}");
    let visit = json!({"visited_on": "2025-06-01", "findings": "情况属实", "confirmed": true});

    // Not by its creator; not lifted out or followed up while temporary.
    assert_problem(
        app.post_as(&path("verify"), &a.operator, &visit).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &path("lift-out"),
            &a.operator,
            &json!({"reason": "re_employed"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_problem(
        app.post_as(&path("reverify"), &approver, &visit).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let res = app
        .authed(Method::POST, &path("verify"), &approver)
        .header("if-match", "\"7\"")
        .json(&visit)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;

    // Follow-ups are for lifted-out households only.
    let contact = json!({"contacted_on": "2025-07-01", "channel": "visit", "outcome": "x"});
    assert_problem(
        app.post_as(&path("follow-ups"), &a.operator, &contact)
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_problem(
        app.post_as(&path("reopen"), &a.operator, &json!({"note": "返困了"}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    let formal = json_body(
        app.post_as(&path("verify"), &approver, &visit).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(formal["status"], "formal");
    assert_eq!(formal["last_verified_on"], "2025-06-01");
    assert_eq!(formal["reverify_due_on"], "2026-06-01");
    assert_problem(
        app.post_as(&path("verify"), &approver, &visit).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // Overdue for re-verification (due 2026-06-01, before today) until re-verified.
    let overdue = json_body(
        app.get_as(
            "/api/v1/beneficiaries?reverify_overdue=true&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overdue["total"], 1);
    let today = chrono::Utc::now().date_naive();
    let again = json!({"visited_on": today.to_string(), "findings": "仍困难", "confirmed": true});
    let re = json_body(
        app.post_as(&path("reverify"), &approver, &again).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        re["reverify_due_on"],
        today
            .checked_add_months(chrono::Months::new(12))
            .unwrap()
            .to_string()
    );
    let overdue = json_body(
        app.get_as(
            "/api/v1/beneficiaries?reverify_overdue=true&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overdue["total"], 0);
    let due = json_body(
        app.get_as(
            "/api/v1/beneficiaries?reverify_due_within_days=400&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(due["total"], 1);

    // Lifted out, followed up, then reopened on the same archive with its history.
    let out = json_body(
        app.post_as(
            &path("lift-out"),
            &a.operator,
            &json!({"reason": "re_employed", "note": "再就业"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (out["status"].as_str(), out["closed_reason"].as_str()),
        (Some("lifted_out"), Some("re_employed"))
    );
    json_body(
        app.post_as(
            &path("follow-ups"),
            &a.operator,
            &json!({"contacted_on": today.to_string(), "channel": "phone", "outcome": "收入稳定"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // A new archive for the same head is refused: reopen instead.
    let problem = assert_problem(
        create(&app, &a.operator, &household(&a.org_id, &w, STANDARD / 2)).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert_eq!(problem["existing_id"], id.as_str());
    let reopened = json_body(
        app.post_as(
            &path("reopen"),
            &a.operator,
            &json!({"note": "户主再次失业"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened["status"], "formal");
    assert_eq!(reopened["id"], id.as_str());
    let kinds: Vec<&str> = reopened["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["verification", "first", "reverification", "follow_up"]
    );
    assert_problem(
        app.post_as(&path("reopen"), &a.operator, &json!({"note": "x返困"}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    assert_problem(
        app.post_as(&path("follow-ups"), &a.operator, &contact)
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // A temporary archive can be cancelled straight away (a duplicate, say).
    let w2 = head(&app, &a, 2).await;
    let other = json_body(
        create(&app, &a.operator, &household(&a.org_id, &w2, STANDARD / 2)).await,
        StatusCode::CREATED,
    )
    .await;
    let res = app
        .post_as(
            &format!(
                "/api/v1/beneficiaries/{}/cancel",
                other["id"].as_str().unwrap()
            ),
            &a.operator,
            &json!({"reason": "duplicate"}),
        )
        .await;
    assert_eq!(json_body(res, StatusCode::OK).await["status"], "cancelled");

    // Cancelled: final.
    let cancelled = json_body(
        app.post_as(
            &path("cancel"),
            &a.operator,
            &json!({"reason": "moved_away"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    for op in ["reopen", "lift-out", "verify"] {
        let body = match op {
            "reopen" => json!({"note": "返困了"}),
            "lift-out" => json!({"reason": "other"}),
            _ => visit.clone(),
        };
        let token = if op == "verify" {
            &approver
        } else {
            &a.operator
        };
        assert_eq!(
            app.post_as(&path(op), token, &body).await.status(),
            StatusCode::CONFLICT,
            "{op}"
        );
    }
}

#[tokio::test]
async fn one_live_archive_per_worker_members_masked_and_flagged() {
    let (app, admin, a, _) = setup().await;
    let w1 = head(&app, &a, 1).await;
    let w2 = head(&app, &a, 2).await;
    let first = json_body(
        create(&app, &a.operator, &household(&a.org_id, &w1, STANDARD / 2)).await,
        StatusCode::CREATED,
    )
    .await;
    let problem = assert_problem(
        create(&app, &a.operator, &household(&a.org_id, &w1, STANDARD / 2)).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert_eq!(problem["existing_id"], first["id"]);

    // Another county cannot reach the worker at all: the same answer as for no worker.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let year = chrono::Utc::now().year();
    json_body(
        app.post_as(
            "/api/v1/living-standards",
            &b.admin,
            &json!({"org_id": b.org_id, "year": year, "monthly_fen": STANDARD}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        create(&app, &b.operator, &household(&b.org_id, &w1, STANDARD / 2)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(
            &format!("/api/v1/beneficiaries/{}", first["id"].as_str().unwrap()),
            &b.admin,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list = json_body(
        app.get_as("/api/v1/beneficiaries?count=true", &b.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 0);

    // A member who heads another live archive is flagged; members' ID numbers are masked.
    let this_year = chrono::Utc::now().year();
    let mut body = household(&a.org_id, &w2, STANDARD / 2);
    body["members"] = json!([
        {"name": "户主1", "relation": "spouse", "id_number": nth_id_number(1), "health": "chronic_illness"},
        {"name": "张小明", "relation": "child", "id_number": "11010519491231002X", "health": "healthy",
         "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": this_year},
        {"name": "张小红", "relation": "child", "birth_date": "2015-05-01", "health": "healthy", "stage": "primary", "grade": 5}
    ]);
    body["causes"] = json!(["illness", "child_education"]);
    let second = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    let members = second["members"].as_array().unwrap();
    let spouse = members.iter().find(|m| m["relation"] == "spouse").unwrap();
    assert_eq!(spouse["heads_another_archive"], true);
    let child = members.iter().find(|m| m["name"] == "张小明").unwrap();
    assert_eq!(
        (child["id_number"].as_str(), child["birth_date"].as_str()),
        (Some("110105********002X"), Some("1949-12-31"))
    );
    assert_eq!(child["heads_another_archive"], false);
    let text = second.to_string();
    assert!(!text.contains("11010519491231002X") && !text.contains(&nth_id_number(1)));
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT * FROM household_members",
        ))
        .await
        .unwrap();
    assert!(!format!("{rows:?}").contains("11010519491231002X"));

    // In the list, the archive is an item: the names a screen shows and the counts, not the
    // members themselves (those are on GET one).
    let listed = json_body(
        app.get_as(
            &format!("/api/v1/beneficiaries?head_worker_id={w2}"),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let item = &listed["items"][0];
    assert_eq!(item["id"], second["id"]);
    assert_eq!(
        (
            item["org_name"].as_str(),
            item["head_worker_name"].as_str(),
            item["member_count"].as_u64(),
            item["visit_count"].as_u64(),
        ),
        // The intake visit the archive was opened with.
        (Some("任城区总工会"), Some("户主2"), Some(3), Some(1)),
        "{item}"
    );
    assert!(item.get("members").is_none() && item.get("visits").is_none());

    // Invalid member ID numbers name the member.
    let w3 = head(&app, &a, 3).await;
    let mut bad = household(&a.org_id, &w3, STANDARD / 2);
    bad["members"] = json!([{"name": "x", "relation": "child", "id_number": "110105194912310021", "health": "healthy"}]);
    let problem = assert_problem(
        create(&app, &a.operator, &bad).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "members[0].id_number");
}

#[tokio::test]
async fn worklists_and_counts() {
    let (app, admin, a, approver) = setup().await;
    let this_year = chrono::Utc::now().year();
    let town = app
        .create_org(&a.admin, &a.org_id, "township", "某街道工会", "370811")
        .await;
    let town_id = town["id"].as_str().unwrap();

    // 1: deep, illness, with a child entering university this year, verified.
    let w = head(&app, &a, 1).await;
    let mut body = household(&a.org_id, &w, STANDARD / 2);
    body["causes"] = json!(["illness", "child_education"]);
    body["members"] = json!([{"name": "张小明", "relation": "child", "birth_date": "2008-01-01", "health": "healthy",
                              "stage": "undergraduate", "grade": 1, "admission_year": this_year}]);
    let first = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    json_body(app.post_as(&format!("/api/v1/beneficiaries/{}/verify", first["id"].as_str().unwrap()), &approver,
        &json!({"visited_on": chrono::Utc::now().date_naive().to_string(), "findings": "属实", "confirmed": true})).await, StatusCode::OK).await;
    let listed = json_body(
        app.get_as(
            &format!("/api/v1/beneficiaries?head_worker_id={w}"),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            &listed["items"][0]["visit_count"],
            &listed["items"][0]["last_visited_on"]
        ),
        // The intake visit, then today's verification.
        (
            &json!(2),
            &json!(chrono::Utc::now().date_naive().to_string())
        ),
        "{listed}"
    );
    // 2: relative, unemployment, migrant, kept by the township, child at university since last year.
    let w = head(&app, &a, 2).await;
    let mut body = household(town_id, &w, STANDARD + 100);
    body["causes"] = json!(["unemployment"]);
    body["migrant_worker"] = json!(true);
    body["employment_started_on"] = json!("2019-03-01");
    body["members"] = json!([{"name": "李小刚", "relation": "child", "birth_date": "2006-01-01", "health": "healthy",
                              "stage": "undergraduate", "grade": 2, "admission_year": this_year - 1}]);
    let second = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    // 3: deep, disability, made stale.
    let w = head(&app, &a, 3).await;
    let mut body = household(&a.org_id, &w, STANDARD / 3);
    body["causes"] = json!(["disability"]);
    let third = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    // A year without updates cannot be waited for: age the row in the database.
    let income = STANDARD / 3 * 36 + 120_000;
    let aged = format!(
        "UPDATE beneficiaries SET updated_at = '2024-01-01T00:00:00+00:00' WHERE annual_income_fen = {income}"
    );
    app.db.execute_unprepared(&aged).await.unwrap();

    let ids = |page: &Value| {
        let mut v: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let get = |q: &str| {
        let (app, token, q) = (&app, a.operator.clone(), q.to_owned());
        async move {
            json_body(
                app.get_as(&format!("/api/v1/beneficiaries?{q}"), &token)
                    .await,
                StatusCode::OK,
            )
            .await
        }
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&get("entering_university=true").await),
        vec![id(&first)]
    );
    assert_eq!(ids(&get("category=deep").await), {
        let mut v = vec![id(&first), id(&third)];
        v.sort();
        v
    });
    assert_eq!(ids(&get("cause=unemployment").await), vec![id(&second)]);
    assert_eq!(ids(&get("cause=illness").await), vec![id(&first)]);
    assert_eq!(ids(&get("status=formal").await), vec![id(&first)]);
    assert_eq!(ids(&get("migrant_worker=true").await), vec![id(&second)]);
    assert_eq!(
        ids(&get(&format!("within_org_id={town_id}")).await),
        vec![id(&second)]
    );
    assert_eq!(ids(&get("stale=true").await), vec![id(&third)]);
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    assert_eq!(
        get(&format!("created_from={tomorrow}")).await["items"],
        json!([])
    );
    assert_eq!(
        get(&format!("created_to={tomorrow}&count=true")).await["total"],
        3
    );
    for bad in [
        "cause=laziness",
        "status=open",
        "entering_university=maybe",
        "created_from=yesterday",
    ] {
        assert_problem(
            app.get_as(&format!("/api/v1/beneficiaries?{bad}"), &a.operator)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }

    // The dashboard: category × cause × county.
    let counts = json_body(
        app.get_as("/api/v1/stats/beneficiaries", &admin).await,
        StatusCode::OK,
    )
    .await;
    let cell = |category: &str, cause: &str| {
        counts
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == category && c["cause"] == cause)
            .map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(cell("deep", "illness"), Some(1));
    assert_eq!(cell("deep", "child_education"), Some(1));
    assert_eq!(cell("deep", "disability"), Some(1));
    assert_eq!(cell("relative", "unemployment"), Some(1));
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["county_id"] == a.org_id.as_str() && c["county"] == "任城区总工会")
    );
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    assert_eq!(
        json_body(
            app.get_as("/api/v1/stats/beneficiaries", &b.admin).await,
            StatusCode::OK
        )
        .await,
        json!([])
    );
}

#[tokio::test]
async fn archives_import_from_a_county_spreadsheet() {
    let (app, _admin, a, _) = setup().await;
    for n in [1, 3, 4] {
        head(&app, &a, n).await;
    }
    let year = chrono::Utc::now().year();
    let low = STANDARD * 36 / 2 / 100; // yuan per year: half the standard per person (3 people)
    let csv = format!(
        "与户主关系,姓名,身份证号,出生日期,健康状况,学段,入学年份,家庭人口,家庭年收入(元),刚性支出(元),致困原因,走访日期,走访情况\n\
         子女,孤儿行,,2010-01-01,健康,,,,,,,,\n\
         户主,户主1,{h1},,,,,3,{low},0,因病、因学,2026-09-01,家中一人患病\n\
         配偶,王芳,,1980-01-01,慢性病,,,,,,,,\n\
         子女,张小明,,2008-01-01,健康,本科,{year},,,,,,\n\
         户主,未登记,{unknown},,,,,3,{low},0,因病,,\n\
         子女,某某,,2012-01-01,健康,,,,,,,,\n\
         户主,户主3,{h3},,,,,3,{low},0,失业,2026-09-02,下岗失业\n\
         子女,坏号码,110105194912310021,,健康,,,,,,,,\n\
         户主,户主4,{h4},,,,,3,9000000,0,其他,2026-09-03,收入较高\n",
        h1 = nth_id_number(1),
        unknown = nth_id_number(99),
        h3 = nth_id_number(3),
        h4 = nth_id_number(4),
    );
    let upload = || {
        app.authed(Method::POST, "/api/v1/imports/beneficiaries", &a.operator)
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
    };
    let report = app
        .import_report(upload().await.unwrap(), &a.operator)
        .await;
    let outcome = |row: u64| {
        let r = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["row"] == row)
            .unwrap_or_else(|| panic!("row {row}: {report}"));
        let codes: Vec<String> = r["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| {
                        format!(
                            "{}:{}",
                            e["field"].as_str().unwrap(),
                            e["code"].as_str().unwrap()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (r["outcome"].as_str().unwrap().to_owned(), codes)
    };
    assert_eq!(report["total_rows"], 9);
    assert_eq!(
        outcome(2),
        ("rejected".into(), vec!["与户主关系:no_head".into()])
    );
    assert_eq!(outcome(3).0, "created");
    assert_eq!(outcome(4).0, "created");
    assert_eq!(outcome(5).0, "created");
    assert_eq!(
        outcome(6),
        ("rejected".into(), vec!["身份证号:not_found".into()])
    );
    assert_eq!(
        outcome(7),
        ("rejected".into(), vec![":household_rejected".into()])
    );
    assert_eq!(
        outcome(8),
        ("rejected".into(), vec![":member_rejected".into()])
    );
    assert_eq!(
        outcome(9),
        ("rejected".into(), vec!["身份证号:checksum".into()])
    );
    assert_eq!(outcome(10).0, "rejected");
    assert!(outcome(10).1[0].starts_with("category_override:not_eligible"));
    assert!(
        !report.to_string().contains("110105194912310021"),
        "no ID number in the report"
    );

    let archive = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == 3)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = json_body(
        app.get_as(&format!("/api/v1/beneficiaries/{archive}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            b["category"].as_str(),
            b["members"].as_array().map(Vec::len)
        ),
        (Some("deep"), Some(2))
    );
    assert_eq!(b["causes"], json!(["illness", "child_education"]));
    let pool = json_body(
        app.get_as(
            "/api/v1/beneficiaries?entering_university=true&count=true",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(pool["total"], 1);

    // The same file again: nothing new.
    let again = app
        .import_report(upload().await.unwrap(), &a.operator)
        .await;
    assert_eq!(
        (again["created"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    let all = json_body(
        app.get_as("/api/v1/beneficiaries?count=true", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 1);

    // No home visit in the file: the household is refused, never given a visit dated today.
    let unvisited = format!(
        "与户主关系,姓名,身份证号,家庭人口,家庭年收入(元),刚性支出(元),致困原因\n\
         户主,户主3,{},3,{low},0,失业\n",
        nth_id_number(3)
    );
    let res = app
        .authed(Method::POST, "/api/v1/imports/beneficiaries", &a.operator)
        .header("content-type", "text/csv")
        .body(unvisited)
        .send()
        .await
        .unwrap();
    let report = app.import_report(res, &a.operator).await;
    let errors: Vec<(String, String)> = report["rows"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("走访日期".to_owned(), "required".to_owned()),
            ("走访情况".to_owned(), "required".to_owned())
        ],
        "{report}"
    );
    let template = app
        .get_as(
            "/api/v1/imports/beneficiaries/template?format=csv",
            &a.operator,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(template.contains("与户主关系,姓名,身份证号"));
}

#[tokio::test]
async fn correcting_an_archive_assesses_it_again() {
    let (app, admin, a, _) = setup().await;
    let w = head(&app, &a, 1).await;
    let b = json_body(
        create(&app, &a.operator, &household(&a.org_id, &w, STANDARD / 2)).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(b["category"], "deep");
    let path = format!("/api/v1/beneficiaries/{}", b["id"].as_str().unwrap());

    // Income up to just below twice the standard: relative, explained.
    let income = (2 * STANDARD - 1) * 36 + 120_000;
    let res = app
        .authed(Method::PATCH, &path, &a.operator)
        .header("if-match", "\"1\"")
        .json(&json!({"annual_income_fen": income, "needs": "医疗"}))
        .send()
        .await
        .unwrap();
    let updated = json_body(res, StatusCode::OK).await;
    assert_eq!(
        (updated["category"].as_str(), updated["version"].as_i64()),
        (Some("relative"), Some(2))
    );
    assert!(
        updated["eligibility"]["rule"]
            .as_str()
            .unwrap()
            .starts_with("relative")
    );
    assert_eq!(updated["needs"], "医疗");
    // A stale ETag is refused; figures that are no longer eligible need an override.
    let res = app
        .authed(Method::PATCH, &path, &a.operator)
        .header("if-match", "\"1\"")
        .json(&json!({"needs": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let richer = json!({"annual_income_fen": 2 * STANDARD * 36 + 120_000});
    let problem = assert_problem(
        app.patch_as(&path, &a.operator, &richer).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "category_override");
    let mut overridden = richer.clone();
    overridden["category_override"] =
        json!({"category": "relative", "reason": "收入为一次性补偿款，不可持续"});
    let kept = json_body(
        app.patch_as(&path, &a.operator, &overridden).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            kept["category"].as_str(),
            kept["eligibility"]["computed_category"].as_str()
        ),
        (Some("relative"), Some("not_eligible"))
    );
    for field in ["status", "category", "head_worker_id", "version"] {
        let problem = assert_problem(
            app.patch_as(&path, &a.operator, &json!({field: "x"})).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["code"], "unknown_field", "{field}");
    }
    let events = json_body(
        app.get_as("/api/v1/audit-events?action=beneficiary.update", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(events["items"][0]["changes"]["from_category"], "relative");
    // Another county cannot touch it.
    let other = app.county(&admin, "兖州区总工会", "370812").await;
    assert_problem(
        app.patch_as(&path, &other.admin, &json!({"needs": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn correcting_members_keeps_adds_and_removes_them() {
    let (app, admin, a, _) = setup().await;
    let w = head(&app, &a, 1).await;
    let this_year = chrono::Utc::now().year();
    let mut body = household(&a.org_id, &w, STANDARD / 2);
    body["members"] = json!([
        {"name": "王芳", "relation": "spouse", "id_number": "11010519491231002X", "health": "healthy"},
        {"name": "张小明", "relation": "child", "birth_date": "2008-05-01", "health": "healthy",
         "school": "济宁一中", "stage": "senior_secondary", "grade": 3, "admission_year": this_year - 3}
    ]);
    let created = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    let path = format!("/api/v1/beneficiaries/{}", created["id"].as_str().unwrap());
    let member = |archive: &Value, name: &str| {
        archive["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .cloned()
    };
    let spouse = member(&created, "王芳").unwrap();
    let child = member(&created, "张小明").unwrap();
    let stored_spouse = || async {
        let backend = app.db.get_database_backend();
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id_number_enc FROM household_members WHERE name = '王芳'",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get::<String>("", "id_number_enc").unwrap())
            .collect::<Vec<_>>()
    };
    let ciphertext = stored_spouse().await;
    let entering = "/api/v1/beneficiaries?entering_university=true&count=true";
    let before = json_body(app.get_as(entering, &a.admin).await, StatusCode::OK).await;
    assert_eq!(before["total"], 0);

    // The child starts university, the spouse falls ill (the ID number is not sent again: the
    // client only ever saw the mask), a parent moves in.
    let correction = json!({"members": [
        {"id": spouse["id"], "name": "王芳", "relation": "spouse", "health": "serious_illness"},
        {"id": child["id"], "name": "张小明", "relation": "child", "birth_date": "2008-05-01", "health": "healthy",
         "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": this_year},
        {"name": "李秀英", "relation": "parent", "birth_date": "1950-03-02", "health": "chronic_illness"}
    ]});
    let updated = json_body(
        app.patch_as(&path, &a.operator, &correction).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["members"].as_array().unwrap().len(), 3);
    let spouse_now = member(&updated, "王芳").unwrap();
    assert_eq!(spouse_now["id"], spouse["id"]);
    assert_eq!(
        (
            spouse_now["health"].as_str(),
            spouse_now["id_number"].as_str(),
            spouse_now["birth_date"].as_str()
        ),
        (
            Some("serious_illness"),
            Some("110105********002X"),
            Some("1949-12-31")
        )
    );
    assert_eq!(stored_spouse().await, ciphertext);
    let child_now = member(&updated, "张小明").unwrap();
    assert_eq!(child_now["id"], child["id"]);
    assert_eq!(child_now["stage"], "undergraduate");
    assert!(member(&updated, "李秀英").unwrap()["id"].is_string());
    let after = json_body(app.get_as(entering, &a.admin).await, StatusCode::OK).await;
    assert_eq!(after["total"], 1);

    // Leaving a member out removes it; the others keep their ids.
    let fewer = json!({"members": [
        {"id": child["id"], "name": "张小明", "relation": "child", "health": "healthy",
         "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": this_year}
    ]});
    let updated = json_body(
        app.patch_as(&path, &a.operator, &fewer).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<_> = updated["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["id"].clone()))
        .collect();
    assert_eq!(names, [("张小明", child["id"].clone())]);
    assert!(stored_spouse().await.is_empty());

    // A member of another archive, the same member twice, an id on a new archive: each refused,
    // naming the entry.
    let w2 = head(&app, &a, 2).await;
    let mut other = household(&a.org_id, &w2, STANDARD / 2);
    other["members"] = json!([{"name": "赵六", "relation": "child", "birth_date": "2012-01-01", "health": "healthy"}]);
    let other = json_body(create(&app, &a.operator, &other).await, StatusCode::CREATED).await;
    let stranger = other["members"][0]["id"].clone();
    let entry =
        |id: &Value| json!({"id": id, "name": "x", "relation": "child", "health": "healthy"});
    for (members, field, code) in [
        (json!([entry(&stranger)]), "members[0].id", "unknown_member"),
        (
            json!([entry(&child["id"]), entry(&child["id"])]),
            "members[1].id",
            "duplicate",
        ),
    ] {
        let problem = assert_problem(
            app.patch_as(&path, &a.operator, &json!({ "members": members }))
                .await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(
            (
                problem["errors"][0]["field"].as_str(),
                problem["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code))
        );
    }
    let w3 = head(&app, &a, 3).await;
    let mut with_id = household(&a.org_id, &w3, STANDARD / 2);
    with_id["members"] = json!([entry(&child["id"])]);
    let problem = assert_problem(
        create(&app, &a.operator, &with_id).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "members[0].id");
    // The refused corrections changed nothing; the audit trail has counts, not people.
    let unchanged = json_body(app.get_as(&path, &a.admin).await, StatusCode::OK).await;
    assert_eq!(unchanged["version"], updated["version"]);
    let events = json_body(
        app.get_as("/api/v1/audit-events?action=beneficiary.update", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let summaries: Vec<_> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["changes"]["members"].clone())
        .collect();
    assert!(summaries.contains(&json!({"kept": 2, "added": 1, "removed": 0})));
    assert!(summaries.contains(&json!({"kept": 1, "added": 0, "removed": 2})));
    assert!(!events.to_string().contains("王芳") && !events.to_string().contains("1101051949"));
}

#[tokio::test]
async fn a_members_id_number_is_revealed_only_with_the_permission_and_audited() {
    let (app, admin, a, _) = setup().await;
    let w = head(&app, &a, 1).await;
    let mut body = household(&a.org_id, &w, STANDARD / 2);
    body["members"] = json!([
        {"name": "张小明", "relation": "child", "id_number": "11010519491231002X", "health": "healthy"},
        {"name": "张小红", "relation": "child", "birth_date": "2015-05-01", "health": "healthy"}
    ]);
    let archive = json_body(create(&app, &a.operator, &body).await, StatusCode::CREATED).await;
    let id = archive["id"].as_str().unwrap();
    let member = |name: &str| {
        archive["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (with_number, without) = (member("张小明"), member("张小红"));
    let path = |m: &str| format!("/api/v1/beneficiaries/{id}/members/{m}/reveal");
    let reason = json!({"fields": ["id_number"], "reason": "核对金秋助学申请人身份"});

    // Operators may read archives but not plaintext.
    assert_problem(
        app.post_as(&path(&with_number), &a.operator, &reason).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = app.post_as(&path(&with_number), &a.admin, &reason).await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let revealed = json_body(res, StatusCode::OK).await;
    assert_eq!(
        (revealed["id"].as_str(), revealed["id_number"].as_str()),
        (Some(with_number.as_str()), Some("11010519491231002X"))
    );
    let nothing = json_body(
        app.post_as(&path(&without), &a.admin, &reason).await,
        StatusCode::OK,
    )
    .await;
    assert!(nothing.get("id_number").is_none(), "{nothing}");
    // Members have no phone; a reason is required.
    for bad in [
        json!({"fields": ["phone"], "reason": "核对身份信息"}),
        json!({"fields": ["id_number"]}),
    ] {
        assert_problem(
            app.post_as(&path(&with_number), &a.admin, &bad).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
    }
    // Another county, another archive's member, an unknown member: all simply not found.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    assert_problem(
        app.post_as(&path(&with_number), &b.admin, &reason).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let w2 = head(&app, &a, 2).await;
    let other = json_body(
        create(&app, &a.operator, &household(&a.org_id, &w2, STANDARD / 2)).await,
        StatusCode::CREATED,
    )
    .await;
    let wrong_archive = format!(
        "/api/v1/beneficiaries/{}/members/{with_number}/reveal",
        other["id"].as_str().unwrap()
    );
    for p in [wrong_archive, path(&uuid::Uuid::now_v7().to_string())] {
        assert_problem(
            app.post_as(&p, &a.admin, &reason).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // Audited with the reason, never the value.
    let events = json_body(
        app.get_as(
            "/api/v1/audit-events?action=beneficiary.member_reveal",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["changes"]["reason"], "核对金秋助学申请人身份");
    assert!(!events.to_string().contains("11010519491231002X"));
}

#[tokio::test]
async fn worklists_export_as_spreadsheets_for_county_staff() {
    let (app, admin, a, _) = setup().await;
    let this_year = chrono::Utc::now().year();
    let w1 = head(&app, &a, 1).await;
    let mut entering = household(&a.org_id, &w1, STANDARD / 2);
    entering["members"] = json!([{"name": "张小明", "relation": "child", "id_number": "11010519491231002X",
        "health": "healthy", "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": this_year}]);
    entering["causes"] = json!(["illness", "child_education"]);
    let archive = json_body(
        create(&app, &a.operator, &entering).await,
        StatusCode::CREATED,
    )
    .await;
    let w2 = head(&app, &a, 2).await;
    json_body(
        create(
            &app,
            &a.operator,
            &household(&a.org_id, &w2, STANDARD + STANDARD / 2),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let export = |token: &str, query: &str| {
        app.authed(
            Method::GET,
            &format!("/api/v1/beneficiaries/export{query}"),
            token,
        )
        .send()
    };

    let res = export(&a.operator, "?entering_university=true")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("beneficiaries.csv")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("户主姓名,户主身份证号"), "{}", lines[0]);
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(cells[0], archive["id"].as_str().unwrap());
    assert_eq!(
        (cells[1], cells[4], cells[5], cells[6], cells[7]),
        (
            "户主1",
            "任城区总工会",
            "临时档案",
            "深度困难",
            "因病、因学"
        )
    );
    assert!(cells[2].contains("********"), "{}", cells[2]);
    // Amounts in yuan: 400 yuan per person per month.
    assert_eq!(cells[12], "400.00");
    assert!(!text.contains(&nth_id_number(1)) && !text.contains("11010519491231002X"));

    // XLSX, the whole list; another county's export is empty; paging does not apply.
    let bytes = export(&a.admin, "?format=xlsx")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(b"PK"));
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let text = export(&b.admin, "").await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_problem(
        export(&a.admin, "?limit=10").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn archives_are_found_by_their_head() {
    let (app, _admin, a, _) = setup().await;
    let first = head(&app, &a, 1).await;
    let second = head(&app, &a, 2).await;
    let archive = json_body(
        create(
            &app,
            &a.operator,
            &household(&a.org_id, &first, STANDARD / 2),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    for (worker, expected) in [(&first, 1), (&second, 0)] {
        let page = json_body(
            app.get_as(
                &format!("/api/v1/beneficiaries?head_worker_id={worker}&count=true"),
                &a.operator,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["total"], expected, "{page}");
        if expected == 1 {
            assert_eq!(page["items"][0]["id"], archive["id"]);
        }
    }
}

//! Aid campaigns: the lifecycle (every allowed and refused step), changes only while a draft,
//! the budget as the sum of its fund sources, validation field by field, tenancy, and two
//! requests racing to move the same campaign; then the money: funding at opening, allocation to
//! counties and townships with tenancy, the append-only ledger, holdings and the balance check
//! agreeing to the fen, an allocation retried with its Idempotency-Key, and two allocations
//! racing for the last yuan.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_body, spawn_app};

fn winter_warmth(org_id: &str) -> Value {
    json!({
        "org_id": org_id, "kind": "winter_warmth", "year": 2017, "title": "2017年元旦春节送温暖活动",
        "applications_from": "2017-12-01", "applications_until": "2018-01-15", "quota": 4500,
        "rule": {"recipients": {"from": "archive", "categories": ["deep", "relative"]},
                 "amount": {"type": "per_category", "tiers": [
                     {"category": "deep", "amount_fen": 150_000},
                     {"category": "relative", "amount_fen": 100_000}]}},
        "fund_sources": [
            {"source": "central_fiscal", "amount_fen": 300_000_000},
            {"source": "provincial_fiscal", "amount_fen": 200_000_000},
            {"source": "city_fiscal", "amount_fen": 171_200_000}
        ]
    })
}

async fn step(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    version: Option<i64>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.authed(
        Method::POST,
        &format!("/api/v1/campaigns/{id}/{action}"),
        token,
    );
    if let Some(v) = version {
        request = request.header("if-match", format!("\"{v}\""));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_campaign_moves_through_its_lifecycle_and_only_a_draft_changes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;

    let created = json_body(
        app.post_as("/api/v1/campaigns", &admin, &winter_warmth(&city))
            .await,
        StatusCode::CREATED,
    )
    .await;
    // The seed's 2017 winter warmth: 6,712,000 yuan from three fiscal sources.
    assert_eq!(created["budget_fen"], 671_200_000);
    assert_eq!(created["status"], "draft");
    assert_eq!(created["notice_days"], 5);
    assert_eq!(created["fund_sources"].as_array().unwrap().len(), 3);
    assert_eq!(created["fund_sources"][2]["source"], "city_fiscal");
    assert_eq!(
        created["rule_explained"],
        "受助对象：困难职工档案户主（深度困难、相对困难；仅正式档案）；标准：深度困难每人1500.00元，相对困难每人1000.00元；同年同类活动已受助者不重复救助。"
    );
    let id = created["id"].as_str().unwrap().to_owned();

    // A draft changes, at the version read.
    let res = app
        .authed(Method::PATCH, &format!("/api/v1/campaigns/{id}"), &admin)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "2017年送温暖活动", "notice_days": 7,
                      "fund_sources": [{"source": "federation", "amount_fen": 100}]}))
        .send()
        .await
        .unwrap();
    let changed = json_body(res, StatusCode::OK).await;
    assert_eq!(
        (changed["version"].clone(), changed["budget_fen"].clone()),
        (json!(2), json!(100))
    );
    assert_eq!(changed["notice_days"], 7);
    let res = app
        .authed(Method::PATCH, &format!("/api/v1/campaigns/{id}"), &admin)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "过期的修改"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;

    // Refused steps: closing or settling a draft.
    for action in ["close", "settle"] {
        let res = step(&app, &admin, &id, action, None, None).await;
        assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    }
    let opened = json_body(
        step(&app, &admin, &id, "open", Some(2), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(opened["status"], "open");
    // Once open it no longer changes, and does not open twice.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"title": "开始后修改"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let res = step(&app, &admin, &id, "open", None, None).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let res = step(&app, &admin, &id, "settle", None, None).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;

    let closed = json_body(
        step(&app, &admin, &id, "close", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    let settled = json_body(
        step(&app, &admin, &id, "settle", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(settled["status"], "settled");
    assert_eq!(settled["version"], 5);
    // A settled campaign is final.
    let res = step(
        &app,
        &admin,
        &id,
        "cancel",
        None,
        Some(json!({"reason": "重复创建"})),
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;

    // A draft without money does not open; it may be cancelled, with a reason.
    let mut empty = winter_warmth(&city);
    empty["fund_sources"] = json!([]);
    empty["rule"] = Value::Null;
    let draft = json_body(
        app.post_as("/api/v1/campaigns", &admin, &empty).await,
        StatusCode::CREATED,
    )
    .await;
    let draft_id = draft["id"].as_str().unwrap();
    assert_eq!(draft["budget_fen"], 0);
    let res = step(&app, &admin, draft_id, "open", None, None).await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["fund_sources", "rule"]);
    let res = step(&app, &admin, draft_id, "cancel", None, Some(json!({}))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let cancelled = json_body(
        step(
            &app,
            &admin,
            draft_id,
            "cancel",
            None,
            Some(json!({"reason": "资金未到位"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");

    // Every step is in the audit trail.
    let trail = json_body(
        app.get_as(
            &format!("/api/v1/audit-events?resource_type=campaign&resource_id={id}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mut actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        vec![
            "campaign.close",
            "campaign.create",
            "campaign.open",
            "campaign.settle",
            "campaign.update"
        ]
    );
}

#[tokio::test]
async fn campaign_input_is_validated_field_by_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    let mut bad = winter_warmth(&city);
    bad["year"] = json!(1999);
    bad["applications_until"] = json!("2017-11-01");
    bad["fund_sources"][1]["amount_fen"] = json!(0);
    let res = app.post_as("/api/v1/campaigns", &admin, &bad).await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, vec!["fund_sources[1].amount_fen", "year"]);

    // The window is the core's rule: checked once the types are right.
    let mut window = winter_warmth(&city);
    window["applications_until"] = json!("2017-11-01");
    let res = app.post_as("/api/v1/campaigns", &admin, &window).await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "applications_until");
    assert_eq!(problem["errors"][0]["code"], "before_start");

    let mut kind = winter_warmth(&city);
    kind["kind"] = json!("autumn_harvest");
    let res = app.post_as("/api/v1/campaigns", &admin, &kind).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The grant rule, checked field by field: a range upside down, a tier without an amount,
    // goods without a value, temporary archives outside emergency aid.
    let rule_errors = |rule: Value| {
        let mut body = winter_warmth(&city);
        body["rule"] = rule;
        body
    };
    for (rule, field, code) in [
        (
            json!({"recipients": {"from": "archive", "categories": ["deep"]},
                   "amount": {"type": "range", "min_fen": 500_000, "max_fen": 300_000}}),
            "rule.amount.max_fen",
            "below_minimum",
        ),
        (
            json!({"recipients": {"from": "students", "categories": ["deep"], "stages": ["undergraduate", "vocational"]},
                   "amount": {"type": "per_stage", "tiers": [{"stage": "undergraduate", "amount_fen": 500_000}]}}),
            "rule.amount.tiers",
            "missing_tier",
        ),
        (
            json!({"recipients": {"from": "registry", "high_temperature": true},
                   "amount": {"type": "goods", "items": [{"name": "绿豆", "quantity": 2, "unit_value_fen": 0}]}}),
            "rule.amount.items[0].unit_value_fen",
            "range",
        ),
        (
            json!({"recipients": {"from": "archive", "categories": ["deep"], "temporary_allowed": true},
                   "amount": {"type": "fixed", "amount_fen": 50_000}}),
            "rule.recipients.temporary_allowed",
            "emergency_only",
        ),
    ] {
        let res = app
            .post_as("/api/v1/campaigns", &admin, &rule_errors(rule))
            .await;
        let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
        assert_eq!(
            (
                problem["errors"][0]["field"].as_str(),
                problem["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{problem}"
        );
    }
    // A tier with no amount at all is refused before the rule is looked at.
    let res = app
        .post_as(
            "/api/v1/campaigns",
            &admin,
            &rule_errors(json!({"recipients": {"from": "archive", "categories": ["deep"]},
                                "amount": {"type": "per_category", "tiers": [{"category": "deep"}]}})),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;

    let mut many = winter_warmth(&city);
    many["fund_sources"] = json!(vec![json!({"source": "donation", "amount_fen": 1}); 21]);
    let res = app.post_as("/api/v1/campaigns", &admin, &many).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_county_runs_and_sees_its_own_campaigns_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;

    let citywide = json_body(
        app.post_as("/api/v1/campaigns", &admin, &winter_warmth(&city))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let mut own = winter_warmth(&a.org_id);
    own["kind"] = json!("summer_cool");
    let county_a = json_body(
        app.post_as("/api/v1/campaigns", &a.admin, &own).await,
        StatusCode::CREATED,
    )
    .await;
    // A county cannot run a campaign for the city, nor see or move another's.
    let res = app
        .post_as("/api/v1/campaigns", &a.admin, &winter_warmth(&city))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let other = county_a["id"].as_str().unwrap();
    let res = app
        .get_as(&format!("/api/v1/campaigns/{other}"), &b.admin)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = step(&app, &b.admin, other, "open", None, None).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    // An operator reads campaigns but does not run them.
    let res = app.post_as("/api/v1/campaigns", &a.operator, &own).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let seen_by_a = json_body(
        app.get_as("/api/v1/campaigns", &a.operator).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&seen_by_a), vec![other.to_owned()]);
    let seen_by_b = json_body(
        app.get_as("/api/v1/campaigns", &b.admin).await,
        StatusCode::OK,
    )
    .await;
    assert!(ids(&seen_by_b).is_empty());
    let all = json_body(
        app.get_as("/api/v1/campaigns?year=2017&count=true", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 2);
    let winter = json_body(
        app.get_as("/api/v1/campaigns?kind=winter_warmth&status=draft", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        ids(&winter),
        vec![citywide["id"].as_str().unwrap().to_owned()]
    );
    let within = json_body(
        app.get_as(
            &format!("/api/v1/campaigns?within_org_id={}", a.org_id),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&within), vec![other.to_owned()]);
}

/// Two administrators open the same draft at the same moment: the state is checked in the
/// `UPDATE` itself, so exactly one succeeds and the other is told the campaign moved on.
#[tokio::test]
async fn concurrent_steps_on_one_campaign_succeed_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    for _ in 0..3 {
        let id = json_body(
            app.post_as("/api/v1/campaigns", &admin, &winter_warmth(&city))
                .await,
            StatusCode::CREATED,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (first, second) = tokio::join!(
            step(&app, &admin, &id, "open", None, None),
            step(&app, &admin, &id, "open", None, None),
        );
        let mut statuses = [first.status(), second.status()];
        statuses.sort();
        assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
        assert!(
            [StatusCode::CONFLICT, StatusCode::PRECONDITION_FAILED].contains(&statuses[1]),
            "{statuses:?}"
        );
        let now = json_body(
            app.get_as(&format!("/api/v1/campaigns/{id}"), &admin).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (now["status"].clone(), now["version"].clone()),
            (json!("open"), json!(2))
        );
    }
}

async fn opened(app: &TestApp, token: &str, org_id: &str) -> Value {
    let id = json_body(
        app.post_as("/api/v1/campaigns", token, &winter_warmth(org_id))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_body(
        step(app, token, &id, "open", None, None).await,
        StatusCode::OK,
    )
    .await
}

async fn allocate(
    app: &TestApp,
    token: &str,
    campaign: &str,
    body: &Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .authed(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/allocations"),
            token,
        )
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn holdings(app: &TestApp, token: &str, campaign: &str) -> Vec<Value> {
    json_body(
        app.get_as(&format!("/api/v1/campaigns/{campaign}/holdings"), token)
            .await,
        StatusCode::OK,
    )
    .await["holdings"]
        .as_array()
        .unwrap()
        .clone()
}

async fn consistent(app: &TestApp, token: &str, campaign: &str) -> bool {
    let check = json_body(
        app.get_as(
            &format!("/api/v1/campaigns/{campaign}/balance-check"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    check["consistent"] == true && check["differences"].as_array().unwrap().is_empty()
}

#[tokio::test]
async fn money_goes_down_the_tree_through_an_append_only_ledger_that_agrees_to_the_fen() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let township = app
        .create_org(&a.admin, &a.org_id, "township", "济阳街道工会", "370811")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let campaign = opened(&app, &admin, &city).await;
    let id = campaign["id"].as_str().unwrap().to_owned();
    let central = campaign["fund_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let city_fiscal = campaign["fund_sources"][2]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Opening funds the city with the whole budget and quota.
    let start = holdings(&app, &admin, &id).await;
    assert_eq!(start.len(), 1);
    assert_eq!(start[0]["total"]["received_fen"], 671_200_000);
    assert_eq!(start[0]["quota_available"], 4500);

    // Before anything is allocated to it, a county does not see the city's campaign.
    let res = app
        .get_as(&format!("/api/v1/campaigns/{id}"), &a.admin)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    let to_a = json!({"to_org_id": a.org_id, "quota": 420, "amounts": [
        {"fund_source_id": central, "amount_fen": 28_000_000},
        {"fund_source_id": city_fiscal, "amount_fen": 16_000_000}]});
    let first = allocate(&app, &admin, &id, &to_a, Some("winter-2017-a")).await;
    let first = json_body(first, StatusCode::CREATED).await;
    assert_eq!(first["amount_fen"], 44_000_000);
    // The same request again with its key: the first allocation, not a second one.
    let again = allocate(&app, &admin, &id, &to_a, Some("winter-2017-a")).await;
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    assert_eq!(
        json_body(again, StatusCode::CREATED).await["id"],
        first["id"]
    );
    let mut other = to_a.clone();
    other["quota"] = json!(1);
    let reused = allocate(&app, &admin, &id, &other, Some("winter-2017-a")).await;
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let to_b = json!({"to_org_id": b.org_id, "quota": 300,
                      "amounts": [{"fund_source_id": central, "amount_fen": 20_000_000}]});
    json_body(
        allocate(&app, &admin, &id, &to_b, None).await,
        StatusCode::CREATED,
    )
    .await;

    // County A now reads the campaign and its own figures only, and passes money on.
    json_body(
        app.get_as(&format!("/api/v1/campaigns/{id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    let listed = json_body(
        app.get_as("/api/v1/campaigns", &a.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], json!(id));
    let to_township = json!({"to_org_id": township, "quota": 120,
                             "amounts": [{"fund_source_id": central, "amount_fen": 8_000_000}]});
    json_body(
        allocate(&app, &a.admin, &id, &to_township, None).await,
        StatusCode::CREATED,
    )
    .await;
    // Never more than it holds; never the city's money; never by changing the city's campaign.
    let too_much = json!({"to_org_id": township, "amounts": [
        {"fund_source_id": city_fiscal, "amount_fen": 16_000_001}]});
    let res = allocate(&app, &a.admin, &id, &too_much, None).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "insufficient_balance").await;
    assert!(problem["detail"].as_str().unwrap().contains("16000000"));
    let to_itself = json!({"to_org_id": a.org_id, "quota": 1});
    let res = allocate(&app, &a.admin, &id, &to_itself, None).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let res = step(&app, &a.admin, &id, "close", None, None).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    // An operator reads the money but does not move it.
    let res = allocate(&app, &a.operator, &id, &to_township, None).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    let seen_by_a = holdings(&app, &a.admin, &id).await;
    let names: Vec<&str> = seen_by_a
        .iter()
        .map(|h| h["org_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"任城区总工会") && names.contains(&"济阳街道工会"));
    let county = seen_by_a
        .iter()
        .find(|h| h["org_id"] == json!(a.org_id))
        .unwrap();
    assert_eq!(
        county["total"],
        json!({"received_fen": 44_000_000, "allocated_fen": 8_000_000, "committed_fen": 0, "available_fen": 36_000_000, "paid_fen": 0})
    );
    assert_eq!(
        (
            county["quota_received"].clone(),
            county["quota_available"].clone()
        ),
        (json!(420), json!(300))
    );
    let seen_by_b = holdings(&app, &b.admin, &id).await;
    assert_eq!(seen_by_b.len(), 1);
    assert_eq!(seen_by_b[0]["total"]["available_fen"], 20_000_000);

    // The city's view: what is available everywhere adds up to the budget, and every balance
    // equals its ledger rows.
    let everything = holdings(&app, &admin, &id).await;
    let available: i64 = everything
        .iter()
        .map(|h| h["total"]["available_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(available, 671_200_000);
    let quota: i64 = everything
        .iter()
        .map(|h| h["quota_available"].as_i64().unwrap())
        .sum();
    assert_eq!(quota, 4500);
    assert!(consistent(&app, &admin, &id).await);
    assert!(consistent(&app, &a.admin, &id).await);
    let ledger = json_body(
        app.get_as(
            &format!("/api/v1/campaigns/{id}/ledger?limit=200&count=true"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Funding: 3 sources + the quota; A: 2 sources and the quota, twice each; B: 1 source and
    // the quota; the township: 1 source and the quota.
    assert_eq!(ledger["total"], 4 + 6 + 4 + 4);
    let total: i64 = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 671_200_000);

    // The ledger is append-only, whoever asks.
    for statement in [
        "UPDATE campaign_ledger SET amount_fen = 0",
        "DELETE FROM campaign_ledger",
    ] {
        assert!(
            app.db.execute_unprepared(statement).await.is_err(),
            "{statement}"
        );
    }
    // And a balance written behind the ledger's back is caught by the check.
    app.db
        .execute_unprepared("UPDATE campaign_balances SET available_fen = available_fen - 1")
        .await
        .unwrap();
    assert!(!consistent(&app, &admin, &id).await);
}

/// Two allocations race for more than is left: the conditional UPDATE lets exactly one take
/// it, and the ledger still agrees with the balances.
#[tokio::test]
async fn two_allocations_racing_for_the_last_yuan_cannot_both_succeed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    for _ in 0..3 {
        let campaign = opened(&app, &admin, &city).await;
        let id = campaign["id"].as_str().unwrap().to_owned();
        let source = campaign["fund_sources"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // 300,000,000 fen in the central source: each asks for 200,000,000.
        let body = |org: &str| json!({"to_org_id": org, "amounts": [{"fund_source_id": source, "amount_fen": 200_000_000}]});
        let (to_a, to_b) = (body(&a.org_id), body(&b.org_id));
        let (first, second) = tokio::join!(
            allocate(&app, &admin, &id, &to_a, None),
            allocate(&app, &admin, &id, &to_b, None),
        );
        let mut statuses = [first.status(), second.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
        let city_row = holdings(&app, &admin, &id)
            .await
            .into_iter()
            .find(|h| h["org_id"] == json!(city))
            .unwrap();
        assert_eq!(city_row["sources"][0]["available_fen"], 100_000_000);
        assert!(consistent(&app, &admin, &id).await);
    }
}

/// The measure: the city's 2017 winter warmth, 6,712,000 yuan from three sources,
/// allocated to the 11 counties, each county seeing only its own share and passing some on to a
/// township; the figures and the ledger agree to the fen, and both export.
#[tokio::test]
async fn the_2017_winter_warmth_reaches_eleven_counties_and_their_townships() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let city = app.root_org_id(&admin).await;
    let campaign = opened(&app, &admin, &city).await;
    let id = campaign["id"].as_str().unwrap().to_owned();
    let sources: Vec<String> = campaign["fund_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let counties = [
        ("任城区总工会", "370811"),
        ("兖州区总工会", "370812"),
        ("微山县总工会", "370826"),
        ("鱼台县总工会", "370827"),
        ("金乡县总工会", "370828"),
        ("嘉祥县总工会", "370829"),
        ("汶上县总工会", "370830"),
        ("泗水县总工会", "370831"),
        ("梁山县总工会", "370832"),
        ("曲阜市总工会", "370881"),
        ("邹城市总工会", "370883"),
    ];
    for (name, code) in counties {
        let county = app.county(&admin, name, code).await;
        let share = json!({"to_org_id": county.org_id, "quota": 300, "amounts": [
            {"fund_source_id": sources[0], "amount_fen": 20_000_000},
            {"fund_source_id": sources[1], "amount_fen": 15_000_000},
            {"fund_source_id": sources[2], "amount_fen": 10_000_000}]});
        json_body(
            allocate(&app, &admin, &id, &share, Some(&format!("2017-{code}"))).await,
            StatusCode::CREATED,
        )
        .await;
        let township = app
            .create_org(&county.admin, &county.org_id, "township", "街道工会", code)
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let on = json!({"to_org_id": township, "quota": 30,
                        "amounts": [{"fund_source_id": sources[0], "amount_fen": 5_000_000}]});
        json_body(
            allocate(&app, &county.admin, &id, &on, None).await,
            StatusCode::CREATED,
        )
        .await;
        let own = holdings(&app, &county.admin, &id).await;
        assert_eq!(own.len(), 2, "{name}: its own and its township's");
        let mine = own
            .iter()
            .find(|h| h["org_id"] == json!(county.org_id))
            .unwrap();
        assert_eq!(
            mine["total"],
            json!({"received_fen": 45_000_000, "allocated_fen": 5_000_000, "committed_fen": 0, "available_fen": 40_000_000, "paid_fen": 0})
        );
        assert!(consistent(&app, &county.admin, &id).await);
    }

    let all = holdings(&app, &admin, &id).await;
    assert_eq!(all.len(), 1 + 11 + 11);
    let city_row = all.iter().find(|h| h["org_id"] == json!(city)).unwrap();
    assert_eq!(
        city_row["total"],
        json!({"received_fen": 671_200_000, "allocated_fen": 495_000_000, "committed_fen": 0, "available_fen": 176_200_000, "paid_fen": 0})
    );
    assert_eq!(city_row["quota_available"], 4500 - 11 * 300);
    let available: i64 = all
        .iter()
        .map(|h| h["total"]["available_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(available, 671_200_000);
    assert!(consistent(&app, &admin, &id).await);

    // The ledger as a file: a header and one line per row; the sum of its amounts is the budget.
    let csv = app
        .authed(
            Method::GET,
            &format!("/api/v1/campaigns/{id}/ledger/export"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    // Funding 3 + 1; each county 3 sources and the quota, twice; each township 1 and the quota,
    // twice.
    assert_eq!(lines.len(), 1 + 4 + 11 * 8 + 11 * 4);
    let column = |n: usize| -> f64 {
        lines[1..]
            .iter()
            .map(|l| l.split(',').nth(n).unwrap())
            .filter(|cell| !cell.is_empty())
            .map(|cell| cell.parse::<f64>().unwrap())
            .sum()
    };
    // What came in less what went out.
    let yuan_total = column(5) - column(6);
    assert!((yuan_total - 6_712_000.0).abs() < 0.001, "{yuan_total}");
    let xlsx = app
        .authed(
            Method::GET,
            &format!("/api/v1/campaigns/{id}/holdings/export?format=xlsx"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
}

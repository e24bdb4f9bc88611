//! Tenancy, swept over the whole API: every operation in the OpenAPI document that takes a
//! record id is called by county B's administrator (who holds every permission those operations
//! need) on a record of county A, with the operation's own documented example as the body. Each
//! must answer 404, exactly as for a record that does not exist. A new operation on a new kind
//! of record fails this test until the test is given a record of that kind.

use std::collections::HashMap;

use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{json_body, nth_id_number, request_examples, spawn_app, uscc};

#[tokio::test]
async fn every_operation_on_a_record_of_county_a_answers_404_to_county_b() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;

    // One record of every kind, in county A.
    let township = app
        .create_org(&admin, &a.org_id, "township", "济阳街道工会", "370811")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = json_body(
        app.post_as(
            "/api/v1/clients",
            &a.admin,
            &json!({"name": "任城区系统", "org_id": a.org_id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let enterprise = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "济宁机床厂",
            &uscc("91370811MA3C00001"),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let worker = app
        .create_worker(&a.operator, &a.org_id, "张三", &nth_id_number(1))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let year = chrono::Utc::now().year();
    json_body(
        app.post_as(
            "/api/v1/living-standards",
            &a.admin,
            &json!({"org_id": a.org_id, "year": year, "monthly_fen": 80_000}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let archive = json_body(
        app.post_as(
            "/api/v1/beneficiaries",
            &a.operator,
            &json!({
                "org_id": a.org_id, "head_worker_id": worker, "household_size": 2,
                "annual_income_fen": 600_000, "rigid_expenses_fen": 120_000, "causes": ["illness"],
                "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"},
                "members": [{"name": "张小明", "relation": "child", "id_number": nth_id_number(2),
                             "health": "healthy"}]
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let member = archive["members"][0]["id"].as_str().unwrap().to_owned();
    let archive = archive["id"].as_str().unwrap().to_owned();
    let agreement = json_body(
        app.post_as(
            "/api/v1/wage-agreements",
            &a.operator,
            &json!({"org_id": a.org_id, "title": "济宁机床厂工资专项集体合同", "scope": "enterprise",
                    "mode": "single_enterprise", "text_type": "wage_special",
                    "enterprise_ids": [enterprise]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let campaign = json_body(
        app.post_as(
            "/api/v1/campaigns",
            &a.admin,
            &json!({"org_id": a.org_id, "kind": "winter_warmth", "year": year, "title": "任城区送温暖",
                    "fund_sources": [{"source": "federation", "amount_fen": 1_000_000}]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let funded = json_body(
        app.post_as(
            "/api/v1/campaigns",
            &a.admin,
            &json!({"org_id": a.org_id, "kind": "summer_cool", "year": year, "title": "任城区夏送清凉", "quota": 10,
                    "rule": {"recipients": {"from": "registry"}, "amount": {"type": "fixed", "amount_fen": 20_000}},
                    "fund_sources": [{"source": "federation", "amount_fen": 1_000_000}]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let funded = funded["id"].as_str().unwrap().to_owned();
    json_body(
        app.post_as(
            &format!("/api/v1/campaigns/{funded}/open"),
            &a.admin,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let grant = json_body(
        app.post_as(
            "/api/v1/grants",
            &a.admin,
            &json!({"campaign_id": funded, "recipient": {"kind": "worker", "id": worker}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = chrono::Utc::now().date_naive();
    json_body(
        app.post_as(
            &format!("/api/v1/grants/{grant}/verify"),
            &a.operator,
            &json!({"visited_on": today.to_string(), "findings": "属实"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let notice = json_body(
        app.post_as(
            "/api/v1/grant-notices",
            &a.admin,
            &json!({"campaign_id": funded, "org_id": a.org_id, "title": "公示", "contact": "区总工会",
                    "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(4)).to_string(),
                    "grant_ids": [grant]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let objection = json_body(
        app.post_as(
            &format!("/api/v1/grants/{grant}/objections"),
            &a.operator,
            &json!({"received_on": today.to_string(), "channel": "phone", "content": "反映情况不实"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = app
        .authed(Method::POST, "/api/v1/imports/workers", &a.operator)
        .header("content-type", "text/csv")
        .body(format!("姓名,身份证号\n李四,{}\n", nth_id_number(3)))
        .send()
        .await
        .unwrap();
    let job = app.finished_job(upload, &a.operator).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let card = json_body(
        app.post_as(
            "/api/v1/bank-cards",
            &a.operator,
            &json!({"payee": {"worker_id": worker}, "holder_name": "张三", "bank_code": "102",
                    "card_number": crate::helpers::card_number(1)}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (batch, payout, file, check) = payout_rows(&app, &a.org_id, &funded, &grant, &card).await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let webhook = json_body(
        app.post_as(
            "/api/v1/sync/webhooks",
            &system,
            &json!({"url": "https://sync.example.cn/notify", "kinds": ["worker"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: HashMap<&str, String> = HashMap::from([
        ("bank-cards", card),
        ("payout-batches", batch),
        ("payouts", payout),
        ("payout-files", file),
        ("payout-checks", check),
        ("orgs", township),
        ("users", a.operator_user_id.clone()),
        ("clients", client),
        ("enterprises", enterprise),
        ("workers", worker),
        ("beneficiaries", archive),
        ("wage-agreements", agreement),
        ("jobs", job),
        ("campaigns", campaign),
        ("grants", grant),
        ("grant-notices", notice),
        ("grant-objections", objection),
        ("sync", webhook),
    ]);

    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let mut swept = 0;
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        // Public routes (a notice's unguessable link) take no record of a tenant.
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let kind = path.split('/').nth(3).unwrap_or_default();
        let id = ids.get(kind).unwrap_or_else(|| {
            panic!("{path}: give this test a record of kind `{kind}` in county A")
        });
        let url = path.replace("{id}", id).replace("{member_id}", &member);
        for (method, op) in item.as_object().unwrap() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "patch" => Method::PATCH,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let mut request = app.authed(method.clone(), &url, &b.admin);
            if let Some(body) = request_examples(&doc, op).and_then(|e| e.into_iter().next()) {
                request = request.json(&body);
            }
            let res = request.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            swept += 1;
            if status != StatusCode::NOT_FOUND || body["code"] != "not_found" {
                failures.push(format!("{method} {path}: {status} {body}"));
            }
            // The record is there: its owner may read it.
            if method == Method::GET {
                let own = app.get_as(&url, &a.admin).await.status();
                if own != StatusCode::OK {
                    failures.push(format!("{method} {path} as county A: {own}"));
                }
            }
        }
    }
    assert!(swept >= 35, "only {swept} operations swept");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A batch of county A with one payout, one file and one post-payment check, written straight into the database: the
/// sweep needs records of these kinds, not an approved grant's whole workflow.
async fn payout_rows(
    app: &crate::helpers::TestApp,
    org: &str,
    campaign: &str,
    grant: &str,
    card: &str,
) -> (String, String, String, String) {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let uuid = |s: &str| uuid::Uuid::parse_str(s).unwrap();
    let (batch, payout, file) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let now = chrono::Utc::now();
    let settings = siji_api::config::DataSettings {
        data_key: Some(siji_api::config::Secret(
            crate::helpers::DATA_KEY.to_owned(),
        )),
        previous_data_keys: None,
        index_key: Some(siji_api::config::Secret(
            crate::helpers::INDEX_KEY.to_owned(),
        )),
    };
    let pii = siji_api::auth::secrets::data_protector(&app.db, &settings)
        .await
        .unwrap();
    let number = crate::helpers::card_number(1);
    let generic = siji_api::payouts::layouts::layout("generic").unwrap();
    let line = siji_api::payouts::layouts::Line {
        reference: "SJTENANCY".into(),
        card_number: number.clone(),
        holder_name: "张三".into(),
        bank_code: "102".into(),
        bank_name: "中国工商银行".into(),
        amount_fen: 100,
    };
    let sha256 = siji_api::payouts::layouts::render(&generic, &[line]).unwrap()[0]
        .sha256
        .clone();
    entity::payout_batches::Entity::insert(entity::payout_batches::ActiveModel {
        id: Set(batch),
        campaign_id: Set(uuid(campaign)),
        org_id: Set(uuid(org)),
        follow_up_of: Set(None),
        status: Set("draft".into()),
        payout_count: Set(1),
        total_fen: Set(100),
        built_by: Set(uuid::Uuid::nil()),
        approved_by: Set(None),
        approved_at: Set(None),
        exported_by: Set(None),
        exported_at: Set(None),
        reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    entity::payouts::Entity::insert(entity::payouts::ActiveModel {
        id: Set(payout),
        batch_id: Set(batch),
        campaign_id: Set(uuid(campaign)),
        grant_id: Set(uuid(grant)),
        org_id: Set(uuid(org)),
        card_id: Set(uuid(card)),
        holder_name: Set("张三".into()),
        bank_code: Set("102".into()),
        bank_name: Set("中国工商银行".into()),
        bank_card_enc: Set(pii
            .encrypt(siji_api::pii::PiiField::BankCard, &number)
            .unwrap()),
        bank_card_masked: Set("************0000".into()),
        amount_fen: Set(100),
        reference: Set("SJTENANCY".into()),
        status: Set("sent".into()),
        reason: Set(None),
        retry_of: Set(None),
        settled_by: Set(None),
        settled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    entity::payout_files::Entity::insert(entity::payout_files::ActiveModel {
        id: Set(file),
        batch_id: Set(batch),
        org_id: Set(uuid(org)),
        layout: Set("generic".into()),
        part: Set(1),
        name: Set("payout.csv".into()),
        rows: Set(1),
        total_fen: Set(100),
        sha256: Set(sha256),
        created_by: Set(uuid::Uuid::nil()),
        created_at: Set(now),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    let check = uuid::Uuid::now_v7();
    entity::payout_checks::Entity::insert(entity::payout_checks::ActiveModel {
        id: Set(check),
        campaign_id: Set(uuid(campaign)),
        payout_id: Set(payout),
        grant_id: Set(uuid(grant)),
        org_id: Set(uuid(org)),
        county_id: Set(uuid(org)),
        status: Set("pending".into()),
        method: Set(None),
        contacted_on: Set(None),
        note: Set(None),
        sampled_by: Set(uuid::Uuid::nil()),
        recorded_by: Set(None),
        recorded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    (
        batch.to_string(),
        payout.to_string(),
        file.to_string(),
        check.to_string(),
    )
}

//! Bank cards and payouts: a card checked (length, Luhn with its audited override, the holder's
//! name), masked everywhere, revealed only with a reason, kept as history when replaced, and
//! flagged when two payees share a number; a batch built by one person and approved by another,
//! a grant in at most one live payout (also under concurrent builds), every transition allowed
//! and forbidden, the ledger moved when a payout is paid or returned, a follow-up batch after
//! the card is corrected, and a county seeing only its own.

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{World, assert_problem, card_number, json_body, nth_id_number, world};

fn day(back: u64) -> String {
    (Utc::now().date_naive() - Days::new(back)).to_string()
}

/// `n` approved grants of 150,000 fen in a winter-warmth campaign of county A: the archives
/// opened by the operator and verified by the approver, the grants submitted by the operator,
/// visited by the approver, on a notice that has ended, and approved by the county admin.
/// Returns the campaign and the grants (with their archives' head worker ids).
async fn approved(w: &World, n: u32) -> (Value, Vec<Value>) {
    let app = &w.app;
    let mut archives = Vec::new();
    for i in 0..n {
        let head = app
            .worker_id(&w.a, &format!("职工{i}"), &nth_id_number(100 + i))
            .await;
        let body = json!({
            "org_id": w.a.org_id, "head_worker_id": head, "household_size": 2,
            "annual_income_fen": 20_000 * 2 * 12, "rigid_expenses_fen": 0, "causes": ["illness"],
            "first_visit": {"visited_on": day(30), "findings": "家中一人患病"}, "members": []
        });
        let created = json_body(
            app.post_as("/api/v1/beneficiaries", &w.a.operator, &body)
                .await,
            StatusCode::CREATED,
        )
        .await;
        json_body(
            app.post_as(
                &format!(
                    "/api/v1/beneficiaries/{}/verify",
                    created["id"].as_str().unwrap()
                ),
                &w.approver,
                &json!({"visited_on": day(20), "findings": "属实", "confirmed": true}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        archives.push(created);
    }
    let created = json_body(
        app.post_as(
            "/api/v1/campaigns",
            &w.a.admin,
            &json!({"org_id": w.a.org_id, "kind": "winter_warmth", "year": 2026, "title": "送温暖",
                    "quota": 100, "rule": {"recipients": {"from": "archive", "categories": ["deep", "relative"]},
                                            "amount": {"type": "fixed", "amount_fen": 150_000}},
                    "fund_sources": [{"source": "federation", "amount_fen": 10_000_000}]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let campaign = json_body(
        app.post_as(
            &format!("/api/v1/campaigns/{id}/open"),
            &w.a.admin,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mut ids = Vec::new();
    for archive in &archives {
        let g = json_body(
            app.post_as(
                "/api/v1/grants",
                &w.a.operator,
                &json!({"campaign_id": id, "recipient": {"kind": "archive_head", "id": archive["id"]}}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        ids.push(g["id"].clone());
    }
    let verified = json_body(
        app.post_as(
            "/api/v1/grants/bulk-verify",
            &w.approver,
            &json!({"grant_ids": ids, "visited_on": day(10), "findings": "逐户走访，情况属实"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(verified["done"], n, "{verified}");
    json_body(
        app.post_as(
            "/api/v1/grant-notices",
            &w.a.admin,
            &json!({"campaign_id": id, "org_id": w.a.org_id, "title": "关于2026年送温暖拟资助名单的公示",
                    "starts_on": day(8), "ends_on": day(2), "contact": "区总工会 0537-1234567", "grant_ids": ids}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let done = json_body(
        app.post_as(
            "/api/v1/grants/bulk-approve",
            &w.a.admin,
            &json!({"grant_ids": ids}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["done"], n, "{done}");
    let mut grants = Vec::new();
    for gid in &ids {
        grants.push(
            json_body(
                app.get_as(
                    &format!("/api/v1/grants/{}", gid.as_str().unwrap()),
                    &w.a.admin,
                )
                .await,
                StatusCode::OK,
            )
            .await,
        );
    }
    (campaign, grants)
}

async fn register_card(w: &World, worker: &Value, holder: &str, n: u32) -> reqwest::Response {
    w.app
        .post_as(
            "/api/v1/bank-cards",
            &w.a.operator,
            &json!({"payee": {"worker_id": worker}, "holder_name": holder, "bank_code": "102",
                    "card_number": card_number(n)}),
        )
        .await
}

/// A card for the payee of each grant.
async fn cards_for(w: &World, grants: &[&Value]) {
    for (i, g) in grants.iter().enumerate() {
        json_body(
            register_card(
                w,
                &g["worker_id"],
                g["name"].as_str().unwrap(),
                500 + i as u32,
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
}

async fn build(w: &World, token: &str, body: &Value) -> reqwest::Response {
    w.app.post_as("/api/v1/payout-batches", token, body).await
}

async fn batch_payouts(w: &World, batch: &Value) -> Vec<Value> {
    let page = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/payouts?batch_id={}&limit=200",
                    batch["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

async fn holding(w: &World, campaign: &Value) -> Value {
    let all = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/holdings",
                    campaign["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    all["holdings"][0]["total"].clone()
}

async fn consistent(w: &World, campaign: &Value) {
    let check = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/balance-check",
                    campaign["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(check["consistent"], true, "{check}");
}

#[tokio::test]
async fn a_card_is_checked_masked_revealed_with_a_reason_and_kept_as_history() {
    let w = world().await;
    let app = &w.app;
    let worker = app.worker_id(&w.a, "张三明", &nth_id_number(1)).await;
    let worker = json!(worker);
    let number = card_number(1);

    // The holder is the payee; the number is 16–19 digits with its check digit; the bank known.
    let wrong_name = register_card(&w, &worker, "李四", 1).await;
    let problem = assert_problem(wrong_name, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "name_mismatch", "{problem}");
    for (card, code) in [
        ("6222 0212 3456 78A0 128", "format"),
        ("6222021234567890127", "checksum"),
    ] {
        let res = app
            .post_as(
                "/api/v1/bank-cards",
                &w.a.operator,
                &json!({"payee": {"worker_id": worker}, "holder_name": "张三明", "bank_code": "102",
                        "card_number": card}),
            )
            .await;
        let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "card_number");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let res = app
        .post_as(
            "/api/v1/bank-cards",
            &w.a.operator,
            &json!({"payee": {"worker_id": worker}, "holder_name": "张三明", "bank_code": "999",
                    "card_number": number}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "unknown_bank");

    // Registered: masked, with the bank; the number appears nowhere in the answer.
    let res = app
        .post_as(
            "/api/v1/bank-cards",
            &w.a.operator,
            &json!({"payee": {"worker_id": worker}, "holder_name": "张三明", "bank_code": "313",
                    "bank_name": "济宁银行", "card_number": format!("{} {}", &number[..4], &number[4..])}),
        )
        .await;
    let text = {
        assert_eq!(res.status(), StatusCode::CREATED);
        res.text().await.unwrap()
    };
    assert!(
        !text.contains(&number) && !text.contains(&number[..12]),
        "{text}"
    );
    let card: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        card["card_number_masked"],
        format!("************{}", &number[15..])
    );
    assert_eq!(
        card["display"],
        format!("济宁银行 ************{}", &number[15..])
    );
    assert_eq!(card["status"], "active");
    assert_eq!(card["shared"], false);
    let id = card["id"].as_str().unwrap().to_owned();

    // One active card per payee.
    let second = register_card(&w, &worker, "张三明", 2).await;
    let problem = assert_problem(second, StatusCode::CONFLICT, "duplicate").await;
    assert_eq!(problem["existing_id"], json!(id));

    // The full number only through reveal: with pii.reveal, a reason, and an audit event that
    // does not hold it.
    let reveal = json!({"reason": "银行退票，核对卡号"});
    let res = app
        .post_as(
            &format!("/api/v1/bank-cards/{id}/reveal"),
            &w.a.operator,
            &reveal,
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let revealed = json_body(
        app.post_as(
            &format!("/api/v1/bank-cards/{id}/reveal"),
            &w.a.admin,
            &reveal,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(revealed["card_number"], number);
    let events = app
        .get_as(
            "/api/v1/audit-events?action=bank_card.reveal",
            &w.city_admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(events.contains("银行退票，核对卡号"), "{events}");
    assert!(!events.contains(&number), "{events}");

    // A number that fails the Luhn check goes in only with a reason, which is kept.
    let bad = "6222021234567890127";
    let replaced = json_body(
        app.post_as(
            &format!("/api/v1/bank-cards/{id}/replace"),
            &w.a.operator,
            &json!({"holder_name": "张三明", "bank_code": "403", "card_number": bad,
                    "luhn_override": "卡面号码核对无误，银行确认", "reason": "原卡已注销"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(replaced["luhn_override"], "卡面号码核对无误，银行确认");
    assert_eq!(replaced["bank_name"], "中国邮政储蓄银行");
    let old = json_body(
        app.get_as(&format!("/api/v1/bank-cards/{id}"), &w.a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(old["status"], "replaced");
    assert_eq!(old["replaced_by"], replaced["id"]);
    assert_eq!(old["replaced_reason"], "原卡已注销");
    // History: both cards, the old one first; replacing a replaced card is refused.
    let history = json_body(
        app.get_as(
            &format!("/api/v1/bank-cards?worker_id={}", worker.as_str().unwrap()),
            &w.a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let statuses: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["status"])
        .collect();
    assert_eq!(statuses, [&json!("replaced"), &json!("active")]);
    let again = app
        .post_as(
            &format!("/api/v1/bank-cards/{id}/replace"),
            &w.a.operator,
            &json!({"holder_name": "张三明", "bank_code": "102", "card_number": card_number(3), "reason": "再次换卡"}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "conflict").await;

    // The same number on another payee: accepted, and flagged on both.
    let other = json!(app.worker_id(&w.a, "王五", &nth_id_number(2)).await);
    let shared = json_body(
        app.post_as(
            "/api/v1/bank-cards",
            &w.a.operator,
            &json!({"payee": {"worker_id": other}, "holder_name": "王五", "bank_code": "403", "card_number": bad,
                    "luhn_override": "同一张卡"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(shared["shared"], true);
    let flagged = json_body(
        app.get_as("/api/v1/bank-cards?shared=true", &w.city_admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(flagged["items"].as_array().unwrap().len(), 2, "{flagged}");
    assert!(
        flagged["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["shared"] == true)
    );

    // Another county sees none of it.
    let b = app.county(&w.city_admin, "兖州区总工会", "370812").await;
    let res = app
        .get_as(&format!("/api/v1/bank-cards/{id}"), &b.admin)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let none = json_body(
        app.get_as("/api/v1/bank-cards?shared=true", &b.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    let res = app
        .post_as(
            &format!("/api/v1/bank-cards/{id}/reveal"),
            &b.admin,
            &reveal,
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_batch_is_built_by_one_person_approved_by_another_and_takes_a_grant_once() {
    let w = world().await;
    let app = &w.app;
    let (campaign, grants) = approved(&w, 3).await;
    let cid = campaign["id"].as_str().unwrap();
    cards_for(&w, &[&grants[0], &grants[1]]).await;

    // The third payee has no card: left out, and on the worklist.
    let awaiting = json_body(
        app.get_as(
            &format!("/api/v1/campaigns/{cid}/payees-awaiting-card"),
            &w.a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awaiting["items"].as_array().unwrap().len(), 1);
    assert_eq!(awaiting["items"][0]["id"], grants[2]["id"]);

    let body = json!({"campaign_id": cid});
    let res = app
        .authed(Method::POST, "/api/v1/payout-batches", &w.a.operator)
        .header("Idempotency-Key", "build-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let built = json_body(res, StatusCode::CREATED).await;
    assert_eq!(built["awaiting_card"], 1);
    let batch = built["batch"].clone();
    assert_eq!(batch["status"], "draft");
    assert_eq!(batch["payout_count"], 2);
    assert_eq!(batch["total_fen"], 300_000);
    // The same key answers the same batch; a new build finds nothing to pay.
    let res = app
        .authed(Method::POST, "/api/v1/payout-batches", &w.a.operator)
        .header("Idempotency-Key", "build-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(
        json_body(res, StatusCode::CREATED).await["batch"]["id"],
        batch["id"]
    );
    assert_problem(
        build(&w, &w.a.operator, &body).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // The database itself refuses a second live payout of a grant, and a non-positive amount;
    // an ended one (failed, returned, cancelled) beside a live one is allowed.
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
        let row = entity::payouts::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let copy = |status: &str, amount: i64, reference: &str| {
            let mut p = row.clone().into_active_model();
            p.id = Set(uuid::Uuid::now_v7());
            p.reference = Set(reference.to_owned());
            p.status = Set(status.to_owned());
            p.amount_fen = Set(amount);
            p
        };
        assert!(
            copy("pending", 150_000, "SJDOUBLE1")
                .insert(&app.db)
                .await
                .is_err()
        );
        assert!(
            copy("paid", 150_000, "SJDOUBLE2")
                .insert(&app.db)
                .await
                .is_err()
        );
        assert!(
            copy("failed", 0, "SJDOUBLE3")
                .insert(&app.db)
                .await
                .is_err()
        );
        let ended = copy("failed", 150_000, "SJDOUBLE4")
            .insert(&app.db)
            .await
            .unwrap();
        entity::payouts::Entity::delete_by_id(ended.id)
            .exec(&app.db)
            .await
            .unwrap();
    }

    // Each payout: the card as it was, masked, a reference of at most 20 characters.
    let payouts = batch_payouts(&w, &batch).await;
    assert_eq!(payouts.len(), 2);
    for p in &payouts {
        assert_eq!(p["status"], "pending");
        assert_eq!(p["amount_fen"], 150_000);
        assert!(p["reference"].as_str().unwrap().len() <= 20);
        assert!(
            p["card_number_masked"]
                .as_str()
                .unwrap()
                .starts_with("************")
        );
    }
    assert_ne!(payouts[0]["reference"], payouts[1]["reference"]);

    // A grant in a batch is not rejected.
    let res = app
        .post_as(
            &format!(
                "/api/v1/grants/{}/reject",
                grants[0]["id"].as_str().unwrap()
            ),
            &w.a.admin,
            &json!({"reason": "复核发现收入超标"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;

    // Maker-checker: the builder does not approve; someone else does, once.
    let bid = batch["id"].as_str().unwrap();
    let approve = format!("/api/v1/payout-batches/{bid}/approve");
    assert_problem(
        app.post_as(&approve, &w.a.operator, &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let approved = json_body(
        app.post_as(&approve, &w.approver, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_problem(
        app.post_as(&approve, &w.approver, &json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    // An approved batch is not cancelled.
    assert_problem(
        app.post_as(
            &format!("/api/v1/payout-batches/{bid}/cancel"),
            &w.a.operator,
            &json!({"reason": "名单有误"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    // A campaign with money in flight is neither settled nor cancelled.
    json_body(
        app.post_as(
            &format!("/api/v1/campaigns/{cid}/close"),
            &w.a.admin,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for (step, body) in [
        ("settle", json!({})),
        ("cancel", json!({"reason": "活动取消"})),
    ] {
        let res = app
            .post_as(
                &format!("/api/v1/campaigns/{cid}/{step}"),
                &w.a.admin,
                &body,
            )
            .await;
        let problem = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("wait on the bank"),
            "{problem}"
        );
    }
    // Nothing is settled before it is sent.
    let res = app
        .post_as(
            &format!(
                "/api/v1/payouts/{}/settle",
                payouts[0]["id"].as_str().unwrap()
            ),
            &w.approver,
            &json!({"status": "paid", "reason": "银行回单"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;

    // The third payee gets a card: the next build takes exactly that grant.
    cards_for_one(&w, &grants[2], 600).await;
    let second = json_body(build(&w, &w.a.operator, &body).await, StatusCode::CREATED).await;
    assert_eq!(second["batch"]["payout_count"], 1);
    let p = batch_payouts(&w, &second["batch"]).await;
    assert_eq!(p[0]["grant_id"], grants[2]["id"]);
    // A cancelled draft frees its grant for another batch.
    let sid = second["batch"]["id"].as_str().unwrap();
    let cancelled = json_body(
        app.post_as(
            &format!("/api/v1/payout-batches/{sid}/cancel"),
            &w.a.operator,
            &json!({"reason": "名单有误，重新生成"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        batch_payouts(&w, &second["batch"]).await[0]["status"],
        "cancelled"
    );
    let third = json_body(build(&w, &w.a.operator, &body).await, StatusCode::CREATED).await;
    assert_eq!(third["batch"]["payout_count"], 1);

    // Another county sees neither batches nor payouts.
    let b = app.county(&w.city_admin, "兖州区总工会", "370812").await;
    assert_problem(
        app.get_as(&format!("/api/v1/payout-batches/{bid}"), &b.admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let none = json_body(
        app.get_as("/api/v1/payouts", &b.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    let ledger = holding(&w, &campaign).await;
    assert_eq!(ledger["paid_fen"], 0);
    consistent(&w, &campaign).await;
}

async fn cards_for_one(w: &World, grant: &Value, n: u32) {
    json_body(
        register_card(w, &grant["worker_id"], grant["name"].as_str().unwrap(), n).await,
        StatusCode::CREATED,
    )
    .await;
}

/// Many builds of one campaign at once, each without a key: the grants end up in exactly one
/// live payout each, whichever build took them (PostgreSQL runs them truly at once).
#[tokio::test]
async fn concurrent_builds_put_each_grant_in_one_live_payout() {
    let w = world().await;
    let (campaign, grants) = approved(&w, 4).await;
    let refs: Vec<&Value> = grants.iter().collect();
    cards_for(&w, &refs).await;
    let body = json!({"campaign_id": campaign["id"]});
    let mut builds = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url, token, body) = (
            reqwest::Client::new(),
            w.app.url("/api/v1/payout-batches"),
            w.a.operator.clone(),
            body.clone(),
        );
        builds.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        });
    }
    let mut statuses: Vec<u16> = builds.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    let all = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/payouts?campaign_id={}&limit=200",
                    campaign["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let mut taken: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["grant_id"])
        .collect();
    assert_eq!(taken.len(), 4);
    taken.sort_by_key(|v| v.as_str().unwrap().to_owned());
    taken.dedup();
    assert_eq!(taken.len(), 4);
}

async fn settle(w: &World, payout: &Value, status: &str, reason: &str) -> reqwest::Response {
    w.app
        .post_as(
            &format!("/api/v1/payouts/{}/settle", payout["id"].as_str().unwrap()),
            &w.approver,
            &json!({"status": status, "reason": reason}),
        )
        .await
}

async fn export(w: &World, batch: &Value, layout: &str) -> Value {
    let res = w
        .app
        .post_as(
            &format!(
                "/api/v1/payout-batches/{}/export",
                batch["id"].as_str().unwrap()
            ),
            &w.a.admin,
            &json!({"layout": layout}),
        )
        .await;
    let job = w.app.finished_job(res, &w.a.admin).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    job["result"].clone()
}

async fn build_and_approve(w: &World, body: &Value) -> Value {
    let built = json_body(build(w, &w.a.operator, body).await, StatusCode::CREATED).await;
    let batch = built["batch"].clone();
    json_body(
        w.app
            .post_as(
                &format!(
                    "/api/v1/payout-batches/{}/approve",
                    batch["id"].as_str().unwrap()
                ),
                &w.approver,
                &json!({}),
            )
            .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn an_exported_batch_is_paid_once_and_a_failure_is_paid_again_after_the_card_is_corrected() {
    let w = world().await;
    let app = &w.app;
    let (campaign, grants) = approved(&w, 3).await;
    let refs: Vec<&Value> = grants.iter().collect();
    cards_for(&w, &refs).await;
    let cid = campaign["id"].as_str().unwrap();
    let batch = build_and_approve(&w, &json!({"campaign_id": cid})).await;
    let bid = batch["id"].as_str().unwrap();

    // Export needs its own permission; the export is a job that sends every payout.
    let res = app
        .post_as(
            &format!("/api/v1/payout-batches/{bid}/export"),
            &w.a.operator,
            &json!({"layout": "gb18030_summary"}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post_as(
            &format!("/api/v1/payout-batches/{bid}/export"),
            &w.a.admin,
            &json!({"layout": "no_such_layout"}),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let exported = export(&w, &batch, "gb18030_summary").await;
    assert_eq!(exported["batch"]["status"], "exported");
    let files = exported["files"].as_array().unwrap().clone();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0]["rows"].clone(), files[0]["total_fen"].clone()),
        (json!(3), json!(450_000))
    );
    let payouts = batch_payouts(&w, &batch).await;
    assert!(payouts.iter().all(|p| p["status"] == "sent"), "{payouts:?}");

    // The file: GBK, the count and total first, the full card numbers, the references; its
    // checksum is the one recorded; only with payouts.export, and audited.
    let url = files[0]["url"].as_str().unwrap();
    assert_problem(
        app.get_as(url, &w.a.operator).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = app.get_as(url, &w.a.admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=gb18030");
    assert_eq!(
        res.headers()["x-checksum-sha256"],
        files[0]["sha256"].as_str().unwrap()
    );
    let bytes = res.bytes().await.unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "3,4500.00");
    assert_eq!(lines.len(), 4);
    for (i, p) in payouts.iter().enumerate() {
        assert!(text.contains(p["reference"].as_str().unwrap()));
        assert!(text.contains(&card_number(500 + i as u32)), "{text}");
    }
    // A short-lived link downloads the same bytes without a bearer token; a link is asked for
    // with payouts.export, and nothing but this server's link opens it.
    let link_path = format!(
        "/api/v1/payout-files/{}/link",
        files[0]["id"].as_str().unwrap()
    );
    assert_problem(
        app.post_as(&link_path, &w.a.operator, &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let link = json_body(
        app.post_as(&link_path, &w.a.admin, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let by_link = reqwest::get(app.url(link["url"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(by_link.status(), StatusCode::OK);
    assert_eq!(by_link.bytes().await.unwrap(), bytes);
    for forged in [
        format!("{}x", link["url"].as_str().unwrap()),
        format!("/downloads/payout-files/{}", w.a.admin),
    ] {
        let res = reqwest::get(app.url(&forged)).await.unwrap();
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    // Exporting again gives the same file.
    let again = export(&w, &batch, "gb18030_summary").await;
    assert_eq!(again["files"][0]["sha256"], files[0]["sha256"]);
    assert_eq!(
        app.get_as(url, &w.a.admin).await.bytes().await.unwrap(),
        bytes
    );
    let audit = app
        .get_as(
            "/api/v1/audit-events?action=payout_file.export",
            &w.city_admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!audit.contains(&card_number(500)), "{audit}");
    assert!(audit.contains(files[0]["sha256"].as_str().unwrap()));

    // Outcomes: one paid (once, whatever is retried), one failed, one unclear then paid.
    let key = app
        .authed(
            Method::POST,
            &format!(
                "/api/v1/payouts/{}/settle",
                payouts[0]["id"].as_str().unwrap()
            ),
            &w.approver,
        )
        .header("Idempotency-Key", "settle-0");
    let body = json!({"status": "paid", "reason": "银行回单确认到账"});
    let first = key.try_clone().unwrap().json(&body).send().await.unwrap();
    assert_eq!(json_body(first, StatusCode::OK).await["status"], "paid");
    let replay = key.json(&body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_problem(
        settle(&w, &payouts[0], "paid", "再次确认").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    json_body(
        settle(&w, &payouts[1], "failed", "户名与账号不符").await,
        StatusCode::OK,
    )
    .await;
    json_body(
        settle(&w, &payouts[2], "unknown", "银行回执不清").await,
        StatusCode::OK,
    )
    .await;
    let open = json_body(
        app.get_as(&format!("/api/v1/payout-batches/{bid}"), &w.a.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(open["status"], "exported");
    json_body(
        settle(&w, &payouts[2], "paid", "银行电话确认到账").await,
        StatusCode::OK,
    )
    .await;
    let done = json_body(
        app.get_as(&format!("/api/v1/payout-batches/{bid}"), &w.a.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["status"], "reconciled");
    assert_eq!(holding(&w, &campaign).await["paid_fen"], 300_000);

    // The failure is paid again only to a corrected card, in a follow-up that points at it.
    let follow = json!({"campaign_id": cid, "follow_up_of": bid});
    let res = build(&w, &w.a.operator, &follow).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("1 a corrected card"),
        "{problem}"
    );
    let cards = json_body(
        app.get_as(
            &format!(
                "/api/v1/bank-cards?worker_id={}",
                grants[1]["worker_id"].as_str().unwrap()
            ),
            &w.a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let old_card = cards["items"][0]["id"].as_str().unwrap().to_owned();
    json_body(
        app.post_as(
            &format!("/api/v1/bank-cards/{old_card}/replace"),
            &w.a.operator,
            &json!({"holder_name": grants[1]["name"], "bank_code": "403", "card_number": card_number(900),
                    "reason": "户名与账号不符，更换为邮储银行卡"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let second = build_and_approve(&w, &follow).await;
    assert_eq!(second["payout_count"], 1);
    assert_eq!(second["follow_up_of"], json!(bid));
    let retry = batch_payouts(&w, &second).await;
    assert_eq!(retry[0]["retry_of"], payouts[1]["id"]);
    assert_eq!(retry[0]["bank_code"], "403");
    export(&w, &second, "generic").await;
    json_body(
        settle(&w, &retry[0], "paid", "银行回单确认到账").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(holding(&w, &campaign).await["paid_fen"], 450_000);

    // A payment that bounces (退票) is taken back in the ledger; only then may the grant be
    // rejected, which releases its commitment.
    let res = app
        .post_as(
            &format!(
                "/api/v1/grants/{}/reject",
                grants[0]["id"].as_str().unwrap()
            ),
            &w.a.admin,
            &json!({"reason": "复核发现收入超标"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    json_body(
        settle(&w, &payouts[0], "returned", "账户已销户，银行退票").await,
        StatusCode::OK,
    )
    .await;
    let figures = holding(&w, &campaign).await;
    assert_eq!(figures["paid_fen"], 300_000);
    assert_eq!(figures["committed_fen"], 450_000);
    json_body(
        app.post_as(
            &format!(
                "/api/v1/grants/{}/reject",
                grants[0]["id"].as_str().unwrap()
            ),
            &w.a.admin,
            &json!({"reason": "复核发现收入超标"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(holding(&w, &campaign).await["committed_fen"], 300_000);
    let ledger = json_body(
        app.get_as(
            &format!("/api/v1/campaigns/{cid}/ledger?limit=200"),
            &w.a.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let kinds: Vec<&str> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["payout_id"].is_string())
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pay", "pay", "pay", "return"]);
    consistent(&w, &campaign).await;
    // Every payout has its outcome: the campaign can close and be settled.
    for step in ["close", "settle"] {
        json_body(
            app.post_as(
                &format!("/api/v1/campaigns/{cid}/{step}"),
                &w.a.admin,
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
}

async fn upload_results(w: &World, batch: &Value, layout: &str, bytes: Vec<u8>) -> Value {
    upload_results_as(w, batch, layout, "text/csv", bytes).await
}

async fn upload_results_as(
    w: &World,
    batch: &Value,
    layout: &str,
    media: &str,
    bytes: Vec<u8>,
) -> Value {
    let res = w
        .app
        .authed(
            Method::POST,
            &format!(
                "/api/v1/payout-batches/{}/results?layout={layout}",
                batch["id"].as_str().unwrap()
            ),
            &w.approver,
        )
        .header("content-type", media)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let job = w.app.finished_job(res, &w.approver).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    job["result"].clone()
}

#[tokio::test]
async fn a_result_file_is_applied_line_by_line_and_never_twice() {
    let w = world().await;
    let app = &w.app;
    let (campaign, grants) = approved(&w, 6).await;
    let cid = campaign["id"].as_str().unwrap();
    let first: Vec<&Value> = grants[..5].iter().collect();
    cards_for(&w, &first).await;
    let batch = build_and_approve(&w, &json!({"campaign_id": cid})).await;
    cards_for_one(&w, &grants[5], 700).await;
    let other = build_and_approve(&w, &json!({"campaign_id": cid})).await;
    export(&w, &batch, "generic").await;
    let p = batch_payouts(&w, &batch).await;
    let stranger = batch_payouts(&w, &other).await[0]["reference"].clone();
    let r = |i: usize| p[i]["reference"].as_str().unwrap().to_owned();

    // Each kind of exception, beside lines that apply.
    let file = format!(
        "业务参考号,户名,金额（元）,处理结果,失败原因\r\n\
         {},职工,1500.00,成功,\r\n\
         {},职工,1500.00,失败,户名与账号不符\r\n\
         {},职工,1400.00,成功,\r\n\
         {},职工,1500.00,成功,\r\n\
         {},职工,1500.00,成功,\r\n\
         SJ0000000000NOSUCH01,职工,1500.00,成功,\r\n\
         {},职工,1500.00,成功,\r\n\
         合计,7,10400.00,,\r\n",
        r(0),
        r(1),
        r(2),
        r(3),
        r(3),
        stranger.as_str().unwrap()
    );
    let report = upload_results(&w, &batch, "generic", file.clone().into_bytes()).await;
    assert_eq!(
        (report["paid"].clone(), report["failed"].clone()),
        (json!(1), json!(1)),
        "{report}"
    );
    assert_eq!(report["already_applied"], false);
    let kinds: Vec<(u64, &str)> = report["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            (4, "amount_mismatch"),
            (5, "duplicate_line"),
            (6, "duplicate_line"),
            (7, "unknown_reference"),
            (8, "other_batch")
        ]
    );
    assert_eq!(report["missing"], json!([r(4)]));
    assert_eq!(report["batch_status"], "exported");
    assert_eq!(holding(&w, &campaign).await["paid_fen"], 150_000);

    // The same file again changes nothing, and says so.
    let again = upload_results(&w, &batch, "generic", file.into_bytes()).await;
    assert_eq!(again["already_applied"], true);
    assert_eq!(holding(&w, &campaign).await["paid_fen"], 150_000);

    // A later file from the bank, in GBK with its summary first: a return after success, the
    // rest settled, and a failed payout it calls paid refused.
    let later = format!(
        "5,7500.00\r\n业务参考号,金额,处理结果,失败原因\r\n\
         {},1500.00,退票,账户已销户\r\n\
         {},1500.00,成功,\r\n\
         {},1500.00,成功,\r\n\
         {},1500.00,成功,\r\n\
         {},1500.00,失败,账户冻结\r\n",
        r(0),
        r(1),
        r(2),
        r(3),
        r(4)
    );
    let gbk = encoding_rs::GBK.encode(&later).0.into_owned();
    let report = upload_results(&w, &batch, "gb18030_summary", gbk).await;
    assert_eq!(
        (
            report["paid"].clone(),
            report["failed"].clone(),
            report["returned"].clone()
        ),
        (json!(2), json!(1), json!(1)),
        "{report}"
    );
    assert_eq!(report["exceptions"][0]["kind"], "invalid_transition");
    assert_eq!(report["exceptions"][0]["reference"], json!(r(1)));
    assert_eq!(report["batch_status"], "reconciled");
    let statuses: Vec<Value> = batch_payouts(&w, &batch)
        .await
        .iter()
        .map(|p| p["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("returned"),
            json!("failed"),
            json!("paid"),
            json!("paid"),
            json!("failed")
        ]
    );
    assert_eq!(holding(&w, &campaign).await["paid_fen"], 300_000);
    consistent(&w, &campaign).await;
    let events = app
        .get_as(
            "/api/v1/audit-events?action=payout_batch.reconcile_file",
            &w.city_admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        events.contains("\"exceptions\":5") || events.contains("\"exceptions\": 5"),
        "{events}"
    );
}

#[tokio::test]
async fn paid_recipients_are_sampled_per_county_and_contacted_once() {
    let w = world().await;
    let app = &w.app;
    let (campaign, grants) = approved(&w, 4).await;
    let refs: Vec<&Value> = grants.iter().collect();
    cards_for(&w, &refs).await;
    let cid = campaign["id"].as_str().unwrap();
    let batch = build_and_approve(&w, &json!({"campaign_id": cid})).await;
    export(&w, &batch, "generic").await;
    let mut file = String::from("业务参考号,金额（元）,处理结果\r\n");
    for p in batch_payouts(&w, &batch).await {
        file.push_str(&format!(
            "{},1500.00,成功\r\n",
            p["reference"].as_str().unwrap()
        ));
    }
    upload_results(&w, &batch, "generic", file.into_bytes()).await;

    let sample = format!("/api/v1/campaigns/{cid}/payout-checks/sample");
    let res = app
        .post_as(
            &sample,
            &w.a.operator,
            &json!({"percent": 50, "confidence_level": 95}),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let drawn = json_body(
        app.post_as(&sample, &w.a.operator, &json!({"percent": 50}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(drawn["counties"][0]["paid"], 4);
    assert_eq!(drawn["counties"][0]["drawn"], 2);
    assert_eq!(drawn["counties"][0]["county_name"], "任城区总工会");
    // Drawing again only tops up to the size: nothing new.
    let again = json_body(
        app.post_as(&sample, &w.a.operator, &json!({"percent": 50}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            again["counties"][0]["drawn"].clone(),
            again["counties"][0]["sampled"].clone()
        ),
        (json!(0), json!(2))
    );

    let pending = json_body(
        app.get_as(
            &format!("/api/v1/payout-checks?campaign_id={cid}&result=pending"),
            &w.a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let checks = pending["items"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    let record = |i: usize| {
        format!(
            "/api/v1/payout-checks/{}/record",
            checks[i]["id"].as_str().unwrap()
        )
    };
    let tomorrow = (Utc::now().date_naive() + Days::new(1)).to_string();
    let res = app
        .post_as(
            &record(0),
            &w.a.operator,
            &json!({"method": "phone", "contacted_on": tomorrow, "result": "received"}),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let done = json_body(
        app.post_as(&record(0), &w.a.operator, &json!({"method": "phone", "contacted_on": day(0), "result": "received", "note": "已收到1500元"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["result"], "received");
    json_body(
        app.post_as(&record(1), &w.a.operator, &json!({"method": "visit", "contacted_on": day(0), "result": "not_received", "note": "本人称未收到"}))
            .await,
        StatusCode::OK,
    )
    .await;
    let res = app
        .post_as(
            &record(1),
            &w.a.operator,
            &json!({"method": "visit", "contacted_on": day(0), "result": "received"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let follow_up = json_body(
        app.get_as(
            &format!("/api/v1/payout-checks?campaign_id={cid}&result=not_received"),
            &w.a.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(follow_up["items"].as_array().unwrap().len(), 1);
    let summary = json_body(
        app.get_as(
            &format!("/api/v1/campaigns/{cid}/payout-check-summary"),
            &w.a.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        summary["counties"],
        json!([{"county_id": w.a.org_id, "county_name": "任城区总工会", "sampled": 2, "pending": 0,
                "received": 1, "not_received": 1, "received_with_issues": 0}])
    );
    let b = app.county(&w.city_admin, "兖州区总工会", "370812").await;
    let none = json_body(
        app.get_as("/api/v1/payout-checks", &b.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));
}

/// A rejection racing a build: either the rejection comes first and the batch leaves the grant
/// out, or the build does and the rejection is refused — never a payout for a rejected grant.
#[tokio::test]
async fn a_rejection_racing_a_build_never_leaves_a_rejected_grant_in_a_batch() {
    let w = world().await;
    let (campaign, grants) = approved(&w, 3).await;
    let refs: Vec<&Value> = grants.iter().collect();
    cards_for(&w, &refs).await;
    let body = json!({"campaign_id": campaign["id"]});
    let reject = format!(
        "/api/v1/grants/{}/reject",
        grants[0]["id"].as_str().unwrap()
    );
    let reason = json!({"reason": "复核发现收入超标"});
    let (built, rejected) = tokio::join!(
        build(&w, &w.a.operator, &body),
        w.app.post_as(&reject, &w.a.admin, &reason)
    );
    let built = json_body(built, StatusCode::CREATED).await;
    let taken: Vec<Value> = batch_payouts(&w, &built["batch"])
        .await
        .iter()
        .map(|p| p["grant_id"].clone())
        .collect();
    match rejected.status() {
        StatusCode::OK => assert!(!taken.contains(&grants[0]["id"]), "{taken:?}"),
        StatusCode::CONFLICT => assert!(taken.contains(&grants[0]["id"]), "{taken:?}"),
        other => panic!("{other}"),
    }
    consistent(&w, &campaign).await;
}

/// A bank's own layout, added by the city: a fixed-width GBK file with amounts in fen and the
/// count and total first, each column exactly its bytes; what a county or a bad definition
/// cannot add.
#[tokio::test]
async fn the_city_adds_a_fixed_width_bank_layout_and_a_batch_is_exported_in_it() {
    let w = world().await;
    let app = &w.app;
    let definition = json!({
        "name": "jining_bank_fixed", "label": "济宁银行代发定长格式", "encoding": "gb18030",
        "format": "fixed_width", "amount": "fen", "summary": "head", "header": false, "max_rows": 1000,
        "columns": [
            {"field": "card_number", "header": "卡号", "width": 19},
            {"field": "holder_name", "header": "户名", "width": 10},
            {"field": "amount", "header": "金额", "width": 12},
            {"field": "reference", "header": "备注", "width": 20},
            {"field": "fixed", "header": "用途", "width": 16, "text": "困难职工帮扶资金"}
        ],
        "result_columns": [
            {"field": "status", "header": "处理结果", "width": 8},
            {"field": "reason", "header": "失败原因", "width": 30}
        ]
    });
    assert_problem(
        app.post_as("/api/v1/bank-layouts", &w.a.admin, &definition)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let mut bad = definition.clone();
    bad["columns"][0]["width"] = Value::Null;
    bad["columns"].as_array_mut().unwrap().remove(3);
    let problem = assert_problem(
        app.post_as("/api/v1/bank-layouts", &w.city_admin, &bad)
            .await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["columns", "columns[0].width"], "{problem}");
    let mut builtin = definition.clone();
    builtin["name"] = json!("generic");
    assert_problem(
        app.post_as("/api/v1/bank-layouts", &w.city_admin, &builtin)
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    json_body(
        app.post_as("/api/v1/bank-layouts", &w.city_admin, &definition)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let listed = json_body(
        app.get_as("/api/v1/bank-layouts", &w.a.operator).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["builtin"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("generic", true),
            ("gb18030_summary", true),
            ("jining_bank_fixed", false)
        ]
    );

    let (campaign, grants) = approved(&w, 2).await;
    let refs: Vec<&Value> = grants.iter().collect();
    cards_for(&w, &refs).await;
    let batch = build_and_approve(&w, &json!({"campaign_id": campaign["id"]})).await;
    let exported = export(&w, &batch, "jining_bank_fixed").await;
    let file = &exported["files"][0];
    assert!(
        file["name"]
            .as_str()
            .unwrap()
            .ends_with("-jining_bank_fixed.txt")
    );
    let bytes = app
        .get_as(file["url"].as_str().unwrap(), &w.a.admin)
        .await
        .bytes()
        .await
        .unwrap();
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], format!("{:>10}{:>20}\r", 2, 300_000).as_bytes());
    let payouts = batch_payouts(&w, &batch).await;
    for (line, p) in lines[1..].iter().zip(&payouts) {
        // 19 + 10 + 12 + 20 + 16 bytes and the carriage return; the name is GBK, padded.
        assert_eq!(line.len(), 19 + 10 + 12 + 20 + 16 + 1);
        let (text, _, bad) = encoding_rs::GBK.decode(line);
        assert!(!bad);
        let number = &text[..19];
        assert!(number.starts_with("622202"), "{text}");
        assert!(text.contains(&format!("{:>12}", 150_000)), "{text}");
        assert!(text.contains(p["reference"].as_str().unwrap()), "{text}");
        assert!(text.ends_with("困难职工帮扶资金\r"), "{text}");
    }

    // The bank answers in the same layout, each line with its status and reason added: the
    // first is paid; the second is not in this file.
    let mut answer = lines[0].to_vec();
    answer.push(b'\n');
    answer.extend(&lines[1][..lines[1].len() - 1]);
    answer.extend(encoding_rs::GBK.encode("成功    ").0.iter());
    answer.extend([b' '; 30]);
    answer.extend(b"\r\n");
    let res = app
        .authed(
            Method::POST,
            &format!(
                "/api/v1/payout-batches/{}/results?layout=jining_bank_fixed",
                batch["id"].as_str().unwrap()
            ),
            &w.approver,
        )
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(answer.clone())
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let report = upload_results_as(
        &w,
        &batch,
        "jining_bank_fixed",
        "application/octet-stream",
        answer,
    )
    .await;
    assert_eq!(
        (report["paid"].clone(), report["exceptions"].clone()),
        (json!(1), json!([])),
        "{report}"
    );
    assert_eq!(report["missing"], json!([payouts[1]["reference"]]));

    // The same batch as an XLSX workbook: the same bytes every time it is downloaded.
    let mut xlsx = definition.clone();
    xlsx["name"] = json!("jining_bank_xlsx");
    xlsx["format"] = json!("xlsx");
    for list in ["columns", "result_columns"] {
        for c in xlsx[list].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("width");
        }
    }
    json_body(
        app.post_as("/api/v1/bank-layouts", &w.city_admin, &xlsx)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let exported = export(&w, &batch, "jining_bank_xlsx").await;
    let url = exported["files"][0]["url"].as_str().unwrap().to_owned();
    let res = app.get_as(&url, &w.a.admin).await;
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let workbook = res.bytes().await.unwrap();
    assert!(workbook.starts_with(b"PK"));
    assert_eq!(
        app.get_as(&url, &w.a.admin).await.bytes().await.unwrap(),
        workbook
    );

    // An XLSX result without a header row, read by position: the summary row first, then the
    // line as sent with 失败 and the bank's reason; the batch is then final.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_number(0, 0, 1).unwrap();
    sheet.write_number(0, 1, 150_000).unwrap();
    let cells = [
        card_number(501),
        "学生2".to_owned(),
        String::new(),
        payouts[1]["reference"].as_str().unwrap().to_owned(),
        "困难职工帮扶资金".to_owned(),
        "失败".to_owned(),
        "账户已冻结".to_owned(),
    ];
    for (col, cell) in (0u16..).zip(&cells) {
        if col == 2 {
            sheet.write_number(1, col, 150_000).unwrap();
        } else {
            sheet.write_string(1, col, cell).unwrap();
        }
    }
    let report = upload_results_as(
        &w,
        &batch,
        "jining_bank_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        book.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(
        (
            report["failed"].clone(),
            report["exceptions"].clone(),
            report["batch_status"].clone()
        ),
        (json!(1), json!([]), json!("reconciled")),
        "{report}"
    );
    let failed = &batch_payouts(&w, &batch).await[1];
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("账户已冻结"),
        "{failed}"
    );
}

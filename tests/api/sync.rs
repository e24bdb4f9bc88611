//! County sync, the push: a county system sends its records by its own ids and gets a result
//! for each; the registry's rules hold as they do for staff; a push sent twice writes nothing
//! twice; an edit made in Siji is never overwritten unseen.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, feed_until, json_body, nth_id_number, spawn_app};

async fn push(app: &TestApp, token: &str, kind: &str, records: Value) -> Value {
    json_body(
        app.post_as(
            &format!("/api/v1/sync/{kind}"),
            token,
            &json!({ "records": records }),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

fn enterprise(external_id: &str, org_id: &str, uscc: &str) -> Value {
    json!({"external_id": external_id, "enterprise": {"org_id": org_id,
           "name": format!("企业{external_id}"), "uscc": uscc, "ownership": "private",
           "industry": "C"}})
}

fn worker(external_id: &str, org_id: &str, n: u32) -> Value {
    json!({"external_id": external_id, "worker": {"org_id": org_id, "name": format!("职工{n}"),
           "id_number": nth_id_number(n), "kind": "staff", "employment_status": "employed"}})
}

async fn count_workers(app: &TestApp, token: &str) -> i64 {
    json_body(
        app.get_as("/api/v1/workers?count=true&limit=1", token)
            .await,
        StatusCode::OK,
    )
    .await["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_county_system_pushes_by_its_own_ids_and_gets_a_result_for_each_record() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;

    // Enterprises: one good, one with a broken USCC.
    let answer = push(
        &app,
        &system,
        "enterprises",
        json!([
            enterprise("E1", &a.org_id, "91350100M000100Y43"),
            enterprise("E2", &a.org_id, "91350100M000100Y44"),
        ]),
    )
    .await;
    assert_eq!(statuses(&answer), ["created", "invalid"], "{answer}");
    assert_eq!(
        answer["results"][1]["errors"][0]["field"], "uscc",
        "{answer}"
    );
    let e1 = answer["results"][0]["id"].as_str().unwrap().to_owned();
    // A USCC already registered fails in the database; the record after it still goes in (each
    // record in a savepoint of its own, which matters on PostgreSQL).
    let answer = push(
        &app,
        &system,
        "enterprises",
        json!([
            enterprise("E3", &a.org_id, "91350100M000100Y43"),
            enterprise("E4", &a.org_id, &crate::helpers::uscc("91370800MA3C5LXK1")),
        ]),
    )
    .await;
    assert_eq!(statuses(&answer), ["invalid", "created"], "{answer}");
    assert_eq!(answer["results"][0]["errors"][0]["code"], "duplicate");

    // Workers: the employer by our id; a bad ID number; an employer we never pushed; a county
    // that is not ours.
    let mut w1 = worker("W1", &a.org_id, 1);
    w1["employer_external_id"] = json!("E1");
    let mut w2 = worker("W2", &a.org_id, 2);
    w2["worker"]["id_number"] = json!("110105194912310021");
    let mut w3 = worker("W3", &a.org_id, 3);
    w3["employer_external_id"] = json!("E9");
    let w4 = worker("W4", &b.org_id, 4);
    let records = json!([w1, w2, w3, w4]);
    let answer = push(&app, &system, "workers", records.clone()).await;
    assert_eq!(
        statuses(&answer),
        ["created", "invalid", "invalid", "invalid"],
        "{answer}"
    );
    assert_eq!(answer["created"], 1);
    assert_eq!(answer["invalid"], 3);
    assert_eq!(answer["results"][1]["errors"][0]["field"], "id_number");
    assert_eq!(
        answer["results"][2]["errors"][0]["field"],
        "employer_external_id"
    );
    assert_eq!(answer["results"][3]["errors"][0]["code"], "not_found");
    let id = answer["results"][0]["id"].as_str().unwrap().to_owned();
    let shown = json_body(
        app.get_as(&format!("/api/v1/workers/{id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["enterprise_id"], e1.as_str());
    assert!(shown["id_number"].as_str().unwrap().contains("****"));

    // The same push again: nothing new, nothing written, the version kept.
    let again = push(&app, &system, "workers", records).await;
    assert_eq!(
        statuses(&again),
        ["unchanged", "invalid", "invalid", "invalid"],
        "{again}"
    );
    assert_eq!(again["results"][0]["version"], 1);
    assert_eq!(count_workers(&app, &a.operator).await, 1);

    // A change from the county's system is written over the version it last wrote.
    let mut renamed = worker("W1", &a.org_id, 1);
    renamed["employer_external_id"] = json!("E1");
    renamed["worker"]["name"] = json!("张三丰");
    let answer = push(&app, &system, "workers", json!([renamed.clone()])).await;
    assert_eq!(statuses(&answer), ["updated"]);
    assert_eq!(answer["results"][0]["version"], 2);

    // Staff correct the record in Siji; the system, not having seen it, pushes another change:
    // a conflict with the record as it is now, and nothing overwritten.
    let res = app
        .authed(Method::PATCH, &format!("/api/v1/workers/{id}"), &a.operator)
        .header("if-match", "\"2\"")
        .json(&json!({"phone": "13800138000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut moved_on = renamed.clone();
    moved_on["worker"]["employment_status"] = json!("laid_off");
    let answer = push(&app, &system, "workers", json!([moved_on.clone()])).await;
    assert_eq!(statuses(&answer), ["conflict"], "{answer}");
    let current = &answer["results"][0]["current"];
    assert_eq!(
        (current["version"].as_i64(), current["phone"].as_str()),
        (Some(3), Some("138****8000")),
        "{answer}"
    );
    assert!(!answer.to_string().contains("13800138000"));
    // Having read version 3, it may write over it.
    moved_on["base_version"] = json!(3);
    moved_on["worker"]["phone"] = json!("13800138000");
    let answer = push(&app, &system, "workers", json!([moved_on.clone()])).await;
    assert_eq!(statuses(&answer), ["updated"], "{answer}");
    assert_eq!(answer["results"][0]["version"], 4);
    let shown = json_body(
        app.get_as(&format!("/api/v1/workers/{id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (shown["employment_status"].as_str(), shown["phone"].as_str()),
        (Some("laid_off"), Some("138****8000"))
    );

    // One person is one record city-wide: county B's system cannot register A's worker, and is
    // not told where the worker is.
    let other = app.machine_client(&b.admin, &b.org_id, "兖州区系统").await;
    let answer = push(&app, &other, "workers", json!([worker("X1", &b.org_id, 1)])).await;
    assert_eq!(statuses(&answer), ["invalid"]);
    assert_eq!(answer["results"][0]["errors"][0]["code"], "duplicate");
    assert!(!answer.to_string().contains(&id) && !answer.to_string().contains("任城"));

    // The mapping, for the system that made it only.
    let page = json_body(
        app.get_as("/api/v1/sync/mappings?kind=worker", &system)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            page["items"][0]["external_id"].as_str(),
            page["items"][0]["id"].as_str(),
            page["items"][0]["version"].as_i64()
        ),
        (Some("W1"), Some(id.as_str()), Some(4))
    );
    let theirs = json_body(
        app.get_as("/api/v1/sync/mappings?kind=worker", &other)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"], json!([]));

    // Staff do not push; a push holds 1 to 1,000 records.
    let res = app
        .post_as(
            "/api/v1/sync/workers",
            &a.admin,
            &json!({"records": [worker("S1", &a.org_id, 7)]}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let many: Vec<Value> = (0..1001)
        .map(|i| worker(&format!("M{i}"), &a.org_id, 1000 + i))
        .collect();
    let res = app
        .post_as("/api/v1/sync/workers", &system, &json!({ "records": many }))
        .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "records");
    assert_eq!(count_workers(&app, &a.operator).await, 1);
}

/// With an `Idempotency-Key`, a push retried after a lost answer gets the first answer again.
#[tokio::test]
async fn a_push_retried_with_its_key_answers_the_first_result() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let body = json!({"records": [worker("W1", &a.org_id, 1), worker("W2", &a.org_id, 2)]});
    let send = || {
        app.authed(Method::POST, "/api/v1/sync/workers", &system)
            .header("idempotency-key", "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f99")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(statuses(&first), ["created", "created"]);
    assert_eq!(count_workers(&app, &a.operator).await, 2);
}

/// New records are registered together; what the batch cannot take goes alone and gets its
/// exact reason: a person twice in one push, an id twice, and the good records around them.
#[tokio::test]
async fn a_push_with_repeats_registers_each_person_and_id_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let mut again = worker("W1", &a.org_id, 1);
    again["worker"]["name"] = json!("职工一");
    let answer = push(
        &app,
        &system,
        "workers",
        json!([
            worker("W1", &a.org_id, 1),
            worker("W2", &a.org_id, 2),
            // The same person under another id.
            worker("W3", &a.org_id, 1),
            // The same id, changed.
            again,
            worker("W5", &a.org_id, 5),
        ]),
    )
    .await;
    assert_eq!(
        statuses(&answer),
        ["created", "created", "invalid", "updated", "created"],
        "{answer}"
    );
    assert_eq!(answer["results"][2]["errors"][0]["code"], "duplicate");
    assert_eq!(answer["results"][3]["version"], 2);
    assert_eq!(count_workers(&app, &a.operator).await, 3);
    // Every creation is in the feed once, with the update after it.
    let feed = feed_until(
        &app,
        &system,
        "/api/v1/sync/changes?kinds=worker&limit=100",
        |feed| feed["changes"].as_array().is_some_and(|c| c.len() >= 4),
    )
    .await;
    let ops: Vec<(&str, i64)> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["op"].as_str().unwrap(), c["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [("create", 1), ("create", 1), ("create", 1), ("update", 2)],
        "{feed}"
    );
}

/// Push `records` of `kind` in three requests at once, and check that each record was created by
/// exactly one of them, found `unchanged` by the others, under one id.
async fn sent_three_times_at_once(app: &TestApp, system: &str, kind: &str, records: &Value) {
    let send = || {
        app.authed(Method::POST, &format!("/api/v1/sync/{kind}"), system)
            .json(&json!({ "records": records }))
            .send()
    };
    let (x, y, z) = tokio::join!(send(), send(), send());
    let mut answers = Vec::new();
    for res in [x, y, z] {
        answers.push(json_body(res.unwrap(), StatusCode::OK).await);
    }
    for i in 0..records.as_array().unwrap().len() {
        let got: Vec<&str> = answers
            .iter()
            .map(|a| a["results"][i]["status"].as_str().unwrap())
            .collect();
        let shown = || {
            answers
                .iter()
                .map(|a| a["results"][i].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let created = got.iter().filter(|s| **s == "created").count();
        assert_eq!(created, 1, "{kind} #{i}: {got:?} {}", shown());
        assert!(
            got.iter().all(|s| *s == "created" || *s == "unchanged"),
            "{kind} #{i}: {got:?} {}",
            shown()
        );
        let ids: std::collections::HashSet<&str> = answers
            .iter()
            .map(|a| a["results"][i]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1, "{kind} #{i}: one record for the id");
    }
}

/// The same records pushed by the same client in several requests at once (a connector retried
/// without its key, or two of its instances): each record is created by one of them and found
/// `unchanged` by the others, never reported as someone else's duplicate, and written once.
#[tokio::test]
async fn the_same_push_sent_at_once_creates_each_record_once_and_the_others_find_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let enterprises = json!([
        enterprise("E1", &a.org_id, &crate::helpers::uscc("91370811MA3C00001")),
        enterprise("E2", &a.org_id, &crate::helpers::uscc("91370811MA3C00002")),
    ]);
    let workers: Vec<Value> = (1..=300)
        .map(|n| worker(&format!("W{n}"), &a.org_id, n))
        .collect();
    for (kind, records) in [("enterprises", enterprises), ("workers", json!(workers))] {
        sent_three_times_at_once(&app, &system, kind, &records).await;
    }
    assert_eq!(count_workers(&app, &a.operator).await, 300);
    let mapped = json_body(
        app.get_as("/api/v1/sync/mappings?kind=worker&limit=1000", &system)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mapped["items"].as_array().unwrap().len(), 300, "{mapped}");
}

/// Archives and wage agreements pushed by the same client in three requests at once: their
/// batches race (the unique live head of an archive, the overlap rule under the covered
/// enterprises' lock, the unique mapping of an external id), and each record is still created by
/// one request, found `unchanged` by the others, and written once.
#[tokio::test]
async fn archives_and_agreements_sent_at_once_are_each_written_once() {
    const N: u32 = 40;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let workers: Vec<Value> = (1..=N)
        .map(|n| worker(&format!("W{n}"), &a.org_id, n))
        .collect();
    let answer = push(&app, &system, "workers", json!(workers)).await;
    assert!(
        statuses(&answer).iter().all(|s| *s == "created"),
        "{answer}"
    );
    let enterprises: Vec<Value> = (1..=N)
        .map(|n| {
            enterprise(
                &format!("E{n}"),
                &a.org_id,
                &crate::helpers::uscc(&format!("91370811MA3C{n:05}")),
            )
        })
        .collect();
    let answer = push(&app, &system, "enterprises", json!(enterprises)).await;
    assert!(
        statuses(&answer).iter().all(|s| *s == "created"),
        "{answer}"
    );

    let archives: Vec<Value> = (1..=N)
        .map(|n| {
            archive(
                &format!("A{n}"),
                &a.org_id,
                &format!("W{n}"),
                50_000 * 36 + 120_000,
                json!([]),
            )
        })
        .collect();
    let agreements: Vec<Value> = (1..=N)
        .map(|n| {
            let mut h = agreement(
                &format!("H{n}"),
                &a.org_id,
                &[&format!("E{n}")],
                &format!("{n}号工资专项集体合同"),
            );
            h["terms"] = terms();
            h
        })
        .collect();
    for (kind, records) in [
        ("beneficiaries", json!(archives)),
        ("wage-agreements", json!(agreements)),
    ] {
        sent_three_times_at_once(&app, &system, kind, &records).await;
    }
    for path in ["/api/v1/beneficiaries", "/api/v1/wage-agreements"] {
        let page = json_body(
            app.get_as(&format!("{path}?count=true&limit=1"), &a.operator)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["total"], N, "{path}: {page}");
    }
}

fn archive(external_id: &str, org_id: &str, head: &str, income: i64, members: Value) -> Value {
    json!({"external_id": external_id, "head_external_id": head, "archive": {
        "org_id": org_id, "household_size": 3, "annual_income_fen": income,
        "rigid_expenses_fen": 120_000, "causes": ["illness"], "members": members,
        "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}}})
}

/// Hardship archives with their members, the head by the client's own id of a worker: created
/// through the archive's rules, the same again `unchanged`, a correction `updated` and assessed
/// again with the members still there keeping their ids, a head already archived `invalid`.
#[tokio::test]
async fn archives_are_pushed_with_their_members_and_heads_by_external_id() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let answer = push(
        &app,
        &system,
        "workers",
        json!([worker("W1", &a.org_id, 1), worker("W2", &a.org_id, 2)]),
    )
    .await;
    assert_eq!(statuses(&answer), ["created", "created"]);

    let child = json!([{"name": "张小明", "relation": "child", "id_number": nth_id_number(50),
                        "health": "healthy", "school": "山东大学", "stage": "undergraduate",
                        "grade": 1, "admission_year": 2026},
                       {"name": "李秀英", "relation": "spouse", "health": "chronic_illness"}]);
    // 50,000 fen a person a month: below the standard, deep hardship.
    let first = json!([
        archive("A1", &a.org_id, "W1", 50_000 * 36 + 120_000, child.clone()),
        archive("A2", &a.org_id, "W9", 50_000 * 36 + 120_000, json!([])),
        archive("A3", &a.org_id, "W1", 50_000 * 36 + 120_000, json!([])),
    ]);
    let answer = push(&app, &system, "beneficiaries", first.clone()).await;
    assert_eq!(
        statuses(&answer),
        ["created", "invalid", "invalid"],
        "{answer}"
    );
    assert_eq!(
        answer["results"][1]["errors"][0]["field"],
        "head_external_id"
    );
    assert_eq!(answer["results"][2]["errors"][0]["code"], "duplicate");
    let id = answer["results"][0]["id"].as_str().unwrap().to_owned();
    let shown = json_body(
        app.get_as(&format!("/api/v1/beneficiaries/{id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (shown["category"].as_str(), shown["status"].as_str()),
        (Some("deep"), Some("temporary"))
    );
    assert_eq!(shown["members"].as_array().unwrap().len(), 2, "{shown}");
    let member_ids = |b: &Value| -> Vec<String> {
        let mut ids: Vec<String> = b["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let before = member_ids(&shown);

    // The same archive again, members in another order: nothing written.
    let mut reordered = child.as_array().unwrap().clone();
    reordered.reverse();
    let again = push(
        &app,
        &system,
        "beneficiaries",
        json!([archive(
            "A1",
            &a.org_id,
            "W1",
            50_000 * 36 + 120_000,
            json!(reordered)
        )]),
    )
    .await;
    assert_eq!(statuses(&again), ["unchanged"], "{again}");
    assert_eq!(again["results"][0]["version"], 1);

    // Income up to 100,000 fen a person a month, and a newborn: relative hardship; the two
    // members already there keep their ids.
    let mut more = child.as_array().unwrap().clone();
    more.push(
        json!({"name": "张小宝", "relation": "child", "birth_date": "2026-03-01",
                     "health": "healthy"}),
    );
    let corrected = push(
        &app,
        &system,
        "beneficiaries",
        json!([archive(
            "A1",
            &a.org_id,
            "W1",
            100_000 * 36 + 120_000,
            json!(more)
        )]),
    )
    .await;
    assert_eq!(statuses(&corrected), ["updated"], "{corrected}");
    assert_eq!(corrected["results"][0]["version"], 2);
    let shown = json_body(
        app.get_as(&format!("/api/v1/beneficiaries/{id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["category"], "relative");
    let after = member_ids(&shown);
    assert_eq!(after.len(), 3);
    assert!(
        before.iter().all(|m| after.contains(m)),
        "{before:?} {after:?}"
    );

    // Another head for the same archive is refused; an edit in Siji since is a conflict.
    let moved = push(
        &app,
        &system,
        "beneficiaries",
        json!([archive(
            "A1",
            &a.org_id,
            "W2",
            100_000 * 36 + 120_000,
            json!(more)
        )]),
    )
    .await;
    assert_eq!(statuses(&moved), ["invalid"]);
    assert_eq!(moved["results"][0]["errors"][0]["code"], "immutable");
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/beneficiaries/{id}"),
            &a.operator,
        )
        .header("if-match", "\"2\"")
        .json(&json!({"needs": "助学"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stale = push(
        &app,
        &system,
        "beneficiaries",
        json!([archive(
            "A1",
            &a.org_id,
            "W1",
            90_000 * 36 + 120_000,
            json!(more)
        )]),
    )
    .await;
    assert_eq!(statuses(&stale), ["conflict"], "{stale}");
    assert_eq!(stale["results"][0]["current"]["needs"], "助学");
    assert_eq!(stale["results"][0]["version"], 3);

    // The audit trail names the client for every synced write.
    let actors = async |action: &str| -> Vec<String> {
        let events = json_body(
            app.get_as(&format!("/api/v1/audit-events?action={action}"), &admin)
                .await,
            StatusCode::OK,
        )
        .await;
        let mut kinds: Vec<String> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["actor_kind"].as_str().unwrap().to_owned())
            .collect();
        kinds.sort();
        kinds
    };
    assert_eq!(actors("worker.create").await, ["client", "client"]);
    assert_eq!(actors("beneficiary.create").await, ["client"]);
    // The correction pushed, and the operator's edit.
    assert_eq!(actors("beneficiary.update").await, ["client", "user"]);
    let created = json_body(
        app.get_as("/api/v1/audit-events?action=beneficiary.create", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(created["items"][0]["changes"]["via"], "sync", "{created}");

    // The feed shows the archive's changes to the client, by Siji's id.
    let of_archive = |feed: &Value| -> Vec<i64> {
        feed["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["id"] == id.as_str())
            .filter_map(|c| c["version"].as_i64())
            .collect()
    };
    let feed = feed_until(
        &app,
        &system,
        "/api/v1/sync/changes?kinds=beneficiary",
        |feed| of_archive(feed).len() >= 2,
    )
    .await;
    assert!(of_archive(&feed).starts_with(&[1, 2]), "{feed}");
}

fn agreement(external_id: &str, org_id: &str, enterprises: &[&str], title: &str) -> Value {
    json!({"external_id": external_id, "enterprise_external_ids": enterprises,
           "agreement": {"org_id": org_id, "title": title, "scope": "enterprise",
                         "mode": "single_enterprise", "text_type": "wage_special",
                         "enterprise_ids": []}})
}

fn terms() -> Value {
    json!({"signed_on": "2026-03-01", "effective_from": "2026-03-01",
           "effective_to": "2029-02-28", "wage_rise_bp": 500, "minimum_wage_fen": 260000,
           "workers_covered": 320})
}

/// Wage agreements in the state the county's system records them, the enterprises by the
/// client's own ids: opened with every rule of signing and filing, moved on by the steps newly
/// recorded, and never rewritten where an agreement is fixed.
#[tokio::test]
async fn wage_agreements_are_pushed_in_their_state_and_move_on_by_their_steps() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let answer = push(
        &app,
        &system,
        "enterprises",
        json!([
            enterprise("E1", &a.org_id, &crate::helpers::uscc("91370811MA3C00001")),
            enterprise("E2", &a.org_id, &crate::helpers::uscc("91370811MA3C00002")),
        ]),
    )
    .await;
    assert_eq!(statuses(&answer), ["created", "created"], "{answer}");

    let h1 = agreement("H1", &a.org_id, &["E1"], "一号工资专项集体合同");
    let mut h2 = agreement("H2", &a.org_id, &["E2"], "二号工资专项集体合同");
    h2["terms"] = terms();
    h2["filing"] = json!({"filed_on": "2026-03-15", "filing_number": "济人社备〔2026〕15号"});
    let unknown = agreement("H3", &a.org_id, &["E9"], "三号");
    let mut unsigned_filing = agreement("H4", &a.org_id, &["E1"], "四号");
    unsigned_filing["filing"] = json!({"filed_on": "2026-03-15", "filing_number": "X"});
    let first = json!([h1, h2, unknown, unsigned_filing]);
    let answer = push(&app, &system, "wage-agreements", first.clone()).await;
    assert_eq!(
        statuses(&answer),
        ["created", "created", "invalid", "invalid"],
        "{answer}"
    );
    assert_eq!(
        answer["results"][2]["errors"][0]["field"],
        "enterprise_external_ids[0]"
    );
    assert_eq!(answer["results"][3]["errors"][0]["code"], "requires_terms");
    let h1_id = answer["results"][0]["id"].as_str().unwrap().to_owned();
    let shown = json_body(
        app.get_as(
            &format!(
                "/api/v1/wage-agreements/{}",
                answer["results"][1]["id"].as_str().unwrap()
            ),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["status"], "filed", "{shown}");

    // The same again: nothing written.
    let again = push(&app, &system, "wage-agreements", json!([h1, h2])).await;
    assert_eq!(statuses(&again), ["unchanged", "unchanged"], "{again}");

    // H1 signed and filed in the county since: two steps, two versions.
    let mut h1_done = h1.clone();
    h1_done["terms"] = terms();
    h1_done["filing"] = json!({"filed_on": "2026-04-01", "filing_number": "济人社备〔2026〕21号"});
    let moved = push(&app, &system, "wage-agreements", json!([h1_done])).await;
    assert_eq!(statuses(&moved), ["updated"], "{moved}");
    assert_eq!(moved["results"][0]["version"], 3);
    let shown = json_body(
        app.get_as(&format!("/api/v1/wage-agreements/{h1_id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (shown["status"].as_str(), shown["filing_number"].as_str()),
        (Some("filed"), Some("济人社备〔2026〕21号")),
        "{shown}"
    );

    // What an agreement fixes is never rewritten; a termination is a step.
    let mut retitled = h1_done.clone();
    retitled["agreement"]["title"] = json!("改名");
    retitled["terms"]["wage_rise_bp"] = json!(600);
    let refused = push(&app, &system, "wage-agreements", json!([retitled])).await;
    assert_eq!(statuses(&refused), ["invalid"]);
    let fields: Vec<&str> = refused["results"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "terms"], "{refused}");
    let mut ended = h1_done.clone();
    ended["termination"] = json!({"terminated_on": "2026-10-01", "reason": "企业破产清算"});
    let answer = push(&app, &system, "wage-agreements", json!([ended])).await;
    assert_eq!(statuses(&answer), ["updated"], "{answer}");
    assert_eq!(answer["results"][0]["version"], 4);

    // A second agreement of the same text type over E2's term breaks the overlap rule.
    let mut overlap = agreement("H5", &a.org_id, &["E2"], "五号");
    overlap["terms"] = terms();
    let answer = push(&app, &system, "wage-agreements", json!([overlap])).await;
    assert_eq!(statuses(&answer), ["invalid"]);
    assert_eq!(
        answer["results"][0]["errors"][0]["code"], "conflict",
        "{answer}"
    );

    let mapped = json_body(
        app.get_as("/api/v1/sync/mappings?kind=wage_agreement", &system)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mapped["items"].as_array().unwrap().len(), 2, "{mapped}");
}

/// A county that registered its workers and enterprises before it synced (a spreadsheet import,
/// staff) pushes them under its own ids: each is taken over (mapped), not refused as a
/// duplicate; different content is a conflict until the client says which version it read; a
/// person another county keeps stays a duplicate it is not told about.
#[tokio::test]
async fn records_registered_before_the_county_synced_are_taken_over_by_its_ids() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let first = app
        .create_worker(&a.operator, &a.org_id, "职工1", &nth_id_number(1))
        .await;
    let second = app
        .create_worker(&a.operator, &a.org_id, "职工2", &nth_id_number(2))
        .await;
    let elsewhere = app
        .create_worker(&b.operator, &b.org_id, "职工3", &nth_id_number(3))
        .await;
    let uscc = crate::helpers::uscc("91370811MA3C00001");
    let known = json_body(
        app.post_as(
            "/api/v1/enterprises",
            &a.operator,
            &enterprise("E1", &a.org_id, &uscc)["enterprise"],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let answer = push(
        &app,
        &system,
        "enterprises",
        json!([enterprise("E1", &a.org_id, &uscc)]),
    )
    .await;
    assert_eq!(statuses(&answer), ["unchanged"], "{answer}");
    assert_eq!(answer["results"][0]["id"], known["id"]);

    let mut renamed = worker("W2", &a.org_id, 2);
    renamed["worker"]["name"] = json!("职工二");
    let answer = push(
        &app,
        &system,
        "workers",
        json!([
            worker("W1", &a.org_id, 1),
            renamed.clone(),
            worker("W3", &a.org_id, 3),
            // The first person again under another id.
            worker("W9", &a.org_id, 1),
        ]),
    )
    .await;
    assert_eq!(
        statuses(&answer),
        ["unchanged", "conflict", "invalid", "invalid"],
        "{answer}"
    );
    assert_eq!(answer["results"][0]["id"], first["id"]);
    assert_eq!(answer["results"][1]["current"]["name"], "职工2");
    assert_eq!(answer["results"][2]["errors"][0]["code"], "duplicate");
    assert!(
        !answer
            .to_string()
            .contains(elsewhere["id"].as_str().unwrap())
    );
    assert_eq!(answer["results"][3]["errors"][0]["code"], "duplicate");

    // Having read version 1, the client writes over it, and the record is now its W2.
    renamed["base_version"] = json!(1);
    let answer = push(&app, &system, "workers", json!([renamed.clone()])).await;
    assert_eq!(statuses(&answer), ["updated"], "{answer}");
    assert_eq!(
        (
            answer["results"][0]["id"].as_str(),
            answer["results"][0]["version"].as_i64()
        ),
        (second["id"].as_str(), Some(2))
    );
    renamed.as_object_mut().unwrap().remove("base_version");
    let answer = push(&app, &system, "workers", json!([renamed])).await;
    assert_eq!(statuses(&answer), ["unchanged"], "{answer}");
    assert_eq!(count_workers(&app, &a.operator).await, 2);
    let mapped = json_body(
        app.get_as("/api/v1/sync/mappings?kind=worker", &system)
            .await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&str> = mapped["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["W1", "W2"]);
}

/// The new records of a push are registered together (a query per check for all of them,
/// multi-row writes), yet each is checked as if it came alone, against Siji and against the
/// records before it in the push: a USCC twice, a head twice, two agreements of one text type
/// in force at once for one enterprise. Each one refused says why; the others are all created,
/// audited and in the feed; sent again, all are `unchanged`.
#[tokio::test]
async fn a_push_registered_together_checks_its_records_against_each_other() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let n = 12;
    let code = |i: usize| crate::helpers::uscc(&format!("91370811MA3D{i:05}"));
    let mut firms: Vec<Value> = (0..n)
        .map(|i| enterprise(&format!("E{i}"), &a.org_id, &code(i)))
        .collect();
    firms.push(enterprise("E-again", &a.org_id, &code(0)));
    let mut counts = enterprise("E-counts", &a.org_id, &code(99));
    counts["enterprise"]["headcount"] = json!(10);
    counts["enterprise"]["member_count"] = json!(11);
    firms.push(counts);
    let answer = push(&app, &system, "enterprises", json!(firms)).await;
    let mut expected = vec!["created"; n];
    expected.extend(["invalid", "invalid"]);
    assert_eq!(statuses(&answer), expected, "{answer}");
    assert_eq!(answer["results"][n]["errors"][0]["code"], "duplicate");
    assert_eq!(
        answer["results"][n + 1]["errors"][0]["code"],
        "exceeds_headcount"
    );

    let people: Vec<Value> = (0..n)
        .map(|i| {
            let mut w = worker(&format!("W{i}"), &a.org_id, 100 + i as u32);
            w["employer_external_id"] = json!(format!("E{i}"));
            w
        })
        .collect();
    let answer = push(&app, &system, "workers", json!(people)).await;
    assert_eq!(statuses(&answer), vec!["created"; n], "{answer}");

    let member = |i: usize| {
        json!([{"name": format!("子女{i}"), "relation": "child",
                "id_number": nth_id_number(500 + i as u32), "health": "healthy"}])
    };
    let mut households: Vec<Value> = (0..n)
        .map(|i| {
            let income = 50_000 * 36 + 120_000;
            archive(
                &format!("A{i}"),
                &a.org_id,
                &format!("W{i}"),
                income,
                member(i),
            )
        })
        .collect();
    households.push(archive("A-again", &a.org_id, "W0", 1_920_000, json!([])));
    let answer = push(&app, &system, "beneficiaries", json!(households)).await;
    let mut expected = vec!["created"; n];
    expected.push("invalid");
    assert_eq!(statuses(&answer), expected, "{answer}");
    assert_eq!(answer["results"][n]["errors"][0]["code"], "duplicate");
    let last = answer["results"][n - 1]["id"].as_str().unwrap().to_owned();
    let shown = json_body(
        app.get_as(&format!("/api/v1/beneficiaries/{last}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            shown["category"].as_str(),
            shown["members"].as_array().map(Vec::len),
            shown["visits"].as_array().map(Vec::len),
        ),
        (Some("deep"), Some(1), Some(1)),
        "{shown}"
    );

    let mut deals: Vec<Value> = (0..n)
        .map(|i| {
            let e = format!("E{i}");
            let mut h = agreement(&format!("H{i}"), &a.org_id, &[&e], &format!("{i}号合同"));
            h["terms"] = terms();
            h
        })
        .collect();
    let mut overlapping = agreement("H-over", &a.org_id, &["E0"], "重叠合同");
    overlapping["terms"] = terms();
    deals.push(overlapping);
    deals.push(agreement("H-talks", &a.org_id, &["E0"], "协商中"));
    let answer = push(&app, &system, "wage-agreements", json!(deals)).await;
    let mut expected = vec!["created"; n];
    expected.extend(["invalid", "created"]);
    assert_eq!(statuses(&answer), expected, "{answer}");
    assert_eq!(answer["results"][n]["errors"][0]["code"], "conflict");

    // All audited as the client's, and in the feed once each.
    for (action, made) in [
        ("enterprise.create", n),
        ("worker.create", n),
        ("beneficiary.create", n),
        ("wage_agreement.create", n + 1),
    ] {
        let events = json_body(
            app.get_as(
                &format!("/api/v1/audit-events?action={action}&limit=100"),
                &admin,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let events = events["items"].as_array().unwrap();
        assert_eq!(events.len(), made, "{action}");
        assert!(
            events.iter().all(|e| e["actor_kind"] == "client"),
            "{action}"
        );
    }
    let total = n * 3 + n + 1;
    let feed = feed_until(
        &app,
        &system,
        "/api/v1/sync/changes?limit=1000&kinds=enterprise,worker,beneficiary,wage_agreement",
        |feed| feed["changes"].as_array().is_some_and(|c| c.len() >= total),
    )
    .await;
    let ids: std::collections::HashSet<&str> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        (feed["changes"].as_array().unwrap().len(), ids.len()),
        (total, total)
    );

    // Sent again: nothing written; what was refused is refused again.
    for (kind, records, refused) in [
        ("enterprises", json!(firms), 2),
        ("workers", json!(people), 0),
        ("beneficiaries", json!(households), 1),
        ("wage-agreements", json!(deals), 1),
    ] {
        let again = push(&app, &system, kind, records).await;
        let unchanged = statuses(&again)
            .iter()
            .filter(|s| **s == "unchanged")
            .count();
        let invalid = statuses(&again).iter().filter(|s| **s == "invalid").count();
        assert_eq!(
            (unchanged + refused, invalid),
            (statuses(&again).len(), refused),
            "{kind}: {again}"
        );
    }
}

//! The change log: every change of a synced record is logged once, in the transaction of the
//! change, and a reader that follows its cursor sees each one exactly once, even when
//! transactions commit in another order than they started.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;
use siji_api::changelog::{self, Change, Cursor};
use uuid::Uuid;

use crate::helpers::{TestApp, json_body, nth_id_number, spawn_app};

/// Follow the cursor until `enough` holds of everything read (or 20 s pass). On PostgreSQL a
/// change becomes readable only once every older transaction of the cluster has ended, and
/// other tests' transactions run beside this one.
async fn drain_until(
    app: &TestApp,
    cursor: &mut Cursor,
    enough: impl Fn(&[Change]) -> bool,
) -> Vec<Change> {
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        seen.extend(drain(app, cursor).await);
        if enough(&seen) || started.elapsed() > Duration::from_secs(20) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everything a reader gets by following the cursor from `cursor` until nothing is left.
async fn drain(app: &TestApp, cursor: &mut Cursor) -> Vec<Change> {
    let mut out = Vec::new();
    loop {
        let page = changelog::read(&app.db, *cursor, 7).await.unwrap();
        let Some(last) = page.last() else {
            return out;
        };
        *cursor = last.cursor();
        out.extend(page);
    }
}

#[tokio::test]
async fn each_change_of_a_synced_record_is_logged_once_with_its_version() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut cursor = Cursor::START;
    let _ = drain(&app, &mut cursor).await; // the root organisation
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let worker = app
        .create_worker(&admin, &county.org_id, "张三", &nth_id_number(1))
        .await;
    let id = worker["id"].as_str().unwrap();
    let updated = app
        .authed(Method::PATCH, &format!("/api/v1/workers/{id}"), &admin)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "张三丰"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    // A reveal only reads: no change.
    let reveal = app
        .post_as(
            &format!("/api/v1/workers/{id}/reveal"),
            &admin,
            &json!({"fields": ["id_number"], "reason": "核对身份信息"}),
        )
        .await;
    assert_eq!(reveal.status(), StatusCode::OK);

    let changes = drain_until(&app, &mut cursor, |seen| {
        seen.iter()
            .any(|c| c.record_id.to_string() == id && c.version == 2)
    })
    .await;
    let of_worker: Vec<(String, i32)> = changes
        .iter()
        .filter(|c| c.record_id.to_string() == id)
        .map(|c| (c.op.clone(), c.version))
        .collect();
    assert_eq!(
        of_worker,
        [("create".to_owned(), 1), ("update".to_owned(), 2)],
        "{changes:?}"
    );
    let worker_change = changes.iter().find(|c| c.kind == "worker").unwrap();
    assert_eq!(worker_change.org_id.to_string(), county.org_id);
    assert!(changes.iter().any(|c| c.kind == "org" && c.op == "create"));
    // Read again from the end: nothing.
    assert!(drain(&app, &mut cursor).await.is_empty());
}

/// The classic trap: a transaction that started first commits last. The reader must not move
/// its cursor past it while it is still open.
#[tokio::test]
async fn a_reader_never_skips_a_change_that_commits_late() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let mut cursor = Cursor::START;
    let _ = drain(&app, &mut cursor).await;

    // T1 begins and logs a change, but does not commit yet.
    let slow = app.db.begin().await.unwrap();
    let late_record = Uuid::now_v7();
    let backend = app.db.get_database_backend();
    slow.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO change_log (kind, record_id, org_id, op, action, version, changed_at) \
         VALUES ('org', $1, $2, 'update', 'org.update', 9, $3)",
        [
            late_record.into(),
            Uuid::parse_str(&root).unwrap().into(),
            chrono::Utc::now().into(),
        ],
    ))
    .await
    .unwrap();

    // T2 starts later and commits first (on SQLite it waits for T1's write lock instead).
    let request = app.authed(Method::POST, "/api/v1/workers", &admin).json(
        &json!({"org_id": root, "name": "李四", "id_number": nth_id_number(2),
                      "kind": "staff", "employment_status": "employed"}),
    );
    let quick = tokio::spawn(async move { request.send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Changes older than T1 may still be read (under load the setup's own may arrive only now);
    // none of a transaction that started after T1.
    let while_open = drain(&app, &mut cursor).await;
    assert!(
        !while_open
            .iter()
            .any(|c| c.kind == "worker" || c.record_id == late_record),
        "nothing may be read past an open transaction: {while_open:?}"
    );

    slow.commit().await.unwrap();
    assert_eq!(quick.await.unwrap().unwrap(), StatusCode::CREATED);
    // The worker's change may take a moment to become readable (its transaction must be older
    // than every open one).
    let seen = drain_until(&app, &mut cursor, |seen| {
        seen.iter().any(|c| c.kind == "worker")
    })
    .await;
    // The late change first (its transaction is older), then the worker, each once.
    let ours: Vec<&Change> = seen
        .iter()
        .filter(|c| c.kind == "worker" || c.record_id == late_record)
        .collect();
    assert_eq!(ours.len(), 2, "{seen:?}");
    assert_eq!(ours[0].record_id, late_record, "{seen:?}");
    assert_eq!(ours[1].kind, "worker", "{seen:?}");
}

#[tokio::test]
async fn concurrent_writers_and_a_polling_reader_agree_on_every_change() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let mut cursor = Cursor::START;
    let _ = drain(&app, &mut cursor).await;

    let writers: Vec<_> = (0..4u32)
        .map(|w| {
            let requests: Vec<_> = (0..15u32)
                .map(|i| {
                    app.authed(Method::POST, "/api/v1/workers", &admin)
                        .json(&json!({
                        "org_id": root, "name": format!("职工{w}-{i}"),
                        "id_number": nth_id_number(100 + w * 100 + i),
                        "kind": "staff", "employment_status": "employed"}))
                })
                .collect();
            tokio::spawn(async move {
                for request in requests {
                    assert_eq!(request.send().await.unwrap().status(), StatusCode::CREATED);
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    while !writers.iter().all(|w| w.is_finished()) {
        seen.extend(drain(&app, &mut cursor).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    seen.extend(
        drain_until(&app, &mut cursor, |more| {
            let workers = seen.iter().chain(more).filter(|c| c.kind == "worker");
            workers.count() >= 60
        })
        .await,
    );

    // Exactly once each…
    let mut unique = HashSet::new();
    for change in &seen {
        assert!(unique.insert(change.seq), "seen twice: {change:?}");
    }
    // …in cursor order…
    for pair in seen.windows(2) {
        assert!(
            (pair[0].txid, pair[0].seq) < (pair[1].txid, pair[1].seq),
            "{pair:?}"
        );
    }
    // …and every worker created is there, with version 1.
    let created: HashMap<Uuid, i32> = seen
        .iter()
        .filter(|c| c.kind == "worker")
        .map(|c| (c.record_id, c.version))
        .collect();
    assert_eq!(created.len(), 60);
    assert!(created.values().all(|v| *v == 1));
    let page = json_body(
        app.get_as("/api/v1/workers?count=true&limit=1", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 60);
}

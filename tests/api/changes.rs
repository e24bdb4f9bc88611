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

/// One answer of `GET /api/v1/sync/changes` after `cursor`.
async fn feed_page(
    app: &TestApp,
    token: &str,
    cursor: &Option<String>,
    query: &str,
) -> serde_json::Value {
    let after = cursor
        .as_deref()
        .map(|c| format!("&cursor={c}"))
        .unwrap_or_default();
    json_body(
        app.get_as(
            &format!("/api/v1/sync/changes?limit=5{query}{after}"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

/// Follow the HTTP feed until `enough` holds of everything read (or 20 s pass).
async fn follow(
    app: &TestApp,
    token: &str,
    cursor: &mut Option<String>,
    query: &str,
    enough: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        let page = feed_page(app, token, cursor, query).await;
        *cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        seen.extend(page["changes"].as_array().unwrap().iter().cloned());
        if page["has_more"] == true {
            continue;
        }
        if enough(&seen) || started.elapsed() > Duration::from_secs(20) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_feed_shows_a_countys_changes_once_with_its_records_masked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let ours = app
        .create_worker(&a.operator, &a.org_id, "张三", &nth_id_number(1))
        .await;
    let theirs = app
        .create_worker(&b.operator, &b.org_id, "李四", &nth_id_number(2))
        .await;
    let id = ours["id"].as_str().unwrap().to_owned();
    let res = app
        .authed(Method::PATCH, &format!("/api/v1/workers/{id}"), &a.operator)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "张三丰"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let mut cursor = None;
    let seen = follow(&app, &a.operator, &mut cursor, "&kinds=worker", |seen| {
        seen.iter().filter(|c| c["id"] == id.as_str()).count() >= 2
    })
    .await;
    // Only county A's worker, created then updated, each change once, in order.
    let ops: Vec<(&str, i64)> = seen
        .iter()
        .map(|c| (c["op"].as_str().unwrap(), c["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(ops, [("create", 1), ("update", 2)], "{seen:?}");
    assert!(
        seen.iter()
            .all(|c| c["id"] == id.as_str() && c["kind"] == "worker")
    );
    assert!(!seen.iter().any(|c| c["id"] == theirs["id"]));
    // The record as GET shows it now: masked, at its latest version, with names.
    let record = &seen[0]["record"];
    let shown = record["id_number"].as_str().unwrap();
    assert!(
        shown.contains("********") && shown[..6] == nth_id_number(1)[..6],
        "{record}"
    );
    assert_eq!(
        (record["name"].as_str(), record["version"].as_i64()),
        (Some("张三丰"), Some(2))
    );
    assert!(
        !seen
            .iter()
            .any(|c| c.to_string().contains(&nth_id_number(1)))
    );
    // At the end: nothing more, and the cursor stays where it is.
    let end = feed_page(&app, &a.operator, &cursor, "&kinds=worker").await;
    assert_eq!(end["changes"], json!([]));
    assert_eq!(end["has_more"], false);
    assert_eq!(end["next_cursor"].as_str(), cursor.as_deref());
    // Without `kinds`, the county's own organisation is in the feed too; the city's is not.
    let all = follow(&app, &a.operator, &mut None, "", |seen| {
        seen.iter().any(|c| c["kind"] == "org")
    })
    .await;
    assert!(
        all.iter()
            .any(|c| c["kind"] == "org" && c["id"] == a.org_id.as_str())
    );
    assert!(
        all.iter().all(|c| c["org_id"] == a.org_id.as_str()),
        "{all:?}"
    );

    // Moved to county B, the worker leaves A's feed: its old changes show a tombstone, and the
    // move itself is in B's feed with the record.
    let res = app
        .authed(Method::PATCH, &format!("/api/v1/workers/{id}"), &admin)
        .header("if-match", "\"2\"")
        .json(&json!({"org_id": b.org_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let again = follow(&app, &a.operator, &mut None, "&kinds=worker", |seen| {
        seen.len() >= 2
    })
    .await;
    assert!(again.iter().all(|c| c["record"].is_null()), "{again:?}");
    let at_b = follow(&app, &b.operator, &mut None, "&kinds=worker", |seen| {
        seen.iter().any(|c| c["id"] == id.as_str())
    })
    .await;
    let moved = at_b.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(
        (
            moved["version"].as_i64(),
            moved["record"]["org_id"].as_str()
        ),
        (Some(3), Some(b.org_id.as_str()))
    );

    // What the server refuses: a cursor it did not issue, a kind it does not know.
    for query in ["?cursor=bm9wZQ", "?kinds=worker,payout", "?limit=1001"] {
        let res = app
            .get_as(&format!("/api/v1/sync/changes{query}"), &a.operator)
            .await;
        crate::helpers::assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

/// Writers in two counties at once while county A follows the HTTP feed: A sees each of its own
/// changes exactly once, in commit order, and nothing of B's.
#[tokio::test]
async fn a_county_following_the_feed_under_concurrent_writers_sees_each_of_its_changes_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let mut cursor = None;
    let _ = follow(&app, &a.operator, &mut cursor, "&kinds=worker", |_| true).await;

    let writers: Vec<_> = (0..4u32)
        .map(|w| {
            let county = if w % 2 == 0 { &a } else { &b };
            let requests: Vec<_> = (0..10u32)
                .map(|i| {
                    app.authed(Method::POST, "/api/v1/workers", &county.operator)
                        .json(&json!({
                        "org_id": county.org_id, "name": format!("职工{w}-{i}"),
                        "id_number": nth_id_number(100 + w * 100 + i),
                        "kind": "staff", "employment_status": "employed"}))
                })
                .collect();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for request in requests {
                    let res = request.send().await.unwrap();
                    assert_eq!(res.status(), StatusCode::CREATED);
                    let body: serde_json::Value = res.json().await.unwrap();
                    ids.push(body["id"].as_str().unwrap().to_owned());
                }
                ids
            })
        })
        .collect();
    let mut seen = Vec::new();
    while !writers.iter().all(|w| w.is_finished()) {
        let page = feed_page(&app, &a.operator, &cursor, "&kinds=worker").await;
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        seen.extend(page["changes"].as_array().unwrap().iter().cloned());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut written = Vec::new();
    for writer in writers {
        written.push(writer.await.unwrap());
    }
    let (ours, theirs): (Vec<String>, Vec<String>) = (
        written[0].iter().chain(&written[2]).cloned().collect(),
        written[1].iter().chain(&written[3]).cloned().collect(),
    );
    let count = seen.len();
    seen.extend(
        follow(&app, &a.operator, &mut cursor, "&kinds=worker", |more| {
            count + more.len() >= ours.len()
        })
        .await,
    );
    let ids: Vec<&str> = seen.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "a change seen twice: {ids:?}");
    assert_eq!(
        unique,
        ours.iter().map(String::as_str).collect::<HashSet<_>>()
    );
    assert!(theirs.iter().all(|t| !unique.contains(t.as_str())));
    // Each writer's own creations arrive in the order it made them (each committed before the
    // next began).
    for writer in [&written[0], &written[2]] {
        let positions: Vec<usize> = writer
            .iter()
            .map(|id| ids.iter().position(|s| s == id).unwrap())
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
    }
}

/// A client starting out copies every record, then follows the feed from where the copy began:
/// what changed during the copy arrives through the feed, nothing is lost.
#[tokio::test]
async fn a_full_resync_hands_over_to_the_feed_without_losing_a_change() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let w = app
            .create_worker(
                &a.operator,
                &a.org_id,
                &format!("职工{n}"),
                &nth_id_number(n),
            )
            .await;
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    app.create_worker(&b.operator, &b.org_id, "外县", &nth_id_number(9))
        .await;

    let first = json_body(
        app.get_as("/api/v1/sync/snapshot?kind=worker&limit=2", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["records"].as_array().unwrap().len(), 2);
    // While the copy runs: a new worker, and a change to one already copied.
    let late = app
        .create_worker(&a.operator, &a.org_id, "职工4", &nth_id_number(4))
        .await;
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/workers/{}", ids[0]),
            &a.operator,
        )
        .header("if-match", "\"1\"")
        .json(&json!({"name": "职工一"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let mut held: HashMap<String, serde_json::Value> = HashMap::new();
    let mut page = first;
    let feed_cursor = page["feed_cursor"].as_str().unwrap().to_owned();
    loop {
        assert_eq!(page["feed_cursor"], feed_cursor.as_str());
        for r in page["records"].as_array().unwrap() {
            held.insert(r["id"].as_str().unwrap().to_owned(), r.clone());
        }
        let Some(next) = page["next_cursor"].as_str() else {
            break;
        };
        page = json_body(
            app.get_as(
                &format!("/api/v1/sync/snapshot?kind=worker&limit=2&cursor={next}"),
                &a.operator,
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    // The feed from the copy's start: apply what is newer than what is held.
    let late_id = late["id"].as_str().unwrap().to_owned();
    let mut cursor = Some(feed_cursor);
    let changes = follow(&app, &a.operator, &mut cursor, "&kinds=worker", |seen| {
        seen.iter()
            .any(|c| c["id"] == ids[0].as_str() && c["version"] == 2)
            && seen.iter().any(|c| c["id"] == late_id.as_str())
    })
    .await;
    for c in &changes {
        let id = c["id"].as_str().unwrap().to_owned();
        let newer = held
            .get(&id)
            .is_none_or(|r| r["version"].as_i64() < c["version"].as_i64());
        if newer {
            held.insert(id, c["record"].clone());
        }
    }
    let mut expected: Vec<String> = ids.clone();
    expected.push(late_id);
    let mut got: Vec<String> = held.keys().cloned().collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "county B's worker is not A's to copy");
    assert_eq!(held[&ids[0]]["name"], "职工一");
    assert!(
        held.values()
            .all(|r| r["id_number"].as_str().unwrap().contains("****"))
    );

    // The organisations of the subtree copy the same way; an unknown kind is refused.
    let orgs = json_body(
        app.get_as("/api/v1/sync/snapshot?kind=org", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(orgs["records"][0]["id"], a.org_id.as_str());
    assert_eq!(orgs["next_cursor"], serde_json::Value::Null);
    let res = app
        .get_as("/api/v1/sync/snapshot?kind=payout", &a.operator)
        .await;
    crate::helpers::assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
}

/// Changes past the retention period are pruned from the front of the log: a cursor from before
/// them answers 410 naming the full resync, whose `feed_cursor` then reads on without a gap.
#[tokio::test]
async fn a_cursor_older_than_the_log_answers_410_and_the_resync_takes_over() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    for n in 1..=3 {
        app.create_worker(
            &a.operator,
            &a.org_id,
            &format!("职工{n}"),
            &nth_id_number(n),
        )
        .await;
    }
    let first = crate::helpers::feed_until(
        &app,
        &a.operator,
        "/api/v1/sync/changes?kinds=worker&limit=1",
        |page| page["changes"].as_array().is_some_and(|c| !c.is_empty()),
    )
    .await;
    assert_eq!(first["changes"].as_array().unwrap().len(), 1);
    let cursor = Some(first["next_cursor"].as_str().unwrap().to_owned());
    let mut rest = cursor.clone();
    let seen = follow(&app, &a.operator, &mut rest, "&kinds=worker", |seen| {
        seen.len() >= 2
    })
    .await;
    assert_eq!(seen.len(), 2);

    let pruned = crate::helpers::prune_log(&app).await;
    assert!(pruned >= 3, "pruned {pruned}");

    for after in [cursor.clone(), None] {
        let query = after.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let res = app
            .get_as(
                &format!("/api/v1/sync/changes?kinds=worker{query}"),
                &a.operator,
            )
            .await;
        let problem = crate::helpers::assert_problem(res, StatusCode::GONE, "cursor_expired").await;
        assert_eq!(problem["resync"], "/api/v1/sync/snapshot");
    }
    // A cursor at the horizon or after it lost nothing: it reads on.
    let page = feed_page(&app, &a.operator, &rest, "&kinds=worker").await;
    assert_eq!(page["changes"].as_array().unwrap().len(), 0);

    let snapshot = json_body(
        app.get_as("/api/v1/sync/snapshot?kind=worker", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(snapshot["records"].as_array().unwrap().len(), 3);
    let late = app
        .create_worker(&a.operator, &a.org_id, "职工4", &nth_id_number(4))
        .await;
    let mut cursor = Some(snapshot["feed_cursor"].as_str().unwrap().to_owned());
    let after = follow(&app, &a.operator, &mut cursor, "&kinds=worker", |seen| {
        !seen.is_empty()
    })
    .await;
    let ids: Vec<&str> = after.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, [late["id"].as_str().unwrap()]);
}

/// The processes that run jobs prune the log on their own, to the configured retention.
#[tokio::test]
async fn the_job_runners_prune_the_log_to_its_retention() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.sync.retention_days = 0;
        s.sync.prune_every_secs = 1;
    })
    .await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.create_worker(&a.operator, &a.org_id, "职工", &nth_id_number(1))
        .await;
    let started = std::time::Instant::now();
    loop {
        let res = app
            .get_as("/api/v1/sync/changes?kinds=worker", &a.operator)
            .await;
        if res.status() == StatusCode::GONE {
            break;
        }
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the log was never pruned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let head = changelog::head(&app.db).await.unwrap();
    assert!(head > Cursor::START, "the head stays past what was pruned");
}

/// On PostgreSQL a page of the feed (the whole log's, a county's) and its head are read in the
/// order of the `(txid, seq)` index, from the cursor, never by sorting the log: with sorting
/// priced out, none of their plans may still need one. (An `ORDER BY txid` that meant the
/// output column, the id cast to a number, sorted every change after the cursor for each page:
/// 160–190 ms a page of a county's feed on the million-worker city.)
#[tokio::test]
async fn the_feed_is_read_in_index_order_without_sorting_the_log() {
    use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        return;
    }
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let org: Uuid = county.org_id.parse().unwrap();
    let org = entity::orgs::Entity::find()
        .filter(entity::orgs::Column::Id.eq(org))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let scope = siji_api::tenancy::Scope::of(&org, backend);
    let statements = [
        changelog::read_statement(backend, None, Cursor::START, 500).unwrap(),
        changelog::read_statement(
            backend,
            Some((&scope, &["worker", "enterprise"])),
            Cursor::START,
            500,
        )
        .unwrap(),
        changelog::head_statement(backend),
    ];
    for statement in statements {
        let txn = app.db.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_sort = off")
            .await
            .unwrap();
        let explain = Statement {
            sql: format!("EXPLAIN {}", statement.sql),
            ..statement.clone()
        };
        let plan: Vec<String> = txn
            .query_all_raw(explain)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "QUERY PLAN").unwrap())
            .collect();
        assert!(
            !plan.iter().any(|line| line.contains("Sort")),
            "{}\n{}",
            statement.sql,
            plan.join("\n")
        );
    }
}

//! Jobs: their life (queued → running → succeeded, with progress), retries with backoff until
//! they fail, refusals that are final, and who may see them.

use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{
    TestApp, assert_problem, json_body, nth_id_number, spawn_app, spawn_app_with,
};

fn workers_csv(from: u32, count: u32) -> Vec<u8> {
    let mut csv = String::from("姓名,身份证号\n");
    for n in from..from + count {
        csv.push_str(&format!("职工{n},{}\n", nth_id_number(n)));
    }
    csv.into_bytes()
}

async fn import(app: &TestApp, token: &str, csv: Vec<u8>) -> reqwest::Response {
    app.authed(Method::POST, "/api/v1/imports/workers", token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

/// A job row written as a request would, for kinds and failures no endpoint produces.
async fn insert_job(app: &TestApp, kind: &str, principal: Uuid, org: Uuid) -> Uuid {
    let now = Utc::now();
    let id = Uuid::now_v7();
    entity::jobs::Entity::insert(entity::jobs::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        status: Set("queued".to_owned()),
        principal_id: Set(principal),
        principal_kind: Set("user".to_owned()),
        org_id: Set(org),
        params: Set("{}".to_owned()),
        payload: Set(None),
        progress_done: Set(0),
        progress_total: Set(None),
        result: Set(None),
        error: Set(None),
        attempts: Set(0),
        max_attempts: Set(3),
        run_after: Set(now),
        lease_until: Set(None),
        runner: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
    })
    .exec(&app.db)
    .await
    .unwrap();
    id
}

async fn me(app: &TestApp, token: &str) -> (Uuid, Uuid) {
    let me = json_body(app.get_as("/api/v1/me", token).await, StatusCode::OK).await;
    let id = |v: &Value| Uuid::parse_str(v.as_str().unwrap()).unwrap();
    (id(&me["id"]), id(&me["org"]["id"]))
}

#[tokio::test]
async fn an_import_job_is_queued_then_runs_with_progress_and_succeeds() {
    // Without runners, an accepted import waits in the queue.
    let idle = spawn_app_with(|s| s.jobs.runners = 0).await;
    let token = idle.admin_token().await;
    let res = import(&idle, &token, workers_csv(1, 5)).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = res.json().await.unwrap();
    assert_eq!(accepted["status"], "queued");
    assert_eq!(accepted["kind"], "import.workers");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let job = json_body(idle.get_as(&location, &token).await, StatusCode::OK).await;
    assert_eq!(
        (job["status"].as_str(), job["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );

    // With runners: running, progress moving, then succeeded with the report as its result.
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let res = import(&app, &token, workers_csv(1, 1200)).await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let mut seen_running = false;
    let job = loop {
        let job = json_body(app.get_as(&location, &token).await, StatusCode::OK).await;
        if job["status"] == "running" {
            seen_running = true;
            // Written with the lease, every second: absent at first, then the file's rows.
            let done = job["progress"]["done"].as_i64().unwrap();
            assert!(done <= 1200, "{job}");
            let total = &job["progress"]["total"];
            assert!(total.is_null() || *total == 1200, "{job}");
        }
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(seen_running, "the job was never seen running");
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 1);
    assert_eq!(
        job["progress"],
        serde_json::json!({"done": 1200, "total": 1200})
    );
    assert_eq!(job["result"]["created"], 1200);
    assert!(job["started_at"].is_string() && job["finished_at"].is_string());
    assert!(job["error"].is_null());
}

#[tokio::test]
async fn a_job_that_fails_is_retried_with_backoff_then_marked_failed() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (user, org) = me(&app, &token).await;
    let id = insert_job(&app, "no.such.kind", user, org).await;
    let location = format!("/api/v1/jobs/{id}");
    let job = loop {
        let job = json_body(app.get_as(&location, &token).await, StatusCode::OK).await;
        if job["status"] == "failed" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(job["attempts"], 3, "every attempt was made: {job}");
    assert_eq!(job["error"]["code"], "internal_error", "{job}");
    assert!(job["finished_at"].is_string());
    // Nothing of the internal error leaks.
    assert!(!job["error"].to_string().contains("no.such.kind"), "{job}");
}

#[tokio::test]
async fn a_refused_job_is_not_retried() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let (operator, org) = me(&app, &county.operator).await;
    // The operator's account is disabled before its job runs: refused, once.
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{operator}/disable"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = insert_job(&app, "import.workers", operator, org).await;
    let location = format!("/api/v1/jobs/{id}");
    let job = loop {
        let job = json_body(app.get_as(&location, &admin).await, StatusCode::OK).await;
        if job["status"] == "failed" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(job["attempts"], 1, "{job}");
    assert_eq!(job["error"]["code"], "forbidden", "{job}");
}

#[tokio::test]
async fn a_job_is_seen_by_its_starter_and_the_administrators_above_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let res = import(&app, &a.operator, workers_csv(1, 2)).await;
    let job = app.finished_job(res, &a.operator).await;
    let location = job["url"].as_str().unwrap().to_owned();
    for token in [&a.operator, &a.admin, &admin] {
        json_body(app.get_as(&location, token).await, StatusCode::OK).await;
    }
    for token in [&b.operator, &b.admin] {
        assert_problem(
            app.get_as(&location, token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_problem(
        app.get(&location).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/jobs/{}", Uuid::now_v7()), &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn concurrent_runners_take_each_job_exactly_once() {
    // Four runners in one process race for the same queue (on PostgreSQL: FOR UPDATE SKIP LOCKED;
    // on SQLite: one writer at a time).
    let app = spawn_app_with(|s| s.jobs.runners = 4).await;
    let token = app.admin_token().await;
    let mut jobs = Vec::new();
    for n in 0..12 {
        let res = import(&app, &token, workers_csv(1 + n * 10, 10)).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        jobs.push(res.headers()["location"].to_str().unwrap().to_owned());
    }
    for location in &jobs {
        let job = loop {
            let job = json_body(app.get_as(location, &token).await, StatusCode::OK).await;
            if job["status"] == "succeeded" || job["status"] == "failed" {
                break job;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "claimed once: {job}");
        assert_eq!(job["result"]["created"], 10, "{job}");
    }
    let count = json_body(
        app.get_as("/api/v1/workers?count=true&limit=1", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(count["total"], 120);
}

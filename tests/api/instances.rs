//! Several `siji serve` processes on one database, behind any load balancer, give the same
//! answers: what one instance accepted, claimed or counted, the others see, because it lives in
//! the database and not in a process. Two servers on one database here, as two instances.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, assert_problem, json_body, nth_id_number, spawn_app_with};

#[tokio::test]
async fn two_instances_share_tokens_idempotency_jobs_and_login_throttling() {
    // `a` runs no jobs: whatever it accepts, `b`'s runners must do.
    let a = spawn_app_with(|s| s.jobs.runners = 0).await;
    let b = a.peer(|s| s.jobs.runners = 2).await;
    let admin = a.admin_token().await;
    json_body(b.get_as("/api/v1/me", &admin).await, StatusCode::OK).await;
    let county = a.county(&admin, "任城区总工会", "370811").await;

    // The same import with the same key, sent to both at once and then again to each: one
    // job, which every answer names; the instance that accepted it first need not run it.
    let csv = format!(
        "姓名,身份证号\n甲,{}\n乙,{}\n",
        nth_id_number(1),
        nth_id_number(2)
    );
    let send = |app: &crate::helpers::TestApp| {
        app.authed(Method::POST, "/api/v1/imports/workers", &county.operator)
            .header("content-type", "text/csv")
            .header("idempotency-key", "instances-1")
            .body(csv.clone())
            .send()
    };
    let (from_a, from_b) = tokio::join!(send(&a), send(&b));
    let mut jobs = Vec::new();
    for res in [from_a.unwrap(), from_b.unwrap()] {
        if res.status() == StatusCode::CONFLICT {
            // The other instance's request still held the key: retried, it is replayed.
            assert_problem(res, StatusCode::CONFLICT, "idempotency_key_in_flight").await;
            continue;
        }
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        jobs.push(res.headers()["location"].to_str().unwrap().to_owned());
    }
    for app in [&a, &b] {
        let again = send(app).await.unwrap();
        assert_eq!(again.status(), StatusCode::ACCEPTED);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        jobs.push(again.headers()["location"].to_str().unwrap().to_owned());
    }
    jobs.dedup();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = loop {
        let job: Value =
            json_body(a.get_as(&jobs[0], &county.operator).await, StatusCode::OK).await;
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["created"], 2, "{job}");
    let workers = json_body(
        b.get_as("/api/v1/workers?limit=10", &county.operator).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(workers["items"].as_array().unwrap().len(), 2);

    // Failed sign-ins counted by one instance are counted by all: five on `a`, and `b`
    // refuses even the right password.
    for _ in 0..5 {
        let res = a
            .post_json(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": "not the password"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = b
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    drop(b);
}

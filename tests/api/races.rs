//! Rules that two requests could race past, settled by the database: the same person registered
//! at the same moment by two counties, the same worker archived twice at once, the same record
//! changed twice from the same version. Each fires its requests together and checks that
//! exactly one wins and the others get the rule's own answer (no 500, no second row).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Fire `requests` at once; their statuses in order.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<StatusCode> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| tokio::spawn(async move { r.send().await.map(|r| r.status()) }))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn one_person_registered_at_once_by_two_counties_is_one_record() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let person = nth_id_number(7);
    let mut requests = Vec::new();
    for n in 0..8 {
        let county = if n % 2 == 0 { &a } else { &b };
        let body = json!({"org_id": county.org_id, "name": "张三明", "id_number": person,
                          "kind": "staff", "employment_status": "employed"});
        requests.push(
            app.authed(Method::POST, "/api/v1/workers", &county.operator)
                .json(&body),
        );
    }
    let statuses = race(requests).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 7, "{statuses:?}");
    let found = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &admin,
            &json!({"id_number": person, "include_archived": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
}

#[tokio::test]
async fn one_live_archive_per_worker_when_created_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    let head = app.worker_id(&a, "户主", &nth_id_number(3)).await;
    let body = json!({
        "org_id": a.org_id, "head_worker_id": head, "household_size": 3,
        "annual_income_fen": 1_000_000, "rigid_expenses_fen": 0, "causes": ["illness"],
        "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}
    });
    let requests = (0..6)
        .map(|_| {
            app.authed(Method::POST, "/api/v1/beneficiaries", &a.operator)
                .json(&body)
        })
        .collect();
    let statuses = race(requests).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 5, "{statuses:?}");
    let archives = json_body(
        app.get_as(
            &format!("/api/v1/beneficiaries?head_worker_id={head}"),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(archives["items"].as_array().unwrap().len(), 1, "{archives}");
}

#[tokio::test]
async fn concurrent_changes_from_one_version_let_one_through() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let worker = app
        .create_worker(&a.operator, &a.org_id, "李四", &nth_id_number(5))
        .await;
    let path = format!("/api/v1/workers/{}", worker["id"].as_str().unwrap());
    let requests = ["laid_off", "retired", "unemployed", "laid_off", "retired"]
        .iter()
        .map(|status| {
            app.authed(Method::PATCH, &path, &a.operator)
                .header("If-Match", "\"1\"")
                .json(&json!({ "employment_status": status }))
        })
        .collect();
    let statuses = race(requests).await;
    assert_eq!(count(&statuses, StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::PRECONDITION_FAILED),
        4,
        "{statuses:?}"
    );
    let now: Value = json_body(app.get_as(&path, &a.operator).await, StatusCode::OK).await;
    assert_eq!(now["version"], 2, "{now}");
}

use reqwest::StatusCode;

use crate::helpers::{assert_problem, json_body, spawn_app};

#[tokio::test]
async fn healthz_answers_with_status_and_version() {
    let app = spawn_app().await;
    let body = json_body(app.get("/healthz").await, StatusCode::OK).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn readyz_is_ready_while_the_database_answers() {
    let app = spawn_app().await;
    let body = json_body(app.get("/readyz").await, StatusCode::OK).await;
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_503_problem_when_the_database_is_gone_but_healthz_still_answers() {
    let app = spawn_app().await;
    app.db.close_by_ref().await.expect("close the pool");

    let res = app.get("/readyz").await;
    assert!(res.headers().contains_key("retry-after"));
    let body = assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    assert!(
        !body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("sqlite")
    );

    json_body(app.get("/healthz").await, StatusCode::OK).await;
}

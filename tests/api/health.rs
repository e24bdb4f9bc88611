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

/// Without configured keys, the embedded SQLite default generates and keeps its own; a
/// PostgreSQL deployment refuses to start instead.
#[tokio::test]
async fn keys_are_generated_on_sqlite_and_required_on_postgres() {
    use sea_orm::{ConnectionTrait, Statement};
    let (built, _guard) = crate::helpers::try_build_bare().await;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    match built {
        Ok(app) => {
            assert!(
                !postgres,
                "PostgreSQL must not start without SIJI_JWT_SECRET and SIJI_DATA_KEY"
            );
            let backend = app.db().get_database_backend();
            let rows = app
                .db()
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT name FROM server_secrets ORDER BY name",
                ))
                .await
                .unwrap();
            let names: Vec<String> = rows
                .iter()
                .map(|r| r.try_get("", "name").unwrap())
                .collect();
            assert_eq!(names, ["data_key", "index_key", "jwt_secret"]);
            let _ = app.db().close_by_ref().await;
        }
        Err(err) => {
            assert!(postgres, "SQLite should start with generated keys: {err}");
            assert!(err.to_string().contains("SIJI_JWT_SECRET"), "{err}");
        }
    }
}

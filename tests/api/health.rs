use reqwest::StatusCode;

use crate::helpers::{assert_problem, json_body, spawn_app, spawn_app_with};

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
    assert_eq!(body["pending_migrations"], 0);
    assert_eq!(body["jobs_queued"], 0);
    assert!(body["job_runners"].as_u64().is_some(), "{body}");
}

/// A process whose job runners have not come round for twice the job lease is not ready: a
/// load balancer stops sending it traffic. Here the runners are made to sleep a minute between
/// looks (the poll) with a lease of 3 s, so the pulse ages past 6 s without a stuck job.
#[tokio::test]
async fn readyz_is_503_when_the_job_runners_stop_coming_round() {
    let app = spawn_app_with(|s| {
        s.jobs.runners = 1;
        s.jobs.poll_ms = 60_000;
        s.jobs.lease_secs = 3;
    })
    .await;
    let body = json_body(app.get("/readyz").await, StatusCode::OK).await;
    assert!(body["job_runner_seen_ms_ago"].as_u64().is_some(), "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(6_500)).await;
    let body = assert_problem(
        app.get("/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("job runners have not been seen"),
        "{body}"
    );
}

/// A database behind the schema this version expects (another instance rolled it back, or
/// migrations were not run with `SIJI_AUTO_MIGRATE=false`) is not ready, and says which.
#[tokio::test]
async fn readyz_is_503_while_a_migration_is_pending() {
    use migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    let last = Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap();
    Migrator::down(&app.db, Some(1)).await.unwrap();
    let body = assert_problem(
        app.get("/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(&last),
        "{body}"
    );
    Migrator::up(&app.db, None).await.unwrap();
    json_body(app.get("/readyz").await, StatusCode::OK).await;
}

/// `/metrics` is scraped like Prometheus does: requests counted by route template (never by
/// path: no ids in the labels), latency histograms, the pool, the job queue, the build.
#[tokio::test]
async fn metrics_are_scraped_by_route_template() {
    let app = spawn_app().await;
    json_body(app.get("/healthz").await, StatusCode::OK).await;
    let id = uuid::Uuid::now_v7();
    for _ in 0..2 {
        let res = app.get(&format!("/api/v1/orgs/{id}")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = res.text().await.unwrap();
    for line in [
        r#"siji_http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"siji_http_requests_total{method="GET",route="/api/v1/orgs/{id}",status="401"} 2"#,
        r#"siji_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"siji_http_request_duration_seconds_count{method="GET",route="/api/v1/orgs/{id}"} 2"#,
        r#"siji_jobs{status="queued"} 0"#,
        r#"siji_jobs{status="failed"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    assert!(!text.contains(&id.to_string()), "{text}");
    assert!(
        text.contains(r#"siji_db_pool_connections{status="max"}"#),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"siji_build_info{{version="{}""#,
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
}

/// With `SIJI_METRICS_TOKEN`, a scrape must carry it.
#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let app = spawn_app_with(|s| {
        s.metrics_token = Some(siji_api::config::Secret("scrape-me-please".into()));
    })
    .await;
    assert_problem(
        app.get("/metrics").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_503_problem_when_the_database_is_gone_but_healthz_still_answers() {
    let app = spawn_app().await;
    app.close_database().await;

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

/// SQLite plans by the statistics the server refreshes (`db::refresh_statistics`): at start and
/// after an import, so the workers a county has just imported are planned with. Without them a
/// page of one enterprise's workers walked the status index over every worker. PostgreSQL keeps
/// its own (autovacuum), so there is nothing to see there.
#[tokio::test]
async fn sqlite_has_planner_statistics_after_an_import() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let app = spawn_app().await;
    if app.db.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let mut csv = String::from("姓名,身份证号\n");
    for n in 1..=30 {
        csv.push_str(&format!("职工{n},{}\n", crate::helpers::nth_id_number(n)));
    }
    let res = app
        .authed(
            reqwest::Method::POST,
            "/api/v1/imports/workers",
            &county.operator,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report = app.import_report(res, &county.operator).await;
    assert_eq!(report["created"], 30, "{report}");
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'workers'",
        ))
        .await
        .expect("sqlite_stat1 exists once the schema was analysed")
        .expect("a count");
    let n: i64 = row.try_get("", "n").unwrap();
    assert!(n > 0, "the workers' indexes have statistics");
}

/// The pool hands a connection back without a round trip when its last exchange ended cleanly
/// (the patch in `vendor/sqlx-core` and `vendor/sqlx-postgres`), so it must still notice those
/// that did not. Here, one given back inside a dropped transaction: it is rolled back before
/// anyone else gets it. PostgreSQL only: SQLite's connections are still pinged.
#[tokio::test]
async fn a_connection_given_back_in_a_dropped_transaction_is_rolled_back_first() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) = postgres_app_with_a_small_pool(NEVER_IDLE).await else {
        return;
    };
    let mut open = Vec::new();
    for _ in 0..4 {
        let txn = app.db.begin().await.expect("begin");
        txn.execute_unprepared("CREATE TEMPORARY TABLE left_behind (n int)")
            .await
            .expect("a write in the transaction");
        open.push(txn);
    }
    drop(open);
    // Watched from outside the server's pool, which nobody uses from here on: the rollbacks
    // must not wait for a connection's next user.
    let watcher = sea_orm::Database::connect(app.database_url())
        .await
        .expect("a watcher");
    let mut left_open = -1;
    for _ in 0..40 {
        left_open = count(
            &watcher,
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .await;
        if left_open == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left_open, 0, "dropped transactions were left open");
    let _ = watcher.close().await;
}

/// Long enough that no connection of a test counts as idle: the pool never pings before use.
const NEVER_IDLE: u64 = 600_000;

/// As above: a connection whose server process has gone is closed after the one statement that
/// found it out, not handed out again (connections in use are not pinged before use). No job
/// runners, so that only the requests below meet the lost connections.
#[tokio::test]
async fn connections_whose_server_process_ended_are_replaced() {
    let Some(app) = postgres_app_with_a_small_pool(NEVER_IDLE).await else {
        return;
    };
    let (token, ended) = end_the_pools_server_processes(&app).await;

    // Each lost connection may fail the one request that finds it out; after that, none does.
    let mut failed = 0;
    for _ in 0..12 {
        if app.get_as("/api/v1/me", &token).await.status() != StatusCode::OK {
            failed += 1;
        }
    }
    assert!(
        failed <= ended,
        "{failed} failures for {ended} lost connections"
    );
    for n in 0..12 {
        let res = app.get_as("/api/v1/me", &token).await;
        assert_eq!(res.status(), StatusCode::OK, "request {n} after recovery");
    }
}

/// A connection that sat idle past `SIJI_DB_PING_IDLE_AFTER_MS` is pinged before use, so that
/// one the database dropped meanwhile (a restart, a proxy's timeout) is replaced without
/// failing a request.
#[tokio::test]
async fn idle_connections_the_database_dropped_fail_no_request() {
    let Some(app) = postgres_app_with_a_small_pool(100).await else {
        return;
    };
    let (token, _) = end_the_pools_server_processes(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for n in 0..12 {
        let res = app.get_as("/api/v1/me", &token).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "request {n} after the connections were lost"
        );
    }
}

/// Fills the pool, then ends every server process behind it but the one asking: an admin's
/// token and how many ended.
async fn end_the_pools_server_processes(app: &crate::helpers::TestApp) -> (String, i64) {
    let token = app.admin_token().await;
    let mut all_at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = app.authed(reqwest::Method::GET, "/api/v1/me", &token);
        all_at_once.spawn(async move { request.send().await.expect("GET").status() });
    }
    for status in all_at_once.join_all().await {
        assert_eq!(status, StatusCode::OK);
    }
    let ended = count(
        &app.db,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await;
    assert!(ended > 0, "the pool held no other connection");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    (token, ended)
}

/// A server on PostgreSQL with a pool of 4 and no job runners (so that only the test uses the
/// pool), or `None` on SQLite. Its pool pings a connection idle for `ping_idle_after_ms`.
async fn postgres_app_with_a_small_pool(
    ping_idle_after_ms: u64,
) -> Option<crate::helpers::TestApp> {
    let app = spawn_app_with(|s| {
        s.database.db_max_connections = 4;
        s.database.db_ping_idle_after_ms = ping_idle_after_ms;
        s.jobs.runners = 0;
    })
    .await;
    (app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres).then_some(app)
}

/// The one number `sql` answers.
async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

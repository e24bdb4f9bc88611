//! Every migration can be rolled back and applied again (`siji migrate down` / `up`), on both
//! databases, leaving nothing behind.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrations_roll_back_completely_and_apply_again() {
    let app = spawn_app().await;
    let tables = || async {
        let backend = app.db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Sqlite => {
                "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            }
            _ => {
                "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            }
        };
        app.db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "t").unwrap())
            .collect::<Vec<_>>()
    };
    let all = Migrator::migrations().len();
    assert!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let before = tables().await;
    assert!(
        before.contains(&"idempotency_keys".to_owned()),
        "{before:?}"
    );

    Migrator::down(&app.db, None).await.unwrap();
    assert_eq!(tables().await, ["seaql_migrations"]);
    assert_eq!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .len(),
        all
    );

    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(tables().await, before);
}

/// The causes migration carries existing archives over: with it rolled back and applied again
/// on a database that holds an archive, the archive is still found by each of its causes and
/// counted under each.
#[tokio::test]
async fn archives_keep_their_causes_across_the_causes_migration() {
    use reqwest::StatusCode;
    use serde_json::json;

    use crate::helpers::{json_body, nth_id_number};

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    let head = app.worker_id(&a, "户主", &nth_id_number(2)).await;
    let archive = json_body(
        app.post_as(
            "/api/v1/beneficiaries",
            &a.operator,
            &json!({
                "org_id": a.org_id, "head_worker_id": head, "household_size": 3,
                "annual_income_fen": 1_000_000, "rigid_expenses_fen": 0,
                "causes": ["illness", "unemployment"],
                "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    Migrator::down(&app.db, Some(1)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();

    for cause in ["illness", "unemployment"] {
        let found = json_body(
            app.get_as(&format!("/api/v1/beneficiaries?cause={cause}"), &a.operator)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["items"][0]["id"], archive["id"], "{cause}: {found}");
    }
    let none = json_body(
        app.get_as("/api/v1/beneficiaries?cause=disability", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "{none}");
    let counts = json_body(
        app.get_as("/api/v1/stats/beneficiaries", &a.operator).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(counts.as_array().unwrap().len(), 2, "{counts}");
}

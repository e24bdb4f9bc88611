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

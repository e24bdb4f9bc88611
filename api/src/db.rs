//! Opening the database: SQLite (the embedded default) or PostgreSQL, chosen by the URL.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // Statements carry personal data in their parameters: never log them.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers work while one writer writes; the busy timeout makes concurrent
            // writers wait for each other instead of failing at once.
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

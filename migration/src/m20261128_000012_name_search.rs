//! Searching enterprises and workers by any part of their name (`q`): on PostgreSQL a trigram
//! index (`pg_trgm`, a trusted extension the database's owner may install) over the lower-cased
//! name, so `lower(name) LIKE '%…%'` is an index scan rather than a read of every row. SQLite
//! has no such index; it reads the county's rows, which at a county's size is quick.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await?;
        for table in ["enterprises", "workers"] {
            db.execute_unprepared(&format!(
                "CREATE INDEX ix_{table}_name_trgm ON {table} USING gin (lower(name) gin_trgm_ops)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in ["enterprises", "workers"] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS ix_{table}_name_trgm"))
                .await?;
        }
        // The extension stays: other schemas of the database may use it.
        Ok(())
    }
}

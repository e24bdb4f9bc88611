//! `change_log_horizon`: how far the change log has been pruned. Changes older than the retention
//! period are deleted from the front of the log; this one row keeps the position of the last one
//! deleted, so a reader whose cursor lies before it is told its cursor has expired (and to
//! resync) instead of silently missing the changes that were pruned. Written in the transaction
//! that deletes them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLogHorizon {
    Table,
    Id,
    Txid,
    Seq,
    PrunedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ChangeLogHorizon as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    // Always 1: there is one log, so one horizon.
                    .col(
                        ColumnDef::new(H::Id)
                            .small_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(H::Txid).big_integer().not_null())
                    .col(ColumnDef::new(H::Seq).big_integer().not_null())
                    .col(
                        ColumnDef::new(H::PrunedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLogHorizon::Table).to_owned())
            .await
    }
}

//! `idempotency_keys`: the first response to a request sent with an `Idempotency-Key`, replayed
//! when the same caller sends the same key again. The primary key (caller, key) is what makes a
//! retried bulk import or payout run once, even when two retries race.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    PrincipalId,
    Key,
    Fingerprint,
    StatusCode,
    ResponseBody,
    CreatedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use IdempotencyKeys as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .col(ColumnDef::new(K::PrincipalId).uuid().not_null())
                    .col(ColumnDef::new(K::Key).string_len(200).not_null())
                    .col(ColumnDef::new(K::Fingerprint).string_len(64).not_null())
                    .col(ColumnDef::new(K::StatusCode).integer().null())
                    .col(ColumnDef::new(K::ResponseBody).text().null())
                    .col(
                        ColumnDef::new(K::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(K::CompletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(Index::create().col(K::PrincipalId).col(K::Key))
                    .to_owned(),
            )
            .await?;
        // Expired keys are purged by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_created_at")
                    .table(K::Table)
                    .col(K::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}

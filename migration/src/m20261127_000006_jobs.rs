//! `jobs`: work that takes longer than a request should (large imports now; bank files, bulk
//! grants and timed transitions later). A job is enqueued in the transaction of the request that
//! causes it, so it exists exactly when that request's other writes do, and it survives a
//! restart: a runner claims it under a lease it keeps renewing, and a job whose runner died is
//! claimed again once its lease has run out.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Status,
    PrincipalId,
    PrincipalKind,
    OrgId,
    Params,
    Payload,
    ProgressDone,
    ProgressTotal,
    Result,
    Error,
    Attempts,
    MaxAttempts,
    RunAfter,
    LeaseUntil,
    Runner,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

/// A replayed `202 Accepted` must carry its `Location` (the job) again.
#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Location,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Jobs as J;
        let at = |c: J| {
            ColumnDef::new(c)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        let at_null = |c: J| {
            ColumnDef::new(c)
                .timestamp_with_time_zone()
                .null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(J::Table)
                    .col(ColumnDef::new(J::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(J::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(J::Status).string_len(16).not_null().check(
                        Expr::col(J::Status).is_in(["queued", "running", "succeeded", "failed"]),
                    ))
                    .col(ColumnDef::new(J::PrincipalId).uuid().not_null())
                    .col(ColumnDef::new(J::PrincipalKind).string_len(16).not_null())
                    .col(ColumnDef::new(J::OrgId).uuid().not_null())
                    .col(ColumnDef::new(J::Params).text().not_null())
                    .col(ColumnDef::new(J::Payload).blob().null())
                    .col(
                        ColumnDef::new(J::ProgressDone)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(J::ProgressTotal).big_integer().null())
                    .col(ColumnDef::new(J::Result).text().null())
                    .col(ColumnDef::new(J::Error).text().null())
                    .col(ColumnDef::new(J::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(J::MaxAttempts).integer().not_null())
                    .col(at(J::RunAfter))
                    .col(at_null(J::LeaseUntil))
                    .col(ColumnDef::new(J::Runner).string_len(100).null())
                    .col(at(J::CreatedAt))
                    .col(at_null(J::StartedAt))
                    .col(at_null(J::FinishedAt))
                    .col(at(J::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // What a runner looks for: queued jobs that are due, running ones whose lease ran out.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_run_after")
                    .table(J::Table)
                    .col(J::Status)
                    .col(J::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_principal")
                    .table(J::Table)
                    .col(J::PrincipalId)
                    .col(J::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotencyKeys::Table)
                    .add_column(ColumnDef::new(IdempotencyKeys::Location).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotencyKeys::Table)
                    .drop_column(IdempotencyKeys::Location)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}

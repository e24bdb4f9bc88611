//! Webhooks (Stripe-like change notifications to a machine client's HTTPS endpoint).
//! `webhooks`: the endpoint, the kinds it wants, its signing secret (encrypted with the data
//! key, so key rotation covers it) and the feed position up to which notifications were made:
//! moved by a conditional update in the transaction that creates the delivery, so two processes
//! never notify the same changes twice. `webhook_deliveries`: one notification (ids and cursor,
//! never personal data) and its state; `webhook_attempts`: each try, for the client to see.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    ClientId,
    Url,
    Kinds,
    SigningSecretEnc,
    Active,
    CursorTxid,
    CursorSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    Status,
    Changes,
    Payload,
    Attempts,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
}

fn at(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WebhookAttempts as A;
        use WebhookDeliveries as D;
        use Webhooks as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(ColumnDef::new(W::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(W::ClientId).uuid().not_null())
                    .col(ColumnDef::new(W::Url).string_len(2000).not_null())
                    .col(ColumnDef::new(W::Kinds).string_len(200).not_null())
                    .col(ColumnDef::new(W::SigningSecretEnc).text().not_null())
                    .col(ColumnDef::new(W::Active).boolean().not_null())
                    .col(ColumnDef::new(W::CursorTxid).big_integer().not_null())
                    .col(ColumnDef::new(W::CursorSeq).big_integer().not_null())
                    .col(at(W::CreatedAt))
                    .col(at(W::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(W::Table, W::ClientId)
                            .to(ApiClients::Table, ApiClients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhooks_client")
                    .table(W::Table)
                    .col(W::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(ColumnDef::new(D::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(D::WebhookId).uuid().not_null())
                    .col(ColumnDef::new(D::Status).string_len(16).not_null())
                    .col(ColumnDef::new(D::Changes).integer().not_null())
                    .col(ColumnDef::new(D::Payload).text().not_null())
                    .col(ColumnDef::new(D::Attempts).integer().not_null())
                    .col(ColumnDef::new(D::LastStatusCode).integer())
                    .col(ColumnDef::new(D::LastError).string_len(500))
                    .col(at(D::CreatedAt))
                    .col(ColumnDef::new(D::DeliveredAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(D::Table, D::WebhookId)
                            .to(W::Table, W::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_webhook")
                    .table(D::Table)
                    .col(D::WebhookId)
                    .col(D::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::DeliveryId).uuid().not_null())
                    .col(at(A::AttemptedAt))
                    .col(ColumnDef::new(A::StatusCode).integer())
                    .col(ColumnDef::new(A::Error).string_len(500))
                    .col(ColumnDef::new(A::DurationMs).integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::DeliveryId)
                            .to(D::Table, D::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_attempts_delivery")
                    .table(A::Table)
                    .col(A::DeliveryId)
                    .col(A::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

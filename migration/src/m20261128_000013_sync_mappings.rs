//! `sync_mappings`: which Siji record each machine client's own id stands for, per kind. A county
//! system pushes its records by its own ids; the mapping is written in the transaction that
//! creates the record, so a push killed half-way and sent again finds what it created instead of
//! creating it twice. `version` is the record's version when the client last wrote it: a later
//! push that does not say which version it read is checked against it, so an edit made in Siji
//! since is never overwritten unseen.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncMappings {
    Table,
    Id,
    ClientId,
    Kind,
    ExternalId,
    RecordId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SyncMappings as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::ClientId).uuid().not_null())
                    .col(ColumnDef::new(M::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(M::ExternalId).string_len(64).not_null())
                    .col(ColumnDef::new(M::RecordId).uuid().not_null())
                    .col(ColumnDef::new(M::Version).integer().not_null())
                    .col(
                        ColumnDef::new(M::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(M::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::ClientId)
                            .to(ApiClients::Table, ApiClients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One record per external id, and one external id per record, for each client and kind.
        for (name, column) in [
            ("ux_sync_mappings_external", M::ExternalId),
            ("ux_sync_mappings_record", M::RecordId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(M::Table)
                        .col(M::ClientId)
                        .col(M::Kind)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncMappings::Table).to_owned())
            .await
    }
}

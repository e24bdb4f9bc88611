//! The organisation tree, accounts (users and machine clients), refresh tokens, login throttling,
//! the audit trail and server-generated secrets.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    ParentId,
    Level,
    Name,
    DivisionCode,
    Uscc,
    Path,
    Depth,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    OrgId,
    Roles,
    PasswordHash,
    Active,
    TokensValidAfter,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    ClientId,
    Name,
    OrgId,
    SecretHash,
    Active,
    TokensValidAfter,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorKind,
    ActorId,
    ActorName,
    OrgId,
    Action,
    Outcome,
    ResourceType,
    ResourceId,
    RequestId,
    ClientIp,
    Changes,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

fn uuid_pk<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        // The materialised path is compared bytewise (subtree = a range of paths); PostgreSQL
        // must not apply a locale collation to it.
        let mut path = ColumnDef::new(Orgs::Path);
        path.string_len(400).not_null().unique_key();
        if postgres {
            path.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Orgs::Table)
                    .col(uuid_pk(Orgs::Id))
                    .col(ColumnDef::new(Orgs::ParentId).uuid().null())
                    .col(ColumnDef::new(Orgs::Level).string_len(16).not_null())
                    .col(ColumnDef::new(Orgs::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Orgs::DivisionCode).string_len(6).not_null())
                    .col(
                        ColumnDef::new(Orgs::Uscc)
                            .string_len(18)
                            .null()
                            .unique_key(),
                    )
                    .col(path)
                    .col(ColumnDef::new(Orgs::Depth).integer().not_null())
                    .col(timestamp(Orgs::CreatedAt))
                    .col(timestamp(Orgs::UpdatedAt))
                    .col(
                        ColumnDef::new(Orgs::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orgs::Table, Orgs::ParentId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_orgs_parent", vec![Orgs::ParentId, Orgs::Id]),
            ("ix_orgs_level", vec![Orgs::Level, Orgs::Id]),
        ] {
            let mut index = Index::create().name(name).table(Orgs::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(Users::Id))
                    .col(
                        ColumnDef::new(Users::Username)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::DisplayName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Users::OrgId).uuid().not_null())
                    .col(ColumnDef::new(Users::Roles).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Users::PasswordHash)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(timestamp(Users::TokensValidAfter))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .col(
                        ColumnDef::new(Users::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_org")
                    .table(Users::Table)
                    .col(Users::OrgId)
                    .col(Users::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiClients::Table)
                    .col(uuid_pk(ApiClients::Id))
                    .col(
                        ColumnDef::new(ApiClients::ClientId)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiClients::Name).string_len(200).not_null())
                    .col(ColumnDef::new(ApiClients::OrgId).uuid().not_null())
                    .col(
                        ColumnDef::new(ApiClients::SecretHash)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApiClients::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(timestamp(ApiClients::TokensValidAfter))
                    .col(timestamp(ApiClients::CreatedAt))
                    .col(timestamp(ApiClients::UpdatedAt))
                    .col(
                        ColumnDef::new(ApiClients::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiClients::Table, ApiClients::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_api_clients_org")
                    .table(ApiClients::Table)
                    .col(ApiClients::OrgId)
                    .col(ApiClients::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(uuid_pk(RefreshTokens::Id))
                    .col(ColumnDef::new(RefreshTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(RefreshTokens::ExpiresAt))
                    .col(timestamp(RefreshTokens::CreatedAt))
                    .col(
                        ColumnDef::new(RefreshTokens::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_user")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Key)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                    .col(timestamp(LoginThrottle::WindowStartedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid_pk(AuditEvents::Id))
                    .col(timestamp(AuditEvents::OccurredAt))
                    .col(
                        ColumnDef::new(AuditEvents::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(AuditEvents::ActorName)
                            .string_len(100)
                            .null(),
                    )
                    .col(ColumnDef::new(AuditEvents::OrgId).uuid().null())
                    .col(
                        ColumnDef::new(AuditEvents::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::Outcome)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ResourceType)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ResourceId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::RequestId)
                            .string_len(128)
                            .null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ClientIp).string_len(64).null())
                    .col(ColumnDef::new(AuditEvents::Changes).text().null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_audit_org", vec![AuditEvents::OrgId, AuditEvents::Id]),
            (
                "ix_audit_actor",
                vec![AuditEvents::ActorId, AuditEvents::Id],
            ),
            (
                "ix_audit_action",
                vec![AuditEvents::Action, AuditEvents::Id],
            ),
            (
                "ix_audit_resource",
                vec![
                    AuditEvents::ResourceType,
                    AuditEvents::ResourceId,
                    AuditEvents::Id,
                ],
            ),
            ("ix_audit_time", vec![AuditEvents::OccurredAt]),
        ] {
            let mut index = Index::create()
                .name(name)
                .table(AuditEvents::Table)
                .to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(
                        ColumnDef::new(ServerSecrets::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServerSecrets::Value).text().not_null())
                    .col(timestamp(ServerSecrets::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServerSecrets::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            ApiClients::Table.into_iden(),
            Users::Table.into_iden(),
            Orgs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

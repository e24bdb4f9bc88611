//! `grants`, `grant_notices` and `grant_objections`: one recipient in one campaign, the public
//! notices (公示) that group grants before approval (each with an unguessable public token), and
//! the objections (异议) received against a grant while its notice runs. One grant per person per campaign is a unique index on the
//! person's key — the blind index of the ID number — so a person registered twice under
//! different records is still one person, whichever request comes first.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    CampaignId,
    OrgId,
    Recipient,
    BeneficiaryId,
    MemberId,
    WorkerId,
    PersonKey,
    Name,
    IdNumberPublic,
    Category,
    Stage,
    School,
    AmountFen,
    Basis,
    AidedElsewhere,
    Status,
    NoticeId,
    SubmittedBy,
    VerifiedBy,
    VerifiedOn,
    VisitFindings,
    ApprovedBy,
    ApprovedAt,
    Reason,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum GrantNotices {
    Table,
    Id,
    CampaignId,
    OrgId,
    Title,
    StartsOn,
    EndsOn,
    Contact,
    PublicToken,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GrantObjections {
    Table,
    Id,
    GrantId,
    OrgId,
    ReceivedOn,
    Channel,
    Content,
    Status,
    Resolution,
    ResolvedBy,
    ResolvedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use GrantNotices as N;
        use Grants as G;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(ColumnDef::new(N::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(N::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(N::OrgId).uuid().not_null())
                    .col(ColumnDef::new(N::Title).string_len(200).not_null())
                    .col(ColumnDef::new(N::StartsOn).date().not_null())
                    .col(ColumnDef::new(N::EndsOn).date().not_null())
                    .col(ColumnDef::new(N::Contact).string_len(200).not_null())
                    .col(
                        ColumnDef::new(N::PublicToken)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(N::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(N::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .check(Expr::col(N::EndsOn).gte(Expr::col(N::StartsOn)))
                    .foreign_key(
                        ForeignKey::create()
                            .from(N::Table, N::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(N::Table, N::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grant_notices_campaign")
                    .table(N::Table)
                    .col(N::CampaignId)
                    .col(N::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .col(ColumnDef::new(G::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(G::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(G::OrgId).uuid().not_null())
                    .col(ColumnDef::new(G::Recipient).string_len(16).not_null())
                    .col(ColumnDef::new(G::BeneficiaryId).uuid())
                    .col(ColumnDef::new(G::MemberId).uuid())
                    .col(ColumnDef::new(G::WorkerId).uuid())
                    .col(ColumnDef::new(G::PersonKey).string_len(128).not_null())
                    .col(ColumnDef::new(G::Name).string_len(100).not_null())
                    .col(ColumnDef::new(G::IdNumberPublic).string_len(32))
                    .col(ColumnDef::new(G::Category).string_len(32))
                    .col(ColumnDef::new(G::Stage).string_len(32))
                    .col(ColumnDef::new(G::School).string_len(200))
                    .col(ColumnDef::new(G::AmountFen).big_integer().not_null())
                    .col(ColumnDef::new(G::Basis).text().not_null())
                    .col(ColumnDef::new(G::AidedElsewhere).boolean().not_null())
                    .col(ColumnDef::new(G::Status).string_len(16).not_null())
                    .col(ColumnDef::new(G::NoticeId).uuid())
                    .col(ColumnDef::new(G::SubmittedBy).uuid().not_null())
                    .col(ColumnDef::new(G::VerifiedBy).uuid())
                    .col(ColumnDef::new(G::VerifiedOn).date())
                    .col(ColumnDef::new(G::VisitFindings).text())
                    .col(ColumnDef::new(G::ApprovedBy).uuid())
                    .col(ColumnDef::new(G::ApprovedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(G::Reason).text())
                    .col(
                        ColumnDef::new(G::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(G::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(G::Version).integer().not_null())
                    .check(Expr::col(G::AmountFen).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::NoticeId)
                            .to(N::Table, N::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One grant per person per campaign: the database decides between two requests.
        manager
            .create_index(
                Index::create()
                    .name("ux_grants_campaign_person")
                    .table(G::Table)
                    .col(G::CampaignId)
                    .col(G::PersonKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The list's filters, the double-funding lookup by person, and a notice's grants.
        for (name, columns) in [
            (
                "ix_grants_campaign_status",
                vec![G::CampaignId, G::Status, G::Id],
            ),
            ("ix_grants_org", vec![G::OrgId, G::Id]),
            ("ix_grants_person", vec![G::PersonKey]),
            ("ix_grants_notice", vec![G::NoticeId, G::Id]),
        ] {
            let mut index = Index::create().name(name).table(G::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        use GrantObjections as O;
        manager
            .create_table(
                Table::create()
                    .table(O::Table)
                    .col(ColumnDef::new(O::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(O::GrantId).uuid().not_null())
                    .col(ColumnDef::new(O::OrgId).uuid().not_null())
                    .col(ColumnDef::new(O::ReceivedOn).date().not_null())
                    .col(ColumnDef::new(O::Channel).string_len(16).not_null())
                    .col(ColumnDef::new(O::Content).text().not_null())
                    .col(ColumnDef::new(O::Status).string_len(16).not_null())
                    .col(ColumnDef::new(O::Resolution).text())
                    .col(ColumnDef::new(O::ResolvedBy).uuid())
                    .col(ColumnDef::new(O::ResolvedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(O::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(O::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(O::Table, O::GrantId)
                            .to(G::Table, G::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // "Has this grant an open objection?" before every approval.
        manager
            .create_index(
                Index::create()
                    .name("ix_grant_objections_grant")
                    .table(O::Table)
                    .col(O::GrantId)
                    .col(O::Status)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GrantObjections::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Grants::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(GrantNotices::Table).to_owned())
            .await
    }
}

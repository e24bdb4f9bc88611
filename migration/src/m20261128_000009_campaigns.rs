//! `campaigns` and `campaign_fund_sources`: the "Four Seasons" aid campaigns (四季服务) and the
//! named sources of their money. A campaign's budget is the sum of its sources, derived, never
//! stored twice; each source is a row so that every later movement of money can name the
//! source it came from (fiscal special funds are reported apart).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrgId,
    Kind,
    Year,
    Title,
    ApplicationsFrom,
    ApplicationsUntil,
    NoticeDays,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CampaignFundSources {
    Table,
    Id,
    CampaignId,
    Position,
    Source,
    Name,
    AmountFen,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CampaignFundSources as S;
        use Campaigns as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::OrgId).uuid().not_null())
                    .col(ColumnDef::new(C::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(C::Year).integer().not_null())
                    .col(ColumnDef::new(C::Title).string_len(200).not_null())
                    .col(ColumnDef::new(C::ApplicationsFrom).date())
                    .col(ColumnDef::new(C::ApplicationsUntil).date())
                    .col(ColumnDef::new(C::NoticeDays).integer().not_null())
                    .col(ColumnDef::new(C::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(C::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(C::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(C::Version).integer().not_null())
                    .check(Expr::col(C::NoticeDays).gte(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The list's filters: by organisation (and the scope's subtree), by kind and year, by
        // status.
        for (name, columns) in [
            ("ix_campaigns_org", vec![C::OrgId, C::Id]),
            ("ix_campaigns_kind_year", vec![C::Kind, C::Year, C::Id]),
            ("ix_campaigns_year", vec![C::Year, C::Id]),
            ("ix_campaigns_status", vec![C::Status, C::Id]),
        ] {
            let mut index = Index::create().name(name).table(C::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(S::Position).integer().not_null())
                    .col(ColumnDef::new(S::Source).string_len(32).not_null())
                    .col(ColumnDef::new(S::Name).string_len(200))
                    .col(ColumnDef::new(S::AmountFen).big_integer().not_null())
                    .check(Expr::col(S::AmountFen).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(S::Table, S::CampaignId)
                            .to(C::Table, C::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_campaign_fund_sources_position")
                    .table(S::Table)
                    .col(S::CampaignId)
                    .col(S::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CampaignFundSources::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await
    }
}

//! `campaigns` and `campaign_fund_sources`: the "Four Seasons" aid campaigns (四季服务) and the
//! named sources of their money. A campaign's budget is the sum of its sources, derived, never
//! stored twice; each source is a row so that every later movement of money can name the
//! source it came from (fiscal special funds are reported apart).
//!
//! `campaign_ledger` is the append-only record of every movement of a campaign's money and
//! quota (funding at opening, allocations down the tree, later commitments, releases, payments
//! and returns): a trigger refuses any UPDATE or DELETE of it, on both databases.
//! `campaign_balances` and `campaign_quotas` hold what each organisation has available, changed
//! only in the unit of work that appends the ledger rows, by conditional UPDATEs, and guarded by
//! `CHECK (available >= 0)`: two requests racing for the last yuan cannot both take it. They are
//! derived data; the balance check recomputes them from the ledger.

use sea_orm::{ConnectionTrait, DatabaseBackend};
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
    Quota,
    Rule,
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
enum CampaignBalances {
    Table,
    CampaignId,
    OrgId,
    FundSourceId,
    ReceivedFen,
    AvailableFen,
}

#[derive(DeriveIden)]
enum CampaignQuotas {
    Table,
    CampaignId,
    OrgId,
    Received,
    Available,
}

#[derive(DeriveIden)]
enum CampaignAllocations {
    Table,
    Id,
    CampaignId,
    FromOrgId,
    ToOrgId,
    Quota,
    AmountFen,
    ActorId,
    ActorName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignLedger {
    Table,
    Id,
    CampaignId,
    OrgId,
    FundSourceId,
    Kind,
    AmountFen,
    Quota,
    AllocationId,
    GrantId,
    CounterpartyOrgId,
    ActorId,
    ActorName,
    CreatedAt,
}

const APPEND_ONLY_POSTGRES: &str = "
CREATE FUNCTION campaign_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'campaign_ledger is append-only';
END $$;
CREATE TRIGGER campaign_ledger_append_only BEFORE UPDATE OR DELETE ON campaign_ledger
    FOR EACH ROW EXECUTE FUNCTION campaign_ledger_append_only();
";

const APPEND_ONLY_SQLITE: [&str; 2] = [
    "CREATE TRIGGER campaign_ledger_no_update BEFORE UPDATE ON campaign_ledger
     BEGIN SELECT RAISE(ABORT, 'campaign_ledger is append-only'); END",
    "CREATE TRIGGER campaign_ledger_no_delete BEFORE DELETE ON campaign_ledger
     BEGIN SELECT RAISE(ABORT, 'campaign_ledger is append-only'); END",
];

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
                    .col(ColumnDef::new(C::Quota).integer())
                    .col(ColumnDef::new(C::Rule).text())
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
                    .check(Expr::col(C::Quota).gte(0))
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
        money_tables(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CampaignLedger::Table.into_iden(),
            CampaignAllocations::Table.into_iden(),
            CampaignQuotas::Table.into_iden(),
            CampaignBalances::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION campaign_ledger_append_only()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(CampaignFundSources::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await
    }
}

async fn money_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use CampaignAllocations as A;
    use CampaignBalances as B;
    use CampaignLedger as L;
    use CampaignQuotas as Q;
    manager
        .create_table(
            Table::create()
                .table(B::Table)
                .col(ColumnDef::new(B::CampaignId).uuid().not_null())
                .col(ColumnDef::new(B::OrgId).uuid().not_null())
                .col(ColumnDef::new(B::FundSourceId).uuid().not_null())
                .col(ColumnDef::new(B::ReceivedFen).big_integer().not_null())
                .col(ColumnDef::new(B::AvailableFen).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(B::CampaignId)
                        .col(B::OrgId)
                        .col(B::FundSourceId),
                )
                .check(Expr::col(B::AvailableFen).gte(0))
                .check(Expr::col(B::ReceivedFen).gte(Expr::col(B::AvailableFen)))
                .foreign_key(
                    ForeignKey::create()
                        .from(B::Table, B::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(B::Table, B::FundSourceId)
                        .to(CampaignFundSources::Table, CampaignFundSources::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(Q::Table)
                .col(ColumnDef::new(Q::CampaignId).uuid().not_null())
                .col(ColumnDef::new(Q::OrgId).uuid().not_null())
                .col(ColumnDef::new(Q::Received).integer().not_null())
                .col(ColumnDef::new(Q::Available).integer().not_null())
                .primary_key(Index::create().col(Q::CampaignId).col(Q::OrgId))
                .check(Expr::col(Q::Available).gte(0))
                .check(Expr::col(Q::Received).gte(Expr::col(Q::Available)))
                .foreign_key(
                    ForeignKey::create()
                        .from(Q::Table, Q::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id),
                )
                .to_owned(),
        )
        .await?;
    // "Campaigns my subtree takes part in" starts from the organisation.
    manager
        .create_index(
            Index::create()
                .name("ix_campaign_quotas_org")
                .table(Q::Table)
                .col(Q::OrgId)
                .col(Q::CampaignId)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(A::Table)
                .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(A::CampaignId).uuid().not_null())
                .col(ColumnDef::new(A::FromOrgId).uuid().not_null())
                .col(ColumnDef::new(A::ToOrgId).uuid().not_null())
                .col(ColumnDef::new(A::Quota).integer().not_null())
                .col(ColumnDef::new(A::AmountFen).big_integer().not_null())
                .col(ColumnDef::new(A::ActorId).uuid())
                .col(ColumnDef::new(A::ActorName).string_len(200))
                .col(
                    ColumnDef::new(A::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(A::Table, A::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_campaign_allocations_campaign")
                .table(A::Table)
                .col(A::CampaignId)
                .col(A::Id)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(L::Table)
                .col(ColumnDef::new(L::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(L::CampaignId).uuid().not_null())
                .col(ColumnDef::new(L::OrgId).uuid().not_null())
                .col(ColumnDef::new(L::FundSourceId).uuid())
                .col(ColumnDef::new(L::Kind).string_len(16).not_null())
                .col(ColumnDef::new(L::AmountFen).big_integer().not_null())
                .col(ColumnDef::new(L::Quota).integer().not_null())
                .col(ColumnDef::new(L::AllocationId).uuid())
                // The grant a commitment or release concerns (the grants table comes next).
                .col(ColumnDef::new(L::GrantId).uuid())
                .col(ColumnDef::new(L::CounterpartyOrgId).uuid())
                .col(ColumnDef::new(L::ActorId).uuid())
                .col(ColumnDef::new(L::ActorName).string_len(200))
                .col(
                    ColumnDef::new(L::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(L::Table, L::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(L::Table, L::FundSourceId)
                        .to(CampaignFundSources::Table, CampaignFundSources::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(L::Table, L::AllocationId)
                        .to(A::Table, A::Id),
                )
                .to_owned(),
        )
        .await?;
    // The ledger of a campaign, and of one organisation in it, in order.
    for (name, columns) in [
        ("ix_campaign_ledger_campaign", vec![L::CampaignId, L::Id]),
        (
            "ix_campaign_ledger_org",
            vec![L::CampaignId, L::OrgId, L::Id],
        ),
        ("ix_campaign_ledger_grant", vec![L::GrantId, L::Id]),
    ] {
        let mut index = Index::create().name(name).table(L::Table).to_owned();
        for column in columns {
            index.col(column);
        }
        manager.create_index(index).await?;
    }
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(APPEND_ONLY_POSTGRES).await?;
        }
        _ => {
            for statement in APPEND_ONLY_SQLITE {
                db.execute_unprepared(statement).await?;
            }
        }
    }
    Ok(())
}

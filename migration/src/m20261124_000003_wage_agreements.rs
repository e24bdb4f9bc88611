//! Collective wage agreements (工资集体协商/集体合同): the agreements, the enterprises each covers
//! (one for a single-enterprise agreement, many for an industry-wide or regional one), the
//! negotiation rounds, and the statutory minimum wage each county keeps.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WageAgreements {
    Table,
    Id,
    OrgId,
    Title,
    Scope,
    Mode,
    TextType,
    Industry,
    Status,
    SignedOn,
    EffectiveFrom,
    EffectiveTo,
    WageRiseBp,
    MinimumWageFen,
    WorkersCovered,
    FiledOn,
    FilingNumber,
    TerminatedOn,
    TerminationReason,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum WageAgreementEnterprises {
    Table,
    AgreementId,
    EnterpriseId,
}

#[derive(DeriveIden)]
enum NegotiationRounds {
    Table,
    Id,
    AgreementId,
    HeldOn,
    Parties,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MinimumWages {
    Table,
    Id,
    OrgId,
    EffectiveFrom,
    MonthlyFen,
    CreatedAt,
}

fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WageAgreements as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::OrgId).uuid().not_null())
                    .col(ColumnDef::new(A::Title).string_len(200).not_null())
                    .col(ColumnDef::new(A::Scope).string_len(16).not_null())
                    .col(ColumnDef::new(A::Mode).string_len(32).not_null())
                    .col(ColumnDef::new(A::TextType).string_len(32).not_null())
                    .col(ColumnDef::new(A::Industry).string_len(8).null())
                    .col(ColumnDef::new(A::Status).string_len(16).not_null())
                    .col(ColumnDef::new(A::SignedOn).date().null())
                    .col(ColumnDef::new(A::EffectiveFrom).date().null())
                    .col(ColumnDef::new(A::EffectiveTo).date().null())
                    .col(ColumnDef::new(A::WageRiseBp).integer().null())
                    .col(ColumnDef::new(A::MinimumWageFen).big_integer().null())
                    .col(ColumnDef::new(A::WorkersCovered).integer().null())
                    .col(ColumnDef::new(A::FiledOn).date().null())
                    .col(ColumnDef::new(A::FilingNumber).string_len(64).null())
                    .col(ColumnDef::new(A::TerminatedOn).date().null())
                    .col(ColumnDef::new(A::TerminationReason).string_len(500).null())
                    .col(ts(A::CreatedAt))
                    .col(ts(A::UpdatedAt))
                    .col(ColumnDef::new(A::Version).integer().not_null().default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_wage_agreements_org", vec![A::OrgId, A::Id]),
            ("ix_wage_agreements_status", vec![A::Status, A::Id]),
            ("ix_wage_agreements_mode", vec![A::Mode, A::Id]),
            ("ix_wage_agreements_text_type", vec![A::TextType, A::Id]),
            (
                "ix_wage_agreements_effective_to",
                vec![A::EffectiveTo, A::Id],
            ),
        ] {
            let mut index = Index::create().name(name).table(A::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        use WageAgreementEnterprises as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(ColumnDef::new(W::AgreementId).uuid().not_null())
                    .col(ColumnDef::new(W::EnterpriseId).uuid().not_null())
                    .primary_key(Index::create().col(W::AgreementId).col(W::EnterpriseId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(W::Table, W::AgreementId)
                            .to(A::Table, A::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(W::Table, W::EnterpriseId)
                            .to(Enterprises::Table, Enterprises::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Coverage looks agreements up by enterprise.
        manager
            .create_index(
                Index::create()
                    .name("ix_wage_agreement_enterprises_enterprise")
                    .table(W::Table)
                    .col(W::EnterpriseId)
                    .col(W::AgreementId)
                    .to_owned(),
            )
            .await?;

        use NegotiationRounds as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::AgreementId).uuid().not_null())
                    .col(ColumnDef::new(R::HeldOn).date().not_null())
                    .col(ColumnDef::new(R::Parties).string_len(500).not_null())
                    .col(ColumnDef::new(R::Outcome).string_len(1000).not_null())
                    .col(ts(R::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::AgreementId)
                            .to(A::Table, A::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_negotiation_rounds_agreement")
                    .table(R::Table)
                    .col(R::AgreementId)
                    .col(R::HeldOn)
                    .to_owned(),
            )
            .await?;

        use MinimumWages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::OrgId).uuid().not_null())
                    .col(ColumnDef::new(M::EffectiveFrom).date().not_null())
                    .col(ColumnDef::new(M::MonthlyFen).big_integer().not_null())
                    .col(ts(M::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One standard per county per start date.
        manager
            .create_index(
                Index::create()
                    .name("ux_minimum_wages_org_from")
                    .table(M::Table)
                    .col(M::OrgId)
                    .col(M::EffectiveFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MinimumWages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NegotiationRounds::Table).to_owned())
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(WageAgreementEnterprises::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(WageAgreements::Table).to_owned())
            .await?;
        Ok(())
    }
}

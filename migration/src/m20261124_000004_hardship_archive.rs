//! The hardship archive (困难职工档案): one archive per household, its members, the visits that
//! created, verified and followed it, and the county minimum living standards (低保标准) that
//! eligibility is measured against.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Workers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LivingStandards {
    Table,
    Id,
    OrgId,
    Year,
    MonthlyFen,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Beneficiaries {
    Table,
    Id,
    OrgId,
    HeadWorkerId,
    /// The head worker while the archive is live (temporary or formal), else NULL: a unique
    /// index on it keeps one live archive per worker, portably (NULLs never collide).
    LiveHeadWorkerId,
    Status,
    Category,
    ComputedCategory,
    EligibilityRule,
    OverrideReason,
    Causes,
    Needs,
    HouseholdSize,
    AnnualIncomeFen,
    RigidExpensesFen,
    AccidentCostsFen,
    PerCapitaMonthlyFen,
    MigrantWorker,
    EmploymentStartedOn,
    LongTermAssistance,
    CreatedBy,
    LastVerifiedOn,
    ReverifyDueOn,
    ClosedReason,
    ClosedNote,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum HouseholdMembers {
    Table,
    Id,
    BeneficiaryId,
    Name,
    Relation,
    IdNumberEnc,
    IdNumberIdx,
    IdNumberMasked,
    BirthDate,
    Health,
    EmploymentStatus,
    School,
    Stage,
    Grade,
    AdmissionYear,
}

#[derive(DeriveIden)]
enum BeneficiaryVisits {
    Table,
    Id,
    BeneficiaryId,
    Kind,
    VisitedOn,
    VisitorId,
    VisitorName,
    Channel,
    Findings,
    Result,
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
        use LivingStandards as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(ColumnDef::new(L::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(L::OrgId).uuid().not_null())
                    .col(ColumnDef::new(L::Year).integer().not_null())
                    .col(ColumnDef::new(L::MonthlyFen).big_integer().not_null())
                    .col(ts(L::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(L::Table, L::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_living_standards_org_year")
                    .table(L::Table)
                    .col(L::OrgId)
                    .col(L::Year)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use Beneficiaries as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .col(ColumnDef::new(B::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(B::OrgId).uuid().not_null())
                    .col(ColumnDef::new(B::HeadWorkerId).uuid().not_null())
                    .col(
                        ColumnDef::new(B::LiveHeadWorkerId)
                            .uuid()
                            .null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(B::Status).string_len(16).not_null())
                    .col(ColumnDef::new(B::Category).string_len(16).not_null())
                    .col(
                        ColumnDef::new(B::ComputedCategory)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(B::EligibilityRule)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(ColumnDef::new(B::OverrideReason).string_len(500).null())
                    .col(ColumnDef::new(B::Causes).string_len(200).not_null())
                    .col(ColumnDef::new(B::Needs).string_len(1000).null())
                    .col(ColumnDef::new(B::HouseholdSize).integer().not_null())
                    .col(ColumnDef::new(B::AnnualIncomeFen).big_integer().not_null())
                    .col(ColumnDef::new(B::RigidExpensesFen).big_integer().not_null())
                    .col(ColumnDef::new(B::AccidentCostsFen).big_integer().not_null())
                    .col(
                        ColumnDef::new(B::PerCapitaMonthlyFen)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(B::MigrantWorker).boolean().not_null())
                    .col(ColumnDef::new(B::EmploymentStartedOn).date().null())
                    .col(ColumnDef::new(B::LongTermAssistance).boolean().not_null())
                    .col(ColumnDef::new(B::CreatedBy).uuid().not_null())
                    .col(ColumnDef::new(B::LastVerifiedOn).date().null())
                    .col(ColumnDef::new(B::ReverifyDueOn).date().null())
                    .col(ColumnDef::new(B::ClosedReason).string_len(32).null())
                    .col(ColumnDef::new(B::ClosedNote).string_len(500).null())
                    .col(ts(B::CreatedAt))
                    .col(ts(B::UpdatedAt))
                    .col(ColumnDef::new(B::Version).integer().not_null().default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(B::Table, B::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(B::Table, B::HeadWorkerId)
                            .to(Workers::Table, Workers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_beneficiaries_org", vec![B::OrgId, B::Id]),
            ("ix_beneficiaries_head", vec![B::HeadWorkerId]),
            ("ix_beneficiaries_status", vec![B::Status, B::Id]),
            ("ix_beneficiaries_category", vec![B::Category, B::Id]),
            ("ix_beneficiaries_reverify", vec![B::ReverifyDueOn, B::Id]),
            ("ix_beneficiaries_updated", vec![B::UpdatedAt, B::Id]),
            ("ix_beneficiaries_created", vec![B::CreatedAt, B::Id]),
            ("ix_beneficiaries_migrant", vec![B::MigrantWorker, B::Id]),
        ] {
            let mut index = Index::create().name(name).table(B::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        use HouseholdMembers as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::BeneficiaryId).uuid().not_null())
                    .col(ColumnDef::new(M::Name).string_len(50).not_null())
                    .col(ColumnDef::new(M::Relation).string_len(16).not_null())
                    .col(ColumnDef::new(M::IdNumberEnc).text().null())
                    .col(ColumnDef::new(M::IdNumberIdx).string_len(64).null())
                    .col(ColumnDef::new(M::IdNumberMasked).string_len(18).null())
                    .col(ColumnDef::new(M::BirthDate).date().null())
                    .col(ColumnDef::new(M::Health).string_len(16).not_null())
                    .col(ColumnDef::new(M::EmploymentStatus).string_len(32).null())
                    .col(ColumnDef::new(M::School).string_len(200).null())
                    .col(ColumnDef::new(M::Stage).string_len(32).null())
                    .col(ColumnDef::new(M::Grade).integer().null())
                    .col(ColumnDef::new(M::AdmissionYear).integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::BeneficiaryId)
                            .to(B::Table, B::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_household_members_beneficiary", vec![M::BeneficiaryId]),
            ("ix_household_members_id_number", vec![M::IdNumberIdx]),
            (
                "ix_household_members_admission",
                vec![M::Stage, M::AdmissionYear, M::BeneficiaryId],
            ),
        ] {
            let mut index = Index::create().name(name).table(M::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        use BeneficiaryVisits as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(ColumnDef::new(V::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(V::BeneficiaryId).uuid().not_null())
                    .col(ColumnDef::new(V::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(V::VisitedOn).date().not_null())
                    .col(ColumnDef::new(V::VisitorId).uuid().not_null())
                    .col(ColumnDef::new(V::VisitorName).string_len(100).not_null())
                    .col(ColumnDef::new(V::Channel).string_len(16).null())
                    .col(ColumnDef::new(V::Findings).string_len(2000).not_null())
                    .col(ColumnDef::new(V::Result).string_len(32).null())
                    .col(ts(V::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(V::Table, V::BeneficiaryId)
                            .to(B::Table, B::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_beneficiary_visits")
                    .table(V::Table)
                    .col(V::BeneficiaryId)
                    .col(V::VisitedOn)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BeneficiaryVisits::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(HouseholdMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Beneficiaries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LivingStandards::Table).to_owned())
            .await?;
        Ok(())
    }
}

//! `bank_cards`, `payout_batches` and `payouts`: where aid money goes (以银行卡的形式发放) and the
//! proof that it went once.
//!
//! A payee has at most one active card — a partial unique index on the person's key where the
//! card is `active` — and a replaced card stays as history. A grant has at most one payout that
//! is still live (not `failed`, `returned` or `cancelled`): another partial unique index, so
//! that two batches built at once, by two processes, cannot both take the same grant. Amounts
//! are positive fen, checked by the database. The ledger gains the payout a `pay` or `return`
//! row belongs to.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BankCards {
    Table,
    Id,
    OrgId,
    PayeeKind,
    WorkerId,
    MemberId,
    PersonKey,
    HolderName,
    BankCode,
    BankName,
    BankCardEnc,
    BankCardIdx,
    BankCardMasked,
    LuhnOverride,
    Status,
    ReplacedBy,
    ReplacedReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PayoutBatches {
    Table,
    Id,
    CampaignId,
    OrgId,
    FollowUpOf,
    Status,
    PayoutCount,
    TotalFen,
    BuiltBy,
    ApprovedBy,
    ApprovedAt,
    ExportedBy,
    ExportedAt,
    Reason,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Payouts {
    Table,
    Id,
    BatchId,
    CampaignId,
    GrantId,
    OrgId,
    CardId,
    HolderName,
    BankCode,
    BankName,
    BankCardEnc,
    BankCardMasked,
    AmountFen,
    Reference,
    Status,
    Reason,
    RetryOf,
    SettledBy,
    SettledAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PayoutFiles {
    Table,
    Id,
    BatchId,
    OrgId,
    Layout,
    Part,
    Name,
    Rows,
    TotalFen,
    Sha256,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayoutResults {
    Table,
    Id,
    BatchId,
    OrgId,
    Sha256,
    Lines,
    Report,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayoutChecks {
    Table,
    Id,
    CampaignId,
    PayoutId,
    GrantId,
    OrgId,
    CountyId,
    Status,
    Method,
    ContactedOn,
    Note,
    SampledBy,
    RecordedBy,
    RecordedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum BankLayouts {
    Table,
    Name,
    Definition,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignLedger {
    Table,
    PayoutId,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

fn timestamps(table: &mut TableCreateStatement, created: impl IntoIden, updated: impl IntoIden) {
    table
        .col(
            ColumnDef::new(created)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(updated)
                .timestamp_with_time_zone()
                .not_null(),
        );
}

async fn indexes(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    list: Vec<(&str, Vec<DynIden>)>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for (name, columns) in list {
        let mut index = Index::create().name(name).table(table.clone()).to_owned();
        for column in columns {
            index.col(column);
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

/// The partial unique indexes, in the one syntax PostgreSQL and SQLite share (sea-query has no
/// builder for a partial index).
const PARTIAL_INDEXES: [&str; 2] = [
    "CREATE UNIQUE INDEX ux_bank_cards_active_person ON bank_cards (person_key) \
     WHERE status = 'active'",
    "CREATE UNIQUE INDEX ux_payouts_live_grant ON payouts (grant_id) \
     WHERE status NOT IN ('failed', 'returned', 'cancelled')",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BankCards as K;
        let mut cards = Table::create()
            .table(K::Table)
            .col(ColumnDef::new(K::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(K::OrgId).uuid().not_null())
            .col(ColumnDef::new(K::PayeeKind).string_len(16).not_null())
            .col(ColumnDef::new(K::WorkerId).uuid())
            .col(ColumnDef::new(K::MemberId).uuid())
            .col(ColumnDef::new(K::PersonKey).string_len(128).not_null())
            .col(ColumnDef::new(K::HolderName).string_len(100).not_null())
            .col(ColumnDef::new(K::BankCode).string_len(3).not_null())
            .col(ColumnDef::new(K::BankName).string_len(100).not_null())
            .col(ColumnDef::new(K::BankCardEnc).text().not_null())
            .col(ColumnDef::new(K::BankCardIdx).string_len(128).not_null())
            .col(ColumnDef::new(K::BankCardMasked).string_len(32).not_null())
            .col(ColumnDef::new(K::LuhnOverride).text())
            .col(ColumnDef::new(K::Status).string_len(16).not_null())
            .col(ColumnDef::new(K::ReplacedBy).uuid())
            .col(ColumnDef::new(K::ReplacedReason).text())
            .col(ColumnDef::new(K::CreatedBy).uuid().not_null())
            .col(ColumnDef::new(K::Version).integer().not_null())
            .foreign_key(
                ForeignKey::create()
                    .from(K::Table, K::OrgId)
                    .to(Orgs::Table, Orgs::Id),
            )
            .to_owned();
        timestamps(&mut cards, K::CreatedAt, K::UpdatedAt);
        manager.create_table(cards).await?;
        indexes(
            manager,
            K::Table,
            vec![
                (
                    "ix_bank_cards_org",
                    vec![K::OrgId.into_iden(), K::Id.into_iden()],
                ),
                (
                    "ix_bank_cards_person",
                    vec![K::PersonKey.into_iden(), K::Id.into_iden()],
                ),
                // The shared-card signal: one number on two payees.
                (
                    "ix_bank_cards_number",
                    vec![K::BankCardIdx.into_iden(), K::PersonKey.into_iden()],
                ),
            ],
        )
        .await?;

        use PayoutBatches as B;
        let mut batches = Table::create()
            .table(B::Table)
            .col(ColumnDef::new(B::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(B::CampaignId).uuid().not_null())
            .col(ColumnDef::new(B::OrgId).uuid().not_null())
            .col(ColumnDef::new(B::FollowUpOf).uuid())
            .col(ColumnDef::new(B::Status).string_len(16).not_null())
            .col(ColumnDef::new(B::PayoutCount).integer().not_null())
            .col(ColumnDef::new(B::TotalFen).big_integer().not_null())
            .col(ColumnDef::new(B::BuiltBy).uuid().not_null())
            .col(ColumnDef::new(B::ApprovedBy).uuid())
            .col(ColumnDef::new(B::ApprovedAt).timestamp_with_time_zone())
            .col(ColumnDef::new(B::ExportedBy).uuid())
            .col(ColumnDef::new(B::ExportedAt).timestamp_with_time_zone())
            .col(ColumnDef::new(B::Reason).text())
            .col(ColumnDef::new(B::Version).integer().not_null())
            .check(Expr::col(B::PayoutCount).gt(0))
            .check(Expr::col(B::TotalFen).gt(0))
            .foreign_key(
                ForeignKey::create()
                    .from(B::Table, B::CampaignId)
                    .to(Campaigns::Table, Campaigns::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(B::Table, B::OrgId)
                    .to(Orgs::Table, Orgs::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(B::Table, B::FollowUpOf)
                    .to(B::Table, B::Id),
            )
            .to_owned();
        timestamps(&mut batches, B::CreatedAt, B::UpdatedAt);
        manager.create_table(batches).await?;
        indexes(
            manager,
            B::Table,
            vec![
                (
                    "ix_payout_batches_campaign",
                    vec![B::CampaignId.into_iden(), B::Id.into_iden()],
                ),
                (
                    "ix_payout_batches_org",
                    vec![B::OrgId.into_iden(), B::Id.into_iden()],
                ),
            ],
        )
        .await?;

        use Payouts as P;
        let mut payouts = Table::create()
            .table(P::Table)
            .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(P::BatchId).uuid().not_null())
            .col(ColumnDef::new(P::CampaignId).uuid().not_null())
            .col(ColumnDef::new(P::GrantId).uuid().not_null())
            .col(ColumnDef::new(P::OrgId).uuid().not_null())
            .col(ColumnDef::new(P::CardId).uuid().not_null())
            .col(ColumnDef::new(P::HolderName).string_len(100).not_null())
            .col(ColumnDef::new(P::BankCode).string_len(3).not_null())
            .col(ColumnDef::new(P::BankName).string_len(100).not_null())
            .col(ColumnDef::new(P::BankCardEnc).text().not_null())
            .col(ColumnDef::new(P::BankCardMasked).string_len(32).not_null())
            .col(ColumnDef::new(P::AmountFen).big_integer().not_null())
            .col(
                ColumnDef::new(P::Reference)
                    .string_len(20)
                    .not_null()
                    .unique_key(),
            )
            .col(ColumnDef::new(P::Status).string_len(16).not_null())
            .col(ColumnDef::new(P::Reason).text())
            .col(ColumnDef::new(P::RetryOf).uuid())
            .col(ColumnDef::new(P::SettledBy).uuid())
            .col(ColumnDef::new(P::SettledAt).timestamp_with_time_zone())
            .col(ColumnDef::new(P::Version).integer().not_null())
            .check(Expr::col(P::AmountFen).gt(0))
            .check(Expr::cust("length(reference) <= 20"))
            .foreign_key(
                ForeignKey::create()
                    .from(P::Table, P::BatchId)
                    .to(B::Table, B::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(P::Table, P::CampaignId)
                    .to(Campaigns::Table, Campaigns::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(P::Table, P::GrantId)
                    .to(Grants::Table, Grants::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(P::Table, P::CardId)
                    .to(K::Table, K::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(P::Table, P::RetryOf)
                    .to(P::Table, P::Id),
            )
            .to_owned();
        timestamps(&mut payouts, P::CreatedAt, P::UpdatedAt);
        manager.create_table(payouts).await?;
        indexes(
            manager,
            P::Table,
            vec![
                (
                    "ix_payouts_batch",
                    vec![P::BatchId.into_iden(), P::Id.into_iden()],
                ),
                (
                    "ix_payouts_grant",
                    vec![P::GrantId.into_iden(), P::Id.into_iden()],
                ),
                (
                    "ix_payouts_org",
                    vec![P::OrgId.into_iden(), P::Id.into_iden()],
                ),
                (
                    "ix_payouts_campaign_status",
                    vec![
                        P::CampaignId.into_iden(),
                        P::Status.into_iden(),
                        P::Id.into_iden(),
                    ],
                ),
            ],
        )
        .await?;
        // A bank file is kept as its SHA-256, count and total only: its bytes are rendered again
        // from the payouts when downloaded and must hash the same.
        use PayoutFiles as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .col(ColumnDef::new(F::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(F::BatchId).uuid().not_null())
                    .col(ColumnDef::new(F::OrgId).uuid().not_null())
                    .col(ColumnDef::new(F::Layout).string_len(64).not_null())
                    .col(ColumnDef::new(F::Part).integer().not_null())
                    .col(ColumnDef::new(F::Name).string_len(200).not_null())
                    .col(ColumnDef::new(F::Rows).integer().not_null())
                    .col(ColumnDef::new(F::TotalFen).big_integer().not_null())
                    .col(ColumnDef::new(F::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(F::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(F::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .check(Expr::col(F::Rows).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(F::Table, F::BatchId)
                            .to(B::Table, B::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_payout_files_part")
                    .table(F::Table)
                    .col(F::BatchId)
                    .col(F::Layout)
                    .col(F::Part)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A result file applied to a batch, by its SHA-256: the same file again changes nothing.
        use PayoutResults as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::BatchId).uuid().not_null())
                    .col(ColumnDef::new(R::OrgId).uuid().not_null())
                    .col(ColumnDef::new(R::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(R::Lines).integer().not_null())
                    .col(ColumnDef::new(R::Report).text().not_null())
                    .col(ColumnDef::new(R::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(R::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::BatchId)
                            .to(B::Table, B::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_payout_results_file")
                    .table(R::Table)
                    .col(R::BatchId)
                    .col(R::Sha256)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Post-payment verification (回访): a paid payout sampled once, and what the contact found.
        use PayoutChecks as V;
        let mut checks = Table::create()
            .table(V::Table)
            .col(ColumnDef::new(V::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(V::CampaignId).uuid().not_null())
            .col(ColumnDef::new(V::PayoutId).uuid().not_null().unique_key())
            .col(ColumnDef::new(V::GrantId).uuid().not_null())
            .col(ColumnDef::new(V::OrgId).uuid().not_null())
            .col(ColumnDef::new(V::CountyId).uuid().not_null())
            .col(ColumnDef::new(V::Status).string_len(24).not_null())
            .col(ColumnDef::new(V::Method).string_len(16))
            .col(ColumnDef::new(V::ContactedOn).date())
            .col(ColumnDef::new(V::Note).text())
            .col(ColumnDef::new(V::SampledBy).uuid().not_null())
            .col(ColumnDef::new(V::RecordedBy).uuid())
            .col(ColumnDef::new(V::RecordedAt).timestamp_with_time_zone())
            .col(ColumnDef::new(V::Version).integer().not_null())
            .foreign_key(
                ForeignKey::create()
                    .from(V::Table, V::PayoutId)
                    .to(P::Table, P::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(V::Table, V::CampaignId)
                    .to(Campaigns::Table, Campaigns::Id),
            )
            .to_owned();
        timestamps(&mut checks, V::CreatedAt, V::UpdatedAt);
        manager.create_table(checks).await?;
        indexes(
            manager,
            V::Table,
            vec![
                (
                    "ix_payout_checks_campaign",
                    vec![
                        V::CampaignId.into_iden(),
                        V::Status.into_iden(),
                        V::Id.into_iden(),
                    ],
                ),
                (
                    "ix_payout_checks_org",
                    vec![V::OrgId.into_iden(), V::Id.into_iden()],
                ),
            ],
        )
        .await?;
        // Bank file layouts administrators add (the built-in ones are in the code). Never changed
        // once added: exported files are re-rendered from their layout and must hash the same.
        use BankLayouts as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(
                        ColumnDef::new(L::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(L::Definition).text().not_null())
                    .col(ColumnDef::new(L::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(L::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in PARTIAL_INDEXES {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CampaignLedger::Table)
                    .add_column(ColumnDef::new(CampaignLedger::PayoutId).uuid())
                    .to_owned(),
            )
            .await?;
        // A return finds the payment it undoes by the payout.
        manager
            .create_index(
                Index::create()
                    .name("ix_campaign_ledger_payout")
                    .table(CampaignLedger::Table)
                    .col(CampaignLedger::PayoutId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_campaign_ledger_payout")
                    .table(CampaignLedger::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CampaignLedger::Table)
                    .drop_column(CampaignLedger::PayoutId)
                    .to_owned(),
            )
            .await?;
        for table in [
            BankLayouts::Table.into_iden(),
            PayoutChecks::Table.into_iden(),
            PayoutResults::Table.into_iden(),
            PayoutFiles::Table.into_iden(),
            Payouts::Table.into_iden(),
            PayoutBatches::Table.into_iden(),
            BankCards::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

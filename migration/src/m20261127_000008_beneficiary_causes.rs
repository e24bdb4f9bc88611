//! `beneficiary_causes`: an archive's causes of hardship (致困原因) as rows, one per cause, so
//! that the worklist filter by cause and the dashboard's counts by cause are indexed queries and
//! a SQL `GROUP BY` instead of pattern matches over a comma-separated column. The archive keeps
//! its `causes` column for reading it whole; both are written in the same unit of work. Existing
//! archives are carried over here.

use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BeneficiaryCauses {
    Table,
    BeneficiaryId,
    Cause,
}

#[derive(DeriveIden)]
enum Beneficiaries {
    Table,
    Id,
    Causes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BeneficiaryCauses as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::BeneficiaryId).uuid().not_null())
                    .col(ColumnDef::new(C::Cause).string_len(32).not_null())
                    .primary_key(Index::create().col(C::BeneficiaryId).col(C::Cause))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::BeneficiaryId)
                            .to(Beneficiaries::Table, Beneficiaries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Archives with this cause" starts from the cause.
        manager
            .create_index(
                Index::create()
                    .name("ix_beneficiary_causes_cause")
                    .table(C::Table)
                    .col(C::Cause)
                    .col(C::BeneficiaryId)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let select = Query::select()
            .columns([Beneficiaries::Id, Beneficiaries::Causes])
            .from(Beneficiaries::Table)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let txn = db.begin().await?;
        for row in rows {
            let id: sea_orm::prelude::Uuid = row.try_get("", "id")?;
            let causes: String = row.try_get("", "causes")?;
            let mut seen = Vec::new();
            for cause in causes.split(',').filter(|c| !c.is_empty()) {
                if seen.contains(&cause) {
                    continue;
                }
                seen.push(cause);
                let insert = Query::insert()
                    .into_table(C::Table)
                    .columns([C::BeneficiaryId, C::Cause])
                    .values_panic([id.into(), cause.into()])
                    .to_owned();
                txn.execute(&insert).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BeneficiaryCauses::Table).to_owned())
            .await
    }
}

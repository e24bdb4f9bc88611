//! `change_log`: one row per change of a synced record (organisations, enterprises, workers,
//! hardship archives with their members, wage agreements), written in the transaction of the
//! change. It is what a feed reads, so it must never let a reader skip a change.
//!
//! The trap: a sequence number or timestamp is assigned before commit, so a reader can see
//! number 11 (committed) while number 10 (assigned earlier, committed later) is still invisible,
//! move its cursor past 10, and never see it. On PostgreSQL each row therefore carries the
//! `xid8` of its transaction (`pg_current_xact_id()`), and readers only read rows whose
//! transaction is older than the oldest one still running (`pg_snapshot_xmin`): every such
//! transaction has ended, so no row can appear below the cursor later. The cursor is
//! (transaction id, seq); xid8 includes the epoch, so it never wraps. SQLite has one writer at a
//! time, so there `seq` alone is in commit order and `txid` is 0.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    Txid,
    Kind,
    RecordId,
    OrgId,
    Op,
    Action,
    Version,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ChangeLog as C;
        let mut txid = ColumnDef::new(C::Txid);
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => txid
                .custom(Alias::new("xid8"))
                .not_null()
                .default(Expr::cust("pg_current_xact_id()")),
            _ => txid.big_integer().not_null().default(0),
        };
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(
                        ColumnDef::new(C::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(txid)
                    .col(ColumnDef::new(C::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(C::RecordId).uuid().not_null())
                    .col(ColumnDef::new(C::OrgId).uuid().not_null())
                    .col(ColumnDef::new(C::Op).string_len(16).not_null())
                    .col(ColumnDef::new(C::Action).string_len(64).not_null())
                    .col(ColumnDef::new(C::Version).integer().not_null())
                    .col(
                        ColumnDef::new(C::ChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The feed's order and cursor.
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_txid_seq")
                    .table(C::Table)
                    .col(C::Txid)
                    .col(C::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_record")
                    .table(C::Table)
                    .col(C::Kind)
                    .col(C::RecordId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_org")
                    .table(C::Table)
                    .col(C::OrgId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).to_owned())
            .await
    }
}

//! `payout_files`: the bank files a batch was exported as, by layout and part, kept as their
//! SHA-256, count and total only (the bytes are rendered again on download and must match).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub batch_id: Uuid,
    pub org_id: Uuid,
    pub layout: String,
    pub part: i32,
    pub name: String,
    pub rows: i32,
    pub total_fen: i64,
    pub sha256: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

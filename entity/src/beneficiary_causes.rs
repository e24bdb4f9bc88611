//! `beneficiary_causes`: one row per cause of hardship of an archive, the indexed form of
//! `beneficiaries.causes` for filtering and counting.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiary_causes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub beneficiary_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub cause: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

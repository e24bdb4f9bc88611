//! `beneficiary_visits`: home visits (first, verification, re-verification) and follow-up
//! contacts of an archive.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiary_visits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub beneficiary_id: Uuid,
    pub kind: String,
    pub visited_on: Date,
    pub visitor_id: Uuid,
    pub visitor_name: String,
    pub channel: Option<String>,
    pub findings: String,
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

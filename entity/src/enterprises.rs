//! `enterprises`: unionised employers (建会企业).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprises")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub uscc: String,
    pub ownership: String,
    pub industry: String,
    pub address: Option<String>,
    pub union_founded_on: Option<Date>,
    pub headcount: Option<i32>,
    pub member_count: Option<i32>,
    pub overcapacity: bool,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

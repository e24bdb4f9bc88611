//! `campaigns`: an aid campaign (帮扶活动) run by one organisation in one year.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub year: i32,
    pub title: String,
    pub applications_from: Option<Date>,
    pub applications_until: Option<Date>,
    pub notice_days: i32,
    pub quota: Option<i32>,
    /// The grant rule as JSON (`siji_core::campaigns::rule::GrantRule`).
    pub rule: Option<String>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `grant_notices`: a public notice (公示) of one campaign and organisation for a period.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grant_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Where objections go (phone or address of the office).
    pub contact: String,
    /// The unguessable token of the public link, valid while the notice runs.
    pub public_token: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

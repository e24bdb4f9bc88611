//! `payout_checks`: post-payment verification (回访) — a paid payout drawn into a county's
//! random sample, and what the phone call or visit found.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    #[sea_orm(unique)]
    pub payout_id: Uuid,
    pub grant_id: Uuid,
    pub org_id: Uuid,
    pub county_id: Uuid,
    pub status: String,
    pub method: Option<String>,
    pub contacted_on: Option<Date>,
    pub note: Option<String>,
    pub sampled_by: Uuid,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

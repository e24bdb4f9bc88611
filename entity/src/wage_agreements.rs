//! `wage_agreements`: collective wage agreements (工资集体协商协议 / 集体合同).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wage_agreements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    pub scope: String,
    pub mode: String,
    pub text_type: String,
    pub industry: Option<String>,
    /// `negotiating`, `signed`, `filed` or `terminated` (`expired` is derived from the dates).
    pub status: String,
    pub signed_on: Option<Date>,
    pub effective_from: Option<Date>,
    pub effective_to: Option<Date>,
    pub wage_rise_bp: Option<i32>,
    pub minimum_wage_fen: Option<i64>,
    pub workers_covered: Option<i32>,
    pub filed_on: Option<Date>,
    pub filing_number: Option<String>,
    pub terminated_on: Option<Date>,
    pub termination_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

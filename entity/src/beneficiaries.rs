//! `beneficiaries`: one hardship archive per household (困难职工档案).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub head_worker_id: Uuid,
    /// `head_worker_id` while the archive is live, else NULL (unique: one live archive each).
    #[sea_orm(unique)]
    pub live_head_worker_id: Option<Uuid>,
    pub status: String,
    pub category: String,
    pub computed_category: String,
    pub eligibility_rule: String,
    pub override_reason: Option<String>,
    pub causes: String,
    pub needs: Option<String>,
    pub household_size: i32,
    pub annual_income_fen: i64,
    pub rigid_expenses_fen: i64,
    pub accident_costs_fen: i64,
    pub per_capita_monthly_fen: i64,
    pub migrant_worker: bool,
    pub employment_started_on: Option<Date>,
    pub long_term_assistance: bool,
    pub created_by: Uuid,
    pub last_verified_on: Option<Date>,
    pub reverify_due_on: Option<Date>,
    pub closed_reason: Option<String>,
    pub closed_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `grants`: one recipient in one campaign (a household head, a student, or a worker), with
//! the basis it was admitted on and where it is in the workflow.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub org_id: Uuid,
    pub recipient: String,
    pub beneficiary_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub worker_id: Option<Uuid>,
    /// The person's key: the blind index of the ID number (one person, whatever the record).
    pub person_key: String,
    pub name: String,
    /// The ID number in its public-notice mask.
    pub id_number_public: Option<String>,
    pub category: Option<String>,
    pub stage: Option<String>,
    pub school: Option<String>,
    pub amount_fen: i64,
    pub basis: String,
    pub aided_elsewhere: bool,
    pub status: String,
    pub notice_id: Option<Uuid>,
    pub submitted_by: Uuid,
    pub verified_by: Option<Uuid>,
    pub verified_on: Option<Date>,
    pub visit_findings: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `workers`: workers (职工). ID number and phone are stored as ciphertext (`*_enc`), keyed blind
//! index (`*_idx`) and display mask (`*_masked`) only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub name: String,
    pub id_number_enc: String,
    #[sea_orm(unique)]
    pub id_number_idx: String,
    pub id_number_masked: String,
    pub sex: String,
    pub birth_date: Date,
    pub phone_enc: Option<String>,
    pub phone_idx: Option<String>,
    pub phone_masked: Option<String>,
    pub kind: String,
    pub employment_status: String,
    pub member_since: Option<Date>,
    pub frontline: bool,
    pub high_temperature: bool,
    /// Comma-separated honour codes.
    pub honours: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

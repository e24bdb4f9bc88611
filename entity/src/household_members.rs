//! `household_members`: the members of an archived household. ID numbers as ciphertext, blind
//! index and mask only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "household_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub beneficiary_id: Uuid,
    pub name: String,
    pub relation: String,
    pub id_number_enc: Option<String>,
    pub id_number_idx: Option<String>,
    pub id_number_masked: Option<String>,
    pub birth_date: Option<Date>,
    pub health: String,
    pub employment_status: Option<String>,
    pub school: Option<String>,
    pub stage: Option<String>,
    pub grade: Option<i32>,
    pub admission_year: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

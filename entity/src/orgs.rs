//! `orgs`: one node of the union organisation tree (city → county → township → enterprise).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub level: String,
    pub name: String,
    pub division_code: String,
    #[sea_orm(unique)]
    pub uscc: Option<String>,
    /// `/<root id>/…/<own id>/`: the subtree of X is every row whose path starts with X's.
    #[sea_orm(unique)]
    pub path: String,
    pub depth: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

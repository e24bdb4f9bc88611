//! `change_log`: one row per change of a synced record. The transaction id column (`txid`, an
//! `xid8` on PostgreSQL) is set by the database and read with SQL of its own
//! (`api::changelog`), so it is not part of this model.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `org`, `enterprise`, `worker`, `beneficiary` (with its members) or `wage_agreement`.
    pub kind: String,
    pub record_id: Uuid,
    /// The organisation that keeps the record (for an organisation, itself).
    pub org_id: Uuid,
    /// `create`, `update`, `archive`, `restore` or `state` (a lifecycle operation).
    pub op: String,
    /// The audited action (`wage_agreement.sign`, …).
    pub action: String,
    /// The record's version after the change.
    pub version: i32,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

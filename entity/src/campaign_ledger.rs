//! `campaign_ledger`: every movement of a campaign's money and quota, append-only (the database
//! refuses updates and deletes). `amount_fen` and `quota` are signed changes to what `org_id`
//! has available, except for `pay` and `return` rows, which are signed changes to what has been
//! paid out of a grant's commitment (what is available does not move when money reaches a bank).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub org_id: Uuid,
    pub fund_source_id: Option<Uuid>,
    pub kind: String,
    pub amount_fen: i64,
    pub quota: i32,
    pub allocation_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub counterparty_org_id: Option<Uuid>,
    pub payout_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

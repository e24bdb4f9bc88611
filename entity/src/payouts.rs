//! `payouts`: one grant paid to one card, as the card was when the batch was built (bank,
//! masked and encrypted number, holder), with the reference the bank's result is matched by.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub batch_id: Uuid,
    pub campaign_id: Uuid,
    pub grant_id: Uuid,
    pub org_id: Uuid,
    pub card_id: Uuid,
    pub holder_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub bank_card_enc: String,
    pub bank_card_masked: String,
    pub amount_fen: i64,
    #[sea_orm(unique)]
    pub reference: String,
    pub status: String,
    pub reason: Option<String>,
    pub retry_of: Option<Uuid>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `bank_cards`: a payee's bank card (the worker or household member aid is paid to). The card
//! number is stored as ciphertext (`bank_card_enc`), keyed blind index and mask only; a
//! replaced card stays, `replaced`, pointing at its successor.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_cards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub payee_kind: String,
    pub worker_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub person_key: String,
    pub holder_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub bank_card_enc: String,
    pub bank_card_idx: String,
    pub bank_card_masked: String,
    pub luhn_override: Option<String>,
    pub status: String,
    pub replaced_by: Option<Uuid>,
    pub replaced_reason: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `webhooks`: a machine client's endpoint for change notifications, and how far through the
//! change feed its notifications have been made.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    /// Comma-separated change kinds (`worker,enterprise`).
    pub kinds: String,
    /// The HMAC key deliveries are signed with, encrypted with the data key.
    pub signing_secret_enc: String,
    pub active: bool,
    /// The feed position after the last change notified.
    pub cursor_txid: i64,
    pub cursor_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

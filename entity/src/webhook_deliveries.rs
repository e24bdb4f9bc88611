//! `webhook_deliveries`: one notification to a webhook (ids, versions and the cursor, never
//! personal data) and how its delivery went.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// `pending`, `delivered`, `failed` (given up) or `cancelled` (the webhook was removed).
    pub status: String,
    /// How many changes it names.
    pub changes: i32,
    /// The JSON body posted, byte for byte as signed.
    pub payload: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

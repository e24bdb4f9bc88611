//! `idempotency_keys`: a caller's `Idempotency-Key`, the fingerprint of the request it came with,
//! and (once the request succeeded) the response to replay.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// The user or machine client that sent the key: keys are per caller.
    #[sea_orm(primary_key, auto_increment = false)]
    pub principal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 (hex) of method, path, query and body.
    pub fingerprint: String,
    /// Null while the first request is still running.
    pub status_code: Option<i32>,
    pub response_body: Option<String>,
    /// The `Location` header of the response (a `202 Accepted` names its job).
    pub location: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

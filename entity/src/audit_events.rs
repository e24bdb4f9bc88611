//! `audit_events`: the append-only audit trail. Rows are inserted, never updated or deleted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// UUIDv7: ordering by id is ordering by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// `user`, `client` or `anonymous`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// The actor's organisation (what scopes who may read the event).
    pub org_id: Option<Uuid>,
    pub action: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    /// A JSON change summary; never plaintext personal data or secrets.
    pub changes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

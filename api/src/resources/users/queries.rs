//! Database work on user accounts, always within a caller's scope.

use chrono::{DateTime, Utc};
use entity::users::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<users::Entity> {
    users::Entity::find().filter(scope.owns(Column::OrgId))
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<users::Model>, DbErr> {
    scoped(scope).filter(Column::Id.eq(id)).one(db).await
}

/// An update of one user, conditional on its version, bumping it. Add the changed columns.
pub fn versioned_update(
    user: &users::Model,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<users::Entity> {
    crate::versioning::update::<users::Entity>(user.id, user.version, now)
}

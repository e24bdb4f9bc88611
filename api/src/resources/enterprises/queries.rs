//! Database work on enterprises, always within a caller's scope.

use entity::enterprises::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<enterprises::Entity> {
    enterprises::Entity::find().filter(scope.owns(Column::OrgId))
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<enterprises::Model>, DbErr> {
    scoped(scope).filter(Column::Id.eq(id)).one(db).await
}

//! Database work on user accounts, always within a caller's scope.

use chrono::{DateTime, Utc};
use entity::users::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait};
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
    users::Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(user.id))
        .filter(Column::Version.eq(user.version))
}

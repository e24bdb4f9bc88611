//! Database work on organisations, always within a caller's scope.

use chrono::Utc;
use entity::orgs::{self, Column};
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::tenancy::Scope;

/// One org of the scope, or `None` whether it does not exist or lies outside.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<orgs::Model>, DbErr> {
    scope.orgs().filter(Column::Id.eq(id)).one(db).await
}

/// The whole subtree under `root`, in path order (parents before children).
pub async fn subtree(
    db: &impl ConnectionTrait,
    root: &orgs::Model,
) -> Result<Vec<orgs::Model>, DbErr> {
    Scope::of(root)
        .orgs()
        .order_by_asc(Column::Path)
        .all(db)
        .await
}

/// Re-root `org`'s subtree under `parent`: one statement rewrites every descendant's path and
/// depth. Conditional on `org`'s version; false when someone else changed it first.
pub async fn move_subtree(
    db: &impl ConnectionTrait,
    org: &orgs::Model,
    parent: &orgs::Model,
) -> Result<bool, DbErr> {
    let new_path = format!("{}{}/", parent.path, org.id);
    let depth_delta = parent.depth + 1 - org.depth;
    let moved = orgs::Entity::update_many()
        .col_expr(Column::ParentId, Expr::value(parent.id))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(org.id))
        .filter(Column::Version.eq(org.version))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    // The WHERE clause sees the old paths, so the one statement moves the whole subtree.
    let old_len = i32::try_from(org.path.len())
        .map_err(|_| DbErr::Custom("an organisation path is too long".into()))?;
    orgs::Entity::update_many()
        .col_expr(
            Column::Path,
            Expr::val(new_path).binary(
                BinOper::Custom("||"),
                Func::cust("substr")
                    .arg(Expr::col(Column::Path))
                    .arg(old_len + 1),
            ),
        )
        .col_expr(Column::Depth, Expr::col(Column::Depth).add(depth_delta))
        .filter(Scope::of(org).orgs_condition())
        .exec(db)
        .await?;
    Ok(true)
}

/// A new org row under `parent`.
pub fn new_org(
    parent: &orgs::Model,
    level: &str,
    name: String,
    division_code: String,
    uscc: Option<String>,
) -> orgs::ActiveModel {
    let id = Uuid::now_v7();
    let now = Utc::now();
    orgs::ActiveModel {
        id: Set(id),
        parent_id: Set(Some(parent.id)),
        level: Set(level.to_owned()),
        name: Set(name),
        division_code: Set(division_code),
        uscc: Set(uscc),
        path: Set(format!("{}{id}/", parent.path)),
        depth: Set(parent.depth + 1),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

/// Condition "owned within the subtree of `within`". An org outside the caller's scope (or
/// missing) matches nothing, so a filter cannot reveal whether it exists.
pub async fn subtree_condition(
    db: &impl ConnectionTrait,
    scope: &Scope,
    within: Uuid,
    org_column: impl ColumnTrait,
) -> Result<sea_orm::Condition, DbErr> {
    Ok(match find(db, scope, within).await? {
        Some(org) => sea_orm::Condition::all().add(Scope::of(&org).owns(org_column)),
        None => sea_orm::Condition::all()
            .add(org_column.is_null())
            .add(org_column.is_not_null()),
    })
}

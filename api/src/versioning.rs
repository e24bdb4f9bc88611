//! The one way a versioned record is changed: `UPDATE … SET version = version + 1, updated_at =
//! now WHERE id = ? AND version = ?`. Zero rows affected means someone changed it first (412),
//! so concurrent edits are caught by the database, not only by comparing `If-Match` in code.

use chrono::{DateTime, Utc};
use entity::{api_clients, enterprises, orgs, users, workers};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, UpdateMany};
use uuid::Uuid;

pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
}

macro_rules! versioned {
    ($($module:ident),*) => {$(
        impl Versioned for $module::Entity {
            const ID: $module::Column = $module::Column::Id;
            const VERSION: $module::Column = $module::Column::Version;
            const UPDATED_AT: $module::Column = $module::Column::UpdatedAt;
        }
    )*};
}

versioned!(orgs, users, api_clients, enterprises, workers);

/// An update of record `id` at `version`, bumping the version; add the changed columns.
pub fn update<E: Versioned>(id: Uuid, version: i32, now: DateTime<Utc>) -> UpdateMany<E> {
    E::update_many()
        .col_expr(E::UPDATED_AT, Expr::value(now))
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
}

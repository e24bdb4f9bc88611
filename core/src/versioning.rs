//! The one way a versioned record is changed: `UPDATE … SET version = version + 1, updated_at =
//! now WHERE id = ? AND version = ?`. Zero rows affected means someone changed it first
//! (`Stale`, a 412 over HTTP), so concurrent edits are caught by the database, not only by
//! comparing `If-Match` in code.

use chrono::{DateTime, Utc};
use entity::{api_clients, beneficiaries, enterprises, orgs, users, wage_agreements, workers};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PrimaryKeyTrait,
    QueryFilter, UpdateMany,
};

use crate::CoreError;
use crate::audit::{self, Actor, Event};
use crate::uow::Work;
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

versioned!(
    orgs,
    users,
    api_clients,
    enterprises,
    workers,
    wage_agreements,
    beneficiaries
);

/// `Stale` unless the principal named no version or named the current one (`If-Match`).
pub fn expect(expected: Option<i32>, current: i32) -> Result<(), CoreError> {
    match expected {
        Some(expected) if expected != current => Err(CoreError::Stale),
        _ => Ok(()),
    }
}

/// An update of record `id` at `version`, bumping the version; add the changed columns.
pub fn update<E: Versioned>(id: Uuid, version: i32, now: DateTime<Utc>) -> UpdateMany<E> {
    E::update_many()
        .col_expr(E::UPDATED_AT, Expr::value(now))
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
}

/// Apply a versioned update and its audit event in one transaction, and return the record as
/// it now is. No row changed means the version moved on since it was read: `Stale`.
pub async fn save<E>(
    db: &DatabaseConnection,
    actor: &Actor,
    change: UpdateMany<E>,
    id: Uuid,
    event: Event,
) -> Result<E::Model, CoreError>
where
    E: Versioned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    let txn = crate::uow::begin_write(db).await?;
    let saved = save_in(&txn, actor, change, id, event).await?;
    txn.commit().await?;
    Ok(saved)
}

/// [`save`] inside a transaction the caller holds, for an operation whose checks must run in
/// the same transaction as its write.
pub async fn save_in<E>(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: UpdateMany<E>,
    id: Uuid,
    event: Event,
) -> Result<E::Model, CoreError>
where
    E: Versioned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    if change.exec(txn).await?.rows_affected != 1 {
        return Err(CoreError::Stale);
    }
    audit::record(txn, actor, event).await?;
    E::find_by_id(id).one(txn).await?.ok_or(CoreError::NotFound)
}

/// [`save_in`] within a unit of work.
pub async fn save_work<E>(
    work: &Work<'_>,
    change: UpdateMany<E>,
    id: Uuid,
    event: Event,
) -> Result<E::Model, CoreError>
where
    E: Versioned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    save_in(work.conn(), work.actor(), change, id, event).await
}

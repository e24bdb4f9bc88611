//! The one way a versioned record is changed: `UPDATE … SET version = version + 1, updated_at =
//! now WHERE id = ? AND version = ?`. Zero rows affected means someone changed it first
//! (`Stale`, a 412, for a principal who sent `If-Match`; a 409 conflict for one who did not), so
//! concurrent edits are caught by the database, not only by comparing `If-Match` in code.

use chrono::{DateTime, Utc};
use entity::{
    api_clients, bank_cards, beneficiaries, campaigns, enterprises, grants, orgs, payout_batches,
    payout_checks, payouts, users, wage_agreements, workers,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, UpdateMany};

use crate::CoreError;
use crate::audit::Event;
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
    beneficiaries,
    campaigns,
    grants,
    bank_cards,
    payout_batches,
    payout_checks,
    payouts
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

/// Apply a versioned update inside a unit of work, with its audit event, and return the record
/// as it now is. No row changed means the record moved on since it was read: `Stale` for a
/// principal who named the version (`If-Match`), and a conflict for one who did not and lost a
/// race to a concurrent request (it set no precondition that could have failed).
pub async fn save_work<E>(
    work: &Work<'_>,
    change: UpdateMany<E>,
    id: Uuid,
    expected_version: Option<i32>,
    event: Event,
) -> Result<E::Model, CoreError>
where
    E: Versioned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    if change.exec(work.conn()).await?.rows_affected != 1 {
        return Err(match expected_version {
            Some(_) => CoreError::Stale,
            None => CoreError::conflict(
                "another request changed this record at the same moment: read it again",
            ),
        });
    }
    work.record(event).await?;
    E::find_by_id(id)
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

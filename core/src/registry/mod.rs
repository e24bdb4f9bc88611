//! The registry (台账): organisations, enterprises and workers, and the lifecycle they share.
//! Money and agreements point at registry records, so a record is archived, never deleted.

pub mod enterprises;
pub mod lists;
pub mod orgs;
pub mod workers;

use sea_orm::PrimaryKeyTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use crate::CoreError;
use crate::audit::Event;
use crate::enums::string_enum;
use crate::versioning::{self, Versioned};

pub const RECORD_ACTIVE: &str = "active";
pub const RECORD_ARCHIVED: &str = "archived";

string_enum!(
    /// Lifecycle of registry records: money and agreements point at them, so they are archived,
    /// never deleted.
    RecordStatus {
        /// In use (在册).
        Active = "active",
        /// Archived (归档): hidden from lists unless asked for, kept for history.
        Archived = "archived",
    }
);

/// A kind of registry record, for archiving and restoring: its audit resource type and actions,
/// and the permission it takes.
pub struct RecordKind {
    pub resource: &'static str,
    pub archive: &'static str,
    pub restore: &'static str,
    pub permission: crate::access::Permission,
}

/// Archive (`to` = archived) or restore (`to` = active) a record of the scope, as one unit of
/// work: read its id, version and status; a conflict if it is already there, `Stale` if the
/// version moved on; write, audited with the kind's action.
pub async fn change_status<E>(
    ctx: &crate::context::Context<'_>,
    kind: &RecordKind,
    status_column: E::Column,
    id: Uuid,
    expected_version: Option<i32>,
    to: &'static str,
) -> Result<E::Model, CoreError>
where
    E: Versioned + crate::tenancy::Owned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    ctx.require(kind.permission).await?;
    let work = ctx.begin().await?;
    let (id, version, status): (Uuid, i32, String) = ctx
        .scope()
        .select::<E>()
        .select_only()
        .column(E::id_column())
        .column(E::VERSION)
        .column(status_column)
        .filter(E::id_column().eq(id))
        .into_tuple()
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, version)?;
    if status == to {
        return Err(CoreError::conflict(format!(
            "the {} is already {to}",
            kind.resource
        )));
    }
    let change = versioning::update::<E>(id, version, ctx.clock.now())
        .col_expr(status_column, Expr::value(to));
    let action = if to == RECORD_ARCHIVED {
        kind.archive
    } else {
        kind.restore
    };
    let event = Event::new(action).on(kind.resource, id);
    let record = versioning::save_work(&work, change, id, expected_version, event).await?;
    work.commit().await?;
    Ok(record)
}

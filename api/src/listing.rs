//! Filters that several registries share: which records by lifecycle state, and name prefixes
//! as an index-friendly range (`name >= p AND name < p || U+10FFFF`, compared bytewise).

use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enums::string_enum;

/// Which records a list shows: archived ones are hidden unless asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Only records in use (the default).
    #[default]
    Active,
    /// Only archived records (归档).
    Archived,
    /// Both.
    All,
}

impl StatusFilter {
    pub fn condition(self, status_column: impl ColumnTrait) -> Condition {
        match self {
            StatusFilter::Active => Condition::all().add(status_column.eq(RECORD_ACTIVE)),
            StatusFilter::Archived => Condition::all().add(status_column.eq(RECORD_ARCHIVED)),
            StatusFilter::All => Condition::all(),
        }
    }
}

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

pub fn name_prefix(column: impl ColumnTrait, prefix: &str) -> Condition {
    Condition::all()
        .add(column.gte(prefix.to_owned()))
        .add(column.lt(format!("{prefix}\u{10FFFF}")))
}

/// A kind of registry record, for archiving and restoring: its audit resource type and actions.
pub struct RecordKind {
    pub resource: &'static str,
    pub archive: &'static str,
    pub restore: &'static str,
}

/// Archive (`to` = archived) or restore (`to` = active) a registry record: 409 if it is already
/// there, 412 if `If-Match` is stale, audited with the kind's action.
pub async fn set_record_status<E>(
    db: &sea_orm::DatabaseConnection,
    caller: &crate::auth::Caller,
    record: (uuid::Uuid, i32, &str),
    if_match: crate::http::IfMatch,
    status_column: E::Column,
    to: &'static str,
    kind: &RecordKind,
) -> Result<E::Model, crate::http::ApiError>
where
    E: crate::versioning::Versioned,
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = uuid::Uuid>,
{
    use crate::http::{ApiError, ErrorCode};
    use sea_orm::sea_query::Expr;
    let (id, version, current) = record;
    if_match.check(version)?;
    if current == to {
        let detail = format!("the {} is already {to}", kind.resource);
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail,
        });
    }
    let change = crate::versioning::update::<E>(id, version, chrono::Utc::now())
        .col_expr(status_column, Expr::value(to));
    let action = if to == RECORD_ARCHIVED {
        kind.archive
    } else {
        kind.restore
    };
    let event = crate::audit::Event::new(action).on(kind.resource, id);
    crate::versioning::save(db, &caller.actor(), change, id, event).await
}

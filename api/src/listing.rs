//! Filters that several registries share: which records by lifecycle state, and name prefixes
//! as an index-friendly range (`name >= p AND name < p || U+10FFFF`, compared bytewise).

use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

pub use siji_core::registry::{RECORD_ACTIVE, RECORD_ARCHIVED, RecordStatus};

pub fn name_prefix(column: impl ColumnTrait, prefix: &str) -> Condition {
    Condition::all()
        .add(column.gte(prefix.to_owned()))
        .add(column.lt(format!("{prefix}\u{10FFFF}")))
}

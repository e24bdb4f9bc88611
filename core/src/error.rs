//! What an operation of the core can fail with, in the terms of the domain. The HTTP layer maps
//! each kind to a problem document in one place (`From<CoreError> for ApiError`); the command
//! line and the job runner read the same kinds.

use sea_orm::{DbErr, SqlErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"field": "id_number", "code": "checksum", "message": "check digit does not match"})))]
pub struct FieldError {
    /// Where the problem is: a body field path (`members[0].id_number`), a query parameter
    /// or a path parameter name. Empty when the body as a whole is at fault.
    pub field: String,
    /// Stable machine code of the rule that failed (`required`, `length`, `range`, `checksum`,
    /// `unknown_field`, `invalid_type`, …).
    pub code: String,
    /// Human-readable explanation. Never contains the submitted value.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Which rule a conflict broke, where clients must be able to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The record is not in a state that allows the operation (or another record stands in
    /// its way).
    State,
    /// The county has no minimum living standard in force for the date in question.
    LivingStandardMissing,
    /// An organisation has less of a campaign's money or quota available than asked for.
    InsufficientBalance,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No such record, or it lies outside the caller's subtree.
    #[error("not found")]
    NotFound,
    /// Input that breaks a rule, field by field.
    #[error("{} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// The principal may not do this (missing permission, or a four-eyes rule).
    #[error("{0}")]
    Forbidden(String),
    #[error("{detail}")]
    Conflict { kind: ConflictKind, detail: String },
    /// The record would be a second copy of one that exists; its id only if the principal may
    /// see it.
    #[error("{detail}")]
    Duplicate {
        detail: String,
        existing_id: Option<Uuid>,
    },
    /// The record changed since the version the principal read.
    #[error("the record has changed since it was read")]
    Stale,
    /// A feed cursor from before the oldest change kept: the changes between are gone, so the
    /// reader must copy the records again (a full resync).
    #[error("the cursor is older than the change log's retention; resync")]
    CursorExpired,
    /// Something the service itself got wrong (a missing key, a value it cannot decrypt). The
    /// message is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("database error: {0}")]
    Database(DbErr),
}

impl CoreError {
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind: ConflictKind::State,
            detail: detail.into(),
        }
    }
}

impl From<DbErr> for CoreError {
    /// A unique or foreign-key violation is the principal's conflict (a concurrent write won
    /// the race the checks could not see); every other database error is ours. The constraint
    /// message is not kept: it can contain the conflicting values.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Duplicate {
                detail: "a record with the same unique key already exists".to_owned(),
                existing_id: None,
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::conflict("the record refers to, or is referred to by, another record")
            }
            _ => Self::Database(err),
        }
    }
}

//! What an operation of the core can fail with, in the terms of the domain. The HTTP layer maps
//! each kind to a problem document in one place (`From<CoreError> for ApiError`).

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No such record, or it lies outside the caller's subtree.
    #[error("not found")]
    NotFound,
    /// Something the service itself got wrong (a missing key, a value it cannot decrypt). The
    /// message is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

//! What every endpoint shares, written once: the error type and its problem bodies, request ids,
//! extractors that fail with problems, and the fallback for unmatched routes.

pub mod extract;
pub mod fallback;
pub mod problem;
pub mod request_id;
pub mod responses;

pub use extract::{Json, Query};
pub use problem::{ApiError, ErrorCode, FieldError, Problem};

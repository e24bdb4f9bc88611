//! What every endpoint shares, written once: the error type and its problem bodies, request ids,
//! extractors that fail with problems, pagination, optimistic concurrency, metrics, fast date
//! serialisation for the hot responses, and the fallback for unmatched routes.

pub mod concurrency;
pub mod extract;
pub mod fallback;
pub mod idempotency;
pub mod metrics;
pub mod pagination;
pub mod problem;
pub mod request_id;
pub mod responses;
pub mod timestamps;

pub use concurrency::IfMatch;
pub use extract::{Form, Json, Query};
pub use pagination::{Page, PageRequest};
pub use problem::{ApiError, ErrorCode, FieldError, Problem};

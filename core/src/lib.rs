//! Siji's core: what the service *is*, apart from how it is reached. The HTTP layer (`siji-api`),
//! the command line, the job runner and, later, the county sync all call into this crate; it
//! never calls out to them, and no web framework is among its dependencies, so the compiler
//! keeps the direction.
//!
//! Here so far: the pure domain rules (`domain`), personal-data protection (`pii`), tenancy
//! scopes (`tenancy`), the audit trail (`audit`) and the change log (`changelog`), with
//! [`CoreError`]. The operations themselves (register a worker, sign an agreement, …) still live
//! in `siji-api` and move here next.

pub mod audit;
pub mod changelog;
pub mod domain;
pub mod error;
pub mod pii;
pub mod tenancy;

pub use error::CoreError;

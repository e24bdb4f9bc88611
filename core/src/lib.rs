//! Siji's core: what the service *is*, apart from how it is reached. The HTTP layer (`siji-api`),
//! the command line, the job runner and, later, the county sync all call into this crate; it
//! never calls out to them, and no web framework is among its dependencies, so the compiler
//! keeps the direction.
//!
//! An operation takes a [`Context`] (who acts, their scope and roles, the database, the data
//! protector, the clock) and typed input, opens a unit of work ([`uow`]) in which its checks,
//! writes, audit event and change-log rows commit together, and returns a typed result or a
//! [`CoreError`]. Here: the pure domain rules (`domain`), personal-data protection (`pii`),
//! tenancy scopes (`tenancy`), the permission matrix (`access`), the audit trail (`audit`), the
//! change log (`changelog`), versioned updates (`versioning`), the job queue (`jobs`) and the
//! operations of each area (`registry`, `archive`, `agreements`, `campaigns`, `grants`,
//! `accounts`, and `imports` for
//! what a spreadsheet row adds to them).

pub mod access;
pub mod accounts;
pub mod agreements;
pub mod archive;
pub mod audit;
pub mod campaigns;
pub mod changelog;
pub mod context;
pub mod domain;
pub mod enums;
pub mod error;
pub mod grants;
pub mod imports;
pub mod jobs;
pub mod payouts;
pub mod pii;
pub mod registry;
pub mod standards;
pub mod sync;
pub mod tenancy;
pub mod uow;
pub mod versioning;

pub use context::{Clock, Context};
pub use error::{CoreError, FieldError};

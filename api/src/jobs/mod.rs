//! Running jobs: the runner loop and the table of job kinds. The queue itself (enqueue inside a
//! unit of work, claim under a lease, progress, finish, release) is the core's
//! (`siji_core::jobs`), re-exported here.

pub mod kinds;
pub mod runner;

pub use kinds::JobKind;
pub use siji_core::jobs::*;

use crate::auth::tokens::PrincipalKind;

/// The principal a stored job runs as.
pub fn parse_principal_kind(kind: &str) -> Option<PrincipalKind> {
    match kind {
        "user" => Some(PrincipalKind::User),
        "client" => Some(PrincipalKind::Client),
        _ => None,
    }
}

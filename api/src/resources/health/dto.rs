//! Response bodies of the health probes.

use serde::Serialize;
use utoipa::ToSchema;

/// The process is up.
#[derive(Debug, Serialize, ToSchema)]
// `Health` is also a household member's state of health.
#[schema(as = ServiceHealth, example = json!({"status": "ok", "version": "0.1.0"}))]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
    /// The running version of Siji.
    pub version: &'static str,
}

/// The service can take traffic: its database answers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "database": "ok"}))]
pub struct Readiness {
    /// Always `ready` (a service that is not ready answers 503 with a problem document).
    pub status: &'static str,
    /// Always `ok`.
    pub database: &'static str,
}

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

/// The service can take traffic: its database answers at the schema this version expects, and
/// its job runners (if it runs any) are turning.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "database": "ok", "pending_migrations": 0, "job_runners": 2, "job_runner_seen_ms_ago": 412, "jobs_queued": 0}))]
pub struct Readiness {
    /// Always `ready` (a service that is not ready answers 503 with a problem document).
    pub status: &'static str,
    /// Always `ok`.
    pub database: &'static str,
    /// Always 0: migrations this version has that the database lacks make it not ready.
    pub pending_migrations: usize,
    /// The job runners this process runs (`SIJI_JOB_RUNNERS`; 0 leaves jobs to other processes).
    pub job_runners: usize,
    /// Milliseconds since a runner of this process last looked for a job or renewed a lease;
    /// `null` when it runs none. Past twice the lease (`SIJI_JOB_LEASE_SECS`), it is stalled and
    /// the process not ready.
    pub job_runner_seen_ms_ago: Option<u64>,
    /// Jobs waiting in the queue every process shares.
    pub jobs_queued: i64,
}

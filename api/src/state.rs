//! What every handler can reach: the database pool, the settings the server started with, and
//! the resolved authentication configuration.

use sea_orm::DatabaseConnection;

use crate::auth::AuthState;
use crate::config::Settings;
use crate::pii::DataProtector;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub auth: AuthState,
    pub pii: DataProtector,
    /// The time operations see (fixed in some tests).
    pub clock: siji_core::Clock,
    /// Wakes this process's job runners when a request enqueues a job.
    pub jobs: crate::jobs::Wake,
    /// When this process's job runners were last seen looking for work or renewing a lease.
    pub runner_pulse: crate::jobs::runner::Pulse,
    /// This process's Prometheus metrics.
    pub metrics: std::sync::Arc<crate::http::metrics::Metrics>,
    /// The hot reads' statements, built once per caller.
    pub statements: crate::statements::Templates<crate::auth::reader::StatementKey>,
}

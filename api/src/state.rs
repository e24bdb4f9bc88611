//! What every handler can reach: the database pool, the settings the server started with, and
//! the resolved authentication configuration. Each HTTP worker holds a copy whose `db` is its
//! own pool (see `db::worker_pool`); everything else is the process's, shared.

use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;

use crate::auth::AuthState;
use crate::config::Settings;
use crate::pii::DataProtector;

#[derive(Clone)]
pub struct AppState {
    /// This worker's pool in a handler; the process's in the job runners and at start.
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub auth: Arc<AuthState>,
    pub pii: DataProtector,
    /// The time operations see (fixed in some tests).
    pub clock: siji_core::Clock,
    /// Wakes this process's job runners when a request enqueues a job.
    pub jobs: crate::jobs::Wake,
    /// When this process's job runners were last seen looking for work or renewing a lease.
    pub runner_pulse: crate::jobs::runner::Pulse,
    /// This process's Prometheus metrics.
    pub metrics: Arc<crate::http::metrics::Metrics>,
    /// The hot reads' statements, built once per caller.
    pub statements: Arc<crate::statements::Templates<crate::auth::reader::StatementKey>>,
    pub pools: Pools,
}

impl AppState {
    /// The state for one HTTP worker: the same but for `db`, the worker's own pool where the
    /// database has them.
    pub fn for_worker(&self, workers: usize) -> AppState {
        let Some(db) = crate::db::worker_pool(
            &self.settings.database,
            self.db.get_database_backend(),
            workers,
        ) else {
            return self.clone();
        };
        self.pools.add(db.clone());
        AppState { db, ..self.clone() }
    }
}

/// Every pool of the process, the one opened at start first, then the HTTP workers' own (as
/// each worker starts): for the metrics, and to close them all when the server stops.
#[derive(Clone)]
pub struct Pools(Arc<Mutex<Vec<DatabaseConnection>>>);

impl Pools {
    pub fn new(first: DatabaseConnection) -> Self {
        Self(Arc::new(Mutex::new(vec![first])))
    }

    pub fn add(&self, db: DatabaseConnection) {
        self.lock().push(db);
    }

    pub fn all(&self) -> Vec<DatabaseConnection> {
        self.lock().clone()
    }

    /// Close every pool: their connections are closed and no more are opened.
    pub async fn close(&self) {
        for db in self.all() {
            let _ = db.close_by_ref().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<DatabaseConnection>> {
        // Pushes and clones only: a panic while holding the lock leaves the list whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

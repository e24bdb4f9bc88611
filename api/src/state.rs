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
    /// Holds this worker's own pool in `pools` while any copy of the worker's state lives: a
    /// worker actix-web restarts builds a new state and pool, and the old pool leaves the list
    /// (and `/metrics`) with the old state instead of being counted for ever.
    pub worker_pool: Option<Arc<Registered>>,
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
        let registered = self.pools.add(db.clone());
        AppState {
            db,
            worker_pool: Some(Arc::new(registered)),
            ..self.clone()
        }
    }
}

/// Every pool of the process, the one opened at start first, then the HTTP workers' own (as
/// each worker starts): for the metrics, and to close them all when the server stops.
#[derive(Clone)]
pub struct Pools(Arc<Mutex<Listed>>);

struct Listed {
    next: u64,
    pools: Vec<(u64, DatabaseConnection)>,
    /// Pools whose worker is gone: no request reaches them, their idle connections time out,
    /// and they are still closed (politely, not dropped) when the server stops.
    retired: Vec<DatabaseConnection>,
}

/// A pool's place in `Pools`; dropping it retires the pool.
pub struct Registered {
    id: u64,
    pools: Pools,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut listed = self.pools.lock();
        if let Some(at) = listed.pools.iter().position(|(id, _)| *id == self.id) {
            let (_, db) = listed.pools.remove(at);
            listed.retired.push(db);
        }
    }
}

impl Pools {
    /// The list with the pool opened at start, which stays on it.
    pub fn new(first: DatabaseConnection) -> Self {
        Self(Arc::new(Mutex::new(Listed {
            next: 1,
            pools: vec![(0, first)],
            retired: Vec::new(),
        })))
    }

    /// Lists a pool for as long as the returned value is kept.
    #[must_use = "the pool leaves the list when this is dropped"]
    pub fn add(&self, db: DatabaseConnection) -> Registered {
        let mut listed = self.lock();
        let id = listed.next;
        listed.next += 1;
        listed.pools.push((id, db));
        Registered {
            id,
            pools: self.clone(),
        }
    }

    /// The pools in use: the one opened at start and each live worker's.
    pub fn all(&self) -> Vec<DatabaseConnection> {
        self.lock().pools.iter().map(|(_, db)| db.clone()).collect()
    }

    /// Close every pool, retired ones too: their connections are closed and no more are opened.
    pub async fn close(&self) {
        let every: Vec<DatabaseConnection> = {
            let listed = self.lock();
            let live = listed.pools.iter().map(|(_, db)| db.clone());
            live.chain(listed.retired.iter().cloned()).collect()
        };
        for db in every {
            let _ = db.close_by_ref().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Listed> {
        // Pushes, removals and clones only: a panic while holding the lock leaves the list whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_listed_while_its_registration_lives() {
        let pools = Pools::new(DatabaseConnection::default());
        let first = pools.add(DatabaseConnection::default());
        let second = pools.add(DatabaseConnection::default());
        assert_eq!(pools.all().len(), 3);
        drop(first);
        assert_eq!(pools.all().len(), 2);
        let shared = Arc::new(second);
        let copy = shared.clone();
        drop(shared);
        assert_eq!(pools.all().len(), 2, "a copy of the state still holds it");
        drop(copy);
        assert_eq!(pools.all().len(), 1, "the pool opened at start stays");
        let third = pools.add(DatabaseConnection::default());
        assert_eq!(pools.all().len(), 2);
        drop(third);
        assert_eq!(pools.all().len(), 1);
        assert_eq!(
            pools.lock().retired.len(),
            3,
            "kept to be closed when the server stops"
        );
    }
}

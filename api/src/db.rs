//! Opening the database: SQLite (the embedded default) or PostgreSQL, chosen by the URL.
//!
//! Four choices made for every request's speed. The pool pings a connection before handing it
//! out only when it has sat idle for `SIJI_DB_PING_IDLE_AFTER_MS` (one second by default): a
//! ping on every acquire (`test_before_acquire`) was a round trip per statement, while a
//! connection left idle is the one a database restart, a proxy or a firewall may have dropped
//! meanwhile, and pinging it turns a failed request into a replaced connection. A busy
//! connection the server dropped fails its statement instead (an error the client may retry),
//! and the pool replaces it. Nor does the pool ping a PostgreSQL connection that comes back to
//! it clean (the patch in `vendor/`, see its README): that was the other round trip of every
//! statement. And a PostgreSQL URL to this machine (`localhost`, `127.0.0.1`, `::1` or a Unix
//! socket) that names no `sslmode` gets `sslmode=disable`: TLS over loopback protects nothing and
//! cost about 30 % of the database's CPU. A remote database keeps the driver's default
//! (`prefer`); name `sslmode=verify-full` (with `sslrootcert=…`) to insist on a verified server.
//!
//! Last, on PostgreSQL each HTTP worker has a pool of its own ([`worker_pool`]). actix-web runs
//! every worker on a runtime of its own, and a socket answers to the runtime it was opened on:
//! a connection opened by one worker and used by another is woken through the first worker's
//! event loop, a thread switch and a wake-up on every statement, and the first worker has to
//! turn its loop before the second sees its answer. Connections opened by the worker that uses
//! them do none of that. The pool opened at start serves everything else (migrations, the job
//! runners, the change feed's upkeep, the commands).

use std::time::Duration;

use futures_util::FutureExt;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(settings, settings.db_max_connections)).await
}

/// A pool for one of `workers` HTTP workers, opened on (and only ever used by) that worker: on
/// PostgreSQL (`backend`, the process's pool's), its share of `SIJI_DB_MAX_CONNECTIONS` (at
/// least one connection), connecting as it is first used; `None` on SQLite, whose connections
/// are driven by threads of their own and whose in-memory databases a second pool would not see.
pub fn worker_pool(
    settings: &DatabaseSettings,
    backend: DbBackend,
    workers: usize,
) -> Option<DatabaseConnection> {
    if backend != DbBackend::Postgres {
        return None;
    }
    let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
    let share = settings.db_max_connections.div_ceil(workers).max(1);
    let mut options = options(settings, share);
    options.connect_lazy(true);
    // A lazy pool is made without a round trip, so this future is ready at once; it is not
    // awaited because a worker's application is built outside any future.
    match Database::connect(options).now_or_never() {
        Some(Ok(db)) => Some(db),
        Some(Err(err)) => {
            tracing::warn!(error = %err, "a worker's own pool could not be made; it shares the process's");
            None
        }
        None => None,
    }
}

fn options(settings: &DatabaseSettings, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(with_local_sslmode(&settings.database_url));
    options
        .max_connections(max_connections)
        .test_before_acquire(false)
        .test_before_acquire_if_idle_for(Duration::from_millis(settings.db_ping_idle_after_ms))
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // Statements carry personal data in their parameters: never log them.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers work while one writer writes; the busy timeout makes concurrent
            // writers wait for each other instead of failing at once.
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Bounds the sampling of `refresh_statistics`.
                .pragma("analysis_limit", "1000")
        });
    options
}

/// SQLite's planner statistics, refreshed as SQLite recommends (`PRAGMA optimize`: the tables
/// never analysed or much changed since, each index sampled under `analysis_limit`). Without
/// them a page of one enterprise's workers walked the status index over every active worker
/// instead of the enterprise's index. Best effort: at start, after each import job, and with the
/// runners' hourly upkeep — never as a connection opens, since an analysis takes the write lock
/// and a connection opened during a long import would wait for it. PostgreSQL's autovacuum does
/// this itself.
pub async fn refresh_statistics(db: &DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return;
    }
    // 0x10000: every table, not only those this connection has used.
    if let Err(err) = db.execute_unprepared("PRAGMA optimize=0x10002").await {
        tracing::warn!(error = %err, "could not refresh the planner's statistics");
    }
}

/// `url` with `sslmode=disable` added when it is a PostgreSQL URL to this machine naming no
/// `sslmode`; otherwise `url` as it is.
fn with_local_sslmode(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return url.to_owned();
    };
    let (authority, query) = match rest.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (rest, None),
    };
    if query.is_some_and(|q| q.split('&').any(|p| p.starts_with("sslmode="))) {
        return url.to_owned();
    }
    let host_port = authority
        .split('/')
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    // No host in the URL: a Unix socket (or `host=` in the query, which says the same).
    let socket = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("host=/")));
    let local = matches!(host, "localhost" | "127.0.0.1" | "::1") || host.is_empty() || socket;
    if !local {
        return url.to_owned();
    }
    match query {
        Some(_) => format!("{url}&sslmode=disable"),
        None => format!("{url}?sslmode=disable"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_local_sslmode;

    #[test]
    fn a_local_postgres_url_goes_without_tls_unless_it_says_otherwise() {
        for (url, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/siji",
                "postgres://postgres@127.0.0.1:5432/siji?sslmode=disable",
            ),
            (
                "postgres://u:p@localhost/siji?application_name=siji",
                "postgres://u:p@localhost/siji?application_name=siji&sslmode=disable",
            ),
            (
                "postgresql://u@[::1]:5432/siji",
                "postgresql://u@[::1]:5432/siji?sslmode=disable",
            ),
            (
                "postgres://127.0.0.1/siji?sslmode=require",
                "postgres://127.0.0.1/siji?sslmode=require",
            ),
            (
                "postgres://u@db.example.org:5432/siji",
                "postgres://u@db.example.org:5432/siji",
            ),
            ("sqlite://siji.db?mode=rwc", "sqlite://siji.db?mode=rwc"),
        ] {
            assert_eq!(with_local_sslmode(url), expected, "{url}");
        }
    }
}

//! Runtime configuration, read from the environment (or the same-named command-line flags) into
//! a plain value that is passed to `Application::build`. There is no global: tests build the
//! `Settings` they need.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://siji.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_LOG: &str = "info";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the database is. Shared by `serve` and `migrate`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://path?mode=rwc` (embedded) or `postgres://user:pass@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(long, env = "SIJI_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    pub db_max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS,
        }
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "SIJI_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Apply pending migrations when the server starts.
    #[arg(long, env = "SIJI_AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,
    /// Comma-separated front-end origins allowed by CORS (e.g. `https://siji.example.org`).
    #[arg(long, env = "SIJI_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SIJI_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "SIJI_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds to let in-flight requests finish after SIGINT/SIGTERM.
    #[arg(long, env = "SIJI_SHUTDOWN_TIMEOUT", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    pub shutdown_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            auto_migrate: true,
            cors_origins: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            workers: None,
            shutdown_timeout_secs: DEFAULT_SHUTDOWN_TIMEOUT_SECS,
        }
    }
}

/// Logging, set once per process by the binary.
#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log filter, in `tracing` EnvFilter syntax (`info`, `siji_api=debug,info`).
    #[arg(long = "log", env = "SIJI_LOG", default_value = DEFAULT_LOG, global = true)]
    pub filter: String,
    /// Log line format.
    #[arg(long, env = "SIJI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

//! Runtime configuration, read from the environment (or the same-named command-line flags) into
//! a plain value that is passed to `Application::build`. There is no global: tests build the
//! `Settings` they need.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://siji.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_LOG: &str = "info";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_IMPORT_LIMIT: usize = 10 * 1024 * 1024;
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_DB_PING_IDLE_AFTER_MS: u64 = 1000;
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
    /// Largest number of pooled database connections. On PostgreSQL the HTTP workers split it
    /// between pools of their own (each at least one), and the pool opened at start (jobs,
    /// upkeep) has as many again.
    #[arg(long, env = "SIJI_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    pub db_max_connections: u32,
    /// A pooled connection idle this long (milliseconds) is pinged before it is handed out, and
    /// replaced if the database has dropped it; busier ones are not, so that a statement under
    /// load costs one round trip.
    #[arg(long, env = "SIJI_DB_PING_IDLE_AFTER_MS", default_value_t = DEFAULT_DB_PING_IDLE_AFTER_MS)]
    pub db_ping_idle_after_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS,
            db_ping_idle_after_ms: DEFAULT_DB_PING_IDLE_AFTER_MS,
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
    /// Largest accepted spreadsheet upload, in bytes.
    #[arg(long, env = "SIJI_IMPORT_LIMIT", default_value_t = DEFAULT_IMPORT_LIMIT)]
    pub import_limit: usize,
    /// Most data rows one spreadsheet import may hold (larger files are refused whole, 413).
    #[arg(long, env = "SIJI_IMPORT_MAX_ROWS", default_value_t = crate::spreadsheet::read::DEFAULT_MAX_ROWS)]
    pub import_max_rows: usize,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "SIJI_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds to let in-flight requests finish after SIGINT/SIGTERM.
    #[arg(long, env = "SIJI_SHUTDOWN_TIMEOUT", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    pub shutdown_timeout_secs: u64,
    /// When set, `GET /metrics` answers only a scrape that sends it as a bearer token.
    #[arg(long, env = "SIJI_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    #[command(flatten)]
    pub jobs: JobSettings,
    #[command(flatten)]
    pub auth: AuthSettings,
    #[command(flatten)]
    pub bootstrap: BootstrapSettings,
    #[command(flatten)]
    pub data: DataSettings,
    #[command(flatten)]
    pub sync: SyncSettings,
}

/// The job runner (long work: imports now, bank files and timed transitions later).
#[derive(Debug, Clone, Args)]
pub struct JobSettings {
    /// How many jobs this process runs at once; 0 runs none (leave them to `siji worker`).
    #[arg(long, env = "SIJI_JOB_RUNNERS", default_value_t = 2)]
    pub runners: usize,
    /// Milliseconds between looks for due jobs when none was announced in this process.
    #[arg(long, env = "SIJI_JOB_POLL_MS", default_value_t = 1000)]
    pub poll_ms: u64,
    /// Seconds a runner holds a job without renewing; a job whose runner died is taken up again
    /// after this.
    #[arg(long, env = "SIJI_JOB_LEASE_SECS", default_value_t = 30)]
    pub lease_secs: u64,
    /// The first retry of a failed attempt waits this long (milliseconds); each next one twice as
    /// long.
    #[arg(long, env = "SIJI_JOB_RETRY_BASE_MS", default_value_t = 5000)]
    pub retry_base_ms: u64,
    /// Attempts a job gets before it is marked failed.
    #[arg(long, env = "SIJI_JOB_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: i32,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            runners: 2,
            poll_ms: 1000,
            lease_secs: 30,
            retry_base_ms: 5000,
            max_attempts: 3,
        }
    }
}

/// The change feed's log (`GET /api/v1/sync/changes`).
#[derive(Debug, Clone, Args)]
pub struct SyncSettings {
    /// Days a change stays in the feed. Older changes are pruned; a client whose cursor lies
    /// before them gets 410 and resyncs. Counties that sync monthly need more than 31.
    #[arg(long, env = "SIJI_SYNC_RETENTION_DAYS", default_value_t = 90)]
    pub retention_days: u32,
    /// Seconds between prunings of the log, by the processes that run jobs.
    #[arg(long, env = "SIJI_SYNC_PRUNE_EVERY_SECS", default_value_t = 3600)]
    pub prune_every_secs: u64,
    /// Milliseconds between looks for changes to notify to webhooks.
    #[arg(long, env = "SIJI_WEBHOOK_POLL_MS", default_value_t = 1000)]
    pub webhook_poll_ms: u64,
    /// Tries of one webhook delivery before it is given up (the waits between them double from
    /// `SIJI_JOB_RETRY_BASE_MS`, at most an hour).
    #[arg(long, env = "SIJI_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub webhook_max_attempts: i32,
    /// Seconds an endpoint has to answer one delivery.
    #[arg(long, env = "SIJI_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
    /// Accept plain `http://` webhook URLs (a receiver on the same host in development). Never
    /// in production: deliveries would travel unencrypted.
    #[arg(long, env = "SIJI_WEBHOOK_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_http: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            retention_days: 90,
            prune_every_secs: 3600,
            webhook_poll_ms: 1000,
            webhook_max_attempts: 8,
            webhook_timeout_secs: 10,
            webhook_allow_http: false,
        }
    }
}

/// Keys protecting personal data at rest.
#[derive(Debug, Clone, Default, Args)]
pub struct DataSettings {
    /// The current encryption key, `<id>:<base64 of 32 bytes>`. Required on PostgreSQL; on the
    /// embedded SQLite default one is generated and stored in the database.
    #[arg(long, env = "SIJI_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<Secret>,
    /// Earlier keys, comma-separated, still needed to read values encrypted before a rotation.
    #[arg(long, env = "SIJI_DATA_KEYS_PREVIOUS", hide_env_values = true)]
    pub previous_data_keys: Option<Secret>,
    /// The blind-index key (base64 of 32 bytes). Never rotate it without re-indexing.
    #[arg(long, env = "SIJI_INDEX_KEY", hide_env_values = true)]
    pub index_key: Option<Secret>,
}

/// A secret from the environment: never printed by `Debug`.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Tokens and login protection.
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// Key for signing access tokens (HS256), at least 32 bytes. Required on PostgreSQL; on the
    /// embedded SQLite default a random one is generated and stored in the database.
    #[arg(long, env = "SIJI_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "SIJI_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "SIJI_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,
    /// Failed logins per username within the window before further attempts get 429.
    #[arg(long, env = "SIJI_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Failed logins per client IP within the window before further attempts get 429.
    #[arg(long, env = "SIJI_LOGIN_IP_MAX_FAILURES", default_value_t = 50)]
    pub login_ip_max_failures: u32,
    /// The throttling window, in seconds.
    #[arg(long, env = "SIJI_LOGIN_WINDOW", default_value_t = 900)]
    pub login_window_secs: u64,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it).
    #[arg(long, env = "SIJI_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            login_max_failures: 5,
            login_ip_max_failures: 50,
            login_window_secs: 900,
            trust_forwarded_for: false,
        }
    }
}

/// What a fresh database is given on first start.
#[derive(Debug, Clone, Args)]
pub struct BootstrapSettings {
    /// If no user exists yet, create user `admin` (city admin at the root) with this password.
    #[arg(long, env = "SIJI_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
    /// Name of the root (city federation) organisation created on first start.
    #[arg(long, env = "SIJI_ROOT_ORG_NAME", default_value = DEFAULT_ROOT_ORG_NAME)]
    pub root_org_name: String,
    /// GB/T 2260 division code of the root organisation created on first start.
    #[arg(long, env = "SIJI_ROOT_DIVISION_CODE", default_value = DEFAULT_ROOT_DIVISION_CODE)]
    pub root_division_code: String,
}

pub const DEFAULT_ROOT_ORG_NAME: &str = "市总工会";
pub const DEFAULT_ROOT_DIVISION_CODE: &str = "370800";

impl Default for BootstrapSettings {
    fn default() -> Self {
        Self {
            admin_password: None,
            root_org_name: DEFAULT_ROOT_ORG_NAME.to_owned(),
            root_division_code: DEFAULT_ROOT_DIVISION_CODE.to_owned(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            auto_migrate: true,
            cors_origins: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            import_limit: DEFAULT_IMPORT_LIMIT,
            import_max_rows: crate::spreadsheet::read::DEFAULT_MAX_ROWS,
            workers: None,
            shutdown_timeout_secs: DEFAULT_SHUTDOWN_TIMEOUT_SECS,
            metrics_token: None,
            jobs: JobSettings::default(),
            auth: AuthSettings::default(),
            bootstrap: BootstrapSettings::default(),
            data: DataSettings::default(),
            sync: SyncSettings::default(),
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

//! Building and running the server: `Application::build` connects, migrates, binds (port 0 picks
//! a free port, which tests use) and returns a server that has not started yet.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, Condition, Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::AuthState;
use crate::auth::secrets;
use crate::auth::throttle;
use crate::auth::tokens::TokenKeys;
use crate::bootstrap;
use crate::config::Settings;
use crate::http::extract::{self, BodyLimit};
use crate::http::fallback::{self, RouteTable};
use crate::http::request_id::{self, REQUEST_ID_HEADER};
use crate::state::AppState;
use crate::{db, docs};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[source] DbErr),
    #[error("cannot apply migrations: {0}")]
    Migration(#[source] DbErr),
    #[error("cannot listen on the configured address: {0}")]
    Bind(#[source] std::io::Error),
    #[error("token signing secret: {0}")]
    Secret(#[from] crate::auth::secrets::SecretError),
    #[error("first-start setup: {0}")]
    Bootstrap(#[from] crate::bootstrap::BootstrapError),
}

pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    state: web::Data<AppState>,
}

/// Everything but the listener: connect, migrate, first-start setup, the secrets. `siji worker`
/// needs exactly this.
pub async fn prepare(settings: Settings) -> Result<AppState, StartupError> {
    let db = db::connect(&settings.database)
        .await
        .map_err(StartupError::Database)?;
    if settings.auto_migrate {
        Migrator::up(&db, None)
            .await
            .map_err(StartupError::Migration)?;
    }
    db::refresh_statistics(&db).await;
    let root = bootstrap::ensure_root_org(&db, &settings.bootstrap).await?;
    bootstrap::ensure_admin(&db, &root, &settings.bootstrap).await?;
    let secret =
        secrets::jwt_secret(&db, settings.auth.jwt_secret.as_ref().map(|s| s.0.as_str())).await?;
    let auth = auth_state(&settings, &secret);
    let pii = secrets::data_protector(&db, &settings.data).await?;
    let database = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other",
    };
    let metrics = crate::http::metrics::Metrics::new(env!("CARGO_PKG_VERSION"), database);
    Ok(AppState {
        pools: crate::state::Pools::new(db.clone()),
        db,
        settings,
        auth: std::sync::Arc::new(auth),
        pii,
        clock: siji_core::Clock::System,
        jobs: crate::jobs::Wake::default(),
        runner_pulse: crate::jobs::runner::Pulse::default(),
        metrics: std::sync::Arc::new(metrics),
        statements: Default::default(),
        worker_pool: None,
    })
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(settings.bind).map_err(StartupError::Bind)?;
        let port = listener.local_addr().map_err(StartupError::Bind)?.port();
        let state = web::Data::new(prepare(settings).await?);
        let db = state.db.clone();
        let server = serve(listener, state.clone()).map_err(StartupError::Bind)?;
        Ok(Self {
            port,
            server,
            db,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's database pool (tests use it to look behind the API, or to take it away).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Every database pool of the process, the workers' own included (tests close them all to
    /// take the database away).
    pub fn pools(&self) -> crate::state::Pools {
        self.state.pools.clone()
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serve (and run jobs) until stopped (SIGINT/SIGTERM or the handle), let in-flight requests
    /// finish, give running jobs back to the queue, then close the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let runners = crate::jobs::runner::start(self.state.clone().into_inner());
        let result = self.server.await;
        runners.stop().await;
        tracing::info!("server stopped; closing the database pools");
        self.state.pools.close().await;
        result
    }
}

fn auth_state(settings: &Settings, secret: &[u8]) -> AuthState {
    let a = &settings.auth;
    let window = Duration::from_secs(a.login_window_secs);
    AuthState {
        keys: TokenKeys::new(secret, Duration::from_secs(a.access_token_ttl_secs)),
        refresh_ttl: Duration::from_secs(a.refresh_token_ttl_secs),
        user_limit: throttle::Limit {
            max_failures: a.login_max_failures,
            window,
        },
        ip_limit: throttle::Limit {
            max_failures: a.login_ip_max_failures,
            window,
        },
    }
}

fn cors(settings: &Settings) -> Cors {
    let allowed: Vec<String> = settings
        .cors_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_owned())
        .collect();
    Cors::default()
        // The configured front-ends, and the server's own origin (Swagger UI at /docs/ sends
        // `Origin` on its POSTs).
        .allowed_origin_fn(move |origin, head| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            let same_origin = head
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, rest)| rest == host)
                });
            same_origin || allowed.iter().any(|a| a == origin)
        })
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            REQUEST_ID_HEADER,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotent-replayed"),
            // So that a browser can name a downloaded export or template.
            header::CONTENT_DISPOSITION,
        ])
        .max_age(3600)
}

/// Swagger UI's assets change only with the binary, and the document only with a release: let
/// browsers and proxies keep them for a while.
async fn docs_caching(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    let max_age = if path.starts_with("/docs/") {
        Some("public, max-age=86400")
    } else if path == "/openapi.json" {
        Some("public, max-age=300")
    } else {
        None
    };
    if let Some(value) = max_age
        && res.status().is_success()
        && !res.headers().contains_key(header::CACHE_CONTROL)
    {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
    Ok(res)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    let document = docs::document();
    let routes = web::Data::new(RouteTable::from_document(&document));
    let body_limit = state.settings.body_limit;
    // As actix-web counts them by default; named, so that each worker's pool is its share.
    let workers = state.settings.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let shutdown = state.settings.shutdown_timeout_secs;

    let server = HttpServer::new(move || {
        let state = web::Data::new(state.for_worker(workers));
        let settings = &state.settings;
        App::new()
            .wrap(Condition::new(
                !settings.cors_origins.is_empty(),
                cors(settings),
            ))
            .wrap(from_fn(request_id::middleware))
            .wrap(from_fn(docs_caching))
            // Outermost: bodies are compressed (gzip, brotli, zstd, as the client accepts) after
            // every other layer has finished with them.
            .wrap(Compress::default())
            .app_data(state.clone())
            .app_data(routes.clone())
            .app_data(BodyLimit(body_limit))
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(extract::json_config(body_limit))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            .into_utoipa_app()
            .configure(crate::resources::routes)
            .into_app()
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", document.clone())
                    // A token entered once survives a reload of the page.
                    .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
            )
            .route("/docs", web::get().to(docs_redirect))
            .route("/metrics", web::get().to(crate::resources::health::metrics))
            .default_service(web::to(fallback::not_matched))
    })
    // Signals are handled by the binary (`cli`), which stops gracefully on SIGINT and SIGTERM
    // alike; embedded servers (tests) must not react to the process's signals at all.
    .disable_signals()
    .shutdown_timeout(shutdown)
    .client_request_timeout(Duration::from_secs(30))
    .workers(workers);
    Ok(server.listen(listener)?.run())
}

//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbBackend};
use sha2::{Digest, Sha256};
use siji_openapi::tags;

use super::dto::{Health, Readiness};
use crate::http::{ApiError, metrics};
use crate::state::AppState;

/// Liveness probe.
///
/// Answers as long as the process serves HTTP; it does not touch the database, so an
/// orchestrator does not restart the service because the database is down.
#[utoipa::path(
    tag = tags::OPERATIONS,
    operation_id = "healthz",
    responses((status = 200, description = "The process is alive", body = Health)),
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness probe.
///
/// Answers 200 when this process can take traffic: the database answers a ping, it has every
/// migration this version of Siji expects (a database behind an older schema is not ready),
/// and the job runners this process runs (`SIJI_JOB_RUNNERS`) are turning — seen within twice
/// the job lease. Otherwise 503 (`service_unavailable`, with `Retry-After`) with what is wrong
/// in `detail`, so a load balancer stops sending traffic here.
#[utoipa::path(
    tag = tags::OPERATIONS,
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready to take traffic", body = Readiness),
        (status = 503, response = crate::http::responses::ServiceUnavailable),
    ),
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness check failed: database unreachable");
        return Err(ApiError::Unavailable(
            "the database is not reachable".to_owned(),
        ));
    }
    let pending = Migrator::get_pending_migrations(&state.db)
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "readiness check failed: migrations unreadable");
            ApiError::Unavailable("the database's migrations cannot be read".to_owned())
        })?;
    if !pending.is_empty() {
        let names: Vec<String> = pending.iter().map(|m| m.name().to_owned()).collect();
        return Err(ApiError::Unavailable(format!(
            "{} migration(s) this version expects are not applied: {} (run `siji migrate up`)",
            names.len(),
            names.join(", ")
        )));
    }
    let runners = state.settings.jobs.runners;
    let seen = (runners > 0).then(|| state.runner_pulse.age());
    let stalled_after = Duration::from_secs(state.settings.jobs.lease_secs.max(3) * 2);
    if let Some(age) = seen
        && age > stalled_after
    {
        return Err(ApiError::Unavailable(format!(
            "the job runners have not been seen for {} s",
            age.as_secs()
        )));
    }
    let queued = siji_core::jobs::count_in(&state.db, siji_core::jobs::QUEUED)
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "readiness check failed: job queue unreadable");
            ApiError::Unavailable("the job queue cannot be read".to_owned())
        })?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: "ok",
        pending_migrations: 0,
        job_runners: runners,
        job_runner_seen_ms_ago: seen.map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        jobs_queued: i64::try_from(queued).unwrap_or(i64::MAX),
    }))
}

/// Prometheus metrics, in the OpenMetrics text format: requests and latency by route template
/// and status, this process's database pool, the shared job queue by status, the build. With
/// `SIJI_METRICS_TOKEN` set, only a scrape sending it as a bearer token is answered (401
/// otherwise).
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.settings.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Digests of equal length, so the comparison does not stop where the token differs.
        if Sha256::digest(sent.as_bytes()) != Sha256::digest(token.0.as_bytes()) {
            return Err(ApiError::Unauthenticated(
                "the metrics token is missing or wrong".into(),
            ));
        }
    }
    let pools = state.pools.all();
    let (in_use, idle, max) = pools
        .iter()
        .map(pool)
        .fold((0, 0, 0), |(u, i, m), (pu, pi, pm)| {
            (u + pu, i + pi, m + pm)
        });
    state.metrics.set_pool(in_use, idle, max);
    match siji_core::jobs::counts(&state.db).await {
        Ok(counts) => state.metrics.set_jobs(&counts),
        // The request metrics are still worth a scrape while the database is away.
        Err(err) => tracing::warn!(error = %err, "metrics: the job queue cannot be read"),
    }
    let text = state
        .metrics
        .encode()
        .map_err(|e| ApiError::Internal(format!("encoding the metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// The connections of the pool: in use, idle, and its ceiling.
fn pool(db: &DatabaseConnection) -> (i64, i64, i64) {
    let figures = |size: u32, idle: usize, max: u32| {
        let size = i64::from(size);
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        ((size - idle).max(0), idle, i64::from(max))
    };
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            figures(p.size(), p.num_idle(), p.options().get_max_connections())
        }
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            figures(p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

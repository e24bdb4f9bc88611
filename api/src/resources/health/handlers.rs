//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use siji_openapi::tags;

use super::dto::{Health, Readiness};
use crate::http::ApiError;
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
/// Answers 200 when the database answers a ping, and 503 (`service_unavailable`, with
/// `Retry-After`) when it does not, so a load balancer stops sending traffic here.
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
    match state.db.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Readiness {
            status: "ready",
            database: "ok",
        })),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed: database unreachable");
            Err(ApiError::Unavailable(
                "the database is not reachable".to_owned(),
            ))
        }
    }
}

//! `/healthz` and `/readyz`: outside `/api/v1` and without authentication, for infrastructure.

mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::healthz).service(handlers::readyz);
}

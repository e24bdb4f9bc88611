//! `/healthz`, `/readyz` and `/metrics`: outside `/api/v1` and without user authentication, for
//! infrastructure. `/metrics` is for the monitoring system and not in the API document.

mod dto;
mod handlers;

pub use handlers::metrics;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::healthz).service(handlers::readyz);
}

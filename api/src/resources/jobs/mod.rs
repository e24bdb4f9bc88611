//! `/api/v1/jobs/{id}`: the state, progress and result of long work a caller started (an
//! import answers `202 Accepted` with its job's URL).

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::get);
}

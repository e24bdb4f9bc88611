//! `/api/v1/workers`: the worker registry (职工), with personal data protected.

pub mod dto;
mod handlers;

pub use handlers::PRESENT;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/workers/search` and `/workers/export` before `/workers/{id}` routes.
    cfg.service(handlers::search)
        .service(handlers::export_list)
        .service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::archive)
        .service(handlers::restore)
        .service(handlers::reveal);
}

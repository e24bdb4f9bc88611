//! `/api/v1/enterprises`: unionised employers (建会企业).

pub mod dto;
mod handlers;

pub use handlers::PRESENT;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/enterprises/export` before `/enterprises/{id}`.
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::export_list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::archive)
        .service(handlers::restore);
}

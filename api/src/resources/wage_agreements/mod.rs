//! `/api/v1/wage-agreements`: collective wage agreements (工资集体协商) and their lifecycle.

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::add_round)
        .service(handlers::sign)
        .service(handlers::file)
        .service(handlers::terminate);
}

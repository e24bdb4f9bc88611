//! `/api/v1/users`: staff accounts, their roles, passwords and whether they may sign in.

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::disable)
        .service(handlers::enable)
        .service(handlers::reset_password);
}

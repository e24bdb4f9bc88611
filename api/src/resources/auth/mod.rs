//! `/api/v1/auth/*`: signing in and out, refreshing tokens, machine-client tokens.

mod dto;
mod handlers;
pub mod queries;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::login)
        .service(handlers::refresh)
        .service(handlers::logout)
        .service(handlers::token);
}

//! `/api/v1/clients`: machine clients (county systems) and their secrets.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::disable)
        .service(handlers::rotate_secret);
}

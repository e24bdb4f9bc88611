//! `/api/v1/orgs`: the union organisation tree (city → county → township → enterprise union).

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/orgs/tree` before `/orgs/{id}`, or "tree" would be taken for an id.
    cfg.service(handlers::tree)
        .service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::move_org);
}

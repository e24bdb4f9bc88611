//! `/api/v1/meta`: what front-ends need to render the API's codes for people, such as the
//! Chinese label of every enumeration value, from the same doc comments as the OpenAPI schema.

pub mod catalogue;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::enums);
}

//! `/api/v1/living-standards`: each county's minimum living standard (低保标准) per year, against
//! which hardship is measured.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create).service(handlers::list);
}

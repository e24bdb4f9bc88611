//! `/api/v1/me`: who the caller is, and changing one's own password.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::me).service(handlers::change_password);
}

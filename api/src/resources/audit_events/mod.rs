//! `/api/v1/audit-events`: reading the audit trail.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list);
}

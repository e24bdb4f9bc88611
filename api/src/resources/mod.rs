//! One folder per resource, each with the same shape: `mod.rs` (routes), `handlers.rs`,
//! `dto.rs` (request and response types) and, where there is database work, `queries.rs`.

pub mod audit_events;
pub mod auth;
pub mod bank_cards;
pub mod beneficiaries;
pub mod campaigns;
pub mod clients;
pub mod coverage;
pub mod enterprises;
pub mod grants;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod living_standards;
pub mod me;
pub mod meta;
pub mod minimum_wages;
pub mod orgs;
pub mod payouts;
pub mod sync;
pub mod users;
pub mod wage_agreements;
pub mod workers;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the service. Both the HTTP server and the OpenAPI document are built from this
/// one function, so a route cannot exist without being documented.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure);
    cfg.configure(grants::configure_public);
    cfg.configure(payouts::configure_downloads);
    cfg.service(
        scope("/api/v1")
            .configure(auth::configure)
            .configure(me::configure)
            .configure(meta::configure)
            .configure(orgs::configure)
            .configure(users::configure)
            .configure(clients::configure)
            .configure(enterprises::configure)
            .configure(workers::configure)
            .configure(imports::configure)
            .configure(jobs::configure)
            .configure(wage_agreements::configure)
            .configure(minimum_wages::configure)
            .configure(coverage::configure)
            .configure(beneficiaries::configure)
            .configure(living_standards::configure)
            .configure(campaigns::configure)
            .configure(grants::configure)
            .configure(bank_cards::configure)
            .configure(payouts::configure)
            .configure(sync::configure)
            .configure(audit_events::configure),
    );
}

//! Siji's database schema, as an ordered list of migrations. Each migration is its own file
//! (`m{YYYYMMDD_HHMMSS}_{what}.rs`) with its own `Iden` enums: migrations never import entities,
//! because an entity may change later while a migration must keep meaning what it meant.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_organisations_and_accounts;
mod m20261124_000002_registry;
mod m20261124_000003_wage_agreements;
mod m20261124_000004_hardship_archive;
mod m20261124_000005_idempotency_keys;
mod m20261127_000006_jobs;
mod m20261127_000007_change_log;
mod m20261127_000008_beneficiary_causes;
mod m20261128_000009_campaigns;
mod m20261128_000010_grants;
mod m20261128_000011_payouts;
mod m20261128_000012_name_search;
mod m20261128_000013_sync_mappings;
mod m20261128_000014_change_log_horizon;
mod m20261128_000015_webhooks;
mod m20261129_000016_archive_counts_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_organisations_and_accounts::Migration),
            Box::new(m20261124_000002_registry::Migration),
            Box::new(m20261124_000003_wage_agreements::Migration),
            Box::new(m20261124_000004_hardship_archive::Migration),
            Box::new(m20261124_000005_idempotency_keys::Migration),
            Box::new(m20261127_000006_jobs::Migration),
            Box::new(m20261127_000007_change_log::Migration),
            Box::new(m20261127_000008_beneficiary_causes::Migration),
            Box::new(m20261128_000009_campaigns::Migration),
            Box::new(m20261128_000010_grants::Migration),
            Box::new(m20261128_000011_payouts::Migration),
            Box::new(m20261128_000012_name_search::Migration),
            Box::new(m20261128_000013_sync_mappings::Migration),
            Box::new(m20261128_000014_change_log_horizon::Migration),
            Box::new(m20261128_000015_webhooks::Migration),
            Box::new(m20261129_000016_archive_counts_index::Migration),
        ]
    }
}

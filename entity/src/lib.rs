//! sea-orm entities for Siji, one module per table. Entities describe rows only: behaviour that
//! belongs to a record (validation, scoping, masking) lives in `siji-core`.

pub mod api_clients;
pub mod audit_events;
pub mod bank_cards;
pub mod beneficiaries;
pub mod beneficiary_causes;
pub mod beneficiary_visits;
pub mod campaign_allocations;
pub mod campaign_balances;
pub mod campaign_fund_sources;
pub mod campaign_ledger;
pub mod campaign_quotas;
pub mod campaigns;
pub mod change_log;
pub mod enterprises;
pub mod grant_notices;
pub mod grant_objections;
pub mod grants;
pub mod household_members;
pub mod idempotency_keys;
pub mod jobs;
pub mod living_standards;
pub mod login_throttle;
pub mod minimum_wages;
pub mod negotiation_rounds;
pub mod orgs;
pub mod payout_batches;
pub mod payout_files;
pub mod payout_results;
pub mod payouts;
pub mod refresh_tokens;
pub mod server_secrets;
pub mod users;
pub mod wage_agreement_enterprises;
pub mod wage_agreements;
pub mod workers;

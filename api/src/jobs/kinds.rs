//! The kinds of job and the work each does. This is the one place that maps a stored `kind` to
//! code; the work itself lives with its resource.

use std::sync::Arc;

use entity::jobs;

use super::Progress;
use crate::auth::Caller;
use crate::http::ApiError;
use crate::resources::imports::{self, ImportKind};
use crate::resources::{grants, payouts, sync};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Import(ImportKind),
    /// Grants from a campaign's worklist.
    BulkGrants,
    /// A payout batch exported as bank files.
    PayoutExport,
    /// A bank's result file applied to a payout batch.
    PayoutResults,
    /// A change notification posted to a client's webhook.
    WebhookDelivery,
}

impl JobKind {
    pub const ALL: [JobKind; 8] = [
        JobKind::Import(ImportKind::Workers),
        JobKind::Import(ImportKind::Enterprises),
        JobKind::Import(ImportKind::Agreements),
        JobKind::Import(ImportKind::Beneficiaries),
        JobKind::BulkGrants,
        JobKind::PayoutExport,
        JobKind::PayoutResults,
        JobKind::WebhookDelivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Import(ImportKind::Workers) => "import.workers",
            JobKind::Import(ImportKind::Enterprises) => "import.enterprises",
            JobKind::Import(ImportKind::Agreements) => "import.wage_agreements",
            JobKind::Import(ImportKind::Beneficiaries) => "import.beneficiaries",
            JobKind::BulkGrants => "grants.bulk",
            JobKind::PayoutExport => "payouts.export",
            JobKind::PayoutResults => "payouts.results",
            JobKind::WebhookDelivery => siji_core::sync::webhooks::DELIVER_JOB,
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }
}

/// Do the work of `job` as `caller`.
pub async fn execute(
    state: Arc<AppState>,
    job: &jobs::Model,
    caller: Caller,
    progress: Progress,
) -> Result<serde_json::Value, ApiError> {
    let kind = JobKind::parse(&job.kind)
        .ok_or_else(|| ApiError::Internal(format!("unknown job kind `{}`", job.kind)))?;
    match kind {
        JobKind::Import(import) => {
            let report = imports::run(&state, &caller, import, job, progress).await;
            // An import can multiply a table: its next queries plan by fresh statistics.
            crate::db::refresh_statistics(&state.db).await;
            report
        }
        JobKind::BulkGrants => grants::run_bulk(&state, &caller, job, progress).await,
        JobKind::PayoutExport => payouts::run_export(&state, &caller, job).await,
        JobKind::PayoutResults => payouts::run_results(&state, &caller, job).await,
        JobKind::WebhookDelivery => sync::delivery::run(&state, &caller, job).await,
    }
}

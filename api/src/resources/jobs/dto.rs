//! A job as clients see it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::ApiError;
use crate::http::problem::Problem;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a runner (also between attempts).
    Queued,
    /// A runner is working on it; `progress` moves.
    Running,
    /// Done; `result` holds what it produced.
    Succeeded,
    /// Given up; `error` says why.
    Failed,
}

/// How far a job has got: items done, of how many (when known).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobProgress {
    pub done: i64,
    pub total: Option<i64>,
}

/// What a succeeded job answers, by its kind (documentation only: the value is stored as it
/// was produced).
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum JobResult {
    /// `import.*`.
    Import(crate::resources::imports::ImportReport),
    /// `grants.bulk`.
    BulkGrants(crate::resources::grants::dto::BulkReportResponse),
    /// `payouts.export`: the batch, exported, and its bank files.
    PayoutExport(crate::resources::payouts::dto::ExportResponse),
    /// `payouts.results`: what the bank's result file did.
    PayoutResults(crate::resources::payouts::dto::ReconcileResponse),
}

/// Long work started by a request (作业): poll `url` until `status` is `succeeded` or `failed`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e3001",
    "url": "/api/v1/jobs/0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e3001",
    "kind": "import.workers",
    "status": "succeeded",
    "progress": {"done": 3, "total": 3},
    "attempts": 1,
    "created_at": "2017-08-31T09:00:00Z",
    "started_at": "2017-08-31T09:00:01Z",
    "finished_at": "2017-08-31T09:00:02Z",
    "result": {"total_rows": 3, "created": 2, "skipped": 1, "rejected": 0, "rows_omitted": 0, "rows": []},
    "error": null
}))]
pub struct JobResponse {
    pub id: Uuid,
    /// This job's own URL.
    pub url: String,
    /// What it does: `import.workers`, `import.enterprises`, `import.wage_agreements`,
    /// `import.beneficiaries`, `grants.bulk`, `payouts.export`, `payouts.results`.
    pub kind: String,
    pub status: JobStatus,
    pub progress: JobProgress,
    /// Attempts started so far (a failed attempt that may pass is retried with backoff).
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When succeeded: the job's result — an import's per-row report, the report of a bulk
    /// grant creation, an exported batch with its files, or a result file's reconciliation.
    #[schema(value_type = Option<JobResult>)]
    pub result: Option<serde_json::Value>,
    /// When failed (or between attempts): the last failure, as a problem document.
    pub error: Option<Problem>,
}

impl JobResponse {
    pub fn from_model(job: &entity::jobs::Model) -> Result<Self, ApiError> {
        let status = match job.status.as_str() {
            crate::jobs::QUEUED => JobStatus::Queued,
            crate::jobs::RUNNING => JobStatus::Running,
            crate::jobs::SUCCEEDED => JobStatus::Succeeded,
            crate::jobs::FAILED => JobStatus::Failed,
            _ => return Err(ApiError::Internal("a job has an unknown status".into())),
        };
        let result = job
            .result
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let error = job
            .error
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        Ok(Self {
            id: job.id,
            url: format!("/api/v1/jobs/{}", job.id),
            kind: job.kind.clone(),
            status,
            progress: JobProgress {
                done: job.progress_done,
                total: job.progress_total,
            },
            attempts: job.attempts,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            result,
            error,
        })
    }
}

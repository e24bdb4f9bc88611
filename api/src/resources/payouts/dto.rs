//! Request and response types of payout batches and payouts. The states, with their Chinese
//! names, are kept once in the core (`siji_core::payouts`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use siji_core::payouts::layouts;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

pub use siji_core::payouts::batches::PayoutOutcome;
use siji_core::payouts::batches::{BatchFilter, Built, NewBatch, PayoutFilter};
pub use siji_core::payouts::reconcile::ExceptionKind;
pub use siji_core::payouts::{BatchStatus, PayoutStatus};

/// Build a payout batch (生成发放批次).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002"}),
    json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "within_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"}),
    json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "follow_up_of": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001"})
))]
pub struct BuildBatchRequest {
    pub campaign_id: Uuid,
    /// Only grants of this organisation's subtree (a county); yours by default.
    pub within_org_id: Option<Uuid>,
    /// A follow-up batch (补发): pay again the failed and returned payouts of this exported
    /// batch, for payees whose card has since been replaced.
    pub follow_up_of: Option<Uuid>,
}

impl From<BuildBatchRequest> for NewBatch {
    fn from(b: BuildBatchRequest) -> Self {
        Self {
            campaign_id: b.campaign_id,
            within_org_id: b.within_org_id,
            follow_up_of: b.follow_up_of,
        }
    }
}

/// A payout batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "follow_up_of": null, "status": "draft",
    "payout_count": 137, "total_fen": 52100000, "built_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01",
    "approved_by": null, "approved_at": null, "exported_by": null, "exported_at": null, "reason": null,
    "created_at": "2017-08-25T09:00:00Z", "updated_at": "2017-08-25T09:00:00Z", "version": 1
}))]
pub struct BatchResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The organisation whose grants it pays (its subtree).
    pub org_id: Uuid,
    /// The batch whose failed or returned payouts this one pays again.
    pub follow_up_of: Option<Uuid>,
    pub status: BatchStatus,
    /// How many payouts, stored when built and re-checked at every step.
    pub payout_count: i32,
    /// Their sum in fen, stored when built and re-checked at every step.
    pub total_fen: i64,
    pub built_by: Uuid,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub exported_by: Option<Uuid>,
    pub exported_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<entity::payout_batches::Model> for BatchResponse {
    fn from(b: entity::payout_batches::Model) -> Self {
        Self {
            id: b.id,
            campaign_id: b.campaign_id,
            org_id: b.org_id,
            follow_up_of: b.follow_up_of,
            status: BatchStatus::parse(&b.status).unwrap_or(BatchStatus::Draft),
            payout_count: b.payout_count,
            total_fen: b.total_fen,
            built_by: b.built_by,
            approved_by: b.approved_by,
            approved_at: b.approved_at,
            exported_by: b.exported_by,
            exported_at: b.exported_at,
            reason: b.reason,
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
        }
    }
}

/// A batch just built, with what it left out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "batch": {
        "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
        "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "follow_up_of": null, "status": "draft",
        "payout_count": 135, "total_fen": 51500000, "built_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01",
        "approved_by": null, "approved_at": null, "exported_by": null, "exported_at": null, "reason": null,
        "created_at": "2017-08-25T09:00:00Z", "updated_at": "2017-08-25T09:00:00Z", "version": 1
    },
    "awaiting_card": 2, "awaiting_corrected_card": 0
}))]
pub struct BuiltResponse {
    pub batch: BatchResponse,
    /// Approved, unpaid grants left out because the payee has no active card (see
    /// `GET /api/v1/campaigns/{id}/payees-awaiting-card`).
    pub awaiting_card: u64,
    /// In a follow-up: failed or returned payouts left out because the payee's card is still the
    /// one they failed on.
    pub awaiting_corrected_card: u64,
}

impl From<Built> for BuiltResponse {
    fn from(b: Built) -> Self {
        Self {
            batch: b.batch.into(),
            awaiting_card: b.awaiting_card,
            awaiting_corrected_card: b.awaiting_corrected_card,
        }
    }
}

/// Filters of the batch list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BatchListQuery {
    pub campaign_id: Option<Uuid>,
    pub status: Option<BatchStatus>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl BatchListQuery {
    pub fn filter(&self) -> BatchFilter {
        BatchFilter {
            campaign_id: self.campaign_id,
            status: self.status,
        }
    }
}

/// Why a draft batch is cancelled.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "名单有误，重新生成"}))]
pub struct CancelBatchRequest {
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// One payout (发放明细), its card masked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7101", "batch_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001",
    "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "grant_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "card_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e6001",
    "holder_name": "张小明", "bank_code": "313", "bank_name": "济宁银行", "card_number_masked": "************0128",
    "amount_fen": 500000, "reference": "SJ01J5Z8Q4M2N7PX3K9T", "status": "sent", "reason": null,
    "retry_of": null, "settled_by": null, "settled_at": null,
    "created_at": "2017-08-25T09:00:00Z", "updated_at": "2017-08-26T09:00:00Z", "version": 2
}))]
pub struct PayoutResponse {
    pub id: Uuid,
    pub batch_id: Uuid,
    pub campaign_id: Uuid,
    pub grant_id: Uuid,
    /// The grant's organisation.
    pub org_id: Uuid,
    /// The card as it was when the batch was built.
    pub card_id: Uuid,
    pub holder_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub card_number_masked: String,
    pub amount_fen: i64,
    /// Unique, at most 20 characters: what the bank's remark field carries and its result file
    /// is matched by.
    pub reference: String,
    pub status: PayoutStatus,
    /// The bank's reason for a failure or return, or the staff decision's.
    pub reason: Option<String>,
    /// The failed or returned payout this one pays again.
    pub retry_of: Option<Uuid>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<entity::payouts::Model> for PayoutResponse {
    fn from(p: entity::payouts::Model) -> Self {
        Self {
            id: p.id,
            batch_id: p.batch_id,
            campaign_id: p.campaign_id,
            grant_id: p.grant_id,
            org_id: p.org_id,
            card_id: p.card_id,
            holder_name: p.holder_name,
            bank_code: p.bank_code,
            bank_name: p.bank_name,
            card_number_masked: p.bank_card_masked,
            amount_fen: p.amount_fen,
            reference: p.reference,
            status: PayoutStatus::parse(&p.status).unwrap_or(PayoutStatus::Pending),
            reason: p.reason,
            retry_of: p.retry_of,
            settled_by: p.settled_by,
            settled_at: p.settled_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Filters of the payout list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PayoutListQuery {
    pub batch_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub status: Option<PayoutStatus>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl PayoutListQuery {
    pub fn filter(&self) -> PayoutFilter {
        PayoutFilter {
            batch_id: self.batch_id,
            campaign_id: self.campaign_id,
            grant_id: self.grant_id,
            status: self.status,
        }
    }
}

/// A staff decision on a payout's outcome, and what it rests on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"status": "paid", "reason": "银行回单确认到账（回单号 20170826-0137）"}),
    json!({"status": "failed", "reason": "户名与账号不符"}),
    json!({"status": "returned", "reason": "账户已销户，银行退票"})
))]
pub struct SettleRequest {
    pub status: PayoutOutcome,
    /// The bank's reason, or what the decision rests on.
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// Filters of the "awaiting a card" worklist.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AwaitingCardQuery {
    /// Only grants of this organisation's subtree (a county).
    pub within_org_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

/// Export an approved batch as bank files (导出银行代发文件).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"layout": "gb18030_summary"}), json!({"layout": "generic"})))]
pub struct ExportRequest {
    /// The bank file layout: `generic` (UTF-8 CSV with a header and a closing total line) or
    /// `gb18030_summary` (GBK-compatible CSV whose first line is the count and total).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub layout: String,
}

/// One bank file of a batch: its checksum, count and total as recorded at export.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7201", "batch_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001",
    "layout": "gb18030_summary", "part": 1, "name": "payout-0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001-001-gb18030_summary.csv",
    "rows": 137, "total_fen": 52100000,
    "sha256": "9f2c1b0e6d0a4b7c8e5f3a2d1c0b9a8f7e6d5c4b3a29181716151413121110ff",
    "url": "/api/v1/payout-files/0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7201"
}))]
pub struct FileResponse {
    pub id: Uuid,
    pub batch_id: Uuid,
    pub layout: String,
    /// 1-based: a batch is split into files of at most the layout's maximum rows.
    pub part: i32,
    pub name: String,
    pub rows: i32,
    pub total_fen: i64,
    /// Of the file's bytes: a download is checked against it.
    pub sha256: String,
    /// Where to download it (`payouts.export`, audited).
    pub url: String,
}

impl From<entity::payout_files::Model> for FileResponse {
    fn from(f: entity::payout_files::Model) -> Self {
        Self {
            url: format!("/api/v1/payout-files/{}", f.id),
            id: f.id,
            batch_id: f.batch_id,
            layout: f.layout,
            part: f.part,
            name: f.name,
            rows: f.rows,
            total_fen: f.total_fen,
            sha256: f.sha256,
        }
    }
}

/// The result of an export job: the batch, now `exported`, and its files.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExportResponse {
    pub batch: BatchResponse,
    pub files: Vec<FileResponse>,
}

impl From<siji_core::payouts::export::Exported> for ExportResponse {
    fn from(e: siji_core::payouts::export::Exported) -> Self {
        Self {
            batch: e.batch.into(),
            files: e.files.into_iter().map(FileResponse::from).collect(),
        }
    }
}

/// Which layout a result file follows (its amounts in yuan or fen).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResultQuery {
    /// The layout the batch was exported in (`GET /api/v1/bank-layouts`): `generic` (the
    /// default), `gb18030_summary` or one the city added; it says the result file's format and
    /// where its result columns are.
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    #[param(default = "generic")]
    pub layout: Option<String>,
}

/// A line of the result file that was not applied, and why.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExceptionResponse {
    /// 1-based line of the file.
    pub line: usize,
    pub reference: String,
    pub kind: ExceptionKind,
    pub detail: String,
}

/// What applying a bank result file did (the result of a reconciliation job).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "batch_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7001",
    "sha256": "1c8e0d2a9b7f6e5d4c3b2a1908f7e6d5c4b3a2918070605040302010f0e0d0c0",
    "already_applied": false, "lines": 137, "paid": 134, "failed": 2, "returned": 0, "unknown": 1,
    "unchanged": 0, "exceptions": [], "missing": [], "batch_status": "exported"
}))]
pub struct ReconcileResponse {
    pub batch_id: Uuid,
    /// Of the file: the same file applied again changes nothing.
    pub sha256: String,
    /// This file had been applied to the batch before; nothing was changed.
    pub already_applied: bool,
    pub lines: usize,
    pub paid: usize,
    pub failed: usize,
    pub returned: usize,
    pub unknown: usize,
    /// Lines whose payout already had that outcome.
    pub unchanged: usize,
    /// Lines not applied: never silently.
    pub exceptions: Vec<ExceptionResponse>,
    /// References of payouts still waiting on the bank that the file does not mention.
    pub missing: Vec<String>,
    /// The batch's state afterwards (`reconciled` once every payout is final).
    pub batch_status: String,
}

impl From<siji_core::payouts::reconcile::Report> for ReconcileResponse {
    fn from(r: siji_core::payouts::reconcile::Report) -> Self {
        Self {
            batch_id: r.batch_id,
            sha256: r.sha256,
            already_applied: r.already_applied,
            lines: r.lines,
            paid: r.paid,
            failed: r.failed,
            returned: r.returned,
            unknown: r.unknown,
            unchanged: r.unchanged,
            exceptions: r
                .exceptions
                .into_iter()
                .map(|e| ExceptionResponse {
                    line: e.line,
                    reference: e.reference,
                    kind: e.kind,
                    detail: e.detail,
                })
                .collect(),
            missing: r.missing,
            batch_status: r.batch_status,
        }
    }
}

use siji_core::payouts::checks::{CheckFilter, Contact, CountyChecks, CountySample, SampleSize};
pub use siji_core::payouts::checks::{CheckResult, ContactMethod};

/// Draw the post-payment verification sample (抽样回访): give `percent`, or
/// `confidence_level` with `margin_percent`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"percent": 10}),
    json!({"confidence_level": 95, "margin_percent": 5, "within_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"})
))]
pub struct SampleRequest {
    /// Only paid recipients of this organisation's subtree; yours by default.
    pub within_org_id: Option<Uuid>,
    /// This share of each county's paid recipients, rounded up.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub percent: Option<u32>,
    /// 90, 95 or 99: each county's sample is large enough for this confidence level…
    pub confidence_level: Option<u32>,
    /// …and this margin of error in percentage points (1–20).
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub margin_percent: Option<u32>,
}

impl SampleRequest {
    pub fn size(&self) -> Result<SampleSize, crate::http::ApiError> {
        match (self.percent, self.confidence_level, self.margin_percent) {
            (Some(p), None, None) => Ok(SampleSize::Percent(p)),
            (None, Some(level), Some(margin)) => Ok(SampleSize::Confidence { level, margin }),
            _ => Err(siji_core::CoreError::field(
                "percent",
                "one_of",
                "give percent, or confidence_level with margin_percent",
            )
            .into()),
        }
    }
}

/// One county's sample after a draw.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountySampleResponse {
    pub county_id: Uuid,
    pub county_name: String,
    /// Its paid recipients.
    pub paid: usize,
    /// The sample's size now.
    pub sampled: usize,
    /// Drawn by this request (drawing again only tops a sample up).
    pub drawn: usize,
}

impl From<CountySample> for CountySampleResponse {
    fn from(c: CountySample) -> Self {
        Self {
            county_id: c.county_id,
            county_name: c.county_name,
            paid: c.paid,
            sampled: c.sampled,
            drawn: c.drawn,
        }
    }
}

/// The samples drawn.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "counties": [
    {"county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county_name": "任城区总工会", "paid": 69, "sampled": 7, "drawn": 7}]}))]
pub struct SampleResponse {
    pub campaign_id: Uuid,
    pub counties: Vec<CountySampleResponse>,
}

/// A sampled recipient and what the contact found.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7301", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
    "payout_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e7101", "grant_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "result": "received", "method": "phone", "contacted_on": "2017-09-10", "note": "已收到5000元",
    "recorded_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a03", "recorded_at": "2017-09-10T10:00:00Z",
    "created_at": "2017-09-05T09:00:00Z", "updated_at": "2017-09-10T10:00:00Z", "version": 2
}))]
pub struct CheckResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub payout_id: Uuid,
    pub grant_id: Uuid,
    pub org_id: Uuid,
    pub county_id: Uuid,
    pub result: CheckResult,
    pub method: Option<ContactMethod>,
    pub contacted_on: Option<chrono::NaiveDate>,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<entity::payout_checks::Model> for CheckResponse {
    fn from(c: entity::payout_checks::Model) -> Self {
        Self {
            id: c.id,
            campaign_id: c.campaign_id,
            payout_id: c.payout_id,
            grant_id: c.grant_id,
            org_id: c.org_id,
            county_id: c.county_id,
            result: CheckResult::parse(&c.status).unwrap_or(CheckResult::Pending),
            method: c.method.as_deref().and_then(ContactMethod::parse),
            contacted_on: c.contacted_on,
            note: c.note,
            recorded_by: c.recorded_by,
            recorded_at: c.recorded_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// What a contact with a sampled recipient found.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"method": "phone", "contacted_on": "2017-09-10", "result": "received", "note": "已收到5000元"}),
    json!({"method": "visit", "contacted_on": "2017-09-11", "result": "not_received", "note": "本人称未收到，银行卡已挂失"})
))]
pub struct RecordCheckRequest {
    pub method: ContactMethod,
    /// Not in the future.
    pub contacted_on: chrono::NaiveDate,
    /// `received`, `not_received` or `received_with_issues`.
    pub result: CheckResult,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

impl From<RecordCheckRequest> for Contact {
    fn from(b: RecordCheckRequest) -> Self {
        Self {
            method: b.method,
            contacted_on: b.contacted_on,
            result: b.result,
            note: b.note,
        }
    }
}

/// Filters of the check list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckListQuery {
    pub campaign_id: Option<Uuid>,
    /// `not_received` for the follow-up list.
    pub result: Option<CheckResult>,
    /// Only recipients of this organisation's subtree (a county).
    pub within_org_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl CheckListQuery {
    pub fn filter(&self) -> CheckFilter {
        CheckFilter {
            campaign_id: self.campaign_id,
            result: self.result,
            within_org_id: self.within_org_id,
        }
    }
}

/// One county's post-payment verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountyChecksResponse {
    pub county_id: Uuid,
    pub county_name: String,
    pub sampled: i64,
    pub pending: i64,
    pub received: i64,
    pub not_received: i64,
    pub received_with_issues: i64,
}

impl From<CountyChecks> for CountyChecksResponse {
    fn from(c: CountyChecks) -> Self {
        Self {
            county_id: c.county_id,
            county_name: c.county_name,
            sampled: c.sampled,
            pending: c.pending,
            received: c.received,
            not_received: c.not_received,
            received_with_issues: c.received_with_issues,
        }
    }
}

/// A campaign's post-payment verification, per county of your subtree.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "counties": [
    {"county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county_name": "任城区总工会", "sampled": 7,
     "pending": 1, "received": 5, "not_received": 1, "received_with_issues": 0}]}))]
pub struct CheckSummaryResponse {
    pub campaign_id: Uuid,
    pub counties: Vec<CountyChecksResponse>,
}

/// A short-lived link to a bank file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "/downloads/payout-files/eyJhbGciOiJIUzI1NiJ9.eyJmaWxlIjoiMDE5M2E1YjIifQ.c2lnbmF0dXJl",
    "expires_at": "2017-08-26T09:05:00Z"
}))]
pub struct FileLinkResponse {
    /// Download without a bearer token until `expires_at` (five minutes): for a browser's
    /// download or a bank's upload tool.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A bank file layout, and whether it is built in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "jining_bank_fixed", "label": "济宁银行代发定长格式", "encoding": "gb18030", "format": "fixed_width",
    "amount": "fen", "summary": "head", "header": false, "max_rows": 1000,
    "columns": [
        {"field": "card_number", "header": "卡号", "width": 19, "text": null},
        {"field": "holder_name", "header": "户名", "width": 20, "text": null},
        {"field": "amount", "header": "金额", "width": 12, "text": null},
        {"field": "reference", "header": "备注", "width": 20, "text": null}
    ],
    "result_columns": [
        {"field": "status", "header": "处理结果", "width": 8},
        {"field": "reason", "header": "失败原因", "width": 30}
    ],
    "builtin": false
}))]
// Its own fields rather than the layout flattened: the layout's schema refuses other properties
// (a definition to add must not carry unknown ones), which `builtin` beside it would break.
pub struct LayoutResponse {
    pub name: String,
    pub label: String,
    pub encoding: layouts::Encoding,
    pub format: layouts::Format,
    pub amount: layouts::AmountUnit,
    pub summary: layouts::Summary,
    /// Whether a header row names the columns.
    pub header: bool,
    pub columns: Vec<layouts::Column>,
    /// At most this many payouts per file; a batch is split into parts.
    pub max_rows: usize,
    /// What the bank adds to each line of its result file (回盘文件), after the columns.
    pub result_columns: Vec<layouts::ResultColumn>,
    pub builtin: bool,
}

impl LayoutResponse {
    pub fn of(layout: layouts::Layout, builtin: bool) -> Self {
        let layouts::Layout {
            name,
            label,
            encoding,
            format,
            amount,
            summary,
            header,
            columns,
            max_rows,
            result_columns,
        } = layout;
        Self {
            name,
            label,
            encoding,
            format,
            amount,
            summary,
            header,
            columns,
            max_rows,
            result_columns,
            builtin,
        }
    }
}

/// A bank file layout to add. Its rules (the required columns, widths exactly for fixed-width
/// layouts, a fixed column's text, 1–100,000 rows a file) are checked by the core.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct CreateLayoutRequest(pub siji_core::payouts::layouts::Layout);

impl Validate for CreateLayoutRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

//! Request and response types of the change feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

pub use siji_core::sync::ChangeKind;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// `next_cursor` (or a change's `cursor`) of an earlier answer; none to start from the
    /// beginning of the log.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
    /// Comma-separated kinds to follow (`worker,enterprise`): `org`, `enterprise`, `worker`,
    /// `beneficiary`, `wage_agreement`. Default: every kind your roles may read; asking for a
    /// kind they may not read is 403.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100, pattern = r"^[a-z_]+(,[a-z_]+)*$")]
    pub kinds: Option<String>,
    /// Changes per answer, 1–1000 (default 100).
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
}

/// One committed change of a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// Where to resume right after this change.
    pub cursor: String,
    pub kind: ChangeKind,
    /// The record's id.
    pub id: Uuid,
    /// The organisation that keeps the record after the change.
    pub org_id: Uuid,
    /// `create`, `update`, `archive`, `restore`, or `state` (a lifecycle step: an archive
    /// verified, an agreement signed, an organisation moved, …; `action` says which).
    pub op: String,
    /// The audited action that made the change, e.g. `worker.update`, `beneficiary.verify`.
    pub action: String,
    /// The record's version right after the change.
    pub version: i32,
    pub changed_at: DateTime<Utc>,
    /// The record as `GET /api/v1/{kind}s/{id}` shows it now (personal data masked): its
    /// `version` may be newer than the change's when later changes follow in the feed. `null`
    /// (a tombstone) when the record is no longer in your subtree.
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
}

/// One answer of the change feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "changes": [{
        "cursor": "WzEyMzQsNTZd", "kind": "worker", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
        "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01", "op": "update",
        "action": "worker.update", "version": 2, "changed_at": "2026-11-28T08:00:00Z",
        "record": {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "张三",
                   "id_number": "110105********002X", "version": 2}
    }],
    "next_cursor": "WzEyMzQsNTZd",
    "has_more": false
}))]
pub struct ChangesPage {
    /// In commit order.
    pub changes: Vec<ChangeResponse>,
    /// Where to ask next: after the last change here, or the cursor you sent when there is
    /// none. Always present: keep it.
    pub next_cursor: String,
    /// The answer is full: ask again at once. When `false`, you are at the end of what is
    /// committed; ask again after a pause.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// The kind of record to copy.
    pub kind: ChangeKind,
    /// `next_cursor` of the previous page; none to start.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
    /// Records per page, 1–1000 (default 100).
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
}

/// One page of a full resync.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "worker",
    "records": [{"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "张三",
                 "id_number": "110105********002X", "status": "active", "version": 3}],
    "next_cursor": "WzEyMzQsNTYsIjAxOTNhNWIyIl0",
    "feed_cursor": "WzEyMzQsNTZd"
}))]
pub struct SnapshotPage {
    pub kind: ChangeKind,
    /// The records, in id order, each as its own `GET` shows it (archived ones too).
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
    /// The next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Where to follow `GET /api/v1/sync/changes` from once the last page is in: the same on
    /// every page of one resync.
    pub feed_cursor: String,
}

use crate::http::FieldError;
use crate::resources::beneficiaries::dto::{
    CategoryOverride, Cause, CreateBeneficiaryRequest, FirstVisit, MemberRequest,
};
use crate::resources::enterprises::dto::CreateEnterpriseRequest;
use crate::resources::wage_agreements::dto::{
    AgreementScope, CreateAgreementRequest, FileRequest, NegotiationMode, SignRequest,
    TerminateRequest, TextType,
};
use crate::resources::workers::dto::CreateWorkerRequest;

/// One enterprise as your system holds it, under your own id.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncEnterprise {
    /// Your id of the record (1–64 characters), unique per client and kind.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub external_id: String,
    /// The version you last read (a push result, the feed). Omitted: the version you last wrote.
    /// A record changed in Siji since is a `conflict`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub base_version: Option<i32>,
    /// The record, as for `POST /api/v1/enterprises`. Field errors name its fields as they are
    /// (`uscc`, not `enterprise.uscc`).
    pub enterprise: CreateEnterpriseRequest,
}

/// One worker as your system holds it, under your own id.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncWorker {
    /// Your id of the record (1–64 characters), unique per client and kind.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub external_id: String,
    /// The version you last read (a push result, the feed). Omitted: the version you last wrote.
    /// A record changed in Siji since is a `conflict`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub base_version: Option<i32>,
    /// Your id of the employer, an enterprise you pushed before (instead of the worker's
    /// `enterprise_id`).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub employer_external_id: Option<String>,
    /// The record, as for `POST /api/v1/workers`. Field errors name its fields as they are
    /// (`id_number`, not `worker.id_number`).
    pub worker: CreateWorkerRequest,
}

/// One hardship archive (困难职工档案) as your system holds it, under your own id.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncArchive {
    /// Your id of the record (1–64 characters), unique per client and kind.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub external_id: String,
    /// The version you last read (a push result, the feed). Omitted: the version you last wrote.
    /// A record changed in Siji since is a `conflict`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub base_version: Option<i32>,
    /// Your id of the household head, a worker you pushed before (or give Siji's id as
    /// `archive.head_worker_id`; one of the two).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub head_external_id: Option<String>,
    /// The archive with its members, as for `POST /api/v1/beneficiaries`. Field errors name its
    /// fields as they are (`members[0].id_number`).
    pub archive: SyncArchiveFields,
}

/// The archive as for `POST /api/v1/beneficiaries`, the head by Siji's id optional (given by
/// your id instead). `first_visit` is the visit that opened the archive: it is recorded when the
/// archive is created and not compared afterwards. Sent again, the archive is compared whole:
/// members are matched by ID number (or name and relation) and keep their ids.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncArchiveFields {
    /// The organisation (in your subtree) that keeps the archive; it does not change later.
    pub org_id: Uuid,
    /// Siji's id of the household head, when not given by `head_external_id`.
    pub head_worker_id: Option<Uuid>,
    #[validate(range(min = 1, max = 30))]
    #[schema(minimum = 1, maximum = 30)]
    pub household_size: i32,
    /// Household income over the year, in fen.
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub annual_income_fen: i64,
    /// Rigid expenses (刚性支出) over the year, in fen.
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub rigid_expenses_fen: i64,
    /// Costs of an accident or disaster this year, in fen.
    #[serde(default)]
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub accident_costs_fen: i64,
    #[validate(length(min = 1, max = 7))]
    #[schema(min_items = 1, max_items = 7)]
    pub causes: Vec<Cause>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub needs: Option<String>,
    #[serde(default)]
    pub migrant_worker: bool,
    pub employment_started_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub long_term_assistance: bool,
    /// Up to 30 members besides the head (without `id`: they are matched).
    #[serde(default)]
    #[validate(nested)]
    pub members: Vec<MemberRequest>,
    #[validate(nested)]
    pub category_override: Option<CategoryOverride>,
    #[validate(nested)]
    pub first_visit: FirstVisit,
}

impl SyncArchiveFields {
    /// The archive to register or compare, headed by `head` (a nil id until the core resolves
    /// the head from `head_external_id`).
    pub fn into_new(self, head: Uuid) -> siji_core::archive::NewArchive {
        CreateBeneficiaryRequest {
            org_id: self.org_id,
            head_worker_id: head,
            household_size: self.household_size,
            annual_income_fen: self.annual_income_fen,
            rigid_expenses_fen: self.rigid_expenses_fen,
            accident_costs_fen: self.accident_costs_fen,
            causes: self.causes,
            needs: self.needs,
            migrant_worker: self.migrant_worker,
            employment_started_on: self.employment_started_on,
            long_term_assistance: self.long_term_assistance,
            members: self.members,
            category_override: self.category_override,
            first_visit: self.first_visit,
        }
        .into()
    }
}

/// Up to 1,000 hardship archives.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [{
    "external_id": "RC-A-0001", "head_external_id": "RC-W-000001",
    "archive": {"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "household_size": 3,
    "annual_income_fen": 3000000, "rigid_expenses_fen": 600000, "causes": ["illness", "child_education"],
    "needs": "子女大学学费",
    "members": [{"name": "张小明", "relation": "child", "id_number": "37081120080101123X",
                 "health": "healthy", "school": "山东大学", "stage": "undergraduate", "grade": 1,
                 "admission_year": 2026}],
    "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病，子女考入大学"}}
}]}))]
pub struct SyncArchivesRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub records: Vec<SyncArchive>,
}

/// One collective wage agreement (工资集体协议) as your system holds it, under your own id, in
/// the state it has reached there.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncAgreement {
    /// Your id of the record (1–64 characters), unique per client and kind.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub external_id: String,
    /// The version you last read (a push result, the feed). Omitted: the version you last wrote.
    /// A record changed in Siji since is a `conflict`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub base_version: Option<i32>,
    /// Covered enterprises by your ids of enterprises you pushed before, besides any given by
    /// Siji's id in `agreement.enterprise_ids`. At least one between the two.
    #[serde(default)]
    #[validate(length(max = 20000))]
    #[schema(max_items = 20000)]
    pub enterprise_external_ids: Vec<String>,
    /// The agreement, as for `POST /api/v1/wage-agreements`; fixed once created. Field errors
    /// name its fields as they are (`title`).
    pub agreement: SyncAgreementFields,
    /// Signed (签订): the term and figures, as for `…/sign`.
    pub terms: Option<SignRequest>,
    /// Filed (备案), as for `…/file`; only with `terms`.
    pub filing: Option<FileRequest>,
    /// Terminated early (终止), as for `…/terminate`; only with `terms`.
    pub termination: Option<TerminateRequest>,
}

/// The agreement as for `POST /api/v1/wage-agreements`, the covered enterprises by Siji's id
/// optional (given by your ids instead).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncAgreementFields {
    /// The union organisation (in your subtree) that keeps the agreement.
    pub org_id: Uuid,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub scope: AgreementScope,
    pub mode: NegotiationMode,
    pub text_type: TextType,
    /// GB/T 4754 section letter, for an industry agreement.
    #[schema(pattern = r"^[A-T]$")]
    pub industry: Option<String>,
    /// Covered enterprises by Siji's id (all in your subtree); exactly one enterprise in all for
    /// `scope: enterprise`.
    #[serde(default)]
    #[validate(length(max = 20000))]
    #[schema(max_items = 20000)]
    pub enterprise_ids: Vec<Uuid>,
}

impl SyncAgreementFields {
    /// The agreement as the create request states it, so the same conversion and the same
    /// industry rule apply.
    pub fn into_request(self) -> CreateAgreementRequest {
        CreateAgreementRequest {
            org_id: self.org_id,
            title: self.title,
            scope: self.scope,
            mode: self.mode,
            text_type: self.text_type,
            industry: self.industry,
            enterprise_ids: self.enterprise_ids,
        }
    }
}

/// Up to 1,000 wage agreements.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [{
    "external_id": "RC-H-2026-015", "enterprise_external_ids": ["RC-E-0001"],
    "agreement": {"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
        "title": "济宁某机械有限公司2026年工资专项集体合同", "scope": "enterprise",
        "mode": "single_enterprise", "text_type": "wage_special"},
    "terms": {"signed_on": "2026-03-01", "effective_from": "2026-03-01", "effective_to": "2029-02-28",
        "wage_rise_bp": 500, "minimum_wage_fen": 260000, "workers_covered": 320},
    "filing": {"filed_on": "2026-03-15", "filing_number": "济人社备〔2026〕15号"}
}]}))]
pub struct SyncAgreementsRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub records: Vec<SyncAgreement>,
}

/// A push holds 1 to 1,000 records (the handler checks it: `validator`'s rules on a list want
/// its items serialisable, and these are request types only).
pub fn record_count(records: usize) -> Result<(), crate::http::ApiError> {
    if (1..=siji_core::sync::push::MAX_RECORDS).contains(&records) {
        Ok(())
    } else {
        Err(crate::http::ApiError::Validation(vec![FieldError::new(
            "records",
            "length",
            "must hold 1 to 1,000 records",
        )]))
    }
}

/// Up to 1,000 enterprises.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [{
    "external_id": "RC-E-0001", "enterprise": {"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "name": "济宁某机械有限公司", "uscc": "91350100M000100Y43", "ownership": "private",
    "industry": "C", "headcount": 320, "member_count": 298}
}]}))]
pub struct SyncEnterprisesRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub records: Vec<SyncEnterprise>,
}

/// Up to 1,000 workers.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [{
    "external_id": "RC-W-000001", "base_version": 2, "employer_external_id": "RC-E-0001",
    "worker": {"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "张三明",
    "id_number": "11010519491231002X", "kind": "staff", "employment_status": "employed"}
}]}))]
pub struct SyncWorkersRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub records: Vec<SyncWorker>,
}

/// What became of one record.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// A new record, mapped to your id.
    Created,
    /// Written over the version you read.
    Updated,
    /// The same content as Siji holds: nothing written.
    Unchanged,
    /// Changed in Siji since the version you read: nothing written; `current` is the record.
    Conflict,
    /// Refused with field errors (the API's codes): nothing written.
    Invalid,
}

/// The result of one pushed record.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushResult {
    pub external_id: String,
    pub status: PushStatus,
    /// Siji's id of the record (all but `invalid`).
    pub id: Option<Uuid>,
    /// Its version now: send it as `base_version` next time.
    pub version: Option<i32>,
    /// Why an `invalid` record was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// A `conflict`'s record as `GET` shows it now (masked).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
}

/// The results, one per record in the order sent, and how many of each.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "results": [
        {"external_id": "RC-W-000001", "status": "created", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "version": 1},
        {"external_id": "RC-W-000002", "status": "invalid", "id": null, "version": null,
         "errors": [{"field": "id_number", "code": "invalid", "message": "is not a valid resident ID number"}]}
    ],
    "created": 1, "updated": 0, "unchanged": 0, "conflict": 0, "invalid": 1
}))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflict: usize,
    pub invalid: usize,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MappingsQuery {
    /// `enterprise`, `worker`, `beneficiary` or `wage_agreement`.
    pub kind: ChangeKind,
    /// Page size, 1–1000 (default 100).
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One of your ids and the Siji record it stands for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingResponse {
    pub kind: ChangeKind,
    pub external_id: String,
    pub id: Uuid,
    /// The record's version when you last wrote it (or last pushed it unchanged).
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// Register a webhook (变更通知).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://sync.rencheng.example.cn/siji/notify", "kinds": ["worker", "enterprise"]}))]
pub struct CreateWebhookRequest {
    /// Your HTTPS endpoint (at most 2,000 characters, no credentials in it).
    #[validate(length(min = 9, max = 2000))]
    #[schema(min_length = 9, max_length = 2000, format = "uri")]
    pub url: String,
    /// The kinds to be notified of; each needs its read permission.
    #[validate(length(min = 1, max = 5))]
    #[schema(min_items = 1, max_items = 5)]
    pub kinds: Vec<ChangeKind>,
}

/// A webhook: where notifications go and which kinds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f40", "url": "https://sync.rencheng.example.cn/siji/notify",
    "kinds": ["enterprise", "worker"], "active": true,
    "created_at": "2026-11-28T09:00:00Z", "updated_at": "2026-11-28T09:00:00Z",
    "signing_secret": "whsec_5S3cn0K2x1mB7yQ8lJ0wXc2d9P4tV6uA1rE3iO5hN8g"
}))]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub kinds: Vec<ChangeKind>,
    /// `false` once removed: nothing more is sent.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only in the answer to registration: the HMAC-SHA256 key of `Siji-Signature`. Store it
    /// now; it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

impl From<entity::webhooks::Model> for WebhookResponse {
    fn from(w: entity::webhooks::Model) -> Self {
        Self {
            id: w.id,
            kinds: siji_core::sync::webhooks::kinds_of(&w),
            url: w.url,
            active: w.active,
            created_at: w.created_at,
            updated_at: w.updated_at,
            signing_secret: None,
        }
    }
}

/// The body of a webhook notification, as posted to your endpoint (and shown with each
/// delivery). Verify `Siji-Signature` over the raw body before parsing it. Notifications of one
/// webhook are cut in commit order, but a retried one can arrive after a later one: treat them
/// as hints, and read the changes from `GET /api/v1/sync/changes` with your own cursor (or from
/// a change's `cursor`).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // Documents the body `sync::webhooks` writes; never built here.
pub struct Notification {
    /// The delivery's id, also in `Siji-Delivery`: take each once.
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// At most 500, in commit order; none when the notification only says `cursor_expired`.
    pub changes: Vec<NotifiedChange>,
    /// The feed's cursor after the last change named.
    pub next_cursor: String,
    /// `true` when changes before the first one named were pruned from the log before they
    /// could be notified (notifications stopped for longer than the log's retention): the
    /// hints have a gap. Copy the records again from `resync` (全量同步) and follow the feed
    /// from its `feed_cursor`, as a feed cursor answered `410 cursor_expired` would.
    pub cursor_expired: bool,
    /// With `cursor_expired` only: the route of the full resync.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/api/v1/sync/snapshot")]
    pub resync: Option<String>,
}

/// One change a notification names (never the record).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct NotifiedChange {
    pub kind: ChangeKind,
    pub id: Uuid,
    /// `create`, `update`, `archive`, `restore` or `state`.
    pub op: String,
    /// The record's version after the change.
    pub version: i32,
    /// The feed's cursor after this change.
    pub cursor: String,
}

/// How a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet taken by the endpoint: waiting for its (next) try.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every try failed; given up. The changes are still in the feed.
    Failed,
    /// The webhook was removed before it was delivered.
    Cancelled,
}

/// One try of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    pub attempted_at: DateTime<Utc>,
    /// The endpoint's HTTP status; `null` when it could not be reached.
    pub status_code: Option<i32>,
    /// Why the try failed, when the endpoint gave no status.
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One notification and its tries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f41", "status": "delivered", "changes": 2, "attempts": 2,
    "created_at": "2026-11-28T09:01:00Z", "delivered_at": "2026-11-28T09:01:06Z",
    "payload": {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f41", "webhook_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f40",
                "created_at": "2026-11-28T09:01:00Z",
                "changes": [{"kind": "worker", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "op": "create", "version": 1, "cursor": "WzczMSw0MV0"},
                            {"kind": "worker", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2002", "op": "update", "version": 3, "cursor": "WzczMSw0Ml0"}],
                "next_cursor": "WzczMSw0Ml0", "cursor_expired": false},
    "attempt_log": [
        {"attempted_at": "2026-11-28T09:01:01Z", "status_code": 503, "error": null, "duration_ms": 41},
        {"attempted_at": "2026-11-28T09:01:06Z", "status_code": 200, "error": null, "duration_ms": 38}
    ]
}))]
pub struct DeliveryResponse {
    pub id: Uuid,
    pub status: DeliveryStatus,
    /// How many changes it names.
    pub changes: i32,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body posted: ids, operations, versions and cursors, never a record.
    #[schema(value_type = Notification)]
    pub payload: serde_json::Value,
    /// Each try, oldest first.
    pub attempt_log: Vec<AttemptResponse>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookPageQuery {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

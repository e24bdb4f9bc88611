//! Request and response types of grants and their public notices. The states and recipient
//! kinds are kept once, with their Chinese names, in the core (`siji_core::grants`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::resources::beneficiaries::dto::{Category, Stage};
pub use siji_core::grants::{GrantStatus, RecipientKind};
use siji_core::grants::{NewGrant, RecipientRef, Visit, notices, queries::GrantFilter};

/// Whose grant it is: an archive (its head), a household member (the student), or a worker.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    pub kind: RecipientKind,
    /// The archive's id for `archive_head`, the household member's for `student`, the worker's
    /// for `worker`.
    pub id: Uuid,
}

/// Submit a grant (申报).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001",
           "recipient": {"kind": "archive_head", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001"}}),
    json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
           "recipient": {"kind": "student", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2101"}, "amount_fen": 400000})
))]
pub struct SubmitGrantRequest {
    pub campaign_id: Uuid,
    pub recipient: RecipientBody,
    /// Only where the campaign's rule gives a range (3,000–5,000 yuan); otherwise the rule
    /// decides the amount and this may be left out (or must equal it).
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub amount_fen: Option<i64>,
}

impl From<SubmitGrantRequest> for NewGrant {
    fn from(b: SubmitGrantRequest) -> Self {
        Self {
            campaign_id: b.campaign_id,
            recipient: match b.recipient.kind {
                RecipientKind::ArchiveHead => RecipientRef::ArchiveHead(b.recipient.id),
                RecipientKind::Student => RecipientRef::Student(b.recipient.id),
                RecipientKind::Worker => RecipientRef::Worker(b.recipient.id),
            },
            amount_fen: b.amount_fen,
        }
    }
}

/// The home visit (入户走访核实) that verifies a grant.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"visited_on": "2017-08-05", "findings": "家中三口人，母亲患病，孩子考入山东大学，情况属实"}))]
pub struct VerifyGrantRequest {
    pub visited_on: NaiveDate,
    #[validate(length(min = 2, max = 2000))]
    #[schema(min_length = 2, max_length = 2000)]
    pub findings: String,
}

impl From<VerifyGrantRequest> for Visit {
    fn from(b: VerifyGrantRequest) -> Self {
        Self {
            visited_on: b.visited_on,
            findings: b.findings,
        }
    }
}

/// Why a grant is rejected or withdrawn.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "公示期间收到异议，经核实家庭收入超过标准"}))]
pub struct ReasonRequest {
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// A grant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "recipient": "student",
    "beneficiary_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "member_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2101", "worker_id": null,
    "name": "张小明", "id_number_public": "3708**********0016", "category": "relative", "stage": "undergraduate",
    "school": "山东大学", "amount_fen": 400000,
    "basis": "困难职工家庭在校学生：正式档案，困难类别相对困难，本科/大专",
    "aided_elsewhere": false, "status": "on_notice", "notice_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5101",
    "submitted_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01", "verified_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a02",
    "verified_on": "2017-08-05", "visit_findings": "情况属实", "approved_by": null, "approved_at": null, "reason": null,
    "created_at": "2017-08-01T09:00:00Z", "updated_at": "2017-08-10T09:00:00Z", "version": 3
}))]
pub struct GrantResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The organisation the recipient belongs to.
    pub org_id: Uuid,
    pub recipient: RecipientKind,
    pub beneficiary_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub worker_id: Option<Uuid>,
    pub name: String,
    /// The ID number in its public-notice mask.
    pub id_number_public: Option<String>,
    pub category: Option<Category>,
    pub stage: Option<Stage>,
    pub school: Option<String>,
    pub amount_fen: i64,
    /// The clause of the campaign's rule that admitted the recipient.
    pub basis: String,
    /// Aided by another campaign of the same kind and year (a top-up the rule allows).
    pub aided_elsewhere: bool,
    pub status: GrantStatus,
    pub notice_id: Option<Uuid>,
    pub submitted_by: Uuid,
    pub verified_by: Option<Uuid>,
    pub verified_on: Option<NaiveDate>,
    pub visit_findings: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Why it was rejected or withdrawn.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<entity::grants::Model> for GrantResponse {
    fn from(g: entity::grants::Model) -> Self {
        Self {
            id: g.id,
            campaign_id: g.campaign_id,
            org_id: g.org_id,
            recipient: RecipientKind::parse(&g.recipient).unwrap_or(RecipientKind::Worker),
            beneficiary_id: g.beneficiary_id,
            member_id: g.member_id,
            worker_id: g.worker_id,
            name: g.name,
            id_number_public: g.id_number_public,
            category: g.category.as_deref().and_then(Category::parse),
            stage: g.stage.as_deref().and_then(Stage::parse),
            school: g.school,
            amount_fen: g.amount_fen,
            basis: g.basis,
            aided_elsewhere: g.aided_elsewhere,
            status: GrantStatus::parse(&g.status).unwrap_or(GrantStatus::Submitted),
            notice_id: g.notice_id,
            submitted_by: g.submitted_by,
            verified_by: g.verified_by,
            verified_on: g.verified_on,
            visit_findings: g.visit_findings,
            approved_by: g.approved_by,
            approved_at: g.approved_at,
            reason: g.reason,
            created_at: g.created_at,
            updated_at: g.updated_at,
            version: g.version,
        }
    }
}

/// Filters of the grant list, oldest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GrantListQuery {
    pub campaign_id: Option<Uuid>,
    pub status: Option<GrantStatus>,
    pub category: Option<Category>,
    /// Grants of this organisation itself.
    pub org_id: Option<Uuid>,
    /// Grants anywhere in this organisation's subtree (a county).
    pub within_org_id: Option<Uuid>,
    pub notice_id: Option<Uuid>,
    /// Only top-ups of people aided by another campaign of the same kind and year.
    pub aided_elsewhere: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl GrantListQuery {
    pub fn filter(&self) -> GrantFilter {
        GrantFilter {
            campaign_id: self.campaign_id,
            status: self.status,
            category: self.category,
            org_id: self.org_id,
            within_org_id: self.within_org_id,
            notice_id: self.notice_id,
            aided_elsewhere: self.aided_elsewhere,
        }
    }
}

/// Open a public notice (公示) over verified grants.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01",
    "title": "关于2017年金秋助学拟资助大学生名单的公示", "starts_on": "2017-08-10", "ends_on": "2017-08-14",
    "contact": "市总工会帮扶中心 0537-1234567", "grant_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001"]
}))]
pub struct CreateNoticeRequest {
    pub campaign_id: Uuid,
    /// The publishing organisation; every grant lies in its subtree.
    pub org_id: Uuid,
    #[validate(length(min = 2, max = 200))]
    #[schema(min_length = 2, max_length = 200)]
    pub title: String,
    pub starts_on: NaiveDate,
    /// At least the campaign's notice days after `starts_on` (both days count).
    pub ends_on: NaiveDate,
    /// Where objections go.
    #[validate(length(min = 2, max = 200))]
    #[schema(min_length = 2, max_length = 200)]
    pub contact: String,
    /// Verified grants of the campaign.
    #[validate(length(min = 1, max = 10000))]
    #[schema(min_items = 1, max_items = 10000)]
    pub grant_ids: Vec<Uuid>,
}

impl From<CreateNoticeRequest> for notices::NewNotice {
    fn from(b: CreateNoticeRequest) -> Self {
        Self {
            campaign_id: b.campaign_id,
            org_id: b.org_id,
            title: b.title,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            contact: b.contact,
            grant_ids: b.grant_ids,
        }
    }
}

/// One line of a public notice: only what the public may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeLine {
    /// 张*明, 张*.
    pub name: String,
    /// 1101**********002X.
    pub id_number: Option<String>,
    pub county: String,
    pub school: Option<String>,
    pub category: Option<Category>,
    pub stage: Option<Stage>,
    pub amount_fen: i64,
}

/// A public notice and its list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5101", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "title": "关于2017年金秋助学拟资助大学生名单的公示",
    "starts_on": "2017-08-10", "ends_on": "2017-08-14", "contact": "市总工会帮扶中心 0537-1234567",
    "public_url": "/public/notices/q3Xv9c2Lr8Jm0Tn5Yb7Wd1Ks4Hf6Pg2Ea9Zu3Ri8No",
    "lines": [{"name": "张*明", "id_number": "3708**********0016", "county": "任城区总工会", "school": "山东大学",
               "category": "relative", "stage": "undergraduate", "amount_fen": 400000}]
}))]
pub struct NoticeResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub contact: String,
    /// The page anyone may open without signing in while the notice runs (an unguessable link
    /// to publish; it stops working when the notice ends).
    pub public_url: String,
    pub lines: Vec<NoticeLine>,
}

impl NoticeResponse {
    pub fn new(n: entity::grant_notices::Model, lines: Vec<notices::PublicLine>) -> Self {
        Self {
            id: n.id,
            campaign_id: n.campaign_id,
            org_id: n.org_id,
            title: n.title,
            starts_on: n.starts_on,
            ends_on: n.ends_on,
            contact: n.contact,
            public_url: format!("/public/notices/{}", n.public_token),
            lines: lines
                .into_iter()
                .map(|l| NoticeLine {
                    name: l.name,
                    id_number: l.id_number,
                    county: l.county,
                    school: l.school,
                    category: l.category.as_deref().and_then(Category::parse),
                    stage: l.stage.as_deref().and_then(Stage::parse),
                    amount_fen: l.amount_fen,
                })
                .collect(),
        }
    }
}

pub use siji_core::grants::objections::{ObjectionChannel, ObjectionStatus};

/// An objection (异议) received while the grant's notice ran. Record what was objected to, not
/// who objected.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"received_on": "2017-08-12", "channel": "phone", "content": "反映该户家中有经营性收入，收入情况不实"}))]
pub struct ObjectionRequest {
    pub received_on: NaiveDate,
    pub channel: ObjectionChannel,
    #[validate(length(min = 2, max = 2000))]
    #[schema(min_length = 2, max_length = 2000)]
    pub content: String,
}

impl From<ObjectionRequest> for siji_core::grants::objections::NewObjection {
    fn from(b: ObjectionRequest) -> Self {
        Self {
            received_on: b.received_on,
            channel: b.channel,
            content: b.content,
        }
    }
}

/// Resolve an objection: `upheld` rejects the grant, `dismissed` lets it go on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "dismissed", "resolution": "经再次入户核实，经营收入已计入家庭收入，仍符合条件"}))]
pub struct ResolveObjectionRequest {
    pub outcome: ObjectionStatus,
    #[validate(length(min = 2, max = 2000))]
    #[schema(min_length = 2, max_length = 2000)]
    pub resolution: String,
}

/// An objection and how it stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5201", "grant_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001",
    "received_on": "2017-08-12", "channel": "phone", "content": "反映该户家中有经营性收入，收入情况不实",
    "status": "dismissed", "resolution": "经再次入户核实，仍符合条件",
    "resolved_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a03", "resolved_at": "2017-08-13T09:00:00Z",
    "created_at": "2017-08-12T10:00:00Z"
}))]
pub struct ObjectionResponse {
    pub id: Uuid,
    pub grant_id: Uuid,
    pub received_on: NaiveDate,
    pub channel: ObjectionChannel,
    pub content: String,
    pub status: ObjectionStatus,
    pub resolution: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::grant_objections::Model> for ObjectionResponse {
    fn from(o: entity::grant_objections::Model) -> Self {
        Self {
            id: o.id,
            grant_id: o.grant_id,
            received_on: o.received_on,
            channel: ObjectionChannel::parse(&o.channel).unwrap_or(ObjectionChannel::Letter),
            content: o.content,
            status: ObjectionStatus::parse(&o.status).unwrap_or(ObjectionStatus::Open),
            resolution: o.resolution,
            resolved_by: o.resolved_by,
            resolved_at: o.resolved_at,
            created_at: o.created_at,
        }
    }
}

/// One county's grants in a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountyGrantFigures {
    /// The county federation (the city itself for the grants it keeps).
    pub county_id: Uuid,
    pub county: String,
    /// Grants submitted and not withdrawn (申报).
    pub applied: u64,
    pub applied_fen: i64,
    pub verified: u64,
    pub on_notice: u64,
    /// Approved (受助人数) and their amount (资助金额).
    pub approved: u64,
    pub approved_fen: i64,
    pub rejected: u64,
}

/// A campaign's grants by county.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002",
    "counties": [{"county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county": "任城区总工会",
                  "applied": 15, "applied_fen": 6000000, "verified": 0, "on_notice": 0,
                  "approved": 13, "approved_fen": 5200000, "rejected": 2}],
    "approved": 13, "approved_fen": 5200000
}))]
pub struct GrantFiguresResponse {
    pub campaign_id: Uuid,
    pub counties: Vec<CountyGrantFigures>,
    /// Over the counties: the "N people, M yuan" of the report.
    pub approved: u64,
    pub approved_fen: i64,
}

impl GrantFiguresResponse {
    pub fn new(campaign_id: Uuid, figures: Vec<siji_core::grants::queries::CountyFigures>) -> Self {
        let approved = figures.iter().map(|f| f.approved).sum();
        let approved_fen = figures.iter().map(|f| f.approved_fen).sum();
        Self {
            campaign_id,
            counties: figures
                .into_iter()
                .map(|f| CountyGrantFigures {
                    county_id: f.county_id,
                    county: f.county,
                    applied: f.applied,
                    applied_fen: f.applied_fen,
                    verified: f.verified,
                    on_notice: f.on_notice,
                    approved: f.approved,
                    approved_fen: f.approved_fen,
                    rejected: f.rejected,
                })
                .collect(),
            approved,
            approved_fen,
        }
    }
}

/// Create grants from a worklist: every recipient the campaign's rule admits within an
/// organisation's subtree.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"within_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"}))]
pub struct BulkGrantsRequest {
    /// The subtree to draw from (a county); your own organisation's when left out.
    pub within_org_id: Option<Uuid>,
}

/// What became of one candidate that was not simply created.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkLine {
    pub recipient: RecipientKind,
    /// The archive, household member or worker.
    pub id: Uuid,
    /// `flagged` (created; aided by another campaign of the same kind and year),
    /// `already_granted`, `aided_elsewhere` (refused: no top-ups) or `not_eligible`.
    pub outcome: String,
    /// For `not_eligible`: the clause that refused it.
    pub reason: Option<String>,
}

/// The result of a bulk creation job.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "candidates": 120, "created": 101, "flagged": 0, "already_granted": 12, "aided_elsewhere": 2, "not_eligible": 5,
    "lines": [{"recipient": "archive_head", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "outcome": "not_eligible",
               "reason": "临时档案不在本次活动范围内（仅正式档案；临时档案只用于意外致困的应急救助）"}],
    "lines_omitted": 0
}))]
pub struct BulkReportResponse {
    pub candidates: u64,
    pub created: u64,
    pub flagged: u64,
    pub already_granted: u64,
    pub aided_elsewhere: u64,
    pub not_eligible: u64,
    /// Candidates not simply created (and the flagged), at most 1,000.
    pub lines: Vec<BulkLine>,
    pub lines_omitted: u64,
}

impl From<siji_core::grants::bulk::Report> for BulkReportResponse {
    fn from(r: siji_core::grants::bulk::Report) -> Self {
        use siji_core::grants::bulk::Outcome;
        Self {
            candidates: r.candidates,
            created: r.created,
            flagged: r.flagged,
            already_granted: r.already_granted,
            aided_elsewhere: r.aided_elsewhere,
            not_eligible: r.not_eligible,
            lines: r
                .lines
                .into_iter()
                .map(|l| {
                    let (outcome, reason) = match l.outcome {
                        Outcome::Created => ("created", None),
                        Outcome::Flagged => ("flagged", None),
                        Outcome::AlreadyGranted => ("already_granted", None),
                        Outcome::AidedElsewhere => ("aided_elsewhere", None),
                        Outcome::NotEligible(why) => ("not_eligible", Some(why)),
                    };
                    BulkLine {
                        recipient: l.recipient,
                        id: l.id,
                        outcome: outcome.to_owned(),
                        reason,
                    }
                })
                .collect(),
            lines_omitted: r.lines_omitted,
        }
    }
}

/// The grants a bulk step is taken on, at most 1,000.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001", "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5002"]}))]
pub struct BulkApproveRequest {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub grant_ids: Vec<Uuid>,
}

/// Verify many grants by the home visits of one round (走访).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001"], "visited_on": "2017-08-05", "findings": "逐户走访，情况属实"}))]
pub struct BulkVerifyRequest {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub grant_ids: Vec<Uuid>,
    pub visited_on: NaiveDate,
    #[validate(length(min = 2, max = 2000))]
    #[schema(min_length = 2, max_length = 2000)]
    pub findings: String,
}

/// Reject many grants for one reason.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001"], "reason": "复核后不符合条件"}))]
pub struct BulkRejectRequest {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub grant_ids: Vec<Uuid>,
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// What a bulk step did to one grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkStepResult {
    pub id: Uuid,
    /// The step was taken.
    pub ok: bool,
    /// The grant as it now is, when `ok`.
    pub grant: Option<GrantResponse>,
    /// When not `ok`: the problem code (`conflict`, `forbidden`, `not_found`,
    /// `insufficient_balance`, …) and what it means for this grant.
    pub code: Option<String>,
    pub detail: Option<String>,
}

/// Per grant, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"results": [
    {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001", "ok": true, "grant": null, "code": null, "detail": null},
    {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5002", "ok": false, "grant": null, "code": "forbidden",
     "detail": "four eyes: the approver of a grant one submitted or verified must be someone else"}
], "done": 1, "refused": 1}))]
pub struct BulkStepResponse {
    pub results: Vec<BulkStepResult>,
    pub done: usize,
    pub refused: usize,
}

//! Request and response types of collective wage agreements. The lists of scopes, modes and
//! text types are kept once, with their Chinese names, in the core (`siji_core::agreements`).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{negotiation_rounds, wage_agreements};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::resources::enterprises::dto::validate_industry;

pub use siji_core::agreements::{
    AgreementScope, AgreementStatus, NegotiationMode, TextType, effective_status,
};
use siji_core::agreements::{Filing, NewAgreement, Round, Termination, Terms};

/// One round of negotiation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundResponse {
    pub id: Uuid,
    pub held_on: NaiveDate,
    /// Who sat at the table (双方代表).
    pub parties: String,
    pub outcome: String,
}

impl From<negotiation_rounds::Model> for RoundResponse {
    fn from(r: negotiation_rounds::Model) -> Self {
        Self {
            id: r.id,
            held_on: r.held_on,
            parties: r.parties,
            outcome: r.outcome,
        }
    }
}

/// A collective wage agreement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e3001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "title": "济宁某机械有限公司2026年工资专项集体合同", "scope": "enterprise", "mode": "single_enterprise",
    "text_type": "wage_special", "industry": null, "status": "filed",
    "enterprise_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1001"],
    "signed_on": "2026-03-01", "effective_from": "2026-03-01", "effective_to": "2029-02-28",
    "wage_rise_bp": 500, "minimum_wage_fen": 260000, "workers_covered": 320,
    "filed_on": "2026-03-15", "filing_number": "济人社备〔2026〕15号", "terminated_on": null, "termination_reason": null,
    "rounds": [{"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e3101", "held_on": "2026-02-10", "parties": "企业方、工会方", "outcome": "就工资增幅达成一致"}],
    "created_at": "2026-02-01T09:00:00Z", "updated_at": "2026-03-15T09:00:00Z", "version": 4
}))]
pub struct AgreementResponse {
    pub id: Uuid,
    /// The union organisation that keeps the agreement.
    pub org_id: Uuid,
    pub title: String,
    pub scope: AgreementScope,
    pub mode: NegotiationMode,
    pub text_type: TextType,
    /// For industry-wide agreements: the GB/T 4754 section letter.
    pub industry: Option<String>,
    pub status: AgreementStatus,
    /// The enterprises covered (one for `scope: enterprise`).
    pub enterprise_ids: Vec<Uuid>,
    pub signed_on: Option<NaiveDate>,
    pub effective_from: Option<NaiveDate>,
    /// At most three years after `effective_from`.
    pub effective_to: Option<NaiveDate>,
    /// Agreed average wage rise, in basis points (500 = 5%).
    pub wage_rise_bp: Option<i32>,
    /// Agreed minimum monthly wage in the enterprise, in fen; never below the local statutory
    /// minimum (最低工资标准).
    pub minimum_wage_fen: Option<i64>,
    pub workers_covered: Option<i32>,
    /// Filing with the labour bureau (备案).
    pub filed_on: Option<NaiveDate>,
    pub filing_number: Option<String>,
    pub terminated_on: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    pub rounds: Vec<RoundResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl AgreementResponse {
    pub fn new(
        a: wage_agreements::Model,
        enterprise_ids: Vec<Uuid>,
        rounds: Vec<negotiation_rounds::Model>,
        today: NaiveDate,
    ) -> Self {
        Self {
            status: effective_status(&a, today),
            id: a.id,
            org_id: a.org_id,
            title: a.title,
            scope: AgreementScope::parse(&a.scope).unwrap_or(AgreementScope::Enterprise),
            mode: NegotiationMode::parse(&a.mode).unwrap_or(NegotiationMode::SingleEnterprise),
            text_type: TextType::parse(&a.text_type).unwrap_or(TextType::Other),
            industry: a.industry,
            enterprise_ids,
            signed_on: a.signed_on,
            effective_from: a.effective_from,
            effective_to: a.effective_to,
            wage_rise_bp: a.wage_rise_bp,
            minimum_wage_fen: a.minimum_wage_fen,
            workers_covered: a.workers_covered,
            filed_on: a.filed_on,
            filing_number: a.filing_number,
            terminated_on: a.terminated_on,
            termination_reason: a.termination_reason,
            rounds: rounds.into_iter().map(RoundResponse::from).collect(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

fn validate_optional_industry(code: &str) -> Result<(), validator::ValidationError> {
    validate_industry(code)
}

/// Open an agreement under negotiation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "title": "济宁某机械有限公司2026年工资专项集体合同", "scope": "enterprise",
           "mode": "single_enterprise", "text_type": "wage_special", "enterprise_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1001"]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "title": "任城区餐饮行业工资集体协议", "scope": "industry", "mode": "industry",
           "text_type": "wage_special", "industry": "H",
           "enterprise_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1002", "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1003"]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "title": "某街道区域性工资集体协议", "scope": "regional", "mode": "regional",
           "text_type": "comprehensive",
           "enterprise_ids": ["0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1004", "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1005"]})
))]
pub struct CreateAgreementRequest {
    /// The union organisation (in your subtree) that keeps the agreement.
    pub org_id: Uuid,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub scope: AgreementScope,
    pub mode: NegotiationMode,
    pub text_type: TextType,
    #[validate(custom(function = "validate_optional_industry"))]
    #[schema(pattern = r"^[A-T]$")]
    pub industry: Option<String>,
    /// Exactly one for `scope: enterprise`; at least one otherwise. All in your subtree.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_items = 1, max_items = 20000)]
    pub enterprise_ids: Vec<Uuid>,
}

/// Record a round of negotiation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_on": "2026-02-10", "parties": "企业方：人力资源部；工会方：职工代表5人", "outcome": "就工资增幅5%达成一致"}))]
pub struct RoundRequest {
    pub held_on: NaiveDate,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub parties: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub outcome: String,
}

/// Sign the agreement: its term and the agreed figures.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"signed_on": "2026-03-01", "effective_from": "2026-03-01", "effective_to": "2029-02-28",
                          "wage_rise_bp": 500, "minimum_wage_fen": 260000, "workers_covered": 320}))]
pub struct SignRequest {
    pub signed_on: NaiveDate,
    pub effective_from: NaiveDate,
    /// At most three years after `effective_from` (the day before the third anniversary).
    pub effective_to: NaiveDate,
    #[validate(range(min = -10000, max = 100000))]
    #[schema(minimum = -10000, maximum = 100000)]
    pub wage_rise_bp: i32,
    /// Monthly, in fen; not below the local statutory minimum.
    #[validate(range(min = 1, max = 100_000_000))]
    pub minimum_wage_fen: i64,
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub workers_covered: i32,
}

/// File the signed agreement with the labour bureau (备案).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"filed_on": "2026-03-15", "filing_number": "济人社备〔2026〕15号"}))]
pub struct FileRequest {
    pub filed_on: NaiveDate,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub filing_number: String,
}

/// End the agreement before its term.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"terminated_on": "2027-06-30", "reason": "企业破产清算"}))]
pub struct TerminateRequest {
    pub terminated_on: NaiveDate,
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// Filters of the agreement list, oldest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementListQuery {
    pub status: Option<AgreementStatus>,
    pub scope: Option<AgreementScope>,
    pub mode: Option<NegotiationMode>,
    pub text_type: Option<TextType>,
    /// Only agreements covering this enterprise.
    pub enterprise_id: Option<Uuid>,
    /// Worklist: signed or filed agreements whose term ends within this many days from today.
    #[validate(range(min = 0, max = 3650))]
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<u32>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl From<CreateAgreementRequest> for NewAgreement {
    fn from(b: CreateAgreementRequest) -> Self {
        Self {
            org_id: b.org_id,
            title: b.title,
            scope: b.scope,
            mode: b.mode,
            text_type: b.text_type,
            industry: b.industry,
            enterprise_ids: b.enterprise_ids,
        }
    }
}

impl From<SignRequest> for Terms {
    fn from(b: SignRequest) -> Self {
        Self {
            signed_on: b.signed_on,
            effective_from: b.effective_from,
            effective_to: b.effective_to,
            wage_rise_bp: b.wage_rise_bp,
            minimum_wage_fen: b.minimum_wage_fen,
            workers_covered: b.workers_covered,
        }
    }
}

impl From<FileRequest> for Filing {
    fn from(b: FileRequest) -> Self {
        Self {
            filed_on: b.filed_on,
            filing_number: b.filing_number,
        }
    }
}

impl From<RoundRequest> for Round {
    fn from(b: RoundRequest) -> Self {
        Self {
            held_on: b.held_on,
            parties: b.parties,
            outcome: b.outcome,
        }
    }
}

impl From<TerminateRequest> for Termination {
    fn from(b: TerminateRequest) -> Self {
        Self {
            terminated_on: b.terminated_on,
            reason: b.reason,
        }
    }
}

impl AgreementListQuery {
    pub fn filter(&self) -> siji_core::agreements::queries::AgreementFilter {
        siji_core::agreements::queries::AgreementFilter {
            status: self.status,
            scope: self.scope,
            mode: self.mode,
            text_type: self.text_type,
            enterprise_id: self.enterprise_id,
            expiring_within_days: self.expiring_within_days,
        }
    }
}

//! Request and response types of collective wage agreements. The lists of scopes, modes and
//! text types are kept here, once, with their Chinese names.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{negotiation_rounds, wage_agreements};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::resources::enterprises::dto::validate_industry;

use crate::enums::string_enum;

string_enum!(
    /// Whom an agreement covers.
    AgreementScope {
        /// One enterprise (单个企业).
        Enterprise = "enterprise",
        /// An industry-wide agreement (行业性) covering the listed enterprises.
        Industry = "industry",
        /// A regional agreement (区域性), e.g. a township or an industrial park, covering the listed enterprises.
        Regional = "regional",
    }
);

string_enum!(
    /// How the agreement was negotiated (the "6 modes" of the "165" brand).
    NegotiationMode {
        /// The enterprise and its union negotiate on their own (企业单独协商).
        SingleEnterprise = "single_enterprise",
        /// Industry-wide negotiation (行业性协商).
        Industry = "industry",
        /// Regional negotiation (区域性协商).
        Regional = "regional",
        /// A higher-level union negotiates for an enterprise without the capacity (上级工会代行协商/上代下).
        Delegated = "delegated",
        /// Several enterprises negotiate jointly (联合协商).
        Joint = "joint",
        /// Negotiation conducted online (网上协商).
        Online = "online",
    }
);

string_enum!(
    /// The standard text the agreement follows (the "5 types of text").
    TextType {
        /// Special collective agreement on wages (工资专项集体合同).
        WageSpecial = "wage_special",
        /// Comprehensive collective contract (综合性集体合同).
        Comprehensive = "comprehensive",
        /// Special agreement on the protection of women workers' rights (女职工权益保护专项集体合同).
        WomenRights = "women_rights",
        /// Special agreement on labour safety and health (劳动安全卫生专项集体合同).
        LabourSafety = "labour_safety",
        /// Another special collective agreement (其他专项集体合同).
        Other = "other",
    }
);

string_enum!(
    /// Where an agreement is in its life: `negotiating` → `signed` → `filed` (备案) →
    /// `expired` (by date) or `terminated` (with a reason).
    AgreementStatus {
        /// Being negotiated (协商中).
        Negotiating = "negotiating",
        /// Signed (已签订), not yet filed.
        Signed = "signed",
        /// Filed with the labour bureau (已备案).
        Filed = "filed",
        /// Its term has ended (已到期); derived from `effective_to`.
        Expired = "expired",
        /// Ended early (已终止).
        Terminated = "terminated",
    }
);

/// The status as stored, with `expired` derived from the dates.
pub fn effective_status(a: &wage_agreements::Model, today: NaiveDate) -> AgreementStatus {
    let stored = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Negotiating);
    match stored {
        AgreementStatus::Signed | AgreementStatus::Filed
            if a.effective_to.is_some_and(|to| to < today) =>
        {
            AgreementStatus::Expired
        }
        other => other,
    }
}

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
    pub title: String,
    pub scope: AgreementScope,
    pub mode: NegotiationMode,
    pub text_type: TextType,
    #[validate(custom(function = "validate_optional_industry"))]
    pub industry: Option<String>,
    /// Exactly one for `scope: enterprise`; at least one otherwise. All in your subtree.
    #[validate(length(min = 1, max = 20000))]
    pub enterprise_ids: Vec<Uuid>,
}

/// Record a round of negotiation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_on": "2026-02-10", "parties": "企业方：人力资源部；工会方：职工代表5人", "outcome": "就工资增幅5%达成一致"}))]
pub struct RoundRequest {
    pub held_on: NaiveDate,
    #[validate(length(min = 1, max = 500))]
    pub parties: String,
    #[validate(length(min = 1, max = 1000))]
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
    pub wage_rise_bp: i32,
    /// Monthly, in fen; not below the local statutory minimum.
    #[validate(range(min = 1, max = 100_000_000))]
    pub minimum_wage_fen: i64,
    #[validate(range(min = 0, max = 10_000_000))]
    pub workers_covered: i32,
}

/// File the signed agreement with the labour bureau (备案).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"filed_on": "2026-03-15", "filing_number": "济人社备〔2026〕15号"}))]
pub struct FileRequest {
    pub filed_on: NaiveDate,
    #[validate(length(min = 1, max = 64))]
    pub filing_number: String,
}

/// End the agreement before its term.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"terminated_on": "2027-06-30", "reason": "企业破产清算"}))]
pub struct TerminateRequest {
    pub terminated_on: NaiveDate,
    #[validate(length(min = 2, max = 500))]
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

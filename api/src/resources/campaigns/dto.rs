//! Request and response types of aid campaigns. The kinds, states and fund sources are kept
//! once, with their Chinese names, in the core (`siji_core::campaigns`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::http::extract::double_option;
use siji_core::campaigns::{
    Campaign, CampaignChanges, FundSource, MAX_SOURCES, NewCampaign, queries::CampaignFilter,
};
pub use siji_core::campaigns::{CampaignKind, CampaignStatus, FundSourceKind, GrantRule};

/// One source of a campaign's money.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "central_fiscal", "name": null, "amount_fen": 300000000}))]
pub struct FundSourceBody {
    pub source: FundSourceKind,
    /// Who gave it, where that matters (a donor, a partner).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// The amount in fen (分), positive.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount_fen: i64,
}

impl From<FundSourceBody> for FundSource {
    fn from(b: FundSourceBody) -> Self {
        Self {
            source: b.source,
            name: b.name,
            amount_fen: b.amount_fen,
        }
    }
}

/// Prepare a campaign (it starts as a `draft`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "kind": "winter_warmth", "year": 2017,
           "title": "2017年元旦春节送温暖活动", "applications_from": "2017-12-01", "applications_until": "2018-01-15",
           "notice_days": 5, "quota": 4500,
           "rule": {"recipients": {"from": "archive", "categories": ["deep", "relative"]},
                    "amount": {"type": "per_category", "tiers": [{"category": "deep", "amount_fen": 150000}, {"category": "relative", "amount_fen": 100000}]}},
           "fund_sources": [
               {"source": "central_fiscal", "amount_fen": 300000000},
               {"source": "provincial_fiscal", "amount_fen": 200000000},
               {"source": "city_fiscal", "amount_fen": 171200000}
           ]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "kind": "autumn_tuition", "year": 2017,
           "title": "2017年金秋助学活动", "applications_from": "2017-07-20", "applications_until": "2017-08-31",
           "quota": 400,
           "rule": {"recipients": {"from": "students", "categories": ["deep", "relative"], "stages": ["undergraduate", "vocational"], "admission_year": 2017},
                    "amount": {"type": "per_stage", "tiers": [{"stage": "undergraduate", "amount_fen": 500000}, {"stage": "vocational", "amount_fen": 300000}]}},
           "fund_sources": [
               {"source": "federation", "amount_fen": 150000000},
               {"source": "donation", "name": "济宁银行", "amount_fen": 50000000}
           ]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "kind": "summer_cool", "year": 2017,
           "title": "2017年夏送清凉活动", "quota": 1500,
           "rule": {"recipients": {"from": "registry", "frontline": true, "high_temperature": true},
                    "amount": {"type": "goods", "items": [{"name": "防暑降温用品", "quantity": 1, "unit_value_fen": 8000}]}},
           "fund_sources": [{"source": "in_kind", "name": "合作企业防暑降温物资", "amount_fen": 12000000}]})
))]
pub struct CreateCampaignRequest {
    /// The organisation that runs it (in your subtree): the city federation for a city-wide
    /// campaign, a county federation for its own.
    pub org_id: Uuid,
    pub kind: CampaignKind,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// First day applications are accepted.
    pub applications_from: Option<NaiveDate>,
    /// Last day applications are accepted; not before `applications_from`.
    pub applications_until: Option<NaiveDate>,
    /// The public notice period (公示期) in days before grants are final; 5 when not given.
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60, default = 5)]
    pub notice_days: Option<i32>,
    /// How many recipients (名额) the campaign plans for; opening needs it.
    #[validate(range(min = 1, max = 10_000_000))]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub quota: Option<i32>,
    /// Who may receive and how much (发放标准); opening needs it.
    pub rule: Option<GrantRule>,
    /// Where the money comes from; the budget is their sum. A draft may have none yet; opening
    /// needs at least one.
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub fund_sources: Vec<FundSourceBody>,
}

impl From<CreateCampaignRequest> for NewCampaign {
    fn from(b: CreateCampaignRequest) -> Self {
        Self {
            org_id: b.org_id,
            kind: b.kind,
            year: b.year,
            title: b.title,
            applications_from: b.applications_from,
            applications_until: b.applications_until,
            notice_days: b.notice_days,
            quota: b.quota,
            rule: b.rule,
            fund_sources: b.fund_sources.into_iter().map(Into::into).collect(),
        }
    }
}

/// Change a draft: only the fields given (`null` clears a date). `fund_sources`, when given,
/// replaces the list whole.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "2017年元旦春节送温暖活动（调整）", "fund_sources": [
    {"source": "central_fiscal", "amount_fen": 300000000},
    {"source": "provincial_fiscal", "amount_fen": 200000000},
    {"source": "city_fiscal", "amount_fen": 171200000}
]}))]
pub struct UpdateCampaignRequest {
    pub kind: Option<CampaignKind>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub applications_from: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub applications_until: Option<Option<NaiveDate>>,
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60)]
    pub notice_days: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(range(min = 1, max = 10_000_000))]
    #[schema(minimum = 1, maximum = 10_000_000)]
    #[schema(value_type = Option<i32>)]
    pub quota: Option<Option<i32>>,
    /// A new grant rule (`null` removes it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<GrantRule>)]
    pub rule: Option<Option<GrantRule>>,
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub fund_sources: Option<Vec<FundSourceBody>>,
}

impl From<UpdateCampaignRequest> for CampaignChanges {
    fn from(b: UpdateCampaignRequest) -> Self {
        Self {
            kind: b.kind,
            year: b.year,
            title: b.title,
            applications_from: b.applications_from,
            applications_until: b.applications_until,
            notice_days: b.notice_days,
            quota: b.quota,
            rule: b.rule,
            fund_sources: b
                .fund_sources
                .map(|list| list.into_iter().map(Into::into).collect()),
        }
    }
}

/// Why a campaign is called off.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "资金未到位，活动并入冬送温暖"}))]
pub struct CancelCampaignRequest {
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// A source of the campaign's money, as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundSourceResponse {
    pub id: Uuid,
    pub source: FundSourceKind,
    pub name: Option<String>,
    pub amount_fen: i64,
}

/// An aid campaign with its fund sources and budget.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01",
    "kind": "winter_warmth", "year": 2017, "title": "2017年元旦春节送温暖活动",
    "applications_from": "2017-12-01", "applications_until": "2018-01-15", "notice_days": 5,
    "quota": 4500, "status": "open", "budget_fen": 671200000,
    "rule": {"recipients": {"from": "archive", "categories": ["deep", "relative"], "temporary_allowed": false},
             "amount": {"type": "per_category", "tiers": [{"category": "deep", "amount_fen": 150000}, {"category": "relative", "amount_fen": 100000}]},
             "top_ups": false},
    "rule_explained": "受助对象：困难职工档案户主（深度困难、相对困难；仅正式档案）；标准：深度困难每人1500.00元，相对困难每人1000.00元；同年同类活动已受助者不重复救助。",
    "fund_sources": [
        {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4101", "source": "central_fiscal", "name": null, "amount_fen": 300000000},
        {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4102", "source": "provincial_fiscal", "name": null, "amount_fen": 200000000},
        {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4103", "source": "city_fiscal", "name": null, "amount_fen": 171200000}
    ],
    "created_at": "2017-11-20T09:00:00Z", "updated_at": "2017-12-01T08:00:00Z", "version": 2
}))]
pub struct CampaignResponse {
    pub id: Uuid,
    /// The organisation that runs it.
    pub org_id: Uuid,
    pub kind: CampaignKind,
    pub year: i32,
    pub title: String,
    pub applications_from: Option<NaiveDate>,
    pub applications_until: Option<NaiveDate>,
    /// The public notice period (公示期) in days.
    pub notice_days: i32,
    /// The recipients (名额) planned.
    pub quota: Option<i32>,
    pub status: CampaignStatus,
    /// Who may receive and how much.
    pub rule: Option<GrantRule>,
    /// The rule in words (for the campaign page and the public notice).
    pub rule_explained: Option<String>,
    /// The sum of the fund sources, in fen.
    pub budget_fen: i64,
    pub fund_sources: Vec<FundSourceResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl TryFrom<Campaign> for CampaignResponse {
    type Error = siji_core::CoreError;

    fn try_from(c: Campaign) -> Result<Self, Self::Error> {
        let budget_fen = c.budget_fen();
        let rule = c.rule()?;
        let rule_explained = rule.as_ref().map(siji_core::campaigns::rule::explain);
        let Campaign {
            campaign: m,
            fund_sources,
        } = c;
        Ok(Self {
            id: m.id,
            org_id: m.org_id,
            kind: CampaignKind::parse(&m.kind).unwrap_or(CampaignKind::WinterWarmth),
            year: m.year,
            title: m.title,
            applications_from: m.applications_from,
            applications_until: m.applications_until,
            notice_days: m.notice_days,
            quota: m.quota,
            rule,
            rule_explained,
            status: CampaignStatus::parse(&m.status).unwrap_or(CampaignStatus::Draft),
            budget_fen,
            fund_sources: fund_sources
                .into_iter()
                .map(|s| FundSourceResponse {
                    id: s.id,
                    source: FundSourceKind::parse(&s.source).unwrap_or(FundSourceKind::Federation),
                    name: s.name,
                    amount_fen: s.amount_fen,
                })
                .collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Filters of the campaign list, oldest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    pub kind: Option<CampaignKind>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub status: Option<CampaignStatus>,
    /// Only campaigns run by this organisation itself.
    pub org_id: Option<Uuid>,
    /// Only campaigns run anywhere in this organisation's subtree.
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

impl CampaignListQuery {
    pub fn filter(&self) -> CampaignFilter {
        CampaignFilter {
            kind: self.kind,
            year: self.year,
            status: self.status,
            org_id: self.org_id,
            within_org_id: self.within_org_id,
        }
    }
}

// The document's limit and the core's are one number.
const _: () = assert!(MAX_SOURCES == 20);

/// One source's share of an allocation.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    /// A fund source of the campaign (`fund_sources[].id`).
    pub fund_source_id: Uuid,
    /// In fen, positive; at most what the giving organisation has available of the source.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount_fen: i64,
}

/// Allocate (下拨) money and quota to a child organisation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "to_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "quota": 420,
    "amounts": [
        {"fund_source_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4101", "amount_fen": 28000000},
        {"fund_source_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4103", "amount_fen": 16000000}
    ]
}))]
pub struct AllocationRequest {
    /// A direct child of an organisation in your subtree that holds some of the campaign: a
    /// county for the city's administrator, a township for a county's.
    pub to_org_id: Uuid,
    /// Recipients (名额) passed on; 0 to move money only.
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    #[serde(default)]
    pub quota: i32,
    /// Money per fund source; may be empty to move quota only.
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub amounts: Vec<AmountBody>,
}

impl From<AllocationRequest> for siji_core::campaigns::money::NewAllocation {
    fn from(b: AllocationRequest) -> Self {
        Self {
            to_org_id: b.to_org_id,
            quota: b.quota,
            amounts: b
                .amounts
                .into_iter()
                .map(|a| siji_core::campaigns::money::Amount {
                    fund_source_id: a.fund_source_id,
                    amount_fen: a.amount_fen,
                })
                .collect(),
        }
    }
}

/// An allocation as recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4201", "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001",
    "from_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "to_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "quota": 420, "amount_fen": 44000000, "actor_name": "city.admin", "created_at": "2017-12-02T09:00:00Z"
}))]
pub struct AllocationResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub from_org_id: Uuid,
    pub to_org_id: Uuid,
    pub quota: i32,
    /// The sum of the amounts, in fen.
    pub amount_fen: i64,
    /// Who allocated.
    pub actor_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::campaign_allocations::Model> for AllocationResponse {
    fn from(a: entity::campaign_allocations::Model) -> Self {
        Self {
            id: a.id,
            campaign_id: a.campaign_id,
            from_org_id: a.from_org_id,
            to_org_id: a.to_org_id,
            quota: a.quota,
            amount_fen: a.amount_fen,
            actor_name: a.actor_name,
            created_at: a.created_at,
        }
    }
}

pub use siji_core::campaigns::money::LedgerKind;

/// One row of a campaign's ledger: a signed change to what one organisation has available.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4301", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01",
    "fund_source_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4101", "kind": "allocate", "amount_fen": -28000000, "quota": 0,
    "allocation_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4201", "counterparty_org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "grant_id": null, "payout_id": null, "actor_name": "city.admin", "created_at": "2017-12-02T09:00:00Z"
}))]
pub struct LedgerEntryResponse {
    pub id: Uuid,
    /// The organisation whose balance the row changes.
    pub org_id: Uuid,
    /// `null` on a row that moves quota only.
    pub fund_source_id: Option<Uuid>,
    pub kind: LedgerKind,
    /// Signed, in fen: positive received, negative passed on or committed. On `pay` and
    /// `return` rows, the signed change to what has been paid out of the grant's commitment
    /// (what is available does not move when money reaches a bank).
    pub amount_fen: i64,
    /// Signed change to the organisation's quota.
    pub quota: i32,
    pub allocation_id: Option<Uuid>,
    /// The other side of an allocation.
    pub counterparty_org_id: Option<Uuid>,
    /// The grant a `commit`, `release`, `pay` or `return` row belongs to.
    pub grant_id: Option<Uuid>,
    /// The payout a `pay` or `return` row belongs to.
    pub payout_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::campaign_ledger::Model> for LedgerEntryResponse {
    fn from(r: entity::campaign_ledger::Model) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            fund_source_id: r.fund_source_id,
            kind: LedgerKind::parse(&r.kind).unwrap_or(LedgerKind::Allocate),
            amount_fen: r.amount_fen,
            quota: r.quota,
            allocation_id: r.allocation_id,
            counterparty_org_id: r.counterparty_org_id,
            grant_id: r.grant_id,
            payout_id: r.payout_id,
            actor_name: r.actor_name,
            created_at: r.created_at,
        }
    }
}

/// Money figures, in fen.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresResponse {
    /// Funded or allocated to the organisation.
    pub received_fen: i64,
    /// Passed on to its children (下拨).
    pub allocated_fen: i64,
    /// Held by its approved grants.
    pub committed_fen: i64,
    /// Still the organisation's to allocate or commit.
    pub available_fen: i64,
    /// Of what is committed, confirmed paid by the bank, net of returns (已发放).
    pub paid_fen: i64,
}

impl From<siji_core::campaigns::money::Figures> for FiguresResponse {
    fn from(f: siji_core::campaigns::money::Figures) -> Self {
        Self {
            received_fen: f.received_fen,
            allocated_fen: f.allocated_fen,
            committed_fen: f.committed_fen,
            available_fen: f.available_fen,
            paid_fen: f.paid_fen,
        }
    }
}

/// One fund source's figures at an organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceFigures {
    pub fund_source_id: Uuid,
    #[serde(flatten)]
    pub figures: FiguresResponse,
}

/// What one organisation holds of the campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingResponse {
    pub org_id: Uuid,
    pub org_name: String,
    /// Per fund source, in the campaign's order.
    pub sources: Vec<SourceFigures>,
    /// Over all sources.
    pub total: FiguresResponse,
    pub quota_received: i64,
    pub quota_allocated: i64,
    /// Recipients approved.
    pub quota_committed: i64,
    pub quota_available: i64,
}

/// The campaign's money and quota, organisation by organisation (those of your subtree that take
/// part in it), from the ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001",
    "holdings": [{
        "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "org_name": "任城区总工会",
        "sources": [{"fund_source_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4101", "received_fen": 28000000, "allocated_fen": 8000000, "committed_fen": 0, "available_fen": 20000000, "paid_fen": 0}],
        "total": {"received_fen": 28000000, "allocated_fen": 8000000, "committed_fen": 0, "available_fen": 20000000, "paid_fen": 0},
        "quota_received": 420, "quota_allocated": 120, "quota_committed": 0, "quota_available": 300
    }]
}))]
pub struct HoldingsResponse {
    pub campaign_id: Uuid,
    pub holdings: Vec<HoldingResponse>,
}

impl HoldingResponse {
    pub fn new(h: siji_core::campaigns::money::Holding) -> Self {
        Self {
            org_id: h.org_id,
            org_name: h.org_name,
            sources: h
                .sources
                .into_iter()
                .map(|(fund_source_id, f)| SourceFigures {
                    fund_source_id,
                    figures: f.into(),
                })
                .collect(),
            total: h.total.into(),
            quota_received: h.quota_received,
            quota_allocated: h.quota_allocated,
            quota_committed: h.quota_committed,
            quota_available: h.quota_available,
        }
    }
}

/// A recorded balance that differs from the sum of its ledger rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct DifferenceResponse {
    pub org_id: Uuid,
    /// `null` for the quota.
    pub fund_source_id: Option<Uuid>,
    pub recorded: i64,
    pub from_ledger: i64,
}

/// The outcome of recomputing every balance from the ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"campaign_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001", "consistent": true, "differences": []}))]
pub struct BalanceCheckResponse {
    pub campaign_id: Uuid,
    /// Every balance equals its ledger rows' sum, to the fen.
    pub consistent: bool,
    pub differences: Vec<DifferenceResponse>,
}

/// Paging of the ledger.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

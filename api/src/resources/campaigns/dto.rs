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
pub use siji_core::campaigns::{CampaignKind, CampaignStatus, FundSourceKind};

/// One source of a campaign's money.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "central_fiscal", "name": null, "amount_fen": 300000000}))]
pub struct FundSourceBody {
    pub source: FundSourceKind,
    /// Who gave it, where that matters (a donor, a partner).
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// The amount in fen (分), positive.
    #[validate(range(min = 1))]
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
           "notice_days": 5,
           "fund_sources": [
               {"source": "central_fiscal", "amount_fen": 300000000},
               {"source": "provincial_fiscal", "amount_fen": 200000000},
               {"source": "city_fiscal", "amount_fen": 171200000}
           ]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f01", "kind": "autumn_tuition", "year": 2017,
           "title": "2017年金秋助学活动", "applications_from": "2017-07-20", "applications_until": "2017-08-31",
           "fund_sources": [
               {"source": "federation", "amount_fen": 150000000},
               {"source": "donation", "name": "济宁银行", "amount_fen": 50000000}
           ]}),
    json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "kind": "summer_cool", "year": 2017,
           "title": "2017年夏送清凉活动", "fund_sources": [{"source": "in_kind", "name": "合作企业防暑降温物资", "amount_fen": 12000000}]})
))]
pub struct CreateCampaignRequest {
    /// The organisation that runs it (in your subtree): the city federation for a city-wide
    /// campaign, a county federation for its own.
    pub org_id: Uuid,
    pub kind: CampaignKind,
    #[validate(range(min = 2000, max = 2100))]
    pub year: i32,
    #[validate(length(min = 1, max = 200))]
    pub title: String,
    /// First day applications are accepted.
    pub applications_from: Option<NaiveDate>,
    /// Last day applications are accepted; not before `applications_from`.
    pub applications_until: Option<NaiveDate>,
    /// The public notice period (公示期) in days before grants are final; 5 when not given.
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60, default = 5)]
    pub notice_days: Option<i32>,
    /// Where the money comes from; the budget is their sum. A draft may have none yet; opening
    /// needs at least one.
    #[serde(default)]
    #[validate(length(max = 20), nested)]
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
    pub year: Option<i32>,
    #[validate(length(min = 1, max = 200))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub applications_from: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub applications_until: Option<Option<NaiveDate>>,
    #[validate(range(min = 1, max = 60))]
    pub notice_days: Option<i32>,
    #[validate(length(max = 20), nested)]
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
    "status": "open", "budget_fen": 671200000,
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
    pub status: CampaignStatus,
    /// The sum of the fund sources, in fen.
    pub budget_fen: i64,
    pub fund_sources: Vec<FundSourceResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<Campaign> for CampaignResponse {
    fn from(c: Campaign) -> Self {
        let budget_fen = c.budget_fen();
        let Campaign {
            campaign: m,
            fund_sources,
        } = c;
        Self {
            id: m.id,
            org_id: m.org_id,
            kind: CampaignKind::parse(&m.kind).unwrap_or(CampaignKind::WinterWarmth),
            year: m.year,
            title: m.title,
            applications_from: m.applications_from,
            applications_until: m.applications_until,
            notice_days: m.notice_days,
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
        }
    }
}

/// Filters of the campaign list, oldest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    pub kind: Option<CampaignKind>,
    #[validate(range(min = 2000, max = 2100))]
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

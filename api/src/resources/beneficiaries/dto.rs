//! Request and response types of the hardship archive.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{beneficiaries, beneficiary_visits, household_members};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::resources::workers::dto::{EmploymentStatus, validate_id_number};

use siji_core::archive as core;
pub use siji_core::archive::{
    ArchiveStatus, CancelReason, Category, Cause, Channel, Health, LiftOutReason, Relation, Stage,
    parse_causes, store_causes,
};

/// A household member. The ID number is masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub id: Uuid,
    pub name: String,
    pub relation: Relation,
    /// Masked: `110105********002X`.
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub health: Health,
    pub employment_status: Option<EmploymentStatus>,
    pub school: Option<String>,
    pub stage: Option<Stage>,
    pub grade: Option<i32>,
    pub admission_year: Option<i32>,
    /// This member heads another live archive (the same person archived twice?).
    pub heads_another_archive: bool,
}

impl MemberResponse {
    pub fn new(m: household_members::Model, heads_another_archive: bool) -> Self {
        Self {
            id: m.id,
            name: m.name,
            relation: Relation::parse(&m.relation).unwrap_or(Relation::Other),
            id_number: m.id_number_masked,
            birth_date: m.birth_date,
            health: Health::parse(&m.health).unwrap_or(Health::Healthy),
            employment_status: m
                .employment_status
                .as_deref()
                .and_then(EmploymentStatus::parse),
            school: m.school,
            stage: m.stage.as_deref().and_then(Stage::parse),
            grade: m.grade,
            admission_year: m.admission_year,
            heads_another_archive,
        }
    }
}

/// A visit or follow-up contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitResponse {
    pub id: Uuid,
    /// `first`, `verification`, `reverification` or `follow_up`.
    pub kind: String,
    pub visited_on: NaiveDate,
    pub visitor_id: Uuid,
    pub visitor_name: String,
    pub channel: Option<String>,
    pub findings: String,
    pub result: Option<String>,
}

impl From<beneficiary_visits::Model> for VisitResponse {
    fn from(v: beneficiary_visits::Model) -> Self {
        Self {
            id: v.id,
            kind: v.kind,
            visited_on: v.visited_on,
            visitor_id: v.visitor_id,
            visitor_name: v.visitor_name,
            channel: v.channel,
            findings: v.findings,
            result: v.result,
        }
    }
}

/// How the category was reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct Eligibility {
    /// What the rules give.
    pub computed_category: Category,
    /// The rule that placed the household, in words.
    pub rule: String,
    /// (annual income − rigid expenses) ÷ 12 ÷ household size, in fen.
    pub per_capita_monthly_fen: i64,
    /// When staff overrode the rules: their written reason.
    pub override_reason: Option<String>,
}

/// A hardship archive (困难职工档案) of one household.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "head_worker_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1101", "status": "formal", "category": "deep",
    "eligibility": {
        "computed_category": "deep",
        "rule": "deep hardship: per-capita monthly income 400.00 yuan is below the minimum living standard of 800.00 yuan",
        "per_capita_monthly_fen": 40000, "override_reason": null
    },
    "causes": ["illness", "child_education"], "needs": "医疗费用、子女学费",
    "household_size": 3, "annual_income_fen": 1560000, "rigid_expenses_fen": 120000, "accident_costs_fen": 0,
    "migrant_worker": false, "employment_started_on": null, "long_term_assistance": false,
    "last_verified_on": "2026-09-10", "reverify_due_on": "2027-09-10", "closed_reason": null, "closed_note": null,
    "members": [{
        "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f30", "name": "张小明", "relation": "child",
        "id_number": "110105********002X", "birth_date": "2008-05-01", "health": "healthy", "employment_status": null,
        "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": 2026, "heads_another_archive": false
    }],
    "visits": [{
        "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e3001", "kind": "verification", "visited_on": "2026-09-10",
        "visitor_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001", "visitor_name": "李审核", "channel": null,
        "findings": "户主患慢性病，子女考入大学", "result": "confirmed"
    }],
    "created_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4002", "created_at": "2026-09-01T08:00:00Z",
    "updated_at": "2026-09-10T09:30:00Z", "version": 2
}))]
pub struct BeneficiaryResponse {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The registry worker who heads the household.
    pub head_worker_id: Uuid,
    pub status: ArchiveStatus,
    /// The category in force: the computed one, or the override.
    pub category: Category,
    pub eligibility: Eligibility,
    pub causes: Vec<Cause>,
    pub needs: Option<String>,
    pub household_size: i32,
    pub annual_income_fen: i64,
    pub rigid_expenses_fen: i64,
    pub accident_costs_fen: i64,
    pub migrant_worker: bool,
    pub employment_started_on: Option<NaiveDate>,
    /// On long-term assistance (长效救助).
    pub long_term_assistance: bool,
    pub last_verified_on: Option<NaiveDate>,
    /// A year after the last verification.
    pub reverify_due_on: Option<NaiveDate>,
    /// Why it was lifted out or cancelled.
    pub closed_reason: Option<String>,
    pub closed_note: Option<String>,
    pub members: Vec<MemberResponse>,
    pub visits: Vec<VisitResponse>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A hardship archive as a list shows it (档案列表项): whose, where, how it stands, and how many
/// members and visits it has — with the names a screen shows beside the ids. The members,
/// visits and eligibility figures are on `GET /api/v1/beneficiaries/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f20", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "org_name": "任城区总工会", "head_worker_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001",
    "head_worker_name": "张三明", "status": "formal", "category": "deep", "causes": ["illness", "child_education"],
    "household_size": 3, "member_count": 2, "visit_count": 1, "last_visited_on": "2026-09-10",
    "migrant_worker": false, "long_term_assistance": false, "last_verified_on": "2026-09-10",
    "reverify_due_on": "2027-09-10", "created_at": "2026-09-01T08:00:00Z",
    "updated_at": "2026-09-10T09:30:00Z", "version": 2
}))]
pub struct BeneficiarySummary {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub head_worker_id: Uuid,
    /// The head's name (户主姓名).
    pub head_worker_name: String,
    pub status: ArchiveStatus,
    /// The category in force.
    pub category: Category,
    pub causes: Vec<Cause>,
    pub household_size: i32,
    /// Household members recorded besides the head.
    pub member_count: u64,
    pub visit_count: u64,
    /// The latest home visit or verification (入户走访), if any.
    pub last_visited_on: Option<NaiveDate>,
    pub migrant_worker: bool,
    pub long_term_assistance: bool,
    pub last_verified_on: Option<NaiveDate>,
    pub reverify_due_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl BeneficiaryResponse {
    pub fn new(
        b: beneficiaries::Model,
        members: Vec<MemberResponse>,
        visits: Vec<VisitResponse>,
    ) -> Self {
        Self {
            id: b.id,
            org_id: b.org_id,
            head_worker_id: b.head_worker_id,
            status: ArchiveStatus::parse(&b.status).unwrap_or(ArchiveStatus::Temporary),
            category: Category::parse(&b.category).unwrap_or(Category::NotEligible),
            eligibility: Eligibility {
                computed_category: Category::parse(&b.computed_category)
                    .unwrap_or(Category::NotEligible),
                rule: b.eligibility_rule,
                per_capita_monthly_fen: b.per_capita_monthly_fen,
                override_reason: b.override_reason,
            },
            causes: parse_causes(&b.causes),
            needs: b.needs,
            household_size: b.household_size,
            annual_income_fen: b.annual_income_fen,
            rigid_expenses_fen: b.rigid_expenses_fen,
            accident_costs_fen: b.accident_costs_fen,
            migrant_worker: b.migrant_worker,
            employment_started_on: b.employment_started_on,
            long_term_assistance: b.long_term_assistance,
            last_verified_on: b.last_verified_on,
            reverify_due_on: b.reverify_due_on,
            closed_reason: b.closed_reason,
            closed_note: b.closed_note,
            members,
            visits,
            created_by: b.created_by,
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
        }
    }
}

/// A household member to record.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// Only when correcting an archive: the existing member this entry keeps and updates (its
    /// stored ID number stays unless a new one is given). Absent: a new member.
    pub id: Option<Uuid>,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    pub relation: Relation,
    /// Validated in full; birth date is derived from it.
    #[validate(custom(function = "validate_id_number"))]
    #[schema(pattern = r"^\s*(?:[0-9]\s*){17}[0-9Xx]\s*$")]
    pub id_number: Option<String>,
    /// Only when there is no ID number.
    pub birth_date: Option<NaiveDate>,
    pub health: Health,
    pub employment_status: Option<EmploymentStatus>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub school: Option<String>,
    pub stage: Option<Stage>,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12)]
    pub grade: Option<i32>,
    #[validate(range(min = 1950, max = 2100))]
    #[schema(minimum = 1950, maximum = 2100)]
    pub admission_year: Option<i32>,
}

/// A staff override of the computed category.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryOverride {
    pub category: Category,
    /// Required: why the rules do not fit this household (audited).
    #[validate(length(min = 10, max = 500))]
    #[schema(min_length = 10, max_length = 500)]
    pub reason: String,
}

/// The first home visit that the archive is created after.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstVisit {
    pub visited_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub findings: String,
}

/// Create a temporary archive after a first visit.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "head_worker_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001",
    "household_size": 3, "annual_income_fen": 3000000, "rigid_expenses_fen": 600000, "causes": ["illness", "child_education"],
    "needs": "子女大学学费", "migrant_worker": false, "long_term_assistance": false,
    "members": [{"name": "张小明", "relation": "child", "id_number": "37081120080101123X", "health": "healthy",
                 "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": 2026}],
    "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病，子女考入大学"}
}))]
pub struct CreateBeneficiaryRequest {
    /// The organisation (in your subtree) that keeps the archive.
    pub org_id: Uuid,
    /// The registry worker heading the household (in your subtree); one live archive each.
    pub head_worker_id: Uuid,
    #[validate(range(min = 1, max = 30))]
    #[schema(minimum = 1, maximum = 30)]
    pub household_size: i32,
    /// Household income over the year, in fen.
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub annual_income_fen: i64,
    /// Rigid expenses (刚性支出: medical, education…) over the year, in fen.
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub rigid_expenses_fen: i64,
    /// Costs of an accident or disaster this year, in fen (for sudden hardship).
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
    /// For migrant workers: since when they have been employed (one year is required).
    pub employment_started_on: Option<NaiveDate>,
    #[serde(default)]
    pub long_term_assistance: bool,
    /// Up to 30 members besides the head.
    #[serde(default)]
    #[validate(nested)]
    pub members: Vec<MemberRequest>,
    #[validate(nested)]
    pub category_override: Option<CategoryOverride>,
    #[validate(nested)]
    pub first_visit: FirstVisit,
}

/// Correct a live archive's household figures. Absent fields are unchanged; the category is
/// assessed again with the county's standard for the current year.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "annual_income_fen": 2400000, "needs": "医疗费用、子女学费",
    "members": [
        {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f30", "name": "张小明", "relation": "child", "health": "healthy",
         "school": "山东大学", "stage": "undergraduate", "grade": 1, "admission_year": 2026},
        {"name": "李秀英", "relation": "parent", "birth_date": "1950-03-02", "health": "serious_illness"}
    ]
}))]
pub struct UpdateBeneficiaryRequest {
    #[validate(range(min = 1, max = 30))]
    #[schema(minimum = 1, maximum = 30)]
    pub household_size: Option<i32>,
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub annual_income_fen: Option<i64>,
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub rigid_expenses_fen: Option<i64>,
    #[validate(range(min = 0, max = 2_000_000_000))]
    #[schema(minimum = 0, maximum = 2_000_000_000)]
    pub accident_costs_fen: Option<i64>,
    #[validate(length(min = 1, max = 7))]
    #[schema(min_items = 1, max_items = 7)]
    pub causes: Option<Vec<Cause>>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub needs: Option<String>,
    pub migrant_worker: Option<bool>,
    pub employment_started_on: Option<NaiveDate>,
    pub long_term_assistance: Option<bool>,
    /// Replaces any earlier override; needed when the new figures are not eligible.
    #[validate(nested)]
    pub category_override: Option<CategoryOverride>,
    /// The whole member list as it should now be: entries with an `id` keep and update that
    /// member, entries without one add a member, members left out are removed. Absent: the
    /// members are unchanged. Up to 30 members besides the head.
    #[validate(nested)]
    pub members: Option<Vec<MemberRequest>>,
}

/// The verification home visit (入户核实) that makes a temporary archive formal.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"visited_on": "2026-09-10", "findings": "情况属实", "confirmed": true}))]
pub struct VerifyRequest {
    pub visited_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub findings: String,
    /// `true`: the household is as archived (→ formal); `false`: recorded, stays temporary.
    pub confirmed: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "re_employed", "note": "户主再就业，月收入4500元"}))]
pub struct LiftOutRequest {
    pub reason: LiftOutReason,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "moved_away", "note": "迁往外市"}))]
pub struct CancelRequest {
    pub reason: CancelReason,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contacted_on": "2027-03-01", "channel": "phone", "outcome": "收入稳定"}))]
pub struct FollowUpRequest {
    pub contacted_on: NaiveDate,
    pub channel: Channel,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub outcome: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "户主再次失业（返困）"}))]
pub struct ReopenRequest {
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub note: String,
}

/// Declares a query type with the worklist filters and the given fields besides: the list
/// pages the filtered archives, the export gives them all.
macro_rules! archive_filters {
    ($(#[$attr:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$attr])*
        #[derive(Debug, Deserialize, Validate, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            pub status: Option<ArchiveStatus>,
            pub category: Option<Category>,
            pub cause: Option<Cause>,
            /// Only archives kept in this organisation's subtree (e.g. a county).
            pub within_org_id: Option<Uuid>,
            /// Only the archives headed by this registry worker (one live at most, and its
            /// history).
            pub head_worker_id: Option<Uuid>,
            /// Formal archives due for re-verification within this many days (overdue ones
            /// included).
            #[validate(range(min = 0, max = 3650))]
            #[param(minimum = 0, maximum = 3650)]
            pub reverify_due_within_days: Option<u32>,
            /// Formal archives whose re-verification is overdue.
            pub reverify_overdue: Option<bool>,
            /// Live archives not updated for a year.
            pub stale: Option<bool>,
            /// Created on or after this day.
            pub created_from: Option<NaiveDate>,
            /// Created before this day.
            pub created_to: Option<NaiveDate>,
            pub migrant_worker: Option<bool>,
            /// Households with a child entering university this year (the autumn campaign's
            /// pool, 金秋助学).
            pub entering_university: Option<bool>,
            $($extra)*
        }

        impl $name {
            pub fn filter(&self) -> siji_core::archive::queries::ArchiveFilter {
                siji_core::archive::queries::ArchiveFilter {
                    status: self.status,
                    category: self.category,
                    cause: self.cause,
                    within_org_id: self.within_org_id,
                    head_worker_id: self.head_worker_id,
                    reverify_due_within_days: self.reverify_due_within_days,
                    reverify_overdue: self.reverify_overdue == Some(true),
                    stale: self.stale == Some(true),
                    created_from: self.created_from,
                    created_to: self.created_to,
                    migrant_worker: self.migrant_worker,
                    entering_university: self.entering_university == Some(true),
                }
            }
        }
    };
}

archive_filters!(
    /// Worklist filters and paging. Sorted by creation, oldest first.
    BeneficiaryListQuery {
        /// Page size, 1–200 (default 50).
        #[validate(range(min = 1, max = 200))]
        #[param(minimum = 1, maximum = 200, default = 50)]
        pub limit: Option<u32>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// Also return `total`.
        pub count: Option<bool>,
    }
);

archive_filters!(
    /// Worklist filters of the archive export, oldest first.
    BeneficiaryExportQuery {
        /// `csv` (the default: UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`.
        pub format: Option<crate::spreadsheet::Format>,
    }
);

impl From<MemberRequest> for core::MemberInput {
    fn from(m: MemberRequest) -> Self {
        Self {
            id: m.id,
            name: m.name,
            relation: m.relation,
            id_number: m.id_number,
            birth_date: m.birth_date,
            health: m.health,
            employment_status: m.employment_status,
            school: m.school,
            stage: m.stage,
            grade: m.grade,
            admission_year: m.admission_year,
        }
    }
}

impl From<CategoryOverride> for core::CategoryChoice {
    fn from(o: CategoryOverride) -> Self {
        Self {
            category: o.category,
            reason: o.reason,
        }
    }
}

impl From<CreateBeneficiaryRequest> for core::NewArchive {
    fn from(b: CreateBeneficiaryRequest) -> Self {
        Self {
            org_id: b.org_id,
            head_worker_id: b.head_worker_id,
            household_size: b.household_size,
            annual_income_fen: b.annual_income_fen,
            rigid_expenses_fen: b.rigid_expenses_fen,
            accident_costs_fen: b.accident_costs_fen,
            causes: b.causes,
            needs: b.needs,
            migrant_worker: b.migrant_worker,
            employment_started_on: b.employment_started_on,
            long_term_assistance: b.long_term_assistance,
            members: b.members.into_iter().map(Into::into).collect(),
            category_override: b.category_override.map(Into::into),
            first_visit: core::Visit {
                visited_on: b.first_visit.visited_on,
                findings: b.first_visit.findings,
            },
        }
    }
}

impl From<UpdateBeneficiaryRequest> for core::ArchiveChanges {
    fn from(u: UpdateBeneficiaryRequest) -> Self {
        Self {
            household_size: u.household_size,
            annual_income_fen: u.annual_income_fen,
            rigid_expenses_fen: u.rigid_expenses_fen,
            accident_costs_fen: u.accident_costs_fen,
            causes: u.causes,
            needs: u.needs,
            migrant_worker: u.migrant_worker,
            employment_started_on: u.employment_started_on,
            long_term_assistance: u.long_term_assistance,
            category_override: u.category_override.map(Into::into),
            members: u
                .members
                .map(|members| members.into_iter().map(Into::into).collect()),
        }
    }
}

impl From<VerifyRequest> for core::Verification {
    fn from(v: VerifyRequest) -> Self {
        Self {
            visited_on: v.visited_on,
            findings: v.findings,
            confirmed: v.confirmed,
        }
    }
}

impl From<FollowUpRequest> for core::FollowUp {
    fn from(f: FollowUpRequest) -> Self {
        Self {
            contacted_on: f.contacted_on,
            channel: f.channel,
            outcome: f.outcome,
        }
    }
}

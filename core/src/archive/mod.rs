//! The hardship archive (困难职工档案): a household's archive from the first home visit through
//! verification (four eyes), yearly re-verification, lifting out, follow-ups, reopening and
//! cancellation. The category is computed by the eligibility rules (`domain::eligibility`) and
//! explained; members' ID numbers are protected like every other. A worker heads at most one
//! live archive city-wide, which a unique index on `live_head_worker_id` decides.

mod assess;
pub mod compare;
mod lifecycle;
mod members;
pub mod queries;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::access::Permission;
use crate::enums::string_enum;
use crate::registry::workers::EmploymentStatus;

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::ArchiveWrite;
pub const READ: Permission = Permission::ArchiveRead;
pub const VERIFY: Permission = Permission::ArchiveVerify;
pub const REVEAL: Permission = Permission::PiiReveal;

pub use lifecycle::{
    cancel, follow_up, lift_out, register, register_in, register_many_in, reopen, reveal_member,
    reverify, update, update_in, verify,
};

string_enum!(
    /// Hardship category (困难类别), derived by the eligibility rules (or overridden with a reason).
    Category {
        /// Deep hardship (深度困难): per-capita monthly income below the minimum living standard.
        Deep = "deep",
        /// Relative hardship (相对困难): below twice the standard.
        Relative = "relative",
        /// Sudden hardship (意外致困): accident or disaster costs above 80% of the year's income.
        Sudden = "sudden",
        /// Not eligible (不符合条件) by the rules.
        NotEligible = "not_eligible",
    }
);

string_enum!(
    /// A cause of hardship (致困原因); several may apply.
    Cause {
        /// Illness (因病).
        Illness = "illness",
        /// Disability (因残).
        Disability = "disability",
        /// Disaster or accident (因灾/意外).
        DisasterAccident = "disaster_accident",
        /// Children's education (因学).
        ChildEducation = "child_education",
        /// Unemployment or lay-off (失业/下岗).
        Unemployment = "unemployment",
        /// Single parent (单亲).
        SingleParent = "single_parent",
        /// Other (其他).
        Other = "other",
    }
);

string_enum!(
    /// Where an archive is: `temporary` (after a first visit; emergency aid only) → `formal`
    /// (after a verification visit by someone other than its creator) → `lifted_out` (解困脱困;
    /// can be reopened, 返困) or `cancelled`.
    ArchiveStatus {
        /// Temporary (临时档案).
        Temporary = "temporary",
        /// Formal (正式档案).
        Formal = "formal",
        /// Lifted out of hardship (解困脱困).
        LiftedOut = "lifted_out",
        /// Cancelled (销档).
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// A member's relation to the head of household.
    Relation {
        /// Spouse (配偶).
        Spouse = "spouse",
        /// Child (子女).
        Child = "child",
        /// Parent (父母).
        Parent = "parent",
        /// Other (其他).
        Other = "other",
    }
);

string_enum!(
    /// Health condition.
    Health {
        /// Healthy (健康).
        Healthy = "healthy",
        /// Chronic illness (慢性病).
        ChronicIllness = "chronic_illness",
        /// Serious illness (大病).
        SeriousIllness = "serious_illness",
        /// Disability (残疾).
        Disabled = "disabled",
    }
);

string_enum!(
    /// School stage of a child.
    Stage {
        /// Primary school (小学).
        Primary = "primary",
        /// Junior secondary (初中).
        JuniorSecondary = "junior_secondary",
        /// Senior secondary (高中).
        SeniorSecondary = "senior_secondary",
        /// Vocational school (中职/高职).
        Vocational = "vocational",
        /// Undergraduate (本科/大专).
        Undergraduate = "undergraduate",
        /// Postgraduate (研究生).
        Postgraduate = "postgraduate",
    }
);

string_enum!(
    /// Why a household was lifted out of hardship.
    LiftOutReason {
        /// Income above the line (收入超过标准).
        IncomeAboveLine = "income_above_line",
        /// Re-employed (再就业).
        ReEmployed = "re_employed",
        /// Other (其他).
        Other = "other",
    }
);

string_enum!(
    /// Why an archive was cancelled.
    CancelReason {
        /// Retired (退休).
        Retired = "retired",
        /// Moved away (迁出).
        MovedAway = "moved_away",
        /// Deceased (死亡).
        Deceased = "deceased",
        /// Duplicate (重复建档).
        Duplicate = "duplicate",
        /// Fraud (弄虚作假).
        Fraud = "fraud",
    }
);

string_enum!(
    /// How a follow-up contact was made.
    Channel {
        /// Home visit (入户).
        Visit = "visit",
        /// Telephone (电话).
        Phone = "phone",
        /// Online (网络).
        Online = "online",
    }
);

pub fn parse_causes(stored: &str) -> Vec<Cause> {
    stored.split(',').filter_map(Cause::parse).collect()
}

pub fn store_causes(causes: &[Cause]) -> String {
    Cause::ALL
        .iter()
        .filter(|c| causes.contains(c))
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A household member to record. With `id`, the existing member it keeps and updates (its
/// stored ID number stays unless a new one is given); without, a new member.
#[derive(Clone)]
pub struct MemberInput {
    pub id: Option<Uuid>,
    pub name: String,
    pub relation: Relation,
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub health: Health,
    pub employment_status: Option<EmploymentStatus>,
    pub school: Option<String>,
    pub stage: Option<Stage>,
    pub grade: Option<i32>,
    pub admission_year: Option<i32>,
}

/// A staff override of the computed category, with its reason (audited).
#[derive(Clone)]
pub struct CategoryChoice {
    pub category: Category,
    pub reason: String,
}

/// A home visit: when, and what was found.
#[derive(Clone)]
pub struct Visit {
    pub visited_on: NaiveDate,
    pub findings: String,
}

/// A temporary archive to create after its first visit.
#[derive(Clone)]
pub struct NewArchive {
    pub org_id: Uuid,
    pub head_worker_id: Uuid,
    pub household_size: i32,
    pub annual_income_fen: i64,
    pub rigid_expenses_fen: i64,
    pub accident_costs_fen: i64,
    pub causes: Vec<Cause>,
    pub needs: Option<String>,
    pub migrant_worker: bool,
    pub employment_started_on: Option<NaiveDate>,
    pub long_term_assistance: bool,
    pub members: Vec<MemberInput>,
    pub category_override: Option<CategoryChoice>,
    pub first_visit: Visit,
}

/// Corrections to a live archive; the category is assessed again.
pub struct ArchiveChanges {
    pub household_size: Option<i32>,
    pub annual_income_fen: Option<i64>,
    pub rigid_expenses_fen: Option<i64>,
    pub accident_costs_fen: Option<i64>,
    pub causes: Option<Vec<Cause>>,
    pub needs: Option<String>,
    pub migrant_worker: Option<bool>,
    pub employment_started_on: Option<NaiveDate>,
    pub long_term_assistance: Option<bool>,
    pub category_override: Option<CategoryChoice>,
    /// The whole member list as it should now be; `None` leaves the members as they are.
    pub members: Option<Vec<MemberInput>>,
}

/// A (re-)verification visit and its result.
pub struct Verification {
    pub visited_on: NaiveDate,
    pub findings: String,
    pub confirmed: bool,
}

/// A follow-up contact with a lifted-out household.
pub struct FollowUp {
    pub contacted_on: NaiveDate,
    pub channel: Channel,
    pub outcome: String,
}

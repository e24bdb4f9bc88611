//! Request and response types of enterprises.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enterprises;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::pagination::{Sort, SortColumns, SortKeys, Sortable};
use validator::{Validate, ValidationError};

use crate::domain::uscc;
use crate::http::extract::double_option;
use crate::resources::orgs::dto::validate_uscc;
use siji_core::registry::RecordStatus;
use siji_core::registry::lists::{EnterpriseFilter, StatusFilter};

pub use siji_core::registry::enterprises::Ownership;
use siji_core::registry::enterprises::{
    EnterpriseChanges, NewEnterprise, members_within_headcount,
};

/// An industry section of GB/T 4754-2017 (国民经济行业分类门类): one letter A–T, e.g. `C`
/// manufacturing (制造业), `E` construction (建筑业), `N` water, environment and public
/// facilities (水利、环境和公共设施管理业).
pub fn validate_industry(code: &str) -> Result<(), ValidationError> {
    if code.len() == 1 && ('A'..='T').contains(&code.chars().next().unwrap_or('?')) {
        Ok(())
    } else {
        Err(ValidationError::new("industry")
            .with_message("must be a GB/T 4754 section letter A–T".into()))
    }
}

fn validate_uscc_normalised(code: &str) -> Result<(), ValidationError> {
    validate_uscc(&uscc::normalise(code))
}

/// A unionised enterprise (建会企业).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "org_name": "任城区总工会",
    "name": "济宁某机械有限公司", "uscc": "91350100M000100Y43", "ownership": "private", "industry": "C",
    "address": "济宁市任城区某路1号", "union_founded_on": "2015-05-01", "headcount": 320, "member_count": 298,
    "overcapacity": false, "status": "active",
    "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1
}))]
pub struct EnterpriseResponse {
    pub id: Uuid,
    /// The union organisation that keeps this record.
    pub org_id: Uuid,
    /// Its name, for display.
    pub org_name: String,
    pub name: String,
    /// Unified Social Credit Code (统一社会信用代码), unique city-wide.
    pub uscc: String,
    pub ownership: Ownership,
    /// GB/T 4754 industry section letter.
    pub industry: String,
    pub address: Option<String>,
    /// The date the enterprise union was founded (建会日期).
    #[serde(serialize_with = "crate::http::timestamps::optional_date")]
    pub union_founded_on: Option<NaiveDate>,
    /// Number of employees.
    pub headcount: Option<i32>,
    /// Number of union members.
    pub member_count: Option<i32>,
    /// An overcapacity enterprise (过剩产能企业) whose laid-off workers get job help.
    pub overcapacity: bool,
    pub status: RecordStatus,
    #[serde(serialize_with = "crate::http::timestamps::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::http::timestamps::utc")]
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<enterprises::Model> for EnterpriseResponse {
    fn from(e: enterprises::Model) -> Self {
        Self {
            id: e.id,
            org_id: e.org_id,
            org_name: String::new(),
            name: e.name,
            uscc: e.uscc,
            ownership: Ownership::parse(&e.ownership).unwrap_or(Ownership::Other),
            industry: e.industry,
            address: e.address,
            union_founded_on: e.union_founded_on,
            headcount: e.headcount,
            member_count: e.member_count,
            overcapacity: e.overcapacity,
            status: RecordStatus::parse(&e.status).unwrap_or(RecordStatus::Active),
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

fn members_within(req: &CreateEnterpriseRequest) -> Result<(), ValidationError> {
    members_within_headcount(req.headcount, req.member_count).map_err(|e| {
        let mut err = ValidationError::new("exceeds_headcount").with_message(e.message.into());
        err.add_param("field".into(), &e.field);
        err
    })
}

/// Register an enterprise.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "members_within", skip_on_field_errors = false))]
#[schema(example = json!({
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "济宁某机械有限公司", "uscc": "91350100M000100Y43",
    "ownership": "private", "industry": "C", "union_founded_on": "2015-05-01", "headcount": 320, "member_count": 298
}))]
pub struct CreateEnterpriseRequest {
    /// The union organisation (in your subtree) that keeps the record.
    pub org_id: Uuid,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 18 characters with a valid check character (GB 32100-2015).
    #[validate(custom(function = "validate_uscc_normalised"))]
    #[schema(pattern = r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}\s*$")]
    pub uscc: String,
    pub ownership: Ownership,
    #[validate(custom(function = "validate_industry"))]
    #[schema(pattern = r"^[A-T]$")]
    pub industry: String,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub address: Option<String>,
    pub union_founded_on: Option<NaiveDate>,
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub headcount: Option<i32>,
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub member_count: Option<i32>,
    #[serde(default)]
    pub overcapacity: bool,
}

/// Change an enterprise. Absent fields are unchanged; `null` clears an optional one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member_count": 305, "overcapacity": true}))]
pub struct UpdateEnterpriseRequest {
    /// Move the record to another organisation of your subtree.
    pub org_id: Option<Uuid>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(custom(function = "validate_uscc_normalised"))]
    #[schema(pattern = r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}\s*$")]
    pub uscc: Option<String>,
    pub ownership: Option<Ownership>,
    #[validate(custom(function = "validate_industry"))]
    #[schema(pattern = r"^[A-T]$")]
    pub industry: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub union_founded_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub headcount: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub member_count: Option<Option<i32>>,
    pub overcapacity: Option<bool>,
}

/// Declares a query type with the enterprise filters and the given fields besides: the list
/// pages the filtered enterprises, the export gives them all.
macro_rules! enterprise_filters {
    ($(#[$attr:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$attr])*
        #[derive(Debug, Deserialize, Validate, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Only records kept by this organisation itself.
            pub org_id: Option<Uuid>,
            /// Only records kept anywhere in this organisation's subtree.
            pub within_org_id: Option<Uuid>,
            /// `active` (default), `archived` or `all`.
            pub status: Option<StatusFilter>,
            pub ownership: Option<Ownership>,
            /// GB/T 4754 section letter.
            #[validate(length(equal = 1))]
            #[param(min_length = 1, max_length = 1)]
            pub industry: Option<String>,
            pub overcapacity: Option<bool>,
            /// Names starting with this text.
            #[validate(length(min = 1, max = 100))]
            #[param(min_length = 1, max_length = 100)]
            pub name_prefix: Option<String>,
            /// Names containing this text anywhere (`机械` finds 济宁某机械有限公司), letters
            /// in either case.
            #[validate(length(min = 1, max = 100))]
            #[param(min_length = 1, max_length = 100)]
            pub q: Option<String>,
            /// Exactly this Unified Social Credit Code.
            #[validate(length(min = 1, max = 18))]
            #[param(min_length = 1, max_length = 18)]
            pub uscc: Option<String>,
            /// Only records changed at or after this time (RFC 3339). For people looking for
            /// recent edits: the time is taken before commit, so a change that commits late can
            /// be missed. To sync, follow `GET /api/v1/sync/changes`: it never skips one.
            pub updated_since: Option<DateTime<Utc>>,
            $($extra)*
        }

        impl $name {
            pub fn filter(&self) -> EnterpriseFilter {
                EnterpriseFilter {
                    org_id: self.org_id,
                    within_org_id: self.within_org_id,
                    status: self.status.unwrap_or_default(),
                    ownership: self.ownership,
                    industry: self.industry.clone(),
                    overcapacity: self.overcapacity,
                    name_prefix: self.name_prefix.clone(),
                    q: self.q.clone(),
                    uscc: self.uscc.clone(),
                    updated_since: self.updated_since,
                }
            }
        }
    };
}

enterprise_filters!(
    /// Filters and paging of the enterprise list. Sorted by registration (oldest first) unless
    /// `sort` says otherwise.
    EnterpriseListQuery {
        /// The order: `created` (registration, the default), `name` or `updated`, with `-`
        /// first for descending (`-updated`: the latest changes first).
        #[param(inline)]
        pub sort: Option<Sort>,
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

enterprise_filters!(
    /// Filters of the enterprise export, in registration order.
    EnterpriseExportQuery {
        /// `csv` (the default: UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`.
        pub format: Option<crate::spreadsheet::Format>,
    }
);

impl EnterpriseResponse {
    /// With the organisation's name beside its id.
    pub fn named(mut self, names: &crate::spreadsheet::export::Names) -> Self {
        self.org_name = names.org(self.org_id);
        self
    }
}

impl From<CreateEnterpriseRequest> for NewEnterprise {
    fn from(b: CreateEnterpriseRequest) -> Self {
        Self {
            org_id: b.org_id,
            name: b.name,
            uscc: b.uscc,
            ownership: b.ownership,
            industry: b.industry,
            address: b.address,
            union_founded_on: b.union_founded_on,
            headcount: b.headcount,
            member_count: b.member_count,
            overcapacity: b.overcapacity,
        }
    }
}

impl From<UpdateEnterpriseRequest> for EnterpriseChanges {
    fn from(b: UpdateEnterpriseRequest) -> Self {
        Self {
            org_id: b.org_id,
            name: b.name,
            uscc: b.uscc,
            ownership: b.ownership,
            industry: b.industry,
            address: b.address,
            union_founded_on: b.union_founded_on,
            headcount: b.headcount,
            member_count: b.member_count,
            overcapacity: b.overcapacity,
        }
    }
}

impl Sortable for entity::enterprises::Entity {
    type Row = entity::enterprises::Model;

    fn sort_columns() -> SortColumns<entity::enterprises::Column> {
        SortColumns {
            id: entity::enterprises::Column::Id,
            name: entity::enterprises::Column::Name,
            updated_at: entity::enterprises::Column::UpdatedAt,
        }
    }

    fn sort_keys(model: &entity::enterprises::Model) -> SortKeys {
        SortKeys {
            id: model.id,
            name: model.name.clone(),
            updated_at: model.updated_at,
        }
    }
}

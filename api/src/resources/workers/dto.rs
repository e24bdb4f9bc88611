//! Request and response types of workers. Responses carry masked personal data only.

use chrono::{DateTime, NaiveDate, Utc};
use entity::workers;
use sea_orm::{DerivePartialModel, PartialModelTrait, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::pagination::{Sort, SortColumns, SortKeys, Sortable};
use validator::{Validate, ValidationError};

use crate::domain::{id_number, phone};
use crate::http::extract::double_option;
use siji_core::registry::RecordStatus;
use siji_core::registry::lists::{StatusFilter, WorkerFilter};

pub use siji_core::registry::workers::{
    EmploymentStatus, Honour, RevealField, Sex, WorkerKind, parse_honours, store_honours,
};
use siji_core::registry::workers::{NewWorker, WorkerChanges};

pub fn validate_id_number(raw: &str) -> Result<(), ValidationError> {
    id_number::parse(&id_number::normalise(raw), Utc::now().date_naive())
        .map(|_| ())
        .map_err(|e| {
            let (code, message) = match e {
                id_number::IdNumberError::Format => {
                    ("format", "must be 17 digits followed by a digit or X")
                }
                id_number::IdNumberError::BirthDate => (
                    "birth_date",
                    "does not contain a real birth date in the past",
                ),
                id_number::IdNumberError::Checksum => ("checksum", "check digit does not match"),
            };
            ValidationError::new(code).with_message(message.into())
        })
}

pub fn validate_phone(raw: &str) -> Result<(), ValidationError> {
    phone::normalise(raw).map(|_| ()).map_err(|_| {
        ValidationError::new("format")
            .with_message("must be a mainland mobile number (1[3-9] and 9 digits)".into())
    })
}

/// A worker (职工). `id_number` and `phone` are masked; see the reveal operation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "org_name": "任城区总工会", "enterprise_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1001",
    "enterprise_name": "济宁机床厂", "name": "张三明",
    "id_number": "110105********002X", "sex": "female", "birth_date": "1949-12-31", "phone": "138****8000",
    "kind": "staff", "employment_status": "employed", "member_since": "2010-03-01",
    "frontline": true, "high_temperature": false, "honours": ["model_worker"], "status": "active",
    "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1
}))]
pub struct WorkerResponse {
    pub id: Uuid,
    /// The union organisation that keeps this record.
    pub org_id: Uuid,
    /// Its name, for display.
    pub org_name: String,
    /// The employer; `null` for migrant, flexible or unemployed workers without one.
    pub enterprise_id: Option<Uuid>,
    /// The employer's name, for display.
    pub enterprise_name: Option<String>,
    pub name: String,
    /// Resident ID number (居民身份证号), masked: first 6 and last 4 characters.
    pub id_number: String,
    pub sex: Sex,
    /// Derived from the ID number.
    #[serde(serialize_with = "crate::http::timestamps::date")]
    pub birth_date: NaiveDate,
    /// Mobile phone, masked: `138****8000`.
    pub phone: Option<String>,
    pub kind: WorkerKind,
    pub employment_status: EmploymentStatus,
    /// Union member since (入会日期).
    #[serde(serialize_with = "crate::http::timestamps::optional_date")]
    pub member_since: Option<NaiveDate>,
    /// Works on the front line (一线职工).
    pub frontline: bool,
    /// Works in high temperatures (高温作业), for summer cool relief.
    pub high_temperature: bool,
    pub honours: Vec<Honour>,
    pub status: RecordStatus,
    #[serde(serialize_with = "crate::http::timestamps::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::http::timestamps::utc")]
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// The columns of a worker a response shows: the masks, never the ciphertexts or blind indexes.
/// Lists and gets read only these: the four columns left out are most of a row's bytes, and
/// decoding them was most of the cost of reading a page of fifty. Decoded by position
/// (`crate::rows`): the list below is the fields' order.
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "workers::Entity", from_query_result = "false")]
pub struct WorkerView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub name: String,
    pub id_number_masked: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub phone_masked: Option<String>,
    pub kind: String,
    pub employment_status: String,
    pub member_since: Option<NaiveDate>,
    pub frontline: bool,
    pub high_temperature: bool,
    pub honours: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

crate::positional!(WorkerView {
    id,
    org_id,
    enterprise_id,
    name,
    id_number_masked,
    sex,
    birth_date,
    phone_masked,
    kind,
    employment_status,
    member_since,
    frontline,
    high_temperature,
    honours,
    status,
    created_at,
    updated_at,
    version,
});

impl WorkerView {
    /// `select` reading only these columns.
    pub fn narrow(select: Select<workers::Entity>) -> Select<workers::Entity> {
        Self::select_cols(select.select_only())
    }
}

impl From<workers::Model> for WorkerView {
    fn from(w: workers::Model) -> Self {
        Self {
            id: w.id,
            org_id: w.org_id,
            enterprise_id: w.enterprise_id,
            name: w.name,
            id_number_masked: w.id_number_masked,
            sex: w.sex,
            birth_date: w.birth_date,
            phone_masked: w.phone_masked,
            kind: w.kind,
            employment_status: w.employment_status,
            member_since: w.member_since,
            frontline: w.frontline,
            high_temperature: w.high_temperature,
            honours: w.honours,
            status: w.status,
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

impl From<workers::Model> for WorkerResponse {
    fn from(w: workers::Model) -> Self {
        WorkerView::from(w).into()
    }
}

impl From<WorkerView> for WorkerResponse {
    fn from(w: WorkerView) -> Self {
        Self {
            id: w.id,
            org_id: w.org_id,
            org_name: String::new(),
            enterprise_id: w.enterprise_id,
            enterprise_name: None,
            name: w.name,
            id_number: w.id_number_masked,
            sex: Sex::parse(&w.sex).unwrap_or(Sex::Female),
            birth_date: w.birth_date,
            phone: w.phone_masked,
            kind: WorkerKind::parse(&w.kind).unwrap_or(WorkerKind::Other),
            employment_status: EmploymentStatus::parse(&w.employment_status)
                .unwrap_or(EmploymentStatus::Employed),
            member_since: w.member_since,
            frontline: w.frontline,
            high_temperature: w.high_temperature,
            honours: parse_honours(&w.honours),
            status: RecordStatus::parse(&w.status).unwrap_or(RecordStatus::Active),
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

/// Register a worker. Sex and birth date are derived from the ID number, not entered.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "enterprise_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e1001",
    "name": "张三明", "id_number": "11010519491231002X", "phone": "+86 138-0013-8000",
    "kind": "staff", "employment_status": "employed", "frontline": true, "honours": ["model_worker"]
}))]
pub struct CreateWorkerRequest {
    /// The union organisation (in your subtree) that keeps the record.
    pub org_id: Uuid,
    /// The employer, if any (in your subtree).
    pub enterprise_id: Option<Uuid>,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// 18 characters, GB 11643 check digit, a real birth date. Unique city-wide.
    #[validate(custom(function = "validate_id_number"))]
    #[schema(pattern = r"^\s*(?:[0-9]\s*){17}[0-9Xx]\s*$")]
    pub id_number: String,
    /// Mainland mobile; `+86`, spaces and hyphens are accepted and dropped.
    #[validate(custom(function = "validate_phone"))]
    #[schema(
        pattern = r"^[\s-]*(?:\+[\s-]*8[\s-]*6|0[\s-]*0[\s-]*8[\s-]*6)?[\s-]*1[\s-]*[3-9](?:[\s-]*[0-9]){9}[\s-]*$"
    )]
    pub phone: Option<String>,
    pub kind: WorkerKind,
    pub employment_status: EmploymentStatus,
    pub member_since: Option<NaiveDate>,
    #[serde(default)]
    pub frontline: bool,
    #[serde(default)]
    pub high_temperature: bool,
    #[serde(default)]
    pub honours: Vec<Honour>,
}

/// Change a worker. Absent fields are unchanged; `null` clears an optional one. A corrected ID
/// number is checked again and re-derives sex and birth date.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employment_status": "laid_off", "enterprise_id": null}))]
pub struct UpdateWorkerRequest {
    pub org_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub enterprise_id: Option<Option<Uuid>>,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[validate(custom(function = "validate_id_number"))]
    #[schema(pattern = r"^\s*(?:[0-9]\s*){17}[0-9Xx]\s*$")]
    pub id_number: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub kind: Option<WorkerKind>,
    pub employment_status: Option<EmploymentStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub member_since: Option<Option<NaiveDate>>,
    pub frontline: Option<bool>,
    pub high_temperature: Option<bool>,
    pub honours: Option<Vec<Honour>>,
}

impl UpdateWorkerRequest {
    pub fn phone_valid(&self) -> Result<(), ValidationError> {
        match &self.phone {
            Some(Some(p)) => validate_phone(p),
            _ => Ok(()),
        }
    }
}

/// Declares a query type with the worker filters and the given fields besides: the list pages
/// the filtered workers, the export gives them all, and both must agree on what a filter means.
/// Personal data is not a filter (it would end up in URLs and logs): search by ID number or
/// phone with `POST /api/v1/workers/search`.
macro_rules! worker_filters {
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
            /// Only workers of this enterprise.
            pub enterprise_id: Option<Uuid>,
            /// `active` (default), `archived` or `all`.
            pub status: Option<StatusFilter>,
            pub kind: Option<WorkerKind>,
            pub employment_status: Option<EmploymentStatus>,
            pub frontline: Option<bool>,
            pub high_temperature: Option<bool>,
            /// Names starting with this text.
            #[validate(length(min = 1, max = 50))]
            #[param(min_length = 1, max_length = 50)]
            pub name_prefix: Option<String>,
            /// Names containing this text anywhere (`机械` finds 济宁某机械有限公司), letters
            /// in either case.
            #[validate(length(min = 1, max = 50))]
            #[param(min_length = 1, max_length = 50)]
            pub q: Option<String>,
            /// Only records changed at or after this time (RFC 3339). For people looking for
            /// recent edits: the time is taken before commit, so a change that commits late can
            /// be missed. To sync, follow `GET /api/v1/sync/changes`: it never skips one.
            pub updated_since: Option<DateTime<Utc>>,
            $($extra)*
        }

        impl $name {
            pub fn filter(&self) -> WorkerFilter {
                WorkerFilter {
                    org_id: self.org_id,
                    within_org_id: self.within_org_id,
                    enterprise_id: self.enterprise_id,
                    status: self.status.unwrap_or_default(),
                    kind: self.kind,
                    employment_status: self.employment_status,
                    frontline: self.frontline,
                    high_temperature: self.high_temperature,
                    name_prefix: self.name_prefix.clone(),
                    q: self.q.clone(),
                    updated_since: self.updated_since,
                }
            }
        }
    };
}

worker_filters!(
    /// Filters and paging of the worker list. Sorted by registration (oldest first) unless
    /// `sort` says otherwise.
    WorkerListQuery {
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

worker_filters!(
    /// Filters of the worker export, in registration order.
    WorkerExportQuery {
        /// `csv` (the default: UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`.
        pub format: Option<crate::spreadsheet::Format>,
    }
);

fn one_key(req: &WorkerSearchRequest) -> Result<(), ValidationError> {
    match (&req.id_number, &req.phone) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(ValidationError::new("one_of")
            .with_message("give exactly one of id_number and phone".into())),
    }
}

/// Exact search by personal data, through the blind index: the value travels in the body,
/// never in a URL.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_key", skip_on_field_errors = false))]
#[schema(example = json!({"id_number": "11010519491231002X"}))]
pub struct WorkerSearchRequest {
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub id_number: Option<String>,
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub phone: Option<String>,
    /// Include archived records.
    #[serde(default)]
    pub include_archived: bool,
}

/// Why you need to see the plaintext; recorded in the audit trail.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fields": ["id_number"], "reason": "核对金秋助学申请人身份"}))]
pub struct RevealRequest {
    #[validate(length(min = 1, max = 2))]
    #[schema(min_items = 1, max_items = 2)]
    pub fields: Vec<RevealField>,
    /// At least 4 characters.
    #[validate(length(min = 4, max = 200))]
    #[schema(min_length = 4, max_length = 200)]
    pub reason: String,
}

/// Plaintext personal data of one worker (or household member). Do not store or log it.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001", "id_number": "11010519491231002X"}))]
pub struct RevealResponse {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl WorkerResponse {
    /// With the names a screen shows beside the ids.
    pub fn named(mut self, names: &crate::spreadsheet::export::Names) -> Self {
        self.org_name = names.org(self.org_id);
        self.enterprise_name = self
            .enterprise_id
            .map(|id| names.enterprise(Some(id)))
            .filter(|name| !name.is_empty());
        self
    }
}

impl From<CreateWorkerRequest> for NewWorker {
    fn from(b: CreateWorkerRequest) -> Self {
        Self {
            org_id: b.org_id,
            enterprise_id: b.enterprise_id,
            name: b.name,
            id_number: b.id_number,
            phone: b.phone,
            kind: b.kind,
            employment_status: b.employment_status,
            member_since: b.member_since,
            frontline: b.frontline,
            high_temperature: b.high_temperature,
            honours: b.honours,
        }
    }
}

impl From<UpdateWorkerRequest> for WorkerChanges {
    fn from(b: UpdateWorkerRequest) -> Self {
        Self {
            org_id: b.org_id,
            enterprise_id: b.enterprise_id,
            name: b.name,
            id_number: b.id_number,
            phone: b.phone,
            kind: b.kind,
            employment_status: b.employment_status,
            member_since: b.member_since,
            frontline: b.frontline,
            high_temperature: b.high_temperature,
            honours: b.honours,
        }
    }
}

impl From<siji_core::registry::workers::Revealed> for RevealResponse {
    fn from(r: siji_core::registry::workers::Revealed) -> Self {
        Self {
            id: r.id,
            id_number: r.id_number,
            phone: r.phone,
        }
    }
}

impl Sortable for entity::workers::Entity {
    type Row = WorkerView;

    fn sort_columns() -> SortColumns<entity::workers::Column> {
        SortColumns {
            id: entity::workers::Column::Id,
            name: entity::workers::Column::Name,
            updated_at: entity::workers::Column::UpdatedAt,
        }
    }

    fn sort_keys(model: &WorkerView) -> SortKeys {
        SortKeys {
            id: model.id,
            name: model.name.clone(),
            updated_at: model.updated_at,
        }
    }
}

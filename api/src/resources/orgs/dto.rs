//! Request and response types of organisations.

use chrono::{DateTime, Utc};
use entity::orgs;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::{division_code, uscc};
use crate::http::extract::double_option;

pub use siji_core::registry::orgs::OrgLevel;
use siji_core::registry::orgs::{NewOrg, OrgChanges};

pub fn validate_division_code(code: &str) -> Result<(), ValidationError> {
    division_code::validate(code).map_err(|e| {
        let (code, message) = match e {
            division_code::DivisionCodeError::Format => {
                ("format", "must be six digits (GB/T 2260)")
            }
            division_code::DivisionCodeError::Province => {
                ("province", "does not start with a province code (11–82)")
            }
        };
        ValidationError::new(code).with_message(message.into())
    })
}

/// Shared by every resource that takes a USCC.
pub fn validate_uscc(code: &str) -> Result<(), ValidationError> {
    uscc::validate(code).map_err(|e| {
        let (code, message) = match e {
            uscc::UsccError::Length => ("length", "must be 18 characters"),
            uscc::UsccError::Character => ("character", "contains a character not used in USCCs"),
            uscc::UsccError::Checksum => ("checksum", "check character does not match"),
        };
        ValidationError::new(code).with_message(message.into())
    })
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "parent_id": "0193a5b2-6a00-7000-8000-000000000001",
    "level": "county", "name": "任城区总工会", "division_code": "370811", "uscc": null, "depth": 1,
    "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1
}))]
pub struct OrgResponse {
    pub id: Uuid,
    /// `null` for the root.
    pub parent_id: Option<Uuid>,
    pub level: OrgLevel,
    pub name: String,
    /// Administrative division code (行政区划代码, GB/T 2260).
    pub division_code: String,
    /// The union's own Unified Social Credit Code (统一社会信用代码), if it has one.
    pub uscc: Option<String>,
    /// Distance from the root (0 for the city federation).
    pub depth: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

impl From<orgs::Model> for OrgResponse {
    fn from(m: orgs::Model) -> Self {
        Self {
            id: m.id,
            parent_id: m.parent_id,
            level: OrgLevel::parse(&m.level).unwrap_or(OrgLevel::Enterprise),
            name: m.name,
            division_code: m.division_code,
            uscc: m.uscc,
            depth: m.depth,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// Create an organisation under `parent_id` (which must be in your subtree).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"parent_id": "0193a5b2-6a00-7000-8000-000000000001", "level": "county", "name": "任城区总工会", "division_code": "370811"}))]
pub struct CreateOrgRequest {
    pub parent_id: Uuid,
    /// Must be below the parent's level.
    pub level: OrgLevel,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "validate_division_code"))]
    #[schema(pattern = r"^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$")]
    pub division_code: String,
    #[validate(custom(function = "validate_uscc"))]
    #[schema(pattern = r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub uscc: Option<String>,
}

/// Change an organisation's name, division code or USCC. Absent fields are unchanged; `uscc:
/// null` removes the code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "济宁市任城区总工会"}))]
pub struct UpdateOrgRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(custom(function = "validate_division_code"))]
    #[schema(pattern = r"^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$")]
    pub division_code: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub uscc: Option<Option<String>>,
}

impl UpdateOrgRequest {
    pub fn uscc_valid(&self) -> Result<(), ValidationError> {
        match &self.uscc {
            Some(Some(code)) => validate_uscc(code),
            _ => Ok(()),
        }
    }
}

/// Move an organisation (with its whole subtree) under another parent in your subtree.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"parent_id": "0193a5b2-6a00-7000-8000-000000000002"}))]
pub struct MoveOrgRequest {
    pub parent_id: Uuid,
}

/// Filters of the flat list. Sorted by creation (id), oldest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgListQuery {
    /// Only the direct children of this organisation.
    pub parent_id: Option<Uuid>,
    /// Only organisations of this level.
    pub level: Option<OrgLevel>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgTreeQuery {
    /// Root of the returned tree (default: your own organisation).
    pub root_id: Option<Uuid>,
}

/// A node of the organisation tree with its children, sorted by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgTreeNode {
    pub id: Uuid,
    pub level: OrgLevel,
    pub name: String,
    pub division_code: String,
    #[schema(no_recursion)]
    pub children: Vec<OrgTreeNode>,
}

impl From<CreateOrgRequest> for NewOrg {
    fn from(b: CreateOrgRequest) -> Self {
        Self {
            parent_id: b.parent_id,
            level: b.level,
            name: b.name,
            division_code: b.division_code,
            uscc: b.uscc,
        }
    }
}

impl From<UpdateOrgRequest> for OrgChanges {
    fn from(b: UpdateOrgRequest) -> Self {
        Self {
            name: b.name,
            division_code: b.division_code,
            uscc: b.uscc,
        }
    }
}

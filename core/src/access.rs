//! Roles, permissions, and the one matrix that decides which role may do what. Operations ask
//! `Context::require(permission)`; the OpenAPI document and the README show this same matrix
//! (the document's text is generated from it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role a user (or machine client) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// City federation administrator (市总工会管理员): everything, city-wide.
    CityAdmin,
    /// County/district federation administrator (县市区总工会管理员): organisations and
    /// accounts in the county's subtree.
    CountyAdmin,
    /// Data entry (录入员).
    Operator,
    /// Approves applications and grants (审批人).
    Approver,
    /// Read-only, including the audit log (审计员).
    Auditor,
    /// A county system syncing its records (系统对接); machine clients only.
    Integration,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::CityAdmin,
        Role::CountyAdmin,
        Role::Operator,
        Role::Approver,
        Role::Auditor,
        Role::Integration,
    ];

    /// The Chinese name staff know the role by.
    pub fn label(self) -> &'static str {
        match self {
            Role::CityAdmin => "市总工会管理员",
            Role::CountyAdmin => "县市区总工会管理员",
            Role::Operator => "录入员",
            Role::Approver => "审批人",
            Role::Auditor => "审计员",
            Role::Integration => "系统对接",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CityAdmin => "city_admin",
            Role::CountyAdmin => "county_admin",
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Auditor => "auditor",
            Role::Integration => "integration",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// Parse the stored comma-separated role list; unknown names (from a newer version) are skipped.
pub fn parse_roles(stored: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = stored
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

pub fn store_roles(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Something a caller may be permitted to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    /// Read organisations of one's subtree.
    #[serde(rename = "orgs.read")]
    OrgsRead,
    /// Create, rename and move organisations within one's subtree.
    #[serde(rename = "orgs.write")]
    OrgsWrite,
    /// Read user accounts of one's subtree.
    #[serde(rename = "users.read")]
    UsersRead,
    /// Create and change user accounts, reset passwords, disable accounts.
    #[serde(rename = "users.write")]
    UsersWrite,
    /// Read machine clients of one's subtree.
    #[serde(rename = "clients.read")]
    ClientsRead,
    /// Create, disable and rotate the secrets of machine clients.
    #[serde(rename = "clients.write")]
    ClientsWrite,
    /// Read the audit trail of one's subtree.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Read enterprises and workers (personal data masked).
    #[serde(rename = "registry.read")]
    RegistryRead,
    /// Create, change and archive enterprises and workers.
    #[serde(rename = "registry.write")]
    RegistryWrite,
    /// See personal data in plaintext, one record at a time, with a reason; always audited.
    #[serde(rename = "pii.reveal")]
    PiiReveal,
    /// Read collective wage agreements and their coverage statistics.
    #[serde(rename = "agreements.read")]
    AgreementsRead,
    /// Record agreements, negotiation rounds, signing, filing and termination.
    #[serde(rename = "agreements.write")]
    AgreementsWrite,
    /// Keep the local standards (statutory minimum wages, minimum living standards) of one's
    /// counties.
    #[serde(rename = "standards.write")]
    StandardsWrite,
    /// Read the hardship archive (困难职工档案).
    #[serde(rename = "archive.read")]
    ArchiveRead,
    /// Create and maintain archives: households, lifting out, cancelling, follow-ups.
    #[serde(rename = "archive.write")]
    ArchiveWrite,
    /// Record verification visits (入户核实); never for an archive one created oneself.
    #[serde(rename = "archive.verify")]
    ArchiveVerify,
    /// Read aid campaigns (帮扶活动), their fund sources and budgets.
    #[serde(rename = "campaigns.read")]
    CampaignsRead,
    /// Create campaigns for one's own organisation, change them while drafts, and move them
    /// through their lifecycle (open, close, settle, cancel).
    #[serde(rename = "campaigns.write")]
    CampaignsWrite,
    /// Read grants (受助名单) and public notices.
    #[serde(rename = "grants.read")]
    GrantsRead,
    /// Submit grants, withdraw them and place them on public notice.
    #[serde(rename = "grants.write")]
    GrantsWrite,
    /// Record the home visit that verifies a grant (入户走访核实); never for a grant one submitted.
    #[serde(rename = "grants.verify")]
    GrantsVerify,
    /// Approve or reject grants (审批); never for a grant one submitted or verified.
    #[serde(rename = "grants.approve")]
    GrantsApprove,
    /// Read bank cards (masked) and payout batches.
    #[serde(rename = "payouts.read")]
    PayoutsRead,
    /// Register and replace payees' bank cards, build and cancel payout batches, and record
    /// post-payment verification.
    #[serde(rename = "payouts.write")]
    PayoutsWrite,
    /// Approve a payout batch (the checker; never one's own batch) and settle a payout whose
    /// outcome the bank left unclear.
    #[serde(rename = "payouts.approve")]
    PayoutsApprove,
    /// Export the bank file, the one place full card numbers leave the system; always audited.
    #[serde(rename = "payouts.export")]
    PayoutsExport,
}

impl Permission {
    /// The Chinese name shown next to the permission.
    pub fn label(self) -> &'static str {
        use Permission::*;
        match self {
            OrgsRead => "查看组织",
            OrgsWrite => "维护组织",
            UsersRead => "查看账号",
            UsersWrite => "维护账号",
            ClientsRead => "查看对接系统",
            ClientsWrite => "维护对接系统",
            AuditRead => "查看审计日志",
            RegistryRead => "查看职工和企业",
            RegistryWrite => "维护职工和企业",
            PiiReveal => "查看个人信息明文",
            AgreementsRead => "查看集体合同",
            AgreementsWrite => "维护集体合同",
            StandardsWrite => "维护地方标准",
            ArchiveRead => "查看困难职工档案",
            ArchiveWrite => "维护困难职工档案",
            ArchiveVerify => "入户核实",
            CampaignsRead => "查看帮扶活动",
            CampaignsWrite => "维护帮扶活动",
            GrantsRead => "查看受助名单",
            GrantsWrite => "申报受助对象",
            GrantsVerify => "入户核实受助对象",
            GrantsApprove => "审批受助对象",
            PayoutsRead => "查看银行卡和发放批次",
            PayoutsWrite => "维护银行卡和发放批次",
            PayoutsApprove => "审核发放批次",
            PayoutsExport => "导出银行代发文件",
        }
    }
}

/// What `x-permission` says of an operation open to any signed-in principal, whatever its
/// roles (its own profile, its jobs, the enumerations).
pub const AUTHENTICATED: &str = "authenticated";

impl Permission {
    pub const ALL: [Permission; 26] = [
        Permission::OrgsRead,
        Permission::OrgsWrite,
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::ClientsRead,
        Permission::ClientsWrite,
        Permission::AuditRead,
        Permission::RegistryRead,
        Permission::RegistryWrite,
        Permission::PiiReveal,
        Permission::AgreementsRead,
        Permission::AgreementsWrite,
        Permission::StandardsWrite,
        Permission::ArchiveRead,
        Permission::ArchiveWrite,
        Permission::ArchiveVerify,
        Permission::CampaignsRead,
        Permission::CampaignsWrite,
        Permission::GrantsRead,
        Permission::GrantsWrite,
        Permission::GrantsVerify,
        Permission::GrantsApprove,
        Permission::PayoutsRead,
        Permission::PayoutsWrite,
        Permission::PayoutsApprove,
        Permission::PayoutsExport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::OrgsRead => "orgs.read",
            Permission::OrgsWrite => "orgs.write",
            Permission::UsersRead => "users.read",
            Permission::UsersWrite => "users.write",
            Permission::ClientsRead => "clients.read",
            Permission::ClientsWrite => "clients.write",
            Permission::AuditRead => "audit.read",
            Permission::RegistryRead => "registry.read",
            Permission::RegistryWrite => "registry.write",
            Permission::PiiReveal => "pii.reveal",
            Permission::AgreementsRead => "agreements.read",
            Permission::AgreementsWrite => "agreements.write",
            Permission::StandardsWrite => "standards.write",
            Permission::ArchiveRead => "archive.read",
            Permission::ArchiveWrite => "archive.write",
            Permission::ArchiveVerify => "archive.verify",
            Permission::CampaignsRead => "campaigns.read",
            Permission::CampaignsWrite => "campaigns.write",
            Permission::GrantsRead => "grants.read",
            Permission::GrantsWrite => "grants.write",
            Permission::GrantsVerify => "grants.verify",
            Permission::GrantsApprove => "grants.approve",
            Permission::PayoutsRead => "payouts.read",
            Permission::PayoutsWrite => "payouts.write",
            Permission::PayoutsApprove => "payouts.approve",
            Permission::PayoutsExport => "payouts.export",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The roles that hold this permission.
    pub fn roles(self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| granted(*r).contains(&self))
            .collect()
    }
}

/// Whether any of `roles` grants `permission`.
pub fn grants(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| granted(*r).contains(&permission))
}

/// `Forbidden` unless `roles` grant `permission`. A denial is audited on its own connection
/// (outside any unit of work, so that a rollback cannot erase it).
pub async fn require(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::audit::Actor,
    roles: &[Role],
    permission: Permission,
) -> Result<(), crate::CoreError> {
    if grants(roles, permission) {
        return Ok(());
    }
    let event = crate::audit::Event::new("permission.denied")
        .outcome(crate::audit::Outcome::Denied)
        .changes(serde_json::json!({ "permission": permission.as_str() }));
    crate::audit::record(db, actor, event).await?;
    Err(crate::CoreError::Forbidden(format!(
        "your roles do not grant `{}`",
        permission.as_str()
    )))
}

use Permission::*;

/// THE permission matrix (role × permission). Scope is separate: every permission applies only
/// within the caller's organisation subtree.
pub fn granted(role: Role) -> &'static [Permission] {
    match role {
        Role::CityAdmin => &[
            OrgsRead,
            OrgsWrite,
            UsersRead,
            UsersWrite,
            ClientsRead,
            ClientsWrite,
            AuditRead,
            RegistryRead,
            RegistryWrite,
            PiiReveal,
            AgreementsRead,
            AgreementsWrite,
            StandardsWrite,
            ArchiveRead,
            ArchiveWrite,
            ArchiveVerify,
            CampaignsRead,
            CampaignsWrite,
            GrantsRead,
            GrantsWrite,
            GrantsVerify,
            GrantsApprove,
            PayoutsRead,
            PayoutsWrite,
            PayoutsApprove,
            PayoutsExport,
        ],
        Role::CountyAdmin => &[
            OrgsRead,
            OrgsWrite,
            UsersRead,
            UsersWrite,
            ClientsRead,
            ClientsWrite,
            RegistryRead,
            RegistryWrite,
            PiiReveal,
            AgreementsRead,
            AgreementsWrite,
            StandardsWrite,
            ArchiveRead,
            ArchiveWrite,
            ArchiveVerify,
            CampaignsRead,
            CampaignsWrite,
            GrantsRead,
            GrantsWrite,
            GrantsVerify,
            GrantsApprove,
            PayoutsRead,
            PayoutsWrite,
            PayoutsApprove,
            PayoutsExport,
        ],
        Role::Operator => &[
            OrgsRead,
            RegistryRead,
            RegistryWrite,
            AgreementsRead,
            AgreementsWrite,
            ArchiveRead,
            ArchiveWrite,
            ArchiveVerify,
            CampaignsRead,
            GrantsRead,
            GrantsWrite,
            GrantsVerify,
            PayoutsRead,
            PayoutsWrite,
        ],
        Role::Approver => &[
            OrgsRead,
            RegistryRead,
            AgreementsRead,
            ArchiveRead,
            ArchiveVerify,
            CampaignsRead,
            GrantsRead,
            GrantsVerify,
            GrantsApprove,
            PayoutsRead,
            PayoutsApprove,
        ],
        Role::Auditor => &[
            OrgsRead,
            UsersRead,
            ClientsRead,
            AuditRead,
            RegistryRead,
            AgreementsRead,
            ArchiveRead,
            CampaignsRead,
            GrantsRead,
            PayoutsRead,
        ],
        Role::Integration => &[
            OrgsRead,
            RegistryRead,
            RegistryWrite,
            AgreementsRead,
            AgreementsWrite,
            ArchiveRead,
            // A county system pushes its hardship archives; verifying one stays a person's.
            ArchiveWrite,
        ],
    }
}

/// Everything a set of roles permits, in matrix order.
pub fn effective(roles: &[Role]) -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| roles.iter().any(|r| granted(*r).contains(p)))
        .collect()
}

/// Which roles a caller may hand out: a city admin any staff role; a county admin any staff role
/// but city admin. `integration` belongs to machine clients only.
pub fn may_assign(caller: &[Role], role: Role) -> bool {
    match role {
        Role::Integration => false,
        Role::CityAdmin => caller.contains(&Role::CityAdmin),
        _ => caller.contains(&Role::CityAdmin) || caller.contains(&Role::CountyAdmin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_storage() {
        let roles = parse_roles(&store_roles(&[
            Role::Auditor,
            Role::Operator,
            Role::Auditor,
        ]));
        assert_eq!(roles, vec![Role::Operator, Role::Auditor]);
        assert_eq!(parse_roles("operator,unknown"), vec![Role::Operator]);
    }

    #[test]
    fn only_city_admin_and_auditor_read_the_audit_log() {
        assert_eq!(AuditRead.roles(), vec![Role::CityAdmin, Role::Auditor]);
        assert!(!effective(&[Role::Operator]).contains(&UsersWrite));
        assert!(may_assign(&[Role::CountyAdmin], Role::Operator));
        assert!(!may_assign(&[Role::CountyAdmin], Role::CityAdmin));
        assert!(!may_assign(&[Role::CityAdmin], Role::Integration));
    }

    #[test]
    fn permission_names_match_serde() {
        for p in Permission::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}

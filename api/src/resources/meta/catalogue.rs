//! Every documented enumeration of the API, in one list: served by `GET /api/v1/meta/enums` and
//! written into the OpenAPI schemas (each value's meaning and `x-enum-descriptions`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::enums::{Documented, chinese_term};
use crate::resources::beneficiaries::dto as archive;
use crate::resources::enterprises::dto::Ownership;
use crate::resources::orgs::dto::OrgLevel;
use crate::resources::wage_agreements::dto as agreements;
use crate::resources::workers::dto as workers;
use siji_core::registry::RecordStatus;

/// One value of an enumeration.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnumValue {
    /// What the API sends and accepts.
    pub value: &'static str,
    /// The Chinese term to show people, when the value has one.
    pub label: Option<&'static str>,
    pub description: &'static str,
}

/// An enumeration (its name is the OpenAPI schema's name).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnumDescription {
    pub name: &'static str,
    pub description: &'static str,
    pub values: Vec<EnumValue>,
}

fn describe<E: Documented>() -> EnumDescription {
    EnumDescription {
        name: E::NAME,
        description: E::DESCRIPTION.trim(),
        values: E::VALUES
            .iter()
            .map(|(value, description)| EnumValue {
                value,
                label: chinese_term(description),
                description: description.trim(),
            })
            .collect(),
    }
}

/// Roles, permissions and problem codes: schemas of the document too, with Chinese labels.
fn access_and_problems() -> Vec<EnumDescription> {
    use crate::auth::permissions::{Permission, Role};
    use crate::http::ErrorCode;
    vec![
        EnumDescription {
            name: "Role",
            description: "A role of a staff account or machine client (角色); it grants permissions.",
            values: Role::ALL
                .iter()
                .map(|r| EnumValue {
                    value: r.as_str(),
                    label: Some(r.label()),
                    description: r.label(),
                })
                .collect(),
        },
        EnumDescription {
            name: "Permission",
            description: "Something a caller may be permitted to do (权限); operations name theirs as `x-permission`.",
            values: Permission::ALL
                .iter()
                .map(|p| EnumValue {
                    value: p.as_str(),
                    label: Some(p.label()),
                    description: p.label(),
                })
                .collect(),
        },
        EnumDescription {
            name: "ErrorCode",
            description: "The stable `code` of a problem document (错误代码).",
            values: ErrorCode::ALL
                .iter()
                .map(|c| EnumValue {
                    value: c.as_str(),
                    label: Some(c.label()),
                    description: c.title(),
                })
                .collect(),
        },
    ]
}

/// The sections of GB/T 4754-2017 (国民经济行业分类门类), the values of every `industry`.
pub fn industry_sections() -> Vec<EnumValue> {
    crate::domain::industry::SECTIONS
        .iter()
        .map(|(letter, name)| EnumValue {
            value: letter,
            label: Some(name),
            description: name,
        })
        .collect()
}

/// The `code` of a field error (`errors[].code` of a problem): what was wrong with the field.
pub fn field_error_codes() -> Vec<EnumValue> {
    const CODES: [(&str, &str, &str); 49] = [
        ("required", "必填", "is missing"),
        (
            "unknown_field",
            "未知字段",
            "is not a field of this request",
        ),
        ("invalid_type", "类型错误", "has the wrong type"),
        (
            "invalid_value",
            "取值错误",
            "is not one of the allowed values",
        ),
        (
            "invalid_length",
            "元素个数错误",
            "has the wrong number of elements",
        ),
        ("length", "长度不符", "is too short or too long"),
        ("too_short", "过短", "is too short"),
        ("too_long", "过长", "is too long"),
        ("range", "超出范围", "is outside the allowed range"),
        ("format", "格式错误", "does not have the required form"),
        (
            "character",
            "含非法字符",
            "contains a character the code does not use",
        ),
        (
            "checksum",
            "校验位错误",
            "its check digit or character does not match",
        ),
        (
            "birth_date",
            "出生日期无效",
            "an ID number without a real birth date in the past",
        ),
        ("one_of", "取值错误", "is not one of the accepted values"),
        (
            "control_character",
            "含控制字符",
            "contains a control character",
        ),
        ("invalid_utf8", "编码错误", "is not percent-encoded UTF-8"),
        (
            "invalid_cursor",
            "游标无效",
            "is not a cursor this API issued",
        ),
        (
            "invalid_etag",
            "版本标记无效",
            "If-Match is not an ETag this API issued",
        ),
        ("invalid", "无效", "is malformed"),
        (
            "incorrect",
            "不正确",
            "does not match what is on record (a current password)",
        ),
        (
            "contains_username",
            "包含用户名",
            "a password may not contain the username",
        ),
        (
            "not_found",
            "未找到",
            "refers to something that does not exist in your organisation",
        ),
        (
            "ambiguous",
            "不唯一",
            "names several records; give a unique key (a USCC)",
        ),
        ("duplicate", "重复", "is already registered"),
        (
            "registered_elsewhere",
            "已在他处登记",
            "is already registered by another organisation",
        ),
        (
            "conflict",
            "状态冲突",
            "conflicts with the record's current state",
        ),
        ("not_assignable", "无权分配", "a role you may not give"),
        (
            "not_allowed",
            "不允许",
            "not allowed for this record or caller",
        ),
        (
            "below_parent",
            "层级错误",
            "an organisation level must be below its parent's",
        ),
        (
            "one_enterprise",
            "仅限一家企业",
            "a single-enterprise agreement covers exactly one enterprise",
        ),
        ("scope", "范围不符", "does not fit the agreement's scope"),
        ("before_start", "早于开始日期", "ends before it starts"),
        (
            "before_signing",
            "早于签订日期",
            "comes before the agreement was signed",
        ),
        ("in_future", "晚于今天", "is in the future"),
        (
            "term_too_long",
            "期限过长",
            "an agreement's term may run at most three years",
        ),
        (
            "outside_term",
            "超出期限",
            "lies outside the agreement's term",
        ),
        (
            "below_statutory_minimum",
            "低于最低工资标准",
            "below the local statutory minimum wage",
        ),
        (
            "exceeds_headcount",
            "超过职工人数",
            "more than the enterprises employ",
        ),
        (
            "not_eligible",
            "不符合认定条件",
            "the household does not meet the hardship rules",
        ),
        (
            "member_count",
            "人数不符",
            "does not match the household's members",
        ),
        (
            "unknown_member",
            "成员不存在",
            "not a member of this household",
        ),
        ("not_recorded", "未登记", "no such record is kept"),
        (
            "unreadable",
            "无法读取",
            "the file cannot be read as CSV or XLSX",
        ),
        ("empty", "空文件", "the file has no header row"),
        (
            "unknown_column",
            "未知列",
            "a column the template does not have",
        ),
        (
            "missing_column",
            "缺少列",
            "a required column of the template is missing",
        ),
        ("repeated_column", "列重复", "a column appears twice"),
        (
            "repeated_row",
            "行重复",
            "repeats an earlier row of the same file",
        ),
        (
            "no_head",
            "缺少户主行",
            "a member row must follow its household head's row",
        ),
    ];
    const MORE: [(&str, &str, &str); 13] = [
        (
            "unknown_bank",
            "银行不支持",
            "not a bank type Siji pays through",
        ),
        (
            "name_mismatch",
            "户名不符",
            "the card holder is not the payee",
        ),
        (
            "household_rejected",
            "所在家庭未保存",
            "its household was not saved",
        ),
        (
            "member_rejected",
            "家庭成员有误",
            "a member row of this household is invalid",
        ),
        (
            "reopen_instead",
            "请重新启用档案",
            "the household was lifted out: reopen that archive",
        ),
        (
            "too_many_rows",
            "行数超限",
            "the file has more data rows than one import may hold",
        ),
        (
            "too_many_columns",
            "列数超限",
            "the file has more columns than allowed",
        ),
        (
            "too_many_cells",
            "单元格数超限",
            "the file has more filled cells than allowed",
        ),
        (
            "part_too_large",
            "文件部件过大",
            "a part of the XLSX unpacks to more than allowed",
        ),
        (
            "unpacked_too_large",
            "解压后过大",
            "the XLSX unpacks to more than allowed",
        ),
        (
            "compression_ratio",
            "压缩比异常",
            "the XLSX unpacks to far more than its own size",
        ),
        (
            "too_many_parts",
            "文件部件过多",
            "the XLSX holds more parts than allowed",
        ),
        (
            "group_by_and_group",
            "参数需配对",
            "group_by and group are given together",
        ),
    ];
    CODES
        .iter()
        .chain(MORE.iter())
        .map(|(value, label, description)| EnumValue {
            value,
            label: Some(label),
            description,
        })
        .collect()
}

/// Every documented enumeration, by schema name.
pub fn catalogue() -> Vec<EnumDescription> {
    let mut all = catalogue_of_records();
    all.extend(access_and_problems());
    all
}

fn catalogue_of_records() -> Vec<EnumDescription> {
    vec![
        describe::<OrgLevel>(),
        describe::<Ownership>(),
        describe::<RecordStatus>(),
        describe::<workers::WorkerKind>(),
        describe::<workers::EmploymentStatus>(),
        describe::<workers::Honour>(),
        describe::<workers::Sex>(),
        describe::<agreements::AgreementScope>(),
        describe::<agreements::NegotiationMode>(),
        describe::<agreements::TextType>(),
        describe::<agreements::AgreementStatus>(),
        describe::<archive::Category>(),
        describe::<archive::Cause>(),
        describe::<archive::ArchiveStatus>(),
        describe::<archive::Relation>(),
        describe::<archive::Health>(),
        describe::<archive::Stage>(),
        describe::<archive::LiftOutReason>(),
        describe::<archive::CancelReason>(),
        describe::<archive::Channel>(),
        describe::<siji_core::campaigns::CampaignKind>(),
        describe::<siji_core::campaigns::CampaignStatus>(),
        describe::<siji_core::campaigns::FundSourceKind>(),
        describe::<siji_core::campaigns::money::LedgerKind>(),
        describe::<siji_core::grants::GrantStatus>(),
        describe::<siji_core::grants::RecipientKind>(),
        describe::<siji_core::grants::objections::ObjectionChannel>(),
        describe::<siji_core::grants::objections::ObjectionStatus>(),
        describe::<siji_core::payouts::BatchStatus>(),
        describe::<siji_core::payouts::PayoutStatus>(),
        describe::<siji_core::payouts::PayeeKind>(),
        describe::<siji_core::payouts::batches::PayoutOutcome>(),
        describe::<siji_core::payouts::reconcile::ExceptionKind>(),
        describe::<siji_core::payouts::checks::CheckResult>(),
        describe::<siji_core::payouts::checks::ContactMethod>(),
    ]
}

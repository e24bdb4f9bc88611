//! The import templates: each column's canonical name, the headers county spreadsheets use for
//! it, and how a cell becomes a JSON value of the create request (Chinese labels accepted for
//! enumerations, 是/否 for flags). Validation itself is the create request's own.

use serde_json::{Value, json};

/// A column: canonical name (the create request's field), accepted headers, how to convert.
pub struct Column {
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub convert: Convert,
    /// What the template's notes sheet says about it.
    pub note: &'static str,
}

#[derive(Clone, Copy)]
pub enum Convert {
    Text,
    Integer,
    Date,
    Flag,
    /// (label or code, code)
    Choice(&'static [(&'static str, &'static str)]),
    /// Several choices separated by 、,;，；
    Choices(&'static [(&'static str, &'static str)]),
    /// Several values separated by 、,;，；, as given.
    List,
    /// A percentage ("5" or "5.5") as basis points (500, 550).
    PercentToBp,
    /// An amount in yuan ("2100" or "2100.50") as fen.
    YuanToFen,
}

pub const WORKER_COLUMNS: &[Column] = &[
    Column {
        name: "name",
        headers: &["姓名"],
        convert: Convert::Text,
        note: "必填 / required",
    },
    Column {
        name: "id_number",
        headers: &["身份证号", "身份证号码", "公民身份号码"],
        convert: Convert::Text,
        note: "必填，18位，请将单元格设为文本 / required, 18 characters; format the cells as text",
    },
    Column {
        name: "phone",
        headers: &["手机号", "手机号码", "联系电话"],
        convert: Convert::Text,
        note: "选填 / optional",
    },
    Column {
        name: "enterprise",
        headers: &["所属企业", "工作单位"],
        convert: Convert::Text,
        note: "选填：统一社会信用代码或企业全称 / optional: the employer's USCC or exact name",
    },
    Column {
        name: "kind",
        headers: &["职工类别", "人员类别"],
        convert: Convert::Choice(WORKER_KINDS),
        note: "职工/农民工/劳务派遣/灵活就业/其他，默认职工",
    },
    Column {
        name: "employment_status",
        headers: &["就业状态"],
        convert: Convert::Choice(EMPLOYMENT),
        note: "在岗/下岗/失业/退休，默认在岗",
    },
    Column {
        name: "member_since",
        headers: &["入会日期"],
        convert: Convert::Date,
        note: "YYYY-MM-DD",
    },
    Column {
        name: "frontline",
        headers: &["一线职工"],
        convert: Convert::Flag,
        note: "是/否",
    },
    Column {
        name: "high_temperature",
        headers: &["高温作业"],
        convert: Convert::Flag,
        note: "是/否",
    },
    Column {
        name: "honours",
        headers: &["荣誉"],
        convert: Convert::Choices(HONOURS),
        note: "劳模、工匠、五一劳动奖章（可多项）",
    },
];

const WORKER_KINDS: &[(&str, &str)] = &[
    ("职工", "staff"),
    ("农民工", "migrant_worker"),
    ("劳务派遣", "dispatched"),
    ("灵活就业", "flexible"),
    ("其他", "other"),
];
const EMPLOYMENT: &[(&str, &str)] = &[
    ("在岗", "employed"),
    ("下岗", "laid_off"),
    ("失业", "unemployed"),
    ("退休", "retired"),
];
const HONOURS: &[(&str, &str)] = &[
    ("劳模", "model_worker"),
    ("劳动模范", "model_worker"),
    ("工匠", "craftsman"),
    ("五一劳动奖章", "may_day_medal"),
];

pub const ENTERPRISE_COLUMNS: &[Column] = &[
    Column {
        name: "name",
        headers: &["企业名称", "单位名称"],
        convert: Convert::Text,
        note: "必填 / required",
    },
    Column {
        name: "uscc",
        headers: &["统一社会信用代码", "信用代码"],
        convert: Convert::Text,
        note: "必填，18位 / required, 18 characters",
    },
    Column {
        name: "ownership",
        headers: &["所有制类型", "经济类型"],
        convert: Convert::Choice(OWNERSHIP),
        note: "国有/集体/私营/外资/港澳台/混合所有制/其他",
    },
    Column {
        name: "industry",
        headers: &["行业门类", "行业"],
        convert: Convert::Text,
        note: "GB/T 4754 门类字母 A–T",
    },
    Column {
        name: "address",
        headers: &["地址", "单位地址"],
        convert: Convert::Text,
        note: "选填",
    },
    Column {
        name: "union_founded_on",
        headers: &["建会日期", "工会成立日期"],
        convert: Convert::Date,
        note: "YYYY-MM-DD",
    },
    Column {
        name: "headcount",
        headers: &["职工人数", "从业人数"],
        convert: Convert::Integer,
        note: "选填",
    },
    Column {
        name: "member_count",
        headers: &["会员人数"],
        convert: Convert::Integer,
        note: "选填，不超过职工人数",
    },
    Column {
        name: "overcapacity",
        headers: &["过剩产能企业"],
        convert: Convert::Flag,
        note: "是/否",
    },
];

const OWNERSHIP: &[(&str, &str)] = &[
    ("国有", "state"),
    ("集体", "collective"),
    ("私营", "private"),
    ("民营", "private"),
    ("非公", "private"),
    ("外资", "foreign"),
    ("外商投资", "foreign"),
    ("港澳台", "hk_macao_taiwan"),
    ("港澳台投资", "hk_macao_taiwan"),
    ("混合所有制", "mixed"),
    ("股份制", "mixed"),
    ("其他", "other"),
];

pub const AGREEMENT_COLUMNS: &[Column] = &[
    Column {
        name: "title",
        headers: &["协议名称", "合同名称"],
        convert: Convert::Text,
        note: "必填",
    },
    Column {
        name: "scope",
        headers: &["协议范围"],
        convert: Convert::Choice(SCOPES),
        note: "单个企业/行业性/区域性",
    },
    Column {
        name: "mode",
        headers: &["协商模式"],
        convert: Convert::Choice(MODES),
        note: "企业单独协商/行业性协商/区域性协商/上级工会代行协商/联合协商/网上协商",
    },
    Column {
        name: "text_type",
        headers: &["文本类型"],
        convert: Convert::Choice(TEXT_TYPES),
        note: "工资专项/综合性/女职工权益保护/劳动安全卫生/其他",
    },
    Column {
        name: "industry",
        headers: &["行业门类"],
        convert: Convert::Text,
        note: "行业性协议选填：GB/T 4754 门类字母",
    },
    Column {
        name: "enterprises",
        headers: &["覆盖企业"],
        convert: Convert::List,
        note: "必填：企业统一社会信用代码，多个用、分隔",
    },
    Column {
        name: "signed_on",
        headers: &["签订日期"],
        convert: Convert::Date,
        note: "已签订的协议填写，YYYY-MM-DD",
    },
    Column {
        name: "effective_from",
        headers: &["生效日期"],
        convert: Convert::Date,
        note: "YYYY-MM-DD",
    },
    Column {
        name: "effective_to",
        headers: &["截止日期", "到期日期"],
        convert: Convert::Date,
        note: "YYYY-MM-DD，期限不超过三年",
    },
    Column {
        name: "wage_rise_bp",
        headers: &["工资增幅(%)", "工资增幅"],
        convert: Convert::PercentToBp,
        note: "百分比，如 5 或 5.5",
    },
    Column {
        name: "minimum_wage_fen",
        headers: &["最低工资(元)", "最低工资"],
        convert: Convert::YuanToFen,
        note: "元/月，不低于当地最低工资标准",
    },
    Column {
        name: "workers_covered",
        headers: &["覆盖职工人数"],
        convert: Convert::Integer,
        note: "人",
    },
    Column {
        name: "filed_on",
        headers: &["备案日期"],
        convert: Convert::Date,
        note: "已备案的协议填写",
    },
    Column {
        name: "filing_number",
        headers: &["备案号"],
        convert: Convert::Text,
        note: "已备案的协议填写",
    },
];

const SCOPES: &[(&str, &str)] = &[
    ("单个企业", "enterprise"),
    ("行业性", "industry"),
    ("区域性", "regional"),
];
const MODES: &[(&str, &str)] = &[
    ("企业单独协商", "single_enterprise"),
    ("单独协商", "single_enterprise"),
    ("行业性协商", "industry"),
    ("区域性协商", "regional"),
    ("上级工会代行协商", "delegated"),
    ("上代下", "delegated"),
    ("联合协商", "joint"),
    ("网上协商", "online"),
];
const TEXT_TYPES: &[(&str, &str)] = &[
    ("工资专项集体合同", "wage_special"),
    ("工资专项", "wage_special"),
    ("综合性集体合同", "comprehensive"),
    ("综合性", "comprehensive"),
    ("女职工权益保护专项集体合同", "women_rights"),
    ("女职工权益保护", "women_rights"),
    ("劳动安全卫生专项集体合同", "labour_safety"),
    ("劳动安全卫生", "labour_safety"),
    ("其他专项集体合同", "other"),
    ("其他", "other"),
];

/// The archive template: one row per household head (与户主关系 = 户主) with the household's
/// columns, followed by one row per member.
pub const ARCHIVE_COLUMNS: &[Column] = &[
    Column {
        name: "relation",
        headers: &["与户主关系", "关系"],
        convert: Convert::Choice(RELATIONS),
        note: "户主/配偶/子女/父母/其他；户主行开始一户，其后各行为该户成员",
    },
    Column {
        name: "name",
        headers: &["姓名"],
        convert: Convert::Text,
        note: "必填",
    },
    Column {
        name: "id_number",
        headers: &["身份证号"],
        convert: Convert::Text,
        note: "户主必填（须已在职工库登记）；成员选填",
    },
    Column {
        name: "birth_date",
        headers: &["出生日期"],
        convert: Convert::Date,
        note: "成员无身份证号时填写",
    },
    Column {
        name: "health",
        headers: &["健康状况"],
        convert: Convert::Choice(HEALTH),
        note: "健康/慢性病/大病/残疾",
    },
    Column {
        name: "employment_status",
        headers: &["就业状况"],
        convert: Convert::Choice(EMPLOYMENT),
        note: "在岗/下岗/失业/退休",
    },
    Column {
        name: "school",
        headers: &["学校"],
        convert: Convert::Text,
        note: "在学子女",
    },
    Column {
        name: "stage",
        headers: &["学段"],
        convert: Convert::Choice(STAGES),
        note: "小学/初中/高中/中职/本科/研究生",
    },
    Column {
        name: "grade",
        headers: &["年级"],
        convert: Convert::Integer,
        note: "",
    },
    Column {
        name: "admission_year",
        headers: &["入学年份"],
        convert: Convert::Integer,
        note: "如 2026",
    },
    Column {
        name: "household_size",
        headers: &["家庭人口"],
        convert: Convert::Integer,
        note: "户主行必填",
    },
    Column {
        name: "annual_income_fen",
        headers: &["家庭年收入(元)"],
        convert: Convert::YuanToFen,
        note: "户主行必填",
    },
    Column {
        name: "rigid_expenses_fen",
        headers: &["刚性支出(元)"],
        convert: Convert::YuanToFen,
        note: "户主行必填：医疗、教育等",
    },
    Column {
        name: "accident_costs_fen",
        headers: &["意外支出(元)"],
        convert: Convert::YuanToFen,
        note: "因灾因意外的支出",
    },
    Column {
        name: "causes",
        headers: &["致困原因"],
        convert: Convert::Choices(CAUSES),
        note: "因病、因残、因灾、因学、失业、单亲、其他（可多项）",
    },
    Column {
        name: "needs",
        headers: &["困难需求"],
        convert: Convert::Text,
        note: "",
    },
    Column {
        name: "migrant_worker",
        headers: &["农民工"],
        convert: Convert::Flag,
        note: "是/否",
    },
    Column {
        name: "employment_started_on",
        headers: &["务工起始日期"],
        convert: Convert::Date,
        note: "农民工须满一年",
    },
    Column {
        name: "long_term_assistance",
        headers: &["长效救助"],
        convert: Convert::Flag,
        note: "是/否",
    },
    Column {
        name: "visited_on",
        headers: &["走访日期"],
        convert: Convert::Date,
        note: "首次入户走访日期",
    },
    Column {
        name: "findings",
        headers: &["走访情况"],
        convert: Convert::Text,
        note: "",
    },
];

const RELATIONS: &[(&str, &str)] = &[
    ("户主", "head"),
    ("本人", "head"),
    ("配偶", "spouse"),
    ("子女", "child"),
    ("父母", "parent"),
    ("其他", "other"),
];
const HEALTH: &[(&str, &str)] = &[
    ("健康", "healthy"),
    ("慢性病", "chronic_illness"),
    ("大病", "serious_illness"),
    ("残疾", "disabled"),
];
const STAGES: &[(&str, &str)] = &[
    ("小学", "primary"),
    ("初中", "junior_secondary"),
    ("高中", "senior_secondary"),
    ("中职", "vocational"),
    ("高职", "vocational"),
    ("本科", "undergraduate"),
    ("大专", "undergraduate"),
    ("研究生", "postgraduate"),
];
const CAUSES: &[(&str, &str)] = &[
    ("因病", "illness"),
    ("因残", "disability"),
    ("因灾", "disaster_accident"),
    ("意外", "disaster_accident"),
    ("因学", "child_education"),
    ("失业", "unemployment"),
    ("下岗", "unemployment"),
    ("单亲", "single_parent"),
    ("其他", "other"),
];

/// "5.5" × 100 as an integer, exactly (no floating point): percent → bp, yuan → fen.
fn hundredths(cell: &str) -> Option<i64> {
    let (whole, frac) = cell.split_once('.').unwrap_or((cell, ""));
    if frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole
        .checked_mul(100)?
        .checked_add(if whole < 0 || cell.starts_with('-') {
            -frac
        } else {
            frac
        })
}

/// (canonical name, accepted headers incl. the canonical name) for `read::map_columns`.
pub fn aliases(columns: &'static [Column]) -> Vec<(&'static str, &'static [&'static str])> {
    columns.iter().map(|c| (c.name, c.headers)).collect()
}

fn choice(options: &[(&str, &str)], cell: &str) -> Value {
    let code = options
        .iter()
        .find(|(label, code)| *label == cell || *code == cell)
        .map_or(cell, |(_, code)| code);
    json!(code)
}

/// A cell as JSON, or `None` for an empty cell (the field is then absent).
pub fn convert(convert: Convert, cell: &str) -> Option<Value> {
    if cell.is_empty() {
        return None;
    }
    Some(match convert {
        Convert::Text => json!(cell),
        // Left to the request's own type check when it is not a number.
        Convert::Integer => cell
            .parse::<i64>()
            .map_or_else(|_| json!(cell), |n| json!(n)),
        Convert::Date => json!(cell.replace(['/', '.'], "-")),
        Convert::Flag => match cell {
            "是" | "Y" | "y" | "yes" | "true" | "1" | "TRUE" => json!(true),
            "否" | "N" | "n" | "no" | "false" | "0" | "FALSE" => json!(false),
            other => json!(other),
        },
        Convert::Choice(options) => choice(options, cell),
        Convert::List => Value::Array(
            cell.split(['、', ',', ';', '，', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        Convert::PercentToBp | Convert::YuanToFen => {
            hundredths(cell).map_or_else(|| json!(cell), |n| json!(n))
        }
        Convert::Choices(options) => Value::Array(
            cell.split(['、', ',', ';', '，', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| choice(options, s))
                .collect(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::hundredths;

    #[test]
    fn hundredths_are_exact() {
        assert_eq!(hundredths("5"), Some(500));
        assert_eq!(hundredths("5.5"), Some(550));
        assert_eq!(hundredths("2100.05"), Some(210005));
        assert_eq!(hundredths("-1.5"), Some(-150));
        assert_eq!(hundredths("1.234"), None);
        assert_eq!(hundredths("abc"), None);
    }
}

/// The import's Chinese labels are written here, the enumerations' in their doc comments: these
/// checks keep the two in step.
#[cfg(test)]
mod enumeration_tests {
    use super::*;
    use crate::enums::{Documented, chinese_term};
    use crate::resources::beneficiaries::dto as archive;
    use crate::resources::enterprises::dto::Ownership;
    use crate::resources::wage_agreements::dto as agreements;
    use crate::resources::workers::dto as workers;

    fn disagreements<E: Documented>(table: &[(&str, &str)]) -> Vec<String> {
        let mut found = Vec::new();
        for (label, code) in table {
            if !E::VALUES.iter().any(|(value, _)| value == code) {
                found.push(format!(
                    "{}: `{label}` maps to `{code}`, which is not a value",
                    E::NAME
                ));
            }
        }
        for (value, doc) in E::VALUES {
            for part in chinese_term(doc).into_iter().flat_map(|t| t.split('/')) {
                if !table.iter().any(|(l, c)| *l == part && c == value) {
                    found.push(format!(
                        "{}: the label `{part}` of `{value}` is not accepted",
                        E::NAME
                    ));
                }
            }
        }
        found
    }

    #[test]
    fn import_labels_agree_with_the_enumerations() {
        let found = [
            disagreements::<workers::WorkerKind>(WORKER_KINDS),
            disagreements::<workers::EmploymentStatus>(EMPLOYMENT),
            disagreements::<workers::Honour>(HONOURS),
            disagreements::<Ownership>(OWNERSHIP),
            disagreements::<agreements::AgreementScope>(SCOPES),
            disagreements::<agreements::NegotiationMode>(MODES),
            disagreements::<agreements::TextType>(TEXT_TYPES),
            // `户主` marks the head's own row; it is not a member's relation.
            disagreements::<archive::Relation>(
                &RELATIONS
                    .iter()
                    .copied()
                    .filter(|(_, code)| *code != "head")
                    .collect::<Vec<_>>(),
            ),
            disagreements::<archive::Health>(HEALTH),
            disagreements::<archive::Stage>(STAGES),
            disagreements::<archive::Cause>(CAUSES),
        ]
        .concat();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
}

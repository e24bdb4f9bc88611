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
    ("混合所有制", "mixed"),
    ("股份制", "mixed"),
    ("其他", "other"),
];

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
        Convert::Choices(options) => Value::Array(
            cell.split(['、', ',', ';', '，', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| choice(options, s))
                .collect(),
        ),
    })
}

//! A campaign's grant rule (发放标准): who may receive and how much. It is data — kept with the
//! campaign as JSON, shown to integrators as a schema with an example per kind — checked here
//! once, field by field, and explained in words staff read (`explain`), so that a grant later
//! names the clause that admitted or refused its recipient.
//!
//! Who: heads of hardship archives by category (formal archives only, unless the rule is for
//! emergency aid to households in sudden hardship, 意外致困, where a temporary archive is
//! enough); the students of archived households by school stage and admission year (金秋助学);
//! or workers of the registry — frontline, high-temperature, model workers by honour, workers
//! of given enterprises. How much: a fixed amount, an amount per category or per school stage, a
//! range per recipient, or goods (items with a quantity and a unit value) with or without cash.
//! Whether someone aided by another campaign of the same kind and year may be aided again
//! (top-ups) is part of the rule; by default not.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldError;
use crate::archive::{Category, Stage};
use crate::domain::money::yuan;
use crate::enums::label;
use crate::registry::workers::Honour;

/// Who may receive and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(
    json!({"recipients": {"from": "archive", "categories": ["deep", "relative"]},
           "amount": {"type": "per_category", "tiers": [{"category": "deep", "amount_fen": 100000}, {"category": "relative", "amount_fen": 50000}]}}),
    json!({"recipients": {"from": "students", "categories": ["deep", "relative"], "stages": ["undergraduate", "vocational"], "admission_year": 2017},
           "amount": {"type": "per_stage", "tiers": [{"stage": "undergraduate", "amount_fen": 500000}, {"stage": "vocational", "amount_fen": 300000}]}}),
    json!({"recipients": {"from": "registry", "frontline": true, "high_temperature": true},
           "amount": {"type": "goods", "items": [{"name": "防暑降温用品", "quantity": 1, "unit_value_fen": 8000}], "cash_fen": 0}}),
    json!({"recipients": {"from": "archive", "categories": ["sudden"], "temporary_allowed": true},
           "amount": {"type": "range", "min_fen": 300000, "max_fen": 500000}, "top_ups": true})
)))]
#[serde(deny_unknown_fields)]
pub struct GrantRule {
    pub recipients: Recipients,
    pub amount: AmountRule,
    /// May someone aided by another campaign of the same kind and year be aided again (a
    /// top-up)? By default not.
    #[serde(default)]
    pub top_ups: bool,
}

/// Who may receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum Recipients {
    /// Heads of hardship archives (困难职工档案户主) of these categories.
    Archive {
        categories: Vec<Category>,
        /// Temporary archives too: only for emergency aid, whose categories are `sudden` alone.
        #[serde(default)]
        temporary_allowed: bool,
    },
    /// The students of archived households of these categories (the archive is the parent's).
    Students {
        categories: Vec<Category>,
        /// The school stages aided.
        stages: Vec<Stage>,
        /// Only students admitted in this year (e.g. new undergraduates, 当年考入).
        admission_year: Option<i32>,
    },
    /// Workers of the registry. Criteria given must all hold; none given admits every worker.
    Registry {
        /// Frontline workers only (一线职工).
        #[serde(default)]
        frontline: bool,
        /// High-temperature workers only (高温作业).
        #[serde(default)]
        high_temperature: bool,
        /// Workers holding any of these honours (e.g. model workers, 劳模).
        #[serde(default)]
        honours: Vec<Honour>,
        /// Workers of these enterprises only.
        #[serde(default)]
        enterprise_ids: Vec<Uuid>,
    },
}

/// How much each recipient receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountRule {
    /// The same amount for everyone.
    Fixed { amount_fen: i64 },
    /// An amount per hardship category.
    PerCategory { tiers: Vec<CategoryTier> },
    /// An amount per school stage (students only).
    PerStage { tiers: Vec<StageTier> },
    /// An amount decided per recipient, within a range.
    Range { min_fen: i64, max_fen: i64 },
    /// Goods, with or without cash.
    Goods {
        items: Vec<GoodsItem>,
        /// Cash given with the goods, in fen (0 for goods only).
        #[serde(default)]
        cash_fen: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryTier {
    pub category: Category,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageTier {
    pub stage: Stage,
    pub amount_fen: i64,
}

/// Goods given to each recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GoodsItem {
    /// What it is (大米, 食用油, 防暑降温用品, …).
    pub name: String,
    /// How many per recipient.
    pub quantity: i32,
    /// The value of one, in fen.
    pub unit_value_fen: i64,
}

const MAX_LIST: usize = 50;
/// No amount per recipient above this (1,000,000 yuan): a typing slip, not aid.
const MAX_AMOUNT_FEN: i64 = 100_000_000;

fn positive(errors: &mut Vec<FieldError>, field: String, fen: i64) {
    if !(1..=MAX_AMOUNT_FEN).contains(&fen) {
        errors.push(FieldError::new(
            field,
            "range",
            "must be a positive amount in fen, at most 100,000,000",
        ));
    }
}

fn categories_ok(errors: &mut Vec<FieldError>, field: &str, categories: &[Category]) {
    if categories.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "name at least one category",
        ));
    }
    if categories.contains(&Category::NotEligible) {
        errors.push(FieldError::new(
            field,
            "not_allowed",
            "aid goes to households in hardship, never to `not_eligible`",
        ));
    }
}

/// Check a rule; each error names its field under `prefix` (e.g. `rule.amount.min_fen`).
pub fn check(rule: &GrantRule, prefix: &str) -> Result<(), Vec<FieldError>> {
    let at = |field: &str| format!("{prefix}.{field}");
    let mut errors = Vec::new();
    let mut admitted: Option<(&[Category], Option<&[Stage]>)> = None;
    match &rule.recipients {
        Recipients::Archive {
            categories,
            temporary_allowed,
        } => {
            categories_ok(&mut errors, &at("recipients.categories"), categories);
            if *temporary_allowed && categories.iter().any(|c| *c != Category::Sudden) {
                errors.push(FieldError::new(
                    at("recipients.temporary_allowed"),
                    "emergency_only",
                    "temporary archives count for emergency aid only: the categories must be `sudden` alone",
                ));
            }
            admitted = Some((categories, None));
        }
        Recipients::Students {
            categories,
            stages,
            admission_year,
        } => {
            categories_ok(&mut errors, &at("recipients.categories"), categories);
            if stages.is_empty() {
                errors.push(FieldError::new(
                    at("recipients.stages"),
                    "required",
                    "name at least one school stage",
                ));
            }
            if admission_year.is_some_and(|y| !(2000..=2100).contains(&y)) {
                errors.push(FieldError::new(
                    at("recipients.admission_year"),
                    "range",
                    "must be a year between 2000 and 2100",
                ));
            }
            admitted = Some((categories, Some(stages)));
        }
        Recipients::Registry {
            honours,
            enterprise_ids,
            ..
        } => {
            if honours.len() > MAX_LIST || enterprise_ids.len() > 1000 {
                errors.push(FieldError::new(
                    at("recipients"),
                    "length",
                    "at most 50 honours and 1,000 enterprises",
                ));
            }
        }
    }
    match &rule.amount {
        AmountRule::Fixed { amount_fen } => {
            positive(&mut errors, at("amount.amount_fen"), *amount_fen);
        }
        AmountRule::PerCategory { tiers } => {
            let Some((categories, _)) = admitted else {
                errors.push(FieldError::new(
                    at("amount.type"),
                    "not_allowed",
                    "registry workers have no hardship category: use another amount type",
                ));
                return Err(errors);
            };
            if tiers.is_empty() {
                errors.push(FieldError::new(
                    at("amount.tiers"),
                    "required",
                    "give a tier per category",
                ));
            }
            let mut seen = HashSet::new();
            for (i, tier) in tiers.iter().enumerate() {
                positive(
                    &mut errors,
                    at(&format!("amount.tiers[{i}].amount_fen")),
                    tier.amount_fen,
                );
                if !categories.contains(&tier.category) {
                    errors.push(FieldError::new(
                        at(&format!("amount.tiers[{i}].category")),
                        "not_admitted",
                        "the rule does not admit this category",
                    ));
                }
                if !seen.insert(tier.category) {
                    errors.push(FieldError::new(
                        at(&format!("amount.tiers[{i}].category")),
                        "repeated",
                        "one tier per category",
                    ));
                }
            }
            for category in categories {
                if !seen.contains(category) {
                    errors.push(FieldError::new(
                        at("amount.tiers"),
                        "missing_tier",
                        format!(
                            "no amount for the admitted category `{}`",
                            category.as_str()
                        ),
                    ));
                }
            }
        }
        AmountRule::PerStage { tiers } => {
            let Some((_, Some(stages))) = admitted else {
                errors.push(FieldError::new(
                    at("amount.type"),
                    "not_allowed",
                    "amounts per school stage are for students only",
                ));
                return Err(errors);
            };
            if tiers.is_empty() {
                errors.push(FieldError::new(
                    at("amount.tiers"),
                    "required",
                    "give a tier per stage",
                ));
            }
            let mut seen = HashSet::new();
            for (i, tier) in tiers.iter().enumerate() {
                positive(
                    &mut errors,
                    at(&format!("amount.tiers[{i}].amount_fen")),
                    tier.amount_fen,
                );
                if !stages.contains(&tier.stage) {
                    errors.push(FieldError::new(
                        at(&format!("amount.tiers[{i}].stage")),
                        "not_admitted",
                        "the rule does not admit this stage",
                    ));
                }
                if !seen.insert(tier.stage) {
                    errors.push(FieldError::new(
                        at(&format!("amount.tiers[{i}].stage")),
                        "repeated",
                        "one tier per stage",
                    ));
                }
            }
            for stage in stages {
                if !seen.contains(stage) {
                    errors.push(FieldError::new(
                        at("amount.tiers"),
                        "missing_tier",
                        format!("no amount for the admitted stage `{}`", stage.as_str()),
                    ));
                }
            }
        }
        AmountRule::Range { min_fen, max_fen } => {
            positive(&mut errors, at("amount.min_fen"), *min_fen);
            positive(&mut errors, at("amount.max_fen"), *max_fen);
            if min_fen > max_fen {
                errors.push(FieldError::new(
                    at("amount.max_fen"),
                    "below_minimum",
                    "the range's maximum is below its minimum",
                ));
            }
        }
        AmountRule::Goods { items, cash_fen } => {
            if items.is_empty() || items.len() > MAX_LIST {
                errors.push(FieldError::new(
                    at("amount.items"),
                    "length",
                    "give 1 to 50 items",
                ));
            }
            for (i, item) in items.iter().enumerate() {
                if item.name.trim().is_empty() || item.name.chars().count() > 100 {
                    errors.push(FieldError::new(
                        at(&format!("amount.items[{i}].name")),
                        "length",
                        "1 to 100 characters",
                    ));
                }
                if !(1..=10_000).contains(&item.quantity) {
                    errors.push(FieldError::new(
                        at(&format!("amount.items[{i}].quantity")),
                        "range",
                        "must be between 1 and 10,000",
                    ));
                }
                positive(
                    &mut errors,
                    at(&format!("amount.items[{i}].unit_value_fen")),
                    item.unit_value_fen,
                );
            }
            if !(0..=MAX_AMOUNT_FEN).contains(cash_fen) {
                errors.push(FieldError::new(
                    at("amount.cash_fen"),
                    "range",
                    "must be between 0 and 100,000,000 fen",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn categories_text(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| label::<Category>(c.as_str()))
        .collect::<Vec<_>>()
        .join("、")
}

/// The rule in the words staff use, for the campaign page and the public notice's footnote.
pub fn explain(rule: &GrantRule) -> String {
    let who = match &rule.recipients {
        Recipients::Archive {
            categories,
            temporary_allowed,
        } => format!(
            "困难职工档案户主（{}；{}）",
            categories_text(categories),
            if *temporary_allowed {
                "临时档案亦可"
            } else {
                "仅正式档案"
            }
        ),
        Recipients::Students {
            categories,
            stages,
            admission_year,
        } => {
            let stages = stages
                .iter()
                .map(|s| label::<Stage>(s.as_str()))
                .collect::<Vec<_>>()
                .join("、");
            let year = admission_year.map_or(String::new(), |y| format!("，{y}年入学"));
            format!(
                "困难职工家庭在校学生（{}；{stages}{year}）",
                categories_text(categories)
            )
        }
        Recipients::Registry {
            frontline,
            high_temperature,
            honours,
            enterprise_ids,
        } => {
            let mut criteria = Vec::new();
            if *frontline {
                criteria.push("一线职工".to_owned());
            }
            if *high_temperature {
                criteria.push("高温作业职工".to_owned());
            }
            if !honours.is_empty() {
                criteria.push(
                    honours
                        .iter()
                        .map(|h| label::<Honour>(h.as_str()))
                        .collect::<Vec<_>>()
                        .join("或"),
                );
            }
            if !enterprise_ids.is_empty() {
                criteria.push(format!("指定的{}家企业的职工", enterprise_ids.len()));
            }
            if criteria.is_empty() {
                "在册职工".to_owned()
            } else {
                format!("在册职工（{}）", criteria.join("，"))
            }
        }
    };
    let how = match &rule.amount {
        AmountRule::Fixed { amount_fen } => format!("每人{}元", yuan(*amount_fen)),
        AmountRule::PerCategory { tiers } => tiers
            .iter()
            .map(|t| {
                format!(
                    "{}每人{}元",
                    label::<Category>(t.category.as_str()),
                    yuan(t.amount_fen)
                )
            })
            .collect::<Vec<_>>()
            .join("，"),
        AmountRule::PerStage { tiers } => tiers
            .iter()
            .map(|t| {
                format!(
                    "{}每人{}元",
                    label::<Stage>(t.stage.as_str()),
                    yuan(t.amount_fen)
                )
            })
            .collect::<Vec<_>>()
            .join("，"),
        AmountRule::Range { min_fen, max_fen } => {
            format!("每人{}元至{}元", yuan(*min_fen), yuan(*max_fen))
        }
        AmountRule::Goods { items, cash_fen } => {
            let goods = items
                .iter()
                .map(|i| {
                    format!(
                        "{}{}份（每份{}元）",
                        i.name,
                        i.quantity,
                        yuan(i.unit_value_fen)
                    )
                })
                .collect::<Vec<_>>()
                .join("、");
            if *cash_fen > 0 {
                format!("每人{goods}，另发现金{}元", yuan(*cash_fen))
            } else {
                format!("每人{goods}")
            }
        }
    };
    let again = if rule.top_ups {
        "同年同类活动已受助者可再次救助"
    } else {
        "同年同类活动已受助者不重复救助"
    };
    format!("受助对象：{who}；标准：{how}；{again}。")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(rule: &GrantRule) -> Vec<(String, String)> {
        check(rule, "rule")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn archive(categories: Vec<Category>) -> Recipients {
        Recipients::Archive {
            categories,
            temporary_allowed: false,
        }
    }

    #[test]
    fn a_range_a_tier_and_goods_must_make_sense() {
        let range = GrantRule {
            recipients: archive(vec![Category::Deep]),
            amount: AmountRule::Range {
                min_fen: 500_000,
                max_fen: 300_000,
            },
            top_ups: false,
        };
        assert_eq!(
            codes(&range),
            vec![("rule.amount.max_fen".into(), "below_minimum".into())]
        );
        let tiers = GrantRule {
            recipients: archive(vec![Category::Deep, Category::Relative]),
            amount: AmountRule::PerCategory {
                tiers: vec![CategoryTier {
                    category: Category::Deep,
                    amount_fen: 0,
                }],
            },
            top_ups: false,
        };
        assert_eq!(
            codes(&tiers),
            vec![
                ("rule.amount.tiers[0].amount_fen".into(), "range".into()),
                ("rule.amount.tiers".into(), "missing_tier".into()),
            ]
        );
        let goods = GrantRule {
            recipients: Recipients::Registry {
                frontline: true,
                high_temperature: false,
                honours: vec![],
                enterprise_ids: vec![],
            },
            amount: AmountRule::Goods {
                items: vec![GoodsItem {
                    name: "大米".into(),
                    quantity: 1,
                    unit_value_fen: 0,
                }],
                cash_fen: 0,
            },
            top_ups: false,
        };
        assert_eq!(
            codes(&goods),
            vec![("rule.amount.items[0].unit_value_fen".into(), "range".into())]
        );
    }

    #[test]
    fn temporary_archives_are_for_emergency_aid_only() {
        let rule = GrantRule {
            recipients: Recipients::Archive {
                categories: vec![Category::Deep, Category::Sudden],
                temporary_allowed: true,
            },
            amount: AmountRule::Fixed { amount_fen: 50_000 },
            top_ups: false,
        };
        assert_eq!(
            codes(&rule),
            vec![(
                "rule.recipients.temporary_allowed".into(),
                "emergency_only".into()
            )]
        );
        let emergency = GrantRule {
            recipients: Recipients::Archive {
                categories: vec![Category::Sudden],
                temporary_allowed: true,
            },
            ..rule
        };
        assert!(check(&emergency, "rule").is_ok());
    }

    #[test]
    fn the_rule_is_explained_in_staff_words() {
        let rule = GrantRule {
            recipients: Recipients::Students {
                categories: vec![Category::Deep],
                stages: vec![Stage::Undergraduate],
                admission_year: Some(2017),
            },
            amount: AmountRule::PerStage {
                tiers: vec![StageTier {
                    stage: Stage::Undergraduate,
                    amount_fen: 500_000,
                }],
            },
            top_ups: false,
        };
        assert!(check(&rule, "rule").is_ok());
        assert_eq!(
            explain(&rule),
            "受助对象：困难职工家庭在校学生（深度困难；本科/大专，2017年入学）；标准：本科/大专每人5000.00元；同年同类活动已受助者不重复救助。"
        );
    }
}

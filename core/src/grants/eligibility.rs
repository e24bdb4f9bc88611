//! Whether a recipient fits a campaign's grant rule, and for how much — decided from facts
//! already read, with no I/O, and explained: the clause that admitted the recipient becomes the
//! grant's basis; the clause that refused it is the error staff read.

use crate::FieldError;
use crate::archive::{ArchiveStatus, Category, Stage};
use crate::campaigns::rule::{AmountRule, GrantRule, Recipients};
use crate::domain::money::yuan;
use crate::enums::label;
use crate::registry::workers::Honour;

/// What the rule looks at, read from the archive, the household member or the worker.
#[derive(Debug, Clone)]
pub enum Facts {
    /// The head of a hardship archive.
    ArchiveHead {
        status: ArchiveStatus,
        category: Category,
    },
    /// A household member at school; the archive is the parent's.
    Student {
        status: ArchiveStatus,
        category: Category,
        stage: Option<Stage>,
        admission_year: Option<i32>,
    },
    /// A worker of the registry.
    Worker {
        active: bool,
        frontline: bool,
        high_temperature: bool,
        honours: Vec<Honour>,
        enterprise_id: Option<uuid::Uuid>,
    },
}

fn category_text(category: Category) -> &'static str {
    label::<Category>(category.as_str())
}

/// The archive must be live, formal unless temporary archives are admitted, and of an admitted
/// category.
fn archive_fits(
    status: ArchiveStatus,
    category: Category,
    categories: &[Category],
    temporary_allowed: bool,
) -> Result<String, String> {
    match status {
        ArchiveStatus::Formal => {}
        ArchiveStatus::Temporary if temporary_allowed => {}
        ArchiveStatus::Temporary => {
            return Err(
                "临时档案不在本次活动范围内（仅正式档案；临时档案只用于意外致困的应急救助）"
                    .to_owned(),
            );
        }
        _ => return Err("档案已解困或注销，不能受助".to_owned()),
    }
    if !categories.contains(&category) {
        return Err(format!(
            "困难类别为{}，本次活动只资助{}",
            category_text(category),
            categories
                .iter()
                .map(|c| category_text(*c))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    Ok(format!(
        "{}档案，困难类别{}",
        if status == ArchiveStatus::Formal {
            "正式"
        } else {
            "临时"
        },
        category_text(category)
    ))
}

/// The clause that admits the recipient, or the one that refuses it.
pub fn decide(rule: &GrantRule, facts: &Facts) -> Result<String, String> {
    match (&rule.recipients, facts) {
        (
            Recipients::Archive {
                categories,
                temporary_allowed,
            },
            Facts::ArchiveHead { status, category },
        ) => archive_fits(*status, *category, categories, *temporary_allowed)
            .map(|why| format!("困难职工档案户主：{why}")),
        (
            Recipients::Students {
                categories,
                stages,
                admission_year,
            },
            Facts::Student {
                status,
                category,
                stage,
                admission_year: admitted,
            },
        ) => {
            let why = archive_fits(*status, *category, categories, false)?;
            let Some(stage) = stage.filter(|s| stages.contains(s)) else {
                return Err(format!(
                    "就读阶段不在资助范围（{}）",
                    stages
                        .iter()
                        .map(|s| label::<Stage>(s.as_str()))
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            };
            if let Some(year) = admission_year
                && *admitted != Some(*year)
            {
                return Err(format!("只资助{year}年入学的学生"));
            }
            Ok(format!(
                "困难职工家庭在校学生：{why}，{}",
                label::<Stage>(stage.as_str())
            ))
        }
        (
            Recipients::Registry {
                frontline,
                high_temperature,
                honours,
                enterprise_ids,
            },
            Facts::Worker {
                active,
                frontline: is_frontline,
                high_temperature: is_hot,
                honours: held,
                enterprise_id,
            },
        ) => {
            if !active {
                return Err("职工已归档，不在册".to_owned());
            }
            let mut why = vec!["在册职工".to_owned()];
            if *frontline {
                if !is_frontline {
                    return Err("本次活动只资助一线职工".to_owned());
                }
                why.push("一线职工".to_owned());
            }
            if *high_temperature {
                if !is_hot {
                    return Err("本次活动只资助高温作业职工".to_owned());
                }
                why.push("高温作业".to_owned());
            }
            if !honours.is_empty() {
                let Some(h) = held.iter().find(|h| honours.contains(h)) else {
                    return Err("本次活动只资助获得指定荣誉的职工".to_owned());
                };
                why.push(label::<Honour>(h.as_str()).to_owned());
            }
            if !enterprise_ids.is_empty() {
                if !enterprise_id.is_some_and(|e| enterprise_ids.contains(&e)) {
                    return Err("本次活动只资助指定企业的职工".to_owned());
                }
                why.push("指定企业职工".to_owned());
            }
            Ok(why.join("，"))
        }
        (Recipients::Archive { .. }, _) => Err("本次活动资助困难职工档案户主".to_owned()),
        (Recipients::Students { .. }, _) => Err("本次活动资助困难职工家庭的在校学生".to_owned()),
        (Recipients::Registry { .. }, _) => Err("本次活动资助在册职工".to_owned()),
    }
}

/// The amount the rule gives this recipient: what it fixes, or the requested amount where the
/// rule leaves a range. An amount outside the rule is refused, naming the rule.
pub fn amount(rule: &GrantRule, facts: &Facts, requested: Option<i64>) -> Result<i64, FieldError> {
    let outside = |what: String| FieldError::new("amount_fen", "outside_rule", what);
    let fixed = |fen: i64, what: String| match requested {
        None => Ok(fen),
        Some(r) if r == fen => Ok(fen),
        Some(_) => Err(outside(what)),
    };
    match &rule.amount {
        AmountRule::Fixed { amount_fen } => fixed(
            *amount_fen,
            format!("the rule fixes the amount at {} yuan", yuan(*amount_fen)),
        ),
        AmountRule::PerCategory { tiers } => {
            let category = match facts {
                Facts::ArchiveHead { category, .. } | Facts::Student { category, .. } => {
                    Some(*category)
                }
                Facts::Worker { .. } => None,
            };
            let tier = tiers
                .iter()
                .find(|t| Some(t.category) == category)
                .ok_or_else(|| outside("the rule has no amount for this category".to_owned()))?;
            fixed(
                tier.amount_fen,
                format!(
                    "the rule gives {} yuan for the category `{}`",
                    yuan(tier.amount_fen),
                    tier.category.as_str()
                ),
            )
        }
        AmountRule::PerStage { tiers } => {
            let stage = match facts {
                Facts::Student { stage, .. } => *stage,
                _ => None,
            };
            let tier = tiers
                .iter()
                .find(|t| Some(t.stage) == stage)
                .ok_or_else(|| {
                    outside("the rule has no amount for this school stage".to_owned())
                })?;
            fixed(
                tier.amount_fen,
                format!(
                    "the rule gives {} yuan for the stage `{}`",
                    yuan(tier.amount_fen),
                    tier.stage.as_str()
                ),
            )
        }
        AmountRule::Range { min_fen, max_fen } => {
            let what = format!(
                "the rule gives {} to {} yuan: send `amount_fen` within it",
                yuan(*min_fen),
                yuan(*max_fen)
            );
            match requested {
                Some(r) if (*min_fen..=*max_fen).contains(&r) => Ok(r),
                _ => Err(outside(what)),
            }
        }
        AmountRule::Goods { items, cash_fen } => {
            let value = items
                .iter()
                .map(|i| i64::from(i.quantity).saturating_mul(i.unit_value_fen))
                .fold(*cash_fen, i64::saturating_add);
            fixed(
                value,
                format!(
                    "the rule's goods and cash are worth {} yuan per recipient",
                    yuan(value)
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::rule::{CategoryTier, StageTier};

    fn archive_rule(temporary_allowed: bool, categories: Vec<Category>) -> GrantRule {
        GrantRule {
            recipients: Recipients::Archive {
                categories,
                temporary_allowed,
            },
            amount: AmountRule::PerCategory {
                tiers: vec![
                    CategoryTier {
                        category: Category::Deep,
                        amount_fen: 150_000,
                    },
                    CategoryTier {
                        category: Category::Sudden,
                        amount_fen: 300_000,
                    },
                ],
            },
            top_ups: false,
        }
    }

    #[test]
    fn each_clause_admits_or_refuses_with_its_reason() {
        let rule = archive_rule(false, vec![Category::Deep]);
        let formal = Facts::ArchiveHead {
            status: ArchiveStatus::Formal,
            category: Category::Deep,
        };
        assert_eq!(
            decide(&rule, &formal).unwrap(),
            "困难职工档案户主：正式档案，困难类别深度困难"
        );
        assert_eq!(amount(&rule, &formal, None).unwrap(), 150_000);
        assert_eq!(
            amount(&rule, &formal, Some(1)).unwrap_err().code,
            "outside_rule"
        );
        let temporary = Facts::ArchiveHead {
            status: ArchiveStatus::Temporary,
            category: Category::Deep,
        };
        assert!(decide(&rule, &temporary).unwrap_err().contains("临时档案"));
        let relative = Facts::ArchiveHead {
            status: ArchiveStatus::Formal,
            category: Category::Relative,
        };
        assert!(decide(&rule, &relative).unwrap_err().contains("相对困难"));
        // Emergency aid admits a temporary archive of sudden hardship.
        let emergency = archive_rule(true, vec![Category::Sudden]);
        let sudden = Facts::ArchiveHead {
            status: ArchiveStatus::Temporary,
            category: Category::Sudden,
        };
        assert!(decide(&emergency, &sudden).is_ok());
        let worker = Facts::Worker {
            active: true,
            frontline: true,
            high_temperature: false,
            honours: vec![],
            enterprise_id: None,
        };
        assert!(decide(&rule, &worker).is_err());
    }

    #[test]
    fn students_by_stage_and_year_with_a_range() {
        let rule = GrantRule {
            recipients: Recipients::Students {
                categories: vec![Category::Deep, Category::Relative],
                stages: vec![Stage::Undergraduate],
                admission_year: Some(2017),
            },
            amount: AmountRule::Range {
                min_fen: 300_000,
                max_fen: 500_000,
            },
            top_ups: false,
        };
        let student = |year| Facts::Student {
            status: ArchiveStatus::Formal,
            category: Category::Relative,
            stage: Some(Stage::Undergraduate),
            admission_year: Some(year),
        };
        assert!(decide(&rule, &student(2017)).is_ok());
        assert!(decide(&rule, &student(2016)).unwrap_err().contains("2017"));
        assert_eq!(
            amount(&rule, &student(2017), Some(400_000)).unwrap(),
            400_000
        );
        assert!(amount(&rule, &student(2017), Some(600_000)).is_err());
        assert!(amount(&rule, &student(2017), None).is_err());
        let per_stage = GrantRule {
            amount: AmountRule::PerStage {
                tiers: vec![StageTier {
                    stage: Stage::Undergraduate,
                    amount_fen: 500_000,
                }],
            },
            ..rule
        };
        assert_eq!(amount(&per_stage, &student(2017), None).unwrap(), 500_000);
    }
}

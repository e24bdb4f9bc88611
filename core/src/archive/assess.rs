//! Placing a household in a hardship category: the county's minimum living standard for the
//! year, the eligibility rules, and a staff override with its reason.

use chrono::{Datelike, NaiveDate};
use entity::orgs;
use sea_orm::ConnectionTrait;

use super::{Category, CategoryChoice, queries};
use crate::CoreError;
use crate::domain::eligibility::{self, Assessment, Household};
use crate::error::ConflictKind;

/// A household's size as the eligibility rule counts it (at least 1).
pub fn household_size(size: i32) -> Result<u32, CoreError> {
    u32::try_from(size)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| CoreError::field("household_size", "range", "must be at least 1"))
}

/// The county's minimum living standard (低保标准) for `today`'s year; a conflict when none is
/// kept.
pub async fn standard_for(
    db: &impl ConnectionTrait,
    org: &orgs::Model,
    today: NaiveDate,
) -> Result<i64, CoreError> {
    let year = today.year();
    queries::living_standard(db, org, year)
        .await?
        .ok_or_else(|| CoreError::Conflict {
            kind: ConflictKind::LivingStandardMissing,
            detail: format!(
                "no minimum living standard (低保标准) is recorded for this county in {year}; \
                 an administrator records it at POST /api/v1/living-standards"
            ),
        })
}

/// The outcome of assessing a household: the category it is placed in, the one the rules
/// computed, the override reason, and the assessment that explains it.
pub struct Placement {
    pub category: Category,
    pub computed: Category,
    pub override_reason: Option<String>,
    pub assessment: Assessment,
}

/// Assess `household` and decide its category; invalid when the household is not eligible and
/// nothing overrides that.
pub fn place(
    household: &Household,
    standard: i64,
    today: NaiveDate,
    category_override: Option<CategoryChoice>,
) -> Result<Placement, CoreError> {
    let assessment = eligibility::assess(household, standard, today);
    let computed = match assessment.category {
        Some(eligibility::Category::Deep) => Category::Deep,
        Some(eligibility::Category::Relative) => Category::Relative,
        Some(eligibility::Category::Sudden) => Category::Sudden,
        None => Category::NotEligible,
    };
    let (category, reason) = match category_override {
        Some(o) => (o.category, Some(o.reason)),
        None if computed == Category::NotEligible => {
            return Err(CoreError::field(
                "category_override",
                "not_eligible",
                format!("{}; an override needs a written reason", assessment.rule),
            ));
        }
        None => (computed, None),
    };
    if category == Category::NotEligible {
        return Err(CoreError::field(
            "category_override.category",
            "not_eligible",
            "an archive needs a hardship category",
        ));
    }
    Ok(Placement {
        category,
        computed,
        override_reason: reason,
        assessment,
    })
}

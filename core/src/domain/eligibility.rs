//! Hardship eligibility (困难职工认定), computed and explained rather than typed in.
//!
//! With the county's minimum living standard S (低保标准, fen per person per month) for the year:
//! * deep hardship (深度困难) when (annual income − rigid expenses) ÷ 12 ÷ household size < S;
//! * relative hardship (相对困难) when it is below 2 × S;
//! * sudden hardship (意外致困) when accident or disaster costs exceed 80% of the year's household
//!   income;
//! * otherwise not eligible.
//!
//! Migrant workers (农民工) also need at least one year of employment on record. Comparisons are
//! done in whole fen without dividing, so a household exactly at a line is not below it.

use chrono::NaiveDate;

use super::money::yuan;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Deep,
    Relative,
    Sudden,
}

#[derive(Debug, Clone)]
pub struct Household {
    pub size: u32,
    pub annual_income_fen: i64,
    pub rigid_expenses_fen: i64,
    pub accident_costs_fen: i64,
    pub migrant_worker: bool,
    pub employment_started_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub category: Option<Category>,
    /// (income − rigid expenses) ÷ 12 ÷ size, rounded down to the fen.
    pub per_capita_monthly_fen: i64,
    /// Which rule placed the household where, in words for staff.
    pub rule: String,
}

pub fn assess(h: &Household, standard_fen: i64, today: NaiveDate) -> Assessment {
    let size = i64::from(h.size.max(1));
    let disposable = h.annual_income_fen - h.rigid_expenses_fen;
    let per_capita = disposable.div_euclid(12 * size);
    let line = standard_fen * 12 * size;
    let placed = |category, rule: String| Assessment {
        category,
        per_capita_monthly_fen: per_capita,
        rule,
    };

    if h.migrant_worker {
        let one_year_ago = today
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(today);
        if h.employment_started_on.is_none_or(|d| d > one_year_ago) {
            return placed(
                None,
                "not eligible: a migrant worker needs at least one year of employment on record"
                    .into(),
            );
        }
    }
    if disposable < line {
        return placed(
            Some(Category::Deep),
            format!(
                "deep hardship: per-capita monthly income {} yuan is below the minimum living standard of {} yuan",
                yuan(per_capita),
                yuan(standard_fen)
            ),
        );
    }
    if disposable < 2 * line {
        return placed(
            Some(Category::Relative),
            format!(
                "relative hardship: per-capita monthly income {} yuan is below twice the minimum living standard ({} yuan)",
                yuan(per_capita),
                yuan(2 * standard_fen)
            ),
        );
    }
    if h.accident_costs_fen * 10 > h.annual_income_fen * 8 {
        return placed(
            Some(Category::Sudden),
            format!(
                "sudden hardship: accident or disaster costs of {} yuan exceed 80% of the household's annual income",
                yuan(h.accident_costs_fen)
            ),
        );
    }
    placed(
        None,
        format!(
            "not eligible: per-capita monthly income {} yuan is at or above twice the minimum living standard ({} yuan) and accident costs are within 80% of income",
            yuan(per_capita),
            yuan(2 * standard_fen)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    /// A household of 3 whose disposable income is exactly `per_capita` × 12 × 3.
    fn household(per_capita: i64) -> Household {
        Household {
            size: 3,
            annual_income_fen: per_capita * 36 + 120_000,
            rigid_expenses_fen: 120_000,
            accident_costs_fen: 0,
            migrant_worker: false,
            employment_started_on: None,
        }
    }

    #[test]
    fn deep_boundary() {
        let s = 80_000;
        assert_eq!(
            assess(&household(s - 1), s, today()).category,
            Some(Category::Deep)
        );
        assert_eq!(
            assess(&household(s), s, today()).category,
            Some(Category::Relative),
            "equal is not below"
        );
        assert_eq!(
            assess(&household(s + 1), s, today()).category,
            Some(Category::Relative)
        );
    }

    #[test]
    fn relative_boundary() {
        let s = 80_000;
        assert_eq!(
            assess(&household(2 * s - 1), s, today()).category,
            Some(Category::Relative)
        );
        assert_eq!(assess(&household(2 * s), s, today()).category, None);
        assert_eq!(assess(&household(2 * s + 1), s, today()).category, None);
    }

    #[test]
    fn sudden_boundary() {
        let s = 80_000;
        let mut h = household(3 * s);
        h.accident_costs_fen = h.annual_income_fen * 8 / 10;
        assert_eq!(
            assess(&h, s, today()).category,
            None,
            "exactly 80% does not exceed it"
        );
        h.accident_costs_fen += 1;
        assert_eq!(assess(&h, s, today()).category, Some(Category::Sudden));
        assert!(assess(&h, s, today()).rule.starts_with("sudden"));
    }

    #[test]
    fn migrants_need_a_year_of_employment() {
        let s = 80_000;
        let mut h = household(s - 1);
        h.migrant_worker = true;
        assert_eq!(assess(&h, s, today()).category, None);
        h.employment_started_on = NaiveDate::from_ymd_opt(2025, 11, 25);
        assert_eq!(
            assess(&h, s, today()).category,
            None,
            "one day short of a year"
        );
        h.employment_started_on = NaiveDate::from_ymd_opt(2025, 11, 24);
        assert_eq!(assess(&h, s, today()).category, Some(Category::Deep));
    }

    #[test]
    fn per_capita_and_explanation() {
        let a = assess(&household(50_000), 80_000, today());
        assert_eq!(a.per_capita_monthly_fen, 50_000);
        assert!(
            a.rule.contains("500.00") && a.rule.contains("800.00"),
            "{}",
            a.rule
        );
    }
}

//! Post-payment verification (发放回访), as UNICEF HOPE does it: after the bank says the money
//! arrived, a random sample of the paid recipients of each county is contacted — by phone or a
//! visit — to confirm that it really did. The sample's size comes from a percentage or from a
//! confidence level and margin of error (Cochran's formula with the finite-population
//! correction); drawing again tops a county's sample up to the size and never draws a payout
//! twice (a unique index). Each contact's result is recorded once; the not-received ones are
//! the follow-up list, and the summary counts per county.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use entity::{orgs as org_rows, payout_checks, payouts};
use rand::seq::SliceRandom;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::{PayoutStatus, READ, WRITE};
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::registry::orgs;
use crate::tenancy::county_of;
use crate::{CoreError, campaigns, versioning};

string_enum!(
    /// What a post-payment contact found (回访结果).
    CheckResult {
        /// Drawn, not yet contacted (待回访).
        Pending = "pending",
        /// The recipient confirms the money arrived in full (已收到).
        Received = "received",
        /// The recipient says it did not arrive (未收到): the follow-up list.
        NotReceived = "not_received",
        /// It arrived, but something was wrong (a smaller amount, a fee, someone else's card) (收到但有问题).
        ReceivedWithIssues = "received_with_issues",
    }
);

string_enum!(
    /// How a recipient was contacted.
    ContactMethod {
        /// By phone (电话回访).
        Phone = "phone",
        /// By a home visit (入户回访).
        Visit = "visit",
    }
);

/// How large each county's sample is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleSize {
    /// This percentage (1–100) of the county's paid recipients, rounded up.
    Percent(u32),
    /// Enough for this confidence level (90, 95 or 99 per cent) and margin of error (1–20
    /// percentage points), for the county's number of paid recipients.
    Confidence { level: u32, margin: u32 },
}

impl SampleSize {
    /// The sample size for a population of `n`.
    pub fn of(self, n: usize) -> Result<usize, CoreError> {
        if n == 0 {
            return Ok(0);
        }
        let size = match self {
            SampleSize::Percent(p) if (1..=100).contains(&p) => (n * p as usize).div_ceil(100),
            SampleSize::Percent(_) => {
                return Err(CoreError::field("percent", "range", "between 1 and 100"));
            }
            SampleSize::Confidence { level, margin } => {
                let z = match level {
                    90 => 1.645,
                    95 => 1.96,
                    99 => 2.576,
                    _ => {
                        return Err(CoreError::field(
                            "confidence_level",
                            "one_of",
                            "90, 95 or 99",
                        ));
                    }
                };
                if !(1..=20).contains(&margin) {
                    return Err(CoreError::field(
                        "margin_percent",
                        "range",
                        "between 1 and 20",
                    ));
                }
                let e = f64::from(margin) / 100.0;
                let n0 = z * z * 0.25 / (e * e);
                let population = n as f64;
                let corrected = n0 / (1.0 + (n0 - 1.0) / population);
                // Bounded by the population, so the conversion cannot overflow.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let size = corrected.ceil().max(1.0) as usize;
                size
            }
        };
        Ok(size.min(n))
    }
}

/// A paid payout as a draw needs it: (payout, grant, organisation).
type Paid = (Uuid, Uuid, Uuid);

/// One county's sample after a draw.
#[derive(Debug, Clone)]
pub struct CountySample {
    pub county_id: Uuid,
    pub county_name: String,
    /// Its paid recipients.
    pub paid: usize,
    /// The sample's size now.
    pub sampled: usize,
    /// Drawn by this request.
    pub drawn: usize,
}

/// Draw (or top up) each county's sample of the campaign's paid payouts within an organisation
/// of the principal's scope (its own by default).
pub async fn sample(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    within_org_id: Option<Uuid>,
    size: SampleSize,
) -> Result<Vec<CountySample>, CoreError> {
    ctx.require(WRITE).await?;
    // A size that cannot be right for any county is refused before any work.
    size.of(1)?;
    let work = ctx.begin().await?;
    let conn = work.conn();
    campaigns::queries::find(conn, ctx.scope(), campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let within = orgs::find(
        conn,
        ctx.scope(),
        within_org_id.unwrap_or(ctx.scope().org_id()),
    )
    .await?
    .ok_or_else(|| {
        CoreError::field(
            "within_org_id",
            "not_found",
            "no such organisation in your subtree",
        )
    })?;
    // Only what a check needs.
    let paid: Vec<Paid> = payouts::Entity::find()
        .filter(payouts::Column::CampaignId.eq(campaign_id))
        .filter(payouts::Column::Status.eq(PayoutStatus::Paid.as_str()))
        .filter(ctx.scope().at(&within).owns(payouts::Column::OrgId))
        .select_only()
        .column(payouts::Column::Id)
        .column(payouts::Column::GrantId)
        .column(payouts::Column::OrgId)
        .into_tuple()
        .all(conn)
        .await?;
    let sampled: HashSet<Uuid> = payout_checks::Entity::find()
        .filter(payout_checks::Column::CampaignId.eq(campaign_id))
        .select_only()
        .column(payout_checks::Column::PayoutId)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let org_ids: HashSet<Uuid> = paid.iter().map(|(_, _, org)| *org).collect();
    let paths: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    // Per county: the paid payouts not yet drawn, and how many are drawn already.
    let mut by_county: BTreeMap<Uuid, (Vec<Paid>, usize)> = BTreeMap::new();
    for p in paid {
        let county = paths
            .get(&p.2)
            .and_then(|path| county_of(path))
            .unwrap_or(p.2);
        let entry = by_county.entry(county).or_default();
        if sampled.contains(&p.0) {
            entry.1 += 1;
        } else {
            entry.0.push(p);
        }
    }
    let names: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(by_county.keys().copied().collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let now = ctx.clock.now();
    let mut out = Vec::new();
    let mut rng = rand::thread_rng();
    for (county, (mut open, already)) in by_county {
        let population = open.len() + already;
        let target = size.of(population)?;
        let draw = target.saturating_sub(already).min(open.len());
        open.shuffle(&mut rng);
        let rows: Vec<payout_checks::ActiveModel> = open[..draw]
            .iter()
            .map(|&(payout, grant, org)| payout_checks::ActiveModel {
                id: Set(Uuid::now_v7()),
                campaign_id: Set(campaign_id),
                payout_id: Set(payout),
                grant_id: Set(grant),
                org_id: Set(org),
                county_id: Set(county),
                status: Set(CheckResult::Pending.as_str().to_owned()),
                method: Set(None),
                contacted_on: Set(None),
                note: Set(None),
                sampled_by: Set(ctx.actor().id.unwrap_or_default()),
                recorded_by: Set(None),
                recorded_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            })
            .collect();
        for chunk in rows.chunks(1000) {
            payout_checks::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(conn)
                .await?;
        }
        out.push(CountySample {
            county_id: county,
            county_name: names.get(&county).cloned().unwrap_or_default(),
            paid: population,
            sampled: already + draw,
            drawn: draw,
        });
    }
    work.record(
        Event::new("payout_check.sample")
            .on("campaign", campaign_id)
            .changes(json!({
                "within_org_id": within.id,
                "counties": out.iter().map(|c| json!({
                    "county_id": c.county_id, "paid": c.paid, "sampled": c.sampled, "drawn": c.drawn,
                })).collect::<Vec<_>>(),
            })),
    )
    .await?;
    work.commit().await?;
    Ok(out)
}

/// A contact with a sampled recipient.
#[derive(Debug, Clone)]
pub struct Contact {
    pub method: ContactMethod,
    pub contacted_on: NaiveDate,
    pub result: CheckResult,
    pub note: Option<String>,
}

/// Record what a contact found: `pending` → its result, once (the date not in the future).
pub async fn record(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    contact: Contact,
) -> Result<payout_checks::Model, CoreError> {
    use payout_checks::Column as V;
    ctx.require(WRITE).await?;
    if contact.result == CheckResult::Pending {
        return Err(CoreError::field(
            "result",
            "one_of",
            "received, not_received or received_with_issues",
        ));
    }
    if contact.contacted_on > ctx.clock.today() {
        return Err(CoreError::field(
            "contacted_on",
            "in_future",
            "a contact is recorded after it happened",
        ));
    }
    let work = ctx.begin().await?;
    let check = ctx
        .scope()
        .find::<payout_checks::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, check.version)?;
    if check.status != CheckResult::Pending.as_str() {
        return Err(CoreError::conflict(format!(
            "this contact is recorded already (`{}`)",
            check.status
        )));
    }
    let now = ctx.clock.now();
    let note = contact
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let change = versioning::update::<payout_checks::Entity>(check.id, check.version, now)
        .filter(V::Status.eq(CheckResult::Pending.as_str()))
        .col_expr(V::Status, Expr::value(contact.result.as_str()))
        .col_expr(V::Method, Expr::value(contact.method.as_str()))
        .col_expr(V::ContactedOn, Expr::value(contact.contacted_on))
        .col_expr(V::Note, Expr::value(note))
        .col_expr(V::RecordedBy, Expr::value(ctx.actor().id))
        .col_expr(V::RecordedAt, Expr::value(now));
    let event = Event::new("payout_check.record")
        .on("payout_check", check.id)
        .changes(json!({
            "result": contact.result.as_str(), "method": contact.method.as_str(),
            "contacted_on": contact.contacted_on,
        }));
    let saved = versioning::save_work(&work, change, check.id, expected_version, event).await?;
    work.commit().await?;
    Ok(saved)
}

/// The filters of the check list.
#[derive(Debug, Clone, Default)]
pub struct CheckFilter {
    pub campaign_id: Option<Uuid>,
    pub result: Option<CheckResult>,
    pub within_org_id: Option<Uuid>,
}

/// The checks of the principal's scope that pass `filter` (`result=not_received` is the
/// follow-up list), unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &CheckFilter,
) -> Result<Select<payout_checks::Entity>, CoreError> {
    use payout_checks::Column as V;
    ctx.require(READ).await?;
    let mut select = ctx.scope().select::<payout_checks::Entity>();
    if let Some(c) = filter.campaign_id {
        select = select.filter(V::CampaignId.eq(c));
    }
    if let Some(r) = filter.result {
        select = select.filter(V::Status.eq(r.as_str()));
    }
    if let Some(within) = filter.within_org_id {
        select =
            select.filter(orgs::subtree_condition(ctx.db, ctx.scope(), within, V::OrgId).await?);
    }
    Ok(select)
}

/// One county's verification figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountyChecks {
    pub county_id: Uuid,
    pub county_name: String,
    pub sampled: i64,
    pub pending: i64,
    pub received: i64,
    pub not_received: i64,
    pub received_with_issues: i64,
}

#[derive(Debug, FromQueryResult)]
struct Count {
    county_id: Uuid,
    status: String,
    n: i64,
}

/// The campaign's verification per county of the principal's scope, in one grouped query.
pub async fn summary(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Vec<CountyChecks>, CoreError> {
    use payout_checks::Column as V;
    ctx.require(READ).await?;
    campaigns::queries::find(ctx.db, ctx.scope(), campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let query = Query::select()
        .column(V::CountyId)
        .column(V::Status)
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .from(payout_checks::Entity)
        .and_where(Expr::col(V::CampaignId).eq(campaign_id))
        .and_where(ctx.scope().contains(Expr::col(V::OrgId)))
        .group_by_col(V::CountyId)
        .group_by_col(V::Status)
        .to_owned();
    let counts = Count::find_by_statement(ctx.db.get_database_backend().build(&query))
        .all(ctx.db)
        .await?;
    let mut by_county: BTreeMap<Uuid, CountyChecks> = BTreeMap::new();
    for c in counts {
        let row = by_county
            .entry(c.county_id)
            .or_insert_with(|| CountyChecks {
                county_id: c.county_id,
                ..CountyChecks::default()
            });
        row.sampled += c.n;
        match CheckResult::parse(&c.status) {
            Some(CheckResult::Pending) => row.pending += c.n,
            Some(CheckResult::Received) => row.received += c.n,
            Some(CheckResult::NotReceived) => row.not_received += c.n,
            Some(CheckResult::ReceivedWithIssues) => row.received_with_issues += c.n,
            None => {}
        }
    }
    let names: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(by_county.keys().copied().collect::<Vec<_>>()))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(by_county
        .into_values()
        .map(|mut c| {
            c.county_name = names.get(&c.county_id).cloned().unwrap_or_default();
            c
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_sizes() {
        assert_eq!(SampleSize::Percent(10).of(69).unwrap(), 7);
        assert_eq!(SampleSize::Percent(100).of(5).unwrap(), 5);
        // 95% ± 5 points: 385 for a large population, fewer for a small one.
        let c = SampleSize::Confidence {
            level: 95,
            margin: 5,
        };
        assert_eq!(c.of(1_000_000).unwrap(), 385);
        assert_eq!(c.of(1_000).unwrap(), 278);
        assert_eq!(c.of(69).unwrap(), 59);
        assert_eq!(c.of(0).unwrap(), 0);
        assert!(SampleSize::Percent(0).of(10).is_err());
        assert!(
            SampleSize::Confidence {
                level: 80,
                margin: 5
            }
            .of(10)
            .is_err()
        );
    }
}

//! The demonstration city's 2017 campaigns, at the seed's own figures (`DOMAIN.md`): summer cool
//! relief (夏送清凉, 2.21 M yuan for 38,000 person-times), autumn tuition aid (金秋助学, the city
//! federation's 521,000 yuan to 137 students, 3,000–5,000 yuan each) and winter warmth (冬送温暖,
//! the city federation's 6.712 M yuan). Each runs the whole money path through the core: the
//! campaign with its fund sources, opened (funded in the ledger), allocated down to the counties
//! (下拨), grants from the rule's worklist, the home visit by someone other than the caseworker
//! who submitted them, the public notice, approval by a third person once the notice has ended,
//! and the campaign closed — then its balances are checked against its ledger.
//!
//! Four eyes need people: three city staff accounts (a caseworker, a visitor, an approver) are
//! created with passwords nobody is told; an administrator who wants to act as one resets its
//! password. The steps carry 2017 dates (a fixed clock, moved on between steps, so that each
//! notice really runs its days before approval); the registry they draw on is dated the day the
//! city was built. The autumn aid is then paid to the students' bank cards (`super::payouts`);
//! summer's goods and winter's cash are handed over on the visits, not through a bank.
//!
//! Every step resumes: a campaign is found by its title, an allocation by its county, bulk
//! creation passes over the people who have a grant, and each later step takes only the grants
//! still in the state it starts from.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use entity::{
    beneficiaries, campaign_allocations, campaigns as campaign_rows, grants, orgs, users,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use siji_core::access::Role;
use siji_core::accounts::{secrets, users as accounts};
use siji_core::archive::{self, ArchiveStatus, Verification};
use siji_core::audit::Actor;
use siji_core::campaigns::money::{self, Amount, NewAllocation};
use siji_core::campaigns::{
    self, CampaignKind, CampaignStatus, FundSource, FundSourceKind, GrantRule, NewCampaign,
    Transition,
};
use siji_core::domain::money::yuan;
use siji_core::error::ConflictKind;
use siji_core::grants::bulk;
use siji_core::grants::notices::{self, NewNotice};
use siji_core::grants::{self as grant_ops, GrantStatus, Step, Visit};
use siji_core::jobs::Progress;
use siji_core::pii::DataProtector;
use siji_core::tenancy::Scope;
use siji_core::{Clock, Context, CoreError};
use uuid::Uuid;

use super::Counter;

/// The day the archives the campaigns draw on are verified (入户核实): before the autumn aid.
const ARCHIVES_VISITED: (i32, u32, u32) = (2017, 7, 20);
/// Where objections to a notice go (Jining's area code).
const CONTACT: &str = "济宁市总工会帮扶中心 0537-2213000";

/// One season's campaign: what the seed says of it, and the days its steps are taken.
struct Season {
    kind: CampaignKind,
    title: &'static str,
    /// Fund sources: kind, name, yuan.
    sources: &'static [(FundSourceKind, &'static str, i64)],
    quota: i32,
    rule: fn() -> serde_json::Value,
    notice_days: i32,
    /// Each county's allocation, in yuan per fund source (in the order of `sources`), and its
    /// quota; `None` where the city federation grants from its own holding.
    per_county: Option<(&'static [i64], i32)>,
    /// Grants from the worklist of each county's first township, or of the whole city.
    first_townships: bool,
    created: (i32, u32, u32),
    window: ((i32, u32, u32), (i32, u32, u32)),
    submitted: (i32, u32, u32),
    visited: (i32, u32, u32),
    notice_from: (i32, u32, u32),
    approved: (i32, u32, u32),
    closed: (i32, u32, u32),
}

const SEASONS: [Season; 3] = [
    Season {
        kind: CampaignKind::SummerCool,
        title: "2017年夏送清凉",
        sources: &[
            (FundSourceKind::CityFiscal, "市财政专项帮扶资金", 1_000_000),
            (FundSourceKind::Federation, "工会经费", 910_000),
            (FundSourceKind::Donation, "社会捐助", 300_000),
        ],
        quota: 38_000,
        rule: || {
            serde_json::json!({
                "recipients": {"from": "registry", "frontline": true, "high_temperature": true},
                "amount": {"type": "goods", "cash_fen": 2_800,
                           "items": [{"name": "防暑降温用品", "quantity": 1, "unit_value_fen": 3_000}]}
            })
        },
        notice_days: 5,
        per_county: Some((&[80_000, 70_000, 20_000], 3_300)),
        first_townships: true,
        created: (2017, 6, 1),
        window: ((2017, 6, 5), (2017, 8, 31)),
        submitted: (2017, 7, 3),
        visited: (2017, 7, 6),
        notice_from: (2017, 7, 10),
        approved: (2017, 7, 17),
        closed: (2017, 9, 1),
    },
    Season {
        kind: CampaignKind::AutumnTuition,
        title: "2017年金秋助学",
        sources: &[
            (FundSourceKind::Federation, "工会经费", 321_000),
            (FundSourceKind::Donation, "社会捐助", 200_000),
        ],
        quota: 137,
        rule: || {
            serde_json::json!({
                "recipients": {"from": "students", "categories": ["deep", "relative"],
                               "stages": ["undergraduate", "vocational"], "admission_year": 2017},
                "amount": {"type": "per_stage", "tiers": [
                    {"stage": "undergraduate", "amount_fen": 500_000},
                    {"stage": "vocational", "amount_fen": 300_000}]}
            })
        },
        notice_days: 7,
        per_county: None,
        first_townships: false,
        created: (2017, 7, 10),
        window: ((2017, 7, 15), (2017, 8, 31)),
        submitted: (2017, 8, 1),
        visited: (2017, 8, 4),
        notice_from: (2017, 8, 8),
        approved: (2017, 8, 16),
        closed: (2017, 9, 10),
    },
    Season {
        kind: CampaignKind::WinterWarmth,
        title: "2017年冬送温暖",
        sources: &[
            (
                FundSourceKind::ProvincialFiscal,
                "省财政专项帮扶资金",
                2_000_000,
            ),
            (FundSourceKind::CityFiscal, "市财政专项帮扶资金", 3_000_000),
            (FundSourceKind::Federation, "工会经费", 1_212_000),
            (FundSourceKind::Donation, "社会捐助", 500_000),
        ],
        quota: 17_000,
        rule: || {
            serde_json::json!({
                "recipients": {"from": "archive", "categories": ["deep", "relative"]},
                "amount": {"type": "per_category", "tiers": [
                    {"category": "deep", "amount_fen": 40_000},
                    {"category": "relative", "amount_fen": 20_000}]}
            })
        },
        notice_days: 5,
        // The default city's first townships hold 1,300 archives a county, at most 1,312.
        per_county: Some((&[170_000, 270_000, 100_000, 40_000], 1_500)),
        first_townships: true,
        created: (2017, 11, 20),
        window: ((2017, 12, 1), (2018, 1, 31)),
        submitted: (2017, 12, 8),
        visited: (2017, 12, 12),
        notice_from: (2017, 12, 15),
        approved: (2017, 12, 22),
        closed: (2018, 2, 1),
    },
];

fn day((y, m, d): (i32, u32, u32)) -> Result<NaiveDate, CoreError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| CoreError::Internal("a bad date".into()))
}

/// Nine in the morning, Beijing time, of that day.
fn clock(at: (i32, u32, u32)) -> Result<Clock, CoreError> {
    let time = day(at)?
        .and_hms_opt(1, 0, 0)
        .ok_or_else(|| CoreError::Internal("a bad time".into()))?;
    Ok(Clock::Fixed(Utc.from_utc_datetime(&time)))
}

/// The people who act, and what they act on.
pub(super) struct City<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a DataProtector,
    pub root: &'a orgs::Model,
    pub townships: &'a [orgs::Model],
    pub system: Actor,
}

/// A city staff member of the demonstration, with the role their work needs.
pub(super) struct Staff {
    actor: Actor,
    roles: Vec<Role>,
}

impl City<'_> {
    pub(super) fn as_system(&self, at: (i32, u32, u32)) -> Result<Context<'_>, CoreError> {
        Ok(self.context(clock(at)?, self.system.clone(), vec![Role::CityAdmin]))
    }

    pub(super) fn as_staff(
        &self,
        staff: &Staff,
        at: (i32, u32, u32),
    ) -> Result<Context<'_>, CoreError> {
        Ok(self.context(clock(at)?, staff.actor.clone(), staff.roles.clone()))
    }

    fn context(&self, clock: Clock, actor: Actor, roles: Vec<Role>) -> Context<'_> {
        let scope = Scope::of(self.root, self.db.get_database_backend());
        Context::new(self.db, self.pii, clock, actor, scope, roles)
    }

    /// The counties, in the townships' order.
    fn counties(&self) -> Vec<Uuid> {
        let mut counties: Vec<Uuid> = Vec::new();
        for t in self.townships {
            if let Some(county) = t.parent_id
                && !counties.contains(&county)
            {
                counties.push(county);
            }
        }
        counties
    }

    /// Each county's first township.
    fn first_townships(&self) -> Vec<Uuid> {
        let mut firsts: HashMap<Uuid, Uuid> = HashMap::new();
        for t in self.townships {
            if let Some(county) = t.parent_id {
                firsts.entry(county).or_insert(t.id);
            }
        }
        self.counties()
            .iter()
            .filter_map(|c| firsts.get(c).copied())
            .collect()
    }

    /// The staff account `username`, created at the city if missing.
    async fn staff(&self, username: &str, display: &str, role: Role) -> Result<Staff, CoreError> {
        let found = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(self.db)
            .await?;
        let user = match found {
            // Acting as an account is what signing in as it would allow, no more.
            Some(user) if !user.active => {
                return Err(CoreError::conflict(format!(
                    "the demonstration account `{username}` is disabled: enable it to let \
                     demo-city act as it"
                )));
            }
            Some(user) => user,
            None => {
                let new = accounts::NewUser {
                    username: username.to_owned(),
                    display_name: display.to_owned(),
                    org_id: self.root.id,
                    roles: vec![role],
                    // Nobody is told it: the account acts here and logs in once an administrator
                    // resets its password.
                    password: secrets::random_token(),
                };
                accounts::create_as_system(self.db, &self.system, self.root, new).await?
            }
        };
        Ok(Staff {
            roles: siji_core::access::parse_roles(&user.roles),
            actor: Actor {
                kind: "user",
                id: Some(user.id),
                name: Some(user.username),
                org_id: Some(user.org_id),
                ..Actor::default()
            },
        })
    }
}

/// Run the seasons; answers their phases (archive visits, campaigns, grants).
pub(super) async fn build(
    city: &City<'_>,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Vec<super::Phase>, CoreError> {
    let caseworker = city
        .staff("demo.caseworker", "帮扶干事（演示）", Role::Operator)
        .await?;
    let visitor = city
        .staff("demo.visitor", "入户核实员（演示）", Role::Operator)
        .await?;
    let approver = city
        .staff("demo.approver", "审批人（演示）", Role::Approver)
        .await?;
    let people = People {
        caseworker,
        visitor,
        approver,
    };

    // The visits are timed apart from the campaigns, which take the rest.
    let started = Instant::now();
    let mut visited = Duration::ZERO;
    let mut visits = Counter::new("archive visits", 0, progress);
    let mut made = Counter::new("campaigns", SEASONS.len(), progress);
    let mut approved = Counter::new("grants", 0, progress);
    let mut paid = Counter::new("payouts", 0, progress);
    for season in &SEASONS {
        if season.kind == CampaignKind::AutumnTuition {
            // Only formal archives are aided: the households autumn and winter draw on are
            // visited first.
            let at = Instant::now();
            visits.add(verify_archives(city, &people.visitor).await?);
            visited += at.elapsed();
        }
        let at = Instant::now();
        let (campaign, created) = campaign(city, season).await?;
        made.add(if created { (1, 0) } else { (0, 1) });
        let tally = grants(city, &people, season, &campaign).await?;
        approved.add(tally);
        if season.kind == CampaignKind::AutumnTuition {
            paid.add(super::payouts::pay(city, &people, campaign.id).await?);
        }
        if campaign.status == CampaignStatus::Open.as_str() {
            close(city, season, campaign.id).await?;
        }
        report(city, season, campaign.id, at.elapsed(), progress).await?;
    }
    let mut phases = vec![visits.done(), made.done(), approved.done(), paid.done()];
    phases[0].seconds = visited.as_secs_f64();
    for p in &mut phases[1..] {
        p.seconds = (started.elapsed() - visited).as_secs_f64();
    }
    Ok(phases)
}

/// The three staff accounts: a caseworker submits grants, builds payout batches and registers
/// cards; a visitor verifies at home; an approver approves grants and payout batches.
pub(super) struct People {
    pub(super) caseworker: Staff,
    pub(super) visitor: Staff,
    pub(super) approver: Staff,
}

/// Confirm (入户核实) the temporary archives the seasons draw on: those of each county's first
/// township and the households with a child at school. Returns (verified, already formal).
async fn verify_archives(city: &City<'_>, visitor: &Staff) -> Result<(usize, usize), CoreError> {
    use beneficiaries::Column as B;
    use entity::household_members as members;
    let at_school = Query::select()
        .column(members::Column::BeneficiaryId)
        .from(members::Entity)
        .and_where(Expr::col(members::Column::Stage).is_not_null())
        .to_owned();
    let wanted = sea_orm::Condition::any()
        .add(B::OrgId.is_in(city.first_townships()))
        .add(B::Id.in_subquery(at_school));
    let rows: Vec<(Uuid, String)> = beneficiaries::Entity::find()
        .select_only()
        .column(B::Id)
        .column(B::Status)
        .filter(wanted)
        .into_tuple()
        .all(city.db)
        .await?;
    let ctx = city.as_staff(visitor, ARCHIVES_VISITED)?;
    let visited_on = day(ARCHIVES_VISITED)?;
    let (mut verified, mut formal) = (0, 0);
    for (id, status) in rows {
        if status != ArchiveStatus::Temporary.as_str() {
            formal += 1;
            continue;
        }
        let visit = Verification {
            visited_on,
            findings: "入户核实：家庭收入与档案一致，困难情况属实".to_owned(),
            confirmed: true,
        };
        archive::verify(&ctx, id, None, visit).await?;
        verified += 1;
    }
    Ok((verified, formal))
}

/// The season's campaign, prepared, opened and allocated to the counties where not yet;
/// whether this run created it.
async fn campaign(
    city: &City<'_>,
    season: &Season,
) -> Result<(campaign_rows::Model, bool), CoreError> {
    let ctx = city.as_system(season.created)?;
    let found = campaign_rows::Entity::find()
        .filter(campaign_rows::Column::OrgId.eq(city.root.id))
        .filter(campaign_rows::Column::Title.eq(season.title))
        .one(city.db)
        .await?;
    let created = found.is_none();
    let mut c = match found {
        Some(c) => c,
        None => {
            let rule: GrantRule = serde_json::from_value((season.rule)())
                .map_err(|e| CoreError::Internal(format!("{}: rule: {e}", season.title)))?;
            let (from, until) = season.window;
            let new = NewCampaign {
                org_id: city.root.id,
                kind: season.kind,
                year: 2017,
                title: season.title.to_owned(),
                applications_from: Some(day(from)?),
                applications_until: Some(day(until)?),
                notice_days: Some(season.notice_days),
                quota: Some(season.quota),
                rule: Some(rule),
                fund_sources: season
                    .sources
                    .iter()
                    .map(|(source, name, yuan)| FundSource {
                        source: *source,
                        name: Some((*name).to_owned()),
                        amount_fen: yuan * 100,
                    })
                    .collect(),
            };
            campaigns::create(&ctx, new).await?.campaign
        }
    };
    if c.status == CampaignStatus::Draft.as_str() {
        let ctx = city.as_system(season.window.0)?;
        c = campaigns::transition(&ctx, c.id, None, Transition::Open, None)
            .await?
            .campaign;
    }
    if let Some((amounts, quota)) = season.per_county {
        allocate(city, season, &c, amounts, quota).await?;
    }
    Ok((c, created))
}

/// 下拨: each county that has not yet received its share.
async fn allocate(
    city: &City<'_>,
    season: &Season,
    c: &campaign_rows::Model,
    amounts: &[i64],
    quota: i32,
) -> Result<(), CoreError> {
    use campaign_allocations::Column as A;
    let ctx = city.as_system(season.window.0)?;
    let mut sources = campaigns::queries::load(city.db, c.clone())
        .await?
        .fund_sources;
    sources.sort_by_key(|s| s.position);
    let given: Vec<Uuid> = campaign_allocations::Entity::find()
        .select_only()
        .column(A::ToOrgId)
        .filter(A::CampaignId.eq(c.id))
        .into_tuple()
        .all(city.db)
        .await?;
    for county in city.counties() {
        if given.contains(&county) {
            continue;
        }
        let new = NewAllocation {
            to_org_id: county,
            quota,
            amounts: sources
                .iter()
                .zip(amounts)
                .map(|(s, yuan)| Amount {
                    fund_source_id: s.id,
                    amount_fen: yuan * 100,
                })
                .collect(),
        };
        let work = money::begin(&ctx).await?;
        money::allocate(&ctx, &work, c.id, new).await?;
        work.commit().await?;
    }
    Ok(())
}

/// The ids of the campaign's grants in `status`, with their organisations.
async fn in_state(
    db: &DatabaseConnection,
    campaign: Uuid,
    status: GrantStatus,
) -> Result<Vec<(Uuid, Uuid)>, CoreError> {
    use grants::Column as G;
    Ok(grants::Entity::find()
        .select_only()
        .column(G::Id)
        .column(G::OrgId)
        .filter(G::CampaignId.eq(campaign))
        .filter(G::Status.eq(status.as_str()))
        .into_tuple()
        .all(db)
        .await?)
}

/// Grants from the worklist, visited, on notice and approved. Returns (approved by this run,
/// approved before).
async fn grants(
    city: &City<'_>,
    people: &People,
    season: &Season,
    c: &campaign_rows::Model,
) -> Result<(usize, usize), CoreError> {
    let before = in_state(city.db, c.id, GrantStatus::Approved).await?.len();
    if c.status == CampaignStatus::Open.as_str() {
        let ctx = city.as_staff(&people.caseworker, season.submitted)?;
        let within: Vec<Option<Uuid>> = if season.first_townships {
            city.first_townships().into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        for org in within {
            bulk::create(&ctx, c.id, org, &Progress::default()).await?;
        }
    }

    let submitted = in_state(city.db, c.id, GrantStatus::Submitted).await?;
    let ctx = city.as_staff(&people.visitor, season.visited)?;
    let visit = Visit {
        visited_on: day(season.visited)?,
        findings: "入户走访核实：情况属实".to_owned(),
    };
    let ids: Vec<Uuid> = submitted.iter().map(|g| g.0).collect();
    refused(
        grant_ops::each(&ctx, &ids, &Step::Verify(visit)).await?,
        false,
    )?;

    // The county publishes its own list where the money went down to it; the city its own.
    let verified = in_state(city.db, c.id, GrantStatus::Verified).await?;
    let county_of: HashMap<Uuid, Uuid> = city
        .townships
        .iter()
        .filter_map(|t| Some((t.id, t.parent_id?)))
        .collect();
    let mut lists: Vec<(Uuid, Vec<Uuid>)> = Vec::new();
    for (id, org) in verified {
        let publisher = match season.per_county {
            Some(_) => county_of.get(&org).copied().unwrap_or(city.root.id),
            None => city.root.id,
        };
        match lists.iter_mut().find(|(p, _)| *p == publisher) {
            Some((_, ids)) => ids.push(id),
            None => lists.push((publisher, vec![id])),
        }
    }
    let ctx = city.as_staff(&people.caseworker, season.notice_from)?;
    let starts_on = day(season.notice_from)?;
    let ends_on = starts_on + chrono::Days::new(u64::try_from(season.notice_days - 1).unwrap_or(0));
    for (publisher, grant_ids) in lists {
        let name = orgs::Entity::find_by_id(publisher)
            .one(city.db)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let notice = NewNotice {
            campaign_id: c.id,
            org_id: publisher,
            title: format!("{}{}拟资助名单公示", name, season.title),
            starts_on,
            ends_on,
            contact: CONTACT.to_owned(),
            grant_ids,
        };
        notices::place(&ctx, notice).await?;
    }

    let on_notice = in_state(city.db, c.id, GrantStatus::OnNotice).await?;
    let ctx = city.as_staff(&people.approver, season.approved)?;
    let ids: Vec<Uuid> = on_notice.iter().map(|g| g.0).collect();
    let approved = refused(grant_ops::each(&ctx, &ids, &Step::Approve).await?, true)?;
    Ok((approved, before))
}

/// The grants a bulk step took; a refusal other than money or quota running out (which leaves a
/// grant on notice, waiting) is a fault of the plan.
fn refused(
    results: Vec<(Uuid, Result<grants::Model, CoreError>)>,
    money_may_run_out: bool,
) -> Result<usize, CoreError> {
    let mut taken = 0;
    for (id, result) in results {
        match result {
            Ok(_) => taken += 1,
            Err(CoreError::Conflict {
                kind: ConflictKind::InsufficientBalance,
                ..
            }) if money_may_run_out => {}
            Err(e) => return Err(CoreError::Internal(format!("grant {id}: {e}"))),
        }
    }
    Ok(taken)
}

async fn close(city: &City<'_>, season: &Season, id: Uuid) -> Result<(), CoreError> {
    let ctx = city.as_system(season.closed)?;
    campaigns::transition(&ctx, id, None, Transition::Close, None).await?;
    Ok(())
}

/// The season's figures from its ledger, which must agree with its balances to the fen.
async fn report(
    city: &City<'_>,
    season: &Season,
    id: Uuid,
    took: Duration,
    progress: &(dyn Fn(String) + Sync),
) -> Result<(), CoreError> {
    let ctx = city.as_system(season.closed)?;
    let differences = money::check(&ctx, id).await?;
    if !differences.is_empty() {
        return Err(CoreError::Internal(format!(
            "{}: {} balance(s) differ from the ledger",
            season.title,
            differences.len()
        )));
    }
    let holdings = money::holdings(&ctx, id).await?;
    let budget: i64 = season.sources.iter().map(|s| s.2 * 100).sum();
    let committed: i64 = holdings.iter().map(|h| h.total.committed_fen).sum();
    let paid: i64 = holdings.iter().map(|h| h.total.paid_fen).sum();
    let people: i64 = holdings.iter().map(|h| h.quota_committed).sum();
    let waiting = grants::Entity::find()
        .filter(grants::Column::CampaignId.eq(id))
        .filter(grants::Column::Status.eq(GrantStatus::OnNotice.as_str()))
        .count(city.db)
        .await?;
    let waiting = match waiting {
        0 => String::new(),
        n => format!(" ({n} on notice, waiting for money or places)"),
    };
    let paid = match paid {
        0 => String::new(),
        fen => format!(", {} paid to bank cards", yuan(fen)),
    };
    progress(format!(
        "{}: {} approved{waiting}, {} of {} yuan committed{paid}; \
         balances agree with the ledger ({:.1} s)",
        season.title,
        people,
        yuan(committed),
        yuan(budget),
        took.as_secs_f64()
    ));
    Ok(())
}

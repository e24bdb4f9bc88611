//! `siji demo-city`: a deterministic demonstration city built through the core's own bulk
//! operations, so everything in it is real — ID numbers and phones encrypted with blind indexes,
//! masks, the one-person rule, eligibility, the overlap rule and the audit trail with its change
//! log. A newcomer runs it to see a populated system; the benchmarks measure against it.
//!
//! The city is Jining's shape: the city federation, its 11 counties, 14 townships each, the
//! enterprises spread over the townships, workers over the enterprises, a hardship archive for
//! every tenth worker's household and a signed wage agreement for 96.9% of the enterprises
//! (`DOMAIN.md`). Every record is a function of its index, so a second run finds what the first
//! wrote: a batch already committed is skipped (checked by its first and last record), and one
//! the bulk operation finds registered comes back `None` and is passed over. Interrupted, it
//! resumes where it stopped. Then the 2017 campaigns run through the money path (`campaigns`).

mod campaigns;
mod payouts;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, Days, Months, NaiveDate};
use entity::{enterprises as enterprise_rows, living_standards, minimum_wages, orgs, workers};
use futures_util::StreamExt;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
};
use siji_core::access::Role;
use siji_core::agreements::{self, AgreementScope, NegotiationMode, NewAgreement, Terms, TextType};
use siji_core::archive::{self, Cause, Health, MemberInput, NewArchive, Relation, Stage, Visit};
use siji_core::audit::Actor;
use siji_core::domain::{id_number, uscc};
use siji_core::pii::{DataProtector, PiiField};
use siji_core::registry::enterprises::{self, NewEnterprise, Ownership};
use siji_core::registry::orgs::{self as org_ops, NewOrg, OrgLevel};
use siji_core::registry::workers::{self as worker_ops, EmploymentStatus, NewWorker, WorkerKind};
use siji_core::tenancy::Scope;
use siji_core::{Clock, Context, CoreError, standards};

/// Jining's counties and county-level cities (GB/T 2260).
const COUNTIES: [(&str, &str); 11] = [
    ("370811", "任城区总工会"),
    ("370812", "兖州区总工会"),
    ("370826", "微山县总工会"),
    ("370827", "鱼台县总工会"),
    ("370828", "金乡县总工会"),
    ("370829", "嘉祥县总工会"),
    ("370830", "汶上县总工会"),
    ("370831", "泗水县总工会"),
    ("370832", "梁山县总工会"),
    ("370881", "曲阜市总工会"),
    ("370883", "邹城市总工会"),
];
const TOWNSHIPS_PER_COUNTY: usize = 14;
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: [&str; 20] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "桂英", "建华",
];

/// How big a city to build.
#[derive(Debug, Clone, clap::Args)]
pub struct Plan {
    /// Enterprises (Jining has 14,796 unionised ones).
    #[arg(long, default_value_t = 14_796)]
    pub enterprises: usize,
    /// Workers, spread over the enterprises.
    #[arg(long, default_value_t = 1_000_000)]
    pub workers: usize,
    /// Hardship archives, one per household of every tenth worker (at most workers / 10).
    #[arg(long, default_value_t = 100_000)]
    pub archives: usize,
    /// Enterprises under a signed wage agreement, per thousand (96.9%).
    #[arg(long, default_value_t = 969)]
    pub coverage_permille: usize,
    /// Records a unit of work.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Worker batches written at once, each on its own connection (default 2 on PostgreSQL,
    /// 1 on SQLite, whose writers take turns anyway).
    #[arg(long)]
    pub lanes: Option<usize>,
}

/// What one phase did.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: &'static str,
    /// Records written by this run.
    pub written: usize,
    /// Records found already there (a resumed run).
    pub found: usize,
    pub seconds: f64,
}

/// Build (or complete) the city; `progress` hears a line per batch.
pub async fn build(
    db: &DatabaseConnection,
    pii: &DataProtector,
    root: &orgs::Model,
    plan: &Plan,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Vec<Phase>, CoreError> {
    let actor = Actor {
        kind: "system",
        name: Some("siji demo-city".to_owned()),
        org_id: Some(root.id),
        ..Actor::default()
    };
    let ctx = Context::new(
        db,
        pii,
        Clock::System,
        actor.clone(),
        Scope::of(root, db.get_database_backend()),
        vec![Role::CityAdmin],
    );
    let batch = plan.batch.max(1);
    let mut phases = Vec::new();
    let started = Instant::now();
    let before = orgs::Entity::find().count(db).await?;
    let townships = organisations(&ctx, root).await?;
    standards_for(&ctx, &townships).await?;
    let written = usize::try_from(orgs::Entity::find().count(db).await? - before).unwrap_or(0);
    let planned = COUNTIES.len() * (1 + TOWNSHIPS_PER_COUNTY);
    phases.push(Phase {
        name: "organisations",
        written,
        found: planned.saturating_sub(written),
        seconds: started.elapsed().as_secs_f64(),
    });

    let mut phase = Counter::new("enterprises", plan.enterprises, progress);
    for start in (0..plan.enterprises).step_by(batch) {
        let end = (start + batch).min(plan.enterprises);
        let news: Vec<NewEnterprise> = (start..end).map(|e| enterprise(e, &townships)).collect();
        let work = ctx.begin().await?;
        let made = enterprises::register_many_in(&ctx, &work, news.clone(), "demo").await?;
        work.commit().await?;
        let tally = alone(&ctx, news, &made, async |work, new| {
            enterprises::register_in(&ctx, work, new, "demo").await
        })
        .await?;
        phase.add(tally);
    }
    phases.push(phase.done());

    analyze(db, &["enterprises", "orgs"]).await?;
    let firms = enterprise_ids(db, plan.enterprises, &townships).await?;
    let mut phase = Counter::new("workers", plan.workers, progress);
    // Batches of distinct people, so they can run side by side, each its own unit of work: on
    // PostgreSQL one batch's inserts keep one backend (one core) busy while the other batch is
    // encrypted, checked or committed.
    let lanes = plan.lanes.unwrap_or(match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    });
    let batches = (0..plan.workers)
        .step_by(batch)
        .enumerate()
        .map(|(n, start)| {
            let (ctx, firms) = (&ctx, &firms);
            async move {
                if n % 25 == 1 {
                    analyze(db, &["workers", "audit_events", "change_log"]).await?;
                }
                let end = (start + batch).min(plan.workers);
                if already(db, pii, &[start, end - 1]).await? == 2 {
                    return Ok((0, end - start));
                }
                let news: Vec<NewWorker> = (start..end).map(|i| worker(i, firms)).collect();
                let work = ctx.begin().await?;
                let made = worker_ops::register_many_in(ctx, &work, news.clone(), "demo").await?;
                work.commit().await?;
                alone(ctx, news, &made, async |work, new| {
                    worker_ops::register_in(ctx, work, new, "demo").await
                })
                .await
            }
        });
    let mut batches = futures_util::stream::iter(batches).buffer_unordered(lanes.max(1));
    while let Some(tally) = batches.next().await {
        phase.add(tally?);
    }
    phases.push(phase.done());

    let heads: Vec<usize> = (0..plan.workers).step_by(10).take(plan.archives).collect();
    let today = ctx.clock.today();
    let mut phase = Counter::new("archives", heads.len(), progress);
    for (n, chunk) in heads.chunks(batch).enumerate() {
        if n % 25 == 1 {
            analyze(db, &["beneficiaries", "household_members", "audit_events"]).await?;
        }
        let found = worker_ids(db, pii, chunk).await?;
        if found.len() != chunk.len() {
            return Err(CoreError::Internal(
                "a household's head is not registered".into(),
            ));
        }
        let ends = [chunk.first(), chunk.last()].map(|i| i.and_then(|i| found.get(i)).map(|w| w.0));
        if archived(db, ends.into_iter().flatten().collect()).await? == 2 {
            phase.add((0, chunk.len()));
            continue;
        }
        let news: Vec<NewArchive> = chunk
            .iter()
            .filter_map(|i| {
                found
                    .get(i)
                    .map(|(id, org)| household(*i, *id, *org, today))
            })
            .collect();
        let work = ctx.begin().await?;
        let made = archive::register_many_in(&ctx, &work, news.clone(), "demo").await?;
        work.commit().await?;
        let tally = alone(&ctx, news, &made, async |work, new| {
            archive::register_in(&ctx, work, new, "demo").await
        })
        .await?;
        phase.add(tally);
    }
    phases.push(phase.done());

    let covered: Vec<usize> = (0..plan.enterprises)
        .filter(|e| e * plan.coverage_permille / 1000 != (e + 1) * plan.coverage_permille / 1000)
        .collect();
    let mut phase = Counter::new("wage agreements", covered.len(), progress);
    for (n, chunk) in covered.chunks(batch).enumerate() {
        if n % 25 == 1 {
            analyze(db, &["wage_agreements", "wage_agreement_enterprises"]).await?;
        }
        let ends =
            [chunk.first(), chunk.last()].map(|e| e.and_then(|e| firms.get(*e)).map(|f| f.0));
        if covered_already(db, ends.into_iter().flatten().collect()).await? == 2 {
            phase.add((0, chunk.len()));
            continue;
        }
        let openings: Vec<_> = chunk
            .iter()
            .filter_map(|e| {
                firms
                    .get(*e)
                    .map(|(id, org)| agreement(*e, *id, *org, today))
            })
            .collect();
        let work = ctx.begin().await?;
        let made = agreements::open_many_in(&ctx, &work, openings.clone(), "demo").await?;
        work.commit().await?;
        let tally = alone(&ctx, openings, &made, async |work, (new, signed)| {
            // The only conflict opening can meet is the overlap rule: the agreement a
            // previous run signed for this enterprise.
            agreements::open_in(&ctx, work, new, signed, "demo")
                .await
                .map_err(|e| match e {
                    CoreError::Conflict { detail, .. } => CoreError::Duplicate {
                        detail,
                        existing_id: None,
                    },
                    other => other,
                })
        })
        .await?;
        phase.add(tally);
    }
    phases.push(phase.done());

    let city = campaigns::City {
        db,
        pii,
        root,
        townships: &townships,
        system: actor,
    };
    phases.extend(campaigns::build(&city, progress).await?);
    // Every table the city filled, as it now stands: the phases analyse theirs as they grow, the
    // last batches and the archives' causes and visits aside (without statistics the page of
    // archives counted each page's visits by scanning all of them: 18 ms a page, 2 ms after).
    analyze(db, &CITY_TABLES).await?;
    // The archive counts read the archives' index alone (`ix_beneficiaries_org_live`) only where
    // the visibility map says a page holds no row to check in the table: autovacuum sets it in
    // time, but a city built a minute ago has none yet, and read 4,400 table pages per county
    // for its counts where it reads 120 vacuumed.
    if db.get_database_backend() == DbBackend::Postgres {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("VACUUM beneficiaries, beneficiary_causes")
            .await?;
    }
    Ok(phases)
}

/// The tables `build` writes.
const CITY_TABLES: [&str; 25] = [
    "orgs",
    "living_standards",
    "minimum_wages",
    "enterprises",
    "workers",
    "beneficiaries",
    "household_members",
    "beneficiary_causes",
    "beneficiary_visits",
    "wage_agreements",
    "wage_agreement_enterprises",
    "users",
    "campaigns",
    "campaign_fund_sources",
    "campaign_ledger",
    "campaign_allocations",
    "grants",
    "grant_notices",
    "bank_cards",
    "payout_batches",
    "payouts",
    "payout_files",
    "payout_results",
    "audit_events",
    "change_log",
];

/// Refresh the planner's statistics of the tables a phase fills. A table filled from empty in
/// one run keeps the statistics of an empty table until something analyses it (PostgreSQL's
/// autovacuum, if it runs; on SQLite the server's `db::refresh_statistics`, at start, after
/// imports and hourly), and its lookups turn into scans: the archives' check of existing heads
/// went from 1 ms to 0.5 s a batch at 50,000, and on SQLite a page of one enterprise's workers
/// walked the status index over every worker.
async fn analyze(db: &DatabaseConnection, tables: &[&str]) -> Result<(), CoreError> {
    use sea_orm::ConnectionTrait;
    // SQLite's ANALYZE takes one table at a time.
    for table in tables {
        db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    Ok(())
}

/// Counts a phase's records and reports each batch with the rate so far.
struct Counter<'p> {
    name: &'static str,
    total: usize,
    written: usize,
    found: usize,
    started: Instant,
    progress: &'p (dyn Fn(String) + Sync),
}

impl<'p> Counter<'p> {
    fn new(name: &'static str, total: usize, progress: &'p (dyn Fn(String) + Sync)) -> Self {
        Self {
            name,
            total,
            written: 0,
            found: 0,
            started: Instant::now(),
            progress,
        }
    }

    fn add(&mut self, (written, found): (usize, usize)) {
        self.written += written;
        self.found += found;
        let seconds = self.started.elapsed().as_secs_f64().max(1e-9);
        // A phase that cannot know its size beforehand (the campaigns' visits and grants) says
        // only how far it is.
        let of = match self.total {
            0 => String::new(),
            total => format!("/{total}"),
        };
        (self.progress)(format!(
            "{}: {}{of} ({} written, {} there already) {:.0}/s",
            self.name,
            self.written + self.found,
            self.written,
            self.found,
            self.written as f64 / seconds
        ));
    }

    fn done(self) -> Phase {
        Phase {
            name: self.name,
            written: self.written,
            found: self.found,
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// After a bulk operation: each record it could not take goes through the single operation,
/// which registers it or says why. One already there (a resumed run: a duplicate) is counted as
/// found; any other refusal (a missing living standard, say) is a fault of the plan, reported.
/// Returns (written, found).
async fn alone<N, T, M>(
    ctx: &Context<'_>,
    news: Vec<N>,
    made: &[Option<M>],
    one: impl AsyncFn(&siji_core::uow::Work<'_>, N) -> Result<T, CoreError>,
) -> Result<(usize, usize), CoreError> {
    let (mut written, mut found) = (0, 0);
    for (new, made) in news.into_iter().zip(made) {
        if made.is_some() {
            written += 1;
            continue;
        }
        let work = ctx.begin().await?;
        match one(&work, new).await {
            Ok(_) => {
                work.commit().await?;
                written += 1;
            }
            Err(CoreError::Duplicate { .. }) => found += 1,
            Err(other) => return Err(other),
        }
    }
    Ok((written, found))
}

/// The counties and their townships, created where missing; the townships in a fixed order.
async fn organisations(
    ctx: &Context<'_>,
    root: &orgs::Model,
) -> Result<Vec<orgs::Model>, CoreError> {
    let mut townships = Vec::new();
    for (code, name) in COUNTIES {
        let county = org(ctx, root, OrgLevel::County, name.to_owned(), code).await?;
        let short = name.trim_end_matches("总工会");
        for t in 0..TOWNSHIPS_PER_COUNTY {
            let name = format!("{short}第{}街道工会", t + 1);
            townships.push(org(ctx, &county, OrgLevel::Township, name, code).await?);
        }
    }
    Ok(townships)
}

async fn org(
    ctx: &Context<'_>,
    parent: &orgs::Model,
    level: OrgLevel,
    name: String,
    code: &str,
) -> Result<orgs::Model, CoreError> {
    if let Some(found) = orgs::Entity::find()
        .filter(orgs::Column::ParentId.eq(parent.id))
        .filter(orgs::Column::Name.eq(name.as_str()))
        .one(ctx.db)
        .await?
    {
        return Ok(found);
    }
    let new = NewOrg {
        parent_id: parent.id,
        level,
        name,
        division_code: code.to_owned(),
        uscc: None,
    };
    org_ops::create(ctx, new).await
}

/// Each county's minimum living standard (低保, 800 yuan a month) for this year and its
/// statutory minimum wage (2,100 yuan), so archives are assessed and agreements checked.
async fn standards_for(ctx: &Context<'_>, townships: &[orgs::Model]) -> Result<(), CoreError> {
    let year = ctx.clock.today().year();
    let counties: Vec<uuid::Uuid> = townships
        .iter()
        .filter_map(|t| t.parent_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for county in counties {
        let kept = living_standards::Entity::find()
            .filter(living_standards::Column::OrgId.eq(county))
            .filter(living_standards::Column::Year.eq(year))
            .count(ctx.db)
            .await?;
        if kept == 0 {
            standards::record_living_standard(ctx, county, year, 80_000).await?;
        }
        let wages = minimum_wages::Entity::find()
            .filter(minimum_wages::Column::OrgId.eq(county))
            .count(ctx.db)
            .await?;
        if wages == 0 {
            let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
            standards::record_minimum_wage(ctx, county, from, 210_000).await?;
        }
    }
    Ok(())
}

fn township_of(e: usize, townships: &[orgs::Model]) -> &orgs::Model {
    &townships[e % townships.len()]
}

fn uscc_of(e: usize, townships: &[orgs::Model]) -> String {
    let first17 = format!("91{}DM{e:07}", township_of(e, townships).division_code);
    uscc::complete(&first17)
}

fn enterprise(e: usize, townships: &[orgs::Model]) -> NewEnterprise {
    let township = township_of(e, townships);
    let headcount = 20 + i32::try_from(e % 480).unwrap_or(0);
    NewEnterprise {
        org_id: township.id,
        name: format!("{}第{}企业", township.name.trim_end_matches("工会"), e + 1),
        uscc: uscc_of(e, townships),
        ownership: [Ownership::Private, Ownership::State, Ownership::Mixed][e % 3],
        industry: ["C", "E", "F", "G", "H", "I"][e % 6].to_owned(),
        address: None,
        union_founded_on: NaiveDate::from_ymd_opt(2000 + i32::try_from(e % 24).unwrap_or(0), 5, 1),
        headcount: Some(headcount),
        member_count: Some(headcount * 9 / 10),
        overcapacity: false,
    }
}

/// The enterprises by index, with their organisations (read by USCC, a page at a time).
async fn enterprise_ids(
    db: &DatabaseConnection,
    count: usize,
    townships: &[orgs::Model],
) -> Result<Vec<(uuid::Uuid, uuid::Uuid)>, CoreError> {
    let codes: Vec<String> = (0..count).map(|e| uscc_of(e, townships)).collect();
    let mut by_code = HashMap::new();
    for chunk in codes.chunks(1000) {
        for e in enterprise_rows::Entity::find()
            .filter(enterprise_rows::Column::Uscc.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            by_code.insert(e.uscc, (e.id, e.org_id));
        }
    }
    codes
        .iter()
        .map(|c| {
            by_code
                .get(c)
                .copied()
                .ok_or_else(|| CoreError::Internal(format!("enterprise {c} was not registered")))
        })
        .collect()
}

/// Worker `i`: valid, distinct ID numbers (born 1970 on, a thousand a day) and phones.
fn id_number_of(i: usize) -> String {
    let base = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let born = base + Days::new(u64::try_from(i / 1000).unwrap_or(0));
    let area = COUNTIES[i % COUNTIES.len()].0;
    id_number::complete(&format!("{area}{}{:03}", born.format("%Y%m%d"), i % 1000))
}

fn worker(i: usize, firms: &[(uuid::Uuid, uuid::Uuid)]) -> NewWorker {
    let (enterprise, org) = firms[i % firms.len()];
    NewWorker {
        org_id: org,
        enterprise_id: Some(enterprise),
        name: format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i / SURNAMES.len()) % GIVEN.len()]
        ),
        id_number: id_number_of(i),
        phone: Some(format!("139{:08}", i % 100_000_000)),
        kind: [WorkerKind::Staff, WorkerKind::MigrantWorker][usize::from(i.is_multiple_of(5))],
        employment_status: EmploymentStatus::Employed,
        member_since: NaiveDate::from_ymd_opt(2010 + i32::try_from(i % 15).unwrap_or(0), 1, 1),
        frontline: i.is_multiple_of(3),
        high_temperature: i.is_multiple_of(7),
        honours: Vec::new(),
    }
}

/// How many of workers `indexes` are registered (found by blind index).
async fn already(
    db: &DatabaseConnection,
    pii: &DataProtector,
    indexes: &[usize],
) -> Result<u64, CoreError> {
    let idxs: Vec<String> = indexes
        .iter()
        .map(|i| pii.blind_index(PiiField::IdNumber, &id_number_of(*i)))
        .collect();
    Ok(workers::Entity::find()
        .filter(workers::Column::IdNumberIdx.is_in(idxs))
        .count(db)
        .await?)
}

/// How many of these heads have an archive: a batch whose first and last have one was
/// committed whole by an earlier run.
async fn archived(db: &DatabaseConnection, heads: Vec<uuid::Uuid>) -> Result<u64, CoreError> {
    Ok(entity::beneficiaries::Entity::find()
        .filter(entity::beneficiaries::Column::HeadWorkerId.is_in(heads))
        .count(db)
        .await?)
}

/// How many of these enterprises an agreement covers (the same test for agreements).
async fn covered_already(
    db: &DatabaseConnection,
    firms: Vec<uuid::Uuid>,
) -> Result<u64, CoreError> {
    use entity::wage_agreement_enterprises as links;
    let covered: std::collections::HashSet<uuid::Uuid> = links::Entity::find()
        .filter(links::Column::EnterpriseId.is_in(firms))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.enterprise_id)
        .collect();
    Ok(covered.len() as u64)
}

/// Workers `indexes` that are registered: index → (id, organisation).
async fn worker_ids(
    db: &DatabaseConnection,
    pii: &DataProtector,
    indexes: &[usize],
) -> Result<HashMap<usize, (uuid::Uuid, uuid::Uuid)>, CoreError> {
    let by_idx: HashMap<String, usize> = indexes
        .iter()
        .map(|i| (pii.blind_index(PiiField::IdNumber, &id_number_of(*i)), *i))
        .collect();
    let found = workers::Entity::find()
        .filter(workers::Column::IdNumberIdx.is_in(by_idx.keys().cloned()))
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|w| Some((*by_idx.get(&w.id_number_idx)?, (w.id, w.org_id))))
        .collect())
}

/// Of every 730 households one has a child who entered college in 2017: 137 of the default
/// city's 100,000, the autumn aid's 137 students — 55 undergraduates and 82 at vocational college.
const STUDENT_EVERY: usize = 730;
const STUDENTS: usize = 137;
const UNDERGRADUATES: usize = 55;

/// The child at school of household `n` (the head's index / 10), if it has one.
fn student(n: usize, surname: &str) -> Option<MemberInput> {
    if !n.is_multiple_of(STUDENT_EVERY) {
        return None;
    }
    let k = n / STUDENT_EVERY;
    let undergraduate = k * UNDERGRADUATES / STUDENTS != (k + 1) * UNDERGRADUATES / STUDENTS;
    // Born in 1999, a day apart; no worker's number (born 1970 on, a thousand a day) is one.
    let born = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap_or_default()
        + Days::new(u64::try_from(k % 365).unwrap_or(0));
    let area = COUNTIES[k % COUNTIES.len()].0;
    let id = id_number::complete(&format!("{area}{}{:03}", born.format("%Y%m%d"), k % 1000));
    Some(MemberInput {
        id: None,
        name: format!("{surname}{}", GIVEN[k % GIVEN.len()]),
        relation: Relation::Child,
        id_number: Some(id),
        birth_date: Some(born),
        health: Health::Healthy,
        employment_status: None,
        school: Some(
            if undergraduate {
                "山东大学"
            } else {
                "济宁职业技术学院"
            }
            .to_owned(),
        ),
        stage: Some(if undergraduate {
            Stage::Undergraduate
        } else {
            Stage::Vocational
        }),
        grade: Some(1),
        admission_year: Some(2017),
    })
}

/// A household of three living on 500 yuan a head a month (deep hardship under 800), with the
/// spouse as a member, and for some a child at college.
fn household(i: usize, head: uuid::Uuid, org: uuid::Uuid, today: NaiveDate) -> NewArchive {
    let causes = [Cause::Illness, Cause::Disability][i % 2];
    let surname = SURNAMES[i % SURNAMES.len()];
    let mut members = vec![MemberInput {
        id: None,
        name: format!("{surname}配偶"),
        relation: Relation::Spouse,
        id_number: None,
        birth_date: None,
        health: Health::ChronicIllness,
        employment_status: None,
        school: None,
        stage: None,
        grade: None,
        admission_year: None,
    }];
    members.extend(student(i / 10, surname));
    NewArchive {
        org_id: org,
        head_worker_id: head,
        household_size: 3,
        annual_income_fen: 50_000 * 36 + 120_000,
        rigid_expenses_fen: 120_000,
        accident_costs_fen: 0,
        causes: vec![causes],
        needs: Some("助学、医疗".to_owned()),
        migrant_worker: i.is_multiple_of(5),
        // A migrant worker's household qualifies after a year of employment on record.
        employment_started_on: (i.is_multiple_of(5))
            .then(|| today.checked_sub_months(Months::new(36)))
            .flatten(),
        long_term_assistance: false,
        members,
        category_override: None,
        first_visit: Visit {
            visited_on: today,
            findings: "入户走访：家中一人患慢性病".to_owned(),
        },
    }
}

/// A special wage agreement signed two months ago for three years.
fn agreement(
    e: usize,
    enterprise: uuid::Uuid,
    org: uuid::Uuid,
    today: NaiveDate,
) -> (NewAgreement, Option<agreements::Signed>) {
    let signed = today.checked_sub_months(Months::new(2)).unwrap_or(today);
    let to = signed
        .checked_add_months(Months::new(36))
        .and_then(|d| d.pred_opt())
        .unwrap_or(signed);
    let new = NewAgreement {
        org_id: org,
        title: format!("第{}企业工资专项集体合同", e + 1),
        scope: AgreementScope::Enterprise,
        mode: NegotiationMode::SingleEnterprise,
        text_type: TextType::WageSpecial,
        industry: None,
        enterprise_ids: vec![enterprise],
    };
    let terms = Terms {
        signed_on: signed,
        effective_from: signed,
        effective_to: to,
        wage_rise_bp: 300 + i32::try_from(e % 5).unwrap_or(0) * 50,
        minimum_wage_fen: 260_000,
        workers_covered: 50,
    };
    (new, Some((terms, None)))
}

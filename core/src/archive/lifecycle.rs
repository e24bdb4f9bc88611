//! The archive's operations. Each one reads the archive in its unit of work, checks the state it
//! may act on and the version the principal read, writes the versioned change with the rows it
//! causes (a visit, members), and records its audit event, all in one commit.

use chrono::{Months, NaiveDate};
use entity::{beneficiaries, beneficiary_visits, household_members};
use sea_orm::sea_query::Expr;
use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    UpdateMany,
};
use serde_json::json;
use uuid::Uuid;

use super::assess::{Placement, household_size, place, standard_for};
use super::{
    ArchiveChanges, ArchiveStatus, CancelReason, FollowUp, LiftOutReason, NewArchive, Verification,
    members, queries, store_causes,
};
use crate::CoreError;
use crate::audit::Event;
use crate::context::Context;
use crate::domain::eligibility::Household;
use crate::pii::PiiField;
use crate::registry::workers::RevealField;
use crate::registry::{orgs, workers};
use crate::uow::Work;
use crate::versioning;

fn a_year_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(12)).unwrap_or(day)
}

/// A visit row by the acting principal.
fn visit(
    ctx: &Context<'_>,
    archive: Uuid,
    kind: &str,
    on: NaiveDate,
    findings: String,
    result: Option<&str>,
    channel: Option<&str>,
) -> beneficiary_visits::ActiveModel {
    let actor = ctx.actor();
    beneficiary_visits::ActiveModel {
        id: Set(Uuid::now_v7()),
        beneficiary_id: Set(archive),
        kind: Set(kind.to_owned()),
        visited_on: Set(on),
        visitor_id: Set(actor.id.unwrap_or_default()),
        visitor_name: Set(actor.name.clone().unwrap_or_default()),
        channel: Set(channel.map(str::to_owned)),
        findings: Set(findings),
        result: Set(result.map(str::to_owned)),
        created_at: Set(ctx.clock.now()),
    }
}

/// "Already has a live archive" (or one that was lifted out), told the way the one-person rule
/// tells it: the id only when the principal may see that archive.
async fn existing_archive(ctx: &Context<'_>, work: &Work<'_>, head: Uuid) -> Result<(), CoreError> {
    use beneficiaries::Column as B;
    let live = beneficiaries::Entity::find()
        .filter(B::LiveHeadWorkerId.eq(head))
        .one(work.conn())
        .await?;
    let (found, detail) = match live {
        Some(live) => (live, "this worker already heads a live archive"),
        None => match beneficiaries::Entity::find()
            .filter(B::HeadWorkerId.eq(head))
            .filter(B::Status.eq(ArchiveStatus::LiftedOut.as_str()))
            .one(work.conn())
            .await?
        {
            // A household that fell back is reopened, not archived twice.
            Some(previous) => (
                previous,
                "this worker's household was lifted out; reopen that archive instead",
            ),
            None => return Ok(()),
        },
    };
    let visible = queries::find(work.conn(), ctx.scope(), found.id)
        .await?
        .is_some();
    Err(CoreError::Duplicate {
        detail: detail.to_owned(),
        existing_id: visible.then_some(found.id),
    })
}

/// Create one temporary archive (from the API or an import): scope, the living standard,
/// eligibility, the one-live-archive rule, members' personal data protected; the archive, its
/// members, the first visit and the audit event in one unit of work.
pub async fn register(
    ctx: &Context<'_>,
    new: NewArchive,
    via: &str,
) -> Result<beneficiaries::Model, CoreError> {
    ctx.require(super::WRITE).await?;
    let work = ctx.begin().await?;
    let archive = register_in(ctx, &work, new, via).await?;
    work.commit().await?;
    Ok(archive)
}

/// [`register`] inside a unit of work the caller holds, its permission already checked (a sync
/// push registers many in one).
pub async fn register_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    mut new: NewArchive,
    via: &str,
) -> Result<beneficiaries::Model, CoreError> {
    let today = ctx.clock.today();
    let id = Uuid::now_v7();
    let member_rows = members::new_rows(ctx.pii, today, std::mem::take(&mut new.members), id)?;
    let household = household(&new)?;
    let org = orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let head = workers::find(work.conn(), ctx.scope(), new.head_worker_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let standard = standard_for(work.conn(), &org, today).await?;
    let placed = place(&household, standard, today, new.category_override.clone())?;
    existing_archive(ctx, work, head.id).await?;

    let row = new_row(ctx, id, &new, org.id, head.id, &placed);
    let archive = beneficiaries::Entity::insert(row.into_active_model())
        .exec_with_returning(work.conn())
        .await
        .map_err(|e| match CoreError::from(e) {
            // Another archive for the same head committed between the check and this insert.
            CoreError::Duplicate { .. } => CoreError::Duplicate {
                detail: "this worker already heads a live archive".into(),
                existing_id: None,
            },
            other => other,
        })?;
    queries::write_causes(work.conn(), id, &new.causes).await?;
    if !member_rows.is_empty() {
        household_members::Entity::insert_many(member_rows)
            .exec_without_returning(work.conn())
            .await?;
    }
    insert_visit(work, first_visit(ctx, id, new.first_visit)).await?;
    work.record(created(&archive, &placed, via)).await?;
    Ok(archive)
}

/// A new archive's row, `temporary`, placed in its category.
fn new_row(
    ctx: &Context<'_>,
    id: Uuid,
    new: &NewArchive,
    org: Uuid,
    head: Uuid,
    placed: &Placement,
) -> beneficiaries::Model {
    let now = ctx.clock.now();
    beneficiaries::Model {
        id,
        org_id: org,
        head_worker_id: head,
        live_head_worker_id: Some(head),
        status: ArchiveStatus::Temporary.as_str().to_owned(),
        category: placed.category.as_str().to_owned(),
        computed_category: placed.computed.as_str().to_owned(),
        eligibility_rule: placed.assessment.rule.clone(),
        override_reason: placed.override_reason.clone(),
        causes: store_causes(&new.causes),
        needs: new.needs.clone(),
        household_size: new.household_size,
        annual_income_fen: new.annual_income_fen,
        rigid_expenses_fen: new.rigid_expenses_fen,
        accident_costs_fen: new.accident_costs_fen,
        per_capita_monthly_fen: placed.assessment.per_capita_monthly_fen,
        migrant_worker: new.migrant_worker,
        employment_started_on: new.employment_started_on,
        long_term_assistance: new.long_term_assistance,
        created_by: ctx.actor().id.unwrap_or_default(),
        last_verified_on: None,
        reverify_due_on: None,
        closed_reason: None,
        closed_note: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn first_visit(
    ctx: &Context<'_>,
    archive: Uuid,
    first: super::Visit,
) -> beneficiary_visits::ActiveModel {
    visit(
        ctx,
        archive,
        "first",
        first.visited_on,
        first.findings,
        None,
        None,
    )
}

fn created(archive: &beneficiaries::Model, placed: &Placement, via: &str) -> Event {
    let changes = json!({ "category": placed.category, "computed_category": placed.computed,
                          "override_reason": placed.override_reason,
                          "household_size": archive.household_size,
                          "head_worker_id": archive.head_worker_id, "via": via });
    Event::new("beneficiary.create")
        .on("beneficiary", archive.id)
        .changes(changes)
}

/// Register many archives in `work` with a handful of statements however many they are: the
/// checks of [`register_in`] made for all at once (one query each for the organisations, the
/// heads, and the archives the heads already have; the living standard once per organisation),
/// then the archives, their causes, members, first visits, audit events and change-log entries
/// in multi-row statements. One the batch cannot take as it is — refused by any check, or a
/// head already met in the batch — is `None`, for the caller to give [`register_in`], which
/// registers or refuses it with its exact reason. Run it in a savepoint: should a concurrent
/// registration win a race these checks could not see, an insert fails (one live archive per
/// head is a unique index), and the caller registers each alone instead.
pub async fn register_many_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    news: Vec<NewArchive>,
    via: &str,
) -> Result<Vec<Option<beneficiaries::Model>>, CoreError> {
    use beneficiaries::Column as B;
    let today = ctx.clock.today();
    let org_ids: HashSet<Uuid> = news.iter().map(|n| n.org_id).collect();
    let head_ids: Vec<Uuid> = news.iter().map(|n| n.head_worker_id).collect();
    let mut orgs_in = HashMap::new();
    for chunk in org_ids.into_iter().collect::<Vec<_>>().chunks(500) {
        let found = ctx
            .scope()
            .orgs()
            .filter(entity::orgs::Column::Id.is_in(chunk.iter().copied()))
            .all(work.conn())
            .await?;
        orgs_in.extend(found.into_iter().map(|o| (o.id, o)));
    }
    let mut heads_in = HashSet::new();
    // A head with an archive (live, or lifted out and to be reopened) goes alone, to be told so.
    let mut taken = HashSet::new();
    for chunk in head_ids.chunks(500) {
        let found: Vec<Uuid> = workers::scoped(ctx.scope())
            .select_only()
            .column(entity::workers::Column::Id)
            .filter(entity::workers::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(work.conn())
            .await?;
        heads_in.extend(found);
        // Two queries, each on its own index: as one `OR`, PostgreSQL scanned the table
        // (0.5 s a batch at 50,000 archives).
        let live: Vec<Uuid> = beneficiaries::Entity::find()
            .select_only()
            .column(B::HeadWorkerId)
            .filter(B::LiveHeadWorkerId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(work.conn())
            .await?;
        let lifted: Vec<Uuid> = beneficiaries::Entity::find()
            .select_only()
            .column(B::HeadWorkerId)
            .filter(B::HeadWorkerId.is_in(chunk.iter().copied()))
            .filter(B::Status.eq(ArchiveStatus::LiftedOut.as_str()))
            .into_tuple()
            .all(work.conn())
            .await?;
        let archived = live.into_iter().chain(lifted);
        taken.extend(archived);
    }
    let mut standards: HashMap<Uuid, Option<i64>> = HashMap::new();
    let mut out = Vec::with_capacity(news.len());
    let (mut rows, mut causes, mut members, mut visits, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for mut new in news {
        let Some(org) = orgs_in.get(&new.org_id) else {
            out.push(None);
            continue;
        };
        let standard = match standards.get(&org.id) {
            Some(s) => *s,
            None => {
                let s = queries::living_standard(work.conn(), org, today.year()).await?;
                standards.insert(org.id, s);
                s
            }
        };
        let id = Uuid::now_v7();
        let household = household(&new);
        let prepared = standard
            .zip(household.ok())
            .and_then(|(standard, household)| {
                let placed =
                    place(&household, standard, today, new.category_override.clone()).ok()?;
                let members =
                    members::new_rows(ctx.pii, today, std::mem::take(&mut new.members), id).ok()?;
                Some((placed, members))
            });
        let head = new.head_worker_id;
        let Some((placed, member_rows)) =
            prepared.filter(|_| heads_in.contains(&head) && taken.insert(head))
        else {
            out.push(None);
            continue;
        };
        let row = new_row(ctx, id, &new, org.id, head, &placed);
        causes.extend(queries::cause_rows(id, &new.causes));
        members.extend(member_rows);
        visits.push(first_visit(ctx, id, new.first_visit));
        events.push((created(&row, &placed, via), row.org_id, row.version));
        rows.push(row.clone());
        out.push(Some(row));
    }
    work.insert_all(rows.into_iter().map(IntoActiveModel::into_active_model))
        .await?;
    work.insert_all(causes).await?;
    work.insert_all(members).await?;
    work.insert_all(visits).await?;
    crate::audit::record_created(work.conn(), work.actor(), events).await?;
    Ok(out)
}

/// The household an archive is assessed on.
fn household(new: &NewArchive) -> Result<Household, CoreError> {
    Ok(Household {
        size: household_size(new.household_size)?,
        annual_income_fen: new.annual_income_fen,
        rigid_expenses_fen: new.rigid_expenses_fen,
        accident_costs_fen: new.accident_costs_fen,
        migrant_worker: new.migrant_worker,
        employment_started_on: new.employment_started_on,
    })
}

/// The start of every archive operation: its permission, a unit of work, and the archive of
/// the principal's scope read in it, at the version the principal read, in one of the `allowed`
/// states (a conflict naming `what` cannot happen otherwise).
async fn open<'c>(
    ctx: &'c Context<'_>,
    permission: crate::access::Permission,
    id: Uuid,
    expected_version: Option<i32>,
    allowed: &[ArchiveStatus],
    what: &str,
) -> Result<(Work<'c>, beneficiaries::Model), CoreError> {
    ctx.require(permission).await?;
    let work = ctx.begin().await?;
    let b = open_in(ctx, &work, id, expected_version, allowed, what).await?;
    Ok((work, b))
}

/// [`open`] in a unit of work the caller holds.
async fn open_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    allowed: &[ArchiveStatus],
    what: &str,
) -> Result<beneficiaries::Model, CoreError> {
    let b = queries::find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, b.version)?;
    if !allowed.iter().any(|s| s.as_str() == b.status) {
        return Err(CoreError::conflict(format!(
            "an archive that is {} cannot be {what}",
            b.status
        )));
    }
    Ok(b)
}

/// The end of every archive operation: the versioned change (`Stale` if the archive moved on,
/// which rolls back whatever the operation wrote before it), the audit event, the commit.
async fn finish(
    work: Work<'_>,
    id: Uuid,
    change: UpdateMany<beneficiaries::Entity>,
    expected_version: Option<i32>,
    event: Event,
) -> Result<beneficiaries::Model, CoreError> {
    let archive = versioning::save_work(&work, change, id, expected_version, event).await?;
    work.commit().await?;
    Ok(archive)
}

async fn insert_visit(
    work: &Work<'_>,
    visit: beneficiary_visits::ActiveModel,
) -> Result<(), CoreError> {
    beneficiary_visits::Entity::insert(visit)
        .exec_without_returning(work.conn())
        .await?;
    Ok(())
}

/// Correct a `temporary` or `formal` archive: the household figures and members, with the
/// category assessed again for the current year.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    u: ArchiveChanges,
) -> Result<beneficiaries::Model, CoreError> {
    ctx.require(super::WRITE).await?;
    let work = ctx.begin().await?;
    let archive = update_in(ctx, &work, id, expected_version, u).await?;
    work.commit().await?;
    Ok(archive)
}

/// [`update`] inside a unit of work the caller holds, its permission already checked.
pub async fn update_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    u: ArchiveChanges,
) -> Result<beneficiaries::Model, CoreError> {
    use beneficiaries::Column as B;
    let today = ctx.clock.today();
    let allowed = [ArchiveStatus::Temporary, ArchiveStatus::Formal];
    let b = open_in(ctx, work, id, expected_version, &allowed, "corrected").await?;
    let org = orgs::find(work.conn(), ctx.scope(), b.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let standard = standard_for(work.conn(), &org, today).await?;
    let household = Household {
        size: household_size(u.household_size.unwrap_or(b.household_size))?,
        annual_income_fen: u.annual_income_fen.unwrap_or(b.annual_income_fen),
        rigid_expenses_fen: u.rigid_expenses_fen.unwrap_or(b.rigid_expenses_fen),
        accident_costs_fen: u.accident_costs_fen.unwrap_or(b.accident_costs_fen),
        migrant_worker: u.migrant_worker.unwrap_or(b.migrant_worker),
        employment_started_on: u.employment_started_on.or(b.employment_started_on),
    };
    let placed = place(&household, standard, today, u.category_override)?;
    let size = i32::try_from(household.size)
        .map_err(|_| CoreError::field("household_size", "range", "is too large"))?;
    let mut change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now())
        .col_expr(B::HouseholdSize, Expr::value(size))
        .col_expr(B::AnnualIncomeFen, Expr::value(household.annual_income_fen))
        .col_expr(
            B::RigidExpensesFen,
            Expr::value(household.rigid_expenses_fen),
        )
        .col_expr(
            B::AccidentCostsFen,
            Expr::value(household.accident_costs_fen),
        )
        .col_expr(B::MigrantWorker, Expr::value(household.migrant_worker))
        .col_expr(
            B::EmploymentStartedOn,
            Expr::value(household.employment_started_on),
        )
        .col_expr(
            B::PerCapitaMonthlyFen,
            Expr::value(placed.assessment.per_capita_monthly_fen),
        )
        .col_expr(B::Category, Expr::value(placed.category.as_str()))
        .col_expr(B::ComputedCategory, Expr::value(placed.computed.as_str()))
        .col_expr(
            B::EligibilityRule,
            Expr::value(placed.assessment.rule.clone()),
        )
        .col_expr(
            B::OverrideReason,
            Expr::value(placed.override_reason.clone()),
        );
    if let Some(causes) = &u.causes {
        change = change.col_expr(B::Causes, Expr::value(store_causes(causes)));
    }
    if let Some(needs) = &u.needs {
        change = change.col_expr(B::Needs, Expr::value(needs.clone()));
    }
    if let Some(long_term) = u.long_term_assistance {
        change = change.col_expr(B::LongTermAssistance, Expr::value(long_term));
    }
    if let Some(causes) = &u.causes {
        queries::write_causes(work.conn(), b.id, causes).await?;
    }
    let members = match u.members {
        Some(wanted) => Some(members::replace(work.conn(), ctx.pii, today, b.id, wanted).await?),
        None => None,
    };
    let changes = json!({ "from_category": b.category, "category": placed.category,
                          "computed_category": placed.computed, "override_reason": placed.override_reason,
                          "per_capita_monthly_fen": placed.assessment.per_capita_monthly_fen,
                          "members": members });
    let event = Event::new("beneficiary.update")
        .on("beneficiary", b.id)
        .changes(changes);
    versioning::save_work(work, change, b.id, expected_version, event).await
}

/// Verify a `temporary` archive (入户核实): recorded by a staff member other than its creator
/// (four eyes). Confirmed → `formal`, due for re-verification a year after the visit; not
/// confirmed → stays `temporary`.
pub async fn verify(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    v: Verification,
) -> Result<beneficiaries::Model, CoreError> {
    use beneficiaries::Column as B;
    let allowed = [ArchiveStatus::Temporary];
    let (work, b) = open(
        ctx,
        super::VERIFY,
        id,
        expected_version,
        &allowed,
        "verified",
    )
    .await?;
    let actor = ctx.actor();
    if actor.kind != "user" || actor.id == Some(b.created_by) {
        return Err(CoreError::Forbidden(
            "the verification visit must be recorded by a staff member other than the archive's creator".into(),
        ));
    }
    let mut change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now());
    if v.confirmed {
        change = change
            .col_expr(B::Status, Expr::value(ArchiveStatus::Formal.as_str()))
            .col_expr(B::LastVerifiedOn, Expr::value(v.visited_on))
            .col_expr(B::ReverifyDueOn, Expr::value(a_year_after(v.visited_on)));
    }
    record_verification(
        ctx,
        work,
        b.id,
        expected_version,
        change,
        v,
        ("beneficiary.verify", "verification"),
    )
    .await
}

/// Re-verify a `formal` archive: its yearly visit moves the due date a year past the visit.
pub async fn reverify(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    v: Verification,
) -> Result<beneficiaries::Model, CoreError> {
    use beneficiaries::Column as B;
    let allowed = [ArchiveStatus::Formal];
    let (work, b) = open(
        ctx,
        super::VERIFY,
        id,
        expected_version,
        &allowed,
        "re-verified",
    )
    .await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now())
        .col_expr(B::LastVerifiedOn, Expr::value(v.visited_on))
        .col_expr(B::ReverifyDueOn, Expr::value(a_year_after(v.visited_on)));
    let action = "beneficiary.reverify";
    record_verification(
        ctx,
        work,
        b.id,
        expected_version,
        change,
        v,
        (action, "reverification"),
    )
    .await
}

/// The end of a (re-)verification: the visit with its result, the change, the event.
async fn record_verification(
    ctx: &Context<'_>,
    work: Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    change: UpdateMany<beneficiaries::Entity>,
    v: Verification,
    (action, kind): (&'static str, &str),
) -> Result<beneficiaries::Model, CoreError> {
    let result = if v.confirmed {
        "confirmed"
    } else {
        "not_confirmed"
    };
    let event = Event::new(action)
        .on("beneficiary", id)
        .changes(json!({ "visited_on": v.visited_on, "result": result }));
    let recorded = visit(ctx, id, kind, v.visited_on, v.findings, Some(result), None);
    insert_visit(&work, recorded).await?;
    finish(work, id, change, expected_version, event).await
}

/// Close an archive (lifted out or cancelled): it is no longer its head's live archive.
async fn close(
    ctx: &Context<'_>,
    work: Work<'_>,
    b: &beneficiaries::Model,
    expected_version: Option<i32>,
    (to, action): (ArchiveStatus, &'static str),
    reason: &str,
    note: Option<String>,
) -> Result<beneficiaries::Model, CoreError> {
    use beneficiaries::Column as B;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now())
        .col_expr(B::Status, Expr::value(to.as_str()))
        .col_expr(B::LiveHeadWorkerId, Expr::value(Option::<Uuid>::None))
        .col_expr(B::ClosedReason, Expr::value(reason))
        .col_expr(B::ClosedNote, Expr::value(note));
    let event = Event::new(action)
        .on("beneficiary", b.id)
        .changes(json!({ "reason": reason }));
    finish(work, b.id, change, expected_version, event).await
}

/// Lift a household out of hardship (解困脱困): `formal` → `lifted_out`.
pub async fn lift_out(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: LiftOutReason,
    note: Option<String>,
) -> Result<beneficiaries::Model, CoreError> {
    let allowed = [ArchiveStatus::Formal];
    let (work, b) = open(
        ctx,
        super::WRITE,
        id,
        expected_version,
        &allowed,
        "lifted out",
    )
    .await?;
    let (to, action) = (ArchiveStatus::LiftedOut, "beneficiary.lift_out");
    close(
        ctx,
        work,
        &b,
        expected_version,
        (to, action),
        reason.as_str(),
        note,
    )
    .await
}

/// Cancel an archive (销档): from any live or lifted-out state.
pub async fn cancel(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: CancelReason,
    note: Option<String>,
) -> Result<beneficiaries::Model, CoreError> {
    let allowed = [
        ArchiveStatus::Temporary,
        ArchiveStatus::Formal,
        ArchiveStatus::LiftedOut,
    ];
    let (work, b) = open(
        ctx,
        super::WRITE,
        id,
        expected_version,
        &allowed,
        "cancelled",
    )
    .await?;
    let (to, action) = (ArchiveStatus::Cancelled, "beneficiary.cancel");
    close(
        ctx,
        work,
        &b,
        expected_version,
        (to, action),
        reason.as_str(),
        note,
    )
    .await
}

/// Record a follow-up contact with a lifted-out household.
pub async fn follow_up(
    ctx: &Context<'_>,
    id: Uuid,
    f: FollowUp,
) -> Result<beneficiaries::Model, CoreError> {
    let allowed = [ArchiveStatus::LiftedOut];
    let (work, b) = open(ctx, super::WRITE, id, None, &allowed, "followed up").await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now());
    let event = Event::new("beneficiary.follow_up")
        .on("beneficiary", b.id)
        .changes(json!({ "contacted_on": f.contacted_on, "channel": f.channel }));
    let channel = Some(f.channel.as_str());
    let recorded = visit(
        ctx,
        b.id,
        "follow_up",
        f.contacted_on,
        f.outcome,
        None,
        channel,
    );
    insert_visit(&work, recorded).await?;
    finish(work, b.id, change, None, event).await
}

/// Reopen a lifted-out household that fell back (返困): `lifted_out` → `formal`, due for
/// re-verification now. The unique index on the live head refuses it (409) if the head
/// meanwhile heads another live archive.
pub async fn reopen(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    note: String,
) -> Result<beneficiaries::Model, CoreError> {
    use beneficiaries::Column as B;
    let allowed = [ArchiveStatus::LiftedOut];
    let (work, b) = open(
        ctx,
        super::WRITE,
        id,
        expected_version,
        &allowed,
        "reopened",
    )
    .await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, ctx.clock.now())
        .col_expr(B::Status, Expr::value(ArchiveStatus::Formal.as_str()))
        .col_expr(B::LiveHeadWorkerId, Expr::value(Some(b.head_worker_id)))
        .col_expr(B::ReverifyDueOn, Expr::value(ctx.clock.today()))
        .col_expr(B::ClosedReason, Expr::value(Option::<String>::None))
        .col_expr(B::ClosedNote, Expr::value(Option::<String>::None));
    let event = Event::new("beneficiary.reopen")
        .on("beneficiary", b.id)
        .changes(json!({ "note": note }));
    finish(work, b.id, change, expected_version, event).await
}

/// Reveal a household member's ID number (only that field is kept for members): needs
/// `pii.reveal` and a reason, and is audited with the reason, never the value.
pub async fn reveal_member(
    ctx: &Context<'_>,
    archive_id: Uuid,
    member_id: Uuid,
    fields: &[RevealField],
    reason: &str,
) -> Result<(Uuid, Option<String>), CoreError> {
    ctx.require(super::REVEAL).await?;
    if fields.contains(&RevealField::Phone) {
        return Err(CoreError::field(
            "fields",
            "not_recorded",
            "household members have no phone on record; only `id_number` can be revealed",
        ));
    }
    let archive = queries::find(ctx.db, ctx.scope(), archive_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let member = household_members::Entity::find_by_id(member_id)
        .filter(household_members::Column::BeneficiaryId.eq(archive.id))
        .one(ctx.db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let id_number = member
        .id_number_enc
        .as_deref()
        .map(|enc| ctx.pii.decrypt(PiiField::IdNumber, enc))
        .transpose()?;
    let work = ctx.begin().await?;
    work.record(
        Event::new("beneficiary.member_reveal")
            .on("household_member", member.id)
            .changes(json!({ "beneficiary_id": archive.id, "fields": fields, "reason": reason })),
    )
    .await?;
    work.commit().await?;
    Ok((member.id, id_number))
}

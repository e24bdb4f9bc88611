//! Grants (受助名单): one recipient in one campaign, from the hardship archive to an approved
//! recipient — "摸底排查 … 逐一入户走访核实 … 公示 … 审批", open, fair, just, and no one aided
//! twice.
//!
//! `submitted` → `verified` (the home visit, by someone other than the submitter) → `on_notice`
//! (a public notice of at least the campaign's notice days) → `approved` (after the notice has
//! ended, by someone who neither submitted nor verified it; commits the amount and one of the
//! quota in the campaign's ledger) — or `rejected` (with a reason; an approved grant's
//! commitment is released) or `withdrawn` before approval. Each step is an operation with its
//! permission, its scope, the version the principal read, and its audit event; the state is
//! checked in the `UPDATE` itself.
//!
//! One grant per person per campaign is a unique index on the person's key (the blind index of
//! the ID number), so two requests for the same person, or one person registered under two
//! records in two counties, end in one grant. A person aided by another campaign of the same
//! kind and year, at any level of the tree, is refused unless the rule allows top-ups, and then
//! flagged; the flag tells nothing of the other campaign's records.

pub mod bulk;
pub mod eligibility;
pub mod notices;
pub mod objections;
pub mod queries;

use chrono::NaiveDate;
use entity::{beneficiaries, campaigns as campaign_rows, grants, household_members, workers};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use self::eligibility::Facts;
use crate::access::Permission;
use crate::archive::{self, ArchiveStatus, Category, Stage};
use crate::audit::Event;
use crate::campaigns::{self, CampaignStatus, money};
use crate::context::Context;
use crate::enums::string_enum;
use crate::pii::mask;
use crate::registry::RECORD_ACTIVE;
use crate::registry::workers::{self as registry_workers, parse_honours};
use crate::uow::Work;
use crate::versioning;
use crate::{CoreError, FieldError};

/// What these operations need, declared once.
pub const READ: Permission = Permission::GrantsRead;
pub const WRITE: Permission = Permission::GrantsWrite;
pub const VERIFY: Permission = Permission::GrantsVerify;
pub const APPROVE: Permission = Permission::GrantsApprove;

string_enum!(
    /// Where a grant is in its workflow.
    GrantStatus {
        /// Submitted (已申报), waiting for the home visit.
        Submitted = "submitted",
        /// Verified by a home visit (已核实).
        Verified = "verified",
        /// On public notice (公示中).
        OnNotice = "on_notice",
        /// Approved (已审批): the amount is committed in the campaign's ledger.
        Approved = "approved",
        /// Rejected (未通过), with a reason.
        Rejected = "rejected",
        /// Withdrawn before approval (已撤回).
        Withdrawn = "withdrawn",
    }
);

string_enum!(
    /// Who receives a grant.
    RecipientKind {
        /// The head of a hardship archive (困难职工档案户主).
        ArchiveHead = "archive_head",
        /// A household member at school (在校学生); the archive is the parent's.
        Student = "student",
        /// A worker of the registry (在册职工).
        Worker = "worker",
    }
);

/// Whose grant it is.
#[derive(Debug, Clone, Copy)]
pub enum RecipientRef {
    ArchiveHead(Uuid),
    Student(Uuid),
    Worker(Uuid),
}

/// A grant to submit.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub campaign_id: Uuid,
    pub recipient: RecipientRef,
    /// Only where the rule leaves the amount open (a range); otherwise the rule's.
    pub amount_fen: Option<i64>,
}

/// The home visit that verifies a grant (入户走访核实).
#[derive(Debug, Clone)]
pub struct Visit {
    pub visited_on: NaiveDate,
    pub findings: String,
}

/// What a recipient is, read in the scope: the facts the rule looks at and what a grant keeps.
pub(crate) struct Recipient {
    pub(crate) kind: RecipientKind,
    pub(crate) org_id: Uuid,
    pub(crate) beneficiary_id: Option<Uuid>,
    pub(crate) member_id: Option<Uuid>,
    pub(crate) worker_id: Option<Uuid>,
    pub(crate) person_key: String,
    pub(crate) name: String,
    pub(crate) id_number_public: Option<String>,
    pub(crate) category: Option<Category>,
    pub(crate) stage: Option<Stage>,
    pub(crate) school: Option<String>,
    pub(crate) facts: Facts,
}

/// What a new grant is decided with.
pub(crate) struct Decided {
    pub(crate) campaign_id: Uuid,
    pub(crate) amount_fen: i64,
    pub(crate) basis: String,
    pub(crate) aided_elsewhere: bool,
    pub(crate) submitted_by: Uuid,
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

impl Recipient {
    /// The record the recipient was named by: the archive, the household member or the worker.
    pub(crate) fn source_id(&self) -> Uuid {
        match self.kind {
            RecipientKind::ArchiveHead => self.beneficiary_id,
            RecipientKind::Student => self.member_id,
            RecipientKind::Worker => self.worker_id,
        }
        .unwrap_or_default()
    }

    /// The new grant's row, `submitted`: one place for a single submission and a worklist.
    pub(crate) fn into_row(self, d: Decided) -> grants::ActiveModel {
        grants::ActiveModel {
            id: Set(Uuid::now_v7()),
            campaign_id: Set(d.campaign_id),
            org_id: Set(self.org_id),
            recipient: Set(self.kind.as_str().to_owned()),
            beneficiary_id: Set(self.beneficiary_id),
            member_id: Set(self.member_id),
            worker_id: Set(self.worker_id),
            person_key: Set(self.person_key),
            name: Set(self.name),
            id_number_public: Set(self.id_number_public),
            category: Set(self.category.map(|c| c.as_str().to_owned())),
            stage: Set(self.stage.map(|s| s.as_str().to_owned())),
            school: Set(self.school),
            amount_fen: Set(d.amount_fen),
            basis: Set(d.basis),
            aided_elsewhere: Set(d.aided_elsewhere),
            status: Set(GrantStatus::Submitted.as_str().to_owned()),
            notice_id: Set(None),
            submitted_by: Set(d.submitted_by),
            verified_by: Set(None),
            verified_on: Set(None),
            visit_findings: Set(None),
            approved_by: Set(None),
            approved_at: Set(None),
            reason: Set(None),
            created_at: Set(d.at),
            updated_at: Set(d.at),
            version: Set(1),
        }
    }
}

fn archive_facts(archive: &beneficiaries::Model) -> Result<(ArchiveStatus, Category), CoreError> {
    let status = ArchiveStatus::parse(&archive.status)
        .ok_or_else(|| CoreError::Internal("an archive has an unknown status".into()))?;
    let category = Category::parse(&archive.category)
        .ok_or_else(|| CoreError::Internal("an archive has an unknown category".into()))?;
    Ok((status, category))
}

async fn recipient(
    ctx: &Context<'_>,
    work: &Work<'_>,
    which: RecipientRef,
) -> Result<Recipient, CoreError> {
    let conn = work.conn();
    let scope = ctx.scope();
    match which {
        RecipientRef::ArchiveHead(id) => {
            let archive = archive::queries::find(conn, scope, id)
                .await?
                .ok_or(CoreError::NotFound)?;
            let head = workers::Entity::find_by_id(archive.head_worker_id)
                .one(conn)
                .await?
                .ok_or(CoreError::NotFound)?;
            let (status, category) = archive_facts(&archive)?;
            Ok(Recipient {
                kind: RecipientKind::ArchiveHead,
                org_id: archive.org_id,
                beneficiary_id: Some(archive.id),
                member_id: None,
                worker_id: Some(head.id),
                person_key: head.id_number_idx.clone(),
                name: head.name.clone(),
                id_number_public: Some(mask::id_number_public(&head.id_number_masked)),
                category: Some(category),
                stage: None,
                school: None,
                facts: Facts::ArchiveHead { status, category },
            })
        }
        RecipientRef::Student(id) => {
            let member = household_members::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or(CoreError::NotFound)?;
            let archive = archive::queries::find(conn, scope, member.beneficiary_id)
                .await?
                .ok_or(CoreError::NotFound)?;
            let (status, category) = archive_facts(&archive)?;
            let stage = member.stage.as_deref().and_then(Stage::parse);
            Ok(Recipient {
                kind: RecipientKind::Student,
                org_id: archive.org_id,
                beneficiary_id: Some(archive.id),
                member_id: Some(member.id),
                worker_id: None,
                person_key: member_key(&member),
                name: member.name.clone(),
                id_number_public: member
                    .id_number_masked
                    .as_deref()
                    .map(mask::id_number_public),
                category: Some(category),
                stage,
                school: member.school.clone(),
                facts: Facts::Student {
                    status,
                    category,
                    stage,
                    admission_year: member.admission_year,
                },
            })
        }
        RecipientRef::Worker(id) => {
            let worker = registry_workers::find(conn, scope, id)
                .await?
                .ok_or(CoreError::NotFound)?;
            Ok(Recipient {
                kind: RecipientKind::Worker,
                org_id: worker.org_id,
                beneficiary_id: None,
                member_id: None,
                worker_id: Some(worker.id),
                person_key: worker.id_number_idx.clone(),
                name: worker.name.clone(),
                id_number_public: Some(mask::id_number_public(&worker.id_number_masked)),
                category: None,
                stage: None,
                school: None,
                facts: Facts::Worker {
                    active: worker.status == RECORD_ACTIVE,
                    frontline: worker.frontline,
                    high_temperature: worker.high_temperature,
                    honours: parse_honours(&worker.honours),
                    enterprise_id: worker.enterprise_id,
                },
            })
        }
    }
}

/// The key a household member is one person by: the blind index of the ID number, or, for a
/// child without an ID number on record, the member record itself. Grants and bank cards use it
/// alike, so that a grant finds its payee's card.
pub(crate) fn member_key(member: &household_members::Model) -> String {
    member
        .id_number_idx
        .clone()
        .unwrap_or_else(|| format!("member:{}", member.id))
}

/// Has this person a live grant in another campaign of the same kind and year, at any level?
/// Deliberately unscoped: the rule spans every county; what comes back is a yes or no.
async fn aided_elsewhere(
    work: &Work<'_>,
    campaign: &campaign_rows::Model,
    person_key: &str,
) -> Result<bool, CoreError> {
    let same_kind = Query::select()
        .column(campaign_rows::Column::Id)
        .from(campaign_rows::Entity)
        .and_where(Expr::col(campaign_rows::Column::Kind).eq(campaign.kind.as_str()))
        .and_where(Expr::col(campaign_rows::Column::Year).eq(campaign.year))
        .and_where(Expr::col(campaign_rows::Column::Id).ne(campaign.id))
        .to_owned();
    let live = [
        GrantStatus::Rejected.as_str(),
        GrantStatus::Withdrawn.as_str(),
    ];
    let count = grants::Entity::find()
        .filter(grants::Column::PersonKey.eq(person_key))
        .filter(grants::Column::CampaignId.in_subquery(same_kind))
        .filter(grants::Column::Status.is_not_in(live))
        .count(work.conn())
        .await?;
    Ok(count > 0)
}

/// Submit a grant: the recipient read in the scope, admitted by the campaign's rule (the clause
/// is kept as the grant's basis), the amount the rule gives, the double-funding check, and the
/// one-per-person constraint — in one unit of work with its audit event.
pub async fn submit(ctx: &Context<'_>, new: NewGrant) -> Result<grants::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let campaign = campaigns::queries::find(work.conn(), ctx.scope(), new.campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if campaign.status != CampaignStatus::Open.as_str() {
        return Err(CoreError::conflict(format!(
            "grants are submitted while a campaign is open; this one is `{}`",
            campaign.status
        )));
    }
    let rule = campaigns::Campaign {
        campaign: campaign.clone(),
        fund_sources: Vec::new(),
    }
    .rule()?
    .ok_or_else(|| CoreError::Internal("an open campaign has no grant rule".into()))?;
    let r = recipient(ctx, &work, new.recipient).await?;
    let basis = eligibility::decide(&rule, &r.facts)
        .map_err(|why| CoreError::field("recipient", "not_eligible", why))?;
    let amount = eligibility::amount(&rule, &r.facts, new.amount_fen)
        .map_err(|e| CoreError::Validation(vec![e]))?;
    if let Some(existing) = grants::Entity::find()
        .filter(grants::Column::CampaignId.eq(campaign.id))
        .filter(grants::Column::PersonKey.eq(r.person_key.as_str()))
        .one(work.conn())
        .await?
    {
        let visible = queries::find(work.conn(), ctx.scope(), existing.id)
            .await?
            .is_some();
        return Err(CoreError::Duplicate {
            detail: "this person already has a grant in this campaign".into(),
            existing_id: visible.then_some(existing.id),
        });
    }
    let elsewhere = aided_elsewhere(&work, &campaign, &r.person_key).await?;
    if elsewhere && !rule.top_ups {
        return Err(CoreError::conflict(
            "this person has been aided by another campaign of the same kind and year; the rule allows no top-ups",
        ));
    }
    let row = r.into_row(Decided {
        campaign_id: campaign.id,
        amount_fen: amount,
        basis,
        aided_elsewhere: elsewhere,
        submitted_by: ctx.actor().id.unwrap_or_default(),
        at: ctx.clock.now(),
    });
    let g = grants::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    work.record(Event::new("grant.submit").on("grant", g.id).changes(json!({
        "campaign_id": g.campaign_id, "recipient": g.recipient, "amount_fen": g.amount_fen,
        "aided_elsewhere": g.aided_elsewhere,
    })))
    .await?;
    work.commit().await?;
    Ok(g)
}

/// The grant of the scope at the version read, in a state the step starts from.
async fn open(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    from: &[GrantStatus],
) -> Result<grants::Model, CoreError> {
    let g = queries::find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, g.version)?;
    if !from.iter().any(|s| s.as_str() == g.status) {
        return Err(CoreError::conflict(format!(
            "a grant that is `{}` cannot take this step (only from {})",
            g.status,
            from.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(g)
}

fn four_eyes(ctx: &Context<'_>, others: &[Option<Uuid>], what: &str) -> Result<(), CoreError> {
    let me = ctx.actor().id;
    if me.is_some() && others.contains(&me) {
        return Err(CoreError::Forbidden(format!(
            "four eyes: {what} must be someone else"
        )));
    }
    Ok(())
}

fn changed(
    g: &grants::Model,
    now: chrono::DateTime<chrono::Utc>,
    from: &str,
) -> sea_orm::UpdateMany<grants::Entity> {
    versioning::update::<grants::Entity>(g.id, g.version, now)
        .filter(grants::Column::Status.eq(from))
}

async fn finish(
    work: Work<'_>,
    change: sea_orm::UpdateMany<grants::Entity>,
    id: Uuid,
    expected_version: Option<i32>,
    event: Event,
) -> Result<grants::Model, CoreError> {
    let g = versioning::save_work(&work, change, id, expected_version, event).await?;
    work.commit().await?;
    Ok(g)
}

/// Record the home visit: `submitted` → `verified`, by someone other than the submitter.
pub async fn verify(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    visit: Visit,
) -> Result<grants::Model, CoreError> {
    ctx.require(VERIFY).await?;
    check_visit(ctx, &visit)?;
    let work = ctx.begin().await?;
    let g = verify_in(ctx, &work, id, expected_version, &visit).await?;
    work.commit().await?;
    Ok(g)
}

fn check_visit(ctx: &Context<'_>, visit: &Visit) -> Result<(), CoreError> {
    if visit.visited_on > ctx.clock.today() {
        return Err(CoreError::field(
            "visited_on",
            "in_future",
            "a visit is recorded after it happened",
        ));
    }
    Ok(())
}

async fn verify_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    visit: &Visit,
) -> Result<grants::Model, CoreError> {
    use grants::Column as G;
    let g = open(ctx, work, id, expected_version, &[GrantStatus::Submitted]).await?;
    four_eyes(
        ctx,
        &[Some(g.submitted_by)],
        "the visitor of a grant one submitted",
    )?;
    let change = changed(&g, ctx.clock.now(), GrantStatus::Submitted.as_str())
        .col_expr(G::Status, Expr::value(GrantStatus::Verified.as_str()))
        .col_expr(G::VerifiedBy, Expr::value(ctx.actor().id))
        .col_expr(G::VerifiedOn, Expr::value(visit.visited_on))
        .col_expr(G::VisitFindings, Expr::value(visit.findings.trim()));
    let event = Event::new("grant.verify")
        .on("grant", g.id)
        .changes(json!({ "visited_on": visit.visited_on }));
    versioning::save_work(work, change, g.id, expected_version, event).await
}

/// Approve: `on_notice` → `approved`, once its notice has ended with no objection open, by
/// someone who neither submitted nor verified it; the amount is committed in the ledger.
pub async fn approve(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<grants::Model, CoreError> {
    ctx.require(APPROVE).await?;
    let work = ctx.begin().await?;
    let g = approve_in(ctx, &work, id, expected_version).await?;
    work.commit().await?;
    Ok(g)
}

async fn approve_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<grants::Model, CoreError> {
    use grants::Column as G;
    let g = open(ctx, work, id, expected_version, &[GrantStatus::OnNotice]).await?;
    four_eyes(
        ctx,
        &[Some(g.submitted_by), g.verified_by],
        "the approver of a grant one submitted or verified",
    )?;
    let notice = match g.notice_id {
        Some(notice) => {
            entity::grant_notices::Entity::find_by_id(notice)
                .one(work.conn())
                .await?
        }
        None => None,
    }
    .ok_or_else(|| CoreError::Internal("a grant on notice has no notice".into()))?;
    if ctx.clock.today() <= notice.ends_on {
        return Err(CoreError::conflict(format!(
            "the public notice runs until {}: approve after it has ended",
            notice.ends_on
        )));
    }
    let open_objections = objections::open_count(work, g.id).await?;
    if open_objections > 0 {
        return Err(CoreError::conflict(format!(
            "{open_objections} objection(s) to this grant are still open: resolve them first"
        )));
    }
    money::commit(ctx, work, g.campaign_id, &g).await?;
    let now = ctx.clock.now();
    let change = changed(&g, now, GrantStatus::OnNotice.as_str())
        .col_expr(G::Status, Expr::value(GrantStatus::Approved.as_str()))
        .col_expr(G::ApprovedBy, Expr::value(ctx.actor().id))
        .col_expr(G::ApprovedAt, Expr::value(now));
    let event = Event::new("grant.approve")
        .on("grant", g.id)
        .changes(json!({ "amount_fen": g.amount_fen }));
    versioning::save_work(work, change, g.id, expected_version, event).await
}

/// Reject, with a reason: from any state before payment; an approved grant's commitment is
/// released.
pub async fn reject(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: String,
) -> Result<grants::Model, CoreError> {
    ctx.require(APPROVE).await?;
    let work = ctx.begin().await?;
    let g = reject_in(ctx, &work, id, expected_version, &reason).await?;
    work.commit().await?;
    Ok(g)
}

/// Reject inside a unit of work (also when an objection is upheld).
pub(crate) async fn reject_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: &str,
) -> Result<grants::Model, CoreError> {
    use grants::Column as G;
    let g = open(
        ctx,
        work,
        id,
        expected_version,
        &[
            GrantStatus::Submitted,
            GrantStatus::Verified,
            GrantStatus::OnNotice,
            GrantStatus::Approved,
        ],
    )
    .await?;
    if g.status == GrantStatus::Approved.as_str() {
        // Builders of the campaign's payout batches hold this lock while they take grants.
        crate::payouts::batches::lock_campaign(work, g.campaign_id).await?;
        money::release(ctx, work, g.campaign_id, g.id).await?;
    }
    let change = changed(&g, ctx.clock.now(), &g.status)
        .col_expr(G::Status, Expr::value(GrantStatus::Rejected.as_str()))
        .col_expr(G::Reason, Expr::value(reason.trim()));
    let event = Event::new("grant.reject")
        .on("grant", g.id)
        .changes(json!({ "from": g.status, "reason": reason.trim() }));
    let rejected = versioning::save_work(work, change, g.id, expected_version, event).await?;
    // Checked under the campaign's lock: a batch that took the grant first is seen here, and
    // one built later no longer finds it approved.
    if g.status == GrantStatus::Approved.as_str()
        && crate::payouts::batches::has_live_payout(work, g.id).await?
    {
        return Err(CoreError::conflict(
            "this grant is in a payout batch or has been paid: cancel the batch, or wait for \
             the bank to fail or return the payout, before rejecting it",
        ));
    }
    Ok(rejected)
}

/// Withdraw before approval (the applicant's side), with a reason.
pub async fn withdraw(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: String,
) -> Result<grants::Model, CoreError> {
    use grants::Column as G;
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let g = open(
        ctx,
        &work,
        id,
        expected_version,
        &[
            GrantStatus::Submitted,
            GrantStatus::Verified,
            GrantStatus::OnNotice,
        ],
    )
    .await?;
    let change = changed(&g, ctx.clock.now(), &g.status)
        .col_expr(G::Status, Expr::value(GrantStatus::Withdrawn.as_str()))
        .col_expr(G::Reason, Expr::value(reason.trim()));
    let event = Event::new("grant.withdraw")
        .on("grant", g.id)
        .changes(json!({ "from": g.status, "reason": reason.trim() }));
    finish(work, change, g.id, expected_version, event).await
}

/// Field errors for grant ids a bulk step could not take.
pub(crate) fn not_ready(index: usize, why: &str) -> FieldError {
    FieldError::new(format!("grant_ids[{index}]"), "not_ready", why)
}

/// A step taken on many grants at once.
#[derive(Debug, Clone)]
pub enum Step {
    Verify(Visit),
    Approve,
    Reject(String),
}

/// Grants a bulk step takes per unit of work.
const STEPS_PER_UNIT: usize = 100;

/// Take one step on each of `ids`, all-or-nothing per grant: a grant the step cannot take (wrong
/// state, four eyes, no money left) gets its error and the others go on. Each grant runs in its
/// own savepoint, a hundred to a unit of work, so that a thousand approvals cost ten commits
/// rather than a thousand. The permission is checked once, before any; a failure of the
/// database itself ends the whole request (the units already committed stay: taking the step
/// again answers "already taken" for those).
pub async fn each(
    ctx: &Context<'_>,
    ids: &[Uuid],
    step: &Step,
) -> Result<Vec<(Uuid, Result<grants::Model, CoreError>)>, CoreError> {
    ctx.require(match step {
        Step::Verify(_) => VERIFY,
        Step::Approve | Step::Reject(_) => APPROVE,
    })
    .await?;
    if let Step::Verify(visit) = step {
        check_visit(ctx, visit)?;
    }
    let mut results = Vec::with_capacity(ids.len());
    for unit in ids.chunks(STEPS_PER_UNIT) {
        let work = ctx.begin().await?;
        for id in unit {
            let one = work.savepoint().await?;
            let result = match step {
                Step::Verify(visit) => verify_in(ctx, &one, *id, None, visit).await,
                Step::Approve => approve_in(ctx, &one, *id, None).await,
                Step::Reject(reason) => reject_in(ctx, &one, *id, None, reason).await,
            };
            match result {
                Ok(g) => {
                    one.commit().await?;
                    results.push((*id, Ok(g)));
                }
                Err(e @ (CoreError::Database(_) | CoreError::Internal(_))) => return Err(e),
                Err(e) => {
                    one.rollback().await?;
                    results.push((*id, Err(e)));
                }
            }
        }
        work.commit().await?;
    }
    Ok(results)
}

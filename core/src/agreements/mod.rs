//! Collective wage agreements (工资集体协商): opening, negotiation rounds, signing, filing with
//! the labour bureau and termination. Every state change is an explicit operation, checked and
//! written in one unit of work, conditional on the version, and audited. The overlap rule (one
//! agreement of a text type in force per enterprise at a time) is checked under a lock on the
//! covered enterprises, so two signings cannot both pass it.

mod bulk;
pub mod compare;
pub mod coverage;
pub mod queries;

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{negotiation_rounds, wage_agreement_enterprises as links, wage_agreements};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

pub use bulk::{Signed, open_many_in};

use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::registry::{enterprises, orgs};
use crate::uow::Work;
use crate::versioning;
use crate::{CoreError, FieldError};

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::AgreementsWrite;
pub const READ: Permission = Permission::AgreementsRead;

string_enum!(
    /// Whom an agreement covers.
    AgreementScope {
        /// One enterprise (单个企业).
        Enterprise = "enterprise",
        /// An industry-wide agreement (行业性) covering the listed enterprises.
        Industry = "industry",
        /// A regional agreement (区域性), e.g. a township or an industrial park, covering the listed enterprises.
        Regional = "regional",
    }
);

string_enum!(
    /// How the agreement was negotiated (the "6 modes" of the "165" brand).
    NegotiationMode {
        /// The enterprise and its union negotiate on their own (企业单独协商).
        SingleEnterprise = "single_enterprise",
        /// Industry-wide negotiation (行业性协商).
        Industry = "industry",
        /// Regional negotiation (区域性协商).
        Regional = "regional",
        /// A higher-level union negotiates for an enterprise without the capacity (上级工会代行协商/上代下).
        Delegated = "delegated",
        /// Several enterprises negotiate jointly (联合协商).
        Joint = "joint",
        /// Negotiation conducted online (网上协商).
        Online = "online",
    }
);

string_enum!(
    /// The standard text the agreement follows (the "5 types of text").
    TextType {
        /// Special collective agreement on wages (工资专项集体合同).
        WageSpecial = "wage_special",
        /// Comprehensive collective contract (综合性集体合同).
        Comprehensive = "comprehensive",
        /// Special agreement on the protection of women workers' rights (女职工权益保护专项集体合同).
        WomenRights = "women_rights",
        /// Special agreement on labour safety and health (劳动安全卫生专项集体合同).
        LabourSafety = "labour_safety",
        /// Another special collective agreement (其他专项集体合同).
        Other = "other",
    }
);

string_enum!(
    /// Where an agreement is in its life: `negotiating` → `signed` → `filed` (备案) →
    /// `expired` (by date) or `terminated` (with a reason).
    AgreementStatus {
        /// Being negotiated (协商中).
        Negotiating = "negotiating",
        /// Signed (已签订), not yet filed.
        Signed = "signed",
        /// Filed with the labour bureau (已备案).
        Filed = "filed",
        /// Its term has ended (已到期); derived from `effective_to`.
        Expired = "expired",
        /// Ended early (已终止).
        Terminated = "terminated",
    }
);

/// The status as stored, with `expired` derived from the dates.
pub fn effective_status(a: &wage_agreements::Model, today: NaiveDate) -> AgreementStatus {
    let stored = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Negotiating);
    match stored {
        AgreementStatus::Signed | AgreementStatus::Filed
            if a.effective_to.is_some_and(|to| to < today) =>
        {
            AgreementStatus::Expired
        }
        other => other,
    }
}

/// An agreement to open.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAgreement {
    pub org_id: Uuid,
    pub title: String,
    pub scope: AgreementScope,
    pub mode: NegotiationMode,
    pub text_type: TextType,
    pub industry: Option<String>,
    pub enterprise_ids: Vec<Uuid>,
}

/// The term and figures an agreement is signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct Terms {
    pub signed_on: NaiveDate,
    pub effective_from: NaiveDate,
    pub effective_to: NaiveDate,
    pub wage_rise_bp: i32,
    pub minimum_wage_fen: i64,
    pub workers_covered: i32,
}

/// Filing with the labour bureau (备案).
#[derive(Clone, PartialEq, Eq)]
pub struct Filing {
    pub filed_on: NaiveDate,
    pub filing_number: String,
}

pub struct Round {
    pub held_on: NaiveDate,
    pub parties: String,
    pub outcome: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Termination {
    pub terminated_on: NaiveDate,
    pub reason: String,
}

/// An agreement of the scope, read inside `work` for a state change at the principal's version.
async fn current(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<wage_agreements::Model, CoreError> {
    let a = queries::find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, a.version)?;
    Ok(a)
}

/// Open an agreement (`negotiating`), or record one already signed (and filed) as an import
/// does: every rule of `sign` and `file` is checked in the unit of work that writes it, under
/// the covered enterprises' lock.
pub async fn open(
    ctx: &Context<'_>,
    new: NewAgreement,
    signed: Option<(Terms, Option<Filing>)>,
    via: &str,
) -> Result<wage_agreements::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let a = open_in(ctx, &work, new, signed, via).await?;
    work.commit().await?;
    Ok(a)
}

/// [`open`] inside a unit of work the caller holds, its permission already checked (a sync
/// push opens many in one).
pub async fn open_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    new: NewAgreement,
    signed: Option<(Terms, Option<Filing>)>,
    via: &str,
) -> Result<wage_agreements::Model, CoreError> {
    let ids = covered_ids(&new)?;
    let org = orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let visible = enterprises::scoped(ctx.scope())
        .filter(entity::enterprises::Column::Id.is_in(ids.clone()))
        .count(work.conn())
        .await?;
    if usize::try_from(visible).ok() != Some(ids.len()) {
        return Err(CoreError::NotFound);
    }
    let mut status = AgreementStatus::Negotiating;
    if let Some((terms, filing)) = &signed {
        queries::lock_enterprises(work.conn(), &ids).await?;
        check_terms(
            work.conn(),
            ctx.clock.today(),
            None,
            new.text_type.as_str(),
            &ids,
            terms,
        )
        .await?;
        status = AgreementStatus::Signed;
        if let Some(filing) = filing {
            check_filing(terms.signed_on, filing)?;
            status = AgreementStatus::Filed;
        }
    }
    let row = new_row(ctx, new, org.id, status, signed);
    let a = wage_agreements::Entity::insert(row.into_active_model())
        .exec_with_returning(work.conn())
        .await?;
    links::Entity::insert_many(link_rows(a.id, &ids))
        .exec_without_returning(work.conn())
        .await?;
    work.record(created(&a, ids.len(), via)).await?;
    Ok(a)
}

/// The enterprises an agreement covers, each once; exactly one for a single-enterprise one.
fn covered_ids(new: &NewAgreement) -> Result<Vec<Uuid>, CoreError> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = new
        .enterprise_ids
        .iter()
        .copied()
        .filter(|e| seen.insert(*e))
        .collect();
    if new.scope == AgreementScope::Enterprise && ids.len() != 1 {
        return Err(CoreError::field(
            "enterprise_ids",
            "one_enterprise",
            "a single-enterprise agreement covers exactly one enterprise",
        ));
    }
    Ok(ids)
}

/// A new agreement's row, in `status`, with the terms and filing it was recorded with.
fn new_row(
    ctx: &Context<'_>,
    new: NewAgreement,
    org: Uuid,
    status: AgreementStatus,
    signed: Option<(Terms, Option<Filing>)>,
) -> wage_agreements::Model {
    let (terms, filing) = match signed {
        Some((terms, filing)) => (Some(terms), filing),
        None => (None, None),
    };
    let now = ctx.clock.now();
    wage_agreements::Model {
        id: Uuid::now_v7(),
        org_id: org,
        title: new.title.trim().to_owned(),
        scope: new.scope.as_str().to_owned(),
        mode: new.mode.as_str().to_owned(),
        text_type: new.text_type.as_str().to_owned(),
        industry: new.industry,
        status: status.as_str().to_owned(),
        signed_on: terms.as_ref().map(|t| t.signed_on),
        effective_from: terms.as_ref().map(|t| t.effective_from),
        effective_to: terms.as_ref().map(|t| t.effective_to),
        wage_rise_bp: terms.as_ref().map(|t| t.wage_rise_bp),
        minimum_wage_fen: terms.as_ref().map(|t| t.minimum_wage_fen),
        workers_covered: terms.as_ref().map(|t| t.workers_covered),
        filed_on: filing.as_ref().map(|f| f.filed_on),
        filing_number: filing.map(|f| f.filing_number),
        terminated_on: None,
        termination_reason: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn link_rows(agreement: Uuid, enterprises: &[Uuid]) -> Vec<links::ActiveModel> {
    enterprises
        .iter()
        .map(|e| links::ActiveModel {
            agreement_id: Set(agreement),
            enterprise_id: Set(*e),
        })
        .collect()
}

fn created(a: &wage_agreements::Model, enterprises: usize, via: &str) -> Event {
    let changes = json!({ "title": a.title, "scope": a.scope, "mode": a.mode, "text_type": a.text_type, "status": a.status,
                          "effective_from": a.effective_from, "effective_to": a.effective_to, "enterprises": enterprises, "via": via });
    Event::new("wage_agreement.create")
        .on("wage_agreement", a.id)
        .changes(changes)
}

/// Record a negotiation round: only while the agreement is being negotiated.
pub async fn add_round(
    ctx: &Context<'_>,
    id: Uuid,
    round: Round,
) -> Result<wage_agreements::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let a = current(ctx, &work, id, None).await?;
    if a.status != AgreementStatus::Negotiating.as_str() {
        return Err(CoreError::conflict(
            "rounds are recorded while the agreement is being negotiated",
        ));
    }
    let held_on = round.held_on;
    let row = negotiation_rounds::ActiveModel {
        id: Set(Uuid::now_v7()),
        agreement_id: Set(a.id),
        held_on: Set(round.held_on),
        parties: Set(round.parties),
        outcome: Set(round.outcome),
        created_at: Set(ctx.clock.now()),
    };
    negotiation_rounds::Entity::insert(row)
        .exec_without_returning(work.conn())
        .await?;
    work.record(
        Event::new("wage_agreement.round")
            .on("wage_agreement", a.id)
            .changes(json!({ "held_on": held_on })),
    )
    .await?;
    work.commit().await?;
    Ok(a)
}

/// The rules of signing: the term (at most three years, in order, signed by `today`), the
/// statutory minimum wage of every covered enterprise, and no overlapping agreement of the same
/// text type (a conflict). Run inside the unit of work that signs, under the enterprises' lock.
pub async fn check_terms(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    exclude: Option<Uuid>,
    text_type: &str,
    enterprise_ids: &[Uuid],
    t: &Terms,
) -> Result<(), CoreError> {
    let mut errors = term_errors(today, t);
    if let Some(required) = queries::statutory_minimum(db, enterprise_ids, t.effective_from).await?
        && t.minimum_wage_fen < required
    {
        errors.push(below_minimum(required));
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    if queries::overlapping(
        db,
        exclude,
        text_type,
        enterprise_ids,
        t.effective_from,
        t.effective_to,
    )
    .await?
    {
        return Err(overlap());
    }
    Ok(())
}

/// What is wrong with a term on its own (the term's length, a signing in the future).
fn term_errors(today: NaiveDate, t: &Terms) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if t.effective_to < t.effective_from {
        errors.push(FieldError::new(
            "effective_to",
            "before_start",
            "must not be before effective_from",
        ));
    } else if t.effective_to > longest_term_end(t.effective_from) {
        errors.push(FieldError::new(
            "effective_to",
            "term_too_long",
            "the term may run at most three years",
        ));
    }
    if t.signed_on > today {
        errors.push(FieldError::new(
            "signed_on",
            "in_future",
            "must not be in the future",
        ));
    }
    errors
}

fn below_minimum(required: i64) -> FieldError {
    FieldError::new(
        "minimum_wage_fen",
        "below_statutory_minimum",
        format!("must be at least the local statutory minimum of {required} fen"),
    )
}

fn overlap() -> CoreError {
    CoreError::conflict(
        "a covered enterprise already has an agreement of this text type in force during this term",
    )
}

fn check_filing(signed_on: NaiveDate, filing: &Filing) -> Result<(), CoreError> {
    if filing.filed_on < signed_on {
        return Err(CoreError::field(
            "filed_on",
            "before_signing",
            "must not be before the agreement was signed",
        ));
    }
    Ok(())
}

/// The day before the third anniversary of `from`: the longest term allowed.
fn longest_term_end(from: NaiveDate) -> NaiveDate {
    let anniversary = from
        .with_year(from.year() + 3)
        .unwrap_or_else(|| from + chrono::Days::new(3 * 365));
    anniversary.pred_opt().unwrap_or(anniversary)
}

/// Sign: `negotiating` → `signed`, with the rules of [`check_terms`].
pub async fn sign(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    t: Terms,
) -> Result<wage_agreements::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let a = sign_in(ctx, &work, id, expected_version, t).await?;
    work.commit().await?;
    Ok(a)
}

/// [`sign`] inside a unit of work the caller holds, its permission already checked.
pub async fn sign_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    t: Terms,
) -> Result<wage_agreements::Model, CoreError> {
    use wage_agreements::Column as A;
    let a = current(ctx, work, id, expected_version).await?;
    if a.status != AgreementStatus::Negotiating.as_str() {
        return Err(CoreError::conflict(
            "only an agreement under negotiation can be signed",
        ));
    }
    let (covered, _) = queries::details(work.conn(), &[a.id]).await?;
    let enterprise_ids = covered.get(&a.id).cloned().unwrap_or_default();
    queries::lock_enterprises(work.conn(), &enterprise_ids).await?;
    check_terms(
        work.conn(),
        ctx.clock.today(),
        Some(a.id),
        &a.text_type,
        &enterprise_ids,
        &t,
    )
    .await?;
    let change = update(&a, ctx.clock.now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Signed.as_str()))
        .col_expr(A::SignedOn, Expr::value(t.signed_on))
        .col_expr(A::EffectiveFrom, Expr::value(t.effective_from))
        .col_expr(A::EffectiveTo, Expr::value(t.effective_to))
        .col_expr(A::WageRiseBp, Expr::value(t.wage_rise_bp))
        .col_expr(A::MinimumWageFen, Expr::value(t.minimum_wage_fen))
        .col_expr(A::WorkersCovered, Expr::value(t.workers_covered));
    let changes = json!({ "signed_on": t.signed_on, "effective_from": t.effective_from, "effective_to": t.effective_to,
                          "wage_rise_bp": t.wage_rise_bp, "minimum_wage_fen": t.minimum_wage_fen });
    let event = Event::new("wage_agreement.sign")
        .on("wage_agreement", a.id)
        .changes(changes);
    let a = versioning::save_work(work, change, a.id, expected_version, event).await?;
    Ok(a)
}

fn update(
    a: &wage_agreements::Model,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<wage_agreements::Entity> {
    versioning::update::<wage_agreements::Entity>(a.id, a.version, now)
}

/// File: `signed` → `filed`, not before the signing date.
pub async fn file(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    f: Filing,
) -> Result<wage_agreements::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let a = file_in(ctx, &work, id, expected_version, f).await?;
    work.commit().await?;
    Ok(a)
}

/// [`file`] inside a unit of work the caller holds, its permission already checked.
pub async fn file_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    f: Filing,
) -> Result<wage_agreements::Model, CoreError> {
    use wage_agreements::Column as A;
    let a = current(ctx, work, id, expected_version).await?;
    if a.status != AgreementStatus::Signed.as_str() {
        return Err(CoreError::conflict("only a signed agreement can be filed"));
    }
    if let Some(signed) = a.signed_on {
        check_filing(signed, &f)?;
    }
    let change = update(&a, ctx.clock.now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Filed.as_str()))
        .col_expr(A::FiledOn, Expr::value(f.filed_on))
        .col_expr(A::FilingNumber, Expr::value(f.filing_number.clone()));
    let event = Event::new("wage_agreement.file")
        .on("wage_agreement", a.id)
        .changes(json!({ "filed_on": f.filed_on, "filing_number": f.filing_number }));
    let a = versioning::save_work(work, change, a.id, expected_version, event).await?;
    Ok(a)
}

/// Terminate: `signed` or `filed` (also after its term, to record a past termination) →
/// `terminated`, on a day within its term.
pub async fn terminate(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    t: Termination,
) -> Result<wage_agreements::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let a = terminate_in(ctx, &work, id, expected_version, t).await?;
    work.commit().await?;
    Ok(a)
}

/// [`terminate`] inside a unit of work the caller holds, its permission already checked.
pub async fn terminate_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    t: Termination,
) -> Result<wage_agreements::Model, CoreError> {
    use wage_agreements::Column as A;
    let a = current(ctx, work, id, expected_version).await?;
    // Stored status, not the derived `expired`: staff also record terminations after the fact.
    if ![
        AgreementStatus::Signed.as_str(),
        AgreementStatus::Filed.as_str(),
    ]
    .contains(&a.status.as_str())
    {
        return Err(CoreError::conflict(
            "only a signed or filed agreement can be terminated",
        ));
    }
    let within = a.effective_from.is_some_and(|f| t.terminated_on >= f)
        && a.effective_to.is_some_and(|to| t.terminated_on <= to);
    if !within {
        return Err(CoreError::field(
            "terminated_on",
            "outside_term",
            "must lie within the agreement's term",
        ));
    }
    let change = update(&a, ctx.clock.now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Terminated.as_str()))
        .col_expr(A::TerminatedOn, Expr::value(t.terminated_on))
        .col_expr(A::TerminationReason, Expr::value(t.reason.clone()));
    let event = Event::new("wage_agreement.terminate")
        .on("wage_agreement", a.id)
        .changes(json!({ "terminated_on": t.terminated_on, "reason": t.reason }));
    let a = versioning::save_work(work, change, a.id, expected_version, event).await?;
    Ok(a)
}

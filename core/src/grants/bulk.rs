//! Grants from a worklist, the way campaigns really start: "every formal deep or relative
//! archive in county X" for winter warmth, "every household with a child entering university"
//! for autumn aid, "every frontline worker" for summer cool relief. The worklist is what the
//! campaign's rule admits within an organisation's subtree; each candidate is decided by the
//! same clause-by-clause eligibility as a single submission, and the report says, per candidate
//! that was not created, why.
//!
//! Fast because batched, not because it skips rules: candidates are read a thousand at a time
//! (keyset by id), their grants in this campaign and in other campaigns of the same kind and
//! year are looked up with one query each per batch, and the new grants are written with one
//! multi-row `INSERT … ON CONFLICT DO NOTHING` on the one-per-person index, in one unit of work
//! per batch with its audit event. Running it twice creates nothing new.

use std::collections::{HashMap, HashSet};

use entity::{beneficiaries, campaigns as campaign_rows, grants, household_members, workers};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::eligibility::{self, Facts};
use super::{Decided, GrantStatus, RecipientKind, WRITE};
use crate::archive::{ArchiveStatus, Category, Stage};
use crate::audit::Event;
use crate::campaigns::rule::{AmountRule, Recipients};
use crate::campaigns::{self, CampaignStatus};
use crate::context::Context;
use crate::jobs::Progress;
use crate::pii::mask;
use crate::registry::{RECORD_ACTIVE, orgs, workers::parse_honours};
use crate::tenancy::Scope;
use crate::{CoreError, FieldError};

/// Candidates read and written per unit of work.
const BATCH: u64 = 1_000;
/// At most this many candidates are listed one by one in the report (the counts cover all).
const REPORT_LINES: usize = 1_000;

/// How a candidate fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Created, and aided by another campaign of the same kind and year (a top-up).
    Flagged,
    AlreadyGranted,
    /// Aided by another campaign of the same kind and year; the rule allows no top-ups.
    AidedElsewhere,
    NotEligible(String),
}

/// One candidate in the report: the archive (or member, or worker) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub recipient: RecipientKind,
    pub id: Uuid,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub candidates: u64,
    pub created: u64,
    pub flagged: u64,
    pub already_granted: u64,
    pub aided_elsewhere: u64,
    pub not_eligible: u64,
    /// The candidates that were not simply created (and the flagged), up to 1,000.
    pub lines: Vec<Line>,
    pub lines_omitted: u64,
}

impl Report {
    fn push(&mut self, line: Line) {
        match &line.outcome {
            Outcome::Created => {
                self.created += 1;
                return;
            }
            Outcome::Flagged => self.flagged += 1,
            Outcome::AlreadyGranted => self.already_granted += 1,
            Outcome::AidedElsewhere => self.aided_elsewhere += 1,
            Outcome::NotEligible(_) => self.not_eligible += 1,
        }
        if self.lines.len() < REPORT_LINES {
            self.lines.push(line);
        } else {
            self.lines_omitted += 1;
        }
    }
}

/// A candidate is a recipient as a single submission reads it.
type Candidate = super::Recipient;

fn archive_facts(a: &beneficiaries::Model) -> Option<(ArchiveStatus, Category)> {
    Some((
        ArchiveStatus::parse(&a.status)?,
        Category::parse(&a.category)?,
    ))
}

/// The next batch of candidates after `after`, in id order, with what they need.
async fn batch(
    db: &impl ConnectionTrait,
    recipients: &Recipients,
    under: &Scope,
    after: Option<Uuid>,
) -> Result<(Vec<Candidate>, Option<Uuid>), CoreError> {
    let live = [
        ArchiveStatus::Temporary.as_str(),
        ArchiveStatus::Formal.as_str(),
    ];
    match recipients {
        Recipients::Archive { .. } => {
            use beneficiaries::Column as B;
            // Keyset on the primary key alone, the live states checked below: a filter on two
            // states would make PostgreSQL read and sort every remaining archive per batch.
            let mut q = under
                .select::<beneficiaries::Entity>()
                .order_by_asc(B::Id)
                .limit(BATCH);
            if let Some(after) = after {
                q = q.filter(B::Id.gt(after));
            }
            let archives = q.all(db).await?;
            let last = archives.last().map(|a| a.id);
            let heads: HashMap<Uuid, workers::Model> = workers::Entity::find()
                .filter(workers::Column::Id.is_in(archives.iter().map(|a| a.head_worker_id)))
                .all(db)
                .await?
                .into_iter()
                .map(|w| (w.id, w))
                .collect();
            let list = archives
                .into_iter()
                .filter(|a| live.contains(&a.status.as_str()))
                .filter_map(|a| {
                    let head = heads.get(&a.head_worker_id)?;
                    let (status, category) = archive_facts(&a)?;
                    Some(Candidate {
                        kind: RecipientKind::ArchiveHead,
                        org_id: a.org_id,
                        beneficiary_id: Some(a.id),
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
                })
                .collect();
            Ok((list, last))
        }
        Recipients::Students { stages, .. } => {
            use household_members::Column as M;
            let in_scope = Query::select()
                .column(beneficiaries::Column::Id)
                .from(beneficiaries::Entity)
                .and_where(under.contains(Expr::col(beneficiaries::Column::OrgId)))
                .and_where(Expr::col(beneficiaries::Column::Status).is_in(live))
                .to_owned();
            // As for archives: keyset on the primary key, the stages checked below.
            let mut q = household_members::Entity::find()
                .filter(M::BeneficiaryId.in_subquery(in_scope))
                .order_by_asc(M::Id)
                .limit(BATCH);
            if let Some(after) = after {
                q = q.filter(M::Id.gt(after));
            }
            let members = q.all(db).await?;
            let last = members.last().map(|m| m.id);
            let archives: HashMap<Uuid, beneficiaries::Model> = beneficiaries::Entity::find()
                .filter(beneficiaries::Column::Id.is_in(members.iter().map(|m| m.beneficiary_id)))
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            let wanted: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
            let list = members
                .into_iter()
                .filter(|m| m.stage.as_deref().is_some_and(|s| wanted.contains(&s)))
                .filter_map(|m| {
                    let a = archives.get(&m.beneficiary_id)?;
                    let (status, category) = archive_facts(a)?;
                    let stage = m.stage.as_deref().and_then(Stage::parse);
                    Some(Candidate {
                        kind: RecipientKind::Student,
                        org_id: a.org_id,
                        beneficiary_id: Some(a.id),
                        member_id: Some(m.id),
                        worker_id: None,
                        person_key: super::member_key(&m),
                        name: m.name.clone(),
                        id_number_public: m.id_number_masked.as_deref().map(mask::id_number_public),
                        category: Some(category),
                        stage,
                        school: m.school.clone(),
                        facts: Facts::Student {
                            status,
                            category,
                            stage,
                            admission_year: m.admission_year,
                        },
                    })
                })
                .collect();
            Ok((list, last))
        }
        Recipients::Registry { .. } => {
            use workers::Column as W;
            let mut q = under
                .select::<workers::Entity>()
                .filter(W::Status.eq(RECORD_ACTIVE))
                .order_by_asc(W::Id)
                .limit(BATCH);
            if let Some(after) = after {
                q = q.filter(W::Id.gt(after));
            }
            let list: Vec<workers::Model> = q.all(db).await?;
            let last = list.last().map(|w| w.id);
            let list = list
                .into_iter()
                .map(|w| Candidate {
                    kind: RecipientKind::Worker,
                    org_id: w.org_id,
                    beneficiary_id: None,
                    member_id: None,
                    worker_id: Some(w.id),
                    person_key: w.id_number_idx.clone(),
                    name: w.name.clone(),
                    id_number_public: Some(mask::id_number_public(&w.id_number_masked)),
                    category: None,
                    stage: None,
                    school: None,
                    facts: Facts::Worker {
                        active: true,
                        frontline: w.frontline,
                        high_temperature: w.high_temperature,
                        honours: parse_honours(&w.honours),
                        enterprise_id: w.enterprise_id,
                    },
                })
                .collect();
            Ok((list, last))
        }
    }
}

/// Create a grant for every candidate of the worklist the campaign's rule admits, within the
/// subtree of `within_org_id` (the principal's own organisation if none), batch by batch.
pub async fn create(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    within_org_id: Option<Uuid>,
    progress: &Progress,
) -> Result<Report, CoreError> {
    ctx.require(WRITE).await?;
    let campaign = campaigns::queries::find(ctx.db, ctx.scope(), campaign_id)
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
    if matches!(rule.amount, AmountRule::Range { .. }) {
        return Err(CoreError::Validation(vec![FieldError::new(
            "",
            "amount_per_recipient",
            "the campaign's rule gives a range: decide each amount and submit grants one by one",
        )]));
    }
    let under = match within_org_id {
        Some(org) => ctx.scope().at(&orgs::find(ctx.db, ctx.scope(), org)
            .await?
            .ok_or(CoreError::NotFound)?),
        None => ctx.scope().clone(),
    };
    let same_kind: HashSet<Uuid> = campaign_rows::Entity::find()
        .filter(campaign_rows::Column::Kind.eq(campaign.kind.as_str()))
        .filter(campaign_rows::Column::Year.eq(campaign.year))
        .filter(campaign_rows::Column::Id.ne(campaign.id))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut report = Report::default();
    let mut after = None;
    loop {
        let (candidates, last) = batch(ctx.db, &rule.recipients, &under, after).await?;
        if candidates.is_empty() && last.is_none() {
            break;
        }
        after = last;
        let batch = Batch {
            campaign: &campaign,
            rule: &rule,
            same_kind: &same_kind,
        };
        write_batch(ctx, &batch, candidates, &mut report, progress).await?;
    }
    Ok(report)
}

/// What every batch of one run shares.
struct Batch<'a> {
    campaign: &'a campaign_rows::Model,
    rule: &'a crate::campaigns::GrantRule,
    /// The other campaigns of the same kind and year, at any level.
    same_kind: &'a HashSet<Uuid>,
}

async fn write_batch(
    ctx: &Context<'_>,
    batch: &Batch<'_>,
    candidates: Vec<Candidate>,
    report: &mut Report,
    progress: &Progress,
) -> Result<(), CoreError> {
    let Batch {
        campaign,
        rule,
        same_kind,
    } = *batch;
    let work = ctx.begin().await?;
    // One lookup by the person index answers both questions: granted here already, and aided
    // by another campaign of the same kind and year (deliberately unscoped, as for one
    // submission: the rule spans every county).
    let keys: Vec<String> = candidates.iter().map(|c| c.person_key.clone()).collect();
    let dead = [
        GrantStatus::Rejected.as_str(),
        GrantStatus::Withdrawn.as_str(),
    ];
    let mut granted: HashSet<String> = HashSet::new();
    let mut elsewhere: HashSet<String> = HashSet::new();
    for (key, campaign_id, status) in grants::Entity::find()
        .select_only()
        .column(grants::Column::PersonKey)
        .column(grants::Column::CampaignId)
        .column(grants::Column::Status)
        .filter(grants::Column::PersonKey.is_in(keys))
        .into_tuple::<(String, Uuid, String)>()
        .all(work.conn())
        .await?
    {
        if campaign_id == campaign.id {
            granted.insert(key);
        } else if same_kind.contains(&campaign_id) && !dead.contains(&status.as_str()) {
            elsewhere.insert(key);
        }
    }
    let now = ctx.clock.now();
    let actor = ctx.actor().id.unwrap_or_default();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for c in candidates {
        progress.advance();
        report.candidates += 1;
        let (recipient, id) = (c.kind, c.source_id());
        let line = |outcome| Line {
            recipient,
            id,
            outcome,
        };
        let basis = match eligibility::decide(rule, &c.facts) {
            Ok(basis) => basis,
            Err(why) => {
                report.push(line(Outcome::NotEligible(why)));
                continue;
            }
        };
        let amount = match eligibility::amount(rule, &c.facts, None) {
            Ok(amount) => amount,
            Err(e) => {
                report.push(line(Outcome::NotEligible(e.message)));
                continue;
            }
        };
        if granted.contains(&c.person_key) || !seen.insert(c.person_key.clone()) {
            report.push(line(Outcome::AlreadyGranted));
            continue;
        }
        let flagged = elsewhere.contains(&c.person_key);
        if flagged && !rule.top_ups {
            report.push(line(Outcome::AidedElsewhere));
            continue;
        }
        report.push(line(if flagged {
            Outcome::Flagged
        } else {
            Outcome::Created
        }));
        rows.push(c.into_row(Decided {
            campaign_id: campaign.id,
            amount_fen: amount,
            basis,
            aided_elsewhere: flagged,
            submitted_by: actor,
            at: now,
        }));
    }
    let count = rows.len();
    // Multi-row inserts, in slices the databases' parameter limits allow. A person granted by a
    // concurrent request since the lookup is skipped by the one-per-person index.
    for slice in rows.chunks(200) {
        grants::Entity::insert_many(slice.to_vec())
            .on_conflict(
                OnConflict::columns([grants::Column::CampaignId, grants::Column::PersonKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(work.conn())
            .await
            .or_else(|e| match e {
                sea_orm::DbErr::RecordNotInserted => Ok(0),
                e => Err(e),
            })?;
    }
    if count > 0 {
        work.record(
            Event::new("grant.bulk_submit")
                .on("campaign", campaign.id)
                .changes(json!({ "created": count })),
        )
        .await?;
    }
    work.commit().await?;
    Ok(())
}

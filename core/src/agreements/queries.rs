//! Database work on agreements: scoped reads, bulk loading of what a page shows, the overlap
//! rule and the statutory minimum wage that applies to an enterprise.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{
    enterprises, minimum_wages, negotiation_rounds, orgs, wage_agreement_enterprises as links,
    wage_agreements,
};
use sea_orm::sea_query::LockType;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::AgreementStatus;
use crate::registry::lists::one_of_few;
use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<wage_agreements::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<wage_agreements::Model>, DbErr> {
    scope.find::<wage_agreements::Entity>(db, id).await
}

/// Covered enterprises and rounds of several agreements, in two queries (no query per row).
pub async fn details(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<
    (
        HashMap<Uuid, Vec<Uuid>>,
        HashMap<Uuid, Vec<negotiation_rounds::Model>>,
    ),
    DbErr,
> {
    let mut covered: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let rows = links::Entity::find()
        .filter(links::Column::AgreementId.is_in(ids.to_vec()))
        .order_by_asc(links::Column::EnterpriseId)
        .all(db)
        .await?;
    for row in rows {
        covered
            .entry(row.agreement_id)
            .or_default()
            .push(row.enterprise_id);
    }
    let mut rounds: HashMap<Uuid, Vec<negotiation_rounds::Model>> = HashMap::new();
    let rows = negotiation_rounds::Entity::find()
        .filter(negotiation_rounds::Column::AgreementId.is_in(ids.to_vec()))
        .order_by_asc(negotiation_rounds::Column::HeldOn)
        .order_by_asc(negotiation_rounds::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        rounds.entry(row.agreement_id).or_default().push(row);
    }
    Ok((covered, rounds))
}

/// "The agreement is in force on `day`": signed or filed with the day in its term, or terminated
/// after the day. (`expired` is only a label; the dates decide.)
pub fn in_force_on(day: NaiveDate) -> Condition {
    use wage_agreements::Column as A;
    Condition::all()
        .add(A::SignedOn.lte(day))
        .add(A::EffectiveFrom.lte(day))
        .add(A::EffectiveTo.gte(day))
        .add(
            Condition::any()
                .add(A::Status.is_in([
                    AgreementStatus::Signed.as_str(),
                    AgreementStatus::Filed.as_str(),
                ]))
                .add(
                    Condition::all()
                        .add(A::Status.eq(AgreementStatus::Terminated.as_str()))
                        .add(A::TerminatedOn.gt(day)),
                ),
        )
}

/// Serialise the transactions that give these enterprises an agreement in force, so that the
/// overlap check and the write that follows it cannot interleave with another's: on PostgreSQL
/// the enterprise rows are locked (in id order, so two signings cannot deadlock); SQLite allows
/// one writer at a time, so a first write takes that lock for the whole transaction (a read first
/// and a write later could fail to upgrade).
pub async fn lock_enterprises(
    txn: &DatabaseTransaction,
    enterprise_ids: &[Uuid],
) -> Result<(), DbErr> {
    use enterprises::{Column as E, Entity as Enterprises};
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        let mut ids = enterprise_ids.to_vec();
        ids.sort();
        Enterprises::find()
            .select_only()
            .column(E::Id)
            .filter(E::Id.is_in(ids))
            .order_by_asc(E::Id)
            .lock(LockType::Update)
            .into_tuple::<Uuid>()
            .all(txn)
            .await?;
    } else {
        Enterprises::update_many()
            .col_expr(E::Version, Expr::col(E::Version))
            .filter(E::Id.is_in(enterprise_ids.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Another agreement of the same text type, in force at some time within [from, to], covering
/// any of these enterprises. The check spans every organisation (an enterprise has one contract
/// of a type at a time, whoever keeps it).
pub async fn overlapping(
    db: &impl ConnectionTrait,
    exclude: Option<Uuid>,
    text_type: &str,
    enterprise_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<bool, DbErr> {
    use wage_agreements::Column as A;
    let covering = Query::select()
        .column(links::Column::AgreementId)
        .from(links::Entity)
        .and_where(Expr::col(links::Column::EnterpriseId).is_in(enterprise_ids.to_vec()))
        .to_owned();
    let live = Condition::any()
        .add(
            Condition::all()
                .add(A::Status.is_in([
                    AgreementStatus::Signed.as_str(),
                    AgreementStatus::Filed.as_str(),
                ]))
                .add(A::EffectiveTo.gte(from)),
        )
        .add(
            Condition::all()
                .add(A::Status.eq(AgreementStatus::Terminated.as_str()))
                .add(A::TerminatedOn.gt(from)),
        );
    let mut others = wage_agreements::Entity::find();
    if let Some(id) = exclude {
        others = others.filter(A::Id.ne(id));
    }
    let found = others
        .filter(A::TextType.eq(text_type))
        .filter(A::EffectiveFrom.lte(to))
        .filter(live)
        .filter(A::Id.in_subquery(covering))
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Whether `a` is in force at some time between `from` and `to` for the overlap rule: the
/// condition [`overlapping`] puts to the database, for agreements already read (a bulk opening
/// checks its own against those and against each other).
pub fn overlaps(
    a: &wage_agreements::Model,
    text_type: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> bool {
    let live = match a.status.as_str() {
        s if s == AgreementStatus::Signed.as_str() || s == AgreementStatus::Filed.as_str() => {
            a.effective_to.is_some_and(|end| end >= from)
        }
        s if s == AgreementStatus::Terminated.as_str() => a.terminated_on.is_some_and(|t| t > from),
        _ => false,
    };
    live && a.text_type == text_type && a.effective_from.is_some_and(|start| start <= to)
}

/// The agreements covering any of these enterprises, each with the enterprise it covers.
pub async fn covering(
    db: &impl ConnectionTrait,
    enterprise_ids: &[Uuid],
) -> Result<Vec<(Uuid, wage_agreements::Model)>, DbErr> {
    let mut found = Vec::new();
    for chunk in enterprise_ids.chunks(500) {
        found.extend(
            links::Entity::find()
                .filter(links::Column::EnterpriseId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    let ids: Vec<Uuid> = found
        .iter()
        .map(|l| l.agreement_id)
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    let mut agreements = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in wage_agreements::Entity::find()
            .filter(wage_agreements::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            agreements.insert(a.id, a);
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|l| Some((l.enterprise_id, agreements.get(&l.agreement_id)?.clone())))
        .collect())
}

/// The highest statutory minimum wage that applies on `day` to any of these enterprises: for
/// each, the standard of its nearest ancestor organisation that keeps one (county first, then
/// the city). `None` when no standard is kept for any of them.
pub async fn statutory_minimum(
    db: &impl ConnectionTrait,
    enterprise_ids: &[Uuid],
    day: NaiveDate,
) -> Result<Option<i64>, DbErr> {
    Ok(MinimumWages::load(db, enterprise_ids, day)
        .await?
        .required(enterprise_ids, day))
}

/// The minimum wage standards that may apply to some enterprises up to a day, read in three
/// queries whatever their number: a bulk opening asks of it for each of its agreements.
pub struct MinimumWages {
    /// Each enterprise's organisation's ancestors, the city first.
    ancestors: HashMap<Uuid, Vec<Uuid>>,
    /// Newest first.
    standards: Vec<minimum_wages::Model>,
}

impl MinimumWages {
    pub async fn load(
        db: &impl ConnectionTrait,
        enterprise_ids: &[Uuid],
        until: NaiveDate,
    ) -> Result<Self, DbErr> {
        let mut firms = Vec::new();
        for chunk in enterprise_ids.chunks(500) {
            firms.extend(
                enterprises::Entity::find()
                    .filter(enterprises::Column::Id.is_in(chunk.to_vec()))
                    .all(db)
                    .await?,
            );
        }
        let org_ids: std::collections::HashSet<Uuid> = firms.iter().map(|f| f.org_id).collect();
        let paths: HashMap<Uuid, String> = orgs::Entity::find()
            .filter(orgs::Column::Id.is_in(org_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.path))
            .collect();
        let ancestors: HashMap<Uuid, Vec<Uuid>> = firms
            .iter()
            .map(|f| {
                let up = paths
                    .get(&f.org_id)
                    .map_or_else(Vec::new, |p| crate::tenancy::ancestors(p));
                (f.id, up)
            })
            .collect();
        let all: std::collections::HashSet<Uuid> = ancestors.values().flatten().copied().collect();
        let standards = minimum_wages::Entity::find()
            .filter(minimum_wages::Column::OrgId.is_in(all))
            .filter(minimum_wages::Column::EffectiveFrom.lte(until))
            .order_by_desc(minimum_wages::Column::EffectiveFrom)
            .all(db)
            .await?;
        Ok(Self {
            ancestors,
            standards,
        })
    }

    /// What [`statutory_minimum`] says for these enterprises (among those loaded) on `day`.
    pub fn required(&self, enterprise_ids: &[Uuid], day: NaiveDate) -> Option<i64> {
        let mut required: Option<i64> = None;
        for firm in enterprise_ids {
            let Some(up) = self.ancestors.get(firm) else {
                continue;
            };
            // Nearest ancestor first; its most recent standard on the day.
            let applicable = up.iter().rev().find_map(|org| {
                self.standards
                    .iter()
                    .find(|s| s.org_id == *org && s.effective_from <= day)
                    .map(|s| s.monthly_fen)
            });
            if let Some(fen) = applicable {
                required = Some(required.map_or(fen, |r| std::cmp::max(r, fen)));
            }
        }
        required
    }
}

/// The filters of the agreement list; `None` does not filter. "Expired" and "expiring" are
/// judged on the context's clock's today.
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    /// As shown: `expired` is a signed or filed agreement past its term, and `signed`/`filed`
    /// are those still within it.
    pub status: Option<AgreementStatus>,
    pub scope: Option<super::AgreementScope>,
    pub mode: Option<super::NegotiationMode>,
    pub text_type: Option<super::TextType>,
    /// Agreements covering this enterprise.
    pub enterprise_id: Option<Uuid>,
    /// In force today and ending within this many days.
    pub expiring_within_days: Option<u32>,
}

/// The agreements of the principal's subtree that pass `filter`, unordered.
pub async fn list(
    ctx: &crate::Context<'_>,
    filter: &AgreementFilter,
) -> Result<Select<wage_agreements::Entity>, crate::CoreError> {
    use wage_agreements::Column as A;
    ctx.require(super::READ).await?;
    let day = ctx.clock.today();
    let in_term = [
        AgreementStatus::Signed.as_str(),
        AgreementStatus::Filed.as_str(),
    ];
    let mut select = scoped(ctx.scope());
    if let Some(status) = filter.status {
        select = match status {
            AgreementStatus::Expired => select
                .filter(A::Status.is_in(in_term))
                .filter(A::EffectiveTo.lt(day)),
            AgreementStatus::Signed | AgreementStatus::Filed => select
                .filter(one_of_few(A::Status, status.as_str()))
                .filter(A::EffectiveTo.gte(day)),
            other => select.filter(one_of_few(A::Status, other.as_str())),
        };
    }
    if let Some(s) = filter.scope {
        select = select.filter(one_of_few(A::Scope, s.as_str()));
    }
    if let Some(m) = filter.mode {
        select = select.filter(one_of_few(A::Mode, m.as_str()));
    }
    if let Some(t) = filter.text_type {
        select = select.filter(one_of_few(A::TextType, t.as_str()));
    }
    if let Some(e) = filter.enterprise_id {
        let covering = Query::select()
            .column(links::Column::AgreementId)
            .from(links::Entity)
            .and_where(Expr::col(links::Column::EnterpriseId).eq(e))
            .to_owned();
        select = select.filter(A::Id.in_subquery(covering));
    }
    if let Some(days) = filter.expiring_within_days {
        let until = day + chrono::Days::new(u64::from(days));
        select = select
            .filter(A::Status.is_in(in_term))
            .filter(A::EffectiveTo.gte(day))
            .filter(A::EffectiveTo.lte(until));
    }
    Ok(select)
}

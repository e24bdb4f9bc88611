//! Jobs: work that takes longer than a request should. A request enqueues its job inside its own
//! transaction (with its `Idempotency-Key` and audit event), answers `202 Accepted` with the
//! job's URL, and a runner does the work: in the `siji` process (`SIJI_JOB_RUNNERS`) or in
//! separate `siji worker` processes, any number of them against one PostgreSQL database.
//!
//! A runner claims one due job with a single conditional `UPDATE` (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so runners never wait for each other; SQLite serialises writers), under a lease
//! it renews every second while the work runs, writing progress as it goes. A job whose runner
//! died is claimed again once its lease has run out; work is written so that a second run does
//! nothing the first already did (an import skips the rows it already saved). A failed attempt
//! is retried with exponential backoff; a refusal (a 4xx: the file, the rights) is final.
//!
//! This is the queue itself, which an operation's unit of work enqueues into; the runner loop
//! and the table of kinds (which map a stored `kind` to its work) belong to whoever runs the
//! work (`siji-api`'s `jobs` module). A job's work returns a JSON result or a failure, which the
//! runner stores as a problem document.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use entity::jobs::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::CoreError;
use crate::audit::Actor;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

/// Wakes this process's runners when a job is enqueued here, so it starts at once rather than
/// at the next poll.
#[derive(Debug, Default, Clone)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_waiters();
    }

    pub async fn woken(&self) {
        self.0.notified().await;
    }
}

/// A job to enqueue.
pub struct NewJob {
    /// The stored name of its kind (`import.workers`, …).
    pub kind: &'static str,
    pub params: serde_json::Value,
    pub payload: Option<Vec<u8>>,
    pub max_attempts: i32,
}

/// Insert a queued job in the caller's transaction (an operation's unit of work); it is visible
/// to runners when that commits. It will run as `principal`, loaded again when it runs. The job
/// is answered without its payload, which goes to the database and not back.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    principal: &Actor,
    job: NewJob,
    now: DateTime<Utc>,
) -> Result<jobs::Model, CoreError> {
    let (Some(principal_id), Some(org_id)) = (principal.id, principal.org_id) else {
        return Err(CoreError::Internal(
            "a job runs as a principal, and this actor is none".into(),
        ));
    };
    let queued = jobs::Model {
        id: Uuid::now_v7(),
        kind: job.kind.to_owned(),
        status: QUEUED.to_owned(),
        principal_id,
        principal_kind: principal.kind.to_owned(),
        org_id,
        params: job.params.to_string(),
        payload: None,
        progress_done: 0,
        progress_total: None,
        result: None,
        error: None,
        attempts: 0,
        max_attempts: Ord::max(job.max_attempts, 1),
        run_after: now,
        lease_until: None,
        runner: None,
        created_at: now,
        started_at: None,
        finished_at: None,
        updated_at: now,
    };
    let mut row = jobs::ActiveModel::from(queued.clone());
    row.payload = Set(job.payload);
    jobs::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(queued)
}

/// How many jobs there are in each status, across every process sharing the database: for
/// metrics and readiness. A status with no job is absent.
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    jobs::Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "n")
        .group_by(Column::Status)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await
}

/// How many jobs are in `status`: one range of the status index, for a probe that runs every
/// few seconds (where [`counts`] would read the whole table).
pub async fn count_in(conn: &impl ConnectionTrait, status: &str) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    jobs::Entity::find()
        .filter(Column::Status.eq(status))
        .count(conn)
        .await
}

/// Due: queued and not held back, or running under a lease that has run out (its runner died).
fn due(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(Column::Status.eq(QUEUED).and(Column::RunAfter.lte(now)))
        .add(Column::Status.eq(RUNNING).and(Column::LeaseUntil.lt(now)))
}

/// Claim the oldest due job for `runner`, or `None`; the job is ours exactly when our `UPDATE`
/// changed it. On PostgreSQL, in one transaction: pick the candidate, locking it and skipping
/// rows other runners hold (so they never wait on each other), then take it by id (one
/// `UPDATE … WHERE id IN (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)` may run its subquery more
/// than once and take two). On SQLite, one `UPDATE` with the subquery: writers are serialised.
pub async fn claim(
    db: &DatabaseConnection,
    runner: &str,
    lease: TimeDelta,
    now: DateTime<Utc>,
) -> Result<Option<jobs::Model>, DbErr> {
    let candidate = jobs::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(due(now))
        .order_by_asc(Column::RunAfter)
        .limit(1);
    let take = || {
        jobs::Entity::update_many()
            .col_expr(Column::Status, Expr::value(RUNNING))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(Column::Runner, Expr::value(runner))
            .col_expr(Column::StartedAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            // Checked again in the UPDATE: another runner may have taken it meanwhile.
            .filter(due(now))
    };
    if db.get_database_backend() != DatabaseBackend::Postgres {
        // SQLite: one statement, so that the write lock is taken at once (a transaction that
        // read first could not upgrade after another writer committed).
        let claimed = take()
            .filter(Column::Id.in_subquery(candidate.into_query()))
            .exec_with_returning(db)
            .await?;
        return Ok(claimed.into_iter().next());
    }
    let txn = db.begin().await?;
    let candidate = candidate.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    let Some(id) = candidate.into_tuple::<Uuid>().one(&txn).await? else {
        txn.commit().await?;
        return Ok(None);
    };
    let claimed = take()
        .filter(Column::Id.eq(id))
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed.into_iter().next())
}

/// Progress of a running job, shared between its work (which counts) and the heartbeat (which
/// writes it down with the lease).
#[derive(Debug, Default, Clone)]
pub struct Progress {
    done: Arc<AtomicI64>,
    total: Arc<AtomicI64>,
}

impl Progress {
    pub fn set_total(&self, total: usize) {
        self.total
            .store(i64::try_from(total).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    pub fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self) -> (i64, Option<i64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.done.load(Ordering::Relaxed),
            (total > 0).then_some(total),
        )
    }
}

/// Renew the lease and write the progress; `false` when the job is no longer ours.
pub async fn heartbeat(
    db: &DatabaseConnection,
    id: Uuid,
    runner: &str,
    lease: TimeDelta,
    progress: &Progress,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let (done, total) = progress.read();
    let updated = jobs::Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::value(now + lease))
        .col_expr(Column::ProgressDone, Expr::value(done))
        .col_expr(Column::ProgressTotal, Expr::value(total))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Runner.eq(runner))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// How an attempt ended.
pub enum Outcome {
    Succeeded(serde_json::Value),
    /// Retried after `retry_in` if attempts remain, otherwise failed.
    Failed {
        problem: serde_json::Value,
        retry_in: Option<TimeDelta>,
    },
}

/// Record the end of an attempt, if the job is still ours.
pub async fn finish(
    db: &DatabaseConnection,
    job: &jobs::Model,
    runner: &str,
    progress: &Progress,
    outcome: Outcome,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let (done, total) = progress.read();
    let mut update = jobs::Entity::update_many()
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::ProgressDone, Expr::value(done))
        .col_expr(Column::ProgressTotal, Expr::value(total))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    update = match outcome {
        Outcome::Succeeded(result) => update
            .col_expr(Column::Status, Expr::value(SUCCEEDED))
            .col_expr(Column::Result, Expr::value(result.to_string()))
            .col_expr(Column::Error, Expr::value(Option::<String>::None))
            .col_expr(Column::FinishedAt, Expr::value(now)),
        Outcome::Failed {
            problem,
            retry_in: Some(wait),
        } if job.attempts < job.max_attempts => update
            .col_expr(Column::Status, Expr::value(QUEUED))
            .col_expr(Column::Error, Expr::value(problem.to_string()))
            .col_expr(Column::RunAfter, Expr::value(now + wait)),
        Outcome::Failed { problem, .. } => update
            .col_expr(Column::Status, Expr::value(FAILED))
            .col_expr(Column::Error, Expr::value(problem.to_string()))
            .col_expr(Column::FinishedAt, Expr::value(now)),
    };
    update
        .filter(Column::Id.eq(job.id))
        .filter(Column::Runner.eq(runner))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// Give back the jobs a stopping runner holds, so that a restart takes them up at once rather
/// than when their leases run out. The interrupted attempt does not count.
pub async fn release(db: &DatabaseConnection, runner: &str) -> Result<u64, DbErr> {
    let now = Utc::now();
    let released = jobs::Entity::update_many()
        .col_expr(Column::Status, Expr::value(QUEUED))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::RunAfter, Expr::value(now))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Runner.eq(runner))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(released.rows_affected)
}

/// A job as its `GET` shows it (scoping is the caller's business): everything but the uploaded
/// file, which a client polling every second must not drag out of the database each time.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<jobs::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{Iterable, QuerySelect};
    let mut query = jobs::Entity::find_by_id(id).select_only();
    for column in Column::iter().filter(|c| !matches!(c, Column::Payload)) {
        query = query.column(column);
    }
    query
        .column_as(Expr::cust("NULL"), "payload")
        .into_model::<jobs::Model>()
        .one(db)
        .await
}

/// A job as the principal may see it: one it started itself or, for a user administrator, one
/// started in its subtree. Any other job is `NotFound`, as a record outside the scope would be.
pub async fn find_visible(ctx: &crate::Context<'_>, id: Uuid) -> Result<jobs::Model, CoreError> {
    let job = find(ctx.db, id).await?.ok_or(CoreError::NotFound)?;
    let own = Some(job.principal_id) == ctx.actor().id;
    let administers = crate::access::grants(ctx.roles(), crate::accounts::users::WRITE)
        && crate::registry::orgs::find(ctx.db, ctx.scope(), job.org_id)
            .await?
            .is_some();
    if own || administers {
        Ok(job)
    } else {
        Err(CoreError::NotFound)
    }
}

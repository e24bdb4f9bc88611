//! The runner loop: claim a due job, run it as the principal who started it while a heartbeat
//! renews its lease and writes its progress, then record how it ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use entity::jobs;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;
use uuid::Uuid;

use super::{Outcome, Progress, claim, finish, heartbeat, kinds, parse_principal_kind, release};
use crate::auth::Caller;
use crate::auth::meta::RequestMeta;
use crate::http::ApiError;
use crate::state::AppState;

/// When a runner of this process last looked for a job or renewed a job's lease (milliseconds
/// since the epoch), for `/readyz`: a runner loop that stopped turning shows as a pulse that
/// ages. Starts at the process's start, so a process not yet running jobs is not "stalled".
#[derive(Debug, Clone)]
pub struct Pulse(Arc<AtomicI64>);

impl Default for Pulse {
    fn default() -> Self {
        let pulse = Self(Arc::new(AtomicI64::new(0)));
        pulse.beat();
        pulse
    }
}

impl Pulse {
    pub fn beat(&self) {
        self.0
            .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// How long ago the last beat was.
    pub fn age(&self) -> Duration {
        let ms = Utc::now().timestamp_millis() - self.0.load(Ordering::Relaxed);
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }
}

/// Runners of one process, stopped together.
pub struct Runners {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    names: Vec<String>,
    state: Arc<AppState>,
}

/// Start `state.settings.jobs.runners` runner loops (none when it is 0).
pub fn start(state: Arc<AppState>) -> Runners {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let process = Uuid::now_v7();
    let names: Vec<String> = (0..state.settings.jobs.runners)
        .map(|n| format!("{process}/{n}"))
        .collect();
    for name in &names {
        tasks.spawn(run(state.clone(), name.clone(), stopped.clone()));
    }
    if !names.is_empty() {
        tasks.spawn(prune_change_log(state.clone(), stopped.clone()));
        tasks.spawn(notify_webhooks(state.clone(), stopped.clone()));
    }
    Runners {
        stop,
        tasks,
        names,
        state,
    }
}

impl Runners {
    /// Stop taking jobs, abandon the ones running, and give them back to the queue.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        for name in &self.names {
            match release(&self.state.db, name).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(runner = %name, jobs = n, "gave running jobs back to the queue")
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not give jobs back; their leases will run out")
                }
            }
        }
    }

    /// Run until the tasks end (only when stopped): for `siji worker`.
    pub async fn wait(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

async fn run(state: Arc<AppState>, name: String, mut stopped: watch::Receiver<bool>) {
    let settings = &state.settings.jobs;
    let lease = TimeDelta::seconds(i64::try_from(settings.lease_secs.max(3)).unwrap_or(30));
    let poll = Duration::from_millis(settings.poll_ms.max(10));
    loop {
        if *stopped.borrow() {
            return;
        }
        state.runner_pulse.beat();
        match claim(&state.db, &name, lease, Utc::now()).await {
            Ok(Some(job)) => {
                run_one(&state, &name, lease, job).await;
                continue;
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "could not look for jobs"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = state.jobs.woken() => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Keep the change feed's log to its retention period, and (SQLite) the planner's statistics
/// fresh. Every process that runs jobs does it; running it twice at once is harmless
/// (`changelog::prune` only moves its horizon forward).
async fn prune_change_log(state: Arc<AppState>, mut stopped: watch::Receiver<bool>) {
    let settings = &state.settings.sync;
    let every = Duration::from_secs(settings.prune_every_secs.max(1));
    let retention = TimeDelta::days(i64::from(settings.retention_days));
    loop {
        match siji_core::changelog::prune(&state.db, Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changes = n, "pruned the change log"),
            Err(err) => tracing::warn!(error = %err, "could not prune the change log"),
        }
        // The same hourly upkeep keeps SQLite's planner statistics fresh after imports.
        crate::db::refresh_statistics(&state.db).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Cut webhook notifications from the change log (`sync::webhooks::dispatch`); each becomes a
/// delivery job for the runners. Safe in every process at once: a webhook's cursor moves by a
/// conditional update.
async fn notify_webhooks(state: Arc<AppState>, mut stopped: watch::Receiver<bool>) {
    let settings = &state.settings.sync;
    let every = Duration::from_millis(settings.webhook_poll_ms.max(10));
    loop {
        match siji_core::sync::webhooks::dispatch(
            &state.db,
            settings.webhook_max_attempts.max(1),
            Utc::now(),
        )
        .await
        {
            Ok(done) => {
                for (webhook, err) in &done.failed {
                    tracing::warn!(%webhook, error = %err, "could not cut this webhook's notifications");
                }
                if done.made > 0 {
                    tracing::debug!(deliveries = done.made, "webhook notifications cut");
                    state.jobs.wake();
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not list webhooks to notify"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
    }
}

async fn run_one(state: &Arc<AppState>, runner: &str, lease: TimeDelta, job: jobs::Model) {
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    run_one_inner(state, runner, lease, job)
        .instrument(span)
        .await;
}

async fn run_one_inner(state: &Arc<AppState>, runner: &str, lease: TimeDelta, job: jobs::Model) {
    let progress = Progress::default();
    let outcome = if job.attempts > job.max_attempts {
        // Claimed again after its runner died on the last attempt allowed.
        failed(
            &ApiError::Internal("the job's last attempt did not finish".into()),
            None,
        )
    } else {
        attempt(state, runner, lease, &job, progress.clone()).await
    };
    match &outcome {
        Outcome::Succeeded(_) => tracing::info!("job succeeded"),
        Outcome::Failed { retry_in, .. } => {
            tracing::warn!(retry = retry_in.is_some(), "job attempt failed")
        }
    }
    if let Err(err) = finish(&state.db, &job, runner, &progress, outcome).await {
        tracing::error!(error = %err, "could not record the end of a job; its lease will run out");
    }
}

/// One attempt: the work, with a heartbeat beside it. Losing the lease (another runner took the
/// job, which only happens when this one stalled past it) abandons the attempt.
async fn attempt(
    state: &Arc<AppState>,
    runner: &str,
    lease: TimeDelta,
    job: &jobs::Model,
    progress: Progress,
) -> Outcome {
    let meta = RequestMeta {
        request_id: Some(format!("job-{}", job.id)),
        client_ip: None,
    };
    let caller = match parse_principal_kind(&job.principal_kind) {
        Some(kind) => Caller::load(&state.db, kind, job.principal_id, None, meta).await,
        None => Err(ApiError::Internal(
            "a job has an unknown principal kind".into(),
        )),
    };
    let caller = match caller {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            return failed(
                &ApiError::Forbidden("the account that started this job is disabled".into()),
                None,
            );
        }
        Err(err) => return failed(&err, Some(backoff(state, job))),
    };
    let work = kinds::execute(state.clone(), job, caller, progress.clone());
    let beat = async {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.tick().await;
        loop {
            every.tick().await;
            state.runner_pulse.beat();
            match heartbeat(&state.db, job.id, runner, lease, &progress).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(error = %err, "could not renew a job's lease"),
            }
        }
    };
    tokio::select! {
        result = work => match result {
            Ok(value) => Outcome::Succeeded(value),
            Err(err) => {
                // A refusal is final; anything else (the database, a bug) may pass.
                let retry = err.code().status().is_server_error().then(|| backoff(state, job));
                failed(&err, retry)
            }
        },
        () = beat => failed(&ApiError::Internal("the job's lease was lost".into()), None),
    }
}

fn failed(err: &ApiError, retry_in: Option<TimeDelta>) -> Outcome {
    if err.code().status().is_server_error() {
        tracing::error!(error = %err, "job attempt failed");
    }
    Outcome::Failed {
        problem: serde_json::to_value(err.problem()).unwrap_or_default(),
        retry_in,
    }
}

/// base × 2^(attempts − 1), at most an hour.
fn backoff(state: &AppState, job: &jobs::Model) -> TimeDelta {
    let base = i64::try_from(state.settings.jobs.retry_base_ms).unwrap_or(5_000);
    let exponent = u32::try_from((job.attempts - 1).clamp(0, 20)).unwrap_or(0);
    TimeDelta::milliseconds(base.saturating_mul(1_i64 << exponent).min(3_600_000))
}

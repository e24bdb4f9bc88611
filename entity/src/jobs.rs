//! `jobs`: long work with its state, progress and result; see the migration for the design.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What to do (`import.workers`, …).
    pub kind: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Who started it; the job runs with that principal's rights as they are when it runs.
    pub principal_id: Uuid,
    /// `user` or `client`.
    pub principal_kind: String,
    /// The starter's organisation (admins above it may see the job).
    pub org_id: Uuid,
    /// The job's parameters (JSON).
    pub params: String,
    /// An uploaded file the job reads.
    pub payload: Option<Vec<u8>>,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    /// The result (JSON) once succeeded.
    pub result: Option<String>,
    /// The last failure (a problem document, JSON).
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not to be started before this time (retries back off).
    pub run_after: DateTimeUtc,
    /// While running: the runner holds the job until this time and keeps extending it.
    pub lease_until: Option<DateTimeUtc>,
    pub runner: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

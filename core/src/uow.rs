//! The unit of work: one transaction in which an operation reads what its rules need, checks
//! them, writes, and records its audit event (which appends the change-log row). Either all of
//! it commits or none of it does, so a rule is never checked on one connection and broken by a
//! concurrent write on another.
//!
//! Where two units can still race past a check (both read "no overlap" before either writes),
//! the database decides: a unique constraint, a conditional `UPDATE … WHERE version = ?`, or a
//! row lock taken before the check. On SQLite a unit starts `BEGIN IMMEDIATE`: it holds the one
//! writer lock from the start, so a read followed by a write can never fail to upgrade, and
//! units run one after another.

use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::CoreError;
use crate::audit::{self, Actor, Event};
use crate::context::Context;

/// An open unit of work. Dropped without [`Work::commit`], it rolls back.
pub struct Work<'c> {
    txn: DatabaseTransaction,
    actor: &'c Actor,
}

impl<'c> Work<'c> {
    /// A unit of work over a transaction already begun ([`begin_write`]), acting as `actor`: for
    /// the server's own work, which has no principal's context.
    pub fn over(txn: DatabaseTransaction, actor: &'c Actor) -> Self {
        Self { txn, actor }
    }

    /// The transaction: every read and write of the operation goes through it.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// Rows of one table in multi-row statements, each within the databases' limit on bound
    /// values (SQLite's 32,766): a bulk registration's writes without a round trip per row.
    pub async fn insert_all<A>(&self, rows: impl IntoIterator<Item = A>) -> Result<(), DbErr>
    where
        A: ActiveModelTrait,
    {
        let columns = <<A::Entity as EntityTrait>::Column as sea_orm::Iterable>::iter().count();
        let per_statement = 32_766 / columns.max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
            <A::Entity as EntityTrait>::insert_many(chunk)
                .exec_without_returning(&self.txn)
                .await?;
        }
        Ok(())
    }

    /// The operation's audit event (and, for a synced record, its change-log row).
    pub async fn record(&self, event: Event) -> Result<(), CoreError> {
        audit::record(&self.txn, self.actor, event).await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), CoreError> {
        self.txn.commit().await?;
        Ok(())
    }

    /// A savepoint inside this unit: what runs in it is undone alone by [`Work::rollback`] while
    /// the unit goes on, and kept by [`Work::commit`] (which releases the savepoint). For bulk
    /// steps that are all-or-nothing per record but should not pay a commit per record.
    pub async fn savepoint(&self) -> Result<Work<'c>, CoreError> {
        Ok(Work {
            txn: self.txn.begin().await?,
            actor: self.actor,
        })
    }

    pub async fn rollback(self) -> Result<(), CoreError> {
        self.txn.rollback().await?;
        Ok(())
    }
}

/// Begin a write transaction on `db` (immediate on SQLite).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, CoreError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

impl Context<'_> {
    /// Open a unit of work for this principal.
    pub async fn begin(&self) -> Result<Work<'_>, CoreError> {
        Ok(Work {
            txn: begin_write(self.db).await?,
            actor: self.actor(),
        })
    }
}

/// Let other writers in between the units of a long piece of work. SQLite's one writer lock is
/// not fair: a job that commits a unit and at once begins the next takes it back before a
/// waiting connection's busy handler wakes, so a job runner's lease heartbeat (another write)
/// could wait past the lease and lose its job. A short pause on SQLite opens a window; on
/// PostgreSQL, whose writers do not share one lock, it does nothing.
pub async fn breathe(db: &DatabaseConnection) {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

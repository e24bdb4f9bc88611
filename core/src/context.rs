//! Who acts, and with what: the context every operation of the core takes. It is built by the
//! edge that knows the principal (the HTTP `Caller`, a job's stored starter, the command line)
//! and carries the principal's scope and roles, the database, the data protector and the clock.
//! An operation asks the context for permission, for its scope, and for a unit of work; it never
//! sees a request.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::CoreError;
use crate::access::{Permission, Role};
use crate::audit::Actor;
use crate::pii::DataProtector;
use crate::tenancy::Scope;

/// The time operations see. Production reads the system clock; a test can fix it.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }

    pub fn today(self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The acting principal and what it acts with.
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a DataProtector,
    pub clock: Clock,
    actor: Actor,
    scope: Scope,
    roles: Vec<Role>,
}

impl<'a> Context<'a> {
    pub fn new(
        db: &'a DatabaseConnection,
        pii: &'a DataProtector,
        clock: Clock,
        actor: Actor,
        scope: Scope,
        roles: Vec<Role>,
    ) -> Self {
        Self {
            db,
            pii,
            clock,
            actor,
            scope,
            roles,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The subtree this principal may see and change.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// `Forbidden` unless the principal's roles grant `permission`; a denial is audited.
    pub async fn require(&self, permission: Permission) -> Result<(), CoreError> {
        crate::access::require(self.db, &self.actor, &self.roles, permission).await
    }
}

//! `Reader`: the caller of the registry's hot reads (a page of workers or enterprises, one of
//! either), taken from its access token without reading the account first. The token says who
//! the principal was when it was issued (name, organisation and path, roles); the read acts on
//! that, and its own statement confirms that it all still holds — the account exists and is
//! active, its tokens were not revoked since (a password change, a disable), its name, roles,
//! organisation and that organisation's path are unchanged — so that a page or a get is one
//! statement, not one more to authenticate. Whatever the read found is answered only once
//! confirmed. A read whose statement could not carry the confirmation (an empty page, nothing
//! found, an error, a denial) confirms with a statement of its own before answering, so a
//! revoked token is told 401 and nothing else. A changed role or organisation also answers 401:
//! the client refreshes its token and reads with the new claims. Every other endpoint takes
//! [`Caller`](super::Caller), which reads the account first; so do tokens issued before they
//! carried the claims.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use entity::{api_clients, orgs, users};
use sea_orm::sea_query::{DynIden, Expr, ExprTrait, IntoIden, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use super::Caller;
use super::caller::{actor, revoked, with_token};
use super::meta::RequestMeta;
use super::permissions::{Permission, Role, parse_roles};
use super::tokens::{PrincipalClaims, PrincipalKind};
use crate::audit::Actor;
use crate::http::ApiError;
use crate::state::AppState;
use crate::tenancy::Scope;

#[derive(Debug, Clone)]
pub struct Reader {
    kind: PrincipalKind,
    id: Uuid,
    name: String,
    org_id: Uuid,
    path: String,
    roles: Vec<Role>,
    meta: RequestMeta,
    backend: DbBackend,
    /// What is still to be confirmed; `None` when the account was read already.
    claimed: Option<Claimed>,
}

/// Everything a reader's statement is built from besides the ids the request names: the route's
/// name, the request's shape and the reader whole, so that no two callers share a statement
/// ([`Reader::statement`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatementKey {
    route: &'static str,
    shape: String,
    kind: PrincipalKind,
    id: Uuid,
    name: String,
    org_id: Uuid,
    path: String,
    claimed: Option<Claimed>,
}

/// The claims a read's statement must find still true.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Claimed {
    roles: String,
    /// The token's issue time, to the second, plus one: the account's tokens must have been
    /// valid from before it (`tokens_valid_after < this`), as [`Caller::load`] checks.
    issued_before: DateTime<Utc>,
}

impl Reader {
    fn of_claims(
        kind: PrincipalKind,
        id: Uuid,
        issued_at: i64,
        principal: PrincipalClaims,
        meta: RequestMeta,
        backend: DbBackend,
    ) -> Result<Self, ApiError> {
        let issued_before = DateTime::from_timestamp(issued_at.saturating_add(1), 0)
            .ok_or_else(|| ApiError::Unauthenticated("the access token is invalid".into()))?;
        let roles = match kind {
            PrincipalKind::User => parse_roles(&principal.roles),
            PrincipalKind::Client => vec![Role::Integration],
        };
        Ok(Self {
            kind,
            id,
            name: principal.name,
            org_id: principal.org,
            path: principal.path,
            roles,
            meta,
            backend,
            claimed: Some(Claimed {
                roles: principal.roles,
                issued_before,
            }),
        })
    }

    fn of_caller(caller: Caller, backend: DbBackend) -> Self {
        Self {
            kind: caller.kind,
            id: caller.id,
            name: caller.name,
            org_id: caller.org.id,
            path: caller.org.path,
            roles: caller.roles,
            meta: caller.meta,
            backend,
            claimed: None,
        }
    }

    pub fn scope(&self) -> Scope {
        Scope::claimed(self.org_id, self.path.clone(), self.backend)
    }

    pub fn actor(&self) -> Actor {
        actor(self.kind, self.id, &self.name, self.org_id, &self.meta)
    }

    /// The statement `build` makes for `ids` on `route`, built once for this caller and `shape`
    /// and kept ([`Templates`](crate::statements::Templates)): `build` may read this reader
    /// (its scope, its confirmation), the ids, and what `shape` spells out in full (a list's
    /// filters, order and limit; empty for a get), nothing else.
    pub fn statement(
        &self,
        state: &AppState,
        route: &'static str,
        shape: String,
        ids: &[Uuid],
        build: impl Fn(&[Uuid]) -> Statement,
    ) -> Statement {
        let key = StatementKey {
            route,
            shape,
            kind: self.kind,
            id: self.id,
            name: self.name.clone(),
            org_id: self.org_id,
            path: self.path.clone(),
            claimed: self.claimed.clone(),
        };
        state.statements.statement(key, ids, build)
    }

    /// The core's context for the read.
    pub fn context<'a>(&self, state: &'a AppState) -> siji_core::Context<'a> {
        siji_core::Context::new(
            &state.db,
            &state.pii,
            state.clock,
            self.actor(),
            self.scope(),
            self.roles.clone(),
        )
    }

    /// 403 unless the claimed roles grant `permission`: confirmed first (a revoked token is
    /// told 401), then audited as any denial.
    async fn require(
        &self,
        db: &DatabaseConnection,
        permission: Permission,
    ) -> Result<(), ApiError> {
        if siji_core::access::grants(&self.roles, permission) {
            return Ok(());
        }
        self.confirm(db).await?;
        Ok(siji_core::access::require(db, &self.actor(), &self.roles, permission).await?)
    }

    /// A statement that returns one row — the principal's — when every claim still holds, and
    /// none otherwise; `None` when there is nothing left to confirm.
    pub fn confirmation(&self) -> Option<SelectStatement> {
        let claimed = self.claimed.as_ref()?;
        let (table, id, name, active, valid_after, org) = match self.kind {
            PrincipalKind::User => (
                users::Entity.into_iden(),
                users::Column::Id.into_iden(),
                users::Column::Username.into_iden(),
                users::Column::Active.into_iden(),
                users::Column::TokensValidAfter.into_iden(),
                users::Column::OrgId.into_iden(),
            ),
            PrincipalKind::Client => (
                api_clients::Entity.into_iden(),
                api_clients::Column::Id.into_iden(),
                api_clients::Column::ClientId.into_iden(),
                api_clients::Column::Active.into_iden(),
                api_clients::Column::TokensValidAfter.into_iden(),
                api_clients::Column::OrgId.into_iden(),
            ),
        };
        let column = |c: &DynIden| Expr::col((table.clone(), c.clone()));
        let mut query = Query::select();
        query
            .expr(column(&id))
            .from(table.clone())
            .inner_join(
                orgs::Entity,
                Expr::col((orgs::Entity, orgs::Column::Id)).equals((table.clone(), org.clone())),
            )
            .and_where(column(&id).eq(self.id))
            .and_where(column(&active).eq(true))
            .and_where(column(&valid_after).lt(claimed.issued_before))
            .and_where(column(&name).eq(self.name.as_str()))
            .and_where(column(&org).eq(self.org_id))
            .and_where(Expr::col((orgs::Entity, orgs::Column::Path)).eq(self.path.as_str()));
        if self.kind == PrincipalKind::User {
            query.and_where(
                Expr::col((users::Entity, users::Column::Roles)).eq(claimed.roles.as_str()),
            );
        }
        Some(query)
    }

    /// The confirmation on its own statement, for a read that found nothing to carry it: 401
    /// unless every claim still holds.
    async fn confirm(&self, db: &DatabaseConnection) -> Result<(), ApiError> {
        let Some(confirmation) = self.confirmation() else {
            return Ok(());
        };
        let statement = db.get_database_backend().build(&confirmation);
        match db.query_one_raw(statement).await? {
            Some(_) => Ok(()),
            None => Err(revoked()),
        }
    }

    /// A read, the one way a handler reads as a `Reader`: `permission` required, then `read`,
    /// which answers what it found with whether its statement confirmed the claims (a
    /// [`confirmation`](Self::confirmation) carried along), or `None` when it found no row to
    /// carry the answer (an empty page). Nothing is answered unconfirmed: an empty page, or an
    /// error `read` ran into, waits for the confirmation on its own statement, and a revoked
    /// token is told 401.
    pub async fn read<T>(
        &self,
        db: &DatabaseConnection,
        permission: Permission,
        read: impl Future<Output = Result<(T, Option<bool>), ApiError>>,
    ) -> Result<T, ApiError> {
        self.require(db, permission).await?;
        match read.await {
            Ok((found, Some(true))) => Ok(found),
            Ok((_, Some(false))) => Err(revoked()),
            Ok((found, None)) => {
                self.confirm(db).await?;
                Ok(found)
            }
            Err(error) => {
                self.confirm(db).await?;
                Err(error)
            }
        }
    }
}

impl FromRequest for Reader {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        with_token(req, async |state, token, meta| {
            let claims = state.auth.keys.verify(&token)?;
            match claims.prn {
                Some(principal) => Reader::of_claims(
                    claims.kind,
                    claims.sub,
                    claims.iat,
                    principal,
                    meta,
                    state.db.get_database_backend(),
                ),
                None => Caller::load(&state.db, claims.kind, claims.sub, Some(claims.iat), meta)
                    .await?
                    .map(|caller| Reader::of_caller(caller, state.db.get_database_backend()))
                    .ok_or_else(revoked),
            }
        })
    }
}

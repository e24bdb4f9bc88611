//! `Caller`: the authenticated principal of a request, its organisation and roles. Taking a
//! `Caller` argument is what makes a handler require a valid bearer token; `require` is the one
//! permission check, and `scope` the subtree every query of the request is limited to.
//!
//! The token only says who the caller is. Roles, organisation and whether the account is still
//! active are read from the database on every request (one statement: the account's few
//! columns joined to its organisation), so disabling an account or changing its roles takes
//! effect at once, and a password change invalidates older access tokens.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use entity::{api_clients, orgs, users};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, Iterable, JoinType,
    PrimaryKeyTrait, QuerySelect,
};
use uuid::Uuid;

use super::meta::RequestMeta;
use super::permissions::{Permission, Role, parse_roles};
use super::tokens::PrincipalKind;
use crate::audit::Actor;
use crate::http::ApiError;
use crate::state::AppState;
use crate::tenancy::Scope;

#[derive(Debug, Clone)]
pub struct Caller {
    pub kind: PrincipalKind,
    pub id: Uuid,
    /// Username, or the machine client's `client_id`.
    pub name: String,
    pub org: orgs::Model,
    pub roles: Vec<Role>,
    pub meta: RequestMeta,
    /// The database the caller's scope is written for.
    backend: DbBackend,
}

impl Caller {
    pub fn scope(&self) -> Scope {
        Scope::of(&self.org, self.backend)
    }

    pub fn can(&self, permission: Permission) -> bool {
        super::permissions::grants(&self.roles, permission)
    }

    pub fn actor(&self) -> Actor {
        actor(self.kind, self.id, &self.name, self.org.id, &self.meta)
    }

    /// 403 unless the caller's roles grant `permission`; a denial is audited.
    pub async fn require(
        &self,
        db: &DatabaseConnection,
        permission: Permission,
    ) -> Result<(), ApiError> {
        Ok(siji_core::access::require(db, &self.actor(), &self.roles, permission).await?)
    }

    /// The core's context for an operation this caller performs.
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
}

/// The audit trail's actor for a principal acting in a request.
pub(super) fn actor(
    kind: PrincipalKind,
    id: Uuid,
    name: &str,
    org_id: Uuid,
    meta: &RequestMeta,
) -> Actor {
    Actor {
        kind: match kind {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
        },
        id: Some(id),
        name: Some(name.to_owned()),
        org_id: Some(org_id),
        request_id: meta.request_id.clone(),
        client_ip: meta.client_ip.clone(),
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthenticated("an `Authorization: Bearer <token>` header is required".into())
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("the Authorization header is malformed".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthenticated(
            "the Authorization header must use the Bearer scheme".into(),
        )),
    }
}

async fn authenticate(
    state: &AppState,
    token: &str,
    meta: RequestMeta,
) -> Result<Caller, ApiError> {
    let claims = state.auth.keys.verify(token)?;
    Caller::load(&state.db, claims.kind, claims.sub, Some(claims.iat), meta)
        .await?
        .ok_or_else(revoked)
}

pub(super) fn revoked() -> ApiError {
    ApiError::Unauthenticated("the access token has been revoked".into())
}

impl Caller {
    /// The principal as it is now: `None` when it no longer exists, is disabled, or (given the
    /// time a token was issued) has had its tokens revoked since. A job runs as the caller who
    /// started it, loaded again here, so that disabling an account stops its queued work too.
    pub async fn load(
        db: &DatabaseConnection,
        kind: PrincipalKind,
        id: Uuid,
        issued_at: Option<i64>,
        meta: RequestMeta,
    ) -> Result<Option<Caller>, ApiError> {
        let revoked_since = |valid_after: i64| issued_at.is_some_and(|iat| iat < valid_after);
        let found = match kind {
            PrincipalKind::User => {
                principal::<users::Entity, _>(
                    db,
                    id,
                    [
                        (users::Column::Username, "principal_name"),
                        (users::Column::Roles, "principal_roles"),
                        (users::Column::Active, "principal_active"),
                        (users::Column::TokensValidAfter, "principal_valid_after"),
                    ],
                    users::Column::OrgId,
                )
                .await?
            }
            PrincipalKind::Client => {
                principal::<api_clients::Entity, _>(
                    db,
                    id,
                    [
                        (api_clients::Column::ClientId, "principal_name"),
                        // A client has no roles column: its id fills the place, unread (a
                        // client's one role is fixed).
                        (api_clients::Column::ClientId, "principal_roles"),
                        (api_clients::Column::Active, "principal_active"),
                        (
                            api_clients::Column::TokensValidAfter,
                            "principal_valid_after",
                        ),
                    ],
                    api_clients::Column::OrgId,
                )
                .await?
            }
        };
        let Some(row) = found else {
            return Ok(None);
        };
        if !row.principal_active || revoked_since(row.principal_valid_after.timestamp()) {
            return Ok(None);
        }
        let roles = match kind {
            PrincipalKind::User => parse_roles(&row.principal_roles),
            PrincipalKind::Client => vec![Role::Integration],
        };
        Ok(Some(Caller {
            kind,
            id,
            name: row.principal_name,
            org: row.org,
            roles,
            meta,
            backend: db.get_database_backend(),
        }))
    }
}

/// What authenticating needs of a principal, and its organisation.
#[derive(Debug, FromQueryResult)]
struct PrincipalRow {
    principal_name: String,
    principal_roles: String,
    principal_active: bool,
    principal_valid_after: DateTime<Utc>,
    #[sea_orm(nested)]
    org: orgs::Model,
}

/// A principal (user or machine client) `id` with its organisation, in one statement: only the
/// columns authenticating needs (never the password or secret hash), joined to its
/// organisation's row. Every request starts with this, so it is one round trip, not two.
async fn principal<E, C>(
    db: &DatabaseConnection,
    id: Uuid,
    columns: [(C, &str); 4],
    org_id: C,
) -> Result<Option<PrincipalRow>, ApiError>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let mut select = E::find_by_id(id).select_only();
    for (column, alias) in columns {
        select = select.column_as(column, alias);
    }
    let org = E::belongs_to(orgs::Entity)
        .from(org_id)
        .to(orgs::Column::Id)
        .into();
    let mut select = select.join(JoinType::InnerJoin, org);
    for column in orgs::Column::iter() {
        select = select.column(column);
    }
    Ok(select.into_model::<PrincipalRow>().one(db).await?)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        with_token(req, async |state, token, meta| {
            authenticate(&state, &token, meta).await
        })
    }
}

/// What an extractor of the principal starts from: the application state, the request's bearer
/// token and its facts, taken from the request before `then` runs on them.
pub(super) fn with_token<T: 'static>(
    req: &HttpRequest,
    then: impl AsyncFnOnce(web::Data<AppState>, String, RequestMeta) -> Result<T, ApiError> + 'static,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer(req);
    let meta = RequestMeta::of(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
        then(state, token?, meta).await
    })
}

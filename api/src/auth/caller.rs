//! `Caller`: the authenticated principal of a request, its organisation and roles. Taking a
//! `Caller` argument is what makes a handler require a valid bearer token; `require` is the one
//! permission check, and `scope` the subtree every query of the request is limited to.
//!
//! The token only says who the caller is. Roles, organisation and whether the account is still
//! active are read from the database on every request, so disabling an account or changing its
//! roles takes effect at once, and a password change invalidates older access tokens.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use entity::{api_clients, orgs, users};
use sea_orm::{DatabaseConnection, EntityTrait};
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
}

impl Caller {
    pub fn scope(&self) -> Scope {
        Scope::of(&self.org)
    }

    pub fn can(&self, permission: Permission) -> bool {
        super::permissions::grants(&self.roles, permission)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            kind: match self.kind {
                PrincipalKind::User => "user",
                PrincipalKind::Client => "client",
            },
            id: Some(self.id),
            name: Some(self.name.clone()),
            org_id: Some(self.org.id),
            request_id: self.meta.request_id.clone(),
            client_ip: self.meta.client_ip.clone(),
        }
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
    let revoked = || ApiError::Unauthenticated("the access token has been revoked".into());
    Caller::load(&state.db, claims.kind, claims.sub, Some(claims.iat), meta)
        .await?
        .ok_or_else(revoked)
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
        let (name, org_id, roles) = match kind {
            PrincipalKind::User => {
                let Some(user) = users::Entity::find_by_id(id).one(db).await? else {
                    return Ok(None);
                };
                if !user.active || revoked_since(user.tokens_valid_after.timestamp()) {
                    return Ok(None);
                }
                (user.username, user.org_id, parse_roles(&user.roles))
            }
            PrincipalKind::Client => {
                let Some(client) = api_clients::Entity::find_by_id(id).one(db).await? else {
                    return Ok(None);
                };
                if !client.active || revoked_since(client.tokens_valid_after.timestamp()) {
                    return Ok(None);
                }
                (client.client_id, client.org_id, vec![Role::Integration])
            }
        };
        let Some(org) = orgs::Entity::find_by_id(org_id).one(db).await? else {
            return Ok(None);
        };
        Ok(Some(Caller {
            kind,
            id,
            name,
            org,
            roles,
            meta,
        }))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let meta = RequestMeta::of(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            authenticate(&state, &token?, meta).await
        })
    }
}

//! Sign-in, token refresh with rotation and reuse detection, sign-out, and the OAuth2
//! client-credentials grant for county systems.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use entity::{api_clients, orgs, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::{ClientCredentialsRequest, LoginRequest, RefreshRequest, TokenResponse};
use super::queries;
use crate::audit::{self, Actor, Event, Outcome};
use crate::auth::tokens::{self, PrincipalKind};
use crate::auth::{RequestMeta, password, throttle};
use crate::http::{ApiError, FieldError, Form, Json};
use crate::state::AppState;

fn anonymous(meta: &RequestMeta) -> Actor {
    Actor {
        kind: "anonymous",
        request_id: meta.request_id.clone(),
        client_ip: meta.client_ip.clone(),
        ..Actor::default()
    }
}

fn user_actor(user: &users::Model, meta: &RequestMeta) -> Actor {
    Actor {
        kind: "user",
        id: Some(user.id),
        name: Some(user.username.clone()),
        org_id: Some(user.org_id),
        request_id: meta.request_id.clone(),
        client_ip: meta.client_ip.clone(),
    }
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthenticated("the username or password is incorrect".into())
}

/// Refuse with 429 if the account key or the client's address has failed too often; audited.
async fn throttled(
    state: &AppState,
    account_key: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let mut result = throttle::check(&state.db, account_key, state.auth.user_limit, now).await;
    if result.is_ok()
        && let Some(ip) = &meta.client_ip
    {
        result = throttle::check(&state.db, &throttle::ip_key(ip), state.auth.ip_limit, now).await;
    }
    if let Err(err) = result {
        audit::record(
            &state.db,
            &anonymous(meta),
            Event::new("auth.throttled").outcome(Outcome::Denied),
        )
        .await?;
        return Err(err);
    }
    Ok(())
}

async fn count_failure(
    state: &AppState,
    account_key: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let now = Utc::now();
    throttle::record_failure(&state.db, account_key, state.auth.user_limit, now).await?;
    if let Some(ip) = &meta.client_ip {
        throttle::record_failure(&state.db, &throttle::ip_key(ip), state.auth.ip_limit, now)
            .await?;
    }
    Ok(())
}

/// What an access token says of its principal: `name`, its organisation `org` with the path
/// read now, `roles` as stored.
async fn principal_claims(
    state: &AppState,
    name: &str,
    org: Uuid,
    roles: &str,
) -> Result<tokens::PrincipalClaims, ApiError> {
    let org = orgs::Entity::find_by_id(org)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::Internal("a principal's organisation is missing".into()))?;
    Ok(tokens::PrincipalClaims {
        name: name.to_owned(),
        org: org.id,
        path: org.path,
        roles: roles.to_owned(),
    })
}

/// A new access token and a refresh token of `family`, with the audit event, as the answer.
async fn issue_pair(
    state: &AppState,
    user: &users::Model,
    family: Uuid,
    meta: &RequestMeta,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let principal = principal_claims(state, &user.username, user.org_id, &user.roles).await?;
    let (access_token, expires_in) =
        state
            .auth
            .keys
            .issue(PrincipalKind::User, user.id, principal, now)?;
    let txn = state.db.begin().await?;
    let refresh_token =
        queries::issue_refresh(&txn, user.id, family, now, state.auth.refresh_ttl).await?;
    audit::record(
        &txn,
        &user_actor(user, meta),
        Event::new(action).on("user", user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: Some(refresh_token),
        }))
}

/// Sign in with username and password.
///
/// Returns a short-lived access token (15 minutes by default) and a single-use refresh token.
/// A wrong username and a wrong password are indistinguishable. After repeated failures for
/// one username or from one address, attempts are refused with 429 and `Retry-After` for the
/// rest of the window, on every instance of the API. Every attempt is audited.
#[utoipa::path(
    tag = tags::AUTH,
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, response = crate::http::responses::Unauthorized),
        (status = 429, response = crate::http::responses::TooManyRequests),
    ),
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        username,
        password: password_plain,
    } = body.into_inner();
    let username = username.trim().to_lowercase();
    let account_key = throttle::user_key(&username);
    throttled(&state, &account_key, &meta).await?;

    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username.as_str()))
        .one(&state.db)
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    // Argon2 is deliberately slow: keep it off the async workers.
    let matches = web::block(move || match stored {
        Some(hash) => password::verify(&password_plain, &hash),
        None => {
            password::verify_dummy(&password_plain);
            false
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;

    let user = match user {
        Some(user) if matches && user.active => user,
        other => {
            count_failure(&state, &account_key, &meta).await?;
            // Only a real account's name is recorded: a mistyped password can land in the
            // username field.
            let actor = match &other {
                Some(user) => user_actor(user, &meta),
                None => anonymous(&meta),
            };
            let reason = match &other {
                None => "unknown_user",
                Some(u) if !u.active => "disabled",
                Some(_) => "wrong_password",
            };
            let event = Event::new("auth.login")
                .outcome(Outcome::Failure)
                .changes(serde_json::json!({ "reason": reason }));
            audit::record(&state.db, &actor, event).await?;
            return Err(bad_credentials());
        }
    };

    throttle::reset(&state.db, &account_key).await?;
    issue_pair(&state, &user, Uuid::now_v7(), &meta, "auth.login").await
}

/// Rotate a refresh token.
///
/// Returns a new access token and a new refresh token; the one sent is used up. Presenting a
/// refresh token that was already used (or revoked) is treated as theft: every token of that
/// sign-in is revoked and the holder must sign in again. Tokens of disabled accounts, or issued
/// before a password change, are refused.
#[utoipa::path(
    tag = tags::AUTH,
    operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, response = crate::http::responses::Unauthorized),
    ),
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let invalid =
        || ApiError::Unauthenticated("the refresh token is invalid, expired or revoked".into());
    let now = Utc::now();
    let Some(row) = queries::find_by_token(&state.db, &body.0.refresh_token).await? else {
        return Err(invalid());
    };
    let user = users::Entity::find_by_id(row.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;

    let reused = row.used_at.is_some() || row.revoked_at.is_some();
    if reused || !queries::claim(&state.db, row.id, now).await? {
        queries::revoke_family(&state.db, row.family_id, now).await?;
        let event = Event::new("auth.refresh_reuse")
            .outcome(Outcome::Denied)
            .on("user", user.id);
        audit::record(&state.db, &user_actor(&user, &meta), event).await?;
        return Err(invalid());
    }
    if row.expires_at < now || !user.active {
        queries::revoke_family(&state.db, row.family_id, now).await?;
        return Err(invalid());
    }

    issue_pair(&state, &user, row.family_id, &meta, "auth.refresh").await
}

/// Sign out.
///
/// Revokes the refresh token and every token of the same sign-in. Answers 204 whether or not
/// the token was valid, so it cannot be used to test tokens. Access tokens already issued stay
/// valid until they expire (15 minutes by default).
#[utoipa::path(
    tag = tags::AUTH,
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out")),
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(row) = queries::find_by_token(&state.db, &body.0.refresh_token).await? {
        let now = Utc::now();
        let txn = state.db.begin().await?;
        queries::revoke_family(&txn, row.family_id, now).await?;
        if let Some(user) = users::Entity::find_by_id(row.user_id).one(&txn).await? {
            audit::record(
                &txn,
                &user_actor(&user, &meta),
                Event::new("auth.logout").on("user", user.id),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `client_id:client_secret` from HTTP Basic authentication, if sent.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Token for a machine client (OAuth2 client credentials).
///
/// For county systems that sync their records: send `grant_type=client_credentials` with
/// `client_id` and `client_secret` form-encoded (or the id and secret with HTTP Basic). The
/// access token acts with the `integration` role within the client's organisation subtree. No
/// refresh token is issued: ask for a new access token when it expires. Failures are throttled
/// and audited like staff sign-ins.
#[utoipa::path(
    tag = tags::AUTH,
    operation_id = "client_credentials_token",
    request_body(content = ClientCredentialsRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Access token", body = TokenResponse, example = json!({
            "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYTViMi…",
            "token_type": "Bearer",
            "expires_in": 900
        })),
        (status = 401, response = crate::http::responses::Unauthorized),
        (status = 429, response = crate::http::responses::TooManyRequests),
    ),
)]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    body: Form<ClientCredentialsRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    if body.grant_type != "client_credentials" {
        return Err(ApiError::field(
            "grant_type",
            "unsupported_grant_type",
            "must be `client_credentials`",
        ));
    }
    let (client_id, secret) = match (body.client_id, body.client_secret, basic_credentials(&req)) {
        (Some(id), Some(secret), _) => (id, secret),
        (_, _, Some(basic)) => basic,
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "client_id",
                "required",
                "client_id and client_secret are required (in the body or with HTTP Basic)",
            )]));
        }
    };
    let account_key = format!("client:{client_id}");
    throttled(&state, &account_key, &meta).await?;

    let client = api_clients::Entity::find()
        .filter(api_clients::Column::ClientId.eq(client_id.as_str()))
        .one(&state.db)
        .await?;
    let client = match client {
        Some(c) if c.active && c.secret_hash == tokens::digest(&secret) => c,
        _ => {
            count_failure(&state, &account_key, &meta).await?;
            let event = Event::new("auth.token").outcome(Outcome::Failure);
            audit::record(&state.db, &anonymous(&meta), event).await?;
            return Err(ApiError::Unauthenticated(
                "the client credentials are invalid".into(),
            ));
        }
    };
    throttle::reset(&state.db, &account_key).await?;
    let principal = principal_claims(&state, &client.client_id, client.org_id, "").await?;
    let (access_token, expires_in) =
        state
            .auth
            .keys
            .issue(PrincipalKind::Client, client.id, principal, Utc::now())?;
    let actor = Actor {
        kind: "client",
        id: Some(client.id),
        name: Some(client.client_id.clone()),
        org_id: Some(client.org_id),
        request_id: meta.request_id.clone(),
        client_ip: meta.client_ip.clone(),
    };
    audit::record(
        &state.db,
        &actor,
        Event::new("auth.token").on("client", client.id),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: None,
        }))
}

//! Access tokens (HS256 JWTs with every registered claim required and checked, algorithm
//! pinned) and opaque random tokens (refresh tokens, client secrets), stored only as digests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::ApiError;

pub const ISSUER: &str = "siji";
pub const AUDIENCE: &str = "siji-api";
/// The audience of a bank file's download link: never accepted as an access token, and an
/// access token is never accepted as a link.
pub const FILE_LINK_AUDIENCE: &str = "siji-payout-file";
/// How long a bank file's download link works.
pub const FILE_LINK_TTL_SECS: i64 = 300;
pub const MIN_SECRET_BYTES: usize = 32;

/// Whose token it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Client,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub kind: PrincipalKind,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// Who the principal was at issue; absent from tokens issued before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prn: Option<PrincipalClaims>,
}

/// The principal as it was when the token was issued: name, organisation (id and path) and
/// roles as stored. A hot read ([`Reader`](super::Reader)) acts on these without reading the
/// account first, and its own statement confirms that they all still hold; every other request
/// reads the account as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalClaims {
    pub name: String,
    pub org: Uuid,
    pub path: String,
    /// As stored (`users.roles`); empty for a machine client, whose one role is fixed.
    pub roles: String,
}

/// Signing and verification keys with the validation rules, built once at start.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    /// Tokens verified before, by their exact text: a client sends the same token with every
    /// request for its lifetime, and decoding it again (the header's and the claims' JSON, the
    /// HMAC) was a tenth of the server's time on a get of one worker. Only what the token's
    /// text fixes is taken from here (the signature, the algorithm, the issuer, the audience,
    /// the claims); its times are checked again at each use, and what the account is now is
    /// checked where it always was (the hot read's statement, or the account read).
    verified: Mutex<HashMap<String, Claims>>,
}

/// Tokens [`TokenKeys`] remembers at most; when full, it starts again (a few hundred staff
/// sign in to an instance within a token's lifetime).
const VERIFIED_KEPT: usize = 1024;

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            verified: Mutex::default(),
        }
    }

    /// Issue an access token; returns it with its lifetime in seconds.
    pub fn issue(
        &self,
        kind: PrincipalKind,
        sub: Uuid,
        principal: PrincipalClaims,
        now: DateTime<Utc>,
    ) -> Result<(String, u64), ApiError> {
        let ttl = self.access_ttl.as_secs();
        let claims = Claims {
            sub,
            kind,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now
                .timestamp()
                .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
            jti: Uuid::now_v7(),
            prn: Some(principal),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("token signing failed: {e}")))?;
        Ok((token, ttl))
    }

    /// Verify signature, algorithm and every claim. The reason is for the client, never the token.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
    }

    /// [`verify`](Self::verify) at `now` (seconds since the epoch) for a token verified before;
    /// a token seen for the first time is decoded at the clock's time.
    fn verify_at(&self, token: &str, now: u64) -> Result<Claims, ApiError> {
        let known = self
            .verified
            .lock()
            .ok()
            .and_then(|verified| verified.get(token).cloned());
        if let Some(claims) = known {
            let now = i64::try_from(now).unwrap_or(i64::MAX);
            let leeway = i64::try_from(self.validation.leeway).unwrap_or(0);
            // As the decoding checks them, with the same leeway.
            if claims.exp < now.saturating_sub(leeway) {
                return Err(unauthenticated("the access token has expired"));
            }
            if claims.nbf > now.saturating_add(leeway) {
                return Err(unauthenticated("the access token is not valid yet"));
            }
            return Ok(claims);
        }
        let claims = self.decode(token)?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_KEPT {
                verified.clear();
            }
            verified.insert(token.to_owned(), claims.clone());
        }
        Ok(claims)
    }

    fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| {
                unauthenticated(match err.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::ImmatureSignature => "the access token is not valid yet",
                    ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                        "the access token was not issued for this API"
                    }
                    ErrorKind::InvalidAlgorithm => {
                        "the access token uses an algorithm this API does not accept"
                    }
                    ErrorKind::MissingRequiredClaim(_) => "the access token lacks a required claim",
                    _ => "the access token is invalid",
                })
            })
    }
}

fn unauthenticated(reason: &str) -> ApiError {
    ApiError::Unauthenticated(reason.to_owned())
}

/// What a bank file's download link carries: the file, and who asked for the link (the download
/// runs as them, loaded again, so a disabled account's links stop working).
#[derive(Debug, Serialize, Deserialize)]
pub struct FileLinkClaims {
    pub sub: Uuid,
    pub kind: PrincipalKind,
    pub file: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

impl TokenKeys {
    /// A signed, short-lived download link token for `file`; its expiry.
    pub fn issue_file_link(
        &self,
        kind: PrincipalKind,
        sub: Uuid,
        file: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), ApiError> {
        let expires = now + chrono::TimeDelta::seconds(FILE_LINK_TTL_SECS);
        let claims = FileLinkClaims {
            sub,
            kind,
            file,
            iss: ISSUER.to_owned(),
            aud: FILE_LINK_AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("link signing failed: {e}")))?;
        Ok((token, expires))
    }

    /// A link token's claims, if it is this server's, for a file, and not expired.
    pub fn verify_file_link(&self, token: &str) -> Option<FileLinkClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[FILE_LINK_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<FileLinkClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

pub use siji_core::accounts::secrets::{digest, random_token};

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], Duration::from_secs(900))
    }

    fn principal() -> PrincipalClaims {
        PrincipalClaims {
            name: "370811.operator".into(),
            org: Uuid::from_u128(0x0193_a5b2_7c1e_7d3a_9f1e_2b4c_6d8e_0f12),
            path: "/a/b/".into(),
            roles: "county_operator".into(),
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let id = Uuid::now_v7();
        let (token, ttl) = keys()
            .issue(PrincipalKind::User, id, principal(), Utc::now())
            .unwrap();
        assert_eq!(ttl, 900);
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.kind, PrincipalKind::User);
        assert_eq!(claims.prn, Some(principal()));
    }

    #[test]
    fn other_keys_and_old_tokens_fail() {
        let other = TokenKeys::new(&[8u8; 32], Duration::from_secs(900));
        let (token, _) = other
            .issue(PrincipalKind::User, Uuid::now_v7(), principal(), Utc::now())
            .unwrap();
        assert!(keys().verify(&token).is_err());
        let old = Utc::now() - chrono::Duration::hours(1);
        let (token, _) = keys()
            .issue(PrincipalKind::User, Uuid::now_v7(), principal(), old)
            .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn a_token_verified_before_is_held_to_its_times_and_its_exact_text() {
        let keys = keys();
        let now = Utc::now();
        let (token, _) = keys
            .issue(PrincipalKind::User, Uuid::now_v7(), principal(), now)
            .unwrap();
        let first = keys.verify(&token).unwrap();
        assert_eq!(keys.verified.lock().unwrap().len(), 1);
        let at = |seconds: i64| u64::try_from(now.timestamp() + seconds).unwrap();
        // Remembered, and still held to its lifetime (900 s) and its start, with the leeway.
        let again = keys.verify_at(&token, at(899)).unwrap();
        assert_eq!((again.jti, again.exp), (first.jti, first.exp));
        assert!(keys.verify_at(&token, at(904)).is_ok());
        for late in [906, 3600] {
            let err = keys.verify_at(&token, at(late)).unwrap_err();
            assert!(err.to_string().contains("expired"), "{err}");
        }
        let err = keys.verify_at(&token, at(-6)).unwrap_err();
        assert!(err.to_string().contains("not valid yet"), "{err}");
        // Any other text is decoded afresh: a signature altered by one character fails.
        let at_sig = token.len() - 10;
        let was = &token[at_sig..=at_sig];
        let altered = format!(
            "{}{}{}",
            &token[..at_sig],
            if was == "A" { "B" } else { "A" },
            &token[at_sig + 1..]
        );
        assert!(keys.verify(&altered).is_err());
        assert_eq!(keys.verified.lock().unwrap().len(), 1);
        // Full, it starts again rather than growing.
        for _ in 0..VERIFIED_KEPT {
            let (other, _) = keys
                .issue(PrincipalKind::User, Uuid::now_v7(), principal(), now)
                .unwrap();
            keys.verify(&other).unwrap();
        }
        assert!(keys.verified.lock().unwrap().len() <= VERIFIED_KEPT);
        assert!(keys.verify(&token).is_ok());
    }

    #[test]
    fn digests_are_stable_hex() {
        assert_eq!(digest("abc").len(), 64);
        assert_eq!(digest("abc"), digest("abc"));
        assert_ne!(random_token(), random_token());
    }
}

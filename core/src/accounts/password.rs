//! Password hashing (argon2id) and the password policy.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::{CoreError, FieldError};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Hash for storage (PHC string: algorithm, parameters and salt travel with the hash).
pub fn hash(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
}

/// Hash on the blocking pool: argon2 takes tens of milliseconds of CPU, which must not stall
/// the async executor's threads.
pub async fn hash_off_thread(password: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| CoreError::Internal(format!("password hashing did not finish: {e}")))?
}

/// [`verify`] on the blocking pool.
pub async fn verify_off_thread(password: String, stored: String) -> Result<bool, CoreError> {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .map_err(|e| CoreError::Internal(format!("password check did not finish: {e}")))
}

/// Check a password against a stored hash. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spend the time a real verification takes, so that an unknown username cannot be told from a
/// wrong password by timing.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify(password, stored);
}

/// The policy: 10 to 128 characters, not containing the username. Errors name `field`.
pub fn check_policy(field: &str, password: &str, username: &str) -> Result<(), CoreError> {
    let length = password.chars().count();
    let error = if length < MIN_LENGTH {
        Some(FieldError::new(
            field,
            "too_short",
            format!("must be at least {MIN_LENGTH} characters"),
        ))
    } else if length > MAX_LENGTH {
        Some(FieldError::new(
            field,
            "too_long",
            format!("must be at most {MAX_LENGTH} characters"),
        ))
    } else if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        Some(FieldError::new(
            field,
            "contains_username",
            "must not contain the username",
        ))
    } else {
        None
    };
    error.map_or(Ok(()), |e| Err(CoreError::Validation(vec![e])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &a));
        assert!(!verify("wrong", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("p", "short", "bob").is_err());
        assert!(check_policy("p", "xxBOBxxxxxxx", "bob").is_err());
        assert!(check_policy("p", "a long enough one", "bob").is_ok());
    }
}

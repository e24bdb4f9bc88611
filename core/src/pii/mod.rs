//! Personal data (ID numbers, phones, bank cards): encrypted at rest with AES-256-GCM under a
//! key id (so keys can be rotated), found through keyed HMAC-SHA256 blind indexes (exact search
//! and uniqueness without plaintext), and shown through one mask per field.

pub mod mask;
pub mod protector;
pub mod rotation;

pub use protector::{DataProtector, PiiField};

//! Encryption and blind indexing of personal data.
//!
//! Stored form: `<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. The field name is the associated
//! data, so a ciphertext cannot be moved from one field to another. New values are encrypted
//! under the current key; older keys stay available for reading until data is re-encrypted.
//! Blind indexes are HMAC-SHA256 under a separate index key, with the field name as a domain
//! separator; they do not change when the encryption key rotates.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::CoreError;

/// Which field a value belongs to (associated data and index domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiField {
    IdNumber,
    Phone,
    BankCard,
    /// Not personal data, but a secret the server must read back (a webhook's signing key):
    /// sealed and rotated with the same keys.
    SigningSecret,
}

impl PiiField {
    pub const ALL: [PiiField; 4] = [
        PiiField::IdNumber,
        PiiField::Phone,
        PiiField::BankCard,
        PiiField::SigningSecret,
    ];

    /// The field an encrypted column `<name>_enc` holds (the naming rule of the schema).
    pub fn of_column(column: &str) -> Option<Self> {
        let name = column.strip_suffix("_enc")?;
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            PiiField::IdNumber => "id_number",
            PiiField::Phone => "phone",
            PiiField::BankCard => "bank_card",
            PiiField::SigningSecret => "signing_secret",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a data key must be `<id>:<base64 of 32 bytes>` (or the base64 alone)")]
    Format,
}

/// Parse `id:base64` (or bare base64, id `k1`) into a key id and 32 key bytes.
pub fn parse_key(spec: &str) -> Result<(String, Vec<u8>), KeyError> {
    let (id, encoded) = match spec.split_once(':') {
        Some((id, b64))
            if !id.is_empty()
                && id.len() <= 16
                && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (id, b64)
        }
        Some(_) => return Err(KeyError::Format),
        None => ("k1", spec),
    };
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| KeyError::Format)?;
    if bytes.len() != 32 {
        return Err(KeyError::Format);
    }
    Ok((id.to_owned(), bytes))
}

#[derive(Clone)]
pub struct DataProtector {
    current_id: String,
    ciphers: HashMap<String, Aes256Gcm>,
    index_key: Vec<u8>,
}

impl DataProtector {
    /// `current` encrypts; `previous` only decrypt.
    pub fn new(
        current: (String, Vec<u8>),
        previous: Vec<(String, Vec<u8>)>,
        index_key: Vec<u8>,
    ) -> Result<Self, KeyError> {
        let mut ciphers = HashMap::new();
        for (id, key) in previous.into_iter().chain(std::iter::once(current.clone())) {
            ciphers.insert(
                id,
                Aes256Gcm::new_from_slice(&key).map_err(|_| KeyError::Format)?,
            );
        }
        Ok(Self {
            current_id: current.0,
            ciphers,
            index_key,
        })
    }

    /// The id of the key new values are encrypted under.
    pub fn current_key_id(&self) -> &str {
        &self.current_id
    }

    /// Whether values under this key id can be read.
    pub fn has_key(&self, key_id: &str) -> bool {
        self.ciphers.contains_key(key_id)
    }

    pub fn encrypt(&self, field: PiiField, plaintext: &str) -> Result<String, CoreError> {
        let cipher = self
            .ciphers
            .get(&self.current_id)
            .ok_or_else(|| CoreError::Internal("the current data key is missing".into()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.name().as_bytes(),
                },
            )
            .map_err(|_| CoreError::Internal("encryption failed".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{}:{}", self.current_id, STANDARD.encode(blob)))
    }

    pub fn decrypt(&self, field: PiiField, stored: &str) -> Result<String, CoreError> {
        let fail = || CoreError::Internal(format!("cannot decrypt a stored {}", field.name()));
        let (key_id, encoded) = stored.split_once(':').ok_or_else(fail)?;
        let cipher = self.ciphers.get(key_id).ok_or_else(fail)?;
        let blob = STANDARD.decode(encoded).map_err(|_| fail())?;
        if blob.len() < 12 {
            return Err(fail());
        }
        let (nonce, sealed) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| fail())?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: field.name().as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }

    /// The blind index of a normalised value: hex HMAC-SHA256(index key, field ‖ 0 ‖ value).
    pub fn blind_index(&self, field: PiiField, normalised: &str) -> String {
        // An HMAC key of any length is valid, so this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key) else {
            return String::new();
        };
        mac.update(field.name().as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protector(current: &str, previous: Vec<(String, Vec<u8>)>) -> DataProtector {
        DataProtector::new(
            (
                current.to_owned(),
                vec![u8::try_from(current.len()).unwrap_or(0); 32],
            ),
            previous,
            vec![9; 32],
        )
        .unwrap()
    }

    #[test]
    fn round_trip_with_fresh_nonces() {
        let p = protector("k1", vec![]);
        let a = p.encrypt(PiiField::IdNumber, "11010519491231002X").unwrap();
        let b = p.encrypt(PiiField::IdNumber, "11010519491231002X").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("k1:") && !a.contains("1101051949"));
        assert_eq!(
            p.decrypt(PiiField::IdNumber, &a).unwrap(),
            "11010519491231002X"
        );
        // Bound to its field.
        assert!(p.decrypt(PiiField::Phone, &a).is_err());
    }

    #[test]
    fn rotated_keys_still_decrypt_old_values() {
        let old = protector("k1", vec![]);
        let stored = old.encrypt(PiiField::Phone, "13800138000").unwrap();
        let new = protector("k22", vec![("k1".into(), vec![2; 32])]);
        assert_eq!(
            new.decrypt(PiiField::Phone, &stored).unwrap(),
            "13800138000"
        );
        assert!(
            new.encrypt(PiiField::Phone, "x")
                .unwrap()
                .starts_with("k22:")
        );
    }

    #[test]
    fn blind_indexes_are_deterministic_and_per_field() {
        let p = protector("k1", vec![]);
        let a = p.blind_index(PiiField::IdNumber, "11010519491231002X");
        assert_eq!(a, p.blind_index(PiiField::IdNumber, "11010519491231002X"));
        assert_ne!(a, p.blind_index(PiiField::Phone, "11010519491231002X"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn key_specs() {
        let b64 = STANDARD.encode([1u8; 32]);
        assert_eq!(parse_key(&format!("k7:{b64}")).unwrap().0, "k7");
        assert_eq!(parse_key(&b64).unwrap().0, "k1");
        assert!(parse_key("k1:short").is_err());
        assert!(parse_key(&format!("bad id:{b64}")).is_err());
    }
}

//! Mainland mobile numbers: `+86`/`0086`, spaces and hyphens are dropped, then the number must be
//! eleven digits starting 13–19.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneError;

/// Normalise and validate; returns the eleven digits.
pub fn normalise(raw: &str) -> Result<String, PhoneError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    let b = digits.as_bytes();
    if b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
    {
        Ok(digits.to_owned())
    } else {
        Err(PhoneError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_validates() {
        assert_eq!(normalise("13800138000").unwrap(), "13800138000");
        assert_eq!(normalise("+86 138-0013-8000").unwrap(), "13800138000");
        assert_eq!(normalise("0086 13800138000").unwrap(), "13800138000");
        assert!(normalise("12800138000").is_err());
        assert!(normalise("1380013800").is_err());
        assert!(normalise("138001380001").is_err());
        assert!(normalise("1380013800a").is_err());
        assert!(normalise("+1 13800138000").is_err());
    }
}

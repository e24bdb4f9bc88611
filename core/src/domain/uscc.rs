//! The Unified Social Credit Code (统一社会信用代码, GB 32100-2015): 18 characters from
//! `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z); the last is a check character computed
//! from the first 17 with weights 3^(i-1) mod 31: 31 − (Σ mod 31), where 31 maps to 0.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsccError {
    /// Not 18 characters.
    Length,
    /// A character outside the code's alphabet.
    Character,
    /// The check character does not match.
    Checksum,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// Validate a code given in canonical form (upper case, no spaces).
pub fn validate(code: &str) -> Result<(), UsccError> {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err(UsccError::Length);
    }
    let values: Vec<u32> = bytes
        .iter()
        .map(|&b| value(b))
        .collect::<Option<_>>()
        .ok_or(UsccError::Character)?;
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if values[17] == check {
        Ok(())
    } else {
        Err(UsccError::Checksum)
    }
}

/// The code made of `first17` (canonical characters) and its check character: for generated
/// codes (the demonstration city, tests).
pub fn complete(first17: &str) -> String {
    let sum: u32 = first17
        .bytes()
        .filter_map(value)
        .zip(WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = ((31 - sum % 31) % 31) as usize;
    format!("{first17}{}", ALPHABET[check] as char)
}

/// Upper-case and strip surrounding white space, the form codes are stored and compared in.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_code_validates() {
        for first17 in [
            "91370811MA3C00001",
            "91370811DM0000042",
            "12370800000000000",
        ] {
            assert_eq!(validate(&complete(first17)), Ok(()), "{first17}");
        }
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1u32;
        for expected in WEIGHTS {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn reference_vectors() {
        assert_eq!(validate("91350100M000100Y43"), Ok(()));
        assert_eq!(validate("91350100M000100Y44"), Err(UsccError::Checksum));
        assert_eq!(validate("91350100M000100Y4"), Err(UsccError::Length));
        assert_eq!(validate("91350100M000100I43"), Err(UsccError::Character));
        assert_eq!(validate(&normalise(" 91350100m000100y43 ")), Ok(()));
    }
}

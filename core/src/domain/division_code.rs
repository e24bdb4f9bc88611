//! Administrative division codes (行政区划代码, GB/T 2260): six digits, PPCCDD — province,
//! prefecture-level city, county. 370800 is Jining, 370811 its Rencheng district.

/// Why a code is not a division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionCodeError {
    /// Not exactly six ASCII digits.
    Format,
    /// The first two digits are not a province-level code (11–82).
    Province,
}

pub fn validate(code: &str) -> Result<(), DivisionCodeError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DivisionCodeError::Format);
    }
    let province: u32 = code[..2].parse().map_err(|_| DivisionCodeError::Format)?;
    if !(11..=82).contains(&province) {
        return Err(DivisionCodeError::Province);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(validate("370800"), Ok(()));
        assert_eq!(validate("370811"), Ok(()));
        assert_eq!(validate("37081"), Err(DivisionCodeError::Format));
        assert_eq!(validate("37o811"), Err(DivisionCodeError::Format));
        assert_eq!(validate("000000"), Err(DivisionCodeError::Province));
        assert_eq!(validate("990000"), Err(DivisionCodeError::Province));
    }
}

//! Resident identity card numbers (居民身份证号码, GB 11643-1999): 18 characters — a six-digit
//! address code, the birth date (YYYYMMDD), a three-digit sequence whose parity gives the sex
//! (odd: male), and a check character (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5
//! 8 4 2, Σ mod 11 mapped through `10X98765432`).

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdNumberError {
    /// Not 17 digits followed by a digit or X.
    Format,
    /// The birth date is not a real date, or lies in the future.
    BirthDate,
    /// The check character does not match.
    Checksum,
}

/// What an ID number says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdNumberFacts {
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

/// Upper-case and strip white space: the form in which numbers are stored, indexed and compared.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The number made of 17 digits and their check character: for generated numbers (the
/// demonstration city, tests).
pub fn complete(first17: &str) -> String {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

/// Validate a normalised number against `today`, and derive birth date and sex from it.
pub fn parse(number: &str, today: NaiveDate) -> Result<IdNumberFacts, IdNumberError> {
    let bytes = number.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(IdNumberError::Format);
    }
    let birth_date = NaiveDate::parse_from_str(&number[6..14], "%Y%m%d")
        .map_err(|_| IdNumberError::BirthDate)?;
    if birth_date > today
        || birth_date < NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or(NaiveDate::MIN)
    {
        return Err(IdNumberError::BirthDate);
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != bytes[17] {
        return Err(IdNumberError::Checksum);
    }
    let sex = if (bytes[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(IdNumberFacts { birth_date, sex })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn reference_vectors() {
        let facts = parse("11010519491231002X", today()).unwrap();
        assert_eq!(
            facts.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(facts.sex, Sex::Female);
        assert_eq!(
            parse("110105194912310021", today()),
            Err(IdNumberError::Checksum)
        );
        // Good check digit, but there is no 30 February.
        assert_eq!(
            parse("110105194902300020", today()),
            Err(IdNumberError::BirthDate)
        );
    }

    #[test]
    fn format_and_future_dates() {
        assert_eq!(
            parse("11010519491231002", today()),
            Err(IdNumberError::Format)
        );
        assert_eq!(
            parse("1101051949123100XX", today()),
            Err(IdNumberError::Format)
        );
        assert_eq!(
            parse("11010519491231002x", today()),
            Err(IdNumberError::Format)
        );
        assert_eq!(normalise(" 11010519491231002x "), "11010519491231002X");
        // 2030-01-01 is after "today".
        assert_eq!(
            parse("110105203001010011", today()),
            Err(IdNumberError::BirthDate)
        );
    }

    #[test]
    fn sex_follows_the_seventeenth_digit() {
        // 370802199001011233: sequence 123 → odd → male (check digit computed for the test).
        let number = complete("37080219900101123");
        assert_eq!(parse(&number, today()).unwrap().sex, Sex::Male);
        let number = complete("37080219900101124");
        assert_eq!(parse(&number, today()).unwrap().sex, Sex::Female);
    }
}

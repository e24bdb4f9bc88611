//! Money is stored and sent as integer fen (分); people read yuan (元). This is the one place
//! that writes fen as yuan.

/// `123456` → `1234.56`, `-50` → `-0.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::yuan;

    #[test]
    fn fen_as_yuan() {
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(80_000), "800.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(-50), "-0.50");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }
}

//! The one mask per field, used in every response and export (public notices have their own,
//! stricter ones). Masks are computed when a value is written and stored beside the ciphertext,
//! so lists never decrypt.

fn keep(value: &str, head: usize, tail: usize, stars: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(stars.max(chars.len()));
    }
    let head: String = chars[..head].iter().collect();
    let tail: String = chars[chars.len() - tail..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(stars))
}

/// `110105********002X`: the address code and the last four.
pub fn id_number(value: &str) -> String {
    keep(value, 6, 4, 8)
}

/// `138****8000`.
pub fn phone(value: &str) -> String {
    keep(value, 3, 4, 4)
}

/// `************1234`.
pub fn bank_card(value: &str) -> String {
    keep(value, 0, 4, 12)
}

/// Public notices (公示): `1101**********002X`.
pub fn id_number_public(value: &str) -> String {
    keep(value, 4, 4, 10)
}

/// Public notices (公示): `张*明`, `张*`.
pub fn name_public(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(id_number("11010519491231002X"), "110105********002X");
        assert_eq!(phone("13800138000"), "138****8000");
        assert_eq!(bank_card("6222021234567890123"), "************0123");
        assert_eq!(id_number_public("11010519491231002X"), "1101**********002X");
        assert_eq!(name_public("张三明"), "张*明");
        assert_eq!(name_public("张三"), "张*");
        assert_eq!(id_number("123"), "********");
    }
}

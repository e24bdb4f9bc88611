//! Bank cards: the number (16 to 19 digits, spaces and hyphens dropped, with the Luhn check
//! digit that almost every Chinese debit card carries) and the banks a payout can go to, by
//! their CNAPS bank-type code (行别代码), kept as a table of data rather than as logic.

/// A bank type: the three-digit CNAPS code and the name a bank file and a screen show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bank {
    pub code: &'static str,
    pub name: &'static str,
}

/// The bank types aid is paid through. 313 and 314/402 are families (city commercial banks,
/// rural banks and credit cooperatives): a card of one of them names its bank, e.g. 济宁银行.
pub const BANKS: &[Bank] = &[
    Bank {
        code: "102",
        name: "中国工商银行",
    },
    Bank {
        code: "103",
        name: "中国农业银行",
    },
    Bank {
        code: "104",
        name: "中国银行",
    },
    Bank {
        code: "105",
        name: "中国建设银行",
    },
    Bank {
        code: "301",
        name: "交通银行",
    },
    Bank {
        code: "302",
        name: "中信银行",
    },
    Bank {
        code: "303",
        name: "中国光大银行",
    },
    Bank {
        code: "304",
        name: "华夏银行",
    },
    Bank {
        code: "305",
        name: "中国民生银行",
    },
    Bank {
        code: "306",
        name: "广发银行",
    },
    Bank {
        code: "308",
        name: "招商银行",
    },
    Bank {
        code: "309",
        name: "兴业银行",
    },
    Bank {
        code: "310",
        name: "上海浦东发展银行",
    },
    Bank {
        code: "313",
        name: "城市商业银行",
    },
    Bank {
        code: "314",
        name: "农村商业银行",
    },
    Bank {
        code: "315",
        name: "恒丰银行",
    },
    Bank {
        code: "402",
        name: "农村信用合作社",
    },
    Bank {
        code: "403",
        name: "中国邮政储蓄银行",
    },
];

/// The bank type of a code, if Siji pays through it.
pub fn bank(code: &str) -> Option<Bank> {
    BANKS.iter().copied().find(|b| b.code == code)
}

/// Why a card number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardError {
    /// Not 16 to 19 digits.
    Format,
    /// The digits fail the Luhn check (a typo, most often; a rare real card does too).
    Luhn,
}

/// Spaces and hyphens dropped, as a number is printed on a card or typed from it.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Whether `digits` pass the Luhn (mod 10) check.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let Some(d) = b.checked_sub(b'0').filter(|d| *d <= 9) else {
            return false;
        };
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// Normalise and validate a card number; the Luhn check only unless `skip_luhn`.
pub fn check(raw: &str, skip_luhn: bool) -> Result<String, CardError> {
    let digits = normalise(raw);
    if !(16..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::Format);
    }
    if !skip_luhn && !luhn(&digits) {
        return Err(CardError::Luhn);
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers() {
        assert_eq!(
            check("6222 0212 3456 7890 128", false),
            Ok("6222021234567890128".into())
        );
        assert_eq!(check("6222-0212-3456-7890", false), Err(CardError::Luhn));
        assert_eq!(
            check("6222021234567890", true),
            Ok("6222021234567890".into())
        );
        assert_eq!(check("622202123456789", false), Err(CardError::Format));
        assert_eq!(check("62220212345678901234", true), Err(CardError::Format));
        assert_eq!(check("62220212345678a0128", true), Err(CardError::Format));
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert_eq!(bank("403").map(|b| b.name), Some("中国邮政储蓄银行"));
        assert_eq!(bank("999"), None);
    }
}

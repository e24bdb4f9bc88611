//! Text input that the server refuses everywhere: control characters. PostgreSQL cannot store
//! NUL in a text column at all (SQLite can), and the other C0/C1 controls have no business in a
//! name, a filter or a spreadsheet cell; refusing them in one place keeps both databases alike
//! and keeps log lines and CSV exports clean. Line breaks and tabs are ordinary text.

/// The field-error code for a control character.
pub const CONTROL_CODE: &str = "control_character";
/// Its message (it never repeats the value).
pub const CONTROL_MESSAGE: &str = "contains a control character";

/// Whether `text` holds a character we refuse: any C0 control but tab, line feed and carriage
/// return; DEL; any C1 control.
pub fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_refused_and_line_breaks_kept() {
        assert!(has_control("adm\0in"));
        assert!(has_control("a\u{7f}"));
        assert!(has_control("a\u{85}b"));
        assert!(has_control("\u{1b}[31m"));
        assert!(!has_control("张三\n第二行\tx\r\n"));
        assert!(!has_control(""));
    }
}

//! What may reach a terminal: [`printable`], the one function through which text a server
//! controls reaches a terminal. This crate's error messages use it for what the server
//! said (error code and message, request id, `Location`, decoding details, provider and
//! IAM answers), and the `vpcep` CLI for everything it prints (IDs, table cells, errors).
//! A leaf module: every module that builds a message may use it.

use std::borrow::Cow;

/// Whether `c` may reach a terminal as it is: not a control character (C0, DEL, C1: they
/// move the cursor, clear the screen, set the window title, ring the bell; a C1 CSI,
/// U+009B, starts an escape sequence on some terminals) and not a bidirectional control
/// (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069: they reorder how the text around
/// them is shown, so what is read is not what was sent).
pub fn is_terminal_safe(c: char) -> bool {
    !(c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        ))
}

/// `text` as it may be shown on a terminal, on one line: tab, line feed, carriage
/// return, vertical tab and form feed become a space; every other character that is not
/// [terminal safe](is_terminal_safe) is written as its Rust escape (`\u{1b}`), visible and
/// inert; the rest is kept. Borrowed when nothing changes.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_terminal_safe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' | '\u{b}' | '\u{c}' => out.push(' '),
            c if is_terminal_safe(c) => out.push(c),
            c => out.extend(c.escape_unicode()),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_what_a_terminal_acts_on() {
        assert!(matches!(printable("ep-1 ünïcode 名前"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}[2J\u{7}b\r\nc\u{0}d\u{7f}e\u{9b}f\u{202e}g\u{2066}h\ti"),
            "a\\u{1b}[2J\\u{7}b  c\\u{0}d\\u{7f}e\\u{9b}f\\u{202e}g\\u{2066}h i"
        );
        // Idempotent: what it writes is safe.
        let once = printable("x\u{1b}y").into_owned();
        assert_eq!(printable(&once), once);
    }
}

//! Text helpers for messages, below every module that builds one.

/// An error and its causes on one line (reqwest's Display alone hides the cause).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The rule of a value sent in an HTTP header, as messages state it.
pub(crate) const HEADER_TEXT_RULE: &str =
    "must be printable ASCII without line breaks, control characters or surrounding spaces";

/// Whether `value` follows [`HEADER_TEXT_RULE`]: visible ASCII, spaces and tabs only (no
/// CR, LF, other control characters or non-ASCII), no leading or trailing space or tab.
pub(crate) fn is_header_text(value: &str) -> bool {
    let visible = value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    visible && !value.starts_with([' ', '\t']) && !value.ends_with([' ', '\t'])
}

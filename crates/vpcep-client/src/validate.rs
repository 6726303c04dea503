//! Checks of what travels in headers (the project ID in `X-Project-Id`, the user agent),
//! before any network I/O. The parameters' own rules come from the spec, through
//! [`crate::contract`]; credentials are checked where they are made (`secrets.rs`,
//! [`crate::credentials`]).

use crate::error::ValidationError;

/// Checks a project ID: the spec's rules for `project_id` (through [`crate::contract`]),
/// and that it can travel in the `X-Project-Id` header of a signed request.
pub fn project_id(value: &str) -> Result<(), ValidationError> {
    crate::contract::ListEndpointsQuery::default().set("project_id", value)?;
    header_text("project_id", value)
}

/// Checks that a value can travel in an HTTP header: visible ASCII and spaces/tabs only
/// (no CR, LF or other control characters), no leading or trailing whitespace.
pub fn header_text(parameter: &'static str, value: &str) -> Result<(), ValidationError> {
    if !crate::http_policy::is_header_text(value) {
        let rule = format!(
            "{} (it is sent as an HTTP header)",
            crate::http_policy::HEADER_TEXT_RULE
        );
        return Err(ValidationError::new(parameter, rule, value));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values() {
        assert!(header_text("X-Project-Id", "abc 123").is_ok());
        let e = header_text("X-Project-Id", "abc\r\nX-Evil: 1").unwrap_err();
        assert!(e.to_string().contains("X-Project-Id"));
    }
}

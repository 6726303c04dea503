//! Checks of what travels in headers (the project ID in `X-Project-Id`, the token, the
//! access key, the user agent), before any network I/O. The parameters' own rules come
//! from the spec, through [`crate::contract`].

use crate::error::ValidationError;

/// `X-Auth-Token`: 1..=2048 characters (the spec's `iamToken` security scheme states it
/// in prose, so it is not in the contract table).
const AUTH_TOKEN: (usize, usize) = (1, 2048);

/// Checks a project ID: the spec's rules for `project_id` (through [`crate::contract`]),
/// and that it can travel in the `X-Project-Id` header of a signed request.
pub fn project_id(value: &str) -> Result<(), ValidationError> {
    crate::contract::ListEndpointsQuery::default().set("project_id", value)?;
    header_text("project_id", value, false)
}

/// Checks that a value can travel in an HTTP header: visible ASCII and spaces/tabs only
/// (no CR, LF or other control characters), no leading or trailing whitespace.
pub fn header_text(
    parameter: &'static str,
    value: &str,
    secret: bool,
) -> Result<(), ValidationError> {
    let bad = value
        .bytes()
        .any(|b| !(b == b'\t' || (0x20..0x7f).contains(&b)));
    let padded = value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']);
    if bad || padded {
        let rule = "must be printable ASCII without control characters or surrounding spaces \
                    (it is sent as an HTTP header)";
        return Err(if secret {
            ValidationError::secret(parameter, rule, value)
        } else {
            ValidationError::new(parameter, rule, value)
        });
    }
    Ok(())
}

/// Checks an IAM token: 1..=2048 characters of header text. The value is never shown.
pub fn auth_token(value: &str) -> Result<(), ValidationError> {
    let n = value.chars().count();
    let (min, max) = AUTH_TOKEN;
    if n < min || n > max {
        return Err(ValidationError::secret(
            "X-Auth-Token",
            format!("must be {min} to {max} characters long"),
            value,
        ));
    }
    header_text("X-Auth-Token", value, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values() {
        assert!(header_text("X-Project-Id", "abc 123", false).is_ok());
        let e = header_text("X-Project-Id", "abc\r\nX-Evil: 1", false).unwrap_err();
        assert!(e.to_string().contains("X-Project-Id"));
        let e = auth_token("tok\nen").unwrap_err();
        assert!(!e.to_string().contains("tok"), "{e}");
        let e = auth_token(&"t".repeat(2049)).unwrap_err();
        assert!(e.to_string().contains("1 to 2048"));
        assert!(auth_token("").is_err());
    }
}

//! Request validation: every constraint of the spec's request side, checked before any
//! network I/O. The limits mirror `openapi/vpcep.yaml`; `src/spec_limits.rs` (against
//! the committed bundle `openapi/vpcep.json`) checks
//! that they still agree with the spec.

use crate::error::ValidationError;

/// Length limits (in Unicode characters) of the string parameters, as in the spec.
pub mod limits {
    /// `project_id`: 1..=64.
    pub const PROJECT_ID: (usize, usize) = (1, 64);
    /// `endpoint_service_name`: 1..=128.
    pub const ENDPOINT_SERVICE_NAME: (usize, usize) = (1, 128);
    /// `vpc_id`: 1..=64.
    pub const VPC_ID: (usize, usize) = (1, 64);
    /// `id`: 1..=64.
    pub const ID: (usize, usize) = (1, 64);
    /// `public_border_group`: at least 1 (no documented maximum).
    pub const PUBLIC_BORDER_GROUP: (usize, usize) = (1, usize::MAX);
    /// `X-Auth-Token`: 1..=2048.
    pub const AUTH_TOKEN: (usize, usize) = (1, 2048);
    /// `limit`: 1..=1000.
    pub const LIMIT: (i64, i64) = (1, 1000);
    /// `offset`: 0..=i32::MAX (the spec's `format: int32`).
    pub const OFFSET: (i64, i64) = (0, i32::MAX as i64);
}

/// Checks a string parameter's length in characters.
pub fn length(
    parameter: &'static str,
    value: &str,
    (min, max): (usize, usize),
) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n < min || n > max {
        let rule = if max == usize::MAX {
            format!("must be at least {min} character(s) long")
        } else {
            format!("must be {min} to {max} characters long, is {n}")
        };
        return Err(ValidationError::new(parameter, rule, value));
    }
    Ok(())
}

/// Checks an integer parameter's range.
pub fn range(
    parameter: &'static str,
    value: i64,
    (min, max): (i64, i64),
) -> Result<(), ValidationError> {
    if value < min || value > max {
        let rule = if max == i64::from(i32::MAX) {
            format!("must be at least {min}")
        } else {
            format!("must be between {min} and {max}")
        };
        return Err(ValidationError::new(parameter, rule, &value.to_string()));
    }
    Ok(())
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
    let (min, max) = limits::AUTH_TOKEN;
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
    fn lengths_count_characters_not_bytes() {
        assert!(length("vpc_id", &"é".repeat(64), limits::VPC_ID).is_ok());
        let e = length("vpc_id", &"é".repeat(65), limits::VPC_ID).unwrap_err();
        assert_eq!(e.parameter, "vpc_id");
        assert!(
            e.to_string()
                .contains("must be 1 to 64 characters long, is 65"),
            "{e}"
        );
        let e = length("id", "", limits::ID).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid id: must be 1 to 64 characters long, is 0 (got "")"#
        );
    }

    #[test]
    fn ranges() {
        assert!(range("limit", 1, limits::LIMIT).is_ok());
        assert!(range("limit", 1000, limits::LIMIT).is_ok());
        let e = range("limit", 1001, limits::LIMIT).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid limit: must be between 1 and 1000 (got \"1001\")"
        );
        let e = range("offset", -1, limits::OFFSET).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid offset: must be at least 0 (got \"-1\")"
        );
    }

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

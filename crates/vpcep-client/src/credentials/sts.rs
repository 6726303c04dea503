//! What the temporary-credential services answer (`StsAccessor._process_credential` in
//! the official SDK), and small HTTP helpers shared by the providers.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{Identity, ProviderError};
use crate::secrets::AkSk;

/// Reads `{"credential": {"access", "secret", "securitytoken", "expires_at"}}` and the
/// spellings the official SDK also accepts: a `credentials` wrapper or none,
/// `accessKeyId`/`access_key_id`, `secretAccessKey`/`secret_access_key`,
/// `securityToken`/`security_token`, `expiration`. Errors never quote the body (it holds
/// secrets).
pub(crate) fn parse_credential(
    provider: &'static str,
    body: &[u8],
) -> Result<Identity, ProviderError> {
    let fail = |m: &str| ProviderError::failed(provider, m.to_owned());
    let value: Value =
        serde_json::from_slice(body).map_err(|_| fail("the answer is not a JSON object"))?;
    let map = value
        .as_object()
        .ok_or_else(|| fail("the answer is not a JSON object"))?;
    let map = match (map.get("credential"), map.get("credentials")) {
        (Some(Value::Object(inner)), _) | (None, Some(Value::Object(inner))) => inner,
        _ => map,
    };
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| map.get(*n).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let ak = field(&["access", "accessKeyId", "access_key_id"])
        .ok_or_else(|| fail("the answer has no access key (`access`)"))?;
    let sk = field(&["secret", "secretAccessKey", "secret_access_key"])
        .ok_or_else(|| fail("the answer has no secret key (`secret`)"))?;
    let token = field(&["securitytoken", "securityToken", "security_token"]);
    let expires = field(&["expires_at", "expiration"])
        .ok_or_else(|| fail("the answer has no expiry (`expires_at`)"))?;
    let expires_at = parse_expiry(&expires).ok_or_else(|| {
        fail(&format!(
            "the expiry {expires:?} is not a time like 2026-11-30T12:00:00.000000Z"
        ))
    })?;
    let mut keys = AkSk::new(ak, sk);
    if let Some(token) = token {
        keys = keys.with_security_token(token);
    }
    Ok(Identity::new(provider, keys).with_expiry(expires_at))
}

/// `2026-11-30T12:00:00.000000Z` (the official format, `%Y-%m-%dT%H:%M:%S.%fZ`, in UTC),
/// or any RFC 3339 time.
pub(crate) fn parse_expiry(text: &str) -> Option<SystemTime> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = t.unix_timestamp();
    let base = if secs >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    Some(base + Duration::from_nanos(u64::from(t.nanosecond())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn reads_the_metadata_shape() {
        let body = br#"{"credential":{"access":"AKTMP","secret":"SKTMP","securitytoken":"TOK","expires_at":"2026-11-30T12:00:00.000000Z"}}"#;
        let id = parse_credential("metadata", body).unwrap();
        assert_eq!(id.keys().access_key(), "AKTMP");
        assert_eq!(id.keys().secret_key().expose_secret(), "SKTMP");
        assert_eq!(id.keys().security_token().unwrap().expose_secret(), "TOK");
        assert_eq!(
            super::super::format_time(id.expires_at().unwrap()),
            "2026-11-30T12:00:00Z"
        );
    }

    #[test]
    fn reads_the_other_spellings() {
        let body = br#"{"credentials":{"access_key_id":"A","secret_access_key":"S","security_token":"T","expiration":"2026-01-02T03:04:05.123Z"}}"#;
        let id = parse_credential("oidc-sts", body).unwrap();
        assert_eq!(id.keys().access_key(), "A");
        let body = br#"{"accessKeyId":"A2","secretAccessKey":"S","securityToken":"T","expires_at":"2026-01-02T03:04:05Z"}"#;
        assert_eq!(
            parse_credential("p", body).unwrap().keys().access_key(),
            "A2"
        );
    }

    #[test]
    fn errors_name_the_field_not_the_secret() {
        let body = br#"{"credential":{"access":"A","secret":"SECRETVALUE","expires_at":"soon"}}"#;
        let e = parse_credential("metadata", body).unwrap_err();
        assert!(e.message.contains("soon"), "{e}");
        assert!(!e.to_string().contains("SECRETVALUE"));
        let e = parse_credential("metadata", br#"{"credential":{"secret":"SECRETVALUE"}}"#)
            .unwrap_err();
        assert!(e.message.contains("access"), "{e}");
        let e = parse_credential("metadata", b"SECRETVALUE").unwrap_err();
        assert!(!e.to_string().contains("SECRETVALUE"));
    }
}

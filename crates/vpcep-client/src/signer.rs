//! AK/SK request signing (`SDK-HMAC-SHA256`), byte-identical to the Signer of Huawei
//! Cloud's official SDKs (checked against vectors from `huaweicloudsdkcore` 3.1.219).
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//!                    SignedHeaders \n HexSha256(body)
//! StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSha256(CanonicalRequest)
//! Signature        = Hex(HMAC-SHA256(SK, StringToSign))
//! Authorization    = "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={a;b;c}, Signature={hex}"
//! ```
//!
//! * canonical URI: the path percent-decoded, split on `/`, each segment [`encode`]d,
//!   re-joined, with a trailing `/` appended when missing;
//! * canonical query: decoded `(name, value)` pairs sorted (name, then value, compared as
//!   decoded strings like the SDKs do), each side [`encode`]d, joined with `&`;
//! * canonical headers: `lowercase-name:trimmed-value\n` for every signed header;
//! * signed headers: every header whose name contains no `_`, lower-cased and sorted;
//! * body hash: hex SHA-256 of the body; an empty body hashes the empty string; a non-empty
//!   body uses the `X-Sdk-Content-Sha256` header's value instead when that header is set
//!   (the SDKs send `UNSIGNED-PAYLOAD` there for non-JSON bodies).

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::secrets::AkSk;

/// Signing algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time, `YYYYMMDDTHHMMSSZ` (UTC).
pub const HEADER_SDK_DATE: &str = "X-Sdk-Date";
/// Header whose value replaces the body hash of a non-empty body (e.g. `UNSIGNED-PAYLOAD`).
pub const HEADER_CONTENT_SHA256: &str = "X-Sdk-Content-Sha256";
/// Value of [`HEADER_CONTENT_SHA256`] that leaves the payload unsigned.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Hex SHA-256 of the empty string: the body hash of requests without a body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type HmacSha256 = Hmac<Sha256>;

/// Everything but `A-Z a-z 0-9 - _ . ~` is escaped (Python's `quote(s, safe='~')`).
const HUAWEI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const SDK_DATE_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year padding:zero range:standard][month padding:zero][day padding:zero]T[hour padding:zero repr:24][minute padding:zero][second padding:zero]Z"
);

/// Huawei percent-encoding: only `A-Z a-z 0-9 - _ . ~` stay unescaped; everything else
/// becomes `%XX` (upper-case hex) of its UTF-8 bytes. Space becomes `%20`.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, HUAWEI_ENCODE_SET).to_string()
}

/// Canonical query string from *decoded* `(name, value)` pairs: sorted by name, then value
/// (as the SDKs sort them, on the decoded strings), each side [`encode`]d, `name=value`
/// joined with `&`. Repeated names (list values) stay repeated pairs; an empty value gives
/// `name=`. Render bools as `true`/`false` and integers in decimal before calling.
pub fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// Decodes a raw query string (`a=1&b=x%20y`) into `(name, value)` pairs, the way
/// `application/x-www-form-urlencoded` does (`+` is a space; empty segments skipped; a
/// segment without `=` has an empty value). Invalid UTF-8 is replaced lossily.
pub fn decode_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let plus_as_space = s.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// Canonical URI: the path percent-decoded, split on `/`, each segment [`encode`]d, joined
/// again, with a trailing `/` appended when missing.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Formats a time as `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC), e.g. `20240102T030405Z`.
pub fn format_sdk_date(t: SystemTime) -> String {
    let t = OffsetDateTime::from(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses an `X-Sdk-Date` value (`YYYYMMDDTHHMMSSZ`, UTC). `None` if malformed.
pub fn parse_sdk_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_ascii() {
        return None;
    }
    let t = PrimitiveDateTime::parse(s, SDK_DATE_FORMAT).ok()?;
    Some(t.assume_utc().into())
}

/// The result of signing: the `Authorization` value and the intermediate strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    pub authorization: String,
    /// Lower-cased, sorted names of the signed headers.
    pub signed_headers: Vec<String>,
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// `SDK-HMAC-SHA256\n{date}\n{hex sha256(canonical request)}`.
    pub string_to_sign: String,
    /// Hex HMAC-SHA256 of the string to sign.
    pub signature: String,
}

/// Why a request could not be signed. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The access key or secret key is empty.
    #[error("{0} is required in credentials")]
    MissingCredential(&'static str),
    /// A header the signature needs (`X-Sdk-Date`, `Host`) is absent.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    #[error("X-Sdk-Date {0:?} is not YYYYMMDDTHHMMSSZ")]
    InvalidDate(String),
    /// A header name is not a valid HTTP token.
    #[error("invalid header name {0:?}")]
    InvalidHeaderName(String),
    /// A header value is not text (not UTF-8, or has control characters). Names the header.
    #[error("value of header {0} is not valid text")]
    InvalidHeaderValue(String),
    /// Two headers with the same (case-insensitive) name would both be signed.
    #[error("header {0} appears more than once")]
    DuplicateHeader(String),
    /// The request URL has no host.
    #[error("request URL has no host")]
    MissingHost,
    /// The request body is a stream, whose SHA-256 cannot be computed before sending.
    #[error("cannot sign a streaming request body")]
    StreamingBody,
    /// A credential cannot be put in an HTTP header (which one is named, not its value).
    #[error("{0} cannot be sent in an HTTP header")]
    UnsendableCredential(&'static str),
}

/// Why an incoming request's signature was rejected. Never contains the SK or the expected
/// signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header (`Authorization`, `X-Sdk-Date`, or a header listed as signed) is absent.
    #[error("missing {0} header")]
    Missing(String),
    /// The `Authorization` header or `X-Sdk-Date` cannot be parsed, or a signed header is
    /// not usable.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// `lookup_sk` does not know the access key.
    #[error("unknown access key")]
    UnknownAccessKey,
    /// `X-Sdk-Date` is too far from the server's clock.
    #[error("X-Sdk-Date {date} is more than {}s away from the server time", .max_skew.as_secs())]
    ClockSkew {
        /// The `X-Sdk-Date` received.
        date: String,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// The signature does not match the request.
    #[error("signature does not match the request")]
    SignatureMismatch,
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(sk: &SecretString, data: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(sk.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(data.as_bytes());
    mac
}

/// Value is usable as header text: UTF-8 without control characters (tab allowed).
fn is_header_text(v: &str) -> bool {
    !v.chars()
        .any(|c| (c.is_ascii_control() && c != '\t') || c == '\u{7f}')
}

fn body_hash(body: &[u8], content_sha256: Option<&str>) -> String {
    if body.is_empty() {
        EMPTY_BODY_SHA256.to_owned()
    } else if let Some(h) = content_sha256.filter(|h| !h.is_empty()) {
        h.to_owned()
    } else {
        sha256_hex(body)
    }
}

/// Canonical request over `signed`: (lower-case name, trimmed value) in signing order.
fn build_canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    signed: &[(String, String)],
    body_hash: &str,
) -> String {
    let mut cr = String::new();
    cr.push_str(&method.to_ascii_uppercase());
    cr.push('\n');
    cr.push_str(&canonical_uri(path));
    cr.push('\n');
    cr.push_str(canonical_query);
    cr.push('\n');
    for (name, value) in signed {
        cr.push_str(name);
        cr.push(':');
        cr.push_str(value);
        cr.push('\n');
    }
    cr.push('\n');
    let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
    cr.push_str(&names.join(";"));
    cr.push('\n');
    cr.push_str(body_hash);
    cr
}

fn build_string_to_sign(date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Pure signing over already-final parts. `headers` must include `X-Sdk-Date` and `Host`;
/// every header whose name has no `_` is signed. `path` is the request path as sent
/// (percent-encoded or not); `canonical_query` is used verbatim (see [`canonical_query`]).
pub fn sign(
    ak: &str,
    sk: &SecretString,
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Signature, SignError> {
    if ak.is_empty() {
        return Err(SignError::MissingCredential("ak"));
    }
    if sk.expose_secret().is_empty() {
        return Err(SignError::MissingCredential("sk"));
    }

    let mut signed: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(SignError::InvalidHeaderName(name.clone()));
        }
        if !is_header_text(value) {
            return Err(SignError::InvalidHeaderValue(name.clone()));
        }
        if name.contains('_') {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if signed.iter().any(|(n, _)| *n == lower) {
            return Err(SignError::DuplicateHeader(lower));
        }
        signed.push((lower, value.trim().to_owned()));
    }
    signed.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let find = |name: &str| {
        signed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let date_value = find("x-sdk-date").ok_or(SignError::MissingHeader(HEADER_SDK_DATE))?;
    let date = parse_sdk_date(date_value)
        .map(format_sdk_date)
        .ok_or_else(|| SignError::InvalidDate(date_value.to_owned()))?;
    find("host").ok_or(SignError::MissingHeader("Host"))?;

    let hash = body_hash(body, find("x-sdk-content-sha256"));
    let canonical_request = build_canonical_request(method, path, canonical_query, &signed, &hash);
    let string_to_sign = build_string_to_sign(&date, &canonical_request);
    let signature = hex::encode(hmac_sha256(sk, &string_to_sign).finalize().into_bytes());
    let signed_headers: Vec<String> = signed.into_iter().map(|(n, _)| n).collect();
    let authorization = format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    );
    Ok(Signature {
        authorization,
        signed_headers,
        canonical_request,
        string_to_sign,
        signature,
    })
}

/// Signs a reqwest request in place, as the last step before sending.
///
/// * rewrites the URL's query into canonical form (decoded as form-urlencoded, so `+` is a
///   space; re-encoded; sorted), so the URL sent is exactly the one signed (the SDKs too
///   send the canonical query);
/// * sets `Host` to the URL's `host[:port]` (port only when not the scheme's default) unless
///   a `Host` header is already present;
/// * sets `X-Sdk-Date` from `now` (replacing any previous value, so re-signing a retried
///   request works), and `X-Security-Token` when the credentials have one;
/// * like the SDKs, sets `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when a `Content-Type`
///   other than `application/json…` is present;
/// * removes any previous `Authorization`, signs every header whose name has no `_`, and
///   sets `Authorization`.
///
/// Headers that reqwest adds at send time (client default headers, `Content-Length`, …)
/// are not signed, which the scheme allows.
pub fn sign_request(
    request: &mut reqwest::Request,
    creds: &AkSk,
    now: SystemTime,
) -> Result<(), SignError> {
    use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};

    // Query: decode what is there, re-encode canonically, and send exactly that.
    let url = request.url_mut();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let query = canonical_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    url.set_query((!query.is_empty()).then_some(query.as_str()));

    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(SignError::MissingHost),
    };
    let path = url.path().to_owned();

    let headers = request.headers_mut();
    headers.remove(AUTHORIZATION);
    if !headers.contains_key(HOST) {
        let value = HeaderValue::from_str(&host).map_err(|_| SignError::MissingHost)?;
        headers.insert(HOST, value);
    }
    let date =
        HeaderValue::from_str(&format_sdk_date(now)).expect("X-Sdk-Date is a valid header value");
    headers.insert(HeaderName::from_static("x-sdk-date"), date);
    if let Some(token) = creds.security_token() {
        let mut value = HeaderValue::from_str(token.expose_secret())
            .map_err(|_| SignError::UnsendableCredential("security token"))?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static("x-security-token"), value);
    }
    let non_json = headers
        .get(CONTENT_TYPE)
        .is_some_and(|ct| !ct.as_bytes().starts_with(b"application/json"));
    if non_json {
        headers.insert(
            HeaderName::from_static("x-sdk-content-sha256"),
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
    }

    let mut list = Vec::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| SignError::InvalidHeaderValue(name.as_str().to_owned()))?;
        list.push((name.as_str().to_owned(), value.to_owned()));
    }

    let body = match request.body() {
        None => &[][..],
        Some(body) => body.as_bytes().ok_or(SignError::StreamingBody)?,
    };
    let method = request.method().as_str().to_owned();
    let signature = sign(
        creds.access_key(),
        creds.secret_key(),
        &method,
        &path,
        &query,
        &list,
        body,
    )?;
    let mut value = HeaderValue::from_str(&signature.authorization)
        .map_err(|_| SignError::UnsendableCredential("access key"))?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// Parsed `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
struct AuthorizationHeader<'a> {
    access: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, VerifyError> {
    let malformed = |what: &str| VerifyError::Malformed(format!("Authorization {what}"));
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .ok_or_else(|| malformed("does not use SDK-HMAC-SHA256"))?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("has a part without '='"))?;
        let slot = match key {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return Err(malformed("has an unknown part")),
        };
        if slot.replace(val).is_some() {
            return Err(malformed("repeats a part"));
        }
    }
    let access = access
        .filter(|a| !a.is_empty())
        .ok_or_else(|| malformed("lacks Access"))?;
    let signed = signed
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("lacks SignedHeaders"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("lacks Signature"))?;
    Ok(AuthorizationHeader {
        access,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Server side: verifies an incoming request's `Authorization` header by recomputing the
/// signature over the headers it lists (which must include `host` and `x-sdk-date`).
///
/// `path` is the request path as received; `raw_query` the query exactly as received (it
/// is decoded and re-canonicalised). `lookup_sk` maps an AK to its SK. `X-Sdk-Date` must be
/// present, parseable and within `max_skew` of `now`. A non-empty body is hashed unless a
/// *signed* `X-Sdk-Content-Sha256` header supplies the hash. Signatures are compared in
/// constant time. Returns the AK on success.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
    lookup_sk: impl Fn(&str) -> Option<SecretString>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<String, VerifyError> {
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| VerifyError::Missing("Authorization".into()))?
        .to_str()
        .map_err(|_| VerifyError::Malformed("Authorization is not ASCII text".into()))?;
    let auth = parse_authorization(authorization)?;

    for required in ["host", "x-sdk-date"] {
        if !auth.signed_headers.contains(&required) {
            return Err(VerifyError::Malformed(format!(
                "SignedHeaders does not include {required}"
            )));
        }
    }

    let mut signed = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let mut values = headers.get_all(*name).iter();
        let value = values
            .next()
            .ok_or_else(|| VerifyError::Missing((*name).to_owned()))?;
        if values.next().is_some() {
            return Err(VerifyError::Malformed(format!(
                "signed header {name} appears more than once"
            )));
        }
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| VerifyError::Malformed(format!("signed header {name} is not UTF-8")))?;
        signed.push(((*name).to_owned(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        signed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    let date_value = find("x-sdk-date").unwrap_or_default();
    let date = parse_sdk_date(date_value)
        .ok_or_else(|| VerifyError::Malformed("X-Sdk-Date is not YYYYMMDDTHHMMSSZ".into()))?;
    let skew = now.duration_since(date).unwrap_or_else(|e| e.duration());
    if skew > max_skew {
        return Err(VerifyError::ClockSkew {
            date: date_value.to_owned(),
            max_skew,
        });
    }

    let sk = lookup_sk(auth.access).ok_or(VerifyError::UnknownAccessKey)?;

    let pairs = raw_query.map(decode_query).unwrap_or_default();
    let query = canonical_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let hash = body_hash(body, find("x-sdk-content-sha256"));
    let canonical_request = build_canonical_request(method, path, &query, &signed, &hash);
    let string_to_sign = build_string_to_sign(&format_sdk_date(date), &canonical_request);

    let provided = hex::decode(auth.signature).map_err(|_| VerifyError::SignatureMismatch)?;
    hmac_sha256(&sk, &string_to_sign)
        .verify_slice(&provided)
        .map_err(|_| VerifyError::SignatureMismatch)?;
    Ok(auth.access.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SK: &str = "UnitTestSecretKeyValue42";

    #[test]
    fn encode_rules() {
        assert_eq!(encode("a b"), "a%20b");
        assert_eq!(encode("~-_."), "~-_.");
        assert_eq!(encode("*"), "%2A");
        assert_eq!(encode("+/=&?#%"), "%2B%2F%3D%26%3F%23%25");
        assert_eq!(encode("AZaz09"), "AZaz09");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("终端"), "%E7%BB%88%E7%AB%AF");
        assert_eq!(encode(""), "");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query([]), "");
        assert_eq!(
            canonical_query([("offset", "0"), ("limit", "1000")]),
            "limit=1000&offset=0"
        );
        // Repeated names (list values) stay repeated, values sorted.
        assert_eq!(
            canonical_query([("tags", "b"), ("id", "1"), ("tags", "a")]),
            "id=1&tags=a&tags=b"
        );
        assert_eq!(
            canonical_query([("k", ""), ("a b", "x y")]),
            "a%20b=x%20y&k="
        );
        assert_eq!(canonical_query([("enabled", "true")]), "enabled=true");
    }

    #[test]
    fn decode_query_is_form_urlencoded() {
        assert_eq!(
            decode_query("a=x+y&b=%E7%BB%88&&c&d=1%2B1"),
            vec![
                ("a".into(), "x y".into()),
                ("b".into(), "终".into()),
                ("c".into(), String::new()),
                ("d".into(), "1+1".into()),
            ]
        );
    }

    #[test]
    fn canonical_uri_appends_slash_and_reencodes() {
        assert_eq!(canonical_uri("/v1/p/vpc-endpoints"), "/v1/p/vpc-endpoints/");
        assert_eq!(
            canonical_uri("/v1/p/vpc-endpoints/"),
            "/v1/p/vpc-endpoints/"
        );
        assert_eq!(canonical_uri("/a%20b/c d/"), "/a%20b/c%20d/");
        assert_eq!(canonical_uri("/x:y"), "/x%3Ay/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn sdk_date_round_trip() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_164_645); // 2024-01-02T03:04:05Z
        assert_eq!(format_sdk_date(t), "20240102T030405Z");
        assert_eq!(parse_sdk_date("20240102T030405Z"), Some(t));
        assert_eq!(format_sdk_date(SystemTime::UNIX_EPOCH), "19700101T000000Z");
        // Sub-second precision is dropped.
        assert_eq!(
            format_sdk_date(t + Duration::from_millis(999)),
            "20240102T030405Z"
        );
        for bad in [
            "",
            "20240102T030405",
            "2024-01-02T03:04:05Z",
            "20241302T030405Z",
            "20240102T250405Z",
            "20240102t030405Z",
            "+2024010T030405Z",
            "20240102T030405Z ",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad:?}");
        }
    }

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sign_skips_underscore_headers_and_requires_date_and_host() {
        let sk = SecretString::from(SK);
        let base = [("Host", "h"), ("X-Sdk-Date", "20240102T030405Z")];
        let mut with_underscore = base.to_vec();
        with_underscore.push(("X_Custom", "v"));
        let a = sign("AK", &sk, "GET", "/", "", &headers(&base), b"").unwrap();
        let b = sign("AK", &sk, "GET", "/", "", &headers(&with_underscore), b"").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.signed_headers, ["host", "x-sdk-date"]);

        assert_eq!(
            sign("AK", &sk, "GET", "/", "", &headers(&base[..1]), b""),
            Err(SignError::MissingHeader("X-Sdk-Date"))
        );
        assert_eq!(
            sign("AK", &sk, "GET", "/", "", &headers(&base[1..]), b""),
            Err(SignError::MissingHeader("Host"))
        );
        let mut dup = base.to_vec();
        dup.push(("host", "other"));
        assert_eq!(
            sign("AK", &sk, "GET", "/", "", &headers(&dup), b""),
            Err(SignError::DuplicateHeader("host".into()))
        );
    }

    #[test]
    fn body_hash_rules() {
        let sk = SecretString::from(SK);
        let h = headers(&[("Host", "h"), ("X-Sdk-Date", "20240102T030405Z")]);
        let sig = sign("AK", &sk, "post", "/", "", &h, b"{}").unwrap();
        assert!(sig.canonical_request.starts_with("POST\n"));
        assert!(sig.canonical_request.ends_with(&sha256_hex(b"{}")));
        let mut h2 = h.clone();
        h2.push((HEADER_CONTENT_SHA256.into(), UNSIGNED_PAYLOAD.into()));
        let sig = sign("AK", &sk, "POST", "/", "", &h2, b"data").unwrap();
        assert!(sig.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
        let sig = sign("AK", &sk, "POST", "/", "", &h2, b"").unwrap();
        assert!(sig.canonical_request.ends_with(EMPTY_BODY_SHA256));
    }

    #[test]
    fn errors_never_contain_secrets() {
        let sk = SecretString::from(SK);
        let token = "TemporarySecurityTokenValue";
        let creds = AkSk::new("AK", SK).with_security_token(format!("{token}\n"));
        let mut req = reqwest::Request::new(
            reqwest::Method::GET,
            "https://example.com/v1".parse().unwrap(),
        );
        let err = sign_request(&mut req, &creds, SystemTime::now()).unwrap_err();
        assert_eq!(err, SignError::UnsendableCredential("security token"));

        let mut errors: Vec<String> = Vec::new();
        let sign_errors = [
            err,
            sign("", &sk, "GET", "/", "", &[], b"").unwrap_err(),
            sign("AK", &SecretString::from(""), "GET", "/", "", &[], b"").unwrap_err(),
            sign(
                "AK",
                &sk,
                "GET",
                "/",
                "",
                &headers(&[("X-Sdk-Date", "bad"), ("Host", "h")]),
                b"",
            )
            .unwrap_err(),
            sign("AK", &sk, "GET", "/", "", &headers(&[("A", "x\ny")]), b"").unwrap_err(),
        ];
        for e in &sign_errors {
            errors.push(format!("{e}"));
            errors.push(format!("{e:?}"));
        }

        // Verify errors, including a mismatch whose expected signature must not leak.
        let signed = sign(
            "AK",
            &sk,
            "GET",
            "/",
            "",
            &headers(&[("Host", "h"), ("X-Sdk-Date", "20240102T030405Z")]),
            b"",
        )
        .unwrap();
        let now = parse_sdk_date("20240102T030405Z").unwrap();
        let mut map = http::HeaderMap::new();
        map.insert("host", "h".parse().unwrap());
        map.insert("x-sdk-date", "20240102T030405Z".parse().unwrap());
        map.insert(
            "authorization",
            signed
                .authorization
                .replace(&signed.signature, &"0".repeat(64))
                .parse()
                .unwrap(),
        );
        let skew = Duration::from_secs(900);
        let verify_errors = [
            verify("GET", "/", None, &map, b"", |_| Some(sk.clone()), now, skew).unwrap_err(),
            verify("GET", "/", None, &map, b"", |_| None, now, skew).unwrap_err(),
            verify(
                "GET",
                "/",
                None,
                &map,
                b"",
                |_| Some(sk.clone()),
                now + Duration::from_secs(3600),
                skew,
            )
            .unwrap_err(),
            verify(
                "GET",
                "/",
                None,
                &http::HeaderMap::new(),
                b"",
                |_| None,
                now,
                skew,
            )
            .unwrap_err(),
        ];
        assert_eq!(verify_errors[0], VerifyError::SignatureMismatch);
        for e in &verify_errors {
            errors.push(format!("{e}"));
            errors.push(format!("{e:?}"));
        }
        for s in &errors {
            assert!(!s.contains(SK), "{s}");
            assert!(!s.contains(token), "{s}");
            assert!(!s.contains(&signed.signature), "{s}");
        }
    }
}

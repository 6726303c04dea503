//! The signer against vectors produced by the official Python SDK's Signer
//! (`huaweicloudsdkcore` 3.1.219): `tests/data/signer_vectors.json`.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use vpcep_client::auth::AkSk;
use vpcep_client::signer::{
    self, canonical_query, format_sdk_date, parse_sdk_date, sign, sign_request, verify, SignError,
    VerifyError,
};

#[derive(Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    inputs: Inputs,
    outputs: Outputs,
}

#[derive(Deserialize)]
struct Inputs {
    method: String,
    url: String,
    scheme: String,
    host: String,
    resource_path: String,
    query_params: Vec<(String, Value)>,
    /// Ordered as in the file (serde_json's `preserve_order` is not relied upon).
    headers: Value,
    body: Option<String>,
    ak: String,
    sk: String,
    date: String,
}

#[derive(Deserialize)]
struct Outputs {
    authorization: String,
    signed_headers: Vec<String>,
    final_headers: Value,
    uri_sent: String,
    canonical_request: String,
    canonical_request_sha256: String,
    string_to_sign: String,
}

const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/signer_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("read signer vectors");
    let file: File = serde_json::from_str(&text).expect("parse signer vectors");
    assert_eq!(file.vectors.len(), 6, "expected the 6 published vectors");
    file.vectors
}

fn string_map(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .expect("headers object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string header").to_owned()))
        .collect()
}

/// How the SDK renders a query value: bools lower-case, numbers in decimal, lists as
/// repeated pairs.
fn render(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(render).collect(),
        other => panic!("unexpected query value {other}"),
    }
}

fn decoded_pairs(inputs: &Inputs) -> Vec<(String, String)> {
    inputs
        .query_params
        .iter()
        .flat_map(|(k, v)| render(v).into_iter().map(move |v| (k.clone(), v)))
        .collect()
}

fn sk(inputs: &Inputs) -> SecretString {
    SecretString::from(inputs.sk.clone())
}

fn body(inputs: &Inputs) -> Vec<u8> {
    inputs.body.clone().unwrap_or_default().into_bytes()
}

/// Pure `sign` over the vector's parts (with Host added, as the SDK does).
fn sign_vector(v: &Vector) -> signer::Signature {
    let pairs = decoded_pairs(&v.inputs);
    let query = canonical_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut headers = string_map(&v.inputs.headers);
    headers.push(("Host".into(), v.inputs.host.clone()));
    sign(
        &v.inputs.ak,
        &sk(&v.inputs),
        &v.inputs.method,
        &v.inputs.resource_path,
        &query,
        &headers,
        &body(&v.inputs),
    )
    .unwrap_or_else(|e| panic!("{}: sign failed: {e}", v.name))
}

#[test]
fn sign_reproduces_sdk_vectors() {
    for v in vectors() {
        let sig = sign_vector(&v);
        assert_eq!(
            sig.canonical_request, v.outputs.canonical_request,
            "{}: canonical request",
            v.name
        );
        assert!(
            sig.string_to_sign
                .ends_with(&format!("\n{}", v.outputs.canonical_request_sha256)),
            "{}: canonical request hash",
            v.name
        );
        assert_eq!(
            sig.string_to_sign, v.outputs.string_to_sign,
            "{}: string to sign",
            v.name
        );
        assert_eq!(
            sig.authorization, v.outputs.authorization,
            "{}: authorization",
            v.name
        );
        assert_eq!(
            sig.signed_headers, v.outputs.signed_headers,
            "{}: signed headers",
            v.name
        );
        assert!(v.outputs.authorization.ends_with(&sig.signature));

        // The vector's URL carries exactly the canonical query.
        let query = sig.canonical_request.split('\n').nth(2).unwrap();
        let expected_url = format!(
            "{}://{}{}{}{}",
            v.inputs.scheme,
            v.inputs.host,
            v.inputs.resource_path,
            if query.is_empty() { "" } else { "?" },
            query
        );
        assert_eq!(expected_url, v.inputs.url, "{}: url", v.name);
    }
}

/// A reqwest request as a caller would build it: query pairs appended in the given
/// (unsorted) order with form encoding (space as `+`), the vector's headers minus the date.
fn build_request(v: &Vector) -> reqwest::Request {
    let mut url: reqwest::Url = format!(
        "{}://{}{}",
        v.inputs.scheme, v.inputs.host, v.inputs.resource_path
    )
    .parse()
    .unwrap();
    let pairs = decoded_pairs(&v.inputs);
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, val) in &pairs {
            q.append_pair(k, val);
        }
    }
    let method: reqwest::Method = v.inputs.method.parse().unwrap();
    let mut request = reqwest::Request::new(method, url);
    for (name, value) in string_map(&v.inputs.headers) {
        if name.eq_ignore_ascii_case(signer::HEADER_SDK_DATE) {
            continue; // set by sign_request from `now`
        }
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    if let Some(b) = &v.inputs.body {
        *request.body_mut() = Some(b.clone().into());
    }
    request
}

fn uri_sent(request: &reqwest::Request) -> String {
    let url = request.url();
    match url.query() {
        Some(q) => format!("{}?{}", url.path(), q),
        None => url.path().to_owned(),
    }
}

fn vector_now(v: &Vector) -> SystemTime {
    parse_sdk_date(&v.inputs.date).expect("vector date")
}

fn creds(v: &Vector) -> AkSk {
    AkSk::new(v.inputs.ak.clone(), v.inputs.sk.clone())
}

#[test]
fn sign_request_reproduces_sdk_vectors() {
    for v in vectors() {
        let mut request = build_request(&v);
        sign_request(&mut request, &creds(&v), vector_now(&v))
            .unwrap_or_else(|e| panic!("{}: sign_request failed: {e}", v.name));

        assert_eq!(
            uri_sent(&request),
            v.outputs.uri_sent,
            "{}: uri sent",
            v.name
        );

        let expected = string_map(&v.outputs.final_headers);
        let headers = request.headers();
        assert_eq!(
            headers.len(),
            expected.len(),
            "{}: header count: {headers:?}",
            v.name
        );
        for (name, value) in &expected {
            assert_eq!(
                headers.get(name.as_str()).map(|h| h.to_str().unwrap()),
                Some(value.as_str()),
                "{}: header {name}",
                v.name
            );
        }
        assert_eq!(
            headers["authorization"].to_str().unwrap(),
            v.outputs.authorization,
            "{}: authorization",
            v.name
        );
    }
}

#[test]
fn sign_request_resigns_cleanly() {
    // Signing twice (e.g. a retry with a later clock) replaces date and Authorization.
    for v in vectors() {
        let mut request = build_request(&v);
        let c = creds(&v);
        sign_request(&mut request, &c, vector_now(&v) - Duration::from_secs(60)).unwrap();
        sign_request(&mut request, &c, vector_now(&v)).unwrap();
        assert_eq!(
            request.headers()["authorization"].to_str().unwrap(),
            v.outputs.authorization,
            "{}",
            v.name
        );
        assert_eq!(uri_sent(&request), v.outputs.uri_sent, "{}", v.name);
    }
}

fn lookup(v: &Vector) -> impl Fn(&str) -> Option<SecretString> + '_ {
    move |ak| (ak == v.inputs.ak).then(|| sk(&v.inputs))
}

/// Path and query of a URI as sent.
fn split_uri(uri: &str) -> (&str, Option<&str>) {
    match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    }
}

#[test]
fn verify_accepts_the_sdk_requests() {
    // Verifies the SDK's own output, independently of sign_request.
    for v in vectors() {
        let mut headers = HeaderMap::new();
        for (name, value) in string_map(&v.outputs.final_headers) {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        let (path, query) = split_uri(&v.outputs.uri_sent);
        let ak = verify(
            &v.inputs.method,
            path,
            query,
            &headers,
            &body(&v.inputs),
            lookup(&v),
            vector_now(&v) + Duration::from_secs(30),
            MAX_SKEW,
        )
        .unwrap_or_else(|e| panic!("{}: verify failed: {e}", v.name));
        assert_eq!(ak, v.inputs.ak);
    }
}

struct Signed {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn signed_request(v: &Vector) -> Signed {
    let mut request = build_request(v);
    sign_request(&mut request, &creds(v), vector_now(v)).unwrap();
    Signed {
        method: request.method().to_string(),
        path: request.url().path().to_owned(),
        query: request.url().query().map(str::to_owned),
        headers: request.headers().clone(),
        body: body(&v.inputs),
    }
}

fn verify_signed(
    s: &Signed,
    lookup_sk: impl Fn(&str) -> Option<SecretString>,
    now: SystemTime,
) -> Result<String, VerifyError> {
    verify(
        &s.method,
        &s.path,
        s.query.as_deref(),
        &s.headers,
        &s.body,
        lookup_sk,
        now,
        MAX_SKEW,
    )
}

#[test]
fn verify_accepts_signed_requests_and_rejects_tampering() {
    for v in vectors() {
        let now = vector_now(&v);
        let s = signed_request(&v);
        assert_eq!(
            verify_signed(&s, lookup(&v), now).as_deref(),
            Ok(v.inputs.ak.as_str()),
            "{}",
            v.name
        );
        // Within the allowed skew either way.
        assert!(verify_signed(&s, lookup(&v), now + MAX_SKEW).is_ok());
        assert!(verify_signed(&s, lookup(&v), now - MAX_SKEW).is_ok());

        // Tampered query.
        let mut t = signed_request(&v);
        t.query = Some(match &t.query {
            Some(q) => format!("{q}&limit=1"),
            None => "limit=1".to_owned(),
        });
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::SignatureMismatch),
            "{}: tampered query",
            v.name
        );

        // Tampered signed header.
        let mut t = signed_request(&v);
        t.headers.insert(
            "x-project-id",
            HeaderValue::from_static("ffffffffffffffffffffffffffffffff"),
        );
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::SignatureMismatch),
            "{}: tampered header",
            v.name
        );

        // Tampered path and method.
        let mut t = signed_request(&v);
        t.path.push('x');
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::SignatureMismatch)
        );
        let mut t = signed_request(&v);
        t.method = "DELETE".into();
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::SignatureMismatch)
        );

        // Wrong SK.
        let wrong = |_: &str| Some(SecretString::from("not-the-secret-key"));
        assert_eq!(
            verify_signed(&s, wrong, now),
            Err(VerifyError::SignatureMismatch),
            "{}: wrong SK",
            v.name
        );

        // Unknown AK.
        assert_eq!(
            verify_signed(&s, |_| None, now),
            Err(VerifyError::UnknownAccessKey),
            "{}: unknown AK",
            v.name
        );

        // Stale date (and one from the future).
        for off in [
            now + MAX_SKEW + Duration::from_secs(1),
            now - MAX_SKEW - Duration::from_secs(1),
        ] {
            assert!(
                matches!(
                    verify_signed(&s, lookup(&v), off),
                    Err(VerifyError::ClockSkew { .. })
                ),
                "{}: stale date",
                v.name
            );
        }

        // A request re-dated without re-signing.
        let mut t = signed_request(&v);
        t.headers.insert(
            "x-sdk-date",
            HeaderValue::from_str(&format_sdk_date(now + Duration::from_secs(1))).unwrap(),
        );
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::SignatureMismatch)
        );

        // Missing Authorization.
        let mut t = signed_request(&v);
        t.headers.remove("authorization");
        assert!(matches!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::Missing(_))
        ));

        // A signed header removed.
        let mut t = signed_request(&v);
        t.headers.remove("x-project-id");
        assert_eq!(
            verify_signed(&t, lookup(&v), now),
            Err(VerifyError::Missing("x-project-id".into()))
        );

        // Unsigned extra headers are fine (reqwest may add some at send time).
        let mut t = signed_request(&v);
        t.headers
            .insert("accept", HeaderValue::from_static("application/json"));
        assert!(verify_signed(&t, lookup(&v), now).is_ok());
    }
}

#[test]
fn verify_rejects_malformed_authorization() {
    let v = vectors().remove(1);
    let now = vector_now(&v);
    let s = signed_request(&v);
    let auth = s.headers["authorization"].to_str().unwrap().to_owned();
    let cases = [
        auth.replace("SDK-HMAC-SHA256", "AWS4-HMAC-SHA256"),
        auth.replace("Access=", "Acces="),
        auth.replace(";host", ""),
        auth.replace(";x-sdk-date", ""),
        auth.replace(", Signature=", ", Nope="),
        "SDK-HMAC-SHA256".to_owned(),
        String::new(),
    ];
    for case in cases {
        let mut t = signed_request(&v);
        t.headers
            .insert("authorization", HeaderValue::from_str(&case).unwrap());
        assert!(
            matches!(
                verify_signed(&t, lookup(&v), now),
                Err(VerifyError::Malformed(_))
            ),
            "{case:?}"
        );
    }
    // Garbage hex in the signature is a mismatch, not a panic.
    let mut t = signed_request(&v);
    let sig = auth.rsplit_once("Signature=").unwrap().1;
    t.headers.insert(
        "authorization",
        HeaderValue::from_str(&auth.replace(sig, "zz")).unwrap(),
    );
    assert_eq!(
        verify_signed(&t, lookup(&v), now),
        Err(VerifyError::SignatureMismatch)
    );
    // Unparseable date.
    let mut t = signed_request(&v);
    t.headers
        .insert("x-sdk-date", HeaderValue::from_static("2024-01-02"));
    assert!(matches!(
        verify_signed(&t, lookup(&v), now),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn security_token_is_sent_and_signed() {
    let v = vectors().remove(0);
    let now = vector_now(&v);
    let token = "TemporarySecurityToken+/=value";
    let creds = creds(&v).with_security_token(token);
    let mut request = build_request(&v);
    sign_request(&mut request, &creds, now).unwrap();
    let headers = request.headers();
    assert_eq!(headers["x-security-token"].to_str().unwrap(), token);
    assert!(headers["x-security-token"].is_sensitive());
    let auth = headers["authorization"].to_str().unwrap();
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,"),
        "{auth}"
    );
    assert!(!auth.contains(token));

    let s = Signed {
        method: "GET".into(),
        path: request.url().path().into(),
        query: request.url().query().map(str::to_owned),
        headers: headers.clone(),
        body: Vec::new(),
    };
    assert!(verify_signed(&s, lookup(&v), now).is_ok());
    let mut t = s;
    t.headers
        .insert("x-security-token", HeaderValue::from_static("other"));
    assert_eq!(
        verify_signed(&t, lookup(&v), now),
        Err(VerifyError::SignatureMismatch)
    );
}

#[test]
fn sign_request_handles_bodies_ports_and_odd_queries() {
    let creds = AkSk::new("AK", "SK");
    let now = parse_sdk_date("20240102T030405Z").unwrap();
    let lookup = |ak: &str| (ak == "AK").then(|| SecretString::from("SK"));

    // Non-default port in Host; '+' and '%20' both decode to space; bare key; list values.
    let url = "http://127.0.0.1:8080/v1/p/vpc-endpoints?b=x+y&a=1&flag&a=0&c=%7E%2A";
    let mut request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
    request.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    *request.body_mut() = Some(br#"{"k":1}"#.to_vec().into());
    sign_request(&mut request, &creds, now).unwrap();
    assert_eq!(request.headers()["host"], "127.0.0.1:8080");
    assert_eq!(request.url().query(), Some("a=0&a=1&b=x%20y&c=~%2A&flag="));
    assert!(request.headers().get("x-sdk-content-sha256").is_none());
    let s = Signed {
        method: "POST".into(),
        path: request.url().path().into(),
        query: request.url().query().map(str::to_owned),
        headers: request.headers().clone(),
        body: br#"{"k":1}"#.to_vec(),
    };
    assert_eq!(verify_signed(&s, lookup, now).as_deref(), Ok("AK"));
    let mut t = s;
    t.body = br#"{"k":2}"#.to_vec();
    assert_eq!(
        verify_signed(&t, lookup, now),
        Err(VerifyError::SignatureMismatch)
    );

    // Non-JSON content: the SDKs leave the payload unsigned.
    let mut request = reqwest::Request::new(
        reqwest::Method::PUT,
        "https://h.example/upload".parse().unwrap(),
    );
    request.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    *request.body_mut() = Some(b"bytes".to_vec().into());
    sign_request(&mut request, &creds, now).unwrap();
    assert_eq!(
        request.headers()["x-sdk-content-sha256"],
        signer::UNSIGNED_PAYLOAD
    );
    assert!(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .contains("x-sdk-content-sha256"));

    // Headers with '_' are sent but not signed.
    let mut request =
        reqwest::Request::new(reqwest::Method::GET, "https://h.example/".parse().unwrap());
    request
        .headers_mut()
        .insert("x_custom", HeaderValue::from_static("v"));
    sign_request(&mut request, &creds, now).unwrap();
    assert!(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .contains("SignedHeaders=host;x-sdk-date,"));
    assert_eq!(request.url().query(), None);

    // An existing Host header is kept (and signed).
    let mut request =
        reqwest::Request::new(reqwest::Method::GET, "https://h.example/".parse().unwrap());
    request
        .headers_mut()
        .insert("host", HeaderValue::from_static("virtual.example"));
    sign_request(&mut request, &creds, now).unwrap();
    assert_eq!(request.headers()["host"], "virtual.example");
}

#[test]
fn sign_request_rejects_streaming_bodies() {
    let creds = AkSk::new("AK", "SK");
    let mut request =
        reqwest::Request::new(reqwest::Method::POST, "https://h.example/".parse().unwrap());
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(b"chunk".to_vec())];
    *request.body_mut() = Some(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
    assert_eq!(
        sign_request(&mut request, &creds, SystemTime::now()),
        Err(SignError::StreamingBody)
    );
}

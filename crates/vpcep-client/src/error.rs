//! The one error type of the client.
//!
//! Every variant says what went wrong in words a person can act on, keeps what the server
//! said (status, code, message, request id), and never carries a secret: credentials are
//! not part of any variant (a credential that cannot be used is named, never shown).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::terminal::printable;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when listing endpoints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request parameter broke a documented rule. Nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),

    /// The client is missing something it needs (project ID, credentials, endpoint).
    /// Nothing was sent.
    #[error("{0}")]
    Config(String),

    /// No connection could be made (DNS, refused, connect failure), or the exchange failed
    /// in a way that is not an interrupted answer, after the given number of attempts. (A
    /// connection reset or closed before the response was complete is
    /// [`Error::Interrupted`].)
    #[error(
        "could not reach VPCEP at {url} after {attempts} attempt(s): {}",
        printable(message)
    )]
    Transport {
        /// The URL requested (without credentials; VPCEP URLs carry none).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// What failed, with its causes.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// VPCEP was reached, but its answer broke off: the connection was reset or closed
    /// before the response was complete (before its headers, or after them, mid-body).
    /// Retried like a connection failure.
    #[error(
        "the response from VPCEP at {url} was interrupted {} ({attempts} attempt(s)): {}",
        if *after_headers { "after its headers, mid-body" } else { "before its headers" },
        printable(message)
    )]
    Interrupted {
        /// The URL requested.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Whether the headers had arrived (the body was cut short) or not.
        after_headers: bool,
        /// What failed, with its causes.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// No answer in time.
    #[error(
        "VPCEP did not answer within the {kind} timeout of {after:?} ({attempts} attempt(s)); \
         raise the timeout or check connectivity to {url}"
    )]
    Timeout {
        /// Which timeout fired.
        kind: TimeoutKind,
        /// The timeout's length.
        after: Duration,
        /// Attempts made.
        attempts: u32,
        /// The URL requested.
        url: String,
    },

    /// VPCEP (or a gateway in front of it) answered with an error status.
    #[error(transparent)]
    Api(#[from] Box<ApiError>),

    /// A successful response whose body could not be decoded.
    #[error(
        "could not decode the VPCEP response at `{}`: {}{}",
        printable(path),
        printable(message),
        fmt_request_id(request_id.as_deref())
    )]
    Decode {
        /// Where in the body, e.g. `endpoints[3].enable_dns`.
        path: String,
        /// What was expected and what was found.
        message: String,
        /// The `X-Request-Id` of the response, if any.
        request_id: Option<String>,
    },

    /// A page of a listing contradicted itself twice in a row (read again after the first
    /// time): no `endpoints` array where its `total_count` says endpoints follow (or
    /// neither), more endpoints than `limit`, or a `total_count` below its offset plus its
    /// length (e.g. `total_count: 0` on a page of 1,000). Such a page proves nothing about
    /// the list, so the listing would be silently partial; it fails instead.
    #[error(
        "the page of the listing at offset {offset} contradicts itself (read twice): \
         {reason}; the listing would be silently partial"
    )]
    InconsistentPage {
        /// Offset of the page.
        offset: i64,
        /// What it contradicts.
        reason: String,
    },

    /// A listing could not establish that it is complete (the list kept moving past what
    /// its repairs can follow; see [`ListAll`](crate::ListAll)): rather than return a
    /// listing that may miss endpoints, it fails. List again.
    #[error("the listing could not be established complete: {reason}; list again")]
    ListingIncomplete {
        /// Why.
        reason: String,
    },

    /// No longer returned: since issue 20, `list_all` repairs a `total_count` that changes
    /// during the walk (the endpoints created and deleted meanwhile) instead of failing.
    /// Kept so that code matching on it still compiles.
    #[error(
        "the listing changed while it was read: total_count was {expected} on the first page \
         and {found} on the page at offset {offset}; list again"
    )]
    TotalCountChanged {
        /// `total_count` of the first page.
        expected: i64,
        /// `total_count` of the page at `offset`.
        found: i64,
        /// Offset of the page that disagreed.
        offset: i64,
    },

    /// A page of a listing held fewer endpoints than its own `total_count` promised for
    /// its offset, twice in a row (read again after the first time): a server that pages
    /// short. The listing would be silently partial; list again. (A short page at the end
    /// of a list that shrank during the walk is not this: it is churn, repaired.)
    #[error(
        "a page of the listing came back short: the page at offset {offset} should have held \
         {expected} endpoint(s) by its total_count, it held {found} (read twice); list again"
    )]
    ShortPage {
        /// Offset of the short page.
        offset: i64,
        /// Endpoints the page should have held (the page size, or what is left of
        /// `total_count` after `offset`).
        expected: i64,
        /// Endpoints it held.
        found: i64,
    },

    /// A page fetch of a listing was cancelled before it finished (its task was aborted,
    /// e.g. because the runtime is shutting down). Whether its request was sent is unknown.
    #[error("a page fetch of the listing (offset {offset}) was cancelled before it finished")]
    Cancelled {
        /// Offset of the page whose fetch was cancelled.
        offset: i64,
    },

    /// An internal error of this crate (please report it with the message): most often
    /// the generated client refused a request that this client's own validation had
    /// accepted, i.e. the validation and the spec disagree (then nothing was sent).
    #[error("internal error of vpcep-client (please report it): {0}")]
    Internal(String),

    /// The server answered with a redirect (3xx). Redirects are never followed: the
    /// request carries credentials (`X-Auth-Token`, or the AK/SK signature and
    /// `X-Security-Token`) that must not be replayed to another address. Not retried.
    ///
    /// With a caller-supplied [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)
    /// that follows redirects itself, the redirect is only seen afterwards (`followed` is
    /// true, `status` is the final response's): the answer is refused, but the request has
    /// already been replayed; build such clients with `redirect::Policy::none()`.
    #[error("{}", fmt_redirect(*status, location.as_deref(), url, request_id.as_deref(), *followed))]
    Redirect {
        /// The 3xx status (or, when `followed`, the status of the final response).
        status: u16,
        /// The `Location` header, if any (as sent, possibly relative); when `followed`, the
        /// final URL.
        location: Option<String>,
        /// The URL requested.
        url: String,
        /// The `X-Request-Id` of the response, if any.
        request_id: Option<String>,
        /// Whether a caller-supplied HTTP client followed the redirect before we saw it.
        followed: bool,
    },

    /// A response body was larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes));
    /// reading stopped at the limit. Not retried.
    #[error(
        "the VPCEP response from {url} is larger than the limit of {limit} bytes; \
         reading stopped there (if the page is genuine, raise the limit: \
         ClientBuilder::max_response_bytes, CLI --max-response-mib){}",
        fmt_request_id(request_id.as_deref())
    )]
    ResponseTooLarge {
        /// The limit, in bytes (of the decoded body).
        limit: u64,
        /// The URL requested.
        url: String,
        /// The `X-Request-Id` of the response, if any.
        request_id: Option<String>,
    },

    /// The TLS handshake failed because the server's certificate was rejected (unknown
    /// issuer, wrong host name, expired...). Not retried: another attempt would meet the
    /// same certificate.
    #[error(
        "the TLS certificate of {url} was rejected: {}; if the endpoint uses a private or \
         corporate CA, add it (ClientBuilder::add_root_certificate, CLI --ca-bundle)",
        printable(message)
    )]
    Tls {
        /// The URL requested.
        url: String,
        /// Why the certificate was rejected.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// No usable credentials: the provider (or every provider of the chain) gave none, or
    /// temporary credentials expired and could not be renewed. Nothing was sent.
    #[error(transparent)]
    Credentials(#[from] crate::auth::CredentialsError),
}

/// Which timeout fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Establishing a connection: TCP and, for `https://`, the TLS handshake
    /// ([`TimeoutConfig::connect`](crate::TimeoutConfig::connect)).
    Connect,
    /// One attempt (connect, send, read the whole body).
    Attempt,
    /// The whole operation, retries and backoff included.
    Operation,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Attempt => "per-attempt",
            TimeoutKind::Operation => "operation",
        })
    }
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The error code the server gave (`error.code` or `error_code`).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// The `X-Request-Id` of the response, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. }
            | Error::Redirect { request_id, .. }
            | Error::ResponseTooLarge { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// An error status from VPCEP or from a gateway in front of it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Error code (`error.code`, or the gateway's `error_code`), e.g. `APIGW.0301`.
    pub code: Option<String>,
    /// Error message (`error.message` or `error_msg`), or, for a body that is not a known
    /// JSON error (e.g. an HTML 502 page), a short readable excerpt of it.
    pub message: String,
    /// `X-Request-Id` response header, or the body's `request_id`.
    pub request_id: Option<String>,
    /// `Retry-After` in seconds, when the server sent it.
    pub retry_after: Option<Duration>,
    /// Attempts made (retries included).
    pub attempts: u32,
    /// Set when the call ended without waiting out `retry_after`: what was left of the
    /// operation timeout, shorter than the wait the server asked for.
    pub time_left: Option<Duration>,
}

impl ApiError {
    /// Builds an API error from a status, the response body and the request id header.
    /// Reads both error shapes (`{"error":{"code","message"}}` and the gateway's flat
    /// `{"error_code","error_msg"}`) and falls back to the body's text.
    pub fn from_body(status: u16, body: &[u8], request_id: Option<String>) -> Self {
        let parsed = serde_json::from_slice::<crate::generated::types::ErrorResponse>(body).ok();
        let (code, message, body_request_id) = match parsed {
            Some(e) => {
                let (nested_code, nested_message) = match e.error {
                    Some(d) => (d.code, d.message),
                    None => (None, None),
                };
                (
                    nested_code.or(e.error_code),
                    nested_message.or(e.error_msg),
                    e.request_id,
                )
            }
            None => (None, None, None),
        };
        let message = message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| body_excerpt(status, body));
        ApiError {
            status,
            code,
            message,
            request_id: request_id.or(body_request_id),
            retry_after: None,
            attempts: 1,
            time_left: None,
        }
    }

    /// The reason phrase of the status, e.g. "Service Unavailable".
    pub fn reason(&self) -> &'static str {
        http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Unknown Status")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the server said is shown through `printable`: never raw on a terminal.
        write!(f, "VPCEP answered {} {}", self.status, self.reason())?;
        if let Some(code) = &self.code {
            write!(f, " [{}]", printable(code))?;
        }
        write!(f, ": {}", printable(&self.message))?;
        f.write_str(&fmt_request_id(self.request_id.as_deref()))?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if let (Some(asked), Some(left)) = (self.retry_after, self.time_left) {
            write!(
                f,
                "; it asked to wait {} s (Retry-After), longer than the {:.1} s left of the \
                 operation timeout, so the call ended without waiting",
                asked.as_secs(),
                left.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn fmt_redirect(
    status: u16,
    location: Option<&str>,
    url: &str,
    request_id: Option<&str>,
    followed: bool,
) -> String {
    let location = location.map_or(Cow::Borrowed("(no Location header)"), printable);
    let request_id = fmt_request_id(request_id);
    if followed {
        format!(
            "the HTTP client followed a redirect from {url} to {location} (final status \
             {status}); the answer is refused: build the reqwest client given to \
             ClientBuilder::http_client with redirect::Policy::none(){request_id}"
        )
    } else {
        format!(
            "VPCEP answered {status} redirecting to {location}; redirects are not followed, so \
             credentials never leave the configured endpoint {url}; if the new address is \
             genuine, use it as the endpoint URL{request_id}"
        )
    }
}

fn fmt_request_id(request_id: Option<&str>) -> String {
    match request_id {
        Some(id) => format!(" (request id {})", printable(id)),
        None => String::new(),
    }
}

/// A short, single-line, readable excerpt of a body that is not a JSON error: the HTML
/// `<title>` if there is one, else the text with tags and whitespace runs collapsed.
fn body_excerpt(status: u16, body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let source = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].to_string(),
        _ => strip_tags(&text),
    };
    let collapsed: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return format!("empty or unreadable body (HTTP {status})");
    }
    match collapsed.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A request parameter that broke a documented rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {parameter}: {rule} (got {value})")]
#[non_exhaustive]
pub struct ValidationError {
    /// The parameter, as named on the wire (e.g. `limit`, `project_id`).
    pub parameter: &'static str,
    /// The rule it broke, e.g. "must be between 1 and 1000".
    pub rule: String,
    /// The value given, quoted.
    pub value: String,
}

impl ValidationError {
    pub(crate) fn new(parameter: &'static str, rule: impl Into<String>, value: &str) -> Self {
        ValidationError {
            parameter,
            rule: rule.into(),
            value: format!("{value:?}"),
        }
    }
}

pub(crate) use crate::http_policy::error_chain;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_error_body() {
        let e = ApiError::from_body(
            400,
            br#"{"error":{"code":"EndPoint.2001","message":"limit is invalid"}}"#,
            Some("req-1".into()),
        );
        assert_eq!(e.code.as_deref(), Some("EndPoint.2001"));
        assert_eq!(e.message, "limit is invalid");
        assert_eq!(
            e.to_string(),
            "VPCEP answered 400 Bad Request [EndPoint.2001]: limit is invalid (request id req-1)"
        );
    }

    #[test]
    fn what_the_server_said_is_shown_inert() {
        let e = ApiError::from_body(
            400,
            "{\"error\":{\"code\":\"C\\u001b[2J\",\"message\":\"m\\u009b\\u202e\"},\"request_id\":\"r\\u0007\"}".as_bytes(),
            None,
        );
        assert_eq!(
            e.message, "m\u{9b}\u{202e}",
            "the field keeps what was sent"
        );
        assert_eq!(
            e.to_string(),
            "VPCEP answered 400 Bad Request [C\\u{1b}[2J]: m\\u{9b}\\u{202e} (request id r\\u{7})"
        );
    }

    #[test]
    fn flat_gateway_body() {
        let e = ApiError::from_body(
            401,
            br#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"abc"}"#,
            None,
        );
        assert_eq!(e.code.as_deref(), Some("APIGW.0301"));
        assert_eq!(e.message, "Incorrect IAM authentication information");
        assert_eq!(e.request_id.as_deref(), Some("abc"));
    }

    #[test]
    fn html_body_falls_back_to_title() {
        let html = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let e = ApiError::from_body(502, html, None);
        assert_eq!(e.code, None);
        assert_eq!(e.message, "502 Bad Gateway");
    }

    #[test]
    fn text_body_is_collapsed_and_cut() {
        let long = "x ".repeat(500);
        let e = ApiError::from_body(503, long.as_bytes(), None);
        assert!(e.message.ends_with('…'));
        assert!(e.message.chars().count() <= 201);
        let e = ApiError::from_body(500, b"", None);
        assert_eq!(e.message, "empty or unreadable body (HTTP 500)");
    }
}

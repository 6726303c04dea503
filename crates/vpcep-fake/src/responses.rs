//! The responses the fake builds: JSON bodies (pages, VPCEP's and the gateway's error
//! shapes) and the responses faults send as they are told.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::StatusCode;

/// A response with `Content-Type: application/json`.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// VPCEP's error body, `{"error":{"code","message"}}`; with `gateway_request_id`, also the
/// API gateway's flat `error_code`/`error_msg`/`request_id`.
pub(crate) fn error_body(code: &str, message: &str, gateway_request_id: Option<&str>) -> Vec<u8> {
    let mut body = serde_json::json!({ "error": { "code": code, "message": message } });
    if let Some(request_id) = gateway_request_id {
        // API gateways answer with the flat shape; send both so either reading works.
        body["error_code"] = code.into();
        body["error_msg"] = message.into();
        body["request_id"] = request_id.into();
    }
    serde_json::to_vec(&body).expect("JSON")
}

/// A JSON error response: `status` with [`error_body`].
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    gateway_request_id: Option<&str>,
) -> Response {
    json_response(status, error_body(code, message, gateway_request_id))
}

/// `405` for a method a route does not serve: a JSON error naming the method and the
/// route, and `Allow: allow` (e.g. `GET, HEAD`).
pub(crate) fn method_not_allowed(
    method: &http::Method,
    route: &str,
    allow: &'static str,
) -> Response {
    let first = allow.split(',').next().unwrap_or(allow);
    let message = format!("Method {method} is not allowed on {route}; use {first}");
    let mut resp = error_response(StatusCode::METHOD_NOT_ALLOWED, "VPCEP.0405", &message, None);
    resp.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static(allow));
    resp
}

/// The response of a [`crate::Fault::Status`]: the status with a JSON error body (the
/// gateway's throttling body for 429) and `Retry-After` if given.
pub(crate) fn fault_status_response(
    status: u16,
    retry_after: Option<u64>,
    request_id: &str,
) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = code.canonical_reason().unwrap_or("Error");
    let mut resp = if code == StatusCode::TOO_MANY_REQUESTS {
        error_response(
            code,
            "APIGW.0308",
            "The throttling threshold has been reached",
            Some(request_id),
        )
    } else {
        error_response(
            code,
            &format!("VPCEP.0{}", code.as_u16()),
            &format!("{reason} (injected fault)"),
            None,
        )
    };
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// The response of a [`crate::Fault::Respond`]: status, headers in order, body as given.
pub(crate) fn fault_response(status: u16, headers: &[(String, String)], body: Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    // An invalid status (outside 100..=999) is the test's mistake: say so on the wire.
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        // `Fault::with_header` refuses invalid ones; one built by hand is not sent.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(name, value);
        }
    }
    resp
}

/// The response of a [`crate::Fault::Endless`]: a chunked body of `chunk` repeated up to
/// `max_bytes`, produced as the client reads it.
pub(crate) fn endless_response(chunk: Bytes, max_bytes: u64) -> Response {
    let step = (chunk.len() as u64).max(1);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let chunk = chunk.clone();
        async move { (sent < max_bytes).then(|| (Ok::<Bytes, Infallible>(chunk), sent + step)) }
    });
    json_response(StatusCode::OK, Body::from_stream(stream))
}

/// The response of a [`crate::Fault::GatewayHtml`].
pub(crate) fn gateway_html_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = Response::new(Body::from(crate::faults::gateway_html_page(code.as_u16())));
    *resp.status_mut() = code;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// A page's body: a few shared buffers (a page mostly sent straight from the store's JSON
/// text), of known length so that it goes out with a `Content-Length` exactly like a body
/// in one buffer.
pub(crate) fn page_response(chunks: Vec<Bytes>) -> Response {
    json_response(StatusCode::OK, Body::new(Chunks(chunks.into())))
}

struct Chunks(VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let next = loop {
            match self.0.pop_front() {
                Some(chunk) if chunk.is_empty() => continue,
                other => break other,
            }
        };
        std::task::Poll::Ready(next.map(|chunk| Ok(hyper::body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.iter().all(Bytes::is_empty)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.0.iter().map(|c| c.len() as u64).sum())
    }
}

/// VPCEP's JSON version of one of hyper's own answers to a request it cannot parse:
/// `head` is what hyper writes then (`HTTP/1.1 400|414|431 …`, `content-length: 0`, no
/// body, no `X-Request-Id`), and the result the same status with a JSON error body, an
/// `X-Request-Id` (from `next_id`) and `Connection: close`. `None` for anything else
/// (every response of the fake's own carries an `X-Request-Id`).
pub(crate) fn hyper_error(head: &[u8], next_id: impl FnOnce() -> String) -> Option<Bytes> {
    let text = std::str::from_utf8(head).ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    if !rest.is_empty() {
        return None;
    }
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let (code, message) = match status.get(..3)? {
        "400" => (
            "VPCEP.0400",
            "Bad Request: the request could not be parsed as HTTP",
        ),
        "414" => (
            "VPCEP.0414",
            "URI Too Long: the request target is longer than 65534 bytes",
        ),
        "431" => (
            "VPCEP.0431",
            "Request Header Fields Too Large: the request head is larger than 417792 bytes \
             or has more than 100 headers",
        ),
        _ => return None,
    };
    let mut kept = Vec::new();
    let mut empty = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "x-request-id" => return None,
            "content-length" => empty = value.trim() == "0",
            _ => kept.push(line),
        }
    }
    if !empty {
        return None;
    }
    let request_id = next_id();
    let body = error_body(code, message, Some(&request_id));
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\nx-request-id: {request_id}\r\n\
         connection: close\r\n"
    );
    for line in kept {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    Some(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bodiless_errors_get_a_json_body() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n";
        let out = hyper_error(head, || "0123".to_owned()).expect("replaced");
        let text = String::from_utf8(out.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\ncontent-type: application/json\r\n"));
        assert!(head.contains("\r\nx-request-id: 0123\r\n"));
        assert!(head.contains("\r\ndate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "VPCEP.0431");
        assert_eq!(json["error_code"], "VPCEP.0431");
        assert_eq!(json["request_id"], "0123");
        // The fake's own answers (an X-Request-Id, or a body) and other statuses stay.
        for kept in [
            &b"HTTP/1.1 431 X\r\ncontent-length: 0\r\nx-request-id: 1\r\n\r\n"[..],
            b"HTTP/1.1 400 X\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 404 X\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 X\r\ncontent-length: 0\r\n\r\n{}",
            b"{\"endpoints\":[]}",
        ] {
            assert_eq!(hyper_error(kept, || unreachable!()), None);
        }
    }
}

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

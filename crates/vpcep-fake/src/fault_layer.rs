//! The fake's outermost layer: gives each request its id, logs it, and applies its fault
//! (`faults.rs` says which) before, instead of, or around the normal answer — like a
//! gateway in front of the service.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH};
use tokio::sync::Notify;

use crate::faults::Fault;
use crate::request_log::{RecordedRequest, X_REQUEST_ID};
use crate::responses;
use crate::state::FakeState;

/// The request id of the current request, for error bodies.
#[derive(Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// Closes the connection a request came on, without a response (put in each request's
/// extensions by the accept loop).
#[derive(Clone)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

/// Outermost layer of VPCEP's route: request id, request log, latency and faults.
pub(crate) async fn vpcep_front(
    State(state): State<Arc<FakeState>>,
    req: Request,
    next: Next,
) -> Response {
    apply_faults(&state, req, next, true).await
}

/// Outermost layer of the platform's routes: only a script's faults (and then the request
/// is logged); without a script the platform answers untouched.
pub(crate) async fn platform_front(
    State(state): State<Arc<FakeState>>,
    req: Request,
    next: Next,
) -> Response {
    if !state.plan.is_scripted() {
        return next.run(req).await;
    }
    apply_faults(&state, req, next, false).await
}

/// Logs the request, draws its fault (the script's; for VPCEP's route, else the queue's
/// or the dice's) and applies it, or runs `next`.
async fn apply_faults(state: &FakeState, mut req: Request, next: Next, vpcep: bool) -> Response {
    let request_id = state.request_ids.next();
    let scripted = state.record(|| RecordedRequest {
        method: req.method().clone(),
        uri: req.uri().clone(),
        headers: req.headers().clone(),
        request_id: request_id.clone(),
        received_at: SystemTime::now(),
    });
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let kill = req.extensions().get::<ConnKill>().cloned();
    let fault = match scripted {
        Some(fault) => Some(fault),
        None if vpcep => state.draw_fault(),
        None => None,
    };
    let latency = state.latency_ms.load(Ordering::Relaxed);
    if latency > 0 && vpcep {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let mut truncate = false;
    let mut resp = match fault {
        None | Some(Fault::Pass) => next.run(req).await,
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => responses::fault_status_response(status, retry_after, &request_id),
        Some(Fault::GatewayHtml { status }) => responses::gateway_html_response(status),
        Some(Fault::Hang) => {
            let mut stopping = state.stopping.subscribe();
            let _ = stopping.wait_for(|s| *s).await;
            return kill_connection(kill).await;
        }
        Some(Fault::Drop) => return kill_connection(kill).await,
        Some(Fault::Truncate) => {
            truncate = true;
            next.run(req).await
        }
        Some(Fault::Respond {
            status,
            headers,
            body,
            truncate: cut,
        }) => {
            truncate = cut;
            responses::fault_response(status, &headers, body)
        }
        Some(Fault::Endless { chunk, max_bytes }) => responses::endless_response(chunk, max_bytes),
    };
    if !resp.headers().contains_key(X_REQUEST_ID) {
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(X_REQUEST_ID, v);
        }
    }
    if truncate {
        resp = truncated(resp, kill).await;
    }
    resp
}

/// Closes the connection without a response (when served by the fake's accept loop);
/// elsewhere, a response whose body fails at once.
async fn kill_connection(kill: Option<ConnKill>) -> Response {
    match kill {
        Some(ConnKill(notify)) => {
            notify.notify_one();
            std::future::pending().await
        }
        None => {
            let stream = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
            });
            Response::new(Body::from_stream(stream))
        }
    }
}

/// The response with its full `Content-Length` but only the first half of its body, after
/// which the connection is closed.
async fn truncated(resp: Response, kill: Option<ConnKill>) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let full = bytes.len().max(1);
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(full));
    let stream = futures::stream::unfold((Some(half), kill), |(half, kill)| async move {
        match half {
            Some(chunk) => Some((Ok::<Bytes, std::io::Error>(chunk), (None, kill))),
            None => {
                // Give the connection time to flush the partial body, then close it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(ConnKill(notify)) = &kill {
                    notify.notify_one();
                    std::future::pending::<()>().await;
                }
                Some((Err(std::io::Error::other("truncated")), (None, kill)))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

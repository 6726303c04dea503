//! The accept loop: each connection served by hyper (HTTP/1.1 and h2, TLS when
//! configured) through the link (`link.rs`) and the connection limits
//! (`connection_limits.rs`), closable by a fault, and the graceful stop.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncWriteExt;
use tokio::sync::{watch, Notify};

use crate::connection_limits::{BodyGuard, Watched};
use crate::fault_layer::ConnKill;
use crate::state::FakeState;

/// Serves the fake's router on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish for up to `grace`, and closes every
/// connection.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<FakeState>,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) {
    let router = crate::routes::router(state.clone());
    let mut conns = tokio::task::JoinSet::new();
    let (closing_tx, closing_rx) = watch::channel(false);
    let limits = state.limits;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors: make room by closing the connection
                        // that waited longest for a request; else back off.
                        let out_of_files = matches!(e.raw_os_error(), Some(23 | 24));
                        if !(out_of_files && state.connections.close_longest_waiting()) {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        continue;
                    }
                };
                if state.connections.len() >= limits.max_connections
                    && !state.connections.close_longest_waiting()
                {
                    conns.spawn(refuse(stream, state.tls.is_some()));
                    continue;
                }
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(
                    stream,
                    state.clone(),
                    router.clone(),
                    closing_rx.clone(),
                ));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    state.stopping.send_replace(true);
    let _ = tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// A connection beyond the cap while every open one is busy: a plain-HTTP client is told
/// so (`503`, JSON, `Retry-After: 1`); a TLS one is closed.
async fn refuse(mut stream: tokio::net::TcpStream, tls: bool) {
    if tls {
        return;
    }
    let body = crate::responses::error_body(
        "VPCEP.0503",
        "Service Unavailable: too many connections (--max-connections); try again",
        None,
    );
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    })
    .await;
}

/// Serves one connection until it ends, a fault closes it, a limit passes, or the fake
/// stops (gracefully).
async fn connection(
    stream: tokio::net::TcpStream,
    state: Arc<FakeState>,
    router: axum::Router,
    mut closing: watch::Receiver<bool>,
) {
    let limits = state.limits;
    let (tracker, _registered) = state.connections.open();
    let stream = crate::link::Throttled::new(stream, state.link.clone());
    let handshake = crate::tls::accept(state.tls.as_ref(), stream);
    let Ok(Some(stream)) = tokio::time::timeout(limits.header_read_timeout, handshake).await else {
        return;
    };
    if stream.negotiated_h2() {
        tracker.set_h2();
    }
    let stream = Watched::new(stream, tracker.clone(), state.request_ids.clone());
    let kill = Arc::new(Notify::new());
    let conn_kill = kill.clone();
    let requests = tracker.clone();
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnKill(conn_kill.clone()));
        let mut router = router.clone();
        let request = requests.request();
        async move {
            let resp: Response = match tower_service::Service::call(&mut router, req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            let guard = request.responding();
            Ok::<_, Infallible>(resp.map(|body| {
                Body::new(Sending {
                    body,
                    _guard: guard,
                })
            }))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = kill.notified() => {}
        () = tracker.expired(limits) => {}
        () = async { let _ = closing.wait_for(|c| *c).await; } => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.notified() => {}
            }
        }
    }
}

/// A response body on its way; its connection counts it as busy until it is dropped
/// (sent, or the connection gone).
struct Sending {
    body: Body,
    _guard: BodyGuard,
}

impl hyper::body::Body for Sending {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::Body::size_hint(&self.body)
    }
}

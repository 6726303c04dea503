//! The accept loop: each connection served by hyper (HTTP/1.1 and h2, TLS when
//! configured) through the link (`link.rs`), closable by a fault, and the graceful stop.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::{watch, Notify};

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
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // e.g. too many open files: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let stream = crate::link::Throttled::new(stream, state.link.clone());
                let kill = Arc::new(Notify::new());
                let router = router.clone();
                let conn_kill = kill.clone();
                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let mut req = req.map(Body::new);
                    req.extensions_mut().insert(ConnKill(conn_kill.clone()));
                    let mut router = router.clone();
                    async move {
                        let resp: Result<Response, Infallible> =
                            tower_service::Service::call(&mut router, req).await;
                        resp
                    }
                });
                let mut closing = closing_rx.clone();
                let tls = state.tls.clone();
                conns.spawn(async move {
                    let Some(stream) = crate::tls::accept(tls.as_ref(), stream).await else {
                        return;
                    };
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = kill.notified() => {}
                        () = async { let _ = closing.wait_for(|c| *c).await; } => {
                            conn.as_mut().graceful_shutdown();
                            tokio::select! {
                                _ = conn.as_mut() => {}
                                _ = kill.notified() => {}
                            }
                        }
                    }
                });
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

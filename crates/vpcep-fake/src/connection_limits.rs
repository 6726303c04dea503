//! What keeps one client from holding the fake: a header-read timeout, an idle timeout
//! and a cap on open connections.
//!
//! Each connection has a [`Tracker`], fed by the bytes it reads and writes ([`Watched`])
//! and by its requests (dispatched, answered, body sent):
//!
//! * **header read** (`--header-read-timeout-secs`): a connection waiting for a request
//!   — the first since it was accepted (TLS handshake included), or the next one after
//!   bytes of it arrived on a keep-alive connection — is closed when the head is not
//!   complete within the timeout (a half-sent request);
//! * **idle** (`--idle-timeout-secs`): a connection with no request being worked on and
//!   nothing read or written for the timeout is closed — an idle keep-alive connection,
//!   or a client that stopped reading its response. A request the fake itself holds
//!   (latency, `Delay`, `Hang`) never counts as idle;
//! * **cap** (`--max-connections`): at the cap, a new connection closes the one that has
//!   waited longest for a request (half-sent or idle); when every connection is busy
//!   with a request, the new one is refused (plain HTTP: a `503` with a JSON body).
//!
//! When a connection closes, its buffers go with it: nothing is kept per client.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

use crate::request_log::RequestIds;

/// The limits of a fake ([`crate::FakeConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
}

/// No time yet (for [`Tracker::head_since`]).
const NEVER: u64 = u64::MAX;

/// One open connection, as the limits see it.
pub(crate) struct Tracker {
    id: u64,
    base: Instant,
    /// Milliseconds since `base` of the last byte read or written.
    last_activity: AtomicU64,
    /// Since when (ms) the connection waits for a request head that has not come
    /// complete: set on accept and on the first byte after it went idle; [`NEVER`] while
    /// nothing of a next request arrived.
    head_since: AtomicU64,
    /// Since when (ms) no request has been in flight (for the cap: oldest waits first).
    waiting_since: AtomicU64,
    /// Requests dispatched whose response is not made yet.
    pending: AtomicUsize,
    /// Responses whose body is not sent yet.
    streaming: AtomicUsize,
    /// HTTP/2: frames between requests are not request heads.
    h2: AtomicBool,
    close: Notify,
}

impl Tracker {
    fn now(&self) -> u64 {
        self.base.elapsed().as_millis() as u64
    }

    fn busy(&self) -> bool {
        self.pending.load(Ordering::Acquire) > 0 || self.streaming.load(Ordering::Acquire) > 0
    }

    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let now = self.now();
        self.last_activity.store(now, Ordering::Relaxed);
        if !self.busy() && !self.h2.load(Ordering::Relaxed) {
            let _ =
                self.head_since
                    .compare_exchange(NEVER, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    fn wrote(&self, n: usize) {
        if n > 0 {
            self.last_activity.store(self.now(), Ordering::Relaxed);
        }
    }

    /// Marks the connection as HTTP/2 (negotiated by ALPN or by its preface).
    pub(crate) fn set_h2(&self) {
        self.h2.store(true, Ordering::Relaxed);
    }

    /// A request was dispatched: its head is complete. Held until its response is made.
    pub(crate) fn request(self: &Arc<Self>) -> RequestGuard {
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.head_since.store(NEVER, Ordering::Relaxed);
        RequestGuard(self.clone())
    }

    fn went_idle(&self) {
        if !self.busy() {
            let now = self.now();
            self.waiting_since.store(now, Ordering::Relaxed);
            self.last_activity.store(now, Ordering::Relaxed);
        }
    }

    /// Asks the connection to close now.
    pub(crate) fn close(&self) {
        self.close.notify_one();
    }

    /// Completes when the connection must close: asked to ([`Tracker::close`]), or a
    /// limit passed.
    pub(crate) async fn expired(&self, limits: Limits) {
        let header = limits.header_read_timeout.as_millis() as u64;
        let idle = limits.idle_timeout.as_millis() as u64;
        let closed = self.close.notified();
        tokio::pin!(closed);
        loop {
            let now = self.now();
            let mut next = now.saturating_add(idle.max(1));
            if self.pending.load(Ordering::Acquire) == 0 {
                let head = self.head_since.load(Ordering::Relaxed);
                if head != NEVER && self.streaming.load(Ordering::Acquire) == 0 {
                    let due = head.saturating_add(header);
                    if now >= due {
                        return;
                    }
                    next = next.min(due);
                }
                let due = self
                    .last_activity
                    .load(Ordering::Relaxed)
                    .saturating_add(idle);
                if now >= due {
                    return;
                }
                next = next.min(due);
            }
            let wait = Duration::from_millis(next - now);
            tokio::select! {
                () = &mut closed => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A request in flight on a connection (see [`Tracker::request`]); dropping it (the
/// response made, or the request abandoned) ends it.
pub(crate) struct RequestGuard(Arc<Tracker>);

impl RequestGuard {
    /// The response is made; its body is being sent until the returned guard drops.
    pub(crate) fn responding(self) -> BodyGuard {
        let tracker = self.0.clone();
        tracker.streaming.fetch_add(1, Ordering::AcqRel);
        drop(self);
        BodyGuard(tracker)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
        self.0.went_idle();
    }
}

/// A response body being sent (see [`RequestGuard::responding`]).
pub(crate) struct BodyGuard(Arc<Tracker>);

impl Drop for BodyGuard {
    fn drop(&mut self) {
        self.0.streaming.fetch_sub(1, Ordering::AcqRel);
        self.0.went_idle();
    }
}

/// The fake's open connections.
#[derive(Default)]
pub(crate) struct Registry {
    open: Mutex<HashMap<u64, Arc<Tracker>>>,
    next_id: AtomicU64,
}

impl Registry {
    /// Registers a new connection; it is forgotten when the returned guard drops.
    pub(crate) fn open(self: &Arc<Self>) -> (Arc<Tracker>, OpenGuard) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let tracker = Arc::new(Tracker {
            id,
            base: Instant::now(),
            last_activity: AtomicU64::new(0),
            head_since: AtomicU64::new(0),
            waiting_since: AtomicU64::new(0),
            pending: AtomicUsize::new(0),
            streaming: AtomicUsize::new(0),
            h2: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.lock().insert(id, tracker.clone());
        (tracker, OpenGuard(self.clone(), id))
    }

    /// Number of open connections.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Closes the connection that has waited longest for a request (none in flight);
    /// `false` when every connection is busy.
    pub(crate) fn close_longest_waiting(&self) -> bool {
        let open = self.lock();
        let victim = open.values().filter(|t| !t.busy()).min_by_key(|t| {
            // Waiting since (absolute): the tracker's base plus its offset.
            t.base + Duration::from_millis(t.waiting_since.load(Ordering::Relaxed))
        });
        match victim {
            Some(t) => {
                t.close();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Tracker>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes a connection from the [`Registry`] when dropped.
pub(crate) struct OpenGuard(Arc<Registry>, u64);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker").field("id", &self.id).finish()
    }
}

/// A connection's plain-text stream (under hyper, above TLS): reports reads and writes to
/// its [`Tracker`], and gives hyper's own answers to requests it cannot parse (400, 414,
/// 431, sent with an empty body) VPCEP's JSON error body ([`crate::responses::hyper_error`]).
pub(crate) struct Watched<S> {
    inner: S,
    tracker: Arc<Tracker>,
    request_ids: Arc<RequestIds>,
    /// A replacement response still to write (what hyper wrote was taken whole).
    replacement: Option<Bytes>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, tracker: Arc<Tracker>, request_ids: Arc<RequestIds>) -> Self {
        Watched {
            inner,
            tracker,
            request_ids,
            replacement: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> Watched<S> {
    /// Writes what is left of a replacement; ready when none is left.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(rest) = self.replacement.as_mut() {
            if rest.is_empty() {
                self.replacement = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.tracker.wrote(n);
            let _ = rest.split_to(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `head` whole when it is one of hyper's bodiless error answers, to write the
    /// JSON version instead.
    fn replaced(&mut self, head: &[u8]) -> bool {
        match crate::responses::hyper_error(head, || self.request_ids.next()) {
            Some(replacement) => {
                self.replacement = Some(replacement);
                true
            }
            None => false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let filled = buf.filled();
            if before == 0 && filled.starts_with(b"PRI * HTTP/2.0") {
                self.tracker.set_h2();
            }
            self.tracker.read(filled.len() - before);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_replacement(cx))?;
        if self.replaced(buf) {
            return Poll::Ready(Ok(buf.len()));
        }
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.tracker.wrote(n);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_replacement(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            if self.replaced(first) {
                return Poll::Ready(Ok(first.len()));
            }
        }
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = result {
            self.tracker.wrote(n);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_waiting_idle_connection_is_the_one_closed() {
        let registry = Arc::new(Registry::default());
        let (first, _g1) = registry.open();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (second, _g2) = registry.open();
        let (busy, _g3) = registry.open();
        let _request = busy.request();
        assert_eq!(registry.len(), 3);
        // The first waits longest; the busy one is never chosen.
        assert!(registry.close_longest_waiting());
        tokio::time::timeout(Duration::from_secs(5), first.close.notified())
            .await
            .expect("the first connection is asked to close");
        let _r1 = first.request();
        let _r2 = second.request();
        assert!(!registry.close_longest_waiting(), "every connection busy");
        drop((_g1, _g2));
        assert_eq!(registry.len(), 1);
    }
}

//! The fake as a network link: gzip when the request asks for it, a bandwidth limit shared
//! by every connection (one token bucket, like one link), and a count of the bytes sent.
//!
//! - Compression is tower-http's `CompressionLayer` (gzip only, level 1 like nginx's
//!   default `gzip_comp_level`), inside the fault layer: a `Truncate` fault cuts the
//!   compressed body, as a link would. Compressed responses are streamed with chunked
//!   encoding (no `Content-Length`), like gateways do.
//! - The limit and the count sit on the socket ([`Throttled`] wraps each accepted
//!   connection), so they cover what really goes on the wire: status line, headers and
//!   (compressed) body. Latency (`--latency-ms`) is added before the response, as before.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Largest write passed to the socket at once when a limit is set: at 100 Mbit/s, 16 KiB
/// is 1.3 ms of the link, so the rate is smooth at any time scale a client can see.
const MAX_WRITE: usize = 16 * 1024;

/// How far behind the clock the link may start a write: a writer woken up late (timers
/// tick in milliseconds) gets that time back instead of losing it, so the long-run rate is
/// the limit, not the limit minus the timer's lateness. It is also the largest burst after
/// an idle spell.
const CATCH_UP: Duration = Duration::from_millis(20);

const ONE_DAY: Duration = Duration::from_secs(86_400);

/// The response compression layer (a no-op when `enabled` is false).
pub(crate) fn compression(enabled: bool) -> CompressionLayer {
    CompressionLayer::new()
        .gzip(enabled)
        .quality(CompressionLevel::Fastest)
}

/// One link shared by every connection: an optional rate and the bytes sent so far.
#[derive(Debug)]
pub(crate) struct Link {
    /// Bytes per second, if limited.
    rate: Option<f64>,
    /// When the link is free again: every write pushes it forward by its length ÷ rate.
    free_at: Mutex<Instant>,
    sent: AtomicU64,
}

impl Link {
    pub(crate) fn new(bandwidth_mbps: Option<f64>) -> Self {
        Link {
            rate: bandwidth_mbps
                .filter(|m| m.is_finite() && *m > 0.0)
                .map(|m| m * 1e6 / 8.0),
            free_at: Mutex::new(Instant::now()),
            sent: AtomicU64::new(0),
        }
    }

    /// Bytes written to clients so far (all connections).
    pub(crate) fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Books the link for `n` bytes just written; returns when the writer may write again.
    fn pace(&self, n: usize) -> Option<Instant> {
        let rate = self.rate?;
        let now = Instant::now();
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        // An idle link saves up no more than CATCH_UP of credit.
        let start = (*free_at).max(now.checked_sub(CATCH_UP).unwrap_or(now));
        // A rate so low that a write would book the link for longer than a Duration holds
        // books it for a day (the CLI refuses such rates).
        let busy = Duration::try_from_secs_f64(n as f64 / rate).unwrap_or(ONE_DAY);
        *free_at = start + busy.min(ONE_DAY);
        (*free_at > now).then_some(*free_at)
    }
}

/// A connection whose writes go through a [`Link`]: counted, and paced to the link's rate
/// (the writer pays after each write by waiting until the link is free again).
pub(crate) struct Throttled<S> {
    inner: S,
    link: std::sync::Arc<Link>,
    wait: Option<Pin<Box<Sleep>>>,
}

impl<S> Throttled<S> {
    pub(crate) fn new(inner: S, link: std::sync::Arc<Link>) -> Self {
        Throttled {
            inner,
            link,
            wait: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Throttled<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> Throttled<S> {
    /// One write through `write`, of `attempted` bytes at most: waits for the link if a
    /// previous write booked it, counts the bytes as sent before writing (so that a
    /// client that has read a whole response never sees a count without its last bytes)
    /// and takes back what was not written, then books the link for what was.
    fn counted(
        &mut self,
        cx: &mut Context<'_>,
        attempted: usize,
        write: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if let Some(wait) = self.wait.as_mut() {
            ready!(wait.as_mut().poll(cx));
            self.wait = None;
        }
        self.link
            .sent
            .fetch_add(attempted as u64, Ordering::Relaxed);
        let n = match write(Pin::new(&mut self.inner), cx) {
            Poll::Ready(Ok(n)) => n,
            other => {
                self.link
                    .sent
                    .fetch_sub(attempted as u64, Ordering::Relaxed);
                return other;
            }
        };
        self.link
            .sent
            .fetch_sub((attempted - n) as u64, Ordering::Relaxed);
        if let Some(until) = self.link.pace(n) {
            self.wait = Some(Box::pin(tokio::time::sleep_until(until)));
        }
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Throttled<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let limit = if self.link.rate.is_some() {
            buf.len().min(MAX_WRITE)
        } else {
            buf.len()
        };
        self.counted(cx, limit, |inner, cx| inner.poll_write(cx, &buf[..limit]))
    }

    /// Vectored writes (so that hyper sends a page's shared buffers as they are instead of
    /// copying them into one per connection), paced like [`Throttled::poll_write`].
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.link.rate.is_some() {
            // Limited: at most MAX_WRITE at a time, from the first non-empty buffer.
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &b[..]);
            return self.poll_write(cx, first);
        }
        let total = bufs.iter().map(|b| b.len()).sum();
        self.counted(cx, total, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_link_never_waits() {
        let link = Link::new(None);
        assert!(link.pace(1000).is_none());
        assert!(link.pace(usize::MAX / 2).is_none());
    }

    #[test]
    fn writes_push_the_link_forward_by_their_duration() {
        // 8 Mbit/s = 1,000,000 bytes/s: 10 MB take 10 s of the link.
        let link = Link::new(Some(8.0));
        let before = Instant::now();
        let first = link.pace(10_000_000).unwrap();
        assert!(first >= before + Duration::from_secs(10) - CATCH_UP);
        assert!(first <= Instant::now() + Duration::from_secs(10));
        // A second writer (another connection) queues behind the first.
        let second = link.pace(2_000_000).unwrap();
        assert_eq!(second, first + Duration::from_secs(2));
        // A link that went idle saved up no more than CATCH_UP of credit.
        *link.free_at.lock().unwrap() = Instant::now() - Duration::from_secs(60);
        let before = Instant::now();
        let third = link.pace(1_000_000).unwrap();
        assert!(third >= before + Duration::from_secs(1) - CATCH_UP);
    }

    #[test]
    fn a_rate_too_low_for_a_duration_books_a_day_not_a_panic() {
        let link = Link::new(Some(1e-300));
        let until = link.pace(16 * 1024).unwrap();
        assert!(until <= Instant::now() + ONE_DAY);
    }
}

//! The memory window of a listing: which pages may read their bodies now; and, for the
//! listings of a multi-target listing (`estate.rs`), the limits they share.
//!
//! The list-all walk (`paginate/walk.rs`) opens a [`BodyWindow`] and gives each page fetch a
//! [`BodyTurn`]; the transport (`transport.rs`) takes a request slot from it before sending
//! and waits on it between a response's headers and its body. A leaf module, so that
//! neither of the two imports the other.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits shared by the listings of several targets: requests awaiting an answer (from
/// sending to the response's headers), and pages read and not yet yielded (one memory
/// budget for them all).
#[derive(Clone, Debug)]
pub(crate) struct SharedLimits {
    /// One permit per request awaiting its response headers.
    pub requests: Arc<Semaphore>,
    /// One permit per page whose body is read and not yet yielded by its listing.
    pub reads: Arc<Semaphore>,
}

/// The pages of a listing that may read their bodies now: those less than `width` pages
/// after the next page to yield (`head`). The next page always may, so the listing never
/// waits on itself. With [`SharedLimits`], a page also holds a read permit from reading its
/// body until its listing yields it.
#[derive(Debug)]
pub(crate) struct BodyWindow {
    head: tokio::sync::watch::Sender<u64>,
    width: u64,
    shared: Option<SharedLimits>,
    /// The read permits of the pages read and not yet yielded, by page.
    held: Mutex<BTreeMap<u64, OwnedSemaphorePermit>>,
}

impl BodyWindow {
    /// A window of `width` pages (at least 1) from the first page.
    pub(crate) fn new(width: u64, shared: Option<SharedLimits>) -> Arc<Self> {
        Arc::new(BodyWindow {
            head: tokio::sync::watch::channel(0).0,
            width: width.max(1),
            shared,
            held: Mutex::new(BTreeMap::new()),
        })
    }

    /// The next page to yield is one further: the window moves on by one page (and the
    /// pages before it give back their read permits).
    pub(crate) fn advance(&self) {
        self.head.send_modify(|h| *h += 1);
        let head = *self.head.borrow();
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        *held = held.split_off(&head);
    }

    /// The turn of the page `index` (0 = the listing's first page).
    pub(crate) fn turn(self: &Arc<Self>, index: u64) -> BodyTurn {
        BodyTurn {
            window: self.clone(),
            index: Some(index),
        }
    }

    /// A page read outside the plan (a repair, a second read): it reads its body at once,
    /// without a read permit (a listing repairs one gap at a time), but its requests count
    /// among the shared requests in flight.
    pub(crate) fn unplanned(self: &Arc<Self>) -> BodyTurn {
        BodyTurn {
            window: self.clone(),
            index: None,
        }
    }
}

/// A page's place in its listing's [`BodyWindow`]; the transport waits on it between the
/// response's headers and its body.
#[derive(Clone, Debug)]
pub(crate) struct BodyTurn {
    window: Arc<BodyWindow>,
    index: Option<u64>,
}

impl BodyTurn {
    /// A slot among the requests in flight shared with other listings (none without shared
    /// limits): held from sending until the response's headers arrive.
    pub(crate) async fn request_slot(&self) -> Option<OwnedSemaphorePermit> {
        let shared = self.window.shared.as_ref()?;
        shared.requests.clone().acquire_owned().await.ok()
    }

    /// Waits until the page is within the window (and, with shared limits, for a read
    /// permit, kept until the listing yields the page).
    pub(crate) async fn wait(&self) {
        let Some(index) = self.index else {
            return;
        };
        let width = self.window.width;
        let mut head = self.window.head.subscribe();
        // The sender lives as long as the listing; if it is gone, nobody waits for the page.
        let _ = head.wait_for(|h| index < h + width).await;
        let Some(shared) = &self.window.shared else {
            return;
        };
        let has_permit = |window: &BodyWindow| {
            window
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(&index)
        };
        // A retried attempt of a page that holds its permit already keeps it.
        if has_permit(&self.window) {
            return;
        }
        if let Ok(permit) = shared.reads.clone().acquire_owned().await {
            // Yielded meanwhile (it cannot be, it was not read): drop the permit then.
            if index >= *self.window.head.borrow() {
                self.window
                    .held
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(index, permit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{BodyWindow, SharedLimits};
    use futures::FutureExt;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn bodies_wait_until_their_page_is_within_the_window() {
        let window = BodyWindow::new(2, None);
        assert!(window.turn(0).wait().now_or_never().is_some());
        assert!(window.turn(1).wait().now_or_never().is_some());
        let third = window.turn(2);
        let mut waiting = Box::pin(third.wait());
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        window.advance();
        assert!(futures::poll!(waiting.as_mut()).is_ready());
        assert!(window.turn(3).wait().now_or_never().is_none());
    }

    #[tokio::test]
    async fn shared_read_permits_are_held_until_the_page_is_yielded() {
        let shared = SharedLimits {
            requests: Arc::new(Semaphore::new(4)),
            reads: Arc::new(Semaphore::new(1)),
        };
        let a = BodyWindow::new(1, Some(shared.clone()));
        let b = BodyWindow::new(1, Some(shared.clone()));
        assert!(a.turn(0).wait().now_or_never().is_some());
        // Again (a retried attempt): the page keeps its permit, it does not take another.
        assert!(a.turn(0).wait().now_or_never().is_some());
        assert_eq!(shared.reads.available_permits(), 0);
        // Another listing's first page waits for the budget.
        let b_first = b.turn(0);
        let mut waiting = Box::pin(b_first.wait());
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        // Unplanned pages (repairs) do not take read permits.
        assert!(a.unplanned().wait().now_or_never().is_some());
        a.advance();
        assert!(futures::poll!(waiting.as_mut()).is_ready());
        assert_eq!(shared.reads.available_permits(), 0);
        b.advance();
        assert_eq!(shared.reads.available_permits(), 1);
        // Request slots come from the shared pool, and none without shared limits.
        let slot = a.turn(1).request_slot().now_or_never().unwrap();
        assert!(slot.is_some());
        assert_eq!(shared.requests.available_permits(), 3);
        let alone = BodyWindow::new(1, None);
        assert!(alone
            .turn(0)
            .request_slot()
            .now_or_never()
            .unwrap()
            .is_none());
    }
}

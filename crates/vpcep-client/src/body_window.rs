//! The memory window of a listing: which pages may read their bodies now.
//!
//! The list-all walk (`paginate/walk.rs`) opens a [`BodyWindow`] and gives each page fetch a
//! [`BodyTurn`]; the transport (`transport.rs`) waits on the turn between a response's
//! headers and its body. A leaf module, so that neither of the two imports the other.

use std::sync::Arc;

/// The pages of a listing that may read their bodies now: those less than `width` pages
/// after the next page to yield (`head`). The next page always may, so the listing never
/// waits on itself.
#[derive(Debug)]
pub(crate) struct BodyWindow {
    head: tokio::sync::watch::Sender<u64>,
    width: u64,
}

impl BodyWindow {
    /// A window of `width` pages (at least 1) from the first page.
    pub(crate) fn new(width: u64) -> Arc<Self> {
        Arc::new(BodyWindow {
            head: tokio::sync::watch::channel(0).0,
            width: width.max(1),
        })
    }

    /// The next page to yield is one further: the window moves on by one page.
    pub(crate) fn advance(&self) {
        self.head.send_modify(|h| *h += 1);
    }

    /// The turn of the page `index` (0 = the listing's first page).
    pub(crate) fn turn(self: &Arc<Self>, index: u64) -> BodyTurn {
        BodyTurn {
            window: self.clone(),
            index,
        }
    }
}

/// A page's place in its listing's [`BodyWindow`]; the transport waits on it between the
/// response's headers and its body.
#[derive(Clone, Debug)]
pub(crate) struct BodyTurn {
    window: Arc<BodyWindow>,
    index: u64,
}

impl BodyTurn {
    /// Waits until the page is within the window.
    pub(crate) async fn wait(&self) {
        let width = self.window.width;
        let mut head = self.window.head.subscribe();
        // The sender lives as long as the listing; if it is gone, nobody waits for the page.
        let _ = head.wait_for(|h| self.index < h + width).await;
    }
}

#[cfg(test)]
mod tests {
    use super::BodyWindow;
    use futures::FutureExt;

    #[tokio::test]
    async fn bodies_wait_until_their_page_is_within_the_window() {
        let window = BodyWindow::new(2);
        assert!(window.turn(0).wait().now_or_never().is_some());
        assert!(window.turn(1).wait().now_or_never().is_some());
        let third = window.turn(2);
        let mut waiting = Box::pin(third.wait());
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        window.advance();
        assert!(futures::poll!(waiting.as_mut()).is_ready());
        assert!(window.turn(3).wait().now_or_never().is_none());
    }
}

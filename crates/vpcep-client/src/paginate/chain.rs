//! Which pages of a listing can be trusted, and how they fit together: the checks and the
//! bookkeeping behind the guarantee of [`ListAll`](super::ListAll) (the argument is in
//! the module doc of `paginate`). Pure code over pages held in memory, no I/O.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use crate::error::Error;
use crate::generated::types::{EndpointListResp, EndpointResp};

/// How many positions consecutive pages share: 1% of the page (at least 1) on a quiet
/// list, more while the list moves, so that each page still shares an endpoint with the
/// one before it (no gap, no repair). It follows the drift of the last
/// [`Overlap::MEMORY`] pages: twice the largest drift towards the list's start they
/// showed (endpoints deleted before a page between its request and the one before), at
/// most half a page; it comes back down when the list calms.
#[derive(Clone, Debug)]
pub(super) struct Overlap {
    base: i64,
    cap: i64,
    recent: std::collections::VecDeque<i64>,
    current: i64,
}

impl Overlap {
    /// Pages whose drift the overlap remembers.
    pub const MEMORY: usize = 8;

    /// The overlap of a quiet listing in pages of `limit` (at least 2).
    pub fn new(limit: i64) -> Self {
        let base = (limit / 100).max(1);
        Overlap {
            base,
            cap: (limit / 2).max(1),
            recent: std::collections::VecDeque::with_capacity(Self::MEMORY),
            current: base,
        }
    }

    /// Positions the next page planned shares with the one before it.
    pub fn current(&self) -> i64 {
        self.current
    }

    /// A page planned to share `planned` positions with the one before it linked with
    /// `duplicates` endpoints already seen: fewer means the list moved towards its start
    /// by the difference.
    pub fn linked(&mut self, planned: i64, duplicates: i64) {
        self.remember((planned - duplicates).max(0));
    }

    /// A page shared nothing with the chain: the list moved by at least the overlap it
    /// was planned with.
    pub fn gap(&mut self, planned: i64) {
        self.remember(planned.max(self.current));
    }

    fn remember(&mut self, drift: i64) {
        if self.recent.len() == Self::MEMORY {
            self.recent.pop_front();
        }
        self.recent.push_back(drift);
        let largest = self.recent.iter().copied().max().unwrap_or(0);
        self.current = (self.base + 2 * largest).clamp(self.base, self.cap);
    }
}

/// Why `page`, served for `offset` with `limit`, cannot be used as it is: it contradicts
/// itself, so it proves nothing about the list. The error to report if it still does when
/// fetched again:
///
/// - no `endpoints` array (`{}`, `{"total_count": 5}`), unless its `total_count` says
///   nothing is left at or after its offset (then it is an empty end of the list);
/// - more endpoints than `limit`;
/// - a `total_count` below `offset` + its length while it holds endpoints (the page
///   itself proves that many exist);
/// - shorter than `limit` while its own `total_count` says more follow
///   ([`Error::ShortPage`]).
pub(super) fn contradiction(offset: i64, limit: i64, page: &EndpointListResp) -> Option<Error> {
    let inconsistent = |reason: String| Some(Error::InconsistentPage { offset, reason });
    let total = page.total_count;
    let Some(endpoints) = &page.endpoints else {
        return match total {
            Some(total) if total <= offset => None,
            Some(total) => inconsistent(format!(
                "it has no `endpoints` array, but its total_count ({total}) says endpoints \
                 follow its offset"
            )),
            None => inconsistent(
                "it has neither an `endpoints` array nor a total_count: it cannot be told \
                 from an empty listing"
                    .to_owned(),
            ),
        };
    };
    let n = endpoints.len() as i64;
    if n > limit {
        return inconsistent(format!(
            "it holds {n} endpoints, more than the limit of {limit} it was asked for"
        ));
    }
    match total {
        // A page that holds endpoints proves `offset` came before them (an empty one, past
        // the end, proves nothing).
        Some(total) if n > 0 && total < offset + n => inconsistent(format!(
            "its total_count ({total}) is below the {} endpoints its offset and length prove \
             to exist",
            offset + n
        )),
        Some(total) if n < limit && offset + n < total => Some(Error::ShortPage {
            offset,
            expected: limit.min(total - offset),
            found: n,
        }),
        _ => None,
    }
}

/// The ids a listing has accepted, for de-duplication and for linking pages, kept as
/// 128-bit keyed hashes (two SipHash keys chosen at random per listing): 16 bytes an
/// endpoint instead of the id itself, so a listing's memory is the pages in flight plus
/// ~20 bytes per endpoint seen. Two different ids collide with probability about
/// n²/2¹²⁹ (1e-29 for 100,000 ids).
#[derive(Default)]
pub(super) struct SeenIds {
    keys: [RandomState; 2],
    hashes: HashSet<u128>,
}

impl SeenIds {
    fn key(&self, id: &str) -> u128 {
        let high = u128::from(self.keys[0].hash_one(id));
        let low = u128::from(self.keys[1].hash_one(id));
        high << 64 | low
    }

    fn contains(&self, key: u128) -> bool {
        self.hashes.contains(&key)
    }

    /// Records `key`; false if it was recorded before.
    fn insert(&mut self, key: u128) -> bool {
        self.hashes.insert(key)
    }
}

/// Where the chain ends: the last page accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Head {
    /// Offset the page was asked for.
    pub offset: i64,
    /// Endpoints it held (duplicates included).
    pub len: i64,
    /// Its `total_count`.
    pub total: Option<i64>,
}

impl Head {
    /// Offset just past the page.
    pub fn end(&self) -> i64 {
        self.offset + self.len
    }
}

/// What [`Chain::link`] made of a page.
#[derive(Debug)]
pub(super) enum Link {
    /// The page continues the chain: it carries only the endpoints not seen before.
    Linked {
        /// The page, de-duplicated.
        page: EndpointListResp,
        /// Endpoints dropped as already seen.
        duplicates: i64,
        /// The page reached the end of the list when it was served: the chain is complete.
        at_end: bool,
    },
    /// The page shares no endpoint with the chain: there may be a gap before it. Returned
    /// untouched.
    Gap(EndpointListResp),
}

/// The pages accepted so far: the ids they hold and the last of them.
pub(super) struct Chain {
    seen: SeenIds,
    head: Option<Head>,
    first_offset: i64,
    limit: i64,
}

impl Chain {
    /// An empty chain for a listing from `first_offset` in pages of `limit`.
    pub fn new(first_offset: i64, limit: i64) -> Self {
        Chain {
            seen: SeenIds::default(),
            head: None,
            first_offset,
            limit,
        }
    }

    /// The last page accepted.
    pub fn head(&self) -> Option<Head> {
        self.head
    }

    /// Links `page` (served for `offset`, checked by [`contradiction`]) to the chain. It
    /// links if it starts the chain (the listing's first page; or any page at offset 0
    /// when the listing starts there: it covers a prefix of the list) or holds an endpoint
    /// some accepted page held. A linked page becomes the head and loses its duplicates.
    pub fn link(&mut self, offset: i64, mut page: EndpointListResp) -> Link {
        let starts = self.head.is_none() || (offset == 0 && self.first_offset == 0);
        let endpoints: Vec<EndpointResp> = page.endpoints.take().unwrap_or_default();
        let keys: Vec<Option<u128>> = endpoints
            .iter()
            .map(|e| e.id.as_deref().map(|id| self.seen.key(id)))
            .collect();
        if !starts && !keys.iter().flatten().any(|&key| self.seen.contains(key)) {
            page.endpoints = Some(endpoints);
            return Link::Gap(page);
        }
        let len = endpoints.len() as i64;
        let mut duplicates = 0;
        let fresh: Vec<EndpointResp> = endpoints
            .into_iter()
            .zip(keys)
            .filter(|(_, key)| match key {
                Some(key) => {
                    let new = self.seen.insert(*key);
                    duplicates += i64::from(!new);
                    new
                }
                // Without an id an endpoint cannot be de-duplicated: kept.
                None => true,
            })
            .map(|(endpoint, _)| endpoint)
            .collect();
        let at_end = len < self.limit || page.total_count.is_some_and(|t| offset + len >= t);
        self.head = Some(Head {
            offset,
            len,
            total: page.total_count,
        });
        page.endpoints = Some(fresh);
        Link::Linked {
            page,
            duplicates,
            at_end,
        }
    }
}

/// Where to fetch the `attempt`-th (from 0) repair page after a gap, from the chain's
/// `head` and the `latest_total` the server gave: `overlap` before the head's end, moved
/// back by the endpoints deleted since the head was served (its total minus the latest),
/// then twice as far back at each failed attempt; below `latest_total` (a page at or past
/// the end is empty and links nothing), never before `first_offset`.
pub(super) fn repair_offset(
    head: Head,
    latest_total: Option<i64>,
    overlap: i64,
    attempt: u32,
    first_offset: i64,
) -> i64 {
    let deleted = match (head.total, latest_total) {
        (Some(then), Some(now)) => (then - now).max(0),
        _ => 0,
    };
    let back = (deleted + overlap).saturating_mul(1i64 << attempt.min(40));
    let mut anchor = head.end() - overlap;
    if let Some(total) = latest_total {
        anchor = anchor.min(total - 1);
    }
    anchor.saturating_sub(back).max(first_offset)
}

#[cfg(test)]
mod tests {
    use super::super::test_pages::page;
    use super::*;

    fn ids(page: &EndpointListResp) -> Vec<String> {
        page.endpoints
            .iter()
            .flatten()
            .map(|e| e.id.clone().unwrap())
            .collect()
    }

    #[test]
    fn seen_ids_detect_repeats_only() {
        let mut seen = SeenIds::default();
        let (one, two, ten) = (seen.key("ep-1"), seen.key("ep-2"), seen.key("ep-10"));
        assert!(seen.insert(one));
        assert!(seen.insert(two));
        assert!(!seen.insert(one));
        assert!(seen.insert(ten));
        assert!(seen.contains(two) && !seen.contains(seen.key("ep-3")));
    }

    #[test]
    fn pages_that_contradict_themselves_are_named() {
        let reason = |offset, page: &EndpointListResp| {
            contradiction(offset, 10, page).map(|e| e.to_string())
        };
        assert_eq!(reason(0, &page(0..10, Some(25))), None);
        assert_eq!(reason(20, &page(20..25, Some(25))), None, "the short end");
        assert_eq!(reason(30, &page(0..0, Some(25))), None, "past the end");
        assert_eq!(
            reason(0, &page(0..3, None)),
            None,
            "no count: a short page ends it"
        );
        // A first page that says 0 but carries endpoints.
        let zero = reason(0, &page(0..10, Some(0))).unwrap();
        assert!(zero.contains("total_count (0) is below the 10"), "{zero}");
        // Longer than the limit.
        let long = reason(0, &page(0..11, Some(30))).unwrap();
        assert!(
            long.contains("11 endpoints, more than the limit of 10"),
            "{long}"
        );
        // `{}` and an object without `endpoints`.
        let empty = EndpointListResp::default();
        assert!(reason(0, &empty).unwrap().contains("neither"));
        let no_array = EndpointListResp {
            endpoints: None,
            total_count: Some(5),
        };
        assert!(reason(0, &no_array)
            .unwrap()
            .contains("no `endpoints` array"));
        let done = EndpointListResp {
            endpoints: None,
            total_count: Some(0),
        };
        assert_eq!(
            reason(0, &done),
            None,
            "an empty listing may omit the array"
        );
        // Short while its own count says more follow.
        assert!(matches!(
            contradiction(10, 10, &page(10..14, Some(30))),
            Some(Error::ShortPage {
                offset: 10,
                expected: 10,
                found: 4
            })
        ));
    }

    #[test]
    fn a_page_links_by_an_endpoint_already_seen() {
        let mut chain = Chain::new(0, 10);
        let Link::Linked { page: first, .. } = chain.link(0, page(0..10, Some(30))) else {
            panic!("the first page starts the chain");
        };
        assert_eq!(ids(&first).len(), 10);
        // Overlapping by one: linked, the duplicate dropped.
        match chain.link(9, page(9..19, Some(30))) {
            Link::Linked {
                page,
                duplicates,
                at_end,
            } => {
                assert_eq!(
                    ids(&page),
                    (10..19).map(|i| format!("ep-{i}")).collect::<Vec<_>>()
                );
                assert_eq!((duplicates, at_end), (1, false));
            }
            other => panic!("{other:?}"),
        }
        // Nothing in common: a gap, the page untouched and nothing recorded.
        match chain.link(18, page(21..31, Some(30))) {
            Link::Gap(page) => assert_eq!(ids(&page).len(), 10),
            other => panic!("{other:?}"),
        }
        assert_eq!(chain.head().unwrap().end(), 19);
        // The short page at the end links and ends the chain.
        assert!(matches!(
            chain.link(18, page(18..25, Some(25))),
            Link::Linked {
                at_end: true,
                duplicates: 1,
                ..
            }
        ));
        // A page at offset 0 of a listing from 0 covers a prefix: it links.
        assert!(matches!(
            chain.link(0, page(100..110, Some(40))),
            Link::Linked { .. }
        ));
        // Not so for a listing that starts elsewhere.
        let mut from_five = Chain::new(5, 10);
        assert!(matches!(
            from_five.link(5, page(5..15, None)),
            Link::Linked { .. }
        ));
        assert!(matches!(
            from_five.link(0, page(100..110, None)),
            Link::Gap(_)
        ));
    }

    #[test]
    fn repairs_look_further_back_each_time() {
        let head = Head {
            offset: 990,
            len: 1000,
            total: Some(5000),
        };
        // Nothing deleted: the overlap before the head's end, then doubling back.
        assert_eq!(repair_offset(head, Some(5000), 10, 0, 0), 1970);
        assert_eq!(repair_offset(head, Some(5000), 10, 1, 0), 1960);
        assert_eq!(repair_offset(head, Some(5000), 10, 3, 0), 1900);
        // 30 deleted since the head: 30 further back.
        assert_eq!(repair_offset(head, Some(4970), 10, 0, 0), 1940);
        // A list that shrank below the head's end: below the latest total.
        assert_eq!(repair_offset(head, Some(1500), 10, 0, 0), 0);
        let small_drop = Head {
            total: Some(1600),
            ..head
        };
        assert_eq!(repair_offset(small_drop, Some(1500), 10, 0, 0), 1499 - 110);
        // Never before the first offset.
        assert_eq!(repair_offset(head, Some(5000), 10, 30, 500), 500);
    }

    #[test]
    fn the_overlap_follows_the_drift_and_stays_below_half_a_page() {
        let mut overlap = Overlap::new(1000);
        assert_eq!(overlap.current(), 10);
        assert_eq!(Overlap::new(10).current(), 1);
        overlap.linked(10, 10);
        assert_eq!(overlap.current(), 10, "no drift");
        overlap.linked(10, 25);
        assert_eq!(
            overlap.current(),
            10,
            "moved away from the start: no gap risk"
        );
        overlap.linked(10, 4);
        assert_eq!(overlap.current(), 22, "6 positions: twice that on top");
        overlap.gap(22);
        assert_eq!(overlap.current(), 54);
        overlap.gap(400);
        assert_eq!(overlap.current(), 500, "at most half a page");
        // Quiet again: after MEMORY pages without drift it is back to 1%.
        for _ in 0..Overlap::MEMORY {
            overlap.linked(500, 500);
        }
        assert_eq!(overlap.current(), 10);
        assert_eq!(Overlap::new(2).current(), 1);
        let mut two = Overlap::new(2);
        two.gap(1);
        assert_eq!(two.current(), 1, "a page of 2 overlaps by 1 at most");
    }
}

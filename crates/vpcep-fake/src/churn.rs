//! Endpoints created and deleted while the fake serves (`--churn-per-request N`,
//! [`crate::FakeConfig::churn`]), deterministically, and the record of who existed when.
//!
//! The data goes through *generations*: the fake starts at generation 0; every page it
//! answers (a 200 from its data, one a fault then delays or truncates included) is
//! answered from the current generation `g`, after which one churn step makes
//! generation `g + 1`: `N` endpoints present in `g`, drawn at random, are deleted and `N`
//! new ones are created (fewer deleted if fewer are present). Requests refused (401,
//! 400) and faults that answer instead of the data (503, drop, …) change nothing. Each
//! page therefore sees a generation of its own, whatever the concurrency.
//!
//! Deterministic: generation `g`'s endpoints depend only on the initial data, `N`, the
//! seed and `g` (not on timing). Created endpoints are those the generator would make
//! next (`generate(n + k, seed, project_id)`'s endpoint `n + k`, `n` the number of
//! endpoints loaded), with times drawn like generated ones: they land anywhere in every
//! sort order, as deleted ones leave holes anywhere, so offset paging shifts in every
//! `sort_key` × `sort_dir`.
//!
//! Every endpoint's life is kept (the generation it first appears in, the first it is
//! gone from), so a test knows exactly which endpoints existed for the whole of a walk:
//! [`crate::FakeHandle::present_throughout`].

use std::collections::BTreeSet;
use std::ops::Range;

use crate::generate::{Pools, DEFAULT_PROJECT_ID};
use crate::store::Store;

/// Endpoints created and deleted after every page the fake answers (see
/// [`crate::FakeConfig::churn`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Churn {
    /// Endpoints created, and as many deleted, after each page.
    pub per_request: usize,
    /// Seed of the draws (which endpoints are deleted) and of the created endpoints.
    pub seed: u64,
    /// `project_id` of the created endpoints (default [`DEFAULT_PROJECT_ID`]).
    pub project_id: String,
}

impl Churn {
    /// `per_request` endpoints created and as many deleted after each page, drawn from
    /// `seed`; created endpoints belong to [`DEFAULT_PROJECT_ID`].
    pub fn new(per_request: usize, seed: u64) -> Self {
        Churn {
            per_request,
            seed,
            project_id: DEFAULT_PROJECT_ID.to_owned(),
        }
    }

    /// The `project_id` of created endpoints.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }
}

/// When one endpoint existed: present in generations `born..died`.
struct Life {
    id: Option<Box<str>>,
    born: u64,
    died: Option<u64>,
}

/// The churn in force and the lives of every endpoint served since the fake started.
pub(crate) struct ChurnLog {
    config: Churn,
    pools: Pools,
    rng: fastrand::Rng,
    generation: u64,
    /// Index (for [`Pools::json`]) of the next endpoint created.
    next_index: usize,
    lives: Vec<Life>,
    /// The life of handle 0 of the data served (handle `h` is life `first_life + h`).
    first_life: usize,
}

impl ChurnLog {
    pub(crate) fn new(config: Churn, store: &Store) -> Self {
        let mut log = ChurnLog {
            pools: Pools::new(config.seed, &config.project_id),
            rng: fastrand::Rng::with_seed(config.seed),
            config,
            generation: 0,
            next_index: store.len(),
            lives: Vec::new(),
            first_life: 0,
        };
        log.born(store, 0..store.handles_ever());
        log
    }

    /// Records the endpoints of `handles` as born in the current generation.
    fn born(&mut self, store: &Store, handles: Range<usize>) {
        for h in handles {
            debug_assert_eq!(self.first_life + h, self.lives.len());
            self.lives.push(Life {
                id: store.id_of(h as u32).map(Into::into),
                born: self.generation,
                died: None,
            });
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// One churn step from `store`: the next generation's data, to serve from now on.
    pub(crate) fn step(&mut self, store: &Store) -> Store {
        let created = (0..self.config.per_request)
            .map(|k| self.pools.json(self.next_index + k))
            .collect();
        self.next_index += self.config.per_request;
        let rng = &mut self.rng;
        let (next, deleted, added) =
            store.churned(|len| rng.usize(..len), self.config.per_request, created);
        self.generation += 1;
        for h in deleted {
            self.lives[self.first_life + h as usize].died = Some(self.generation);
        }
        if let (Some(&first), Some(&last)) = (added.first(), added.last()) {
            self.born(&next, first as usize..last as usize + 1);
        }
        next
    }

    /// New data (`FakeHandle::set_endpoints`): a generation of its own, in which every
    /// endpoint served before is gone and the new ones are born.
    pub(crate) fn replace(&mut self, store: &Store) {
        self.generation += 1;
        for life in &mut self.lives[self.first_life..] {
            if life.died.is_none() {
                life.died = Some(self.generation);
            }
        }
        self.first_life = self.lives.len();
        self.born(store, 0..store.handles_ever());
    }

    /// Ids of the endpoints present in every generation of `generations` (in the first
    /// one when the range is empty).
    pub(crate) fn present_throughout(&self, generations: Range<u64>) -> BTreeSet<String> {
        let (first, last) = bounds(generations);
        self.ids(|life| life.born <= first && life.died.is_none_or(|d| d > last))
    }

    /// Ids of the endpoints present in at least one generation of `generations` (the
    /// first one when the range is empty).
    pub(crate) fn present_during(&self, generations: Range<u64>) -> BTreeSet<String> {
        let (first, last) = bounds(generations);
        self.ids(|life| life.born <= last && life.died.is_none_or(|d| d > first))
    }

    fn ids(&self, keep: impl Fn(&Life) -> bool) -> BTreeSet<String> {
        self.lives
            .iter()
            .filter(|life| keep(life))
            .filter_map(|life| life.id.as_deref().map(str::to_owned))
            .collect()
    }
}

/// The first and last generation of a range (an empty range is its start).
fn bounds(generations: Range<u64>) -> (u64, u64) {
    let first = generations.start;
    (first, generations.end.saturating_sub(1).max(first))
}

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

use serde_json::Value;
use vpcep_client::types::EndpointResp;

use crate::generate::{Pools, DEFAULT_PROJECT_ID};

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
    id: Option<String>,
    born: u64,
    died: Option<u64>,
}

/// One endpoint served now, its recorded JSON (replayed data) and its [`Life`].
struct Current {
    endpoint: EndpointResp,
    json: Option<Value>,
    life: usize,
}

/// The churn in force and the lives of every endpoint served since the fake started.
pub(crate) struct ChurnLog {
    config: Churn,
    pools: Pools,
    rng: fastrand::Rng,
    generation: u64,
    /// Index (for [`Pools::endpoint`]) of the next endpoint created.
    next_index: usize,
    lives: Vec<Life>,
    current: Vec<Current>,
    /// Whether the data is replayed (created endpoints then get their JSON too).
    replayed: bool,
}

impl ChurnLog {
    pub(crate) fn new(config: Churn, endpoints: &[EndpointResp], json: Option<&[Value]>) -> Self {
        let mut log = ChurnLog {
            pools: Pools::new(config.seed, &config.project_id),
            rng: fastrand::Rng::with_seed(config.seed),
            config,
            generation: 0,
            next_index: endpoints.len(),
            lives: Vec::new(),
            current: Vec::new(),
            replayed: false,
        };
        log.load(endpoints, json);
        log
    }

    fn load(&mut self, endpoints: &[EndpointResp], json: Option<&[Value]>) {
        self.replayed = json.is_some();
        for (k, endpoint) in endpoints.iter().enumerate() {
            self.current.push(Current {
                endpoint: endpoint.clone(),
                json: json.map(|json| json[k].clone()),
                life: self.lives.len(),
            });
            self.lives.push(Life {
                id: endpoint.id.clone(),
                born: self.generation,
                died: None,
            });
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// One churn step: the next generation's data (endpoints, and their JSON for
    /// replayed data), to serve from now on.
    pub(crate) fn step(&mut self) -> (Vec<EndpointResp>, Option<Vec<Value>>) {
        let next = self.generation + 1;
        let deleted = self.config.per_request.min(self.current.len());
        for _ in 0..deleted {
            let at = self.rng.usize(..self.current.len());
            let gone = self.current.remove(at);
            self.lives[gone.life].died = Some(next);
        }
        for _ in 0..self.config.per_request {
            let endpoint = self.pools.endpoint(self.next_index);
            self.next_index += 1;
            let json = self
                .replayed
                .then(|| serde_json::to_value(&endpoint).expect("an endpoint serializes"));
            self.lives.push(Life {
                id: endpoint.id.clone(),
                born: next,
                died: None,
            });
            self.current.push(Current {
                endpoint,
                json,
                life: self.lives.len() - 1,
            });
        }
        self.generation = next;
        self.data()
    }

    /// New data (`FakeHandle::set_endpoints`): a generation of its own, in which every
    /// endpoint served before is gone and the new ones are born.
    pub(crate) fn replace(&mut self, endpoints: &[EndpointResp], json: Option<&[Value]>) {
        self.generation += 1;
        for gone in self.current.drain(..) {
            self.lives[gone.life].died = Some(self.generation);
        }
        self.load(endpoints, json);
    }

    fn data(&self) -> (Vec<EndpointResp>, Option<Vec<Value>>) {
        let endpoints = self.current.iter().map(|c| c.endpoint.clone()).collect();
        let json = self.replayed.then(|| {
            self.current
                .iter()
                .map(|c| c.json.clone().expect("replayed data has its JSON"))
                .collect()
        });
        (endpoints, json)
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
            .filter_map(|life| life.id.clone())
            .collect()
    }
}

/// The first and last generation of a range (an empty range is its start).
fn bounds(generations: Range<u64>) -> (u64, u64) {
    let first = generations.start;
    (first, generations.end.saturating_sub(1).max(first))
}

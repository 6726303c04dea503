//! [`FakeHandle`]: a fake's controls while it runs (data, quirks, faults, request log,
//! platform), and serving it on a listener of one's own.

use std::collections::BTreeSet;
use std::future::Future;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use vpcep_client::types::EndpointResp;
use vpcep_client::ListEndpointsQuery;

use crate::config::FakeConfig;
use crate::faults::{FaultPlan, RandomFaults};
use crate::platform::Platform;
use crate::replay::RecordedEndpoint;
use crate::request_log::RecordedRequest;
use crate::state::{Data, FakeState};

/// Controls a fake while it runs: data, quirks, faults, request log. Cheap to clone.
#[derive(Clone)]
pub struct FakeHandle {
    state: Arc<FakeState>,
}

impl FakeHandle {
    /// Builds the fake's state (indexes the endpoints) without serving it yet.
    pub fn new(config: FakeConfig) -> Self {
        Self {
            state: Arc::new(FakeState::new(config)),
        }
    }

    /// The HTTP application, to mount in another server. Connection-level faults
    /// ([`crate::Fault::Drop`], [`crate::Fault::Truncate`]) need [`FakeHandle::serve`] to close the
    /// connection; elsewhere the body just fails.
    pub fn router(&self) -> axum::Router {
        crate::routes::router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, gives
    /// requests in flight `grace` to finish and closes the remaining connections.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
        grace: Duration,
    ) {
        crate::connections::serve(listener, self.state.clone(), shutdown, grace).await
    }

    /// Replaces the endpoints served (indexes are rebuilt; requests in flight finish
    /// with the old data).
    pub fn set_endpoints(&self, endpoints: Vec<EndpointResp>) {
        self.state.set_data(Data::Endpoints(endpoints));
    }

    /// Replaces the data served with recorded endpoints, replayed as recorded (see
    /// [`FakeConfig::recorded`]).
    pub fn set_recorded(&self, recorded: Vec<RecordedEndpoint>) {
        let json = recorded.into_iter().map(|r| r.json).collect();
        self.state.set_data(Data::Recorded(json));
    }

    /// The endpoints served, in the order given (for replayed data: what was read from
    /// the recorded JSON).
    pub fn endpoints(&self) -> Vec<EndpointResp> {
        self.state.store().endpoints()
    }

    /// Number of endpoints served.
    pub fn len(&self) -> usize {
        self.state.store().len()
    }

    /// Whether no endpoints are served.
    pub fn is_empty(&self) -> bool {
        self.state.store().is_empty()
    }

    /// What the fake answers to `query`, without HTTP: `total_count` and the page.
    /// `query` holds a request's parameters as the fake parses them (build it with
    /// [`ListEndpointsQuery::set`]); those it leaves out take the spec's defaults. With
    /// project scoping on ([`FakeConfig::project_scoped`]), only the endpoints of
    /// `query.project_id` are listed, as for a request to that project's path.
    pub fn select(&self, query: &ListEndpointsQuery) -> (usize, Vec<EndpointResp>) {
        let store = self.state.store();
        let (total, page) = self.state.select(&store, query);
        (total, store.decode(&page))
    }

    /// The generation of the data (see [`crate::Churn`]): how many churn steps were made,
    /// one after each page answered; always 0 without churn. Read it before and after a
    /// walk: its pages were answered from generations `before..after`.
    pub fn generation(&self) -> u64 {
        self.state.churn().map_or(0, |log| log.generation())
    }

    /// Ids of the endpoints present in every generation of `generations` (e.g.
    /// `before..after` around a walk: every endpoint that existed for the whole walk,
    /// which a complete listing must hold); for an empty range, those of its start.
    /// Without churn: the endpoints served now. Endpoints without an `id` are left out.
    pub fn present_throughout(&self, generations: Range<u64>) -> BTreeSet<String> {
        match self.state.churn() {
            Some(log) => log.present_throughout(generations),
            None => self.current_ids(),
        }
    }

    /// Ids of the endpoints present in at least one generation of `generations` (every
    /// endpoint a listing made during the walk may hold; anything else is not one of the
    /// fake's). Without churn: the endpoints served now.
    pub fn present_during(&self, generations: Range<u64>) -> BTreeSet<String> {
        match self.state.churn() {
            Some(log) => log.present_during(generations),
            None => self.current_ids(),
        }
    }

    fn current_ids(&self) -> BTreeSet<String> {
        self.state.store().ids().map(str::to_owned).collect()
    }

    /// Turns quirks mode on or off.
    pub fn set_quirks(&self, on: bool) {
        self.state.quirks.store(on, Ordering::Relaxed);
    }

    /// The faults tests inject: push to its queue to make the next requests fail, or set
    /// a script ([`FaultPlan::script`]) that decides each request.
    pub fn faults(&self) -> &FaultPlan {
        &self.state.plan
    }

    /// Replaces the random faults (the random sequence restarts from their seed).
    pub fn set_random_faults(&self, faults: RandomFaults) {
        self.state.set_random_faults(faults);
    }

    /// The random faults in force.
    pub fn random_faults(&self) -> RandomFaults {
        self.state.random_faults()
    }

    /// Bytes sent to clients so far, all connections together: status lines, headers and
    /// bodies as they went on the wire (compressed when they were).
    pub fn bytes_sent(&self) -> u64 {
        self.state.link.bytes_sent()
    }

    /// Connections open now (each counts from its accept until it is closed, by either
    /// side or a limit).
    pub fn connections(&self) -> usize {
        self.state.connections.len()
    }

    /// The requests received so far (up to the log's capacity), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.log.entries()
    }

    /// The platform around VPCEP (metadata service, IAM projects): modes and counters.
    pub fn platform(&self) -> &Platform {
        &self.state.platform
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state.log.clear();
    }
}

//! What a running fake holds: its data, authentication, faults, request log, the platform
//! around VPCEP and the link; shared by its routes and its accept loop.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;
use vpcep_client::types::EndpointResp;
use vpcep_client::ListEndpointsQuery;

use crate::auth::Authenticator;
use crate::churn::ChurnLog;
use crate::config::{FakeConfig, Generated};
use crate::connection_limits::{Limits, Registry};
use crate::faults::{Dice, Fault, FaultPlan, RandomFaults};
use crate::link::Link;
use crate::platform::Platform;
use crate::request_log::{RecordedRequest, RequestIds, RequestLog};
use crate::store::Store;
use crate::temporary_credentials::TemporaryCredentials;
use crate::tls::TlsConfig;

pub(crate) struct FakeState {
    store: RwLock<Arc<Store>>,
    /// Endpoints created and deleted after each page, and who existed when (churn.rs).
    churn: Option<Mutex<ChurnLog>>,
    pub(crate) quirks: AtomicBool,
    /// List only the endpoints of the project in the path.
    project_scoped: bool,
    pub(crate) auth: Arc<Authenticator>,
    dice: Mutex<Dice>,
    pub(crate) latency_ms: AtomicU64,
    pub(crate) plan: FaultPlan,
    pub(crate) log: RequestLog,
    pub(crate) request_ids: Arc<RequestIds>,
    /// Open connections and their limits (connection_limits.rs).
    pub(crate) connections: Arc<Registry>,
    pub(crate) limits: Limits,
    /// Becomes true when the server stops; hanging requests then close their connection.
    pub(crate) stopping: watch::Sender<bool>,
    /// Serve HTTPS with this certificate.
    pub(crate) tls: Option<TlsConfig>,
    /// Metadata service, IAM projects (platform.rs).
    pub(crate) platform: Arc<Platform>,
    /// Compression, bandwidth limit and bytes sent (link.rs).
    pub(crate) compression: bool,
    pub(crate) link: Arc<Link>,
}

impl FakeState {
    pub(crate) fn new(mut config: FakeConfig) -> Self {
        let temporary = Arc::new(TemporaryCredentials::default());
        let store = new_store(Data::of(&mut config));
        let churn = config
            .churn
            .take()
            .map(|churn| Mutex::new(ChurnLog::new(churn, &store)));
        Self {
            store: RwLock::new(store),
            churn,
            quirks: AtomicBool::new(config.quirks),
            project_scoped: config.project_scoped,
            tls: config.tls.take(),
            auth: Arc::new(Authenticator::new(&config.auth, temporary.clone())),
            latency_ms: AtomicU64::new(config.faults.latency.as_millis() as u64),
            dice: Mutex::new(Dice::new(config.faults.clone())),
            plan: FaultPlan::default(),
            log: RequestLog::new(config.request_log_capacity),
            request_ids: Arc::new(RequestIds::new()),
            connections: Arc::default(),
            limits: Limits {
                header_read_timeout: config.header_read_timeout,
                idle_timeout: config.idle_timeout,
                max_connections: config.max_connections.max(1),
            },
            stopping: watch::channel(false).0,
            platform: Arc::new(Platform::new(&config.platform, temporary)),
            compression: config.compression,
            link: Arc::new(Link::new(config.bandwidth_mbps)),
        }
    }

    pub(crate) fn store(&self) -> Arc<Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn swap_store(&self, store: Arc<Store>) {
        *self.store.write().unwrap_or_else(|e| e.into_inner()) = store;
    }

    /// Serves `data` from now on (with churn: a generation of its own).
    pub(crate) fn set_data(&self, data: Data) {
        let store = new_store(data);
        match &self.churn {
            Some(churn) => {
                let mut log = lock(churn);
                log.replace(&store);
                self.swap_store(store);
            }
            None => self.swap_store(store),
        }
    }

    /// The data to answer a page from; with churn, the next generation is made right
    /// after (under one lock, so each page gets a generation of its own).
    pub(crate) fn store_for_page(&self) -> Arc<Store> {
        let Some(churn) = &self.churn else {
            return self.store();
        };
        let mut log = lock(churn);
        let answered = self.store();
        self.swap_store(Arc::new(log.step(&answered)));
        answered
    }

    /// The churn log, when churn is on.
    pub(crate) fn churn(&self) -> Option<std::sync::MutexGuard<'_, ChurnLog>> {
        self.churn.as_ref().map(lock)
    }

    pub(crate) fn set_random_faults(&self, faults: RandomFaults) {
        self.latency_ms
            .store(faults.latency.as_millis() as u64, Ordering::Relaxed);
        *self.dice.lock().unwrap_or_else(|e| e.into_inner()) = Dice::new(faults);
    }

    pub(crate) fn random_faults(&self) -> RandomFaults {
        self.dice
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .config()
            .clone()
    }

    /// Logs the request, and asks the script (if any) what to do with it.
    pub(crate) fn record(&self, entry: impl FnOnce() -> RecordedRequest) -> Option<Fault> {
        let scripted = self.plan.is_scripted();
        if !self.log.is_on() && !scripted {
            return None;
        }
        let entry = entry();
        let fault = if scripted {
            self.plan.scripted(&entry)
        } else {
            None
        };
        self.log.push(entry);
        fault
    }

    /// The page the server answers to `query`: [`Store::select`], its path filtering too
    /// (the project) when project scoping is on. Scoped pages take the filtered path (and
    /// are copied): unscoped ones are not affected at all.
    pub(crate) fn select(&self, store: &Store, query: &ListEndpointsQuery) -> (usize, Vec<u32>) {
        store.select(query, self.project_scoped)
    }

    /// The fault of a request the script left alone: the queue's next, else the dice's.
    pub(crate) fn draw_fault(&self) -> Option<Fault> {
        if let Some(f) = self.plan.next() {
            return Some(f);
        }
        self.dice.lock().unwrap_or_else(|e| e.into_inner()).draw()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The data a fake is given to serve.
pub(crate) enum Data {
    Generated(Generated),
    Endpoints(Vec<EndpointResp>),
    /// Replayed: each endpoint's JSON as recorded.
    Recorded(Vec<serde_json::Value>),
}

impl Data {
    /// What `config` says to serve (taken out of it).
    fn of(config: &mut FakeConfig) -> Data {
        if let Some(generated) = config.generated.take() {
            return Data::Generated(generated);
        }
        let endpoints = std::mem::take(&mut config.endpoints);
        match config.recorded_json.take() {
            Some(json) => {
                assert_eq!(
                    json.len(),
                    endpoints.len(),
                    "one recorded JSON text per endpoint"
                );
                Data::Recorded(json)
            }
            None => Data::Endpoints(endpoints),
        }
    }
}

/// Indexes the data, and makes its filter columns (on a background thread for more than
/// 1,000 endpoints; a filtered page before it gets there makes the column it needs).
fn new_store(data: Data) -> Arc<Store> {
    let store = Arc::new(match data {
        Data::Generated(g) => Store::generated(g.count, g.seed, &g.project_id),
        Data::Endpoints(endpoints) => Store::from_endpoints(&endpoints),
        Data::Recorded(json) => Store::from_texts(
            json.iter()
                .map(|v| serde_json::to_vec(v).expect("serializing JSON never fails"))
                .collect(),
            true,
        ),
    });
    if store.len() > 1000 {
        let warming = store.clone();
        let _ = std::thread::Builder::new()
            .name("vpcep-fake-warm".into())
            .spawn(move || warming.warm());
    } else {
        store.warm();
    }
    store
}

//! Many targets as one listing: every endpoint of several (credentials, region, project)
//! targets, each tagged with its target, under one cap on requests in flight and one memory
//! budget, with an outcome and a receipt per target.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vpcep_client::Error> {
//! use futures::StreamExt;
//! use vpcep_client::estate::{Estate, EstateItem, Target};
//! use vpcep_client::Client;
//!
//! let mut estate = Estate::new().max_in_flight(16);
//! for region in ["cn-north-4", "ap-southeast-1"] {
//!     let client = Client::builder().region(region).default_credentials().build()?;
//!     estate = estate.target(Target::new(client).account("prod"));
//! }
//! let mut listing = std::pin::pin!(estate.stream());
//! while let Some(item) = listing.next().await {
//!     match item {
//!         EstateItem::Page(page) => {
//!             for endpoint in &page.endpoints {
//!                 println!("{} {:?}", page.target, endpoint.id);
//!             }
//!         }
//!         EstateItem::Finished(report) => {
//!             println!("{}: {} ({} endpoints)", report.target, report.outcome, report.endpoints)
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! **How the work is shared.** Each target is listed by its own list-all (the guarantee
//! and the receipt of [`ListAll`](crate::ListAll), per target), with its own concurrency
//! ([`Estate::concurrency_per_target`], halved when that target is throttled or times out,
//! grown back when it is not), so that a throttled region slows only itself. Across
//! targets: at most [`Estate::max_in_flight`] requests await an answer at any moment (a
//! request takes a slot when it is sent and gives it back when the response's headers
//! arrive; a throttled request waiting to be retried holds none), and as many targets are
//! walked at once; the pages read and not yet handed out stay within one
//! [`Estate::memory_budget`] (each target reads its next page only; responses beyond wait
//! in their sockets). A target that fails (its project cannot be found, a request fails
//! after its retries, its listing cannot be established complete) ends with
//! [`Outcome::Failed`]; the others go on.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::body_window::SharedLimits;
use crate::error::Error;
use crate::generated::types::EndpointResp;
use crate::paginate::{ListAllPages, DEFAULT_MEMORY_BUDGET};
use crate::receipt::Receipt;
use crate::{Client, ListEndpoints};

/// Default cap on requests awaiting an answer across all targets (and targets walked at
/// once).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
/// Default number of pages one target requests at once (it is halved for that target
/// when it is throttled).
pub const DEFAULT_CONCURRENCY_PER_TARGET: usize = 4;

/// Where endpoints came from: the account, the region and the project of a target.
/// Displayed as `account/region/project` (`-` for what is not known).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct TargetId {
    /// The account: its domain name or ID, as the caller named it.
    pub account: Option<String>,
    /// The region ID.
    pub region: Option<String>,
    /// The project ID (found from the credentials or IAM when the client had none).
    pub project_id: Option<String>,
}

impl TargetId {
    /// A target's identity.
    pub fn new(
        account: Option<String>,
        region: Option<String>,
        project_id: Option<String>,
    ) -> Self {
        TargetId {
            account,
            region,
            project_id,
        }
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |p: &Option<String>| {
            p.as_deref()
                .map_or("-".into(), crate::terminal::printable)
                .into_owned()
        };
        write!(
            f,
            "{}/{}/{}",
            part(&self.account),
            part(&self.region),
            part(&self.project_id)
        )
    }
}

/// One target of an [`Estate`]: a client (its credentials, region or base URL, project),
/// and the account it lists, for the record; or a target skipped, with the reason.
#[derive(Debug)]
#[must_use]
pub struct Target {
    id: TargetId,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    List(Client),
    Skip(String),
    Fail(Error),
}

impl Target {
    /// A target listed with `client`; its region and project are the client's (the project
    /// is found from the credentials or IAM when the client has none).
    pub fn new(client: Client) -> Self {
        let id = TargetId::new(
            None,
            client.region().map(str::to_owned),
            client.shared.project_id.clone(),
        );
        Target {
            id,
            kind: Kind::List(client),
        }
    }

    /// A target that is not listed, with the reason (reported as [`Outcome::Skipped`]).
    pub fn skipped(id: TargetId, reason: impl Into<String>) -> Self {
        Target {
            id,
            kind: Kind::Skip(reason.into()),
        }
    }

    /// A target that could not be set up (e.g. the discovery of its account failed),
    /// reported as [`Outcome::Failed`] with `error`.
    pub fn failed(id: TargetId, error: Error) -> Self {
        Target {
            id,
            kind: Kind::Fail(error),
        }
    }

    /// The account the target belongs to (its domain name or ID), for the record.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.id.account = Some(account.into());
        self
    }

    /// The region, for the record (default: the client's).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.id.region = Some(region.into());
        self
    }

    /// Who the target is, as far as known before listing.
    pub fn id(&self) -> &TargetId {
        &self.id
    }
}

/// How a target's listing ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Complete under the guarantee of [`ListAll`](crate::ListAll).
    Complete,
    /// Failed with this error (the endpoints handed out before are not all of them).
    Failed(Error),
    /// Not listed, for this reason.
    Skipped(String),
}

impl Outcome {
    /// Whether the target is complete.
    pub fn is_complete(&self) -> bool {
        matches!(self, Outcome::Complete)
    }

    /// `complete`, `failed` or `skipped`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Failed(_) => "failed",
            Outcome::Skipped(_) => "skipped",
        }
    }

    /// The error or the reason, if any.
    pub fn detail(&self) -> Option<String> {
        match self {
            Outcome::Complete => None,
            Outcome::Failed(e) => Some(e.to_string()),
            Outcome::Skipped(reason) => Some(reason.clone()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            None => f.write_str(self.label()),
            Some(detail) => write!(f, "{}: {detail}", self.label()),
        }
    }
}

/// The end of one target's listing.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target's place in the order the targets were given (from 0).
    pub index: usize,
    /// The target.
    pub target: Arc<TargetId>,
    /// How it ended.
    pub outcome: Outcome,
    /// Endpoints handed out for it.
    pub endpoints: u64,
    /// Its listing's receipt (`None` when the listing did not start: skipped, or no
    /// project).
    pub receipt: Option<Receipt>,
}

/// Endpoints of one target, one page of its listing (de-duplicated, in its server's order).
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetPage {
    /// The target's place in the order the targets were given (from 0).
    pub index: usize,
    /// Where they came from.
    pub target: Arc<TargetId>,
    /// The endpoints.
    pub endpoints: Vec<EndpointResp>,
}

/// What an [`Estate`]'s stream hands out: pages of endpoints, and each target's report
/// when its listing ends (after its last page).
#[derive(Debug)]
pub enum EstateItem {
    /// Endpoints of one target.
    Page(TargetPage),
    /// A target's listing ended (boxed: a report, with its receipt, is much larger than
    /// a page's handle).
    Finished(Box<TargetReport>),
}

/// Configures each target's request (filters, sort, page size).
type ConfigureRequest = Arc<dyn Fn(ListEndpoints) -> ListEndpoints + Send + Sync>;

/// A listing of several targets as one. See the [module documentation](self).
#[must_use]
pub struct Estate {
    targets: Vec<Target>,
    max_in_flight: usize,
    concurrency_per_target: usize,
    memory_budget: usize,
    configure: ConfigureRequest,
}

impl fmt::Debug for Estate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Estate")
            .field("targets", &self.targets)
            .field("max_in_flight", &self.max_in_flight)
            .field("concurrency_per_target", &self.concurrency_per_target)
            .field("memory_budget", &self.memory_budget)
            .finish_non_exhaustive()
    }
}

impl Default for Estate {
    fn default() -> Self {
        Self::new()
    }
}

impl Estate {
    /// No targets yet; defaults: 16 requests in flight, 4 pages per target, 16 MiB.
    pub fn new() -> Self {
        Estate {
            targets: Vec::new(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            concurrency_per_target: DEFAULT_CONCURRENCY_PER_TARGET,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            configure: Arc::new(|request| request),
        }
    }

    /// Adds a target.
    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    /// Adds targets.
    pub fn targets(mut self, targets: impl IntoIterator<Item = Target>) -> Self {
        self.targets.extend(targets);
        self
    }

    /// The targets, in the order given.
    pub fn target_ids(&self) -> impl Iterator<Item = &TargetId> {
        self.targets.iter().map(Target::id)
    }

    /// Requests awaiting an answer at once across all targets, and targets walked at once;
    /// at least 1 (default 16).
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests.max(1);
        self
    }

    /// Pages one target requests at once, at least 1 (default 4); halved for that target
    /// when it is throttled or an attempt times out, grown back after clean pages.
    pub fn concurrency_per_target(mut self, pages: usize) -> Self {
        self.concurrency_per_target = pages.max(1);
        self
    }

    /// Memory for pages read and not yet handed out, all targets together, in bytes
    /// (default 16 MiB: two pages of 1,000 endpoints); at least one page is always read.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Configures every target's request (filters, sort order, page size), e.g.
    /// `.request(|r| r.vpc_id("…"))`. The project ID is each target's.
    pub fn request(
        mut self,
        configure: impl Fn(ListEndpoints) -> ListEndpoints + Send + Sync + 'static,
    ) -> Self {
        self.configure = Arc::new(configure);
        self
    }

    /// The listing, as a stream of pages and reports; targets are reported as they end,
    /// every target exactly once.
    pub fn stream(self) -> EstateStream {
        let total = self.targets.len();
        let configure = self.configure;
        // What a page costs, by the page size the request asks for (the same for every
        // target).
        let per_page = self
            .targets
            .iter()
            .find_map(|t| match &t.kind {
                Kind::List(client) => Some(configure(client.list_endpoints()).list_all()),
                Kind::Skip(_) | Kind::Fail(_) => None,
            })
            .map_or(1, |listing| listing.bytes_per_page());
        let shared = SharedLimits {
            requests: Arc::new(Semaphore::new(self.max_in_flight)),
            reads: Arc::new(Semaphore::new((self.memory_budget / per_page).max(1))),
        };
        let concurrency = self.concurrency_per_target;
        let inner = stream::iter(self.targets.into_iter().enumerate())
            .map(move |(index, target)| {
                target_stream(
                    index,
                    target,
                    configure.clone(),
                    shared.clone(),
                    concurrency,
                )
            })
            .flatten_unordered(self.max_in_flight);
        EstateStream {
            inner: Box::pin(inner),
            total,
        }
    }

    /// Lists every target and collects the endpoints per target, in the order the targets
    /// were given.
    pub async fn send(self) -> EstateListing {
        let count = self.targets.len();
        let mut stream = self.stream();
        let mut endpoints: Vec<Vec<EndpointResp>> = vec![Vec::new(); count];
        let mut reports: Vec<Option<TargetReport>> = (0..count).map(|_| None).collect();
        while let Some(item) = stream.next().await {
            match item {
                EstateItem::Page(page) => endpoints[page.index].extend(page.endpoints),
                EstateItem::Finished(report) => {
                    let index = report.index;
                    reports[index] = Some(*report);
                }
            }
        }
        EstateListing {
            targets: reports
                .into_iter()
                .zip(endpoints)
                .map(|(report, endpoints)| TargetListing {
                    report: report.expect("every target is reported"),
                    endpoints,
                })
                .collect(),
        }
    }
}

/// The listing of every target of an [`Estate`], collected.
#[derive(Debug)]
#[non_exhaustive]
pub struct EstateListing {
    /// Each target's report and endpoints, in the order the targets were given.
    pub targets: Vec<TargetListing>,
}

impl EstateListing {
    /// Whether every target is complete.
    pub fn is_complete(&self) -> bool {
        self.targets.iter().all(|t| t.report.outcome.is_complete())
    }
}

/// One target of an [`EstateListing`].
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetListing {
    /// How its listing ended.
    pub report: TargetReport,
    /// Its endpoints.
    pub endpoints: Vec<EndpointResp>,
}

/// The stream of an [`Estate`]: [`EstateItem`]s, pages of every target interleaved as they
/// come, each target's report after its last page.
#[must_use = "streams do nothing unless polled"]
pub struct EstateStream {
    inner: Pin<Box<dyn Stream<Item = EstateItem> + Send>>,
    total: usize,
}

impl fmt::Debug for EstateStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EstateStream")
            .field("targets", &self.total)
            .finish_non_exhaustive()
    }
}

impl EstateStream {
    /// The number of targets (each is reported once).
    pub fn targets(&self) -> usize {
        self.total
    }
}

impl Stream for EstateStream {
    type Item = EstateItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Where one target's listing is.
enum Step {
    Start(Client, TargetId),
    Listing {
        pages: ListAllPages,
        target: Arc<TargetId>,
        endpoints: u64,
    },
    Done,
}

/// One target's listing: its pages, then its report.
fn target_stream(
    index: usize,
    target: Target,
    configure: ConfigureRequest,
    shared: SharedLimits,
    concurrency: usize,
) -> BoxStream<'static, EstateItem> {
    let ended = |outcome| {
        let report = TargetReport {
            index,
            target: Arc::new(target.id.clone()),
            outcome,
            endpoints: 0,
            receipt: None,
        };
        stream::once(async move { EstateItem::Finished(Box::new(report)) }).boxed()
    };
    let client = match target.kind {
        Kind::Skip(reason) => return ended(Outcome::Skipped(reason)),
        Kind::Fail(error) => return ended(Outcome::Failed(error)),
        Kind::List(client) => client,
    };
    let start = Step::Start(client, target.id);
    stream::unfold(start, move |step| {
        let (configure, shared) = (configure.clone(), shared.clone());
        async move {
            let (mut pages, target, mut endpoints) = match step {
                Step::Done => return None,
                Step::Start(client, mut id) => {
                    let project = match &id.project_id {
                        Some(project) => Ok(project.clone()),
                        None => client.project_id().await,
                    };
                    match project {
                        Ok(project) => id.project_id = Some(project.clone()),
                        Err(e) => {
                            let report = TargetReport {
                                index,
                                target: Arc::new(id),
                                outcome: Outcome::Failed(e),
                                endpoints: 0,
                                receipt: None,
                            };
                            return Some((EstateItem::Finished(Box::new(report)), Step::Done));
                        }
                    }
                    let project = id.project_id.clone().unwrap_or_default();
                    let pages = configure(client.list_endpoints())
                        .project_id(project)
                        .list_all()
                        .concurrency(concurrency)
                        .shared_limits(shared)
                        .pages();
                    (pages, Arc::new(id), 0)
                }
                Step::Listing {
                    pages,
                    target,
                    endpoints,
                } => (pages, target, endpoints),
            };
            loop {
                match pages.next().await {
                    Some(Ok(page)) => {
                        let list = page.endpoints.unwrap_or_default();
                        if list.is_empty() {
                            continue;
                        }
                        endpoints += list.len() as u64;
                        let item = EstateItem::Page(TargetPage {
                            index,
                            target: target.clone(),
                            endpoints: list,
                        });
                        let next = Step::Listing {
                            pages,
                            target,
                            endpoints,
                        };
                        return Some((item, next));
                    }
                    end => {
                        let receipt = pages.receipt();
                        drop(pages);
                        let outcome = match end {
                            Some(Err(e)) => Outcome::Failed(e),
                            _ => Outcome::Complete,
                        };
                        let report = TargetReport {
                            index,
                            target,
                            outcome,
                            endpoints,
                            receipt: Some(receipt),
                        };
                        return Some((EstateItem::Finished(Box::new(report)), Step::Done));
                    }
                }
            }
        }
    })
    .boxed()
}

/// Which regions of an account a discovery lists.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Regions {
    /// Every project IAM lists for the credentials: each region's project and its
    /// sub-projects (`{region}_{suffix}`); IAM's non-regional projects (`MOS`) and
    /// disabled projects are left out.
    All,
    /// These regions, each with its project (the client's, when it has one and one region
    /// is given; else the one IAM names after the region, looked up when its listing
    /// starts).
    These(Vec<String>),
}

impl Regions {
    /// `all`, or region IDs separated by commas (`cn-north-4,ap-southeast-1`); blanks
    /// and repeats are dropped.
    pub fn parse(text: &str) -> Result<Regions, Error> {
        if text.trim() == "all" {
            return Ok(Regions::All);
        }
        let mut regions: Vec<String> = Vec::new();
        for region in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            if region == "all" {
                return Err(Error::Validation(crate::ValidationError::new(
                    "region",
                    "`all` stands alone (not in a list of regions)",
                    text,
                )));
            }
            if !regions.iter().any(|r| r == region) {
                regions.push(region.to_owned());
            }
        }
        if regions.is_empty() {
            return Err(Error::Validation(crate::ValidationError::new(
                "region",
                "expected `all` or region IDs separated by commas",
                text,
            )));
        }
        Ok(Regions::These(regions))
    }
}

/// The targets of one account: `account` is a client with the account's credentials and
/// settings (its region and base URL do not matter; its project ID is used for a single
/// region); `label` names the account in the records (default, with [`Regions::All`]: the
/// domain ID IAM gives). Never fails: an account whose projects cannot be listed is one
/// failed target, a region whose endpoint cannot be resolved a failed target.
pub async fn discover(account: &Client, label: Option<&str>, regions: &Regions) -> Vec<Target> {
    let label = label.map(str::to_owned);
    let id = |region: Option<&str>, project: Option<&str>| {
        TargetId::new(
            label.clone(),
            region.map(str::to_owned),
            project.map(str::to_owned),
        )
    };
    match regions {
        Regions::These(regions) => {
            let project = match regions.as_slice() {
                [_] => account.configured_project_id(),
                _ => None,
            };
            regions
                .iter()
                .map(|region| match account.for_region(region, project) {
                    Ok(client) => {
                        let mut target = Target::new(client);
                        target.id.account = label.clone();
                        target
                    }
                    Err(e) => Target::failed(id(Some(region), project), e),
                })
                .collect()
        }
        Regions::All => {
            let mut projects = match account.iam_projects().await {
                Ok(projects) => projects,
                Err(e) => return vec![Target::failed(id(None, None), e)],
            };
            projects.sort_by(|a, b| (a.region(), &a.name).cmp(&(b.region(), &b.name)));
            projects
                .iter()
                .filter_map(|project| {
                    let region = project.region()?;
                    let mut target_id = id(Some(region), Some(&project.id));
                    if target_id.account.is_none() {
                        target_id.account = project.domain_id.clone();
                    }
                    if !project.enabled {
                        tracing::info!(project = %project.name, "project disabled in IAM: not listed");
                        return None;
                    }
                    Some(match account.for_region(region, Some(&project.id)) {
                        Ok(client) => Target {
                            id: target_id,
                            kind: Kind::List(client),
                        },
                        Err(e) => Target::failed(target_id, e),
                    })
                })
                .collect()
        }
    }
}

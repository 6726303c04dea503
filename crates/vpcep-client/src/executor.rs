//! One ListEndpoints call: the project ID, the operation timeout, and the retry loop
//! around the generated builder's `send()`.
//!
//! The request builder (`request.rs`) holds an [`Executor`]; the client (`client.rs`)
//! only builds the shared configuration and hands it out. Below it: `retry.rs` (the
//! classifier and the loop) and `transport.rs` (the hooks the generated client runs).

use std::sync::Arc;
use std::time::Duration;

use crate::auth::Credentials;
use crate::body_window::BodyTurn;
use crate::contract::ListEndpointsQuery as Query;
use crate::error::{Error, Result, TimeoutKind};
use crate::generated::types::EndpointListResp;
use crate::receipt::CallStats;
use crate::retry::{self, Attempt, Verdict};
use crate::transport::{CallState, Shared};
use crate::validate;

/// Runs calls with one client's configuration. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Executor {
    shared: Arc<Shared>,
}

impl Executor {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Executor { shared }
    }

    /// The project ID set on the client, if any.
    pub(crate) fn default_project_id(&self) -> Option<&str> {
        self.shared.project_id.as_deref()
    }

    /// Whether a missing project ID can be found from the credentials (their own
    /// project ID, or IAM).
    pub(crate) fn can_resolve_project_id(&self) -> bool {
        matches!(
            self.shared.credentials,
            Some(Credentials::AkSk(_) | Credentials::Provider(_))
        )
    }

    /// The project ID requests use when they name none: the client's, else the resolved
    /// one ([`resolve_project_id`](Self::resolve_project_id)).
    pub(crate) async fn project_id(&self) -> Result<String> {
        match &self.shared.project_id {
            Some(project) => Ok(project.clone()),
            None => self.resolve_project_id().await,
        }
    }

    /// Runs one ListEndpoints call with retries and the operation timeout. `stats` (a
    /// page of a listing) hears of its failures, retries and bytes; `body_turn` makes the
    /// body wait for its turn.
    pub(crate) async fn execute(
        &self,
        query: &Query,
        stats: Option<&CallStats>,
        body_turn: Option<BodyTurn>,
    ) -> Result<EndpointListResp> {
        let resolved;
        let query = if query.project_id.is_none() {
            let mut q = query.clone();
            q.set("project_id", &self.resolve_project_id().await?)?;
            resolved = q;
            &resolved
        } else {
            query
        };
        let state = CallState::new(self.shared.clone())
            .with_body_turn(body_turn)
            .with_project_id(query.project_id.as_deref().map(|p| p.to_string()));
        let deadline = self
            .shared
            .timeouts
            .operation
            .map(|limit| tokio::time::Instant::now() + limit);
        let work = self.execute_with_retries(query, &state, deadline, stats);
        match self.shared.timeouts.operation {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(Error::Timeout {
                    kind: TimeoutKind::Operation,
                    after: limit,
                    attempts: state.attempt(),
                    url: self.url_for(query),
                })
            }),
            None => work.await,
        }
    }

    /// The project ID when neither the request nor the client has one: the one that came
    /// with the credentials (environment, profile), else the region's from IAM. Looked up
    /// once per client (concurrent callers wait for the one lookup; a failed lookup is
    /// tried again by the next call).
    pub(crate) async fn resolve_project_id(&self) -> Result<String> {
        let project = self
            .shared
            .resolved_project
            .get_or_try_init(|| self.lookup_project_id())
            .await?;
        Ok(project.clone())
    }

    async fn lookup_project_id(&self) -> Result<String> {
        let shared = &self.shared;
        let (keys, own_project, own_iam) = match &shared.credentials {
            Some(Credentials::AkSk(keys)) => (keys.clone(), None, None),
            Some(Credentials::Provider(provider)) => {
                let id = provider.identity().await?;
                (
                    id.keys().clone(),
                    id.project_id().map(str::to_owned),
                    id.iam_endpoint().map(str::to_owned),
                )
            }
            _ => {
                return Err(Error::Config(format!(
                    "no project ID: set it on the client or the request (CLI --project-id), \
                     or in {}",
                    crate::auth::ENV_PROJECT_ID
                )))
            }
        };
        let project = match own_project {
            Some(project) => project,
            None => {
                let region = shared.region.as_deref().ok_or_else(|| {
                    Error::Config(format!(
                        "no project ID: set it on the client or the request (CLI \
                         --project-id), in {} or project_id in the credentials file, or set a \
                         region to look it up in IAM (CLI --region)",
                        crate::auth::ENV_PROJECT_ID
                    ))
                })?;
                let (iam, http) = self.iam(own_iam)?;
                crate::project_lookup::project_id(
                    &http,
                    &iam,
                    region,
                    &keys,
                    &shared.user_agent,
                    self.iam_timeout(),
                    shared.max_response_bytes,
                )
                .await
                .map_err(Error::Config)?
            }
        };
        validate::project_id(&project)?;
        Ok(project)
    }

    /// The IAM endpoint (the client's, else the credentials', else
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's by the official table, else the
    /// global one) and an HTTP client for it.
    fn iam(&self, own_iam: Option<String>) -> Result<(String, reqwest::Client)> {
        self.iam_in(own_iam, self.shared.region.as_deref())
    }

    /// [`iam`](Self::iam) for `region` (`None`: the global endpoint unless one is set).
    fn iam_in(
        &self,
        own_iam: Option<String>,
        region: Option<&str>,
    ) -> Result<(String, reqwest::Client)> {
        let shared = &self.shared;
        let iam = shared
            .iam_endpoint
            .clone()
            .or(own_iam)
            .or_else(|| {
                std::env::var(crate::credentials::ENV_IAM_ENDPOINT)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
            })
            .unwrap_or_else(|| match region {
                Some(region) => crate::project_lookup::iam_endpoint_for(region),
                None => crate::project_lookup::DEFAULT_IAM_ENDPOINT.to_owned(),
            });
        // Its own HTTP client: IAM's proxy rule may differ from VPCEP's.
        let destination = reqwest::Url::parse(&iam)
            .map_err(|e| Error::Config(format!("invalid IAM endpoint {iam:?}: {e}")))?;
        let http = shared.http_for(&destination)?;
        Ok((iam, http))
    }

    fn iam_timeout(&self) -> Duration {
        self.shared
            .timeouts
            .attempt
            .unwrap_or(Duration::from_secs(30))
    }

    /// Every project IAM lists for the client's AK/SK credentials (KeystoneListProjects
    /// without a name, paged).
    pub(crate) async fn iam_projects(&self) -> Result<Vec<crate::project_lookup::IamProject>> {
        let shared = &self.shared;
        let (keys, own_iam) = match &shared.credentials {
            Some(Credentials::AkSk(keys)) => (keys.clone(), None),
            Some(Credentials::Provider(provider)) => {
                let id = provider.identity().await?;
                (id.keys().clone(), id.iam_endpoint().map(str::to_owned))
            }
            _ => {
                return Err(Error::Config(
                    "listing the projects of an account in IAM needs AK/SK credentials \
                     (an IAM token cannot sign the request)"
                        .to_owned(),
                ))
            }
        };
        // Every project of the account: IAM's global endpoint unless one is set.
        let (iam, http) = self.iam_in(own_iam, None)?;
        crate::project_lookup::all_projects(
            &http,
            &iam,
            &keys,
            &shared.user_agent,
            self.iam_timeout(),
            shared.max_response_bytes,
        )
        .await
        .map_err(Error::Config)
    }

    async fn execute_with_retries(
        &self,
        query: &Query,
        state: &CallState,
        deadline: Option<tokio::time::Instant>,
        stats: Option<&CallStats>,
    ) -> Result<EndpointListResp> {
        let generated = crate::generated::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            state.clone(),
        );
        let (generated, url) = (&generated, self.url_for(query));
        let (attempt_timeout, connect_timeout) =
            (self.shared.timeouts.attempt, self.shared.timeouts.connect);
        let retried = |failure: &retry::Failure, wait| {
            if let Some(stats) = stats {
                stats.retried(failure.kind, wait);
            }
        };
        retry::run(&self.shared.retry, deadline, retried, |attempt| {
            state.start_attempt(attempt);
            let url = url.as_str();
            async move {
                let outcome = query.apply(generated.list_endpoints()).send().await;
                if let Some(e) = state.take_not_sent() {
                    return Verdict::Fail(e);
                }
                let progress = state.progress();
                if let Some(stats) = stats {
                    stats.received(progress.body_bytes);
                }
                let attempt = Attempt {
                    url,
                    attempts: attempt,
                    attempt_timeout,
                    progress,
                    connect_timeout,
                };
                let verdict = match retry::classify(outcome, state.last_record(), &attempt) {
                    Verdict::Done(page) => check_page(page, state),
                    other => other,
                };
                if let (Some(stats), Verdict::Retry(failure)) = (stats, &verdict) {
                    stats.failed(failure.kind);
                }
                verdict
            }
        })
        .await
    }

    fn url_for(&self, query: &Query) -> String {
        format!(
            "{}/v1/{}/vpc-endpoints",
            self.shared.base_url,
            query.project_id.as_deref().map_or("", String::as_str)
        )
    }
}

/// What the spec's types cannot say about a decoded page: a count cannot be negative
/// (pagination would trust it, and stop early).
fn check_page(page: EndpointListResp, state: &CallState) -> Verdict<EndpointListResp> {
    match page.total_count {
        Some(total) if total < 0 => Verdict::Fail(Error::Decode {
            path: "total_count".to_owned(),
            message: format!("a count cannot be negative (got {total})"),
            request_id: state.last_record().and_then(|r| r.request_id),
        }),
        _ => Verdict::Done(page),
    }
}

/// The generated client sends each attempt through these hooks: the transport does the
/// work. Implemented here (above both) so that `transport.rs` does not name the generated
/// client, nor the generated client anything but `codegen_support`.
impl progenitor_client::ClientHooks<CallState> for crate::generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::transport::exec(&self.inner, request, info).await
    }
}

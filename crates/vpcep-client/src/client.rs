//! The client: construction, and the retry loop around the generated builder's `send()`.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::Error as GenError;
use reqwest::header::HeaderValue;

use crate::auth::Credentials;
use crate::error::{ApiError, Error, Result, TimeoutKind};
use crate::request::{ListEndpoints, Query};
use crate::retry::{is_retryable_status, RetryConfig, TimeoutConfig};
use crate::transport::{CallState, Shared};
use crate::types::{EndpointListResp, ErrorResponse};
use crate::validate;

/// A VPCEP client. Cheap to clone: clones share one connection pool and configuration.
///
/// ```no_run
/// # async fn demo() -> Result<(), vpcep_client::Error> {
/// let client = vpcep_client::Client::builder()
///     .region("cn-north-4")
///     .project_id("0123456789abcdef0123456789abcdef")
///     .credentials_from_env()?
///     .build()?;
/// let page = client.list_endpoints().limit(50).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `region`, with the project ID and AK/SK credentials from the official
    /// SDKs' environment variables (`HUAWEICLOUD_SDK_PROJECT_ID`, `HUAWEICLOUD_SDK_AK`,
    /// `HUAWEICLOUD_SDK_SK`, optional `HUAWEICLOUD_SDK_SECURITY_TOKEN`).
    pub fn from_env(region: &str) -> Result<Self> {
        let mut builder = Client::builder().region(region).credentials_from_env()?;
        if let Ok(project) = std::env::var(crate::auth::ENV_PROJECT_ID) {
            builder = builder.project_id(project);
        }
        builder.build()
    }

    /// Lists endpoints: configure the request, then `send()` for one page, `pages()` or
    /// `items()` for lazy streams, or `list_all()` for everything.
    pub fn list_endpoints(&self) -> ListEndpoints {
        ListEndpoints::new(self.clone())
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The generated (progenitor) client, with this client's authentication, headers,
    /// per-attempt timeout and tracing, but without retries or error mapping.
    pub fn generated(&self) -> crate::generated::Client {
        self.generated_with(CallState::new(self.shared.clone(), None))
    }

    fn generated_with(&self, state: CallState) -> crate::generated::Client {
        crate::generated::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            state,
        )
    }

    /// Runs one ListEndpoints call with retries and the operation timeout.
    pub(crate) async fn execute(
        &self,
        query: &Query,
        throttled: Option<Arc<AtomicU64>>,
    ) -> Result<EndpointListResp> {
        self.execute_paged(query, throttled, None).await
    }

    /// [`execute`](Self::execute) for a page of a listing, whose body waits for its turn.
    pub(crate) async fn execute_paged(
        &self,
        query: &Query,
        throttled: Option<Arc<AtomicU64>>,
        body_turn: Option<crate::paginate::BodyTurn>,
    ) -> Result<EndpointListResp> {
        let state = CallState::new(self.shared.clone(), throttled).with_body_turn(body_turn);
        let work = self.execute_with_retries(query, &state);
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

    async fn execute_with_retries(
        &self,
        query: &Query,
        state: &CallState,
    ) -> Result<EndpointListResp> {
        let retry = &self.shared.retry;
        let generated = self.generated_with(state.clone());
        let mut attempt = 1;
        loop {
            state.start_attempt(attempt);
            let outcome = query.apply(generated.list_endpoints()).send().await;
            match self.classify(outcome, state, query, attempt) {
                Step::Done(page) => return Ok(page),
                Step::Fail(e) => return Err(e),
                Step::Retry(e, retry_after) => {
                    if attempt >= retry.max_attempts {
                        return Err(e);
                    }
                    let wait = retry.backoff(attempt, retry_after);
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    fn url_for(&self, query: &Query) -> String {
        format!(
            "{}/v1/{}/vpc-endpoints",
            self.shared.base_url, query.project_id
        )
    }

    fn classify(
        &self,
        outcome: std::result::Result<
            progenitor_client::ResponseValue<EndpointListResp>,
            GenError<ErrorResponse>,
        >,
        state: &CallState,
        query: &Query,
        attempts: u32,
    ) -> Step {
        let api_error = |state: &CallState| -> Option<Step> {
            let record = state.last_record()?;
            if (200..300).contains(&record.status) {
                return None;
            }
            let mut e = ApiError::from_body(record.status, &record.body, record.request_id);
            e.retry_after = record.retry_after;
            e.attempts = attempts;
            let retryable = is_retryable_status(e.status);
            let retry_after = e.retry_after;
            let err = Error::Api(Box::new(e));
            Some(if retryable {
                Step::Retry(err, retry_after)
            } else {
                Step::Fail(err)
            })
        };
        match outcome {
            Ok(value) => Step::Done(value.into_inner()),
            Err(
                GenError::ErrorResponse(_)
                | GenError::UnexpectedResponse(_)
                | GenError::InvalidResponsePayload(..),
            ) if api_error(state).is_some() => api_error(state).expect("checked"),
            Err(GenError::InvalidResponsePayload(bytes, _)) => {
                let request_id = state.last_record().and_then(|r| r.request_id);
                Step::Fail(decode_error(&bytes, request_id))
            }
            Err(GenError::CommunicationError(e) | GenError::ResponseBodyError(e)) => {
                // Our message names the URL once; reqwest's would repeat it.
                let e = e.without_url();
                if e.is_timeout() {
                    Step::Retry(
                        Error::Timeout {
                            kind: TimeoutKind::Attempt,
                            after: self.shared.timeouts.attempt.unwrap_or_default(),
                            attempts,
                            url: self.url_for(query),
                        },
                        None,
                    )
                } else {
                    // `is_decode` is how reqwest reports a body cut short (we decode JSON ourselves).
                    let retryable =
                        e.is_connect() || e.is_request() || e.is_body() || e.is_decode();
                    let err = Error::Transport {
                        url: self.url_for(query),
                        attempts,
                        message: error_chain(&e),
                        source: Some(e),
                    };
                    if retryable {
                        Step::Retry(err, None)
                    } else {
                        Step::Fail(err)
                    }
                }
            }
            Err(GenError::InvalidUpgrade(e)) => {
                let e = e.without_url();
                Step::Fail(Error::Transport {
                    url: self.url_for(query),
                    attempts,
                    message: error_chain(&e),
                    source: Some(e),
                })
            }
            Err(other) => Step::Fail(Error::Config(format!(
                "the generated client refused the request: {other}"
            ))),
            // Statuses the spec lists decode as ErrorResponse; everything is handled above,
            // but a 2xx that is not 200 would land here.
        }
    }
}

enum Step {
    Done(EndpointListResp),
    Fail(Error),
    Retry(Error, Option<Duration>),
}

/// Decodes `bytes` again, tracking the path, to say which field failed.
pub(crate) fn decode_error(bytes: &[u8], request_id: Option<String>) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, EndpointListResp>(&mut de) {
        Err(e) => Error::Decode {
            path: match e.path().to_string().as_str() {
                "." => "(body)".to_owned(),
                p => p.to_owned(),
            },
            message: e.into_inner().to_string(),
            request_id,
        },
        Ok(_) => Error::Decode {
            path: "(body)".to_owned(),
            message: "the response could not be decoded".to_owned(),
            request_id,
        },
    }
}

/// An error and its causes on one line (reqwest's Display alone hides the cause).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Configures a [`Client`].
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    region: Option<String>,
    base_url: Option<String>,
    project_id: Option<String>,
    credentials: Option<Credentials>,
    retry: Option<RetryConfig>,
    timeouts: TimeoutConfig,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    no_compression: bool,
}

impl ClientBuilder {
    /// Region ID, e.g. `cn-north-4`: requests go to `https://vpcep.{region}.myhuaweicloud.com`
    /// (`.eu` for `eu-west-101`). See [`crate::region::REGIONS`].
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit base URL (e.g. a fake server, or a region not in the table); wins over
    /// [`region`](Self::region).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The project whose endpoints are listed (requests may override it).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// How requests authenticate.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Authenticate with an IAM token (`X-Auth-Token`).
    pub fn token(self, token: impl Into<String>) -> Self {
        self.credentials(Credentials::token(token))
    }

    /// Authenticate by AK/SK signing.
    pub fn aksk(self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.credentials(Credentials::aksk(ak, sk))
    }

    /// AK/SK credentials from `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` and optional
    /// `HUAWEICLOUD_SDK_SECURITY_TOKEN`.
    pub fn credentials_from_env(self) -> Result<Self> {
        let credentials = Credentials::from_env().map_err(|e| Error::Config(e.to_string()))?;
        Ok(self.credentials(credentials))
    }

    /// Retry policy (default [`RetryConfig::standard`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// All timeouts at once.
    pub fn timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Timeout for establishing a connection. Ignored with [`http_client`](Self::http_client),
    /// whose own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = Some(timeout);
        self
    }

    /// Timeout for one attempt (connect, send, read the body).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = Some(timeout);
        self
    }

    /// Timeout for a whole operation, retries included.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.operation = Some(timeout);
        self
    }

    /// Appended to the default user agent (`vpcep-client/{version}`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Use this `reqwest::Client` (its TLS, proxy and pool settings) instead of building one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Ask for gzip-compressed responses and decode them (default `true`): a 1000-endpoint
    /// page is ~9× smaller on the wire. `false` sends no `Accept-Encoding` (with
    /// [`http_client`](Self::http_client), that client's own gzip setting still applies).
    pub fn compression(mut self, enabled: bool) -> Self {
        self.no_compression = !enabled;
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Client> {
        let base_url = match (self.base_url, self.region) {
            (Some(url), _) => {
                let parsed = reqwest::Url::parse(&url)
                    .map_err(|e| Error::Config(format!("invalid base URL {url:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(Error::Config(format!(
                        "invalid base URL {url:?}: expected http(s)://host[:port]"
                    )));
                }
                url.trim_end_matches('/').to_owned()
            }
            (None, Some(region)) => crate::region::endpoint_for(&region).ok_or_else(|| {
                Error::Config(format!(
                    "unknown region {region:?}; known regions: {}; or set a base URL",
                    crate::region::REGIONS
                        .iter()
                        .map(|(id, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
            (None, None) => {
                return Err(Error::Config(
                    "no endpoint: set a region (e.g. cn-north-4) or a base URL".to_owned(),
                ))
            }
        };
        if let Some(project) = &self.project_id {
            validate::length("project_id", project, validate::limits::PROJECT_ID)?;
            validate::header_text("project_id", project, false)?;
        }
        match &self.credentials {
            Some(Credentials::Token(token)) => validate::auth_token(token.expose())?,
            Some(Credentials::AkSk(keys)) => {
                validate::header_text("HUAWEICLOUD_SDK_AK", keys.access_key(), false)?;
                if let Some(token) = keys.security_token() {
                    use secrecy::ExposeSecret;
                    validate::header_text("X-Security-Token", token.expose_secret(), true)?;
                }
            }
            None => {}
        }
        let mut agent = format!("vpcep-client/{}", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = &self.user_agent {
            agent.push(' ');
            agent.push_str(extra);
        }
        validate::header_text("User-Agent", &agent, false)?;
        let user_agent = HeaderValue::from_str(&agent).expect("validated header text");
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder().gzip(!self.no_compression);
                if let Some(t) = self.timeouts.connect {
                    builder = builder.connect_timeout(t);
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?
            }
        };
        let mut timeouts = self.timeouts;
        // An attempt cannot outlive its operation: a per-attempt timeout as long as the
        // operation's would only race it, so the operation timeout alone applies.
        if let (Some(attempt), Some(operation)) = (timeouts.attempt, timeouts.operation) {
            if attempt >= operation {
                timeouts.attempt = None;
            }
        }
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                base_url,
                project_id: self.project_id,
                credentials: self.credentials,
                retry: self.retry.unwrap_or_default(),
                timeouts,
                user_agent,
                compression: !self.no_compression,
            }),
        })
    }
}

//! `MetadataAccessor` of the official SDK: an ECS's agency credentials from the metadata
//! service, with its session token.
//!
//! 1. `PUT {base}/meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: 21600`
//!    (6 h) gives a session token (a 404, 405 or 503 leaves none: older metadata services);
//!    it is asked once, then again only after a 401 (or 24 h after a failed attempt);
//! 2. `GET {base}/openstack/latest/securitykey` with `X-Metadata-Token` gives
//!    `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`;
//! 3. a 401 whose body is not "Please configure Cloud Service Agency first" asks a new
//!    session token and tries once more.
//!
//! Requests follow the crate's HTTP rules (`http_policy.rs`: no redirect followed, answers
//! within the response-size limit) and never go through a proxy (link-local).
//! Timeouts are 3 s per request as in the official SDK, except connecting, which gives up
//! after 1 s (the link-local service answers in well under a millisecond on an ECS; off
//! one, this is what the chain pays). A base URL found unreachable is remembered for five
//! minutes, so later chains off ECS skip it at once.

use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::sts::parse_credential;
use super::{Env, Identity, ProvideCredentials, ProviderError, ENV_METADATA_URL};
use crate::http_policy::{self, error_chain, excerpt, Failure};

/// The ECS metadata service.
pub const DEFAULT_METADATA_URL: &str = "http://169.254.169.254";
/// Path of the session token.
pub const TOKEN_PATH: &str = "/meta-data/latest/api/token";
/// Path of the temporary credentials.
pub const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
const TTL_HEADER: &str = "X-Metadata-Token-Ttl-Seconds";
const TOKEN_HEADER: &str = "X-Metadata-Token";
const TOKEN_TTL_SECONDS: u64 = 6 * 60 * 60;
const TOKEN_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";
/// How long an unreachable metadata service is remembered.
pub const REMEMBER_UNREACHABLE: Duration = Duration::from_secs(5 * 60);

const NAME: &str = "metadata";

static UNREACHABLE: LazyLock<Mutex<HashMap<String, (Instant, String)>>> =
    LazyLock::new(Default::default);

#[derive(Default)]
struct Session {
    token: Option<SecretString>,
    last_token_call: Option<Instant>,
    ever_succeeded: bool,
}

/// Temporary credentials of the ECS's agency, from the metadata service.
pub struct MetadataProvider {
    base: String,
    connect_timeout: Duration,
    timeout: Duration,
    http: Mutex<Option<reqwest::Client>>,
    session: tokio::sync::Mutex<Session>,
}

impl fmt::Debug for MetadataProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataProvider")
            .field("base", &self.base)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MetadataProvider {
    /// The metadata service at `base` (e.g. `http://169.254.169.254`).
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(3),
            http: Mutex::new(None),
            session: tokio::sync::Mutex::new(Session::default()),
        }
    }

    /// [`ENV_METADATA_URL`] from `env` if set, else [`DEFAULT_METADATA_URL`].
    pub fn from_env(env: &Env) -> Self {
        Self::new(
            env.var(ENV_METADATA_URL)
                .unwrap_or_else(|| DEFAULT_METADATA_URL.to_owned()),
        )
    }

    /// Connect timeout (default 1 s).
    pub fn with_connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Timeout of each request (default 3 s).
    pub fn with_timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The base URL asked.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn client(&self) -> Result<reqwest::Client, ProviderError> {
        let mut slot = self.http.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &*slot {
            return Ok(c.clone());
        }
        let base = reqwest::Url::parse(&self.base).map_err(|e| {
            ProviderError::failed(NAME, format!("invalid metadata URL {:?}: {e}", self.base))
        })?;
        let client = http_policy::client_builder(&base)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // Link-local: never through a proxy.
            .no_proxy()
            .build()
            .map_err(|e| ProviderError::failed(NAME, format!("HTTP client: {e}")))?;
        *slot = Some(client.clone());
        Ok(client)
    }

    async fn fetch(&self) -> Result<Identity, ProviderError> {
        let mut session = self.session.lock().await;
        if !session.ever_succeeded {
            let remembered = UNREACHABLE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&self.base)
                .filter(|(at, _)| at.elapsed() < REMEMBER_UNREACHABLE)
                .map(|(at, why)| (at.elapsed(), why.clone()));
            if let Some((ago, why)) = remembered {
                return Err(ProviderError::not_configured(
                    NAME,
                    format!(
                        "{why} (remembered from {} s ago; not asked again)",
                        ago.as_secs()
                    ),
                ));
            }
        }
        let http = self.client()?;
        let due = session
            .last_token_call
            .is_none_or(|at| at.elapsed() > TOKEN_RETRY_AFTER);
        if session.token.is_none() && due {
            self.update_token(&http, &mut session, false).await?;
        }
        let mut response = self.get_key(&http, &session).await?;
        if response.0 == 401 && !String::from_utf8_lossy(&response.1).contains(NO_AGENCY) {
            tracing::debug!("metadata service answered 401: asking a new session token");
            self.update_token(&http, &mut session, true).await?;
            response = self.get_key(&http, &session).await?;
        }
        let (status, body) = response;
        if status >= 400 {
            return Err(ProviderError::failed(
                NAME,
                format!(
                    "{}{SECURITY_KEY_PATH} answered {status}: {}",
                    self.base,
                    excerpt(&body)
                ),
            ));
        }
        let identity = parse_credential(NAME, &body)?;
        session.ever_succeeded = true;
        Ok(identity)
    }

    async fn update_token(
        &self,
        http: &reqwest::Client,
        session: &mut Session,
        required: bool,
    ) -> Result<(), ProviderError> {
        session.last_token_call = Some(Instant::now());
        let url = format!("{}{TOKEN_PATH}", self.base);
        let (status, body) = self
            .send(
                http.put(&url)
                    .header(TTL_HEADER, TOKEN_TTL_SECONDS.to_string()),
                &url,
            )
            .await?;
        match status {
            200 => {
                let token = String::from_utf8_lossy(&body).into_owned();
                session.token = Some(SecretString::from(token));
                Ok(())
            }
            404 | 405 | 503 if !required => {
                session.token = None;
                Ok(())
            }
            _ => Err(ProviderError::failed(
                NAME,
                format!("PUT {url} answered {status}: {}", excerpt(&body)),
            )),
        }
    }

    async fn get_key(
        &self,
        http: &reqwest::Client,
        session: &Session,
    ) -> Result<(u16, bytes::Bytes), ProviderError> {
        let url = format!("{}{SECURITY_KEY_PATH}", self.base);
        let mut request = http.get(&url);
        if let Some(token) = &session.token {
            request = request.header(TOKEN_HEADER, token.expose_secret());
        }
        self.send(request, &url).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, bytes::Bytes), ProviderError> {
        let started = Instant::now();
        let outcome = http_policy::send(request, http_policy::DEFAULT_MAX_RESPONSE_BYTES).await;
        outcome
            .map(|answer| (answer.status, answer.body))
            .map_err(|failure| {
                let e = match failure {
                    Failure::Http(e) => e,
                    other => return ProviderError::failed(NAME, format!("{url}: {other}")),
                };
                let ms = started.elapsed().as_millis();
                let unreachable = e.is_connect() || (e.is_timeout() && !e.is_body());
                let e = e.without_url();
                let why = format!(
                    "metadata service {} unreachable in {ms} ms: {}",
                    self.base,
                    error_chain(&e)
                );
                if unreachable {
                    UNREACHABLE
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(self.base.clone(), (Instant::now(), why.clone()));
                    ProviderError::not_configured(NAME, why)
                } else {
                    ProviderError::failed(NAME, format!("{url}: {}", error_chain(&e)))
                }
            })
    }
}

impl ProvideCredentials for MetadataProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(self.fetch())
    }
}

//! The client: construction (checking the configuration once), and handing it out to
//! requests. Running a call is the executor's (`executor.rs`).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::Credentials;
use crate::credentials::Env;
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::http_policy::{self, HttpSettings, DEFAULT_MAX_RESPONSE_BYTES};
use crate::request::ListEndpoints;
use crate::retry::{RetryConfig, TimeoutConfig};
use crate::transport::Shared;
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
        ListEndpoints::new(Executor::new(self.shared.clone()))
    }

    /// Who the client signs as: the current credentials (fetched or renewed now if they
    /// come from a provider), or `None` with an IAM token. Shows no secret.
    pub async fn identity(&self) -> Result<Option<crate::credentials::Identity>> {
        match &self.shared.credentials {
            Some(Credentials::AkSk(keys)) => Ok(Some(crate::credentials::Identity::new(
                "static",
                keys.clone(),
            ))),
            Some(Credentials::Provider(provider)) => Ok(Some(provider.identity().await?)),
            Some(Credentials::Token(_)) | None => Ok(None),
        }
    }

    /// The project ID requests use when they name none: the client's, else the one that
    /// came with the credentials, else the region's from IAM (looked up now, once).
    pub async fn project_id(&self) -> Result<String> {
        Executor::new(self.shared.clone()).project_id().await
    }

    /// Every project IAM lists for the client's credentials (AK/SK, static or from a
    /// provider): KeystoneListProjects `GET {iam}/v3/projects` without a name, paged. The
    /// IAM endpoint is found as for the project-ID lookup (see the crate's README).
    pub async fn iam_projects(&self) -> Result<Vec<crate::project_lookup::IamProject>> {
        Executor::new(self.shared.clone()).iam_projects().await
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The region set on the builder, if any.
    pub fn region(&self) -> Option<&str> {
        self.shared.region.as_deref()
    }

    /// The project ID set on the builder, if any.
    pub fn configured_project_id(&self) -> Option<&str> {
        self.shared.project_id.as_deref()
    }

    /// A client like this one (credentials, which it shares: one renewal for both;
    /// retries, timeouts, limits, HTTP settings) for another region and project: the
    /// region's endpoint is resolved as [`ClientBuilder::region`] does (with this client's
    /// [`ClientBuilder::env`]); without a project ID, the new client finds the region's
    /// from the credentials or IAM. A client built with a base URL gets the region's
    /// endpoint all the same.
    pub fn for_region(&self, region: &str, project_id: Option<&str>) -> Result<Client> {
        let shared = &self.shared;
        if let Some(project) = project_id {
            validate::project_id(project)?;
        }
        let base_url = region_url(&shared.env, region, shared.allow_http)?;
        let destination = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Internal(format!("the checked base URL does not parse: {e}")))?;
        // The HTTP client built for these rules before (one connection pool for all).
        let http = shared.http_for(&destination)?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                http_settings: shared.http_settings.clone(),
                base_url,
                project_id: project_id.map(str::to_owned),
                credentials: shared.credentials.clone(),
                region: Some(region.to_owned()),
                iam_endpoint: shared.iam_endpoint.clone(),
                resolved_project: tokio::sync::OnceCell::new(),
                retry: shared.retry.clone(),
                timeouts: shared.timeouts.clone(),
                user_agent: shared.user_agent.clone(),
                max_response_bytes: shared.max_response_bytes,
                compression: shared.compression,
                env: shared.env.clone(),
                allow_http: shared.allow_http,
            }),
        })
    }
}

/// Parses a base URL and checks its shape: `http(s)://host[:port][/path prefix]` and
/// nothing else. Refused, before any I/O: a user name or password (reqwest would send it as
/// `Authorization: Basic` beside our credentials, and every message and log line showing
/// the URL would show it), a query or a fragment (the request path is appended to the base
/// URL, so they would swallow it: a `#…` sends the request to the base URL's path). The
/// messages never show the password.
fn check_base_url(url: &str) -> Result<reqwest::Url> {
    let invalid = |why: &str| {
        Error::Config(format!(
            "invalid base URL {:?}: {why}",
            without_userinfo(url)
        ))
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "it carries a user name or password (user:password@, not shown); the client \
             authenticates with its credentials only: remove it",
        ));
    }
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(invalid("expected http(s)://host[:port][/path]"));
    }
    if parsed.query().is_some() {
        return Err(invalid(
            "it has a query (?…); the request's path and query are appended to the base \
             URL: remove it",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(invalid(
            "it has a fragment (#…); the request's path is appended to the base URL: \
             remove it",
        ));
    }
    Ok(parsed)
}

/// A base URL given or resolved, checked ([`check_base_url`]; plain HTTP only to loopback
/// unless `allow_http`), without a trailing `/`.
fn checked_url(url: &str, allow_http: bool) -> Result<String> {
    let parsed = check_base_url(url)?;
    if parsed.scheme() == "http" && !allow_http && !http_policy::is_loopback(&parsed) {
        return Err(Error::Config(format!(
            "refusing plain HTTP to {url:?}: credentials would cross the network \
             unencrypted; use https://, or allow it explicitly \
             (ClientBuilder::allow_http, CLI --allow-http); plain HTTP is \
             allowed without asking only to loopback (127.0.0.0/8, ::1, localhost)"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The base URL of `region`, resolved (`region.rs`) and checked as a given one is.
fn region_url(env: &Env, region: &str, allow_http: bool) -> Result<String> {
    let resolved = crate::region::resolve(env, region).map_err(Error::Config)?;
    checked_url(&resolved.endpoints[0], allow_http).map_err(|e| match e {
        Error::Config(message) => Error::Config(format!(
            "the endpoint of region {region:?} (from {}): {message}",
            resolved.source
        )),
        other => other,
    })
}

/// `url` with whatever stands between `scheme://` and the last `@` of the authority
/// replaced by `***`: a URL that does not parse may still carry a password.
fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]).into(),
        None => url.into(),
    }
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
    allow_http: bool,
    max_response_bytes: Option<u64>,
    root_certificates: Vec<Vec<u8>>,
    iam_endpoint: Option<String>,
    no_compression: bool,
    env: Option<Env>,
}

impl ClientBuilder {
    /// Region ID, e.g. `cn-north-4`. Its endpoint is resolved at [`build`](Self::build) as
    /// Huawei's official SDKs resolve it: `HUAWEICLOUD_SDK_REGION_VPCEP_{REGION_ID}` (e.g.
    /// `HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4=https://…`), then the regions file
    /// (`HUAWEICLOUD_SDK_REGIONS_FILE`, else `~/.huaweicloud/regions.yaml`), then this
    /// crate's table, then `https://vpcep.{region}.myhuaweicloud.com` with a warning (see
    /// [`crate::region`]). A base URL wins over all of them.
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
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: reqwest follows
    /// redirects by default and would replay `X-Auth-Token` / `X-Security-Token` to the
    /// redirect's host. The client refuses an answer that came through a redirect
    /// ([`Error::Redirect`] with `followed: true`), but only after the fact. The options
    /// of this builder that configure the HTTP client (connect timeout, root
    /// certificates) do not apply to a supplied one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Credentials from the official SDKs' default chain (OIDC STS, environment, profile
    /// file, ECS metadata, CCE pod identity; see [`crate::credentials`]), fetched at the
    /// first request and renewed before they expire.
    pub fn default_credentials(self) -> Self {
        self.credentials(Credentials::default_chain())
    }

    /// The IAM endpoint used to look up the project ID of the region when none is set
    /// (default: the profile's `iam_endpoint`, `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the
    /// region's IAM endpoint).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Ask for gzip-compressed responses and decode them (default `true`): a 1000-endpoint
    /// page is ~9× smaller on the wire. `false` sends no `Accept-Encoding` (with
    /// [`http_client`](Self::http_client), that client's own gzip setting still applies).
    pub fn compression(mut self, enabled: bool) -> Self {
        self.no_compression = !enabled;
        self
    }

    /// Where [`region`](Self::region)'s endpoint variables and regions file are read
    /// (default: the process environment, read at [`build`](Self::build)).
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Client> {
        let base_url = self.checked_base_url()?;
        if let Some(project) = &self.project_id {
            validate::project_id(project)?;
        }
        check_credentials(self.credentials.as_ref())?;
        let user_agent = user_agent(self.user_agent.as_deref())?;
        let settings = HttpSettings {
            connect_timeout: self.timeouts.connect,
            root_certificates: self.root_certificates,
            gzip: !self.no_compression,
            built: Default::default(),
        };
        let (http, http_settings) = http_client(self.http, settings, &base_url)?;
        let timeouts = effective_timeouts(self.timeouts, http_settings.is_none());
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                http_settings,
                base_url,
                project_id: self.project_id,
                credentials: self.credentials,
                region: self.region,
                iam_endpoint: self.iam_endpoint,
                resolved_project: tokio::sync::OnceCell::new(),
                retry: self.retry.unwrap_or_default(),
                timeouts,
                user_agent,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                compression: !self.no_compression,
                env: self.env.unwrap_or_else(Env::process),
                allow_http: self.allow_http,
            }),
        })
    }

    /// The base URL requests go to, without a trailing `/`: the one given, else the
    /// region's (see [`region`](Self::region)); checked, and plain HTTP only to loopback
    /// unless allowed.
    fn checked_base_url(&self) -> Result<String> {
        match (&self.base_url, &self.region) {
            (Some(url), _) => checked_url(url, self.allow_http),
            (None, Some(region)) => {
                let env = self.env.clone().unwrap_or_else(Env::process);
                region_url(&env, region, self.allow_http)
            }
            (None, None) => Err(Error::Config(
                "no endpoint: set a region (e.g. cn-north-4) or a base URL".to_owned(),
            )),
        }
    }

    /// Allows a plain `http://` base URL to a host other than loopback. Off by default:
    /// [`build`](Self::build) refuses such a URL with [`Error::Config`], because the
    /// credentials (`X-Auth-Token`, or the AK/SK signature and `X-Security-Token`) would
    /// cross the network unencrypted. `http://` to 127.0.0.0/8, `::1` or `localhost`
    /// (a local fake) is always allowed.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Largest response body the client reads, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 32 MiB). Counted on the decoded body (after
    /// gzip, when the server compresses), while it is read: a larger or endless body stops
    /// at the limit with [`Error::ResponseTooLarge`] (not retried), so memory stays
    /// bounded whatever the server sends. At least 1.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = Some(limit.max(1));
        self
    }

    /// Trusts the CA certificate(s) in `pem` (one or more `-----BEGIN CERTIFICATE-----`
    /// blocks) in addition to the platform's roots: for a private endpoint or a corporate
    /// TLS-inspecting proxy. May be called several times. An invalid PEM is an
    /// [`Error::Config`] at [`build`](Self::build); it cannot be combined with
    /// [`http_client`](Self::http_client) (add the roots to that client instead).
    ///
    /// By default (feature `rustls`) the client trusts the operating system's roots
    /// through `rustls-platform-verifier` (on Linux: the system CA bundle, or the files
    /// named by `SSL_CERT_FILE` / `SSL_CERT_DIR`).
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }
}

/// Checks credentials given to the builder; a provider's are checked as it hands them out
/// (`credentials::refresh`).
fn check_credentials(credentials: Option<&Credentials>) -> Result<()> {
    match credentials {
        Some(Credentials::Token(token)) => crate::credentials::check_token(token)?,
        Some(Credentials::AkSk(keys)) => {
            crate::credentials::check_keys(crate::credentials::GIVEN_TO_THE_CLIENT, keys)?
        }
        Some(Credentials::Provider(_)) | None => {}
    }
    Ok(())
}

/// The `User-Agent` header: `vpcep-client/{version}`, then what the caller appends.
fn user_agent(extra: Option<&str>) -> Result<HeaderValue> {
    let mut agent = format!("vpcep-client/{}", env!("CARGO_PKG_VERSION"));
    if let Some(extra) = extra {
        agent.push(' ');
        agent.push_str(extra);
    }
    validate::header_text("User-Agent", &agent)?;
    Ok(HeaderValue::from_str(&agent).expect("validated header text"))
}

/// The HTTP client: the one supplied (its own settings apply, so root certificates cannot
/// be added to it), or one built by the crate's rules for `base_url`, with the settings
/// kept for the clients other destinations need (`None` for a supplied one).
fn http_client(
    supplied: Option<reqwest::Client>,
    settings: HttpSettings,
    base_url: &str,
) -> Result<(reqwest::Client, Option<HttpSettings>)> {
    match supplied {
        Some(_) if !settings.root_certificates.is_empty() => Err(Error::Config(
            "root certificates cannot be added to a supplied http_client: add them to that \
             reqwest client (tls_certs_merge) instead"
                .to_owned(),
        )),
        Some(http) => Ok((http, None)),
        None => {
            let destination = reqwest::Url::parse(base_url).map_err(|e| {
                Error::Internal(format!("the checked base URL does not parse: {e}"))
            })?;
            let http = settings.client_for(&destination).map_err(Error::Config)?;
            Ok((http, Some(settings)))
        }
    }
}

/// The timeouts that apply: a supplied HTTP client connects with its own timeout (which
/// we do not know), and an attempt cannot outlive its operation (a per-attempt timeout as
/// long as the operation's would only race it, so the operation timeout alone applies).
fn effective_timeouts(mut timeouts: TimeoutConfig, supplied_http: bool) -> TimeoutConfig {
    if supplied_http {
        timeouts.connect = None;
    }
    if let (Some(attempt), Some(operation)) = (timeouts.attempt, timeouts.operation) {
        if attempt >= operation {
            timeouts.attempt = None;
        }
    }
    timeouts
}

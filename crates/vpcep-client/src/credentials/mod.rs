//! Credential providers, the default chain of Huawei's official SDKs, and refresh of
//! temporary credentials before signing.
//!
//! The chain ([`Credentials::default_chain`](crate::auth::Credentials::default_chain)) tries, in the official order
//! (`huaweicloudsdkcore/auth/provider.py`, `CredentialProviderChain`):
//!
//! 1. [`oidc::OidcStsProvider`]: OIDC federation through STS (`HUAWEICLOUD_OIDC_*`);
//! 2. [`env::EnvProvider`]: `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, …;
//! 3. [`profile::ProfileProvider`]: `~/.huaweicloud/credentials`, section `[basic]`;
//! 4. [`metadata::MetadataProvider`]: the ECS metadata service (an agency's temporary keys);
//! 5. [`pod_identity::PodIdentityProvider`]: CCE pod identity.
//!
//! The first that yields credentials wins, and later refreshes ask that provider only.
//! When none does, the error lists every provider and why it gave nothing.
//!
//! Temporary credentials (metadata, pod identity, OIDC) are renewed before a request is
//! signed when less than [`DEFAULT_REFRESH_MARGIN`] (40 minutes, as in the official SDK)
//! remains; one renewal at a time, whatever the number of requests in flight.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::secrets::{AkSk, IamToken, Part};

pub mod agency;
pub mod chain;
pub mod env;
pub mod metadata;
pub mod oidc;
pub mod pod_identity;
pub mod profile;
mod refresh;
mod sts;

pub use chain::{ChainBuilder, CredentialsChain};
pub use refresh::CredentialsProvider;

/// Temporary credentials are renewed when less than this remains before they expire
/// (`_DEFAULT_EXPIRATION_THRESHOLD_SECONDS = 40 * 60` in the official SDK).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(40 * 60);

/// Our variable (not the official SDKs'): the ECS metadata service's base URL, for tests
/// and unusual networks. Default `http://169.254.169.254`.
pub const ENV_METADATA_URL: &str = "VPCEP_METADATA_URL";

/// The official SDKs' variable overriding the IAM endpoint used to look up project IDs.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";

/// Where providers read environment variables and the home directory: the process
/// environment, or a fixed map (tests, embedding). Blank values count as unset. `Debug`
/// shows variable names only (values may be secrets).
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(map) => {
                let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
                names.sort_unstable();
                f.debug_tuple("Env").field(&names).finish()
            }
        }
    }
}

impl Env {
    /// The process environment (read at each lookup).
    pub fn process() -> Self {
        Self { fixed: None }
    }

    /// A fixed set of variables; nothing else is visible.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            fixed: Some(Arc::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The variable's value, if set and not blank.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// The home directory as the official SDK finds it: `USERPROFILE` on Windows, `HOME`
    /// elsewhere.
    pub fn home(&self) -> Option<PathBuf> {
        let name = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        self.var(name).map(PathBuf::from)
    }
}

/// Credentials as a provider returned them, with where they came from. `Debug` masks the
/// secret key and the security token.
#[derive(Clone, Debug)]
pub struct Identity {
    keys: AkSk,
    expires_at: Option<SystemTime>,
    project_id: Option<String>,
    iam_endpoint: Option<String>,
    provider: &'static str,
}

impl Identity {
    /// Credentials from `provider`; permanent unless [`with_expiry`](Self::with_expiry).
    pub fn new(provider: &'static str, keys: AkSk) -> Self {
        Self {
            keys,
            expires_at: None,
            project_id: None,
            iam_endpoint: None,
            provider,
        }
    }

    /// Temporary credentials expiring at `at`.
    pub fn with_expiry(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The project ID the provider names (environment or profile), if any.
    pub fn with_project_id(mut self, project_id: Option<String>) -> Self {
        self.project_id = project_id;
        self
    }

    /// The IAM endpoint the provider names (profile `iam_endpoint`), if any.
    pub fn with_iam_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.iam_endpoint = endpoint;
        self
    }

    /// The AK/SK (and security token) to sign with.
    pub fn keys(&self) -> &AkSk {
        &self.keys
    }

    /// When temporary credentials expire; `None` for permanent ones.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The project ID that came with the credentials, if any.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// The IAM endpoint that came with the credentials, if any.
    pub fn iam_endpoint(&self) -> Option<&str> {
        self.iam_endpoint.as_deref()
    }

    /// Which provider gave them (`env`, `profile`, `metadata`, …).
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The first characters of the access key, enough to recognise it (never the SK).
    pub fn access_key_prefix(&self) -> String {
        self.keys.access_key().chars().take(4).collect()
    }

    pub(crate) fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// Why one provider gave no credentials. Never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: {message}")]
#[non_exhaustive]
pub struct ProviderError {
    /// The provider's name.
    pub provider: &'static str,
    /// Whether the provider is configured at all (a variable or file is there) and failed,
    /// rather than simply not applying here.
    pub configured: bool,
    /// Whether the user's configuration for this provider is there but cannot be used (a
    /// credentials file without `[basic]`, with `ak` but no `sk`, that does not parse): a
    /// chain stops here with this error rather than go on and sign as another identity.
    pub unusable: bool,
    /// What happened.
    pub message: String,
}

impl ProviderError {
    /// The provider does not apply (variable unset, file missing…).
    pub fn not_configured(provider: &'static str, message: impl Into<String>) -> Self {
        Self {
            provider,
            configured: false,
            unusable: false,
            message: message.into(),
        }
    }

    /// The provider applies but failed (unreachable, bad answer…); a chain tries the next.
    pub fn failed(provider: &'static str, message: impl Into<String>) -> Self {
        Self {
            provider,
            configured: true,
            unusable: false,
            message: message.into(),
        }
    }

    /// The user's configuration for the provider is there but cannot be used (a malformed
    /// credentials file): a chain stops here. The message names what and where.
    pub fn unusable(provider: &'static str, message: impl Into<String>) -> Self {
        Self {
            provider,
            configured: true,
            unusable: true,
            message: message.into(),
        }
    }
}

/// A source of AK/SK credentials (see the module docs for the official ones).
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// A short name (`env`, `profile`, `metadata`, …) used in errors and `whoami`.
    fn name(&self) -> &'static str;

    /// Fetches credentials (again, when called to refresh temporary ones).
    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>>;
}

pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// RFC 3339 text of a time, e.g. `2026-11-30T12:00:00Z` (for messages and `whoami`).
pub fn format_time(t: SystemTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds(t))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// Why credentials could not be loaded. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// Required environment variables are unset or empty (names listed).
    #[error("missing environment variable(s): {}", .0.join(", "))]
    MissingEnv(Vec<&'static str>),
    /// A provider (or every provider of a chain) gave no credentials; says why.
    #[error("{0}")]
    Provider(ProviderError),
    /// A credential cannot be used as given: a value that is empty or cannot travel in an
    /// HTTP header (a line break from a continuation line of the credentials file, a
    /// control character, surrounding spaces). Names where it came from and the key, never
    /// the value. Nothing was sent.
    #[error("unusable credentials ({provider}): {key} {rule}; the value is not shown")]
    Invalid {
        /// Where the credentials came from: a provider's name (`env`, `profile`,
        /// `metadata`, …), or `given to the client` for credentials set on the builder.
        provider: &'static str,
        /// The key, as that source names it (e.g. `HUAWEICLOUD_SDK_AK`, `security_token`,
        /// `X-Auth-Token`).
        key: &'static str,
        /// The rule it breaks.
        rule: String,
    },
    /// The credentials expired and could not be renewed.
    #[error(
        "the credentials from {provider} expired at {expired_at} and could not be renewed: {reason}"
    )]
    Expired {
        /// The provider that gave them.
        provider: &'static str,
        /// When they expired (RFC 3339).
        expired_at: String,
        /// Why the renewal failed.
        reason: String,
    },
}

/// The source of credentials set on the client builder, in messages.
pub(crate) const GIVEN_TO_THE_CLIENT: &str = "given to the client";

/// How a source names the parts of its credentials, for messages.
fn key_name(provider: &str, part: Part) -> &'static str {
    use crate::credentials::env::{ENV_AK, ENV_SECURITY_TOKEN, ENV_SK};
    match (provider, part) {
        ("env", Part::AccessKey) => ENV_AK,
        ("env", Part::SecretKey) => ENV_SK,
        ("env", Part::SecurityToken) => ENV_SECURITY_TOKEN,
        ("profile", Part::AccessKey) => "ak",
        ("profile", Part::SecretKey) => "sk",
        ("profile", Part::SecurityToken) => "security_token",
        (_, Part::AccessKey) => "access key",
        (_, Part::SecretKey) => "secret key",
        (_, Part::SecurityToken) => "security token",
    }
}

/// The one check of AK/SK credentials, whatever their source (the builder, the
/// environment, the profile file, the metadata service, pod identity, OIDC, a custom
/// provider): every value non-empty header text ([`AkSk`]'s rule). A request is never sent
/// with credentials that cannot be; the error names `provider` and the key.
pub(crate) fn check_keys(provider: &'static str, keys: &AkSk) -> Result<(), CredentialsError> {
    match keys.unusable_part() {
        None => Ok(()),
        Some((part, rule)) => Err(CredentialsError::Invalid {
            provider,
            key: key_name(provider, part),
            rule: rule.to_owned(),
        }),
    }
}

/// The check of an IAM token given to the client: 1 to 2048 characters of header text.
pub(crate) fn check_token(token: &IamToken) -> Result<(), CredentialsError> {
    match token.unusable() {
        None => Ok(()),
        Some(rule) => Err(CredentialsError::Invalid {
            provider: GIVEN_TO_THE_CLIENT,
            key: "X-Auth-Token",
            rule,
        }),
    }
}

impl From<ProviderError> for CredentialsError {
    fn from(e: ProviderError) -> Self {
        CredentialsError::Provider(e)
    }
}

//! `CredentialProviderChain` of the official SDK: the first provider that yields
//! credentials wins; later fetches (refreshes) ask the winner only. A provider whose
//! configuration is there but unusable ([`ProviderError::unusable`], e.g. a malformed
//! credentials file) stops the chain with its error.

use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;

use super::env::EnvProvider;
use super::metadata::MetadataProvider;
use super::oidc::OidcStsProvider;
use super::pod_identity::PodIdentityProvider;
use super::profile::ProfileProvider;
use super::{CredentialsProvider, Env, Identity, ProvideCredentials, ProviderError};

/// Providers tried in order.
#[derive(Debug)]
pub struct CredentialsChain {
    providers: Vec<Box<dyn ProvideCredentials>>,
    winner: Mutex<Option<usize>>,
}

/// The reasons every provider of a chain gave, in order (a [`ProviderError`] named
/// `chain` whose message lists them).
fn nothing_found(errors: &[ProviderError]) -> ProviderError {
    let tried: Vec<String> = errors
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}. {e}", i + 1))
        .collect();
    let message = format!(
        "no credentials found; tried, in order: {}",
        tried.join("; ")
    );
    ProviderError::not_configured("chain", message)
}

impl CredentialsChain {
    /// A chain of these providers, in this order.
    pub fn new(providers: Vec<Box<dyn ProvideCredentials>>) -> Self {
        Self {
            providers,
            winner: Mutex::new(None),
        }
    }

    /// The providers' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.name()).collect()
    }

    async fn fetch(&self) -> Result<Identity, ProviderError> {
        let winner = *self.winner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = winner {
            return self.providers[i].provide().await;
        }
        let mut errors = Vec::new();
        for (i, provider) in self.providers.iter().enumerate() {
            match provider.provide().await {
                Ok(identity) => {
                    tracing::debug!(provider = provider.name(), "credentials found");
                    *self.winner.lock().unwrap_or_else(|e| e.into_inner()) = Some(i);
                    return Ok(identity);
                }
                // The user's own configuration is broken: say so, rather than sign as
                // whoever the next provider knows.
                Err(e) if e.unusable => return Err(e),
                Err(e) => {
                    tracing::debug!(provider = provider.name(), reason = %e.message, "no credentials");
                    errors.push(e);
                }
            }
        }
        Err(nothing_found(&errors))
    }
}

impl ProvideCredentials for CredentialsChain {
    fn name(&self) -> &'static str {
        "chain"
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(self.fetch())
    }
}

/// Builds the default chain, with injectable environment and overrides.
#[derive(Debug, Default)]
#[must_use]
pub struct ChainBuilder {
    env: Env,
    metadata_url: Option<String>,
    metadata_connect_timeout: Option<Duration>,
    profile_path: Option<std::path::PathBuf>,
    refresh_margin: Option<Duration>,
    skip: Vec<&'static str>,
}

impl ChainBuilder {
    /// The default chain over the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read variables (and the home directory) from `env` instead of the process's.
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The metadata service's base URL (default: `VPCEP_METADATA_URL`, else
    /// `http://169.254.169.254`).
    pub fn metadata_url(mut self, url: impl Into<String>) -> Self {
        self.metadata_url = Some(url.into());
        self
    }

    /// Connect timeout of the metadata service (default 1 s).
    pub fn metadata_connect_timeout(mut self, t: Duration) -> Self {
        self.metadata_connect_timeout = Some(t);
        self
    }

    /// The profile file (default: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
    /// `~/.huaweicloud/credentials`).
    pub fn profile_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.profile_path = Some(path.into());
        self
    }

    /// Renew temporary credentials when less than this remains (default 40 min).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// Leaves a provider out (`oidc-sts`, `env`, `profile`, `metadata`, `pod-identity`).
    pub fn without(mut self, provider: &'static str) -> Self {
        self.skip.push(provider);
        self
    }

    /// The chain itself, without the refreshing cache.
    pub fn build_chain(self) -> CredentialsChain {
        let env = self.env;
        let mut metadata = match self.metadata_url {
            Some(url) => MetadataProvider::new(url),
            None => MetadataProvider::from_env(&env),
        };
        if let Some(t) = self.metadata_connect_timeout {
            metadata = metadata.with_connect_timeout(t);
        }
        let mut profile = ProfileProvider::new(env.clone());
        if let Some(path) = self.profile_path {
            profile = profile.with_path(path);
        }
        let all: Vec<Box<dyn ProvideCredentials>> = vec![
            Box::new(OidcStsProvider::new(env.clone())),
            Box::new(EnvProvider::new(env.clone())),
            Box::new(profile),
            Box::new(metadata),
            Box::new(PodIdentityProvider::new(env)),
        ];
        CredentialsChain::new(
            all.into_iter()
                .filter(|p| !self.skip.contains(&p.name()))
                .collect(),
        )
    }

    /// The chain behind a cache that renews temporary credentials before they expire.
    pub fn build(self) -> CredentialsProvider {
        let margin = self.refresh_margin;
        let provider = CredentialsProvider::new(self.build_chain());
        match margin {
            Some(m) => provider.with_refresh_margin(m),
            None => provider,
        }
    }
}

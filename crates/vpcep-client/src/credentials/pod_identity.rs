//! `PodIdentityAccessor` of the official SDK (CCE pod identity): `POST` to
//! `HC_CONTAINER_CREDENTIALS_FULL_URI` with the body `{}` and the header `Authorization`
//! holding the content of `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at every fetch, so
//! a rotated token is picked up); 5 s to connect, 10 s in all. The crate's HTTP rules apply
//! (`http_policy.rs`: no redirect followed, the answer within the response-size limit).

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;

use super::sts::parse_credential;
use super::{Env, Identity, ProvideCredentials, ProviderError};
use crate::http_policy::{self, excerpt, without_url};

/// The official variable holding the pod identity agent's URL.
pub const ENV_FULL_URI: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// The official variable naming the file with the authorization token.
pub const ENV_TOKEN_FILE: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

const NAME: &str = "pod-identity";

/// Temporary credentials from CCE's pod identity agent.
#[derive(Debug, Clone, Default)]
pub struct PodIdentityProvider {
    env: Env,
}

impl PodIdentityProvider {
    /// Reads [`ENV_FULL_URI`] and [`ENV_TOKEN_FILE`] from `env` at each fetch.
    pub fn new(env: Env) -> Self {
        Self { env }
    }

    async fn fetch(&self) -> Result<Identity, ProviderError> {
        let (uri, file) = match (self.env.var(ENV_FULL_URI), self.env.var(ENV_TOKEN_FILE)) {
            (Some(uri), Some(file)) => (uri, PathBuf::from(file)),
            (uri, file) => {
                let unset: Vec<&str> = [
                    (ENV_FULL_URI, uri.is_none()),
                    (ENV_TOKEN_FILE, file.is_none()),
                ]
                .into_iter()
                .filter_map(|(n, missing)| missing.then_some(n))
                .collect();
                return Err(ProviderError::not_configured(
                    NAME,
                    format!("{} unset", unset.join(" and ")),
                ));
            }
        };
        let token = match std::fs::read_to_string(&file) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
            Ok(_) => {
                return Err(ProviderError::failed(
                    NAME,
                    format!("empty content in file '{}'", file.display()),
                ))
            }
            Err(e) => {
                return Err(ProviderError::failed(
                    NAME,
                    format!("file '{}': {e}", file.display()),
                ))
            }
        };
        let target = reqwest::Url::parse(&uri)
            .map_err(|e| ProviderError::failed(NAME, format!("{ENV_FULL_URI} {uri:?}: {e}")))?;
        let http = http_policy::client_builder(&target)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProviderError::failed(NAME, format!("HTTP client: {e}")))?;
        let mut auth = reqwest::header::HeaderValue::from_str(&token).map_err(|_| {
            ProviderError::failed(
                NAME,
                format!("the token in '{}' is not valid header text", file.display()),
            )
        })?;
        auth.set_sensitive(true);
        let request = http
            .post(target)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}");
        let answer = http_policy::send(request, http_policy::DEFAULT_MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| ProviderError::failed(NAME, format!("POST {uri}: {}", without_url(e))))?;
        let (status, body) = (answer.status, answer.body);
        if !(200..300).contains(&status) {
            return Err(ProviderError::failed(
                NAME,
                format!("POST {uri} answered {status}: {}", excerpt(&body)),
            ));
        }
        parse_credential(NAME, &body)
    }
}

impl ProvideCredentials for PodIdentityProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(self.fetch())
    }
}

//! `OidcStsCredentialProvider` of the official SDK: exchanges an OIDC ID token for an
//! agency's temporary credentials, `POST {sts}/v5/agencies/assume-with-oidc` (unsigned)
//! with `provider_urn`, `agency_urn`, `agency_session_name`, `id_token`,
//! `duration_seconds` and optional `policy`/`policy_ids`.
//!
//! Variables (the official names): `HUAWEICLOUD_OIDC_PROVIDER_URN`,
//! `HUAWEICLOUD_OIDC_AGENCY_URN` (both required), `HUAWEICLOUD_OIDC_ID_TOKEN` or
//! `HUAWEICLOUD_OIDC_TOKEN_FILE`, `HUAWEICLOUD_OIDC_SESSION_NAME` (default
//! `oidc-sts-session`), `HUAWEICLOUD_OIDC_DURATION_SECONDS` (default 3600),
//! `HUAWEICLOUD_OIDC_POLICY`, `HUAWEICLOUD_OIDC_POLICY_IDS` (comma-separated); the STS
//! endpoint is `HUAWEICLOUD_SDK_STS_ENDPOINT`, else `https://sts.cn-north-4.myhuaweicloud.com`.
//! Unlike the official SDK, the token file is read again at every refresh.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::env::ENV_PROJECT_ID;
use super::sts::parse_credential;
use super::{Env, Identity, ProvideCredentials, ProviderError};
use crate::http_policy::{self, excerpt, without_url};

/// Required: the OIDC identity provider's URN.
pub const ENV_PROVIDER_URN: &str = "HUAWEICLOUD_OIDC_PROVIDER_URN";
/// Required: the agency to assume.
pub const ENV_AGENCY_URN: &str = "HUAWEICLOUD_OIDC_AGENCY_URN";
/// The ID token itself.
pub const ENV_ID_TOKEN: &str = "HUAWEICLOUD_OIDC_ID_TOKEN";
/// A file holding the ID token.
pub const ENV_TOKEN_FILE: &str = "HUAWEICLOUD_OIDC_TOKEN_FILE";
/// Session name (default `oidc-sts-session`).
pub const ENV_SESSION_NAME: &str = "HUAWEICLOUD_OIDC_SESSION_NAME";
/// Lifetime asked (default 3600 s).
pub const ENV_DURATION_SECONDS: &str = "HUAWEICLOUD_OIDC_DURATION_SECONDS";
/// An inline policy.
pub const ENV_POLICY: &str = "HUAWEICLOUD_OIDC_POLICY";
/// Policy IDs, comma-separated.
pub const ENV_POLICY_IDS: &str = "HUAWEICLOUD_OIDC_POLICY_IDS";
/// The STS endpoint.
pub const ENV_STS_ENDPOINT: &str = "HUAWEICLOUD_SDK_STS_ENDPOINT";
/// The official default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.cn-north-4.myhuaweicloud.com";
/// The path of AssumeAgencyWithOIDC.
pub const ASSUME_PATH: &str = "/v5/agencies/assume-with-oidc";

const NAME: &str = "oidc-sts";

/// An agency's temporary credentials for an OIDC ID token, from STS.
#[derive(Debug, Clone, Default)]
pub struct OidcStsProvider {
    env: Env,
}

impl OidcStsProvider {
    /// Reads its variables from `env` at each fetch.
    pub fn new(env: Env) -> Self {
        Self { env }
    }

    fn payload(&self) -> Result<Value, ProviderError> {
        let env = &self.env;
        let provider_urn = env.var(ENV_PROVIDER_URN);
        let agency_urn = env.var(ENV_AGENCY_URN);
        let (provider_urn, agency_urn) = match (provider_urn, agency_urn) {
            (Some(p), Some(a)) => (p, a),
            (None, None) => {
                return Err(ProviderError::not_configured(
                    NAME,
                    format!("{ENV_PROVIDER_URN} and {ENV_AGENCY_URN} unset"),
                ))
            }
            (None, _) => {
                return Err(ProviderError::failed(
                    NAME,
                    format!("{ENV_PROVIDER_URN} unset"),
                ))
            }
            (_, None) => {
                return Err(ProviderError::failed(
                    NAME,
                    format!("{ENV_AGENCY_URN} unset"),
                ))
            }
        };
        let id_token = match (env.var(ENV_ID_TOKEN), env.var(ENV_TOKEN_FILE)) {
            (Some(token), _) => token,
            (None, Some(file)) => match std::fs::read_to_string(&file) {
                Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
                Ok(_) => {
                    return Err(ProviderError::failed(
                        NAME,
                        format!("empty content in id_token file '{file}'"),
                    ))
                }
                Err(_) => {
                    return Err(ProviderError::failed(
                        NAME,
                        format!("id_token file '{file}' does not exist"),
                    ))
                }
            },
            (None, None) => {
                return Err(ProviderError::failed(
                    NAME,
                    format!("{ENV_ID_TOKEN} or {ENV_TOKEN_FILE} unset"),
                ))
            }
        };
        let duration: u64 = match env.var(ENV_DURATION_SECONDS) {
            None => 3600,
            Some(v) => v.trim().parse().map_err(|_| {
                ProviderError::failed(
                    NAME,
                    format!("{ENV_DURATION_SECONDS} must be a number of seconds, not {v:?}"),
                )
            })?,
        };
        let mut payload = json!({
            "provider_urn": provider_urn,
            "agency_urn": agency_urn,
            "agency_session_name": env.var(ENV_SESSION_NAME).unwrap_or_else(|| "oidc-sts-session".to_owned()),
            "id_token": id_token,
            "duration_seconds": duration,
        });
        if let Some(policy) = env.var(ENV_POLICY) {
            payload["policy"] = Value::String(policy);
        }
        if let Some(ids) = env.var(ENV_POLICY_IDS) {
            let ids: Vec<&str> = ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if !ids.is_empty() {
                payload["policy_ids"] = json!(ids);
            }
        }
        Ok(payload)
    }

    async fn fetch(&self) -> Result<Identity, ProviderError> {
        let payload = self.payload()?;
        let sts = self
            .env
            .var(ENV_STS_ENDPOINT)
            .unwrap_or_else(|| DEFAULT_STS_ENDPOINT.to_owned());
        let url = format!("{}{ASSUME_PATH}", sts.trim_end_matches('/'));
        let target = reqwest::Url::parse(&url)
            .map_err(|e| ProviderError::failed(NAME, format!("{ENV_STS_ENDPOINT} {sts:?}: {e}")))?;
        let http = http_policy::client_builder(&target)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ProviderError::failed(NAME, format!("HTTP client: {e}")))?;
        let request = http
            .post(target)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json;charset=UTF-8",
            )
            .body(payload.to_string());
        let answer = http_policy::send(request, http_policy::DEFAULT_MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| ProviderError::failed(NAME, format!("POST {url}: {}", without_url(e))))?;
        let (status, body) = (answer.status, answer.body);
        if !(200..300).contains(&status) {
            return Err(ProviderError::failed(
                NAME,
                format!(
                    "failed to get credential from oidc sts: POST {url} answered {status}: {}",
                    excerpt(&body)
                ),
            ));
        }
        Ok(parse_credential(NAME, &body)?.with_project_id(self.env.var(ENV_PROJECT_ID)))
    }
}

impl ProvideCredentials for OidcStsProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(self.fetch())
    }
}

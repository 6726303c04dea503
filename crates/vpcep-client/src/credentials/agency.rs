//! Another account's credentials through an IAM agency: CreateTemporaryAccessKeyByAgency,
//! `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with `methods: ["assume_role"]`, the
//! agency's `domain_name` and `agency_name` and `duration_seconds`, signed with the base
//! credentials (AK/SK, permanent or temporary).
//!
//! IAM is a global service: the official SDK signs its calls with `GlobalCredentials`,
//! which first finds the caller's account ID (KeystoneListAuthDomains,
//! `GET {iam}/v3/auth/domains`, once per access key) and sends it as `X-Domain-Id` on every
//! signed request; this provider does the same. The answer (`201`, `{"credential":
//! {"access", "secret", "securitytoken", "expires_at"}}`) is temporary: the client renews
//! it before it expires, as it renews the default chain's ([`super::CredentialsProvider`]).

use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::json;

use super::sts::parse_credential;
use super::{CredentialsProvider, Identity, ProvideCredentials, ProviderError};
use crate::http_policy::{self, excerpt, without_url};
use crate::secrets::AkSk;

/// The path of CreateTemporaryAccessKeyByAgency.
pub const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
/// The path of KeystoneListAuthDomains.
pub const AUTH_DOMAINS_PATH: &str = "/v3/auth/domains";
/// Default lifetime asked for (IAM accepts 900 to 86400 s).
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

const NAME: &str = "agency";

/// The credentials an agency is assumed with: AK/SK, permanent or from a provider (whose
/// renewals the agency's credentials follow). `Credentials::assume_agency` converts.
#[derive(Clone, Debug)]
pub enum BaseCredentials {
    /// Fixed AK/SK (and security token, if temporary).
    Keys(AkSk),
    /// AK/SK from a provider (the default chain, the metadata service, another agency).
    Provider(CredentialsProvider),
}

/// Temporary credentials of the account `domain_name`, through its agency `agency_name`,
/// assumed with the base credentials. Build it with [`AgencyProvider::new`] and pass it to
/// `Credentials::from_provider`, or use `Credentials::assume_agency`.
#[derive(Debug)]
pub struct AgencyProvider {
    base: BaseCredentials,
    domain_name: String,
    agency_name: String,
    duration_seconds: u32,
    iam_endpoint: String,
    domain_id: tokio::sync::OnceCell<String>,
}

impl AgencyProvider {
    /// Assumes `agency_name` of the account `domain_name` with `base`, at the IAM endpoint
    /// `iam` (e.g. `https://iam.myhuaweicloud.com`).
    pub fn new(
        base: BaseCredentials,
        iam: impl Into<String>,
        domain_name: impl Into<String>,
        agency_name: impl Into<String>,
    ) -> Self {
        AgencyProvider {
            base,
            domain_name: domain_name.into(),
            agency_name: agency_name.into(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            iam_endpoint: iam.into().trim_end_matches('/').to_owned(),
            domain_id: tokio::sync::OnceCell::new(),
        }
    }

    /// Lifetime asked for, 900 to 86400 s (default 3600).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = seconds.clamp(900, 86_400);
        self
    }

    /// `DOMAIN_NAME/AGENCY_NAME` as the CLI's `--agency` takes it, checked.
    pub fn parse_name(text: &str) -> Result<(String, String), String> {
        match text.split_once('/') {
            Some((domain, agency))
                if !domain.trim().is_empty()
                    && !agency.trim().is_empty()
                    && !agency.contains('/') =>
            {
                Ok((domain.trim().to_owned(), agency.trim().to_owned()))
            }
            _ => Err(format!(
                "invalid agency {:?}: expected DOMAIN_NAME/AGENCY_NAME (the account that \
                 created the agency, and the agency's name)",
                crate::terminal::printable(text)
            )),
        }
    }

    /// The account this provider's credentials belong to.
    pub fn domain_name(&self) -> &str {
        &self.domain_name
    }

    async fn base_keys(&self) -> Result<AkSk, ProviderError> {
        match &self.base {
            BaseCredentials::Keys(keys) => Ok(keys.clone()),
            BaseCredentials::Provider(provider) => {
                let identity = provider.identity().await.map_err(|e| {
                    ProviderError::failed(NAME, format!("the base credentials: {e}"))
                })?;
                Ok(identity.keys().clone())
            }
        }
    }

    fn http(&self, url: &reqwest::Url) -> Result<reqwest::Client, ProviderError> {
        http_policy::client_builder(url)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ProviderError::failed(NAME, format!("HTTP client: {e}")))
    }

    /// A request to IAM signed with `keys` (and `X-Domain-Id` when known).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
        keys: &AkSk,
        domain_id: Option<&str>,
    ) -> Result<(u16, bytes::Bytes), ProviderError> {
        let url = format!("{}{path}", self.iam_endpoint);
        let target = reqwest::Url::parse(&url)
            .map_err(|e| ProviderError::failed(NAME, format!("IAM endpoint {url:?}: {e}")))?;
        let http = self.http(&target)?;
        let mut request = reqwest::Request::new(method.clone(), target);
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        if let Some(domain_id) = domain_id {
            let value = HeaderValue::from_str(domain_id).map_err(|_| {
                ProviderError::failed(NAME, "IAM gave an account ID that cannot be sent")
            })?;
            request
                .headers_mut()
                .insert(HeaderName::from_static("x-domain-id"), value);
        }
        if let Some(body) = body {
            *request.body_mut() = Some(body.into());
        }
        crate::signer::sign_request(&mut request, keys, SystemTime::now())
            .map_err(|e| ProviderError::failed(NAME, format!("could not sign: {e}")))?;
        let answer = http_policy::fetch(&http, request, http_policy::DEFAULT_MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| {
                ProviderError::failed(NAME, format!("{method} {url}: {}", without_url(e)))
            })?;
        Ok((answer.status, answer.body))
    }

    /// The base credentials' account ID (KeystoneListAuthDomains), once.
    async fn domain_id(&self, keys: &AkSk) -> Result<String, ProviderError> {
        let id = self
            .domain_id
            .get_or_try_init(|| async {
                let (status, body) = self
                    .send(reqwest::Method::GET, AUTH_DOMAINS_PATH, None, keys, None)
                    .await?;
                if status != 200 {
                    return Err(ProviderError::failed(
                        NAME,
                        format!(
                            "GET {AUTH_DOMAINS_PATH} (the base account's ID) answered \
                             {status}: {}",
                            excerpt(&body)
                        ),
                    ));
                }
                #[derive(serde::Deserialize)]
                struct Domain {
                    id: String,
                }
                #[derive(serde::Deserialize)]
                struct Domains {
                    #[serde(default)]
                    domains: Vec<Domain>,
                }
                let domains: Domains = serde_json::from_slice(&body).map_err(|e| {
                    ProviderError::failed(NAME, format!("GET {AUTH_DOMAINS_PATH}: {e}"))
                })?;
                domains
                    .domains
                    .into_iter()
                    .next()
                    .map(|d| d.id)
                    .ok_or_else(|| {
                        ProviderError::failed(NAME, format!("GET {AUTH_DOMAINS_PATH}: no account"))
                    })
            })
            .await?;
        Ok(id.clone())
    }

    async fn fetch(&self) -> Result<Identity, ProviderError> {
        let keys = self.base_keys().await?;
        let domain_id = self.domain_id(&keys).await?;
        let body = json!({"auth": {"identity": {
            "methods": ["assume_role"],
            "assume_role": {
                "domain_name": self.domain_name,
                "agency_name": self.agency_name,
                "duration_seconds": self.duration_seconds,
            }
        }}});
        let (status, answer) = self
            .send(
                reqwest::Method::POST,
                SECURITY_TOKENS_PATH,
                Some(body.to_string()),
                &keys,
                Some(&domain_id),
            )
            .await?;
        if !(200..300).contains(&status) {
            return Err(ProviderError::failed(
                NAME,
                format!(
                    "assuming agency {}/{} (POST {SECURITY_TOKENS_PATH}) answered {status}: {}",
                    crate::terminal::printable(&self.domain_name),
                    crate::terminal::printable(&self.agency_name),
                    excerpt(&answer)
                ),
            ));
        }
        let identity = parse_credential(NAME, &answer)?;
        Ok(identity.with_iam_endpoint(Some(self.iam_endpoint.clone())))
    }
}

impl ProvideCredentials for AgencyProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_names() {
        assert_eq!(
            AgencyProvider::parse_name("acme-prod/vpcep-reader").unwrap(),
            ("acme-prod".to_owned(), "vpcep-reader".to_owned())
        );
        for bad in ["acme", "/a", "a/", "a/b/c", ""] {
            assert!(AgencyProvider::parse_name(bad).is_err(), "{bad}");
        }
    }
}

//! Who may call the fake: `X-Auth-Token`, AK/SK signatures (verified with the client's
//! `vpcep_client::signer::verify`), and the metadata service's temporary credentials.
//! Used by VPCEP's route and by IAM's (`platform.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, HOST};
use secrecy::SecretString;

use crate::temporary_credentials::TemporaryCredentials;

/// Who may call the fake.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Accept every request, authenticated or not.
    pub disabled: bool,
    /// Accepted `X-Auth-Token` values.
    pub tokens: Vec<String>,
    /// Accepted AK/SK pairs, checked with `vpcep_client::signer::verify`.
    pub keys: Vec<(String, SecretString)>,
    /// Largest accepted distance between `X-Sdk-Date` and the fake's clock.
    pub max_skew: Duration,
}

impl Default for AuthConfig {
    /// No authentication (the library's default; the CLI asks for a choice).
    fn default() -> Self {
        Self {
            disabled: true,
            tokens: Vec::new(),
            keys: Vec::new(),
            max_skew: Duration::from_secs(15 * 60),
        }
    }
}

/// The accepted tokens and keys, and the temporary credentials handed out so far.
pub(crate) struct Authenticator {
    disabled: bool,
    tokens: HashSet<String>,
    keys: HashMap<String, SecretString>,
    max_skew: Duration,
    temporary: Arc<TemporaryCredentials>,
}

impl Authenticator {
    pub(crate) fn new(config: &AuthConfig, temporary: Arc<TemporaryCredentials>) -> Self {
        Self {
            disabled: config.disabled,
            tokens: config.tokens.iter().cloned().collect(),
            keys: config.keys.iter().cloned().collect(),
            max_skew: config.max_skew,
            temporary,
        }
    }

    /// Accepts the request, or says why not (for the 401's message; never a secret).
    pub(crate) fn check(&self, parts: &http::request::Parts, body: &[u8]) -> Result<(), String> {
        if self.disabled {
            return Ok(());
        }
        let mut reason = String::from("no X-Auth-Token and no AK/SK signature");
        if let Some(token) = parts.headers.get("x-auth-token") {
            match token.to_str() {
                Ok(t) if self.tokens.contains(t) => return Ok(()),
                _ => reason = "the X-Auth-Token is not valid".to_owned(),
            }
        }
        if parts.headers.contains_key(http::header::AUTHORIZATION) {
            // HTTP/2 carries the host in the URI, not in a Host header.
            let mut headers;
            let headers = if parts.headers.contains_key(HOST) {
                &parts.headers
            } else {
                headers = parts.headers.clone();
                if let Some(authority) = parts.uri.authority() {
                    if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                        headers.insert(HOST, v);
                    }
                }
                &headers
            };
            match vpcep_client::signer::verify(
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query(),
                headers,
                body,
                |ak| {
                    self.keys
                        .get(ak)
                        .cloned()
                        .or_else(|| self.temporary.secret_of(ak))
                },
                SystemTime::now(),
                self.max_skew,
            ) {
                Ok(ak) => match self.temporary.check(&ak, &parts.headers) {
                    Ok(()) => return Ok(()),
                    Err(e) => reason = e,
                },
                Err(e) => reason = format!("AK/SK signature rejected: {e}"),
            }
        }
        Err(reason)
    }
}

//! `EnvCredentialProvider` of the official SDK: `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`,
//! optional `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_PROJECT_ID`.

use futures::future::BoxFuture;

use super::{Env, Identity, ProvideCredentials, ProviderError};
use crate::secrets::AkSk;

/// Environment variable holding the access key (same name as the official SDKs).
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Environment variable holding the secret key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Environment variable holding the security token of temporary credentials (optional).
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Environment variable holding the project ID (read with the AK/SK by this provider, and by
/// the profile and OIDC ones as a fallback).
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";

/// Federation with an identity provider (official; not supported here).
pub const ENV_IDP_ID: &str = "HUAWEICLOUD_SDK_IDP_ID";
/// The ID token file of that federation (official; not supported here).
pub const ENV_ID_TOKEN_FILE: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";

/// Credentials from the official SDKs' environment variables.
#[derive(Debug, Clone, Default)]
pub struct EnvProvider {
    env: Env,
}

impl EnvProvider {
    /// Reads `env`.
    pub fn new(env: Env) -> Self {
        Self { env }
    }

    /// The credentials now in the environment (no I/O).
    pub fn load(&self) -> Result<Identity, ProviderError> {
        let env = &self.env;
        if env.var(ENV_IDP_ID).is_some() && env.var(ENV_ID_TOKEN_FILE).is_some() {
            // The official SDK prefers IdP federation over AK/SK when both are set.
            return Err(ProviderError::failed(
                "env",
                format!(
                    "{ENV_IDP_ID} and {ENV_ID_TOKEN_FILE} are set: federation through an \
                     identity provider is not supported by this client; unset them or use \
                     AK/SK"
                ),
            ));
        }
        match (env.var(ENV_AK), env.var(ENV_SK)) {
            (Some(ak), Some(sk)) => {
                let mut keys = AkSk::new(ak, sk);
                if let Some(token) = env.var(ENV_SECURITY_TOKEN) {
                    keys = keys.with_security_token(token);
                }
                Ok(Identity::new("env", keys).with_project_id(env.var(ENV_PROJECT_ID)))
            }
            (ak, sk) => {
                let unset: Vec<&str> = [(ENV_AK, ak.is_none()), (ENV_SK, sk.is_none())]
                    .into_iter()
                    .filter_map(|(n, missing)| missing.then_some(n))
                    .collect();
                let message = format!("{} unset", unset.join(" and "));
                Err(if unset.len() == 2 {
                    ProviderError::not_configured("env", message)
                } else {
                    ProviderError::failed("env", message)
                })
            }
        }
    }
}

impl ProvideCredentials for EnvProvider {
    fn name(&self) -> &'static str {
        "env"
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(async move { self.load() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn reads_the_official_names() {
        let env = Env::from_pairs([
            (ENV_AK, "AKENV"),
            (ENV_SK, "SKENV"),
            (ENV_SECURITY_TOKEN, "TOK"),
            (ENV_PROJECT_ID, "proj"),
        ]);
        let id = EnvProvider::new(env).load().unwrap();
        assert_eq!(id.provider(), "env");
        assert_eq!(id.keys().access_key(), "AKENV");
        assert_eq!(id.keys().security_token().unwrap().expose_secret(), "TOK");
        assert_eq!(id.project_id(), Some("proj"));
        assert_eq!(id.expires_at(), None);
    }

    #[test]
    fn says_what_is_unset() {
        let e = EnvProvider::new(Env::from_pairs::<&str, &str>([]))
            .load()
            .unwrap_err();
        assert_eq!(e.message, "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK unset");
        assert!(!e.configured);
        let e = EnvProvider::new(Env::from_pairs([(ENV_AK, "A"), (ENV_SK, " ")]))
            .load()
            .unwrap_err();
        assert_eq!(e.message, "HUAWEICLOUD_SDK_SK unset");
        assert!(e.configured);
        let e = EnvProvider::new(Env::from_pairs([
            (ENV_AK, "A"),
            (ENV_SK, "S"),
            (ENV_IDP_ID, "idp"),
            (ENV_ID_TOKEN_FILE, "/f"),
        ]))
        .load()
        .unwrap_err();
        assert!(e.message.contains("not supported"), "{e}");
    }
}

//! Credentials: an IAM token, or an AK/SK pair (optionally temporary, with a security token),
//! or a provider of them.
//!
//! Secrets are held in [`SecretString`](secrecy::SecretString) (zeroized on drop) and are
//! never printed: `Debug` shows the access key but masks the secret key, the security
//! token and IAM tokens.

pub use crate::credentials::env::{ENV_AK, ENV_PROJECT_ID, ENV_SECURITY_TOKEN, ENV_SK};
pub use crate::credentials::CredentialsError;
use crate::credentials::{ChainBuilder, CredentialsProvider, ProvideCredentials};
pub use crate::secrets::{AkSk, IamToken};

/// How requests authenticate. `Debug` masks every secret.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// IAM token (`X-Auth-Token`).
    Token(IamToken),
    /// AK/SK request signing (`SDK-HMAC-SHA256`).
    AkSk(AkSk),
    /// AK/SK from a provider (the default chain, ECS metadata, …), fetched at the first
    /// request and renewed before signing when temporary. See [`crate::credentials`].
    Provider(CredentialsProvider),
}

impl Credentials {
    /// IAM token credentials.
    pub fn token(t: impl Into<String>) -> Self {
        Self::Token(IamToken::new(t))
    }

    /// Permanent AK/SK credentials.
    pub fn aksk(ak: impl Into<String>, sk: impl Into<String>) -> Self {
        Self::AkSk(AkSk::new(ak, sk))
    }

    /// AK/SK credentials from the official SDKs' environment variables: [`ENV_AK`] and
    /// [`ENV_SK`] (both required), [`ENV_SECURITY_TOKEN`] (optional). A value that cannot
    /// be used (e.g. with a line break) is [`CredentialsError::Invalid`] naming the variable.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_env_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], reading variables through `get` (testable without
    /// touching the process environment). Empty or blank values count as missing.
    pub fn from_env_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        let read = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let ak = read(ENV_AK);
        let sk = read(ENV_SK);
        let (ak, sk) = match (ak, sk) {
            (Some(ak), Some(sk)) => (ak, sk),
            (ak, sk) => {
                let mut missing = Vec::new();
                if ak.is_none() {
                    missing.push(ENV_AK);
                }
                if sk.is_none() {
                    missing.push(ENV_SK);
                }
                return Err(CredentialsError::MissingEnv(missing));
            }
        };
        let mut creds = AkSk::new(ak, sk);
        if let Some(token) = read(ENV_SECURITY_TOKEN) {
            creds = creds.with_security_token(token);
        }
        crate::credentials::check_keys("env", &creds)?;
        Ok(Self::AkSk(creds))
    }
}

impl Credentials {
    /// The official SDKs' default chain over the process environment: OIDC STS,
    /// environment, profile file, ECS metadata, CCE pod identity. Nothing is read until
    /// the first request (or [`CredentialsProvider::identity`]).
    pub fn default_chain() -> Self {
        Self::Provider(ChainBuilder::new().build())
    }

    /// The temporary credentials of another account, through its IAM agency
    /// `agency_name` (of the account `domain_name`), assumed with these credentials at the
    /// IAM endpoint `iam` (see [`crate::credentials::agency`]); renewed before they
    /// expire. An IAM token cannot assume an agency here: [`CredentialsError::Invalid`].
    pub fn assume_agency(
        self,
        iam: impl Into<String>,
        domain_name: impl Into<String>,
        agency_name: impl Into<String>,
    ) -> Result<Self, CredentialsError> {
        use crate::credentials::agency::{AgencyProvider, BaseCredentials};
        let base = match self {
            Self::AkSk(keys) => BaseCredentials::Keys(keys),
            Self::Provider(provider) => BaseCredentials::Provider(provider),
            Self::Token(_) => {
                return Err(CredentialsError::Invalid {
                    provider: "agency",
                    key: "X-Auth-Token",
                    rule: "an agency is assumed with AK/SK credentials, not an IAM token".into(),
                })
            }
        };
        Ok(Self::from_provider(AgencyProvider::new(
            base,
            iam,
            domain_name,
            agency_name,
        )))
    }

    /// Credentials from any provider, renewed before signing when temporary.
    pub fn from_provider(provider: impl ProvideCredentials + 'static) -> Self {
        Self::Provider(CredentialsProvider::new(provider))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const SK: &str = "SuperSecretSK0123456789";
    const TOKEN: &str = "SecurityTokenSecretValue";
    const IAM: &str = "MIIIamTokenSecretValue";

    fn assert_no_secrets(s: &str) {
        for secret in [SK, TOKEN, IAM] {
            assert!(!s.contains(secret), "secret leaked in {s:?}");
        }
    }

    #[test]
    fn debug_masks_secrets() {
        let aksk = AkSk::new("AKVISIBLE", SK).with_security_token(TOKEN);
        let dbg = format!("{aksk:?}");
        assert_no_secrets(&dbg);
        assert!(dbg.contains("AKVISIBLE"), "{dbg}");
        assert!(dbg.contains("***"), "{dbg}");
        assert_no_secrets(&format!("{aksk:#?}"));

        let creds = Credentials::AkSk(aksk);
        assert_no_secrets(&format!("{creds:?}"));
        assert_no_secrets(&format!("{creds:#?}"));

        let token = IamToken::new(IAM);
        assert_eq!(format!("{token:?}"), "IamToken(***)");
        let creds = Credentials::token(IAM);
        assert_no_secrets(&format!("{creds:?}"));
        assert_no_secrets(&format!("{creds:#?}"));
    }

    #[test]
    fn accessors() {
        let aksk = AkSk::new("AK", SK);
        assert_eq!(aksk.access_key(), "AK");
        assert_eq!(aksk.secret_key().expose_secret(), SK);
        assert!(aksk.security_token().is_none());
        let aksk = aksk.with_security_token(TOKEN);
        assert_eq!(aksk.security_token().unwrap().expose_secret(), TOKEN);
        assert_eq!(IamToken::new(IAM).expose(), IAM);
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn from_env_vars_reads_sdk_names() {
        let creds = Credentials::from_env_vars(env(&[(ENV_AK, "AK1"), (ENV_SK, SK)])).unwrap();
        let Credentials::AkSk(aksk) = creds else {
            panic!("expected AK/SK")
        };
        assert_eq!(aksk.access_key(), "AK1");
        assert_eq!(aksk.secret_key().expose_secret(), SK);
        assert!(aksk.security_token().is_none());

        let creds = Credentials::from_env_vars(env(&[
            (ENV_AK, "AK1"),
            (ENV_SK, SK),
            (ENV_SECURITY_TOKEN, TOKEN),
        ]))
        .unwrap();
        let Credentials::AkSk(aksk) = creds else {
            panic!("expected AK/SK")
        };
        assert_eq!(aksk.security_token().unwrap().expose_secret(), TOKEN);
    }

    #[test]
    fn from_env_vars_refuses_values_that_cannot_be_sent_naming_the_variable() {
        for (ak, sk, token, key) in [
            ("AK\nMORE", SK, None, ENV_AK),
            (" AK", SK, None, ENV_AK),
            ("AK", "SuperSecret\nSK", None, ENV_SK),
            (
                "AK",
                SK,
                Some("SecurityTokenSecretValue\n continued"),
                ENV_SECURITY_TOKEN,
            ),
        ] {
            let mut vars = vec![(ENV_AK, ak), (ENV_SK, sk)];
            vars.extend(token.map(|t| (ENV_SECURITY_TOKEN, t)));
            let err = Credentials::from_env_vars(env(&vars)).unwrap_err();
            match &err {
                CredentialsError::Invalid {
                    provider, key: k, ..
                } => {
                    assert_eq!((*provider, *k), ("env", key), "{err}")
                }
                other => panic!("{other:?}"),
            }
            assert_no_secrets(&err.to_string());
            assert!(!err.to_string().contains("MORE"), "{err}");
        }
    }

    #[test]
    fn from_env_vars_names_missing_variables() {
        let err = Credentials::from_env_vars(env(&[(ENV_SK, SK)])).unwrap_err();
        assert_eq!(err, CredentialsError::MissingEnv(vec![ENV_AK]));
        assert!(err.to_string().contains(ENV_AK));
        assert_no_secrets(&err.to_string());
        assert_no_secrets(&format!("{err:?}"));

        let err = Credentials::from_env_vars(env(&[(ENV_AK, "AK"), (ENV_SK, "  ")])).unwrap_err();
        assert_eq!(err, CredentialsError::MissingEnv(vec![ENV_SK]));

        let err = Credentials::from_env_vars(env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing environment variable(s): HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK"
        );
    }
}

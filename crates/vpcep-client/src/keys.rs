//! Key material: an AK/SK pair (optionally temporary, with a security token), an IAM
//! token, and the official SDKs' environment variable names. Below both [`crate::auth`]
//! (which re-exports all of it) and [`crate::credentials`] (whose providers make
//! [`AkSk`]s), so that neither depends on the other's internals.
//!
//! Secrets are held in [`SecretString`] (zeroized on drop) and are never printed: `Debug`
//! shows the access key but masks the secret key, the security token and IAM tokens.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Environment variable holding the access key (same name as the official SDKs).
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Environment variable holding the secret key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Environment variable holding the security token of temporary credentials (optional).
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Environment variable holding the project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";

const MASK: &str = "***";

/// Debug-prints as `***`.
struct Masked;

impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// AK/SK credentials. `Debug` prints the AK and masks the SK and the security token.
#[derive(Clone)]
pub struct AkSk {
    ak: String,
    sk: SecretString,
    security_token: Option<SecretString>,
}

impl AkSk {
    /// Permanent AK/SK credentials.
    pub fn new(ak: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            ak: ak.into(),
            sk: SecretString::from(sk.into()),
            security_token: None,
        }
    }

    /// Temporary credentials: adds the security token sent as `X-Security-Token`.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }

    /// The access key (not a secret).
    pub fn access_key(&self) -> &str {
        &self.ak
    }

    /// The secret key.
    pub fn secret_key(&self) -> &SecretString {
        &self.sk
    }

    /// The security token of temporary credentials, if any.
    pub fn security_token(&self) -> Option<&SecretString> {
        self.security_token.as_ref()
    }
}

impl fmt::Debug for AkSk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkSk")
            .field("ak", &self.ak)
            .field("sk", &Masked)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Masked),
            )
            .finish()
    }
}

/// An IAM token, sent as `X-Auth-Token`. `Debug` prints `IamToken(***)`.
#[derive(Clone)]
pub struct IamToken(SecretString);

impl IamToken {
    /// Wraps a token.
    pub fn new(t: impl Into<String>) -> Self {
        Self(SecretString::from(t.into()))
    }

    /// The token itself, for putting it in a header.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for IamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IamToken({MASK})")
    }
}

//! The secrets a request carries: an AK/SK pair (optionally temporary, with a security
//! token) and an IAM token, and the rules a usable one follows. Below both [`crate::auth`]
//! (which re-exports them) and [`crate::credentials`] (whose providers make [`AkSk`]s), so
//! that neither depends on the other's internals.
//!
//! Secrets are held in [`SecretString`] (zeroized on drop) and are never printed: `Debug`
//! shows the access key but masks the secret key, the security token and IAM tokens.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

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

/// A part of a credential, for messages that name what cannot be used (never its value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    AccessKey,
    SecretKey,
    SecurityToken,
}

/// `X-Auth-Token`: 1..=2048 characters (the spec's `iamToken` security scheme states it
/// in prose, so it is not in the contract table).
const IAM_TOKEN_LENGTH: (usize, usize) = (1, 2048);

impl AkSk {
    /// The first part that cannot be used as given, and the rule it breaks: each must be
    /// non-empty header text (the access key and the security token travel in headers; a
    /// secret key with a line break, e.g. from a continuation line of the credentials
    /// file, would sign every request wrongly).
    pub(crate) fn unusable_part(&self) -> Option<(Part, &'static str)> {
        let token = self.security_token.as_ref().map(|t| t.expose_secret());
        [
            (Part::AccessKey, Some(self.ak.as_str())),
            (Part::SecretKey, Some(self.sk.expose_secret())),
            (Part::SecurityToken, token),
        ]
        .into_iter()
        .find_map(|(part, value)| Some((part, unusable_text(value?)?)))
    }
}

/// The rule a credential value breaks, if any: empty, or not header text.
fn unusable_text(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("must not be empty")
    } else if !crate::http_policy::is_header_text(value) {
        Some(crate::http_policy::HEADER_TEXT_RULE)
    } else {
        None
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

impl IamToken {
    /// The rule the token breaks, if any: 1 to 2048 characters of header text.
    pub(crate) fn unusable(&self) -> Option<String> {
        let (min, max) = IAM_TOKEN_LENGTH;
        let n = self.expose().chars().count();
        if n < min || n > max {
            return Some(format!("must be {min} to {max} characters long"));
        }
        unusable_text(self.expose()).map(str::to_owned)
    }
}

impl fmt::Debug for IamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IamToken({MASK})")
    }
}

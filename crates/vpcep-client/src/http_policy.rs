//! The HTTP rules every request of this crate follows, VPCEP's and those of the credential
//! providers and the IAM project lookup alike, in one place:
//!
//! - redirects are never followed: reqwest would replay the credential headers
//!   (`X-Auth-Token`, `X-Security-Token`, `Authorization`) to whatever host `Location`
//!   names, so a 3xx is an answer (and an error for the caller);
//! - a plain `http://` destination on this machine never goes through a proxy: such a
//!   URL needs no `allow_http` because its bytes stay on the machine, and a proxy from the
//!   environment (`HTTP_PROXY`, `ALL_PROXY`) would carry them, credentials in clear, to
//!   another host (whose own "localhost" is not ours anyway; Go's `net/http` never proxies
//!   loopback for the same reason). `https://` destinations honour the proxy variables:
//!   the TLS session runs end to end through the tunnel.

use std::time::Duration;

use reqwest::Url;

use crate::error::{Error, Result};
use crate::text::error_chain;

/// Whether `url`'s host is this machine: 127.0.0.0/8, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A reqwest client builder for requests to `destination` (its scheme and host decide;
/// one client may serve other paths of the same origin), with the rules above.
pub(crate) fn client_builder(destination: &Url) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if destination.scheme() == "http" && is_loopback(destination) {
        builder.no_proxy()
    } else {
        builder
    }
}

/// How the client builds its HTTP clients: one for VPCEP, one for the IAM project lookup
/// (whose destination may need another proxy rule). Root certificates stay PEM and are
/// parsed for each client (errors are reported by the first, at `ClientBuilder::build`).
#[derive(Clone, Debug, Default)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Option<Duration>,
    pub root_certificates: Vec<Vec<u8>>,
    pub gzip: bool,
}

impl HttpSettings {
    /// A client for requests to `destination`.
    pub(crate) fn client_for(&self, destination: &Url) -> Result<reqwest::Client> {
        let mut builder = client_builder(destination).gzip(self.gzip);
        if let Some(t) = self.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        builder = add_root_certificates(builder, &self.root_certificates)?;
        let with_roots = if self.root_certificates.is_empty() {
            ""
        } else {
            " (check the root certificates given)"
        };
        builder.build().map_err(|e| {
            Error::Config(format!(
                "could not build the HTTP client{with_roots}: {}",
                error_chain(&e)
            ))
        })
    }
}

/// Adds the PEM bundles to the HTTP client's trusted roots, next to the platform's.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn add_root_certificates(
    mut builder: reqwest::ClientBuilder,
    bundles: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder> {
    for pem in bundles {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Config(format!("invalid root certificate (PEM): {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config(
                "invalid root certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
                    .to_owned(),
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn add_root_certificates(
    builder: reqwest::ClientBuilder,
    bundles: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder> {
    if bundles.is_empty() {
        Ok(builder)
    } else {
        Err(Error::Config(
            "root certificates need a TLS feature (rustls or native-tls)".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:1",
            "http://127.9.9.9",
            "http://[::1]:8",
            "http://LocalHost",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "http://0.0.0.0",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }
}

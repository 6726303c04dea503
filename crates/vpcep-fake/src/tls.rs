//! HTTPS for the fake (`--tls-cert FILE --tls-key FILE`, [`crate::FakeConfig::tls`]):
//! rustls with the aws-lc-rs provider, the one reqwest already builds for the client, so
//! the workspace compiles a single crypto library.

use std::fmt;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A server certificate chain and its key, ready to serve HTTPS (HTTP/1.1 and HTTP/2 by
/// ALPN). Cheap to clone.
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is never printed.
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// From PEM text: the certificate chain (leaf first) and the private key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> io::Result<Self> {
        let invalid = |what: &str, e: &dyn fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
        };
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("invalid certificate PEM", &e))?;
        if certs.is_empty() {
            return Err(invalid("no certificate in the PEM", &"(empty)"));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| invalid("invalid key PEM", &e))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("TLS versions", &e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid("certificate and key do not fit", &e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// From PEM files (`--tls-cert`, `--tls-key`).
    pub fn from_pem_files(cert_chain: &Path, key: &Path) -> io::Result<Self> {
        let read = |path: &Path| {
            std::fs::read(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        Self::from_pem(&read(cert_chain)?, &read(key)?)
    }
}

/// An accepted connection, plain or TLS.
pub(crate) enum Conn<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
}

/// Completes the TLS handshake when `tls` is set; `None` when the handshake fails (the
/// client is told by the TLS alert; the connection is dropped).
pub(crate) async fn accept<S>(tls: Option<&TlsConfig>, stream: S) -> Option<Conn<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tls {
        None => Some(Conn::Plain(stream)),
        Some(tls) => tls
            .acceptor
            .accept(stream)
            .await
            .ok()
            .map(|s| Conn::Tls(Box::new(s))),
    }
}

impl<S> Conn<S> {
    /// Whether TLS negotiated HTTP/2 (ALPN `h2`).
    pub(crate) fn negotiated_h2(&self) -> bool {
        match self {
            Conn::Plain(_) => false,
            Conn::Tls(s) => s.get_ref().1.alpn_protocol() == Some(b"h2"),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Conn<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Conn<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
}

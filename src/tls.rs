//! TLS material and HTTPS serving.
//!
//! PEM files (CA bundles, certificates and their keys) are read and checked once, at startup:
//! a file that cannot be read, holds no usable PEM item, or a key that is not the certificate's
//! is a one-line configuration error naming the file. Nothing here ever prints a key or a line
//! of a key file.
//!
//! [`TlsListener`] serves HTTPS through `axum::serve`: TLS handshakes run in their own tasks (a
//! slow or silent client holds up nobody), and finished connections are handed to axum, whose
//! graceful shutdown then works exactly as for plain HTTP.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Why a PEM file was refused. Each message fits on one line and names the file, never its
/// contents.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file holds no usable item of the kind expected.
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    /// The key does not belong to the certificate.
    #[error("{} does not hold the private key of the certificate in {}", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
}

/// The crypto provider of every TLS connection tikv-lens makes or accepts: aws-lc-rs, the one
/// reqwest's `rustls` feature builds in.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A CA bundle: the certificates an upstream's server certificate must chain to.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
}

impl CaBundle {
    /// Reads every certificate of a PEM file; at least one, each a valid trust anchor.
    pub fn load(path: &Path) -> Result<Self, PemError> {
        let bytes = read(path)?;
        let certs = read_certs(path, &bytes)?;
        let mut store = RootCertStore::empty();
        for (i, cert) in certs.iter().enumerate() {
            store.add(cert.clone()).map_err(|e| PemError::Invalid {
                path: path.to_owned(),
                reason: format!("certificate {} is not a usable CA certificate: {e}", i + 1),
            })?;
        }
        Ok(Self {
            path: path.to_owned(),
            certs,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The certificates, DER-encoded, in file order.
    pub fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// The bundle as a rustls root store (for verifying peers' certificates).
    pub fn root_store(&self) -> RootCertStore {
        let mut store = RootCertStore::empty();
        // Every certificate was added once already, in `load`.
        let _ = store.add_parsable_certificates(self.certs.iter().cloned());
        store
    }
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certs", &self.certs.len())
            .finish()
    }
}

/// A certificate chain (leaf first) and its private key: a client certificate for an upstream,
/// or the certificate tikv-lens serves HTTPS with.
pub struct CertKey {
    cert_path: PathBuf,
    key_path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl CertKey {
    /// Reads a certificate chain and a private key (PKCS#8, PKCS#1 or SEC1; both may be the
    /// same file), and checks that the key is the leaf certificate's.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, PemError> {
        let certs = read_certs(cert_path, &read(cert_path)?)?;
        let key_bytes = read(key_path)?;
        let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| PemError::Invalid {
            path: key_path.to_owned(),
            reason: pem_reason(&e, "private key"),
        })?;
        rustls::sign::CertifiedKey::from_der(certs.clone(), key.clone_key(), &provider()).map_err(
            |e| match e {
                rustls::Error::InconsistentKeys(_) => PemError::Mismatch {
                    cert: cert_path.to_owned(),
                    key: key_path.to_owned(),
                },
                other => PemError::Invalid {
                    path: key_path.to_owned(),
                    reason: format!("unusable private key or certificate: {other}"),
                },
            },
        )?;
        Ok(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            certs,
            key,
        })
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// The chain, leaf first.
    pub fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// A copy of the private key.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// The chain and the key as one PEM document, the form `reqwest::Identity::from_pem` reads.
    /// Rebuilt from the parsed items, so whatever else the files held (comments, EC parameters)
    /// does not matter.
    pub fn identity_pem(&self) -> Vec<u8> {
        let mut pem = String::new();
        for cert in &self.certs {
            pem_section(&mut pem, "CERTIFICATE", cert.as_ref());
        }
        let label = match &self.key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        pem_section(&mut pem, label, self.key.secret_der());
        pem.into_bytes()
    }
}

impl fmt::Debug for CertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertKey")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|source| PemError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_certs(path: &Path, bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let invalid = |reason: String| PemError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(pem_reason(&e, "certificate")))?;
    if certs.is_empty() {
        return Err(invalid("holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// What is wrong with a PEM file, in words that quote none of its bytes.
fn pem_reason(e: &rustls::pki_types::pem::Error, item: &str) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::NoItemsFound => format!("holds no PEM {item}"),
        Error::MissingSectionEnd { .. } => "a PEM section has no END line".into(),
        Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed".into(),
        Error::Base64Decode(_) => "a PEM section is not valid base64".into(),
        Error::SectionTooLarge => "a PEM section is too large".into(),
        Error::Io(e) => format!("cannot read: {e}"),
        _ => format!("not a PEM {item} file"),
    }
}

fn pem_section(out: &mut String, label: &str, der: &[u8]) {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in encoded.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}

/// The rustls configuration tikv-lens serves HTTPS with: TLS 1.2 and 1.3, HTTP/1.1, no client
/// certificates (clients authenticate with bearer tokens, when configured).
pub fn server_config(identity: &CertKey) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(identity.certs().to_vec(), identity.key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; beyond, new connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 256;

/// A TLS listener for `axum::serve`: accepts TCP connections, runs each TLS handshake in a task
/// of its own (bounded in time and in number), and yields the connections that completed one.
///
/// The accepting task ends, and the port closes, when the listener is dropped.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener` (on the current Tokio runtime).
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(Self { local_addr, ready })
    }
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends once this listener is gone; never reached.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

type Ready = mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>;

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, ready: Ready) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            () = ready.closed() => return,
            permit = handshakes.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let (tcp, peer) = tokio::select! {
            () = ready.closed() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = ready.send((stream, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// As axum's own accept loop: a connection that failed before it was accepted is no reason to
/// pause; anything else (out of file descriptors) is, briefly.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_sections_wrap_at_64_columns() {
        let mut out = String::new();
        pem_section(&mut out, "CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last().copied(), Some("-----END CERTIFICATE-----"));
        let certs: Vec<_> = CertificateDer::pem_slice_iter(out.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(certs[0].as_ref(), &[0u8; 100]);
    }

    #[test]
    fn garbage_and_missing_files_name_the_file_on_one_line() {
        let dir = std::env::temp_dir().join(format!("tikv-lens-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n",
        )
        .unwrap();
        for err in [
            CaBundle::load(&garbage).unwrap_err(),
            CaBundle::load(&dir.join("absent.pem")).unwrap_err(),
            CertKey::load(&garbage, &garbage).unwrap_err(),
            CertKey::load(&broken, &broken).unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(text.contains(dir.to_str().unwrap()), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert!(!text.contains("c2VjcmV0"), "{text}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

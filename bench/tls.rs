//! TLS for the benchmark: a private CA (written to a file patlint is given as `ca_file`),
//! and a TLS front for each mock host that offers HTTP/2 and HTTP/1.1 by ALPN and passes
//! the decrypted bytes to the host (wiremock's server speaks both, so HTTP/2 goes end to
//! end). Each front records the protocols its clients chose.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;

pub struct Authority {
    pub ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl Authority {
    pub fn new() -> Authority {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "patlint bench CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        let private = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let mut server = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), ca.der().clone()], private)
            .unwrap();
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Authority {
            ca_pem: ca.pem(),
            server: Arc::new(server),
        }
    }

    /// A TLS front for `upstream`; returns its `https://` URL.
    pub async fn front(&self, upstream: SocketAddr, protocols: &Protocols) -> String {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let protocols = protocols.0.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let protocols = protocols.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let chosen = tls
                        .get_ref()
                        .1
                        .alpn_protocol()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_else(|| "none (HTTP/1.1)".into());
                    protocols.lock().unwrap().insert(chosen);
                    let Ok(mut host) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut host).await;
                });
            }
        });
        format!("https://127.0.0.1:{port}")
    }

    /// The median time of a TCP connect and TLS handshake to `url`'s front.
    pub async fn handshake(&self, url: &str) -> Duration {
        let mut roots = rustls::RootCertStore::empty();
        let pem = self.ca_pem.as_bytes();
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let address: SocketAddr = url.trim_start_matches("https://").parse().unwrap();
        let mut times = Vec::new();
        for _ in 0..21 {
            let started = Instant::now();
            let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
            let _tls = connector.connect(name, tcp).await.unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        times[times.len() / 2]
    }
}

/// The ALPN protocols clients chose at the fronts.
#[derive(Clone, Default)]
pub struct Protocols(Arc<Mutex<BTreeSet<String>>>);

impl Protocols {
    pub fn take(&self) -> String {
        let mut chosen = self.0.lock().unwrap();
        let text = chosen.iter().cloned().collect::<Vec<_>>().join(", ");
        chosen.clear();
        text
    }
}

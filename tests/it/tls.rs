//! Enterprise networks: a self-hosted server behind a private certificate authority
//! (`ca_file` per token, `SSL_CERT_FILE` for all), and proxies (`HTTPS_PROXY`,
//! `NO_PROXY`), against a local TLS server with a generated CA.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA and a TLS server for 127.0.0.1 whose certificate it signed, answering like
/// GitHub's `GET /user`. Returns (CA PEM, server URL).
async fn private_ca_server() -> (String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "patlint test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

    let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der())
        .unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone(), ca.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = vec![0u8; 8192];
                let _ = tls.read(&mut request).await;
                let body = r#"{"login":"ghes-bot"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-OAuth-Scopes: repo\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (ca.pem(), format!("https://127.0.0.1:{}", address.port()))
}

/// An HTTP CONNECT proxy that counts the tunnels it opens.
async fn connect_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counter = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (format!("http://{address}"), tunnels)
}

fn policy(url: &str, ca_file: Option<&std::path::Path>) -> String {
    let ca = ca_file
        .map(|p| format!("ca_file = \"{}\"\n", p.display()))
        .unwrap_or_default();
    format!(
        "version = 1\n[[token]]\nname = \"ghes\"\nhost = \"github\"\nurl = \"{url}\"\n{ca}secret = {{ env = \"P\" }}\nrequire_scopes = [\"repo\"]\n"
    )
}

fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![(
        "P".to_owned(),
        "ghp_canaryTls000000000000000000000000000".to_owned(),
    )];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_is_trusted_per_token_or_globally_and_nothing_else_is() {
    let (ca_pem, url) = private_ca_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();

    let (exit, stdout, _) = common::run_check(policy(&url, None), env(&[]), &url).await;
    assert_eq!(exit, 3, "an unknown CA is not trusted: {stdout}");
    assert!(
        stdout.contains("invalid peer certificate: UnknownIssuer"),
        "{stdout}"
    );

    let (exit, stdout, stderr) =
        common::run_check(policy(&url, Some(&ca_file)), env(&[]), &url).await;
    assert_eq!(exit, 0, "ca_file: {stdout}{stderr}");

    let ca = ca_file.display().to_string();
    let (exit, stdout, stderr) =
        common::run_check(policy(&url, None), env(&[("SSL_CERT_FILE", &ca)]), &url).await;
    assert_eq!(exit, 0, "SSL_CERT_FILE: {stdout}{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_file_that_is_not_a_bundle_is_a_policy_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let (exit, _, stderr) = common::run_check(
        policy("https://ghe.example.com/api/v3", Some(&not_pem)),
        env(&[]),
        "unused",
    )
    .await;
    assert_eq!(exit, 2);
    assert!(
        stderr.contains("`ca_file` holds no PEM certificate"),
        "{stderr}"
    );
    let missing = dir.path().join("missing.pem");
    let (exit, _, stderr) = common::run_check(
        policy("https://ghe.example.com/api/v3", Some(&missing)),
        env(&[]),
        "unused",
    )
    .await;
    assert_eq!(exit, 2);
    assert!(stderr.contains("`ca_file` cannot be read"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn https_proxy_is_used_and_no_proxy_bypasses_it() {
    let (ca_pem, url) = private_ca_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let (proxy, tunnels) = connect_proxy().await;

    let (exit, stdout, stderr) = common::run_check(
        policy(&url, Some(&ca_file)),
        env(&[("HTTPS_PROXY", &proxy)]),
        &url,
    )
    .await;
    assert_eq!(exit, 0, "{stdout}{stderr}");
    assert_eq!(
        tunnels.load(Ordering::SeqCst),
        1,
        "the request went through the proxy"
    );

    let (exit, stdout, stderr) = common::run_check(
        policy(&url, Some(&ca_file)),
        env(&[("HTTPS_PROXY", &proxy), ("NO_PROXY", "127.0.0.1")]),
        &url,
    )
    .await;
    assert_eq!(exit, 0, "{stdout}{stderr}");
    assert_eq!(
        tunnels.load(Ordering::SeqCst),
        1,
        "NO_PROXY bypassed the proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_loopback_never_goes_through_a_proxy() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .mount(&server)
        .await;
    // This proxy only tunnels CONNECT: a token sent through it in clear would fail here.
    let (proxy, tunnels) = connect_proxy().await;
    let env = env(&[
        ("HTTP_PROXY", &proxy),
        ("http_proxy", &proxy),
        ("ALL_PROXY", &proxy),
    ]);
    let (exit, stdout, stderr) =
        common::run_check(policy(&server.uri(), None), env, &server.uri()).await;
    assert_eq!(exit, 0, "{stdout}{stderr}");
    assert_eq!(tunnels.load(Ordering::SeqCst), 0);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the request went straight to the server"
    );
}

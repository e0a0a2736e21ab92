//! Fault injection: every host against local servers that fail in every way a network
//! can. For each fault the token is `error` (`host-error`), the run ends within its
//! deadline, healthy tokens beside it still pass, the exit code is 3, and no secret
//! appears anywhere. The table of what was tried is printed and written to
//! `$PATLINT_FAULT_REPORT` (./scripts/test sets it and shows the table).

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server that accepts connections and never answers.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

/// A server that promises 500 bytes of JSON and sends ten, then hangs up.
fn truncating_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"login\":");
        }
    });
    url
}

/// An answer every host would accept as a healthy token's, if it arrived whole.
const WHOLE_ANSWER: &str = r#"{"login":"bot","id":1,"name":"t","revoked":false,"active":true,"created_at":"2026-11-01T00:00:00Z","scopes":["api"],"user_id":1,"expires_at":"2027-01-01","authenticatedUser":{"id":"bb5bb6c8"}}"#;

/// How a server breaks an answer whose JSON is complete.
#[derive(Clone, Copy)]
enum Cut {
    /// `Content-Length` promises more than the JSON, then the connection closes.
    LengthLonger,
    /// Chunked: the JSON in one chunk, then the connection closes without the last chunk.
    ChunkedClosed,
    /// Chunked: the JSON in one chunk, then nothing, with the connection held open.
    ChunkedForever,
}

fn cutting_server(cut: Cut) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-OAuth-Scopes: repo\r\n";
            let answer = match cut {
                Cut::LengthLonger => format!(
                    "{head}Content-Length: {}\r\n\r\n{WHOLE_ANSWER}",
                    WHOLE_ANSWER.len() + 100
                ),
                Cut::ChunkedClosed | Cut::ChunkedForever => format!(
                    "{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{WHOLE_ANSWER}\r\n",
                    WHOLE_ANSWER.len()
                ),
            };
            let _ = stream.write_all(answer.as_bytes());
            if matches!(cut, Cut::ChunkedForever) {
                held.push(stream);
            }
        }
    });
    url
}

/// A TLS server whose certificate is self-signed, so no client should trust it.
fn self_signed_tls_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(
        certified.signing_key.serialize_der(),
    )
    .unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        use tokio::io::AsyncWriteExt;
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                            .await;
                    }
                });
            }
        });
    });
    format!("https://{address}")
}

/// A closed port.
fn refusing_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

const HOSTS: [&str; 4] = ["github", "gitlab", "azure-devops", "azure-devops-server"];

fn token(name: &str, host: &str, url: &str, var: &str) -> String {
    let location = match host {
        "azure-devops" => {
            format!("organization = \"org\"\nurl = \"{url}\"\nprofile_url = \"{url}\"\n")
        }
        "azure-devops-server" => format!("url = \"{url}/tfs/DefaultCollection\"\n"),
        // A name that resolves nowhere stands for an Enterprise Server, whose API is under
        // /api/v3 (local servers stand in for the API at their root).
        "github" if url.ends_with(".invalid") => format!("url = \"{url}/api/v3\"\n"),
        _ => format!("url = \"{url}\"\n"),
    };
    format!(
        "\n[[token]]\nname = \"{name}\"\nhost = \"{host}\"\n{location}secret = {{ env = \"{var}\" }}\n"
    )
}

/// Healthy servers, one per host: the tokens beside the faulty ones.
async fn healthy(host: &str) -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: serde_json::Value| ResponseTemplate::new(200).set_body_json(body);
    match host {
        "github" => Mock::given(path("/user")).respond_with(ok(serde_json::json!({"login": "bot"})).insert_header("X-OAuth-Scopes", "repo")),
        "gitlab" => Mock::given(path("/api/v4/personal_access_tokens/self")).respond_with(ok(serde_json::json!({
            "id": 1, "name": "t", "revoked": false, "created_at": "2026-11-01T00:00:00Z", "scopes": ["api"],
            "user_id": 1, "last_used_at": null, "active": true, "expires_at": "2027-01-01"
        }))),
        _ => Mock::given(wiremock::matchers::path_regex("connectionData$")).respond_with(ok(serde_json::json!({"authenticatedUser": {"id": "bb5bb6c8"}}))),
    }
    .mount(&server)
    .await;
    Mock::given(path("/_apis/profile/profiles/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    server
}

struct Row {
    host: String,
    fault: String,
    status: String,
    rules: String,
    detail: String,
}

fn report(rows: &[Row], title: &str) -> String {
    let mut table = format!(
        "\n### {title}\n\n| host | fault | status | finding | detail |\n|---|---|---|---|---|\n"
    );
    for r in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.host,
            r.fault,
            r.status,
            r.rules,
            r.detail
                .chars()
                .take(110)
                .collect::<String>()
                .replace('|', "/")
        ));
    }
    table
}

fn write_report(section: &str) {
    let path = std::env::var_os("PATLINT_FAULT_REPORT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("patlint-fault-report.md")
        });
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(section.as_bytes()).unwrap();
}

/// Runs one `patlint check` over a token per (host, fault) plus a healthy token per host,
/// checks deadline and secrets, and returns the exit code and the JSON tokens.
async fn run_http_faults(cases: &[(&str, &str, &str)]) -> (i32, Vec<serde_json::Value>, Duration) {
    let mut policy = String::from("version = 1\n");
    let mut env = Vec::new();
    let mut secrets = Vec::new();
    for (i, (host, _, url)) in cases.iter().enumerate() {
        let var = format!("SECRET_{i}");
        let secret = format!("canary{}x{i}zz{}", host.replace('-', ""), "q".repeat(24));
        policy.push_str(&token(&format!("{host}-fault-{i}"), host, url, &var));
        env.push((var, secret.clone()));
        secrets.push(secret);
    }
    let mut healthy_servers = Vec::new();
    for host in HOSTS {
        let server = healthy(host).await;
        let var = format!("HEALTHY_{}", host.replace('-', "_").to_uppercase());
        let secret = format!("canaryhealthy{}{}", host.replace('-', ""), "w".repeat(24));
        policy.push_str(&token(
            &format!("{host}-healthy"),
            host,
            &server.uri(),
            &var,
        ));
        env.push((var, secret.clone()));
        secrets.push(secret);
        healthy_servers.push(server);
    }
    let started = Instant::now();
    let args = [
        "check",
        "--format",
        "json",
        "--timeout",
        "0.5",
        "--retries",
        "1",
        "--max-wait",
        "2",
        "--now",
        "2026-11-24",
    ];
    let (out, _) = common::run_patlint(policy, env, &args).await;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for secret in &secrets {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    // Each request is bounded by --timeout × (--retries + 1) plus backoff, and rate limits
    // by --max-wait: the run ends (`run_patlint` kills a hung one, which fails here).
    assert!(out.status.code().is_some(), "the run did not end: {stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (
        out.status.code().unwrap(),
        json["tokens"].as_array().unwrap().clone(),
        elapsed,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_http_host_fails_closed_under_every_fault() {
    let far = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 7200;
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let faults: Vec<(&str, String, Vec<MockServer>)> = {
        let mut faults = vec![
            ("connection refused", refusing_server(), vec![]),
            (
                "DNS failure",
                "https://patlint-fault.invalid".to_owned(),
                vec![],
            ),
            (
                "TLS: self-signed certificate",
                self_signed_tls_server(),
                vec![],
            ),
            ("accepts, never answers", silent_server(), vec![]),
            ("truncated body", truncating_server(), vec![]),
            (
                "whole JSON, Content-Length longer",
                cutting_server(Cut::LengthLonger),
                vec![],
            ),
            (
                "chunked, closed after the JSON",
                cutting_server(Cut::ChunkedClosed),
                vec![],
            ),
            (
                "chunked, never finished",
                cutting_server(Cut::ChunkedForever),
                vec![],
            ),
        ];
        let served: Vec<(&str, ResponseTemplate)> = vec![
            (
                "answers after the timeout",
                ResponseTemplate::new(200)
                    .set_delay(Duration::from_secs(3))
                    .set_body_json(serde_json::json!({})),
            ),
            (
                "invalid JSON",
                ResponseTemplate::new(200).set_body_raw("{\"login\": ", "application/json"),
            ),
            (
                "HTML instead of JSON",
                ResponseTemplate::new(200)
                    .set_body_raw("<html><body>Please sign in</body></html>", "text/html"),
            ),
            ("200 with an empty body", ResponseTemplate::new(200)),
            (
                "302 to another origin",
                ResponseTemplate::new(302)
                    .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
            ),
            ("429 without reset headers", ResponseTemplate::new(429)),
            (
                "403 rate limit resetting in 2 h",
                ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", far.to_string().as_str()),
            ),
            (
                "429 retry-after 1 h",
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "3600")
                    .insert_header("RateLimit-Remaining", "0"),
            ),
            (
                "5xx storm",
                ResponseTemplate::new(503).set_body_raw("Service Unavailable", "text/plain"),
            ),
        ];
        for (name, response) in served {
            let server = answering(response).await;
            faults.push((name, server.uri(), vec![server]));
        }
        faults
    };

    // Azure DevOps answers a PAT it does not accept with a sign-in page: for those two
    // faults its documented verdict is `token-invalid` (fail), in a run of their own.
    let signs_in = |host: &str, fault: &str| {
        host.starts_with("azure")
            && matches!(fault, "HTML instead of JSON" | "302 to another origin")
    };
    let mut rows = Vec::new();
    for (title, expect_failures) in [("errors", false), ("Azure sign-in pages", true)] {
        let cases: Vec<(&str, &str, &str)> = HOSTS
            .iter()
            .flat_map(|host| {
                faults
                    .iter()
                    .map(move |(fault, url, _)| (*host, *fault, url.as_str()))
            })
            .filter(|(host, fault, _)| signs_in(host, fault) == expect_failures)
            .collect();
        let (exit, tokens, elapsed) = run_http_faults(&cases).await;
        let expected_exit = if expect_failures { 1 } else { 3 };
        assert_eq!(exit, expected_exit, "{title}");
        for (i, (host, fault, _)) in cases.iter().enumerate() {
            let t = tokens
                .iter()
                .find(|t| t["name"] == format!("{host}-fault-{i}"))
                .unwrap();
            let rules: Vec<&str> = t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap())
                .collect();
            let (status, rule) = if expect_failures {
                ("fail", "token-invalid")
            } else {
                ("error", "host-error")
            };
            assert_eq!(t["status"], status, "{host} / {fault}: {t}");
            assert_eq!(rules, [rule], "{host} / {fault}: {t}");
            let detail = t["findings"][0]["message"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            rows.push(Row {
                host: host.to_string(),
                fault: fault.to_string(),
                status: status.into(),
                rules: rule.into(),
                detail,
            });
        }
        for host in HOSTS {
            let t = tokens
                .iter()
                .find(|t| t["name"] == format!("{host}-healthy"))
                .unwrap();
            assert_eq!(
                t["status"], "pass",
                "a healthy token beside the faults: {t}"
            );
        }
        rows.push(Row {
            host: "all four".into(),
            fault: format!(
                "(healthy tokens in the same run: pass; run took {:.1} s, exit {exit})",
                elapsed.as_secs_f64()
            ),
            status: "pass".into(),
            rules: "—".into(),
            detail: String::new(),
        });
    }
    let table = report(
        &rows,
        "HTTP hosts: no secret in any output, every run within its deadline",
    );
    println!("{table}");
    write_report(&table);
    drop(elsewhere); // `expect(0)`: nothing was forwarded to another origin
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_fails_closed_under_every_fault() {
    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let faults: Vec<(&str, String, Option<MockServer>)> = {
        let mut faults = vec![
            ("connection refused", refusing_server(), None),
            ("accepts, never answers", silent_server(), None),
            ("truncated body", truncating_server(), None),
            (
                "TLS: self-signed certificate",
                self_signed_tls_server(),
                None,
            ),
        ];
        for (name, response) in [
            ("invalid XML", ResponseTemplate::new(200).set_body_raw("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>", "text/xml")),
            ("HTML instead of XML", ResponseTemplate::new(200).set_body_raw("<html><body>Sign in</body></html>", "text/html")),
            ("answers after the timeout", ResponseTemplate::new(200).set_delay(Duration::from_secs(3))),
            ("5xx storm", ResponseTemplate::new(500).set_body_raw("<html>Internal Server Error</html>", "text/html")),
            ("throttling", ResponseTemplate::new(400).set_body_raw("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>", "text/xml")),
        ] {
            let server = answering(response).await;
            faults.push((name, server.uri(), Some(server)));
        }
        faults
    };
    let policy = "version = 1\n[[token]]\nname = \"jira-codecommit\"\nhost = \"aws-iam\"\naccess_key_id = { env = \"AK\" }\nsecret = { env = \"SK\" }\nmax_lifespan = \"90d\"\n";
    let mut rows = Vec::new();
    let started = Instant::now();
    for (fault, url, _server) in &faults {
        let home = tempfile::tempdir().unwrap();
        let env: Vec<(String, String)> = [
            ("AWS_ENDPOINT_URL", url.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("HOME", home.path().to_str().unwrap()),
            ("AK", KEY_ID),
            ("SK", SECRET_KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let args = [
            "check",
            "--format",
            "json",
            "--timeout",
            "0.5",
            "--retries",
            "1",
            "--now",
            "2026-11-24",
        ];
        let (out, _) = common::run_patlint(policy.to_owned(), env, &args).await;
        assert!(out.status.code().is_some(), "{fault}: the run did not end");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        for secret in [KEY_ID, SECRET_KEY] {
            common::assert_no_secret(secret, "stdout", &stdout);
            common::assert_no_secret(secret, "stderr", &stderr);
        }
        assert_eq!(out.status.code(), Some(3), "{fault}: {stdout}{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let t = &json["tokens"][0];
        assert_eq!(t["status"], "error", "{fault}: {t}");
        assert_eq!(t["findings"][0]["rule"], "host-error", "{fault}: {t}");
        rows.push(Row {
            host: "aws-iam".into(),
            fault: fault.to_string(),
            status: "error".into(),
            rules: "host-error".into(),
            detail: t["findings"][0]["message"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        });
    }
    let table = report(
        &rows,
        &format!(
            "AWS IAM: one run per fault, {:.1} s in all, exit 3 each, no secret in any output",
            started.elapsed().as_secs_f64()
        ),
    );
    println!("{table}");
    write_report(&table);
}

/// Tokens whose requests hang hold the host's concurrency while they wait; healthy tokens
/// queued behind them must not run out of their own deadline because of it.
#[tokio::test(flavor = "multi_thread")]
async fn hanging_tokens_do_not_make_healthy_ones_beside_them_fail() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .and(wiremock::matchers::header_regex("authorization", "hang"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .mount(&server)
        .await;
    let mut policy = String::from("version = 1\n");
    let mut env = Vec::new();
    // The hanging tokens come first, so they take the two permits before anyone else.
    for (i, kind) in ["hang"; 6].into_iter().chain(["ok"; 20]).enumerate() {
        let var = format!("T{i}");
        policy.push_str(&format!(
            "[[token]]\nname = \"{kind}-{i}\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"{var}\" }}\n",
            server.uri()
        ));
        env.push((var, format!("ghp_{kind}canary{i:0>30}")));
    }
    // Six hanging requests of 1 s each, two at a time: 3 s of queue, more than the
    // 2 s deadline, which counts only each token's own requests.
    let args = [
        "check",
        "--format",
        "json",
        "--concurrency",
        "2",
        "--timeout",
        "0.5",
        "--retries",
        "0",
        "--deadline",
        "2",
    ];
    let (out, _) = common::run_patlint(policy, env, &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for token in json["tokens"].as_array().unwrap() {
        let name = token["name"].as_str().unwrap();
        let expected = if name.starts_with("hang") {
            "error"
        } else {
            "pass"
        };
        assert_eq!(token["status"], expected, "{name}: {token}");
    }
}

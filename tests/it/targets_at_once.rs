//! Every declared target of every token is read at once: a local host that holds each
//! target read until all of them have arrived (a barrier), so a check that read them one
//! after the other, per target or per token, would never see its answers. wiremock cannot
//! hold an answer until other requests arrive, hence this small HTTP/1.1 server; the wait
//! is bounded, and only a failing check ever reaches the bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Barrier;

use crate::common;

/// What the host saw: how many target reads were held together at most.
struct Gate {
    barrier: Barrier,
    held: AtomicUsize,
    most_held: AtomicUsize,
}

/// GitHub's and Azure DevOps' answers to a token that works and reaches its targets.
fn answer_to(path: &str) -> (bool, &'static str) {
    match path {
        "/user" => (false, r#"{"login":"octocat"}"#),
        p if p.ends_with("/_apis/connectionData") => (
            false,
            r#"{"authenticatedUser":{"id":"bb5bb6c8-ef0a-400f-8987-92b3674d2043"}}"#,
        ),
        p if p.ends_with("/_apis/git/repositories") => (true, r#"{"count":0,"value":[]}"#),
        p if p.starts_with("/repos/") => (true, r#"{"full_name":"o/r","private":true}"#),
        p if p.starts_with("/orgs/") => (true, r#"{"login":"o"}"#),
        _ => (false, r#"{"message":"Not Found"}"#),
    }
}

async fn serve(listener: TcpListener, gate: Arc<Gate>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let gate = gate.clone();
        tokio::spawn(async move {
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            // One request after another on the connection: its line, then headers.
            while let Ok(Some(request)) = lines.next_line().await {
                while let Ok(Some(header)) = lines.next_line().await {
                    if header.is_empty() {
                        break;
                    }
                }
                let path = request.split(' ').nth(1).unwrap_or("/").to_owned();
                let path = path.split('?').next().unwrap_or("/").to_owned();
                let (target, body) = answer_to(&path);
                let status = if target && !hold(&gate).await {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if write.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Holds a target read until every one has arrived; `false` if they never all did.
async fn hold(gate: &Gate) -> bool {
    let held = gate.held.fetch_add(1, Ordering::SeqCst) + 1;
    gate.most_held.fetch_max(held, Ordering::SeqCst);
    let released = tokio::time::timeout(Duration::from_secs(20), gate.barrier.wait())
        .await
        .is_ok();
    gate.held.fetch_sub(1, Ordering::SeqCst);
    released
}

#[tokio::test(flavor = "multi_thread")]
async fn every_target_of_every_token_is_in_flight_together() {
    // Three GitHub tokens with two repositories each (and their owner, read for SSO), and
    // two Azure DevOps PATs with a project each: 3 × 3 + 2 target reads.
    const TARGETS: usize = 11;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let gate = Arc::new(Gate {
        barrier: Barrier::new(TARGETS),
        held: AtomicUsize::new(0),
        most_held: AtomicUsize::new(0),
    });
    tokio::spawn(serve(listener, gate.clone()));
    let mut text = String::from("version = 1\n");
    for i in 0..3 {
        text.push_str(&format!(
            "[[token]]\nname = \"gh{i}\"\nhost = \"github\"\nurl = \"{url}\"\nsecret = {{ file = \"SECRET0\" }}\nrepositories = [\"org{i}/app\", \"org{i}/web\"]\n"
        ));
    }
    for i in 0..2 {
        text.push_str(&format!(
            "[[token]]\nname = \"ado{i}\"\nhost = \"azure-devops\"\norganization = \"org{i}\"\nurl = \"{url}\"\nsecret = {{ file = \"SECRET1\" }}\nproject = \"app\"\n"
        ));
    }
    let settings = patlint::hosts::HttpSettings {
        // The held reads must not time out while the others arrive.
        timeout: Duration::from_secs(30),
        retries: 0,
        ..common::quick_settings()
    };
    let fine = "github_pat_11AAAAAAA0atonce0000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";
    let observations =
        common::observe_policy(&text, &[fine, "canaryazurepatatonce0000"], settings).await;
    assert_eq!(gate.most_held.load(Ordering::SeqCst), TARGETS);
    let policy = common::policy(
        &text
            .replace("SECRET0", "/unused")
            .replace("SECRET1", "/unused"),
    );
    let facts = patlint::facts::FactsFile {
        schema_version: patlint::facts::FactsFile::SCHEMA_VERSION,
        observed_at: jiff::Timestamp::now(),
        tokens: policy
            .tokens
            .iter()
            .zip(observations)
            .map(|(token, observation)| patlint::facts::TokenRecord {
                name: token.name.clone(),
                host: token.host(),
                observation,
            })
            .collect(),
    };
    let report = patlint::evaluate_all(&policy, &facts, facts.observed_at);
    for (token, spec) in report.tokens.iter().zip(&policy.tokens) {
        assert_eq!(
            token.verdict.status.as_str(),
            "pass",
            "{}: {:?}",
            spec.name,
            token.verdict.findings
        );
    }
}

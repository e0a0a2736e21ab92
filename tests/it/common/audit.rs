//! `patlint audit` through the binary, and reading its JSON report: what the audit
//! tests of every host share.

#![allow(dead_code)] // each test file uses its own share

use serde_json::Value;
use wiremock::MockServer;

/// Name/value pairs for [`super::run_patlint`]'s environment.
pub fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `patlint audit --now 2026-11-24 --format json --retries 0 EXTRA`: the exit code, the
/// report and stderr, with no part of any of `secrets` in either stream.
pub async fn run(
    policy: String,
    env: Vec<(String, String)>,
    secrets: &[&str],
    extra: &[&str],
) -> (i32, Value, String) {
    let mut args = vec![
        "audit",
        "--now",
        "2026-11-24",
        "--format",
        "json",
        "--retries",
        "0",
    ];
    args.extend(extra);
    let (out, _) = super::run_patlint(policy, env, &args).await;
    let stdout = super::text(&out.stdout);
    let stderr = super::text(&out.stderr);
    for secret in secrets {
        super::assert_no_secret(secret, "the audit's output", &stdout);
        super::assert_no_secret(secret, "the audit's errors", &stderr);
    }
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (super::code(&out), report, stderr)
}

/// The token of the report with this name.
pub fn token<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no token `{name}` in {report:#}"))
}

/// A token's findings as (rule, severity).
pub fn rules(token: &Value) -> Vec<(String, String)> {
    token["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (rule, severity), to compare with [`rules`].
pub fn finding(rule: &str, severity: &str) -> (String, String) {
    (rule.to_owned(), severity.to_owned())
}

/// Every token's name, in report order.
pub fn names(report: &Value) -> Vec<&str> {
    report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

/// Read-only: something, and nothing but GET, reached the host.
pub async fn only_gets(server: &MockServer) {
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(
            request.method,
            wiremock::http::Method::GET,
            "{}",
            request.url
        );
    }
}

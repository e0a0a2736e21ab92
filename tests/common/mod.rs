//! Helpers shared by the integration tests.
#![allow(dead_code)]

use jiff::Timestamp;
use patlint::policy::{Policy, parse_policy};

pub fn policy(text: &str) -> Policy {
    match parse_policy("patlint.toml", text) {
        Ok(p) => p,
        Err(errors) => panic!(
            "test policy is invalid: {:?}",
            errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
        ),
    }
}

pub fn at(ts: &str) -> Timestamp {
    ts.parse().unwrap()
}

/// Renders policy errors the way `patlint validate` prints them when piped.
pub fn render_policy_errors(name: &str, text: &str) -> String {
    let errors = parse_policy(name, text).expect_err("policy should be invalid");
    errors
        .0
        .iter()
        .map(|e| patlint::report::human::render_diagnostic(e, patlint::report::human::Style::PLAIN))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Observes one token of `host` at `url` with `secret` (read from a file), and checks
/// that the secret appears nowhere in what came back, serialized or in `Debug`.
pub async fn observe_token(
    host: &str,
    url: &str,
    secret: &str,
    settings: patlint::hosts::HttpSettings,
) -> patlint::facts::Observation {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let policy = policy(&format!(
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"{host}\"\nurl = \"{url}\"\nsecret = {{ file = \"{}\" }}\n",
        secret_file.display()
    ));
    let facts = patlint::hosts::observe_all(&policy, &settings).await;
    let serialized = serde_json::to_string(&facts).unwrap();
    assert!(
        !serialized.contains(secret),
        "secret leaked into facts: {serialized}"
    );
    assert!(
        !format!("{facts:?}").contains(secret),
        "secret leaked into Debug"
    );
    facts.tokens.into_iter().next().unwrap().observation
}

/// Settings that keep failing tests fast.
pub fn quick_settings() -> patlint::hosts::HttpSettings {
    patlint::hosts::HttpSettings {
        timeout: std::time::Duration::from_millis(1500),
        max_wait: std::time::Duration::from_secs(5),
        retries: 2,
        backoff: std::time::Duration::from_millis(20),
        concurrency: 64,
    }
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod audit;
pub mod aws;
pub mod azure;

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
    let facts = patlint::hosts::observe_all(&policy, &settings, jiff::Timestamp::now()).await;
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
        deadline: std::time::Duration::from_secs(30),
    }
}

/// Observes every token of a policy in which `SECRET0`, `SECRET1`, … stand for files
/// holding `secrets[0]`, `secrets[1]`, …; checks that no secret comes back.
pub async fn observe_policy(
    text: &str,
    secrets: &[&str],
    settings: patlint::hosts::HttpSettings,
) -> Vec<patlint::facts::Observation> {
    observe_policy_at(text, secrets, settings, jiff::Timestamp::now()).await
}

/// [`observe_policy`], as if observed at `observed_at`.
pub async fn observe_policy_at(
    text: &str,
    secrets: &[&str],
    settings: patlint::hosts::HttpSettings,
    observed_at: jiff::Timestamp,
) -> Vec<patlint::facts::Observation> {
    let dir = tempfile::tempdir().unwrap();
    let mut text = text.to_owned();
    for (i, secret) in secrets.iter().enumerate().rev() {
        let file = dir.path().join(format!("secret{i}"));
        std::fs::write(&file, secret).unwrap();
        text = text.replace(&format!("SECRET{i}"), &file.display().to_string());
    }
    let policy = policy(&text);
    let facts = patlint::hosts::observe_all(&policy, &settings, observed_at).await;
    let serialized = serde_json::to_string(&facts).unwrap();
    for secret in secrets {
        assert!(
            !serialized.contains(secret),
            "secret leaked into facts: {serialized}"
        );
        assert!(
            !format!("{facts:?}").contains(secret),
            "secret leaked into Debug"
        );
    }
    facts.tokens.into_iter().map(|t| t.observation).collect()
}

/// Runs `patlint ARGS --policy FILE` on a policy text written to a temporary folder,
/// with a clean environment plus `env`, off the async runtime (so local servers keep
/// answering). Returns the output and the folder's path, for scrubbing it from snapshots.
pub async fn run_patlint(
    policy_text: String,
    env: Vec<(String, String)>,
    args: &[&str],
) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy_path = dir.path().join("patlint.toml");
    std::fs::write(&policy_path, policy_text).unwrap();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("patlint")
            .unwrap()
            .env_clear()
            .envs(env)
            .args(args)
            .arg("--policy")
            .arg(&policy_path)
            // A guard against a hang, not a measure of speed: the benchmark measures that.
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (out, dir.path().display().to_string())
}

/// `patlint check --now 2026-11-24` through [`run_patlint`]: the exit code, stdout and
/// stderr, with `server` and the temporary folder replaced by placeholders.
pub async fn run_check(
    policy_text: String,
    env: Vec<(String, String)>,
    server: &str,
) -> (i32, String, String) {
    let (out, dir) = run_patlint(policy_text, env, &["check", "--now", "2026-11-24"]).await;
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(server, "http://127.0.0.1:PORT")
            .replace(&dir, "TMP")
    };
    (
        out.status.code().unwrap(),
        clean(&out.stdout),
        clean(&out.stderr),
    )
}

/// Fails if any 12-character fragment of `secret` appears in `output`.
pub fn assert_no_secret(secret: &str, what: &str, output: &str) {
    for window in secret.as_bytes().windows(12.min(secret.len())) {
        let fragment = std::str::from_utf8(window).unwrap();
        assert!(
            !output.contains(fragment),
            "{what} contains `{fragment}` of a secret:\n{output}"
        );
    }
}

/// A test tool installed by ./scripts/test: from `env_var`, else `fallback` (relative to
/// the crate). Missing fails the test under `CI=true` or when the suite runs through
/// ./scripts/test (which sets `PATLINT_REQUIRE_TOOLS=1`); elsewhere it is skipped, loudly.
pub fn required_tool(env_var: &str, fallback: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os(env_var)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(fallback));
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} is not installed: run ./scripts/test, which installs it",
        path.display()
    );
    let required = std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("PATLINT_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    if required {
        panic!("{message}");
    }
    eprintln!("SKIPPED (not on CI): {message}");
    None
}

/// The repository's root.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// patlint with a clean environment: nothing from the CI runner leaks into a test.
pub fn patlint() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("patlint").unwrap();
    cmd.env_clear().current_dir(root());
    cmd
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn code(out: &std::process::Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// The SARIF 2.1.0 schema's complaints about `sarif` (none when it is valid), with string
/// formats (`uri`, `uri-reference`) checked or not. The schema's `run.language` pattern
/// ends in a stray `]` (legal in JavaScript's lenient regexes, rejected by Rust's): the
/// one edit made to the copy before use.
pub fn sarif_schema_errors(sarif: &serde_json::Value, check_formats: bool) -> Vec<String> {
    let schema_text =
        std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json"))
            .unwrap()
            .replace("-[a-zA-Z]{2}]?$", "-[a-zA-Z]{2}$");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(check_formats)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The first token's verdict as (status, rule ids, "message [evidence]" lines), judged from
/// the facts as recorded and again after a JSON round trip: the two must agree, so that a
/// verdict never depends on more than the facts file.
pub fn verdict_live_and_replayed(
    policy: &Policy,
    facts: &patlint::facts::FactsFile,
) -> (String, Vec<String>, String) {
    let json = serde_json::to_string(facts).unwrap();
    let replayed: patlint::facts::FactsFile = serde_json::from_str(&json).unwrap();
    let verdicts: Vec<_> = [facts, &replayed]
        .into_iter()
        .map(|facts| {
            let report = patlint::evaluate_all(policy, facts, facts.observed_at);
            let findings = &report.tokens[0].verdict.findings;
            (
                report.tokens[0].verdict.status.as_str().to_owned(),
                findings
                    .iter()
                    .map(|f| f.rule.id().to_owned())
                    .collect::<Vec<_>>(),
                findings
                    .iter()
                    .map(|f| format!("{} [{}]", f.message, f.evidence.clone().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .collect();
    assert_eq!(
        verdicts[0], verdicts[1],
        "live and replayed verdicts differ"
    );
    verdicts[0].clone()
}

/// A facts file holding one observation of the policy's first token.
pub fn facts_of(
    policy: &Policy,
    observation: patlint::facts::Observation,
) -> patlint::facts::FactsFile {
    patlint::facts::FactsFile {
        schema_version: patlint::facts::FactsFile::SCHEMA_VERSION,
        observed_at: jiff::Timestamp::now(),
        tokens: vec![patlint::facts::TokenRecord {
            name: policy.tokens[0].name.clone(),
            host: policy.tokens[0].host(),
            observation,
        }],
    }
}

/// `check` of the bundled example against its bundled facts, judged at `now`: the
/// README's first command.
pub fn example_check(now: &str) -> [&str; 7] {
    [
        "check",
        "--policy",
        "fixtures/example/patlint.toml",
        "--facts",
        "fixtures/example/facts.json",
        "--now",
        now,
    ]
}

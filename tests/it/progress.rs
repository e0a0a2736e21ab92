//! A host that is slow to answer: standard error says what the run waits for (which host,
//! how many tokens, which attempt) while the wait lasts, and nothing else changes: the
//! report on standard output is the same. The interval is the hidden
//! `--progress-interval`, a few milliseconds here, against a server that answers late.

use crate::common;

use std::time::Duration;

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Two tokens on a GitHub that takes 400 ms to answer each request.
async fn slow_github() -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"login": "jira-bot"}))
                .insert_header("X-OAuth-Scopes", "repo")
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&server)
        .await;
    let url = server.uri();
    let policy = format!(
        "version = 1\n[[token]]\nname = \"a\"\nhost = \"github\"\nurl = \"{url}\"\nsecret = {{ env = \"T\" }}\n[[token]]\nname = \"b\"\nhost = \"github\"\nurl = \"{url}\"\nsecret = {{ env = \"T\" }}\n"
    );
    (server, policy)
}

async fn check(policy: String, extra: &[&str]) -> (i32, String, String) {
    let env = vec![(
        "T".to_owned(),
        "ghp_canaryProgress000000000000000000000".to_owned(),
    )];
    let mut args = vec!["check", "--now", "2026-11-24", "--format", "json"];
    args.extend_from_slice(extra);
    let (out, _) = common::run_patlint(policy, env, &args).await;
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_host_is_said_on_standard_error_and_the_report_is_unchanged() {
    let (server, policy) = slow_github().await;
    let (exit, stdout, stderr) = check(policy.clone(), &["--progress-interval", "0.02"]).await;
    assert_eq!(exit, 0, "{stderr}");
    let waiting = format!(
        "patlint: waiting for GitHub at {}: 2 tokens pending for 0 s (attempt 1 of 3)\n",
        server.uri()
    );
    assert!(stderr.contains(&waiting), "{stderr}");
    // Not a terminal: plain lines, nothing redrawn in place.
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["summary"]["pass"], 2);
    assert!(!stdout.contains("waiting"));

    // By default, a wait this short is not worth a word.
    let (exit, quiet_stdout, stderr) = check(policy, &[]).await;
    assert_eq!(exit, 0);
    assert_eq!(stderr, "");
    let quiet: serde_json::Value = serde_json::from_str(&quiet_stdout).unwrap();
    assert_eq!(quiet["tokens"], json["tokens"]);
}

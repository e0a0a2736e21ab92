//! The binary end to end where a case in tests/cases cannot say it: the JSON contract,
//! reports written to files, default policy discovery, every rule explained, and
//! failures writing the report. The fixed runs (the bundled example, `validate`,
//! `explain`, command-line errors and their exit codes) are cases in tests/cases.

use crate::common;

use assert_cmd::Command;
use common::{code, patlint, text};

fn example() -> Command {
    let mut cmd = patlint();
    cmd.args(common::example_check("2026-11-24T00:00:00Z"));
    cmd
}

#[test]
fn json_follows_the_v1_contract() {
    let out = example().args(["--format", "json"]).output().unwrap();
    assert_eq!(code(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["tool"]["name"], "patlint");
    assert_eq!(json["policy"], "fixtures/example/patlint.toml");
    assert_eq!(json["evaluated_at"], "2026-11-24T00:00:00Z");
    assert_eq!(
        json["summary"],
        serde_json::json!({"tokens": 4, "pass": 1, "fail": 2, "unverifiable": 1, "error": 0})
    );
    let first = &json["tokens"][0];
    assert_eq!(first["facts"]["kind"], "classic-pat");
    assert!(
        first["facts"].get("created_at").is_none(),
        "unobservable facts are absent"
    );
    let finding = &first["findings"][0];
    for key in ["rule", "severity", "message", "location", "evidence"] {
        assert!(finding.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(finding["location"]["path"], "fixtures/example/patlint.toml");
}

#[test]
fn one_run_feeds_several_consumers() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("report.json");
    let human_path = dir.path().join("report.txt");
    let out = example()
        .args(["--format", "human", "--format"])
        .arg(format!("json={}", json_path.display()))
        .arg("--format")
        .arg(format!("human={}", human_path.display()))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["summary"]["tokens"], 4);
    assert_eq!(
        std::fs::read_to_string(&human_path).unwrap(),
        text(&out.stdout)
    );
}

#[test]
fn the_default_policy_is_patlint_toml_then_dot_github() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".github")).unwrap();
    std::fs::write(
        dir.path().join(".github/patlint.toml"),
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\n",
    )
    .unwrap();
    let out = patlint()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(".github/patlint.toml"));

    std::fs::write(dir.path().join("patlint.toml"), "version = 2\n").unwrap();
    let out = patlint()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("patlint.toml"));

    let empty = tempfile::tempdir().unwrap();
    let out = patlint()
        .current_dir(empty.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("no policy file"));
}

#[test]
fn explain_covers_every_rule() {
    for rule in patlint::rules::Rule::all() {
        let out = patlint().args(["explain", rule.id()]).output().unwrap();
        assert_eq!(code(&out), 0);
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("Why it matters") && stdout.contains("How to fix it"),
            "{stdout}"
        );
    }
}

#[test]
fn explain_says_what_each_verdict_can_and_cannot_prove() {
    let explain = |rule: &str| {
        let out = patlint().args(["explain", rule]).output().unwrap();
        assert_eq!(code(&out), 0);
        text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let cases = [
        ("lifespan-exceeded", "judged by remaining validity"),
        ("stale-token", "GitLab refreshes `last_used_at`"),
        ("stale-token", "`sts` or `iam`"),
        ("missing-action", "`MissingContextValues`"),
        ("missing-action", "`require_actions` needs them"),
        ("global-pat-retirement", "regenerated until then"),
        ("org-reach", "organization-scoped by platform rule"),
        ("org-reach", "`targetAccounts` settles it"),
    ];
    for (rule, says) in cases {
        assert!(
            explain(rule).contains(says),
            "explain {rule}: {}",
            explain(rule)
        );
    }
}

#[test]
fn a_token_without_its_secret_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"PATLINT_TEST_UNSET\" }\n").unwrap();
    let out = patlint()
        .arg("check")
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("environment variable `PATLINT_TEST_UNSET` is not set"));
}

/// Replayed facts: SARIF says the verdicts come from a file, and a token recorded twice
/// is refused. (How far from `--now` a replay may be judged, and the human report's
/// line on it, are cases in tests/cases.)
#[test]
fn replayed_facts_are_said_to_be_a_replay_and_recorded_once() {
    let sarif = example().args(["--format", "sarif"]).output().unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["facts"],
        serde_json::json!({"source": "file", "path": "fixtures/example/facts.json", "observed_at": "2026-11-23T20:00:00Z"})
    );

    // A token recorded twice is not resolved silently.
    let dir = tempfile::tempdir().unwrap();
    let facts: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/example/facts.json")).unwrap();
    let mut doubled = facts.clone();
    let first = facts["tokens"][0].clone();
    doubled["tokens"].as_array_mut().unwrap().push(first);
    let path = dir.path().join("facts.json");
    std::fs::write(&path, doubled.to_string()).unwrap();
    let out = patlint()
        .args([
            "check",
            "--policy",
            "fixtures/example/patlint.toml",
            "--now",
            "2026-11-24T00:00:00Z",
            "--facts",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("records token `jira-github` more than once"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_is_an_error_not_the_gates_code() {
    for args in [
        &[
            "check",
            "--policy",
            "fixtures/example/patlint.toml",
            "--facts",
            "fixtures/example/facts.json",
            "--now",
            "2026-11-24T00:00:00Z",
        ][..],
        &["schema"][..],
        &["completions", "bash"][..],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_patlint"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("cannot write the report to standard output"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// The human report's last line says what the exit code says: the gate failed, passed,
/// or nothing could be checked at all (no secret reaches the run, so nothing is asked).
#[test]
fn the_closing_line_agrees_with_the_exit_code() {
    let last_line = |out: &std::process::Output| {
        text(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .to_owned()
    };
    let failed = example().output().unwrap();
    assert_eq!(code(&failed), 1);
    assert!(
        last_line(&failed).ends_with("; the gate fails (exit 1)"),
        "{}",
        last_line(&failed)
    );
    let never = example().args(["--fail-on", "never"]).output().unwrap();
    assert_eq!(code(&never), 0);
    assert!(
        last_line(&never).ends_with("; the gate passes (exit 0)"),
        "{}",
        last_line(&never)
    );
    let unchecked = patlint()
        .args(["check", "--policy", "fixtures/example/patlint.toml"])
        .args(["--now", "2026-11-24T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(code(&unchecked), 3);
    assert_eq!(
        last_line(&unchecked),
        "patlint: none of the 4 tokens could be checked against fixtures/example/patlint.toml; exit 3"
    );
}

/// Facts judged at the clock's time: the refusal names that time as now, not as a
/// `--now` the user did not give.
#[test]
fn replayed_facts_judged_at_the_clock_do_not_name_a_now_that_was_not_given() {
    let out = patlint()
        .args(["check", "--policy", "fixtures/example/patlint.toml"])
        .args(["--facts", "fixtures/example/facts.json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no --now was given"), "{stderr}");
    assert!(!stderr.contains("--now ("), "{stderr}");
}

/// A fine-grained token shows no scopes: what its probes settled is in the JSON facts and
/// in the job summary's "Scopes" cell instead of "not observable"; and the summary has no
/// "Waived" column when nothing is waived.
#[test]
fn a_fine_grained_tokens_probed_grants_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"P\" }\nrepositories = [\"octo-org/octo-repo\"]\nrequire_permissions = { contents = \"write\" }\n",
    )
    .unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        serde_json::json!({
            "schema_version": 1, "observed_at": "2026-11-24T00:00:00Z",
            "tokens": [{"name": "jira", "host": "github", "outcome": "observed", "facts": {
                "kind": "fine-grained-pat", "expires_at": "2027-01-15T00:00:00Z",
                "unobservable": {"scopes": "fine-grained personal access tokens have permissions, which GitHub does not reveal to the token"},
                "grants": [
                    {"target": "octo-org/octo-repo", "permission": "repository", "settled": "granted", "evidence": "probe: GET /repos/octo-org/octo-repo → 200"},
                    {"target": "octo-org/octo-repo", "permission": "contents:write", "settled": "granted", "evidence": "probe: POST /repos/octo-org/octo-repo/git/refs → 422"},
                    {"target": "octo-org", "permission": "sso", "settled": "granted", "evidence": "probe: GET /repos/octo-org/octo-repo → 200"}
                ]
            }}]
        })
        .to_string(),
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    let json_path = dir.path().join("report.json");
    let out = patlint()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "check",
            "--now",
            "2026-11-24",
            "--format",
            "github",
            "--format",
        ])
        .arg(format!("json={}", json_path.display()))
        .arg("--policy")
        .arg(&policy)
        .arg("--facts")
        .arg(&facts)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let grants = &json["tokens"][0]["facts"]["grants"];
    assert_eq!(grants[1]["permission"], "contents:write");
    assert_eq!(grants[1]["settled"], "granted");
    assert_eq!(grants[1]["target"], "octo-org/octo-repo");
    assert!(
        grants[1]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("probe: POST")
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("| Token | Host | Status | Expires | Days left | Scopes | Findings |\n|---|---|---|---|---|---|---|\n"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "| probed: `repository` ✓ on octo-org/octo-repo, `contents:write` ✓ on octo-org/octo-repo, `sso` ✓ on octo-org |"
        ),
        "{summary}"
    );
    assert!(!summary.contains("not observable |"), "{summary}");
}

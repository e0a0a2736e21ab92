//! The binary end to end: exit codes, formats, default policy discovery, the bundled
//! example, and what `validate` and `explain` say.

use crate::common;

use assert_cmd::Command;
use common::{code, patlint, text};

fn example() -> Command {
    let mut cmd = patlint();
    cmd.args(common::example_check("2026-11-24T00:00:00Z"));
    cmd
}

#[test]
fn the_bundled_example_shows_real_diagnostics_and_fails_the_gate() {
    let out = example().output().unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("forbidden-scope") && stdout.contains("token-invalid"));
    insta::assert_snapshot!("example-human", stdout);
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
    insta::assert_json_snapshot!("example-json", json);
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

    let two_stdout = example()
        .args(["--format", "human", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&two_stdout), 2);
    assert!(text(&two_stdout.stderr).contains("only one --format can go to standard output"));
}

#[test]
fn command_line_errors_exit_2() {
    let out = example().args(["--format", "yaml"]).output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("unknown format `yaml`"));
    let out = example().args(["--now", "yesterday"]).output().unwrap();
    assert_eq!(code(&out), 2);
    let out = patlint()
        .args(["check", "--policy", "does/not/exist.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("cannot read policy"));
}

#[test]
fn validate_reports_every_problem_and_exits_2() {
    let out = patlint()
        .args([
            "validate",
            "--policy",
            "fixtures/policies/invalid/unknown-keys.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("did you mean `expiry_warning`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `require_scopes`?"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problems in the policy"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn validate_accepts_a_good_policy_and_dates_the_global_pat_retirement() {
    let ok = patlint()
        .args(["validate", "--policy", "fixtures/example/patlint.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&ok), 0, "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("is valid: 4 tokens"));

    let before = patlint()
        .args([
            "validate",
            "--policy",
            "fixtures/policies/valid/spec-example.toml",
            "--now",
            "2026-11-24",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&before), 0);
    let stdout = text(&before.stdout);
    assert!(
        stdout.contains("global-pat-retirement") && stdout.contains("7 days left"),
        "{stdout}"
    );

    let after = patlint()
        .args([
            "validate",
            "--policy",
            "fixtures/policies/valid/spec-example.toml",
            "--now",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&after), 1);
    let after = text(&after.stdout);
    assert!(
        after.contains("global PATs no longer") && after.contains("(since 2026-12-01)"),
        "{after}"
    );
}

#[test]
fn the_default_policy_is_patlint_toml_then_dot_github() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".github")).unwrap();
    std::fs::write(dir.path().join(".github/patlint.toml"), "version = 1\n").unwrap();
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
    let out = patlint()
        .args(["explain", "missing-scope"])
        .output()
        .unwrap();
    insta::assert_snapshot!("explain-missing-scope", text(&out.stdout));
    let out = patlint()
        .args(["explain", "mising-scope"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("did you mean `missing-scope`?"));
    let out = patlint().arg("explain").output().unwrap();
    assert!(text(&out.stdout).contains("lifespan-exceeded"));
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
        ("global-pat-retirement", "2026-03-15"),
        ("org-reach", "organization-scoped by platform rule"),
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

/// Replayed facts: judged only near the time they were observed, one record per token,
/// and every report says the verdicts come from a file.
#[test]
fn replayed_facts_are_dated_bounded_and_said_to_be_a_replay() {
    let replay = |now: &str, extra: &[&str]| {
        patlint()
            .args(common::example_check(now))
            .args(extra)
            .output()
            .unwrap()
    };
    // Observed 2026-11-23T20:00Z: two days later is too old by default, fine when asked.
    let old = replay("2026-11-25T21:00:00Z", &[]);
    assert_eq!(code(&old), 2, "{}", text(&old.stdout));
    let said = text(&old.stderr);
    assert!(
        said.contains("observed at 2026-11-23T20:00:00Z, 2 days 1 hour before --now")
            && said.contains("--max-facts-age (1 day)"),
        "{said}"
    );
    assert_eq!(
        code(&replay("2026-11-25T21:00:00Z", &["--max-facts-age", "3d"])),
        1
    );
    // Facts from two days after --now judge a time they did not see.
    let early = replay("2026-11-21T12:00:00Z", &[]);
    assert_eq!(code(&early), 2);
    assert!(text(&early.stderr).contains("after --now"));

    // Every machine format says where the verdicts come from.
    let sarif = replay("2026-11-24T00:00:00Z", &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["facts"],
        serde_json::json!({"source": "file", "path": "fixtures/example/facts.json", "observed_at": "2026-11-23T20:00:00Z"})
    );
    let human = text(&replay("2026-11-24T00:00:00Z", &[]).stdout);
    assert!(human.contains("verdicts from the facts file `fixtures/example/facts.json`"));

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

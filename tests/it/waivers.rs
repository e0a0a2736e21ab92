//! `[[waiver]]` through the binary, on the bundled example (whose `jira-github` token has a
//! `lifespan-exceeded` and a `forbidden-scope` finding): waived, expired, ending soon,
//! unused, globbed; every refusal of `validate`; every format's rendering.

use crate::common;

use common::{code, patlint, root, text};

const NOW: &str = "2026-11-24T00:00:00Z";

/// The example policy with `waivers` appended, in a temporary directory.
fn policy_with(waivers: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patlint.toml");
    let example = std::fs::read_to_string(root().join("fixtures/example/patlint.toml")).unwrap();
    std::fs::write(&path, format!("{example}\n{waivers}")).unwrap();
    (dir, path)
}

fn run(waivers: &str, args: &[&str]) -> (i32, String, String) {
    let (dir, path) = policy_with(waivers);
    let out = patlint()
        .args([
            "check",
            "--now",
            NOW,
            "--facts",
            "fixtures/example/facts.json",
            "--policy",
        ])
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let clean = |s: String| s.replace(&dir.path().display().to_string(), "TMP");
    (
        code(&out),
        clean(text(&out.stdout)),
        clean(text(&out.stderr)),
    )
}

fn json(waivers: &str) -> (i32, serde_json::Value) {
    let (exit, stdout, stderr) = run(waivers, &["--format", "json"]);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (exit, json)
}

fn token<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
}

const BOTH: &str = r#"[[waiver]]
token  = "jira-github"
rule   = ["lifespan-exceeded", "forbidden-scope"]
until  = "2027-01-31"
reason = "vendor app needs a 1-year token until the GitHub App migration (JIRA-1234)"

[[waiver]]
token  = "release-bot"
rule   = "missing-scope"
until  = "2027-01-31"
reason = "the release bot is being retired (OPS-77)"
"#;

#[test]
fn a_waived_finding_is_reported_but_no_longer_fails() {
    let (exit, json) = json(BOTH);
    let github = token(&json, "jira-github");
    assert_eq!(github["status"], "pass", "{github:#}");
    let findings = github["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    for finding in findings {
        assert_eq!(finding["waived"]["until"], "2027-01-31T00:00:00Z");
        assert!(
            finding["waived"]["reason"]
                .as_str()
                .unwrap()
                .contains("JIRA-1234")
        );
        assert_eq!(finding["waived"]["location"]["line"], 36);
    }
    // release-bot is still rejected (token-invalid cannot be waived), and its unused
    // waiver says so.
    assert_eq!(exit, 1);
    let bot = token(&json, "release-bot");
    let rules: Vec<&str> = bot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["token-invalid", "waiver-unused"], "{bot:#}");
}

#[test]
fn a_token_whose_only_violations_are_waived_passes_and_the_gate_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        r#"version = 1
[[token]]
name = "jira"
host = "github"
secret = { env = "T" }
max_lifespan = "90d"

[[waiver]]
token  = "jira"
rule   = "lifespan-exceeded"
until  = "2027-01-31"
reason = "one-year token until the GitHub App migration (JIRA-1234)"
"#,
    )
    .unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"schema_version":1,"observed_at":"2026-11-24T00:00:00Z","tokens":[{"name":"jira","host":"github","outcome":"observed","facts":{"kind":"classic-pat","scopes":["repo"],"expires_at":"2027-11-01T00:00:00Z"}}]}"#,
    )
    .unwrap();
    let out = patlint()
        .args(["check", "--now", NOW, "--format", "json", "--policy"])
        .arg(&policy)
        .arg("--facts")
        .arg(&facts)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tokens"][0]["status"], "pass");
    assert_eq!(
        json["tokens"][0]["findings"][0]["rule"],
        "lifespan-exceeded"
    );
    assert!(json["tokens"][0]["findings"][0]["waived"].is_object());
}

#[test]
fn an_expired_waiver_waives_nothing_and_is_an_error() {
    let (exit, json) = json(&BOTH.replace("2027-01-31", "2026-11-01"));
    assert_eq!(exit, 1);
    let github = token(&json, "jira-github");
    assert_eq!(github["status"], "fail");
    let rules: Vec<&str> = github["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["lifespan-exceeded", "forbidden-scope", "waiver-expired"],
        "{github:#}"
    );
    let expired = &github["findings"][2];
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("ended on 2026-11-01 (23 days ago)")
    );
    assert!(github["findings"][0].get("waived").is_none());
}

#[test]
fn a_waiver_ending_within_the_warning_window_warns() {
    let (_, json) = json(&BOTH.replace("2027-01-31", "2026-12-01"));
    let github = token(&json, "jira-github");
    assert_eq!(github["status"], "pass");
    let soon = github["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "waiver-expires-soon")
        .expect("a warning");
    assert_eq!(soon["severity"], "warning");
    assert!(soon["message"].as_str().unwrap().contains("ends in 7 days"));
}

#[test]
fn a_glob_waives_every_token_it_names() {
    let (_, json) = json(
        r#"[[waiver]]
token  = "jira-*"
rule   = ["lifespan-exceeded", "forbidden-scope", "expires-soon", "unverifiable"]
until  = "2027-01-31"
reason = "all Jira tokens move to a GitHub App in January (JIRA-1234)"
"#,
    );
    for name in ["jira-github", "jira-ghes", "jira-github-fine-grained"] {
        let t = token(&json, name);
        assert_eq!(t["status"], "pass", "{t:#}");
        assert!(
            t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f.get("waived").is_some())
        );
    }
}

#[test]
fn validate_refuses_every_malformed_waiver() {
    let cases = [
        (
            "[[waiver]]\ntoken = \"jira-github\"\nuntil = \"2027-01-31\"\nreason = \"x\"\n",
            "this waiver has no `rule`",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceeded\"\nreason = \"x\"\n",
            "this waiver has no `until`",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceeded\"\nuntil = \"2027-01-31\"\n",
            "this waiver has no `reason`",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceded\"\nuntil = \"2027-01-31\"\nreason = \"x\"\n",
            "did you mean `lifespan-exceeded`?",
        ),
        (
            "[[waiver]]\ntoken = \"jira-gthub\"\nrule = \"lifespan-exceeded\"\nuntil = \"2027-01-31\"\nreason = \"x\"\n",
            "no token of the policy is `jira-gthub`",
        ),
        (
            "[[waiver]]\ntoken = \"release-bot\"\nrule = \"token-invalid\"\nuntil = \"2027-01-31\"\nreason = \"x\"\n",
            "`token-invalid` cannot be waived",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"host-error\"\nuntil = \"2027-01-31\"\nreason = \"x\"\n",
            "`host-error` cannot be waived",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceeded\"\nuntil = \"2036-01-31\"\nreason = \"x\"\n",
            "more than `max_waiver` (90 days) from now",
        ),
        (
            "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceeded\"\nuntil = \"soon\"\nreason = \"x\"\n",
            "invalid `until`",
        ),
    ];
    for (waiver, says) in cases {
        let (dir, path) = policy_with(waiver);
        let out = patlint()
            .args(["validate", "--now", NOW, "--policy"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(code(&out), 2, "{waiver}: {stderr}");
        let flat = stderr
            .split_whitespace()
            .filter(|w| *w != "|")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains(says),
            "{waiver}: expected `{says}` in {stderr}"
        );
        drop(dir);
    }
    // A longer `max_waiver` in [defaults] allows a longer waiver.
    let (_dir, path) = policy_with(
        "[[waiver]]\ntoken = \"jira-github\"\nrule = \"lifespan-exceeded\"\nuntil = \"2027-06-30\"\nreason = \"x\"\n",
    );
    let text_with_max = std::fs::read_to_string(&path)
        .unwrap()
        .replace("[defaults]", "[defaults]\nmax_waiver = \"365d\"");
    std::fs::write(&path, text_with_max).unwrap();
    let out = patlint()
        .args(["validate", "--now", NOW, "--policy"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn a_waiver_in_defaults_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patlint.toml");
    std::fs::write(
        &path,
        "version = 1\n[defaults]\nwaiver = { token = \"t\", rule = \"stale-token\", until = \"2027-01-01\", reason = \"x\" }\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\n",
    )
    .unwrap();
    let out = patlint()
        .args(["validate", "--now", NOW, "--policy"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("a waiver cannot be a setting of [defaults]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn every_format_shows_a_waived_finding_as_waived() {
    let waiver = BOTH.split("\n\n").next().unwrap();
    let (_, human, _) = run(waiver, &[]);
    assert!(
        human.contains("waived lifespan-exceeded: token `jira-github`"),
        "{human}"
    );
    insta::assert_snapshot!("waived-human", human);

    let (_, sarif, _) = run(waiver, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let suppressed: Vec<_> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    assert_eq!(suppressed[0]["suppressions"][0]["status"], "accepted");
    // The SARIF 2.1.0 schema accepts it.
    let errors = common::sarif_schema_errors(&sarif, false);
    assert!(errors.is_empty(), "{errors:#?}");

    let (_, quality, _) = run(waiver, &["--format", "gitlab"]);
    let mut quality: serde_json::Value = serde_json::from_str(&quality).unwrap();
    for issue in quality.as_array_mut().unwrap() {
        // Fingerprints hash the policy's path, which is a new temporary one each run.
        issue.as_object_mut().unwrap().remove("fingerprint");
    }
    insta::assert_json_snapshot!("waived-code-quality", quality);
    let (_, junit, _) = run(waiver, &["--format", "junit"]);
    assert_eq!(
        junit
            .matches("<skipped message=\"waived until 2027-01-31")
            .count(),
        2,
        "{junit}"
    );
    let (_, annotations, _) = run(waiver, &["--format", "github"]);
    insta::assert_snapshot!("waived-github-annotations", annotations);
    let (_, azure, _) = run(waiver, &["--format", "azure"]);
    insta::assert_snapshot!("waived-azure", azure);

    let (dir, path) = policy_with(waiver);
    let summary = dir.path().join("summary.md");
    patlint()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "check",
            "--now",
            NOW,
            "--facts",
            "fixtures/example/facts.json",
            "--format",
            "github",
            "--policy",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains(
            "| — | lifespan-exceeded (until 2027-01-31), forbidden-scope (until 2027-01-31) |"
        ),
        "{summary}"
    );
}

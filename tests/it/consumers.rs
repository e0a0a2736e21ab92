//! patlint's outputs through their consumers' own parsers and schemas, installed from npm
//! by `./scripts/test` into `.tools/consumers` (`PATLINT_CONSUMERS`): Mermaid's parser
//! (under jsdom) for the job summary's chart, libxml2's xmllint for JUnit against
//! Jenkins' xunit-plugin XSD. Under `CI=true` a missing tool fails the run.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{patlint, root, text};

fn consumers() -> Option<PathBuf> {
    common::required_tool("PATLINT_CONSUMERS", ".tools/consumers")
}

/// Runs one of `tests/consumers/*.mjs` on `file`; returns its verdict line(s).
fn consume(script: &str, tools: &Path, args: &[&Path]) -> (bool, String) {
    let out = Command::new("node")
        .arg(root().join("tests/consumers").join(script))
        .arg(tools)
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), text(&out.stdout) + &text(&out.stderr))
}

fn example(format: &str, summary: Option<&Path>) -> String {
    let mut cmd = patlint();
    if let Some(summary) = summary {
        cmd.env("GITHUB_STEP_SUMMARY", summary);
    }
    let out = cmd
        .args(common::example_check("2026-11-24T00:00:00Z"))
        .args(["--format", format])
        .output()
        .unwrap();
    text(&out.stdout)
}

#[test]
fn the_job_summary_chart_is_accepted_by_mermaid() {
    let Some(tools) = consumers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    example("github", Some(&summary));
    let (ok, said) = consume("mermaid-parse.mjs", &tools, &[&summary]);
    assert!(ok, "{said}");

    // The parser is real: the milestone the chart used to have is refused.
    let broken = dir.path().join("broken.md");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&summary)
            .unwrap()
            .replace("    evaluated :milestone", "    2026-11-24 :milestone"),
    )
    .unwrap();
    let (ok, said) = consume("mermaid-parse.mjs", &tools, &[&broken]);
    assert!(!ok, "{said}");
}

/// Thousands of tokens: the summary stays under GitHub's 1 MiB, the chart under Mermaid's
/// `maxTextSize`, and both say what they left out.
#[test]
fn a_large_summary_stays_within_github_and_mermaid_limits() {
    let Some(tools) = consumers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut policy = String::from("version = 1\n");
    let mut records = Vec::new();
    for i in 0..9_000 {
        policy.push_str(&format!(
            "[[token]]\nname = \"integration-token-{i:05}\"\nhost = \"github\"\nsecret = {{ env = \"T\" }}\nforbid_scopes = [\"delete_repo\", \"admin:org\"]\n"
        ));
        records.push(serde_json::json!({
            "name": format!("integration-token-{i:05}"), "host": "github", "outcome": "observed",
            "facts": {"kind": "classic-pat", "scopes": ["repo", "admin:org", "delete_repo", "workflow"],
                      "expires_at": format!("2027-{:02}-{:02}T00:00:00Z", 1 + i % 12, 1 + i % 28)}
        }));
    }
    let policy_path = dir.path().join("patlint.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let facts_path = dir.path().join("facts.json");
    std::fs::write(
        &facts_path,
        serde_json::json!({"schema_version": 1, "observed_at": "2026-11-24T00:00:00Z", "tokens": records}).to_string(),
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    patlint()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "check",
            "--now",
            "2026-11-24T00:00:00Z",
            "--format",
            "github=/dev/null",
            "--policy",
        ])
        .arg(&policy_path)
        .arg("--facts")
        .arg(&facts_path)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.len() < 1024 * 1024, "{} bytes", text.len());
    assert!(text.contains("more tokens: GitHub shows at most 1 MiB"));
    assert!(text.contains("The chart shows the"));
    let (ok, said) = consume("mermaid-parse.mjs", &tools, &[&summary]);
    assert!(ok, "{said}");
}

#[test]
fn junit_is_valid_against_jenkins_xunit_schema_and_gitlab_sees_the_violation() {
    let Some(tools) = consumers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    let junit = example("junit", None);
    std::fs::write(&report, &junit).unwrap();
    let xsd = root().join("tests/fixtures/junit-10.xsd");
    let (ok, said) = consume("xmllint.mjs", &tools, &[&report, &xsd]);
    assert!(ok, "{said}");

    // GitLab keeps only the text of <failure>: the violation is its first line.
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.text().unwrap().lines().next(),
        failure.attribute("message")
    );
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .all(|n| n.attribute("time").is_some())
    );

    // The schema check is real: a `file` attribute on a test case is refused.
    std::fs::write(
        &report,
        junit.replacen("<testcase ", "<testcase file=\"x\" ", 1),
    )
    .unwrap();
    let (ok, said) = consume("xmllint.mjs", &tools, &[&report, &xsd]);
    assert!(!ok, "{said}");
}

/// The policy's JSON Schema, as editors use it: ajv in strict mode compiles it and taplo
/// (the TOML language server's CLI) applies it; every valid policy passes both, and the
/// invalid fixtures a schema can see fail both.
#[test]
fn the_policy_schema_compiles_in_strict_ajv_and_taplo_agrees_with_validate() {
    let Some(tools) = consumers() else { return };
    let schema = root().join("patlint.schema.json");
    // One taplo run over many files: the files it refuses, by its "invalid file" lines.
    let taplo_refuses = |files: &[PathBuf]| -> Vec<PathBuf> {
        let out = Command::new(tools.join("node_modules/.bin/taplo"))
            .args(["lint", "--schema"])
            .arg(format!("file://{}", schema.display()))
            .args(files)
            .output()
            .unwrap();
        let said = text(&out.stderr) + &text(&out.stdout);
        files
            .iter()
            .filter(|f| {
                said.lines().any(|l| {
                    l.contains("invalid file") && l.contains(&format!("path=\"{}\"", f.display()))
                })
            })
            .cloned()
            .collect()
    };
    let valid = [
        "fixtures/example/patlint.toml",
        "fixtures/policies/valid/spec-example.toml",
        "fixtures/policies/valid/every-host-readonly.toml",
        "policies/git-integration-for-jira.toml",
        "policies/git-integration-for-jira-readonly.toml",
    ]
    .map(|f| root().join(f));
    let invalid = [
        "bad-actions",
        "bad-durations",
        "minutes-and-zero-durations",
        "bad-on-unverifiable",
        "literal-secret",
        "missing-keys",
        "no-version",
        "plain-http",
        "unknown-host",
        "unknown-keys",
        "unknown-preset",
        "wrong-types",
    ]
    .map(|name| root().join(format!("fixtures/policies/invalid/{name}.toml")));
    assert_eq!(taplo_refuses(&valid), Vec::<PathBuf>::new());
    assert_eq!(taplo_refuses(&invalid), invalid.to_vec());
    // ajv reads JSON: each policy as the TOML parser reads it, in one run.
    let dir = tempfile::tempdir().unwrap();
    let documents: Vec<PathBuf> = valid
        .iter()
        .chain(&invalid)
        .enumerate()
        .map(|(i, file)| {
            let json: serde_json::Value =
                toml::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let path = dir.path().join(format!("{i}.json"));
            std::fs::write(&path, json.to_string()).unwrap();
            path
        })
        .collect();
    let args: Vec<&Path> = std::iter::once(schema.as_path())
        .chain(documents.iter().map(PathBuf::as_path))
        .collect();
    let (compiled, said) = consume("ajv-check.mjs", &tools, &args);
    assert!(compiled, "{said}");
    let verdicts: Vec<&str> = said.lines().collect();
    assert_eq!(verdicts.len(), documents.len(), "{said}");
    for (i, verdict) in verdicts.iter().enumerate() {
        let expected_ok = i < valid.len();
        assert_eq!(verdict.starts_with("ok "), expected_ok, "{verdict}");
    }
}

/// Every Code Quality issue passes GitLab's own schema (its codeclimate parser's), waived
/// ones included; the check is real.
#[test]
fn code_quality_issues_pass_gitlabs_codeclimate_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/gitlab-codeclimate.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let issues: serde_json::Value = serde_json::from_str(&example("gitlab", None)).unwrap();
    let issues = issues.as_array().unwrap();
    assert!(!issues.is_empty());
    for issue in issues {
        let errors: Vec<String> = validator
            .iter_errors(issue)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{issue}: {errors:?}");
    }
    let mut broken = issues[0].clone();
    broken.as_object_mut().unwrap().remove("fingerprint");
    assert!(!validator.is_valid(&broken));
}

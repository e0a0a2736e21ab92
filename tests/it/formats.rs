//! The CI formats: SARIF (validated against the schema and GitHub's own requirements),
//! GitHub annotations and job summary, GitLab Code Quality, JUnit, Azure Pipelines, and
//! exit codes that are the same whatever the format. The bundled example's exact report in
//! the GitHub, GitLab and Azure formats is a case in tests/cases; here, what each format
//! must contain.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

const FORMATS: [&str; 9] = [
    "human",
    "json",
    "sarif",
    "github",
    "gitlab",
    "junit",
    "azure",
    "openmetrics",
    "markdown",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example(format: &str, extra: &[&str]) -> Output {
    example_at(format, "2026-11-24T00:00:00Z", extra)
}

/// The bundled example, judged as of `now`.
fn example_at(format: &str, now: &str, extra: &[&str]) -> Output {
    Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .current_dir(root())
        .args(common::example_check(now))
        .args([
            // The bundled facts are a replay from 2026-11-23; some tests judge them later.
            "--max-facts-age",
            "7d",
            "--format",
            format,
        ])
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A policy whose only token passes, checked from recorded facts.
fn clean(format: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"schema_version":1,"observed_at":"2026-11-24T00:00:00Z","tokens":[{"name":"jira","host":"github","outcome":"observed","facts":{"kind":"classic-pat","scopes":["repo"],"expires_at":"2027-01-31T00:00:00Z"}}]}"#,
    )
    .unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"P\" }\nrequire_scopes = [\"repo\"]\n").unwrap();
    Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .args([
            "check",
            "--now",
            "2026-11-24",
            "--format",
            format,
            "--policy",
        ])
        .arg(&policy)
        .arg("--facts")
        .arg(&facts)
        .output()
        .unwrap()
}

#[test]
fn sarif_validates_and_meets_github_requirements() {
    let out = example("sarif", &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit codes are the same in SARIF mode"
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = common::sarif_schema_errors(&sarif, false);
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["message"] = serde_json::json!({});
    broken["version"] = "2.0".into();
    assert!(
        common::sarif_schema_errors(&broken, false).len() >= 2,
        "the schema check is real"
    );

    // GitHub's own requirements (docs.github.com, "SARIF support for code scanning"), which the schema does not enforce.
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].is_string());
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "patlint");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), patlint::rules::Rule::ALL.len());
    for rule in rules {
        for text in [
            &rule["shortDescription"]["text"],
            &rule["fullDescription"]["text"],
            &rule["help"]["text"],
        ] {
            let text = text.as_str().unwrap();
            assert!(
                !text.is_empty() && text.len() <= 1024
                    || text == rule["help"]["text"].as_str().unwrap(),
                "{rule}"
            );
        }
        assert!(!rule["id"].as_str().unwrap().is_empty());
        assert!(rule["shortDescription"]["text"].as_str().unwrap().len() <= 1024);
        assert!(rule["fullDescription"]["text"].as_str().unwrap().len() <= 1024);
        assert!(
            ["note", "warning", "error"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for result in results {
        let rule_id = result["ruleId"].as_str().unwrap();
        assert!(!rule_id.is_empty());
        assert_eq!(
            rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            rule_id
        );
        assert!(["note", "warning", "error"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let locations = result["locations"].as_array().unwrap();
        assert!((1..=10).contains(&locations.len()));
        let physical = &locations[0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "fixtures/example/patlint.toml"
        );
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                physical["region"][key].as_u64().unwrap() >= 1,
                "{key} in {result}"
            );
        }
        assert!(
            result["partialFingerprints"]["patlint/v1"]
                .as_str()
                .unwrap()
                .len()
                == 16
        );
    }
    // A preset's setting is located at the `extends` line of the policy file.
    let preset = results
        .iter()
        .find(|r| r["ruleId"] == "unverifiable")
        .unwrap();
    assert_eq!(
        preset["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
}

#[test]
fn sarif_has_an_empty_results_array_when_clean() {
    let out = clean("sarif");
    assert_eq!(out.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn fingerprints_are_stable_when_messages_change() {
    let prints = |now: &str| {
        let out = example_at("gitlab", now, &[]);
        let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["check_name"].as_str().unwrap().to_owned(),
                    i["fingerprint"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let today = prints("2026-11-24");
    let tomorrow = prints("2026-11-25");
    assert_eq!(today, tomorrow);
    let unique: std::collections::HashSet<_> = today.iter().map(|(_, f)| f).collect();
    assert_eq!(
        unique.len(),
        today.len(),
        "fingerprints are unique per finding"
    );
}

#[test]
fn gitlab_code_quality_has_every_required_field() {
    let out = example("gitlab", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.starts_with('\u{feff}'));
    let issues: serde_json::Value = serde_json::from_str(&text).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 5);
    for issue in issues {
        assert!(
            issue["description"].is_string()
                && issue["check_name"].is_string()
                && issue["fingerprint"].is_string()
        );
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert_eq!(issue["location"]["path"], "fixtures/example/patlint.toml");
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn github_annotations_are_escaped_and_most_severe_first() {
    let out = example("github", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    let severities: Vec<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        severities,
        ["::error", "::error", "::error", "::warning", "::warning"]
    );
    for line in &lines {
        assert!(
            line.contains("file=fixtures/example/patlint.toml,line="),
            "{line}"
        );
        assert!(line.contains(",endLine=") && line.contains(",col=") && line.contains(",title="));
        // One line per annotation: newlines in messages are escaped.
        assert!(line.contains("%0A"));
    }
}

#[test]
fn github_job_summary_has_a_table_and_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "previous step's summary\n").unwrap();
    let out = Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(root())
        .args(common::example_check("2026-11-24"))
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("previous step's summary\n"),
        "the summary is appended to"
    );
    assert!(text.contains("| Token | Host | Status | Expires | Days left | Scopes | Findings |"));
    assert!(
        text.contains("| jira-ghes | github | ✅ pass | 2026-12-01 | 7 | `repo` | expires-soon |"),
        "{text}"
    );
    assert!(text.contains("```mermaid\ngantt"));
    assert!(
        text.contains("expiry warning :crit, w1, 2026-11-24, 2026-12-01"),
        "{text}"
    );
    insta::assert_snapshot!("github-summary", text);
}

#[test]
fn junit_has_a_case_per_token_and_rule() {
    let out = example("junit", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        cases.len(),
        5,
        "one per finding; every token of the example has one"
    );
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(failures, 3);
    let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert!(names.contains(&"release-bot: token-invalid"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("3"));

    // Could-not-check is an <error>, not a failure.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"PATLINT_UNSET\" }\n").unwrap();
    let out = Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .args(["check", "--format", "junit", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("error") && n.attribute("type") == Some("secret-unavailable"))
    );
}

#[test]
fn azure_logging_commands_and_task_completion() {
    // One token: "1 token", never "1 tokens".
    let one = stdout(&clean("azure"));
    assert!(one.contains("patlint: 1 token: 1 pass"), "{one}");
    let out = example("azure", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let issues: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("##vso[task.logissue"))
        .collect();
    assert_eq!(issues.len(), 5);
    assert!(
        issues[0].starts_with(
            "##vso[task.logissue type=error;sourcepath=fixtures/example/patlint.toml;linenumber="
        ),
        "{}",
        issues[0]
    );
    assert!(issues.iter().all(|l| l.contains(";code=")));
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Failed;]")
    );

    let out = clean("azure");
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("task.complete"));
}

#[test]
fn exit_codes_are_the_same_in_every_format() {
    for format in FORMATS {
        assert_eq!(example(format, &[]).status.code(), Some(1), "{format}");
        assert_eq!(clean(format).status.code(), Some(0), "{format}");
        assert_eq!(
            example(format, &["--fail-on", "never"]).status.code(),
            Some(0),
            "{format}"
        );
    }
}

#[test]
fn fail_on_sets_the_threshold_and_allow_unchecked_relaxes_exit_3() {
    // The example's warnings alone (expires-soon) fail under --fail-on warning.
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"schema_version":1,"observed_at":"2026-11-24T00:00:00Z","tokens":[{"name":"jira","host":"github","outcome":"observed","facts":{"kind":"classic-pat","scopes":["repo"],"expires_at":"2026-11-30T00:00:00Z"}}]}"#,
    )
    .unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"P\" }\n[[token]]\nname = \"gone\"\nhost = \"github\"\nsecret = { env = \"P\" }\n").unwrap();
    let run = |extra: &[&str]| {
        Command::cargo_bin("patlint")
            .unwrap()
            .env_clear()
            .args(["check", "--now", "2026-11-24", "--policy"])
            .arg(&policy)
            .arg("--facts")
            .arg(&facts)
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    // `gone` has no recorded facts: exit 3, unless unchecked tokens are allowed.
    assert_eq!(run(&[]), Some(3));
    assert_eq!(run(&["--allow-unchecked"]), Some(0));
    assert_eq!(run(&["--fail-on", "warning"]), Some(1));
    assert_eq!(run(&["--fail-on", "note", "--allow-unchecked"]), Some(1));
    assert_eq!(run(&["--fail-on", "never"]), Some(3));
}

#[test]
fn fingerprints_survive_edits_elsewhere_in_the_policy() {
    let prints = |policy: &Path| {
        let out = Command::cargo_bin("patlint")
            .unwrap()
            .env_clear()
            .current_dir(root())
            .args([
                "check",
                "--facts",
                "fixtures/example/facts.json",
                "--format",
                "gitlab",
                "--now",
                "2026-11-24",
                "--policy",
            ])
            .arg(policy)
            .output()
            .unwrap();
        let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // The same path before and after the edit, as in a repository.
    let text = std::fs::read_to_string(root().join("fixtures/example/patlint.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, &text).unwrap();
    let before = prints(&policy);
    let edited = text.replacen(
        "version = 1\n",
        "version = 1\n# A comment added by a reviewer.\n\n",
        1,
    );
    std::fs::write(&policy, edited).unwrap();
    assert_eq!(before, prints(&policy));
}

/// SARIF locations code scanning can place: relative to the repository root (with
/// `originalUriBaseIds`), percent-encoded, the same however `--policy` is spelled and
/// wherever patlint runs from, and valid `uri-reference`s.
#[test]
fn sarif_uris_are_relative_to_the_repository_and_encoded() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::create_dir(repo.path().join("sp dir")).unwrap();
    let policy = repo.path().join("sp dir/my policy#1%.toml");
    std::fs::copy(root().join("fixtures/example/patlint.toml"), &policy).unwrap();
    let facts = root().join("fixtures/example/facts.json");
    let elsewhere = tempfile::tempdir().unwrap();
    let sarif = |cwd: &std::path::Path, spelled: &str| -> serde_json::Value {
        let out = Command::cargo_bin("patlint")
            .unwrap()
            .env_clear()
            .current_dir(cwd)
            .args([
                "check",
                "--format",
                "sarif",
                "--now",
                "2026-11-24T00:00:00Z",
                "--policy",
                spelled,
                "--facts",
            ])
            .arg(&facts)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let from_repo = sarif(repo.path(), "./sp dir/my policy#1%.toml");
    let from_elsewhere = sarif(elsewhere.path(), policy.to_str().unwrap());
    let run = &from_repo["runs"][0];
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "sp%20dir/my%20policy%231%25.toml");
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    let root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with('/'),
        "{root_uri}"
    );
    // Same locations and fingerprints from anywhere, however the path is spelled.
    let prints = |sarif: &serde_json::Value| -> Vec<serde_json::Value> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| serde_json::json!([r["partialFingerprints"], r["locations"]]))
            .collect()
    };
    assert_eq!(prints(&from_repo), prints(&from_elsewhere));
    // The SARIF schema, with formats checked this time (`uri`, `uri-reference`).
    let errors = common::sarif_schema_errors(&from_repo, true);
    assert!(errors.is_empty(), "{errors:#?}");
    // The rules' helpUri points at an anchor that exists.
    let rules = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["helpUri"],
        "https://github.com/patlint/patlint/blob/main/docs/rules.md#verdicts-and-rules"
    );
    assert!(rules.starts_with("# Verdicts and rules\n"));
}

/// GitHub shows ten annotations of a type per step: the tenth says how many it drops.
/// Host text in the summary table is escaped for Markdown, not mangled.
#[test]
fn annotations_past_ten_are_counted_and_table_cells_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = String::from("version = 1\n");
    let mut records = Vec::new();
    for i in 0..12 {
        policy.push_str(&format!("[[token]]\nname = \"t{i}\"\nhost = \"github\"\nsecret = {{ env = \"P\" }}\nforbid_scopes = [\"delete_repo\"]\n"));
        records.push(serde_json::json!({"name": format!("t{i}"), "host": "github", "outcome": "observed",
            "facts": {"kind": "classic-pat", "scopes": ["delete_repo", "odd|scope"], "expires_at": "2027-01-31T00:00:00Z"}}));
    }
    std::fs::write(dir.path().join("patlint.toml"), policy).unwrap();
    std::fs::write(
        dir.path().join("facts.json"),
        serde_json::json!({"schema_version": 1, "observed_at": "2026-11-24T00:00:00Z", "tokens": records}).to_string(),
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    let out = Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(dir.path())
        .args([
            "check",
            "--now",
            "2026-11-24",
            "--format",
            "github",
            "--policy",
            "patlint.toml",
            "--facts",
            "facts.json",
        ])
        .output()
        .unwrap();
    let annotations = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = annotations
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 12);
    assert!(
        errors[9].contains("(and 2 more error annotations the runner does not show"),
        "{}",
        errors[9]
    );
    assert!(!errors[8].contains("more error annotations"));
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("`odd\\|scope`"), "{summary}");
}

/// `FORMAT=PATH` writes the metrics and the Markdown report as they would go to standard
/// output, beside another format on it, with the same exit code.
#[test]
fn openmetrics_and_markdown_go_to_a_file_as_to_standard_output() {
    for format in ["openmetrics", "markdown"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report");
        let target = format!("{format}={}", path.display());
        let to_file = example("human", &["--format", &target]);
        let on_stdout = example(format, &[]);
        assert_eq!(to_file.status.code(), Some(1), "{format}");
        assert_eq!(on_stdout.status.code(), Some(1), "{format}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            stdout(&on_stdout),
            "{format}"
        );
        assert!(stdout(&to_file).contains("jira-github"), "{format}");
    }
}

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

/// The project's Python with `module` importable, as `./scripts/test` installs it into
/// `.venv` (`PATLINT_PYTHON`). Under `CI=true` a missing one fails the run.
fn python_with(module: &str) -> Option<PathBuf> {
    let python = common::required_tool("PATLINT_PYTHON", ".venv/bin/python")?;
    let found = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(python);
    }
    let message = format!(
        "{module} is not installed in {}: run ./scripts/test, which installs it",
        python.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("SKIPPED (not on CI): {message}");
    None
}

/// The series of a metrics report as both of prometheus_client's parsers read it
/// (`tests/consumers/openmetrics-parse.py`), or what they refused.
fn parse_metrics(python: &Path, report: &Path) -> Result<Vec<serde_json::Value>, String> {
    let out = Command::new(python)
        .arg(root().join("tests/consumers/openmetrics-parse.py"))
        .arg(report)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    Ok(text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect())
}

/// Checks a metrics report with both parsers; `None` when they are not installed.
pub fn metrics_series(report: &Path) -> Option<Vec<serde_json::Value>> {
    let python = python_with("prometheus_client")?;
    Some(parse_metrics(&python, report).unwrap_or_else(|e| panic!("{e}")))
}

/// The value of the series `name` whose labels include `labels`.
pub fn series_value(
    series: &[serde_json::Value],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    series
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][k] == *v))
        .map(|s| s["value"].as_f64().unwrap())
}

#[test]
fn openmetrics_parses_as_prometheus_text_and_as_openmetrics() {
    let Some(python) = python_with("prometheus_client") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("patlint.prom");
    std::fs::write(&report, example("openmetrics", None)).unwrap();
    let series = parse_metrics(&python, &report).unwrap_or_else(|e| panic!("{e}"));
    let value = |name, labels: &[(&str, &str)]| series_value(&series, name, labels);
    let jira = [("token", "jira-github"), ("host", "github")];
    assert_eq!(
        value("patlint_token_expiry_timestamp_seconds", &jira),
        Some(1_814_313_600.0)
    );
    assert_eq!(
        value("patlint_token_status", &[jira[0], ("status", "fail")]),
        Some(1.0)
    );
    assert_eq!(
        value("patlint_token_status", &[jira[0], ("status", "pass")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            "patlint_token_findings",
            &[jira[0], ("rule", "forbidden-scope"), ("severity", "error")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            "patlint_token_status",
            &[("token", "release-bot"), ("status", "fail")]
        ),
        Some(1.0)
    );
    // Rejected: nothing is known of its expiry.
    assert_eq!(
        value(
            "patlint_token_expiry_timestamp_seconds",
            &[("token", "release-bot")]
        ),
        None
    );
    assert_eq!(
        value("patlint_evaluated_timestamp_seconds", &[]),
        Some(1_795_478_400.0)
    );

    // The parsers are real: without `# EOF` OpenMetrics refuses it, and a repeated
    // series is caught.
    let text = std::fs::read_to_string(&report).unwrap();
    let broken = dir.path().join("broken.prom");
    std::fs::write(&broken, text.replace("# EOF\n", "")).unwrap();
    let refused = parse_metrics(&python, &broken).unwrap_err();
    assert!(refused.contains("openmetrics parser refused"), "{refused}");
    let line = text
        .lines()
        .find(|l| l.starts_with("patlint_token_status{"))
        .unwrap();
    std::fs::write(&broken, text.replacen(line, &format!("{line}\n{line}"), 1)).unwrap();
    let refused = parse_metrics(&python, &broken).unwrap_err();
    assert!(refused.contains("series repeated"), "{refused}");
}

/// A policy of two tokens whose facts carry hostile text from the host.
fn hostile_check(format: &str) -> (std::process::Output, String) {
    const HOSTILE: &str =
        "<script>alert(1)</script> | `x` [l](https://evil) ![i](u)\n::error::pwned\n##[group]g";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("patlint.toml"),
        "version = 1\n[[token]]\nname = \"odd\"\nhost = \"github\"\nsecret = { env = \"P\" }\nforbid_scopes = [\"delete_repo\"]\n[[token]]\nname = \"rejected\"\nhost = \"github\"\nsecret = { env = \"Q\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("facts.json"),
        serde_json::json!({"schema_version": 1, "observed_at": "2026-11-24T00:00:00Z", "tokens": [
            {"name": "odd", "host": "github", "outcome": "observed",
             "facts": {"kind": "classic-pat", "identity": HOSTILE, "scopes": ["delete_repo", "odd|scope`<b>"], "expires_at": "2026-12-01T00:00:00Z"}},
            {"name": "rejected", "host": "github", "outcome": "rejected", "reason": "invalid", "detail": HOSTILE, "evidence": "401"}
        ]})
        .to_string(),
    )
    .unwrap();
    let out = patlint()
        .current_dir(dir.path())
        .args([
            "check",
            "--now",
            "2026-11-24",
            "--policy",
            "patlint.toml",
            "--facts",
            "facts.json",
            "--format",
        ])
        .arg(format)
        .output()
        .unwrap();
    (out, HOSTILE.to_owned())
}

/// What a CommonMark+GFM reader sees of a Markdown report
/// (`tests/consumers/markdown-parse.py`).
fn read_markdown(python: &Path, report: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .arg(root().join("tests/consumers/markdown-parse.py"))
        .arg(report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_str(&text(&out.stdout)).unwrap()
}

#[test]
fn the_markdown_report_is_a_table_and_findings_to_a_gfm_parser() {
    let Some(python) = python_with("markdown_it") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    std::fs::write(&report, example("markdown", None)).unwrap();
    let seen = read_markdown(&python, &report);
    let rows: Vec<Vec<String>> = serde_json::from_value(seen["tables"][0].clone()).unwrap();
    assert_eq!(
        rows,
        [
            ["Token", "Host", "Status", "Expires", "Days left"],
            ["jira-github", "github", "❌ fail", "2027-06-30", "218"],
            ["jira-ghes", "github", "✅ pass", "2026-12-01", "7"],
            [
                "jira-github-fine-grained",
                "github",
                "❔ unverifiable",
                "2027-01-15",
                "52"
            ],
            ["release-bot", "github", "❌ fail", "not observable", "—"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    let texts: Vec<String> = serde_json::from_value(seen["texts"].clone()).unwrap();
    assert!(
        texts.contains(&"release-bot (github)".to_owned()),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("error token-invalid: token `release-bot` was rejected: GitHub answered 401 (Bad credentials)\nGitHub: Settings > Developer settings")),
        "{texts:#?}"
    );
    assert_eq!(seen["html"].as_u64(), Some(0));
    // The only links are the new-token pages patlint built, one per finding with one.
    let hrefs: Vec<String> = serde_json::from_value(seen["hrefs"].clone()).unwrap();
    assert_eq!(hrefs.len() as u64, seen["link"].as_u64().unwrap());
    assert!(!hrefs.is_empty());
    for href in &hrefs {
        assert!(new_token_page(href), "{href}");
    }
}

/// A page patlint links for a new token (`Host::new_token_link`), never one from a host's
/// or a policy's text.
fn new_token_page(href: &str) -> bool {
    href.starts_with("https://github.com/settings/tokens/new")
        || href.starts_with("https://ghe.example.com/settings/tokens/new")
        || href.starts_with("https://github.com/settings/personal-access-tokens/new")
}

#[test]
fn host_text_in_the_markdown_report_stays_text() {
    let Some(python) = python_with("markdown_it") else {
        return;
    };
    let (out, hostile) = hostile_check("markdown");
    assert_eq!(out.status.code(), Some(1));
    let markdown = text(&out.stdout);
    for line in markdown.lines() {
        let rest = line.trim_start();
        assert!(!rest.starts_with("::"), "{line}");
        assert!(!rest.contains("##["), "{line}");
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    std::fs::write(&report, &markdown).unwrap();
    let seen = read_markdown(&python, &report);
    for kind in ["html", "image"] {
        assert_eq!(seen[kind], 0, "{kind} in {markdown}");
    }
    let hrefs: Vec<String> = serde_json::from_value(seen["hrefs"].clone()).unwrap();
    for href in &hrefs {
        assert!(
            new_token_page(href),
            "a link from host text: {href} in {markdown}"
        );
    }
    assert_eq!(seen["tables"][0].as_array().unwrap().len(), 3, "{seen:#}");
    // The reader sees the host's text as the host wrote it, line by line.
    let texts = seen["texts"].to_string();
    for line in hostile.lines() {
        let shown = serde_json::to_string(line).unwrap();
        assert!(
            texts.contains(shown.trim_matches('"')),
            "{line} not in {texts}"
        );
    }
}

#[test]
fn host_text_in_metrics_is_escaped_and_both_parsers_accept_it() {
    let (out, _) = hostile_check("openmetrics");
    assert_eq!(out.status.code(), Some(1));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("patlint.prom");
    std::fs::write(&report, &out.stdout).unwrap();
    let Some(series) = metrics_series(&report) else {
        return;
    };
    assert_eq!(
        series_value(
            &series,
            "patlint_token_findings",
            &[("token", "odd"), ("rule", "forbidden-scope")]
        ),
        Some(1.0)
    );
}

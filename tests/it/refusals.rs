//! A policy that `check` refuses (exit 2, nothing checked) in every format: the problems
//! are on standard error as always, and in the machine format asked for too, so that a
//! pull request that breaks the policy is annotated where it broke it. Each format is read
//! back by what its consumer reads it with (the SARIF schema, GitLab's Code Quality schema,
//! an XML parser), and text from the policy never becomes a runner's command.

use crate::common;

use common::{code, patlint, root, text};

/// Three problems, one of whose values tries to be a workflow command once quoted.
const BROKEN: &str = r#"version = 1

[[token]]
name = "jira-github"
host = "github%0A::warning::pwned"
secret = { env = "JIRA_GITHUB_PAT" }

[[token]]
name = "jira-gitlab"
host = "gitlab"
secret = { env = "JIRA_GITLAB_PAT" }
require_scopes = ["api", "apii"]

[[waiver]]
token  = "jira-gitlab"
rule   = "lifespan-exceded"
until  = "2036-01-01"
reason = "migrating"
"#;

/// `check --format FORMAT` of the broken policy: exit, standard output, standard error.
fn refused(format: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(&policy, BROKEN).unwrap();
    let out = patlint()
        .current_dir(dir.path())
        // As on a runner: the checkout is the workspace, and paths are relative to it.
        .env("GITHUB_WORKSPACE", dir.path())
        .args(["check", "--now", "2026-11-24", "--policy", "patlint.toml"])
        .args(["--facts", "facts.json", "--format", format])
        .output()
        .unwrap();
    (code(&out), text(&out.stdout), text(&out.stderr))
}

/// Where each problem is: the unknown host, the unknown scope, the unknown rule and the
/// waiver's end past `max_waiver` (every problem at once, the waiver's length included).
const PLACES: [(usize, usize); 4] = [(5, 8), (12, 26), (16, 10), (17, 10)];

#[test]
fn every_format_carries_the_problems_and_exits_2() {
    for (format, _) in patlint::cli::Format::NAMES {
        let (exit, stdout, stderr) = refused(format);
        assert_eq!(exit, 2, "{format}: {stderr}");
        assert!(
            stderr.contains("4 problems in the policy `patlint.toml`; nothing was checked"),
            "{format}: {stderr}"
        );
        match format {
            "human" => assert_eq!(stdout, "", "the human problems are on standard error"),
            "openmetrics" => assert!(
                stdout.contains("\npatlint_policy_problems 4\n") && stdout.ends_with("# EOF\n"),
                "{stdout}"
            ),
            // The unknown rule, quoted in each (Markdown escapes its hyphen).
            "markdown" => assert!(stdout.contains("lifespan\\-exceded"), "{stdout}"),
            _ => assert!(stdout.contains("lifespan-exceded"), "{format}: {stdout}"),
        }
    }
}

#[test]
fn json_lists_each_problem_with_its_place_and_fix() {
    let (_, stdout, _) = refused("json");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["policy"], "patlint.toml");
    assert!(json.get("tokens").is_none(), "nothing was checked");
    let problems = json["problems"].as_array().unwrap();
    let places: Vec<(usize, usize)> = problems
        .iter()
        .map(|p| {
            assert_eq!(p["path"], "patlint.toml");
            assert!(p["message"].is_string() && p["help"].is_string(), "{p}");
            (
                p["line"].as_u64().unwrap() as usize,
                p["column"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(places, PLACES);
    assert_eq!(problems[2]["help"], "did you mean `lifespan-exceeded`?");
}

#[test]
fn sarif_has_a_result_per_problem_and_passes_the_schema() {
    let (_, stdout, _) = refused("sarif");
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors = common::sarif_schema_errors(&sarif, true);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "invalid-policy");
    let results = run["results"].as_array().unwrap();
    let places: Vec<(u64, u64)> = results
        .iter()
        .map(|r| {
            assert_eq!(r["ruleId"], "invalid-policy");
            assert_eq!(r["level"], "error");
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(u64, u64)> = PLACES.iter().map(|&(l, c)| (l as u64, c as u64)).collect();
    assert_eq!(places, expected);
}

#[test]
fn github_annotates_each_problem_and_runs_no_command_from_the_policy() {
    let (_, stdout, _) = refused("github");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, (l, c)) in lines.iter().zip(PLACES) {
        assert!(
            line.starts_with(&format!(
                "::error file=patlint.toml,line={l},endLine={l},col={c},"
            )),
            "{line}"
        );
        assert!(line.contains(",title=invalid-policy::"), "{line}");
    }
    // The policy's `%0A::warning::` is quoted as text: its `%` is escaped, so the runner
    // reads no second command.
    assert!(lines[0].contains("github%250A"), "{}", lines[0]);
    assert!(!stdout.contains("\n::warning"), "{stdout}");
}

#[test]
fn gitlab_junit_azure_and_markdown_carry_each_problem() {
    let (_, stdout, _) = refused("gitlab");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/gitlab-codeclimate.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let issues: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 4);
    for (issue, (line, _)) in issues.iter().zip(PLACES) {
        let errors: Vec<String> = validator
            .iter_errors(issue)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{issue}: {errors:?}");
        assert_eq!(issue["location"]["lines"]["begin"], line);
        assert_eq!(issue["check_name"], "invalid-policy");
    }

    let (_, stdout, _) = refused("junit");
    let doc = roxmltree::Document::parse(&stdout).unwrap();
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 4);
    assert!(
        failures[3].text().unwrap().ends_with("patlint.toml:17:10"),
        "{stdout}"
    );

    let (_, stdout, _) = refused("azure");
    let issues: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("##vso[task.logissue type=error;"))
        .collect();
    assert_eq!(issues.len(), 4, "{stdout}");
    assert!(issues[1].contains(";linenumber=12;columnnumber=26;code=invalid-policy]"));
    assert!(stdout.ends_with("nothing was checked\n"), "{stdout}");
    assert!(stdout.contains("##vso[task.complete result=Failed;]"));

    let (_, stdout, _) = refused("markdown");
    assert!(stdout.starts_with("## patlint: 4 problems in the policy patlint\\.toml\n"));
    assert_eq!(
        stdout.matches("- **error** `invalid-policy` at ").count(),
        4
    );
}

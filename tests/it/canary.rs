//! A live check against a local server, and a canary secret that must appear nowhere,
//! whatever the command, format or error path.

use crate::common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{code, patlint, text};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "ghp_CANARYcanary1234567890abcdefghijklmnop";

/// A local GitHub that answers each token by its secret's suffix.
async fn github() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {CANARY}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo, admin:org")
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2027-01-10 00:00:00 UTC",
                )
                .set_body_json(serde_json::json!({"login": "jira-bot"})),
        )
        .mount(&server)
        .await;
    for (suffix, response) in [
        (
            "401",
            ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "echo": CANARY
            })),
        ),
        (
            "503",
            ResponseTemplate::new(503).set_body_string(format!("down; token={CANARY}")),
        ),
        (
            "html",
            ResponseTemplate::new(200).set_body_raw(format!("<html>{CANARY}</html>"), "text/html"),
        ),
        (
            "302",
            ResponseTemplate::new(302).insert_header("location", "http://127.0.0.1:9/steal"),
        ),
        (
            "429",
            ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        ),
    ] {
        Mock::given(path("/user"))
            .and(wiremock::matchers::header(
                "authorization",
                format!("Bearer {CANARY}{suffix}").as_str(),
            ))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    server
}

fn live_policy(dir: &Path, server: &str) -> PathBuf {
    let mut text = String::from("version = 1\n\n[defaults]\nmax_lifespan = \"90d\"\n");
    for (name, var) in [
        ("ok", "PAT_OK"),
        ("invalid", "PAT_401"),
        ("down", "PAT_503"),
        ("html", "PAT_HTML"),
        ("redirect", "PAT_302"),
        ("limited", "PAT_429"),
        ("unset", "PAT_UNSET"),
    ] {
        text.push_str(&format!(
            "\n[[token]]\nname = \"{name}\"\nhost = \"github\"\nurl = \"{server}\"\nsecret = {{ env = \"{var}\" }}\nrequire_scopes = [\"repo\"]\nforbid_scopes = [\"admin:org\"]\n"
        ));
    }
    let path = dir.join("patlint.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn with_secrets(mut cmd: Command) -> Command {
    cmd.env("PAT_OK", CANARY)
        .env("PAT_401", format!("{CANARY}401"))
        .env("PAT_503", format!("{CANARY}503"))
        .env("PAT_HTML", format!("{CANARY}html"))
        .env("PAT_302", format!("{CANARY}302"))
        .env("PAT_429", format!("{CANARY}429"));
    cmd
}

fn assert_no_canary(what: &str, output: &str) {
    // Any 12-character window of the secret counts as a leak.
    for window in CANARY.as_bytes().windows(12) {
        let fragment = std::str::from_utf8(window).unwrap();
        assert!(
            !output.contains(fragment),
            "{what} contains `{fragment}` of the secret:\n{output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn live_check_against_a_local_github_and_no_secret_anywhere() {
    let server = github().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = live_policy(dir.path(), &server.uri());
    let policy_arg = policy.display().to_string();
    let report = dir.path().join("report.json");
    let facts_path = dir.path().join("facts.json");
    let human_report = dir.path().join("report.txt");
    // Temporary paths have no spaces: each line splits into its arguments.
    let check = format!("check --policy {policy_arg} --now 2026-11-24 --max-wait 1");
    let lines = [
        check.clone(),
        format!("{check} --format json"),
        format!("{check} --format json={}", report.display()),
        format!(
            "facts --policy {policy_arg} --max-wait 1 --output {}",
            facts_path.display()
        ),
        format!("facts --policy {policy_arg} --max-wait 1"),
        format!("validate --policy {policy_arg}"),
        "explain missing-scope".to_owned(),
        format!("{check} --format human={}", human_report.display()),
    ];
    let args: Vec<Vec<String>> = lines
        .iter()
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect();
    let runs = tokio::task::spawn_blocking(move || {
        args.into_iter()
            .map(|a| {
                let out = with_secrets(patlint())
                    .env("NO_COLOR", "1")
                    .args(&a)
                    .output()
                    .unwrap();
                (a.join(" "), out)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();

    for (what, out) in &runs {
        assert_no_canary(&format!("stdout of `{what}`"), &text(&out.stdout));
        assert_no_canary(&format!("stderr of `{what}`"), &text(&out.stderr));
    }
    assert_no_canary("report.json", &std::fs::read_to_string(&report).unwrap());
    assert_no_canary("facts.json", &std::fs::read_to_string(&facts_path).unwrap());
    assert_no_canary(
        "report.txt",
        &std::fs::read_to_string(&human_report).unwrap(),
    );

    // The verdicts, from the JSON run.
    let (_, json_run) = &runs[1];
    assert_eq!(code(json_run), 1);
    let json: serde_json::Value = serde_json::from_slice(&json_run.stdout).unwrap();
    let verdict = |i: usize| {
        let t = &json["tokens"][i];
        let rules: Vec<String> = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect();
        (
            t["name"].as_str().unwrap().to_owned(),
            t["status"].as_str().unwrap().to_owned(),
            rules,
        )
    };
    let expected = [
        ("ok", "fail", vec!["forbidden-scope"]),
        ("invalid", "fail", vec!["token-invalid"]),
        ("down", "error", vec!["host-error"]),
        ("html", "error", vec!["host-error"]),
        ("redirect", "error", vec!["host-error"]),
        ("limited", "error", vec!["host-error"]),
        ("unset", "error", vec!["secret-unavailable"]),
    ];
    for (i, (name, status, rules)) in expected.iter().enumerate() {
        assert_eq!(
            verdict(i),
            (
                name.to_string(),
                status.to_string(),
                rules.iter().map(|r| r.to_string()).collect::<Vec<_>>()
            )
        );
    }
    // `ok` expires 2027-01-10: within 90 days, so no lifespan finding.
    assert_eq!(
        json["tokens"][0]["facts"]["expires_at"],
        "2027-01-10T00:00:00Z"
    );

    // Recorded facts replay to the same verdicts, offline.
    let (_, facts_run) = &runs[3];
    assert_eq!(
        code(facts_run),
        3,
        "facts exits 3 when a token could not be checked"
    );
    let replay = patlint()
        .args([
            "check",
            "--policy",
            &policy_arg,
            "--now",
            "2026-11-24",
            "--max-facts-age",
            "36500d",
            "--format",
            "json",
            "--facts",
        ])
        .arg(&facts_path)
        .output()
        .unwrap();
    assert_eq!(code(&replay), 1);
    assert_no_canary("stdout of the replay", &text(&replay.stdout));
    assert_no_canary("stderr of the replay", &text(&replay.stderr));
    let replayed: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(replayed["tokens"], json["tokens"]);
}

#[test]
fn literal_secrets_in_the_policy_never_reach_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        format!(
            "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = \"{CANARY}\"\n"
        ),
    )
    .unwrap();
    for command in ["check", "validate", "facts"] {
        let out = patlint()
            .arg(command)
            .arg("--policy")
            .arg(&policy)
            .output()
            .unwrap();
        assert_eq!(code(&out), 2);
        assert!(text(&out.stderr).contains("written literally"));
        assert_no_canary(&format!("stderr of {command}"), &text(&out.stderr));
        assert_no_canary(&format!("stdout of {command}"), &text(&out.stdout));
    }
}

#[test]
fn a_policy_in_order_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"schema_version": 1, "observed_at": "2026-11-24T00:00:00Z", "tokens": [
            {"name": "jira", "host": "github", "outcome": "observed",
             "facts": {"kind": "classic-pat", "scopes": ["repo"], "expires_at": "2027-01-31T00:00:00Z"}}]}"#,
    )
    .unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        "version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n[defaults]\nmax_lifespan = \"90d\"\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"P\" }\n",
    )
    .unwrap();
    let out = patlint()
        .args(["check", "--now", "2026-11-24", "--policy"])
        .arg(&policy)
        .arg("--facts")
        .arg(&facts)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("1 pass, 0 fail"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_wait_is_announced_on_stderr() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"P\" }}\n",
        server.uri()
    );
    let (exit, stdout, stderr) =
        common::run_check(policy, vec![("P".into(), CANARY.into())], &server.uri()).await;
    assert_eq!(exit, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("GitHub rate limit reached; waiting 1s before checking token `jira` again"),
        "{stderr}"
    );
    assert_no_canary("stderr", &stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_pipelines_is_told_to_mask_each_secret_first() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .mount(&server)
        .await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"P\" }}\n",
        server.uri()
    );
    let env = vec![
        ("P".to_owned(), CANARY.to_owned()),
        ("TF_BUILD".to_owned(), "True".to_owned()),
    ];
    let (exit, stdout, stderr) = common::run_check(policy.clone(), env, &server.uri()).await;
    assert_eq!(exit, 0);
    let mut lines = stderr.lines();
    assert_eq!(
        lines.next(),
        Some(format!("##vso[task.setsecret]{CANARY}").as_str())
    );
    assert_no_canary("the rest of stderr", &lines.collect::<Vec<_>>().join("\n"));
    assert_no_canary("stdout", &stdout);

    // On GitHub Actions too, a report on standard output stays clean and parseable.
    let env = vec![
        ("P".to_owned(), CANARY.to_owned()),
        ("GITHUB_ACTIONS".to_owned(), "true".to_owned()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let policy_path = dir.path().join("patlint.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        patlint()
            .envs(env)
            .args(["check", "--format", "json", "--policy"])
            .arg(&policy_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_no_canary("stdout", &text(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["pass"], 1);
    assert!(text(&out.stderr).starts_with("::add-mask::"));
}

/// The canary through every format, live and replayed, on every error path of the
/// local GitHub above (valid, 401, 503, HTML, redirect, rate limit, missing secret),
/// to standard output and to files, with the job summary written too.
#[tokio::test(flavor = "multi_thread")]
async fn no_format_ever_shows_the_secret() {
    let server = github().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = live_policy(dir.path(), &server.uri());
    let facts_path = dir.path().join("facts.json");
    let summary = dir.path().join("summary.md");
    let formats = [
        "human", "json", "sarif", "github", "gitlab", "junit", "azure",
    ];
    let runs = {
        let (policy, facts_path, summary, dir) = (
            policy.clone(),
            facts_path.clone(),
            summary.clone(),
            dir.path().to_owned(),
        );
        tokio::task::spawn_blocking(move || {
            let recorded = with_secrets(patlint())
                .args(["facts", "--retries", "0", "--max-wait", "1", "--policy"])
                .arg(&policy)
                .arg("--output")
                .arg(&facts_path)
                .output()
                .unwrap();
            let mut runs = vec![("facts".to_owned(), recorded)];
            for format in formats {
                let file = dir.join(format!("report.{format}"));
                for replay in [false, true] {
                    let mut cmd = with_secrets(patlint());
                    cmd.env("GITHUB_STEP_SUMMARY", &summary)
                        .args([
                            "check",
                            "--retries",
                            "0",
                            "--max-wait",
                            "1",
                            "--now",
                            "2026-11-24",
                            "--format",
                            format,
                            "--format",
                        ])
                        .arg(format!("{format}={}", file.display()))
                        .arg("--policy")
                        .arg(&policy);
                    if replay {
                        // Recorded now, judged as of 2026-11-24 like the live runs.
                        cmd.args(["--max-facts-age", "36500d", "--facts"])
                            .arg(&facts_path);
                    }
                    let out = cmd.output().unwrap();
                    let written = std::fs::read_to_string(&file).unwrap_or_default();
                    runs.push((
                        format!("check --format {format} (replay: {replay}), its file: {written}"),
                        out,
                    ));
                }
            }
            runs
        })
        .await
        .unwrap()
    };
    for (what, out) in &runs {
        assert_no_canary(
            &format!("stdout of {}", what.split(',').next().unwrap()),
            &text(&out.stdout),
        );
        assert_no_canary(
            &format!("stderr of {}", what.split(',').next().unwrap()),
            &text(&out.stderr),
        );
        assert_no_canary(what, what);
        assert!(
            matches!(out.status.code(), Some(1 | 3)),
            "{what}: {:?}",
            out.status
        );
    }
    assert_no_canary(
        "the job summary",
        &std::fs::read_to_string(&summary).unwrap(),
    );
    assert_no_canary(
        "the facts file",
        &std::fs::read_to_string(&facts_path).unwrap(),
    );
}

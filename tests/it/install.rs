//! The install channels other than the Action (tested in `action.rs`): the Python wheel
//! (built once by `./scripts/test` with maturin from PyPI) installed into a fresh
//! virtualenv, pip's install from a git checkout (what works before a release), the
//! container recipe linted by hadolint and fit for a CI job's `image:`, and the local
//! release script's archives.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{required_tool, root};

/// The wheel `./scripts/test` built into `target/wheels`.
fn wheel() -> Option<std::path::PathBuf> {
    let dir = required_tool("PATLINT_WHEEL_DIR", "target/wheels")?;
    let wheel = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"));
    if wheel.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "no wheel in {}: run ./scripts/test, which builds it",
            dir.display()
        );
    }
    wheel
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_wheel_installs_into_a_fresh_virtualenv_and_runs_the_bundled_example() {
    let Some(wheel) = wheel() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = pip_install(dir.path(), |pip| {
        pip.arg("--no-deps").arg(&wheel);
    });
    assert_runs(&venv.join("bin/patlint"));
}

/// A fresh virtualenv in `dir`, into which pip installs, offline, what `what` adds to its
/// command line; returns the virtualenv.
fn pip_install(dir: &Path, what: impl FnOnce(&mut Command)) -> std::path::PathBuf {
    let venv = dir.join("venv");
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args([
        "install",
        "--quiet",
        "--no-index",
        "--no-cache-dir",
        "--disable-pip-version-check",
    ]);
    what(&mut pip);
    run(&mut pip);
    venv
}

/// An installed patlint prints its version and checks the bundled example as the README's
/// first command does.
fn assert_runs(patlint: &Path) {
    let version = run(Command::new(patlint).arg("--version").env_clear());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("patlint {}", env!("CARGO_PKG_VERSION"))
    );
    let example = Command::new(patlint)
        .current_dir(root())
        .env_clear()
        .args(common::example_check("2026-11-24T00:00:00Z"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&example.stdout),
        String::from_utf8_lossy(&example.stderr)
    );
    assert_eq!(example.status.code(), Some(1), "{text}");
    assert!(text.contains("4 tokens checked"), "{text}");
}

/// `pip install git+https://github.com/patlint/patlint`, which works before any release,
/// done here from this checkout into a fresh virtualenv the way pip does it: a clone of the
/// committed tree, built by pip with its PEP 517 backend, maturin, from PyPI. Offline and
/// quick: maturin's wheel comes from the wheelhouse `./scripts/test` fills, and cargo reuses
/// what the suite compiled (its build directory, with the suite's `dev` profile) while
/// writing the binary elsewhere, so the suite's own binary is never replaced. The clone has
/// a fixed place in the build directory, so that its compiled crate is reused next time
/// rather than piling up under a new name.
#[test]
fn pip_installs_patlint_from_a_git_checkout_into_a_fresh_virtualenv() {
    let Some(wheelhouse) = required_tool("PATLINT_WHEELHOUSE", ".tools/wheelhouse") else {
        return;
    };
    // This binary is `<build dir>/debug/deps/it-<hash>`.
    let exe = std::env::current_exe().unwrap();
    let build_dir = exe.ancestors().nth(3).unwrap();
    let source = build_dir.join("pip-install-source");
    if source.exists() {
        std::fs::remove_dir_all(&source).unwrap();
    }
    run(Command::new("git")
        .args(["clone", "--quiet"])
        .arg(format!("file://{}", root().display()))
        .arg(&source));
    let dir = tempfile::tempdir().unwrap();
    let venv = pip_install(dir.path(), |pip| {
        pip.arg("--find-links")
            .arg(&wheelhouse)
            .arg(&source)
            .env("CARGO_BUILD_BUILD_DIR", build_dir)
            .env("CARGO_TARGET_DIR", dir.path().join("target"))
            .env("MATURIN_PEP517_ARGS", "--profile dev");
    });
    assert_runs(&venv.join("bin/patlint"));
}

/// The repository's pre-commit hooks, checked by pre-commit's own validator; a manifest
/// it refuses shows the check is real.
#[test]
fn the_pre_commit_hooks_manifest_is_valid_and_runs_validate() {
    let Some(pre_commit) = required_tool("PATLINT_PRE_COMMIT", ".venv/bin/pre-commit") else {
        return;
    };
    let manifest = root().join(".pre-commit-hooks.yaml");
    run(Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(&manifest));
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("entry: patlint validate\n"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("hooks.yaml");
    std::fs::write(&broken, "- id: patlint-validate\n  name: no entry\n").unwrap();
    let out = Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(&broken)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Cargo.toml's `license = "MIT OR Apache-2.0"` ships both texts.
#[test]
fn both_licenses_the_package_names_are_in_the_repository() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(root().join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(root().join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
}

#[test]
fn the_dockerfile_passes_hadolint_and_a_bad_one_does_not() {
    let Some(hadolint) = required_tool("PATLINT_HADOLINT", ".venv/bin/hadolint") else {
        return;
    };
    let out = Command::new(&hadolint)
        .arg(root().join("Dockerfile"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, "FROM debian:latest\nADD patlint /usr/local/bin/\n").unwrap();
    let out = Command::new(&hadolint).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the control must be flagged");
}

/// The image a GitLab job names in `image:` (or a Jenkins agent runs): its final stage is
/// distroless' `debug-nonroot` variant, which has busybox's shell on PATH beside the C
/// runtime and CA certificates; it clears that variant's `/busybox/sh` entrypoint, which
/// would take a runner's shell-detection command as its own arguments; it runs as a non-root
/// user. The GitLab example names the image the release workflow pushes for this version.
#[test]
fn the_image_runs_a_ci_jobs_script_in_its_shell_as_a_non_root_user() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let final_stage = &dockerfile[dockerfile.rfind("\nFROM ").unwrap() + 1..];
    let instructions: Vec<&str> = final_stage
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        instructions[0],
        "FROM gcr.io/distroless/cc-debian12:debug-nonroot"
    );
    let entrypoints: Vec<&&str> = instructions
        .iter()
        .filter(|l| l.starts_with("ENTRYPOINT"))
        .collect();
    assert_eq!(entrypoints, [&"ENTRYPOINT []"]);
    let user = instructions
        .iter()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    let uid = user.split(':').next().unwrap();
    assert!(uid != "0" && uid != "root", "USER {user}");
    assert!(instructions.contains(&r#"CMD ["patlint", "--help"]"#));

    let gitlab = std::fs::read_to_string(root().join("examples/gitlab-ci.yml")).unwrap();
    assert!(
        gitlab.contains(&format!(
            "  image: ghcr.io/patlint/patlint:{}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{gitlab}"
    );
    let release = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    assert!(release.contains("ghcr.io/${{ github.repository }}:${{ inputs.version }}"));
}

/// `scripts/release-local --binary` on a stand-in, into `out`.
fn release(binary: &Path, out: &Path) {
    run(Command::new(root().join("scripts/release-local"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out));
}

#[test]
fn the_local_release_is_reproducible_and_its_checksums_verify() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("stand-in");
    std::fs::write(&binary, "#!/bin/sh\necho patlint\n").unwrap();
    run(Command::new("chmod").arg("+x").arg(&binary));
    let (first, second) = (dir.path().join("one"), dir.path().join("two"));
    release(&binary, &first);
    release(&binary, &second);
    let checksums = std::fs::read_to_string(first.join("checksums.txt")).unwrap();
    assert_eq!(
        checksums,
        std::fs::read_to_string(second.join("checksums.txt")).unwrap(),
        "the same input makes the same archive"
    );
    let asset = checksums.split_whitespace().nth(1).unwrap();
    let target = String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap();
    assert_eq!(
        asset,
        format!("patlint-{}-{target}.tar.gz", env!("CARGO_PKG_VERSION"))
    );
    run(Command::new("sha256sum")
        .args(["--check", "checksums.txt"])
        .current_dir(&first));
    let listing = run(Command::new("tar").arg("-tzf").arg(first.join(asset)));
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout),
        "patlint\nREADME.md\n"
    );
}

//! The install channels other than the Action (tested in `action.rs`): the Python wheel
//! (built once by `./scripts/test` with maturin from PyPI) installed into a fresh
//! virtualenv, the container recipe linted by hadolint, and the local release script's
//! archives.

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
    let venv = dir.path().join("venv");
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg(&wheel));
    let patlint = venv.join("bin/patlint");
    let version = run(Command::new(&patlint).arg("--version").env_clear());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("patlint {}", env!("CARGO_PKG_VERSION"))
    );
    let example = Command::new(&patlint)
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

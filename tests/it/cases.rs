//! The offline CLI checks as data: each `tests/cases/NAME.toml` is one run of `patlint`
//! (its arguments, working directory and expected exit status), with the expected
//! standard output and error in `NAME.stdout` and `NAME.stderr` beside it. The runs are
//! replays and offline commands only: a fixed `--now`, recorded facts, no network.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cases() {
    trycmd::TestCases::new()
        .register_bin("patlint", PathBuf::from(env!("CARGO_BIN_EXE_patlint")))
        .default_bin_name("patlint")
        .timeout(std::time::Duration::from_secs(60))
        .case("tests/cases/*.toml");
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn args(case: &toml::Table) -> Vec<String> {
    match case.get("args") {
        Some(toml::Value::Array(args)) => args
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect(),
        Some(toml::Value::String(args)) => args.split_whitespace().map(str::to_owned).collect(),
        _ => vec![],
    }
}

/// A case sees none of the machine's environment (a CI runner's variables change the
/// reports), states both streams, and judges a fixed time from recorded facts.
#[test]
fn every_case_is_hermetic_and_dated() {
    let files = case_files();
    assert!(!files.is_empty());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy();
        let case: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let inherit = case
            .get("env")
            .and_then(|env| env.get("inherit"))
            .and_then(toml::Value::as_bool);
        assert_eq!(inherit, Some(false), "{name}: needs `env.inherit = false`");
        for stream in ["stdout", "stderr"] {
            assert!(
                path.with_extension(stream).exists(),
                "{name}: needs a .{stream} file (empty when nothing is printed)"
            );
        }
        let args = args(&case);
        if matches!(args.first().map(String::as_str), Some("check" | "validate")) {
            assert!(args.iter().any(|a| a == "--now"), "{name}: needs `--now`");
        }
        if args.first().is_some_and(|a| a == "check") {
            assert!(
                args.iter().any(|a| a == "--facts"),
                "{name}: `check` without `--facts` reaches the network"
            );
        }
    }
}

/// Every policy in the corpus has its case, so a new fixture is never left unchecked.
#[test]
fn every_corpus_policy_has_a_case() {
    for kind in ["valid", "invalid"] {
        let dir = root().join("fixtures/policies").join(kind);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let stem = path.file_stem().unwrap().to_string_lossy();
            let case = Path::new("tests/cases").join(format!("policy-{kind}-{stem}.toml"));
            assert!(
                root().join(&case).exists(),
                "{} has no case {}",
                path.display(),
                case.display()
            );
        }
    }
}

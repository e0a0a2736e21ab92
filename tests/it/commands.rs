//! `schema`, `init`, `completions` and `man`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn patlint() -> Command {
    let mut cmd = Command::cargo_bin("patlint").unwrap();
    cmd.env_clear().current_dir(root());
    cmd
}

fn schema_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("patlint.schema.json")).unwrap())
            .unwrap();
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-07/schema#",
        "Draft 7, which taplo reads best"
    );
    jsonschema::validator_for(&schema).unwrap()
}

fn toml_as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap()
}

#[test]
fn the_committed_schema_is_what_patlint_generates() {
    let out = patlint().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("patlint.schema.json")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "patlint.schema.json is out of date: run `cargo run -- schema > patlint.schema.json` and commit it"
    );
}

#[test]
fn every_valid_policy_and_preset_matches_the_schema_and_invalid_keys_do_not() {
    let validator = schema_validator();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/policies/valid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.extend(
        std::fs::read_dir(root().join("policies"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    files.push(root().join("fixtures/example/patlint.toml"));
    for file in files {
        let json = toml_as_json(&file);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
    for bad in ["unknown-keys", "unknown-host", "wrong-types"] {
        let json = toml_as_json(&root().join(format!("fixtures/policies/invalid/{bad}.toml")));
        assert!(
            !validator.is_valid(&json),
            "{bad} should not match the schema"
        );
    }
}

#[test]
fn init_writes_a_valid_starter_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        patlint()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&["init", "--preset", "git-integration-for-jira"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy = std::fs::read_to_string(dir.path().join("patlint.toml")).unwrap();
    assert!(policy.starts_with("#:schema ./patlint.schema.json\n"));
    assert!(policy.contains("extends = [\"builtin:git-integration-for-jira\"]"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("patlint.schema.json")).unwrap(),
        std::fs::read_to_string(root().join("patlint.schema.json")).unwrap()
    );
    assert!(schema_validator().is_valid(&toml_as_json(&dir.path().join("patlint.toml"))));
    let validate = run(&["validate"]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );

    let again = run(&["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("patlint.toml")).unwrap(),
        policy
    );

    let unknown = run(&["init", "--preset", "jira", "--policy", "other.toml"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(!dir.path().join("other.toml").exists());

    let plain = run(&["init", "--policy", "plain.toml"]);
    assert_eq!(plain.status.code(), Some(0));
    assert!(
        run(&["validate", "--policy", "plain.toml"])
            .status
            .success()
    );
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = patlint().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("patlint") && text.contains("fail-on"),
            "{shell}"
        );
    }
    let man = patlint().arg("man").output().unwrap();
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(
        text.contains(".TH patlint 1") && text.contains("validate"),
        "{text}"
    );
}

#[test]
fn completions_offer_format_names_and_rule_ids() {
    for shell in ["bash", "zsh", "fish"] {
        let out = patlint().args(["completions", shell]).output().unwrap();
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            script.contains("sarif") && script.contains("junit"),
            "{shell}"
        );
        // clap_complete's fish script completes options only, not a positional rule id.
        if shell != "fish" {
            assert!(
                script.contains("missing-scope") && script.contains("waiver-expired"),
                "{shell}"
            );
        }
    }
}

/// `init --preset <TAB>` offers the presets (not file names), and `init --help` lists them.
#[test]
fn init_completes_and_lists_the_preset_names() {
    for shell in ["bash", "zsh", "fish"] {
        let out = patlint().args(["completions", shell]).output().unwrap();
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        let offered = match shell {
            "bash" => {
                "--preset)\n                    COMPREPLY=($(compgen -W \"git-integration-for-jira git-integration-for-jira-readonly\""
            }
            "zsh" => ":NAME:(git-integration-for-jira git-integration-for-jira-readonly)",
            _ => "-l preset",
        };
        assert!(script.contains(offered), "{shell}: {script}");
        if shell == "fish" {
            // `-f`: no file names; the values follow in `-a`, one a line.
            let line = script.lines().find(|l| l.contains("-l preset")).unwrap();
            assert!(
                line.contains(" -r -f -a \"git-integration-for-jira\\t"),
                "{line}"
            );
            assert!(
                script.contains("\ngit-integration-for-jira-readonly\\t"),
                "{script}"
            );
        }
    }
    let help = patlint().args(["init", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        help.contains(
            "[possible values: git-integration-for-jira, git-integration-for-jira-readonly]"
        ),
        "{help}"
    );
}

/// `patlint man > patlint.1` is the whole manual: every command has its section in it,
/// and it names no other page, since none was written.
#[test]
fn the_single_man_page_holds_every_command_and_names_no_other_page() {
    let out = patlint().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(!page.contains("(1)"), "names another page:\n{page}");
    for command in [
        "CHECK",
        "AUDIT",
        "VALIDATE",
        "FACTS",
        "EXPLAIN",
        "INIT",
        "SCHEMA",
        "COMPLETIONS",
        "MAN",
    ] {
        assert!(
            page.contains(&format!(".SH \"PATLINT {command}\"\n")),
            "no section for {command}"
        );
    }
    // The commands' own options are in it, once the preamble and the title are.
    assert!(page.contains("\\fB\\-\\-fail\\-on\\fR"), "{page}");
    assert!(page.contains("\\fB\\-\\-preset\\fR"), "{page}");
    assert_eq!(page.matches(".TH ").count(), 1);
    assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble");
    assert!(page.contains(".SH \"EXIT STATUS\"\nExit codes: 0 every token in policy"));
}

#[test]
fn man_writes_a_page_for_every_command_its_see_also_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = patlint()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let main = std::fs::read_to_string(dir.path().join("patlint.1")).unwrap();
    let named: Vec<&str> = main
        .match_indices("patlint\\-")
        .filter_map(|(at, _)| main[at + "patlint\\-".len()..].split("(1)").next())
        .collect();
    assert!(
        named.contains(&"check") && named.contains(&"validate"),
        "{named:?}"
    );
    for name in named {
        let page = std::fs::read_to_string(dir.path().join(format!("patlint-{name}.1")))
            .unwrap_or_else(|_| panic!("patlint-{name}(1) is named but not written"));
        // `.TH name section date source`: the date field is there (mandoc -T lint wants it).
        let th = page.lines().find(|l| l.starts_with(".TH ")).unwrap();
        assert!(th.contains(" 1 2026-12-01 \"patlint-"), "{th}");
    }
}

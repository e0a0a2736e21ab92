//! Bad policies never crash patlint: a corpus of hostile files through the binary, each
//! with a clear diagnostic, and a property test over generated and mutated TOML that
//! asserts no panic and a span on every error. `PROPTEST_CASES` bounds its run time.

use crate::common;

use std::path::Path;

use assert_cmd::Command;
use proptest::prelude::*;

fn validate(path: &Path) -> (i32, String) {
    let out = Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .arg("validate")
        .arg("--policy")
        .arg(path)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let code = out
        .status
        .code()
        .expect("patlint exited by itself, not by a signal");
    (
        code,
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

fn token(i: usize) -> String {
    format!("[[token]]\nname = \"t{i}\"\nhost = \"github\"\nsecret = {{ env = \"T{i}\" }}\n")
}

#[test]
fn every_hostile_policy_gets_a_clear_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let mut ten_thousand = String::from("version = 1\n");
    for i in 0..10_000 {
        ten_thousand.push_str(&token(i));
    }
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("deeply nested arrays", format!("version = 1\na = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(), 2, "max recursion depth"),
        ("deeply nested tables", format!("version = 1\na = {}1{}\n", "{b = ".repeat(50_000), "}".repeat(50_000)).into_bytes(), 2, "max recursion depth"),
        ("invalid UTF-8", b"version = 1\n# \xff\xfe\n".to_vec(), 2, "is not UTF-8 (invalid byte at offset 14)"),
        ("a byte-order mark", format!("\u{feff}version = 1\n{}", token(0)).into_bytes(), 0, "is valid"),
        ("a NUL byte in a string", b"version = 1\n[[token]]\nname = \"a\x00b\"\nhost = \"github\"\nsecret = { env = \"X\" }\n".to_vec(), 2, "not valid TOML"),
        ("a 2 MB string", format!("version = 1\n{}", token(0).replace("env = \"T0\"", &format!("env = \"{}\"", "A".repeat(2_000_000)))).into_bytes(), 0, "is valid: 1 token"),
        ("a 2 MB token name", format!("version = 1\n{}", token(0).replace("\"t0\"", &format!("\"{}\"", "a".repeat(2_000_000)))).into_bytes(), 2, "a token name may hold only"),
        ("10,000 tokens", ten_thousand.into_bytes(), 0, "is valid: 10000 tokens"),
        ("a 17 MB file", format!("version = 1\n{}", "# padding\n".repeat(1_700_000)).into_bytes(), 2, "the most patlint reads"),
        ("an empty file", Vec::new(), 2, "has no `version`"),
        ("binary garbage", (0..=255u8).cycle().take(4096).collect(), 2, "is not UTF-8"),
        ("duplicate keys", b"version = 1\nversion = 1\n".to_vec(), 2, "not valid TOML"),
        ("a table where an array of tables belongs", b"version = 1\n[token]\nname = \"a\"\n".to_vec(), 2, "must be an array of tables"),
        ("a problem past column 65,535", format!("version = 1\n{}\n{}max_lifespan = \"bad\"\n", token(0), " ".repeat(70_000)).into_bytes(), 2, "column 70016"),
        ("a duration of 4,500,000 days", format!("version = 1\n[defaults]\nexpiry_warning = \"4500000d\"\n{}", token(0)).into_bytes(), 2, "longer than 36500 days"),
    ];
    println!("| hostile policy | exit | diagnostic |\n|---|---|---|");
    for (name, bytes, expected, says) in cases {
        let path = dir.path().join("patlint.toml");
        std::fs::write(&path, bytes).unwrap();
        let (code, output) = validate(&path);
        let first = output.lines().find(|l| l.contains(says)).unwrap_or("");
        println!(
            "| {name} | {code} | {} |",
            first.trim().chars().take(100).collect::<String>()
        );
        assert_eq!(
            code,
            expected,
            "{name}: {}",
            output.chars().take(2000).collect::<String>()
        );
        assert!(
            output.contains(says),
            "{name}: expected `{says}` in {}",
            output.chars().take(2000).collect::<String>()
        );
    }
}

/// Runs `patlint ARGS` with `env`, bounded: a run that blocks fails the test by timeout.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::cargo_bin("patlint")
        .unwrap()
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let code = out.status.code().expect("patlint exited by itself");
    let output =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // Diagnostics wrap their message over `|`-prefixed lines: read them as one line.
    let flat = output
        .split_whitespace()
        .filter(|word| *word != "|")
        .collect::<Vec<_>>()
        .join(" ");
    (code, flat)
}

#[cfg(unix)]
#[test]
fn special_and_huge_files_are_refused_without_blocking_or_filling_memory() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let sparse = dir.path().join("sparse");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let fifo = fifo.to_str().unwrap();
    let sparse = sparse.to_str().unwrap();

    // The policy itself.
    for (policy, says) in [
        (fifo, "is not a regular file"),
        ("/dev/zero", "is not a regular file"),
        (sparse, "is larger than 16384 KiB"),
    ] {
        let (code, output) = run(&["validate", "--policy", policy], &[]);
        assert_eq!(code, 2, "{policy}: {output}");
        assert!(output.contains(says), "{policy}: {output}");
    }
    // A facts file.
    let good = dir.path().join("patlint.toml");
    std::fs::write(&good, format!("version = 1\n{}", token(0))).unwrap();
    let good = good.to_str().unwrap();
    for facts in [fifo, "/dev/zero"] {
        let (code, output) = run(&["check", "--policy", good, "--facts", facts], &[]);
        assert_eq!(code, 2, "{facts}: {output}");
        assert!(output.contains("is not a regular file"), "{output}");
    }
    // Secret files and CA bundles: the token is `secret-unavailable` (or the policy is
    // refused), and the run ends.
    for (secret, says) in [
        (fifo, "is not a regular file"),
        ("/dev/zero", "is not a regular file"),
        (sparse, "is larger than 64 KiB"),
    ] {
        let policy = dir.path().join("secret.toml");
        std::fs::write(
            &policy,
            format!("version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nurl = \"http://127.0.0.1:9\"\nsecret = {{ file = \"{secret}\" }}\n"),
        )
        .unwrap();
        let (code, output) = run(&["check", "--policy", policy.to_str().unwrap()], &[]);
        assert_eq!(code, 3, "{secret}: {output}");
        assert!(
            output.contains("secret-unavailable") && output.contains(says),
            "{secret}: {output}"
        );
        std::fs::write(
            &policy,
            format!("version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nca_file = \"{secret}\"\nsecret = {{ env = \"T\" }}\n"),
        )
        .unwrap();
        let (code, output) = run(&["validate", "--policy", policy.to_str().unwrap()], &[]);
        assert_eq!(code, 2, "ca_file {secret}: {output}");
        assert!(output.contains("`ca_file` cannot be read"), "{output}");
    }
}

#[test]
fn a_secret_of_three_characters_is_refused_and_a_bom_is_not_part_of_one() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nurl = \"http://127.0.0.1:9\"\nsecret = { env = \"T\" }\n",
    )
    .unwrap();
    let (code, output) = run(
        &["check", "--policy", policy.to_str().unwrap()],
        &[("T", "abc")],
    );
    assert_eq!(code, 3, "{output}");
    assert!(output.contains("holds fewer than 4"), "{output}");

    let secret = dir.path().join("secret");
    std::fs::write(&secret, "\u{feff}ghp_canaryBom00000000000000000000000000\n").unwrap();
    let read = patlint::secret::SecretSource::file(secret).read().unwrap();
    assert_eq!(read.expose(), "ghp_canaryBom00000000000000000000000000");
}

/// Keys a policy might have, right and wrong.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("version".to_owned()),
        Just("extends".to_owned()),
        Just("name".to_owned()),
        Just("host".to_owned()),
        Just("url".to_owned()),
        Just("secret".to_owned()),
        Just("max_lifespan".to_owned()),
        Just("expiry_warning".to_owned()),
        Just("on_unverifiable".to_owned()),
        Just("require_scopes".to_owned()),
        Just("forbid_scopes".to_owned()),
        Just("allow_extra_scopes".to_owned()),
        Just("organization".to_owned()),
        Just("access_key_id".to_owned()),
        Just("require_actions".to_owned()),
        "[a-z_]{1,12}",
    ]
}

/// Values of every TOML type, including tricky strings.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("1".to_owned()),
        Just("true".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        Just("\"90d\"".to_owned()),
        Just("\"3mo\"".to_owned()),
        Just("\"github\"".to_owned()),
        Just("\"http://example.com\"".to_owned()),
        Just("\"builtin:git-integration-for-jira\"".to_owned()),
        Just("\"ghp_canaryFuzz000000000000000000000000000\"".to_owned()),
        Just("{ env = \"X\" }".to_owned()),
        Just("{ file = \"/x\" }".to_owned()),
        Just("{ env = \"X\", file = \"Y\" }".to_owned()),
        "\"[ -~é✓]{0,20}\"",
        "-?[0-9]{1,20}",
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(|items| format!("[{}]", items.join(", ")))
    })
}

fn table() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), value()), 0..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect::<String>()
    })
}

fn document() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just("[[token]]".to_owned()),
        Just("[defaults]".to_owned()),
        Just("[hosts.github]".to_owned()),
        Just("[hosts.nowhere]".to_owned()),
        Just("[token]".to_owned()),
        "\\[[a-z.]{1,10}\\]",
    ];
    (table(), prop::collection::vec((header, table()), 0..5)).prop_map(|(top, sections)| {
        let mut text = top;
        for (header, body) in sections {
            text.push_str(&format!("\n{header}\n{body}"));
        }
        text
    })
}

/// Checks the invariants of one parse: no panic (a panic fails the test), and every
/// error has a message, a help line, and a span inside its document.
fn check_invariants(text: &str) {
    let parsed = patlint::policy::parse_policy("fuzz.toml", text);
    if let Ok(policy) = &parsed {
        // A policy that validates goes through every format too (with no facts recorded,
        // each token is `facts-missing`).
        let facts = patlint::facts::FactsFile {
            schema_version: 1,
            observed_at: jiff::Timestamp::UNIX_EPOCH,
            tokens: Vec::new(),
        };
        render_everything(policy, &facts, jiff::Timestamp::UNIX_EPOCH);
    }
    if let Err(errors) = parsed {
        assert!(!errors.0.is_empty());
        for e in &errors.0 {
            assert!(!e.message.is_empty());
            assert!(e.help.is_some(), "no help for `{}`", e.message);
            assert!(e.line >= 1 && e.column >= 1);
            let end = e.span.offset() + e.span.len();
            let source_len =
                miette::SourceCode::read_span(&e.src, &e.span, 0, 0).map(|s| s.data().len());
            assert!(
                source_len.is_ok(),
                "span {}..{end} outside the document for `{}`",
                e.span.offset(),
                e.message
            );
            // Rendering never panics either, and hides credential-looking strings.
            let rendered =
                patlint::report::human::render_diagnostic(e, patlint::report::human::Style::PLAIN);
            assert!(!rendered.contains("canaryFuzz"), "{rendered}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_policies_never_panic(text in document()) {
        check_invariants(&text);
    }

    #[test]
    fn mutated_policies_never_panic(
        seed in 0usize..4,
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let bases = [
            include_str!("../../fixtures/example/patlint.toml"),
            include_str!("../../fixtures/policies/valid/spec-example.toml"),
            include_str!("../../policies/git-integration-for-jira.toml"),
            include_str!("../../fixtures/policies/invalid/unknown-keys.toml"),
        ];
        let mut bytes = bases[seed].as_bytes().to_vec();
        for (at, byte) in cuts {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        // Only UTF-8 reaches the parser; the binary refuses the rest first.
        if let Ok(text) = String::from_utf8(bytes) {
            check_invariants(&text);
        }
    }
}

/// Every format of one report; a panic anywhere fails the property test.
fn render_everything(
    policy: &patlint::policy::Policy,
    facts: &patlint::facts::FactsFile,
    now: jiff::Timestamp,
) {
    use patlint::report::{self, human};
    let report = patlint::evaluate_all(policy, facts, now);
    let outputs = [
        human::render(&report, human::Style::PLAIN),
        report::json::render(&report),
        report::sarif::render(&report),
        report::github_actions::annotations(&report),
        report::github_actions::summary(&report),
        report::code_quality::render(&report),
        report::junit::render(&report),
        report::azure_pipelines::render(&report),
    ];
    // The human summary, JSON and SARIF always say something; the others may be empty
    // (no findings, no annotations).
    assert!(outputs[..3].iter().all(|o| !o.is_empty()));
    // The exit code follows from the report: 0, 1 or 3, never anything else.
    let exit = report.gate.exit.code();
    assert!(matches!(exit, 0 | 1 | 3), "exit {exit}");
}

/// Instants from the start to the end of what a timestamp holds.
fn instant() -> impl Strategy<Value = jiff::Timestamp> {
    prop_oneof![
        Just(jiff::Timestamp::MIN),
        Just(jiff::Timestamp::MAX),
        (jiff::Timestamp::MIN.as_second()..=jiff::Timestamp::MAX.as_second())
            .prop_map(|s| jiff::Timestamp::from_second(s).unwrap()),
        (1_700_000_000i64..1_900_000_000).prop_map(|s| jiff::Timestamp::from_second(s).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Replayed facts with any dates, at any `--now`, through every format.
    #[test]
    fn replayed_facts_at_any_instant_never_panic(
        now in instant(),
        dates in prop::collection::vec(instant(), 4),
        warning in prop_oneof![Just("1h"), Just("14d"), Just("36500d")],
    ) {
        let text = include_str!("../../fixtures/example/patlint.toml")
            .replace("expiry_warning  = \"14d\"", &format!("expiry_warning = \"{warning}\""));
        let policy = common::policy(&text);
        let mut facts: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/example/facts.json")).unwrap();
        facts["observed_at"] = serde_json::json!(dates[0].to_string());
        for record in facts["tokens"].as_array_mut().unwrap() {
            if let Some(facts) = record.get_mut("facts") {
                for (key, date) in ["expires_at", "created_at", "last_used_at"].iter().zip(&dates[1..]) {
                    facts[*key] = serde_json::json!(date.to_string());
                }
            }
        }
        let facts: patlint::facts::FactsFile = serde_json::from_value(facts).unwrap();
        render_everything(&policy, &facts, now);
    }

    /// Mutated facts files: whatever still parses renders in every format.
    #[test]
    fn mutated_facts_never_panic(
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        now in instant(),
    ) {
        let policy = common::policy(include_str!("../../fixtures/example/patlint.toml"));
        let mut bytes = include_str!("../../fixtures/example/facts.json").as_bytes().to_vec();
        for (at, byte) in cuts {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Ok(facts) = serde_json::from_slice::<patlint::facts::FactsFile>(&bytes) {
            render_everything(&policy, &facts, now);
        }
    }
}

/// A credential pasted anywhere in a policy is refused (and never echoed), wherever it is.
#[test]
fn a_credential_anywhere_in_the_policy_is_refused_without_being_shown() {
    const PAT: &str = "ghp_canaryPasted0000000000000000000000000";
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    let base = "version = 1\n[[token]]\nname = \"t\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nsecret = { env = \"T\" }\n";
    let places = [
        format!("# the old token: {PAT}\n{base}"),
        base.replace(
            "name = \"t\"",
            &format!("name = \"t\"\nurl = \"https://dev.azure.com/?token={PAT}\""),
        ),
        base.replace(
            "organization = \"fabrikam\"",
            &format!("organization = \"{PAT}\""),
        ),
        base.replace("name = \"t\"", &format!("name = \"{PAT}\"")),
    ];
    for text in places {
        std::fs::write(&policy, &text).unwrap();
        let (code, output) = run(&["validate", "--policy", policy.to_str().unwrap()], &[]);
        assert_eq!(code, 2, "{text}: {output}");
        assert!(output.contains("credential"), "{text}: {output}");
        common::assert_no_secret(PAT, "validate output", &output);
    }
}

//! Bad policies never crash patlint: a corpus of hostile files through the binary, each
//! with a clear diagnostic, and a property test over generated and mutated TOML that
//! asserts no panic and a span on every error. `PROPTEST_CASES` bounds its run time.

mod common;

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
        ("a byte-order mark", b"\xef\xbb\xbfversion = 1\n".to_vec(), 0, "is valid"),
        ("a NUL byte in a string", b"version = 1\n[[token]]\nname = \"a\x00b\"\nhost = \"github\"\nsecret = { env = \"X\" }\n".to_vec(), 2, "not valid TOML"),
        ("a 2 MB string", format!("version = 1\n{}", token(0).replace("\"t0\"", &format!("\"{}\"", "a".repeat(2_000_000)))).into_bytes(), 0, "is valid: 1 token"),
        ("10,000 tokens", ten_thousand.into_bytes(), 0, "is valid: 10000 tokens"),
        ("a 17 MB file", format!("version = 1\n{}", "# padding\n".repeat(1_700_000)).into_bytes(), 2, "the most patlint reads"),
        ("an empty file", Vec::new(), 2, "has no `version`"),
        ("binary garbage", (0..=255u8).cycle().take(4096).collect(), 2, "is not UTF-8"),
        ("duplicate keys", b"version = 1\nversion = 1\n".to_vec(), 2, "not valid TOML"),
        ("a table where an array of tables belongs", b"version = 1\n[token]\nname = \"a\"\n".to_vec(), 2, "must be an array of tables"),
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
    if let Err(errors) = patlint::policy::parse_policy("fuzz.toml", text) {
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
            include_str!("../fixtures/example/patlint.toml"),
            include_str!("../fixtures/policies/valid/spec-example.toml"),
            include_str!("../policies/git-integration-for-jira.toml"),
            include_str!("../fixtures/policies/invalid/unknown-keys.toml"),
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

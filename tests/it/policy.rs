//! Policy parsing and validation: every invalid policy in fixtures/policies/invalid is
//! refused with help for each problem (what `patlint validate` prints for each is a case
//! in tests/cases); every valid one has its resolved form snapshotted.

use crate::common;
use patlint::hosts::OwnRequirements;
use patlint::hosts::aws_iam::AwsIam;
use patlint::hosts::azure_devops::Services;

use std::fmt::Write;

use patlint::policy::{Policy, Setting, parse_policy, presets};

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = format!("{}/fixtures/policies/{kind}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn invalid_policies_are_refused_with_help_for_every_problem() {
    let cases = fixtures("invalid");
    assert!(cases.len() >= 15, "the invalid corpus is missing files");
    for (name, text) in cases {
        let errors = parse_policy(&format!("{name}.toml"), &text).expect_err(&name);
        assert!(!errors.0.is_empty());
        for e in &errors.0 {
            assert!(e.help.is_some(), "{name}: `{}` has no help", e.message);
        }
    }
}

#[test]
fn literal_secrets_never_reach_the_diagnostics() {
    let text = std::fs::read_to_string(format!(
        "{}/fixtures/policies/invalid/literal-secret.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rendered = common::render_policy_errors("literal-secret.toml", &text);
    assert!(rendered.contains("written literally"));
    assert!(rendered.contains("not an environment variable name"));
    assert!(!rendered.contains("canaryLiteral"), "{rendered}");
    let errors = parse_policy("literal-secret.toml", &text).unwrap_err();
    assert!(!format!("{errors:?}").contains("canaryLiteral"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
version = 1
colour = "blue"
[defaults]
max_lifespan = "3mo"
[[token]]
name = "a"
host = "githb"
secret = { env = "A" }
[[token]]
name = "b"
host = "github"
secret = { env = "B" }
require_scopes = ["rep"]
"#;
    let errors = parse_policy("p.toml", text).unwrap_err();
    let messages: Vec<_> = errors.0.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("colour")));
    assert!(messages.iter().any(|m| m.contains("months or years")));
    assert!(messages.iter().any(|m| m.contains("githb")));
    assert!(messages.iter().any(|m| m.contains("`rep`")));
    let first = &errors.0[0];
    assert_eq!((first.line, first.column), (3, 1));
}

fn describe<T: std::fmt::Debug>(policy: &Policy, s: &Option<Setting<T>>) -> String {
    match s {
        None => "-".into(),
        Some(s) => format!("{:?} ({})", s.value, place(policy, &s.origin)),
    }
}

fn place(policy: &Policy, origin: &patlint::policy::Origin) -> String {
    let doc = policy.documents.get(origin.doc);
    let (line, _) = doc.line_col(origin.span.start);
    format!("{}:{line}", doc.name)
}

fn list(policy: &Policy, s: &Option<Vec<Setting<String>>>) -> String {
    match s {
        None => "-".into(),
        Some(v) => v
            .iter()
            .map(|s| format!("{} ({})", s.value, place(policy, &s.origin)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[test]
fn valid_policies_resolve_each_setting_from_the_most_specific_level() {
    for (name, text) in fixtures("valid") {
        let policy = parse_policy(&format!("{name}.toml"), &text).unwrap_or_else(|e| {
            panic!(
                "{name}: {:?}",
                e.0.iter().map(|e| &e.message).collect::<Vec<_>>()
            )
        });
        let mut out = String::new();
        for t in &policy.tokens {
            let r = &t.requirements;
            writeln!(
                out,
                "[{}] host={} endpoint={:?}",
                t.name,
                t.host(),
                t.endpoint
            )
            .unwrap();
            writeln!(out, "  secret: {}", t.secret.value).unwrap();
            writeln!(
                out,
                "  max_lifespan: {}",
                describe(&policy, &r.max_lifespan)
            )
            .unwrap();
            writeln!(
                out,
                "  expiry_warning: {}",
                describe(&policy, &r.expiry_warning)
            )
            .unwrap();
            writeln!(out, "  stale_after: {}", describe(&policy, &r.stale_after)).unwrap();
            writeln!(
                out,
                "  on_unverifiable: {}",
                describe(&policy, &r.on_unverifiable)
            )
            .unwrap();
            writeln!(
                out,
                "  require_scopes: {}",
                list(&policy, &r.require_scopes)
            )
            .unwrap();
            writeln!(out, "  forbid_scopes: {}", list(&policy, &r.forbid_scopes)).unwrap();
            writeln!(
                out,
                "  allow_extra_scopes: {}",
                describe(&policy, &r.allow_extra_scopes)
            )
            .unwrap();
            writeln!(
                out,
                "  all_accessible_organizations: {}",
                describe(
                    &policy,
                    &Services::requirements_of(r).all_accessible_organizations
                )
            )
            .unwrap();
            writeln!(
                out,
                "  require_actions: {}",
                list(&policy, &AwsIam::requirements_of(r).require_actions)
            )
            .unwrap();
            writeln!(
                out,
                "  resources: {}",
                list(&policy, &AwsIam::requirements_of(r).resources)
            )
            .unwrap();
        }
        for inventory in &policy.inventories {
            let t = &inventory.token;
            writeln!(
                out,
                "[inventory {}] host={} scope={:?} secret: {}",
                t.name,
                t.host(),
                inventory.scope,
                t.secret.value
            )
            .unwrap();
        }
        for (host, r) in &policy.undeclared {
            if r.undeclared.is_some() || r.max_lifespan.is_some() {
                writeln!(
                    out,
                    "[undeclared {host}] undeclared: {} max_lifespan: {}",
                    describe(&policy, &r.undeclared),
                    describe(&policy, &r.max_lifespan)
                )
                .unwrap();
            }
        }
        insta::assert_snapshot!(format!("valid-{name}"), out);
    }
}

#[test]
fn presets_are_valid_policies() {
    for preset in presets::PRESETS {
        parse_policy(preset.name, preset.text).unwrap_or_else(|e| {
            panic!(
                "{}: {:?}",
                preset.name,
                e.0.iter().map(|e| &e.message).collect::<Vec<_>>()
            )
        });
        let on_disk = std::fs::read_to_string(format!(
            "{}/policies/{}.toml",
            env!("CARGO_MANIFEST_DIR"),
            preset.name
        ))
        .unwrap();
        assert_eq!(on_disk, preset.text);
    }
}

#[test]
fn token_overrides_host_overrides_defaults_overrides_presets() {
    let policy = common::policy(
        r#"
version = 1
extends = ["builtin:git-integration-for-jira"]
[defaults]
max_lifespan = "90d"
expiry_warning = "7d"
[hosts.github]
max_lifespan = "180d"
require_scopes = ["repo", "workflow"]
[[token]]
name = "a"
host = "github"
secret = { env = "A" }
max_lifespan = "30d"
[[token]]
name = "b"
host = "github"
secret = { env = "B" }
[[token]]
name = "c"
host = "gitlab"
secret = { env = "C" }
"#,
    );
    let days = |t: usize| {
        policy.tokens[t]
            .requirements
            .max_lifespan
            .as_ref()
            .unwrap()
            .value
            .as_hours()
            / 24
    };
    assert_eq!((days(0), days(1), days(2)), (30, 180, 90));
    let scopes = |t: usize| -> Vec<String> {
        policy.tokens[t]
            .requirements
            .required_scopes()
            .iter()
            .map(|s| s.value.clone())
            .collect()
    };
    assert_eq!(scopes(0), ["repo", "workflow"]);
    // The preset's [hosts.gitlab] applies where the policy says nothing about scopes.
    assert_eq!(scopes(2), ["api"]);
    assert_eq!(
        policy.tokens[2].requirements.expiry_warning().as_hours(),
        7 * 24
    );
}

#[test]
fn credentials_anywhere_in_a_broken_policy_are_hidden() {
    let canary = "ghp_CANARYhidden1234567890abcdefghijklmn";
    let azure_like = "q7zjv2k4m5n6p7q8r9s0t1u2v3w4x5y6z7a8b9c0d1e2f3g4h5i6";
    let cases = [
        // An unknown host: the token is skipped, its literal secret still refused and hidden.
        format!("version = 1\n[[token]]\nname = \"a\"\nhost = \"githb\"\nsecret = \"{canary}\"\n"),
        // No name, and a secret reference with an unknown key.
        format!("version = 1\n[[token]]\nhost = \"github\"\nsecret = {{ value = \"{canary}\" }}\n"),
        // A syntax error on the secret's line.
        format!("version = 1\n[[token]\nsecret = \"{canary}\"\n"),
        // An unknown key holding a token, and one in a comment.
        format!("version = 1\n# old: {canary}\npat = \"{canary}\"\n"),
        // A token given as a file path; an Azure-like PAT as an env name.
        format!(
            "version = 1\n[[token]]\nname = \"a\"\nhost = \"github\"\nsecret = {{ file = \"{canary}\" }}\n[[token]]\nname = \"b\"\nhost = \"azure-devops\"\norganization = \"o\"\nsecret = {{ env = \"{azure_like}\" }}\n"
        ),
    ];
    for text in cases {
        let rendered = common::render_policy_errors("p.toml", &text);
        for secret in [canary, azure_like] {
            for window in secret.as_bytes().windows(12) {
                let fragment = std::str::from_utf8(window).unwrap();
                assert!(
                    !rendered.contains(fragment),
                    "`{fragment}` shown:\n{rendered}"
                );
            }
        }
    }
}

#[test]
fn a_wrongly_typed_top_level_key_hides_nothing_else() {
    let errors = parse_policy(
        "p.toml",
        "version = \"1\"\nextends = \"builtin:git-integration-for-jira\"\n[defaults]\nmax_lifespan = \"1y\"\n",
    )
    .unwrap_err();
    let messages: Vec<_> = errors.0.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("months or years")));
}

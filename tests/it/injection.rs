//! No text from a policy or a host reaches a CI runner as a command: in every format, on
//! standard output, standard error and the job summary, no line starts with `::` or `##[`
//! and no line holds `##vso[` except the commands patlint itself writes.

use crate::common;

use common::{code, patlint, text};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const INJECTED: &str =
    "x\n::error title=injected::pwned\n##vso[task.setvariable variable=FOO]bar\n##[group]fake";

/// Lines that a runner would take as a command, other than patlint's own.
fn commands_in(output: &str, own: &[&str]) -> Vec<String> {
    output
        .lines()
        .filter(|line| {
            let rest = line.trim_start();
            let command = rest.starts_with("::")
                || rest.starts_with("##[")
                || rest.to_ascii_lowercase().contains("##vso[");
            command && !own.iter().any(|o| rest.starts_with(o))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn validate_refuses_a_token_name_that_could_carry_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("patlint.toml");
    std::fs::write(
        &policy,
        format!(
            "version = 1\n[[token]]\nname = {:?}\nhost = \"github\"\nsecret = {{ env = \"T\" }}\n",
            INJECTED
        ),
    )
    .unwrap();
    let out = patlint()
        .args(["validate", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("a token name may hold only"), "{stderr}");
    assert_eq!(commands_in(&stderr, &[]), Vec::<String>::new(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn host_and_policy_text_never_becomes_a_runner_command_in_any_format() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "message": INJECTED,
            "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"ci\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"GH\" }}\nmax_lifespan = \"90d\"\n\n[[waiver]]\ntoken = \"ci\"\nrule = \"lifespan-exceeded\"\nuntil = \"2026-11-01\"\nreason = {:?}\n",
        server.uri(),
        INJECTED
    );
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    for (format, own) in [
        ("human", &[][..]),
        ("json", &[]),
        ("sarif", &[]),
        ("gitlab", &[]),
        ("junit", &[]),
        ("github", &["::error ", "::warning ", "::notice "][..]),
        (
            "azure",
            &["##vso[task.logissue ", "##vso[task.complete "][..],
        ),
    ] {
        let (out, _) = common::run_patlint(
            policy.clone(),
            vec![
                (
                    "GH".into(),
                    "ghp_canaryInjection000000000000000000000".into(),
                ),
                ("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()),
            ],
            &["check", "--now", "2026-11-24", "--format", format],
        )
        .await;
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("pwned"),
            "{format}: the text is still shown: {stdout}"
        );
        assert_eq!(
            commands_in(&stdout, own),
            Vec::<String>::new(),
            "{format}: {stdout}"
        );
        assert_eq!(
            commands_in(&text(&out.stderr), &[]),
            Vec::<String>::new(),
            "{format} stderr"
        );
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("pwned") || summary.contains("ci"),
        "{summary}"
    );
    assert_eq!(
        commands_in(&summary, &[]),
        Vec::<String>::new(),
        "{summary}"
    );
}

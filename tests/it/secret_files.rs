//! Files a policy names (`secret = { file = … }`, `ca_file`) are found where the policy
//! means them: a relative path from the policy file's folder whatever the working
//! directory, `~/` from the home folder; a missing one says that it does not exist and
//! where it was looked for, and no secret reaches any output.

use crate::common;

use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RELATIVE: &str = "ghp_canaryRelative0000000000000000000000";
const IN_HOME: &str = "ghp_canaryInHome000000000000000000000000";

/// A GitHub that knows both tokens.
async fn github() -> MockServer {
    let server = MockServer::start().await;
    for token in [RELATIVE, IN_HOME] {
        Mock::given(path("/user"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"login": "jira-bot"}))
                    .insert_header("X-OAuth-Scopes", "repo"),
            )
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_paths_are_read_from_the_policy_folder_and_home() {
    let server = github().await;
    let dir = tempfile::tempdir().unwrap();
    let (conf, home) = (dir.path().join("conf"), dir.path().join("home"));
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(conf.join("sec.txt"), format!("{RELATIVE}\n")).unwrap();
    std::fs::write(home.join("pat.txt"), IN_HOME).unwrap();
    // Only its place is checked when validating: a CA bundle beside the policy.
    std::fs::write(
        conf.join("ca.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let url = server.uri();
    std::fs::write(
        conf.join("patlint.toml"),
        format!(
            r#"version = 1

[[token]]
name = "beside-the-policy"
host = "github"
url = "{url}"
secret = {{ file = "sec.txt" }}

[[token]]
name = "in-home"
host = "github"
url = "{url}"
secret = {{ file = "~/pat.txt" }}

[[token]]
name = "missing"
host = "github"
url = "{url}"
secret = {{ file = "missing.txt" }}

[[token]]
name = "private-ca"
host = "github"
url = "https://ghe.example.com/api/v3"
ca_file = "ca.pem"
secret = {{ env = "UNSET" }}
"#
        ),
    )
    .unwrap();
    let run = |args: Vec<&'static str>| {
        let (cwd, home) = (dir.path().to_owned(), home.clone());
        tokio::task::spawn_blocking(move || {
            common::patlint()
                .current_dir(cwd)
                .env("HOME", home)
                .args(args)
                .args(["--policy", "conf/patlint.toml", "--now", "2026-11-24"])
                .output()
                .unwrap()
        })
    };
    let validated = run(vec!["validate"]).await.unwrap();
    assert_eq!(
        common::code(&validated),
        0,
        "{}",
        common::text(&validated.stderr)
    );

    let out = run(vec!["check", "--format", "json"]).await.unwrap();
    let (stdout, stderr) = (common::text(&out.stdout), common::text(&out.stderr));
    for secret in [RELATIVE, IN_HOME] {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tokens = json["tokens"].as_array().unwrap();
    assert_eq!(tokens[0]["status"], "pass", "{}", tokens[0]);
    assert_eq!(tokens[1]["status"], "pass", "{}", tokens[1]);
    let missing = &tokens[2]["findings"][0];
    assert_eq!(missing["rule"], "secret-unavailable");
    let looked_for = std::path::absolute(dir.path().join("conf/missing.txt")).unwrap();
    assert_eq!(
        missing["message"].as_str().unwrap(),
        format!(
            "token `missing` was not checked: file `missing.txt` does not exist (looked for {}; a relative path is read from the policy file's folder, `~/` from the home folder)",
            looked_for.display()
        )
    );
    assert_eq!(missing["evidence"], "reading the file `missing.txt`");
}

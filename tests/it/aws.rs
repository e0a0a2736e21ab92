//! AWS IAM keys end to end through the binary: against moto's server (a real IAM
//! implementation, started here) for key status, age and last use, and against an
//! awsquery-XML server (wiremock) for what moto lacks: `SimulatePrincipalPolicy` and
//! `ListServiceSpecificCredentials` (element names from botocore's IAM service model,
//! `botocore/data/iam/2010-05-08/service-2.json`).
//!
//! The SDK is pointed at either server with `AWS_ENDPOINT_URL`, its own setting.

use crate::common;

use common::aws::*;

use wiremock::{Mock, MockServer, ResponseTemplate};

/// A user with one access key; returns (key id, secret key).
async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    iam.create_user().user_name(user).send().await.unwrap();
    new_key(iam, user).await
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_key_status_age_and_last_use() {
    let Some(moto) = start_moto() else { return };
    let iam = admin(&moto.url).await;
    let (key_id, secret) = user_with_key(&iam, "jira-codecommit").await;
    let policy = key_policy("max_lifespan = \"90d\"\nstale_after = \"30d\"");

    // Today: a new key is in policy (not stale: it is young). moto, like IAM, records
    // patlint's own calls as the key's last use (service `iam`): that is not evidence.
    let (exit, json) = check(
        &moto.url,
        &key_id,
        &secret,
        policy.clone(),
        &days_from_now(0),
    )
    .await;
    assert_eq!((exit, rules(&json)), (0, vec![]), "{json:#}");
    let facts = &json["tokens"][0]["facts"];
    assert_eq!(facts["kind"], "access-key");
    assert_eq!(
        facts["expires_at"],
        serde_json::Value::Null,
        "keys never expire"
    );
    assert!(
        facts["created_at"].is_string() && facts.get("last_used_at").is_none(),
        "{facts}"
    );

    // 100 days on: older than max_lifespan; its last use is still only patlint's own, so
    // whether the integration used it is unknown, not "used 100 days ago".
    let (exit, json) = check(
        &moto.url,
        &key_id,
        &secret,
        policy.clone(),
        &days_from_now(100),
    )
    .await;
    assert_eq!(exit, 1);
    assert_eq!(
        rules(&json),
        ["lifespan-exceeded", "unverifiable"],
        "{json:#}"
    );
    let message = |i: usize| {
        json["tokens"][0]["findings"][i]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message(0).contains("days old"), "{}", message(0));
    assert!(
        message(1).contains("what patlint's own check signs"),
        "{}",
        message(1)
    );
    // What to do about it names no permission, which would not help: an auditor does.
    assert!(
        message(1).contains("an auditor `profile` reads IAM with its own credentials"),
        "{}",
        message(1)
    );
    let help = json["tokens"][0]["findings"][1]["help"].as_str().unwrap();
    assert!(help.contains("add an auditor `profile`"), "{help}");

    // A second active key on the same user: a rotation left half done.
    iam.create_access_key()
        .user_name("jira-codecommit")
        .send()
        .await
        .unwrap();
    let (exit, json) = check(
        &moto.url,
        &key_id,
        &secret,
        policy.clone(),
        &days_from_now(0),
    )
    .await;
    assert_eq!(
        (exit, rules(&json)),
        (0, vec!["key-rotation-overlap".to_owned()])
    );

    // Deactivated: `key-inactive`, and nothing else.
    iam.update_access_key()
        .user_name("jira-codecommit")
        .access_key_id(&key_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let (exit, json) = check(&moto.url, &key_id, &secret, policy, &days_from_now(100)).await;
    assert_eq!(
        (exit, rules(&json)),
        (1, vec!["key-inactive".to_owned()]),
        "{json:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_keys_and_failing_hosts() {
    let server = MockServer::start().await;
    answer(
        &server,
        "GetCallerIdentity",
        xml_error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
    )
    .await;
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        key_policy(""),
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!((exit, rules(&json)), (1, vec!["token-invalid".to_owned()]));

    let server = MockServer::start().await;
    answer(
        &server,
        "GetCallerIdentity",
        xml_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    )
    .await;
    let (_, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        key_policy(""),
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(rules(&json), ["token-invalid"]);

    let server = MockServer::start().await;
    answer(
        &server,
        "GetCallerIdentity",
        ResponseTemplate::new(503).set_body_raw("<html>Service Unavailable</html>", "text/html"),
    )
    .await;
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        key_policy(""),
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!((exit, rules(&json)), (3, vec!["host-error".to_owned()]));
}

/// The acceptance run: one token per host, all in one `patlint check`.
#[tokio::test(flavor = "multi_thread")]
async fn one_token_per_host_in_one_run() {
    use wiremock::matchers::path;
    let server = iam_mock().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2027-01-10 00:00:00 UTC",
                )
                .set_body_json(serde_json::json!({"login": "jira-bot"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v4/personal_access_tokens/self"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 4, "name": "jira", "revoked": false, "created_at": "2026-11-01T00:00:00Z", "scopes": ["api"], "user_id": 3, "last_used_at": null, "active": true, "expires_at": "2027-01-15"})))
        .mount(&server)
        .await;
    for connection in [
        "/fabrikam/_apis/connectionData",
        "/tfs/DefaultCollection/_apis/connectionData",
    ] {
        Mock::given(path(connection))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"authenticatedUser": {"id": "x"}})),
            )
            .mount(&server)
            .await;
    }
    Mock::given(path("/app/_apis/profile/profiles/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    answer(
        &server,
        "SimulatePrincipalPolicy",
        xml(
            "SimulatePrincipalPolicy",
            &format!(
                "<IsTruncated>false</IsTruncated><EvaluationResults>{}{}</EvaluationResults>",
                evaluation("codecommit:CreateBranch", "allowed"),
                evaluation("codecommit:CreatePullRequest", "allowed")
            ),
        ),
    )
    .await;
    let url = server.uri();
    let policy = format!(
        r#"version = 1
extends = ["builtin:git-integration-for-jira"]

[defaults]
max_lifespan = "90d"

[hosts.azure-devops]
all_accessible_organizations = false
on_unverifiable = "warn"

[hosts.azure-devops-server]
on_unverifiable = "warn"

[[token]]
name = "jira-github"
host = "github"
url = "{url}"
secret = {{ env = "GH" }}

[[token]]
name = "jira-gitlab"
host = "gitlab"
url = "{url}"
secret = {{ env = "GL" }}

[[token]]
name = "jira-azure"
host = "azure-devops"
organization = "fabrikam"
url = "{url}"
profile_url = "{url}/app"
secret = {{ env = "ADO" }}

[[token]]
name = "jira-tfs"
host = "azure-devops-server"
url = "{url}/tfs/DefaultCollection"
secret = {{ env = "TFS" }}

[[token]]
name = "jira-codecommit"
host = "aws-iam"
access_key_id = {{ env = "JIRA_AWS_ACCESS_KEY_ID" }}
secret = {{ env = "JIRA_AWS_SECRET_ACCESS_KEY" }}
resources = ["arn:aws:codecommit:us-east-1:123456789012:jira-*"]
"#
    );
    let mut env: Vec<(String, String)> = [
        ("GH", "ghp_canaryEveryHost000000000000000000000"),
        ("GL", "glpat-canaryEveryHost0000"),
        ("ADO", "canaryeveryhostazurepat0000000000000000000000000000"),
        ("TFS", "canaryeveryhosttfspat00000000000000000000000000000"),
        ("JIRA_AWS_ACCESS_KEY_ID", KEY_ID),
        ("JIRA_AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_ENDPOINT_URL", &url),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let home = tempfile::tempdir().unwrap();
    env.push(("HOME".into(), home.path().display().to_string()));
    let secrets: Vec<String> = env.iter().take(6).map(|(_, v)| v.clone()).collect();
    let (exit, stdout, stderr) = common::run_check(policy, env, &url).await;
    for secret in &secrets {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    assert_eq!(exit, 0, "{stdout}{stderr}");
    for line in [
        "pass  jira-github (github)",
        "pass  jira-gitlab (gitlab)",
        "UNVERIFIABLE  jira-azure (azure-devops): 2 warnings",
        "UNVERIFIABLE  jira-tfs (azure-devops-server): 2 warnings",
        "pass  jira-codecommit (aws-iam)",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
}

/// An endpoint where nothing listens (moto not started) and a profile with no credentials:
/// each is said in a sentence with what to do, never as the SDK's `Debug` form
/// (`DispatchFailure(DispatchFailure { source: ConnectorError { … } })`,
/// `CredentialsNotLoaded(CredentialsNotLoaded { source: None })`).
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_aws_and_a_profile_without_credentials_are_said_plainly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nothing_listens = format!("http://127.0.0.1:{port}");
    let policy = format!(
        "{}\n[[token]]\nname = \"jira-profile\"\nhost = \"aws-iam\"\nprofile = \"jira\"\n",
        key_policy("")
    );
    let (exit, json) = check_with(
        &nothing_listens,
        KEY_ID,
        SECRET_KEY,
        policy,
        "2026-11-24T00:00:00Z",
        Vec::new(),
    )
    .await;
    assert_eq!(exit, 3, "{json:#}");
    let finding = |token: usize| &json["tokens"][token]["findings"][0];
    let (key, profile) = (finding(0), finding(1));
    assert_eq!(key["rule"], "host-error");
    assert_eq!(
        key["message"],
        "token `jira-codecommit` could not be checked: AWS could not be asked: sts:GetCallerIdentity: could not connect (Connection refused (os error 111))"
    );
    assert_eq!(profile["rule"], "secret-unavailable");
    assert!(
        profile["message"].as_str().unwrap().starts_with(
            "token `jira-profile` was not checked: no credentials were found for the profile"
        ),
        "{profile}"
    );
    assert!(
        profile["help"]
            .as_str()
            .unwrap()
            .contains("aws configure --profile NAME"),
        "{profile}"
    );
    assert!(
        !debug_shapes("(CredentialsNotLoaded(CredentialsNotLoaded { source: None }))").is_empty(),
        "the check is real"
    );
    for finding in [key, profile] {
        for field in ["message", "help"] {
            let text = finding[field].as_str().unwrap();
            assert_eq!(debug_shapes(text), Vec::<&str>::new(), "{field}: {text}");
        }
    }
}

/// Rust `Debug` shapes in a text: a brace, or a type name followed by `(` or ` {`.
fn debug_shapes(text: &str) -> Vec<&str> {
    let mut shapes = Vec::new();
    if let Some(at) = text.find('{') {
        shapes.push(&text[at..]);
    }
    for (at, _) in text.match_indices('(') {
        let word = text[..at]
            .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or_default();
        if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            shapes.push(word);
        }
    }
    shapes
}

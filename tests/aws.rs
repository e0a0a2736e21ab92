//! AWS IAM keys end to end through the binary: against moto's server (a real IAM
//! implementation, started here) for key status, age and last use, and against an
//! awsquery-XML server (wiremock) for what moto lacks: `SimulatePrincipalPolicy` and
//! `ListServiceSpecificCredentials` (element names from hosts.md §5.3).
//!
//! The SDK is pointed at either server with `AWS_ENDPOINT_URL`, its own setting.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::body_string_contains;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The AWS documentation's example key pair.
const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// moto's server, on a free loopback port, for the life of the value.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto, or says why not: a failure under CI, a loud skip elsewhere.
fn start_moto() -> Option<Moto> {
    let binary = common::required_tool("PATLINT_MOTO_SERVER", ".venv/bin/moto_server")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// An IAM client for setting up moto's state, with moto's dummy credentials.
async fn admin(url: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::config::Builder::new()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .endpoint_url(url)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// A user with one access key; returns (key id, secret key).
async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    iam.create_user().user_name(user).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

fn key_policy(requirements: &str) -> String {
    format!(
        "version = 1\n\n[[token]]\nname = \"jira-codecommit\"\nhost = \"aws-iam\"\naccess_key_id = {{ env = \"JIRA_AWS_ACCESS_KEY_ID\" }}\nsecret = {{ env = \"JIRA_AWS_SECRET_ACCESS_KEY\" }}\n{requirements}\n"
    )
}

/// Runs `patlint check --format json` against `endpoint` with the given key, checks that
/// neither half of the key appears anywhere, and returns (exit, json).
async fn check(
    endpoint: &str,
    key_id: &str,
    secret: &str,
    policy: String,
    now: &str,
) -> (i32, serde_json::Value) {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_owned();
    let env: Vec<(String, String)> = [
        ("HOME", home_path.display().to_string()),
        (
            "AWS_CONFIG_FILE",
            home_path.join("no-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home_path.join("no-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("JIRA_AWS_ACCESS_KEY_ID", key_id.to_owned()),
        ("JIRA_AWS_SECRET_ACCESS_KEY", secret.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let args = [
        "check",
        "--format",
        "json",
        "--retries",
        "0",
        "--timeout",
        "5",
        "--now",
        now,
    ];
    let (out, _) = common::run_patlint(policy, env, &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for secret_part in [key_id, secret] {
        common::assert_no_secret(secret_part, "stdout", &stdout);
        common::assert_no_secret(secret_part, "stderr", &stderr);
    }
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), json)
}

fn rules(json: &serde_json::Value) -> Vec<String> {
    json["tokens"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn days_from_now(days: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days)).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_key_status_age_and_last_use() {
    let Some(moto) = start_moto() else { return };
    let iam = admin(&moto.url).await;
    let (key_id, secret) = user_with_key(&iam, "jira-codecommit").await;
    let policy = key_policy("max_lifespan = \"90d\"\nstale_after = \"30d\"");

    // Today: a new key, just used by patlint itself, is in policy (not stale: it is young).
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
        facts["created_at"].is_string() && facts["last_used_at"].is_string(),
        "{facts}"
    );

    // 100 days on: older than max_lifespan, and unused for longer than stale_after.
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
        ["lifespan-exceeded", "stale-token"],
        "{json:#}"
    );
    let message = json["tokens"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("days old"), "{message}");

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

fn xml(action: &str, result: &str) -> ResponseTemplate {
    let namespace = if action == "GetCallerIdentity" {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    } else {
        "https://iam.amazonaws.com/doc/2010-05-08/"
    };
    ResponseTemplate::new(200).set_body_raw(
        format!(
            "<{action}Response xmlns=\"{namespace}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></{action}Response>"
        ),
        "text/xml",
    )
}

fn xml_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4c49f1d6-EXAMPLE</RequestId></ErrorResponse>"
        ),
        "text/xml",
    )
}

async fn answer(server: &MockServer, action: &str, response: ResponseTemplate) {
    Mock::given(body_string_contains(format!("Action={action}&").as_str()))
        .respond_with(response)
        .mount(server)
        .await;
}

/// An IAM/STS server for user Bob, with the AWS CLI examples' keys and credentials.
async fn iam_mock() -> MockServer {
    let server = MockServer::start().await;
    answer(
        &server,
        "GetCallerIdentity",
        xml("GetCallerIdentity", "<Arn>arn:aws:iam::123456789012:user/Bob</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account>"),
    )
    .await;
    answer(
        &server,
        "ListAccessKeys",
        xml(
            "ListAccessKeys",
            "<AccessKeyMetadata><member><UserName>Bob</UserName><AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><Status>Active</Status><CreateDate>2026-10-01T18:17:34Z</CreateDate></member><member><UserName>Bob</UserName><AccessKeyId>AKIAI44QH8DHBEXAMPLE</AccessKeyId><Status>Inactive</Status><CreateDate>2013-06-06T20:42:26Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>",
        ),
    )
    .await;
    // The official GetAccessKeyLastUsed sample, with a recent date.
    answer(
        &server,
        "GetAccessKeyLastUsed",
        xml("GetAccessKeyLastUsed", "<AccessKeyLastUsed><Region>us-west-2</Region><LastUsedDate>2026-11-20T10:45:00Z</LastUsedDate><ServiceName>codecommit</ServiceName></AccessKeyLastUsed><UserName>Bob</UserName>"),
    )
    .await;
    server
}

/// Bob's key, with `action` answered by AccessDenied: the run must exit 1 with the token
/// `unverifiable`. Returns its first finding.
async fn denied(action: &str, requirements: &str) -> serde_json::Value {
    let server = iam_mock().await;
    let message = format!(
        "User: arn:aws:iam::123456789012:user/Bob is not authorized to perform: iam:{action}"
    );
    answer(&server, action, xml_error(403, "AccessDenied", &message)).await;
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        key_policy(requirements),
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(exit, 1);
    assert_eq!(json["tokens"][0]["status"], "unverifiable");
    json["tokens"][0]["findings"][0].clone()
}

fn evaluation(action: &str, decision: &str) -> String {
    format!(
        "<member><EvalActionName>{action}</EvalActionName><EvalResourceName>arn:aws:codecommit:us-east-1:123456789012:*</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_simulation_names_the_decision_for_each_missing_action() {
    let server = iam_mock().await;
    let results = [
        evaluation("codecommit:CreateBranch", "allowed"),
        evaluation("codecommit:CreatePullRequest", "implicitDeny"),
        evaluation("codecommit:GitPush", "explicitDeny"),
    ]
    .concat();
    answer(
        &server,
        "SimulatePrincipalPolicy",
        xml(
            "SimulatePrincipalPolicy",
            &format!(
                "<IsTruncated>false</IsTruncated><EvaluationResults>{results}</EvaluationResults>"
            ),
        ),
    )
    .await;
    let policy = key_policy(
        "require_actions = [\"codecommit:CreateBranch\", \"codecommit:CreatePullRequest\", \"codecommit:GitPush\"]\nresources = [\"arn:aws:codecommit:us-east-1:123456789012:*\"]",
    );
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        policy,
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(exit, 1);
    assert_eq!(
        rules(&json),
        ["missing-action", "missing-action"],
        "{json:#}"
    );
    let findings = json["tokens"][0]["findings"].as_array().unwrap();
    assert!(findings[0]["message"].as_str().unwrap().contains("`codecommit:CreatePullRequest` on `arn:aws:codecommit:us-east-1:123456789012:*`: implicitly denied"), "{json:#}");
    assert!(
        findings[1]["message"]
            .as_str()
            .unwrap()
            .contains("explicitly denied")
    );
    assert_eq!(
        findings[0]["evidence"],
        "iam:SimulatePrincipalPolicy for `arn:aws:iam::123456789012:user/Bob`"
    );

    // The simulation was asked for exactly the policy's actions and resources.
    let requests = server.received_requests().await.unwrap();
    let simulation = requests
        .iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains("Action=SimulatePrincipalPolicy"))
        .unwrap();
    let body = String::from_utf8_lossy(&simulation.body).into_owned();
    assert!(
        body.contains("PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2FBob"),
        "{body}"
    );
    assert!(
        body.contains("ActionNames.member.2=codecommit%3ACreatePullRequest"),
        "{body}"
    );
    assert!(
        body.contains("ResourceArns.member.1=arn%3Aaws%3Acodecommit"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_on_introspection_is_unverifiable_with_the_permission_named() {
    let finding = denied(
        "SimulatePrincipalPolicy",
        "require_actions = [\"codecommit:CreateBranch\"]",
    )
    .await;
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("grant its user `iam:SimulatePrincipalPolicy`"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codecommit_git_credentials_are_judged_by_age() {
    let server = iam_mock().await;
    // From the AWS CLI example `list-service-specific-credentials`.
    answer(
        &server,
        "ListServiceSpecificCredentials",
        xml(
            "ListServiceSpecificCredentials",
            "<ServiceSpecificCredentials><member><UserName>developer</UserName><Status>Inactive</Status><ServiceUserName>developer-at-123456789012</ServiceUserName><CreateDate>2019-10-01T04:31:41Z</CreateDate><ServiceSpecificCredentialId>ACCAQFODXMPL4YFHP7DZE</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member><member><UserName>developer</UserName><Status>Active</Status><ServiceUserName>developer+1-at-123456789012</ServiceUserName><CreateDate>2019-10-01T04:31:45Z</CreateDate><ServiceSpecificCredentialId>ACCAQFOXMPL6VW57M7AJP</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member></ServiceSpecificCredentials><IsTruncated>false</IsTruncated>",
        ),
    )
    .await;
    let policy = key_policy("max_lifespan = \"90d\"\nservice_credentials = true");
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        policy,
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(exit, 1);
    // The key is 53 days old (fine); only the active Git credential is too old.
    assert_eq!(rules(&json), ["lifespan-exceeded"], "{json:#}");
    let message = json["tokens"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("`developer+1-at-123456789012`"),
        "{message}"
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

#[tokio::test(flavor = "multi_thread")]
async fn denied_git_credential_listing_is_unverifiable_not_a_pass() {
    let finding = denied(
        "ListServiceSpecificCredentials",
        "max_lifespan = \"90d\"\nservice_credentials = true",
    )
    .await;
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("iam:ListServiceSpecificCredentials")
    );
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .starts_with("AWS: grant the key's IAM user"),
        "{finding}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_ends_in_host_error_and_no_credential_chain_is_probed() {
    let server = MockServer::start().await;
    answer(
        &server,
        "GetCallerIdentity",
        xml_error(400, "Throttling", "Rate exceeded"),
    )
    .await;
    // An instance-metadata endpoint that must never be asked: the policy names the key.
    let imds = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&imds)
        .await;
    let home = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", server.uri()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.uri()),
        ("HOME", home.path().display().to_string()),
        ("JIRA_AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("JIRA_AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (exit, stdout, stderr) = common::run_check(key_policy(""), env, &server.uri()).await;
    assert_eq!(exit, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("host-error") && stdout.contains("Throttling"),
        "{stdout}"
    );
    for secret in [KEY_ID, SECRET_KEY] {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    drop(imds); // verifies `expect(0)`
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_profile_brings_its_credentials_region_and_endpoints() {
    let server = iam_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile jira]\nregion = eu-west-1\nservices = local\n\n[services local]\niam =\n  endpoint_url = {0}\nsts =\n  endpoint_url = {0}\n",
            server.uri()
        ),
    )
    .unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[jira]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET_KEY}\n"),
    )
    .unwrap();
    let policy = "version = 1\n[[token]]\nname = \"jira-codecommit\"\nhost = \"aws-iam\"\nprofile = \"jira\"\nmax_lifespan = \"90d\"\n".to_owned();
    let env: Vec<(String, String)> = [
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("HOME", dir.path().display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (exit, stdout, stderr) = common::run_check(policy, env, &server.uri()).await;
    assert_eq!(exit, 0, "{stdout}{stderr}");
    for secret in [KEY_ID, SECRET_KEY] {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    let requests = server.received_requests().await.unwrap();
    let sts = requests
        .iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains("Action=GetCallerIdentity"))
        .unwrap();
    let authorization = sts.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("/eu-west-1/sts/aws4_request"),
        "signed for the profile's region: {authorization}"
    );
}

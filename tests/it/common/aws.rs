//! Helpers for the AWS IAM tests: the policy of one key, running `patlint check` on it
//! against an endpoint, and an awsquery-XML server (wiremock) answering IAM and STS.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::body_string_contains;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The AWS documentation's example key pair.
pub const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub fn key_policy(requirements: &str) -> String {
    format!(
        "version = 1\n\n[[token]]\nname = \"jira-codecommit\"\nhost = \"aws-iam\"\naccess_key_id = {{ env = \"JIRA_AWS_ACCESS_KEY_ID\" }}\nsecret = {{ env = \"JIRA_AWS_SECRET_ACCESS_KEY\" }}\n{requirements}\n"
    )
}

/// Runs `patlint check --format json` against `endpoint` with the given key, checks that
/// neither half of the key appears anywhere, and returns (exit, json).
pub async fn check(
    endpoint: &str,
    key_id: &str,
    secret: &str,
    policy: String,
    now: &str,
) -> (i32, serde_json::Value) {
    check_with(endpoint, key_id, secret, policy, now, Vec::new()).await
}

/// [`check`] of Bob's key (the AWS examples' key pair) under `requirements`, at the tests'
/// usual `--now`.
pub async fn check_key(endpoint: &str, requirements: &str) -> (i32, serde_json::Value) {
    check(
        endpoint,
        KEY_ID,
        SECRET_KEY,
        key_policy(requirements),
        "2026-11-24T00:00:00Z",
    )
    .await
}

/// The message of the first token's first finding.
pub fn first_message(json: &serde_json::Value) -> &str {
    json["tokens"][0]["findings"][0]["message"]
        .as_str()
        .unwrap()
}

/// The environment of a run whose AWS SDK reads nothing of the machine's (no shared config,
/// no instance metadata; `home` stands for the home folder) and sends every call to
/// `endpoint`, with the key in `JIRA_AWS_ACCESS_KEY_ID` / `JIRA_AWS_SECRET_ACCESS_KEY`.
pub fn sdk_env(
    home: &std::path::Path,
    endpoint: &str,
    key_id: &str,
    secret: &str,
) -> Vec<(String, String)> {
    [
        ("HOME", home.display().to_string()),
        (
            "AWS_CONFIG_FILE",
            home.join("no-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("no-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("JIRA_AWS_ACCESS_KEY_ID", key_id.to_owned()),
        ("JIRA_AWS_SECRET_ACCESS_KEY", secret.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// [`check`], with more environment (set last, so it wins).
pub async fn check_with(
    endpoint: &str,
    key_id: &str,
    secret: &str,
    policy: String,
    now: &str,
    more_env: Vec<(String, String)>,
) -> (i32, serde_json::Value) {
    let home = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = sdk_env(home.path(), endpoint, key_id, secret)
        .into_iter()
        .chain(more_env)
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
    let (out, _) = super::run_patlint(policy, env, &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for secret_part in [key_id, secret] {
        super::assert_no_secret(secret_part, "stdout", &stdout);
        super::assert_no_secret(secret_part, "stderr", &stderr);
    }
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), json)
}

pub fn rules(json: &serde_json::Value) -> Vec<String> {
    json["tokens"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

pub fn days_from_now(days: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days)).to_string()
}

pub fn xml(action: &str, result: &str) -> ResponseTemplate {
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

pub fn xml_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4c49f1d6-EXAMPLE</RequestId></ErrorResponse>"
        ),
        "text/xml",
    )
}

/// Answers `SimulatePrincipalPolicy` with one page of these evaluation results.
pub async fn simulation(server: &MockServer, results: &[String]) {
    let results = results.concat();
    answer(
        server,
        "SimulatePrincipalPolicy",
        xml(
            "SimulatePrincipalPolicy",
            &format!(
                "<IsTruncated>false</IsTruncated><EvaluationResults>{results}</EvaluationResults>"
            ),
        ),
    )
    .await;
}

/// Answers `action` with `response` ahead of what [`iam_mock`] mounted for it.
pub async fn answer_instead(server: &MockServer, action: &str, response: ResponseTemplate) {
    Mock::given(body_string_contains(format!("Action={action}&").as_str()))
        .respond_with(response)
        .with_priority(1)
        .mount(server)
        .await;
}

pub async fn answer(server: &MockServer, action: &str, response: ResponseTemplate) {
    Mock::given(body_string_contains(format!("Action={action}&").as_str()))
        .respond_with(response)
        .mount(server)
        .await;
}

/// An IAM/STS server for user Bob, with the AWS CLI examples' keys and credentials.
pub async fn iam_mock() -> MockServer {
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
pub async fn denied(action: &str, requirements: &str) -> serde_json::Value {
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

pub fn evaluation(action: &str, decision: &str) -> String {
    evaluation_missing(action, decision, &[])
}

/// An evaluation result that lists the context keys the simulation lacked.
pub fn evaluation_missing(action: &str, decision: &str, missing: &[&str]) -> String {
    let missing: String = missing
        .iter()
        .map(|key| format!("<member>{key}</member>"))
        .collect();
    format!(
        "<member><EvalActionName>{action}</EvalActionName><EvalResourceName>arn:aws:codecommit:us-east-1:123456789012:*</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues>{missing}</MissingContextValues></member>"
    )
}

/// The `GetAccessKeyLastUsed` answer for a last use of `service` at `date`.
pub fn last_used(service: &str, date: &str) -> ResponseTemplate {
    xml(
        "GetAccessKeyLastUsed",
        &format!(
            "<AccessKeyLastUsed><Region>us-east-1</Region><LastUsedDate>{date}</LastUsedDate><ServiceName>{service}</ServiceName></AccessKeyLastUsed><UserName>Bob</UserName>"
        ),
    )
}

/// moto's server, on a free loopback port, for the life of the value.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto, or says why not: a failure under CI, a loud skip elsewhere.
pub fn start_moto() -> Option<Moto> {
    let binary = super::required_tool("PATLINT_MOTO_SERVER", ".venv/bin/moto_server")?;
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
pub async fn admin(url: &str) -> aws_sdk_iam::Client {
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

/// A new access key of `user`; returns (key id, secret key).
pub async fn new_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
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

//! AWS IAM keys through the binary against an awsquery-XML server (wiremock), for what
//! moto lacks or cannot be made to do: `SimulatePrincipalPolicy` decisions,
//! `ListServiceSpecificCredentials`, access denied, throttling and named profiles (element
//! names from botocore's IAM service model, `botocore/data/iam/2010-05-08/service-2.json`).

use crate::common;

use common::aws::*;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn policy_simulation_names_the_decision_for_each_missing_action() {
    let server = iam_mock().await;
    simulation(
        &server,
        &[
            evaluation("codecommit:CreateBranch", "allowed"),
            evaluation("codecommit:CreatePullRequest", "implicitDeny"),
            evaluation("codecommit:GitPush", "explicitDeny"),
        ],
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
        "require_actions = [\"codecommit:CreateBranch\"]\nresources = [\"arn:aws:codecommit:us-east-1:123456789012:*\"]",
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
    let message = first_message(&json);
    assert!(
        message.contains("`developer+1-at-123456789012`"),
        "{message}"
    );
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
            .starts_with("AWS: when the message names an IAM permission"),
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

/// What the key's own check signs shows up as the key's last use: never evidence.
#[tokio::test(flavor = "multi_thread")]
async fn a_last_use_by_sts_or_iam_is_patlints_own_and_not_evidence() {
    for service in ["sts", "iam"] {
        let server = iam_mock().await;
        answer_instead(
            &server,
            "GetAccessKeyLastUsed",
            last_used(service, "2026-11-23T09:00:00Z"),
        )
        .await;
        let (exit, json) = check_key(&server.uri(), "stale_after = \"30d\"").await;
        assert_eq!(exit, 1, "{service}: {json:#}");
        assert_eq!(json["tokens"][0]["status"], "unverifiable", "{json:#}");
        let message = first_message(&json);
        assert!(
            message.contains(&format!("last use as `{service}`"))
                && message.contains("says nothing about the integration's use"),
            "{message}"
        );
    }
}

/// An auditor profile beside the key reads the last use before the key signs anything,
/// and makes every IAM call itself: the key signs only sts:GetCallerIdentity.
#[tokio::test(flavor = "multi_thread")]
async fn an_auditor_profile_reads_last_use_before_the_key_signs_anything() {
    const AUDITOR_KEY: &str = "AKIAI44QH8DHBEXAMPLE";
    const AUDITOR_SECRET: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
    let server = iam_mock().await;
    // An IAM use is not patlint's when the auditor asks IAM: it is the truth.
    answer_instead(
        &server,
        "GetAccessKeyLastUsed",
        last_used("iam", "2026-08-01T09:00:00Z"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile audit]\nregion = us-east-1\nservices = local\n\n[services local]\niam =\n  endpoint_url = {0}\n",
            server.uri()
        ),
    )
    .unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[audit]\naws_access_key_id = {AUDITOR_KEY}\naws_secret_access_key = {AUDITOR_SECRET}\n"
        ),
    )
    .unwrap();
    let mut policy = key_policy("stale_after = \"30d\"");
    policy.push_str("profile = \"audit\"\n");
    let (exit, json) = check_with(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        policy,
        "2026-11-24T00:00:00Z",
        vec![
            ("AWS_CONFIG_FILE".into(), config.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                credentials.display().to_string(),
            ),
        ],
    )
    .await;
    let text = json.to_string();
    for secret in [AUDITOR_KEY, AUDITOR_SECRET] {
        common::assert_no_secret(secret, "stdout", &text);
    }
    assert_eq!(exit, 0, "a stale token is a warning: {json:#}");
    let finding = &json["tokens"][0]["findings"][0];
    assert_eq!(finding["rule"], "stale-token", "{json:#}");
    assert!(
        finding["evidence"]
            .as_str()
            .unwrap()
            .contains("read by the auditor profile `audit` before the key signed anything"),
        "{finding}"
    );

    let requests = server.received_requests().await.unwrap();
    let signer = |r: &wiremock::Request| {
        let auth = r.headers["authorization"].to_str().unwrap().to_owned();
        if auth.contains(AUDITOR_KEY) {
            "auditor"
        } else {
            "key"
        }
    };
    let calls: Vec<(String, &str)> = requests
        .iter()
        .map(|r| {
            let body = String::from_utf8_lossy(&r.body).into_owned();
            let action = body
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .unwrap_or("?")
                .to_owned();
            (action, signer(r))
        })
        .collect();
    assert_eq!(
        calls[0],
        ("GetAccessKeyLastUsed".to_owned(), "auditor"),
        "{calls:?}"
    );
    for (action, by) in &calls {
        let expected = if action == "GetCallerIdentity" {
            "key"
        } else {
            "auditor"
        };
        assert_eq!(*by, expected, "{action}: {calls:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_action_that_lacked_context_keys_is_not_proof() {
    let server = iam_mock().await;
    simulation(
        &server,
        &[evaluation_missing(
            "codecommit:GitPush",
            "allowed",
            &["aws:SourceIp", "aws:MultiFactorAuthPresent"],
        )],
    )
    .await;
    let policy = key_policy(
        "require_actions = [\"codecommit:GitPush\"]\nresources = [\"arn:aws:codecommit:us-east-1:123456789012:*\"]",
    );
    let (exit, json) = check(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        policy,
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(exit, 1, "{json:#}");
    assert_eq!(json["tokens"][0]["status"], "unverifiable");
    let message = first_message(&json);
    assert!(
        message.contains("`aws:MultiFactorAuthPresent`, `aws:SourceIp`"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_created_after_the_answer_has_no_trusted_age() {
    let server = iam_mock().await;
    answer_instead(
        &server,
        "ListAccessKeys",
        xml(
            "ListAccessKeys",
            "<AccessKeyMetadata><member><UserName>Bob</UserName><AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><Status>Active</Status><CreateDate>2099-01-01T00:00:00Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>",
        ),
    )
    .await;
    let (exit, json) = check_key(&server.uri(), "max_lifespan = \"90d\"").await;
    assert_eq!(exit, 1, "{json:#}");
    let message = first_message(&json);
    assert!(
        message.contains("`max_lifespan` cannot be verified")
            && message.contains("after the host answered"),
        "{message}"
    );
}

#[tokio::test]
async fn require_actions_without_resources_is_refused_by_validate() {
    let (out, _) = common::run_patlint(
        key_policy("require_actions = [\"codecommit:GitPull\"]"),
        vec![],
        &["validate"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`require_actions` is set but `resources` is not")
            && stderr.contains("arn:aws:codecommit:REGION:ACCOUNT:REPOSITORY"),
        "{stderr}"
    );
}

/// Plain HTTP goes only to loopback and never through a proxy: the key id and signature
/// would cross the network in clear.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_loopback_never_goes_through_a_proxy() {
    let server = iam_mock().await;
    let proxy = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(502))
        .expect(0)
        .mount(&proxy)
        .await;
    let proxy_env: Vec<(String, String)> = [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), proxy.uri()))
    .collect();
    let (exit, json) = check_with(
        &server.uri(),
        KEY_ID,
        SECRET_KEY,
        key_policy("max_lifespan = \"90d\""),
        "2026-11-24T00:00:00Z",
        proxy_env,
    )
    .await;
    assert_eq!(exit, 0, "{json:#}");
    assert!(!server.received_requests().await.unwrap().is_empty());
    drop(proxy); // verifies `expect(0)`
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_http_aws_endpoint_elsewhere_is_refused_before_anything_is_sent() {
    let (exit, json) = check(
        "http://iam.example.com",
        KEY_ID,
        SECRET_KEY,
        key_policy("max_lifespan = \"90d\""),
        "2026-11-24T00:00:00Z",
    )
    .await;
    assert_eq!(exit, 3, "{json:#}");
    let message = first_message(&json);
    assert!(
        message.contains("`http://iam.example.com/` is plain http://")
            && message.contains("nothing was sent"),
        "{message}"
    );
}

/// Answers IAM never gives: a key without `Status`, a date past year 9999. Each is a host
/// error, never `key-inactive` or 1970.
#[tokio::test(flavor = "multi_thread")]
async fn keys_without_status_or_with_impossible_dates_are_host_errors() {
    let cases = [
        (
            "ListAccessKeys",
            xml(
                "ListAccessKeys",
                "<AccessKeyMetadata><member><UserName>Bob</UserName><AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><CreateDate>2026-10-01T18:17:34Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>",
            ),
            "without the key's `Status`",
        ),
        (
            "GetAccessKeyLastUsed",
            xml(
                "GetAccessKeyLastUsed",
                "<AccessKeyLastUsed><Region>us-east-1</Region><LastUsedDate>1e20</LastUsedDate><ServiceName>codecommit</ServiceName></AccessKeyLastUsed><UserName>Bob</UserName>",
            ),
            "GetAccessKeyLastUsed",
        ),
    ];
    for (action, response, says) in cases {
        let server = iam_mock().await;
        answer_instead(&server, action, response).await;
        let (exit, json) = check_key(
            &server.uri(),
            "max_lifespan = \"90d\"\nstale_after = \"30d\"",
        )
        .await;
        assert_eq!(exit, 3, "{action}: {json:#}");
        assert_eq!(json["tokens"][0]["findings"][0]["rule"], "host-error");
        let message = first_message(&json);
        assert!(message.contains(says), "{action}: {message}");
    }
}

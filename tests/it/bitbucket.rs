//! Bitbucket Cloud and Data Center against local servers answering as Atlassian
//! documents: Cloud's `x-oauth-scopes` and `x-credential-type` (KB "How to fetch the scope
//! of a token via command line"), its 401s (`www-authenticate: Basic realm="Bitbucket.org
//! HTTP"`, the Bearer JSON error) and its 403 for a missing scope; Data Center's paged
//! access-token listings (OpenAPI 9.2) and `X-AUSERNAME`.

use crate::common;

use common::{assert_no_secret, at, observe_policy_at, quick_settings};
use patlint::facts::{Observation, Rejection};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_TOKEN: &str = "ATATT3xFfGF0canaryBitbucketApiToken0000";
const ACCESS_TOKEN: &str = "ATCTT3xFfGN0canaryBitbucketAccessToken00";
const APP_PASSWORD: &str = "ATBBcanaryBitbucketAppPassword000000";
/// The Data Center OpenAPI 9.2's example token: base64 of "252973515069:" and bytes.
pub(crate) const DC_TOKEN: &str = "MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ";
pub(crate) const DC_ID: &str = "252973515069";

/// `patlint ARGS --format json` on `policy` with `secret` in `BB`: exit code and report.
async fn run_json(policy: String, secret: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let (out, _) = common::run_patlint(policy, vec![("BB".into(), secret.into())], &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_secret(secret, "stdout", &stdout);
    assert_no_secret(secret, "stderr", &stderr);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (out.status.code().unwrap(), json)
}

fn rules(token: &serde_json::Value) -> Vec<String> {
    token["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn finding<'a>(token: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    token["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule}: {token}"))
}

fn cloud_policy(server: &MockServer, keys: &str, requirements: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"bb\"\nhost = \"bitbucket\"\nurl = \"{}/2.0\"\nsecret = {{ env = \"BB\" }}\n{keys}\n{requirements}\n",
        server.uri()
    )
}

async fn assert_only_get(server: &MockServer) {
    for request in server.received_requests().await.unwrap() {
        assert_eq!(request.method.as_str(), "GET", "{}", request.url);
    }
}

/// `GET /2.0/user` as Bitbucket answers an API token with `account` and repository scopes.
async fn cloud_user(scopes: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2.0/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", scopes)
                .set_body_json(serde_json::json!({
                    "type": "user", "username": "jira-bot", "display_name": "Jira Bot",
                    "account_id": "557058:0000"
                })),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn an_api_token_is_sent_as_email_and_token_and_its_scopes_are_read() {
    let server = cloud_user("read:user:bitbucket, read:repository:bitbucket").await;
    let policy = cloud_policy(
        &server,
        "email = \"jira-bot@example.com\"",
        "require_scopes = [\"read:repository:bitbucket\"]\nmax_lifespan = \"365d\"\non_unverifiable = \"warn\"",
    );
    let (exit, json) = run_json(policy, API_TOKEN, &["check", "--now", "2026-11-24"]).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 0, "{json}");
    assert_eq!(token["facts"]["kind"], "api-token", "{json}");
    assert_eq!(rules(token), ["unverifiable"], "{json}");
    let message = finding(token, "unverifiable")["message"].as_str().unwrap();
    assert!(
        message.contains("does not reveal a token's expiry"),
        "{message}"
    );

    let requests = server.received_requests().await.unwrap();
    let basic = requests[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("jira-bot@example.com:{API_TOKEN}"));
    assert_eq!(basic, format!("Basic {expected}"));
    assert_only_get(&server).await;
}

#[tokio::test]
async fn an_access_token_missing_a_scope_or_holding_a_forbidden_one_through_an_implication_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2.0/repositories"))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", "pullrequest:write")
                .insert_header("x-credential-type", "repo_access_token")
                .set_body_json(serde_json::json!({"pagelen": 1, "values": []})),
        )
        .mount(&server)
        .await;
    let policy = cloud_policy(
        &server,
        "",
        "require_scopes = [\"pullrequest\", \"webhook\"]\nforbid_scopes = [\"repository:write\"]",
    );
    let (exit, json) = run_json(policy, ACCESS_TOKEN, &["check", "--now", "2026-11-24"]).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{json}");
    assert_eq!(token["facts"]["kind"], "repository-access-token", "{json}");
    let mut found = rules(token);
    found.sort();
    assert_eq!(found, ["forbidden-scope", "missing-scope"], "{json}");
    let forbidden = finding(token, "forbidden-scope")["message"]
        .as_str()
        .unwrap();
    assert!(
        forbidden.contains("through `pullrequest:write`"),
        "{forbidden}"
    );
    assert!(
        finding(token, "missing-scope")["message"]
            .as_str()
            .unwrap()
            .contains("`webhook`")
    );
    assert_only_get(&server).await;

    let facts = observe_policy_at(
        &cloud_policy(&server, "", "").replace("{ env = \"BB\" }", "{ file = \"SECRET0\" }"),
        &[ACCESS_TOKEN],
        quick_settings(),
        at("2026-11-24T00:00:00Z"),
    )
    .await;
    let record = serde_json::to_value(facts[0].facts().unwrap()).unwrap();
    assert_eq!(
        record["bitbucket_credential"], "repository-access-token",
        "{record}"
    );
}

#[tokio::test]
async fn a_403_for_a_missing_scope_still_proves_the_token_and_shows_its_scopes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2.0/user"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "type": "error",
            "error": {
                "message": "Your credentials lack one or more required privilege scopes.",
                "detail": {"required": ["read:user:bitbucket"], "granted": ["read:repository:bitbucket", "write:repository:bitbucket"]}
            }
        })))
        .mount(&server)
        .await;
    let policy = cloud_policy(
        &server,
        "email = \"jira-bot@example.com\"",
        "require_scopes = [\"read:repository:bitbucket\", \"read:pullrequest:bitbucket\"]",
    );
    let (exit, json) = run_json(policy, API_TOKEN, &["check", "--now", "2026-11-24"]).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{json}");
    assert_eq!(rules(token), ["missing-scope"], "{json}");
    let missing = finding(token, "missing-scope");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("read:pullrequest:bitbucket")
    );
    assert!(missing.to_string().contains("detail.granted"), "{missing}");
}

#[tokio::test]
async fn only_bitbucket_s_own_401_makes_a_token_invalid() {
    let bearer = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "type": "error",
            "error": {"message": "Token is invalid, expired, or not supported for this endpoint."}
        })))
        .mount(&bearer)
        .await;
    let (exit, json) = run_json(
        cloud_policy(&bearer, "", ""),
        ACCESS_TOKEN,
        &["check", "--now", "2026-11-24"],
    )
    .await;
    assert_eq!(exit, 1, "{json}");
    assert_eq!(rules(&json["tokens"][0]), ["token-invalid"], "{json}");

    let proxy = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("www-authenticate", "Basic realm=\"proxy\""),
        )
        .mount(&proxy)
        .await;
    let (_, json) = run_json(
        cloud_policy(&proxy, "", ""),
        ACCESS_TOKEN,
        &["check", "--now", "2026-11-24"],
    )
    .await;
    assert_eq!(rules(&json["tokens"][0]), ["host-error"], "{json}");
}

#[tokio::test]
async fn an_app_password_warns_before_the_removal_and_fails_from_it() {
    let server = cloud_user("account, repository").await;
    let policy = cloud_policy(&server, "username = \"jira-bot\"", "");
    let (exit, json) = run_json(
        policy.clone(),
        APP_PASSWORD,
        &["check", "--now", "2026-07-21"],
    )
    .await;
    let retired = finding(&json["tokens"][0], "app-password-retired");
    assert_eq!(exit, 0, "{json}");
    assert_eq!(retired["severity"], "warning", "{json}");
    let message = retired["message"].as_str().unwrap();
    assert!(
        message.contains("removed on 2026-07-28: 7 days left"),
        "{message}"
    );

    let (exit, json) = run_json(
        policy.clone(),
        APP_PASSWORD,
        &["check", "--now", "2026-07-28"],
    )
    .await;
    let retired = finding(&json["tokens"][0], "app-password-retired");
    assert_eq!(exit, 1, "{json}");
    assert_eq!(retired["severity"], "error", "{json}");
    assert!(
        retired["message"]
            .as_str()
            .unwrap()
            .contains("(since 2026-07-28)")
    );

    // `validate` says so from the policy alone.
    let (out, _) = common::run_patlint(policy, vec![], &["validate", "--now", "2026-08-01"]).await;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("app-password-retired") || said.contains("app passwords"),
        "{said}"
    );
}

#[tokio::test]
async fn a_refused_app_password_is_invalid_with_the_retirement_as_its_likely_cause() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Basic realm=\"Bitbucket.org HTTP\""),
        )
        .mount(&server)
        .await;
    let policy = cloud_policy(&server, "username = \"jira-bot\"", "")
        .replace("{ env = \"BB\" }", "{ file = \"SECRET0\" }");
    let observed = observe_policy_at(
        &policy,
        &[APP_PASSWORD],
        quick_settings(),
        at("2026-08-01T00:00:00Z"),
    )
    .await;
    let Observation::Rejected { reason, help, .. } = &observed[0] else {
        panic!("{observed:?}");
    };
    assert_eq!(*reason, Rejection::Invalid);
    let help = help.as_deref().unwrap();
    assert!(
        help.contains("no longer work (since 2026-07-28)") && help.contains("API token"),
        "{help}"
    );
}

#[tokio::test]
async fn validate_knows_both_vocabularies_and_their_implications() {
    let policy = "version = 1\n[[token]]\nname = \"bb\"\nhost = \"bitbucket\"\nsecret = { env = \"BB\" }\nrequire_scopes = [\"read:repositry:bitbucket\", \"pullrequest:write\"]\nforbid_scopes = [\"repository\"]\n[[token]]\nname = \"dc\"\nhost = \"bitbucket-data-center\"\nurl = \"https://bitbucket.example.com\"\nproject = \"PROJ\"\nsecret = { env = \"DC\" }\nrequire_scopes = [\"repository:write\"]\n";
    let (out, _) = common::run_patlint(policy.into(), vec![], &["validate"]).await;
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("did you mean `read:repository:bitbucket`?"),
        "{said}"
    );
    assert!(
        said.contains("the required `pullrequest:write` includes `repository`"),
        "{said}"
    );
    assert!(
        said.contains("`repository:write` is not a Bitbucket Data Center scope"),
        "{said}"
    );
}

/// A Data Center record of the OpenAPI's example token.
fn dc_record(permissions: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "id": DC_ID,
        "name": "jira",
        "createdDate": 1767225600000_i64, // 2026-01-01T00:00:00Z
        "lastAuthenticated": 1767225600000_i64,
        "expiryDays": 365,
        "permissions": permissions,
        "user": {"name": "proj-bot", "slug": "proj-bot"}
    })
}

fn dc_policy(server: &MockServer, requirements: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"dc\"\nhost = \"bitbucket-data-center\"\nurl = \"{}\"\nproject = \"PROJ\"\nsecret = {{ env = \"BB\" }}\n{requirements}\n",
        server.uri()
    )
}

const DC_LISTING: &str = "/rest/access-tokens/latest/projects/PROJ";

#[tokio::test]
async fn a_data_center_record_is_found_by_id_across_pages_and_judged() {
    let server = MockServer::start().await;
    let other = serde_json::json!({"id": "1", "name": "other", "createdDate": 1767225600000_i64, "permissions": ["PROJECT_ADMIN"]});
    Mock::given(method("GET"))
        .and(path(DC_LISTING))
        .and(query_param("start", "0"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-ausername", "proj-bot").set_body_json(
            serde_json::json!({"size": 1, "limit": 1, "start": 0, "isLastPage": false, "nextPageStart": 1, "values": [other]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DC_LISTING))
        .and(query_param("start", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"size": 1, "limit": 1, "start": 1, "isLastPage": true, "values": [dc_record(&["PROJECT_READ"])]}),
        ))
        .mount(&server)
        .await;
    let policy = dc_policy(
        &server,
        "require_scopes = [\"REPO_READ\"]\nforbid_scopes = [\"REPO_WRITE\"]\nmax_lifespan = \"90d\"\nexpiry_warning = \"30d\"",
    );
    let (exit, json) = run_json(policy, DC_TOKEN, &["check", "--now", "2026-12-20"]).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{json}");
    let mut found = rules(token);
    found.sort();
    assert_eq!(found, ["expires-soon", "lifespan-exceeded"], "{json}");
    assert!(
        finding(token, "lifespan-exceeded")["message"]
            .as_str()
            .unwrap()
            .contains("expires 2027-01-01"),
        "{json}"
    );
    assert_only_get(&server).await;
    for request in server.received_requests().await.unwrap() {
        assert!(request.url.path().starts_with("/rest/"), "{}", request.url);
        assert_eq!(
            request
                .headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("Bearer {DC_TOKEN}")
        );
    }
}

#[tokio::test]
async fn a_data_center_token_that_may_not_read_its_record_is_unverifiable_not_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DC_LISTING))
        .respond_with(ResponseTemplate::new(401).insert_header("x-ausername", "proj-bot").set_body_json(
            serde_json::json!({"errors": [{"message": "You are not permitted to access this resource", "exceptionName": null}]}),
        ))
        .mount(&server)
        .await;
    let policy = dc_policy(&server, "require_scopes = [\"REPO_READ\"]");
    let (exit, json) = run_json(policy, DC_TOKEN, &["check", "--now", "2026-12-20"]).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{json}");
    assert_eq!(token["status"], "unverifiable", "{json}");
    assert_eq!(rules(token), ["unverifiable"], "{json}");
}

#[tokio::test]
async fn a_data_center_token_refused_everywhere_is_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({"errors": [{
            "message": "Authentication failed. Please check your credentials and try again.",
            "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
        }]})))
        .mount(&server)
        .await;
    let (exit, json) = run_json(
        dc_policy(&server, ""),
        DC_TOKEN,
        &["check", "--now", "2026-12-20"],
    )
    .await;
    assert_eq!(exit, 1, "{json}");
    assert_eq!(rules(&json["tokens"][0]), ["token-invalid"], "{json}");
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, [DC_LISTING, "/rest/api/latest/projects/PROJ"]);
}

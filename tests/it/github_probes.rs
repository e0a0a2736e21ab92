//! GitHub probes against wiremock answering as GitHub does: fine-grained permissions on the
//! token's repositories, repository reach, SSO per organization, and what a classic token's
//! scopes grant. Each test observes through `observe_all` and judges the recorded facts
//! live and replayed, so a verdict never depends on more than the facts file.

use crate::common;

use patlint::facts::{FactsFile, Observation};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FINE: &str =
    "github_pat_11AAAAAAA0probe00000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNO";
pub(crate) const CLASSIC: &str = "ghp_probeClassic000000000000000000000000";
const NOT_ACCESSIBLE: &str = "Resource not accessible by personal access token";

/// A GitHub whose `/user` accepts the token (classic tokens get `scopes`).
pub(crate) async fn github(scopes: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    let mut user = ResponseTemplate::new(200).set_body_json(json!({"login": "octocat"}));
    if let Some(scopes) = scopes {
        user = user.insert_header("X-OAuth-Scopes", scopes);
    }
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(user)
        .mount(&server)
        .await;
    server
}

pub(crate) async fn answer(server: &MockServer, verb: &str, at: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

/// GitHub's repository object, with the authenticated user's role (`permissions`).
/// `GET /orgs/octo-org` answered once, as GitHub does for a token it does not refuse.
pub(crate) async fn organization(server: &MockServer) {
    answer(
        server,
        "GET",
        "/orgs/octo-org",
        ResponseTemplate::new(200).set_body_json(json!({"login": "octo-org"})),
    )
    .await;
}

pub(crate) fn repository(private: bool) -> ResponseTemplate {
    repository_with_role(private, true)
}

fn repository_with_role(private: bool, push: bool) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "full_name": "octo-org/app", "private": private,
        "permissions": {"admin": false, "maintain": false, "push": push, "triage": true, "pull": true}
    }))
}

/// GitHub's own error: its JSON (`message`, `documentation_url`, `status`) and its
/// `X-GitHub-Request-Id`.
fn github_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("X-GitHub-Request-Id", "E3A2:160030:DC7C75:F76DCA:6990609D")
        .set_body_json(json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string()
        }))
}

fn refused() -> ResponseTemplate {
    github_error(403, NOT_ACCESSIBLE)
        .insert_header("X-Accepted-GitHub-Permissions", "contents=write")
}

fn unprocessable(message: &str) -> ResponseTemplate {
    github_error(422, message)
}

/// A GitHub token on `octo-org/app` requiring `permissions`, with extra lines.
fn policy(url: &str, permissions: &str, extra: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{url}\"\nsecret = {{ file = \"SECRET0\" }}\nrepositories = [\"octo-org/app\"]\nrequire_permissions = {{ {permissions} }}\n{extra}"
    )
}

/// Observes the policy with `secret`, then judges it live and replayed from JSON; returns
/// the facts and the (status, rule ids, messages) both agree on.
pub(crate) async fn judge(text: &str, secret: &str) -> (FactsFile, String, Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, secret).unwrap();
    let text = text.replace("SECRET0", &file.display().to_string());
    let policy = common::policy(&text);
    let observed_at = jiff::Timestamp::now();
    let facts = patlint::hosts::observe_all(&policy, &common::quick_settings(), observed_at).await;
    let json = serde_json::to_string(&facts).unwrap();
    assert!(!json.contains(secret), "the secret is in the facts: {json}");
    let (status, rules, messages) = common::verdict_live_and_replayed(&policy, &facts);
    (facts, status, rules, messages)
}

#[tokio::test]
async fn a_fine_grained_token_that_may_write_contents_and_pull_requests_passes() {
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "POST",
        "/repos/octo-org/app/git/refs",
        unprocessable("Object does not exist"),
    )
    .await;
    answer(
        &server,
        "POST",
        "/repos/octo-org/app/pulls",
        unprocessable("Validation Failed"),
    )
    .await;
    organization(&server).await;
    let text = policy(
        &server.uri(),
        r#"contents = "write", pull_requests = "write""#,
        "",
    );
    let (facts, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    let recorded = facts.tokens[0].observation.facts().unwrap();
    let evidence: Vec<&str> = recorded
        .grants
        .iter()
        .map(|g| g.evidence.as_str())
        .collect();
    assert!(
        evidence.contains(&"probe: POST /repos/octo-org/app/git/refs → 422"),
        "{evidence:?}"
    );
    // The write probe can never create anything: its object is all zeros.
    let requests = server.received_requests().await.unwrap();
    let refs = requests
        .iter()
        .find(|r| r.url.path() == "/repos/octo-org/app/git/refs")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&refs.body).unwrap();
    assert_eq!(body["sha"], "0".repeat(40));
    assert!(
        body["ref"]
            .as_str()
            .unwrap()
            .starts_with("refs/heads/patlint-probe-")
    );
    let pulls = requests
        .iter()
        .find(|r| r.url.path() == "/repos/octo-org/app/pulls")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&pulls.body).unwrap();
    assert!(accepted_by_the_description(&body), "{body}");
}

/// What GitHub's OpenAPI description (github/rest-api-description, `pulls/create`) accepts
/// as the body of `POST /repos/{owner}/{repo}/pulls`: `head` and `base` (required) and a
/// `title` (required unless `issue`), all strings; here, branches that cannot exist.
fn accepted_by_the_description(body: &serde_json::Value) -> bool {
    let branch = |key: &str| {
        body.get(key)
            .and_then(|v| v.as_str())
            .is_some_and(|b| b.starts_with("patlint-probe-"))
    };
    branch("head")
        && branch("base")
        && body["head"] != body["base"]
        && body.get("title").is_some_and(|t| t.is_string())
}

#[tokio::test]
async fn the_pull_request_write_probe_sends_a_body_the_description_accepts() {
    // GitHub answers a body its description accepts with 422 only about the branches; a
    // body without `head` and `base` is refused by its validation, which proves nothing.
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    Mock::given(method("POST"))
        .and(path("/repos/octo-org/app/pulls"))
        .and(|request: &wiremock::Request| {
            serde_json::from_slice::<serde_json::Value>(&request.body)
                .is_ok_and(|body| accepted_by_the_description(&body))
        })
        .respond_with(github_error(422, "Validation Failed"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo-org/app/pulls"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"message": "Invalid request.\n\n\"base\", \"head\" weren't supplied.", "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", "status": "400"}),
        ))
        .with_priority(10)
        .mount(&server)
        .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"pull_requests = "write""#, "");
    let (facts, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    let recorded = facts.tokens[0].observation.facts().unwrap();
    assert!(
        recorded
            .grants
            .iter()
            .any(|g| g.evidence == "probe: POST /repos/octo-org/app/pulls → 422"),
        "{:?}",
        recorded.grants
    );
}

#[tokio::test]
async fn a_refusal_that_is_not_githubs_own_settles_nothing() {
    let problem = |status: u16| {
        ResponseTemplate::new(status).set_body_raw(
            format!(r#"{{"type":"about:blank","title":"Blocked","status":{status}}}"#),
            "application/problem+json",
        )
    };
    // A gateway's 403 to the write probe: not a missing permission.
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "POST",
        "/repos/octo-org/app/git/refs",
        problem(403),
    )
    .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("403 (application/problem+json)")
            && messages.contains("not GitHub's own answer"),
        "{messages}"
    );

    // A proxy's HTML 404 to the repository read: not a missing repository.
    let server = github(None).await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app",
        ResponseTemplate::new(404).set_body_raw("<html>Not Found</html>", "text/html"),
    )
    .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(status, "unverifiable", "{messages}");
    assert!(
        !rules.contains(&"missing-repository".to_owned()),
        "{messages}"
    );
    assert!(messages.contains("404 (text/html)"), "{messages}");

    // A gateway's 401 to a read probe: not `token-invalid`.
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app/contents/",
        problem(401),
    )
    .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"contents = "read""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(status, "unverifiable", "{messages}");
    assert!(!rules.contains(&"token-invalid".to_owned()), "{messages}");
    assert!(
        messages.contains("401 (application/problem+json)"),
        "{messages}"
    );
}

#[tokio::test]
async fn a_refused_write_probe_is_a_missing_permission_with_the_request_as_evidence() {
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(&server, "POST", "/repos/octo-org/app/git/refs", refused()).await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(status, "fail");
    assert_eq!(rules, ["missing-permission"], "{messages}");
    assert!(
        messages.contains("lacks `contents = \"write\"` on `octo-org/app`")
            && messages.contains("probe: POST /repos/octo-org/app/git/refs → 403"),
        "{messages}"
    );
}

#[tokio::test]
async fn a_repository_the_token_does_not_reach_is_a_missing_repository_and_nothing_more_is_sent() {
    let server = github(None).await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app",
        github_error(404, "Not Found"),
    )
    .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    // GitHub may answer a token its SAML SSO has not authorized with 404, so the
    // organization's SSO stays unknown: `unverifiable` beside the failure.
    assert_eq!(
        (status.as_str(), rules),
        (
            "fail",
            vec!["unverifiable".to_owned(), "missing-repository".to_owned()]
        ),
        "{messages}"
    );
    assert!(
        messages.contains("SAML single sign-on of `octo-org`"),
        "{messages}"
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "no write probe on a repository the token does not reach"
    );
}

#[tokio::test]
async fn an_accepted_write_probe_stops_the_check_with_a_host_error_naming_the_request() {
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "POST",
        "/repos/octo-org/app/git/refs",
        ResponseTemplate::new(201).set_body_json(json!({"ref": "refs/heads/x"})),
    )
    .await;
    let text = policy(
        &server.uri(),
        r#"contents = "write", pull_requests = "write""#,
        "",
    );
    let (facts, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("error", vec!["host-error".to_owned()])
    );
    assert!(
        messages.contains("a probe was accepted; nothing may be assumed")
            && messages.contains("POST /repos/octo-org/app/git/refs answered 201"),
        "{messages}"
    );
    assert!(matches!(
        facts.tokens[0].observation,
        Observation::Unchecked { .. }
    ));
    let requests = server.received_requests().await.unwrap();
    assert!(
        !requests.iter().any(|r| r.url.path().ends_with("/pulls")),
        "probing stopped at the accepted request"
    );
}

#[tokio::test]
async fn an_answer_outside_the_expected_ones_is_unverifiable_with_its_status() {
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "POST",
        "/repos/octo-org/app/pulls",
        ResponseTemplate::new(409).set_body_json(json!({"message": "Conflict"})),
    )
    .await;
    organization(&server).await;
    let text = policy(&server.uri(), r#"pull_requests = "write""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()])
    );
    assert!(messages.contains("409"), "{messages}");
}

#[tokio::test]
async fn reads_are_probed_on_private_repositories_and_granted_on_public_ones() {
    let server = github(None).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app/contents/",
        ResponseTemplate::new(200).set_body_json(json!([{"name": "README.md"}])),
    )
    .await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app/pulls",
        github_error(403, NOT_ACCESSIBLE),
    )
    .await;
    organization(&server).await;
    let text = policy(
        &server.uri(),
        r#"contents = "read", pull_requests = "read""#,
        "",
    );
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["missing-permission".to_owned()])
    );
    assert!(
        messages.contains("`pull_requests = \"read\"`"),
        "{messages}"
    );

    // On a public repository every token can read: no read probe is sent. Without an
    // organization to check for SSO, that passes; with its owner's SSO checked, a public
    // repository does not show the token authorized, so it is `unverifiable`.
    let public = github(None).await;
    answer(&public, "GET", "/repos/octo-org/app", repository(false)).await;
    let text = policy(
        &public.uri(),
        r#"contents = "read""#,
        "organizations = []\n",
    );
    let (_, status, _, messages) = judge(&text, FINE).await;
    assert_eq!(status, "pass", "{messages}");
    let public = github(None).await;
    answer(&public, "GET", "/repos/octo-org/app", repository(false)).await;
    organization(&public).await;
    let text = policy(&public.uri(), r#"contents = "read""#, "");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("SAML single sign-on of `octo-org`"),
        "{messages}"
    );
}

#[tokio::test]
async fn an_organization_whose_sso_has_not_authorized_the_token_is_its_own_finding() {
    let server = github(Some("repo")).await;
    let url = "https://github.com/orgs/octo-org/sso?authorization_request=AZSCKtL4";
    answer(
        &server,
        "GET",
        "/orgs/octo-org",
        ResponseTemplate::new(403)
            .insert_header("X-GitHub-SSO", format!("required; url={url}").as_str())
            .set_body_json(json!({"message": "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization."})),
    )
    .await;
    let text = "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"URL\"\nsecret = { file = \"SECRET0\" }\norganizations = [\"octo-org\"]\n"
        .replace("URL", &server.uri());
    let (facts, status, rules, _) = judge(&text, CLASSIC).await;
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["sso-not-authorized".to_owned()])
    );
    let policy = common::policy(&text.replace("SECRET0", "/nonexistent"));
    let report = patlint::evaluate_all(&policy, &facts, facts.observed_at);
    let finding = &report.tokens[0].verdict.findings[0];
    assert!(
        finding.help.as_deref().unwrap().contains(url),
        "{finding:?}"
    );
}

#[tokio::test]
async fn a_classic_token_satisfies_permissions_with_the_scopes_that_grant_them() {
    // `repo` grants contents write: only the repository's reach is probed.
    let server = github(Some("repo, read:org")).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    organization(&server).await;
    let text = policy(
        &server.uri(),
        r#"contents = "write", pull_requests = "write""#,
        "",
    );
    let (_, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "no write probe for a classic token"
    );

    // `repo` on a repository where the user may only read does not let it write.
    let reader = github(Some("repo")).await;
    answer(
        &reader,
        "GET",
        "/repos/octo-org/app",
        repository_with_role(true, false),
    )
    .await;
    organization(&reader).await;
    let text = policy(&reader.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["missing-permission".to_owned()])
    );
    assert!(
        messages.contains("its user's role on the repository does not"),
        "{messages}"
    );
    assert!(messages.contains("`permissions.push`"), "{messages}");

    // `public_repo` grants it on public repositories only.
    let private = github(Some("public_repo")).await;
    answer(&private, "GET", "/repos/octo-org/app", repository(true)).await;
    organization(&private).await;
    let text = policy(&private.uri(), r#"contents = "write""#, "");
    let (_, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["missing-permission".to_owned()])
    );
    assert!(messages.contains("public repositories only"), "{messages}");
}

#[tokio::test]
async fn probe_false_sends_nothing_but_the_token_check_and_leaves_permissions_unverifiable() {
    let server = github(None).await;
    let text = policy(&server.uri(), r#"contents = "write""#, "probe = false\n");
    let (_, status, rules, messages) = judge(&text, FINE).await;
    // The permissions, and the SSO authorization for the repository's owner.
    assert_eq!(
        (status.as_str(), rules),
        (
            "unverifiable",
            vec!["unverifiable".to_owned(), "unverifiable".to_owned()]
        )
    );
    assert!(messages.contains("`probe = false`"), "{messages}");
    assert!(
        messages.contains("`GET /orgs/octo-org` was not asked"),
        "{messages}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "only GET /user");
}

#[tokio::test]
async fn only_what_the_policy_asks_is_probed() {
    // Without require_permissions or organizations, a token costs one request.
    let server = github(None).await;
    let text = "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"URL\"\nsecret = { file = \"SECRET0\" }\n"
        .replace("URL", &server.uri());
    let (_, status, _, messages) = judge(&text, FINE).await;
    assert_eq!(status, "pass", "{messages}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn permissions_and_repositories_are_validated_offline() {
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\nrepositories = [\"octo-org\"]\nrequire_permissions = { content = \"write\", workflows = \"read\" }\n",
    );
    assert!(
        errors.contains("`octo-org` is not a GitHub repository"),
        "{errors}"
    );
    assert!(errors.contains("did you mean `contents`?"), "{errors}");
    assert!(
        errors.contains("`read` is not a level of `workflows`"),
        "{errors}"
    );
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\nrequire_permissions = { contents = \"write\" }\n",
    );
    assert!(
        errors.contains("GitLab's `require_permissions` is a list of permission names"),
        "{errors}"
    );
}

#[test]
fn explain_documents_each_probe_and_why_it_cannot_change_anything() {
    for (rule, request) in [
        ("missing-permission", "POST /repos/OWNER/REPO/git/refs"),
        ("missing-repository", "GET /repos/OWNER/REPO"),
        ("sso-not-authorized", "GET /orgs/ORG"),
        (
            "missing-scope",
            "00000000-0000-0000-0000-000000000000/pullrequests",
        ),
    ] {
        let out = common::patlint().args(["explain", rule]).output().unwrap();
        let text = common::text(&out.stdout);
        assert_eq!(common::code(&out), 0);
        assert!(text.contains(request), "{rule}: {text}");
        assert!(text.contains("cannot change anything"), "{rule}: {text}");
        assert!(
            text.contains("do not document the order of their checks"),
            "{rule}: {text}"
        );
    }
}

#[tokio::test]
async fn a_422_that_is_not_githubs_or_a_secondary_rate_limit_proves_nothing() {
    for (write_answer, why) in [
        (
            ResponseTemplate::new(422).set_body_raw("<html>blocked</html>", "text/html"),
            "422",
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})),
            "secondary rate limit",
        ),
    ] {
        let server = github(None).await;
        answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
        answer(&server, "POST", "/repos/octo-org/app/git/refs", write_answer).await;
        organization(&server).await;
        let text = policy(&server.uri(), r#"contents = "write""#, "");
        let (_, status, rules, messages) = judge(&text, FINE).await;
        assert_eq!((status.as_str(), rules), ("unverifiable", vec!["unverifiable".to_owned()]), "{messages}");
        assert!(messages.contains(why), "{messages}");
    }
}

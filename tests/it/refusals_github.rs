//! GitHub organizations' policies refusing a token that works, against a local GitHub
//! answering with the texts GitHub gives (each quoted where `src/hosts/github/refusals.rs`
//! cites it), beside the answers of something in front of GitHub that settle nothing.
//! Every declared target is read once, even when no permission is asked; each verdict is
//! judged live and replayed from the facts file.

use crate::github_probes::{CLASSIC, answer, github, judge, organization, repository};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

const FINE: &str =
    "github_pat_11AAAAAAA0refusal0000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";

/// NixOS/org#247, with the organization renamed.
const LIFETIME: &str = "The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 45 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/12885303";
/// Quoted from `gh` in public repositories, the enterprise renamed.
const ENTERPRISE_LIFETIME: &str = "The 'Octo Corp' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 37 days.";
/// refined-github/refined-github#6951; fullsend-ai/fullsend#3368 (REST).
const CLASSIC_FORBIDDEN: &str = "`octo-org` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.";
/// SalesforceFoundation/NPSP#7247.
const IP_ALLOW_LIST: &str = "Although you appear to have the correct authorization credentials, the `octo-org` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.";

/// GitHub's own 403: its JSON error, as every one of those texts came.
fn github_403(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
        "status": "403"
    }))
}

/// A token declaring `octo-org/app` and nothing else: no permission is asked.
fn declaring(server: &MockServer, extra: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ file = \"SECRET0\" }}\nrepositories = [\"octo-org/app\"]\n{extra}",
        server.uri()
    )
}

/// Every request the server saw, as `METHOD /path`.
async fn requests(server: &MockServer) -> Vec<String> {
    let mut seen: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    seen.sort();
    seen
}

#[tokio::test]
async fn each_documented_refusal_fails_the_token_with_its_own_rule_and_what_github_said() {
    let cases = [
        (FINE, LIFETIME, "lifetime-policy", "greater than 45 days"),
        (
            CLASSIC,
            ENTERPRISE_LIFETIME,
            "lifetime-policy",
            "the `Octo Corp` enterprise refuses personal access tokens (classic) whose lifetime is greater than 37 days",
        ),
        (
            CLASSIC,
            CLASSIC_FORBIDDEN,
            "classic-token-forbidden",
            "`octo-org` refuses personal access tokens (classic)",
        ),
        (FINE, IP_ALLOW_LIST, "ip-allow-list", "IP allow list"),
    ];
    for (secret, message, rule, says) in cases {
        let scopes = (secret == CLASSIC).then_some("repo");
        let server = github(scopes).await;
        answer(&server, "GET", "/repos/octo-org/app", github_403(message)).await;
        organization(&server).await;
        let (facts, status, rules, messages) = judge(&declaring(&server, ""), secret).await;
        // Whether acme's SSO authorizes the token is moot while its policy refuses it.
        assert_eq!(
            (status.as_str(), rules.clone()),
            ("fail", vec![rule.to_owned()]),
            "{messages}"
        );
        assert!(
            !rules.iter().any(|r| [
                "missing-repository",
                "missing-permission",
                "missing-scope",
                "token-invalid"
            ]
            .contains(&r.as_str())),
            "{rule}: {rules:?}"
        );
        assert!(
            messages.contains("token `jira` is refused on `octo-org/app`")
                && messages.contains(says),
            "{rule}: {messages}"
        );
        // The evidence quotes GitHub's answer.
        assert!(
            messages.contains(&format!(
                "probe: GET /repos/octo-org/app → 403: \"{message}\""
            )),
            "{messages}"
        );
        let grant = facts.tokens[0]
            .observation
            .facts()
            .unwrap()
            .grant("octo-org/app", "repository")
            .unwrap();
        assert!(matches!(
            grant.settled,
            patlint::facts::Settled::Refused { .. }
        ));
        // One GET per target, nothing else.
        assert_eq!(
            requests(&server).await,
            ["GET /orgs/octo-org", "GET /repos/octo-org/app", "GET /user"]
        );
    }
}

#[tokio::test]
async fn the_same_token_passes_where_the_target_answers_200() {
    for (secret, scopes) in [(FINE, None), (CLASSIC, Some("repo"))] {
        let server = github(scopes).await;
        answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
        organization(&server).await;
        let (_, status, rules, messages) = judge(&declaring(&server, ""), secret).await;
        assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    }
}

#[tokio::test]
async fn an_organization_declared_alone_is_read_and_its_refusal_named() {
    let server = github(None).await;
    answer(&server, "GET", "/orgs/octo-org", github_403(LIFETIME)).await;
    let text = format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ file = \"SECRET0\" }}\norganizations = [\"octo-org\"]\n",
        server.uri()
    );
    let (_, status, rules, messages) = judge(&text, FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["lifetime-policy".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("refused on `octo-org`: the `octo-org` organization refuses fine-grained personal access tokens whose lifetime is greater than 45 days"),
        "{messages}"
    );
    assert_eq!(requests(&server).await, ["GET /orgs/octo-org", "GET /user"]);
}

#[tokio::test]
async fn a_404_for_a_fine_grained_token_names_approval_and_is_never_a_pass() {
    let server = github(None).await;
    answer(
        &server,
        "GET",
        "/repos/octo-org/app",
        ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
            "status": "404"
        })),
    )
    .await;
    organization(&server).await;
    let (_, status, rules, messages) = judge(&declaring(&server, ""), FINE).await;
    assert_eq!(status, "fail", "{messages}");
    assert!(
        rules.contains(&"missing-repository".to_owned()),
        "{rules:?}"
    );
    assert!(
        messages.contains("not selected in the token's Repository access")
            && messages.contains("has not yet approved the token"),
        "{messages}"
    );
}

#[tokio::test]
async fn answers_that_are_not_github_own_settle_nothing_and_say_what_came_back() {
    let proxy_403 = ResponseTemplate::new(403).set_body_raw(
        "<html><body><h1>403 Forbidden</h1>Request blocked by policy</body></html>",
        "text/html",
    );
    let problem = ResponseTemplate::new(403).set_body_raw(
        json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": IP_ALLOW_LIST}).to_string(),
        "application/problem+json",
    );
    let proxy_401 = ResponseTemplate::new(401).set_body_raw(
        "<html><body>401 Authorization Required</body></html>",
        "text/html",
    );
    for (at, response, what) in [
        ("/repos/octo-org/app", proxy_403, "403 (text/html)"),
        (
            "/repos/octo-org/app",
            problem,
            "403 (application/problem+json)",
        ),
        ("/orgs/octo-org", proxy_401.clone(), "401 (text/html)"),
    ] {
        let server = github(None).await;
        answer(&server, "GET", at, response).await;
        if at == "/orgs/octo-org" {
            answer(&server, "GET", "/repos/octo-org/app", repository(false)).await;
        } else {
            organization(&server).await;
        }
        let (_, status, rules, messages) = judge(&declaring(&server, ""), FINE).await;
        assert_eq!(status, "unverifiable", "{what}: {messages}");
        assert!(
            rules.iter().all(|r| r == "unverifiable"),
            "{what}: {rules:?}"
        );
        assert!(
            messages.contains(what) && messages.contains("not GitHub's own answer"),
            "{what}: {messages}"
        );
    }

    // A proxy's 401 to `GET /user` is no verdict on the token either.
    let server = MockServer::start().await;
    answer(&server, "GET", "/user", proxy_401).await;
    let (_, status, rules, messages) = judge(&declaring(&server, ""), FINE).await;
    assert_eq!(
        (status.as_str(), rules),
        ("error", vec!["host-error".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("GET /user was answered 401 (text/html)")
            && !messages.contains("Bad credentials"),
        "{messages}"
    );
}

#[tokio::test]
async fn without_targets_nothing_more_is_sent_and_with_probe_false_reach_is_unverifiable() {
    let server = github(None).await;
    let text = format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ file = \"SECRET0\" }}\n",
        server.uri()
    );
    let (_, status, _, messages) = judge(&text, FINE).await;
    assert_eq!(status, "pass", "{messages}");
    assert_eq!(requests(&server).await, ["GET /user"]);

    let server = github(None).await;
    let (_, status, rules, messages) = judge(&declaring(&server, "probe = false\n"), FINE).await;
    assert_eq!(status, "unverifiable", "{messages}");
    assert!(rules.iter().all(|r| r == "unverifiable"), "{rules:?}");
    assert!(
        messages.contains("whether it reaches `octo-org/app`: `probe = false`"),
        "{messages}"
    );
    assert_eq!(requests(&server).await, ["GET /user"]);
}

/// `patlint audit`: a declared fine-grained token that `acme` lists only among the requests
/// awaiting its approval (`GET /orgs/acme/personal-access-token-requests`) is
/// `approval-pending`, not `token-not-found`; its check meanwhile sees a 404 on the private
/// repository, which names approval beside the other causes.
#[tokio::test]
async fn a_declared_token_that_only_awaits_approval_is_approval_pending_in_the_audit() {
    use crate::audit_github::{APP, organization, user};
    use crate::common::audit::{self, names, rules, token};
    let server = organization(true).await;
    user(&server, FINE, "octocat", None).await;
    wiremock::Mock::given(wiremock::matchers::path("/repos/acme/app"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {FINE}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
            "status": "404"
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let policy = format!(
        "version = 1\n[[inventory]]\nname = \"acme-github\"\nhost = \"github\"\nurl = \"{0}\"\norganization = \"acme\"\nsecret = {{ env = \"ACME_APP\" }}\n\n[[token]]\nname = \"jira-next\"\nhost = \"github\"\nurl = \"{0}\"\nrepositories = [\"acme/app\"]\ntoken_id = 21\nsecret = {{ env = \"NEXT\" }}\n",
        server.uri()
    );
    let env = audit::env(&[("ACME_APP", APP), ("NEXT", FINE)]);
    let (code, report, stderr) = audit::run(policy, env, &[APP, FINE], &[]).await;
    assert_eq!(code, 1, "{report:#}{stderr}");
    let pending = token(&report, "jira-next");
    let found = rules(pending);
    assert!(
        found.contains(&audit::finding("approval-pending", "error"))
            && found.contains(&audit::finding("missing-repository", "error"))
            && !found.iter().any(|(rule, _)| rule == "token-not-found"),
        "{found:?}"
    );
    let message = pending["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "approval-pending")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("awaits approval since 2026-11-20")
            && message.contains("inventory `acme-github` lists token `jira-next`"),
        "{message}"
    );
    // A request is not a token with access: never an undeclared one.
    assert!(!names(&report).contains(&"acme-github.21"), "{report:#}");
}

//! The GitLab host against a real HTTP server (wiremock) answering with the bodies
//! documented at docs.gitlab.com (`api/personal_access_tokens.md`, `api/version.md`), verbatim
//! where the docs give them.

use crate::common;

use common::{at, observe_token, quick_settings};
use patlint::evaluate::Status;
use patlint::facts::{Fact, FactsFile, Observation, Rejection, TokenKind, TokenRecord};
use patlint::hosts::HostKind;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAT: &str = "glpat-canaryGitLab00000000";
const SELF: &str = "/api/v4/personal_access_tokens/self";

async fn observe(url: &str) -> Observation {
    observe_token("gitlab", url, PAT, quick_settings()).await
}

/// `POST /personal_access_tokens/:id/rotate` example from doc/api/personal_access_tokens.md,
/// without `token` (which `/self` does not return).
fn rotated_token() -> serde_json::Value {
    serde_json::json!({
        "id": 42,
        "name": "Rotated Token",
        "revoked": false,
        "created_at": "2023-08-01T15:00:00.000Z",
        "description": "Test Token description",
        "scopes": ["api"],
        "user_id": 1337,
        "last_used_at": null,
        "active": true,
        "expires_at": "2023-08-15"
    })
}

/// The list example's item, from the same document.
fn listed_token() -> serde_json::Value {
    serde_json::json!({
        "id": 4,
        "name": "Test Token",
        "revoked": false,
        "created_at": "2020-07-23T14:31:47.729Z",
        "description": "Test Token description",
        "scopes": ["api"],
        "user_id": 3,
        "last_used_at": "2021-10-06T17:58:37.550Z",
        "active": true,
        "expires_at": null
    })
}

/// `patlint check --format json` of `policy`, with the PAT in `GL`.
async fn check_json(policy: String) -> (i32, serde_json::Value) {
    let (out, _) = common::run_patlint(
        policy,
        vec![("GL".into(), PAT.into())],
        &["check", "--format", "json", "--now", "2026-11-24"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    common::assert_no_secret(PAT, "stdout", &stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (out.status.code().unwrap(), json)
}

async fn serve_self(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SELF))
        .and(header("private-token", PAT))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn self_reveals_scopes_creation_and_expiry() {
    let server = serve_self(ResponseTemplate::new(200).set_body_json(rotated_token())).await;
    let obs = observe(&server.uri()).await;
    let facts = obs.facts().expect("observed");
    assert_eq!(facts.kind, TokenKind::PersonalAccessToken);
    assert_eq!(
        facts.scopes.value().unwrap().iter().collect::<Vec<_>>(),
        ["api"]
    );
    assert_eq!(
        facts.created_at.value(),
        Some(&Some(at("2023-08-01T15:00:00Z")))
    );
    // A date: the token stops working at 00:00 UTC that day.
    assert_eq!(
        facts.expires_at.value(),
        Some(&Some(at("2023-08-15T00:00:00Z")))
    );
    assert_eq!(
        facts.identity.as_deref(),
        Some("token `Rotated Token` (id 42) of user 1337")
    );

    let requests = server.received_requests().await.unwrap();
    assert!(
        !requests[0].headers.contains_key("authorization"),
        "the PAT goes in PRIVATE-TOKEN only"
    );
}

#[tokio::test]
async fn last_used_at_from_the_tokens_own_request_is_never_evidence_of_use() {
    // GitLab's auth finder refreshes `last_used_at` before `/self` answers
    // (app/services/personal_access_tokens/last_used_service.rb), so the answer always
    // shows a use in the last ten minutes: patlint's own. A server shaped like that:
    let mut refreshed = listed_token();
    refreshed["last_used_at"] = serde_json::json!(jiff::Timestamp::now().to_string());
    for body in [listed_token(), refreshed] {
        let server = serve_self(ResponseTemplate::new(200).set_body_json(body)).await;
        let facts = observe(&server.uri()).await.facts().cloned().unwrap();
        assert_eq!(facts.expires_at.value(), Some(&None));
        assert!(facts.last_used_at.is_unobservable());
        assert!(
            facts
                .why_unobservable(Fact::LastUsedAt)
                .contains("says nothing about the integration's use"),
            "{facts:?}"
        );
    }
}

#[tokio::test]
async fn older_servers_without_last_used_at_and_newer_ones_with_extra_fields_both_parse() {
    let mut old = rotated_token();
    old.as_object_mut().unwrap().remove("description");
    old.as_object_mut().unwrap().remove("last_used_at");
    let server = serve_self(ResponseTemplate::new(200).set_body_json(old)).await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    assert!(facts.scopes.value().is_some());

    let mut new = listed_token();
    new["last_used_ips"] = serde_json::json!(["192.0.2.1"]);
    new["expired"] = serde_json::json!(false);
    new["granular"] = serde_json::json!(false);
    let server = serve_self(ResponseTemplate::new(200).set_body_json(new)).await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    assert!(facts.scopes.value().is_some());
}

#[tokio::test]
async fn a_granular_token_with_no_scopes_does_not_pass_forbid_scopes() {
    // What `/self` answers for a granular token (lib/api/entities/personal_access_token.rb:
    // `granular` always, `granular_scopes` never on this endpoint), so `scopes` is empty.
    let mut granular = listed_token();
    granular["scopes"] = serde_json::json!([]);
    granular["granular"] = serde_json::json!(true);
    granular["expires_at"] = serde_json::json!("2026-12-20");
    let server = serve_self(ResponseTemplate::new(200).set_body_json(granular)).await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"gl\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL\" }}\nforbid_scopes = [\"api\"]\n",
        server.uri()
    );
    let (exit, json) = check_json(policy).await;
    let stdout = json.to_string();
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{stdout}");
    assert_eq!(token["status"], "unverifiable", "{stdout}");
    let message = token["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`forbid_scopes` cannot be verified")
            && message.contains("fine-grained personal access token")
            && message.contains("write `forbid_permissions`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_forbidden_read_user_or_self_rotate_catches_api() {
    let server = serve_self(ResponseTemplate::new(200).set_body_json(listed_token())).await;
    for forbidden in ["read_user", "self_rotate"] {
        let policy = format!(
            "version = 1\n[[token]]\nname = \"gl\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL\" }}\nforbid_scopes = [\"{forbidden}\"]\n",
            server.uri()
        );
        let (exit, json) = check_json(policy).await;
        let stdout = json.to_string();
        assert_eq!(exit, 1, "{forbidden}: {stdout}");
        assert_eq!(
            json["tokens"][0]["findings"][0]["rule"], "forbidden-scope",
            "{forbidden}: {stdout}"
        );
    }
}

#[tokio::test]
async fn a_dpop_error_is_a_host_error_that_says_dpop_is_required() {
    let server = serve_self(ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "error": "dpop_error",
        "error_description": "DPoP validation error: DPoP header is missing"
    })))
    .await;
    let Observation::Unchecked { detail, help, .. } = observe(&server.uri()).await else {
        panic!("a DPoP refusal is not a verdict on the token");
    };
    assert!(detail.contains("401 dpop_error"), "{detail}");
    assert!(help.unwrap().contains("DPoP"));
    // One request: `/version` would be refused the same way.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_self_managed_instance_under_a_path() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/gitlab{SELF}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed_token()))
        .expect(1)
        .mount(&server)
        .await;
    let obs = observe(&format!("{}/gitlab", server.uri())).await;
    assert!(obs.facts().is_some(), "{obs:?}");
}

#[tokio::test]
async fn revoked_or_inactive_tokens_are_invalid() {
    let mut revoked = listed_token();
    revoked["revoked"] = true.into();
    revoked["active"] = false.into();
    let server = serve_self(ResponseTemplate::new(200).set_body_json(revoked)).await;
    let Observation::Rejected { reason, .. } = observe(&server.uri()).await else {
        panic!()
    };
    assert_eq!(reason, Rejection::Revoked);

    let mut inactive = listed_token();
    inactive["active"] = false.into();
    let server = serve_self(ResponseTemplate::new(200).set_body_json(inactive)).await;
    let Observation::Rejected { reason, .. } = observe(&server.uri()).await else {
        panic!()
    };
    assert_eq!(reason, Rejection::Invalid);
}

#[tokio::test]
async fn a_401_tells_expired_from_revoked_from_unknown() {
    let cases = [
        (
            serde_json::json!({"error": "invalid_token", "error_description": "Token is expired. You can either do re-authorization or token refresh."}),
            Rejection::Expired,
        ),
        (
            serde_json::json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."}),
            Rejection::Revoked,
        ),
        (
            serde_json::json!({"message": "401 Unauthorized"}),
            Rejection::Invalid,
        ),
    ];
    for (body, expected) in cases {
        let server = serve_self(
            ResponseTemplate::new(401)
                .insert_header(
                    "WWW-Authenticate",
                    "Bearer realm=\"Protected by OAuth 2.0\", error=\"invalid_token\"",
                )
                .set_body_json(body),
        )
        .await;
        // A bare 401 is double-checked with /version (see the 15.1–15.4 test).
        Mock::given(path("/api/v4/version"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(serde_json::json!({"message": "401 Unauthorized"})),
            )
            .mount(&server)
            .await;
        let obs = observe(&server.uri()).await;
        let Observation::Rejected { reason, .. } = obs else {
            panic!("{obs:?}")
        };
        assert_eq!(reason, expected);
    }
}

#[tokio::test]
async fn insufficient_scope_means_valid_but_nothing_observable() {
    let server = serve_self(ResponseTemplate::new(403).set_body_json(serde_json::json!({
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the access token.",
        "scope": "api read_api"
    })))
    .await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    assert!(facts.scopes.is_unobservable() && facts.expires_at.is_unobservable());
    assert!(
        facts
            .why_unobservable(Fact::Scopes)
            .contains("insufficient_scope (it requires: api read_api)")
    );
}

/// A server whose `/self` answers `self_answer` and whose `/version` says `version`.
async fn versioned_server(self_answer: ResponseTemplate, version: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(self_answer)
        .mount(&server)
        .await;
    Mock::given(path("/api/v4/version"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"version": version, "revision": "abc"})),
        )
        .mount(&server)
        .await;
    server
}

/// A 17.5 server has `/self`: when something in front of it holds the request back, the
/// reason says so, and nobody is told to upgrade it to 15.5.
#[tokio::test]
async fn a_server_that_has_self_but_did_not_answer_it_is_not_told_to_upgrade() {
    let server = versioned_server(ResponseTemplate::new(404), "17.5.1-ee").await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    let why = facts.why_unobservable(Fact::Scopes);
    assert!(
        why.contains("GitLab 17.5.1-ee has GET /api/v4/personal_access_tokens/self (since 15.5) but answered it 404")
            && why.contains("a proxy or a rewrite in front of the instance"),
        "{why}"
    );
    assert!(!why.contains("needs GitLab"), "{why}");
    let help = patlint::rules::Rule::Unverifiable
        .fix_for(patlint::hosts::HostKind::Gitlab)
        .unwrap();
    assert!(!help.contains("(upgrade the instance)"), "{help}");
}

#[tokio::test]
async fn servers_older_than_15_5_are_detected_and_their_facts_unverifiable() {
    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"message": "404 Not Found"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v4/version"))
        .and(header_exists("private-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"version": "15.4.2-ee", "revision": "5a4b3c2d1e0"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    for fact in [
        Fact::Scopes,
        Fact::ExpiresAt,
        Fact::CreatedAt,
        Fact::LastUsedAt,
    ] {
        let why = facts.why_unobservable(fact);
        assert!(
            why.contains("GitLab 15.4.2-ee") && why.contains("needs GitLab 15.5 or later"),
            "{why}"
        );
    }

    // An invalid token on an old server: /version says so.
    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/api/v4/version"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "401 Unauthorized"})),
        )
        .mount(&server)
        .await;
    let Observation::Rejected { reason, .. } = observe(&server.uri()).await else {
        panic!()
    };
    assert_eq!(reason, Rejection::Invalid);

    // Not GitLab at all (a wrong url): a host error, never a pass.
    let server = MockServer::start().await;
    let obs = observe(&server.uri()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(
        detail.contains("is `url` the GitLab instance URL"),
        "{detail}"
    );
}

#[tokio::test]
async fn servers_15_1_to_15_4_refuse_self_with_a_bare_401_but_the_token_is_valid() {
    // On 15.1–15.4, `/self` is routed to `GET /personal_access_tokens/:id`.
    let bare_401 = ResponseTemplate::new(401)
        .set_body_json(serde_json::json!({"message": "401 Unauthorized"}));
    let server = versioned_server(bare_401, "15.3.1").await;
    let facts = observe(&server.uri())
        .await
        .facts()
        .cloned()
        .expect("valid, not rejected");
    assert!(
        facts
            .why_unobservable(Fact::Scopes)
            .contains("GitLab 15.3.1"),
        "{}",
        facts.why_unobservable(Fact::Scopes)
    );

    // A token too narrow even for /version is still proven valid by its 403.
    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/api/v4/version"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api read_api"})))
        .mount(&server)
        .await;
    let facts = observe(&server.uri())
        .await
        .facts()
        .cloned()
        .expect("valid");
    assert!(facts.scopes.is_unobservable());
}

#[tokio::test]
async fn beta_fine_grained_tokens_have_unverifiable_scopes() {
    let mut token = listed_token();
    token["scopes"] = serde_json::json!([]);
    token["granular_scopes"] = serde_json::json!([{"access": "read", "resource": "repository"}]);
    let server = serve_self(ResponseTemplate::new(200).set_body_json(token)).await;
    let facts = observe(&server.uri()).await.facts().cloned().unwrap();
    assert!(facts.scopes.is_unobservable());
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_5xx_storms_end_in_host_error() {
    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .insert_header("RateLimit-Remaining", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(SELF))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed_token()))
        .with_priority(2)
        .mount(&server)
        .await;
    assert!(observe(&server.uri()).await.facts().is_some());

    let server = MockServer::start().await;
    Mock::given(path(SELF))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let Observation::Unchecked { detail, .. } = observe(&server.uri()).await else {
        panic!()
    };
    assert!(detail.contains("500"), "{detail}");

    let server = serve_self(
        ResponseTemplate::new(200)
            .set_body_raw("<html>GitLab is not responding</html>", "text/html"),
    )
    .await;
    let Observation::Unchecked { detail, .. } = observe(&server.uri()).await else {
        panic!()
    };
    assert!(detail.contains("an HTML page"), "{detail}");
}

#[test]
fn lifespan_uses_creation_date_even_when_only_weeks_remain() {
    let policy = common::policy(
        "version = 1\n[[token]]\nname = \"jira-gitlab\"\nhost = \"gitlab\"\nsecret = { env = \"P\" }\nmax_lifespan = \"90d\"\n",
    );
    let mut token = listed_token();
    token["created_at"] = "2026-01-10T00:00:00Z".into();
    token["expires_at"] = "2026-12-31".into();
    let answer = patlint_gitlab_answer(200, &token);
    let facts = FactsFile {
        schema_version: 1,
        observed_at: at("2026-11-24T00:00:00Z"),
        tokens: vec![TokenRecord {
            name: "jira-gitlab".into(),
            host: HostKind::Gitlab,
            observation: answer,
        }],
    };
    let report = patlint::evaluate_all(&policy, &facts, at("2026-11-24T00:00:00Z"));
    assert_eq!(report.tokens[0].verdict.status, Status::Fail);
    let rendered = patlint::report::human::render(&report, patlint::report::human::Style::PLAIN);
    assert!(
        rendered.contains("lives 355 days (created 2026-01-10, expires 2026-12-31)"),
        "{rendered}"
    );
    insta::assert_snapshot!("gitlab-lifespan-exceeded", rendered);
}

/// The observation a `/self` answer turns into, without a server.
fn patlint_gitlab_answer(status: u16, body: &serde_json::Value) -> Observation {
    patlint::hosts::gitlab::interpret_self(status, &body.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn github_and_gitlab_tokens_are_checked_in_one_run() {
    let gitlab = serve_self(ResponseTemplate::new(200).set_body_json(listed_token())).await;
    let github = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(serde_json::json!({"login": "bot"})),
        )
        .expect(1)
        .mount(&github)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let policy_path = dir.path().join("patlint.toml");
    std::fs::write(
        &policy_path,
        format!(
            "version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n\n[[token]]\nname = \"jira-github\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"GH\" }}\n\n[[token]]\nname = \"jira-gitlab\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL\" }}\nmax_lifespan = \"365d\"\n",
            github.uri(),
            gitlab.uri()
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("patlint")
            .unwrap()
            .env_clear()
            .env("GH", "ghp_canaryGitHub000000000000000000000000")
            .env("GL", PAT)
            .args(["check", "--now", "2026-11-24", "--policy"])
            .arg(&policy_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("canary") && !String::from_utf8_lossy(&out.stderr).contains("canary"));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("pass  jira-github (github)"), "{stdout}");
    // The GitLab token never expires but the policy asks for at most 365 days.
    assert!(
        stdout.contains("FAIL  jira-gitlab (gitlab)") && stdout.contains("no-expiry"),
        "{stdout}"
    );
    let requests = gitlab.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
}

/// Every GitLab outcome through the binary: diagnostics snapshotted, no secret anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn gitlab_diagnostics_through_the_cli() {
    let server = MockServer::start().await;
    let secret = |suffix: &str| format!("{PAT}{suffix}");
    let mut stale = listed_token();
    stale["created_at"] = "2026-01-05T10:00:00Z".into();
    stale["expires_at"] = "2026-12-20".into();
    stale["last_used_at"] = "2026-08-01T12:00:00Z".into();
    stale["scopes"] = serde_json::json!(["read_api", "write_repository"]);
    let answers = [
        ("ok", ResponseTemplate::new(200).set_body_json(stale)),
        ("expired", ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": "invalid_token", "error_description": format!("Token is expired. {PAT}expired")}))),
        ("revoked", ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."}))),
        ("old", ResponseTemplate::new(404).set_body_json(serde_json::json!({"message": "404 Not Found"}))),
    ];
    for (suffix, response) in answers {
        Mock::given(path(SELF))
            .and(header("private-token", secret(suffix).as_str()))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    Mock::given(path("/api/v4/version"))
        .and(header("private-token", secret("old").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"version": "15.4.0", "revision": "abc"})),
        )
        .mount(&server)
        .await;

    let mut text = String::new();
    text.push_str("version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n\n[hosts.gitlab]\nmax_lifespan = \"90d\"\nstale_after = \"30d\"\nrequire_scopes = [\"read_api\"]\nforbid_scopes = [\"write_repository\"]\n");
    let mut env = Vec::new();
    for suffix in ["ok", "expired", "revoked", "old"] {
        text.push_str(&format!(
            "\n[[token]]\nname = \"gitlab-{suffix}\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL_{}\" }}\n",
            server.uri(),
            suffix.to_uppercase()
        ));
        env.push((format!("GL_{}", suffix.to_uppercase()), secret(suffix)));
    }
    let (code, stdout, stderr) = common::run_check(text, env, &server.uri()).await;
    common::assert_no_secret(PAT, "stdout", &stdout);
    common::assert_no_secret(PAT, "stderr", &stderr);
    assert_eq!(code, 1);
    insta::assert_snapshot!("gitlab-cli-diagnostics", stdout);
}

#[tokio::test]
async fn a_created_at_after_the_answer_is_no_creation_date() {
    // A negative lifespan would pass `max_lifespan`; a creation after the answer is not a fact.
    let mut future = listed_token();
    future["created_at"] = serde_json::json!("2099-01-01T00:00:00Z");
    // An expiry within `max_lifespan` of the check: only the creation could prove a violation.
    future["expires_at"] = serde_json::json!("2026-12-10");
    let server = serve_self(ResponseTemplate::new(200).set_body_json(future)).await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"gl\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL\" }}\nmax_lifespan = \"30d\"\n",
        server.uri()
    );
    let (exit, json) = check_json(policy).await;
    let token = &json["tokens"][0];
    assert_eq!(exit, 1, "{json:#}");
    assert_eq!(token["status"], "unverifiable", "{json:#}");
    let message = token["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`created_at`") && message.contains("after the host answered"),
        "{message}"
    );
}

#[tokio::test]
async fn a_self_answer_without_active_or_revoked_is_a_host_error() {
    for field in ["active", "revoked"] {
        let mut token = listed_token();
        token.as_object_mut().unwrap().remove(field);
        let server = serve_self(ResponseTemplate::new(200).set_body_json(token)).await;
        let Observation::Unchecked { detail, .. } = observe(&server.uri()).await else {
            panic!("`{field}` missing: not GitLab's entity");
        };
        assert!(
            detail.contains("without `active` and `revoked`"),
            "{detail}"
        );
    }
}

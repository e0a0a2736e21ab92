//! The GitHub host against a real HTTP server (wiremock) answering with the shapes
//! documented in github/rest-api-description and docs.github.com ("Get the authenticated
//! user", "Scopes for OAuth apps").

use crate::common;

use std::time::Duration;

use patlint::facts::{Observation, Rejection, TokenKind};
use patlint::hosts::{HttpSettings, observe_all};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLASSIC: &str = "ghp_canaryClassic000000000000000000000000";
const FINE_GRAINED: &str = "github_pat_canaryFineGrained_0000000000000000000000000000000000000000";

fn settings() -> HttpSettings {
    common::quick_settings()
}

async fn observe(url: &str, secret: &str, settings: HttpSettings) -> Observation {
    common::observe_token("github", url, secret, settings).await
}

/// Serves `response` at `/user` and returns the detail of the `host-error` it must cause.
async fn host_error_detail(response: ResponseTemplate) -> String {
    let server = serve_user(response).await;
    match observe(&server.uri(), CLASSIC, settings()).await {
        Observation::Unchecked { detail, .. } => detail,
        other => panic!("expected a host error, got {other:?}"),
    }
}

fn user_body() -> serde_json::Value {
    serde_json::json!({"login": "octocat", "id": 1, "type": "User", "site_admin": false})
}

#[tokio::test]
async fn classic_pat_reveals_scopes_and_expiry_in_utc_format() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header(
            "authorization",
            format!("Bearer {CLASSIC}").as_str(),
        ))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header("accept", "application/vnd.github+json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo, user")
                .insert_header("X-Accepted-OAuth-Scopes", "")
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2031-09-03 02:34:04 UTC",
                )
                .set_body_json(user_body()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let facts = obs.facts().expect("observed");
    assert_eq!(facts.kind, TokenKind::ClassicPat);
    assert_eq!(facts.identity.as_deref(), Some("octocat"));
    let scopes: Vec<_> = facts.scopes.value().unwrap().iter().cloned().collect();
    assert_eq!(scopes, ["repo", "user"]);
    assert_eq!(
        facts.expires_at.value(),
        Some(&Some(common::at("2031-09-03T02:34:04Z")))
    );
    assert!(facts.created_at.is_unobservable() && facts.last_used_at.is_unobservable());

    let user_agent = &server.received_requests().await.unwrap()[0].headers["user-agent"];
    assert!(user_agent.to_str().unwrap().starts_with("patlint/"));
}

#[tokio::test]
async fn expiry_with_an_offset_is_converted_to_utc() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2033-04-26 20:23:26 +0200",
                )
                .set_body_json(user_body()),
        )
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    assert_eq!(
        obs.facts().unwrap().expires_at.value(),
        Some(&Some(common::at("2033-04-26T18:23:26Z")))
    );
}

#[tokio::test]
async fn no_expiration_header_means_the_token_never_expires() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "")
                .set_body_json(user_body()),
        )
        .mount(&server)
        .await;
    let facts = observe(&server.uri(), CLASSIC, settings())
        .await
        .facts()
        .cloned()
        .unwrap();
    assert_eq!(facts.expires_at.value(), Some(&None));
    assert_eq!(facts.scopes.value(), Some(&Default::default()));
}

#[tokio::test]
async fn enterprise_server_is_asked_under_api_v3() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo, admin:org")
                .set_body_json(user_body()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let obs = observe(&format!("{}/api/v3", server.uri()), CLASSIC, settings()).await;
    let facts = obs.facts().expect("observed");
    assert!(facts.scopes.value().unwrap().contains("admin:org"));
    assert_eq!(
        facts.evidence_for(patlint::facts::Fact::Scopes),
        Some("X-OAuth-Scopes header of GET /api/v3/user")
    );
}

#[tokio::test]
async fn fine_grained_tokens_do_not_reveal_scopes() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2030-01-15 10:00:00 -0700",
                )
                .set_body_json(user_body()),
        )
        .mount(&server)
        .await;
    let facts = observe(&server.uri(), FINE_GRAINED, settings())
        .await
        .facts()
        .cloned()
        .unwrap();
    assert_eq!(facts.kind, TokenKind::FineGrainedPat);
    assert!(facts.scopes.is_unobservable());
    assert!(
        facts
            .why_unobservable(patlint::facts::Fact::Scopes)
            .contains("fine-grained")
    );
    assert_eq!(
        facts.expires_at.value(),
        Some(&Some(common::at("2030-01-15T17:00:00Z")))
    );
}

#[tokio::test]
async fn bad_credentials_are_an_invalid_token() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Rejected { reason, detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert_eq!(reason, Rejection::Invalid);
    assert!(detail.contains("Bad credentials"));
}

#[tokio::test]
async fn sso_enforcement_is_its_own_finding_with_the_authorization_url() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("X-GitHub-SSO", "required; url=https://github.com/orgs/octo-org/sso?authorization_request=AZSCKtL4")
                .insert_header("x-ratelimit-remaining", "4999")
                .set_body_json(serde_json::json!({"message": "Resource protected by organization SAML enforcement."})),
        )
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Rejected { reason, help, .. } = obs else {
        panic!("{obs:?}")
    };
    assert_eq!(reason, Rejection::SsoRequired);
    assert!(
        help.unwrap()
            .contains("https://github.com/orgs/octo-org/sso?authorization_request=AZSCKtL4")
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_then_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("retry-after", "1")
                .set_body_json(serde_json::json!({"message": "API rate limit exceeded"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(user_body()),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    assert!(
        obs.facts().is_some(),
        "a rate limit must never look like an invalid token: {obs:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_rate_limit_resetting_past_max_wait_is_a_host_error_without_waiting() {
    let server = MockServer::start().await;
    let far = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", far.to_string().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(detail.contains("longer than --max-wait"), "{detail}");
}

#[tokio::test]
async fn a_5xx_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(user_body()),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    assert!(obs.facts().is_some(), "{obs:?}");
}

#[tokio::test]
async fn a_5xx_storm_ends_in_a_host_error_after_bounded_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(
        detail.contains("503") && detail.contains("3 attempts"),
        "{detail}"
    );
}

#[tokio::test]
async fn html_instead_of_json_is_a_host_error() {
    let detail = host_error_detail(
        ResponseTemplate::new(200).set_body_raw("<html><body>Sign in</body></html>", "text/html"),
    )
    .await;
    assert!(detail.contains("an HTML page"), "{detail}");
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("location", format!("{}/user", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(detail.contains("does not follow redirects"), "{detail}");
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_host_error() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let quick = HttpSettings {
        timeout: Duration::from_millis(200),
        retries: 1,
        ..settings()
    };
    let obs = observe(&server.uri(), CLASSIC, quick).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(
        detail.contains("did not answer in time") && detail.contains("2 attempts"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_host_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let obs = observe(&format!("http://127.0.0.1:{port}"), CLASSIC, settings()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(detail.contains("could not connect"), "{detail}");
}

#[tokio::test]
async fn an_echoed_token_is_scrubbed_from_error_details() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"message": format!("token {CLASSIC} is malformed")}),
            ),
        )
        .mount(&server)
        .await;
    // `observe` itself asserts that the secret is absent.
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(detail.contains("<redacted>"), "{detail}");
}

#[tokio::test]
async fn all_tokens_are_checked_over_one_connection_pool() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .set_body_json(user_body()),
        )
        .expect(25)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("pat");
    std::fs::write(&secret_file, CLASSIC).unwrap();
    let mut text = String::from("version = 1\n");
    for i in 0..25 {
        text.push_str(&format!(
            "[[token]]\nname = \"t{i}\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ file = \"{}\" }}\n",
            server.uri(),
            secret_file.display()
        ));
    }
    let policy = common::policy(&text);
    let facts = observe_all(&policy, &settings(), jiff::Timestamp::now()).await;
    let names: Vec<_> = facts.tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, (0..25).map(|i| format!("t{i}")).collect::<Vec<_>>());
    assert!(facts.tokens.iter().all(|t| t.observation.facts().is_some()));
}

#[tokio::test]
async fn a_past_expiry_header_on_a_working_token_is_not_trusted() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-OAuth-Scopes", "repo")
                .insert_header(
                    "GitHub-Authentication-Token-Expiration",
                    "2021-09-03 02:34:04 UTC",
                )
                .set_body_json(user_body()),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, CLASSIC).unwrap();
    let policy = common::policy(&format!(
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ file = \"{}\" }}\nmax_lifespan = \"90d\"\n",
        server.uri(),
        secret_file.display()
    ));
    let facts = observe_all(&policy, &settings(), jiff::Timestamp::now()).await;
    // The host records what it saw; evaluation judges it against the time of observation.
    let recorded = facts.tokens[0].observation.facts().unwrap();
    assert!(recorded.worked_when_observed);
    assert!(matches!(recorded.expires_at.value(), Some(Some(_))));
    let replayed: patlint::facts::FactsFile =
        serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
    // The same verdict live, and replayed with any `--now`, even years later.
    for (facts, now) in [
        (&facts, facts.observed_at),
        (&replayed, common::at("2031-01-01T00:00:00Z")),
    ] {
        let report = patlint::evaluate_all(&policy, facts, now);
        let findings = &report.tokens[0].verdict.findings;
        let rules: Vec<_> = findings.iter().map(|f| f.rule.id()).collect();
        assert_eq!(rules, ["unverifiable"], "{findings:?}");
        assert!(
            findings[0].message.contains("not trusted"),
            "{}",
            findings[0].message
        );
    }
}

#[tokio::test]
async fn a_plain_403_is_a_host_error_not_an_invalid_token() {
    let detail = host_error_detail(
        ResponseTemplate::new(403)
            .insert_header("x-ratelimit-remaining", "4990")
            .set_body_json(serde_json::json!({"message": "Maximum number of login attempts exceeded. Please try again later."})),
    )
    .await;
    assert!(
        detail.contains("403") && detail.contains("login attempts"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_classic_token_without_a_scopes_header_has_unverifiable_scopes() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body()))
        .mount(&server)
        .await;
    let facts = observe(&server.uri(), CLASSIC, settings())
        .await
        .facts()
        .cloned()
        .unwrap();
    assert!(facts.scopes.is_unobservable());
    assert!(
        facts
            .why_unobservable(patlint::facts::Fact::Scopes)
            .contains("no X-OAuth-Scopes")
    );
}

#[tokio::test]
async fn a_200_that_is_not_json_is_a_host_error() {
    let detail = host_error_detail(ResponseTemplate::new(200).set_body_string("ok")).await;
    assert!(detail.contains("not the expected JSON"), "{detail}");
}

#[tokio::test]
async fn a_token_whose_check_outlasts_the_deadline_is_a_host_error() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .mount(&server)
        .await;
    // Each wait is allowed (--max-wait 5), but together they outlast the deadline.
    let settings = HttpSettings {
        max_wait: Duration::from_secs(5),
        deadline: Duration::from_millis(1500),
        ..settings()
    };
    let obs = observe(&server.uri(), CLASSIC, settings).await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert!(
        detail.contains("did not finish within --deadline (1.5s of its own requests"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_endless_body_is_not_read_to_the_end() {
    let huge = format!("{{\"login\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let detail =
        host_error_detail(ResponseTemplate::new(200).set_body_raw(huge, "application/json")).await;
    assert!(detail.contains("a body over 1024 KiB"), "{detail}");
}

#[tokio::test]
async fn a_200_without_a_login_is_not_proof_of_a_valid_token() {
    let detail = host_error_detail(
        ResponseTemplate::new(200)
            .insert_header("X-OAuth-Scopes", "repo")
            .set_body_json(serde_json::json!({})),
    )
    .await;
    assert!(detail.contains("without a `login`"), "{detail}");
}

/// A 200 for `/user` with one `X-OAuth-Scopes` line per value.
fn scopes_lines(lines: &[&str]) -> ResponseTemplate {
    lines
        .iter()
        .fold(ResponseTemplate::new(200), |response, line| {
            response.append_header("X-OAuth-Scopes", *line)
        })
        .set_body_json(user_body())
}

async fn serve_user(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_repeated_scopes_header_with_other_scopes_is_a_host_error_not_the_first_line() {
    // Before: only the first line was read, so `forbid_scopes = ["delete_repo"]` passed.
    let detail = host_error_detail(scopes_lines(&["repo", "delete_repo, admin:org"])).await;
    assert!(
        detail.contains("two different `x-oauth-scopes` headers"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_identical_repeated_header_is_one_value() {
    let server = serve_user(scopes_lines(&["repo", "repo"])).await;
    let obs = observe(&server.uri(), CLASSIC, settings()).await;
    let scopes: Vec<_> = obs
        .facts()
        .unwrap()
        .scopes
        .value()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(scopes, ["repo"]);
}

#[tokio::test]
async fn unreadable_token_headers_are_host_errors_never_none() {
    // Before: a non-ASCII expiry read as "never expires", non-ASCII scopes as "no header".
    for name in ["GitHub-Authentication-Token-Expiration", "X-OAuth-Scopes"] {
        let value = reqwest::header::HeaderValue::from_bytes(b"2031-09-03 02:34:04 \xff").unwrap();
        let mut response = ResponseTemplate::new(200).set_body_json(user_body());
        if name != "X-OAuth-Scopes" {
            response = response.insert_header("X-OAuth-Scopes", "repo");
        }
        let detail = host_error_detail(response.insert_header(name, value)).await;
        assert!(
            detail.contains(&format!(
                "`{}` header that is not readable",
                name.to_ascii_lowercase()
            )),
            "{name}: {detail}"
        );
    }
}

#[tokio::test]
async fn check_does_not_pass_forbid_scopes_on_a_repeated_scopes_header() {
    let server = serve_user(scopes_lines(&["repo", "delete_repo, admin:org"])).await;
    let policy = format!(
        "version = 1\n[[token]]\nname = \"ci\"\nhost = \"github\"\nurl = \"{}\"\nsecret = {{ env = \"GH\" }}\nforbid_scopes = [\"delete_repo\"]\n",
        server.uri()
    );
    let (out, _) = common::run_patlint(
        policy,
        vec![("GH".into(), CLASSIC.into())],
        &["check", "--format", "json"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert_eq!(json["tokens"][0]["status"], "error", "{stdout}");
    assert_eq!(json["tokens"][0]["findings"][0]["rule"], "host-error");
}

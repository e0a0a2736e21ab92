//! `patlint audit` of a GitLab instance that holds fine-grained tokens: the
//! administrator's listing presents each with its grants (`GET /personal_access_tokens`
//! passes `with_granular_scopes: true`, lib/api/personal_access_tokens.rb), so an
//! undeclared one is shown as a fine-grained token with its grants, and judged by
//! `forbid_permissions` and its lifespan; a declared fine-grained token is found in it.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::audit::{self, rules, token as find};
use crate::gitlab_server::{grant, token, with_grants};

const ADMIN: &str = "glpat-fineAuditAdmin00000000";
const JIRA: &str = "glpat-fineAuditJira000000000";
const LIST: &str = "/api/v4/personal_access_tokens";

fn listed(id: u64, user: u64, expires_at: &str, grants: Vec<Value>) -> Value {
    let mut entity = with_grants(token(id, user, true), grants);
    entity["expires_at"] = json!(expires_at);
    entity
}

async fn instance() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/user"))
        .and(header("private-token", ADMIN))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 1, "username": "root", "is_admin": true, "state": "active"}),
        ))
        .mount(&server)
        .await;
    let page = |body: Value| {
        ResponseTemplate::new(200)
            .insert_header("x-next-page", "")
            .set_body_json(body)
    };
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("user_id", "0"))
        .respond_with(page(json!([])))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("state", "active"))
        .and(header("private-token", ADMIN))
        .respond_with(page(json!([
            // The declared Jira token.
            listed(
                11,
                3,
                "2027-01-01",
                vec![grant(
                    "selected_memberships",
                    &["read_project"],
                    Some(70),
                    None
                )]
            ),
            // An undeclared one that may delete projects, for two years.
            listed(
                12,
                5,
                "2028-11-01",
                vec![grant(
                    "all_memberships",
                    &["read_project", "delete_project"],
                    None,
                    None
                )]
            ),
        ])))
        .with_priority(2)
        .mount(&server)
        .await;
    let own = with_grants(
        token(11, 3, true),
        vec![grant("user", &["read_personal_access_token"], None, None)],
    );
    for at in [
        "/api/v4/personal_access_tokens/self",
        "/api/v4/personal_access_tokens/11",
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .and(header("private-token", JIRA))
            .respond_with(ResponseTemplate::new(200).set_body_json(own.clone()))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn undeclared_fine_grained_tokens_are_shown_with_their_grants_and_judged_by_forbid_permissions()
 {
    let server = instance().await;
    let url = server.uri();
    let policy = format!(
        r#"version = 1
[hosts.gitlab]
forbid_permissions = ["delete_project"]
max_lifespan = "365d"

[[inventory]]
name = "gitlab-admin"
host = "gitlab"
url = "{url}"
secret = {{ env = "ADMIN" }}

[[token]]
name = "jira"
host = "gitlab"
url = "{url}"
secret = {{ env = "JIRA" }}
"#
    );
    let (_, report, stderr) = audit::run(
        policy,
        audit::env(&[("ADMIN", ADMIN), ("JIRA", JIRA)]),
        &[ADMIN, JIRA],
        &[],
    )
    .await;
    let jira = find(&report, "jira");
    assert!(
        !rules(jira)
            .iter()
            .any(|(rule, _)| rule == "token-not-found"),
        "{jira:#} {stderr}"
    );
    let other = find(&report, "gitlab-admin.12");
    assert_eq!(other["facts"]["kind"], "fine-grained-pat", "{other:#}");
    assert!(other["facts"].get("scopes").is_none(), "{other:#}");
    assert_eq!(
        other["facts"]["granular_scopes"][0]["access"],
        "all_memberships"
    );
    let found: Vec<String> = rules(other).into_iter().map(|(rule, _)| rule).collect();
    for rule in [
        "forbidden-permission",
        "lifespan-exceeded",
        "undeclared-token",
    ] {
        assert!(
            found.iter().any(|r| r == rule),
            "{rule} in {found:?}: {other:#}"
        );
    }
    let messages = other["findings"].to_string();
    assert!(
        messages.contains("holds the forbidden permission `delete_project` (on every group and project the user is a member of)")
            && messages.contains("lists a fine-grained personal access token"),
        "{messages}"
    );
    audit::only_gets(&server).await;
}

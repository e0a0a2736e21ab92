//! GitLab roles on the integration's projects (`require_access_level` on `projects`),
//! from `GET /personal_access_tokens/self/associations` as docs.gitlab.com documents it
//! (`api/personal_access_tokens.md`, "List all token associations"), against wiremock;
//! judged from the recorded facts, live and replayed.

use crate::common;

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAT: &str = "glpat-canaryAssociations000";
const ASSOCIATIONS: &str = "/api/v4/personal_access_tokens/self/associations";

async fn gitlab() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/personal_access_tokens/self"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 42, "name": "jira", "revoked": false, "created_at": "2026-11-01T15:00:00.000Z",
            "scopes": ["api"], "user_id": 1337, "last_used_at": null, "active": true,
            "expires_at": "2027-01-15"
        })))
        .mount(&server)
        .await;
    // Each declared project is read once (`GET /projects/:id`), whatever the policy asks.
    crate::gitlab_server::any_project(&server).await;
    server
}

/// The documented example (its project reached through its group, at developer), with a
/// second project where the token is only a reporter, as a server that ignored
/// `min_access_level` would list it.
fn associations(server: &MockServer) -> serde_json::Value {
    let uri = server.uri();
    json!({
        "groups": [
            {"id": 1, "web_url": format!("{uri}/groups/test"), "name": "Test",
             "parent_id": null, "organization_id": 1, "access_levels": 30, "visibility": "public"}
        ],
        "projects": [
            {"id": 1337, "name": "Test Project", "path": "test-project",
             "path_with_namespace": "Test/test-project",
             "access_levels": {"project_access_level": null, "group_access_level": 30},
             "visibility": "private", "web_url": format!("{uri}/test/test_project")},
            {"id": 1338, "name": "Low", "path": "low", "path_with_namespace": "Test/low",
             "access_levels": {"project_access_level": 20, "group_access_level": null},
             "visibility": "private", "web_url": format!("{uri}/test/low")}
        ]
    })
}

fn policy(server: &MockServer, projects: &str, extra: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"jira-gitlab\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ file = \"SECRET0\" }}\nprojects = [{projects}]\nrequire_access_level = \"developer\"\n{extra}",
        server.uri()
    )
}

async fn judge(text: &str) -> (String, Vec<String>, String) {
    let observations = common::observe_policy(text, &[PAT], common::quick_settings()).await;
    let policy = common::policy(&text.replace("SECRET0", "/unused"));
    let facts = common::facts_of(&policy, observations.into_iter().next().unwrap());
    common::verdict_live_and_replayed(&policy, &facts)
}

#[tokio::test]
async fn a_listed_project_whose_access_levels_reach_the_role_has_it() {
    let server = gitlab().await;
    Mock::given(method("GET"))
        .and(path(ASSOCIATIONS))
        .and(query_param("min_access_level", "30"))
        .respond_with(ResponseTemplate::new(200).set_body_json(associations(&server)))
        .expect(1)
        .mount(&server)
        .await;
    let text = policy(
        &server,
        "\"test/test-project\", \"test/low\", \"other/app\"",
        "",
    );
    let (status, rules, messages) = judge(&text).await;
    assert_eq!(
        (status.as_str(), rules),
        (
            "fail",
            vec![
                "missing-permission".to_owned(),
                "missing-permission".to_owned()
            ]
        ),
        "{messages}"
    );
    assert!(
        messages.contains("less than the `developer` role on `test/low`")
            && messages.contains("less than the `developer` role on `other/app`")
            && !messages.contains("on `test/test-project`")
            && messages.contains("min_access_level=30 → 200"),
        "{messages}"
    );
}

#[tokio::test]
async fn every_page_of_the_listing_is_read() {
    let server = gitlab().await;
    let mut first = associations(&server);
    first["projects"] = json!([]);
    Mock::given(method("GET"))
        .and(path(ASSOCIATIONS))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-next-page", "2")
                .set_body_json(first),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ASSOCIATIONS))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-next-page", "")
                .set_body_json(
                    json!({"groups": [], "projects": associations(&server)["projects"]}),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (status, _, messages) = judge(&policy(&server, "\"test/test-project\"", "")).await;
    assert_eq!(status, "pass", "{messages}");
}

#[tokio::test]
async fn an_older_server_leaves_the_role_unverifiable_and_probe_false_asks_nothing() {
    let server = gitlab().await;
    Mock::given(method("GET"))
        .and(path(ASSOCIATIONS))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "404 Not Found"})))
        .mount(&server)
        .await;
    let (status, _, messages) = judge(&policy(&server, "\"test/test-project\"", "")).await;
    assert_eq!(status, "unverifiable", "{messages}");
    assert!(messages.contains("from 17.4 on"), "{messages}");

    let quiet = gitlab().await;
    let (status, _, messages) =
        judge(&policy(&quiet, "\"test/test-project\"", "probe = false\n")).await;
    assert_eq!(status, "unverifiable", "{messages}");
    let requests = quiet.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "only /self");
}

#[test]
fn roles_and_project_paths_are_validated_offline() {
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\nprojects = [\"just-a-name\"]\nrequire_access_level = \"develop\"\n",
    );
    assert!(
        errors.contains("`just-a-name` is not a GitLab project path"),
        "{errors}"
    );
    assert!(errors.contains("did you mean \"developer\"?"), "{errors}");
}

//! `patlint audit` on Bitbucket Data Center, end to end through the binary, against a
//! local server answering as Atlassian's Data Center OpenAPI 9.2 documents: the paged
//! access-token listings of a project and its repositories (`isLastPage`,
//! `nextPageStart`, `values` of `RestAccessToken`), the project's repositories
//! (`GET /rest/api/latest/projects/{projectKey}/repos`), and its 401 error body.
//! Bitbucket Cloud has no listing, so its inventory does not validate.

use crate::common;

use common::audit::{self, names, only_gets, rules, token as find};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The inventory's token: base64 of "111111111111:…".
const ADMIN: &str = "MTExMTExMTExMTExOmludmVudG9yeUFkbWluU2VjcmV0";
/// The OpenAPI 9.2's example token: base64 of "252973515069:" and bytes.
const JIRA: &str = "MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ";
/// A token whose record is in no listing: base64 of "999999999999:…".
const GONE: &str = "OTk5OTk5OTk5OTk5OmdvbmVUb2tlblNlY3JldEJ5dGVz";

const PROJECT: &str = "/rest/access-tokens/latest/projects/PROJ";
const REPOS: &str = "/rest/api/latest/projects/PROJ/repos";
const REPO_TOKENS: &str = "/rest/access-tokens/latest/projects/PROJ/repos/web";

/// A token's record, as servers answer it (dates in epoch milliseconds).
fn record(id: &str, name: &str, user: &str, permissions: &[&str]) -> Value {
    json!({
        "id": id,
        "name": name,
        "createdDate": 1767225600000_i64, // 2026-01-01T00:00:00Z
        "expiryDays": 365,
        "permissions": permissions,
        "user": { "name": user, "slug": user }
    })
}

/// One page of a Data Center listing.
fn page(start: u64, next: Option<u64>, values: Value) -> ResponseTemplate {
    let mut body = json!({
        "size": values.as_array().map_or(0, Vec::len),
        "limit": 100,
        "start": start,
        "isLastPage": next.is_none(),
        "values": values
    });
    if let Some(next) = next {
        body["nextPageStart"] = json!(next);
    }
    ResponseTemplate::new(200)
        .insert_header("x-ausername", "proj-admin")
        .set_body_json(body)
}

/// Project PROJ: two pages of project tokens (jira's, then an undeclared one), and its
/// repository `web` with one token. Every token's check reads the same listing.
async fn project(page_two: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PROJECT))
        .and(query_param("start", "1"))
        .respond_with(page_two)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PROJECT))
        .and(query_param("start", "0"))
        .and(query_param("limit", "100"))
        .respond_with(page(
            0,
            Some(1),
            json!([record("252973515069", "jira", "proj-bot-1", &["REPO_READ"])]),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(REPOS))
        .and(query_param("start", "0"))
        .respond_with(page(
            0,
            None,
            json!([{ "slug": "web", "id": 1, "name": "web", "project": { "key": "PROJ" } }]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(REPO_TOKENS))
        .respond_with(page(
            0,
            None,
            json!([record("88", "deploy", "repo-bot", &["REPO_WRITE"])]),
        ))
        .mount(&server)
        .await;
    server
}

fn second_page() -> ResponseTemplate {
    page(
        1,
        None,
        json!([record("77", "old-ci", "proj-bot-2", &["PROJECT_ADMIN"])]),
    )
}

fn policy(url: &str, gone: bool) -> String {
    let mut text = format!(
        r#"version = 1

[[inventory]]
name    = "bb-proj"
host    = "bitbucket-data-center"
url     = "{url}"
project = "PROJ"
secret  = {{ env = "ADMIN" }}

[[token]]
name    = "jira"
host    = "bitbucket-data-center"
url     = "{url}"
project = "PROJ"
secret  = {{ env = "JIRA" }}
"#
    );
    if gone {
        text.push_str(&format!(
            "\n[[token]]\nname = \"gone\"\nhost = \"bitbucket-data-center\"\nurl = \"{url}\"\nrepository = \"PROJ/web\"\nsecret = {{ env = \"GONE\" }}\n"
        ));
    }
    text
}

async fn run(policy: String) -> (i32, Value, String) {
    let env = audit::env(&[("ADMIN", ADMIN), ("JIRA", JIRA), ("GONE", GONE)]);
    audit::run(policy, env, &[ADMIN, JIRA, GONE], &[]).await
}

/// Read-only, and only under `/rest`.
async fn only_rest_gets(server: &MockServer) {
    only_gets(server).await;
    for request in server.received_requests().await.unwrap() {
        assert!(request.url.path().starts_with("/rest/"), "{}", request.url);
    }
}

#[tokio::test]
async fn a_project_listing_matches_declared_tokens_by_id_across_pages_and_repositories() {
    let server = project(second_page()).await;
    let (code, report, stderr) = run(policy(&server.uri(), true)).await;
    assert_eq!(code, 1, "`gone` is not found: {report:#}{stderr}");
    let jira = find(&report, "jira");
    assert_eq!(jira["listed"]["id"], "252973515069", "{jira:#}");
    assert_eq!(jira["listed"]["declared"], true);
    assert!(
        rules(jira)
            .iter()
            .all(|(rule, _)| rule != "token-not-found"),
        "{jira:#}"
    );
    assert_eq!(
        rules(find(&report, "gone")),
        vec![audit::finding("token-not-found", "error")],
        "the listing of its repository has not its id"
    );
    let listed = names(&report);
    assert!(!listed.contains(&"bb-proj.252973515069"), "{listed:?}");
    // The second page, and the repository's listing, were read.
    let old = find(&report, "bb-proj.77");
    assert!(
        rules(old).contains(&audit::finding("undeclared-token", "warning")),
        "{old:#}"
    );
    assert_eq!(old["listed"]["name"], "old-ci");
    assert_eq!(old["listed"]["owner"], "proj-bot-2");
    assert_eq!(old["listed"]["source"], format!("GET {PROJECT}"));
    assert_eq!(old["facts"]["created_at"], "2026-01-01T00:00:00Z");
    assert_eq!(old["facts"]["expires_at"], "2027-01-01T00:00:00Z");
    assert_eq!(old["facts"]["bitbucket_dc_token"], "project-access-token");
    let deploy = find(&report, "bb-proj.88");
    assert_eq!(deploy["listed"]["source"], format!("GET {REPO_TOKENS}"));
    assert_eq!(
        deploy["facts"]["bitbucket_dc_token"],
        "repository-access-token"
    );
    // Users' personal tokens reach the project unlisted: never `pass`.
    let inventory = find(&report, "bb-proj");
    assert_eq!(
        rules(inventory)[0].0,
        "inventory-incomplete",
        "{inventory:#}"
    );
    assert_ne!(inventory["status"], "pass", "{inventory:#}");
    only_rest_gets(&server).await;
}

#[tokio::test]
async fn a_page_that_fails_in_the_middle_is_a_host_error_never_a_shorter_listing() {
    let broken = [
        ResponseTemplate::new(500),
        // Not the last page, and no `nextPageStart`: where it goes on is unknown.
        ResponseTemplate::new(200).set_body_json(json!({
            "size": 1, "limit": 100, "start": 1, "isLastPage": false,
            "values": [record("77", "old-ci", "proj-bot-2", &["PROJECT_ADMIN"])]
        })),
        // Not the documented listing.
        ResponseTemplate::new(200).set_body_string("<html>login</html>"),
    ];
    for page_two in broken {
        let server = project(page_two).await;
        let (code, report, stderr) = run(policy(&server.uri(), false)).await;
        assert_eq!(code, 3, "{report:#}{stderr}");
        let inventory = find(&report, "bb-proj");
        assert_eq!(rules(inventory)[0].0, "host-error", "{inventory:#}");
        let listed = names(&report);
        assert!(
            !listed.iter().any(|n| n.starts_with("bb-proj.")),
            "page 1 alone is not reported: {listed:?}"
        );
        only_rest_gets(&server).await;
    }
}

#[tokio::test]
async fn a_refused_listing_says_what_the_credential_needs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errors": [{
            "context": null,
            "message": "You are not permitted to access this resource",
            "exceptionName": "com.atlassian.bitbucket.AuthorisationException"
        }]})))
        .mount(&server)
        .await;
    let inventory_only = policy(&server.uri(), false)
        .split("[[token]]")
        .next()
        .unwrap()
        .to_owned();
    let (code, report, stderr) = run(inventory_only).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let inventory = find(&report, "bb-proj");
    assert_eq!(rules(inventory)[0].0, "host-error", "{inventory:#}");
    let message = inventory["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("project admin"), "{message}");
    only_rest_gets(&server).await;
}

#[tokio::test]
async fn a_user_listing_is_complete_for_that_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/access-tokens/latest/users/jira-bot"))
        .respond_with(page(
            0,
            None,
            json!([
                record("252973515069", "jira", "jira-bot", &["REPO_READ"]),
                record("5", "laptop", "jira-bot", &["PROJECT_WRITE"])
            ]),
        ))
        .mount(&server)
        .await;
    let url = server.uri();
    let text = format!(
        "version = 1\n[[inventory]]\nname = \"bb-jira\"\nhost = \"bitbucket-data-center\"\nurl = \"{url}\"\nuser = \"jira-bot\"\nsecret = {{ env = \"ADMIN\" }}\n\n[[token]]\nname = \"jira\"\nhost = \"bitbucket-data-center\"\nurl = \"{url}\"\nuser = \"jira-bot\"\nsecret = {{ env = \"JIRA\" }}\n"
    );
    let (code, report, stderr) = run(text).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    assert_eq!(find(&report, "jira")["listed"]["id"], "252973515069");
    let laptop = find(&report, "bb-jira.5");
    assert_eq!(
        laptop["facts"]["bitbucket_dc_token"],
        "personal-access-token"
    );
    assert!(
        !names(&report).contains(&"bb-jira"),
        "one user's listing is complete for that user: {report:#}"
    );
    only_rest_gets(&server).await;
}

#[tokio::test]
async fn bitbucket_cloud_cannot_be_an_inventory() {
    let text = "version = 1\n[[inventory]]\nname = \"bb-cloud\"\nhost = \"bitbucket\"\nsecret = { env = \"ADMIN\" }\n";
    let (out, _) = common::run_patlint(
        text.to_owned(),
        Vec::new(),
        &["validate", "--now", "2026-11-24"],
    )
    .await;
    let stderr = common::text(&out.stderr);
    assert_eq!(common::code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("Bitbucket Cloud has no API that lists access tokens"),
        "{stderr}"
    );
}

//! Azure DevOps code scopes by probes, for PATs checked without the PAT Lifecycle API:
//! Services without `entra_token`, and Server / TFS. wiremock answers as Azure DevOps does;
//! each verdict is judged from the recorded facts, live and replayed.

use crate::common;

use common::azure::{CONNECTION, PAT, basic, observe, own_401, services_policy, valid_connection};
use patlint::facts::Observation;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The project's repositories: the read of the declared project, which also settles
/// `vso.code`.
const IN_PROJECT: &str = "/fabrikam/Fabrikam%20Fiber/_apis/git/repositories";
const PULL_REQUESTS: &str = "/fabrikam/Fabrikam%20Fiber/_apis/git/repositories/00000000-0000-0000-0000-000000000000/pullrequests";

pub(crate) fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "$id": "1",
        "message": "TF401019: The Git repository with name or identifier 00000000-0000-0000-0000-000000000000 does not exist or you do not have permissions for the operation you are attempting.",
        "typeName": "Microsoft.TeamFoundation.Git.Server.GitRepositoryNotFoundException, Microsoft.TeamFoundation.Git.Server",
        "typeKey": "GitRepositoryNotFoundException",
        "errorCode": 0
    }))
}

async fn mount(
    server: &MockServer,
    verb: &str,
    at: &str,
    version: &str,
    response: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(at))
        .and(query_param("api-version", version))
        .and(header("authorization", basic().as_str()))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

/// The project the policy declares, read once and reached.
async fn project_read(server: &MockServer) {
    mount(
        server,
        "GET",
        IN_PROJECT,
        "7.1",
        ResponseTemplate::new(200).set_body_json(json!({"count": 0, "value": []})),
    )
    .await;
}

/// The verdict on the one token, judged live and replayed.
fn judge(text: &str, observation: Observation) -> (String, Vec<String>, String) {
    let policy = common::policy(&text.replace("SECRET0", "/unused"));
    common::verdict_live_and_replayed(&policy, &common::facts_of(&policy, observation))
}

const PRESET: &str = "extends = [\"builtin:git-integration-for-jira\"]\n";
const READONLY: &str = "extends = [\"builtin:git-integration-for-jira-readonly\"]\n";
const PROJECT: &str = "project = \"Fabrikam Fiber\"\n";

/// A Services policy: `extends` must come before the token table.
fn policy(server: &MockServer, extends: &str, extra: &str) -> String {
    services_policy(server, extra).replacen("version = 1\n", &format!("version = 1\n{extends}"), 1)
}

async fn observe_with(server: &MockServer, extends: &str, extra: &str) -> (String, Observation) {
    let text = policy(server, extends, extra);
    let observation = common::observe_policy(&text, &[PAT], common::quick_settings())
        .await
        .remove(0);
    (text, observation)
}

#[tokio::test]
async fn the_write_probe_settles_the_presets_vso_code_write_without_an_entra_token() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    project_read(&server).await;
    mount(&server, "POST", PULL_REQUESTS, "7.1", not_found()).await;
    let (text, observation) = observe_with(&server, PRESET, PROJECT).await;
    let (status, rules, messages) = judge(&text, observation.clone());
    assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    let grants = &observation.facts().unwrap().grants;
    let evidence: Vec<&str> = grants.iter().map(|g| g.evidence.as_str()).collect();
    assert_eq!(
        evidence,
        [
            format!("probe: GET {IN_PROJECT} → 200"),
            format!("probe: POST {PULL_REQUESTS} → 404")
        ],
        "{grants:?}"
    );
    // The body is `{}`: no pull request can come of it.
    let requests = server.received_requests().await.unwrap();
    let probe = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&probe.body).unwrap(),
        json!({})
    );
}

#[tokio::test]
async fn a_401_to_the_write_probe_is_a_missing_scope() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    project_read(&server).await;
    mount(&server, "POST", PULL_REQUESTS, "7.1", own_401()).await;
    let (text, observation) = observe_with(&server, PRESET, PROJECT).await;
    let (status, rules, messages) = judge(&text, observation);
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["missing-scope".to_owned()])
    );
    assert!(
        messages.contains("lacks the required scope `vso.code_write`"),
        "{messages}"
    );
    assert!(
        messages.contains(&format!("probe: POST {PULL_REQUESTS} → 401")),
        "{messages}"
    );
}

#[tokio::test]
async fn the_read_only_preset_fails_a_pat_that_may_write_and_passes_one_that_may_only_read() {
    for (write_answer, expected) in [
        (
            ResponseTemplate::new(400).set_body_json(json!({"message": "The request body is invalid.", "typeKey": "InvalidArgumentValueException"})),
            vec!["forbidden-scope".to_owned()],
        ),
        (own_401(), vec![]),
    ] {
        let server = MockServer::start().await;
        valid_connection(&server).await;
        project_read(&server).await;
        mount(&server, "POST", PULL_REQUESTS, "7.1", write_answer).await;
        let (text, observation) = observe_with(&server, READONLY, PROJECT).await;
        let (_, rules, messages) = judge(&text, observation);
        assert_eq!(rules, expected, "{messages}");
    }
}

#[tokio::test]
async fn a_sign_in_page_or_an_accepted_probe_is_never_a_grant() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    project_read(&server).await;
    mount(
        &server,
        "POST",
        PULL_REQUESTS,
        "7.1",
        ResponseTemplate::new(203).set_body_raw("<html><body>Sign in</body></html>", "text/html"),
    )
    .await;
    let (text, observation) = observe_with(&server, PRESET, PROJECT).await;
    let (status, rules, messages) = judge(&text, observation);
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()])
    );
    assert!(messages.contains("conditional access"), "{messages}");

    let server = MockServer::start().await;
    valid_connection(&server).await;
    project_read(&server).await;
    mount(
        &server,
        "POST",
        PULL_REQUESTS,
        "7.1",
        ResponseTemplate::new(201).set_body_json(json!({"pullRequestId": 1})),
    )
    .await;
    let (text, observation) = observe_with(&server, PRESET, PROJECT).await;
    let (status, _, messages) = judge(&text, observation);
    assert_eq!(status, "error");
    assert!(
        messages.contains("a probe was accepted; nothing may be assumed"),
        "{messages}"
    );
}

#[tokio::test]
async fn without_a_project_or_with_probe_false_nothing_is_probed() {
    for extra in ["", "project = \"Fabrikam Fiber\"\nprobe = false\n"] {
        let server = MockServer::start().await;
        valid_connection(&server).await;
        let (text, observation) = observe_with(&server, PRESET, extra).await;
        let (status, _, messages) = judge(&text, observation);
        assert_eq!(status, "unverifiable", "{messages}");
        let requests = server.received_requests().await.unwrap();
        assert!(
            requests.iter().all(|r| r.url.path() == CONNECTION),
            "{extra}: only connectionData"
        );
        if extra.is_empty() {
            assert!(messages.contains("set `project`"), "{messages}");
        }
    }
}

#[tokio::test]
async fn the_lifecycle_api_wins_over_probes() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(common::azure::PATS))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            include_str!("../../fixtures/azure/GetPat.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    project_read(&server).await;
    let observation = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\nauthorization_id = \"3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32\"\nproject = \"Fabrikam Fiber\"\nrequire_scopes = [\"vso.code_write\"]\n",
    )
    .await;
    let facts = observation.facts().unwrap();
    // Only the project's reach: the scopes come from the Lifecycle API.
    let grants: Vec<_> = facts.grants.iter().map(|g| g.permission.as_str()).collect();
    assert_eq!(grants, ["project"], "{:?}", facts.grants);
    let requests = server.received_requests().await.unwrap();
    assert!(
        !requests.iter().any(|r| r.method.as_str() == "POST"),
        "no probe"
    );
}

#[tokio::test]
async fn server_and_tfs_pats_are_probed_on_the_collection_with_its_api_version() {
    let collection = "/tfs/DefaultCollection";
    let probe = format!(
        "{collection}/Fabrikam%20Fiber/_apis/git/repositories/00000000-0000-0000-0000-000000000000/pullrequests"
    );
    for (answer, expected) in [
        (not_found(), "pass"),
        (
            ResponseTemplate::new(400).set_body_json(json!({"message": "The requested REST API version of 5.0 is out of range for this server.", "typeKey": "VssVersionOutOfRangeException"})),
            "unverifiable",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("{collection}/_apis/connectionData")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "authenticatedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043"},
                "deploymentType": "onPremises"
            })))
            .mount(&server)
            .await;
        mount(
            &server,
            "GET",
            &format!("{collection}/Fabrikam%20Fiber/_apis/git/repositories"),
            "5.0",
            ResponseTemplate::new(200).set_body_json(json!({"count": 0, "value": []})),
        )
        .await;
        mount(&server, "POST", &probe, "5.0", answer).await;
        let text = format!(
            "version = 1\n{PRESET}[[token]]\nname = \"jira-tfs\"\nhost = \"azure-devops-server\"\nurl = \"{}{collection}\"\nsecret = {{ file = \"SECRET0\" }}\n{PROJECT}",
            server.uri()
        );
        let observation = common::observe_policy(&text, &[PAT], common::quick_settings())
            .await
            .remove(0);
        let (status, _, messages) = judge(&text, observation);
        assert_eq!(status, expected, "{messages}");
    }
}

#[test]
fn a_project_name_that_cannot_be_one_is_refused_offline() {
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"azure-devops\"\norganization = \"o\"\nsecret = { env = \"T\" }\nproject = \"a/b\"\n",
    );
    assert!(
        errors.contains("`a/b` is not an Azure DevOps project name"),
        "{errors}"
    );
}

#[tokio::test]
async fn answers_that_are_not_azure_devops_own_prove_nothing() {
    for (answer, why) in [
        (
            ResponseTemplate::new(400).set_body_raw("<html>Bad Request</html>", "text/html"),
            "proves nothing",
        ),
        (
            ResponseTemplate::new(401).set_body_json(json!({"message": "TF400813: The user 'x' is not authorized to access this resource.", "typeKey": "UnauthorizedRequestException"})),
            "TF400813",
        ),
    ] {
        let server = MockServer::start().await;
        valid_connection(&server).await;
        project_read(&server).await;
        mount(&server, "POST", PULL_REQUESTS, "7.1", answer).await;
        let (text, observation) = observe_with(&server, READONLY, PROJECT).await;
        let (_, rules, messages) = judge(&text, observation);
        assert!(rules.contains(&"unverifiable".to_owned()), "{messages}");
        assert!(!rules.contains(&"forbidden-scope".to_owned()), "{messages}");
        assert!(messages.contains(why), "{messages}");
    }
}

#[tokio::test]
async fn a_401_that_is_not_azure_devops_own_settles_no_scope_either_way() {
    let problem = ResponseTemplate::new(401).set_body_raw(
        r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"gateway policy"}"#,
        "application/problem+json",
    );
    let html = ResponseTemplate::new(401).set_body_raw(
        "<html><body>401 Authorization Required</body></html>",
        "text/html",
    );
    for (answer, what) in [
        (problem, "401 (application/problem+json)"),
        (html, "401 (text/html)"),
    ] {
        // Required: not a missing scope. Forbidden: not a pass.
        for (extends, wrong) in [(PRESET, "missing-scope"), (READONLY, "forbidden-scope")] {
            let server = MockServer::start().await;
            valid_connection(&server).await;
            project_read(&server).await;
            mount(&server, "POST", PULL_REQUESTS, "7.1", answer.clone()).await;
            let (text, observation) = observe_with(&server, extends, PROJECT).await;
            let (status, rules, messages) = judge(&text, observation);
            assert_eq!(status, "unverifiable", "{what}: {messages}");
            assert!(!rules.contains(&wrong.to_owned()), "{what}: {messages}");
            assert!(
                messages.contains(what) && messages.contains("not Azure DevOps' own answer"),
                "{what}: {messages}"
            );
        }
    }
}

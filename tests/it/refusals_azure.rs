//! Azure DevOps' conditional access refusing a PAT, and the project the integration works
//! in read once, against a local Azure DevOps answering with its own bodies and headers,
//! beside the answers of something in front of it that settle nothing. Each verdict is
//! judged live and replayed from the facts file.

use crate::common;

use common::azure::{CONNECTION, PAT, observe, own_401, services_policy, valid_connection};
use patlint::facts::Observation;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "project = \"Fabrikam Fiber\"\n";
const IN_PROJECT: &str = "/fabrikam/Fabrikam%20Fiber/_apis/git/repositories";

/// Verbatim from microsoft/coe-starter-kit#6694.
fn conditional_access() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_raw(
        r#"{"$id":"1","innerException":null,"message":"VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed.","typeName":"Microsoft.VisualStudio.Services.Common.VssServiceException, Microsoft.VisualStudio.Services.Common","typeKey":"VssServiceException","errorCode":0,"eventId":3000}"#,
        "application/json; charset=utf-8",
    )
}

fn repositories() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"count": 0, "value": []}))
}

async fn answer(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

/// The verdict on the one token, judged live and replayed.
fn judge(
    server: &MockServer,
    extra: &str,
    observation: Observation,
) -> (String, Vec<String>, String) {
    let policy = common::policy(&services_policy(server, extra).replace("SECRET0", "/unused"));
    common::verdict_live_and_replayed(&policy, &common::facts_of(&policy, observation))
}

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
async fn conditional_access_on_connection_data_is_its_own_refusal_not_a_host_error() {
    let server = MockServer::start().await;
    answer(&server, CONNECTION, conditional_access()).await;
    let observation = observe(&server, PROJECT).await;
    assert!(
        matches!(observation, Observation::Refused { .. }),
        "{observation:?}"
    );
    let (status, rules, messages) = judge(&server, PROJECT, observation);
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["conditional-access".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("token `jira-azure` is refused on `fabrikam`")
            && messages.contains("VS403463: The conditional access policy"),
        "{messages}"
    );
    // Refused before anything else: nothing more was asked.
    assert_eq!(requests(&server).await, [format!("GET {CONNECTION}")]);
}

#[tokio::test]
async fn the_project_is_read_once_and_its_refusal_or_absence_fails_the_token() {
    let not_found = ResponseTemplate::new(404)
        .insert_header("ActivityId", "5a4d8d5e-1b4e-4a5e-9a31-4c3c0b7f2d10")
        .set_body_json(json!({
            "$id": "1",
            "message": "TF200016: The following project does not exist: Fabrikam Fiber. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.",
            "typeKey": "ProjectDoesNotExistWithNameException",
            "errorCode": 0,
            "eventId": 3000
        }));
    for (response, expected, says) in [
        (repositories(), vec![], ""),
        (
            conditional_access(),
            vec!["conditional-access"],
            "refused on `Fabrikam Fiber`",
        ),
        (
            not_found,
            vec!["missing-repository"],
            "cannot reach the project `Fabrikam Fiber`",
        ),
    ] {
        let server = MockServer::start().await;
        valid_connection(&server).await;
        answer(&server, IN_PROJECT, response).await;
        let observation = observe(&server, PROJECT).await;
        let (status, rules, messages) = judge(&server, PROJECT, observation);
        let expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        let failed = !expected.is_empty();
        assert_eq!(rules, expected, "{messages}");
        assert_eq!(status, if failed { "fail" } else { "pass" }, "{messages}");
        assert!(messages.contains(says), "{messages}");
        // One GET per target: connectionData and the project, nothing more.
        assert_eq!(
            requests(&server).await,
            [format!("GET {IN_PROJECT}"), format!("GET {CONNECTION}")]
        );
    }
}

#[tokio::test]
async fn a_pat_without_vso_code_leaves_the_project_unverifiable_and_a_forbid_is_not_passed() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    answer(&server, IN_PROJECT, own_401()).await;
    let extra =
        format!("{PROJECT}forbid_scopes = [\"vso.code_write\"]\nrequire_scopes = [\"vso.code\"]\n");
    let observation = observe(&server, &extra).await;
    let (status, rules, messages) = judge(&server, &extra, observation);
    assert_eq!(status, "fail", "{messages}");
    assert!(rules.contains(&"missing-scope".to_owned()), "{rules:?}");
    assert!(
        messages.contains("needs `vso.code`, which the PAT lacks"),
        "{messages}"
    );
}

#[tokio::test]
async fn answers_that_are_not_azure_devops_own_settle_nothing_and_say_what_came_back() {
    let html = || {
        ResponseTemplate::new(401).set_body_raw(
            "<html><body>401 Authorization Required</body></html>",
            "text/html",
        )
    };
    let problem = || {
        ResponseTemplate::new(403).set_body_raw(
            r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"VS403463"}"#,
            "application/problem+json",
        )
    };
    // On connectionData: no verdict on the PAT (never `token-invalid`), and no refusal.
    for (response, what) in [
        (html(), "401 (text/html)"),
        (problem(), "403 (application/problem+json)"),
    ] {
        let server = MockServer::start().await;
        answer(&server, CONNECTION, response).await;
        let observation = observe(&server, "").await;
        let (status, rules, messages) = judge(&server, "", observation);
        assert_eq!(
            (status.as_str(), rules),
            ("error", vec!["host-error".to_owned()]),
            "{what}: {messages}"
        );
        assert!(
            messages.contains(what) && messages.contains("not Azure DevOps' own answer"),
            "{messages}"
        );
    }
    // On the project: its reach is unverifiable, and `forbid_scopes` is not passed.
    for (response, what) in [
        (html(), "401 (text/html)"),
        (problem(), "403 (application/problem+json)"),
    ] {
        let server = MockServer::start().await;
        valid_connection(&server).await;
        answer(&server, IN_PROJECT, response).await;
        let extra = format!("{PROJECT}forbid_scopes = [\"vso.code\"]\n");
        let observation = observe(&server, &extra).await;
        let (status, rules, messages) = judge(&server, &extra, observation);
        assert_eq!(status, "unverifiable", "{what}: {messages}");
        assert!(rules.iter().all(|r| r == "unverifiable"), "{rules:?}");
        assert!(
            messages.contains(what) && messages.contains("whether it reaches `Fabrikam Fiber`"),
            "{messages}"
        );
    }
}

#[tokio::test]
async fn without_a_project_nothing_more_is_sent_and_with_probe_false_its_reach_is_unverifiable() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    let observation = observe(&server, "").await;
    let (status, _, messages) = judge(&server, "", observation);
    assert_eq!(status, "pass", "{messages}");
    assert_eq!(requests(&server).await, [format!("GET {CONNECTION}")]);

    let server = MockServer::start().await;
    valid_connection(&server).await;
    let extra = format!("{PROJECT}probe = false\n");
    let observation = observe(&server, &extra).await;
    let (status, rules, messages) = judge(&server, &extra, observation);
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("`probe = false` for this token, so the project was not read"),
        "{messages}"
    );
    assert_eq!(requests(&server).await, [format!("GET {CONNECTION}")]);
}

#[tokio::test]
async fn a_server_project_refused_by_conditional_access_is_named_too() {
    let collection = "/tfs/DefaultCollection";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{collection}/_apis/connectionData")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "authenticatedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043"},
            "deploymentType": "onPremises"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{collection}/Fabrikam%20Fiber/_apis/git/repositories"
        )))
        .and(query_param("api-version", "5.0"))
        .respond_with(conditional_access())
        .expect(1)
        .mount(&server)
        .await;
    let text = format!(
        "version = 1\n[[token]]\nname = \"jira-tfs\"\nhost = \"azure-devops-server\"\nurl = \"{}{collection}\"\nsecret = {{ file = \"SECRET0\" }}\n{PROJECT}",
        server.uri()
    );
    let observation = common::observe_policy(&text, &[PAT], common::quick_settings())
        .await
        .remove(0);
    let policy = common::policy(&text.replace("SECRET0", "/unused"));
    let (status, rules, messages) =
        common::verdict_live_and_replayed(&policy, &common::facts_of(&policy, observation));
    assert_eq!(
        (status.as_str(), rules),
        ("fail", vec!["conditional-access".to_owned()]),
        "{messages}"
    );
}

//! The Azure DevOps Services test setup: the canary secrets, the paths wiremock answers,
//! a policy for one PAT, and observing it (now, or before the global-PAT retirement).

use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{at, observe_policy, observe_policy_at, quick_settings};
use patlint::facts::Observation;

pub const PAT: &str = "canaryazurepat55dwf4vpitomw63jzvomefmi2jluguprzwwqwuc6xq";
pub const ENTRA: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.canaryEntra.signature";
pub const CONNECTION: &str = "/fabrikam/_apis/connectionData";
pub const PATS: &str = "/vssps/fabrikam/_apis/tokens/pats";
pub const PROFILE: &str = "/app/_apis/profile/profiles/me";

/// `Basic base64(":" + PAT)`.
pub fn basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{PAT}"))
    )
}

pub fn services_policy(server: &MockServer, extra: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"jira-azure\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nurl = \"{0}\"\nvssps_url = \"{0}/vssps\"\nprofile_url = \"{0}/app\"\nsecret = {{ file = \"SECRET0\" }}\n{extra}",
        server.uri()
    )
}

pub async fn observe(server: &MockServer, extra: &str) -> Observation {
    let secrets: &[&str] = if extra.contains("SECRET1") {
        &[PAT, ENTRA]
    } else {
        &[PAT]
    };
    observe_policy(&services_policy(server, extra), secrets, quick_settings())
        .await
        .remove(0)
}

/// Observed a week before global PATs stopped working (2026-12-01), when the heuristic
/// probe still told global from organization-scoped PATs.
pub async fn observe_before_retirement(server: &MockServer, extra: &str) -> Observation {
    observe_policy_at(
        &services_policy(server, extra),
        &[PAT],
        quick_settings(),
        at("2026-11-24T00:00:00Z"),
    )
    .await
    .remove(0)
}

pub async fn valid_connection(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(CONNECTION))
        .and(header("authorization", basic().as_str()))
        .and(header("x-tfs-fedauthredirect", "Suppress"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "authenticatedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043", "providerDisplayName": "Jira Bot"},
            "authorizedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043"},
            "instanceId": "38aaa865-2c70-4bf7-a308-0c6539c38c1a",
            "deploymentType": "hosted"
        })))
        .mount(server)
        .await;
}

/// Azure DevOps' own 401: no body, and the headers it sets on every answer (`ActivityId`,
/// `X-TFS-ProcessId`, `X-VSS-E2EID`), as on the 401 quoted in
/// microsoft/azure-pipelines-agent#1164.
pub fn own_401() -> ResponseTemplate {
    ResponseTemplate::new(401)
        .insert_header("ActivityId", "5a4d8d5e-1b4e-4a5e-9a31-4c3c0b7f2d10")
        .insert_header("X-TFS-ProcessId", "0d3c7e0e-93b5-4c0f-8a3e-4b1b3f4c2a11")
        .insert_header("X-VSS-E2EID", "5a4d8d5e-1b4e-4a5e-9a31-4c3c0b7f2d10")
}

pub async fn profile(server: &MockServer, status: u16) {
    let response = match status {
        200 => ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"displayName": "Jira Bot", "id": "bb5bb6c8"})),
        401 => own_401(),
        _ => ResponseTemplate::new(status),
    };
    Mock::given(path(PROFILE))
        .and(query_param("api-version", "7.1"))
        .respond_with(response)
        .mount(server)
        .await;
}

/// `specification/tokens/7.1/httpExamples/Pats/ListPats.json`, split over two pages to
/// exercise `continuationToken`.
pub fn list_pats_pages() -> (serde_json::Value, serde_json::Value) {
    let all: serde_json::Value =
        serde_json::from_str(include_str!("../../../fixtures/azure/ListPats.json")).unwrap();
    let tokens = all["patTokens"].as_array().unwrap();
    let first = serde_json::json!({"continuationToken": "page-2", "patTokens": tokens[..2]});
    let second = serde_json::json!({"continuationToken": "", "patTokens": tokens[2..]});
    (first, second)
}

/// A PAT's organization reach, as Azure DevOps Services records it.
pub fn reach(facts: &patlint::facts::TokenFacts) -> &patlint::facts::Observed<bool> {
    &patlint::hosts::azure_devops::facts::of(facts).all_accessible_organizations
}

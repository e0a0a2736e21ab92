//! `patlint audit` on an Azure DevOps Services organization, end to end through the
//! binary, against a local server answering as MicrosoftDocs/vsts-rest-api-specs
//! documents: `specification/graph/7.1/graph.json` (`Users_List`, continued by the
//! `X-MS-ContinuationToken` header) and `specification/tokenAdmin/7.1/tokenAdmin.json`
//! (`Personal Access Tokens_List`, at api-version 7.1: `TokenAdminPagedSessionTokens` of
//! `SessionToken`s, in the shape of its example
//! `GetPersonalAccessTokensForAUserInYourOrganization.json`: dates without an offset,
//! `displayName` null, `targetAccounts` null).

use crate::common;

use common::audit::{self, names, only_gets, rules, token};
use common::azure::{ENTRA, PAT, basic};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The inventory's Entra token: a Project Collection Administrator's.
const ADMIN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.canaryTokenAdmin.signature";
const GONE: &str = "canaryazuregonepat7dwf4vpitomw63jzvomefmi2jluguprzwwqwuc6x";

const JIRA_ID: &str = "4C60C9ED-A378-4883-AF16-D655CA025B11";
const USERS: &str = "/vssps/fabrikam/_apis/graph/users";
const JAMAL: &str = "aad.NzBlZjI0YjgtMTI0ZS03ZWNlLWI3ZmMtMmY3NjAyNTI5ZmE0";
const CHEN: &str = "aad.YmI1YmI2YzgtZWYwYS03MDBmLTg5ODctOTJiMzY3NGQyMDQz";
const BUILD: &str = "svc.MzhhYWE4NjUtMmM3MC00YmY3LWEzMDgtMGM2NTM5YzM4YzFhOkJ1aWxkOjE";

fn pats_of(descriptor: &str) -> String {
    format!("/vssps/fabrikam/_apis/tokenadmin/personalaccesstokens/{descriptor}")
}

fn graph_user(descriptor: &str, principal: &str, display: &str) -> Value {
    json!({
        "subjectKind": "user",
        "domain": "AzureDirectory",
        "principalName": principal,
        "mailAddress": principal,
        "origin": "aad",
        "displayName": display,
        "descriptor": descriptor
    })
}

/// A `SessionToken` as the specification's example gives it.
fn session(
    id: &str,
    name: Value,
    scope: &str,
    valid_to: &str,
    targets: Value,
    valid: bool,
) -> Value {
    json!({
        "clientId": "00000000-0000-0000-0000-000000000000",
        "accessId": "00000000-0000-0000-0000-000000000000",
        "authorizationId": id,
        "hostAuthorizationId": "00000000-0000-0000-0000-000000000000",
        "userId": "bb5bb6c8-ef0a-400f-8987-92b3674d2043",
        "validFrom": "2026-07-19T00:00:00",
        "validTo": valid_to,
        "displayName": name,
        "scope": scope,
        "targetAccounts": targets,
        "token": null,
        "alternateToken": null,
        "isValid": valid,
        "isPublic": false,
        "publicData": null,
        "source": null
    })
}

async fn connection(server: &MockServer, auth: &str) {
    Mock::given(method("GET"))
        .and(path("/fabrikam/_apis/connectionData"))
        .and(header("authorization", auth))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "authenticatedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043", "providerDisplayName": "Jira Bot"},
            "authorizedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043"},
            "instanceId": "38aaa865-2c70-4bf7-a308-0c6539c38c1a",
            "deploymentType": "hosted"
        })))
        .mount(server)
        .await;
}

fn gone_basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{GONE}"))
    )
}

/// The organization `fabrikam`: two pages of users (jamal and a build service, then
/// chen); jamal's PATs over two pages, chen's on one. `users_page_two` and
/// `jamal_status` break it (0: one of jamal's PATs has no `authorizationId`).
async fn organization(users_page_two: ResponseTemplate, jamal_status: u16) -> MockServer {
    let server = MockServer::start().await;
    let bearer = format!("Bearer {ADMIN}");
    // The declared PAT, and its owner's Entra token reading its record (upper case id).
    connection(&server, &basic()).await;
    connection(&server, &gone_basic()).await;
    Mock::given(method("GET"))
        .and(path("/vssps/fabrikam/_apis/tokens/pats"))
        .and(header("authorization", format!("Bearer {ENTRA}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "continuationToken": null,
            "patTokens": [{
                "displayName": "jira-sync",
                "validTo": "2027-01-01T00:00:00Z",
                "scope": "vso.code_write",
                "targetAccounts": ["38aaa865-2c70-4bf7-a308-0c6539c38c1a"],
                "validFrom": "2026-07-19T00:00:00Z",
                "authorizationId": JIRA_ID,
                "token": null
            }]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("api-version", "7.1-preview.1"))
        .and(query_param("continuationToken", "users-2"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(users_page_two)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("api-version", "7.1-preview.1"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-MS-ContinuationToken", "users-2")
                .set_body_json(json!({
                    "count": 2,
                    "value": [
                        graph_user(JAMAL, "jamal@fabrikam.com", "Jamal Hartnett"),
                        { "subjectKind": "user", "domain": "Build", "principalName": "38aaa865", "origin": "vsts",
                          "displayName": "Project Collection Build Service", "descriptor": BUILD }
                    ]
                })),
        )
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let jamal_first = match jamal_status {
        // A PAT nothing names: the listing cannot be complete.
        0 => ResponseTemplate::new(200).set_body_json(json!({
            "value": [session("", json!("nameless"), "vso.code", "2027-01-01T00:00:00", json!(null), true)],
            "continuationToken": null
        })),
        200 => ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                // The token administration listing gives no display name here: only the
                // id the PAT's own check read ties it to `jira`.
                session(&JIRA_ID.to_ascii_lowercase(), json!(null), "vso.code_write", "2027-01-01T00:00:00", json!(["38aaa865-2c70-4bf7-a308-0c6539c38c1a"]), true),
                session("e1bd9361-1120-4227-a258-da80545884b9", json!("revoked"), "vso.code", "2027-01-01T00:00:00", json!(null), false),
            ],
            "continuationToken": "jamal-2"
        })),
        status => ResponseTemplate::new(status).set_body_json(json!({
            "$id": "1", "innerException": null,
            "message": "TF400813: The user is not authorized to access this resource.",
            "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
            "typeKey": "UnauthorizedRequestException", "errorCode": 0, "eventId": 3000
        })),
    };
    let tokens = |descriptor: &str| {
        Mock::given(method("GET"))
            .and(path(pats_of(descriptor)))
            // `Personal Access Tokens_List` takes `api-Version`: "This should be set to
            // '7.1'" (specification/tokenAdmin/7.1/tokenAdmin.json).
            .and(query_param("api-version", "7.1"))
            .and(query_param("isPublic", "false"))
            .and(header("authorization", bearer.as_str()))
    };
    tokens(JAMAL)
        .and(query_param("continuationToken", "jamal-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [session("952858d3-7084-4635-964e-3c2a57645185", json!("legacy"), "app_token", "2027-07-19T00:00:00", json!(null), true)],
            "continuationToken": null
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    tokens(JAMAL)
        .respond_with(jamal_first)
        .with_priority(2)
        .mount(&server)
        .await;
    tokens(CHEN)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [session("c2e0abd5-85a8-40b0-a179-88e98538ec7c", json!("chen-ci"), "vso.build vso.code", "2026-12-19T00:00:00", json!(["38aaa865-2c70-4bf7-a308-0c6539c38c1a"]), true)],
            "continuationToken": null
        })))
        .mount(&server)
        .await;
    // A service identity holds no PATs: never asked.
    Mock::given(path(pats_of(BUILD)))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

fn users_page_two() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "count": 1,
        "value": [graph_user(CHEN, "chen@fabrikam.com", "Chen Wu")]
    }))
}

fn policy(url: &str, extra: &str, gone: bool) -> String {
    let mut text = format!(
        r#"version = 1
{extra}
[[inventory]]
name = "ado"
host = "azure-devops"
organization = "fabrikam"
url = "{url}"
vssps_url = "{url}/vssps"
secret = {{ env = "ADMIN" }}

[[token]]
name = "jira"
host = "azure-devops"
organization = "fabrikam"
url = "{url}"
vssps_url = "{url}/vssps"
secret = {{ env = "PAT" }}
entra_token = {{ env = "ENTRA" }}
display_name = "jira-sync"
"#
    );
    if gone {
        text.push_str(&format!(
            "\n[[token]]\nname = \"gone\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nurl = \"{url}\"\nvssps_url = \"{url}/vssps\"\nsecret = {{ env = \"GONE\" }}\nauthorization_id = \"0b8f2a6e-4c1d-4e5f-9a7b-3c2d1e0f9a8b\"\n"
        ));
    }
    text
}

const SECRETS: [&str; 4] = [ADMIN, PAT, ENTRA, GONE];

fn env() -> Vec<(String, String)> {
    audit::env(&[
        ("ADMIN", ADMIN),
        ("PAT", PAT),
        ("ENTRA", ENTRA),
        ("GONE", GONE),
    ])
}

/// `patlint audit --format json`: the exit code, the report and stderr.
async fn audit(policy: String) -> (i32, Value, String) {
    audit::run(policy, env(), &SECRETS, &[]).await
}

#[tokio::test]
async fn every_users_pats_are_listed_and_matched_by_authorization_id() {
    let server = organization(users_page_two(), 200).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", true)).await;
    // `gone` names an authorization id the organization's listing does not hold.
    assert_eq!(code, 1, "{report:#}{stderr}");
    let jira = token(&report, "jira");
    assert_eq!(
        jira["listed"]["id"],
        JIRA_ID.to_ascii_lowercase(),
        "matched by the id its check read, whatever its case: {jira:#}"
    );
    assert_eq!(jira["listed"]["declared"], true);
    assert_eq!(jira["listed"]["owner"], "jamal@fabrikam.com");
    assert!(
        rules(jira)
            .iter()
            .all(|(rule, _)| rule != "token-not-found"),
        "{jira:#}"
    );
    assert_eq!(
        rules(token(&report, "gone")),
        vec![("token-not-found".to_owned(), "error".to_owned())]
    );
    // Both pages of users, and both pages of jamal's PATs; the invalid one is gone.
    let listed = names(&report);
    for undeclared in [
        "ado.952858d3-7084-4635-964e-3c2a57645185",
        "ado.c2e0abd5-85a8-40b0-a179-88e98538ec7c",
    ] {
        let t = token(&report, undeclared);
        assert!(
            rules(t).contains(&("undeclared-token".to_owned(), "warning".to_owned())),
            "{t:#}"
        );
        assert_eq!(t["listed"]["declared"], false);
    }
    assert!(
        !listed.contains(&"ado.e1bd9361-1120-4227-a258-da80545884b9"),
        "{listed:?}"
    );
    assert!(
        !listed.contains(&"ado"),
        "a complete listing has no findings of its own"
    );
    // What the listing gives is judged: an offset-less date is UTC, null targets are global.
    let legacy = token(&report, "ado.952858d3-7084-4635-964e-3c2a57645185");
    assert_eq!(legacy["facts"]["expires_at"], "2027-07-19T00:00:00Z");
    assert_eq!(legacy["facts"]["all_accessible_organizations"], true);
    assert_eq!(legacy["facts"]["scopes"], json!(["app_token"]));
    assert_eq!(legacy["listed"]["name"], "legacy");
    assert_eq!(
        legacy["listed"]["source"],
        format!("GET …/_apis/tokenadmin/personalaccesstokens/{JAMAL}")
    );
    let chen = token(&report, "ado.c2e0abd5-85a8-40b0-a179-88e98538ec7c");
    assert_eq!(chen["facts"]["all_accessible_organizations"], false);
    assert_eq!(chen["listed"]["owner"], "chen@fabrikam.com");
    only_gets(&server).await;
}

#[tokio::test]
async fn undeclared_fail_makes_an_unknown_pat_an_error() {
    let server = organization(users_page_two(), 200).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 0, "warnings only: {report:#}{stderr}");

    let server = organization(users_page_two(), 200).await;
    let fail = "[defaults]\nundeclared = \"fail\"\n";
    let (code, report, stderr) = audit(policy(&server.uri(), fail, false)).await;
    assert_eq!(code, 1, "{report:#}{stderr}");
    assert!(
        rules(token(&report, "ado.c2e0abd5-85a8-40b0-a179-88e98538ec7c"))
            .contains(&("undeclared-token".to_owned(), "error".to_owned()))
    );
}

#[tokio::test]
async fn a_listing_cut_short_or_refused_is_an_error_never_a_complete_answer() {
    // The second page of users fails: chen's PATs are never seen.
    let server = organization(ResponseTemplate::new(500), 200).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    assert_eq!(rules(token(&report, "ado"))[0].0, "host-error");
    let listed = names(&report);
    assert!(!listed.iter().any(|n| n.starts_with("ado.")), "{listed:?}");

    // Not a token administrator: 401, and what the Entra token needs.
    let server = organization(users_page_two(), 401).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let inventory = token(&report, "ado");
    assert_eq!(rules(inventory)[0].0, "host-error");
    let finding = inventory["findings"][0].to_string();
    assert!(finding.contains("vso.tokenadministration"), "{finding}");
    assert!(
        finding.contains("Project Collection Administrator"),
        "{finding}"
    );
    let listed = names(&report);
    assert!(!listed.iter().any(|n| n.starts_with("ado.")), "{listed:?}");

    // A PAT without an `authorizationId` could be neither matched nor named.
    let server = organization(users_page_two(), 0).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let finding = token(&report, "ado")["findings"][0].to_string();
    assert!(
        finding.contains("without an `authorizationId`"),
        "{finding}"
    );
}

/// `Users_List`'s description gives its 200 as a bare array of `GraphUser`s
/// (`specification/graph/7.1/graph.json`); Azure DevOps answers an object whose `value`
/// holds them. An array is neither a sign-in page nor a listing: the error says what came.
#[tokio::test]
async fn a_users_page_that_is_a_bare_array_is_said_to_be_one() {
    let bare = ResponseTemplate::new(200).set_body_json(json!([graph_user(
        CHEN,
        "chen@fabrikam.com",
        "Chen Wu"
    )]));
    let server = organization(bare, 200).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let inventory = token(&report, "ado");
    assert_eq!(rules(inventory)[0].0, "host-error", "{inventory:#}");
    let finding = &inventory["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("a JSON array where a JSON object was expected")
            && message.contains("`value`"),
        "{message}"
    );
    assert!(!message.contains("sign-in"), "{message}");
    assert!(!message.contains("not accepted"), "{message}");
    let listed = names(&report);
    assert!(!listed.iter().any(|n| n.starts_with("ado.")), "{listed:?}");
}

/// Every finding has evidence: an inventory that could not be listed says what failed.
#[tokio::test]
async fn an_inventory_that_could_not_be_listed_has_evidence() {
    let server = organization(ResponseTemplate::new(500), 200).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let finding = &token(&report, "ado")["findings"][0];
    assert_eq!(finding["rule"], "host-error", "{finding:#}");
    assert_eq!(
        finding["evidence"], "the requests listing inventory `ado` on Azure DevOps Services",
        "{finding:#}"
    );
    // The secret could not be read: reading it is what failed.
    let unset = policy(&server.uri(), "", false).replace("env = \"ADMIN\"", "env = \"UNSET\"");
    let (code, report, stderr) = audit(unset).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let finding = &token(&report, "ado")["findings"][0];
    assert_eq!(finding["rule"], "secret-unavailable", "{finding:#}");
    let evidence = finding["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.starts_with("reading the ") && evidence.contains("UNSET"),
        "{finding:#}"
    );
}

//! Azure DevOps Services and Azure DevOps Server / TFS against a real HTTP server
//! (wiremock), with the examples of MicrosoftDocs/vsts-rest-api-specs (`specification/tokens`,
//! `specification/core`) and the error bodies Azure DevOps sends.

use crate::common;

use common::azure::*;
use common::{at, observe_policy, quick_settings};
use patlint::facts::{Fact, Observation, Rejection};
use wiremock::matchers::{header, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn expired_pats_are_told_by_header_or_body() {
    let server = MockServer::start().await;
    Mock::given(path(CONNECTION))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header(
                    "X-TFS-ServiceError",
                    "Access%20Denied%3A%20The%20Personal%20Access%20Token%20used%20has%20expired.",
                )
                .insert_header(
                    "WWW-Authenticate",
                    "Basic realm=\"https://tfsprodcin2.visualstudio.com/\"",
                ),
        )
        .mount(&server)
        .await;
    let Observation::Rejected { reason, detail, .. } = observe(&server, "").await else {
        panic!()
    };
    assert_eq!(reason, Rejection::Expired);
    assert!(
        detail.contains("Access Denied: The Personal Access Token used has expired."),
        "{detail}"
    );

    // Verbatim body from microsoft/azure-pipelines-tasks#18732.
    let server = MockServer::start().await;
    Mock::given(path(CONNECTION))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"$id":"1","customProperties":{"Descriptor":null,"IdentityDisplayName":null,"Token":null,"RequestedPermissions":0,"NamespaceId":"00000000-0000-0000-0000-000000000000"},"innerException":null,"message":"Access Denied: The Personal Access Token used has expired.","typeName":"Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.WebApi","typeKey":"AccessCheckException","errorCode":0,"eventId":3000}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let Observation::Rejected { reason, .. } = observe(&server, "").await else {
        panic!()
    };
    assert_eq!(reason, Rejection::Expired);
}

#[tokio::test]
async fn invalid_pats_and_sign_in_pages_are_never_a_pass() {
    let cases = [
        ResponseTemplate::new(401).set_body_raw(
            r#"{"$id":"1","innerException":null,"message":"TF400813: The user '' is not authorized to access this resource.","typeName":"Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server","typeKey":"UnauthorizedRequestException","errorCode":0,"eventId":3000}"#,
            "application/json",
        ),
        ResponseTemplate::new(203).set_body_raw("<html><head><title>Azure DevOps Services | Sign In</title></head></html>", "text/html"),
        ResponseTemplate::new(302).insert_header("location", "https://spsprodweu5.vssps.visualstudio.com/_signin?realm=dev.azure.com&reply_to=x"),
        ResponseTemplate::new(200).set_body_raw("<!DOCTYPE html><html>Sign in to your account</html>", "text/html"),
    ];
    for response in cases {
        let server = MockServer::start().await;
        Mock::given(path(CONNECTION))
            .respond_with(response)
            .mount(&server)
            .await;
        let obs = observe(&server, "").await;
        let Observation::Rejected { reason, detail, .. } = &obs else {
            panic!("{obs:?}")
        };
        assert_eq!(*reason, Rejection::Invalid, "{detail}");
        assert!(
            !detail.contains("reply_to"),
            "sign-in query strings stay out of reports: {detail}"
        );
    }
}

#[tokio::test]
async fn with_entra_the_lifecycle_api_is_authoritative_across_pages() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    let (first, second) = list_pats_pages();
    Mock::given(path(PATS))
        .and(header("authorization", format!("Bearer {ENTRA}").as_str()))
        .and(query_param("api-version", "7.1-preview.1"))
        .and(query_param("continuationToken", "page-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(PATS))
        .and(header("authorization", format!("Bearer {ENTRA}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path(PROFILE))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    let obs = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"analytics_token\"\n",
    )
    .await;
    let facts = obs.facts().expect("observed");
    assert_eq!(
        facts.scopes.value().unwrap().iter().collect::<Vec<_>>(),
        ["vso.analytics"]
    );
    assert_eq!(
        facts.expires_at.value(),
        Some(&Some(at("2020-12-01T23:46:23.32Z")))
    );
    assert_eq!(
        facts.created_at.value(),
        Some(&Some(at("2020-10-29T17:26:46.72Z")))
    );
    assert_eq!(reach(facts).value(), Some(&false));

    let requests = server.received_requests().await.unwrap();
    for r in &requests {
        let auth = r.headers["authorization"].to_str().unwrap();
        if r.url.path() == PATS {
            assert_eq!(
                auth,
                format!("Bearer {ENTRA}"),
                "only the Entra token goes to the Lifecycle API"
            );
        } else {
            assert_eq!(auth, basic(), "the Entra token goes nowhere else");
        }
    }
    assert_eq!(requests.iter().filter(|r| r.url.path() == PATS).count(), 2);
}

#[tokio::test]
async fn full_access_global_pats_are_found_by_display_name() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    let (first, _) = list_pats_pages();
    let mut only = first.clone();
    only["continuationToken"] = "".into();
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(200).set_body_json(only))
        .mount(&server)
        .await;
    let facts = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"all_access_token\"\n",
    )
    .await
    .facts()
    .cloned()
    .unwrap();
    assert_eq!(
        facts.scopes.value().unwrap().iter().collect::<Vec<_>>(),
        ["app_token"]
    );
    assert_eq!(reach(&facts).value(), Some(&true));
    assert!(reach(&facts).evidence().unwrap().contains("targetAccounts"));
}

#[tokio::test]
async fn an_authorization_id_uses_get_pat() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PATS))
        .and(query_param(
            "authorizationId",
            "3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            include_str!("../../fixtures/azure/GetPat.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let facts = observe(&server, "entra_token = { file = \"SECRET1\" }\nauthorization_id = \"3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32\"\n")
        .await
        .facts()
        .cloned()
        .unwrap();
    assert_eq!(
        facts.scopes.value().unwrap().iter().collect::<Vec<_>>(),
        ["vso.analytics"]
    );
    assert_eq!(
        facts.identity.as_deref(),
        Some("PAT `analytics_token` (authorization id 3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32)")
    );
}

#[tokio::test]
async fn a_refused_entra_token_or_an_unknown_name_leaves_facts_unverifiable() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 401).await;
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({"$id": "1", "message": "TF400813: The user is not authorized", "typeKey": "UnauthorizedRequestException"})))
        .mount(&server)
        .await;
    let facts = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"analytics_token\"\n",
    )
    .await
    .facts()
    .cloned()
    .unwrap();
    assert!(facts.scopes.is_unobservable());
    assert!(
        facts
            .why_unobservable(Fact::Scopes)
            .contains("refused the Entra token (401"),
        "{}",
        facts.why_unobservable(Fact::Scopes)
    );
    // The heuristic probe still tells the reach.
    assert_eq!(reach(&facts).value(), Some(&false));

    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 200).await;
    let (first, _) = list_pats_pages();
    let mut only = first;
    only["continuationToken"] = serde_json::Value::Null;
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(200).set_body_json(only))
        .mount(&server)
        .await;
    let facts = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"jira\"\n",
    )
    .await
    .facts()
    .cloned()
    .unwrap();
    assert!(
        facts
            .why_unobservable(Fact::ExpiresAt)
            .contains("no active PAT named `jira`")
    );
}

#[tokio::test]
async fn server_and_tfs_reveal_validity_only() {
    let server = MockServer::start().await;
    Mock::given(path("/tfs/DefaultCollection/_apis/connectionData"))
        .and(header("authorization", basic().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"authenticatedUser": {"id": "x"}, "deploymentType": "onPremises"}),
        ))
        .mount(&server)
        .await;
    let text = format!(
        "version = 1\n[[token]]\nname = \"jira-tfs\"\nhost = \"azure-devops-server\"\nurl = \"{}/tfs/DefaultCollection\"\nsecret = {{ file = \"SECRET0\" }}\n",
        server.uri()
    );
    let obs = observe_policy(&text, &[PAT], quick_settings())
        .await
        .remove(0);
    let facts = obs.facts().expect("observed");
    for fact in [
        Fact::Scopes,
        Fact::ExpiresAt,
        Fact::CreatedAt,
        Fact::LastUsedAt,
    ] {
        assert!(
            facts
                .why_unobservable(fact)
                .contains("Azure DevOps Server / TFS has no API")
        );
    }

    // On-premises servers answer bad credentials with an HTML page, and their own headers
    // (microsoft/azure-repos-vscode#246: `X-TFS-ProcessId`, `X-TFS-ServiceError`).
    let server = MockServer::start().await;
    Mock::given(path("/tfs/DefaultCollection/_apis/connectionData"))
        .respond_with(ResponseTemplate::new(401).insert_header("X-TFS-ProcessId", "9ea49f24-ae20-4d5b-9019-8faaa375d00e").set_body_raw(
            "<html><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head><body><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let text = format!(
        "version = 1\n[[token]]\nname = \"jira-tfs\"\nhost = \"azure-devops-server\"\nurl = \"{}/tfs/DefaultCollection\"\nsecret = {{ file = \"SECRET0\" }}\n",
        server.uri()
    );
    let obs = observe_policy(&text, &[PAT], quick_settings())
        .await
        .remove(0);
    let Observation::Rejected { reason, detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert_eq!(reason, Rejection::Invalid);
    assert!(detail.contains("HTML error page"), "{detail}");
}

/// Azure outcomes through the binary: diagnostics snapshotted, neither the PAT nor the
/// Entra token anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn azure_diagnostics_through_the_cli() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 200).await;
    Mock::given(path(PATS))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": format!("bad token {ENTRA}")})),
        )
        .mount(&server)
        .await;
    let text = format!(
        "version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n\n[[token]]\nname = \"jira-azure\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nurl = \"{0}\"\nvssps_url = \"{0}/vssps\"\nprofile_url = \"{0}/app\"\nsecret = {{ env = \"ADO_PAT\" }}\n\n[[token]]\nname = \"jira-azure-entra\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nurl = \"{0}\"\nvssps_url = \"{0}/vssps\"\nprofile_url = \"{0}/app\"\nsecret = {{ env = \"ADO_PAT\" }}\nentra_token = {{ env = \"ADO_ENTRA\" }}\ndisplay_name = \"jira\"\n",
        server.uri()
    );
    let env = vec![
        ("ADO_PAT".to_owned(), PAT.to_owned()),
        ("ADO_ENTRA".to_owned(), ENTRA.to_owned()),
    ];
    let (code, stdout, stderr) = common::run_check(text, env, &server.uri()).await;
    for secret in [PAT, ENTRA] {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    assert_eq!(code, 1, "{stdout}{stderr}");
    // Observed after 2026-12-01: reach is the platform's rule, never the probe.
    assert!(
        !server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.url.path() == PROFILE),
        "the PAT went to profiles/me"
    );
    insta::assert_snapshot!("azure-cli-diagnostics", stdout);
}

#[tokio::test]
async fn an_anonymous_connection_data_answer_is_not_a_valid_pat() {
    let server = MockServer::start().await;
    Mock::given(path(CONNECTION))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "authenticatedUser": {"id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "descriptor": "System:PublicAccess;aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"},
            "instanceId": "38aaa865-2c70-4bf7-a308-0c6539c38c1a"
        })))
        .mount(&server)
        .await;
    let obs = observe(&server, "").await;
    let Observation::Rejected { reason, detail, .. } = obs else {
        panic!("{obs:?}")
    };
    assert_eq!(reason, Rejection::Invalid);
    assert!(detail.contains("anonymously"), "{detail}");
}

#[tokio::test]
async fn a_long_echoed_entra_token_is_removed_before_anything_is_shortened() {
    let long_entra = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.{}.canarysignature",
        "x".repeat(1500)
    );
    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 401).await;
    Mock::given(path(PATS))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                serde_json::json!({"message": format!("token {long_entra} rejected")}),
            ),
        )
        .mount(&server)
        .await;
    let text = services_policy(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"jira\"\n",
    );
    let facts = observe_policy(&text, &[PAT, &long_entra], quick_settings())
        .await
        .remove(0);
    let reason = facts
        .facts()
        .unwrap()
        .why_unobservable(Fact::Scopes)
        .to_owned();
    assert!(
        reason.contains("<redacted>") && !reason.contains("xxxxxxxxxx"),
        "{reason}"
    );
}

/// A `validFrom` after the answer is no creation date: `max_lifespan` is unverifiable,
/// never a pass computed from a negative lifespan.
#[tokio::test(flavor = "multi_thread")]
async fn a_pat_valid_from_after_the_answer_has_no_trusted_lifespan() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "continuationToken": "",
            "patTokens": [{
                "displayName": "jira", "validFrom": "2099-01-01T00:00:00Z",
                "validTo": "2026-12-20T00:00:00Z", "scope": "vso.code_write",
                "targetAccounts": ["38aaa865-2c70-4bf7-a308-0c6539c38c1a"],
                "authorizationId": "3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32", "token": null
            }]
        })))
        .mount(&server)
        .await;
    let policy = format!(
        "{}entra_token = {{ env = \"ADO_ENTRA\" }}\ndisplay_name = \"jira\"\nmax_lifespan = \"30d\"\n",
        services_policy(&server, "").replace("{ file = \"SECRET0\" }", "{ env = \"ADO_PAT\" }")
    );
    let env = vec![
        ("ADO_PAT".to_owned(), PAT.to_owned()),
        ("ADO_ENTRA".to_owned(), ENTRA.to_owned()),
    ];
    let args = ["check", "--format", "json", "--now", "2026-12-01T12:00:00Z"];
    let (out, _) = common::run_patlint(policy, env, &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for secret in [PAT, ENTRA] {
        common::assert_no_secret(secret, "stdout", &stdout);
    }
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let token = &json["tokens"][0];
    assert_eq!(token["status"], "unverifiable", "{stdout}");
    let message = token["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`max_lifespan` cannot be verified")
            && message.contains("`validFrom`")
            && message.contains("after the host answered"),
        "{message}"
    );
}

#[tokio::test]
async fn a_lifecycle_listing_that_never_ends_is_a_host_error() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "continuationToken": "more", "patTokens": []
        })))
        .mount(&server)
        .await;
    let obs = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"jira\"\n",
    )
    .await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("a listing cut short is no answer: {obs:?}");
    };
    assert!(detail.contains("did not end within 50 pages"), "{detail}");
}

#[tokio::test]
async fn a_blank_authenticated_user_is_a_host_error_not_a_valid_pat() {
    let server = MockServer::start().await;
    Mock::given(path(CONNECTION))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "authenticatedUser": {"id": " "}, "authorizedUser": {"id": " "}
        })))
        .mount(&server)
        .await;
    let Observation::Unchecked { detail, .. } = observe(&server, "").await else {
        panic!("a blank user proves nothing");
    };
    assert!(detail.contains("blank authenticated user id"), "{detail}");
}

#[tokio::test]
async fn a_lifecycle_api_that_does_not_answer_is_a_host_error_not_unverifiable() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PATS))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let obs = observe(
        &server,
        "entra_token = { file = \"SECRET1\" }\ndisplay_name = \"jira\"\n",
    )
    .await;
    let Observation::Unchecked { detail, .. } = obs else {
        panic!("no answer is no fact: {obs:?}");
    };
    assert!(
        detail.contains("the PAT Lifecycle API could not be asked"),
        "{detail}"
    );
}

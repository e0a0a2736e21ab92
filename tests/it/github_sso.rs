//! SAML SSO per GitHub organization, when no refusal shows it: a 200 on `GET /orgs/ORG`
//! may be the organization's public view, so only a private repository of it read with
//! the token settles it; otherwise the token is `unverifiable`. GitHub refuses a token its
//! SSO has not authorized with 403 and `X-GitHub-SSO` (docs.github.com, "Authenticating to
//! the REST API": personal access tokens and SAML SSO).

use crate::github_probes::{CLASSIC, answer, github, judge, organization, repository};
#[tokio::test]
async fn an_organization_whose_sso_authorization_is_not_observed_leaves_the_token_unverifiable() {
    let declared = "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nurl = \"URL\"\nsecret = { file = \"SECRET0\" }\norganizations = [\"octo-org\"]\n";

    // `GET /orgs/ORG` answering 200 may be the public view: nothing settles SSO.
    let server = github(Some("repo")).await;
    organization(&server).await;
    let text = declared.replace("URL", &server.uri());
    let (_, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!(
        (status.as_str(), rules),
        ("unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("SAML single sign-on of `octo-org`")
            && messages.contains("GET /orgs/octo-org answered 200"),
        "{messages}"
    );

    // A private repository of the organization, read with the token, settles it.
    let server = github(Some("repo")).await;
    organization(&server).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(true)).await;
    let text =
        format!("{declared}repositories = [\"octo-org/app\"]\n").replace("URL", &server.uri());
    let (facts, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!((status.as_str(), rules.len()), ("pass", 0), "{messages}");
    let sso = facts.tokens[0]
        .observation
        .facts()
        .unwrap()
        .grant("octo-org", "sso")
        .cloned()
        .unwrap();
    assert_eq!(sso.settled, patlint::facts::Settled::Granted);
    assert!(
        sso.evidence.contains("GET /repos/octo-org/app → 200"),
        "{}",
        sso.evidence
    );

    // A public one does not: every token reads it.
    let server = github(Some("repo")).await;
    organization(&server).await;
    answer(&server, "GET", "/repos/octo-org/app", repository(false)).await;
    let text =
        format!("{declared}repositories = [\"octo-org/app\"]\n").replace("URL", &server.uri());
    let (_, status, _, messages) = judge(&text, CLASSIC).await;
    assert_eq!(status, "unverifiable", "{messages}");

    // `on_unverifiable = "warn"` is respected: a warning, not a failure of the gate.
    let server = github(Some("repo")).await;
    organization(&server).await;
    let text = format!("{declared}on_unverifiable = \"warn\"\n").replace("URL", &server.uri());
    let (_, status, rules, messages) = judge(&text, CLASSIC).await;
    assert_eq!(rules, ["unverifiable"], "{messages}");
    assert_ne!(status, "fail", "{messages}");
}

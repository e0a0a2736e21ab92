//! Azure DevOps organization reach around the global-PAT retirement (none working from
//! 2026-12-01): the probe only before the date and only when asked, the platform's rule
//! after it, and the dated diagnostic.

use crate::common;

use common::at;
use common::azure::*;
use patlint::evaluate::Status;
use patlint::facts::{Fact, FactsFile, Observation, Observed, TokenRecord};
use patlint::hosts::HostKind;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn before_the_retirement_reach_was_probed_when_asked_and_scopes_and_expiry_are_unverifiable()
{
    let asks_reach = "all_accessible_organizations = false\n";
    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 200).await;
    let obs = observe_before_retirement(&server, asks_reach).await;
    let facts = obs.facts().expect("observed");
    assert_eq!(reach(facts).value(), Some(&true));
    assert!(
        reach(facts)
            .evidence()
            .unwrap()
            .starts_with("heuristic probe")
    );
    assert!(facts.scopes.is_unobservable() && facts.expires_at.is_unobservable());
    assert!(
        facts
            .why_unobservable(Fact::Scopes)
            .contains("give `entra_token`")
    );

    let server = MockServer::start().await;
    valid_connection(&server).await;
    profile(&server, 401).await;
    let facts = observe_before_retirement(&server, asks_reach)
        .await
        .facts()
        .cloned()
        .unwrap();
    assert_eq!(reach(&facts).value(), Some(&false));
}

#[tokio::test]
async fn the_probe_is_never_sent_for_a_policy_that_does_not_ask_about_reach() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PROFILE))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let facts = observe_before_retirement(&server, "").await;
    let facts = facts.facts().unwrap();
    assert!(reach(facts).is_unobservable());
    assert!(
        reach(facts)
            .why_unobservable()
            .contains("does not ask about organization reach")
    );
}

/// From 2026-12-01 on, a PAT that connectionData accepts is organization-scoped by
/// platform rule, its evidence says it is a rule and what would show otherwise, and the
/// PAT is not sent to `profiles/me` at all.
#[tokio::test]
async fn after_the_retirement_an_accepted_pat_is_organization_scoped_without_a_probe() {
    let server = MockServer::start().await;
    valid_connection(&server).await;
    Mock::given(path(PROFILE))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let obs = observe(&server, "all_accessible_organizations = false\n").await;
    let facts = obs.facts().unwrap();
    assert_eq!(reach(facts).value(), Some(&false));
    let evidence = reach(facts).evidence().unwrap();
    assert!(
        evidence.starts_with("platform rule, not an observation:")
            && evidence.contains("connectionData accepted the PAT")
            && evidence.contains("global PATs no longer work since 2026-12-01")
            && evidence.contains("`entra_token`")
            && evidence.contains("`targetAccounts`"),
        "{evidence}"
    );
}

#[tokio::test]
async fn after_the_retirement_a_refused_pat_that_had_to_be_global_names_the_retirement() {
    let server = MockServer::start().await;
    Mock::given(path(CONNECTION))
        .respond_with(own_401())
        .mount(&server)
        .await;
    let Observation::Rejected { help, .. } =
        observe(&server, "all_accessible_organizations = true\n").await
    else {
        panic!("a 401 is a rejection");
    };
    let help = help.expect("the retirement is the likely cause");
    assert!(
        help.contains("global PATs") && help.contains("no longer work since 2026-12-01"),
        "{help}"
    );
    // An organization-scoped requirement gets the plain new-token help.
    let Observation::Rejected { help, .. } =
        observe(&server, "all_accessible_organizations = false\n").await
    else {
        panic!("a 401 is a rejection");
    };
    assert_eq!(help, None);
}

#[test]
fn an_observed_global_pat_after_the_retirement_is_an_error() {
    let policy = common::policy(
        "version = 1\n[[token]]\nname = \"jira-azure\"\nhost = \"azure-devops\"\norganization = \"fabrikam\"\nsecret = { env = \"P\" }\n",
    );
    let mut facts = patlint::facts::TokenFacts::new(patlint::facts::TokenKind::PersonalAccessToken);
    patlint::hosts::azure_devops::facts::of_mut(&mut facts).all_accessible_organizations =
        Observed::seen(true, "heuristic probe");
    let file = FactsFile {
        schema_version: 1,
        observed_at: at("2026-12-02T00:00:00Z"),
        tokens: vec![TokenRecord {
            name: "jira-azure".into(),
            host: HostKind::AzureDevops,
            observation: Observation::observed(facts),
        }],
    };
    let report = patlint::evaluate_all(&policy, &file, at("2026-12-02T00:00:00Z"));
    assert_eq!(report.tokens[0].verdict.status, Status::Fail);
    let finding = &report.tokens[0].verdict.findings[0];
    assert_eq!(finding.rule.id(), "global-pat-retirement");
    assert!(
        finding
            .message
            .starts_with("token `jira-azure` is a global PAT")
    );
    assert_eq!(finding.evidence.as_deref(), Some("heuristic probe"));
}

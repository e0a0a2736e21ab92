//! Azure DevOps Services' own rules: organization reach (`org-reach`) and the dated
//! retirement of global PATs (`global-pat-retirement`).

use jiff::Timestamp;

use super::facts::{REACH_DESCRIBED, of};
use super::requirements::Requirements;
use crate::evaluate::{Finding, unverifiable_about};
use crate::facts::{Observed, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::platform::{DatedStep, PlatformChange};
use crate::policy::TokenSpec;
use crate::rules::{Rule, RuleMeta, Severity};

pub static AZURE_GLOBAL_PAT_RETIREMENT: PlatformChange = PlatformChange {
    rule: Rule::GlobalPatRetirement,
    steps: &[
        DatedStep {
            effective: "2026-03-15T00:00:00Z",
            ahead: "Azure DevOps global PATs (\"All accessible organizations\") can no longer be created or regenerated",
            passed: "Azure DevOps global PATs (\"All accessible organizations\") cannot be created or regenerated",
        },
        DatedStep {
            effective: "2026-12-01T00:00:00Z",
            ahead: "Azure DevOps global PATs stop working",
            passed: "Azure DevOps global PATs no longer work",
        },
    ],
    source: "Azure DevOps blog, \"Retirement of Global Personal Access Tokens in Azure DevOps\"; learn.microsoft.com, \"Manage personal access tokens using policies\"",
};

/// The requirements of Azure DevOps Services' own keys.
fn own(token: &TokenSpec) -> &Requirements {
    super::Services::requirements_of(&token.requirements)
}

pub fn org_reach(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
    let wanted = own(token).all_accessible_organizations.as_ref()?;
    let reach = &of(facts).all_accessible_organizations;
    match *reach {
        Observed::Unobservable { .. } | Observed::Distrusted { .. } => Some(unverifiable_about(
            token,
            REACH_DESCRIBED,
            "all_accessible_organizations",
            &wanted.origin,
            reach.why_unobservable(),
        )),
        Observed::Value { value: actual, .. } if actual != wanted.value => {
            let describe = |global: bool| {
                if global {
                    "all accessible organizations"
                } else {
                    "one organization"
                }
            };
            Some(
                Finding::new(
                    Rule::OrgReach,
                    &wanted.origin,
                    format!(
                        "token `{}` is valid for {}, but the policy requires {}",
                        token.name,
                        describe(actual),
                        describe(wanted.value)
                    ),
                )
                .label("required here")
                .evidence(reach.evidence().unwrap_or("recorded organization reach")),
            )
        }
        Observed::Value { .. } => None,
    }
}

/// A policy that requires a global PAT, or a token seen to be one, gets the dated
/// retirement diagnostic: a warning with the days left, an error from the date on.
pub fn global_pat_retirement(
    token: &TokenSpec,
    facts: Option<&TokenFacts>,
    now: Timestamp,
) -> Option<Finding> {
    let required = own(token)
        .all_accessible_organizations
        .as_ref()
        .filter(|s| s.value);
    let reach = facts.map(|f| &of(f).all_accessible_organizations);
    let observed_global = reach.is_some_and(|r| r.value() == Some(&true));
    if required.is_none() && !observed_global {
        return None;
    }
    let origin = required.map_or(&token.origin, |s| &s.origin);
    let change = &AZURE_GLOBAL_PAT_RETIREMENT;
    let subject = if observed_global {
        format!("token `{}` is a global PAT", token.name)
    } else {
        format!(
            "the policy requires token `{}` to be a global PAT",
            token.name
        )
    };
    let severity = if change.in_force(now) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let when = change.describe(now);
    let mut finding = Finding::new(
        Rule::GlobalPatRetirement,
        origin,
        format!("{subject}; {when}"),
    )
    .severity(severity)
    .label(format!("global PATs retire on {}", change.last().date()));
    if let Some(evidence) = reach.and_then(Observed::evidence) {
        finding = finding.evidence(evidence);
    } else {
        finding = finding.evidence(format!("policy requirement; source: {}", change.source));
    }
    Some(finding)
}

pub static ORG_REACH: RuleMeta = RuleMeta {
    id: "org-reach",
    summary: "The Azure DevOps token's organization reach (\"All accessible organizations\" or one organization) is not what the policy requires.",
    default_severity: Severity::Error,
    why: "A global PAT reaches every organization its user can; an organization-scoped one only its own. Integrations that need several organizations break with the wrong one. Without an Entra token, reach was told by a heuristic probe while global PATs worked (only when the policy asks about reach); since 2026-12-01 an accepted PAT is organization-scoped by platform rule.",
    fix: None,
};

pub static GLOBAL_PAT_RETIREMENT: RuleMeta = RuleMeta {
    id: "global-pat-retirement",
    summary: "Azure DevOps global PATs (\"All accessible organizations\") were retired: no new ones from 2026-03-15, none working from 2026-12-01.",
    default_severity: Severity::Warning,
    why: "Microsoft blocked the creation and regeneration of global PATs on 2026-03-15 and retired every one on 2026-12-01 (Azure DevOps blog: \"Retirement of Global Personal Access Tokens in Azure DevOps\"). An integration relying on one broke that day. Before the date this is a warning with the days left; from it, an error. From 2026-12-01 on, a PAT that connectionData accepts is organization-scoped by platform rule, and patlint records that instead of probing.",
    fix: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::DeadlineStatus;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn counts_days_to_the_azure_retirement() {
        let d = AZURE_GLOBAL_PAT_RETIREMENT.last();
        assert_eq!(
            d.status(at("2026-11-24T00:00:00Z")),
            DeadlineStatus::Ahead { days_left: 7 }
        );
        assert_eq!(
            d.status(at("2026-11-30T23:59:59Z")),
            DeadlineStatus::Ahead { days_left: 1 }
        );
        assert_eq!(d.status(at("2026-12-01T00:00:00Z")), DeadlineStatus::Passed);
        assert_eq!(d.date(), "2026-12-01");
    }

    #[test]
    fn describes_each_step_as_it_comes() {
        let change = &AZURE_GLOBAL_PAT_RETIREMENT;
        assert_eq!(
            change.describe(at("2026-03-01T00:00:00Z")),
            "Azure DevOps global PATs (\"All accessible organizations\") can no longer be created or regenerated on 2026-03-15: 14 days left"
        );
        assert_eq!(
            change.describe(at("2026-11-24T00:00:00Z")),
            "Azure DevOps global PATs (\"All accessible organizations\") cannot be created or regenerated (since 2026-03-15); Azure DevOps global PATs stop working on 2026-12-01: 7 days left"
        );
        assert_eq!(
            change.describe(at("2026-12-01T00:00:00Z")),
            "Azure DevOps global PATs no longer work (since 2026-12-01)"
        );
        assert!(!change.in_force(at("2026-11-30T23:59:59Z")));
        assert!(change.in_force(at("2026-12-01T00:00:00Z")));
    }
}

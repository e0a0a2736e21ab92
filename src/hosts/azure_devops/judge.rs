//! Azure DevOps' own rules: organization reach (`org-reach`), the dated retirement of
//! global PATs (`global-pat-retirement`) and the organization's conditional access policy
//! refusing the PAT (`conditional-access`, recognised in `refusals.rs`).

use jiff::Timestamp;

use super::facts::{REACH_DESCRIBED, of};
use super::requirements::Requirements;
use crate::evaluate::{Finding, unverifiable_about};
use crate::facts::{Observed, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::platform::{DatedStep, PlatformChange};
use crate::policy::TokenSpec;
use crate::rules::{Rule, RuleMeta, Severity};

/// Azure DevOps blog, "Retirement of Global Personal Access Tokens in Azure DevOps"
/// (https://devblogs.microsoft.com/devops/retirement-of-global-personal-access-tokens-in-azure-devops/):
/// "December 1, 2026 – All existing global PATs will be fully decommissioned. Tokens will
/// stop working after this date." The post first announced a block on creating and
/// regenerating global PATs from March 15, 2026; its update of 03/05 withdrew it: "We will
/// no longer be proceeding with blocking global PAT creation on March 15. You may continue
/// creating global PATs until December 1." So the change has one step.
pub static AZURE_GLOBAL_PAT_RETIREMENT: PlatformChange = PlatformChange {
    rule: Rule::GlobalPatRetirement,
    steps: &[DatedStep {
        effective: "2026-12-01T00:00:00Z",
        ahead: "Azure DevOps global PATs (\"All accessible organizations\") stop working",
        passed: "Azure DevOps global PATs (\"All accessible organizations\") no longer work",
    }],
    source: "Azure DevOps blog, \"Retirement of Global Personal Access Tokens in Azure DevOps\" (with its update of 03/05); learn.microsoft.com, \"Manage personal access tokens using policies\"",
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
    let mut finding = change
        .finding(Rule::GlobalPatRetirement, origin, &subject, now)
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
    why: "A global PAT reaches every organization its user can; an organization-scoped one only its own. Integrations that need several organizations break with the wrong one. With an `entra_token`, reach is observed: the PAT Lifecycle API reports the PAT's `targetAccounts` (null for a global PAT). Without one, reach was told by a heuristic probe while global PATs worked (only when the policy asks about reach); from 2026-12-01 on, an accepted PAT is organization-scoped by platform rule (global PATs no longer work), which is an inference, not an observation, and its evidence says so. What would prove otherwise is the PAT's own record: give the token an `entra_token`, and `targetAccounts` settles it.",
    fix: None,
};

pub static GLOBAL_PAT_RETIREMENT: RuleMeta = RuleMeta {
    id: "global-pat-retirement",
    summary: "Azure DevOps global PATs (\"All accessible organizations\") stop working on 2026-12-01.",
    default_severity: Severity::Warning,
    why: "Microsoft retires every global PAT on 2026-12-01: from that day they no longer work (Azure DevOps blog: \"Retirement of Global Personal Access Tokens in Azure DevOps\"; global PATs can be created and regenerated until then, as its update of 03/05 says). An integration relying on one breaks that day. Before the date this is a warning with the days left; from it, an error. From 2026-12-01 on, a PAT that connectionData accepts is organization-scoped by platform rule, and patlint records that, as a rule rather than an observation, instead of probing.",
    fix: None,
};

pub static CONDITIONAL_ACCESS: RuleMeta = RuleMeta {
    id: "conditional-access",
    summary: "The organization's Microsoft Entra conditional access policy refuses the PAT's requests (Azure DevOps: VS403463).",
    default_severity: Severity::Error,
    why: "An organization backed by Microsoft Entra ID may validate its tenant's conditional access policies for PATs on REST calls too (\"Enable IP Conditional Access policy validation\"); a request from an address or device the policy does not admit is then refused with 403 \"VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed.\", on connectionData as on any project. The PAT itself may be fine: it is refused where it runs from, so patlint's check answers for the integration only when it runs where the integration runs.",
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
    fn describes_the_one_step_as_it_comes() {
        let change = &AZURE_GLOBAL_PAT_RETIREMENT;
        // Creation was never blocked: the 2026-03-15 step was withdrawn.
        assert_eq!(change.steps.len(), 1);
        assert_eq!(
            change.describe(at("2026-03-16T00:00:00Z")),
            "Azure DevOps global PATs (\"All accessible organizations\") stop working on 2026-12-01: 260 days left"
        );
        assert_eq!(
            change.describe(at("2026-11-24T00:00:00Z")),
            "Azure DevOps global PATs (\"All accessible organizations\") stop working on 2026-12-01: 7 days left"
        );
        assert_eq!(
            change.describe(at("2026-12-01T00:00:00Z")),
            "Azure DevOps global PATs (\"All accessible organizations\") no longer work (since 2026-12-01)"
        );
        assert!(!change.in_force(at("2026-11-30T23:59:59Z")));
        assert!(change.in_force(at("2026-12-01T00:00:00Z")));
    }

    #[test]
    fn the_rule_texts_name_no_creation_block() {
        for text in [
            GLOBAL_PAT_RETIREMENT.summary,
            GLOBAL_PAT_RETIREMENT.why,
            AZURE_GLOBAL_PAT_RETIREMENT.source,
        ] {
            assert!(!text.contains("2026-03-15"), "{text}");
            assert!(!text.contains("no new ones"), "{text}");
        }
        assert!(ORG_REACH.why.contains("`targetAccounts`"));
    }
}

//! Azure DevOps organization reach (`org-reach`) and the dated retirement of global PATs.

use jiff::Timestamp;

use super::{Finding, unverifiable};
use crate::facts::{Fact, Observed, TokenFacts};
use crate::host_kind::HostKind;
use crate::platform::{AZURE_GLOBAL_PAT_RETIREMENT, DeadlineStatus};
use crate::policy::TokenSpec;
use crate::rules::{Rule, Severity};

pub fn check(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
    if token.host() != HostKind::AzureDevops {
        return None;
    }
    let wanted = token.requirements.all_accessible_organizations.as_ref()?;
    match facts.all_accessible_organizations {
        Observed::Unobservable => Some(unverifiable(
            token,
            facts,
            Fact::AllAccessibleOrganizations,
            "all_accessible_organizations",
            &wanted.origin,
        )),
        Observed::Value(actual) if actual != wanted.value => {
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
                .evidence(
                    facts
                        .evidence_for(Fact::AllAccessibleOrganizations)
                        .unwrap_or("recorded organization reach"),
                ),
            )
        }
        Observed::Value(_) => None,
    }
}

/// A policy that requires a global PAT, or a token seen to be one, gets the dated
/// retirement diagnostic: a warning with the days left, an error from the date on.
pub fn global_pat_retirement(
    token: &TokenSpec,
    facts: Option<&TokenFacts>,
    now: Timestamp,
) -> Option<Finding> {
    if token.host() != HostKind::AzureDevops {
        return None;
    }
    let required = token
        .requirements
        .all_accessible_organizations
        .as_ref()
        .filter(|s| s.value);
    let observed_global =
        facts.is_some_and(|f| f.all_accessible_organizations == Observed::Value(true));
    if required.is_none() && !observed_global {
        return None;
    }
    let origin = required.map_or(&token.origin, |s| &s.origin);
    let deadline = &AZURE_GLOBAL_PAT_RETIREMENT;
    let subject = if observed_global {
        format!("token `{}` is a global PAT", token.name)
    } else {
        format!(
            "the policy requires token `{}` to be a global PAT",
            token.name
        )
    };
    let (severity, when) = match deadline.status(now) {
        DeadlineStatus::Ahead { days_left } => (
            Severity::Warning,
            format!(
                "{} on {}: {days_left} day{} left",
                deadline.what,
                deadline.date(),
                if days_left == 1 { "" } else { "s" }
            ),
        ),
        DeadlineStatus::Passed => (
            Severity::Error,
            format!(
                "{} since {}",
                deadline.what.replace("stop working", "stopped working"),
                deadline.date()
            ),
        ),
    };
    let mut finding = Finding::new(
        Rule::GlobalPatRetirement,
        origin,
        format!("{subject}; {when}"),
    )
    .severity(severity)
    .label(format!("global PATs retire on {}", deadline.date()));
    if let Some(evidence) = facts.and_then(|f| f.evidence_for(Fact::AllAccessibleOrganizations)) {
        finding = finding.evidence(evidence);
    } else {
        finding = finding.evidence(format!("policy requirement; source: {}", deadline.source));
    }
    Some(finding)
}

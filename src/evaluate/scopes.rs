//! Scopes: `missing-scope`, `forbidden-scope`, `excess-scope`, after closing the observed
//! scopes under the host's documented implications.

use super::{Finding, unverifiable, unverifiable_because};
use crate::facts::{Fact, Grant, Observed, Settled, TokenFacts};
use crate::hosts::scope_catalog::ScopeCatalog;
use crate::policy::TokenSpec;
use crate::rules::{Rule, RuleMeta, Severity};

pub fn check(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let reqs = &token.requirements;
    let Some(catalog) = token.host().meta().scopes else {
        return Vec::new();
    };
    if !reqs.asks_about_scopes() {
        return Vec::new();
    }
    let Observed::Value {
        value: observed, ..
    } = &facts.scopes
    else {
        return probed(token, facts, catalog);
    };
    let evidence = facts
        .evidence_for(Fact::Scopes)
        .unwrap_or("recorded scopes");
    let granted = catalog.closure(observed.iter().map(String::as_str));
    let may_grant = catalog.broad_closure(observed.iter().map(String::as_str));
    let has = list(observed.iter().map(String::as_str));
    let mut findings = Vec::new();

    for required in reqs.required_scopes() {
        if !granted.contains(&required.value) {
            findings.push(
                Finding::new(
                    Rule::MissingScope,
                    &required.origin,
                    format!(
                        "token `{}` lacks the required scope `{}` (it has {has})",
                        token.name, required.value
                    ),
                )
                .label("required here")
                .evidence(evidence),
            );
        }
    }
    for forbidden in reqs.forbidden_scopes() {
        if !may_grant.contains(&forbidden.value) {
            continue;
        }
        let via = observed.iter().find(|s| {
            *s != &forbidden.value
                && catalog
                    .broad_closure([s.as_str()])
                    .contains(&forbidden.value)
        });
        let how = match (observed.contains(&forbidden.value), via) {
            (false, Some(parent)) => format!(" (through `{parent}`, which includes it)"),
            _ => String::new(),
        };
        findings.push(
            Finding::new(
                Rule::ForbiddenScope,
                &forbidden.origin,
                format!(
                    "token `{}` has the forbidden scope `{}`{how}",
                    token.name, forbidden.value
                ),
            )
            .label("forbidden here")
            .evidence(evidence),
        );
    }
    if let Some(setting) = reqs.allow_extra_scopes.as_ref().filter(|s| !s.value) {
        let allowed = catalog.closure(reqs.required_scopes().iter().map(|s| s.value.as_str()));
        for extra in observed.iter().filter(|s| !allowed.contains(*s)) {
            findings.push(
                Finding::new(Rule::ExcessScope, &setting.origin, format!("token `{}` has the scope `{extra}`, which the required scopes do not include", token.name))
                    .label("no extra scopes allowed")
                    .evidence(evidence),
            );
        }
    }
    findings
}

/// Scopes the host did not list, judged by what probes settled (Azure DevOps' code scopes):
/// a granted scope grants what it includes, and a missing one rules out every scope that
/// includes it (the probe asked for the capability, which they would have granted). What
/// no probe settled is `unverifiable`, once, with the first reason.
fn probed(token: &TokenSpec, facts: &TokenFacts, catalog: &ScopeCatalog) -> Vec<Finding> {
    let reqs = &token.requirements;
    let settled = |want: fn(&Settled) -> bool| -> Vec<&Grant> {
        facts
            .grants
            .iter()
            .filter(|g| catalog.is_known(&g.permission) && want(&g.settled))
            .collect()
    };
    let granted = settled(|s| *s == Settled::Granted);
    let missing = settled(|s| matches!(s, Settled::Missing { .. }));
    let grants = catalog.closure(granted.iter().map(|g| g.permission.as_str()));
    let may_grant = catalog.broad_closure(granted.iter().map(|g| g.permission.as_str()));
    let ruled_out = |scope: &str| {
        let needs = catalog.closure([scope]);
        missing
            .iter()
            .find(|g| needs.contains(&g.permission))
            .copied()
    };
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    // Probes that contradict each other (a scope granted, and one it includes refused)
    // prove nothing about either.
    let contradicted = |scope: &str| grants.contains(scope) && ruled_out(scope).is_some();
    for required in reqs.required_scopes() {
        if contradicted(&required.value) {
            unknown.push(("require_scopes", required));
            continue;
        }
        if grants.contains(&required.value) {
            continue;
        }
        match ruled_out(&required.value) {
            Some(probe) => findings.push(
                Finding::new(
                    Rule::MissingScope,
                    &required.origin,
                    format!(
                        "token `{}` lacks the required scope `{}` (a probe shows the PAT lacks `{}`)",
                        token.name, required.value, probe.permission
                    ),
                )
                .label("required here")
                .evidence(probe.evidence.clone()),
            ),
            None => unknown.push(("require_scopes", required)),
        }
    }
    for forbidden in reqs.forbidden_scopes() {
        if contradicted(&forbidden.value) {
            unknown.push(("forbid_scopes", forbidden));
            continue;
        }
        if may_grant.contains(&forbidden.value) {
            let via = granted.iter().find(|g| {
                catalog
                    .broad_closure([g.permission.as_str()])
                    .contains(&forbidden.value)
            });
            findings.push(
                Finding::new(
                    Rule::ForbiddenScope,
                    &forbidden.origin,
                    format!(
                        "token `{}` has the forbidden scope `{}` (a probe shows the PAT has it)",
                        token.name, forbidden.value
                    ),
                )
                .label("forbidden here")
                .evidence(via.map_or_else(String::new, |g| g.evidence.clone())),
            );
        } else if ruled_out(&forbidden.value).is_none() {
            unknown.push(("forbid_scopes", forbidden));
        }
    }
    if let Some((key, first)) = unknown.first() {
        let unlisted = facts.why_unobservable(Fact::Scopes);
        let why = facts
            .grants
            .iter()
            .find_map(|g| match &g.settled {
                Settled::Unverifiable { reason } if g.permission == first.value => {
                    Some(format!("{unlisted}; and for `{}`, {reason}", g.permission))
                }
                _ => None,
            })
            .unwrap_or_else(|| unlisted.to_owned());
        findings.push(unverifiable_because(
            token,
            Fact::Scopes,
            key,
            &first.origin,
            &why,
        ));
    } else if let Some(setting) = reqs.allow_extra_scopes.as_ref().filter(|s| !s.value) {
        findings.push(unverifiable(
            token,
            facts,
            Fact::Scopes,
            "allow_extra_scopes",
            &setting.origin,
        ));
    }
    findings
}

fn list<'a>(scopes: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = scopes.map(|s| format!("`{s}`")).collect();
    if names.is_empty() {
        "no scopes".into()
    } else {
        names.join(", ")
    }
}

pub static MISSING_SCOPE: RuleMeta = RuleMeta {
    id: "missing-scope",
    summary: "The token lacks a scope the policy requires (after closing its scopes under the host's implications).",
    default_severity: Severity::Error,
    why: "The integration will fail on the operations that scope allows (for the Jira integration: creating branches and pull requests).",
    fix: Some("Give the token the required scope, or replace it with one that has it."),
};

pub static FORBIDDEN_SCOPE: RuleMeta = RuleMeta {
    id: "forbidden-scope",
    summary: "The token has (directly or through an implied scope) a scope the policy forbids.",
    default_severity: Severity::Error,
    why: "Over-scoped tokens turn a leak of an integration's credential into a leak of much more (deleting repositories, administering organizations).",
    fix: Some("Remove the scope from the token, or replace the token with one that lacks it."),
};

pub static EXCESS_SCOPE: RuleMeta = RuleMeta {
    id: "excess-scope",
    summary: "The token has a scope that the required scopes do not account for (`allow_extra_scopes = false`).",
    default_severity: Severity::Error,
    why: "Least privilege: every scope beyond what the integration needs is risk with no benefit.",
    fix: Some(
        "Remove the extra scope from the token (or add it to `require_scopes` if the integration really needs it).",
    ),
};

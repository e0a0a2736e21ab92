//! Scopes: `missing-scope`, `forbidden-scope`, `excess-scope`, after closing the observed
//! scopes under the host's documented implications.

use super::{Finding, unverifiable};
use crate::facts::{Fact, Observed, TokenFacts};
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
    let Observed::Value(observed) = &facts.scopes else {
        let (key, origin) = first_scope_requirement(token);
        return vec![unverifiable(token, facts, Fact::Scopes, key, origin)];
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

fn first_scope_requirement(token: &TokenSpec) -> (&'static str, &crate::policy::Origin) {
    let reqs = &token.requirements;
    if let Some(first) = reqs.required_scopes().first() {
        ("require_scopes", &first.origin)
    } else if let Some(first) = reqs.forbidden_scopes().first() {
        ("forbid_scopes", &first.origin)
    } else {
        let origin = reqs
            .allow_extra_scopes
            .as_ref()
            .map_or(&token.origin, |s| &s.origin);
        ("allow_extra_scopes", origin)
    }
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

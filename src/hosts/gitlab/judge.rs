//! GitLab's own judgement: the token's role on each of its `projects`
//! (`require_access_level`), from its associations.

use super::associations::grant_name;
use crate::evaluate::{Finding, unverifiable_because};
use crate::facts::{Fact, Grant, Settled, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::policy::TokenSpec;
use crate::rules::Rule;

/// GitLab: the token's role on each of its `projects`, from its associations.
pub fn access_level(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let Some(level) = &super::GitLab::requirements_of(&token.requirements).require_access_level
    else {
        return Vec::new();
    };
    let unknown = |why: &str| {
        unverifiable_because(
            token,
            Fact::Permissions,
            "require_access_level",
            &level.origin,
            why,
        )
    };
    let projects = token.endpoint.repositories();
    if projects.is_empty() {
        return vec![unknown(
            "GitLab does not show a token's role to `/self`; name the projects the integration works on (`projects = [\"group/project\"]`) so that patlint can read the token's associations",
        )];
    }
    let name = grant_name(level.value);
    projects
        .iter()
        .filter_map(|project| match facts.grant(&project.value, &name) {
            // A refusal is judged with every refusal (`evaluate::refusals`).
            Some(Grant {
                settled: Settled::Granted | Settled::Refused { .. },
                ..
            }) => None,
            Some(Grant {
                settled: Settled::Missing { .. },
                evidence,
                ..
            }) => Some(
                Finding::new(
                    Rule::MissingPermission,
                    &level.origin,
                    format!(
                        "token `{}` has less than the `{}` role on `{}` (or does not reach it)",
                        token.name,
                        level.value.as_str(),
                        project.value
                    ),
                )
                .label("required here")
                .evidence(evidence.clone()),
            ),
            Some(Grant {
                settled: Settled::Unverifiable { reason },
                ..
            }) => Some(unknown(&format!("on `{}`: {reason}", project.value))),
            None if !token.requirements.probes() => Some(unknown(
                "`probe = false` for this token, so its associations were not read",
            )),
            None => Some(unknown(
                "the recorded facts do not list the token's associations",
            )),
        })
        .collect()
}

//! GitLab's own judgement: whether the token reaches each of its `projects` (and what
//! GitLab said when it did not), the token's role there (`require_access_level`, from its
//! associations), and a fine-grained token's permissions (`grants.rs`).

use super::associations::grant_name;
use super::targets::{REACH, READ_PROJECT};
use crate::evaluate::{Finding, unverifiable_because};
use crate::facts::{Fact, Grant, Settled, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::policy::TokenSpec;
use crate::rules::{Rule, RuleMeta, Severity};

/// A top-level group that accepts only fine-grained personal access tokens refused the
/// token on a project.
pub static FINE_GRAINED_REQUIRED: RuleMeta = RuleMeta {
    id: "fine-grained-required",
    summary: "A GitLab top-level group requires fine-grained personal access tokens, and refused this token (a legacy one) on a project the policy names.",
    default_severity: Severity::Error,
    why: "GitLab refuses every API request a legacy token makes in that group's projects, with 403 insufficient_granular_scope, however broad its scopes: the integration breaks there.",
    fix: None,
};

/// A fine-grained token holds a permission the policy forbids.
pub static FORBIDDEN_PERMISSION: RuleMeta = RuleMeta {
    id: "forbidden-permission",
    summary: "A GitLab fine-grained token holds a permission the policy forbids (`forbid_permissions`), on any project, group or boundary.",
    default_severity: Severity::Error,
    why: "Least privilege: a leaked integration token should not be able to do what the policy rules out (deleting projects, pushing code) anywhere.",
    fix: None,
};

/// Whether the token reaches each of its `projects`, from the one read of each
/// (`targets.rs`); a refusal by a group's policy is judged with every refusal.
pub fn reach(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let unknown = |project: &crate::policy::Setting<String>, why: &str| {
        crate::evaluate::unverifiable_about(
            token,
            "its reach",
            "projects",
            &project.origin,
            &format!("on `{}`: {why}", project.value),
        )
    };
    token
        .endpoint
        .repositories()
        .iter()
        .filter_map(|project| {
            // A fine-grained token GitLab refused `read_project`: what it said is the finding.
            if let Some(Grant {
                settled: Settled::Missing { help },
                evidence,
                ..
            }) = facts.grant(&project.value, READ_PROJECT)
            {
                let finding = Finding::new(
                    Rule::MissingPermission,
                    &project.origin,
                    format!(
                        "token `{}` lacks the fine-grained permission `{READ_PROJECT}` on `{}`, so GitLab refuses it the project",
                        token.name, project.value
                    ),
                )
                .label("the integration works on this project")
                .evidence(match help {
                    Some(said) => format!("{evidence}: {said}"),
                    None => evidence.clone(),
                });
                return Some(finding);
            }
            match settled(facts, &project.value, REACH) {
                Some((Settled::Granted | Settled::Refused { .. }, _)) => None,
                Some((Settled::Missing { .. }, evidence)) => Some(
                    Finding::new(
                        Rule::MissingRepository,
                        &project.origin,
                        format!(
                            "token `{}` cannot reach the project `{}`: GitLab answers 404 when the project does not exist, when the token's user cannot see it, and when a group's IP restriction refuses this address",
                            token.name, project.value
                        ),
                    )
                    .label("the integration works on this project")
                    .evidence(evidence),
                ),
                Some((Settled::Unverifiable { reason }, _)) => Some(unknown(project, reason)),
                None if facts.grant(&project.value, READ_PROJECT).is_some() => None,
                None if !token.requirements.probes() => Some(unknown(
                    project,
                    "`probe = false` for this token, so the project was not read",
                )),
                None => Some(unknown(
                    project,
                    "the recorded facts do not show the project was read",
                )),
            }
        })
        .collect()
}

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
        .filter_map(|project| match settled(facts, &project.value, &name) {
            // A refusal is judged with every refusal (`evaluate::refusals`).
            Some((Settled::Granted | Settled::Refused { .. }, _)) => None,
            Some((Settled::Missing { .. }, evidence)) => Some(
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
                .evidence(evidence),
            ),
            Some((Settled::Unverifiable { reason }, _)) => {
                Some(unknown(&format!("on `{}`: {reason}", project.value)))
            }
            None if !token.requirements.probes() => Some(unknown(
                "`probe = false` for this token, so its associations were not read",
            )),
            None => Some(unknown(
                "the recorded facts do not list the token's associations",
            )),
        })
        .collect()
}

/// What was settled for `permission` on `target`, and the evidence.
fn settled<'f>(
    facts: &'f TokenFacts,
    target: &str,
    permission: &str,
) -> Option<(&'f Settled, &'f str)> {
    facts
        .grant(target, permission)
        .map(|grant| (&grant.settled, grant.evidence.as_str()))
}

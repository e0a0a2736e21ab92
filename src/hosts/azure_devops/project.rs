//! Whether the PAT reaches the project the integration works in (`project`), from the one
//! GET of its repositories (`probes.rs`), and how that is judged. Azure DevOps' response
//! codes (learn.microsoft.com/en-us/azure/devops/integrate/how-to/call-rest-api): 404 "The
//! resource doesn't exist, or the authenticated user doesn't have permission to see that
//! it exists"; its own 403 VS403463 is the organization's
//! conditional access policy refusing the request (`refusals.rs`). Any answer that is not
//! Azure DevOps' own settles nothing.

use reqwest::StatusCode;

use super::probes::{not_own, refused_or_unknown};
use super::refusals::{OWN, conditional_access, evidence};
use crate::evaluate::{Finding, unverifiable_about};
use crate::facts::{Grant, Settled, TokenFacts};
use crate::hosts::Answer;
use crate::policy::TokenSpec;
use crate::rules::Rule;

/// How the project's reach is recorded: a grant on the project, by its name.
pub const PROJECT: &str = "project";

/// What the GET of the project's repositories settled about its reach.
pub(super) fn reach(project: &str, answer: &Result<Answer, String>) -> Grant {
    let answer = match answer {
        Ok(answer) => answer,
        Err(reason) => {
            return Grant::new(
                project,
                PROJECT,
                Settled::Unverifiable {
                    reason: format!("its read got no answer: {reason}"),
                },
                "no answer",
            );
        }
    };
    let settled = match answer.status {
        StatusCode::OK
            if answer
                .json::<serde_json::Value>()
                .is_some_and(|v| v.is_object()) =>
        {
            Settled::Granted
        }
        StatusCode::FORBIDDEN if let Some(policy) = conditional_access(answer) => {
            Settled::Refused {
                rule: Rule::ConditionalAccess,
                policy,
            }
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            if !OWN.recognises(answer) =>
        {
            not_own(answer)
        }
        // "TF400813: The user '…' is not authorized to access this resource."
        StatusCode::NOT_FOUND => Settled::Missing { help: None },
        StatusCode::UNAUTHORIZED if answer.body.contains("TF400813") => {
            Settled::Missing { help: None }
        }
        // Any other 401 of its own, after connectionData accepted the PAT, is the scope
        // check: the read needs `vso.code`.
        StatusCode::UNAUTHORIZED => Settled::Unverifiable {
            reason: format!(
                "{} was refused (401) for the PAT's scopes: reading the project's repositories needs `vso.code`, which the PAT lacks",
                answer.request
            ),
        },
        _ => refused_or_unknown(answer, "200, 404 or 401"),
    };
    Grant::new(project, PROJECT, settled, evidence(answer))
}

/// The project the policy names, when the PAT does not reach it or its reach is unknown:
/// never a pass. A refusal by a policy is judged with every refusal.
pub fn judge(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
    let project = token.endpoint.repositories().first()?;
    let grant = facts.grant(&project.value, PROJECT);
    let why = match grant.map(|g| &g.settled) {
        Some(Settled::Granted | Settled::Refused { .. }) => return None,
        Some(Settled::Missing { .. }) => {
            return Some(
                Finding::new(
                    Rule::MissingRepository,
                    &project.origin,
                    format!(
                        "token `{}` cannot reach the project `{}`: Azure DevOps answers that it does not exist or that the PAT's user may not see it",
                        token.name, project.value
                    ),
                )
                .label("the integration works in this project")
                .evidence(grant.map_or_else(String::new, |g| g.evidence.clone())),
            );
        }
        Some(Settled::Unverifiable { reason }) => reason.clone(),
        None if token.requirements.probes() => {
            "not read (the recorded facts have no read of it)".to_owned()
        }
        None => "`probe = false` for this token, so the project was not read".to_owned(),
    };
    Some(unverifiable_about(
        token,
        "its reach of the project",
        "project",
        &project.origin,
        &format!("whether it reaches `{}`: {why}", project.value),
    ))
}

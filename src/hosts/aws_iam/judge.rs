//! AWS IAM's own rules: `key-inactive`, `missing-action`, `key-rotation-overlap`, and the age of the
//! user's CodeCommit Git credentials against `max_lifespan`.

use jiff::Timestamp;

use super::Endpoint;
use super::facts::{ALLOWED_ACTIONS, ActionDecision, Decision, SERVICE_CREDENTIALS, of};
use crate::evaluate::{Finding, date_of, unverifiable_about};
use crate::facts::{Observed, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::policy::{TokenSpec, format_duration};
use crate::rules::{Rule, RuleMeta, Severity};

/// An inactive key gets that one finding.
pub fn inactive(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
    let active = &of(facts).active;
    (active.value() == Some(&false)).then(|| {
        Finding::new(
            Rule::KeyInactive,
            &token.origin,
            format!("the access key of token `{}` is inactive", token.name),
        )
        .label("inactive key")
        .evidence(active.evidence().unwrap_or("recorded key status"))
    })
}

pub fn check(
    token: &TokenSpec,
    key: &Endpoint,
    facts: &TokenFacts,
    now: Timestamp,
) -> Vec<Finding> {
    let mut findings = actions(token, facts);
    findings.extend(rotation_overlap(token, facts));
    findings.extend(service_credentials(token, key, facts, now));
    findings
}

/// Every required action must be allowed on every resource the simulation covered.
fn actions(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let reqs = super::AwsIam::requirements_of(&token.requirements);
    let required = reqs.required_actions();
    // `resources` alone asks IAM nothing: they are where `require_actions` is simulated.
    let Some(first) = required.first() else {
        return Vec::new();
    };
    let simulated = &of(facts).actions;
    let Observed::Value {
        value: decisions, ..
    } = simulated
    else {
        return vec![unverifiable_about(
            token,
            ALLOWED_ACTIONS,
            "require_actions",
            &first.origin,
            simulated.why_unobservable(),
        )];
    };
    let evidence = simulated.evidence().unwrap_or("recorded policy simulation");
    let who = facts.identity.as_deref().unwrap_or("the key's IAM user");
    required
        .iter()
        .filter_map(|action| {
            let results: Vec<_> = decisions.iter().filter(|d| d.action.eq_ignore_ascii_case(&action.value)).collect();
            let refused: Vec<String> = results
                .iter()
                .filter(|d| d.decision != Decision::Allowed)
                .map(|d| format!("on `{}`: {}", d.resource, d.decision.describe()))
                .collect();
            let message = if results.is_empty() {
                format!("`{who}` (token `{}`) may not be allowed `{}`: the simulation returned no result for it", token.name, action.value)
            } else if refused.is_empty() {
                return conditional(token, &action.value, &action.origin, &results);
            } else {
                format!("`{who}` (token `{}`) is not allowed `{}` {}", token.name, action.value, refused.join("; "))
            };
            Some(Finding::new(Rule::MissingAction, &action.origin, message).label("required here").evidence(evidence))
        })
        .collect()
}

/// An `allowed` that IAM reached without the condition keys the policy tests is not proof:
/// the integration's requests may lack them (`MissingContextValues`,
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html>).
fn conditional(
    token: &TokenSpec,
    action: &str,
    origin: &crate::policy::Origin,
    results: &[&ActionDecision],
) -> Option<Finding> {
    let mut keys: Vec<&str> = results
        .iter()
        .flat_map(|d| d.missing_context.iter().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return None;
    }
    let why = format!(
        "IAM allowed `{action}` only in a simulation that lacked the condition keys {} (MissingContextValues), so whether the integration's requests are allowed depends on values patlint cannot supply",
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(unverifiable_about(
        token,
        ALLOWED_ACTIONS,
        "require_actions",
        origin,
        &why,
    ))
}

fn rotation_overlap(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
    let keys = &of(facts).other_active_keys;
    let Observed::Value {
        value: others,
        evidence,
    } = keys
    else {
        return None;
    };
    let others = *others;
    (others > 0).then(|| {
        Finding::new(
            Rule::KeyRotationOverlap,
            &token.origin,
            format!(
                "the IAM user of token `{}` has {others} other active access key{}",
                token.name,
                if others == 1 { "" } else { "s" }
            ),
        )
        .label("rotation left half done?")
        .evidence(evidence.as_deref().unwrap_or("recorded access keys"))
    })
}

/// CodeCommit Git credentials never expire: like keys, they are judged by their age.
fn service_credentials(
    token: &TokenSpec,
    key: &Endpoint,
    facts: &TokenFacts,
    now: Timestamp,
) -> Vec<Finding> {
    let asked = key.service_credentials;
    let Some(max) = &token.requirements.max_lifespan else {
        return Vec::new();
    };
    let listed = &of(facts).service_credentials;
    let credentials = match listed.value() {
        Some(credentials) => credentials,
        None if asked => {
            return vec![unverifiable_about(
                token,
                SERVICE_CREDENTIALS,
                "service_credentials",
                &max.origin,
                listed.why_unobservable(),
            )];
        }
        None => return Vec::new(),
    };
    let limit = format_duration(max.value);
    credentials
        .iter()
        .filter(|c| c.active && now.duration_since(c.created_at) > max.value)
        .map(|c| {
            Finding::new(
                Rule::LifespanExceeded,
                &max.origin,
                format!(
                    "the CodeCommit Git credential `{}` of token `{}`'s user is {} old (created {}), more than `max_lifespan` = {limit}",
                    c.service_user_name,
                    token.name,
                    format_duration(now.duration_since(c.created_at)),
                    date_of(c.created_at)
                ),
            )
            .label(format!("at most {limit}"))
            .evidence(listed.evidence().unwrap_or("recorded service-specific credentials"))
        })
        .collect()
}

pub static MISSING_ACTION: RuleMeta = RuleMeta {
    id: "missing-action",
    summary: "The IAM user behind the access key is not allowed an action the policy requires.",
    default_severity: Severity::Error,
    why: "Without e.g. `codecommit:CreateBranch` the integration cannot create branches from Jira issues. IAM's policy simulation is asked about exactly the `resources` the policy names (so `require_actions` needs them: on `*`, a policy limited to the integration's repositories reads as denied, and a deny on one of them reads as allowed). An `allowed` that IAM reached without the condition keys its policy tests (`MissingContextValues`: `aws:SourceIp`, MFA, `codecommit:References`, …) is not proof, and is `unverifiable`, naming the keys.",
    fix: None,
};

pub static KEY_INACTIVE: RuleMeta = RuleMeta {
    id: "key-inactive",
    summary: "The AWS access key is inactive.",
    default_severity: Severity::Error,
    why: "An inactive key is rejected by AWS; the integration using it is broken.",
    fix: None,
};

pub static KEY_ROTATION_OVERLAP: RuleMeta = RuleMeta {
    id: "key-rotation-overlap",
    summary: "The IAM user behind the access key has another active access key.",
    default_severity: Severity::Warning,
    why: "Two active keys are normal only during a rotation; a rotation left half done keeps an old credential alive that nobody watches.",
    fix: None,
};

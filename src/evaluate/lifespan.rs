//! Expiry and lifespan: `token-expired`, `expires-soon`, `no-expiry`, `lifespan-exceeded`.

use jiff::Timestamp;

use super::{Finding, date_of, unverifiable};
use crate::facts::{Fact, Observed, TokenFacts};
use crate::policy::{TokenSpec, format_duration};
use crate::rules::{Rule, RuleMeta, Severity};

/// A token whose observed expiry is at or before `now`.
pub fn expired(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Option<Finding> {
    let Observed::Value {
        value: Some(expires),
        ..
    } = facts.expires_at
    else {
        return None;
    };
    (expires <= now).then(|| {
        Finding::new(
            Rule::TokenExpired,
            &token.origin,
            format!(
                "token `{}` expired on {} ({} ago)",
                token.name,
                date_of(expires),
                format_duration(now.duration_since(expires))
            ),
        )
        .label("expired")
        .evidence(
            facts
                .evidence_for(Fact::ExpiresAt)
                .unwrap_or("recorded expiry"),
        )
    })
}

pub fn check(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(max_lifespan(token, facts, now));
    findings.extend(expires_soon(token, facts, now));
    findings
}

fn max_lifespan(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Option<Finding> {
    let max = token.requirements.max_lifespan.as_ref()?;
    let limit = format_duration(max.value);
    let evidence = facts
        .evidence_for(Fact::ExpiresAt)
        .unwrap_or("recorded expiry")
        .to_owned();

    // Keys that never expire are judged by their age.
    if token.host().meta().lifespan_by_age {
        return match facts.created_at {
            Observed::Value {
                value: Some(created),
                ..
            } => {
                let age = now.duration_since(created);
                (age > max.value).then(|| {
                    Finding::new(Rule::LifespanExceeded, &max.origin, format!("key of token `{}` is {} old (created {}), more than `max_lifespan` = {limit}", token.name, format_duration(age), date_of(created)))
                        .label(format!("at most {limit}"))
                        .evidence(facts.evidence_for(Fact::CreatedAt).unwrap_or("recorded creation date"))
                })
            }
            _ => Some(unverifiable(
                token,
                facts,
                Fact::CreatedAt,
                "max_lifespan",
                &max.origin,
            )),
        };
    }

    match (&facts.expires_at, &facts.created_at) {
        (Observed::Unobservable { .. } | Observed::Distrusted { .. }, _) => Some(unverifiable(
            token,
            facts,
            Fact::ExpiresAt,
            "max_lifespan",
            &max.origin,
        )),
        (Observed::Value { value: None, .. }, _) => Some(
            Finding::new(
                Rule::NoExpiry,
                &max.origin,
                format!(
                    "token `{}` never expires, but `max_lifespan` = {limit}",
                    token.name
                ),
            )
            .label(format!("requires expiry within {limit}"))
            .evidence(evidence),
        ),
        (
            Observed::Value {
                value: Some(expires),
                ..
            },
            Observed::Value {
                value: Some(created),
                ..
            },
        ) => {
            let lifespan = expires.duration_since(*created);
            (lifespan > max.value).then(|| {
                Finding::new(
                    Rule::LifespanExceeded,
                    &max.origin,
                    format!(
                        "token `{}` lives {} (created {}, expires {}), more than `max_lifespan` = {limit}",
                        token.name,
                        format_duration(lifespan),
                        date_of(*created),
                        date_of(*expires)
                    ),
                )
                .label(format!("at most {limit}"))
                .evidence(evidence)
            })
        }
        // Without a creation date, the remaining validity is what can be judged: it proves a
        // violation, and on a host that never reveals creation (GitHub) it is the rule. A
        // creation date the host gave but the answer contradicts leaves the rest unknown.
        (
            Observed::Value {
                value: Some(expires),
                ..
            },
            _,
        ) => {
            let remaining = expires.duration_since(now);
            if remaining <= max.value && facts.created_at.is_distrusted() {
                return Some(unverifiable(
                    token,
                    facts,
                    Fact::CreatedAt,
                    "max_lifespan",
                    &max.origin,
                ));
            }
            (remaining > max.value).then(|| {
                Finding::new(
                    Rule::LifespanExceeded,
                    &max.origin,
                    format!(
                        "token `{}` is still valid for {} (until {}), more than `max_lifespan` = {limit} (judged by remaining validity: its creation date is unknown)",
                        token.name,
                        format_duration(remaining),
                        date_of(*expires)
                    ),
                )
                .label(format!("at most {limit}"))
                .evidence(format!(
                    "{evidence}; judged by remaining validity, not age: {}",
                    facts.why_unobservable(Fact::CreatedAt)
                ))
            })
        }
    }
}

fn expires_soon(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Option<Finding> {
    let Observed::Value {
        value: Some(expires),
        ..
    } = facts.expires_at
    else {
        return None;
    };
    let window = token.requirements.expiry_warning();
    let remaining = expires.duration_since(now);
    if remaining >= window {
        return None;
    }
    let origin = token
        .requirements
        .expiry_warning
        .as_ref()
        .map_or(&token.origin, |s| &s.origin);
    Some(
        Finding::new(
            Rule::ExpiresSoon,
            origin,
            format!(
                "token `{}` expires in {} (on {})",
                token.name,
                format_duration(remaining),
                date_of(expires)
            ),
        )
        .label(format!("warns {} ahead", format_duration(window)))
        .evidence(
            facts
                .evidence_for(Fact::ExpiresAt)
                .unwrap_or("recorded expiry"),
        ),
    )
}

pub static EXPIRES_SOON: RuleMeta = RuleMeta {
    id: "expires-soon",
    summary: "The token expires within the policy's `expiry_warning` window.",
    default_severity: Severity::Warning,
    why: "Rotating before expiry avoids an outage; the warning window is the time you give yourself to do it.",
    fix: Some(
        "Create a replacement before the old one expires and update the secret the policy names.",
    ),
};

pub static LIFESPAN_EXCEEDED: RuleMeta = RuleMeta {
    id: "lifespan-exceeded",
    summary: "The token lives (or, for a key, has lived) longer than `max_lifespan` allows.",
    default_severity: Severity::Error,
    why: "Long-lived credentials are the ones that leak and get forgotten; a short lifespan bounds the damage of a leak. A token's lifespan is its expiry minus its creation; a key's is its age. Where the host does not reveal the creation date (GitHub never does), patlint judges by remaining validity: a token still valid for longer than `max_lifespan` from the time of the check lives longer than allowed whenever it was created. Such findings say \"judged by remaining validity\": they prove the expiry is too far away, not the token's age, and a token created long ago with a near expiry passes.",
    fix: Some("Replace the token with one whose lifetime is within `max_lifespan`."),
};

pub static NO_EXPIRY: RuleMeta = RuleMeta {
    id: "no-expiry",
    summary: "The token never expires, but the policy sets a `max_lifespan`.",
    default_severity: Severity::Error,
    why: "A token without expiry lives until someone remembers to revoke it; the policy asks for a bounded lifetime.",
    fix: Some("Replace the token with one that has an expiry within `max_lifespan`."),
};

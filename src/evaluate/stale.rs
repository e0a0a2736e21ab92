//! `stale-token`: unused for longer than `stale_after`, but never for a token younger
//! than that (a key created yesterday and not yet used is not stale).

use jiff::Timestamp;

use super::{Finding, date_of, unverifiable};
use crate::facts::{Fact, Observed, TokenFacts};
use crate::policy::{TokenSpec, format_duration};
use crate::rules::{Rule, RuleMeta, Severity};

pub fn check(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Option<Finding> {
    let stale = token.requirements.stale_after.as_ref()?;
    let limit = format_duration(stale.value);
    let created = match facts.created_at {
        Observed::Value { value: Some(c), .. } => Some(c),
        _ => None,
    };
    // A token younger than `stale_after` cannot have been idle that long, whatever its
    // last use (known or not).
    let young = created.is_some_and(|c| now.duration_since(c) <= stale.value);
    match facts.last_used_at {
        _ if young => None,
        Observed::Unobservable { .. } | Observed::Distrusted { .. } => Some(unverifiable(
            token,
            facts,
            Fact::LastUsedAt,
            "stale_after",
            &stale.origin,
        )),
        Observed::Value {
            value: Some(last), ..
        } => {
            let idle = now.duration_since(last);
            (idle > stale.value).then(|| {
                Finding::new(Rule::StaleToken, &stale.origin, format!("token `{}` was last used {} ago (on {}), more than `stale_after` = {limit}", token.name, format_duration(idle), date_of(last)))
                    .label(format!("stale after {limit}"))
                    .evidence(facts.evidence_for(Fact::LastUsedAt).unwrap_or("recorded last use"))
            })
        }
        Observed::Value { value: None, .. } => match created {
            Some(c) => Some(
                Finding::new(
                    Rule::StaleToken,
                    &stale.origin,
                    format!(
                        "token `{}` has never been used since it was created {} ago (on {})",
                        token.name,
                        format_duration(now.duration_since(c)),
                        date_of(c)
                    ),
                )
                .label(format!("stale after {limit}"))
                .evidence(
                    facts
                        .evidence_for(Fact::LastUsedAt)
                        .unwrap_or("recorded last use"),
                ),
            ),
            // Never used, and its age is unknown: it may be brand new.
            None => Some(unverifiable(
                token,
                facts,
                Fact::CreatedAt,
                "stale_after",
                &stale.origin,
            )),
        },
    }
}

pub static STALE_TOKEN: RuleMeta = RuleMeta {
    id: "stale-token",
    summary: "The token has not been used for longer than `stale_after`.",
    default_severity: Severity::Warning,
    why: "An unused credential is pure risk: either the integration is gone and the token should be revoked, or the integration is silently broken. Only a last use patlint did not cause counts: GitLab refreshes `last_used_at` when the token itself asks, so on GitLab this is `unverifiable`; an AWS last use by `sts` or `iam` is what patlint's own check signs, so it is `unverifiable` too (with an auditor `profile`, an `iam` use counts). GitHub and Azure DevOps do not reveal last use.",
    fix: Some(
        "Check whether the integration still runs; if not, revoke the token and remove it from the policy.",
    ),
};

//! The verdict-level rules: a token the host refused, one that could not be checked, and
//! facts the host would not reveal.

use super::Finding;
use crate::facts::{Fact, Failure, Rejection, TokenFacts};
use crate::policy::{Escalation, Origin, TokenSpec};
use crate::rules::{Rule, RuleMeta, Severity};

pub(super) fn unchecked(token: &TokenSpec, failure: Failure, detail: &str) -> Finding {
    match failure {
        Failure::SecretUnavailable => Finding::new(
            Rule::SecretUnavailable,
            &token.secret.origin,
            format!("token `{}` was not checked: {detail}", token.name),
        )
        .label("the secret comes from here")
        .evidence(format!("reading the {}", token.secret.value)),
        Failure::HostError => {
            let origin = token.url_origin.as_ref().unwrap_or(&token.origin);
            Finding::new(
                Rule::HostError,
                origin,
                format!("token `{}` could not be checked: {detail}", token.name),
            )
            .label(format!("asked {}", token.host().product()))
            .evidence(format!("the request to {}", token.host().product()))
        }
    }
}

pub(super) fn rejected(
    token: &TokenSpec,
    reason: Rejection,
    detail: &str,
    evidence: &str,
    help: Option<&str>,
) -> Finding {
    let (rule, what) = match reason {
        Rejection::Invalid => (Rule::TokenInvalid, "was rejected"),
        Rejection::Revoked => (Rule::TokenInvalid, "has been revoked"),
        Rejection::Expired => (Rule::TokenExpired, "has expired"),
        Rejection::SsoRequired => (
            Rule::SsoNotAuthorized,
            "is not authorized for SAML single sign-on",
        ),
    };
    let finding = Finding::new(
        rule,
        &token.origin,
        format!("token `{}` {what}: {detail}", token.name),
    )
    .label(format!("{} says this token {what}", token.host().product()))
    .evidence(evidence);
    match help {
        Some(help) => finding.help(help.to_owned()),
        None => finding,
    }
}

/// "Cannot verify": how loud it is depends on the policy's `on_unverifiable`.
/// How loud an `unverifiable` finding is for this token (`on_unverifiable`).
pub(crate) fn unverifiable_severity(token: &TokenSpec) -> Severity {
    match token.requirements.on_unverifiable() {
        Escalation::Fail => Severity::Error,
        Escalation::Warn => Severity::Warning,
        Escalation::Ignore => Severity::Note,
    }
}

pub(crate) fn unverifiable(
    token: &TokenSpec,
    facts: &TokenFacts,
    fact: Fact,
    asked_by: &str,
    origin: &Origin,
) -> Finding {
    unverifiable_because(token, fact, asked_by, origin, facts.why_unobservable(fact))
}

/// [`unverifiable`], for a fact the host revealed in part, with the reason the rest is
/// missing.
pub(crate) fn unverifiable_because(
    token: &TokenSpec,
    fact: Fact,
    asked_by: &str,
    origin: &Origin,
    why: &str,
) -> Finding {
    unverifiable_about(token, fact.describe(), asked_by, origin, why)
}

/// A requirement that asks about what the host did not reveal: `about` names the fact
/// ("its expiry"), `why` says why it is missing.
pub(crate) fn unverifiable_about(
    token: &TokenSpec,
    about: &str,
    asked_by: &str,
    origin: &Origin,
    why: &str,
) -> Finding {
    Finding::new(
        Rule::Unverifiable,
        origin,
        format!(
            "`{asked_by}` cannot be verified for token `{}`: {why}",
            token.name,
        ),
    )
    .severity(unverifiable_severity(token))
    .label(format!("asks about {about}"))
    .evidence(format!("{} did not reveal {about}", token.host().product(),))
}

pub static TOKEN_INVALID: RuleMeta = RuleMeta {
    id: "token-invalid",
    summary: "The host rejected the token: it is unknown, revoked or malformed.",
    default_severity: Severity::Error,
    why: "An integration whose token is rejected is already broken; nothing else about the token matters until it is replaced.",
    fix: None,
};

pub static TOKEN_EXPIRED: RuleMeta = RuleMeta {
    id: "token-expired",
    summary: "The token has expired.",
    default_severity: Severity::Error,
    why: "An expired token fails every request the integration makes.",
    fix: None,
};

pub static UNVERIFIABLE: RuleMeta = RuleMeta {
    id: "unverifiable",
    summary: "The policy asks about a fact the host does not reveal for this token.",
    default_severity: Severity::Error,
    why: "A gate must fail closed: patlint never reports `pass` for what it did not observe. `on_unverifiable` decides whether this fails the gate (`fail`), warns (`warn`) or is only noted (`ignore`).",
    fix: Some(
        "Drop the requirement for this host, or set `on_unverifiable = \"warn\"` or \"ignore\" for this token.",
    ),
};

pub static HOST_ERROR: RuleMeta = RuleMeta {
    id: "host-error",
    summary: "The host could not be asked: unreachable, timed out, rate limited past the wait limit, 5xx after retries, or an unparseable answer.",
    default_severity: Severity::Error,
    why: "patlint does not guess: a token it could not check is reported as `error`, and the run exits 3 unless something else was violated.",
    fix: Some(
        "Check `url`, the network path and proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
    ),
};

pub static SECRET_UNAVAILABLE: RuleMeta = RuleMeta {
    id: "secret-unavailable",
    summary: "The token's secret could not be read from the environment variable or file the policy names.",
    default_severity: Severity::Error,
    why: "Without the secret the token cannot be checked; in CI this usually means the secret is not passed to the job.",
    fix: Some(
        "Pass the secret to the job (GitHub Actions: `env: NAME: ${{ secrets.NAME }}`; GitLab CI: a masked CI/CD variable; Azure Pipelines: a secret variable mapped with `env:`), or fix the `secret` entry.",
    ),
};

pub static FACTS_MISSING: RuleMeta = RuleMeta {
    id: "facts-missing",
    summary: "`check --facts` was given a facts file that has no record for this token.",
    default_severity: Severity::Error,
    why: "A token without observed facts was not checked, so it cannot pass.",
    fix: Some(
        "Record facts for every token (`patlint facts > facts.json`) with the same policy, or remove the token from the policy.",
    ),
};

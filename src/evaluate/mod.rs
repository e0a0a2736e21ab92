//! Evaluation: a pure function of (policy, observation, now) to findings and a status.
//! No I/O and no clock: everything time-dependent is judged against `now`.

mod aws;
mod lifespan;
mod reach;
mod scopes;
mod stale;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::facts::{Fact, Failure, Observation, Rejection, TokenFacts};
use crate::policy::{OnUnverifiable, Origin, TokenSpec};
use crate::rules::{Rule, Severity};

/// One thing wrong (or worth knowing) about a token, pointing at the policy line it
/// comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    /// A short label shown under the policy line.
    pub label: String,
    pub help: Option<String>,
    pub origin: Origin,
    pub evidence: Option<String>,
}

impl Finding {
    pub fn new(rule: Rule, origin: &Origin, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.meta().default_severity,
            message: message.into(),
            label: rule.meta().summary.trim_end_matches('.').to_owned(),
            help: None,
            origin: origin.clone(),
            evidence: None,
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// A finding that fails the gate (as opposed to one that says a check could not run).
    pub fn is_violation(&self) -> bool {
        self.severity == Severity::Error && !self.rule.is_unchecked()
    }
}

impl Rule {
    /// Rules that mean "could not check", which exit 3 rather than 1.
    pub fn is_unchecked(self) -> bool {
        matches!(
            self,
            Rule::HostError | Rule::SecretUnavailable | Rule::FactsMissing
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Unverifiable,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unverifiable => "unverifiable",
            Status::Error => "error",
        }
    }
}

/// The verdict on one token.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub findings: Vec<Finding>,
}

/// Judges one token. `observation` is `None` when no facts were recorded for it.
pub fn evaluate(token: &TokenSpec, observation: Option<&Observation>, now: Timestamp) -> Verdict {
    let mut findings = match observation {
        None => vec![
            Finding::new(
                Rule::FactsMissing,
                &token.origin,
                format!("no recorded facts for token `{}`", token.name),
            )
            .label("not in the facts file")
            .evidence("the --facts file"),
        ],
        Some(Observation::Unchecked { failure, detail }) => {
            vec![unchecked(token, *failure, detail)]
        }
        Some(Observation::Rejected {
            reason,
            detail,
            evidence,
            help,
        }) => {
            vec![rejected(token, *reason, detail, evidence, help.as_deref())]
        }
        Some(Observation::Observed { facts }) => observed(token, facts, now),
    };
    let one_finding_only = matches!(observation, Some(Observation::Rejected { .. }))
        || findings
            .iter()
            .any(|f| matches!(f.rule, Rule::TokenExpired | Rule::KeyInactive));
    if !one_finding_only {
        findings.extend(reach::global_pat_retirement(
            token,
            observation.and_then(Observation::facts),
            now,
        ));
    }
    for finding in &mut findings {
        if finding.help.is_none() {
            finding.help = finding.rule.fix_for(token.host()).map(str::to_owned);
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.origin.span.start.cmp(&b.origin.span.start))
    });
    let status = status_of(observation, &findings);
    Verdict { status, findings }
}

/// Findings that follow from the policy alone (no observation), for `validate`.
pub fn policy_lints(token: &TokenSpec, now: Timestamp) -> Vec<Finding> {
    let mut lints: Vec<Finding> = reach::global_pat_retirement(token, None, now)
        .into_iter()
        .collect();
    for lint in &mut lints {
        lint.help = lint.rule.fix_for(token.host()).map(str::to_owned);
    }
    lints
}

fn status_of(observation: Option<&Observation>, findings: &[Finding]) -> Status {
    if findings.iter().any(|f| f.rule.is_unchecked()) {
        return Status::Error;
    }
    if matches!(observation, Some(Observation::Rejected { .. }))
        || findings.iter().any(Finding::is_violation_of_fact)
    {
        return Status::Fail;
    }
    if findings.iter().any(|f| f.rule == Rule::Unverifiable) {
        return Status::Unverifiable;
    }
    Status::Pass
}

impl Finding {
    /// A violation established from what the host revealed (not "could not verify").
    fn is_violation_of_fact(&self) -> bool {
        self.is_violation() && self.rule != Rule::Unverifiable
    }
}

fn unchecked(token: &TokenSpec, failure: Failure, detail: &str) -> Finding {
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

fn rejected(
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
            Rule::SsoAuthorizationRequired,
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
        Some(help) => finding.help(help),
        None => finding,
    }
}

fn observed(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Vec<Finding> {
    if let Some(expired) = lifespan::expired(token, facts, now) {
        return vec![expired];
    }
    if let Some(inactive) = aws::inactive(token, facts) {
        return vec![inactive];
    }
    let mut findings = Vec::new();
    findings.extend(lifespan::check(token, facts, now));
    findings.extend(scopes::check(token, facts));
    findings.extend(stale::check(token, facts, now));
    findings.extend(reach::check(token, facts));
    findings.extend(aws::check(token, facts, now));
    findings
}

/// "Cannot verify": how loud it is depends on the policy's `on_unverifiable`.
fn unverifiable(
    token: &TokenSpec,
    facts: &TokenFacts,
    fact: Fact,
    asked_by: &str,
    origin: &Origin,
) -> Finding {
    let setting = token.requirements.on_unverifiable();
    let severity = match setting {
        OnUnverifiable::Fail => Severity::Error,
        OnUnverifiable::Warn => Severity::Warning,
        OnUnverifiable::Ignore => Severity::Note,
    };
    Finding::new(
        Rule::Unverifiable,
        origin,
        format!(
            "`{asked_by}` cannot be verified for token `{}`: {}",
            token.name,
            facts.why_unobservable(fact)
        ),
    )
    .severity(severity)
    .label(format!("asks about {}", fact.describe()))
    .evidence(format!(
        "{} did not reveal {}",
        token.host().product(),
        fact.describe()
    ))
}

/// The calendar date (UTC) of an instant, for messages.
pub(crate) fn date_of(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

//! Evaluation: a pure function of (policy, observation, instants) to findings and a
//! status. No I/O and no clock: everything time-dependent is judged against the run's
//! `now`, or against the time the facts were observed.

pub mod audit;
mod judged;
pub mod lifespan;
pub mod permissions;
pub mod refusals;
pub mod scopes;
pub mod stale;
pub mod verdict;
pub mod waivers;

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::facts::{Fact, FactsFile, Observation, Observed, Rejection, TokenFacts, TokenRecord};
use crate::policy::{Origin, Policy, TokenSpec};
use crate::rules::{Rule, Severity};
use verdict::{rejected, unchecked};

pub use judged::{DeclaredToken, Judged, Subject, TokenVerdict};
pub(crate) use judged::{Unwaived, with_fixes};
pub(crate) use verdict::{unverifiable, unverifiable_about, unverifiable_because};

/// The instants a verdict is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instants {
    /// `--now`, or the clock when the run started.
    pub now: Timestamp,
    /// When the host answered (the facts file's `observed_at`).
    pub observed_at: Timestamp,
}

/// One thing wrong (or worth knowing) about a token, pointing at the policy line it
/// comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    /// A short label shown under the policy line.
    pub label: Cow<'static, str>,
    /// What to do about it: most often a rule's or a host's fix text, shared, not copied
    /// into each of thousands of findings.
    pub help: Option<Cow<'static, str>>,
    pub origin: Origin,
    pub evidence: Option<String>,
    /// Where the new token that fixes it is made, prefilled where the host allows.
    pub fix_url: Option<String>,
    /// The `[[waiver]]` that accepts this finding until its date: still reported, no
    /// longer failing.
    pub waived: Option<Waived>,
}

/// What accepted a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Waived {
    pub until: Timestamp,
    pub reason: String,
    /// The waiver's `[[waiver]]` table.
    pub origin: Origin,
}

impl Finding {
    pub fn new(rule: Rule, origin: &Origin, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.meta().default_severity,
            message: message.into(),
            label: Cow::Borrowed(rule.meta().summary.trim_end_matches('.')),
            help: None,
            origin: origin.clone(),
            evidence: None,
            fix_url: None,
            waived: None,
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// The help with the new token's link on a line of its own, for the formats that
    /// carry one text.
    pub fn help_with_link(&self) -> Option<String> {
        match (&self.help, &self.fix_url) {
            (Some(help), Some(url)) => Some(format!("{help}\nNew token: {url}")),
            (None, Some(url)) => Some(format!("New token: {url}")),
            (help, None) => help.as_deref().map(str::to_owned),
        }
    }

    /// "waived until DATE: REASON", for a finding a waiver accepts.
    pub fn waived_note(&self) -> Option<String> {
        self.waived
            .as_ref()
            .map(|w| format!("waived until {}: {}", date_of(w.until), w.reason))
    }

    /// A finding that fails the gate (as opposed to one that says a check could not run,
    /// or one a waiver accepts).
    pub fn is_violation(&self) -> bool {
        self.severity == Severity::Error && !self.rule.is_unchecked() && self.waived.is_none()
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
pub fn evaluate(token: &TokenSpec, observation: Option<&Observation>, at: Instants) -> Verdict {
    verdict_of(observation, findings_of(token, observation, at))
}

/// The findings on one token, before any waiver.
fn findings_of(token: &TokenSpec, observation: Option<&Observation>, at: Instants) -> Vec<Finding> {
    let now = at.now;
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
        Some(Observation::Unchecked {
            failure,
            detail,
            help,
        }) => {
            let finding = unchecked(token, *failure, detail);
            vec![match help {
                Some(help) => finding.help(help.clone()),
                None => finding,
            }]
        }
        Some(Observation::Rejected {
            reason,
            detail,
            evidence,
            help,
            expires_at,
        }) => {
            let reason = rejection_at(*reason, *expires_at, at.observed_at);
            vec![rejected(token, reason, detail, evidence, help.as_deref())]
        }
        Some(Observation::Refused {
            rule,
            policy,
            target,
            evidence,
        }) => vec![refusals::refused(token, *rule, target, policy, evidence)],
        Some(Observation::Observed { facts }) => {
            observed(token, &trusted(facts, at.observed_at), now)
        }
    };
    let one_finding_only = matches!(
        observation,
        Some(Observation::Rejected { .. } | Observation::Refused { .. })
    ) || findings.iter().any(|f| f.rule == Rule::TokenExpired)
        || observation
            .and_then(Observation::facts)
            .is_some_and(|facts| token.host().decisive(token, facts).is_some());
    if !one_finding_only {
        findings.extend(token.host().platform(
            token,
            observation.and_then(Observation::facts),
            now,
        ));
    }
    for finding in &mut findings {
        if finding.help.is_none() {
            finding.help = finding.rule.fix_for(token.host()).map(Cow::Borrowed);
        }
    }
    with_new_token_links(
        token,
        observation.and_then(Observation::facts),
        &mut findings,
    );
    findings
}

/// Links each finding whose fix is a new token to the page where it is made.
fn with_new_token_links(token: &TokenSpec, facts: Option<&TokenFacts>, findings: &mut [Finding]) {
    for finding in findings {
        if crate::hosts::fix_link::NEW_TOKEN_RULES.contains(&finding.rule) {
            finding.fix_url = token
                .endpoint
                .new_token_link(token, facts)
                .map(String::from);
        }
    }
}

/// Orders the findings, most severe first, and says what they add up to.
fn verdict_of(observation: Option<&Observation>, mut findings: Vec<Finding>) -> Verdict {
    // Kept for the whole report, thousands of times over in an audit: no spare room.
    findings.shrink_to_fit();
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
    let mut lints: Vec<Finding> = token
        .host()
        .platform(token, None, now)
        .into_iter()
        .collect();
    for lint in &mut lints {
        lint.help = lint.rule.fix_for(token.host()).map(Cow::Borrowed);
    }
    with_new_token_links(token, None, &mut lints);
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
    // An inventory that cannot see every token has not verified that none is missing.
    if findings.iter().any(|f| {
        matches!(f.rule, Rule::Unverifiable | Rule::InventoryIncomplete) && f.waived.is_none()
    }) {
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

fn observed(token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Vec<Finding> {
    if let Some(expired) = lifespan::expired(token, facts, now) {
        return vec![expired];
    }
    if let Some(decisive) = token.host().decisive(token, facts) {
        return vec![decisive];
    }
    let mut findings = Vec::new();
    findings.extend(lifespan::check(token, facts, now));
    if token.host().judges_scopes(token, facts) {
        findings.extend(scopes::check(token, facts));
    }
    findings.extend(stale::check(token, facts, now));
    findings.extend(refusals::check(token, facts));
    findings.extend(token.endpoint.judge(token, facts, now));
    findings
}

/// How far before the observation an expiry may lie on a token that worked then, and how
/// far after `--now` replayed facts may have been observed: two clocks differ by a little.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Dates a host gave that its own answer, or the time of the answer, contradicts are not
/// facts: an expiry well before the token was seen working (seen for tokens without
/// expiry, google/go-github#3708), and a creation or last use after the answer.
fn trusted(facts: &TokenFacts, observed_at: Timestamp) -> Cow<'_, TokenFacts> {
    let mut judged = Cow::Borrowed(facts);
    let earliest = observed_at.checked_sub(CLOCK_SKEW).ok();
    let latest = observed_at.checked_add(CLOCK_SKEW).ok();
    if let Observed::Value {
        value: Some(expires),
        ..
    } = facts.expires_at
        && facts.worked_when_observed
        && earliest.is_some_and(|earliest| expires < earliest)
    {
        distrust(
            judged.to_mut(),
            Fact::ExpiresAt,
            format!("says {expires}, before the token was seen working ({observed_at})"),
        );
    }
    for (fact, date) in [
        (Fact::CreatedAt, &facts.created_at),
        (Fact::LastUsedAt, &facts.last_used_at),
    ] {
        if let Observed::Value {
            value: Some(date), ..
        } = date
            && latest.is_none_or(|latest| *date > latest)
        {
            distrust(
                judged.to_mut(),
                fact,
                format!("says {date}, after the host answered ({observed_at})"),
            );
        }
    }
    judged
}

/// Forgets a fact the host gave, saying why it is not trusted.
fn distrust(facts: &mut TokenFacts, fact: Fact, contradiction: String) {
    match fact {
        Fact::ExpiresAt => facts.expires_at.distrust(&contradiction),
        Fact::CreatedAt => facts.created_at.distrust(&contradiction),
        Fact::LastUsedAt => facts.last_used_at.distrust(&contradiction),
        Fact::Scopes | Fact::Permissions => {}
    }
}

/// A token the host calls inactive has expired if its expiry had passed when the host
/// said so; otherwise it was revoked or disabled.
fn rejection_at(
    reason: Rejection,
    expires_at: Option<Timestamp>,
    observed_at: Timestamp,
) -> Rejection {
    match (reason, expires_at) {
        (Rejection::Invalid, Some(expires)) if expires <= observed_at => Rejection::Expired,
        _ => reason,
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The calendar date (UTC) of an instant, for messages.
pub(crate) fn date_of(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// Evaluates every token of the policy against the recorded facts.
pub fn judge_all<'p>(policy: &'p Policy, facts: &FactsFile, at: Instants) -> Vec<TokenVerdict<'p>> {
    let mut tokens: Vec<Unwaived<DeclaredToken<'p>>> = policy
        .tokens
        .iter()
        .map(|spec| unwaived_declared(spec, facts.find(&spec.name), at, None, Vec::new()))
        .collect();
    let mut targets: Vec<_> = tokens.iter_mut().map(Unwaived::target).collect();
    waivers::apply(&policy.waivers, &mut targets, at.now);
    tokens.into_iter().map(Unwaived::conclude).collect()
}

/// A declared token's findings, as `check` finds them, then what an audit adds to them
/// (how an inventory lists it, what the listings say of it).
pub(crate) fn unwaived_declared<'p>(
    spec: &'p TokenSpec,
    record: Option<&TokenRecord>,
    at: Instants,
    listed: Option<audit::ListedAs>,
    from_audit: Vec<Finding>,
) -> Unwaived<DeclaredToken<'p>> {
    // A record for another host is not this token's: the policy changed since.
    let observation = record
        .filter(|record| record.host == spec.host())
        .map(|record| record.observation.clone());
    let mut findings = findings_of(spec, observation.as_ref(), at);
    findings.extend(with_fixes(from_audit, spec.host()));
    Unwaived {
        item: DeclaredToken { spec, listed },
        observation,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn an_inactive_token_is_expired_only_if_its_expiry_had_passed_when_observed() {
        let expiry = Some(at("2026-11-20T00:00:00Z"));
        let before = at("2026-11-19T00:00:00Z");
        let after = at("2026-11-21T00:00:00Z");
        assert_eq!(
            rejection_at(Rejection::Invalid, expiry, after),
            Rejection::Expired
        );
        assert_eq!(
            rejection_at(Rejection::Invalid, expiry, before),
            Rejection::Invalid
        );
        assert_eq!(
            rejection_at(Rejection::Invalid, None, after),
            Rejection::Invalid
        );
        assert_eq!(
            rejection_at(Rejection::Revoked, expiry, after),
            Rejection::Revoked
        );
    }

    #[test]
    fn an_expiry_before_a_working_observation_is_not_trusted() {
        let mut facts = TokenFacts::new(crate::facts::TokenKind::ClassicPat);
        facts.expires_at = Observed::bare(Some(at("2021-09-03T02:34:04Z")));
        let observed = at("2026-11-24T00:00:00Z");
        // Only a host that proved the token worked makes the expiry contradicted.
        assert!(!trusted(&facts, observed).expires_at.is_unobservable());
        facts.worked_when_observed = true;
        let judged = trusted(&facts, observed);
        assert!(judged.expires_at.is_unobservable());
        assert!(
            judged
                .why_unobservable(Fact::ExpiresAt)
                .contains("not trusted")
        );
        // Within the clock skew, and after the observation, it stands.
        facts.expires_at = Observed::bare(Some(at("2026-11-23T23:58:00Z")));
        assert!(!trusted(&facts, observed).expires_at.is_unobservable());
    }

    #[test]
    fn a_creation_or_last_use_after_the_answer_is_not_trusted() {
        let mut facts = TokenFacts::new(crate::facts::TokenKind::PersonalAccessToken);
        facts.created_at = Observed::seen(
            Some(at("2027-01-01T00:00:00Z")),
            "`created_at` in GET /self",
        );
        facts.last_used_at = Observed::bare(Some(at("2026-11-24T00:04:00Z")));
        let judged = trusted(&facts, at("2026-11-24T00:00:00Z"));
        assert!(judged.created_at.is_unobservable());
        assert_eq!(
            judged.why_unobservable(Fact::CreatedAt),
            "`created_at` in GET /self says 2027-01-01T00:00:00Z, after the host answered (2026-11-24T00:00:00Z), so it is not trusted"
        );
        // Within the clock skew it stands.
        assert!(!judged.last_used_at.is_unobservable());
    }
}

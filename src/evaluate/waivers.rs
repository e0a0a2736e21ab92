//! Waivers at the run's `now`: an active one turns each finding it covers into a waived
//! finding (still reported, no longer failing); one past its date waives nothing and is
//! itself an error; one near its end warns; one that covered nothing warns, so stale
//! waivers get deleted (as cargo-deny reports ignores that matched nothing).
//!
//! A waiver's own findings go to the first token it names, at the waiver's line.

use jiff::{SignedDuration, Timestamp};

use super::{Finding, Waived, date_of};
use crate::policy::{Waiver, format_duration};
use crate::rules::{Rule, RuleMeta, Severity};

/// One item of the run as waivers see it: the name they match and its findings.
pub struct Target<'a> {
    pub name: &'a str,
    /// How long before a waiver's end to warn, when the waiver names this item first.
    pub expiry_warning: SignedDuration,
    pub findings: &'a mut Vec<Finding>,
}

/// Applies every waiver to the findings of each item, given in report order: a waiver's
/// own findings go to the first item it names.
pub fn apply(waivers: &[Waiver], targets: &mut [Target], now: Timestamp) {
    for waiver in waivers {
        let Some(first) = targets.iter().position(|t| waiver.token.matches(t.name)) else {
            continue; // validation refuses a waiver that names no token
        };
        if waiver.until <= now {
            targets[first].findings.push(expired(waiver, now));
            continue;
        }
        let used = waive_covered(waiver, targets);
        let left = waiver.until.duration_since(now);
        if left < targets[first].expiry_warning {
            targets[first].findings.push(expires_soon(waiver, left));
        }
        if !used {
            targets[first].findings.push(unused(waiver));
        }
    }
}

/// Marks every finding the waiver covers that no earlier waiver did; whether it covered any.
fn waive_covered(waiver: &Waiver, targets: &mut [Target]) -> bool {
    let mut used = false;
    for target in targets.iter_mut() {
        for finding in target.findings.iter_mut() {
            if finding.waived.is_none() && waiver.covers(target.name, finding.rule) {
                finding.waived = Some(Waived {
                    until: waiver.until,
                    reason: waiver.reason.clone(),
                    origin: waiver.origin.clone(),
                });
                used = true;
            }
        }
    }
    used
}

fn rules_of(waiver: &Waiver) -> String {
    waiver
        .rules
        .iter()
        .map(|r| format!("`{}`", r.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expired(waiver: &Waiver, now: Timestamp) -> Finding {
    Finding::new(
        Rule::WaiverExpired,
        &waiver.until_origin,
        format!(
            "the waiver of {} for `{}` ended on {} ({} ago), so what it waived fails again",
            rules_of(waiver),
            waiver.token.as_str(),
            date_of(waiver.until),
            format_duration(now.duration_since(waiver.until))
        ),
    )
    .label("ended")
    .evidence(format!("reason it was given: {}", waiver.reason))
}

fn expires_soon(waiver: &Waiver, left: jiff::SignedDuration) -> Finding {
    Finding::new(
        Rule::WaiverExpiresSoon,
        &waiver.until_origin,
        format!(
            "the waiver of {} for `{}` ends in {} (on {})",
            rules_of(waiver),
            waiver.token.as_str(),
            format_duration(left),
            date_of(waiver.until)
        ),
    )
    .label("ends soon")
    .evidence(format!("reason it was given: {}", waiver.reason))
}

fn unused(waiver: &Waiver) -> Finding {
    Finding::new(
        Rule::WaiverUnused,
        &waiver.origin,
        format!(
            "the waiver of {} for `{}` waived nothing in this run",
            rules_of(waiver),
            waiver.token.as_str()
        ),
    )
    .label("matched no finding")
}

pub static WAIVER_EXPIRED: RuleMeta = RuleMeta {
    id: "waiver-expired",
    summary: "A `[[waiver]]` is past its `until`: it no longer waives, and the findings it accepted fail again.",
    default_severity: Severity::Error,
    why: "A waiver accepts a known violation for a time, with a reason (`[[waiver]] token = \"NAME\" rule = \"RULE\" until = \"DATE\" reason = \"…\"`). Waivers end so that no exception becomes permanent: at most `max_waiver` (default 90 days, in [defaults]) from the run. Findings that mean a broken integration (host-error, secret-unavailable, facts-missing, token-invalid, token-expired) cannot be waived.",
    fix: Some(
        "Fix what the waiver accepted, then delete the waiver; or, if the reason still holds, renew it with a new `until` and say why in `reason`.",
    ),
};

pub static WAIVER_EXPIRES_SOON: RuleMeta = RuleMeta {
    id: "waiver-expires-soon",
    summary: "A `[[waiver]]` ends within `expiry_warning` of the first token it names.",
    default_severity: Severity::Warning,
    why: "When the waiver ends, what it accepted fails the gate again: fix it before then, or renew the waiver deliberately.",
    fix: Some("Fix what the waiver accepts before it ends, or renew it with a new `until`."),
};

pub static WAIVER_UNUSED: RuleMeta = RuleMeta {
    id: "waiver-unused",
    summary: "A `[[waiver]]` waived no finding in this run.",
    default_severity: Severity::Warning,
    why: "A waiver that matches nothing is stale (the violation was fixed) or mistyped; left in place, it would silently accept the violation if it came back.",
    fix: Some("Delete the waiver, or correct its `token` or `rule`."),
};

//! Dated platform changes that turn a policy or a token from fine into broken on a known
//! day. Each host declares its own in its folder: one row per step, with its source, so
//! the next announcement is a one-line change.

use jiff::Timestamp;

use crate::evaluate::Finding;
use crate::policy::Origin;
use crate::rules::{Rule, Severity};

/// A platform change that comes in dated steps; the last one is the one that breaks.
pub struct PlatformChange {
    pub rule: Rule,
    /// In date order.
    pub steps: &'static [DatedStep],
    pub source: &'static str,
}

/// One step of a change: from `effective` on (UTC), `passed` is true; before, `ahead` is
/// what is coming.
pub struct DatedStep {
    pub effective: &'static str,
    pub ahead: &'static str,
    pub passed: &'static str,
}

/// Where `now` stands relative to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStatus {
    /// Whole days left (rounded up, so "1 day" until the last instant).
    Ahead {
        days_left: i64,
    },
    Passed,
}

impl DatedStep {
    pub fn effective_at(&self) -> Timestamp {
        self.effective
            .parse()
            .expect("platform deadlines are valid RFC 3339 timestamps")
    }

    pub fn date(&self) -> &'static str {
        &self.effective[..10]
    }

    pub fn status(&self, now: Timestamp) -> DeadlineStatus {
        let left = self.effective_at().duration_since(now);
        if left.is_positive() {
            let secs = left.as_secs();
            DeadlineStatus::Ahead {
                days_left: (secs + 86_399) / 86_400,
            }
        } else {
            DeadlineStatus::Passed
        }
    }

    /// "… (since DATE)", or "… on DATE: N days left".
    pub fn describe(&self, now: Timestamp) -> String {
        match self.status(now) {
            DeadlineStatus::Passed => format!("{} (since {})", self.passed, self.date()),
            DeadlineStatus::Ahead { days_left } => format!(
                "{} on {}: {days_left} day{} left",
                self.ahead,
                self.date(),
                if days_left == 1 { "" } else { "s" }
            ),
        }
    }
}

impl PlatformChange {
    /// A finding about `subject` under this change: a warning with the days left before
    /// its last step, an error from that step on.
    pub fn finding(&self, rule: Rule, origin: &Origin, subject: &str, now: Timestamp) -> Finding {
        let severity = if self.in_force(now) {
            Severity::Error
        } else {
            Severity::Warning
        };
        Finding::new(rule, origin, format!("{subject}; {}", self.describe(now))).severity(severity)
    }

    /// The step that breaks what the change is about.
    pub fn last(&self) -> &DatedStep {
        self.steps
            .last()
            .expect("a platform change has at least one step")
    }

    /// Whether the change is complete at `at`.
    pub fn in_force(&self, at: Timestamp) -> bool {
        self.last().status(at) == DeadlineStatus::Passed
    }

    /// Every step passed by `now`, then the next one ahead, for a message.
    pub fn describe(&self, now: Timestamp) -> String {
        let passed = self
            .steps
            .iter()
            .filter(|s| s.status(now) == DeadlineStatus::Passed);
        let next = self
            .steps
            .iter()
            .find(|s| s.status(now) != DeadlineStatus::Passed);
        let mut parts: Vec<String> = passed.map(|s| s.describe(now)).collect();
        // Once the last step has passed, the earlier ones are history.
        if next.is_none() {
            parts = vec![self.last().describe(now)];
        }
        parts.extend(next.map(|s| s.describe(now)));
        parts.join("; ")
    }
}

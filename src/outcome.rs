//! The gate's exit code, decided here and nowhere else.

use crate::evaluate::{Finding, Status, Verdict};
use crate::facts::{FactsFile, Observation};
use crate::rules::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every token is in policy.
    Clean = 0,
    /// At least one violation.
    Violation = 1,
    /// The policy or the command line is invalid; nothing was checked.
    Invalid = 2,
    /// Some token could not be checked, and nothing was violated.
    Unchecked = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What fails the gate: findings at or above `fail_on` (none when `None`, i.e.
/// `--fail-on never`), and tokens that could not be checked unless `allow_unchecked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Option<Severity>,
    pub allow_unchecked: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Some(Severity::Error),
            allow_unchecked: false,
        }
    }
}

/// The gate's decision on one run, made once and carried in the report: formats render
/// it and decide nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub exit: Exit,
    /// The gate the run was decided by, which also says which findings fail it.
    pub gate: Gate,
}

impl Decision {
    /// Whether this finding fails the gate.
    pub fn fails(&self, finding: &Finding) -> bool {
        self.gate.fails(finding)
    }
}

impl Gate {
    /// Decides the exit code.
    pub fn decide<'a>(&self, verdicts: impl IntoIterator<Item = &'a Verdict>) -> Decision {
        Decision {
            exit: self.exit(verdicts),
            gate: *self,
        }
    }

    /// A violation anywhere wins; then a token that could not be checked; then clean.
    pub fn exit<'a>(&self, verdicts: impl IntoIterator<Item = &'a Verdict>) -> Exit {
        let mut exit = Exit::Clean;
        for verdict in verdicts {
            if verdict.findings.iter().any(|f| self.fails(f)) {
                return Exit::Violation;
            }
            if verdict.status == Status::Error && !self.allow_unchecked {
                exit = Exit::Unchecked;
            }
        }
        exit
    }

    /// Whether this finding alone fails the gate.
    pub fn fails(&self, finding: &Finding) -> bool {
        !finding.rule.is_unchecked()
            && finding.waived.is_none()
            && self
                .fail_on
                .is_some_and(|threshold| finding.severity >= threshold)
    }
}

/// The default gate: errors fail, unchecked tokens exit 3.
pub fn gate<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Exit {
    Gate::default().exit(verdicts)
}

/// `validate`: a valid policy exits 0, or 1 when a policy lint (a dated platform change
/// that has come) is already a violation.
pub fn validate_gate<'a>(lints: impl IntoIterator<Item = &'a Finding>) -> Exit {
    if lints.into_iter().any(Finding::is_violation) {
        Exit::Violation
    } else {
        Exit::Clean
    }
}

/// `facts`: 3 when some token could not be checked, else 0 (nothing is judged).
pub fn facts_gate(facts: &FactsFile) -> Exit {
    if facts
        .tokens
        .iter()
        .any(|t| matches!(t.observation, Observation::Unchecked { .. }))
    {
        Exit::Unchecked
    } else {
        Exit::Clean
    }
}

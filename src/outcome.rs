//! The gate's exit code, decided here and nowhere else.

use crate::evaluate::{Finding, Status, Verdict};
use crate::facts::{FactsFile, Observation};

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

/// A violation anywhere wins; then a token that could not be checked; then clean.
pub fn gate<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Exit {
    let mut exit = Exit::Clean;
    for verdict in verdicts {
        if verdict.findings.iter().any(|f| f.is_violation()) {
            return Exit::Violation;
        }
        if verdict.status == Status::Error {
            exit = Exit::Unchecked;
        }
    }
    exit
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

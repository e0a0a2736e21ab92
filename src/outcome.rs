//! The gate's exit code, decided here and nowhere else.

use crate::evaluate::{Status, Verdict};

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

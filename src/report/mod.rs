//! Reports render a finished evaluation; they decide nothing. One file per format.

pub mod human;
pub mod json;

use jiff::Timestamp;
use serde::Serialize;

use crate::evaluate::{Status, Verdict};
use crate::facts::Observation;
use crate::policy::{Documents, Origin, Policy, TokenSpec, line_col};

/// Everything a format needs: the policy, what was observed and the verdicts.
pub struct Report<'p> {
    pub policy: &'p Policy,
    pub evaluated_at: Timestamp,
    pub tokens: Vec<TokenReport<'p>>,
}

pub struct TokenReport<'p> {
    pub spec: &'p TokenSpec,
    pub observation: Option<Observation>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub tokens: usize,
    pub pass: usize,
    pub fail: usize,
    pub unverifiable: usize,
    pub error: usize,
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            tokens: self.tokens.len(),
            ..Summary::default()
        };
        for t in &self.tokens {
            match t.verdict.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Unverifiable => s.unverifiable += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }
}

/// A place in the policy file: for a setting that comes from a preset, the `extends`
/// entry that brought the preset in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileLocation {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

pub fn file_location(documents: &Documents, origin: &Origin) -> FileLocation {
    let doc = documents.get(origin.doc);
    let policy = documents.policy();
    let offset = doc
        .included_at
        .as_ref()
        .map_or(origin.span.start, |span| span.start);
    let (line, column) = line_col(&policy.text, offset);
    FileLocation {
        path: policy.name.clone(),
        line,
        column,
    }
}

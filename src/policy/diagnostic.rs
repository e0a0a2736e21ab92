//! Policy problems as miette diagnostics: each points at its span in the document it
//! came from (the policy file or a preset).

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// One problem in a policy document.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(patlint::policy))]
pub struct PolicyError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<Arc<str>>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
    /// 1-based line and column of the span's start, for machine formats.
    pub line: usize,
    pub column: usize,
    pub path: String,
}

/// Every problem found in a policy: validation reports them all at once.
#[derive(Debug, thiserror::Error)]
#[error("{} problem{} in the policy", .0.len(), if .0.len() == 1 { "" } else { "s" })]
pub struct PolicyErrors(pub Vec<PolicyError>);

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

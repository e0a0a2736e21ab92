//! Policy problems as miette diagnostics: each points at its span in the document it
//! came from (the policy file or a preset).

use std::sync::Arc;

use miette::{Diagnostic, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One problem in a policy document.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(patlint::policy))]
pub struct PolicyError {
    pub message: String,
    #[source_code]
    pub src: IndexedSource,
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

impl PolicyError {
    /// A problem at `span` of `source` (a document's text, or that text redacted).
    pub fn new(
        source: IndexedSource,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let (line, column) = source.line_col(span.start);
        PolicyError {
            message: message.into(),
            path: source.name.clone(),
            src: source,
            span: (span.start, span.end.saturating_sub(span.start)).into(),
            label: label.into(),
            help,
            line,
            column,
        }
    }

    /// A problem at `span` of `doc`.
    pub fn at(
        doc: &super::Document,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        Self::new(doc.source.clone(), span, message, label, help)
    }
}

/// Every problem found in a policy: validation reports them all at once.
#[derive(Debug, thiserror::Error)]
#[error("{} problem{} in the policy", .0.len(), if .0.len() == 1 { "" } else { "s" })]
pub struct PolicyErrors(pub Vec<PolicyError>);

/// A document's text with where each line starts, so that placing a span is a binary
/// search, not a scan from the top: thousands of diagnostics on a large file stay linear.
#[derive(Debug, Clone)]
pub struct IndexedSource {
    name: String,
    text: Arc<str>,
    /// Byte offset of the start of each line.
    lines: Arc<[usize]>,
}

impl IndexedSource {
    pub fn new(name: impl Into<String>, text: Arc<str>) -> Self {
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        IndexedSource {
            name: name.into(),
            text,
            lines,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// 0-based index of the line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let column = self.text[self.lines[line]..offset].chars().count() + 1;
        (line + 1, column)
    }
}

impl SourceCode for IndexedSource {
    /// miette's own reading, on just the lines around the span, placed back in the file.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let end = span.offset() + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_of(span.offset()).saturating_sub(before);
        let past = self.line_of(end) + after + 1;
        let window_start = self.lines[first];
        let window_end = self.lines.get(past).copied().unwrap_or(self.text.len());
        let window = &self.text.as_bytes()[window_start..window_end];
        let local = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let contents = window.read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            (
                contents.span().offset() + window_start,
                contents.span().len(),
            )
                .into(),
            contents.line() + first,
            contents.column(),
            contents.line_count() + first,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window read is what miette reads from the whole text, placed the same way, but
    /// only the lines around the span are looked at: many diagnostics stay linear.
    #[test]
    fn reads_only_the_lines_around_a_span_and_places_them_like_miette() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("key{i} = \"value {i}\"\r\n"));
        }
        text.push_str("last = \"é\"");
        let text: Arc<str> = Arc::from(text);
        let indexed = IndexedSource::new("p.toml", text.clone());
        for offset in [0, 11, text.len() / 2, text.len() - 4] {
            let span = SourceSpan::new(offset.into(), 3);
            for context in [0, 1, 3] {
                let ours = indexed.read_span(&span, context, context).unwrap();
                let theirs = text.as_bytes().read_span(&span, context, context).unwrap();
                assert_eq!(ours.data(), theirs.data());
                assert_eq!(ours.span(), theirs.span());
                assert_eq!(
                    (ours.line(), ours.column()),
                    (theirs.line(), theirs.column())
                );
                assert!(ours.data().len() < 200, "read {} bytes", ours.data().len());
            }
        }
        assert_eq!(indexed.line_col(text.len() - 2), (20_001, 9));
        assert!(
            indexed
                .read_span(&SourceSpan::new(text.len().into(), 5), 0, 0)
                .is_err()
        );
    }
}

//! `--format human`: one miette diagnostic per finding of a declared token or an
//! inventory, pointing at the policy line it comes from (and, for a preset's setting, at
//! the `extends` entry too); per inventory, one diagnostic for all the tokens it lists
//! that nobody declares, with a line each (`undeclared.rs`); then a status line per
//! declared token and inventory, and a closing summary.

mod undeclared;

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::{Report, TokenReport};
use crate::evaluate::{Finding, Status};
use crate::policy::{Document, Documents, IndexedSource};
use crate::rules::Severity;

/// How to draw diagnostics: colours and Unicode on a terminal, plain ASCII otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub graphical: bool,
    pub width: usize,
}

impl Style {
    pub const PLAIN: Style = Style {
        graphical: false,
        width: 100,
    };

    pub fn handler(self) -> GraphicalReportHandler {
        let theme = if self.graphical {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::none()
        };
        GraphicalReportHandler::new_themed(theme)
            .with_width(self.width)
            .with_links(false)
    }
}

/// Renders any diagnostic with the given style. A span far into a long line is shown
/// without its snippet (miette pads to the column and cannot go past 65,535; a hostile
/// policy must not crash `validate`), its place given in words instead.
pub fn render_diagnostic(diagnostic: &dyn Diagnostic, style: Style) -> String {
    let mut out = String::new();
    let handler = style.handler();
    let rendered = match far_label(diagnostic) {
        Some(place) => handler.render_report(&mut out, &WithoutSnippet { diagnostic, place }),
        None => handler.render_report(&mut out, diagnostic),
    };
    rendered.expect("rendering to a String cannot fail");
    out
}

/// A finding's diagnostic, then, each on a line of its own, where a preset's setting was
/// included and the link to its new token: after the diagnostic, where nothing wraps them,
/// so that the link stays whole.
pub fn render_finding(finding: &Finding, docs: &Documents, style: Style) -> String {
    let mut out = render_diagnostic(&FindingDiagnostic::new(finding, docs), style);
    let doc = docs.get(finding.origin.doc);
    if let Some(span) = &doc.included_at {
        let policy = docs.policy();
        let (line, column) = policy.line_col(span.start);
        out.push_str(&format!(
            "  from `{}`, included at {}:{line}:{column}\n",
            doc.name, policy.name
        ));
    }
    if let Some(url) = &finding.fix_url {
        out.push_str(&format!("  new token: {url}\n"));
    }
    out
}

/// Columns past this are not drawn.
const MAX_SNIPPET_COLUMN: usize = 1_000;

/// "FILE, line L, column C" of the first label that lies past [`MAX_SNIPPET_COLUMN`].
fn far_label(diagnostic: &dyn Diagnostic) -> Option<String> {
    let source = diagnostic.source_code()?;
    diagnostic.labels()?.find_map(|label| {
        let contents = source.read_span(label.inner(), 0, 0).ok()?;
        (contents.column() > MAX_SNIPPET_COLUMN).then(|| {
            format!(
                "{}line {}, column {}",
                contents
                    .name()
                    .map(|name| format!("{name}, "))
                    .unwrap_or_default(),
                contents.line() + 1,
                contents.column() + 1
            )
        })
    })
}

/// A diagnostic without its source snippet, saying where it points instead.
struct WithoutSnippet<'a> {
    diagnostic: &'a dyn Diagnostic,
    place: String,
}

impl fmt::Debug for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.diagnostic, self.place)
    }
}

impl std::error::Error for WithoutSnippet<'_> {}

impl Diagnostic for WithoutSnippet<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.diagnostic.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help()
    }
}

pub fn render(report: &Report, style: Style) -> String {
    let docs = &report.policy.documents;
    let mut out = String::new();
    for token in &report.tokens {
        findings(&mut out, &token.verdict.findings, docs, style);
    }
    for inventory in &report.inventories {
        out.push_str(&undeclared::render(inventory, docs, style));
        if let Some(own) = &inventory.own {
            findings(&mut out, &own.verdict.findings, docs, style);
        }
    }
    for token in &report.tokens {
        status_line(&mut out, &TokenReport::of(token));
    }
    for inventory in &report.inventories {
        out.extend(undeclared::status_line(inventory));
        if let Some(own) = &inventory.own {
            status_line(&mut out, &TokenReport::of(own));
        }
    }
    out.push('\n');
    // The note first: the last line is the one that agrees with the exit code.
    if let Some(note) = report.facts.replay_note() {
        out.push_str(&format!("patlint: {note}\n"));
    }
    out.push_str(&closing_line(report));
    out
}

/// "patlint: 4 tokens checked against P: 3 pass, 1 fail, 0 unverifiable, 0 error; the gate
/// fails (exit 1)", or, when no item could be checked at all, says so.
fn closing_line(report: &Report) -> String {
    let s = report.summary();
    let path = report.policy.path();
    let gate = report.gate_phrase();
    if s.none_checked() {
        let code = report.gate.exit.code();
        return match (s.tokens, s.inventories) {
            (1, 0) => format!(
                "patlint: the policy's one token could not be checked against {path}; exit {code}\n"
            ),
            _ => format!(
                "patlint: none of the {} could be checked against {path}; exit {code}\n",
                s.tokens_phrase()
            ),
        };
    }
    format!(
        "patlint: {} checked against {path}: {}; {gate}\n",
        s.tokens_phrase(),
        s.counts(", ")
    )
}

/// Each finding's diagnostic; a waived one as what was waived and why.
fn findings(out: &mut String, findings: &[Finding], docs: &Documents, style: Style) {
    for finding in findings {
        if let Some(note) = finding.waived_note() {
            // Accepted: what was waived and why, without the diagnostic around it.
            out.push_str(&format!(
                "waived {}: {}\n  {note}\n\n",
                finding.rule.id(),
                finding.message
            ));
            continue;
        }
        out.push_str(&render_finding(finding, docs, style));
        out.push('\n');
    }
}

/// "        FAIL  jira (github, listed by acme as `jira` of octocat): 1 error".
fn status_line(out: &mut String, token: &TokenReport) {
    let counts = count(&token.verdict.findings);
    out.push_str(&format!(
        "{:>12}  {} ({}{}){}\n",
        status_word(token.verdict.status),
        token.subject.name(),
        token.subject.host(),
        token.subject.listed().map(listed_note).unwrap_or_default(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {counts}")
        }
    ));
}

/// ", listed by acme-github as `deploy` of octocat": what an audit knows of the token.
fn listed_note(listed: &crate::report::ListedAs) -> String {
    let mut note = format!(", listed by {}", listed.inventory);
    if let Some(name) = &listed.name {
        note.push_str(&format!(" as `{name}`"));
    }
    if let Some(owner) = &listed.owner {
        note.push_str(&format!(" of {owner}"));
    }
    if !listed.declared {
        note.push_str(", undeclared");
    }
    note
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Unverifiable => "UNVERIFIABLE",
        Status::Error => "ERROR",
    }
}

fn count(findings: &[Finding]) -> String {
    let active = |f: &&Finding| f.waived.is_none();
    let mut parts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Note]
        .into_iter()
        .filter_map(|sev| {
            let n = findings
                .iter()
                .filter(active)
                .filter(|f| f.severity == sev)
                .count();
            (n > 0).then(|| format!("{n} {}{}", sev.as_str(), if n == 1 { "" } else { "s" }))
        })
        .collect();
    let waived = findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    parts.join(", ")
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

fn source_of(doc: &Document) -> IndexedSource {
    doc.source.clone()
}

/// A finding as a miette diagnostic: its rule id as the code, its policy line as the label.
pub struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: IndexedSource,
    help: Option<String>,
}

impl<'a> FindingDiagnostic<'a> {
    pub fn new(finding: &'a Finding, docs: &Documents) -> Self {
        let doc = docs.get(finding.origin.doc);
        let help = match (&finding.help, &finding.evidence) {
            (Some(help), Some(evidence)) => Some(format!("{help}\nevidence: {evidence}")),
            (Some(help), None) => Some(help.to_string()),
            (None, Some(evidence)) => Some(format!("evidence: {evidence}")),
            (None, None) => None,
        };
        FindingDiagnostic {
            finding,
            source: source_of(doc),
            help,
        }
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("rule", &self.finding.rule)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule.id()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette_severity(self.finding.severity))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = &self.finding.origin.span;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some(self.finding.label.to_string()),
                (span.start, span.end - span.start),
            ),
        )))
    }
}

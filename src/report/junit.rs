//! `--format junit`: a test case per token and rule, in the JUnit XML that GitLab, Azure
//! Pipelines and Jenkins read (<https://github.com/testmoapp/junitxml>). A violation is a
//! `<failure>`, a token that could not be checked an `<error>`; a token with no finding
//! is one passing case.

use super::{INVALID_POLICY, ProblemView, Report, region};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            // Nor these two, which XML 1.0's `Char` leaves out.
            '\u{FFFE}' | '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let docs = &report.policy.documents;
    let mut cases = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // Views come in report order: each token's findings follow one another.
    let mut views = report.views().into_iter().peekable();
    for token in report.items() {
        let subject = token.subject;
        let classname = escape(subject.host().as_str());
        if token.verdict.findings.is_empty() {
            tests += 1;
            let r = region(docs, subject.origin());
            cases.push_str(&format!(
                "    <testcase classname=\"{classname}\" name=\"{}: in policy\" time=\"0\">\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape(subject.name()),
                escape(&format!("{}:{}:{}", r.path, r.start_line, r.start_column))
            ));
        }
        while let Some(view) = views.next_if(|v| v.token.is(&token)) {
            let (finding, r) = (view.finding, &view.region);
            tests += 1;
            // GitLab keeps only the first of repeated names: number the repeats.
            let base = format!("{}: {}", subject.name(), finding.rule.id());
            let seen = names.entry(base.clone()).or_insert(0);
            *seen += 1;
            let name = if *seen == 1 {
                base
            } else {
                format!("{base} ({seen})")
            };
            // GitLab shows only the body's text, not the `message` attribute: the message
            // comes first. Jenkins' schema has no `file` on a test case: the location is
            // in the body too.
            let detail = format!(
                "{}\n{}:{}:{}\n{}{}",
                finding.message,
                r.path,
                r.start_line,
                r.start_column,
                finding.help_with_link().unwrap_or_default(),
                finding
                    .evidence
                    .as_deref()
                    .map(|e| format!("\nevidence: {e}"))
                    .unwrap_or_default()
            );
            let body = if let Some(note) = finding.waived_note() {
                format!(
                    "<skipped message=\"{}\"/>",
                    escape(&format!("{note} — {}", finding.message))
                )
            } else if finding.rule.is_unchecked() {
                errors += 1;
                format!(
                    "<error message=\"{}\" type=\"{}\">{}</error>",
                    escape(&finding.message),
                    finding.rule.id(),
                    escape(&detail)
                )
            } else if view.fails_gate {
                failures += 1;
                format!(
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape(&finding.message),
                    finding.rule.id(),
                    escape(&detail)
                )
            } else {
                format!(
                    "<system-out>{}: {}</system-out>",
                    finding.severity.as_str(),
                    escape(&detail)
                )
            };
            cases.push_str(&format!(
                "    <testcase classname=\"{classname}\" name=\"{}\" time=\"0\">\n      {body}\n    </testcase>\n",
                escape(&name)
            ));
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"patlint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">\n  <testsuite name=\"patlint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\" timestamp=\"{}\">\n{cases}  </testsuite>\n</testsuites>\n",
        report.evaluated_at.strftime("%Y-%m-%dT%H:%M:%S")
    )
}

/// A refused policy as a test report (exit 2: nothing was checked): one failing case per
/// problem, its place and fix in the body.
pub fn problems(problems: &[ProblemView]) -> String {
    let mut cases = String::new();
    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for view in problems {
        let r = &view.region;
        let detail = format!(
            "{}\n{}:{}:{}",
            view.text(),
            r.path,
            r.start_line,
            r.start_column
        );
        // GitLab keeps only the first of repeated names: number the repeats.
        let base = format!(
            "{INVALID_POLICY}: {}:{}:{}",
            r.path, r.start_line, r.start_column
        );
        let seen = names.entry(base.clone()).or_insert(0);
        *seen += 1;
        let name = match *seen {
            1 => base,
            n => format!("{base} ({n})"),
        };
        cases.push_str(&format!(
            "    <testcase classname=\"policy\" name=\"{}\" time=\"0\">\n      <failure message=\"{}\" type=\"{INVALID_POLICY}\">{}</failure>\n    </testcase>\n",
            escape(&name),
            escape(&view.problem.message),
            escape(&detail)
        ));
    }
    let n = problems.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"patlint\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" time=\"0\">\n  <testsuite name=\"patlint\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" time=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

//! `--format azure`: Azure Pipelines logging commands (ci-outputs.md §4): one
//! `task.logissue` per finding, most severe first, and `task.complete result=Failed`
//! when the gate fails.

use super::{Report, most_severe_first, region};
use crate::outcome::{Exit, Gate};
use crate::rules::Severity;

/// Property values: `%`, CR, LF, `]` and `;` are escaped.
fn property(text: &str) -> String {
    text.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(']', "%5D")
        .replace(';', "%3B")
}

/// Messages: only `%`, CR and LF.
fn message(text: &str) -> String {
    text.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn render(report: &Report, gate: &Gate) -> String {
    let docs = &report.policy.documents;
    let findings = most_severe_first(report);
    let mut out = String::new();
    for finding in findings {
        let r = region(docs, &finding.origin);
        let text = match &finding.help {
            Some(help) => format!("{} — {help}", finding.message),
            None => finding.message.clone(),
        };
        match finding.severity {
            Severity::Error | Severity::Warning => out.push_str(&format!(
                "##vso[task.logissue type={};sourcepath={};linenumber={};columnnumber={};code={}]{}\n",
                if finding.severity == Severity::Error { "error" } else { "warning" },
                property(&r.path),
                r.start_line,
                r.start_column,
                property(finding.rule.id()),
                message(&text)
            )),
            // Azure has no lower issue type: notes are plain log lines.
            Severity::Note => out.push_str(&format!("patlint note [{}]: {}\n", finding.rule.id(), message(&text))),
        }
    }
    let s = report.summary();
    let summary = format!("patlint: {} tokens: {}", s.tokens, s.counts(", "));
    match gate.exit(report.tokens.iter().map(|t| &t.verdict)) {
        Exit::Clean => out.push_str(&format!("{summary}\n")),
        _ => out.push_str(&format!(
            "##vso[task.complete result=Failed;]{}\n",
            message(&summary)
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_task_library_does() {
        assert_eq!(property("a;b]c%d\r\ne"), "a%3Bb%5Dc%AZP25d%0D%0Ae");
        assert_eq!(message("50% done;]\nnext"), "50%AZP25 done;]%0Anext");
    }
}

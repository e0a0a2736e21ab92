//! `--format azure`: Azure Pipelines logging commands
//! (<https://github.com/microsoft/azure-pipelines-task-lib/blob/master/docs/commands.md>):
//! one `task.logissue` per finding, most severe first, and `task.complete result=Failed`
//! when the gate failed.

use super::{INVALID_POLICY, ProblemView, Report};
use crate::ci::azure::{message, property};
use crate::outcome::Exit;
use crate::rules::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for view in report.views_most_severe_first() {
        let (finding, r) = (view.finding, &view.region);
        let mut text = match &finding.help_with_link() {
            Some(help) => format!("{} — {help}", finding.message),
            None => finding.message.clone(),
        };
        // A waived finding is a warning with the waiver's reason, whatever its severity.
        let severity = match finding.waived_note() {
            Some(note) => {
                text = format!("{note} — {text}");
                Severity::Warning
            }
            None => finding.severity,
        };
        match severity {
            Severity::Error | Severity::Warning => out.push_str(&format!(
                "##vso[task.logissue type={};sourcepath={};linenumber={};columnnumber={};code={}]{}\n",
                if severity == Severity::Error { "error" } else { "warning" },
                property(&r.path),
                r.start_line,
                r.start_column,
                property(finding.rule.id()),
                message(&crate::ci::defuse(&text))
            )),
            // Azure has no lower issue type: notes are plain log lines.
            Severity::Note => out.push_str(&format!("patlint note [{}]: {}\n", finding.rule.id(), message(&crate::ci::defuse(&text)))),
        }
    }
    let s = report.summary();
    let summary = format!("patlint: {}: {}", s.tokens_phrase(), s.counts(", "));
    match report.gate.exit {
        Exit::Clean => out.push_str(&format!("{summary}\n")),
        _ => out.push_str(&format!(
            "##vso[task.complete result=Failed;]{}\n",
            message(&summary)
        )),
    }
    out
}

/// A refused policy's logging commands (exit 2: nothing was checked): an error issue on
/// each problem's place, and the task failed.
pub fn problems(problems: &[ProblemView]) -> String {
    let mut out = String::new();
    for view in problems {
        let r = &view.region;
        out.push_str(&format!(
            "##vso[task.logissue type=error;sourcepath={};linenumber={};columnnumber={};code={}]{}\n",
            property(&r.path),
            r.start_line,
            r.start_column,
            property(INVALID_POLICY),
            message(&crate::ci::defuse(&view.text()))
        ));
    }
    out.push_str(&format!(
        "##vso[task.complete result=Failed;]{}\n",
        message(&format!(
            "patlint: {} in the policy; nothing was checked",
            super::count_of(problems.len(), "problem", "problems")
        ))
    ));
    out
}

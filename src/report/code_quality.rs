//! `--format gitlab`: a GitLab Code Quality report
//! (<https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>): one
//! JSON array, a unique fingerprint per finding, the rule id as `check_name`.

use serde_json::json;

use super::{INVALID_POLICY, ProblemView, Report};
use crate::rules::Severity;

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

pub fn render(report: &Report) -> String {
    let issues: Vec<_> = report
        .views()
        .into_iter()
        .map(|view| {
            let finding = view.finding;
            let (mut description, severity) = match finding.waived_note() {
                Some(note) => (format!("{note}: {}", finding.message), "info"),
                None => (finding.message.clone(), severity(finding.severity)),
            };
            if let Some(url) = &finding.fix_url {
                description.push_str(&format!(" (new token: {url})"));
            }
            json!({
                "description": description,
                "check_name": finding.rule.id(),
                "fingerprint": view.fingerprint,
                "severity": severity,
                "location": { "path": view.region.path, "lines": { "begin": view.region.start_line } },
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("Code Quality serializes");
    out.push('\n');
    out
}

/// A refused policy's Code Quality report (exit 2: nothing was checked): one blocker per
/// problem, on its line, so that the merge request that broke the policy shows where.
pub fn problems(problems: &[ProblemView]) -> String {
    let issues: Vec<_> = problems
        .iter()
        .map(|view| {
            let r = &view.region;
            json!({
                "description": view.text().replace('\n', " "),
                "check_name": INVALID_POLICY,
                "fingerprint": format!("{:016x}", crate::evaluate::fnv1a(format!("{INVALID_POLICY}|{}|{}|{}", r.path, r.start_line, view.problem.message).as_bytes())),
                "severity": "blocker",
                "location": { "path": r.path, "lines": { "begin": r.start_line } },
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("Code Quality serializes");
    out.push('\n');
    out
}

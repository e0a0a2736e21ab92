//! `--format gitlab`: a GitLab Code Quality report (ci-outputs.md §3): one JSON array, a
//! unique fingerprint per finding, the rule id as `check_name`.

use serde_json::json;

use super::{Report, fingerprints, region};
use crate::rules::Severity;

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

pub fn render(report: &Report) -> String {
    let docs = &report.policy.documents;
    let prints = fingerprints(report);
    let mut issues = Vec::new();
    for (token, prints) in report.tokens.iter().zip(&prints) {
        for (finding, print) in token.verdict.findings.iter().zip(prints) {
            let r = region(docs, &finding.origin);
            issues.push(json!({
                "description": finding.message,
                "check_name": finding.rule.id(),
                "fingerprint": print,
                "severity": severity(finding.severity),
                "location": { "path": r.path, "lines": { "begin": r.start_line } },
            }));
        }
    }
    let mut out = serde_json::to_string_pretty(&issues).expect("Code Quality serializes");
    out.push('\n');
    out
}

//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it
//! (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>):
//! every rule described, every result with `ruleId`, `level`, a location in the policy
//! file (for a preset's setting, the `extends` entry) and a stable fingerprint, and
//! `results: []` when clean.

use serde_json::{Value, json};

use super::{INVALID_POLICY, ProblemView, Report};
use crate::rules::{Rule, Severity};

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rules() -> Vec<Value> {
    Rule::all()
        .map(|rule| {
            let meta = rule.meta();
            let fixes: Vec<String> = rule
                .fixes()
                .into_iter()
                .map(|text| format!("- {text}"))
                .collect();
            json!({
                "id": meta.id,
                "name": meta.id,
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": format!("{} {}", meta.summary, meta.why) },
                "help": {
                    "text": format!("{}\n\nHow to fix it:\n{}", meta.why, fixes.join("\n")),
                    "markdown": format!("{}\n\n**How to fix it**\n\n{}", meta.why, fixes.join("\n")),
                },
                // docs/rules.md, the rules table: `patlint explain RULE` has the rest.
                "helpUri": "https://github.com/patlint/patlint/blob/main/docs/rules.md#verdicts-and-rules",
                "defaultConfiguration": { "level": level(meta.default_severity) },
                "properties": { "tags": ["security", "credentials"], "precision": "high" },
            })
        })
        .collect()
}

pub fn render(report: &Report) -> String {
    let mut results = Vec::new();
    for view in report.views() {
        let (token, finding, r, print) =
            (view.token, view.finding, &view.region, &view.fingerprint);
        let rule_index = Rule::all()
            .position(|rule| rule == finding.rule)
            .expect("every rule is listed");
        let mut text = finding.message.clone();
        if let Some(help) = &finding.help_with_link() {
            text.push_str(&format!("\nFix: {help}"));
        }
        if let Some(evidence) = &finding.evidence {
            text.push_str(&format!("\nEvidence: {evidence}"));
        }
        let mut result = json!({
            "ruleId": finding.rule.id(),
            "ruleIndex": rule_index,
            "level": level(finding.severity),
            "message": { "text": text },
            "locations": [location(report.policy.path(), r)],
            "partialFingerprints": { "patlint/v1": print },
            "properties": { "token": token.subject.name(), "host": token.subject.host().as_str(), "status": token.verdict.status.as_str() },
        });
        // A waived finding is suppressed outside the tool's results, by the policy.
        if let Some(waived) = &finding.waived {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("waived until {}: {}", waived.until.strftime("%Y-%m-%d"), waived.reason),
            }]);
        }
        results.push(result);
    }

    log(
        report.policy.path(),
        rules(),
        results,
        ("properties", json!({ "facts": &report.facts })),
    )
}

/// The SARIF log of one run: patlint's rules, its results and one more property of the
/// run (its facts, or that it did not run).
fn log(policy: &str, rules: Vec<Value>, results: Vec<Value>, more: (&str, Value)) -> String {
    let mut run = json!({
        "tool": { "driver": {
            "name": "patlint",
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/patlint/patlint",
            "rules": rules,
        }},
        "automationDetails": { "id": "patlint/" },
        "originalUriBaseIds": base_ids(policy),
        "results": results,
    });
    run[more.0] = more.1;
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let mut out = serde_json::to_string_pretty(&sarif).expect("SARIF serializes");
    out.push('\n');
    out
}

/// Where a result is: its region of the policy file.
fn location(policy: &str, r: &super::Region) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact(policy),
            "region": {
                "startLine": r.start_line,
                "startColumn": r.start_column,
                "endLine": r.end_line,
                "endColumn": r.end_column,
            }
        }
    })
}

/// A refused policy's SARIF log (exit 2: nothing was checked): one `invalid-policy`
/// result per problem, where it is, so that code scanning shows a change that broke the
/// policy on the line it broke.
pub fn problems(policy: &str, problems: &[ProblemView]) -> String {
    let results: Vec<Value> = problems
        .iter()
        .map(|view| {
            let r = &view.region;
            json!({
                "ruleId": INVALID_POLICY,
                "ruleIndex": 0,
                "level": "error",
                "message": { "text": view.text() },
                "locations": [location(&view.problem.path, r)],
                "partialFingerprints": {
                    "patlint/v1": format!("{:016x}", crate::evaluate::fnv1a(format!("{INVALID_POLICY}|{}|{}", r.path, view.problem.message).as_bytes())),
                },
            })
        })
        .collect();
    let rule = json!({
        "id": INVALID_POLICY,
        "name": INVALID_POLICY,
        "shortDescription": { "text": "The policy is not valid: nothing was checked." },
        "fullDescription": { "text": "The policy file could not be read as a patlint policy, so no token was checked and the run exited 2." },
        "help": {
            "text": "Each result says what is wrong at its place in the policy and how to fix it; `patlint validate` shows them all.",
            "markdown": "Each result says what is wrong at its place in the policy and how to fix it; `patlint validate` shows them all.",
        },
        "helpUri": "https://github.com/patlint/patlint/blob/main/docs/policy.md",
        "defaultConfiguration": { "level": "error" },
        "properties": { "tags": ["security", "credentials"], "precision": "very-high" },
    });
    log(
        policy,
        vec![rule],
        results,
        (
            "invocations",
            json!([{ "executionSuccessful": false, "exitCode": 2 }]),
        ),
    )
}

/// The policy's artifact location: relative to `%SRCROOT%` inside a repository, else an
/// absolute `file://` URI (code scanning cannot place a bare absolute path).
fn artifact(path: &str) -> Value {
    let place = super::location::place(path);
    match place.root {
        Some(_) => json!({ "uri": place.uri(), "uriBaseId": "%SRCROOT%" }),
        None => json!({ "uri": place.uri() }),
    }
}

fn base_ids(path: &str) -> Value {
    match super::location::place(path).root_uri() {
        Some(root) => json!({ "%SRCROOT%": { "uri": root } }),
        None => json!({}),
    }
}

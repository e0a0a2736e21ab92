//! `--format json`: the frozen v1 contract (docs/json.md). These types are the contract;
//! internal types are converted into them, never serialized directly.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{FileLocation, ProblemView, Report, Summary, file_location};
use crate::evaluate::Status;
use crate::facts::{Grant, Observed, TokenFacts, TokenKind};
use crate::hosts::HostKind;
use crate::rules::{Rule, Severity};

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    policy: &'a str,
    evaluated_at: String,
    facts: &'a super::FactsSource,
    summary: Summary,
    tokens: Tokens<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonToken<'a> {
    name: &'a str,
    host: HostKind,
    status: Status,
    facts: JsonFacts<'a>,
    /// `patlint audit`: how an inventory lists the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    listed: Option<&'a super::ListedAs>,
    findings: Vec<JsonFinding<'a>>,
}

/// Facts a host cannot reveal are absent; `null` means "observed: none".
#[derive(Serialize, Default)]
struct JsonFacts<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<TokenKind>,
    #[serde(skip_serializing_if = "Observed::is_unobservable")]
    scopes: Observed<&'a BTreeSet<String>>,
    #[serde(skip_serializing_if = "Observed::is_unobservable")]
    expires_at: Observed<Option<String>>,
    #[serde(skip_serializing_if = "Observed::is_unobservable")]
    created_at: Observed<Option<String>>,
    #[serde(skip_serializing_if = "Observed::is_unobservable")]
    last_used_at: Observed<Option<String>>,
    /// What only the token's host reveals and the report shows.
    #[serde(flatten)]
    host: serde_json::Map<String, serde_json::Value>,
    /// Who the token acts as, when the host says.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a str>,
    /// What the probes settled: each grant with what it is on and the request that
    /// settled it (a fine-grained token's permissions, SSO authorizations).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    grants: &'a [Grant],
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: Rule,
    severity: Severity,
    message: &'a str,
    location: FileLocation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    /// Where the new token that fixes the finding is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waived: Option<JsonWaived<'a>>,
}

/// The waiver that accepts a finding.
#[derive(Serialize)]
struct JsonWaived<'a> {
    until: String,
    reason: &'a str,
    location: FileLocation<'a>,
}

fn instant(o: &Observed<Option<jiff::Timestamp>>) -> Observed<Option<String>> {
    o.map(|v| v.map(|t| t.to_string()))
}

fn facts(f: &TokenFacts) -> JsonFacts<'_> {
    JsonFacts {
        kind: Some(f.kind),
        scopes: match f.scopes.value() {
            Some(scopes) => Observed::bare(scopes),
            None => Observed::default(),
        },
        expires_at: instant(&f.expires_at),
        created_at: instant(&f.created_at),
        last_used_at: instant(&f.last_used_at),
        host: f
            .host
            .reported()
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
        identity: f.identity.as_deref(),
        grants: &f.grants,
    }
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the report is UTF-8")
}

/// Writes the report, each token serialized as it is written: a report of any size is
/// never held whole.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let items = report.items();
    let json = JsonReport {
        schema_version: 1,
        tool: Tool {
            name: "patlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        policy: report.policy.path(),
        evaluated_at: report.evaluated_at.to_string(),
        facts: &report.facts,
        summary: report.summary(),
        tokens: Tokens {
            report,
            items: &items,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    out.write_all(b"\n")
}

/// The report's items, each made into its JSON token as it is serialized.
struct Tokens<'r> {
    report: &'r Report<'r>,
    items: &'r [super::TokenReport<'r>],
}

impl Serialize for Tokens<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let docs = &self.report.policy.documents;
        serializer.collect_seq(self.items.iter().map(|t| token(docs, t)))
    }
}

fn token<'a>(docs: &'a crate::policy::Documents, t: &super::TokenReport<'a>) -> JsonToken<'a> {
    JsonToken {
        name: t.subject.name(),
        host: t.subject.host(),
        status: t.verdict.status,
        facts: t.facts().map(facts).unwrap_or_default(),
        listed: t.subject.listed(),
        findings: t
            .verdict
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule,
                severity: f.severity,
                message: &f.message,
                location: file_location(docs, &f.origin),
                evidence: f.evidence.as_deref(),
                help: f.help.as_deref(),
                fix_url: f.fix_url.as_deref(),
                waived: f.waived.as_ref().map(|w| JsonWaived {
                    until: w.until.to_string(),
                    reason: &w.reason,
                    location: file_location(docs, &w.origin),
                }),
            })
            .collect(),
    }
}

/// The document `--format json` writes for a refused policy (exit 2: nothing was
/// checked): the policy and every problem found in it, in place of `summary` and `tokens`.
#[derive(Serialize)]
struct JsonRefusal<'a> {
    schema_version: u32,
    tool: Tool,
    policy: &'a str,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    /// The file as `--policy` named it (a preset's problem: `builtin:NAME`).
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    /// What the problem's span is, in a few words.
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

pub fn problems(policy: &str, problems: &[ProblemView]) -> String {
    let refusal = JsonRefusal {
        schema_version: 1,
        tool: Tool {
            name: "patlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        policy,
        problems: problems
            .iter()
            .map(|view| {
                let p = view.problem;
                JsonProblem {
                    path: &p.path,
                    line: p.line,
                    column: p.column,
                    message: &p.message,
                    label: &p.label,
                    help: p.help.as_deref(),
                }
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&refusal).expect("the problems serialize");
    out.push('\n');
    out
}

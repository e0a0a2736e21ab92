//! Reports render a finished evaluation; they decide nothing. One file per format; the
//! view of a finding they share ([`FindingView`]) is built here.

pub mod azure_pipelines;
pub mod code_quality;
pub mod github_actions;
pub mod human;
pub mod json;
pub mod junit;
pub mod location;
pub mod markdown;
pub mod openmetrics;
pub mod sarif;

use jiff::Timestamp;
use serde::Serialize;

pub use crate::evaluate::audit::ListedAs;
use crate::evaluate::audit::{AuditResult, InventoryAudit};
use crate::evaluate::{Finding, Judged, Status, Subject, TokenVerdict, Verdict, fnv1a};
use crate::facts::{Observation, TokenFacts};
use crate::outcome::{Decision, Exit, Gate};
use crate::policy::{Documents, Origin, Policy};

/// Everything a format needs: the policy, what was observed, the verdicts and the gate's
/// decision on them.
pub struct Report<'p> {
    pub policy: &'p Policy,
    pub evaluated_at: Timestamp,
    /// Where the facts came from: every format says when they are a replay.
    pub facts: FactsSource,
    /// The declared tokens, in policy order.
    pub tokens: Vec<TokenVerdict<'p>>,
    /// `patlint audit`: what each inventory lists that no `[[token]]` declares, and the
    /// inventory itself when its listing failed or is incomplete (none for `check`).
    pub inventories: Vec<InventoryAudit<'p>>,
    pub gate: Decision,
}

/// One item of the report, whatever it is: a declared token, an undeclared one, or an
/// inventory with findings of its own.
#[derive(Clone, Copy)]
pub struct TokenReport<'r> {
    pub subject: &'r dyn Subject,
    pub observation: Option<&'r Observation>,
    pub verdict: &'r Verdict,
}

impl<'r> TokenReport<'r> {
    fn of<T: Subject>(judged: &'r Judged<T>) -> Self {
        TokenReport {
            subject: &judged.item,
            observation: judged.observation.as_ref(),
            verdict: &judged.verdict,
        }
    }

    /// What the host showed of the token, when it showed it.
    pub fn facts(&self) -> Option<&'r TokenFacts> {
        self.observation.and_then(Observation::facts)
    }

    /// Whether this is the same item as `other` (not merely one alike).
    pub fn is(&self, other: &TokenReport) -> bool {
        std::ptr::eq(self.verdict, other.verdict)
    }
}

/// Where a report's facts came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum FactsSource {
    /// Asked of the hosts in this run.
    Live { observed_at: Timestamp },
    /// Read from a facts file (`check --facts`): nothing was asked in this run.
    File {
        path: String,
        observed_at: Timestamp,
    },
}

impl FactsSource {
    pub fn observed_at(&self) -> Timestamp {
        match self {
            FactsSource::Live { observed_at } | FactsSource::File { observed_at, .. } => {
                *observed_at
            }
        }
    }

    /// "verdicts from the facts file `F`, observed at T", for a replay.
    pub fn replay_note(&self) -> Option<String> {
        match self {
            FactsSource::Live { .. } => None,
            FactsSource::File { path, observed_at } => Some(format!(
                "verdicts from the facts file `{path}`, observed at {observed_at}, not from the hosts"
            )),
        }
    }
}

impl<'p> Report<'p> {
    /// The report of `check`: the declared tokens alone.
    pub fn new(
        policy: &'p Policy,
        evaluated_at: Timestamp,
        facts: FactsSource,
        tokens: Vec<TokenVerdict<'p>>,
        gate: &Gate,
    ) -> Self {
        let result = AuditResult {
            declared: tokens,
            inventories: Vec::new(),
        };
        Self::of_audit(policy, evaluated_at, facts, result, gate)
    }

    /// The report of `patlint audit`.
    pub fn of_audit(
        policy: &'p Policy,
        evaluated_at: Timestamp,
        facts: FactsSource,
        result: AuditResult<'p>,
        gate: &Gate,
    ) -> Self {
        Report {
            policy,
            evaluated_at,
            facts,
            gate: gate.decide(result.verdicts()),
            tokens: result.declared,
            inventories: result.inventories,
        }
    }

    /// Every item, in report order: the declared tokens, then per inventory its
    /// undeclared tokens and itself.
    pub fn items(&self) -> Vec<TokenReport<'_>> {
        let declared = self.tokens.iter().map(TokenReport::of);
        let audited = self.inventories.iter().flat_map(|inventory| {
            let undeclared = inventory.undeclared.iter().map(TokenReport::of);
            undeclared.chain(inventory.own.iter().map(TokenReport::of))
        });
        declared.chain(audited).collect()
    }

    /// Every finding as the formats see it, in report order.
    pub fn views(&self) -> Vec<FindingView<'_>> {
        let docs = &self.policy.documents;
        let mut fingerprints = Fingerprints::new(docs);
        let mut views = Vec::new();
        for token in self.items() {
            for finding in &token.verdict.findings {
                views.push(FindingView {
                    token,
                    finding,
                    region: region(docs, &finding.origin),
                    fingerprint: fingerprints.next(token.subject.name(), finding),
                    fails_gate: self.gate.fails(finding),
                });
            }
        }
        views
    }

    /// Every finding's view, the most severe first: CI runners keep only the first few.
    pub fn views_most_severe_first(&self) -> Vec<FindingView<'_>> {
        let mut views = self.views();
        views.sort_by_key(|v| std::cmp::Reverse(v.finding.severity));
        views
    }
}

/// One finding as every format sees it.
pub struct FindingView<'r> {
    pub token: TokenReport<'r>,
    pub finding: &'r Finding,
    /// Where it points in the policy file.
    pub region: Region,
    /// Its stable identity across runs.
    pub fingerprint: String,
    /// Whether the gate fails because of it (decided in `outcome`).
    pub fails_gate: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Tokens: declared, and (`patlint audit`) listed by an inventory.
    pub tokens: usize,
    /// `patlint audit`: inventories that are items of the report themselves (their
    /// listing failed or is incomplete).
    #[serde(skip_serializing_if = "is_zero")]
    pub inventories: usize,
    pub pass: usize,
    pub fail: usize,
    pub unverifiable: usize,
    pub error: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// "1 token", "3 tokens": a count and its noun.
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

impl Summary {
    /// "3 tokens", "1 token", "3 tokens and 1 inventory".
    pub fn tokens_phrase(&self) -> String {
        let tokens = count_of(self.tokens, "token", "tokens");
        match self.inventories {
            0 => tokens,
            n => format!("{tokens} and {}", count_of(n, "inventory", "inventories")),
        }
    }

    /// Whether nothing could be checked: every item ended in `error`.
    pub fn none_checked(&self) -> bool {
        self.error > 0 && self.error == self.tokens + self.inventories
    }

    /// "1 pass, 2 fail, 0 unverifiable, 1 error", with the given separator.
    pub fn counts(&self, separator: &str) -> String {
        [
            (self.pass, "pass"),
            (self.fail, "fail"),
            (self.unverifiable, "unverifiable"),
            (self.error, "error"),
        ]
        .map(|(n, word)| format!("{n} {word}"))
        .join(separator)
    }
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        let items = self.items();
        let inventories = self
            .inventories
            .iter()
            .filter(|inventory| inventory.own.is_some())
            .count();
        let mut s = Summary {
            tokens: items.len() - inventories,
            inventories,
            ..Summary::default()
        };
        for t in &items {
            match t.verdict.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Unverifiable => s.unverifiable += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }

    /// What the gate decided, in words, for a closing line: it says what the exit code says.
    pub fn gate_phrase(&self) -> &'static str {
        match (self.gate.exit, self.summary().error) {
            (Exit::Violation, _) => "the gate fails (exit 1)",
            (Exit::Unchecked, _) => "not everything could be checked (exit 3)",
            (_, 0) => "the gate passes (exit 0)",
            _ => "the gate passes (exit 0: --allow-unchecked)",
        }
    }
}

/// A place in the policy file: for a setting that comes from a preset, the `extends`
/// entry that brought the preset in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileLocation<'d> {
    pub path: &'d str,
    pub line: usize,
    pub column: usize,
}

/// A region of the policy file, 1-based and inclusive of its start, for the CI formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The policy path, relative to the repository root when it is inside one, with `/`.
    pub path: String,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

fn span_in_policy(documents: &Documents, origin: &Origin) -> std::ops::Range<usize> {
    let doc = documents.get(origin.doc);
    doc.included_at
        .clone()
        .unwrap_or_else(|| origin.span.clone())
}

pub fn file_location<'d>(documents: &'d Documents, origin: &Origin) -> FileLocation<'d> {
    let span = span_in_policy(documents, origin);
    let policy = documents.policy();
    let (line, column) = policy.line_col(span.start);
    FileLocation {
        path: &policy.name,
        line,
        column,
    }
}

pub fn region(documents: &Documents, origin: &Origin) -> Region {
    let span = span_in_policy(documents, origin);
    let policy = documents.policy();
    let (start_line, start_column) = policy.line_col(span.start);
    let (end_line, end_column) = policy.line_col(span.end.max(span.start + 1));
    Region {
        path: repo_relative(&policy.name),
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// One problem of a policy that was refused (exit 2: nothing was checked), as the
/// machine formats carry it, so that a change that breaks the policy is annotated where
/// it broke it.
pub struct ProblemView<'e> {
    pub problem: &'e crate::policy::PolicyError,
    pub region: Region,
}

impl ProblemView<'_> {
    /// The problem and how to fix it, as one text.
    pub fn text(&self) -> String {
        match &self.problem.help {
            Some(help) => format!("{}\n{help}", self.problem.message),
            None => self.problem.message.clone(),
        }
    }
}

/// Every problem of a refused policy, in the order validation found them.
pub fn problem_views(problems: &crate::policy::PolicyErrors) -> Vec<ProblemView<'_>> {
    problems
        .0
        .iter()
        .map(|problem| {
            let end = problem.span.offset() + problem.span.len().max(1);
            let (end_line, end_column) = problem.src.line_col(end);
            ProblemView {
                problem,
                region: Region {
                    path: repo_relative(&problem.path),
                    start_line: problem.line,
                    start_column: problem.column,
                    end_line: end_line.max(problem.line),
                    end_column,
                },
            }
        })
        .collect()
}

/// The rule id every format gives a policy problem.
pub const INVALID_POLICY: &str = "invalid-policy";

/// Code scanning and merge-request widgets want paths relative to the repository.
fn repo_relative(path: &str) -> String {
    location::place(path).path
}

/// A stable identity for a finding across runs: its rule, token and the setting it comes
/// from (not its message, which carries dates), plus an index among identical ones.
struct Fingerprints<'d> {
    documents: &'d Documents,
    /// How many findings so far had each identity.
    seen: std::collections::HashMap<u64, usize>,
}

impl<'d> Fingerprints<'d> {
    fn new(documents: &'d Documents) -> Self {
        Fingerprints {
            documents,
            seen: std::collections::HashMap::new(),
        }
    }

    /// The fingerprint of the next finding, in report order.
    fn next(&mut self, token: &str, f: &Finding) -> String {
        // The setting's text, not its offset: editing another line of the policy must
        // not reopen every alert.
        let doc = self.documents.get(f.origin.doc);
        let setting = doc.text.get(f.origin.span.clone()).unwrap_or_default();
        // The policy's place in the repository, not how `--policy` spelled it.
        let name = match f.origin.doc {
            crate::policy::Documents::POLICY => repo_relative(&doc.name),
            _ => doc.name.clone(),
        };
        let key = format!("{}|{}|{}|{}", f.rule.id(), token, name, setting);
        let base = fnv1a(key.as_bytes());
        let n = self.seen.entry(base).or_insert(0);
        *n += 1;
        format!("{:016x}", fnv1a(format!("{key}|{n}").as_bytes()))
    }
}

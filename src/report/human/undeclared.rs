//! An inventory's undeclared tokens in the human report: one diagnostic for them all,
//! pointing at the inventory, with what to do about each kind of finding once, then a
//! table of one line per token (owner, name, id, expiry, what is wrong), sorted by owner
//! and then by how severe its findings are. Thousands of listed tokens stay readable; the
//! machine formats keep one finding per token.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use super::{Style, render_diagnostic, source_of};
use crate::evaluate::audit::{InventoryAudit, UndeclaredVerdict};
use crate::evaluate::{Finding, Status};
use crate::facts::Observed;
use crate::policy::{Documents, IndexedSource};
use crate::rules::{Rule, Severity};

/// The diagnostic and table of an inventory's undeclared tokens that have any finding;
/// nothing when none has.
pub(super) fn render(inventory: &InventoryAudit, docs: &Documents, style: Style) -> String {
    let mut rows: Vec<Row> = inventory
        .undeclared
        .iter()
        .filter(|token| !token.verdict.findings.is_empty())
        .map(Row::of)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by(|a, b| {
        by_owner(a.owner, b.owner)
            .then(b.worst.cmp(&a.worst))
            .then_with(|| a.name.cmp(b.name))
            .then_with(|| a.id.cmp(b.id))
    });
    let header = Header::of(inventory, docs, rows.len());
    let mut out = render_diagnostic(&header, style);
    out.push('\n');
    table(&mut out, &rows);
    out.push('\n');
    out
}

/// The status line of an inventory's undeclared tokens: the worst status among them, how
/// many there are, and how many of each status.
pub(super) fn status_line(inventory: &InventoryAudit) -> Option<String> {
    let tokens = &inventory.undeclared;
    let worst = tokens.iter().map(|t| t.verdict.status).max()?;
    let mut counts: BTreeMap<std::cmp::Reverse<Status>, usize> = BTreeMap::new();
    for token in tokens {
        *counts
            .entry(std::cmp::Reverse(token.verdict.status))
            .or_default() += 1;
    }
    let counts: Vec<String> = counts
        .into_iter()
        .map(|(status, n)| format!("{n} {}", status.0.as_str()))
        .collect();
    let n = tokens.len();
    let shown = match tokens.iter().any(|t| !t.verdict.findings.is_empty()) {
        true => "in the table above",
        false => "nothing to report",
    };
    Some(format!(
        "{:>12}  {}: {n} undeclared token{} ({}), {shown}\n",
        super::status_word(worst),
        inventory.spec.token.name,
        plural(n),
        counts.join(", ")
    ))
}

/// Owners in order, those a listing gives no owner last; owners that are numbers (GitLab
/// user ids) first, in the order of their values (by length, then digit by digit).
fn by_owner(a: &str, b: &str) -> std::cmp::Ordering {
    owner_key(a).cmp(&owner_key(b))
}

fn owner_key(owner: &str) -> (bool, bool, usize, &str) {
    let number = !owner.is_empty() && owner.bytes().all(|b| b.is_ascii_digit());
    let digits = owner.trim_start_matches('0');
    match number {
        true => (false, false, digits.len(), digits),
        false => (owner.is_empty(), true, 0, owner),
    }
}

/// One undeclared token, as its line of the table shows it.
struct Row<'a> {
    owner: &'a str,
    name: &'a str,
    id: &'a str,
    expires: String,
    /// Its most severe active finding's severity (none: every finding is waived).
    worst: Option<Severity>,
    wrong: String,
}

impl<'a> Row<'a> {
    fn of(token: &'a UndeclaredVerdict) -> Self {
        let listed = &token.item.listed;
        let findings = &token.verdict.findings;
        let active = || findings.iter().filter(|f| f.waived.is_none());
        Row {
            owner: listed.owner.as_deref().unwrap_or_default(),
            name: listed.name.as_deref().unwrap_or_default(),
            id: &listed.id,
            expires: expiry(token),
            worst: active().map(|f| f.severity).max(),
            wrong: what_is_wrong(findings),
        }
    }
}

/// "2027-01-01", "never", or "unknown" when the listing did not say.
fn expiry(token: &UndeclaredVerdict) -> String {
    let facts = token.observation.as_ref().and_then(|o| o.facts());
    match facts.map(|f| &f.expires_at) {
        Some(Observed::Value {
            value: Some(at), ..
        }) => crate::evaluate::date_of(*at),
        Some(Observed::Value { value: None, .. }) => "never".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// "error: no-expiry · warning: stale-token, undeclared-token · waived: …": the rules
/// of its findings, grouped by severity, the most severe first.
fn what_is_wrong(findings: &[Finding]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut add = |group: &'static str, rule: Rule| match groups.iter_mut().find(|g| g.0 == group) {
        Some((_, rules)) if !rules.contains(&rule.id()) => rules.push(rule.id()),
        Some(_) => {}
        None => groups.push((group, vec![rule.id()])),
    };
    let mut active: Vec<&Finding> = findings.iter().filter(|f| f.waived.is_none()).collect();
    active.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for finding in active {
        add(finding.severity.as_str(), finding.rule);
    }
    for finding in findings.iter().filter(|f| f.waived.is_some()) {
        add("waived", finding.rule);
    }
    let groups: Vec<String> = groups
        .into_iter()
        .map(|(group, rules)| format!("{group}: {}", rules.join(", ")))
        .collect();
    groups.join(" · ")
}

/// Columns wider than this are cut (with `…`): a host's names may be long.
const MAX_COLUMN: usize = 32;

fn table(out: &mut String, rows: &[Row]) {
    let titles = ["owner", "name", "id", "expires"];
    let cells = |row: &Row<'_>| -> [String; 4] {
        [row.owner, row.name, row.id, &row.expires].map(|cell| match cell {
            "" => "—".to_owned(),
            cell => cut(cell),
        })
    };
    let mut widths = titles.map(|t| t.chars().count());
    let lines: Vec<[String; 4]> = rows.iter().map(cells).collect();
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = |cells: [&str; 4], wrong: &str| {
        out.push_str("    ");
        for (cell, width) in cells.iter().zip(widths) {
            let _ = write!(out, "{cell:<width$}  ");
        }
        out.push_str(wrong);
        out.push('\n');
    };
    line(titles, "what is wrong");
    for (cells, row) in lines.iter().zip(rows) {
        line([&cells[0], &cells[1], &cells[2], &cells[3]], &row.wrong);
    }
}

/// A cell's text, cut to [`MAX_COLUMN`] characters.
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_COLUMN {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_COLUMN - 1).collect();
    cut.push('…');
    cut
}

/// The diagnostic over the table: at the inventory's name, as severe as the most severe
/// active finding, with each rule's fix once.
struct Header {
    message: String,
    severity: Severity,
    help: String,
    source: IndexedSource,
    span: std::ops::Range<usize>,
}

impl Header {
    fn of(inventory: &InventoryAudit, docs: &Documents, shown: usize) -> Self {
        let token = &inventory.spec.token;
        let listed = inventory.undeclared.len();
        // Each rule's count, and its help when every token's is the same.
        let mut by_rule: BTreeMap<Rule, (usize, Same<Option<&str>>)> = BTreeMap::new();
        let mut sources: BTreeSet<&str> = BTreeSet::new();
        let mut link = Same::Nothing;
        let mut worst = Severity::Note;
        for token in &inventory.undeclared {
            sources.insert(&token.item.listed.source);
            for finding in &token.verdict.findings {
                let (n, help) = by_rule.entry(finding.rule).or_default();
                *n += 1;
                help.add(finding.help.as_deref());
                if finding.waived.is_none() {
                    worst = worst.max(finding.severity);
                }
                if let Some(this) = finding.fix_url.as_deref() {
                    link.add(this);
                }
            }
        }
        let host = token.host();
        let mut help = String::new();
        for (rule, (n, same)) in by_rule {
            let fix = match (rule, same.one().flatten()) {
                (Rule::UndeclaredToken, _) => declare(inventory),
                (_, Some(same)) => same.to_owned(),
                (_, None) => rule.fix_for(host).unwrap_or(rule.meta().summary).to_owned(),
            };
            let _ = writeln!(help, "{} ({n} token{}): {fix}", rule.id(), plural(n));
        }
        if let Some(link) = link.one() {
            let _ = writeln!(help, "new token: {link}");
        }
        let _ = write!(help, "evidence: listed by {}", listed_by(&sources));
        let unshown = match listed - shown {
            0 => String::new(),
            n => format!(" ({n} more with nothing to report are not shown)"),
        };
        let doc = docs.get(token.origin.doc);
        Header {
            message: format!(
                "inventory `{}` lists {listed} token{} that no [[token]] declares, one a line below{unshown}",
                token.name,
                plural(listed)
            ),
            severity: worst,
            help,
            source: source_of(doc),
            span: token.origin.span.clone(),
        }
    }
}

/// The one value several are, when they are all the same.
#[derive(Default)]
enum Same<T> {
    #[default]
    Nothing,
    One(T),
    Several,
}

impl<T: PartialEq> Same<T> {
    fn add(&mut self, this: T) {
        *self = match std::mem::take(self) {
            Same::Nothing => Same::One(this),
            Same::One(same) if same == this => Same::One(same),
            _ => Same::Several,
        };
    }

    fn one(self) -> Option<T> {
        match self {
            Same::One(same) => Some(same),
            _ => None,
        }
    }
}

/// "GET /orgs/acme/personal-access-tokens", or, past a few, how many and the first.
fn listed_by(sources: &BTreeSet<&str>) -> String {
    const NAMED: usize = 3;
    let named: Vec<&str> = sources.iter().take(NAMED).copied().collect();
    match sources.len() {
        n if n <= NAMED => named.join(", "),
        n => format!("{n} requests, such as {}", named.join(", ")),
    }
}

/// What to do with the tokens nobody declares, said once for them all.
fn declare(inventory: &InventoryAudit) -> String {
    let name = &inventory.spec.token.name;
    let key = crate::evaluate::audit::declare_key(inventory.spec.token.host(), "ID");
    format!(
        "if an integration uses a token, declare it with a [[token]] naming {key}; if nobody does, revoke it; to accept one for now, waive `undeclared-token` for `{name}.ID` (`{name}.*` for them all)"
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Header")
    }
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Header {}

impl Diagnostic for Header {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(Rule::UndeclaredToken.id()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(super::miette_severity(self.severity))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some("listed here, declared nowhere".into()),
                (self.span.start, self.span.end - self.span.start),
            ),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_in_order_numbers_by_value_and_none_last() {
        let mut owners = vec!["", "bob", "10", "alice", "9", "0100", "2"];
        owners.sort_by(|a, b| by_owner(a, b));
        assert_eq!(owners, ["2", "9", "10", "0100", "alice", "bob", ""]);
    }
}

//! `--format github`: workflow-command annotations, most severe first (the runner keeps
//! ten per type), and a Markdown job summary with a table of tokens and a Mermaid
//! timeline of their validity windows
//! (<https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>).

use jiff::{SignedDuration, Timestamp};

use super::{INVALID_POLICY, ProblemView, Report, TokenReport};
use crate::ci::github::{data, property};
use crate::evaluate::Status;
use crate::facts::{Observed, Settled, TokenFacts};
use crate::rules::Severity;

pub fn annotations(report: &Report) -> String {
    let views = report.views_most_severe_first();
    let mut lines: Vec<(&'static str, String)> = views
        .iter()
        .map(|view| {
            let (finding, r) = (view.finding, &view.region);
            // A waived finding is news, not a problem: a notice with the waiver's reason.
            let command = match (finding.severity, &finding.waived) {
                (_, Some(_)) | (Severity::Note, _) => "notice",
                (Severity::Error, None) => "error",
                (Severity::Warning, None) => "warning",
            };
            let mut text = match finding.waived_note() {
                Some(note) => format!("{note}\n{}", finding.message),
                None => finding.message.clone(),
            };
            if let Some(help) = &finding.help_with_link() {
                text.push_str(&format!("\n{help}"));
            }
            (command, annotation(command, r, finding.rule.id(), &text))
        })
        .collect();
    say_what_the_runner_drops(&mut lines);
    lines.into_iter().map(|(_, line)| line + "\n").collect()
}

/// A refused policy's annotations (exit 2: nothing was checked): an error on each
/// problem's place, so that a pull request that breaks the policy is annotated there.
pub fn problem_annotations(problems: &[ProblemView]) -> String {
    let mut lines: Vec<(&'static str, String)> = problems
        .iter()
        .map(|view| {
            let line = annotation("error", &view.region, INVALID_POLICY, &view.text());
            ("error", line)
        })
        .collect();
    say_what_the_runner_drops(&mut lines);
    lines.into_iter().map(|(_, line)| line + "\n").collect()
}

/// One annotation: `::COMMAND file=…,line=…,…,title=…::TEXT`, its properties and text
/// escaped as workflow commands escape them, and nothing in the text a command.
fn annotation(command: &str, r: &super::Region, title: &str, text: &str) -> String {
    format!(
        "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
        property(&r.path),
        r.start_line,
        r.end_line,
        r.start_column,
        r.end_column,
        property(title),
        data(&crate::ci::defuse(text))
    )
}

/// The runner shows at most ten annotations of each type per step and drops the rest
/// silently (<https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>,
/// "limits"): the tenth of a type says how many more there are.
const ANNOTATIONS_PER_TYPE: usize = 10;

fn say_what_the_runner_drops(lines: &mut [(&'static str, String)]) {
    for kind in ["error", "warning", "notice"] {
        let of_kind: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == kind).collect();
        if of_kind.len() > ANNOTATIONS_PER_TYPE {
            let more = of_kind.len() - ANNOTATIONS_PER_TYPE;
            let tenth = of_kind[ANNOTATIONS_PER_TYPE - 1];
            lines[tenth].1.push_str(&data(&format!(
                "\n(and {more} more {kind} annotation{} the runner does not show: see the job summary or `--format json`)",
                if more == 1 { "" } else { "s" }
            )));
        }
    }
}

/// Whose a token is, as its inventory lists it or as its host named it.
fn owner(t: &TokenReport) -> String {
    t.subject
        .listed()
        .and_then(|l| l.owner.clone())
        .or_else(|| t.facts().and_then(|f| f.identity.clone()))
        .unwrap_or_else(|| "—".to_owned())
}

pub(super) fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// A token's "Expires" and "Days left" cells, as of `now`.
pub(super) fn expiry(facts: Option<&TokenFacts>, now: Timestamp) -> (String, String) {
    match facts.map(|f| &f.expires_at) {
        Some(Observed::Value {
            value: Some(at), ..
        }) => (
            date(*at),
            (at.duration_since(now).as_hours() / 24).to_string(),
        ),
        Some(Observed::Value { value: None, .. }) => ("never".into(), "—".into()),
        _ => ("not observable".into(), "—".into()),
    }
}

pub(super) fn status_cell(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Unverifiable => "❔ unverifiable",
        Status::Error => "⚠️ error",
    }
}

/// Text from a host inside a Markdown table cell: `|` would end the cell, `\\` and
/// backticks could change it, and a newline would end the row.
fn markdown_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => cell.push(' '),
            // Markup a host's text could use to link, embed or restyle (an owner named
            // `[x](https://…)`): escaped, so the cell shows the text as it is.
            '\\' | '|' | '[' | ']' | '(' | ')' | '<' | '>' | '!' | '*' | '_' | '`' | '~' => {
                cell.push('\\');
                cell.push(c);
            }
            c if c.is_control() => cell.push(' '),
            c => cell.push(c),
        }
    }
    cell
}

/// A host's word as code in a table cell: a code span shows its text as it is, but a
/// backtick would end it, and `|` the cell (GitHub's tables split on it even there).
fn code_cell(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '`' || c.is_control() { ' ' } else { c })
        .collect();
    format!("`{}`", text.replace('|', "\\|"))
}

/// Mermaid task names may not contain `:` or `#`; table cells not `|`.
fn plain(text: &str) -> String {
    text.replace([':', '#', ';'], " ")
        .replace('|', "/")
        .replace(|c: char| c.is_control() || c == '`', " ")
}

pub fn summary(report: &Report) -> String {
    let now = report.evaluated_at;
    let s = report.summary();
    let mut out = format!(
        "## patlint: {} against `{}`\n\n{} (as of {})\n\n",
        s.tokens_phrase(),
        report.policy.path(),
        s.counts(" · "),
        date(now)
    );
    if let Some(note) = report.facts.replay_note() {
        out.push_str(&format!(
            "> [!NOTE]\n> {}\n\n",
            note.replace(['\n', '\r'], " ")
        ));
    }
    // An audit lists tokens by owner: who to ask about each.
    let items = report.items();
    let audit = items.iter().any(|t| t.subject.listed().is_some());
    let mut tokens = items.clone();
    // The column of waived findings, only when a waiver accepts something.
    let any_waived = items
        .iter()
        .any(|t| t.verdict.findings.iter().any(|f| f.waived.is_some()));
    let mut columns = vec![
        "Token",
        "Host",
        "Status",
        "Expires",
        "Days left",
        "Scopes",
        "Findings",
    ];
    if audit {
        tokens.sort_by_key(|t| (owner(t), t.subject.name().to_owned()));
        columns.insert(0, "Owner");
    }
    if any_waived {
        columns.push("Waived");
    }
    out.push_str(&format!(
        "| {} |\n|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    ));
    for (rows, t) in tokens.iter().enumerate() {
        let facts = t.facts();
        let (expires, days) = expiry(facts, now);
        let scopes = facts.map_or_else(|| "not observable".to_owned(), scopes_cell);
        let list = |waived: bool| {
            let ids: Vec<String> = t
                .verdict
                .findings
                .iter()
                .filter(|f| f.waived.is_some() == waived)
                .map(|f| match (&f.waived, waived) {
                    (Some(w), true) => format!("{} (until {})", f.rule.id(), date(w.until)),
                    _ => f.rule.id().to_owned(),
                })
                .collect();
            if ids.is_empty() {
                "—".to_owned()
            } else {
                ids.join(", ")
            }
        };
        let findings = list(false);
        let waived = match any_waived {
            true => format!(" {} |", list(true)),
            false => String::new(),
        };
        let owner_cell = match audit {
            true => format!("| {} ", markdown_cell(&owner(t))),
            false => String::new(),
        };
        let row = format!(
            "{owner_cell}| {} | {} | {} | {} | {} | {} | {findings} |{waived}\n",
            plain(t.subject.name()),
            t.subject.host(),
            status_cell(t.verdict.status),
            expires,
            days,
            scopes,
        );
        if out.len() + row.len() > MAX_TABLE_BYTES {
            out.push_str(&format!(
                "\n… and {} more tokens: GitHub shows at most 1 MiB of a step summary; the JSON report (`--format json`) has every token.\n",
                items.len() - rows
            ));
            break;
        }
        out.push_str(&row);
    }
    out.push_str(&timeline(report));
    out
}

/// A token's "Scopes" cell: its scopes; for a token that has none to show (a fine-grained
/// one), what the probes settled, each `permission ✓`, `✗` or `?` on what it was probed on.
fn scopes_cell(facts: &TokenFacts) -> String {
    match &facts.scopes {
        Observed::Value { value: scopes, .. } if !scopes.is_empty() => scopes
            .iter()
            .map(|s| code_cell(s))
            .collect::<Vec<_>>()
            .join(" "),
        _ if !facts.grants.is_empty() => {
            let grants: Vec<String> = facts
                .grants
                .iter()
                .map(|grant| {
                    let mark = match grant.settled {
                        Settled::Granted => "✓",
                        Settled::Missing { .. } | Settled::Refused { .. } => "✗",
                        Settled::Unverifiable { .. } => "?",
                    };
                    format!(
                        "{} {mark} on {}",
                        code_cell(&grant.permission),
                        markdown_cell(&grant.target)
                    )
                })
                .collect();
            format!("probed: {}", grants.join(", "))
        }
        Observed::Value { .. } => "none".into(),
        _ => "not observable".into(),
    }
}

/// GitHub refuses a step summary over 1 MiB
/// (<https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#step-isolation-and-limits>):
/// the table stops short of it, leaving room for the chart.
const MAX_TABLE_BYTES: usize = 1024 * 1024 - MAX_CHART_CHARS - 16 * 1024;

/// Mermaid refuses charts over its default `maxTextSize` (50,000 characters); the chart
/// stays well within it, whatever the number of tokens.
const MAX_CHART_CHARS: usize = 40_000;

/// A Gantt chart: each token's validity window, its warning window, and the day of the
/// evaluation, so a reader sees at a glance what expires when. With many tokens, those
/// that expire first are charted, and the chart says how many are left out.
fn timeline(report: &Report) -> String {
    let now = report.evaluated_at;
    let mut sections: Vec<(Timestamp, String)> = report
        .items()
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let facts = t.facts()?;
            let expires = match facts.expires_at {
                Observed::Value {
                    value: Some(end), ..
                } => end,
                _ => Timestamp::MAX,
            };
            Some((expires, section(t, facts, i, now)))
        })
        .collect();
    if sections.is_empty() {
        return String::new();
    }
    let total = sections.len();
    sections.sort_by_key(|(expires, _)| *expires);
    let mut bars = String::new();
    let mut shown = 0;
    for (_, section) in &sections {
        if bars.len() + section.len() > MAX_CHART_CHARS {
            break;
        }
        bars.push_str(section);
        shown += 1;
    }
    let mut chart = String::new();
    if shown < total {
        chart.push_str(&format!(
            "\nThe chart shows the {shown} tokens that expire first, of {total}; the table above has them all.\n"
        ));
    }
    chart.push_str(&format!(
        "\n```mermaid\ngantt\n    title Token validity (evaluated {})\n    dateFormat YYYY-MM-DD\n    axisFormat %Y-%m-%d\n    todayMarker off\n",
        date(now)
    ));
    chart.push_str(&bars);
    // A task name may not start with a date: Mermaid's gantt lexer reads it as one.
    chart.push_str(&format!(
        "    section evaluated\n    evaluated :milestone, today, {}, 0d\n```\n",
        date(now)
    ));
    chart
}

/// One token's section of the chart.
fn section(t: &TokenReport, facts: &TokenFacts, i: usize, now: Timestamp) -> String {
    let start = match facts.created_at {
        Observed::Value {
            value: Some(created),
            ..
        } => created,
        _ => now,
    };
    let title = match t.subject.listed() {
        Some(_) => format!("{} · {}", owner(t), t.subject.name()),
        None => t.subject.name().to_owned(),
    };
    let mut out = format!("    section {}\n", plain(&title));
    match facts.expires_at {
        Observed::Value {
            value: Some(end), ..
        } => {
            let window = t.subject.requirements().expiry_warning();
            // Checked: a replayed or hostile date near the ends of time must not panic.
            let warn_from = end.checked_sub(window).unwrap_or(Timestamp::MIN);
            let style = if end <= now { "crit, " } else { "active, " };
            out.push_str(&format!(
                "    valid :{style}v{i}, {}, {}\n",
                date(start.min(end)),
                date(end)
            ));
            if end > now {
                out.push_str(&format!(
                    "    expiry warning :crit, w{i}, {}, {}\n",
                    date(warn_from.max(start)),
                    date(end)
                ));
            }
        }
        Observed::Value { value: None, .. } => {
            let horizon = now
                .checked_add(SignedDuration::from_hours(24 * 365))
                .unwrap_or(Timestamp::MAX);
            out.push_str(&format!(
                "    never expires :done, v{i}, {}, {}\n",
                date(start),
                date(horizon)
            ));
        }
        Observed::Unobservable { .. } | Observed::Distrusted { .. } => {
            out.push_str(&format!(
                "    expiry not observable :milestone, v{i}, {}, 0d\n",
                date(now)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosts_text_in_a_cell_is_shown_not_rendered() {
        assert_eq!(
            markdown_cell("[x](https://evil) ![i](u) <b>|\n"),
            "\\[x\\]\\(https://evil\\) \\!\\[i\\]\\(u\\) \\<b\\>\\| "
        );
        assert_eq!(code_cell("a`b|c"), "`a b\\|c`");
    }
}

//! `--format markdown`: a report to post as an issue or a pull-request comment, in GitHub
//! Flavored Markdown (<https://github.github.com/gfm/>): a table of tokens, then each
//! token's findings with their help. Text from a policy or a host is escaped, so it shows
//! as written and never as HTML, a link or a table cell of its own, and no line reads as a
//! CI runner's command.

use super::github_actions::{date, expiry, status_cell};
use super::{INVALID_POLICY, ProblemView, Report, TokenReport};

/// GitHub refuses an issue body or a comment over 65,536 characters (422 "body is too long
/// (maximum is 65536 characters)", quoted in PyGithub/PyGithub#1906 and
/// googleapis/release-please#1034): the findings stop short of it and say how many tokens
/// they leave out.
const MAX_CHARS: usize = 60_000;

/// Text from a policy or a host, escaped: every ASCII punctuation character, which
/// CommonMark lets a backslash escape (so no markup, HTML, entity, autolink or table pipe
/// survives), and control characters as spaces. One line per line of the text, with no
/// leading blanks (which could start a code block).
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                match c {
                    c if c.is_ascii_punctuation() => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_control() => out.push(' '),
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Text on one line (a table cell, a heading).
fn inline(text: &str) -> String {
    lines(text).join(" ")
}

fn table(report: &Report, items: &[TokenReport]) -> String {
    let audit = items.iter().any(|t| t.subject.listed().is_some());
    let mut out = String::from(match audit {
        true => {
            "| Token | Host | Inventory | Status | Expires | Days left |\n|---|---|---|---|---|---|\n"
        }
        false => "| Token | Host | Status | Expires | Days left |\n|---|---|---|---|---|\n",
    });
    for t in items {
        let (expires, days) = expiry(t.facts(), report.evaluated_at);
        let inventory = match (audit, t.subject.listed()) {
            (false, _) => String::new(),
            (true, Some(listed)) => format!(" {} |", inline(&listed.inventory)),
            (true, None) => " — |".to_owned(),
        };
        out.push_str(&format!(
            "| {} | {} |{inventory} {} | {} | {} |\n",
            inline(t.subject.name()),
            t.subject.host(),
            status_cell(t.verdict.status),
            expires,
            days
        ));
    }
    out
}

/// One token's findings: a heading, then one list item per finding.
fn findings(t: &TokenReport) -> String {
    let mut out = format!(
        "\n### {} ({})\n\n",
        inline(t.subject.name()),
        t.subject.host()
    );
    for f in &t.verdict.findings {
        let mut body = lines(&f.message);
        if let Some(note) = f.waived_note() {
            body.extend(lines(&note));
        }
        if let Some(help) = &f.help {
            body.extend(lines(help));
        }
        if let Some(evidence) = &f.evidence {
            body.extend(lines(&format!("evidence: {evidence}")));
        }
        if let Some(url) = &f.fix_url {
            body.push(new_token_link(url));
        }
        // A backslash at the end of a line is a hard line break; the indent keeps the
        // lines in the list item.
        out.push_str(&format!(
            "- **{}** `{}`: {}\n",
            f.severity.as_str(),
            f.rule.id(),
            body.join("\\\n  ")
        ));
    }
    out
}

/// The prefilled page for a new token, as an autolink: patlint built the URL with every
/// parameter percent-encoded, so it holds no space, `<` or `>` that would end it early.
fn new_token_link(url: &str) -> String {
    let safe = !url.contains(|c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    match safe {
        true => format!("new token: <{url}>"),
        false => format!("new token: {}", inline(url)),
    }
}

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let mut out = format!(
        "## patlint: {} against {}\n\n{} (as of {})\n\n",
        s.tokens_phrase(),
        inline(report.policy.path()),
        s.counts(" · "),
        date(report.evaluated_at)
    );
    if let Some(note) = report.facts.replay_note() {
        out.push_str(&format!("> [!NOTE]\n> {}\n\n", inline(&note)));
    }
    let items = report.items();
    out.push_str(&table(report, &items));
    let with_findings: Vec<_> = items
        .iter()
        .filter(|t| !t.verdict.findings.is_empty())
        .collect();
    if !with_findings.is_empty() {
        out.push_str("\n## Findings\n");
    }
    for (shown, t) in with_findings.iter().enumerate() {
        let section = findings(t);
        if out.len() + section.len() > MAX_CHARS {
            out.push_str(&format!(
                "\n… and the findings of {} more tokens: an issue or a comment holds at most 65,536 characters; the JSON report (`--format json`) has them all.\n",
                with_findings.len() - shown
            ));
            break;
        }
        out.push_str(&section);
    }
    crate::ci::defuse(&out)
}

/// A refused policy as Markdown (exit 2: nothing was checked): each problem with its
/// place and fix.
pub fn problems(policy: &str, problems: &[ProblemView]) -> String {
    let mut out = format!(
        "## patlint: {} in the policy {}\n\nNothing was checked: the policy must be fixed first.\n\n",
        super::count_of(problems.len(), "problem", "problems"),
        inline(policy)
    );
    for view in problems {
        let r = &view.region;
        let mut body = lines(&view.problem.message);
        if let Some(help) = &view.problem.help {
            body.extend(lines(help));
        }
        out.push_str(&format!(
            "- **error** `{INVALID_POLICY}` at {}: {}\n",
            inline(&format!("{}:{}:{}", r.path, r.start_line, r.start_column)),
            body.join("\\\n  ")
        ));
    }
    crate::ci::defuse(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_text_is_escaped_line_by_line() {
        assert_eq!(
            lines("<script>x</script> | `a` [l](u)\n  ::error::pwned\r\n"),
            vec![
                "\\<script\\>x\\<\\/script\\> \\| \\`a\\` \\[l\\]\\(u\\)",
                "\\:\\:error\\:\\:pwned"
            ]
        );
    }
}

//! `patlint check`: observe (or read recorded facts), evaluate, report in every format
//! asked for, and exit with the gate's code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::{
    CommandResult, fail, load_policy_at, now_or_clock, observe, read_facts, style_for,
    write_commands, write_output, write_report,
};
use crate::cli::{CheckArgs, FailOn, Format, FormatTarget, ReportArgs};
use crate::evaluate::{CLOCK_SKEW, Instants};
use crate::facts::FactsFile;
use crate::outcome::{Exit, Gate};
use crate::policy::format_duration;
use crate::report::human::{self, Style};
use crate::report::{self, FactsSource, Report};
use crate::rules::Severity;

pub(super) fn check(args: CheckArgs) -> CommandResult {
    one_on_stdout(&args.report.format)?;
    let now = now_or_clock(args.now.now);
    let policy = load_policy_at(args.policy.policy.as_deref(), now, &args.report.format)?;
    super::require_tokens(&policy, &args.report.format)?;
    let (facts, source) = match &args.facts {
        Some(path) => {
            let facts = read_facts(path)?;
            let judged_at = match args.now.now {
                Some(_) => JudgedAt::Given(now),
                None => JudgedAt::Clock(now),
            };
            check_age(path, &facts, judged_at, args.max_facts_age)?;
            let source = FactsSource::File {
                path: path.display().to_string(),
                observed_at: facts.observed_at,
            };
            (facts, source)
        }
        None => {
            let facts = observe(&policy, &args.network)?;
            let source = FactsSource::Live {
                observed_at: facts.observed_at,
            };
            (facts, source)
        }
    };
    let gate = gate(&args.report);
    let at = Instants {
        now,
        observed_at: facts.observed_at,
    };
    let tokens = crate::evaluate::judge_all(&policy, &facts, at);
    let report = Report::new(&policy, now, source, tokens, &gate);
    render(&report, &args.report.format)?;
    Ok(report.gate.exit)
}

/// Refuses more than one format on standard output.
pub(super) fn one_on_stdout(formats: &[FormatTarget]) -> Result<(), Exit> {
    if formats.iter().filter(|t| t.path.is_none()).count() > 1 {
        return Err(fail(
            "only one --format can go to standard output; give the others a file, e.g. --format json=report.json",
        ));
    }
    Ok(())
}

pub(super) fn gate(args: &ReportArgs) -> Gate {
    Gate {
        fail_on: match args.fail_on {
            FailOn::Note => Some(Severity::Note),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        },
        allow_unchecked: args.allow_unchecked,
    }
}

/// Writes the report in every format asked for.
pub(super) fn render(report: &Report, formats: &[FormatTarget]) -> Result<(), Exit> {
    for target in formats {
        let text = match target.format {
            Format::Human => human::render(
                report,
                match target.path {
                    Some(_) => Style::PLAIN,
                    None => style_for(std::io::stdout().is_terminal()),
                },
            ),
            Format::Json => {
                write_report(target.path.as_deref(), |out| {
                    report::json::write(report, out)
                })?;
                continue;
            }
            Format::Sarif => report::sarif::render(report),
            Format::Github => {
                write_step_summary(report)?;
                write_commands(
                    target.path.as_deref(),
                    &report::github_actions::annotations(report),
                )?;
                continue;
            }
            Format::Gitlab => report::code_quality::render(report),
            Format::Junit => report::junit::render(report),
            Format::Openmetrics => report::openmetrics::render(report),
            Format::Markdown => report::markdown::render(report),
            Format::Azure => {
                write_commands(
                    target.path.as_deref(),
                    &report::azure_pipelines::render(report),
                )?;
                continue;
            }
        };
        write_output(target.path.as_deref(), &text)?;
    }
    Ok(())
}

/// Writes a refused policy's problems in every machine format asked for (the human
/// rendering is on standard error already): a CI runner annotates where the policy broke.
pub(super) fn render_problems(
    name: &str,
    errors: &crate::policy::PolicyErrors,
    formats: &[FormatTarget],
) -> Result<(), Exit> {
    let views = report::problem_views(errors);
    for target in formats {
        let text = match target.format {
            Format::Human => continue,
            Format::Json => report::json::problems(name, &views),
            Format::Sarif => report::sarif::problems(name, &views),
            Format::Github => {
                write_commands(
                    target.path.as_deref(),
                    &report::github_actions::problem_annotations(&views),
                )?;
                continue;
            }
            Format::Gitlab => report::code_quality::problems(&views),
            Format::Junit => report::junit::problems(&views),
            Format::Openmetrics => report::openmetrics::problems(&views),
            Format::Markdown => report::markdown::problems(name, &views),
            Format::Azure => {
                write_commands(
                    target.path.as_deref(),
                    &report::azure_pipelines::problems(&views),
                )?;
                continue;
            }
        };
        write_output(target.path.as_deref(), &text)?;
    }
    Ok(())
}

/// How long before `--now` replayed facts may have been observed when `--max-facts-age`
/// is not given.
const DEFAULT_MAX_FACTS_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Replayed facts must have been observed at most `--max-facts-age` (default 24 hours)
/// before `--now`: old facts judged as today's are a false pass waiting to happen. Facts
/// observed after `--now` are not a replay of that instant, so they are refused (beyond
/// the few minutes two clocks may differ by) unless `--max-facts-age` is given, which
/// then bounds the distance on that side too.
/// The instant a run judges: `--now` as given, or the clock's when it was not.
#[derive(Clone, Copy)]
enum JudgedAt {
    Given(jiff::Timestamp),
    Clock(jiff::Timestamp),
}

impl JudgedAt {
    fn instant(self) -> jiff::Timestamp {
        match self {
            JudgedAt::Given(at) | JudgedAt::Clock(at) => at,
        }
    }

    /// How messages name it: "--now (T)", or "now (T)" when no `--now` was given.
    fn named(self) -> String {
        match self {
            JudgedAt::Given(at) => format!("--now ({at})"),
            JudgedAt::Clock(at) => format!("now ({at}; no --now was given)"),
        }
    }
}

fn check_age(
    path: &std::path::Path,
    facts: &FactsFile,
    judged_at: JudgedAt,
    max_age: Option<jiff::SignedDuration>,
) -> Result<(), Exit> {
    let now = judged_at.instant();
    let named = judged_at.named();
    let observed = facts.observed_at;
    let age = now.duration_since(observed);
    let path = path.display();
    if age.is_negative() && max_age.is_none() {
        let ahead = -age;
        if ahead <= CLOCK_SKEW {
            return Ok(());
        }
        // The smallest whole number of hours that covers the distance.
        let hours = (ahead.as_secs() + 3_599) / 3_600;
        return Err(fail(format!(
            "the facts in `{path}` were observed at {observed}, {} after {named}: judging an instant before the facts were observed is not a replay of them. Pass a --now at or after {observed}, or, if judging them as of {now} is what you want, --max-facts-age {hours}h or more",
            format_duration(ahead),
        )));
    }
    let max_age = max_age.unwrap_or(DEFAULT_MAX_FACTS_AGE);
    if age.abs() <= max_age {
        return Ok(());
    }
    let (distance, side) = if age.is_negative() {
        (format_duration(-age), "after")
    } else {
        (format_duration(age), "before")
    };
    Err(fail(format!(
        "the facts in `{path}` were observed at {observed}, {distance} {side} {named}, more than --max-facts-age ({}) apart: record them again with `patlint facts`, or pass a --now near {observed} or a larger --max-facts-age if judging a replay at that distance is what you want",
        format_duration(max_age)
    )))
}

/// On GitHub Actions, the job summary goes to the file `GITHUB_STEP_SUMMARY` names.
fn write_step_summary(report: &Report) -> Result<(), Exit> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| {
            fail(format!(
                "cannot open GITHUB_STEP_SUMMARY `{}`: {e}",
                PathBuf::from(&path).display()
            ))
        })?;
    file.write_all(crate::ci::defuse(&report::github_actions::summary(report)).as_bytes())
        .map_err(|e| fail(format!("cannot write the job summary: {e}")))
}

//! `patlint check`: observe (or read recorded facts), evaluate, report in every format
//! asked for, and exit with the gate's code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::{
    CommandResult, fail, load_policy, now_or_clock, observe, read_facts, style_for, write_output,
};
use crate::cli::{CheckArgs, FailOn, Format};
use crate::evaluate::Instants;
use crate::outcome::{Exit, Gate};
use crate::report::human::{self, Style};
use crate::report::{self, Report};
use crate::rules::Severity;

pub(super) fn check(args: CheckArgs) -> CommandResult {
    let stdout_targets = args.format.iter().filter(|t| t.path.is_none()).count();
    if stdout_targets > 1 {
        return Err(fail(
            "only one --format can go to standard output; give the others a file, e.g. --format json=report.json",
        ));
    }
    let policy = load_policy(args.policy.policy.as_deref())?;
    let now = now_or_clock(args.now.now);
    let facts = match &args.facts {
        Some(path) => read_facts(path)?,
        None => observe(&policy, &args.network)?,
    };
    let gate = Gate {
        fail_on: match args.fail_on {
            FailOn::Note => Some(Severity::Note),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        },
        allow_unchecked: args.allow_unchecked,
    };
    let at = Instants {
        now,
        observed_at: facts.observed_at,
    };
    let report = crate::evaluate::report(&policy, &facts, at, &gate);
    for target in &args.format {
        let text = match target.format {
            Format::Human => human::render(
                &report,
                match target.path {
                    Some(_) => Style::PLAIN,
                    None => style_for(std::io::stdout().is_terminal()),
                },
            ),
            Format::Json => report::json::render(&report),
            Format::Sarif => report::sarif::render(&report),
            Format::Github => {
                write_step_summary(&report)?;
                report::github_actions::annotations(&report)
            }
            Format::Gitlab => report::code_quality::render(&report),
            Format::Junit => report::junit::render(&report),
            Format::Azure => report::azure_pipelines::render(&report),
        };
        write_output(target.path.as_deref(), &text)?;
    }
    Ok(report.gate.exit)
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
    file.write_all(report::github_actions::summary(report).as_bytes())
        .map_err(|e| fail(format!("cannot write the job summary: {e}")))
}

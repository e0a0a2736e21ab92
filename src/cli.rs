//! The command line.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;

#[derive(Debug, Parser)]
#[command(
    name = "patlint",
    version,
    about = "Lint and gate the personal access tokens and keys your integrations use to reach git hosts",
    after_help = "Exit codes: 0 every token in policy, 1 a violation, 2 invalid policy or command line, 3 a token could not be checked."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Observe every token, evaluate it against the policy, report, and exit with the gate's code.
    Check(CheckArgs),
    /// Check every declared token, list every [[inventory]], and report the tokens no [[token]] declares.
    Audit(AuditArgs),
    /// Parse and validate the policy offline.
    Validate(ValidateArgs),
    /// Observe only: print what each host revealed, as JSON (never a secret). `check --facts` reads it.
    Facts(FactsArgs),
    /// Explain a rule: what it means, why it matters, how to fix it on each host.
    Explain(ExplainArgs),
    /// Write a commented starter policy (and its JSON Schema beside it).
    Init(InitArgs),
    /// Print the policy file's JSON Schema (Draft 7), for editor completion.
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with --dir write one page per command there.
    Man {
        /// Write patlint.1 and patlint-COMMAND.1 for every command into this directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Build the policy on a built-in preset (`builtin:NAME` in `extends`)
    #[arg(
        long,
        value_name = "NAME",
        value_parser = Completing { values: preset_names, parse: |s| Ok::<_, String>(s.to_owned()) }
    )]
    pub preset: Option<String>,
    /// Where to write the policy
    #[arg(long, short = 'p', value_name = "FILE", default_value = "patlint.toml")]
    pub policy: PathBuf,
}

#[derive(Debug, Args)]
pub struct PolicyArg {
    /// The policy file [default: patlint.toml, then .github/patlint.toml]
    #[arg(long, short = 'p', value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NowArg {
    /// Judge time-dependent rules as of this instant (RFC 3339, or a date meaning 00:00 UTC) [default: the current time]
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<Timestamp>,
}

#[derive(Debug, Args, Clone)]
pub struct NetworkArgs {
    /// Seconds to wait for each answer from a host
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Longest wait, in seconds, for a host's rate limit to reset before reporting `host-error`
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub max_wait: Duration,
    /// Retries after a 5xx answer, a timeout or a refused connection
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// The longest one token's own requests may take, waits and retries included (time queued behind other tokens' requests is not counted); past it, `host-error`
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = parse_timeout)]
    pub deadline: Duration,
    /// Requests in flight per host
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Seconds a request waits before standard error says so, and between two such
    /// lines (default: after 5, then every 10; redrawn every second on a terminal).
    /// Hidden: the tests' few milliseconds.
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = parse_timeout)]
    pub progress_interval: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub now: NowArg,
    /// Evaluate facts recorded by `patlint facts` instead of asking the hosts (no network)
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// With --facts: how long before --now the facts may have been observed (default 24h; "7d"); facts observed after --now are refused unless this is given, and then may be at most this far after it (exit 2)
    #[arg(long, value_name = "DURATION", value_parser = crate::policy::parse_duration_arg)]
    pub max_facts_age: Option<jiff::SignedDuration>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub now: NowArg,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// How a judged run reports, and what fails its gate.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format, optionally written to a file (FORMAT=PATH): human, json, sarif, github, gitlab, junit, azure, openmetrics, markdown. Repeatable.
    #[arg(
        long,
        short = 'f',
        value_name = "FORMAT[=PATH]",
        default_value = "human",
        value_parser = Completing { values: format_names, parse: |s| s.parse::<FormatTarget>() }
    )]
    pub format: Vec<FormatTarget>,
    /// The lowest severity that fails the gate (exit 1)
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,
    /// Exit 0 instead of 3 when a token (or an inventory) could not be checked, and nothing was violated
    #[arg(long)]
    pub allow_unchecked: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub now: NowArg,
}

#[derive(Debug, Args)]
pub struct FactsArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    /// Write the facts to this file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id, e.g. missing-scope; omit to list every rule
    #[arg(value_parser = Completing { values: rule_ids, parse: |s| Ok::<_, String>(s.to_owned()) })]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Note,
    Warning,
    Error,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
    Junit,
    Azure,
    Openmetrics,
    Markdown,
}

impl Format {
    pub const NAMES: [(&'static str, Format); 9] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("github", Format::Github),
        ("gitlab", Format::Gitlab),
        ("junit", Format::Junit),
        ("azure", Format::Azure),
        ("openmetrics", Format::Openmetrics),
        ("markdown", Format::Markdown),
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatTarget {
    pub format: Format,
    pub path: Option<PathBuf>,
}

impl FromStr for FormatTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, path) = match s.split_once('=') {
            Some((name, path)) if !path.is_empty() => (name, Some(PathBuf::from(path))),
            Some((name, _)) => return Err(format!("`{name}=` needs a file path after `=`")),
            None => (s, None),
        };
        let Some(format) = Format::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
        else {
            let known: Vec<_> = Format::NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown format `{name}`; known formats: {}",
                known.join(", ")
            ));
        };
        Ok(FormatTarget { format, path })
    }
}

/// A value parser whose values shell completions can offer (format names, rule ids),
/// while the command's own parsing still decides, with its own did-you-mean.
#[derive(Clone)]
struct Completing<T> {
    values: fn() -> Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Completing<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(clap::error::ErrorKind::InvalidUtf8, "not UTF-8\n").with_cmd(cmd)
        })?;
        (self.parse)(text).map_err(|message| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{message}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.values)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

fn format_names() -> Vec<&'static str> {
    Format::NAMES.iter().map(|(name, _)| *name).collect()
}

fn preset_names() -> Vec<&'static str> {
    crate::policy::presets::PRESETS
        .iter()
        .map(|p| p.name)
        .collect()
}

fn rule_ids() -> Vec<&'static str> {
    crate::rules::Rule::ALL.iter().map(|r| r.id()).collect()
}

fn parse_now(s: &str) -> Result<Timestamp, String> {
    crate::policy::parse_instant(s)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let timeout = parse_seconds(s)?;
    if timeout.is_zero() {
        return Err("a timeout of 0 seconds would fail every request".into());
    }
    Ok(timeout)
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(format!("`{s}` is out of range (0 to 86400 seconds)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_format_targets_and_dates() {
        assert_eq!(
            "json=out.json".parse::<FormatTarget>().unwrap().path,
            Some(PathBuf::from("out.json"))
        );
        assert!("yaml".parse::<FormatTarget>().is_err());
        assert_eq!(
            parse_now("2026-11-24").unwrap().to_string(),
            "2026-11-24T00:00:00Z"
        );
        assert!(parse_now("yesterday").is_err());
    }
}

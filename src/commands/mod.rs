//! The commands: each reads the policy, runs its part of observe → evaluate → report,
//! writes its output and returns the exit code. All output goes to stdout/stderr here.

mod audit;
mod check;
mod explain;
mod init;
mod man;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::cli::{Cli, Command, FactsArgs, FormatTarget, NetworkArgs, ValidateArgs};
use crate::client::progress::ProgressSettings;
use crate::facts::FactsFile;
use crate::files::{self, FileError, FileKind};
use crate::hosts::HttpSettings;
use crate::outcome::{self, Exit};
use crate::policy::{self, Policy};
use crate::report::human::{self, Style};

pub use init::{SCHEMA_FILE, starter};

/// Runs one command and returns the exit status; all output goes to stdout/stderr here.
pub fn run(cli: Cli) -> Exit {
    let result = match cli.command {
        Command::Check(args) => check::check(args),
        Command::Audit(args) => audit::audit(args),
        Command::Validate(args) => validate(args),
        Command::Facts(args) => facts(args),
        Command::Explain(args) => explain::explain_command(args.rule.as_deref()),
        Command::Init(args) => init::init(args),
        Command::Schema => write_output(None, &policy::raw::json_schema()).map(|()| Exit::Clean),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "patlint", &mut script);
            write_output(None, &String::from_utf8_lossy(&script)).map(|()| Exit::Clean)
        }
        Command::Man { dir } => man::man(dir.as_deref()),
    };
    result.unwrap_or_else(|exit| exit)
}

/// A command's early end: the message is already printed.
pub(crate) type CommandResult = Result<Exit, Exit>;

pub(crate) fn fail(message: impl std::fmt::Display) -> Exit {
    eprintln!(
        "patlint: error: {}",
        crate::ci::defuse(&message.to_string())
    );
    Exit::Invalid
}

pub(crate) fn style_for(stream_is_terminal: bool) -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        graphical: stream_is_terminal && !no_color,
        ..Style::PLAIN
    }
}

fn find_policy(explicit: Option<&Path>) -> Result<PathBuf, Exit> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    ["patlint.toml", ".github/patlint.toml"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| fail("no policy file: found neither patlint.toml nor .github/patlint.toml; pass one with --policy FILE"))
}

/// The policy's name and text.
fn read_policy(explicit: Option<&Path>) -> Result<(String, String), Exit> {
    let path = find_policy(explicit)?;
    let name = path.display().to_string();
    let bytes = files::read(&path, FileKind::Policy).map_err(|e| match e {
        FileError::TooLarge(_) => fail(format!("policy `{name}` {e} (is this the right file?)")),
        e => fail(format!("cannot read policy `{name}`: it {e}")),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "policy `{name}` is not UTF-8 (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })?;
    // A byte-order mark is allowed (some Windows editors write one) and skipped.
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    Ok((name, text))
}

pub(crate) fn load_policy(explicit: Option<&Path>) -> Result<Policy, Exit> {
    let (name, text) = read_policy(explicit)?;
    policy::parse_policy(&name, &text).map_err(|errors| refused(&name, &errors, &[]))
}

/// The policy, with its waivers held to `max_waiver` from the run's `now`. A refused
/// policy's problems go to standard error, and into every machine format asked for.
pub(crate) fn load_policy_at(
    explicit: Option<&Path>,
    now: Timestamp,
    formats: &[FormatTarget],
) -> Result<Policy, Exit> {
    let (name, text) = read_policy(explicit)?;
    policy::parse_policy_at(&name, &text, now).map_err(|errors| refused(&name, &errors, formats))
}

/// The policy's tokens, refused when there are none: a gate over nothing is no gate.
/// An inventories-only policy is for `patlint audit`, and says so.
pub(crate) fn require_tokens(policy: &Policy, formats: &[FormatTarget]) -> Result<(), Exit> {
    if !policy.tokens.is_empty() {
        return Ok(());
    }
    let help = match policy.inventories.len() {
        0 => "add a [[token]] for each token your integrations use (`patlint init --preset NAME` writes a starter policy)".to_owned(),
        _ => "its [[inventory]]s are listed by `patlint audit`; add a [[token]] for each token your integrations use to check them here".to_owned(),
    };
    Err(refused(
        policy.path(),
        &policy::PolicyErrors(vec![nothing_to_check(policy, help)]),
        formats,
    ))
}

/// A policy with neither a token nor an inventory: valid for nothing.
fn require_something(policy: &Policy) -> Result<(), Exit> {
    if policy.inventories.is_empty() {
        require_tokens(policy, &[])?;
    }
    Ok(())
}

fn nothing_to_check(policy: &Policy, help: String) -> policy::PolicyError {
    let declares = match policy.inventories.len() {
        0 => "no [[token]] and no [[inventory]]",
        _ => "no [[token]]",
    };
    policy::PolicyError::at(
        policy.documents.policy(),
        0..0,
        format!("the policy declares {declares}: there is nothing to check"),
        "no [[token]] in this file",
        Some(help),
    )
}

/// Shows every problem of a policy on stderr, and in every machine format of `formats`;
/// nothing is checked.
fn refused(name: &str, errors: &policy::PolicyErrors, formats: &[FormatTarget]) -> Exit {
    let style = style_for(std::io::stderr().is_terminal());
    let mut err = std::io::stderr().lock();
    for e in &errors.0 {
        let _ = writeln!(
            err,
            "{}",
            crate::ci::defuse(&human::render_diagnostic(e, style))
        );
    }
    let _ = writeln!(
        err,
        "{}",
        crate::ci::defuse(&format!("patlint: {errors} `{name}`; nothing was checked"))
    );
    drop(err);
    // A report that cannot be written has said so already; the policy's exit code stands.
    let _ = check::render_problems(name, errors, formats);
    Exit::Invalid
}

pub(crate) fn now_or_clock(now: Option<Timestamp>) -> Timestamp {
    now.unwrap_or_else(Timestamp::now)
}

fn http_settings(args: &NetworkArgs) -> HttpSettings {
    HttpSettings {
        timeout: args.timeout,
        max_wait: args.max_wait,
        retries: args.retries,
        deadline: args.deadline,
        concurrency: args.concurrency as usize,
        ..HttpSettings::default()
    }
}

/// The async runtime, only for the commands that ask hosts.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the async runtime: {e}")))
}

/// How standard error says what a run waits for.
pub(crate) fn progress_settings(args: &NetworkArgs) -> ProgressSettings {
    let terminal = std::io::stderr().is_terminal();
    match args.progress_interval {
        Some(interval) => ProgressSettings::every(interval, terminal),
        None => ProgressSettings::for_stderr(terminal),
    }
}

/// Asks every host.
pub(crate) fn observe(policy: &Policy, args: &NetworkArgs) -> Result<FactsFile, Exit> {
    let runtime = runtime()?;
    // The one clock read of observation: every judgement of time happens in evaluation.
    let observed_at = jiff::Timestamp::now();
    Ok(runtime.block_on(crate::client::observe_all_reporting(
        policy,
        &http_settings(args),
        observed_at,
        Some(progress_settings(args)),
    )))
}

pub(crate) fn read_facts(path: &Path) -> Result<FactsFile, Exit> {
    let bytes = files::read(path, FileKind::Facts).map_err(|e| {
        fail(format!(
            "cannot read facts file `{}`: it {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| fail(format!("facts file `{}` is not UTF-8", path.display())))?;
    let facts: FactsFile = serde_json::from_str(&text).map_err(|e| {
        fail(format!(
            "`{}` is not a patlint facts file: {e} (write one with `patlint facts`)",
            path.display()
        ))
    })?;
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = facts.tokens.iter().find(|t| !seen.insert(&t.name)) {
        return Err(fail(format!(
            "`{}` records token `{}` more than once; a facts file has one record per token (write it with `patlint facts`)",
            path.display(),
            twice.name
        )));
    }
    if facts.schema_version != FactsFile::SCHEMA_VERSION {
        return Err(fail(format!(
            "`{}` has facts schema_version {}; this patlint reads {}",
            path.display(),
            facts.schema_version,
            FactsFile::SCHEMA_VERSION
        )));
    }
    Ok(facts)
}

/// Writes a report or any other output, defused (see [`crate::ci::defuse`]): nothing in
/// it can act as a CI runner command.
pub(crate) fn write_output(path: Option<&Path>, text: &str) -> Result<(), Exit> {
    write_report(path, |out| out.write_all(text.as_bytes()))
}

/// Writes what `write` writes, defused line by line on its way out, so that a report of
/// any size is never held whole twice.
pub(crate) fn write_report(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Exit> {
    write_to(path, |out| {
        // Buffered before it is defused too: a format writes in small pieces.
        let mut defused = std::io::BufWriter::new(crate::ci::Defused::new(out));
        write(&mut defused)?;
        let defused = defused.into_inner().map_err(|e| e.into_error())?;
        defused.finish().map(drop)
    })
}

/// Writes output whose runner commands are patlint's own (`--format github`, `azure`):
/// its formats defuse every text they quote.
pub(crate) fn write_commands(path: Option<&Path>, text: &str) -> Result<(), Exit> {
    write_to(path, |out| out.write_all(text.as_bytes()))
}

/// Writes to the file, or to standard output, through a buffer.
fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Exit> {
    let written = |out: &mut dyn Write| write(out).and_then(|()| out.flush());
    match path {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| written(&mut std::io::BufWriter::new(file)))
            .map_err(|e| fail(format!("cannot write `{}`: {e}", path.display()))),
        // A report that did not reach its reader (a full disk, a closed pipe) is not a
        // report: the gate's code must not stand without it.
        None => written(&mut std::io::BufWriter::new(std::io::stdout().lock()))
            .map_err(|e| fail(format!("cannot write the report to standard output: {e}"))),
    }
}

fn validate(args: ValidateArgs) -> CommandResult {
    let now = now_or_clock(args.now.now);
    let policy = load_policy_at(args.policy.policy.as_deref(), now, &[])?;
    require_something(&policy)?;
    let style = style_for(std::io::stdout().is_terminal());
    let lints: Vec<_> = policy
        .tokens
        .iter()
        .flat_map(|token| crate::evaluate::policy_lints(token, now))
        .collect();
    let mut out = String::new();
    for lint in &lints {
        out.push_str(&human::render_finding(lint, &policy.documents, style));
        out.push('\n');
    }
    let exit = outcome::validate_gate(&lints);
    out.push_str(&validate_closing_line(&policy, &lints, exit));
    write_output(None, &out)?;
    Ok(exit)
}

/// "`P` is valid: 3 tokens", or, when a lint already fails, that it does: the last line
/// says what the exit code says.
fn validate_closing_line(
    policy: &Policy,
    lints: &[crate::evaluate::Finding],
    exit: Exit,
) -> String {
    use crate::report::count_of;
    let inventories = match policy.inventories.len() {
        0 => String::new(),
        n => format!(
            " and {} for `patlint audit`",
            count_of(n, "inventory", "inventories")
        ),
    };
    let contents = format!(
        "{}{inventories}",
        count_of(policy.tokens.len(), "token", "tokens")
    );
    let path = policy.path();
    let violations = lints.iter().filter(|l| l.is_violation()).count();
    let warnings = lints
        .iter()
        .filter(|l| !l.is_violation() && l.severity == crate::rules::Severity::Warning)
        .count();
    match (exit, warnings) {
        (Exit::Clean, 0) => format!("patlint: `{path}` is valid: {contents}\n"),
        (Exit::Clean, n) => format!(
            "patlint: `{path}` is valid: {contents}; {} above\n",
            count_of(n, "warning", "warnings")
        ),
        _ => format!(
            "patlint: `{path}` is well-formed ({contents}) but fails: {} above (exit {})\n",
            count_of(violations, "error", "errors"),
            exit.code()
        ),
    }
}

fn facts(args: FactsArgs) -> CommandResult {
    let policy = load_policy(args.policy.policy.as_deref())?;
    require_tokens(&policy, &[])?;
    let facts = observe(&policy, &args.network)?;
    let mut text = serde_json::to_string_pretty(&facts).expect("facts serialize");
    text.push('\n');
    write_output(args.output.as_deref(), &text)?;
    Ok(outcome::facts_gate(&facts))
}

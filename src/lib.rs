//! patlint: a CI linter and policy gate for the personal access tokens and keys that
//! integrations use to reach git hosts.
//!
//! The shape is observe → evaluate → report: `hosts` asks each host about each token
//! (the only network code, one folder per host), `evaluate` judges the facts against the
//! `policy` as a pure function of time, `outcome` decides the exit code once, `report`
//! renders, and `commands` ties them together for each subcommand.

pub mod ci;
pub mod cli;
pub mod client;
pub mod commands;
pub mod evaluate;
pub mod facts;
pub mod files;
pub mod hosts;
pub mod outcome;
pub mod platform;
pub mod policy;
pub mod report;
pub mod rules;
pub mod secret;
mod suggest;

pub use commands::run;

/// Judges every token of the policy at `now` against facts observed when the facts file
/// says, with the default gate: evaluation and its report in one call.
pub fn evaluate_all<'p>(
    policy: &'p policy::Policy,
    facts: &facts::FactsFile,
    now: jiff::Timestamp,
) -> report::Report<'p> {
    let at = evaluate::Instants {
        now,
        observed_at: facts.observed_at,
    };
    let tokens = evaluate::judge_all(policy, facts, at);
    let source = report::FactsSource::Live {
        observed_at: facts.observed_at,
    };
    report::Report::new(policy, now, source, tokens, &outcome::Gate::default())
}

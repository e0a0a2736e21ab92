//! `patlint audit`: every declared token checked as `check` does, every `[[inventory]]`
//! listed, the tokens nobody declared judged and reported, in every format asked for.

use super::check::{gate, one_on_stdout, render};
use super::{CommandResult, fail, load_policy_at, now_or_clock, runtime};
use crate::cli::AuditArgs;
use crate::evaluate::Instants;
use crate::evaluate::audit::judge_audit;
use crate::report::{FactsSource, Report};

pub(super) fn audit(args: AuditArgs) -> CommandResult {
    one_on_stdout(&args.report.format)?;
    let now = now_or_clock(args.now.now);
    let policy = load_policy_at(args.policy.policy.as_deref(), now, &args.report.format)?;
    if policy.inventories.is_empty() {
        return Err(fail(format!(
            "`{}` has no [[inventory]], so there is nothing to audit: add one (see `patlint explain undeclared-token`), or run `patlint check` for the declared tokens",
            policy.path()
        )));
    }
    // The one clock read of observation: every judgement of time happens in evaluation.
    let observed_at = jiff::Timestamp::now();
    let audited = runtime()?.block_on(crate::client::audit_all_reporting(
        &policy,
        &super::http_settings(&args.network),
        observed_at,
        Some(super::progress_settings(&args.network)),
    ));
    let at = Instants { now, observed_at };
    let result = judge_audit(&policy, audited, at);
    let source = FactsSource::Live { observed_at };
    let report = Report::of_audit(&policy, now, source, result, &gate(&args.report));
    render(&report, &args.report.format)?;
    let exit = report.gate.exit;
    // The process ends here: freeing every listed token's findings one by one would take
    // longer than judging them did.
    std::mem::forget(report);
    Ok(exit)
}

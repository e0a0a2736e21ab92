//! Telling the CI runner which values to mask, before they could appear in its log:
//! `::add-mask::` on GitHub Actions, `##vso[task.setsecret]` on Azure Pipelines.
//!
//! Both runners read commands from a step's standard error as well as its output; the
//! commands go to standard error so that a report on standard output (`--format json >
//! report.json`) never contains a secret.

use std::io::Write;
use std::sync::OnceLock;

use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    GithubActions,
    AzurePipelines,
    Other,
}

fn runner() -> Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    *RUNNER.get_or_init(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Runner::GithubActions
        } else if std::env::var("TF_BUILD").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
            Runner::AzurePipelines
        } else {
            Runner::Other
        }
    })
}

/// The masking command for `secret` on this runner, if it has one.
fn command(runner: Runner, secret: &Secret) -> Option<String> {
    let value = secret.expose();
    if value.is_empty() {
        return None;
    }
    // Both runners read one command per line: escape what would end or split it.
    let escaped = value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    match runner {
        Runner::GithubActions => Some(format!("::add-mask::{escaped}\n")),
        Runner::AzurePipelines => Some(format!(
            "##vso[task.setsecret]{}\n",
            escaped.replace("%25", "%AZP25")
        )),
        Runner::Other => None,
    }
}

/// Asks the runner to mask `secret` from now on. Called as soon as a secret is read.
pub fn mask(secret: &Secret) {
    if let Some(line) = command(runner(), secret) {
        let mut out = std::io::stderr().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_runner() {
        let s = Secret::new("ghp_a%b");
        assert_eq!(
            command(Runner::GithubActions, &s).unwrap(),
            "::add-mask::ghp_a%25b\n"
        );
        assert_eq!(
            command(Runner::AzurePipelines, &s).unwrap(),
            "##vso[task.setsecret]ghp_a%AZP25b\n"
        );
        assert_eq!(command(Runner::Other, &s), None);
        assert_eq!(command(Runner::GithubActions, &Secret::new("")), None);
    }
}

//! Bitbucket Cloud's own rule: the dated retirement of app passwords
//! (`app-password-retired`).

use jiff::Timestamp;

use super::facts::{APP_PASSWORD, cloud_credential};
use crate::evaluate::Finding;
use crate::facts::TokenFacts;
use crate::hosts::Endpoint;
use crate::platform::{DatedStep, PlatformChange};
use crate::policy::TokenSpec;
use crate::rules::{Rule, RuleMeta, Severity};

/// Atlassian community, "Bitbucket Cloud enters phase 2 of app password deprecation"
/// (creation disabled on 2025-09-09,
/// <https://community.atlassian.com/forums/Bitbucket-articles/Bitbucket-Cloud-enters-phase-2-of-app-password-deprecation/ba-p/3106901>)
/// and "Deprecation notice: Bitbucket Cloud app password brownout schedule and next steps"
/// (brownouts from 2026-06-09 in which "All API requests authenticated using app
/// passwords will fail with an HTTP 401", removal on 2026-07-28,
/// <https://community.atlassian.com/forums/Bitbucket-articles/Deprecation-notice-Bitbucket-Cloud-app-password-brownout/ba-p/3237429>).
pub static APP_PASSWORD_RETIREMENT: PlatformChange = PlatformChange {
    rule: Rule::AppPasswordRetired,
    steps: &[
        DatedStep {
            effective: "2025-09-09T00:00:00Z",
            ahead: "Bitbucket Cloud app passwords can no longer be created",
            passed: "Bitbucket Cloud app passwords cannot be created",
        },
        DatedStep {
            effective: "2026-06-09T00:00:00Z",
            ahead: "Bitbucket Cloud app passwords start failing with 401 during scheduled brownouts",
            passed: "Bitbucket Cloud app passwords fail with 401 during scheduled brownouts",
        },
        DatedStep {
            effective: "2026-07-28T00:00:00Z",
            ahead: "Bitbucket Cloud app passwords are removed",
            passed: "Bitbucket Cloud app passwords no longer work",
        },
    ],
    source: "Atlassian community: \"Bitbucket Cloud enters phase 2 of app password deprecation\"; \"Deprecation notice: Bitbucket Cloud app password brownout schedule and next steps\"",
};

/// What to do instead, for every message about the retirement.
pub const MOVE_TO_API_TOKENS: &str = "create an Atlassian API token with Bitbucket scopes (id.atlassian.com > Security > Create and manage API tokens > Create API token with scopes), or a repository, project or workspace access token; update the secret and replace `username` with `email` (your Atlassian account email) in the policy, or drop it for an access token";

/// The help of a 401 for an app password: the retirement is the likely cause.
pub fn refused_app_password_help(observed_at: Timestamp) -> String {
    format!(
        "this is an app password: {}, the likely cause of the 401; {MOVE_TO_API_TOKENS}.",
        APP_PASSWORD_RETIREMENT.describe(observed_at)
    )
}

/// A policy that relies on an app password (`username`), or a token seen to be one, gets
/// the dated retirement diagnostic: a warning with the days left, an error from the date
/// the app passwords are removed.
pub fn app_password_retired(
    token: &TokenSpec,
    facts: Option<&TokenFacts>,
    now: Timestamp,
) -> Option<Finding> {
    let Endpoint::Bitbucket(cloud) = &token.endpoint else {
        return None;
    };
    let observed = facts.is_some_and(|f| cloud_credential(f) == Some(APP_PASSWORD));
    let username = cloud.username.as_ref();
    if username.is_none() && !observed {
        return None;
    }
    let change = &APP_PASSWORD_RETIREMENT;
    let origin = username.map_or(&token.origin, |u| &u.origin);
    let subject = if observed {
        format!("token `{}` is a Bitbucket Cloud app password", token.name)
    } else {
        format!(
            "token `{}` relies on a Bitbucket Cloud app password (`username`)",
            token.name
        )
    };
    Some(
        change
            .finding(Rule::AppPasswordRetired, origin, &subject, now)
            .label(format!(
                "app passwords are removed on {}",
                change.last().date()
            ))
            .evidence(format!("source: {}", change.source)),
    )
}

pub static APP_PASSWORD_RETIRED: RuleMeta = RuleMeta {
    id: "app-password-retired",
    summary: "Bitbucket Cloud app passwords were retired: none created from 2025-09-09, failing in brownouts from 2026-06-09, removed on 2026-07-28.",
    default_severity: Severity::Warning,
    why: "Atlassian replaced app passwords with API tokens (scoped, expiring, centrally managed) and access tokens: creation stopped on 2025-09-09, scheduled brownouts from 2026-06-09 failed every API request made with one (HTTP 401), and they were removed on 2026-07-28. An integration still using one broke that day. Before the date this is a warning with the days left; from it, an error. A policy with `username` relies on an app password; a token is also known to be one by its `ATBB` prefix.",
    fix: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::DeadlineStatus;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_removal_is_the_step_that_breaks() {
        let change = &APP_PASSWORD_RETIREMENT;
        assert_eq!(change.last().date(), "2026-07-28");
        assert_eq!(
            change.last().status(at("2026-07-21T00:00:00Z")),
            DeadlineStatus::Ahead { days_left: 7 }
        );
        assert!(!change.in_force(at("2026-07-27T23:59:59Z")));
        assert!(change.in_force(at("2026-07-28T00:00:00Z")));
        assert_eq!(
            change.describe(at("2026-07-28T00:00:00Z")),
            "Bitbucket Cloud app passwords no longer work (since 2026-07-28)"
        );
    }
}

//! The refusals GitHub gives a token that works, on a target whose organization (or
//! enterprise) has a policy against it: a 403 that is GitHub's own answer (its JSON error,
//! [`super::probes::own_answer`]) whose `message` is one of these texts. Each is a
//! `refused` grant naming the rule it breaks; any other 403 is judged as before (a
//! missing grant where GitHub documents one, else `unverifiable`), never a pass.
//!
//! - Lifetime policy (GitHub changelog 2024-10-18, "Setting a personal access token
//!   policy for your organization"): `The 'NixOS' organization forbids access via a
//!   fine-grained personal access tokens if the token's lifetime is greater than 90 days.
//!   Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/12885303`
//!   (NixOS/org#247, a 403 with GitHub's JSON error); the enterprise's and the classic
//!   form: `The 'Microsoft Open Source' enterprise forbids access via a personal access
//!   tokens (classic) if the token's lifetime is greater than 8 days.` (quoted from
//!   `gh` in public repositories); and without a name, `The enterprise forbids access via
//!   …`.
//! - Classic tokens forbidden: `` `acme` forbids access via a personal access token
//!   (classic). Please use a GitHub App, OAuth App, or a personal access token with
//!   fine-grained permissions. `` (refined-github/refined-github#6951; a 403 to `GET
//!   /repos/…`, fullsend-ai/fullsend#3368).
//! - IP allow list: `` Although you appear to have the correct authorization credentials,
//!   the `SalesforceFoundation` organization has an IP allow list enabled, and your IP
//!   address is not permitted to access this resource. `` (SalesforceFoundation/NPSP#7247),
//!   also without a name (`the organization has an IP allow list enabled`).
//!
//! A fine-grained token awaiting the organization's approval gets no refusal of its own:
//! it reaches only public resources until an owner approves it (docs.github.com,
//! "Managing requests for personal access tokens in your organization"), so a private
//! repository answers 404 like one it was not granted; the judgement of that 404 says so.

use reqwest::StatusCode;

use super::probes::own_answer;
use crate::facts::Settled;
use crate::hosts::Answer;
use crate::rules::Rule;

/// The organization's policy GitHub refused the token by, if the answer is one.
pub(super) fn refusal(answer: &Answer) -> Option<Settled> {
    if answer.status != StatusCode::FORBIDDEN || !own_answer(answer) {
        return None;
    }
    let message = answer.api_message()?;
    lifetime(&message)
        .or_else(|| classic_forbidden(&message))
        .or_else(|| ip_allow_list(&message))
}

/// "… forbids access via a fine-grained personal access tokens if the token's lifetime is
/// greater than 90 days. Please adjust your token's lifetime at the following URL: …"
fn lifetime(message: &str) -> Option<Settled> {
    const VIA: &str = " forbids access via a ";
    const LIMIT: &str = " if the token's lifetime is greater than ";
    let (whose, rest) = message.split_once(VIA)?;
    let (kind, rest) = rest.split_once(LIMIT)?;
    let days: u32 = rest.split_once(" days")?.0.trim().parse().ok()?;
    let kind = if kind.contains("fine-grained") {
        "fine-grained personal access tokens"
    } else if kind.contains("classic") {
        "personal access tokens (classic)"
    } else {
        "personal access tokens"
    };
    let adjust = message
        .split_once("at the following URL:")
        .and_then(|(_, url)| url.split_whitespace().next())
        .filter(|url| url.starts_with("https://") && url.len() <= 200 && is_printable(url))
        .map(|url| format!(" (GitHub: adjust the token's lifetime at {url})"))
        .unwrap_or_default();
    Some(Settled::Refused {
        rule: Rule::LifetimePolicy,
        policy: format!(
            "{} refuses {kind} whose lifetime is greater than {days} days, as this token's is{adjust}",
            owner(whose.trim_start_matches("The ").trim_start_matches("the "))
        ),
    })
}

/// "`acme` forbids access via a personal access token (classic). Please use a GitHub
/// App, OAuth App, or a personal access token with fine-grained permissions."
fn classic_forbidden(message: &str) -> Option<Settled> {
    let (whose, _) = message.split_once(" forbids access via a personal access token (classic)")?;
    Some(Settled::Refused {
        rule: Rule::ClassicTokenForbidden,
        policy: format!(
            "{} refuses personal access tokens (classic); it admits a GitHub App, an OAuth App or a fine-grained personal access token",
            owner(whose)
        ),
    })
}

/// "Although you appear to have the correct authorization credentials, the `acme`
/// organization has an IP allow list enabled, and your IP address is not permitted to
/// access this resource."
fn ip_allow_list(message: &str) -> Option<Settled> {
    let (before, _) = message.split_once(" has an IP allow list enabled")?;
    let whose = before
        .rsplit_once(" the ")
        .map_or(before, |(_, whose)| whose);
    Some(Settled::Refused {
        rule: Rule::IpAllowList,
        policy: format!(
            "{} admits requests only from the addresses on its IP allow list, and the address this check ran from is not on it",
            owner(whose.trim_start_matches("the "))
        ),
    })
}

/// "the `acme` organization", "the `Acme Corp` enterprise", "`acme`", "the organization":
/// whose policy it is, as GitHub named it, the name quoted the way patlint quotes.
fn owner(text: &str) -> String {
    let text = text.trim();
    let quoted = ['\'', '`'].iter().find_map(|quote| {
        let (_, rest) = text.split_once(*quote)?;
        let (name, after) = rest.split_once(*quote)?;
        Some((name, after.trim()))
    });
    let (name, kind) = match quoted {
        Some((name, kind)) => (Some(name), kind),
        None => (None, text),
    };
    let name = name
        .filter(|name| !name.is_empty() && name.len() <= 100 && is_printable(name))
        .map(|name| format!("`{name}`"));
    let kind = match kind {
        "organization" | "enterprise" => Some(kind),
        _ => None,
    };
    match (name, kind) {
        (Some(name), Some(kind)) => format!("the {name} {kind}"),
        (Some(name), None) => name,
        (None, Some(kind)) => format!("the {kind}"),
        (None, None) => "the organization".to_owned(),
    }
}

fn is_printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn github_403(message: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Answer {
            status: StatusCode::FORBIDDEN,
            headers,
            body: serde_json::json!({
                "message": message,
                "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
                "status": "403"
            })
            .to_string(),
            request: "GET /repos/acme/app".into(),
        }
    }

    fn policy(message: &str) -> (Rule, String) {
        match refusal(&github_403(message)) {
            Some(Settled::Refused { rule, policy }) => (rule, policy),
            other => panic!("{message}: {other:?}"),
        }
    }

    #[test]
    fn reads_each_documented_refusal_with_whose_policy_and_its_limit() {
        assert_eq!(
            policy(
                "The 'NixOS' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 90 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/12885303"
            ),
            (
                Rule::LifetimePolicy,
                "the `NixOS` organization refuses fine-grained personal access tokens whose lifetime is greater than 90 days, as this token's is (GitHub: adjust the token's lifetime at https://github.com/settings/personal-access-tokens/12885303)".to_owned()
            )
        );
        assert_eq!(
            policy(
                "The 'Microsoft Open Source' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 8 days."
            ),
            (
                Rule::LifetimePolicy,
                "the `Microsoft Open Source` enterprise refuses personal access tokens (classic) whose lifetime is greater than 8 days, as this token's is".to_owned()
            )
        );
        assert!(
            policy("The enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 8 days.")
                .1
                .starts_with("the enterprise refuses")
        );
        assert_eq!(
            policy(
                "`acme` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions."
            ),
            (
                Rule::ClassicTokenForbidden,
                "`acme` refuses personal access tokens (classic); it admits a GitHub App, an OAuth App or a fine-grained personal access token".to_owned()
            )
        );
        assert_eq!(
            policy(
                "Although you appear to have the correct authorization credentials, the `SalesforceFoundation` organization has an IP allow list enabled, and your IP address is not permitted to access this resource."
            ),
            (
                Rule::IpAllowList,
                "the `SalesforceFoundation` organization admits requests only from the addresses on its IP allow list, and the address this check ran from is not on it".to_owned()
            )
        );
        assert!(
            policy("Although you appear to have the correct authorization credentials, the organization has an IP allow list enabled, and your IP address is not permitted to access this resource.")
                .1
                .starts_with("the organization admits")
        );
    }

    #[test]
    fn only_github_s_own_403_is_a_refusal() {
        let message = "`acme` forbids access via a personal access token (classic).";
        let mut proxy = github_403(message);
        proxy.body = serde_json::json!({ "message": message }).to_string();
        assert_eq!(refusal(&proxy), None);
        let mut not_found = github_403(message);
        not_found.status = StatusCode::NOT_FOUND;
        assert_eq!(refusal(&not_found), None);
        assert_eq!(
            refusal(&github_403(
                "Resource not accessible by personal access token"
            )),
            None
        );
    }
}

//! What a GitHub token can do where GitHub will not say: harmless probes, each a request
//! that cannot change anything, whose answer proves a grant or its absence. Every target
//! the policy declares is read once (`GET /repos/{owner}/{repo}` for each of
//! `repositories`, `GET /orgs/{org}` for each of `organizations`, all at once), even when
//! no permission is asked: that is where an organization's policy refuses a token that
//! works (`refusals.rs`). Then the permissions `require_permissions` asks are probed on
//! each repository reached, one after the other. Never with `probe = false`; one request
//! per target and permission, through the same client, deadline and rate limits as every
//! request.
//!
//! GitHub does not document the order of its checks; the answers relied on are what it
//! does today, and any other answer is `unverifiable` with its status, never a grant:
//! - `GET /repos/{owner}/{repo}`: 404 for a repository the token is not granted
//!   (docs.github.com/en/rest/repos/repos#get-a-repository); `private` says whether a read
//!   proves anything (fine-grained tokens "always include read-only access to all public
//!   repositories").
//! - reads: `GET …/contents/` and `GET …/pulls?per_page=1`: 200 granted, 403 or 404 not.
//! - contents write: `POST …/git/refs` with an all-zero `sha`, an object that cannot exist,
//!   so no ref can be created: 422 once the token may write, 403 "Resource not accessible
//!   by personal access token" (with `X-Accepted-GitHub-Permissions: contents=write`)
//!   before (docs.github.com/en/rest/git/refs#create-a-reference).
//! - pull requests write: `POST …/pulls` with a `title`, and a `head` and `base` naming
//!   branches that cannot exist (`patlint-probe-<random>`): a body GitHub's OpenAPI
//!   description accepts (github/rest-api-description,
//!   descriptions/api.github.com/api.github.com.2022-11-28.yaml, `pulls/create`: `required:
//!   [head, base]`, `title` "Required unless `issue` is specified"), so that a 422 can only be
//!   about the refs, after the permission check: 422 granted, 403 missing.
//! - SSO: `GET /orgs/{org}`, and the `X-GitHub-SSO: required; url=…` header of any 403:
//!   "If you receive a 403 Forbidden error, you can follow the URL in the X-GitHub-SSO
//!   header to authorize your token" (docs.github.com/en/rest/authentication/
//!   authenticating-to-the-rest-api, "Personal access tokens and SAML SSO"; and
//!   docs.github.com/en/enterprise-cloud@latest/authentication/authenticating-with-saml-single-sign-on/
//!   authorizing-a-personal-access-token-for-use-with-saml-single-sign-on). A 200 proves
//!   nothing (the organization's public view); a private repository of the organization
//!   read with the token proves it authorized there, so the organization's repositories in
//!   `repositories` are read when `GET /orgs/{org}` leaves it open. Otherwise it stays
//!   `unverifiable`, and so does the token.
//! - A refusal settles something only when it is GitHub's own answer ([`own_answer`]); a
//!   403, 404, 422 or 401 from a proxy or gateway in front of it is `unverifiable`, naming
//!   its status and content type. GitHub's own 403 for an organization's policy (a token
//!   lifetime limit, classic tokens forbidden, an IP allow list) is a `refused` grant.
//! - A 2xx to a write probe stops the token's probes with a `host-error`: GitHub accepted
//!   something that should have been impossible, so nothing may be assumed.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::Endpoint;
use super::GitHub;
use super::facts::{Visibility, of, of_mut};
use super::observe::{Api, SSO_HEADER};
use super::permissions::{REPOSITORY, ROLE_READ, ROLE_WRITE, SSO, grant_name};
use super::refusals::refusal;
use super::requirements::{Permission, PermissionLevel};
use crate::client::own_answer::{OwnAnswer, any_header};
use crate::facts::{Grant, Observation, Rejection, Settled, TokenFacts, TokenKind};
use crate::hosts::OwnRequirements;
use crate::hosts::{Answer, Probe};
use crate::rules::Rule;

/// The probes, for `patlint explain`.
pub const DOCS: &[Probe] = &[
    Probe {
        rules: &[
            Rule::MissingRepository,
            Rule::MissingPermission,
            Rule::LifetimePolicy,
            Rule::ClassicTokenForbidden,
            Rule::IpAllowList,
            Rule::ApprovalPending,
        ],
        request: "GET /repos/OWNER/REPO, for each of `repositories` (all at once, whatever the policy asks)",
        answers: "200: the token reaches the repository (and `private` says whether reads prove anything); GitHub's own 404: it is not granted (for a fine-grained token: not selected, or still awaiting the organization's approval); GitHub's own 403 for an organization's policy (lifetime limit, classic tokens forbidden, IP allow list): refused there",
        harmless: "a read",
    },
    Probe {
        rules: &[Rule::MissingPermission],
        request: "GET /repos/OWNER/REPO/contents/ and GET /repos/OWNER/REPO/pulls?per_page=1 (read, private repositories only)",
        answers: "200: granted; GitHub's own 403 or 404: not granted",
        harmless: "reads",
    },
    Probe {
        rules: &[Rule::MissingPermission],
        request: "POST /repos/OWNER/REPO/git/refs {\"ref\": \"refs/heads/patlint-probe-…\", \"sha\": \"000…0\"} (contents write)",
        answers: "422 as GitHub's JSON: granted (the permission check passed, then the object was refused); GitHub's own 403: not granted",
        harmless: "the all-zero object can never exist, so no ref can be created",
    },
    Probe {
        rules: &[Rule::MissingPermission],
        request: "POST /repos/OWNER/REPO/pulls {\"title\": …, \"head\": \"patlint-probe-…\", \"base\": \"patlint-probe-…-base\"} (pull requests write)",
        answers: "422 as GitHub's JSON: granted (the permission check passed, then the branches were refused); GitHub's own 403: not granted",
        harmless: "neither branch exists, so no pull request can be opened",
    },
    Probe {
        rules: &[
            Rule::SsoNotAuthorized,
            Rule::LifetimePolicy,
            Rule::ClassicTokenForbidden,
            Rule::IpAllowList,
        ],
        request: "GET /orgs/ORG, for each of `organizations` (default: the owners of `repositories`), at the same time as the repositories",
        answers: "403 with `X-GitHub-SSO: required; url=…`: not authorized for the organization's SAML SSO (the URL authorizes it); GitHub's own 403 for the organization's policy: refused there; 200 proves nothing (it may be the public view), so a private repository of the organization in `repositories`, read with the token, settles it: 200 proves the token authorized there; otherwise unverifiable",
        harmless: "a read",
    },
];

/// The permissions the policy requires of the token.
fn required_permissions<'a>(api: &Api<'a>) -> &'a [Permission] {
    GitHub::requirements_of(api.call().requirements()).required_permissions()
}

/// Whether the policy declares a target to read (nothing more is sent without one) and
/// allows probes.
pub(super) fn asked(api: &Api<'_>, endpoint: &Endpoint) -> bool {
    api.call().requirements().probes()
        && !(endpoint.organizations.is_empty() && endpoint.repositories.is_empty())
}

/// Reads every target, then probes the permissions the policy asks on each repository
/// reached, recording what each settled in `facts`. An `Err` is the token's observation
/// instead: rejected, or a host error.
pub(super) async fn run(
    api: &Api<'_>,
    endpoint: &Endpoint,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    // Every target at once: each repository, and each organization (its SSO
    // authorization, and its own policy where no repository of it is named).
    let repositories = join_all(
        endpoint
            .repositories
            .iter()
            .map(|repository| read(api, format!("repos/{}", repository.value))),
    );
    let organizations = join_all(
        endpoint
            .organizations
            .iter()
            .map(|organization| read(api, format!("orgs/{organization}"))),
    );
    let (repositories, organizations) = tokio::join!(repositories, organizations);
    let mut reached = Vec::new();
    for (repository, answer) in endpoint.repositories.iter().zip(repositories) {
        let answer = answer?;
        if record_repository(&repository.value, &answer, facts)? {
            reached.push((repository.value.as_str(), answer));
        }
    }
    for (organization, answer) in endpoint.organizations.iter().zip(organizations) {
        settle_sso(organization, &answer?, facts)?;
    }
    let permissions = required_permissions(api);
    if permissions.is_empty() {
        return Ok(());
    }
    // A classic token may do what its scopes allow and its user's role permits: the role
    // is the `permissions` GitHub gives the authenticated user in the same answer.
    if facts.kind == TokenKind::ClassicPat {
        for (repository, answer) in &reached {
            facts.grants.extend(roles(repository, answer));
        }
        return Ok(());
    }
    // One after the other: a write probe GitHub accepts stops every probe after it, so
    // that nothing more is sent once something impossible happened.
    for (repository, _) in &reached {
        let public = of(facts).visibility.get(*repository) == Some(&Visibility::Public);
        for permission in permissions {
            let grant = permission_probe(api, repository, permission, public).await?;
            facts.grants.push(grant);
        }
    }
    Ok(())
}

/// `GET {path}`, owning its path so that many can be in flight at once.
async fn read(api: &Api<'_>, path: String) -> Result<Answer, Observation> {
    api.get(&path).await
}

/// `GET /orgs/{org}`: the organization's SSO authorization of the token (or its refusal
/// by the organization's policy), unless a repository's answer already settled it.
fn settle_sso(
    organization: &str,
    answer: &Answer,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    if sso_known(facts, organization) {
        return Ok(());
    }
    let mut grant = sso(organization, answer)?;
    if matches!(grant.settled, Settled::Unverifiable { .. })
        && let Some(repository) = private_reached(facts, organization)
    {
        // Another answer settles it: a private repository of the organization read
        // with the token.
        grant = Grant::new(
            organization,
            SSO,
            Settled::Granted,
            format!(
                "probe: GET /repos/{repository} → 200, a private repository of `{organization}`: GitHub refuses a token its SAML SSO has not authorized (403 with X-GitHub-SSO)"
            ),
        );
    }
    facts.grants.push(grant);
    Ok(())
}

fn owner(repository: &str) -> &str {
    repository.split_once('/').map_or(repository, |(o, _)| o)
}

/// Whether a probe already recorded the organization's SSO authorization.
fn sso_known(facts: &TokenFacts, organization: &str) -> bool {
    facts
        .grants
        .iter()
        .any(|g| g.permission == SSO && g.target.eq_ignore_ascii_case(organization))
}

/// A private repository of the organization that the token read: GitHub refuses every
/// request of a token its SAML SSO has not authorized on the organization's private
/// resources, so such a read proves the token authorized there.
fn private_reached(facts: &TokenFacts, organization: &str) -> Option<String> {
    of(facts)
        .visibility
        .iter()
        .filter(|(repository, visibility)| {
            **visibility == Visibility::Private
                && owner(repository).eq_ignore_ascii_case(organization)
        })
        .map(|(repository, _)| repository)
        .find(|repository| {
            facts
                .grant(repository, REPOSITORY)
                .is_some_and(|g| g.settled == Settled::Granted)
        })
        .cloned()
}

/// `GET /repos/{owner}/{repo}`'s answer: records whether the token reaches the repository
/// (and whether it is private), an SSO refusal of its owner, or its owner's policy
/// refusing the token. `Ok(true)`: reached.
fn record_repository(
    repository: &str,
    answer: &Answer,
    facts: &mut TokenFacts,
) -> Result<bool, Observation> {
    let owner = owner(repository);
    if let Some(sso) = sso_required(owner, answer)
        && !sso_known(facts, owner)
    {
        facts.grants.push(sso);
    }
    let reach = reach(answer)?;
    let reachable = reach == Settled::Granted;
    if reachable {
        let private = answer
            .json::<serde_json::Value>()
            .and_then(|repo| repo.get("private")?.as_bool());
        match private {
            Some(private) => {
                let visibility = if private {
                    Visibility::Private
                } else {
                    Visibility::Public
                };
                of_mut(facts)
                    .visibility
                    .insert(repository.to_owned(), visibility);
            }
            None => {
                return Err(Observation::host_error(format!(
                    "{} answered 200 without a boolean `private`: not GitHub's repository object",
                    answer.request
                )));
            }
        }
    }
    facts
        .grants
        .push(Grant::new(repository, REPOSITORY, reach, evidence(answer)));
    Ok(reachable)
}

/// How a probe's answer is cited: its request and status, and GitHub's words when it
/// refused the token for an organization's policy.
fn evidence(answer: &Answer) -> String {
    match (refusal(answer), answer.api_message()) {
        (Some(_), Some(message)) => format!("{}: \"{message}\"", answer.probe_evidence()),
        _ => answer.probe_evidence(),
    }
}

/// The user's role on the repository, from `permissions` in `GET /repos/{owner}/{repo}`
/// ("pull", "push", …): `role:read` and `role:write`, unverifiable when absent.
fn roles(repository: &str, answer: &Answer) -> Vec<Grant> {
    let permissions = answer
        .json::<serde_json::Value>()
        .and_then(|repo| repo.get("permissions").cloned());
    [(ROLE_READ, "pull"), (ROLE_WRITE, "push")]
        .into_iter()
        .map(|(grant, key)| {
            let settled = match permissions.as_ref().and_then(|p| p.get(key)?.as_bool()) {
                Some(true) => Settled::Granted,
                Some(false) => Settled::Missing { help: None },
                None => Settled::Unverifiable {
                    reason: format!("{} did not say the user's `permissions`", answer.request),
                },
            };
            Grant::new(
                repository,
                grant,
                settled,
                format!("{}, `permissions.{key}`", answer.probe_evidence()),
            )
        })
        .collect()
}

/// Whether `GET /repos/{owner}/{repo}` shows the token reaching the repository.
fn reach(answer: &Answer) -> Result<Settled, Observation> {
    Ok(match answer.status {
        StatusCode::OK => Settled::Granted,
        StatusCode::FORBIDDEN if answer.headers.contains_key(SSO_HEADER) => sso_first(),
        StatusCode::FORBIDDEN if let Some(refused) = refusal(answer) => refused,
        StatusCode::FORBIDDEN if !own_answer(answer) => not_own(answer),
        StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED if !own_answer(answer) => not_own(answer),
        StatusCode::NOT_FOUND => Settled::Missing { help: None },
        StatusCode::UNAUTHORIZED => return Err(invalid(answer)),
        status => unexpected(status, "200 or 404"),
    })
}

async fn permission_probe(
    api: &Api<'_>,
    repository: &str,
    permission: &Permission,
    public: bool,
) -> Result<Grant, Observation> {
    let name = permission.name.as_str();
    let level = permission.level.value;
    let grant_name = grant_name(name, level);
    let grant = |settled, evidence: String| Grant::new(repository, &grant_name, settled, evidence);
    let answer = match (name, level) {
        ("metadata", PermissionLevel::Read) => {
            return Ok(grant(
                Settled::Granted,
                format!("probe: GET /repos/{repository} → 200: every repository a token reaches grants metadata read"),
            ));
        }
        ("contents" | "pull_requests", PermissionLevel::Read) if public => {
            return Ok(grant(
                Settled::Granted,
                format!("GET /repos/{repository} says it is public: GitHub lets every token read a public repository"),
            ));
        }
        ("contents", PermissionLevel::Read) => {
            api.get(&format!("repos/{repository}/contents/")).await?
        }
        ("pull_requests", PermissionLevel::Read) => {
            api.get(&format!("repos/{repository}/pulls?per_page=1"))
                .await?
        }
        ("contents", PermissionLevel::Write) => {
            api.post(
                &format!("repos/{repository}/git/refs"),
                json!({"ref": format!("refs/heads/patlint-probe-{}", probe_id()), "sha": "0".repeat(40)}),
            )
            .await?
        }
        ("pull_requests", PermissionLevel::Write) => {
            let branch = format!("patlint-probe-{}", probe_id());
            api.post(
                &format!("repos/{repository}/pulls"),
                json!({
                    "title": "patlint probe: not a pull request (neither branch exists)",
                    "head": branch,
                    "base": format!("{branch}-base"),
                }),
            )
            .await?
        }
        _ => {
            return Ok(grant(
                Settled::Unverifiable {
                    reason: format!(
                        "no request can show `{name} = \"{}\"` without changing something on GitHub",
                        level.as_str()
                    ),
                },
                "no probe".into(),
            ));
        }
    };
    let settled = if level == PermissionLevel::Read {
        read_outcome(&answer)?
    } else {
        write_outcome(&answer)?
    };
    Ok(grant(settled, evidence(&answer)))
}

fn read_outcome(answer: &Answer) -> Result<Settled, Observation> {
    Ok(match answer.status {
        StatusCode::OK => Settled::Granted,
        _ if answer.headers.contains_key(SSO_HEADER) => sso_first(),
        StatusCode::FORBIDDEN if let Some(refused) = refusal(answer) => refused,
        StatusCode::FORBIDDEN if secondary_limit(answer) => secondary_limit_reached(answer),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED
            if !own_answer(answer) =>
        {
            not_own(answer)
        }
        StatusCode::UNAUTHORIZED => return Err(invalid(answer)),
        // An empty repository has no contents to list: that proves nothing.
        StatusCode::NOT_FOUND
            if answer.api_message().as_deref() == Some("This repository is empty.") =>
        {
            Settled::Unverifiable {
                reason: "the repository is empty, so there are no contents to read".into(),
            }
        }
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => Settled::Missing { help: None },
        status => unexpected(status, "200, 403 or 404"),
    })
}

fn write_outcome(answer: &Answer) -> Result<Settled, Observation> {
    Ok(match answer.status {
        _ if answer.headers.contains_key(SSO_HEADER) => sso_first(),
        StatusCode::FORBIDDEN if let Some(refused) = refusal(answer) => refused,
        StatusCode::FORBIDDEN if secondary_limit(answer) => secondary_limit_reached(answer),
        // A 422, 403 or 401 from anything but GitHub (a proxy, a firewall) proves nothing.
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
            if !own_answer(answer) =>
        {
            not_own(answer)
        }
        StatusCode::UNPROCESSABLE_ENTITY => Settled::Granted,
        StatusCode::UNAUTHORIZED => return Err(invalid(answer)),
        StatusCode::FORBIDDEN => Settled::Missing { help: None },
        status if status.is_success() => {
            return Err(Observation::host_error(format!(
                "a probe was accepted; nothing may be assumed: {} answered {status}, where GitHub refuses that request whatever the token may do; tell the patlint maintainers, and check the repository for a ref or pull request named patlint-probe",
                answer.request
            )));
        }
        status => unexpected(status, "422 or 403"),
    })
}

/// What marks GitHub's own answer: its JSON error, with a `message` and its
/// `documentation_url` (the `basic-error` schema of github/rest-api-description,
/// `message`, `documentation_url`, `url`, `status`, as generated from it in
/// docs.rs/crate/openapi-github `src/models/basic_error.rs`; the body of its `forbidden`,
/// `not_found` and `validation_failed` responses), or the `X-GitHub-Request-Id` header
/// GitHub sets on its answers, the id its staff find a request by
/// (octokit/plugin-request-log.js#382, which logs it on every response). A proxy or
/// gateway in front of GitHub sends neither. (A 403 with `X-GitHub-SSO` is GitHub's by
/// that header.)
pub(super) const OWN: OwnAnswer = OwnAnswer {
    hosts: "GitHub's",
    marks: "GitHub's JSON error (`message` with `documentation_url`) or its `X-GitHub-Request-Id` header",
    body: |body| {
        body.get("message").is_some_and(|m| m.is_string())
            && body.get("documentation_url").is_some_and(|d| d.is_string())
    },
    marked: |answer| any_header(answer, &["x-github-request-id"]),
};

/// Whether a refusal is GitHub's own answer ([`OWN`]).
pub(super) fn own_answer(answer: &Answer) -> bool {
    OWN.recognises(answer)
}

/// A refusal that is not GitHub's own: proves nothing, and says what came back.
fn not_own(answer: &Answer) -> Settled {
    Settled::Unverifiable {
        reason: OWN.not_own(answer),
    }
}

/// A 403 for a secondary rate limit without `retry-after` (which the client would have
/// waited out): "You have exceeded a secondary rate limit".
fn secondary_limit(answer: &Answer) -> bool {
    answer
        .api_message()
        .is_some_and(|m| m.to_ascii_lowercase().contains("rate limit"))
}

fn secondary_limit_reached(answer: &Answer) -> Settled {
    Settled::Unverifiable {
        reason: format!(
            "{} hit GitHub's secondary rate limit, which says nothing about the permission; run again later",
            answer.request
        ),
    }
}

fn sso_first() -> Settled {
    Settled::Unverifiable {
        reason: "its organization requires SAML SSO authorization of the token first".into(),
    }
}

/// `GET /orgs/{org}`: whether the token is authorized for the organization's SSO.
fn sso(organization: &str, answer: &Answer) -> Result<Grant, Observation> {
    if let Some(missing) = sso_required(organization, answer) {
        return Ok(missing);
    }
    let settled = match answer.status {
        StatusCode::FORBIDDEN if let Some(refused) = refusal(answer) => refused,
        StatusCode::FORBIDDEN if !own_answer(answer) => not_own(answer),
        // GitHub may answer an unauthorized token with the organization's public view:
        // only a refusal is evidence, so a 200 is not recorded as an authorization.
        StatusCode::OK => Settled::Unverifiable {
            reason: format!(
                "{} answered 200, which GitHub also gives a token its SAML SSO has not authorized (the organization's public view), and no private repository of `{organization}` was read with the token (one in `repositories` that the token reads would show it authorized)",
                answer.request
            ),
        },
        StatusCode::UNAUTHORIZED if own_answer(answer) => return Err(invalid(answer)),
        StatusCode::UNAUTHORIZED => not_own(answer),
        status => unexpected(status, "200, or 403 with X-GitHub-SSO"),
    };
    Ok(Grant::new(organization, SSO, settled, evidence(answer)))
}

/// A 403 with `X-GitHub-SSO: required; url=…`: the token is not authorized for the
/// organization's SAML SSO, and the URL is where to authorize it.
fn sso_required(organization: &str, answer: &Answer) -> Option<Grant> {
    if answer.status != StatusCode::FORBIDDEN {
        return None;
    }
    let header = answer.header(SSO_HEADER)?;
    if !header.trim_start().starts_with("required") {
        return None;
    }
    let url = header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("url="))
        .filter(|url| url.starts_with("https://"));
    let help = match url {
        Some(url) => format!(
            "authorize the token for `{organization}`: open {url} (or Settings > Developer settings > Personal access tokens > Configure SSO > Authorize)"
        ),
        None => format!(
            "authorize the token for `{organization}`: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize"
        ),
    };
    Some(Grant::new(
        organization,
        SSO,
        Settled::Missing { help: Some(help) },
        format!("{}, with X-GitHub-SSO: {header}", answer.probe_evidence()),
    ))
}

fn invalid(answer: &Answer) -> Observation {
    Observation::rejected(
        Rejection::Invalid,
        format!(
            "GitHub answered 401 to a probe ({})",
            answer.api_message().as_deref().unwrap_or("Bad credentials")
        ),
        format!("probe: {} → 401", answer.request),
    )
}

fn unexpected(status: StatusCode, expected: &str) -> Settled {
    Settled::Unverifiable {
        reason: format!(
            "GitHub answered {status} where it answers {expected}; a changed answer is never taken as a grant"
        ),
    }
}

/// A branch name no one else uses, for a ref that can never be created anyway: each
/// `RandomState` draws new random keys, so hashing a constant gives a random number.
fn probe_id() -> String {
    use std::hash::BuildHasher;
    let hash = std::hash::RandomState::new().hash_one(0u8);
    format!("{hash:016x}")
}

//! Code scopes by harmless probes, for a PAT checked without the PAT Lifecycle API (no
//! `entra_token`, and every Server / TFS PAT). Azure DevOps checks a PAT's scopes before
//! it looks at the request, so a request that can never succeed still tells whether the
//! scope was there; it does not document that order, so any other answer is
//! `unverifiable` with its status, never a grant. Run only after connectionData accepted
//! the PAT, only for `vso.code` / `vso.code_write` when the policy requires or forbids
//! them, and never with `probe = false`:
//! - `vso.code`: `GET {base}/_apis/git/repositories` (Git Repositories - List,
//!   learn.microsoft.com/en-us/rest/api/azure/devops/git/repositories/list): 200 granted,
//!   401 missing.
//! - `vso.code_write`: `POST {base}/{project}/_apis/git/repositories/{all-zero id}/pullrequests`
//!   with `{}` (Pull Requests - Create, …/git/pull-requests/create): no repository has the
//!   all-zero id and `{}` is no pull request, so nothing can be created. 400, or 404 with
//!   TF401019 ("the Git repository … does not exist"), come after the scope check:
//!   granted; 401 missing.
//! - A refusal settles a scope only when it is recognisably Azure DevOps' own answer (see
//!   [`OWN`]): a 401 from a proxy or gateway in front of it (RFC 9457
//!   `application/problem+json`, an HTML page) is `unverifiable`, naming its status and
//!   content type.
//! - With `project` declared, the `vso.code` read is of the project's repositories
//!   (`{base}/{project}/_apis/git/repositories`, which `vso.code` covers: `Repositories_List`
//!   in MicrosoftDocs/vsts-rest-api-specs `specification/git/7.1/git.json`, where
//!   `Projects_Get` would need `vso.project`), sent even when no scope is asked: it is the
//!   project's reach too (`project.rs`).
//! - 203, a redirect or an HTML sign-in page (conditional access) is `unverifiable`.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};

use super::refusals::{OWN, conditional_access, evidence};
use crate::client::wire::join;
use crate::facts::{Grant, Observation, Settled, TokenFacts};
use crate::hosts::{Answer, Call, Probe};
use crate::policy::raw::Text;
use crate::policy::{Setting, TokenKeys};
use crate::rules::Rule;

/// The `project` key: a project name, as Azure DevOps allows them (no `/`, `\\` or control
/// characters; it travels as one percent-encoded path segment).
pub(super) fn project(keys: &mut TokenKeys<'_>, project: Option<Text>) -> Option<Setting<String>> {
    let project = project?;
    let name = project.get_ref();
    let valid = !name.trim().is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 64
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#'));
    if !valid {
        keys.problem(
            project.span(),
            format!("`{name}` is not an Azure DevOps project name"),
            "not a project name",
            Some("write the project's name as it appears in its URL, e.g. project = \"Fabrikam Fiber\"".into()),
        );
        return None;
    }
    Some(keys.setting(project))
}

/// The probes, for `patlint explain`.
pub const DOCS: &[Probe] = &[
    Probe {
        rules: &[Rule::MissingRepository, Rule::ConditionalAccess],
        request: "GET {organization or collection}/{project}/_apis/git/repositories, for the `project` the policy names (whatever else it asks; the same request settles vso.code)",
        answers: "200: the PAT reaches the project; Azure DevOps' own 404 (or TF400813): it does not (`missing-repository`); its own 403 VS403463: the organization's conditional access policy refuses the PAT (`conditional-access`); its own 401: the PAT lacks vso.code, so the reach is unverifiable; anything that is not Azure DevOps' own answer: unverifiable",
        harmless: "a read",
    },
    Probe {
        rules: &[Rule::MissingScope, Rule::ForbiddenScope],
        request: "GET {organization or collection}/_apis/git/repositories (vso.code; in the `project` when the policy names one)",
        answers: "200: granted; Azure DevOps' own 401 (its JSON error or activity headers): not granted; a 401 from anything else: unverifiable",
        harmless: "a read",
    },
    Probe {
        rules: &[Rule::MissingScope, Rule::ForbiddenScope],
        request: "POST {organization or collection}/{project}/_apis/git/repositories/00000000-0000-0000-0000-000000000000/pullrequests with {} (vso.code_write)",
        answers: "400, or 404 with TF401019, as Azure DevOps' JSON: granted (the scope check passed, then the request was refused); Azure DevOps' own 401 (its JSON error or activity headers `ActivityId`, `X-TFS-ProcessId`, `X-VSS-E2EID`): not granted; a 401 from anything else (a proxy's problem+json, an HTML page), 203 or a sign-in page: unverifiable",
        harmless: "no repository has the all-zero id and `{}` is no pull request, so nothing can be created",
    },
];

pub const CODE_READ: &str = "vso.code";
pub const CODE_WRITE: &str = "vso.code_write";

/// Where the probes go, and the api-version the product takes.
pub(super) struct Target<'a> {
    pub product: &'a str,
    /// The organization (`https://dev.azure.com/ORG`) or collection URL.
    pub base: &'a Url,
    pub project: Option<&'a str>,
    /// Services: 7.1. Server: 5.0, which Azure DevOps Server 2019 and every later server
    /// accept (a server accepts the versions before its own); TFS 2017/2018 refuse it,
    /// which reads as `unverifiable`.
    pub api_version: &'static str,
}

/// Whether the policy asks a scope the probes settle, with probes allowed and no
/// authoritative answer already.
fn asks(call: &Call<'_>, facts: &TokenFacts, scope: &str) -> bool {
    let reqs = call.requirements();
    reqs.probes()
        && facts.scopes.is_unobservable()
        && reqs
            .required_scopes()
            .iter()
            .chain(reqs.forbidden_scopes())
            .any(|s| s.value == scope)
}

/// Reads the declared project and probes the code scopes the policy asks about, all at
/// once, recording each in `facts`: one GET of the project's repositories serves both its
/// reach and `vso.code`. An `Err` is the token's observation instead (a probe that was
/// accepted).
pub(super) async fn run(
    call: &Call<'_>,
    target: &Target<'_>,
    pat: &HeaderValue,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    let project = target.project.filter(|_| call.requirements().probes());
    let code_read = asks(call, facts, CODE_READ);
    let read = match (project, code_read) {
        (Some(project), _) => Some(in_project(
            target,
            project,
            &["_apis", "git", "repositories"],
        )?),
        (None, true) => Some(with_version(
            join(target.base, "_apis/git/repositories"),
            target,
        )),
        (None, false) => None,
    };
    let write = match (asks(call, facts, CODE_WRITE), target.project) {
        (true, Some(project)) => Some(in_project(
            target,
            project,
            &["_apis", "git", "repositories", ZERO_ID, "pullrequests"],
        )?),
        _ => None,
    };
    let read = async {
        match read {
            Some(url) => Some(send(call, target, pat, reqwest::Method::GET, url).await),
            None => None,
        }
    };
    let write = async {
        match write {
            Some(url) => Some(send(call, target, pat, reqwest::Method::POST, url).await),
            None => None,
        }
    };
    let (read, write) = tokio::join!(read, write);
    if let Some(answer) = &read {
        if let Some(project) = project {
            facts.grants.push(super::project::reach(project, answer));
        }
        if code_read {
            let grant = match answer {
                Ok(answer) => self::read(answer, project.is_some()),
                Err(reason) => (unsent(reason.clone()), "no answer".into()),
            };
            push(facts, target, CODE_READ, grant);
        }
    }
    if asks(call, facts, CODE_WRITE) {
        let grant = match write {
            None => (
                Settled::Unverifiable {
                    reason: format!(
                        "set `project` (a project of {}) so that patlint can probe it there",
                        target.base
                    ),
                },
                "no probe".into(),
            ),
            Some(Ok(answer)) => self::write(&answer)?,
            Some(Err(reason)) => (unsent(reason), "no answer".into()),
        };
        push(facts, target, CODE_WRITE, grant);
    }
    Ok(())
}

/// `{base}/{project}/{segments…}?api-version=…`, the project one encoded path segment.
fn in_project(target: &Target<'_>, project: &str, segments: &[&str]) -> Result<Url, Observation> {
    let mut url = target.base.clone();
    url.path_segments_mut()
        .map_err(|()| Observation::host_error("the URL cannot take a path"))?
        .pop_if_empty()
        .push(project)
        .extend(segments);
    Ok(with_version(url, target))
}

fn unsent(reason: String) -> Settled {
    Settled::Unverifiable {
        reason: format!("its probe got no answer: {reason}"),
    }
}

const ZERO_ID: &str = "00000000-0000-0000-0000-000000000000";

fn with_version(mut url: Url, target: &Target<'_>) -> Url {
    url.query_pairs_mut()
        .append_pair("api-version", target.api_version);
    url
}

fn push(
    facts: &mut TokenFacts,
    target: &Target<'_>,
    scope: &str,
    (settled, evidence): (Settled, String),
) {
    let on = match target.project {
        Some(project) if scope == CODE_WRITE => format!("{}/{project}", target.base),
        _ => target.base.to_string(),
    };
    facts.grants.push(Grant::new(on, scope, settled, evidence));
}

async fn send(
    call: &Call<'_>,
    target: &Target<'_>,
    pat: &HeaderValue,
    method: reqwest::Method,
    url: Url,
) -> Result<Answer, String> {
    call.send(target.product, |client| {
        let request = client
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, pat.clone())
            .header(ACCEPT, "application/json")
            .header("x-tfs-fedauthredirect", "Suppress");
        if method == reqwest::Method::POST {
            request.json(&serde_json::json!({}))
        } else {
            request
        }
    })
    .await
    .map_err(|e| e.message)
}

/// `vso.code` from the GET of the repositories; `in_project`: of the declared project,
/// whose reach records a conditional-access refusal (so the scope says nothing more).
fn read(answer: &Answer, in_project: bool) -> (Settled, String) {
    let settled = match answer.status {
        StatusCode::OK
            if answer
                .json::<serde_json::Value>()
                .is_some_and(|v| v.is_object()) =>
        {
            Settled::Granted
        }
        StatusCode::FORBIDDEN if let Some(policy) = conditional_access(answer) => {
            if in_project {
                refused_first(answer)
            } else {
                Settled::Refused {
                    rule: Rule::ConditionalAccess,
                    policy,
                }
            }
        }
        StatusCode::UNAUTHORIZED => unauthorized(answer),
        _ => refused_or_unknown(answer, "200 or 401"),
    };
    (settled, evidence(answer))
}

/// A scope probe refused by the organization's conditional access policy: the refusal is
/// recorded on the project, and says nothing about the scope.
fn refused_first(answer: &Answer) -> Settled {
    Settled::Unverifiable {
        reason: format!(
            "its probe {} was refused by the organization's conditional access policy, which says nothing about the scope",
            answer.request
        ),
    }
}

fn write(answer: &Answer) -> Result<(Settled, String), Observation> {
    let type_key = answer
        .json::<serde_json::Value>()
        .and_then(|v| v.get("typeKey")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    let message = answer.api_message().unwrap_or_default();
    let settled = match answer.status {
        // An api-version the server does not take is refused before any scope check.
        StatusCode::BAD_REQUEST if type_key.contains("Version") => Settled::Unverifiable {
            reason: format!(
                "its probe {} was refused for its api-version (`{type_key}`): TFS before Azure DevOps Server 2019?",
                answer.request
            ),
        },
        // Azure DevOps' own refusals are JSON with a `typeKey`; a 400 without one (a proxy,
        // a firewall) proves nothing.
        StatusCode::BAD_REQUEST if !type_key.is_empty() => Settled::Granted,
        StatusCode::NOT_FOUND if !type_key.is_empty() && message.contains("TF401019") => {
            Settled::Granted
        }
        StatusCode::UNAUTHORIZED => unauthorized(answer),
        StatusCode::FORBIDDEN if conditional_access(answer).is_some() => refused_first(answer),
        status if status.is_success() && status != StatusCode::NON_AUTHORITATIVE_INFORMATION => {
            return Err(Observation::host_error(format!(
                "a probe was accepted; nothing may be assumed: {} answered {status}, where no repository has the all-zero id; tell the patlint maintainers",
                answer.request
            )));
        }
        _ => refused_or_unknown(answer, "400, 404 with TF401019, or 401"),
    };
    Ok((settled, answer.probe_evidence()))
}

/// A refusal that is not Azure DevOps' own: proves nothing, and says what came back.
pub(super) fn not_own(answer: &Answer) -> Settled {
    Settled::Unverifiable {
        reason: format!("its probe {}", OWN.not_own(answer)),
    }
}

/// Azure DevOps' own 401 after connectionData accepted the PAT is the scope check, unless
/// it says the user is not authorized for the resource (TF400813), which says nothing of
/// the scope.
fn unauthorized(answer: &Answer) -> Settled {
    if !OWN.recognises(answer) {
        return not_own(answer);
    }
    if answer.body.contains("TF400813") {
        return Settled::Unverifiable {
            reason: format!(
                "its probe {} was refused because the user is not authorized there (TF400813), which says nothing about the scope",
                answer.request
            ),
        };
    }
    Settled::Missing { help: None }
}

/// A sign-in page, a redirect or another answer: proves nothing either way.
pub(super) fn refused_or_unknown(answer: &Answer, expected: &str) -> Settled {
    let status = answer.status;
    let reason = if status == StatusCode::NON_AUTHORITATIVE_INFORMATION
        || status.is_redirection()
        || answer.body_kind() == "an HTML page"
    {
        format!(
            "its probe {} was answered {status} with a sign-in page or a redirect (conditional access?), which proves nothing",
            answer.request
        )
    } else {
        format!(
            "its probe {} was answered {status}{} where Azure DevOps answers {expected}; a changed answer is never taken as a grant",
            answer.request,
            answer.quoted_message()
        )
    };
    Settled::Unverifiable { reason }
}

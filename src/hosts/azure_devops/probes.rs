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
//!   [`own_answer`]): a 401 from a proxy or gateway in front of it (RFC 9457
//!   `application/problem+json`, an HTML page) is `unverifiable`, naming its status and
//!   content type.
//! - 203, a redirect or an HTML sign-in page (conditional access) is `unverifiable`.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};

use crate::client::wire::join;
use crate::facts::{Grant, Observation, Settled, TokenFacts};
use crate::hosts::{Answer, Call, Probe};
use crate::policy::TokenKeys;
use crate::policy::raw::Text;
use crate::rules::Rule;

/// The `project` key: a project name, as Azure DevOps allows them (no `/`, `\\` or control
/// characters; it travels as one percent-encoded path segment).
pub(super) fn project(keys: &mut TokenKeys<'_>, project: Option<&Text>) -> Option<String> {
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
    Some(name.clone())
}

/// The probes, for `patlint explain`.
pub const DOCS: &[Probe] = &[
    Probe {
        rules: &[Rule::MissingScope, Rule::ForbiddenScope],
        request: "GET {organization or collection}/_apis/git/repositories (vso.code)",
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

/// Probes the code scopes the policy asks about, recording each in `facts`. An `Err` is
/// the token's observation instead (a probe that was accepted).
pub(super) async fn code_scopes(
    call: &Call<'_>,
    target: &Target<'_>,
    pat: &HeaderValue,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    if asks(call, facts, CODE_READ) {
        let url = with_version(join(target.base, "_apis/git/repositories"), target);
        let grant = match send(call, target, pat, reqwest::Method::GET, url).await {
            Ok(answer) => read(&answer),
            Err(reason) => (unsent(reason), "no answer".into()),
        };
        push(facts, target, CODE_READ, grant);
    }
    if asks(call, facts, CODE_WRITE) {
        let grant = match target.project {
            None => (
                Settled::Unverifiable {
                    reason: format!(
                        "set `project` (a project of {}) so that patlint can probe it there",
                        target.base
                    ),
                },
                "no probe".into(),
            ),
            Some(project) => {
                let mut url = target.base.clone();
                url.path_segments_mut()
                    .map_err(|()| Observation::host_error("the URL cannot take a path"))?
                    .pop_if_empty()
                    .push(project)
                    .extend(["_apis", "git", "repositories", ZERO_ID, "pullrequests"]);
                let url = with_version(url, target);
                match send(call, target, pat, reqwest::Method::POST, url).await {
                    Ok(answer) => write(&answer)?,
                    Err(reason) => (unsent(reason), "no answer".into()),
                }
            }
        };
        push(facts, target, CODE_WRITE, grant);
    }
    Ok(())
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

fn read(answer: &Answer) -> (Settled, String) {
    let settled = match answer.status {
        StatusCode::OK
            if answer
                .json::<serde_json::Value>()
                .is_some_and(|v| v.is_object()) =>
        {
            Settled::Granted
        }
        StatusCode::UNAUTHORIZED => unauthorized(answer),
        _ => refused_or_unknown(answer, "200 or 401"),
    };
    (settled, answer.probe_evidence())
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

/// The headers Azure DevOps sets on its answers, errors included: the activity id its
/// clients read from every answer (`ActivityId`: `VssResponseContext` in the .NET client,
/// `HttpHeaders.ActivityId`), and the process and end-to-end ids beside it
/// (`X-TFS-ProcessId`, `X-VSS-E2EID`: listed among the headers of every answer by the
/// HTTP logger of microsoft/azure-devops-dotnet-samples, ClientSampleHttpLogger.cs).
const ACTIVITY_HEADERS: &[&str] = &["activityid", "x-tfs-processid", "x-vss-e2eid"];

/// Whether an answer is recognisably Azure DevOps' own: its JSON error body, a serialized
/// `WrappedException` (`$id`, `innerException`, `message`, `typeName`, `typeKey`,
/// `errorCode`, `eventId`: microsoft/azure-devops-node-api
/// api/interfaces/common/VSSInterfaces.ts; microsoft/azure-devops-python-api
/// azure/devops/client.py `_handle_error` reads it and needs its `message`), or its
/// activity headers. A proxy, gateway or firewall in front of it sends neither.
pub(super) fn own_answer(answer: &Answer) -> bool {
    let wrapped = answer.json::<serde_json::Value>().is_some_and(|v| {
        v.get("message").is_some_and(|m| m.is_string())
            && v.get("typeKey").is_some_and(|k| k.is_string())
    });
    wrapped
        || ACTIVITY_HEADERS
            .iter()
            .any(|name| answer.header(name).is_some_and(|v| !v.trim().is_empty()))
}

/// A refusal that is not Azure DevOps' own: proves nothing, and says what came back.
fn not_own(answer: &Answer) -> Settled {
    Settled::Unverifiable {
        reason: format!(
            "its probe {} was answered {} without Azure DevOps' JSON error (`message`, `typeKey`) or its activity headers (`ActivityId`, `X-TFS-ProcessId`, `X-VSS-E2EID`): not Azure DevOps' own answer (a proxy or gateway?), so it proves nothing about the scope",
            answer.request,
            answer.status_and_type()
        ),
    }
}

/// Azure DevOps' own 401 after connectionData accepted the PAT is the scope check, unless
/// it says the user is not authorized for the resource (TF400813), which says nothing of
/// the scope.
fn unauthorized(answer: &Answer) -> Settled {
    if !own_answer(answer) {
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
fn refused_or_unknown(answer: &Answer, expected: &str) -> Settled {
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

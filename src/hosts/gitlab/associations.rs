//! A token's role on the projects the integration works on (`require_access_level` on
//! `projects`). A project or group access token is capped by its role, which `/self` does
//! not show; `GET /personal_access_tokens/self/associations` (GitLab 17.4+) lists "all
//! groups and projects accessible by the personal access token used to authenticate the
//! request", each with its `access_levels`, and takes `min_access_level`
//! (docs.gitlab.com/api/personal_access_tokens/#list-all-token-associations). A read; sent
//! only when the policy asks, never with `probe = false`.
//!
//! Asked with `min_access_level` set to the required role, every project listed has at
//! least that role, and so does every project under a listed group (a group membership
//! is inherited by its projects). A project in neither is below the role or not reached.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::Endpoint;
use crate::facts::{Grant, Observation, Settled, TokenFacts};
use crate::hosts::wire::join;
use crate::hosts::{Answer, Call, Probe};
use crate::policy::AccessLevel;
use crate::rules::Rule;

/// The listing, for `patlint explain`.
pub const DOCS: &[Probe] = &[Probe {
    rules: &[Rule::MissingPermission],
    request: "GET /api/v4/personal_access_tokens/self/associations?min_access_level=N (GitLab 17.4+), every page",
    answers: "a project listed, or under a listed group, has at least the role; any other is below it or not reached; 404 (older servers): unverifiable",
    harmless: "a read",
}];

const ASSOCIATIONS_PATH: &str = "api/v4/personal_access_tokens/self/associations";
/// 100 a page, at most this many pages: a token associated with more is not judged.
const MAX_PAGES: u32 = 20;

/// `group/project`, or deeper: GitLab paths are letters, digits, `_`, `.` and `-`.
pub(super) fn is_project_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() >= 2
        && path.len() <= 255
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
}

pub(super) fn asked(call: &Call<'_>, endpoint: &Endpoint) -> bool {
    let reqs = call.requirements();
    reqs.probes() && reqs.require_access_level.is_some() && !endpoint.projects.is_empty()
}

/// How a role on a project is recorded: `access_level:developer`.
pub fn grant_name(level: AccessLevel) -> String {
    format!("access_level:{}", level.as_str())
}

#[derive(Debug, Default, Deserialize)]
struct Associations {
    groups: Vec<Group>,
    projects: Vec<Project>,
}

#[derive(Debug, Deserialize)]
struct Group {
    /// `https://gitlab.example.com/groups/parent/child`: the group's full path follows
    /// `/groups/` (the entity has no `full_path`).
    web_url: String,
}

#[derive(Debug, Deserialize)]
struct Project {
    path_with_namespace: String,
}

pub(super) async fn record(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    let Some(level) = call.requirements().require_access_level.as_ref() else {
        return Ok(());
    };
    let level = level.value;
    let (listed, evidence) = match list(call, endpoint, auth, level).await? {
        Ok(listed) => listed,
        Err(reason) => {
            for project in &endpoint.projects {
                facts.grants.push(Grant::new(
                    &project.value,
                    grant_name(level),
                    Settled::Unverifiable {
                        reason: reason.clone(),
                    },
                    "no listing",
                ));
            }
            return Ok(());
        }
    };
    for project in &endpoint.projects {
        let settled = if reaches(&listed, &project.value, &endpoint.url) {
            Settled::Granted
        } else {
            Settled::Missing { help: None }
        };
        facts.grants.push(Grant::new(
            &project.value,
            grant_name(level),
            settled,
            evidence.clone(),
        ));
    }
    Ok(())
}

/// Whether the project is listed, or lies under a listed group.
fn reaches(listed: &Associations, project: &str, instance: &reqwest::Url) -> bool {
    let project = project.to_ascii_lowercase();
    if listed
        .projects
        .iter()
        .any(|p| p.path_with_namespace.to_ascii_lowercase() == project)
    {
        return true;
    }
    let groups_base = join(instance, "groups/").to_string().to_ascii_lowercase();
    listed.groups.iter().any(|g| {
        g.web_url
            .to_ascii_lowercase()
            .strip_prefix(&groups_base)
            .is_some_and(|group| project.starts_with(&format!("{}/", group.trim_end_matches('/'))))
    })
}

/// Every page of the listing at `min_access_level`; the inner `Err` is why it proves
/// nothing (an old server, a refusal), the outer one a host error.
async fn list(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    level: AccessLevel,
) -> Result<Result<(Associations, String), String>, Observation> {
    let mut all = Associations::default();
    let mut page = 1;
    let mut last_request;
    loop {
        let mut url = join(&endpoint.url, ASSOCIATIONS_PATH);
        url.query_pairs_mut()
            .append_pair("min_access_level", &level.number().to_string())
            .append_pair("per_page", "100")
            .append_pair("page", &page.to_string());
        let answer = call
            .send("GitLab", |client| {
                client
                    .get(url.clone())
                    .header("private-token", auth.clone())
            })
            .await
            .map_err(Observation::from)?;
        last_request = format!("{}?min_access_level={}", answer.request, level.number());
        let listed = match parse(&answer) {
            Ok(listed) => listed,
            Err(reason) => return Ok(Err(reason)),
        };
        all.groups.extend(listed.groups);
        all.projects.extend(listed.projects);
        let next = answer
            .header("x-next-page")
            .and_then(|n| n.trim().parse::<u32>().ok());
        match next {
            None => break,
            Some(next) if next == page + 1 && next <= MAX_PAGES => page = next,
            Some(_) => {
                return Ok(Err(format!(
                    "the token's associations run past {MAX_PAGES} pages of 100 (or the pages are out of order), so the listing was not read to its end"
                )));
            }
        }
    }
    let evidence = format!(
        "{last_request} → 200 ({} groups and {} projects where the token has at least {})",
        all.groups.len(),
        all.projects.len(),
        level.as_str()
    );
    Ok(Ok((all, evidence)))
}

fn parse(answer: &Answer) -> Result<Associations, String> {
    match answer.status {
        StatusCode::OK => serde_json::from_str(&answer.body).map_err(|_| {
            format!(
                "{} answered 200 with {}, not the associations GitLab documents",
                answer.request,
                answer.body_kind()
            )
        }),
        StatusCode::NOT_FOUND => Err(format!(
            "{} answered 404: GitLab lists a token's associations from 17.4 on",
            answer.request
        )),
        status => Err(format!(
            "{} answered {status}{}",
            answer.request,
            answer.quoted_message()
        )),
    }
}

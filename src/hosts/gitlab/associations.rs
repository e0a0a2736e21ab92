//! A token's role on the projects the integration works on (`require_access_level` on
//! `projects`). A project or group access token is capped by its role, which `/self` does
//! not show; `GET /personal_access_tokens/self/associations` (GitLab 17.4+) lists "all
//! groups and projects accessible by the personal access token used to authenticate the
//! request", each with its `access_levels`, and takes `min_access_level`
//! (docs.gitlab.com/api/personal_access_tokens/#list-all-token-associations). A read; sent
//! only when the policy asks, never with `probe = false`.
//!
//! Asked with `min_access_level` set to the required role; each listed project's own
//! `access_levels` (its project and its group membership, whichever is higher) are then
//! compared with the role, so a server or proxy that ignored the filter cannot grant it.
//! Projects reached through a group are listed with their `group_access_level` (the
//! endpoint lists projects with `ProjectsFinder`, which includes inherited memberships);
//! the `groups` list is not used: the endpoint paginates groups and projects together,
//! and its page headers count only the projects. A project not listed is below the role
//! or not reached.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::Endpoint;
use super::GitLab;
use super::requirements::AccessLevel;
use crate::client::wire::join;
use crate::facts::{Grant, Observation, Settled, TokenFacts};
use crate::hosts::OwnRequirements;
use crate::hosts::{Answer, Call, Probe};
use crate::rules::Rule;

/// The listing, for `patlint explain`.
pub const DOCS: Probe = Probe {
    rules: &[Rule::MissingPermission],
    request: "GET /api/v4/personal_access_tokens/self/associations?min_access_level=N (GitLab 17.4+), every page",
    answers: "a listed project whose `access_levels` reach the role has it; any other is below it or not reached; 404 (older servers): unverifiable",
    harmless: "a read",
};

const ASSOCIATIONS_PATH: &str = "api/v4/personal_access_tokens/self/associations";
/// 100 a page, at most this many pages: a token associated with more is not judged.
const MAX_PAGES: u32 = 20;

/// `group/project`, or deeper: GitLab paths are letters, digits, `_`, `.` and `-`.
pub(super) fn is_project_path(path: &str) -> bool {
    path.split('/').count() >= 2 && is_group_path(path)
}

/// A group path: one or more `/`-separated names of letters, digits, `_`, `.` and `-`.
pub(super) fn is_group_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    path.len() <= 255
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
    reqs.probes()
        && GitLab::requirements_of(reqs).require_access_level.is_some()
        && !endpoint.projects.is_empty()
}

/// How a role on a project is recorded: `access_level:developer`.
pub fn grant_name(level: AccessLevel) -> String {
    format!("access_level:{}", level.as_str())
}

#[derive(Debug, Default, Deserialize)]
struct Associations {
    projects: Vec<Project>,
}

#[derive(Debug, Deserialize)]
struct Project {
    path_with_namespace: String,
    #[serde(default)]
    access_levels: AccessLevels,
}

/// `{"project_access_level": null, "group_access_level": 20}`.
#[derive(Debug, Default, Deserialize)]
struct AccessLevels {
    project_access_level: Option<u64>,
    group_access_level: Option<u64>,
}

impl Project {
    /// The higher of the token's project and group roles, if the entry says either.
    fn level(&self) -> Option<u64> {
        let levels = &self.access_levels;
        levels.project_access_level.max(levels.group_access_level)
    }
}

pub(super) async fn record(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    let Some(level) = GitLab::requirements_of(call.requirements())
        .require_access_level
        .as_ref()
    else {
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
        let (settled, detail) = role_on(&listed, &project.value, level);
        let evidence = match detail {
            Some(detail) => format!("{evidence}; {detail}"),
            None => evidence.clone(),
        };
        facts.grants.push(Grant::new(
            &project.value,
            grant_name(level),
            settled,
            evidence,
        ));
    }
    Ok(())
}

/// Whether the listing shows at least `level` on the project, and the role it shows when
/// that is lower.
fn role_on(listed: &Associations, project: &str, level: AccessLevel) -> (Settled, Option<String>) {
    let entry = listed
        .projects
        .iter()
        .find(|p| p.path_with_namespace.eq_ignore_ascii_case(project));
    match entry.map(Project::level) {
        None => (Settled::Missing { help: None }, None),
        Some(Some(found)) if found >= level.number() => (Settled::Granted, None),
        Some(Some(found)) => (
            Settled::Missing { help: None },
            Some(format!(
                "the token's role on `{project}` is access level {found}, below {} ({})",
                level.number(),
                level.as_str()
            )),
        ),
        Some(None) => (
            Settled::Unverifiable {
                reason: "its entry in the associations has no `access_levels`".into(),
            },
            None,
        ),
    }
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
        let answer = super::answers::get(call, auth, url).await?;
        last_request = format!("{}?min_access_level={}", answer.request, level.number());
        let listed = match parse(&answer) {
            Ok(listed) => listed,
            Err(reason) => return Ok(Err(reason)),
        };
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
        "{last_request} → 200 ({} projects where the token has at least {})",
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

//! The projects the integration works on, each read once with `GET /projects/:id`
//! (docs.gitlab.com/api/projects/#get-a-single-project): a read, sent for every declared
//! project unless `probe = false`, all at once. Its answer settles whether the token
//! reaches the project (and where it sits, for a fine-grained token's grants), whether a
//! top-level group refuses the token's kind, and, for a fine-grained token, whether it
//! has `read_project` there ("Project: Read" guards `GET /projects/:id`,
//! docs.gitlab.com/auth/tokens/fine_grained_access_tokens_rest/).
//!
//! What each answer proves:
//! - 200: reached. For a fine-grained token on a private project, `read_project` is granted;
//!   a public or internal project is served without it, so the 200 proves nothing of it.
//! - GitLab's 404 (`404 Project Not Found`): not reached. GitLab answers the same for a
//!   project that does not exist, one the user cannot see, and any project of a group whose
//!   IP restriction refuses the caller's address (gitlab-org/gitlab!140838, "IP
//!   restriction" in the 404 troubleshooting; qa/specs/features/ee/browser_ui/1_manage/group/restrict_by_ip_address_spec.rb
//!   expects 404 from the API).
//! - GitLab's 403 `insufficient_granular_scope`: a fine-grained token lacks what GitLab
//!   names; a legacy token is refused because the project's top-level group requires
//!   fine-grained tokens (the same service checks legacy tokens there,
//!   `granular_token_required?` in app/services/authz/tokens/authorize_granular_scopes_service.rb).
//! - GitLab's own 401: the token is refused.
//! - Anything else, or a refusal that is not GitLab's own JSON: proves nothing.
//!
//! A fine-grained token's grant on a group reaches the group's subgroups and projects
//! (`for_namespaces(boundary.namespace.self_and_ancestor_ids)`,
//! app/models/authz/granular_scope.rb): the group's full path, from the project's
//! `namespace` or from `GET /groups/:id` (docs.gitlab.com/api/groups/#get-a-single-group),
//! tells whether the project is in it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::Endpoint;
use super::answers::{RefusalKind, granular_refusal, not_own, own_answer};
use super::facts::{GranularScope, GroupPath, Place, Visibility};
use crate::client::wire::join;
use crate::facts::{Grant, Observation, Settled};
use crate::hosts::{Answer, Call, Probe};
use crate::rules::Rule;

/// How a project's reach is recorded among the grants.
pub const REACH: &str = "project";
/// The permission `GET /projects/:id` asks of a fine-grained token.
pub const READ_PROJECT: &str = "read_project";
const READ_PROJECT_SHOWN: &str = "Project: Read";

pub const DOCS: Probe = Probe {
    rules: &[
        Rule::MissingRepository,
        Rule::MissingPermission,
        Rule::FineGrainedRequired,
    ],
    request: "GET /api/v4/projects/:id for each of the token's `projects` (and, for a fine-grained token granted on a group, GET /api/v4/groups/:id?with_projects=false to place the project in it)",
    answers: "200: reached (and, on a private project, a fine-grained token has `read_project`; a public or internal one proves nothing of it); GitLab's 404: not reached (missing, hidden from the user, or refused by a group's IP restriction); GitLab's 403 insufficient_granular_scope: a fine-grained token lacks the permission GitLab names, a legacy token is refused by a top-level group that requires fine-grained tokens; anything not GitLab's own JSON: unverifiable",
    harmless: "a read",
};

/// What reading the targets showed.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub grants: Vec<Grant>,
    pub places: BTreeMap<String, Place>,
    pub groups: BTreeMap<u64, GroupPath>,
}

/// `GET /projects/:id`, as far as it is read here.
#[derive(Deserialize)]
struct ProjectEntity {
    id: u64,
    path_with_namespace: String,
    visibility: Option<Visibility>,
    namespace: Option<Namespace>,
    owner: Option<Owner>,
}

#[derive(Deserialize)]
struct Namespace {
    id: u64,
    kind: String,
    full_path: String,
}

#[derive(Deserialize)]
struct Owner {
    id: u64,
}

/// `GET /groups/:id`, as far as it is read here.
#[derive(Deserialize)]
struct GroupEntity {
    full_path: String,
}

/// Reads every declared project at once. The `Err` is a failure to ask, or GitLab's own
/// refusal of the token.
pub(super) async fn read(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    fine_grained: bool,
) -> Result<Read, Observation> {
    let mut read = Read::default();
    if !call.requirements().probes() {
        return Ok(read);
    }
    let answers = join_all(endpoint.projects.iter().map(|project| {
        let path = format!("api/v4/projects/{}", encode(&project.value));
        get(call, endpoint, auth, path, None)
    }))
    .await;
    for (project, answer) in endpoint.projects.iter().zip(answers) {
        let answer = answer?;
        settle(&project.value, &answer, fine_grained, &mut read)?;
    }
    Ok(read)
}

/// Places the groups `grants` name, for the projects that were read: each one the
/// projects' namespaces did not already show is asked once, all at once.
pub(super) async fn place_groups(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    grants: &[GranularScope],
    read: &mut Read,
) -> Result<(), Observation> {
    if read.places.is_empty() {
        return Ok(());
    }
    let unplaced: BTreeSet<u64> = grants
        .iter()
        .filter_map(|grant| grant.group_id)
        .filter(|id| !read.groups.contains_key(id))
        .collect();
    let answers = join_all(unplaced.iter().map(|id| {
        // Without its projects: GET /groups/:id lists them by default.
        let path = format!("api/v4/groups/{id}");
        get(call, endpoint, auth, path, Some(("with_projects", "false")))
    }))
    .await;
    for (id, answer) in unplaced.into_iter().zip(answers) {
        let answer = answer?;
        let place = match answer.status {
            StatusCode::OK => match answer.read::<GroupEntity>() {
                Ok(group) => GroupPath::Known(group.full_path),
                Err(problem) => GroupPath::Unread {
                    unread: format!("{} answered 200 with {problem}", answer.request),
                },
            },
            _ if !own_answer(&answer) => GroupPath::Unread {
                unread: not_own(&answer),
            },
            status => GroupPath::Unread {
                unread: format!(
                    "{} answered {status}{}",
                    answer.request,
                    refusal_text(&answer)
                ),
            },
        };
        read.groups.insert(id, place);
    }
    Ok(())
}

async fn get(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    path: String,
    query: Option<(&str, &str)>,
) -> Result<Answer, Observation> {
    let mut url = join(&endpoint.url, &path);
    if let Some((key, value)) = query {
        url.query_pairs_mut().append_pair(key, value);
    }
    super::answers::get(call, auth, url).await
}

/// A project path as one path segment: GitLab takes "ID or URL-encoded path".
fn encode(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

fn settle(
    project: &str,
    answer: &Answer,
    fine_grained: bool,
    read: &mut Read,
) -> Result<(), Observation> {
    let evidence = answer.probe_evidence();
    let mut record = |permission: &str, settled: Settled, evidence: String| {
        read.grants
            .push(Grant::new(project, permission, settled, evidence));
    };
    match answer.status {
        StatusCode::OK => match answer.read::<ProjectEntity>() {
            Ok(entity) => {
                let place = place(entity, &mut read.groups);
                if fine_grained {
                    record(
                        READ_PROJECT,
                        read_project(&place, project),
                        evidence.clone(),
                    );
                }
                record(REACH, Settled::Granted, evidence);
                read.places.insert(project.to_owned(), place);
            }
            Err(problem) => record(
                REACH,
                unverifiable(format!(
                    "{} answered 200 with {problem}, not GitLab's project",
                    answer.request
                )),
                evidence,
            ),
        },
        StatusCode::FORBIDDEN if let Some(refusal) = granular_refusal(answer) => {
            let quoted = format!("GitLab: \"{}\"", refusal.description);
            let evidence = format!("{evidence} insufficient_granular_scope");
            match refusal.kind {
                RefusalKind::Requires { .. } if !fine_grained => record(
                    REACH,
                    Settled::Refused {
                        rule: Rule::FineGrainedRequired,
                        policy: format!(
                            "its top-level group accepts only fine-grained personal access tokens ({quoted})"
                        ),
                    },
                    evidence,
                ),
                RefusalKind::Requires { .. } if refusal.names(READ_PROJECT_SHOWN) => record(
                    READ_PROJECT,
                    Settled::Missing { help: Some(quoted) },
                    evidence,
                ),
                _ => record(
                    REACH,
                    unverifiable(format!("{} was refused ({quoted})", answer.request)),
                    evidence,
                ),
            }
        }
        StatusCode::UNAUTHORIZED if own_answer(answer) => {
            return Err(super::observe::rejected_401(answer));
        }
        _ if !own_answer(answer) => record(REACH, unverifiable(not_own(answer)), evidence),
        StatusCode::NOT_FOUND => record(
            REACH,
            Settled::Missing { help: None },
            format!("{evidence}{}", answer.quoted_message()),
        ),
        status => record(
            REACH,
            unverifiable(format!(
                "{} answered {status}{}, which says nothing about the token's reach",
                answer.request,
                refusal_text(answer)
            )),
            evidence,
        ),
    }
    Ok(())
}

/// Where the project sits; its group's path is noted for the grants.
fn place(entity: ProjectEntity, groups: &mut BTreeMap<u64, GroupPath>) -> Place {
    if let Some(namespace) = entity.namespace.filter(|n| n.kind == "group") {
        groups.insert(namespace.id, GroupPath::Known(namespace.full_path));
    }
    Place {
        id: entity.id,
        path: entity.path_with_namespace,
        owner: entity.owner.map(|o| o.id),
        // GitLab always sends it; a project without it is read as the least telling kind.
        visibility: entity.visibility.unwrap_or(Visibility::Public),
    }
}

/// What a 200 says of a fine-grained token's `read_project`.
fn read_project(place: &Place, project: &str) -> Settled {
    match place.visibility {
        Visibility::Private => Settled::Granted,
        visibility => unverifiable(format!(
            "`{project}` is {}: GitLab serves it to a fine-grained token without `read_project`, so its 200 proves nothing of it",
            match visibility {
                Visibility::Internal => "internal (readable by every signed-in user)",
                _ => "public",
            }
        )),
    }
}

/// " (message)" or " (error: description)": what GitLab said, for messages.
fn refusal_text(answer: &Answer) -> String {
    if let Some(error) = answer.json::<super::answers::OAuthError>()
        && let Some(code) = error.error
    {
        return match error.error_description {
            Some(description) => format!(" ({code}: {description})"),
            None => format!(" ({code})"),
        };
    }
    answer.quoted_message()
}

fn unverifiable(reason: String) -> Settled {
    Settled::Unverifiable { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_are_one_segment() {
        assert_eq!(encode("acme/platform/app"), "acme%2Fplatform%2Fapp");
    }
}

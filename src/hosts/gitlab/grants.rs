//! A fine-grained token's permissions against `require_permissions` and
//! `forbid_permissions`, through GitLab's boundaries.
//!
//! A grant reaches a project when it is on that project, on a group the project is in (at
//! any depth), on all the user's memberships, or on the user's personal projects and the
//! project is one of them (`Authz::GranularScope.for_namespaces`, which matches the
//! project's namespace and its ancestors, app/models/authz/granular_scope.rb). A grant on
//! another project reaches nothing here. A required permission is judged on each of the
//! token's `projects`; one GitLab grants only at the user or instance boundary
//! (`read_personal_access_token`) is judged once. A forbidden permission fails wherever it
//! is held: the token can use it there.
//!
//! A classic token has scopes, not permissions: it is judged by `require_scopes` and
//! `forbid_scopes`, and a permission key it cannot answer is `unverifiable` unless the
//! policy gives the scope key beside it.

use super::facts::{self, Access, GranularScope, GroupPath, Place};
use super::permissions;
use super::requirements::Requirements;
use super::targets::{REACH, READ_PROJECT};
use crate::evaluate::{Finding, unverifiable_because};
use crate::facts::{Fact, Grant, Observed, Settled, TokenFacts, TokenKind};
use crate::hosts::OwnRequirements;
use crate::policy::{Setting, TokenSpec};
use crate::rules::Rule;

/// What lets patlint judge a fine-grained token's permissions, for its `unverifiable`
/// findings (the host's general text is about `/self`).
const UNJUDGED_HELP: &str = "GitLab: patlint judges a fine-grained token's permissions from its grants (GET /personal_access_tokens/:id, which needs `read_personal_access_token`, \"Personal Access Token: Read\") and from where each of the token's `projects` sits (GET /projects/:id, and GET /groups/:id for a group a grant names): let GitLab answer them, or set `on_unverifiable = \"warn\"`.";

/// An `unverifiable` finding about the token's permissions.
fn unjudged(token: &TokenSpec, key: &str, origin: &crate::policy::Origin, why: &str) -> Finding {
    unverifiable_because(token, Fact::Permissions, key, origin, why).help(UNJUDGED_HELP)
}

/// For keys of one kind of token asked of the other.
const OTHER_KIND_HELP: &str = "GitLab: a classic token is judged by `require_scopes` and `forbid_scopes`, a fine-grained one by `require_permissions` and `forbid_permissions`: a policy for both kinds gives both (the Jira preset does).";

pub fn check(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let reqs = super::GitLab::requirements_of(&token.requirements);
    let mut findings = scopes_of_fine_grained(token, facts, reqs);
    if !reqs.asks_about_permissions() {
        return findings;
    }
    if facts.kind != TokenKind::FineGrainedPat {
        findings.extend(classic(token, reqs));
        return findings;
    }
    match &facts::of(facts).granular_scopes {
        Observed::Value { value, evidence } => {
            let evidence = evidence.as_deref().unwrap_or("the token's recorded grants");
            let judged = Judged {
                token,
                facts,
                grants: value,
                evidence,
            };
            for required in reqs.required_permissions() {
                findings.extend(judged.required(required));
            }
            findings.extend(
                reqs.forbidden_permissions()
                    .iter()
                    .filter_map(|forbidden| judged.forbidden(forbidden)),
            );
        }
        unread => findings.extend(unreadable(token, facts, reqs, unread.why_unobservable())),
    }
    findings
}

/// Scope keys asked of a fine-grained token, which has no scopes: a diagnostic naming the
/// permission keys that judge it, unless the policy already gives them.
fn scopes_of_fine_grained(
    token: &TokenSpec,
    facts: &TokenFacts,
    reqs: &Requirements,
) -> Vec<Finding> {
    if facts.kind != TokenKind::FineGrainedPat {
        return Vec::new();
    }
    let shared = &token.requirements;
    let mut findings = Vec::new();
    let mut ask = |key: &str, instead: &str, origin: &crate::policy::Origin, names: String| {
        findings.push(unverifiable_because(
            token,
            Fact::Scopes,
            key,
            origin,
            &format!("the token is a GitLab fine-grained personal access token: GitLab gives it permissions, not scopes (its only scope is `granular`), so scopes say nothing about it; write `{instead}` with GitLab's permission names instead ({names})"),
        ).help(OTHER_KIND_HELP));
    };
    for (scopes, permissions, key, instead) in [
        (
            shared.required_scopes(),
            reqs.required_permissions(),
            "require_scopes",
            "require_permissions",
        ),
        (
            shared.forbidden_scopes(),
            reqs.forbidden_permissions(),
            "forbid_scopes",
            "forbid_permissions",
        ),
    ] {
        if let Some(first) = scopes.first()
            && permissions.is_empty()
        {
            ask(key, instead, &first.origin, correspondences(scopes));
        }
    }
    if let Some(setting) = shared.allow_extra_scopes.as_ref().filter(|s| !s.value)
        && reqs.required_permissions().is_empty()
    {
        ask(
            "allow_extra_scopes",
            "require_permissions",
            &setting.origin,
            "a fine-grained token holds only the permissions it was created with".into(),
        );
    }
    findings
}

/// "for `api`: …; for `read_repository`: `download_code`".
fn correspondences(scopes: &[Setting<String>]) -> String {
    scopes
        .iter()
        .map(|s| format!("for `{}`: {}", s.value, permissions::for_scope(&s.value)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A classic token: the permission keys are answered by the scope keys beside them, or
/// not at all.
fn classic(token: &TokenSpec, reqs: &Requirements) -> Vec<Finding> {
    let shared = &token.requirements;
    let mut findings = Vec::new();
    let why = |scope_key: &str| {
        format!(
            "the token is not a GitLab fine-grained personal access token: what it may do is its scopes, within its user's role, and GitLab shows no permissions for it; judge classic tokens with `{scope_key}` beside it (e.g. {scope_key} = [\"api\"])"
        )
    };
    for (permissions, scopes, key, scope_key) in [
        (
            reqs.required_permissions(),
            shared.required_scopes(),
            "require_permissions",
            "require_scopes",
        ),
        (
            reqs.forbidden_permissions(),
            shared.forbidden_scopes(),
            "forbid_permissions",
            "forbid_scopes",
        ),
    ] {
        if let Some(first) = permissions.first()
            && scopes.is_empty()
        {
            findings
                .push(unjudged(token, key, &first.origin, &why(scope_key)).help(OTHER_KIND_HELP));
        }
    }
    findings
}

/// A fine-grained token whose grants GitLab did not show: `read_project` may still be
/// settled on each project by its read; nothing else can be.
fn unreadable(
    token: &TokenSpec,
    facts: &TokenFacts,
    reqs: &Requirements,
    why: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let projects = token.endpoint.repositories();
    let mut unsettled: Vec<&Setting<String>> = Vec::new();
    for required in reqs.required_permissions() {
        if required.value != READ_PROJECT || projects.is_empty() {
            unsettled.push(required);
            continue;
        }
        for project in projects {
            match facts.grant(&project.value, READ_PROJECT) {
                // Granted, or refused by GitLab (reported with the project's reach).
                Some(Grant {
                    settled: Settled::Granted | Settled::Missing { .. },
                    ..
                }) => {}
                Some(Grant {
                    settled: Settled::Unverifiable { reason } | Settled::Refused { policy: reason, .. },
                    ..
                }) => findings.push(unjudged(
                    token,
                    "require_permissions",
                    &required.origin,
                    &format!("`{READ_PROJECT}` on `{}`: {reason}; and the token's grants are not readable: {why}", project.value),
                )),
                None => findings.push(unjudged(
                    token,
                    "require_permissions",
                    &required.origin,
                    &format!("`{READ_PROJECT}` on `{}`: the project was not read, and the token's grants are not readable: {why}", project.value),
                )),
            }
        }
    }
    for (key, settings) in [
        ("require_permissions", unsettled),
        (
            "forbid_permissions",
            reqs.forbidden_permissions().iter().collect(),
        ),
    ] {
        let Some(first) = settings.first() else {
            continue;
        };
        let names = settings
            .iter()
            .map(|s| format!("`{}`", s.value))
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(unjudged(
            token,
            key,
            &first.origin,
            &format!("GitLab did not show the token's grants, so {names} cannot be judged: {why}"),
        ));
    }
    findings
}

/// A fine-grained token's grants, and what is needed to place them.
struct Judged<'a> {
    token: &'a TokenSpec,
    facts: &'a TokenFacts,
    grants: &'a [GranularScope],
    evidence: &'a str,
}

/// Whether a grant reaches a project.
enum Reaches {
    Yes,
    No,
    /// Where the grant or the project sits is not known.
    Unknown(String),
}

impl Judged<'_> {
    fn holding<'g>(&'g self, permission: &'g str) -> impl Iterator<Item = &'g GranularScope> + 'g {
        self.grants
            .iter()
            .filter(move |grant| grant.permissions.iter().any(|p| p == permission))
    }

    /// Every grant, for a message: "`read_project` on project id 7; …".
    fn listed(&self) -> String {
        if self.grants.is_empty() {
            return "it holds no grant".into();
        }
        let grants: Vec<String> = self
            .grants
            .iter()
            .map(|g| format!("{} {}", g.permissions.join(", "), g.describe()))
            .collect();
        format!("its grants: {}", grants.join("; "))
    }

    fn required(&self, required: &Setting<String>) -> Vec<Finding> {
        let permission = required.value.as_str();
        let projects = self.token.endpoint.repositories();
        let on_projects = permissions::find(permission).is_none_or(|p| p.on_projects());
        if projects.is_empty() || !on_projects {
            if self.holding(permission).next().is_some() {
                return Vec::new();
            }
            return vec![self.missing(required, None)];
        }
        projects
            .iter()
            .filter_map(|project| self.required_on(required, &project.value))
            .collect()
    }

    fn required_on(&self, required: &Setting<String>, project: &str) -> Option<Finding> {
        let permission = required.value.as_str();
        // GitLab's own answer to the project's read settles `read_project` there.
        if permission == READ_PROJECT
            && let Some(Grant {
                settled: Settled::Granted | Settled::Missing { .. },
                ..
            }) = self.facts.grant(project, READ_PROJECT)
        {
            return None;
        }
        // A project not reached is reported with its reach.
        if let Some(Grant {
            settled: Settled::Missing { .. } | Settled::Refused { .. },
            ..
        }) = self.facts.grant(project, REACH)
        {
            return None;
        }
        let mut unknown = None;
        for grant in self.holding(permission) {
            match self.reaches(grant, project) {
                Reaches::Yes => return None,
                Reaches::No => {}
                Reaches::Unknown(why) => unknown = unknown.or(Some(why)),
            }
        }
        Some(match unknown {
            Some(why) => unjudged(
                self.token,
                "require_permissions",
                &required.origin,
                &format!("`{permission}` on `{project}`: {why}"),
            ),
            None => self.missing(required, Some(project)),
        })
    }

    fn missing(&self, required: &Setting<String>, project: Option<&str>) -> Finding {
        let where_ = project.map(|p| format!(" on `{p}`")).unwrap_or_default();
        Finding::new(
            Rule::MissingPermission,
            &required.origin,
            format!(
                "token `{}` lacks the fine-grained permission `{}`{where_} ({})",
                self.token.name,
                required.value,
                self.listed()
            ),
        )
        .label("required here")
        .evidence(self.evidence)
    }

    fn forbidden(&self, forbidden: &Setting<String>) -> Option<Finding> {
        let held: Vec<String> = self
            .holding(&forbidden.value)
            .map(GranularScope::describe)
            .collect();
        if held.is_empty() {
            return None;
        }
        Some(
            Finding::new(
                Rule::ForbiddenPermission,
                &forbidden.origin,
                format!(
                    "token `{}` holds the forbidden permission `{}` ({})",
                    self.token.name,
                    forbidden.value,
                    held.join("; ")
                ),
            )
            .label("forbidden here")
            .evidence(self.evidence),
        )
    }

    /// Whether `grant` reaches `project`, from where GitLab showed the project sits.
    fn reaches(&self, grant: &GranularScope, project: &str) -> Reaches {
        let own = facts::of(self.facts);
        let place = own.project_places.get(project);
        match grant.access {
            Access::AllMemberships => Reaches::Yes,
            Access::User | Access::Instance => Reaches::No,
            Access::Unknown => Reaches::Unknown(format!(
                "a grant {} has an access patlint does not know",
                grant.describe()
            )),
            Access::PersonalProjects => match (place, own.token_user) {
                (Some(place), Some(user)) => yes_if(place.owner == Some(user)),
                (Some(Place { owner: None, .. }), None) => Reaches::No,
                (Some(_), None) => Reaches::Unknown(format!(
                    "`{project}` is a user's personal project, and whose token this is was not read"
                )),
                (None, _) => Reaches::Unknown(not_placed(project)),
            },
            Access::SelectedMemberships => match (grant.project_id, grant.group_id, place) {
                (Some(id), _, Some(place)) => yes_if(place.id == id),
                (_, Some(group), Some(place)) => match own.group_paths.get(&group) {
                    Some(GroupPath::Known(path)) => yes_if(inside(&place.path, path)),
                    Some(GroupPath::Unread { unread }) => Reaches::Unknown(format!(
                        "the token is granted it on group id {group}, which GitLab did not place: {unread}"
                    )),
                    None => Reaches::Unknown(format!(
                        "the token is granted it on group id {group}, which was not read"
                    )),
                },
                (None, None, _) => Reaches::No,
                (_, _, None) => Reaches::Unknown(not_placed(project)),
            },
        }
    }
}

fn yes_if(reached: bool) -> Reaches {
    if reached { Reaches::Yes } else { Reaches::No }
}

fn not_placed(project: &str) -> String {
    format!(
        "where `{project}` sits is not known (it was not read: `probe = false`, or GitLab did not answer with it)"
    )
}

/// Whether a project path lies in a group's path: `acme/platform/app` is in `acme` and in
/// `acme/platform`, not in `acme/plat`. GitLab paths compare without case.
fn inside(project: &str, group: &str) -> bool {
    let project = project.to_ascii_lowercase();
    let group = group.to_ascii_lowercase();
    project
        .strip_prefix(&group)
        .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_holds_its_subgroups_projects_and_no_namesake() {
        assert!(inside("acme/platform/app", "acme"));
        assert!(inside("Acme/Platform/app", "acme/platform"));
        assert!(!inside("acme/platform/app", "acme/plat"));
        assert!(!inside("acme", "acme"));
    }
}

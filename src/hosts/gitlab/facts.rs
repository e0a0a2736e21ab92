//! What only GitLab reveals about a token: a fine-grained token's grants, and where the
//! projects the integration works on sit, so that evaluation can tell which grant reaches
//! which project.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::facts::{Named, NamedMut, Observed, TokenFacts};
use crate::hosts::{HostSpecificFacts, OwnFacts};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// A fine-grained token's grants: `granular_scopes` of
    /// `GET /personal_access_tokens/:id` (`/self` never lists them).
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub granular_scopes: Observed<Vec<GranularScope>>,
    /// The token's user (`user_id` of `/self`): a `personal_projects` grant reaches this
    /// user's own projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_user: Option<u64>,
    /// Each of the token's `projects` as `GET /projects/:id` showed it, keyed as the policy
    /// writes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub project_places: BTreeMap<String, Place>,
    /// The full path of each group a grant names, or why it could not be read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub group_paths: BTreeMap<u64, GroupPath>,
}

/// One grant of a fine-grained token (`API::Entities::PersonalAccessTokenGranularScope`,
/// lib/api/entities/personal_access_token_granular_scope.rb): permissions, and where they
/// hold. `project_id` is set when the grant is on a project, `group_id` when it is on a
/// group (and, through it, its subgroups and projects); neither for the other accesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GranularScope {
    pub access: Access,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
}

/// Where a grant holds: `Authz::GranularScope::Access` (app/models/authz/granular_scope.rb).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The user's own projects (the grant sits on the user's namespace).
    PersonalProjects,
    /// Every group and project the user is a member of.
    AllMemberships,
    /// The projects and groups the grant names (`project_id`, `group_id`).
    SelectedMemberships,
    /// The user's own resources (their tokens, their profile).
    User,
    /// The instance's resources (administration).
    Instance,
    /// An access this version of patlint does not know: it reaches nothing it can vouch for.
    #[serde(other)]
    Unknown,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::PersonalProjects => "personal_projects",
            Access::AllMemberships => "all_memberships",
            Access::SelectedMemberships => "selected_memberships",
            Access::User => "user",
            Access::Instance => "instance",
            Access::Unknown => "an access patlint does not know",
        }
    }
}

impl GranularScope {
    /// "on project 7", "on group 5", "on all memberships": for messages.
    pub fn describe(&self) -> String {
        match (self.access, self.project_id, self.group_id) {
            (_, Some(project), _) => format!("on project id {project}"),
            (_, _, Some(group)) => format!("on group id {group} and everything in it"),
            (Access::PersonalProjects, ..) => "on the user's personal projects".into(),
            (Access::AllMemberships, ..) => {
                "on every group and project the user is a member of".into()
            }
            (Access::User, ..) => "on the user's own resources".into(),
            (Access::Instance, ..) => "on the instance".into(),
            (access, ..) => format!("with access `{}`", access.as_str()),
        }
    }
}

/// Where a project sits: `GET /projects/:id` (docs.gitlab.com/api/projects/#get-a-single-project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: u64,
    /// `path_with_namespace`: its groups' full paths are prefixes of it.
    pub path: String,
    /// The user whose personal project it is (`owner`, only on a user's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<u64>,
    pub visibility: Visibility,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    /// Readable by every signed-in user.
    Internal,
    Public,
}

/// A group's full path (`full_path` of `GET /groups/:id`, or of the project's `namespace`),
/// or why GitLab did not give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GroupPath {
    Known(String),
    Unread { unread: String },
}

const GRANULAR_SCOPES: &str = "granular_scopes";

impl HostSpecificFacts for Facts {
    const NAMES: &'static [&'static str] = &[
        GRANULAR_SCOPES,
        "token_user",
        "project_places",
        "group_paths",
    ];

    fn named(&self) -> Named<'_> {
        vec![(GRANULAR_SCOPES, &self.granular_scopes)]
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        vec![(GRANULAR_SCOPES, &mut self.granular_scopes)]
    }

    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        self.granular_scopes
            .value()
            .and_then(|grants| serde_json::to_value(grants).ok())
            .map(|grants| (GRANULAR_SCOPES, grants))
            .into_iter()
            .collect()
    }
}

/// A token's GitLab facts, empty when the record holds none.
pub fn of(facts: &TokenFacts) -> &Facts {
    static NONE: Facts = Facts {
        granular_scopes: Observed::Unobservable { why: None },
        token_user: None,
        project_places: BTreeMap::new(),
        group_paths: BTreeMap::new(),
    };
    super::GitLab::facts(facts).unwrap_or(&NONE)
}

/// A token's GitLab facts, to record them.
pub fn of_mut(facts: &mut TokenFacts) -> &mut Facts {
    super::GitLab::facts_mut(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TokenKind;

    #[test]
    fn grants_places_and_reasons_survive_the_facts_file() {
        let mut facts = TokenFacts::new(TokenKind::FineGrainedPat);
        let own = of_mut(&mut facts);
        own.granular_scopes = Observed::seen(
            vec![GranularScope {
                access: Access::SelectedMemberships,
                permissions: vec!["read_project".into()],
                project_id: None,
                group_id: Some(5),
            }],
            "`granular_scopes` in GET /api/v4/personal_access_tokens/42",
        );
        own.token_user = Some(3);
        own.group_paths.insert(5, GroupPath::Known("acme".into()));
        own.group_paths.insert(
            6,
            GroupPath::Unread {
                unread: "GET /api/v4/groups/6 answered 404".into(),
            },
        );
        own.project_places.insert(
            "acme/app".into(),
            Place {
                id: 7,
                path: "acme/app".into(),
                owner: None,
                visibility: Visibility::Private,
            },
        );
        let json = serde_json::to_value(&facts).unwrap();
        assert_eq!(json["granular_scopes"][0]["access"], "selected_memberships");
        let back: TokenFacts = serde_json::from_value(json).unwrap();
        assert_eq!(back, facts);

        let unread: TokenFacts = serde_json::from_value(serde_json::json!({
            "kind": "fine-grained-pat",
            "unobservable": {"granular_scopes": "GET /self answered 403"}
        }))
        .unwrap();
        assert_eq!(
            of(&unread).granular_scopes.why_unobservable(),
            "GET /self answered 403"
        );
    }

    #[test]
    fn an_access_gitlab_adds_later_still_reads() {
        let grant: GranularScope = serde_json::from_value(
            serde_json::json!({"access": "organization", "permissions": ["x_y"]}),
        )
        .unwrap();
        assert_eq!(grant.access, Access::Unknown);
    }
}

//! GitLab's own requirement keys: the least role the token must have on each of its
//! `projects`, and the fine-grained permissions it must and must not hold.

use serde::Deserialize;
use toml::Spanned;

use super::permissions::{self, NameProblem};
use crate::hosts::{HostKind, ValueProblem};
use crate::policy::raw::{TableOrList, TableOrListSchema, Text, TextList};
use crate::policy::{RequirementKeys, Setting};
use crate::suggest;

/// GitLab's requirement keys as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawRequirements {
    /// GitLab: the least role the token must have on each of the token's `projects`: guest, reporter, developer, maintainer or owner.
    #[serde(default)]
    #[schemars(with = "AccessLevelName")]
    pub require_access_level: Option<Text>,
    /// GitHub: a table of the permission levels the token must have on each of its `repositories`, e.g. `{ contents = "write", pull_requests = "write" }`. GitLab: a list of the fine-grained permissions the token must hold on each of its `projects`, by GitLab's names, e.g. `["read_project", "create_merge_request"]`; a classic GitLab token is judged by its scopes instead.
    #[serde(default)]
    #[schemars(with = "TableOrListSchema")]
    pub require_permissions: Option<Spanned<TableOrList>>,
    /// GitLab: fine-grained permissions the token must not hold anywhere, e.g. `["delete_project"]`. A classic token is judged by `forbid_scopes` instead.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub forbid_permissions: Option<TextList>,
}

/// GitLab's roles, for the schema.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum AccessLevelName {
    Guest,
    Reporter,
    Developer,
    Maintainer,
    Owner,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub require_access_level: Option<Setting<AccessLevel>>,
    pub require_permissions: Option<Vec<Setting<String>>>,
    pub forbid_permissions: Option<Vec<Setting<String>>>,
}

crate::hosts::layered!(Requirements {
    require_access_level,
    require_permissions,
    forbid_permissions
});

impl Requirements {
    pub fn required_permissions(&self) -> &[Setting<String>] {
        self.require_permissions.as_deref().unwrap_or_default()
    }

    pub fn forbidden_permissions(&self) -> &[Setting<String>] {
        self.forbid_permissions.as_deref().unwrap_or_default()
    }

    pub fn asks_about_permissions(&self) -> bool {
        !self.required_permissions().is_empty() || !self.forbidden_permissions().is_empty()
    }
}

/// A permission both required and forbidden: no token can satisfy both.
pub fn check(requirements: &Requirements) -> Result<(), ValueProblem> {
    let both = requirements.required_permissions().iter().find(|required| {
        requirements
            .forbidden_permissions()
            .iter()
            .any(|forbidden| forbidden.value == required.value)
    });
    match both {
        None => Ok(()),
        Some(permission) => Err(ValueProblem {
            message: format!(
                "`{}` is both required and forbidden for this token",
                permission.value
            ),
            label: "no token can satisfy both".into(),
            help: "remove it from `require_permissions` or from `forbid_permissions`".into(),
        }),
    }
}

/// A GitLab role, as its `access_level` number
/// (docs.gitlab.com/api/members/#roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessLevel {
    Guest = 10,
    Reporter = 20,
    Developer = 30,
    Maintainer = 40,
    Owner = 50,
}

impl AccessLevel {
    pub const NAMES: [&'static str; 5] = ["guest", "reporter", "developer", "maintainer", "owner"];
    const ALL: [AccessLevel; 5] = [
        AccessLevel::Guest,
        AccessLevel::Reporter,
        AccessLevel::Developer,
        AccessLevel::Maintainer,
        AccessLevel::Owner,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        let at = AccessLevel::NAMES.iter().position(|n| *n == s)?;
        Some(AccessLevel::ALL[at])
    }

    pub fn as_str(self) -> &'static str {
        let at = AccessLevel::ALL
            .iter()
            .position(|l| *l == self)
            .unwrap_or(0);
        AccessLevel::NAMES[at]
    }

    pub fn number(self) -> u64 {
        self as u64
    }
}

pub fn parse(raw: RawRequirements, keys: &mut RequirementKeys<'_>) -> Requirements {
    let require_access_level =
        raw.require_access_level
            .and_then(|text| match AccessLevel::parse(text.get_ref()) {
                Some(level) => Some(keys.setting(level, text.span())),
                None => {
                    keys.problem(text.span(), not_a_role(text.get_ref()));
                    None
                }
            });
    let require_permissions = raw
        .require_permissions
        .and_then(|written| permission_list(written, keys));
    let forbid_permissions = raw
        .forbid_permissions
        .map(|list| named_permissions(keys.settings(list), keys));
    Requirements {
        require_access_level,
        require_permissions,
        forbid_permissions,
    }
}

/// `require_permissions = ["NAME", …]`. A table is another host's shape: refused at
/// GitLab's own level, left to that host in `[defaults]`.
fn permission_list(
    written: Spanned<TableOrList>,
    keys: &mut RequirementKeys<'_>,
) -> Option<Vec<Setting<String>>> {
    let span = written.span();
    match written.into_inner() {
        TableOrList::List(list) => {
            let settings = list
                .into_iter()
                .map(|name| keys.setting(name.get_ref().clone(), name.span()))
                .collect();
            Some(named_permissions(settings, keys))
        }
        TableOrList::Table(_) => {
            if keys.host() == Some(HostKind::Gitlab) {
                keys.problem(
                    span,
                    ValueProblem {
                        message: "GitLab's `require_permissions` is a list of permission names".into(),
                        label: "a table".into(),
                        help: "name GitLab's fine-grained permissions, e.g. require_permissions = [\"read_project\", \"create_merge_request\"]".into(),
                    },
                );
            }
            None
        }
    }
}

/// The names GitLab could have, each problem reported where it was written.
fn named_permissions(
    settings: Vec<Setting<String>>,
    keys: &mut RequirementKeys<'_>,
) -> Vec<Setting<String>> {
    settings
        .into_iter()
        .filter(|setting| match permissions::problem(&setting.value) {
            None => true,
            Some(problem) => {
                keys.problem(
                    setting.origin.span.clone(),
                    not_a_permission(&setting.value, problem),
                );
                false
            }
        })
        .collect()
}

fn not_a_permission(name: &str, problem: NameProblem) -> ValueProblem {
    let help = match problem {
        NameProblem::Typo(known) => format!("did you mean `{known}`?"),
        NameProblem::Malformed => "GitLab's permission names are lowercase, an action then a resource, e.g. `read_project`, `push_code`, `create_merge_request` (docs.gitlab.com/auth/tokens/fine_grained_access_tokens_rest/ lists them)".into(),
    };
    ValueProblem {
        message: format!("`{name}` is not a GitLab fine-grained permission"),
        label: "unknown permission".into(),
        help,
    }
}

fn not_a_role(value: &str) -> ValueProblem {
    let help = match suggest::closest(value, AccessLevel::NAMES) {
        Some(s) => format!("did you mean \"{s}\"?"),
        None => format!("use one of {}", AccessLevel::NAMES.join(", ")),
    };
    ValueProblem {
        message: format!("invalid `require_access_level`: `{value}`"),
        label: "not a GitLab role".into(),
        help,
    }
}

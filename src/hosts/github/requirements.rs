//! GitHub's own requirement key: the fine-grained repository permissions the token must
//! have on each of its `repositories`.

use serde::Deserialize;
use toml::Spanned;

use super::permissions::CATALOG;
use crate::hosts::{HostKind, ValueProblem};
use crate::policy::raw::{TableOrList, TableOrListSchema, Text};
use crate::policy::{RequirementKeys, Setting};
use crate::suggest;

/// GitHub's requirement keys as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawRequirements {
    /// GitHub: a table of the permission levels the token must have on each of the token's `repositories`, e.g. `{ contents = "write", pull_requests = "write" }`; a classic token satisfies a permission with the scope that grants it. GitLab: a list of its fine-grained permission names, e.g. `["read_project", "create_merge_request"]`, judged on each of the token's `projects`.
    #[serde(default)]
    #[schemars(with = "TableOrListSchema")]
    pub require_permissions: Option<Spanned<TableOrList>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub require_permissions: Option<Vec<Permission>>,
}

crate::hosts::layered!(Requirements {
    require_permissions
});

impl Requirements {
    pub fn required_permissions(&self) -> &[Permission] {
        self.require_permissions.as_deref().unwrap_or_default()
    }
}

/// One required fine-grained permission: `contents = "write"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub name: String,
    pub level: Setting<PermissionLevel>,
}

/// A fine-grained permission's level; each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PermissionLevel {
    Read,
    Write,
    Admin,
}

impl PermissionLevel {
    pub const NAMES: [&'static str; 3] = ["read", "write", "admin"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(PermissionLevel::Read),
            "write" => Some(PermissionLevel::Write),
            "admin" => Some(PermissionLevel::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        PermissionLevel::NAMES[self as usize]
    }
}

/// `require_permissions = { NAME = "LEVEL", … }`, against GitHub's catalog. A list is
/// another host's shape: refused at GitHub's own level, left to that host in `[defaults]`.
pub fn parse(raw: RawRequirements, keys: &mut RequirementKeys<'_>) -> Requirements {
    let require_permissions = raw.require_permissions.and_then(|written| {
        let span = written.span();
        let table = match written.into_inner() {
            TableOrList::Table(table) => table,
            TableOrList::List(_) => {
                if keys.host() == Some(HostKind::Github) {
                    keys.problem(span, not_a_table());
                }
                return None;
            }
        };
        Some(
            table
                .into_iter()
                .filter_map(|(name, level)| match permission(&name, &level) {
                    Ok(value) => Some(Permission {
                        level: keys.setting(value, level.span()),
                        name,
                    }),
                    Err(problem) => {
                        keys.problem(level.span(), problem);
                        None
                    }
                })
                .collect(),
        )
    });
    Requirements {
        require_permissions,
    }
}

fn not_a_table() -> ValueProblem {
    ValueProblem {
        message: "GitHub's `require_permissions` is a table of permission levels".into(),
        label: "a list".into(),
        help: "write the level each permission needs, e.g. require_permissions = { contents = \"write\", pull_requests = \"write\" }".into(),
    }
}

/// A permission GitHub has, at a level it offers for it.
fn permission(name: &str, level: &Text) -> Result<PermissionLevel, ValueProblem> {
    let Some((_, levels)) = CATALOG.iter().find(|(known, _)| *known == name) else {
        let names = CATALOG.iter().map(|(n, _)| *n);
        let help = match suggest::closest(name, names.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "GitHub's repository permissions are {}",
                names.collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(ValueProblem {
            message: format!("`{name}` is not a GitHub repository permission"),
            label: "unknown permission".into(),
            help,
        });
    };
    PermissionLevel::parse(level.get_ref())
        .filter(|l| levels.contains(l))
        .ok_or_else(|| {
            let offered: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            ValueProblem {
                message: format!("`{}` is not a level of `{name}`", level.get_ref()),
                label: format!("expected {}", offered.join(" or ")),
                help: format!("write {name} = \"{}\"", offered[offered.len() - 1]),
            }
        })
}

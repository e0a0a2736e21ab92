//! GitHub's fine-grained repository permissions, and the classic scopes that grant the
//! same capability, so that one `require_permissions` serves both kinds of token.
//!
//! The names and levels are the repository permissions of the `app-permissions` schema in
//! GitHub's OpenAPI description (github/rest-api-description), the same names
//! `X-Accepted-GitHub-Permissions` uses; the scope equivalents are from "Scopes for OAuth
//! apps" (docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).

use super::requirements::PermissionLevel::{self, Admin, Read, Write};

/// How probes record a repository's reach, and an organization's SSO authorization.
pub const REPOSITORY: &str = "repository";
pub const SSO: &str = "sso";
/// A classic token's user's role on a repository: may read, may write.
pub const ROLE_READ: &str = "role:read";
pub const ROLE_WRITE: &str = "role:write";

/// How a probed permission is recorded: `contents:write`.
pub fn grant_name(permission: &str, level: PermissionLevel) -> String {
    format!("{permission}:{}", level.as_str())
}

/// Each repository permission with the levels GitHub offers for it.
pub const CATALOG: &[(&str, &[PermissionLevel])] = &[
    ("actions", &[Read, Write]),
    ("administration", &[Read, Write]),
    ("checks", &[Read, Write]),
    ("codespaces", &[Read, Write]),
    ("contents", &[Read, Write]),
    ("dependabot_secrets", &[Read, Write]),
    ("deployments", &[Read, Write]),
    ("environments", &[Read, Write]),
    ("issues", &[Read, Write]),
    ("metadata", &[Read, Write]),
    ("packages", &[Read, Write]),
    ("pages", &[Read, Write]),
    ("pull_requests", &[Read, Write]),
    ("repository_custom_properties", &[Read, Write]),
    ("repository_hooks", &[Read, Write]),
    ("repository_projects", &[Read, Write, Admin]),
    ("secret_scanning_alerts", &[Read, Write]),
    ("secrets", &[Read, Write]),
    ("security_events", &[Read, Write]),
    ("single_file", &[Read, Write]),
    ("statuses", &[Read, Write]),
    ("vulnerability_alerts", &[Read, Write]),
    ("workflows", &[Write]),
];

/// A fine-grained permission written where classic scopes go (`contents:write` in
/// `require_scopes`): how to require it instead.
pub fn written_as_scope(value: &str) -> Option<String> {
    let (name, level) = value.split_once(':').unwrap_or((value, ""));
    let name = name.trim().replace('-', "_").to_ascii_lowercase();
    let (name, levels) = CATALOG.iter().find(|(known, _)| *known == name)?;
    let level = PermissionLevel::parse(level.trim())
        .filter(|level| levels.contains(level))
        .unwrap_or(levels[0]);
    Some(format!(
        "`{value}` is a fine-grained permission, not a classic scope: require it with `require_permissions = {{ {name} = \"{}\" }}` (a classic token satisfies it with the scope that grants it)",
        level.as_str()
    ))
}

/// The classic scopes that grant a permission: on any repository the user can reach, or
/// only on public ones.
pub struct ClassicEquivalent {
    pub scopes: &'static [&'static str],
    pub public_only: &'static [&'static str],
}

/// "`repo`: Grants full access to public and private repositories including read and
/// write access to code, commit statuses, repository invitations, collaborators,
/// deployment statuses, and repository webhooks"; "`public_repo`: Limits access to public
/// repositories"; "`workflow`: Grants the ability to add and update GitHub Actions
/// workflow files"; `repo:status` and `repo_deployment` grant statuses and deployments
/// alone. Admin levels depend on the user's role, which no scope shows: `None`.
pub fn classic_equivalent(permission: &str, level: PermissionLevel) -> Option<ClassicEquivalent> {
    const REPO: ClassicEquivalent = ClassicEquivalent {
        scopes: &["repo"],
        public_only: &["public_repo"],
    };
    if level == Admin {
        return None;
    }
    Some(match permission {
        "contents" | "pull_requests" | "issues" | "metadata" | "repository_hooks" => REPO,
        "statuses" => ClassicEquivalent {
            scopes: &["repo", "repo:status"],
            public_only: &["public_repo"],
        },
        "deployments" => ClassicEquivalent {
            scopes: &["repo", "repo_deployment"],
            public_only: &["public_repo"],
        },
        "workflows" => ClassicEquivalent {
            scopes: &["workflow"],
            public_only: &[],
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_with_a_classic_equivalent_is_in_the_catalog() {
        for (name, levels) in CATALOG {
            for level in *levels {
                if let Some(equivalent) = classic_equivalent(name, *level) {
                    assert!(!equivalent.scopes.is_empty(), "{name}");
                    for scope in equivalent.scopes.iter().chain(equivalent.public_only) {
                        assert!(super::super::scopes::CATALOG.is_known(scope), "{scope}");
                    }
                }
            }
        }
    }
}

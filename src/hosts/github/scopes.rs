//! GitHub's classic OAuth / personal-access-token scopes and their nesting: the scopes
//! documentation
//! (<https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps>),
//! the token settings page, as TruffleHog lists it with its nesting
//! (trufflesecurity/trufflehog `pkg/analyzer/analyzers/github/classic`), and the GitHub
//! CLI, which counts `write:org` as `read:org` and `write:packages` as `read:packages`
//! (cli/cli `pkg/cmd/auth/shared/oauth_scopes.go`).

use crate::hosts::scope_catalog::ScopeCatalog;

pub static CATALOG: ScopeCatalog = ScopeCatalog {
    known: &[
        "repo",
        "repo:status",
        "repo_deployment",
        "public_repo",
        "repo:invite",
        "security_events",
        "admin:repo_hook",
        "write:repo_hook",
        "read:repo_hook",
        "admin:org",
        "manage_runners:org",
        "write:org",
        "read:org",
        "admin:public_key",
        "write:public_key",
        "read:public_key",
        "admin:org_hook",
        "gist",
        "notifications",
        "user",
        "read:user",
        "user:email",
        "user:follow",
        "project",
        "read:project",
        "delete_repo",
        "write:packages",
        "read:packages",
        "delete:packages",
        "admin:gpg_key",
        "write:gpg_key",
        "read:gpg_key",
        "codespace",
        "codespace:secrets",
        "copilot",
        "manage_billing:copilot",
        "write:discussion",
        "read:discussion",
        "admin:ssh_signing_key",
        "write:ssh_signing_key",
        "read:ssh_signing_key",
        "audit_log",
        "workflow",
        "read:audit_log",
        "scim:enterprise",
        "write:network_configurations",
        "read:network_configurations",
        "admin:enterprise",
        "manage_runners:enterprise",
        "manage_billing:enterprise",
        "read:enterprise",
        "site_admin",
    ],
    implies: &[
        (
            "repo",
            &[
                "repo:status",
                "repo_deployment",
                "public_repo",
                "repo:invite",
                "security_events",
            ],
        ),
        ("admin:repo_hook", &["write:repo_hook", "read:repo_hook"]),
        (
            "admin:org",
            &["write:org", "read:org", "manage_runners:org"],
        ),
        ("write:org", &["read:org"]),
        ("write:packages", &["read:packages"]),
        ("audit_log", &["read:audit_log"]),
        ("codespace", &["codespace:secrets"]),
        ("copilot", &["manage_billing:copilot"]),
        (
            "admin:ssh_signing_key",
            &["write:ssh_signing_key", "read:ssh_signing_key"],
        ),
        ("write:ssh_signing_key", &["read:ssh_signing_key"]),
        ("write:discussion", &["read:discussion"]),
        ("admin:public_key", &["write:public_key", "read:public_key"]),
        ("user", &["read:user", "user:email", "user:follow"]),
        ("project", &["read:project"]),
        ("admin:gpg_key", &["write:gpg_key", "read:gpg_key"]),
        (
            "admin:enterprise",
            &[
                "manage_runners:enterprise",
                "manage_billing:enterprise",
                "read:enterprise",
            ],
        ),
    ],
    likely_implies: &[
        ("write:repo_hook", &["read:repo_hook"]),
        ("write:public_key", &["read:public_key"]),
        ("write:gpg_key", &["read:gpg_key"]),
        (
            "write:network_configurations",
            &["read:network_configurations"],
        ),
    ],
    full_access: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_follow_documented_implications() {
        crate::hosts::scope_catalog::assert_consistent(&CATALOG);
        let repo = CATALOG.closure(["repo"]);
        assert!(repo.contains("public_repo") && repo.contains("repo:status"));
        assert!(!repo.contains("admin:org"));
        assert!(CATALOG.closure(["admin:org"]).contains("read:org"));
        assert!(CATALOG.closure(["write:org"]).contains("read:org"));
        assert!(
            CATALOG
                .closure(["admin:org"])
                .contains("manage_runners:org")
        );
        assert!(CATALOG.closure(["audit_log"]).contains("read:audit_log"));
        assert!(
            CATALOG
                .closure(["admin:ssh_signing_key"])
                .contains("read:ssh_signing_key")
        );
        assert!(
            CATALOG
                .closure(["write:discussion"])
                .contains("read:discussion")
        );
        assert!(
            CATALOG
                .closure(["copilot"])
                .contains("manage_billing:copilot")
        );
        assert!(CATALOG.closure(["codespace"]).contains("codespace:secrets"));
        assert_eq!(CATALOG.suggest("rep"), Some("repo"));
    }
}

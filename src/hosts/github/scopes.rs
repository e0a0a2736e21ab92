//! GitHub's classic OAuth / personal-access-token scopes and their documented nesting:
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps>.

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
        "workflow",
        "read:audit_log",
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
        ("admin:org", &["write:org", "read:org"]),
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
        ("write:org", &["read:org"]),
        ("write:repo_hook", &["read:repo_hook"]),
        ("write:public_key", &["read:public_key"]),
        ("write:gpg_key", &["read:gpg_key"]),
        ("write:packages", &["read:packages"]),
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
        assert!(!CATALOG.closure(["write:org"]).contains("read:org"));
        assert!(CATALOG.broad_closure(["write:org"]).contains("read:org"));
        assert_eq!(CATALOG.suggest("rep"), Some("repo"));
    }
}

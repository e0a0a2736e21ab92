//! GitLab's personal, project and group access token scopes:
//! <https://docs.gitlab.com/user/profile/personal_access_tokens/#personal-access-token-scopes>.

use crate::hosts::scope_catalog::ScopeCatalog;

pub static CATALOG: ScopeCatalog = ScopeCatalog {
    known: &[
        "api",
        "read_api",
        "read_user",
        "read_repository",
        "write_repository",
        "read_registry",
        "write_registry",
        "read_virtual_registry",
        "write_virtual_registry",
        "self_rotate",
        "create_runner",
        "manage_runner",
        "ai_features",
        "k8s_proxy",
        "admin_mode",
        "read_service_ping",
        "sudo",
        "read_observability",
        "write_observability",
    ],
    // `api` reaches everything the narrower scopes do. `self_rotate`: the rotate endpoint
    // accepts either (`lib/api/personal_access_tokens/self_rotation.rb` allows
    // `api` and `self_rotate`). `read_user`: the user endpoints it covers also accept
    // `api` and `read_api` (`lib/api/users.rb`, `allow_access_with_scope :read_user`
    // beside the API-wide scopes).
    implies: &[
        (
            "api",
            &[
                "read_api",
                "read_user",
                "read_repository",
                "write_repository",
                "read_registry",
                "write_registry",
                "self_rotate",
            ],
        ),
        (
            "read_api",
            &["read_user", "read_repository", "read_registry"],
        ),
        ("write_repository", &["read_repository"]),
    ],
    likely_implies: &[],
    full_access: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_follow_documented_implications() {
        crate::hosts::scope_catalog::assert_consistent(&CATALOG);
        let api = CATALOG.closure(["api"]);
        assert!(api.contains("read_api") && api.contains("write_repository"));
        assert!(CATALOG.closure(["read_api"]).contains("read_repository"));
        assert!(!CATALOG.closure(["read_api"]).contains("write_repository"));
        assert!(api.contains("self_rotate") && api.contains("read_user"));
        assert!(CATALOG.closure(["read_api"]).contains("read_user"));
        assert!(!CATALOG.closure(["read_api"]).contains("self_rotate"));
        assert_eq!(CATALOG.suggest("zzzzzzzz"), None);
    }
}

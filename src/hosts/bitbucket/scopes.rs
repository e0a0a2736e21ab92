//! The scope catalogs of Bitbucket Cloud and Data Center.

use crate::hosts::scope_catalog::ScopeCatalog;

/// Bitbucket Cloud: both vocabularies in one catalog, since `x-oauth-scopes` answers in
/// the vocabulary of the credential sent and a policy may name either.
///
/// Classic scopes (access tokens, app passwords, OAuth consumers), with the implications
/// Atlassian documents: <https://developer.atlassian.com/cloud/bitbucket/bitbucket-cloud-rest-api-scopes>
/// ("`pullrequest:write` … implies `repository:write`", quoted in gitpod-io/gitpod#12853)
/// and as trufflesecurity/trufflehog `pkg/analyzer/analyzers/bitbucket/scopes.go` lists
/// them (`ImpliedScopes`). Admin and delete scopes imply nothing.
///
/// API token scopes are `{action}:{resource}:bitbucket`: the resources are the permission
/// types of <https://support.atlassian.com/bitbucket-cloud/docs/api-token-permissions>,
/// the actions those of its Repositories section; no API token scope implies another
/// ("This scope does not imply the read:repository:bitbucket scope"; admin "does not
/// implicitly grant access to the read… or write… scopes"). Atlassian does not offer every
/// action on every resource, and the list of those it offers could not be verified, so
/// every combination is known here: a misspelt one is still caught by its resource or
/// action.
pub static CLOUD: ScopeCatalog = ScopeCatalog {
    known: CLOUD_KNOWN,
    implies: &[
        ("repository:write", &["repository"]),
        ("pullrequest", &["repository"]),
        (
            "pullrequest:write",
            &["pullrequest", "repository", "repository:write"],
        ),
        ("project", &["repository"]),
        ("pipeline:write", &["pipeline"]),
        ("pipeline:variable", &["pipeline", "pipeline:write"]),
        ("runner:write", &["runner"]),
    ],
    // The issue tracker's and snippets' write scopes very likely include reading, but no
    // Atlassian page found says so: assumed only where it is the safe side (a forbidden
    // `issue` is caught through `issue:write`), never to satisfy a required scope.
    likely_implies: &[("issue:write", &["issue"]), ("snippet:write", &["snippet"])],
    full_access: None,
};

const CLOUD_KNOWN: &[&str] = &[
    // Classic.
    "account",
    "repository",
    "repository:write",
    "repository:admin",
    "repository:delete",
    "project",
    "project:admin",
    "pullrequest",
    "pullrequest:write",
    "issue",
    "issue:write",
    "snippet",
    "snippet:write",
    "webhook",
    "pipeline",
    "pipeline:write",
    "pipeline:variable",
    "runner",
    "runner:write",
    // API tokens.
    "read:repository:bitbucket",
    "write:repository:bitbucket",
    "admin:repository:bitbucket",
    "delete:repository:bitbucket",
    "read:pullrequest:bitbucket",
    "write:pullrequest:bitbucket",
    "admin:pullrequest:bitbucket",
    "delete:pullrequest:bitbucket",
    "read:project:bitbucket",
    "write:project:bitbucket",
    "admin:project:bitbucket",
    "delete:project:bitbucket",
    "read:workspace:bitbucket",
    "write:workspace:bitbucket",
    "admin:workspace:bitbucket",
    "delete:workspace:bitbucket",
    "read:user:bitbucket",
    "write:user:bitbucket",
    "admin:user:bitbucket",
    "delete:user:bitbucket",
    "read:pipeline:bitbucket",
    "write:pipeline:bitbucket",
    "admin:pipeline:bitbucket",
    "delete:pipeline:bitbucket",
    "read:runner:bitbucket",
    "write:runner:bitbucket",
    "admin:runner:bitbucket",
    "delete:runner:bitbucket",
    "read:issue:bitbucket",
    "write:issue:bitbucket",
    "admin:issue:bitbucket",
    "delete:issue:bitbucket",
    "read:webhook:bitbucket",
    "write:webhook:bitbucket",
    "admin:webhook:bitbucket",
    "delete:webhook:bitbucket",
    "read:snippet:bitbucket",
    "write:snippet:bitbucket",
    "admin:snippet:bitbucket",
    "delete:snippet:bitbucket",
    "read:ssh-key:bitbucket",
    "write:ssh-key:bitbucket",
    "admin:ssh-key:bitbucket",
    "delete:ssh-key:bitbucket",
    "read:gpg-key:bitbucket",
    "write:gpg-key:bitbucket",
    "admin:gpg-key:bitbucket",
    "delete:gpg-key:bitbucket",
    "read:permission:bitbucket",
    "write:permission:bitbucket",
    "admin:permission:bitbucket",
    "delete:permission:bitbucket",
];

/// Bitbucket Data Center HTTP access token permissions: `PROJECT_READ`… `REPO_ADMIN`
/// (the OpenAPI 9.2 `RestAccessTokenRequest.permissions` example, coderabbitai/bitbucket
/// `src/server/openapi/swagger.v3.json`). "Repo permissions are inherited from the project
/// permissions", and each level can do what the one below can (write: "Push, pull, and
/// clone"; read: "Pull and clone"):
/// <https://confluence.atlassian.com/bitbucketserver0717/personal-access-tokens-1087535496.html>.
pub static DATA_CENTER: ScopeCatalog = ScopeCatalog {
    known: &[
        "PROJECT_READ",
        "PROJECT_WRITE",
        "PROJECT_ADMIN",
        "REPO_READ",
        "REPO_WRITE",
        "REPO_ADMIN",
    ],
    implies: &[
        ("PROJECT_ADMIN", &["PROJECT_WRITE", "REPO_ADMIN"]),
        ("PROJECT_WRITE", &["PROJECT_READ", "REPO_WRITE"]),
        ("PROJECT_READ", &["REPO_READ"]),
        ("REPO_ADMIN", &["REPO_WRITE"]),
        ("REPO_WRITE", &["REPO_READ"]),
    ],
    likely_implies: &[],
    full_access: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::scope_catalog::assert_consistent;

    #[test]
    fn cloud_closures_follow_documented_implications() {
        assert_consistent(&CLOUD);
        let pr_write = CLOUD.closure(["pullrequest:write"]);
        assert!(pr_write.contains("repository:write") && pr_write.contains("repository"));
        assert!(!CLOUD.closure(["repository:admin"]).contains("repository"));
        assert!(
            !CLOUD
                .closure(["write:repository:bitbucket"])
                .contains("read:repository:bitbucket")
        );
        assert!(CLOUD.broad_closure(["issue:write"]).contains("issue"));
        assert!(!CLOUD.closure(["issue:write"]).contains("issue"));
        assert_eq!(
            CLOUD.suggest("read:repositry:bitbucket"),
            Some("read:repository:bitbucket")
        );
    }

    #[test]
    fn data_center_levels_and_projects_cover_what_is_below_them() {
        assert_consistent(&DATA_CENTER);
        let admin = DATA_CENTER.closure(["PROJECT_ADMIN"]);
        assert!(DATA_CENTER.known.iter().all(|p| admin.contains(*p)));
        assert!(DATA_CENTER.closure(["PROJECT_READ"]).contains("REPO_READ"));
        assert!(!DATA_CENTER.closure(["REPO_ADMIN"]).contains("PROJECT_READ"));
        assert!(!DATA_CENTER.closure(["REPO_READ"]).contains("REPO_WRITE"));
    }
}

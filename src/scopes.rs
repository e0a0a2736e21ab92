//! Scope catalogs per host and their documented implications
//! (sources: ../shared/research/hosts.md §1.5, §2.2, §3.5).
//!
//! Only documented implications are listed: an undocumented one could make a token
//! that lacks a scope look as if it had it.

use std::collections::BTreeSet;

use crate::host_kind::HostKind;

/// What a host calls its scopes, and which scope includes which.
pub struct ScopeCatalog {
    pub known: &'static [&'static str],
    /// `(parent, children)`: a token with `parent` can do all that `children` allow.
    pub implies: &'static [(&'static str, &'static [&'static str])],
    /// Implications the docs suggest but do not state (`write:org` ⊇ `read:org`). Used
    /// only where assuming them is the safe side: when looking for forbidden scopes.
    pub likely_implies: &'static [(&'static str, &'static [&'static str])],
    /// A scope that grants everything (Azure DevOps "Full access").
    pub full_access: Option<&'static str>,
}

impl ScopeCatalog {
    pub fn for_host(host: HostKind) -> Option<&'static ScopeCatalog> {
        match host {
            HostKind::Github => Some(&GITHUB),
            HostKind::Gitlab => Some(&GITLAB),
            HostKind::AzureDevops | HostKind::AzureDevopsServer => Some(&AZURE_DEVOPS),
            HostKind::AwsIam => None,
        }
    }

    pub fn is_known(&self, scope: &str) -> bool {
        self.known.contains(&scope)
    }

    /// Every scope the given ones grant, themselves included.
    pub fn closure<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.close(scopes, false)
    }

    /// Every scope the given ones may grant: [`Self::closure`] plus the likely
    /// implications. What a forbidden scope is checked against.
    pub fn broad_closure<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.close(scopes, true)
    }

    fn close<'a>(
        &self,
        scopes: impl IntoIterator<Item = &'a str>,
        broad: bool,
    ) -> BTreeSet<String> {
        let mut closed: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<String> = scopes.into_iter().map(str::to_owned).collect();
        while let Some(scope) = pending.pop() {
            if !closed.insert(scope.clone()) {
                continue;
            }
            if Some(scope.as_str()) == self.full_access {
                pending.extend(self.known.iter().map(|s| s.to_string()));
            }
            let likely: &[(&str, &[&str])] = if broad { self.likely_implies } else { &[] };
            for (_, children) in self
                .implies
                .iter()
                .chain(likely)
                .filter(|(parent, _)| *parent == scope)
            {
                pending.extend(children.iter().map(|s| s.to_string()));
            }
        }
        closed
    }

    /// The known scope closest to a misspelt one.
    pub fn suggest(&self, unknown: &str) -> Option<&'static str> {
        crate::suggest::closest(unknown, self.known.iter().copied())
    }
}

pub static GITHUB: ScopeCatalog = ScopeCatalog {
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

pub static GITLAB: ScopeCatalog = ScopeCatalog {
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
    implies: &[
        (
            "api",
            &[
                "read_api",
                "read_repository",
                "write_repository",
                "read_registry",
                "write_registry",
            ],
        ),
        ("read_api", &["read_repository", "read_registry"]),
        ("write_repository", &["read_repository"]),
    ],
    likely_implies: &[],
    full_access: None,
};

pub static AZURE_DEVOPS: ScopeCatalog = ScopeCatalog {
    known: &[
        "app_token",
        "vso.advsec",
        "vso.advsec_write",
        "vso.advsec_manage",
        "vso.agentpools",
        "vso.agentpools_manage",
        "vso.environment_manage",
        "vso.machinegroup_manage",
        "vso.analytics",
        "vso.auditlog",
        "vso.auditstreams_manage",
        "vso.build",
        "vso.build_execute",
        "vso.code",
        "vso.code_write",
        "vso.code_manage",
        "vso.code_full",
        "vso.code_status",
        "vso.connected_server",
        "vso.dashboards",
        "vso.dashboards_manage",
        "vso.entitlements",
        "vso.extension",
        "vso.extension_manage",
        "vso.extension.data",
        "vso.extension.data_write",
        "vso.gallery",
        "vso.gallery_acquire",
        "vso.gallery_publish",
        "vso.gallery_manage",
        "vso.githubconnections",
        "vso.githubconnections_manage",
        "vso.graph",
        "vso.graph_manage",
        "vso.hooks",
        "vso.hooks_write",
        "vso.hooks_interact",
        "vso.identity",
        "vso.identity_manage",
        "vso.memberentitlementmanagement",
        "vso.memberentitlementmanagement_write",
        "vso.notification",
        "vso.notification_write",
        "vso.notification_manage",
        "vso.packaging",
        "vso.packaging_write",
        "vso.packaging_manage",
        "vso.pipelineresources_use",
        "vso.pipelineresources_manage",
        "vso.profile",
        "vso.profile_write",
        "vso.project",
        "vso.project_write",
        "vso.project_manage",
        "vso.release",
        "vso.release_execute",
        "vso.release_manage",
        "vso.securefiles_read",
        "vso.securefiles_write",
        "vso.securefiles_manage",
        "vso.security_manage",
        "vso.serviceendpoint",
        "vso.serviceendpoint_query",
        "vso.serviceendpoint_manage",
        "vso.settings",
        "vso.settings_write",
        "vso.symbols",
        "vso.symbols_write",
        "vso.symbols_manage",
        "vso.taskgroups_read",
        "vso.taskgroups_write",
        "vso.taskgroups_manage",
        "vso.test",
        "vso.test_write",
        "vso.threads_full",
        "vso.tokenadministration",
        "vso.tokens",
        "vso.variablegroups_read",
        "vso.variablegroups_write",
        "vso.variablegroups_manage",
        "vso.wiki",
        "vso.wiki_write",
        "vso.work",
        "vso.work_write",
        "vso.work_full",
        "user_impersonation",
    ],
    implies: &[
        ("vso.code_full", &["vso.code_manage"]),
        ("vso.code_manage", &["vso.code_write"]),
        ("vso.code_write", &["vso.code"]),
        ("vso.code", &["vso.hooks_write"]),
        ("vso.build_execute", &["vso.build"]),
        ("vso.work_full", &["vso.work_write"]),
        ("vso.work_write", &["vso.work"]),
        ("vso.packaging_manage", &["vso.packaging_write"]),
        ("vso.packaging_write", &["vso.packaging"]),
        ("vso.project_manage", &["vso.project_write"]),
        ("vso.project_write", &["vso.project"]),
        ("vso.release_manage", &["vso.release_execute"]),
        ("vso.release_execute", &["vso.release"]),
        ("vso.graph_manage", &["vso.graph"]),
        ("vso.identity_manage", &["vso.identity"]),
        ("vso.serviceendpoint_manage", &["vso.serviceendpoint_query"]),
        ("vso.serviceendpoint_query", &["vso.serviceendpoint"]),
        ("vso.environment_manage", &["vso.agentpools_manage"]),
        ("vso.machinegroup_manage", &["vso.agentpools_manage"]),
        ("vso.agentpools_manage", &["vso.agentpools"]),
        ("vso.variablegroups_manage", &["vso.variablegroups_write"]),
        ("vso.variablegroups_write", &["vso.variablegroups_read"]),
        ("vso.taskgroups_manage", &["vso.taskgroups_write"]),
        ("vso.taskgroups_write", &["vso.taskgroups_read"]),
        ("vso.securefiles_manage", &["vso.securefiles_write"]),
        ("vso.securefiles_write", &["vso.securefiles_read"]),
        ("vso.wiki_write", &["vso.wiki"]),
        ("vso.test_write", &["vso.test"]),
        ("vso.settings_write", &["vso.settings"]),
        ("vso.symbols_manage", &["vso.symbols_write"]),
        ("vso.symbols_write", &["vso.symbols"]),
        ("vso.dashboards_manage", &["vso.dashboards"]),
        ("vso.notification_manage", &["vso.notification_write"]),
        ("vso.notification_write", &["vso.notification"]),
        ("vso.extension_manage", &["vso.extension"]),
        ("vso.extension.data_write", &["vso.extension.data"]),
        (
            "vso.gallery_manage",
            &["vso.gallery_acquire", "vso.gallery_publish"],
        ),
        ("vso.gallery_acquire", &["vso.gallery"]),
        ("vso.gallery_publish", &["vso.gallery"]),
        ("vso.advsec_manage", &["vso.advsec_write"]),
        ("vso.advsec_write", &["vso.advsec"]),
        ("vso.auditstreams_manage", &["vso.auditlog"]),
        (
            "vso.memberentitlementmanagement_write",
            &["vso.memberentitlementmanagement"],
        ),
        ("vso.githubconnections_manage", &["vso.githubconnections"]),
        (
            "vso.pipelineresources_manage",
            &["vso.pipelineresources_use"],
        ),
    ],
    likely_implies: &[],
    full_access: Some("app_token"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implied_scope_is_known() {
        for catalog in [&GITHUB, &GITLAB, &AZURE_DEVOPS] {
            for (parent, children) in catalog.implies {
                assert!(catalog.is_known(parent), "{parent}");
                for child in *children {
                    assert!(catalog.is_known(child), "{child}");
                }
            }
        }
    }

    #[test]
    fn closures_follow_documented_implications() {
        let repo = GITHUB.closure(["repo"]);
        assert!(repo.contains("public_repo") && repo.contains("repo:status"));
        assert!(!repo.contains("admin:org"));
        assert!(GITHUB.closure(["admin:org"]).contains("read:org"));
        assert!(!GITHUB.closure(["write:org"]).contains("read:org"));
        assert!(GITHUB.broad_closure(["write:org"]).contains("read:org"));

        let api = GITLAB.closure(["api"]);
        assert!(api.contains("read_api") && api.contains("write_repository"));
        assert!(GITLAB.closure(["read_api"]).contains("read_repository"));
        assert!(!GITLAB.closure(["read_api"]).contains("write_repository"));

        let full = AZURE_DEVOPS.closure(["vso.code_full"]);
        assert!(full.contains("vso.code_write") && full.contains("vso.code"));
        assert!(
            !AZURE_DEVOPS
                .closure(["vso.code"])
                .contains("vso.code_write")
        );
        assert!(
            AZURE_DEVOPS
                .closure(["app_token"])
                .contains("vso.work_full")
        );
    }

    #[test]
    fn suggests_near_misses() {
        assert_eq!(GITHUB.suggest("rep"), Some("repo"));
        assert_eq!(
            AZURE_DEVOPS.suggest("vso.code_writ"),
            Some("vso.code_write")
        );
        assert_eq!(GITLAB.suggest("zzzzzzzz"), None);
    }
}

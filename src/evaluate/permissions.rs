//! The rules about what a token may do on a repository or project. Each host that has
//! them judges them in its own folder (GitHub's permissions and repository reach,
//! GitLab's roles), with its own fix texts.

use crate::rules::{RuleMeta, Severity};

pub static MISSING_PERMISSION: RuleMeta = RuleMeta {
    id: "missing-permission",
    summary: "The token lacks a repository permission the policy requires (a fine-grained permission, or for a classic token the scope that grants it).",
    default_severity: Severity::Error,
    why: "The integration will fail on what that permission allows (for the Jira integration: creating branches needs `contents = \"write\"`, pull requests `pull_requests = \"write\"`).",
    fix: None,
};

pub static MISSING_REPOSITORY: RuleMeta = RuleMeta {
    id: "missing-repository",
    summary: "The token cannot reach a repository or project the policy names: it is not among the token's repositories, its user may not see it, or it does not exist.",
    default_severity: Severity::Error,
    why: "Everything the integration does on that repository or project fails. patlint reads each one the policy names (`repositories`, `project`) with one harmless GET, whatever else the policy asks; the host's own \"not found\" is this finding, and an answer that is not the host's own proves nothing (`unverifiable`).",
    fix: None,
};

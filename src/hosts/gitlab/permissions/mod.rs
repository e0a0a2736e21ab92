//! GitLab's fine-grained permissions: the names a fine-grained personal access token's
//! grants use (`read_project`, `push_code`, `create_merge_request`), each with the
//! boundaries it can be granted at.
//!
//! The table (`catalog.rs`) is generated from GitLab's own definitions by `generate.py`
//! beside it. It holds the permissions of repositories, projects, groups and the token's
//! own personal access tokens: what a git integration's policy names. A name outside it is
//! taken as written unless it is a near miss of one in it (a typo).

mod catalog;

use serde::{Deserialize, Serialize};

/// Where a permission can be granted: GitLab's `boundaries` (`Authz::Boundary`), which a
/// token's grant (`granular_scopes[].access`) reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Boundary {
    Project,
    Group,
    User,
    Instance,
}

/// One permission of GitLab's catalog.
#[derive(Debug)]
pub struct Permission {
    pub name: &'static str,
    pub boundaries: &'static [Boundary],
    /// Hidden from new tokens, still honoured for existing ones.
    pub deprecated: bool,
}

impl Permission {
    /// Whether it is granted on projects (directly, or through their groups), so that it is
    /// judged on each of the token's `projects`.
    pub fn on_projects(&self) -> bool {
        self.boundaries
            .iter()
            .any(|b| matches!(b, Boundary::Project | Boundary::Group))
    }
}

/// The permission of this name, if the catalog has it.
pub fn find(name: &str) -> Option<&'static Permission> {
    catalog::CATALOG.iter().find(|p| p.name == name)
}

/// Every name in the catalog.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    catalog::CATALOG.iter().map(|p| p.name)
}

/// What is wrong with a name a policy gives, if anything: not shaped like a GitLab
/// permission (`Authz::Validation::PERMISSION_NAME_REGEX`, lib/authz/validation.rb:
/// `\A_?[a-z]+_[a-z_]+[a-z]\z`), or a near miss of one the catalog has.
pub fn problem(name: &str) -> Option<NameProblem> {
    if !well_formed(name) {
        return Some(NameProblem::Malformed);
    }
    if find(name).is_some() {
        return None;
    }
    near_miss(name).map(NameProblem::Typo)
}

#[derive(Debug, PartialEq)]
pub enum NameProblem {
    Malformed,
    /// The catalog's name it is most likely a typo of.
    Typo(&'static str),
}

fn well_formed(name: &str) -> bool {
    let body = name.strip_prefix('_').unwrap_or(name);
    let Some((action, rest)) = body.split_once('_') else {
        return false;
    };
    !action.is_empty()
        && action.chars().all(|c| c.is_ascii_lowercase())
        && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && rest.ends_with(|c: char| c.is_ascii_lowercase())
}

/// A catalog name one or two edits away (a dropped, doubled, swapped or wrong letter): a
/// name further from every one it knows may be one of GitLab's the catalog does not hold.
fn near_miss(name: &str) -> Option<&'static str> {
    names()
        .map(|known| (strsim::damerau_levenshtein(name, known), known))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// What a classic scope corresponds to among fine-grained permissions, for a policy that
/// asks a fine-grained token for scopes. Git over HTTPS: "Clone or pull a project
/// repository: Code, Download" and "Push to a project repository: Code, Push"
/// (docs.gitlab.com/auth/tokens/fine_grained_access_tokens_other/); the rotate endpoint
/// asks `rotate_personal_access_token` of a fine-grained token
/// (`route_setting :authorization, permissions: :rotate_personal_access_token`,
/// lib/api/personal_access_tokens.rb).
pub fn for_scope(scope: &str) -> &'static str {
    match scope {
        "read_repository" => "`download_code`",
        "write_repository" => "`download_code` and `push_code`",
        "self_rotate" => "`rotate_personal_access_token`",
        "api" | "read_api" => {
            "no one permission: list those of the calls the integration makes (GitLab names each endpoint's at docs.gitlab.com/auth/tokens/fine_grained_access_tokens_rest/), e.g. `read_project`, `read_merge_request`, `create_merge_request`"
        }
        _ => "the permissions of the calls the integration makes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_sorted_unique_and_well_formed() {
        let names: Vec<&str> = names().collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| well_formed(n)), "{names:?}");
        assert!(catalog::CATALOG.iter().all(|p| !p.boundaries.is_empty()));
    }

    #[test]
    fn boundaries_are_gitlabs() {
        assert!(find("read_project").unwrap().on_projects());
        assert!(find("delete_project").unwrap().on_projects());
        let pat = find("read_personal_access_token").unwrap();
        assert_eq!(pat.boundaries, &[Boundary::User]);
        assert!(!pat.on_projects());
    }

    #[test]
    fn typos_are_caught_and_unknown_names_pass() {
        assert_eq!(problem("push_code"), None);
        assert_eq!(
            problem("delete_projcet"),
            Some(NameProblem::Typo("delete_project"))
        );
        assert_eq!(
            problem("read_merge_requests"),
            Some(NameProblem::Typo("read_merge_request"))
        );
        // A permission of a category the catalog does not hold.
        assert_eq!(problem("read_pipeline"), None);
        for bad in [
            "Read_project",
            "read",
            "read_project_",
            "read-project",
            "read project",
        ] {
            assert_eq!(problem(bad), Some(NameProblem::Malformed), "{bad}");
        }
    }
}

//! GitLab: gitlab.com, self-managed and Dedicated.
//!
//! `GET {url}/api/v4/personal_access_tokens/self` (GitLab 15.5+) tells a personal,
//! project or group access token its scopes, creation and expiry
//! (<https://docs.gitlab.com/api/personal_access_tokens/#get-single-personal-access-token>).
//! Its `last_used_at` is patlint's own request (see `observe.rs`). A fine-grained token's
//! grants are not in that answer: `GET /personal_access_tokens/:id` gives them
//! (`granular.rs`). Each of the token's `projects` is read once (`targets.rs`).
//! Older servers answer 404 there; `GET /api/v4/version` then tells validity and the
//! version (<https://docs.gitlab.com/api/version/>).

mod answers;
pub mod associations;
pub mod facts;
mod grants;
mod granular;
mod instance_url;
mod inventory;
pub(crate) mod judge;
mod new_token;
mod observe;
pub mod permissions;
pub mod requirements;
mod scopes;
mod targets;

use reqwest::Url;
use serde::Deserialize;

use jiff::Timestamp;

use super::{
    Answer, AuditTexts, Call, Declared, Host, HostMeta, HttpSettings, Listing, ListingResult,
};
use crate::evaluate::Finding;
use crate::facts::{Observation, TokenFacts};
use crate::policy::raw::TextList;
use crate::policy::{RequirementKeys, Setting, TokenKeys, TokenSpec};
use crate::rules::Rule;

pub struct GitLab;

/// GitLab's own token keys (`url`, the instance, is common).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// GitLab: the projects the integration works on, as `group/project` paths: each is read once (`probe = false` stops it), and `require_access_level` and `require_permissions` are checked on each.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub projects: Option<TextList>,
}

/// GitLab's own `[[inventory]]` keys.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct InventoryKeys {
    /// GitLab inventory: list this group's and its projects' access tokens (the credential is a group owner's) instead of every token of the instance (an administrator's).
    #[serde(default)]
    #[schemars(with = "String")]
    pub group: Option<crate::policy::raw::Text>,
}

/// What a GitLab `[[inventory]]` lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Every personal access token of the instance (an administrator's credential).
    Instance,
    /// A group's access tokens and its projects' (a group owner's credential).
    Group(String),
}

/// Where the GitLab instance is, and what the integration works on there.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: Url,
    /// `group/project` paths, each where the policy wrote it.
    pub projects: Vec<Setting<String>>,
}

impl Host for GitLab {
    type Endpoint = Endpoint;
    type Facts = facts::Facts;
    type RawRequirements = requirements::RawRequirements;
    type Requirements = requirements::Requirements;

    fn requirements(
        raw: requirements::RawRequirements,
        keys: &mut RequirementKeys<'_>,
    ) -> requirements::Requirements {
        requirements::parse(raw, keys)
    }

    fn check_requirements(
        requirements: &requirements::Requirements,
    ) -> Result<(), crate::hosts::ValueProblem> {
        requirements::check(requirements)
    }
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "gitlab",
        product: "GitLab",
        http: true,
        requirement_keys: &[
            "require_scopes",
            "forbid_scopes",
            "allow_extra_scopes",
            "probe",
        ],
        scopes: Some(&scopes::CATALOG),
        probes: PROBES,
        // <https://docs.gitlab.com/security/tokens/#token-prefixes>
        secret_prefixes: &["glpat-"],
        rules: &[
            Rule::MissingPermission,
            Rule::MissingRepository,
            Rule::FineGrainedRequired,
            Rule::ForbiddenPermission,
        ],
        fixes: FIXES,
        token_requires: &[&["secret"]],
        inventory_requires: &[&["secret"]],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: Some(inventory::DOCS),
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        let url = keys.url("https://gitlab.com");
        if let Some(url) = &url {
            instance_url::check(keys, url);
        }
        let projects = raw.projects.map(|l| keys.settings(l)).unwrap_or_default();
        let mut valid = true;
        for project in &projects {
            if !associations::is_project_path(&project.value) {
                valid = false;
                keys.problem(
                    project.origin.span.clone(),
                    format!("`{}` is not a GitLab project path", project.value),
                    "not a project path",
                    Some("write the project's full path, e.g. \"my-group/my-project\"".into()),
                );
            }
        }
        valid.then_some(Endpoint {
            url: url?,
            projects,
        })
    }

    fn new_token_link(
        token: &crate::policy::TokenSpec,
        endpoint: &Self::Endpoint,
        facts: Option<&crate::facts::TokenFacts>,
    ) -> Option<reqwest::Url> {
        new_token::link(token, endpoint, facts)
    }

    fn new(_settings: &HttpSettings) -> Self {
        GitLab
    }

    fn judge(
        token: &TokenSpec,
        _endpoint: &Endpoint,
        facts: &TokenFacts,
        _now: Timestamp,
    ) -> Vec<Finding> {
        let mut findings = judge::access_level(token, facts);
        findings.extend(judge::reach(token, facts));
        findings.extend(grants::check(token, facts));
        findings
    }

    /// A fine-grained token has no scopes to judge: its permissions are (`grants.rs`).
    fn judges_scopes(_token: &TokenSpec, facts: &TokenFacts) -> bool {
        facts.kind != crate::facts::TokenKind::FineGrainedPat
    }

    fn repositories(endpoint: &Endpoint) -> &[Setting<String>] {
        &endpoint.projects
    }

    fn same_instance(inventory: &Endpoint, declared: Declared<'_, Self>, _: &Listing) -> bool {
        inventory.url == declared.endpoint.url
    }

    /// Only an administrator's instance listing holds every token of the instance.
    fn expected(scope: &Scope, _declared: &Endpoint, _: &Listing) -> bool {
        matches!(scope, Scope::Instance)
    }

    const AUDIT: AuditTexts = AuditTexts {
        declare_key: None,
        not_found: "check that the token belongs to the account or instance the inventory lists",
        unidentified: "GitLab: the token's own `/personal_access_tokens/self` gives its id: let it answer (GitLab 15.5+, and a scope that may read it)",
    };

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        observe::observe(call, endpoint).await
    }

    type InventoryKeys = InventoryKeys;
    type Scope = Scope;

    fn scope(raw: InventoryKeys, keys: &mut TokenKeys<'_>) -> Option<Scope> {
        let Some(group) = raw.group else {
            return Some(Scope::Instance);
        };
        let group = keys.setting(group);
        if !associations::is_group_path(&group.value) {
            keys.problem(
                group.origin.span.clone(),
                format!("`{}` is not a GitLab group path", group.value),
                "not a group path",
                Some(
                    "write the group's full path, e.g. \"my-group\" or \"my-group/subgroup\""
                        .into(),
                ),
            );
            return None;
        }
        Some(Scope::Group(group.value))
    }

    async fn list(&self, call: &Call<'_>, endpoint: &Endpoint, scope: &Scope) -> ListingResult {
        inventory::list(call, endpoint, scope).await
    }
}

/// The observation a `/personal_access_tokens/self` answer turns into, without a server.
pub fn interpret_self(status: u16, body: &str) -> Observation {
    observe::interpret_self(&Answer {
        status: reqwest::StatusCode::from_u16(status)
            .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR),
        headers: reqwest::header::HeaderMap::new(),
        body: body.to_owned(),
        request: "GET /api/v4/personal_access_tokens/self".into(),
    })
}

/// Every request beyond `/self`, for `explain`.
const PROBES: &[crate::hosts::Probe] = &[granular::DOCS, targets::DOCS, associations::DOCS];

/// The `init` starter: the targets, and why patlint needs them.
const STARTER: &str = r#"[[token]]
name     = "jira-gitlab"
host     = "gitlab"
url      = "https://gitlab.example.com"   # the instance; leave out for gitlab.com
secret   = { env = "JIRA_GITLAB_PAT" }
# The projects the integration works on (group/project). Without them patlint can vouch for
# the token but not for the integration. With them, the token's role on each can be required
# (GitLab 17.4 and later), e.g. the least that pushes branches and opens merge requests:
# require_access_level = "developer"
projects = ["acme/app"]
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "GitLab: Preferences > Access Tokens > Add new token; give it a name, an expiration date within the policy and the scopes the policy requires (e.g. `api`), then update the secret the policy names.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "GitLab: check `url` (the instance, e.g. https://gitlab.example.com, with its relative URL root if it has one, never /api/v4), the network path and proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::MissingPermission,
        "GitLab: for a role (`require_access_level`), raise the role of the token's user on the project or its group (Manage > Members); a project or group access token keeps the role it was created with, so create one with the role. For a fine-grained permission, create a fine-grained token (Access Tokens > Generate token > Fine-grained token) holding it on the project or its group: a token's grants cannot be changed. Then update the secret the policy names.",
    ),
    (
        Rule::MissingRepository,
        "GitLab: check the project's path, and that the token's user can see the project (a member of it or of its group, or the project is public); a fine-grained token also needs the project, or its group, among its grants. GitLab answers 404 too when a group restricts access by IP address and this address is not allowed: run patlint, and the integration, from an allowed address (a self-hosted runner).",
    ),
    (
        Rule::FineGrainedRequired,
        "GitLab: the project's top-level group accepts only fine-grained personal access tokens. Create one (Access Tokens > Generate token > Fine-grained token) with the permissions the integration needs on the project or its group, update the secret the policy names, and revoke the legacy token; set `require_permissions` for it in the policy.",
    ),
    (
        Rule::ForbiddenPermission,
        "GitLab: a fine-grained token's grants cannot be changed: create a fine-grained token without the forbidden permission, update the secret the policy names, and revoke the old token.",
    ),
    (
        Rule::ExpiresSoon,
        "GitLab: rotate the token (Access Tokens > Rotate, or POST /personal_access_tokens/self/rotate) and update the secret the policy names.",
    ),
    (
        Rule::LifespanExceeded,
        "GitLab: create or rotate the token with an expiration date no further than `max_lifespan` from its creation, and update the secret the policy names.",
    ),
    (
        Rule::NoExpiry,
        "GitLab: create a token with an expiration date within `max_lifespan` (non-expiring tokens are legacy or service-account tokens), then revoke the old one.",
    ),
    (
        Rule::MissingScope,
        "GitLab: scopes cannot be changed after creation: create a token with the required scopes and update the secret the policy names.",
    ),
    (
        Rule::ForbiddenScope,
        "GitLab: scopes cannot be removed: create a token without the forbidden scope, update the secret, revoke the old token.",
    ),
    (
        Rule::Unverifiable,
        "GitLab: scopes, creation and expiry come from GET /api/v4/personal_access_tokens/self, which GitLab answers since 15.5: an older instance makes them verifiable once upgraded, and a newer one once whatever stands in front of it passes that request on. Last use cannot be read through the token (its own request refreshes it), nor a granular token's permissions; a fine-grained token answers `/self` only if it holds `read_personal_access_token` (\"Personal Access Token: Read\"): drop `stale_after` or the scope rules for this token, or set `on_unverifiable = \"warn\"`.",
    ),
];

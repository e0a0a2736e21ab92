//! GitHub.com, GitHub Enterprise Cloud and Enterprise Server.
//!
//! One request, `GET {url}/user`: a 200 proves the token works, `X-OAuth-Scopes` gives a
//! classic token's scopes and `GitHub-Authentication-Token-Expiration` its expiry
//! (<https://docs.github.com/en/rest/users/users#get-the-authenticated-user>,
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps>).
//! Fine-grained permissions, repository access and SSO authorization, which GitHub does
//! not list to a token, are settled by harmless probes (`probes.rs`) when the policy asks.

mod api_url;
pub mod facts;
mod inventory;
pub(crate) mod judge;
pub(crate) mod new_token;
mod observe;
pub mod permissions;
mod probes;
mod refusals;
pub mod requirements;
mod scopes;

use reqwest::Url;
use serde::Deserialize;

use jiff::Timestamp;

use super::{
    AuditTexts, Call, Declared, Host, HostMeta, HttpSettings, Listed, Listing, ListingResult,
};
use crate::evaluate::Finding;
use crate::facts::{Observation, TokenFacts};
use crate::policy::raw::TextList;
use crate::policy::{RequirementKeys, Setting, TokenKeys, TokenSpec};
use crate::rules::Rule;

pub use observe::{parse_expiration, parse_scopes};

pub struct GitHub;

/// GitHub's own token keys (`url`, the API base, is common).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// GitHub: the repositories the integration works on, as `OWNER/REPO`: each is read once, and `require_permissions` is probed on each.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub repositories: Option<TextList>,
    /// GitHub: organizations whose SAML SSO authorization of the token is checked (default: the owners of `repositories`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub organizations: Option<TextList>,
    /// GitHub: the token's id in its organizations' listing of fine-grained tokens (`patlint audit` shows it), which matches the token to the listing.
    #[serde(default)]
    #[schemars(schema_with = "crate::policy::raw::whole_number_schema")]
    pub token_id: Option<toml::Spanned<u64>>,
    /// GitHub: the token's name (a fine-grained token's name, a classic token's note), which with its owner matches the token to an organization's listing (`patlint audit`).
    #[serde(default)]
    #[schemars(with = "String")]
    pub token_name: Option<crate::policy::raw::Text>,
}

/// GitHub's own `[[inventory]]` keys.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct InventoryKeys {
    /// GitHub inventory: the organization whose tokens are listed (required).
    #[serde(default)]
    #[schemars(with = "String")]
    pub organization: Option<crate::policy::raw::Text>,
}

/// Where GitHub's REST API is, and what the integration works on there.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub api: Url,
    /// `OWNER/REPO`, each where the policy wrote it.
    pub repositories: Vec<Setting<String>>,
    /// The organizations whose SSO authorization is checked: as written, or the owners of
    /// `repositories`.
    pub organizations: Vec<String>,
    /// What the token is listed as in an organization's listing (`token_id`, `token_name`).
    pub token_id: Option<u64>,
    pub token_name: Option<String>,
}

/// What a GitHub `[[inventory]]` lists: one organization's tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub organization: String,
}

/// Token prefixes: <https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>.
const PREFIXES: &[&str] = &["ghp_", "github_pat_", "gho_", "ghu_", "ghs_", "ghr_"];

impl Host for GitHub {
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

    fn not_a_scope(value: &str) -> Option<String> {
        permissions::written_as_scope(value)
    }
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "github",
        product: "GitHub",
        http: true,
        requirement_keys: &[
            "require_scopes",
            "forbid_scopes",
            "allow_extra_scopes",
            "probe",
        ],
        scopes: Some(&scopes::CATALOG),
        probes: probes::DOCS,
        secret_prefixes: PREFIXES,
        rules: &[
            Rule::SsoNotAuthorized,
            Rule::MissingPermission,
            Rule::MissingRepository,
            Rule::LifetimePolicy,
            Rule::ClassicTokenForbidden,
            Rule::IpAllowList,
            Rule::ApprovalPending,
        ],
        fixes: FIXES,
        token_requires: &[&["secret"]],
        inventory_requires: &[&["secret", "organization"]],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: Some(inventory::DOCS),
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        let api = keys.url("https://api.github.com");
        if let Some(api) = &api {
            api_url::check(keys, api);
        }
        let repositories = raw
            .repositories
            .map(|l| keys.settings(l))
            .unwrap_or_default();
        let explicit = raw.organizations.map(|l| keys.settings(l));
        let mut valid = true;
        for repository in &repositories {
            valid &= check_name(keys, repository, "repository", is_repository);
        }
        for organization in explicit.iter().flatten() {
            valid &= check_name(keys, organization, "organization", is_login);
        }
        let organizations = match explicit {
            Some(list) => list.into_iter().map(|s| s.value).collect(),
            None => owners(&repositories),
        };
        valid.then_some(Endpoint {
            api: api?,
            repositories,
            organizations,
            token_id: raw.token_id.map(|id| id.into_inner()),
            token_name: raw.token_name.map(|name| name.into_inner()),
        })
    }

    type InventoryKeys = InventoryKeys;
    type Scope = Scope;

    fn scope(raw: InventoryKeys, keys: &mut TokenKeys<'_>) -> Option<Scope> {
        let Some(organization) = raw.organization else {
            keys.missing(
                "organization",
                "add `organization = \"LOGIN\"`: the organization whose tokens are listed",
            );
            return None;
        };
        let organization = keys.setting(organization);
        check_name(keys, &organization, "organization", is_login).then_some(Scope {
            organization: organization.value,
        })
    }

    async fn list(&self, call: &Call<'_>, endpoint: &Endpoint, scope: &Scope) -> ListingResult {
        inventory::list(call, endpoint, scope).await
    }

    fn new(_settings: &HttpSettings) -> Self {
        GitHub
    }

    fn judge(
        token: &TokenSpec,
        endpoint: &Endpoint,
        facts: &TokenFacts,
        _now: Timestamp,
    ) -> Vec<Finding> {
        judge::check(token, &endpoint.organizations, facts)
    }

    fn new_token_link(
        token: &TokenSpec,
        endpoint: &Endpoint,
        facts: Option<&TokenFacts>,
    ) -> Option<Url> {
        new_token::link(token, endpoint, facts)
    }

    fn repositories(endpoint: &Endpoint) -> &[Setting<String>] {
        &endpoint.repositories
    }

    fn same_instance(inventory: &Endpoint, declared: Declared<'_, Self>, _: &Listing) -> bool {
        inventory.api == declared.endpoint.api
    }

    /// By `token_id`, or by `token_name` on a token of the owner its check saw (a name
    /// alone, the owner unknown, only when no other listed token has it).
    fn names(declared: Declared<'_, Self>, listed: &Listed, listing: &Listing) -> bool {
        let github = declared.endpoint;
        let by_name = |name: &String| {
            let identity = declared.facts.and_then(|f| f.identity.as_deref());
            listed.name.as_ref() == Some(name)
                && match (identity, &listed.owner) {
                    (Some(identity), Some(owner)) => identity.eq_ignore_ascii_case(owner),
                    _ => listing.only_one_named(name),
                }
        };
        // Fine-grained token ids and SSO credential ids are apart: with the kind unknown
        // (its check failed), an id only no other listed token has.
        let by_id = |id: &u64| {
            let id = id.to_string();
            listed.id == id && (declared.facts.is_some() || listing.only_one_with_id(&id))
        };
        github.token_id.as_ref().is_some_and(by_id)
            || github.token_name.as_ref().is_some_and(by_name)
    }

    fn policy_names(declared: &Endpoint) -> Vec<String> {
        let id = declared.token_id.map(|id| id.to_string());
        id.into_iter().chain(declared.token_name.clone()).collect()
    }

    fn expected(scope: &Scope, declared: &Endpoint, _: &Listing) -> bool {
        declared
            .organizations
            .iter()
            .any(|org| org.eq_ignore_ascii_case(&scope.organization))
    }

    const AUDIT: AuditTexts = AuditTexts {
        declare_key: Some("`token_id = {}`"),
        not_found: "GitHub lists a fine-grained token once the organization has granted it access (approved, where approval is required), a classic one once it is SSO-authorized: check the token's access, then tell patlint which listed token it is with `token_id` (the audit reports the id of every token it could not match) or `token_name`",
        unidentified: "let the token's own check read its id",
    };

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        observe::observe(call, endpoint).await
    }
}

/// GitHub logins: "may only contain alphanumeric characters or single hyphens, and cannot
/// begin or end with a hyphen", at most 39 characters.
fn is_login(name: &str) -> bool {
    (1..=39).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
}

/// `OWNER/REPO`: repository names are ASCII letters, digits, `.`, `-` and `_`.
fn is_repository(name: &str) -> bool {
    let Some((owner, repo)) = name.split_once('/') else {
        return false;
    };
    is_login(owner)
        && (1..=100).contains(&repo.len())
        && repo != "."
        && repo != ".."
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn check_name(
    keys: &mut TokenKeys<'_>,
    name: &Setting<String>,
    what: &str,
    valid: fn(&str) -> bool,
) -> bool {
    if valid(&name.value) {
        return true;
    }
    let example = if what == "repository" {
        "\"OWNER/REPO\", e.g. \"octo-org/octo-repo\""
    } else {
        "the organization's login, e.g. \"octo-org\""
    };
    keys.problem(
        name.origin.span.clone(),
        format!("`{}` is not a GitHub {what}", name.value),
        format!("not {} name", crate::suggest::with_article(what)),
        Some(format!("write {example}")),
    );
    false
}

/// The owners of the repositories, once each, in the order written.
fn owners(repositories: &[Setting<String>]) -> Vec<String> {
    let mut owners: Vec<String> = Vec::new();
    for repository in repositories {
        if let Some((owner, _)) = repository.value.split_once('/')
            && !owners.iter().any(|o| o == owner)
        {
            owners.push(owner.to_owned());
        }
    }
    owners
}

/// The `init` starter: the targets, and why patlint needs them.
const STARTER: &str = r#"[[token]]
name   = "jira-github"
host   = "github"
# url  = "https://ghe.example.com/api/v3"   # GitHub Enterprise Server
secret = { env = "JIRA_GITHUB_PAT" }    # or { file = "/run/secrets/jira-github" }; never the token itself
# The repositories the integration works on (OWNER/REPO). Without them patlint can vouch for
# the token but not for the integration: the permissions the policy requires are probed on
# each (a fine-grained token shows them nowhere else), and each owner's SAML SSO is checked.
repositories = ["acme/app"]
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "GitHub: Settings > Developer settings > Personal access tokens > Generate new token; give it a Note (e.g. git-integration-for-jira), an Expiration within the policy, and tick the scopes the policy requires (ticking `repo` selects everything under it). Copy the token and update the secret the policy names.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "Check `url` (GitHub Enterprise Server: https://HOST/api/v3), the network path and proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::ExpiresSoon,
        "GitHub: open the token under Settings > Developer settings > Personal access tokens and use Regenerate token, choosing a new expiration within `max_lifespan`; update the secret the policy names.",
    ),
    (
        Rule::LifespanExceeded,
        "GitHub: regenerate the token with an Expiration no further than `max_lifespan` from today (custom date if needed) and update the secret the policy names.",
    ),
    (
        Rule::NoExpiry,
        "GitHub: regenerate the token with an Expiration (not \"No expiration\") within `max_lifespan`, and update the secret the policy names.",
    ),
    (
        Rule::MissingScope,
        "GitHub: edit the token under Settings > Developer settings > Personal access tokens (classic) and tick the missing scope; scopes can be added without changing the token value.",
    ),
    (
        Rule::ForbiddenScope,
        "GitHub: edit the token and untick the forbidden scope (and any parent scope that includes it).",
    ),
    (
        Rule::Unverifiable,
        "GitHub: a fine-grained token's permissions are probed on the repositories named in `repositories` (name them, and keep `probe` on); no token reveals its creation date or last use. Otherwise drop the requirement, or set `on_unverifiable = \"warn\"` for this token.",
    ),
    (
        Rule::MissingPermission,
        "GitHub: edit the token under Settings > Developer settings > Personal access tokens: a fine-grained token needs the permission under Repository permissions (Read-only, or Read and write); a classic token needs the scope that grants it (`repo`). Editing keeps the token value.",
    ),
    (
        Rule::MissingRepository,
        "GitHub: edit the fine-grained token's Repository access and add the repository (the organization may have to approve the change), or fix its name in `repositories`. If the organization requires approval of fine-grained tokens, check the token's page (Settings > Developer settings > Personal access tokens): a request still pending there is for an organization owner to approve.",
    ),
    (
        Rule::LifetimePolicy,
        "GitHub: regenerate the token (Settings > Developer settings > Personal access tokens > the token > Regenerate token) with an expiration within the limit the finding names, counted from today, or open the URL GitHub gave in the finding; then update the secret the policy names.",
    ),
    (
        Rule::ClassicTokenForbidden,
        "GitHub: replace the classic token with a fine-grained personal access token (Settings > Developer settings > Personal access tokens > Fine-grained tokens > Generate new token, Resource owner: the organization) or a GitHub App, give it the permissions the integration needs, and update the secret the policy names.",
    ),
    (
        Rule::IpAllowList,
        "GitHub: run the integration, and patlint, from an address on the organization's (or enterprise's) IP allow list, such as a self-hosted runner inside the allowed network or GitHub-hosted larger runners with static addresses added to the list; or ask an organization owner to add the address (Organization settings > Authentication security > IP allow list).",
    ),
    (
        Rule::ApprovalPending,
        "GitHub: ask an owner of the organization to approve the token's request (Organization settings > Personal access tokens > Pending requests); until then the token reaches only the organization's public resources.",
    ),
    (
        Rule::SsoNotAuthorized,
        "GitHub: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize next to the organization (or open the URL in the finding).",
    ),
];

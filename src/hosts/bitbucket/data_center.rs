//! Bitbucket Data Center (and Server 7.x+): HTTP access tokens of a user, a project or a
//! repository, sent as Bearer. A token's permissions, creation and expiry are in its own
//! record, listed where it was made (`dc_observe.rs`).

use reqwest::Url;
use serde::Deserialize;

use crate::facts::Observation;
use crate::hosts::{AuditTexts, Call, Declared, Host, HostMeta, HttpSettings, Listing};
use crate::policy::TokenKeys;
use crate::policy::raw::Text;
use crate::rules::Rule;

pub struct DataCenter;

/// Data Center's own token keys (`url`, the instance's base URL, is common and required).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// Bitbucket Data Center: the slug of the user whose personal HTTP access token this is.
    #[serde(default)]
    #[schemars(with = "String")]
    pub user: Option<Text>,
    /// Bitbucket Data Center: the key of the project whose HTTP access token this is (also Azure DevOps: a project the integration works in).
    #[serde(default)]
    #[schemars(with = "String")]
    pub project: Option<Text>,
    /// Bitbucket Data Center: `PROJECT_KEY/repository-slug`, the repository whose HTTP access token this is.
    #[serde(default)]
    #[schemars(with = "String")]
    pub repository: Option<Text>,
}

/// Data Center's own `[[inventory]]` keys: none beyond a token's, whose `user`,
/// `project` or `repository` says what the inventory lists.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct InventoryKeys {}

/// What a Data Center `[[inventory]]` lists: the tokens of its endpoint's owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope;

/// Where a token's record is listed: by the user, project or repository it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(String),
    Project(String),
    Repository { project: String, slug: String },
}

impl Owner {
    /// The path segments after `/rest/access-tokens/latest/`.
    pub(super) fn segments(&self) -> Vec<&str> {
        match self {
            Owner::User(slug) => vec!["users", slug],
            Owner::Project(key) => vec!["projects", key],
            Owner::Repository { project, slug } => vec!["projects", project, "repos", slug],
        }
    }

    /// The token's kind, in the facts record's words.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Owner::User(_) => "personal-access-token",
            Owner::Project(_) => "project-access-token",
            Owner::Repository { .. } => "repository-access-token",
        }
    }

    /// The shared kind of the tokens listed under this owner.
    pub(super) fn token_kind(&self) -> crate::facts::TokenKind {
        match self {
            Owner::User(_) => crate::facts::TokenKind::PersonalAccessToken,
            Owner::Project(_) => crate::facts::TokenKind::ProjectAccessToken,
            Owner::Repository { .. } => crate::facts::TokenKind::RepositoryAccessToken,
        }
    }

    /// Whether a listing of `self`'s tokens holds `other`'s: the same owner, or a
    /// project's repository (a project inventory lists its repositories' tokens too).
    fn covers(&self, other: &Owner) -> bool {
        match (self, other) {
            (Owner::Project(key), Owner::Repository { project, .. }) => key == project,
            _ => self == other,
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Owner::User(slug) => format!("user `{slug}`"),
            Owner::Project(key) => format!("project `{key}`"),
            Owner::Repository { project, slug } => format!("repository `{project}/{slug}`"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The instance's base URL (`https://bitbucket.example.com`, or with a context path).
    pub url: Url,
    pub owner: Owner,
}

impl Host for DataCenter {
    type Endpoint = Endpoint;
    type Facts = super::facts::DataCenterFacts;
    type RawRequirements = crate::hosts::NoRequirements;
    type Requirements = crate::hosts::NoRequirements;
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "bitbucket-data-center",
        product: "Bitbucket Data Center",
        http: true,
        requirement_keys: &["require_scopes", "forbid_scopes", "allow_extra_scopes"],
        scopes: Some(&super::scopes::DATA_CENTER),
        probes: &[],
        secret_prefixes: &[],
        rules: &[],
        fixes: FIXES,
        token_requires: &[
            &["secret", "url", "user"],
            &["secret", "url", "project"],
            &["secret", "url", "repository"],
        ],
        inventory_requires: &[
            &["secret", "url", "user"],
            &["secret", "url", "project"],
            &["secret", "url", "repository"],
        ],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: Some(super::dc_inventory::DOCS),
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        let url = keys.required_url(
            "https://bitbucket.example.com",
            "add `url = \"https://bitbucket.example.com\"`: the instance's base URL",
        );
        let owner = owner(raw, keys);
        Some(Endpoint {
            url: url?,
            owner: owner?,
        })
    }

    fn new(_settings: &HttpSettings) -> Self {
        DataCenter
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        super::dc_observe::observe(call, endpoint).await
    }

    type InventoryKeys = InventoryKeys;
    type Scope = Scope;

    /// What it lists is its `user`, `project` or `repository`, validated as a token's.
    fn scope(_raw: InventoryKeys, _keys: &mut TokenKeys<'_>) -> Option<Scope> {
        Some(Scope)
    }

    async fn list(
        &self,
        call: &Call<'_>,
        endpoint: &Endpoint,
        _scope: &Scope,
    ) -> crate::hosts::ListingResult {
        super::dc_inventory::list(call, endpoint).await
    }

    /// The same instance, and a token of what the inventory lists: its user, its
    /// repository, or its project and the project's repositories.
    fn same_instance(inventory: &Endpoint, declared: Declared<'_, Self>, _: &Listing) -> bool {
        inventory.url == declared.endpoint.url && inventory.owner.covers(&declared.endpoint.owner)
    }

    /// Every token of its owner is in the listing (the kind is checked before).
    fn expected(_scope: &Scope, _declared: &Endpoint, _: &Listing) -> bool {
        true
    }

    const AUDIT: AuditTexts = AuditTexts {
        declare_key: None,
        not_found: "check `user`, `project` or `repository` of the token and of the inventory: the token is not in the listing of what it says it belongs to (revoked, or made elsewhere)",
        unidentified: "Bitbucket Data Center: the token's id is read from its value (a token that is base64 of `<id>:…`); a token of another format cannot be tied to a listing",
    };
}

/// Exactly one of `user`, `project`, `repository`.
fn owner(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Owner> {
    let given: Vec<(&str, Text)> = [
        ("user", raw.user),
        ("project", raw.project),
        ("repository", raw.repository),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .collect();
    let mut given = given.into_iter();
    let Some((key, first)) = given.next() else {
        keys.missing(
            "user",
            "say where the token's record is listed: `user = \"SLUG\"` (a personal token), `project = \"KEY\"` or `repository = \"KEY/slug\"`",
        );
        return None;
    };
    if let Some((other, value)) = given.next() {
        keys.problem(
            value.span(),
            format!("give one of `user`, `project` and `repository`, not `{key}` and `{other}`"),
            "second owner",
            Some("a token belongs to one user, project or repository".into()),
        );
        return None;
    }
    let value = keys.setting(first);
    let text = value.value.trim().to_owned();
    let blank = text.is_empty();
    let owner = match key {
        "user" => Some(Owner::User(text.clone())),
        "project" => Some(Owner::Project(text.clone())),
        _ => text.split_once('/').and_then(|(project, slug)| {
            (!project.is_empty() && !slug.is_empty() && !slug.contains('/')).then(|| {
                Owner::Repository {
                    project: project.to_owned(),
                    slug: slug.to_owned(),
                }
            })
        }),
    };
    if owner.is_none() || blank {
        keys.problem(
            value.origin.span.clone(),
            format!("`{}` is not a Bitbucket Data Center {key}", value.value),
            format!("not a {key}"),
            Some(match key {
                "repository" => {
                    "write \"PROJECT_KEY/repository-slug\", e.g. \"PROJ/my-repo\"".into()
                }
                _ => format!("write the {key}'s key or slug, e.g. \"PROJ\""),
            }),
        );
        return None;
    }
    owner
}

/// The `init` starter: where the token was made, which is where its record is listed.
const STARTER: &str = r#"[[token]]
name    = "jira-bitbucket-dc"
host    = "bitbucket-data-center"
url     = "https://bitbucket.example.com"
secret  = { env = "JIRA_BITBUCKET_DC_TOKEN" }
# Where the token was made: its project, or `user = "jira-bot"` for a personal token, or
# `repository = "PROJ/app"`. patlint reads the token's permissions and expiry from that
# listing of tokens.
project = "PROJ"
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "Bitbucket Data Center: Project or Repository settings > HTTP access tokens > Create token (or Profile picture > Manage account > HTTP access tokens for a personal one); set the permissions the policy requires and an expiry within it, then update the secret the policy names.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "Check `url` (the instance's base URL), `user` / `project` / `repository`, the network path and proxy settings, then run again.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::ExpiresSoon,
        "Bitbucket Data Center: a token's expiry cannot be changed: create a new token (HTTP access tokens > Create token) with an expiry within the policy, update the secret, revoke the old one.",
    ),
    (
        Rule::LifespanExceeded,
        "Bitbucket Data Center: create a token whose expiry is within `max_lifespan` (an administrator can also require an expiry: Administration > HTTP access tokens), update the secret, revoke the old one.",
    ),
    (
        Rule::NoExpiry,
        "Bitbucket Data Center: create a token with an expiry within `max_lifespan`, update the secret, revoke the old one.",
    ),
    (
        Rule::MissingScope,
        "Bitbucket Data Center: edit the token (HTTP access tokens > Edit) and raise its project or repository permission.",
    ),
    (
        Rule::ForbiddenScope,
        "Bitbucket Data Center: edit the token (HTTP access tokens > Edit) and lower its permission (a project permission covers the project's repositories).",
    ),
    (
        Rule::ExcessScope,
        "Bitbucket Data Center: edit the token (HTTP access tokens > Edit) down to the required permissions.",
    ),
    (
        Rule::Unverifiable,
        "Bitbucket Data Center: the token's record is read from its own listing (GET /rest/access-tokens/latest/…), which needs admin permission on what the token belongs to, and found by the id in the token's value. Last use cannot be read (the check's own request updates it): drop `stale_after` for this token, or set `on_unverifiable = \"warn\"`.",
    ),
];

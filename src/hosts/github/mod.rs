//! GitHub.com, GitHub Enterprise Cloud and Enterprise Server.
//!
//! One request, `GET {url}/user`: a 200 proves the token works, `X-OAuth-Scopes` gives a
//! classic token's scopes and `GitHub-Authentication-Token-Expiration` its expiry
//! (<https://docs.github.com/en/rest/users/users#get-the-authenticated-user>,
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps>).

mod observe;
mod scopes;

use reqwest::Url;
use serde::Deserialize;

use super::{Call, Host, HostMeta, HttpSettings};
use crate::facts::Observation;
use crate::policy::TokenKeys;
use crate::rules::Rule;

pub use observe::{parse_expiration, parse_scopes};

pub struct GitHub;

/// GitHub has no token keys of its own: `url` (the API base) is common.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {}

/// Where GitHub's REST API is.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub api: Url,
}

/// Token prefixes: <https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>.
const PREFIXES: &[&str] = &["ghp_", "github_pat_", "gho_", "ghu_", "ghs_", "ghr_"];

impl Host for GitHub {
    type Endpoint = Endpoint;
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "github",
        product: "GitHub",
        http: true,
        requirement_keys: &["require_scopes", "forbid_scopes", "allow_extra_scopes"],
        scopes: Some(&scopes::CATALOG),
        secret_prefixes: PREFIXES,
        fix,
        check_value: crate::hosts::any_value,
        check_requirements: crate::hosts::any_requirements,
        starter: STARTER,
    };

    fn endpoint(_raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        Some(Endpoint {
            api: keys.url("https://api.github.com")?,
        })
    }

    fn new(_settings: &HttpSettings) -> Self {
        GitHub
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        observe::observe(call, endpoint).await
    }
}

const STARTER: &str = r#"[[token]]
name   = "jira-github"
host   = "github"
# url  = "https://ghe.example.com/api/v3"   # GitHub Enterprise Server
secret = { env = "JIRA_GITHUB_PAT" }    # or { file = "/run/secrets/jira-github" }; never the token itself
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "GitHub: Settings > Developer settings > Personal access tokens > Generate new token; give it a Note (e.g. git-integration-for-jira), an Expiration within the policy, and tick the scopes the policy requires (ticking `repo` selects everything under it). Copy the token and update the secret the policy names.";

/// This host's own words for fixing a finding.
fn fix(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::TokenInvalid | Rule::TokenExpired => NEW_TOKEN,
        Rule::ExpiresSoon => {
            "GitHub: open the token under Settings > Developer settings > Personal access tokens and use Regenerate token, choosing a new expiration within `max_lifespan`; update the secret the policy names."
        }
        Rule::LifespanExceeded => {
            "GitHub: regenerate the token with an Expiration no further than `max_lifespan` from today (custom date if needed) and update the secret the policy names."
        }
        Rule::NoExpiry => {
            "GitHub: regenerate the token with an Expiration (not \"No expiration\") within `max_lifespan`, and update the secret the policy names."
        }
        Rule::MissingScope => {
            "GitHub: edit the token under Settings > Developer settings > Personal access tokens (classic) and tick the missing scope; scopes can be added without changing the token value."
        }
        Rule::ForbiddenScope => {
            "GitHub: edit the token and untick the forbidden scope (and any parent scope that includes it)."
        }
        Rule::Unverifiable => {
            "GitHub: fine-grained tokens do not reveal their permissions and no token reveals its creation date; use a classic token if scopes must be verified, or drop the requirement, or set `on_unverifiable = \"warn\"` for this token."
        }
        Rule::SsoAuthorizationRequired => {
            "GitHub: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize next to the organization (or open the URL in the finding)."
        }
        _ => return None,
    })
}

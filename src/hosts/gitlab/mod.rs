//! GitLab: gitlab.com, self-managed and Dedicated.
//!
//! `GET {url}/api/v4/personal_access_tokens/self` (GitLab 15.5+) tells a personal,
//! project or group access token its scopes, creation and expiry
//! (<https://docs.gitlab.com/api/personal_access_tokens/#get-single-personal-access-token>).
//! Its `last_used_at` is patlint's own request (see `observe.rs`), and a granular token's
//! permissions are not in the answer.
//! Older servers answer 404 there; `GET /api/v4/version` then tells validity and the
//! version (<https://docs.gitlab.com/api/version/>).

mod observe;
mod scopes;

use reqwest::Url;
use serde::Deserialize;

use super::{Answer, Call, Host, HostMeta, HttpSettings};
use crate::facts::Observation;
use crate::policy::TokenKeys;
use crate::rules::Rule;

pub struct GitLab;

/// GitLab has no token keys of its own: `url` (the instance) is common.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {}

/// Where the GitLab instance is.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: Url,
}

impl Host for GitLab {
    type Endpoint = Endpoint;
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "gitlab",
        product: "GitLab",
        http: true,
        requirement_keys: &["require_scopes", "forbid_scopes", "allow_extra_scopes"],
        scopes: Some(&scopes::CATALOG),
        permissions: &[],
        // <https://docs.gitlab.com/security/tokens/#token-prefixes>
        secret_prefixes: &["glpat-"],
        fix,
        check_value: crate::hosts::any_value,
        check_requirements: crate::hosts::any_requirements,
        starter: STARTER,
    };

    fn endpoint(_raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        Some(Endpoint {
            url: keys.url("https://gitlab.com")?,
        })
    }

    fn new(_settings: &HttpSettings) -> Self {
        GitLab
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        observe::observe(call, endpoint).await
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

const STARTER: &str = r#"[[token]]
name   = "jira-gitlab"
host   = "gitlab"
url    = "https://gitlab.example.com"
secret = { env = "JIRA_GITLAB_PAT" }
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "GitLab: Preferences > Access Tokens > Add new token; give it a name, an expiration date within the policy and the scopes the policy requires (e.g. `api`), then update the secret the policy names.";

/// This host's own words for fixing a finding.
fn fix(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::TokenInvalid | Rule::TokenExpired => NEW_TOKEN,
        Rule::ExpiresSoon => {
            "GitLab: rotate the token (Access Tokens > Rotate, or POST /personal_access_tokens/self/rotate) and update the secret the policy names."
        }
        Rule::LifespanExceeded => {
            "GitLab: create or rotate the token with an expiration date no further than `max_lifespan` from its creation, and update the secret the policy names."
        }
        Rule::NoExpiry => {
            "GitLab: create a token with an expiration date within `max_lifespan` (non-expiring tokens are legacy or service-account tokens), then revoke the old one."
        }
        Rule::MissingScope => {
            "GitLab: scopes cannot be changed after creation: create a token with the required scopes and update the secret the policy names."
        }
        Rule::ForbiddenScope => {
            "GitLab: scopes cannot be removed: create a token without the forbidden scope, update the secret, revoke the old token."
        }
        Rule::Unverifiable => {
            "GitLab: scopes, creation and expiry come from GET /api/v4/personal_access_tokens/self, which needs GitLab 15.5 or later (upgrade the instance). Last use cannot be read through the token (its own request refreshes it), nor a granular token's permissions: drop `stale_after` or the scope rules for this token, or set `on_unverifiable = \"warn\"`."
        }
        _ => return None,
    })
}

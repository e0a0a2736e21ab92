//! Bitbucket Cloud (`api.bitbucket.org/2.0`): API tokens (Basic `email:token`), app
//! passwords (Basic `username:password`) and repository, project or workspace access
//! tokens (Bearer). What the token may do is read from the answer's `x-oauth-scopes`
//! (`cloud_observe.rs`); expiry, creation and last use are not in any answer.

use jiff::Timestamp;
use reqwest::Url;
use serde::Deserialize;

use super::judge;
use crate::evaluate::Finding;
use crate::facts::{Observation, TokenFacts};
use crate::hosts::{Call, Host, HostMeta, HttpSettings, NoInventoryKeys};
use crate::policy::raw::Text;
use crate::policy::{Setting, TokenKeys, TokenSpec};
use crate::rules::Rule;

pub struct Cloud;

/// Bitbucket Cloud's own token keys (`url`, the API base, is common).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// Bitbucket Cloud: the Atlassian account email, when the secret is an API token (sent as Basic `email:token`).
    #[serde(default)]
    #[schemars(with = "String")]
    pub email: Option<Text>,
    /// Bitbucket Cloud: the Bitbucket username, when the secret is an app password (Basic `username:password`); app passwords were removed on 2026-07-28.
    #[serde(default)]
    #[schemars(with = "String")]
    pub username: Option<Text>,
}

/// Where Bitbucket Cloud's API is and how the secret is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub api: Url,
    /// An API token's account: Basic `email:token`.
    pub email: Option<String>,
    /// An app password's user: Basic `username:password`.
    pub username: Option<Setting<String>>,
}

/// Prefixes Atlassian confirms: "API Token: ATAT, App Password: ATBB, Access Tokens
/// (Workspace, Project, Repo): ATCT" (Atlassian team answer, "Can we confirm BitBucket's
/// token prefixes?", community.atlassian.com/forums/Bitbucket-questions/Can-we-confirm-BitBucket-s-token-prefixes/qaq-p/3093481).
pub(super) const API_TOKEN_PREFIX: &str = "ATAT";
pub(super) const APP_PASSWORD_PREFIX: &str = "ATBB";
pub(super) const ACCESS_TOKEN_PREFIX: &str = "ATCT";

impl Host for Cloud {
    type Endpoint = Endpoint;
    type Facts = super::facts::CloudFacts;
    type RawRequirements = crate::hosts::NoRequirements;
    type Requirements = crate::hosts::NoRequirements;
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "bitbucket",
        product: "Bitbucket Cloud",
        http: true,
        requirement_keys: &["require_scopes", "forbid_scopes", "allow_extra_scopes"],
        scopes: Some(&super::scopes::CLOUD),
        probes: &[],
        secret_prefixes: &[API_TOKEN_PREFIX, APP_PASSWORD_PREFIX, ACCESS_TOKEN_PREFIX],
        rules: &[Rule::AppPasswordRetired],
        fixes: FIXES,
        token_requires: &[&["secret"]],
        inventory_requires: &[],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: None,
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        let api = keys.url("https://api.bitbucket.org/2.0");
        let email = raw.email.map(|e| keys.setting(e));
        let username = raw.username.map(|u| keys.setting(u));
        let mut valid = true;
        if let (Some(_), Some(username)) = (&email, &username) {
            keys.problem(
                username.origin.span.clone(),
                "give `email` (an API token) or `username` (an app password), not both",
                "second account",
                Some("keep `email`: app passwords were removed on 2026-07-28".into()),
            );
            valid = false;
        }
        if let Some(email) = email.as_ref().filter(|e| !e.value.contains('@')) {
            keys.problem(
                email.origin.span.clone(),
                format!("`{}` is not an email address", email.value),
                "not an email",
                Some("an API token is sent with your Atlassian account email, e.g. \"jira-bot@example.com\"".into()),
            );
            valid = false;
        }
        valid.then_some(Endpoint {
            api: api?,
            email: email.map(|e| e.value),
            username,
        })
    }

    fn new_token_link(
        _token: &crate::policy::TokenSpec,
        _endpoint: &Self::Endpoint,
        facts: Option<&crate::facts::TokenFacts>,
    ) -> Option<reqwest::Url> {
        super::new_token::cloud(facts)
    }

    fn new(_settings: &HttpSettings) -> Self {
        Cloud
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        super::cloud_observe::observe(call, endpoint).await
    }

    fn platform(token: &TokenSpec, facts: Option<&TokenFacts>, now: Timestamp) -> Option<Finding> {
        judge::app_password_retired(token, facts, now)
    }

    type InventoryKeys = NoInventoryKeys;
    type Scope = std::convert::Infallible;

    fn scope(_raw: NoInventoryKeys, keys: &mut TokenKeys<'_>) -> Option<Self::Scope> {
        keys.problem_at_table(
            "Bitbucket Cloud has no API that lists access tokens or API tokens",
            "cannot be an inventory",
            "Bitbucket Cloud's REST API has no endpoint listing a workspace's access tokens or its users' API tokens (Atlassian's suggestion BCLOUD-23192 asks for one): declare each token as a [[token]]".into(),
        );
        None
    }

    async fn list(
        &self,
        _call: &Call<'_>,
        _endpoint: &Endpoint,
        scope: &Self::Scope,
    ) -> crate::hosts::ListingResult {
        match *scope {}
    }
}

/// The `init` starter: an API token, and why its lifespan can only warn.
const STARTER: &str = r#"[[token]]
name   = "jira-bitbucket"
host   = "bitbucket"
email  = "jira-bot@example.com"   # an API token's account; leave out for a repository, project or workspace access token
secret = { env = "JIRA_BITBUCKET_TOKEN" }
# Bitbucket Cloud reveals no token's expiry, so `max_lifespan` cannot be checked: this makes
# it (and any other fact Bitbucket keeps to itself) a warning instead of a failure: note the
# expiry you set when you created the token, as patlint cannot see it.
on_unverifiable = "warn"
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "Bitbucket Cloud: id.atlassian.com > Security > Create and manage API tokens > Create API token with scopes > Bitbucket; pick an expiry within the policy and the scopes it requires (e.g. read:repository:bitbucket, write:pullrequest:bitbucket), then update the secret the policy names (and `email`). For an access token: Repository, Project or Workspace settings > Access tokens > Create.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "Check `url` (https://api.bitbucket.org/2.0), the network path and proxy settings, then run again.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::MissingScope,
        "Bitbucket Cloud: scopes cannot be added to an existing token: create one with the required scopes (an API token's write scopes do not include the read ones: select both), update the secret, revoke the old one.",
    ),
    (
        Rule::ForbiddenScope,
        "Bitbucket Cloud: scopes cannot be removed from a token: create one without the forbidden scope (and without any scope that includes it, e.g. pullrequest:write includes repository:write), update the secret, revoke the old one.",
    ),
    (
        Rule::ExcessScope,
        "Bitbucket Cloud: create a token with only the required scopes, update the secret, revoke the old one.",
    ),
    (
        Rule::Unverifiable,
        "Bitbucket Cloud does not reveal a token's expiry, creation or last use through its API: drop `max_lifespan`, `expiry_warning` and `stale_after` for this token, or set `on_unverifiable = \"warn\"`. Scopes come from the `x-oauth-scopes` header; a token whose answers carry none cannot be judged on scopes.",
    ),
    (
        Rule::AppPasswordRetired,
        "Bitbucket Cloud: create an Atlassian API token with Bitbucket scopes (id.atlassian.com > Security > Create and manage API tokens > Create API token with scopes) or an access token, update the secret, and replace `username` with `email` in the policy (no key for an access token).",
    ),
];

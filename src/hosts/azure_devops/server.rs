//! Azure DevOps Server and TFS 2017+, on premises.
//!
//! Only validity can be observed: `GET {collection}/_apis/connectionData` with the PAT.
//! No API reveals an on-premises PAT's scopes or expiry, so those are unverifiable.

use reqwest::Url;
use serde::Deserialize;

use super::connection::{basic_auth, connection_data};
use super::probes::{self, Target};
use crate::evaluate::Finding;
use crate::facts::{Fact, Observation, TokenFacts, TokenKind};
use crate::hosts::{Call, Host, HostMeta, HttpSettings};
use crate::policy::raw::Text;
use crate::policy::{Setting, TokenKeys, TokenSpec};
use crate::rules::Rule;

pub struct Server;

/// Server / TFS token keys (`url`, the collection, is common).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// Azure DevOps: the project the integration works in: read once (its repositories), and where `vso.code_write` is probed without the PAT Lifecycle API.
    #[serde(default)]
    #[schemars(with = "String")]
    pub project: Option<Text>,
}

/// The collection a Server / TFS PAT belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub collection: Url,
    /// The project the integration works in: read, and where `vso.code_write` is probed.
    pub project: Option<Setting<String>>,
}

impl Host for Server {
    type Endpoint = Endpoint;
    type Facts = crate::hosts::NoFacts;
    type RawRequirements = crate::hosts::NoRequirements;
    type Requirements = crate::hosts::NoRequirements;
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "azure-devops-server",
        product: "Azure DevOps Server / TFS",
        http: true,
        requirement_keys: &[
            "require_scopes",
            "forbid_scopes",
            "allow_extra_scopes",
            "probe",
        ],
        scopes: Some(&super::scopes::CATALOG),
        probes: super::probes::DOCS,
        secret_prefixes: &[],
        rules: &[Rule::ConditionalAccess, Rule::MissingRepository],
        fixes: FIXES,
        token_requires: &[&["secret", "url"]],
        inventory_requires: &[],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: None,
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        let project = super::probes::project(keys, raw.project);
        let collection = keys.required_url(
            "https://tfs.example.com/tfs/DefaultCollection",
            "add `url = \"https://tfs.example.com/tfs/DefaultCollection\"`: the collection URL",
        )?;
        Some(Endpoint {
            collection,
            project,
        })
    }

    fn new_token_link(
        _token: &crate::policy::TokenSpec,
        endpoint: &Self::Endpoint,
        _facts: Option<&crate::facts::TokenFacts>,
    ) -> Option<reqwest::Url> {
        super::new_token::server(&endpoint.collection)
    }

    fn new(_settings: &HttpSettings) -> Self {
        Server
    }

    type InventoryKeys = crate::hosts::NoInventoryKeys;
    type Scope = std::convert::Infallible;

    fn scope(
        _raw: crate::hosts::NoInventoryKeys,
        keys: &mut TokenKeys<'_>,
    ) -> Option<std::convert::Infallible> {
        keys.problem_at_table(
            "Azure DevOps Server has no admin listing of personal access tokens",
            "cannot be an inventory",
            "the Token Admin API is Azure DevOps Services' only: inventory an organization there (`host = \"azure-devops\"`), and declare each Server token as a [[token]]".into(),
        );
        None
    }

    async fn list(
        &self,
        _call: &Call<'_>,
        _endpoint: &Endpoint,
        scope: &std::convert::Infallible,
    ) -> crate::hosts::ListingResult {
        match *scope {}
    }

    fn judge(
        token: &TokenSpec,
        _endpoint: &Endpoint,
        facts: &TokenFacts,
        _now: jiff::Timestamp,
    ) -> Vec<Finding> {
        super::project::judge(token, facts).into_iter().collect()
    }

    fn repositories(endpoint: &Endpoint) -> &[Setting<String>] {
        endpoint.project.as_slice()
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        let pat = match basic_auth(call) {
            Ok(pat) => pat,
            Err(unsendable) => return Observation::host_error(unsendable),
        };
        let product = "Azure DevOps Server";
        let collection = (&endpoint.collection, endpoint.collection.as_str());
        if let Err(refused) = connection_data(call, product, collection, &pat).await {
            return refused;
        }
        let mut facts = TokenFacts::new(TokenKind::PersonalAccessToken);
        facts.unobservable_all(
            &[
                Fact::Scopes,
                Fact::ExpiresAt,
                Fact::CreatedAt,
                Fact::LastUsedAt,
            ],
            "Azure DevOps Server / TFS has no API that reveals a PAT's scopes, expiry or use; only its validity (connectionData) is observable",
        );
        let target = Target {
            product,
            base: &endpoint.collection,
            project: endpoint.project.as_ref().map(|p| p.value.as_str()),
            api_version: "5.0",
        };
        if let Err(stopped) = probes::run(call, &target, &pat, &mut facts).await {
            return stopped;
        }
        Observation::observed(facts)
    }
}

/// The `init` starter: the target, and why a Server / TFS PAT's lifespan can only warn.
const STARTER: &str = r#"[[token]]
name    = "jira-tfs"
host    = "azure-devops-server"
url     = "https://tfs.example.com/tfs/DefaultCollection"   # the collection URL
secret  = { env = "JIRA_TFS_PAT" }
# The project the integration works in, where the code scopes are probed. Without it patlint
# can vouch for the token but not for the integration.
project = "Fabrikam Fiber"
# No API of Azure DevOps Server / TFS reveals a PAT's expiry, so `max_lifespan` cannot be
# checked: this makes it (and any other fact the server keeps to itself) a warning instead
# of a failure: note the expiry you set when you created the PAT, as patlint cannot see it.
on_unverifiable = "warn"
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "Azure DevOps Server / TFS: user menu > Security > Personal access tokens > Add; set the lifespan within the policy and Selected scopes (e.g. Code: read and write), then update the secret the policy names.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "Azure DevOps Server / TFS: check `url` (the collection, e.g. https://tfs.example.com/tfs/DefaultCollection), the network path to the server and the proxy settings (and `ca_file` for a private certificate authority), then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
    ),
    (
        Rule::ConditionalAccess,
        "Azure DevOps: run the integration, and patlint, from a network location or device the tenant's conditional access policy admits (e.g. a self-hosted agent inside the allowed network), or ask the tenant administrator which policy failed (Microsoft Entra sign-in logs) and to admit it; an integration that can authenticate with a Microsoft Entra token that satisfies the policy need not use a PAT.",
    ),
    (
        Rule::MissingRepository,
        "Azure DevOps: check the `project` name (as in the project's URL) and that the PAT's user is a member of the project with at least Reader access; a PAT reaches what its user may.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::MissingScope,
        "Azure DevOps Server / TFS: edit the token (Security > Personal access tokens) and add the scope under Selected scopes.",
    ),
];

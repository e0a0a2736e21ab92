//! Azure DevOps Services (`dev.azure.com`).
//!
//! A PAT reveals little about itself, so patlint takes what truth exists and says what
//! it could not see:
//! - validity: `GET {url}/{organization}/_apis/connectionData` with the PAT;
//! - scopes, validity window and organization reach, authoritatively: the PAT Lifecycle
//!   API, which only accepts a Microsoft Entra token of the PAT's owner (`entra_token`);
//! - without one, organization reach by a heuristic probe of `profiles/me` (200 with the
//!   PAT only for a global PAT), and scopes and expiry unverifiable.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::connection::{basic_auth, connection_data};
use super::judge::{self, AZURE_GLOBAL_PAT_RETIREMENT};
use super::lifecycle::{LookupError, lifecycle, lifecycle_endpoint};
use super::probes::{self, Target};
use crate::client::wire::join;
use crate::evaluate::Finding;
use crate::facts::{Fact, Observation, Observed, TokenFacts, TokenKind};
use crate::hosts::{
    AuditTexts, Call, Declared, Host, HostMeta, HttpSettings, Listed, Listing, OwnRequirements,
};
use crate::policy::raw::{SecretRefAsWritten, Text};
use crate::policy::{RequirementKeys, Setting, TokenKeys, TokenSpec};
use crate::rules::Rule;
use crate::secret::SecretSource;
use jiff::Timestamp;

pub struct Services;

const PRODUCT: &str = "Azure DevOps";

/// The token keys of an Azure DevOps Services PAT, as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// Azure DevOps Services: the organization (required).
    #[serde(default)]
    #[schemars(with = "String")]
    pub organization: Option<Text>,
    /// Azure DevOps Services: the token service URL (default https://vssps.dev.azure.com).
    #[serde(default)]
    #[schemars(with = "String")]
    pub vssps_url: Option<Text>,
    /// Azure DevOps Services: the profile service URL for the global-PAT probe (default https://app.vssps.visualstudio.com).
    #[serde(default)]
    #[schemars(with = "String")]
    pub profile_url: Option<Text>,
    /// Azure DevOps Services: a Microsoft Entra access token of the PAT's owner, to read the PAT's scopes and expiry from the PAT Lifecycle API.
    #[serde(default)]
    #[schemars(with = "crate::policy::raw::SecretRefSchema")]
    pub entra_token: Option<toml::Spanned<SecretRefAsWritten>>,
    /// Azure DevOps Services: the PAT's display name in the PAT Lifecycle API.
    #[serde(default)]
    #[schemars(with = "String")]
    pub display_name: Option<Text>,
    /// Azure DevOps Services: the PAT's authorization id in the PAT Lifecycle API.
    #[serde(default)]
    #[schemars(with = "String")]
    pub authorization_id: Option<Text>,
    /// Azure DevOps: the project the integration works in: read once (its repositories), and where `vso.code_write` is probed without the PAT Lifecycle API.
    #[serde(default)]
    #[schemars(with = "String")]
    pub project: Option<Text>,
}

/// Azure DevOps Services: the organization, its service URLs, and optionally what is
/// needed to read the PAT's own record from the PAT Lifecycle API.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: Url,
    pub organization: String,
    pub vssps_url: Url,
    pub profile_url: Url,
    pub entra_token: Option<SecretSource>,
    pub pat_id: Option<PatId>,
    /// The project the integration works in: read, and where `vso.code_write` is probed.
    pub project: Option<Setting<String>>,
}

/// How to find a PAT in the PAT Lifecycle API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatId {
    DisplayName(String),
    AuthorizationId(String),
}

impl Host for Services {
    type Endpoint = Box<Endpoint>;
    type Facts = super::facts::Facts;
    type RawRequirements = super::requirements::RawRequirements;
    type Requirements = super::requirements::Requirements;

    fn requirements(
        raw: super::requirements::RawRequirements,
        keys: &mut RequirementKeys<'_>,
    ) -> super::requirements::Requirements {
        super::requirements::parse(raw, keys)
    }
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "azure-devops",
        product: "Azure DevOps Services",
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
        rules: &[
            Rule::OrgReach,
            Rule::GlobalPatRetirement,
            Rule::ConditionalAccess,
            Rule::MissingRepository,
        ],
        fixes: FIXES,
        token_requires: &[&["secret", "organization"]],
        inventory_requires: &[&["secret", "organization"]],
        lifespan_by_age: false,
        starter: STARTER,
        inventory: Some(super::inventory::DOCS),
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Box<Endpoint>> {
        let url = keys.url("https://dev.azure.com");
        let vssps_url = keys.other_url(
            raw.vssps_url.as_ref(),
            "vssps_url",
            "https://vssps.dev.azure.com",
        );
        let profile_url = keys.other_url(
            raw.profile_url.as_ref(),
            "profile_url",
            "https://app.vssps.visualstudio.com",
        );
        let entra_token = match &raw.entra_token {
            Some(value) => Some(keys.secret_ref("entra_token", value)?),
            None => None,
        };
        let named_by_url = url.as_ref().and_then(|url| {
            let written = raw.organization.as_ref().map(|o| o.get_ref().trim());
            super::organization::check_url(keys, url, written)
        });
        let organization = match &raw.organization {
            Some(written) => super::organization::name(keys, written, raw.project.is_some()),
            None => {
                keys.missing(
                    "organization",
                    &match named_by_url {
                        Some(named) => format!("add `organization = \"{named}\"`, the organization `url` names"),
                        None => "add `organization = \"NAME\"`: the part after dev.azure.com/ in your organization's URL".into(),
                    },
                );
                None
            }
        };
        let pat_id = match (&raw.display_name, &raw.authorization_id) {
            (Some(name), None) => Some(PatId::DisplayName(name.get_ref().clone())),
            (None, Some(id)) => Some(PatId::AuthorizationId(id.get_ref().clone())),
            (None, None) => None,
            (Some(_), Some(id)) => {
                keys.problem(
                    id.span(),
                    "give `display_name` or `authorization_id`, not both",
                    "second identifier",
                    Some("keep `authorization_id`, which is unique".into()),
                );
                None
            }
        };
        let project = super::probes::project(keys, raw.project);
        Some(Box::new(Endpoint {
            url: url?,
            organization: organization?,
            project,
            vssps_url: vssps_url?,
            profile_url: profile_url?,
            entra_token,
            pat_id,
        }))
    }

    fn new_token_link(
        _token: &crate::policy::TokenSpec,
        endpoint: &Self::Endpoint,
        _facts: Option<&crate::facts::TokenFacts>,
    ) -> Option<reqwest::Url> {
        super::new_token::services(&endpoint.url, &endpoint.organization)
    }

    fn new(_settings: &HttpSettings) -> Self {
        Services
    }

    type InventoryKeys = crate::hosts::NoInventoryKeys;
    /// The organization's users' tokens, read with `secret`: a Microsoft Entra token.
    type Scope = ();

    fn scope(_raw: crate::hosts::NoInventoryKeys, _keys: &mut TokenKeys<'_>) -> Option<()> {
        Some(())
    }

    async fn list(
        &self,
        call: &Call<'_>,
        azure: &Box<Endpoint>,
        _scope: &(),
    ) -> crate::hosts::ListingResult {
        super::inventory::list(call, azure).await
    }

    fn judge(
        token: &TokenSpec,
        _endpoint: &Box<Endpoint>,
        facts: &TokenFacts,
        _now: Timestamp,
    ) -> Vec<Finding> {
        judge::org_reach(token, facts)
            .into_iter()
            .chain(super::project::judge(token, facts))
            .collect()
    }

    fn repositories(endpoint: &Box<Endpoint>) -> &[Setting<String>] {
        endpoint.project.as_slice()
    }

    fn same_instance(inventory: &Box<Endpoint>, declared: Declared<'_, Self>, _: &Listing) -> bool {
        inventory
            .organization
            .eq_ignore_ascii_case(&declared.endpoint.organization)
    }

    /// By `authorization_id`, or by a `display_name` no other listed PAT has (the
    /// listing does not tie a display name to the PAT's owner).
    fn names(declared: Declared<'_, Self>, listed: &Listed, listing: &Listing) -> bool {
        match &declared.endpoint.pat_id {
            Some(PatId::AuthorizationId(id)) => id.eq_ignore_ascii_case(&listed.id),
            Some(PatId::DisplayName(name)) => {
                listed.name.as_ref() == Some(name) && listing.only_one_named(name)
            }
            None => false,
        }
    }

    fn policy_names(declared: &Box<Endpoint>) -> Vec<String> {
        match &declared.pat_id {
            Some(PatId::AuthorizationId(name) | PatId::DisplayName(name)) => vec![name.clone()],
            None => Vec::new(),
        }
    }

    fn expected(_scope: &(), _declared: &Box<Endpoint>, _: &Listing) -> bool {
        true
    }

    const AUDIT: AuditTexts = AuditTexts {
        declare_key: Some("`authorization_id = \"{}\"`"),
        not_found: "tell patlint which listed PAT it is with `authorization_id` or `display_name`, or check that the PAT belongs to a user of the organization",
        unidentified: "name the PAT with `authorization_id` or `display_name` (or give it an `entra_token`, whose PAT Lifecycle API reads the id)",
    };

    fn platform(token: &TokenSpec, facts: Option<&TokenFacts>, now: Timestamp) -> Option<Finding> {
        judge::global_pat_retirement(token, facts, now)
    }

    async fn observe(&self, call: &Call<'_>, azure: &Box<Endpoint>) -> Observation {
        let pat = match basic_auth(call) {
            Ok(pat) => pat,
            Err(unsendable) => return Observation::host_error(unsendable),
        };
        let organization_url = join(&azure.url, &azure.organization);
        let retired = AZURE_GLOBAL_PAT_RETIREMENT.in_force(call.observed_at());
        // What the PAT is, asked at the same time as whether it is valid: one round trip.
        let (validity, details) = tokio::join!(
            connection_data(
                call,
                PRODUCT,
                (&organization_url, &azure.organization),
                &pat
            ),
            details(call, azure, &pat, retired)
        );
        if let Err(refused) = validity {
            return with_retirement_help(refused, call, details.as_ref().ok(), retired);
        }
        let mut facts = match details {
            Ok(facts) => facts,
            Err(broken) => return broken,
        };
        if retired
            && super::facts::of(&facts)
                .all_accessible_organizations
                .is_unobservable()
        {
            super::facts::of_mut(&mut facts).all_accessible_organizations = Observed::bare(false);
            super::facts::of_mut(&mut facts).all_accessible_organizations.set_evidence(format!(
                    "platform rule, not an observation: {organization_url}/_apis/connectionData accepted the PAT on {}, and global PATs no longer work since {} ({}), so it is taken to be organization-scoped; with an `entra_token`, the PAT Lifecycle API's `targetAccounts` would show its reach",
                    call.observed_at().strftime("%Y-%m-%d"),
                    AZURE_GLOBAL_PAT_RETIREMENT.last().date(),
                    AZURE_GLOBAL_PAT_RETIREMENT.source
                ),
            );
        }
        facts
            .last_used_at
            .set_why("Azure DevOps does not reveal when a PAT was last used".into());
        let target = Target {
            product: PRODUCT,
            base: &organization_url,
            project: azure.project.as_ref().map(|p| p.value.as_str()),
            api_version: "7.1",
        };
        if let Err(stopped) = probes::run(call, &target, &pat, &mut facts).await {
            return stopped;
        }
        Observation::observed(facts)
    }
}

/// A PAT refused after global PATs were retired, for a policy that wants a global one or
/// a PAT the Lifecycle API calls global: the retirement is the likely cause.
fn with_retirement_help(
    refused: Observation,
    call: &Call<'_>,
    facts: Option<&TokenFacts>,
    retired: bool,
) -> Observation {
    let wants_global = Services::requirements_of(call.requirements())
        .all_accessible_organizations
        .as_ref()
        .is_some_and(|s| s.value);
    let was_global = facts
        .is_some_and(|f| super::facts::of(f).all_accessible_organizations.value() == Some(&true));
    if !(retired && (wants_global || was_global)) {
        return refused;
    }
    refused.with_rejection_help(|| {
        format!(
            "Azure DevOps global PATs (\"All accessible organizations\") no longer work since {}, the likely cause if this PAT {}: create one PAT per organization the integration needs (Organization: that organization), update the secret, and set `all_accessible_organizations = false`.",
            AZURE_GLOBAL_PAT_RETIREMENT.last().date(),
            if was_global {
                "is one, as the PAT Lifecycle API says"
            } else {
                "was one, as the policy requires"
            }
        )
    })
}

/// The PAT's record from the Lifecycle API when an Entra token is given; else what the
/// heuristic probe can tell, asked only while global PATs still work and only when the
/// policy asks about reach (after the retirement, an accepted PAT is organization-scoped
/// by platform rule, and `profiles/me` also needs `vso.profile`, which mixes scope in).
async fn details(
    call: &Call<'_>,
    azure: &Endpoint,
    pat: &HeaderValue,
    retired: bool,
) -> Result<TokenFacts, Observation> {
    let mut facts = TokenFacts::new(TokenKind::PersonalAccessToken);
    let record = match azure.entra_token.as_ref().map(|source| call.read(source)) {
        Some(Ok(entra)) => lifecycle(call, azure, &entra).await,
        Some(Err(e)) => Err(format!("the Entra token could not be read: {e}").into()),
        None => Err("Azure DevOps does not reveal a PAT's scopes or validity to the PAT itself; give `entra_token` (and `display_name` or `authorization_id`) to read them from the PAT Lifecycle API".into()),
    };
    match record {
        Ok(record) => record.into_facts(&mut facts, &lifecycle_endpoint(azure)),
        Err(LookupError::Incomplete(reason)) => return Err(Observation::host_error(reason)),
        Err(LookupError::Unverifiable(reason)) => {
            facts.unobservable_all(&[Fact::Scopes, Fact::ExpiresAt, Fact::CreatedAt], &reason);
            let asks_reach = Services::requirements_of(call.requirements())
                .all_accessible_organizations
                .is_some();
            if !retired && asks_reach {
                probe_reach(call, azure, pat, &mut facts).await;
            } else if !retired {
                super::facts::of_mut(&mut facts).all_accessible_organizations.set_why("the policy does not ask about organization reach, so patlint did not probe it"
                        .into(),
                );
            }
        }
    }
    Ok(facts)
}

/// Without the Lifecycle API: `profiles/me` answers a PAT only if it is global.
async fn probe_reach(call: &Call<'_>, azure: &Endpoint, pat: &HeaderValue, facts: &mut TokenFacts) {
    let mut url = join(&azure.profile_url, "_apis/profile/profiles/me");
    url.query_pairs_mut().append_pair("api-version", "7.1");
    let answer = call
        .send(PRODUCT, |client| {
            client
                .get(url.clone())
                .header(AUTHORIZATION, pat.clone())
                .header(ACCEPT, "application/json")
                .header("x-tfs-fedauthredirect", "Suppress")
        })
        .await;
    let endpoint = format!("GET {}{}", url.origin().ascii_serialization(), url.path());
    let outcome = match answer {
        Ok(answer) => {
            let json = answer
                .json::<serde_json::Value>()
                .is_some_and(|v| v.is_object());
            match answer.status {
                StatusCode::OK if json => Ok(true),
                StatusCode::UNAUTHORIZED if !super::refusals::OWN.recognises(&answer) => {
                    Err(format!(
                        "the heuristic probe {}",
                        super::refusals::OWN.not_own(&answer)
                    ))
                }
                StatusCode::UNAUTHORIZED => Ok(false),
                s => Err(format!("the heuristic probe {endpoint} answered {s}")),
            }
        }
        Err(detail) => Err(format!("the heuristic probe {endpoint} failed: {detail}")),
    };
    match outcome {
        Ok(global) => {
            super::facts::of_mut(facts).all_accessible_organizations = Observed::bare(global);
            super::facts::of_mut(facts).all_accessible_organizations.set_evidence(format!(
                    "heuristic probe: {endpoint} answered {} to the PAT, as it does for {} PATs (give `entra_token` for an authoritative answer)",
                    if global { "200" } else { "401" },
                    if global { "global" } else { "organization-scoped" }
                ),
            );
        }
        Err(reason) => {
            super::facts::of_mut(facts)
                .all_accessible_organizations
                .set_why(reason);
        }
    }
}

/// The `init` starter: the target, and the Entra token without which a PAT's scopes and
/// expiry stay hidden. The audience is the one Microsoft names for the PAT Lifecycle API
/// (<https://learn.microsoft.com/en-us/rest/api/azure/devops/tokens>: "The scope for the
/// token should be 499b84ac-1321-427f-aa17-267ca6975798/.default").
const STARTER: &str = r#"[[token]]
name         = "jira-azure"
host         = "azure-devops"
organization = "fabrikam"
secret       = { env = "JIRA_ADO_PAT" }
# The project the integration works in. Without it patlint can vouch for the token but not
# for the integration.
project      = "Fabrikam Fiber"
# A PAT reveals neither its scopes nor its expiry. The PAT Lifecycle API does, to a Microsoft
# Entra access token of the PAT's owner (audience 499b84ac-1321-427f-aa17-267ca6975798, e.g.
# `az account get-access-token --resource 499b84ac-1321-427f-aa17-267ca6975798`), matching
# the PAT by its name. Without one, remove these two lines and add `on_unverifiable = "warn"`:
# the code scopes are then probed in `project`, and `max_lifespan` can only warn.
entra_token  = { env = "JIRA_ADO_ENTRA_TOKEN" }
display_name = "jira"                    # the PAT's name, as Azure DevOps lists it
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "Azure DevOps: User settings > Personal access tokens > New Token; pick the organization, an expiration within the policy, Scopes: Custom defined with the scopes the policy requires (e.g. Code: Read & write), then update the secret the policy names.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "Azure DevOps: check `organization` (the name alone) and `url` (https://dev.azure.com, or left out), the network path to dev.azure.com and vssps.dev.azure.com and the proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
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
        Rule::ExpiresSoon,
        "Azure DevOps: User settings > Personal access tokens > select the token > Regenerate (or Edit its expiration), then update the secret the policy names.",
    ),
    (
        Rule::LifespanExceeded,
        "Azure DevOps: create a token whose Expiration (custom defined) is within `max_lifespan`, then revoke the old one.",
    ),
    (
        Rule::MissingScope,
        "Azure DevOps: edit the token (User settings > Personal access tokens > Edit) and add the scope, e.g. Code: Read & write for `vso.code_write`.",
    ),
    (
        Rule::OrgReach,
        "Azure DevOps: create a token with the Organization field set as the policy requires (one PAT per organization: global PATs no longer work since 2026-12-01), then revoke the old one.",
    ),
    (
        Rule::Unverifiable,
        "Azure DevOps: supply `entra_token` (a Microsoft Entra access token of the PAT's owner) and `display_name` so that patlint can read the PAT's scopes and expiry from the PAT Lifecycle API.",
    ),
    (
        Rule::GlobalPatRetirement,
        "Azure DevOps: create one PAT per organization the integration needs (Organization: that organization, not \"All accessible organizations\"), or move the integration to Microsoft Entra tokens; then set `all_accessible_organizations = false` in the policy.",
    ),
];

//! What patlint asks each host, one folder per host: its policy keys and requirement keys
//! and their validation, default URLs, scope catalog, its own facts and rules, fix texts,
//! starter policy lines, the code that asks it about a token and its admin listing. This
//! file is the registry: one row per host. How patlint talks to hosts is `crate::client`.
//!
//! Adding a host: write `src/hosts/NEW/` with a type implementing [`Host`], and add its
//! row to [`registry!`] below (CONTRIBUTING.md). The compiler then knows the new
//! [`HostKind`] and [`Endpoint`] variants everywhere they are matched: no match over hosts
//! outside the registry has a catch-all arm.

pub mod aws_iam;
pub mod azure_devops;
pub mod bitbucket;
pub mod fix_link;
pub mod github;
pub mod gitlab;
mod host_facts;
mod host_requirements;
pub mod inventory;
mod matching;
pub mod scope_catalog;

pub(crate) use crate::client::is_loopback;
pub use crate::client::{
    Answer, AuditFacts, Call, DeclaredCheck, HostError, HostErrorKind, Http, HttpSettings,
    InventoryRecord, RequestContext, TokenClock, audit_all, observe_all,
};
pub use host_facts::{HostSpecificFacts, NoFacts, OwnFacts};
pub(crate) use host_requirements::layered;
pub use host_requirements::{Layered, NoRequirements, OwnRequirements};
pub use inventory::{Fingerprint, Listed, Listing, ListingResult};
pub use matching::{AuditTexts, Declared};

use jiff::Timestamp;

use crate::evaluate::Finding;
use crate::facts::{Observation, TokenFacts};
use crate::policy::{RequirementKeys, Requirements, TokenKeys, TokenSpec};
use crate::rules::Rule;
use scope_catalog::ScopeCatalog;

/// What patlint knows of a host without asking it.
pub struct HostMeta {
    /// The name a policy uses (`host = "…"`).
    pub name: &'static str,
    /// The name people know the product by.
    pub product: &'static str,
    /// Whether the host is reached over HTTP by patlint itself, so that `url` and
    /// `ca_file` apply.
    pub http: bool,
    /// The shared requirement keys this host can judge beyond the ones every host can
    /// (scopes, probes); its own requirement keys are its `RawRequirements`.
    pub requirement_keys: &'static [&'static str],
    /// The scope catalog, for hosts whose tokens have scopes.
    pub scopes: Option<&'static ScopeCatalog>,
    /// The harmless requests that settle what the host does not list, for `explain`.
    pub probes: &'static [Probe],
    /// The keys a `[[token]]` of this host must have (any one of these sets), for the
    /// policy's JSON Schema; `validate` checks the same in the host's `endpoint`.
    pub token_requires: &'static [&'static [&'static str]],
    /// The keys an `[[inventory]]` of this host must have (any one of these sets).
    pub inventory_requires: &'static [&'static [&'static str]],
    /// Whether its tokens never expire, so `max_lifespan` judges their age instead.
    pub lifespan_by_age: bool,
    /// Well-known prefixes of its credentials, to catch one pasted into a policy.
    pub secret_prefixes: &'static [&'static str],
    /// The rules only this host (or a few hosts) can fire, beside the ones every host can
    /// ([`crate::rules::Rule::SHARED`]).
    pub rules: &'static [Rule],
    /// How to fix a rule's finding on this host, where it has its own words for it: one
    /// row a rule. A rule the host cannot fire has no row.
    pub fixes: &'static [(Rule, &'static str)],
    /// A commented `[[token]]` example for `patlint init`.
    pub starter: &'static str,
    /// What an `[[inventory]]` of this host lists, with the calls it makes and the
    /// permission each needs (`patlint explain undeclared-token`); `None`: the host has
    /// no admin listing of tokens.
    pub inventory: Option<&'static str>,
}

/// One probe, as `patlint explain` documents it: the request, what its answers prove, and
/// why it cannot change anything on the host.
pub struct Probe {
    /// The rules whose findings it settles.
    pub rules: &'static [Rule],
    pub request: &'static str,
    pub answers: &'static str,
    pub harmless: &'static str,
}

/// Why a requirement value cannot be right, for the policy diagnostic.
pub struct ValueProblem {
    pub message: String,
    pub label: String,
    pub help: String,
}

/// One kind of host: how its policy keys are validated and how a token is observed.
#[allow(async_fn_in_trait)] // dispatched statically by the registry, never as `dyn`
pub trait Host: Sized {
    /// The validated, host-specific keys of one `[[token]]`.
    type Endpoint: std::fmt::Debug + Clone + PartialEq;

    /// What only this host reveals about a token, beside the facts every host may
    /// ([`NoFacts`] for a host that reveals nothing more).
    type Facts: HostSpecificFacts;

    /// The host's own requirement keys as written (in `[defaults]`, `[hosts.<host>]` and
    /// `[[token]]`), each keeping its span; its doc comments are their schema.
    type RawRequirements: for<'de> serde::Deserialize<'de> + schemars::JsonSchema;

    /// The host's own requirements, validated: each optional, a more specific level's
    /// over a less specific one's.
    type Requirements: Layered + std::fmt::Debug + Clone + Default + PartialEq;

    /// Validates one level's own requirement keys, reporting every problem (a host
    /// without keys of its own keeps the default).
    fn requirements(
        _raw: Self::RawRequirements,
        _keys: &mut RequirementKeys<'_>,
    ) -> Self::Requirements {
        Self::Requirements::default()
    }

    /// Checks a token's own requirements once every level is merged: keys that only
    /// make sense together.
    fn check_requirements(_requirements: &Self::Requirements) -> Result<(), ValueProblem> {
        Ok(())
    }

    /// What a value that is not one of the host's scopes is instead, and the key it
    /// belongs in (a GitHub fine-grained permission written as `contents:write`).
    fn not_a_scope(_value: &str) -> Option<String> {
        None
    }

    /// The host's own `[[token]]` keys as written, each keeping its span. Its field
    /// names are the keys the host accepts, and its doc comments their schema.
    type RawKeys: for<'de> serde::Deserialize<'de> + schemars::JsonSchema;

    const META: HostMeta;

    /// Validates the host's own keys of a `[[token]]`, reporting every problem.
    fn endpoint(raw: Self::RawKeys, keys: &mut TokenKeys<'_>) -> Option<Self::Endpoint>;

    /// The host's state for one run.
    fn new(settings: &HttpSettings) -> Self;

    /// Asks the host about one token. Every failure is an [`Observation`], never a panic
    /// or an error that could carry the secret.
    async fn observe(&self, call: &Call<'_>, endpoint: &Self::Endpoint) -> Observation;

    /// The host's own `[[inventory]]` keys as written, beside its token keys.
    type InventoryKeys: for<'de> serde::Deserialize<'de> + schemars::JsonSchema;

    /// What one `[[inventory]]` lists on the host, validated.
    type Scope: std::fmt::Debug + Clone + PartialEq;

    /// Validates the host's own keys of an `[[inventory]]`, reporting every problem
    /// (a host without a listing refuses the inventory here).
    fn scope(raw: Self::InventoryKeys, keys: &mut TokenKeys<'_>) -> Option<Self::Scope>;

    /// Lists every token the inventory's credential can see, to the last page, with
    /// read-only calls. A listing cut short is an error, never a complete answer.
    async fn list(
        &self,
        call: &Call<'_>,
        endpoint: &Self::Endpoint,
        scope: &Self::Scope,
    ) -> ListingResult;

    /// The host's own rules on a token it accepted, judged after the ones every host
    /// shares (expiry, lifespan, scopes, staleness). Pure: `now` is the run's `--now`.
    fn judge(
        _token: &TokenSpec,
        _endpoint: &Self::Endpoint,
        _facts: &TokenFacts,
        _now: Timestamp,
    ) -> Vec<Finding> {
        Vec::new()
    }

    /// The repositories the integration works on, where the host has them (GitHub's
    /// `repositories`, GitLab's `projects`, Azure DevOps' `project`): where a finding
    /// about one of them points.
    fn repositories(_endpoint: &Self::Endpoint) -> &[crate::policy::Setting<String>] {
        &[]
    }

    /// The page where a new token that fixes a finding is made ([`fix_link::NEW_TOKEN_RULES`]),
    /// prefilled with the policy's requirements where the host documents how (`facts`:
    /// what was observed, if anything). `None`: the host has no such page.
    fn new_token_link(
        _token: &TokenSpec,
        _endpoint: &Self::Endpoint,
        _facts: Option<&TokenFacts>,
    ) -> Option<reqwest::Url> {
        None
    }

    /// Whether the shared scope rules (`require_scopes`, `forbid_scopes`,
    /// `allow_extra_scopes`) judge this token: not a kind of token the host gives
    /// permissions instead of scopes, whose scope keys the host answers in its own terms.
    fn judges_scopes(_token: &TokenSpec, _facts: &TokenFacts) -> bool {
        true
    }

    /// A finding on an accepted token that makes every other one moot (an inactive key).
    fn decisive(_token: &TokenSpec, _facts: &TokenFacts) -> Option<Finding> {
        None
    }

    /// Dated platform changes that concern the token, from its policy alone or with what
    /// was observed (`None`: nothing was). Judged on every outcome but a rejection or an
    /// expiry, and by `validate` on the policy alone.
    fn platform(
        _token: &TokenSpec,
        _facts: Option<&TokenFacts>,
        _now: Timestamp,
    ) -> Option<Finding> {
        None
    }

    /// The audit: whether a declared token is on what the inventory lists (the same
    /// instance, organization or account). Hosts without a listing keep the default.
    fn same_instance(
        _inventory: &Self::Endpoint,
        _declared: Declared<'_, Self>,
        _listing: &Listing,
    ) -> bool {
        false
    }

    /// The audit: whether the policy's own id or name for the declared token (not a
    /// fingerprint its check noted) names this listed token.
    fn names(_declared: Declared<'_, Self>, _listed: &Listed, _listing: &Listing) -> bool {
        false
    }

    /// The audit: the ids and names the policy gives the declared token (none: it is
    /// tied to a listing by fingerprints alone). A listed token whose id or name is none of
    /// these is never one [`Host::names`] ties to it, so the audit asks `names` only of
    /// the listed tokens an index of the listing finds under them.
    fn policy_names(_declared: &Self::Endpoint) -> Vec<String> {
        Vec::new()
    }

    /// The audit: whether the inventory lists every token of the declared one's kind on
    /// what the declared token works on (the listing being complete for that kind, on the
    /// same instance), so that its absence is a finding.
    fn expected(_scope: &Self::Scope, _declared: &Self::Endpoint, _listing: &Listing) -> bool {
        false
    }

    /// The words the audit uses for this host's tokens.
    const AUDIT: AuditTexts = AuditTexts {
        declare_key: None,
        not_found: "check that the token belongs to the account or instance the inventory lists",
        unidentified: "let the token's own check read its id",
    };
}

/// For a host without an admin listing of tokens: no `[[inventory]]` of it validates.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct NoInventoryKeys {}

/// The one table of hosts: `Variant = "policy-name" => implementing type`.
macro_rules! registry {
    ($($variant:ident = $name:literal => $($host:ident)::+),+ $(,)?) => {
        /// The kinds of host patlint knows, by the name a policy uses for them.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        pub enum HostKind {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl HostKind {
            pub const ALL: &'static [HostKind] = &[$(HostKind::$variant),+];

            pub fn meta(self) -> &'static HostMeta {
                match self {
                    $(HostKind::$variant => &<$($host)::+ as Host>::META,)+
                }
            }

            /// The names of the host's own `[[token]]` keys.
            pub fn token_keys(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => crate::policy::raw::field_names::<<$($host)::+ as Host>::RawKeys>(),)+
                }
            }

            /// What an unknown scope is instead, when the host knows (see [`Host::not_a_scope`]).
            pub fn not_a_scope(self, value: &str) -> Option<String> {
                match self {
                    $(HostKind::$variant => <$($host)::+ as Host>::not_a_scope(value),)+
                }
            }

            /// Validates the host's own keys of a token.
            pub fn endpoint(self, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
                match self {
                    $(HostKind::$variant => {
                        let raw = keys.parse::<<$($host)::+ as Host>::RawKeys>()?;
                        <$($host)::+ as Host>::endpoint(raw, keys).map(Endpoint::$variant)
                    })+
                }
            }

            /// The names of the host's own `[[inventory]]` keys.
            pub fn inventory_keys(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => crate::policy::raw::field_names::<<$($host)::+ as Host>::InventoryKeys>(),)+
                }
            }

            /// Validates the host's own keys of an `[[inventory]]`.
            pub fn scope(self, keys: &mut TokenKeys<'_>) -> Option<InventoryScope> {
                match self {
                    $(HostKind::$variant => {
                        let raw = keys.parse::<<$($host)::+ as Host>::InventoryKeys>()?;
                        <$($host)::+ as Host>::scope(raw, keys).map(InventoryScope::$variant)
                    })+
                }
            }
        }

        /// Every host's own inventory keys, for the policy's JSON Schema.
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code, non_snake_case)]
        pub struct HostInventoryKeys {
            $(#[serde(flatten)] $variant: <$($host)::+ as Host>::InventoryKeys,)+
        }

        /// What one `[[inventory]]` lists: each host's own validated keys.
        #[derive(Debug, Clone, PartialEq)]
        pub enum InventoryScope {
            $($variant(<$($host)::+ as Host>::Scope),)+
        }

        /// Every host's own token keys, for the policy's JSON Schema.
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code, non_snake_case)]
        pub struct HostTokenKeys {
            $(#[serde(flatten)] $variant: <$($host)::+ as Host>::RawKeys,)+
        }

        /// How to reach a token's host: each host's own validated keys.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Endpoint {
            $($variant(<$($host)::+ as Host>::Endpoint),)+
        }

        impl Endpoint {
            pub fn host(&self) -> HostKind {
                match self {
                    $(Endpoint::$variant(_) => HostKind::$variant,)+
                }
            }
        }

        impl HostKind {
            /// The host's finding that makes every other one moot, if any.
            pub(crate) fn decisive(self, token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
                match self {
                    $(HostKind::$variant => <$($host)::+ as Host>::decisive(token, facts),)+
                }
            }

            /// Whether the shared scope rules judge this token.
            pub(crate) fn judges_scopes(self, token: &TokenSpec, facts: &TokenFacts) -> bool {
                match self {
                    $(HostKind::$variant => <$($host)::+ as Host>::judges_scopes(token, facts),)+
                }
            }

            /// The dated platform change that concerns the token, if any.
            pub(crate) fn platform(
                self,
                token: &TokenSpec,
                facts: Option<&TokenFacts>,
                now: Timestamp,
            ) -> Option<Finding> {
                match self {
                    $(HostKind::$variant => <$($host)::+ as Host>::platform(token, facts, now),)+
                }
            }
        }

        impl Endpoint {
            /// The host's own rules on a token it accepted.
            pub(crate) fn judge(&self, token: &TokenSpec, facts: &TokenFacts, now: Timestamp) -> Vec<Finding> {
                match self {
                    $(Endpoint::$variant(e) => <$($host)::+ as Host>::judge(token, e, facts, now),)+
                }
            }

            /// The page where a new token that fixes a finding is made.
            pub(crate) fn new_token_link(&self, token: &TokenSpec, facts: Option<&TokenFacts>) -> Option<reqwest::Url> {
                match self {
                    $(Endpoint::$variant(e) => <$($host)::+ as Host>::new_token_link(token, e, facts),)+
                }
            }

            /// The repositories the integration works on, where the host has them.
            pub fn repositories(&self) -> &[crate::policy::Setting<String>] {
                match self {
                    $(Endpoint::$variant(e) => <$($host)::+ as Host>::repositories(e),)+
                }
            }
        }

        crate::hosts::host_facts::host_facts! { $($variant = $($host)::+),+ }

        crate::hosts::host_requirements::host_requirements! { $($variant = $($host)::+),+ }

        crate::hosts::matching::matching! { $($variant = $($host)::+),+ }

        /// The hosts of one run, each with its own state.
        #[allow(non_snake_case)]
        pub(crate) struct Hosts {
            $($variant: $($host)::+,)+
        }

        impl Hosts {
            pub(crate) fn new(settings: &HttpSettings) -> Self {
                Hosts { $($variant: <$($host)::+ as Host>::new(settings),)+ }
            }

            /// Each host's check is boxed: a future is as large as the largest state it
            /// can be in (the AWS SDK's are tens of KiB), and one is held per token for
            /// the whole run, so unboxed every token would pay for AWS.
            pub(crate) async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
                match endpoint {
                    $(Endpoint::$variant(e) => Box::pin(self.$variant.observe(call, e)).await,)+
                }
            }

            /// Lists one inventory's tokens, boxed like [`Hosts::observe`].
            pub(crate) async fn list(
                &self,
                call: &Call<'_>,
                endpoint: &Endpoint,
                scope: &InventoryScope,
            ) -> ListingResult {
                match (endpoint, scope) {
                    $((Endpoint::$variant(e), InventoryScope::$variant(s)) => {
                        Box::pin(self.$variant.list(call, e, s)).await
                    })+
                    // Validation builds both from the same `host`.
                    #[allow(unreachable_patterns)]
                    _ => Err(Observation::host_error("internal: an inventory's keys are of another host than its endpoint")),
                }
            }
        }
    };
}

registry! {
    Github = "github" => github::GitHub,
    Gitlab = "gitlab" => gitlab::GitLab,
    AzureDevops = "azure-devops" => azure_devops::Services,
    AzureDevopsServer = "azure-devops-server" => azure_devops::Server,
    AwsIam = "aws-iam" => aws_iam::AwsIam,
    Bitbucket = "bitbucket" => bitbucket::Cloud,
    BitbucketDataCenter = "bitbucket-data-center" => bitbucket::DataCenter,
}

/// The rules of particular hosts, declared in their folders: `rules.rs` calls this with
/// the shared rules, and the host rows follow them.
macro_rules! host_rules {
    ($then:ident! { $($shared:tt)* }) => {
        $then! {
            $($shared)*
            SsoNotAuthorized => crate::hosts::github::judge::SSO_NOT_AUTHORIZED,
            LifetimePolicy => crate::hosts::github::judge::LIFETIME_POLICY,
            ClassicTokenForbidden => crate::hosts::github::judge::CLASSIC_TOKEN_FORBIDDEN,
            IpAllowList => crate::hosts::github::judge::IP_ALLOW_LIST,
            ApprovalPending => crate::hosts::github::judge::APPROVAL_PENDING,
            OrgReach => crate::hosts::azure_devops::judge::ORG_REACH,
            ConditionalAccess => crate::hosts::azure_devops::judge::CONDITIONAL_ACCESS,
            GlobalPatRetirement => crate::hosts::azure_devops::judge::GLOBAL_PAT_RETIREMENT,
            MissingAction => crate::hosts::aws_iam::judge::MISSING_ACTION,
            KeyInactive => crate::hosts::aws_iam::judge::KEY_INACTIVE,
            KeyRotationOverlap => crate::hosts::aws_iam::judge::KEY_ROTATION_OVERLAP,
            AppPasswordRetired => crate::hosts::bitbucket::judge::APP_PASSWORD_RETIRED,
            FineGrainedRequired => crate::hosts::gitlab::judge::FINE_GRAINED_REQUIRED,
            ForbiddenPermission => crate::hosts::gitlab::judge::FORBIDDEN_PERMISSION,
        }
    };
}
pub(crate) use host_rules;

impl HostKind {
    /// This host's own words for fixing a rule's finding.
    pub fn fix(self, rule: Rule) -> Option<&'static str> {
        self.meta()
            .fixes
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, text)| *text)
    }

    /// The name a policy file uses.
    pub fn as_str(self) -> &'static str {
        self.meta().name
    }

    /// The name people know the product by.
    pub fn product(self) -> &'static str {
        self.meta().product
    }

    pub fn parse(name: &str) -> Option<HostKind> {
        HostKind::ALL.iter().copied().find(|h| h.as_str() == name)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        HostKind::ALL.iter().map(|h| h.as_str())
    }
}

impl std::fmt::Display for HostKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_are_the_serde_names() {
        for host in HostKind::ALL {
            assert_eq!(serde_json::to_value(host).unwrap(), host.as_str());
            assert_eq!(HostKind::parse(host.as_str()), Some(*host));
        }
    }

    /// A facts record says whose host facts it holds only by their keys.
    #[test]
    fn no_two_hosts_write_the_same_fact_key() {
        let mut seen = std::collections::BTreeMap::new();
        for host in HostKind::ALL {
            for name in host.fact_names() {
                if let Some(other) = seen.insert(*name, *host) {
                    assert_eq!(other, *host, "`{name}` is written by {other} and {host}");
                }
            }
        }
    }
}

//! Everything patlint knows about each host, one folder per host: its policy keys and
//! their validation, default URLs, scope catalog, fix texts, starter policy lines and the
//! code that asks it about a token. This file is the registry: one row per host.
//!
//! Adding a host: write `src/hosts/NEW/` with a type implementing [`Host`], and add its
//! row to [`registry!`] below. The compiler then knows the new [`HostKind`] and
//! [`Endpoint`] variants everywhere they are matched.

mod api;
mod audit;
pub mod aws_iam;
pub mod azure_devops;
pub mod github;
pub mod gitlab;
mod http;
pub mod inventory;
mod observe;
mod paging;
mod rate_limits;
pub mod scope_catalog;
mod wire;

pub use audit::{AuditFacts, DeclaredCheck, InventoryRecord, audit_all};
pub use http::{Answer, HostError, HostErrorKind, Http, HttpSettings, RequestContext, TokenClock};
pub use inventory::{Fingerprint, Listed, Listing, ListingResult};
pub use observe::{Call, observe_all};
pub(crate) use wire::is_loopback;

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
    /// `repositories`, GitLab's `projects`).
    fn repositories(_endpoint: &Self::Endpoint) -> &[crate::policy::Setting<String>] {
        &[]
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

    /// The audit: whether the policy gives the declared token an id or name that a
    /// listing shows.
    fn named(_declared: &Self::Endpoint) -> bool {
        false
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

/// A declared token, as the audit matches it: its host's keys and what its check saw.
pub struct Declared<'a, H: Host> {
    pub endpoint: &'a H::Endpoint,
    pub facts: Option<&'a TokenFacts>,
}

impl<H: Host> Clone for Declared<'_, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H: Host> Copy for Declared<'_, H> {}

/// The audit's host-specific words.
pub struct AuditTexts {
    /// The policy key that names a listed token (`token_id = {}`, with the id in place
    /// of `{}`); `None`: the token's secret, whose check reads the id.
    pub declare_key: Option<&'static str>,
    /// What to do for a declared token the listing should hold and does not.
    pub not_found: &'static str,
    /// What to do for a declared token that nothing ties to the listing.
    pub unidentified: &'static str,
}

/// Settings that a more specific level of the policy overrides key by key.
pub trait Layered {
    /// Fills what `self` leaves unset from a less specific level.
    fn or(self, less_specific: &Self) -> Self;
}

/// For a host without requirement keys of its own.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize, schemars::JsonSchema)]
pub struct NoRequirements {}

impl Layered for NoRequirements {
    fn or(self, _: &Self) -> Self {
        self
    }
}

/// A host's own requirements in a token's: read by the host only.
pub trait OwnRequirements: Host {
    fn requirements_of(requirements: &Requirements) -> &Self::Requirements;
}

/// What only one host reveals about a token: its own facts, each an
/// [`Observed`](crate::facts::Observed) with its evidence or the reason it is missing.
pub trait HostSpecificFacts:
    std::fmt::Debug + Default + Clone + PartialEq + serde::Serialize + serde::de::DeserializeOwned
{
    /// The keys it writes in a facts record (its values, and its names in the record's
    /// `evidence` and `unobservable` maps): no two hosts share one.
    const NAMES: &'static [&'static str];

    /// Each fact with its name, in the order the record's maps list them.
    fn named(&self) -> crate::facts::Named<'_>;

    fn named_mut(&mut self) -> crate::facts::NamedMut<'_>;

    /// What the JSON report shows of them, beside the facts every host may reveal.
    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        Vec::new()
    }
}

/// For a host that reveals nothing beyond the facts every host may.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NoFacts {}

impl HostSpecificFacts for NoFacts {
    const NAMES: &'static [&'static str] = &[];

    fn named(&self) -> crate::facts::Named<'_> {
        Vec::new()
    }

    fn named_mut(&mut self) -> crate::facts::NamedMut<'_> {
        Vec::new()
    }
}

/// A host's own facts in a token's facts: read and written by the host only.
pub trait OwnFacts: Host {
    /// This host's facts, if the record holds them.
    fn facts(facts: &TokenFacts) -> Option<&Self::Facts>;

    /// This host's facts, made empty if the record holds none yet.
    fn facts_mut(facts: &mut TokenFacts) -> &mut Self::Facts;
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

            /// The audit's words for this host's tokens.
            pub fn audit_texts(self) -> &'static AuditTexts {
                match self {
                    $(HostKind::$variant => &<$($host)::+ as Host>::AUDIT,)+
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

            /// The repositories the integration works on, where the host has them.
            pub fn repositories(&self) -> &[crate::policy::Setting<String>] {
                match self {
                    $(Endpoint::$variant(e) => <$($host)::+ as Host>::repositories(e),)+
                }
            }

            /// Whether the declared token `self` is on what `inventory` lists.
            pub(crate) fn same_instance(
                &self,
                facts: Option<&TokenFacts>,
                inventory: &Endpoint,
                listing: &Listing,
            ) -> bool {
                match (inventory, self) {
                    $((Endpoint::$variant(i), Endpoint::$variant(endpoint)) => {
                        <$($host)::+ as Host>::same_instance(i, Declared { endpoint, facts }, listing)
                    })+
                    // Tokens of two hosts are never on the same instance.
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// Whether the policy's own id or name for the declared token `self` names
            /// the listed token.
            pub(crate) fn names(&self, facts: Option<&TokenFacts>, listed: &Listed, listing: &Listing) -> bool {
                match self {
                    $(Endpoint::$variant(endpoint) => {
                        <$($host)::+ as Host>::names(Declared { endpoint, facts }, listed, listing)
                    })+
                }
            }

            /// Whether the policy gives the token an id or name a listing shows.
            pub(crate) fn named(&self) -> bool {
                match self {
                    $(Endpoint::$variant(e) => <$($host)::+ as Host>::named(e),)+
                }
            }

            /// Whether `scope` lists every token of the declared one's kind on what the
            /// declared token `self` works on.
            pub(crate) fn expected_in(&self, scope: &InventoryScope, listing: &Listing) -> bool {
                match (scope, self) {
                    $((InventoryScope::$variant(s), Endpoint::$variant(e)) => {
                        <$($host)::+ as Host>::expected(s, e, listing)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }
        }

        /// What only the token's host revealed (`None`: nothing beyond the shared facts).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub enum HostFacts {
            #[default]
            None,
            $($variant(<$($host)::+ as Host>::Facts),)+
        }

        impl HostFacts {
            pub(crate) fn named(&self) -> crate::facts::Named<'_> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.named(),)+
                }
            }

            pub(crate) fn named_mut(&mut self) -> crate::facts::NamedMut<'_> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.named_mut(),)+
                }
            }

            /// What the JSON report shows of them.
            pub fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.reported(),)+
                }
            }

            /// The empty facts of the host that writes any of these record keys.
            pub(crate) fn claiming<'k>(mut keys: impl Iterator<Item = &'k str>) -> HostFacts {
                let host = keys.find_map(|key| {
                    HostKind::ALL.iter().copied().find(|host| host.fact_names().contains(&key))
                });
                match host {
                    None => HostFacts::None,
                    $(Some(HostKind::$variant) => HostFacts::$variant(Default::default()),)+
                }
            }

            /// Reads the facts of the host that writes any of the record's keys.
            fn from_record(
                record: serde_json::Map<String, serde_json::Value>,
            ) -> Result<HostFacts, serde_json::Error> {
                let value = serde_json::Value::Object(record);
                let keys: Vec<&str> = value.as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
                Ok(match HostFacts::claiming(keys.into_iter()) {
                    HostFacts::None => HostFacts::None,
                    $(HostFacts::$variant(_) => HostFacts::$variant(serde_json::from_value(value)?),)+
                })
            }
        }

        impl HostKind {
            /// The record keys of the host's own facts.
            fn fact_names(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => <<$($host)::+ as Host>::Facts as HostSpecificFacts>::NAMES,)+
                }
            }
        }

        impl serde::Serialize for HostFacts {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    HostFacts::None => s.collect_map(std::iter::empty::<(&str, &str)>()),
                    $(HostFacts::$variant(f) => f.serialize(s),)+
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for HostFacts {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let record = serde_json::Map::deserialize(d)?;
                HostFacts::from_record(record).map_err(serde::de::Error::custom)
            }
        }

        $(
            impl OwnFacts for $($host)::+ {
                fn facts(facts: &TokenFacts) -> Option<&Self::Facts> {
                    match &facts.host {
                        HostFacts::$variant(f) => Some(f),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }

                fn facts_mut(facts: &mut TokenFacts) -> &mut Self::Facts {
                    if !matches!(facts.host, HostFacts::$variant(_)) {
                        facts.host = HostFacts::$variant(Default::default());
                    }
                    match &mut facts.host {
                        HostFacts::$variant(f) => f,
                        #[allow(unreachable_patterns)]
                        _ => unreachable!("set just above"),
                    }
                }
            }
        )+

        /// Every host's own requirement keys, for the policy's JSON Schema.
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code, non_snake_case)]
        pub struct HostRequirementKeys {
            $(#[serde(flatten)] $variant: <$($host)::+ as Host>::RawRequirements,)+
        }

        /// Each host's own requirements at one level of the policy: a level that names
        /// no host (`[defaults]`) may hold any host's keys.
        #[derive(Debug, Clone, Default, PartialEq)]
        #[allow(non_snake_case)]
        pub struct HostRequirements {
            $($variant: <$($host)::+ as Host>::Requirements,)+
        }

        impl Layered for HostRequirements {
            fn or(self, less_specific: &Self) -> Self {
                HostRequirements {
                    $($variant: self.$variant.or(&less_specific.$variant),)+
                }
            }
        }

        impl HostRequirements {
            /// Validates every host's own keys of one level.
            pub(crate) fn parse(keys: &mut RequirementKeys<'_>) -> HostRequirements {
                HostRequirements {
                    $($variant: keys
                        .parse::<<$($host)::+ as Host>::RawRequirements>()
                        .map(|raw| <$($host)::+ as Host>::requirements(raw, keys))
                        .unwrap_or_default(),)+
                }
            }
        }

        impl HostKind {
            /// The names of the host's own requirement keys.
            pub fn own_requirement_keys(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => crate::policy::raw::field_names::<<$($host)::+ as Host>::RawRequirements>(),)+
                }
            }

            /// The host's check of a token's own merged requirements.
            pub(crate) fn check_requirements(self, requirements: &Requirements) -> Result<(), ValueProblem> {
                match self {
                    $(HostKind::$variant => <$($host)::+ as Host>::check_requirements(&requirements.host.$variant),)+
                }
            }
        }

        $(
            impl OwnRequirements for $($host)::+ {
                fn requirements_of(requirements: &Requirements) -> &Self::Requirements {
                    &requirements.host.$variant
                }
            }
        )+

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
}

/// The rules of particular hosts, declared in their folders: `rules.rs` calls this with
/// the shared rules, and the host rows follow them.
macro_rules! host_rules {
    ($then:ident! { $($shared:tt)* }) => {
        $then! {
            $($shared)*
            SsoNotAuthorized => crate::hosts::github::judge::SSO_NOT_AUTHORIZED,
            OrgReach => crate::hosts::azure_devops::judge::ORG_REACH,
            GlobalPatRetirement => crate::hosts::azure_devops::judge::GLOBAL_PAT_RETIREMENT,
            MissingAction => crate::hosts::aws_iam::judge::MISSING_ACTION,
            KeyInactive => crate::hosts::aws_iam::judge::KEY_INACTIVE,
            KeyRotationOverlap => crate::hosts::aws_iam::judge::KEY_ROTATION_OVERLAP,
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
}

//! Everything patlint knows about each host, one folder per host: its policy keys and
//! their validation, default URLs, scope catalog, fix texts, starter policy lines and the
//! code that asks it about a token. This file is the registry: one row per host.
//!
//! Adding a host: write `src/hosts/NEW/` with a type implementing [`Host`], and add its
//! row to [`registry!`] below. The compiler then knows the new [`HostKind`] and
//! [`Endpoint`] variants everywhere they are matched.

mod audit;
pub mod aws_iam;
pub mod azure_devops;
pub mod github;
pub mod gitlab;
mod http;
pub mod inventory;
mod observe;
mod rate_limits;
pub mod scope_catalog;
mod wire;

pub use audit::{AuditFacts, InventoryRecord, audit_all};
pub use http::{Answer, HostError, HostErrorKind, Http, HttpSettings, RequestContext, TokenClock};
pub use inventory::{Fingerprint, Listed, Listing, ListingResult};
pub use observe::{Call, observe_all};
pub(crate) use wire::is_loopback;

use crate::facts::Observation;
use crate::policy::{Requirements, TokenKeys};
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
    /// Requirement keys this host can judge, beyond the ones every host can.
    pub requirement_keys: &'static [&'static str],
    /// The scope catalog, for hosts whose tokens have scopes.
    pub scopes: Option<&'static ScopeCatalog>,
    /// Fine-grained permissions `require_permissions` may name, with their levels.
    pub permissions: &'static [(&'static str, &'static [crate::policy::PermissionLevel])],
    /// The harmless requests that settle what the host does not list, for `explain`.
    pub probes: &'static [Probe],
    /// Well-known prefixes of its credentials, to catch one pasted into a policy.
    pub secret_prefixes: &'static [&'static str],
    /// How to fix a rule's finding on this host, where it has its own words for it.
    pub fix: fn(Rule) -> Option<&'static str>,
    /// Checks one value of a host-specific requirement list (`key = [value, …]`).
    pub check_value: fn(key: &str, value: &str) -> Result<(), ValueProblem>,
    /// Checks a token's requirements once every level is merged: keys that only make
    /// sense together.
    pub check_requirements: fn(&Requirements) -> Result<(), ValueProblem>,
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
    pub label: &'static str,
    pub help: String,
}

/// For hosts without requirement lists of their own.
pub fn any_value(_key: &str, _value: &str) -> Result<(), ValueProblem> {
    Ok(())
}

/// For hosts whose requirement keys stand on their own.
pub fn any_requirements(_requirements: &Requirements) -> Result<(), ValueProblem> {
    Ok(())
}

/// One kind of host: how its policy keys are validated and how a token is observed.
#[allow(async_fn_in_trait)] // dispatched statically by the registry, never as `dyn`
pub trait Host: Sized {
    /// The validated, host-specific keys of one `[[token]]`.
    type Endpoint: std::fmt::Debug + Clone + PartialEq;

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

impl Endpoint {
    /// The repositories the integration works on, where the host has them (GitHub's
    /// `repositories`, GitLab's `projects`).
    pub fn repositories(&self) -> &[crate::policy::Setting<String>] {
        match self {
            Endpoint::Github(github) => &github.repositories,
            Endpoint::Gitlab(gitlab) => &gitlab.projects,
            _ => &[],
        }
    }
}

impl HostKind {
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
